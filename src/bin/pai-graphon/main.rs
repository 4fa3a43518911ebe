//! The pai-graphon command line: parse, call the library, print. No mathematics here.

use clap::{Parser, Subcommand, ValueEnum};
use output::emit;
use pai_graphon::claims::{self, Claim, Row, Status};
use pai_graphon::convergence::limit::Fsm;
use pai_graphon::params;
use pai_graphon::report::{self, Format};
use pai_graphon::seed::MasterSeed;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use std::process::ExitCode;
pub(crate) use Failure as CommandFailure;

/// Verified numerical reference for pruning at initialisation through graphon limits
/// (arXiv 2602.06675).
#[derive(Parser)]
#[command(name = "pai-graphon", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every registered claim: id, source, kind, failure budget, title.
    List,
    /// Print a claim's statement from theory/.
    Show {
        /// The claim id, e.g. TOOL-1.
        id: String,
    },
    /// Run the claims and print one row per claim; exits 1 if any claim fails, 3 if none fails
    /// but some are vacuous (a threshold beyond the range of its statistic, e.g. at a small
    /// --scale).
    Audit(AuditArgs),
    /// The limit graphon of a Factorised Saliency Model: τ*, the density check, t(C4) − ρ⁴ and
    /// the degree functions.
    Limit(limit::Args),
    /// Figure 1: seed-averaged masks of the Figure-1 model beside the limit graphon, and their
    /// distance to it against the width (images, CSV and JSON in --out).
    Figure1(figure1::Args),
    /// Figure 2: the complexity yᵀK⁻¹y (raw and scale-corrected) against the fraction of
    /// randomised labels, homogeneous against SNIP-type graphon, one panel per density.
    Figure2(figure2::Args),
    /// Universal approximation on the active subspace: held-out errors of the random-feature
    /// construction at several widths and ambient dimensions, wired counts and their Chernoff
    /// bound, and the exact floor of a target on an inactive coordinate.
    Uat(uat::Args),
    /// Prune the one-hidden-layer network at initialisation and print the mask's statistics:
    /// degrees, exact t(C4) − ρ⁴, its lower confidence bound, and the FSM fit and test.
    Prune(prune::Args),
    /// Draw exact FSM masks (top-k of φ(u_i)ψ(v_j)|ξ_ij|), one per master seed on the stream
    /// `masks`, and write them as one seeds × n × d uint8 .npy stack; prints each mask's kept
    /// count and threshold.
    Masks(masks::Args),
    /// Check masks made anywhere (one n × d uint8/bool .npy mask, or a stack S × n × d over
    /// seeds) against a limit graphon: density, column- and row-degree laws, heterogeneity, and
    /// with --scores the FSM form of the scores. Exit 1 if any check fails, 3 if none fails
    /// but some are vacuous (a threshold beyond the range of the statistic: the mask is too
    /// small or --delta too extreme for the check to fail).
    Check(check::Args),
    /// The power of `check`: for four perturbations of the Figure-1 model (density, profile
    /// exponent, noise law, copied rows) the smallest ε rejected with probability ≥ 0.9 at
    /// δ = 1e-3, beside the Neyman–Pearson test's (slow: minutes per shape).
    Power(power::Args),
    /// The graphon NTK K_W of a graphon (or of a pruning method's mask) on a data set: λ_min
    /// (certified), λ_max, yᵀK⁻¹y, the generalisation bound and the path density p_W. Exit 3
    /// when the bound is vacuous: ≥ 1 (it bounds a loss in [0, 1]), not certified, or the
    /// samples carry a single label.
    Ntk(ntk::Args),
    /// Regenerate a committed high-precision reference table (needs the `mpfr` feature).
    Reference {
        /// Which table.
        #[arg(value_enum)]
        table: ReferenceTable,
        /// MPFR precision in bits.
        #[arg(long, default_value_t = 256)]
        prec: u32,
    },
}

// The options several commands share, declared once and flattened into each command's
// options (plain comments: a doc comment here would become help text).
#[derive(clap::Args)]
pub(crate) struct SeedOpt {
    /// Master seed: default, random, or hexadecimal.
    #[arg(long, default_value = "default")]
    pub(crate) seed: String,
}

impl SeedOpt {
    /// The master seed (a note on stderr when it is drawn at random).
    pub(crate) fn master(&self) -> Result<MasterSeed, Failure> {
        master_seed(&self.seed)
    }
}

#[derive(clap::Args)]
pub(crate) struct FsmOpt {
    /// Row (hidden) profile, e.g. exp:3, const:1, affine:1,2, power:2, step:0.5;1,2.
    #[arg(long)]
    pub(crate) row_profile: String,
    /// Column (input) profile, same grammar.
    #[arg(long)]
    pub(crate) col_profile: String,
    /// Edge noise: gaussian:SIGMA or uniform:A.
    #[arg(long, default_value = "gaussian:1")]
    pub(crate) noise: String,
}

impl FsmOpt {
    /// The model the three specs name.
    pub(crate) fn parse(&self) -> Result<Fsm, Failure> {
        Ok(Fsm::parse(
            &self.row_profile,
            &self.col_profile,
            &self.noise,
        )?)
    }
}

#[derive(clap::Args)]
pub(crate) struct FormatOpt {
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub(crate) format: FormatArg,
}

impl FormatOpt {
    /// The library's format.
    pub(crate) fn get(&self) -> Format {
        self.format.into()
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum FormatArg {
    Table,
    Markdown,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum LayersArg {
    /// The first layer only (Arora et al.'s H∞).
    First,
    /// Both layers (adds the κ1 term).
    Both,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ProfileArg {
    /// The clean labels (one SNIP graphon per density).
    Clean,
    /// The randomised labels of each point (one SNIP kernel per density, level and seed: slow).
    Noisy,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReferenceTable {
    /// data/reference/normal.tsv: normal tail and quantiles.
    Normal,
    /// data/reference/tau_star.tsv: limit thresholds τ* of reference models.
    TauStar,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Json => Format::Json,
        }
    }
}

/// What a command returns: success, failed claims, vacuous checks (none failed, but some
/// could not have), or an error message of one line.
enum Failure {
    ClaimsFailed,
    Vacuous,
    Message(String),
    /// stdout was closed (`… | head`): end quietly.
    PipeClosed,
}

/// The parser of a size flag: its [`params::Limit`], checked before anything is allocated.
pub(crate) fn limited(
    limit: params::Limit,
) -> impl Fn(&str) -> Result<usize, params::ParamError> + Clone + Send + Sync + 'static {
    move |s| limit.parse(s)
}

/// A line on stderr; a failure to write it is ignored (there is nowhere left to report it).
pub(crate) fn note(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

impl Failure {
    /// `Ok` when every check passed, else the failure the worst status calls for.
    pub(crate) fn from_status(status: Status) -> Result<(), Failure> {
        match status {
            Status::Pass => Ok(()),
            Status::Fail => Err(Failure::ClaimsFailed),
            Status::Vacuous => Err(Failure::Vacuous),
        }
    }
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Message(e.to_string())
    }
}

fn main() -> ExitCode {
    output::install_signal_thread();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version: through the fallible writer (a closed pipe ends quietly).
            return match emit(&e.render().to_string()) {
                Err(Failure::Message(m)) => {
                    note(&format!("error: {m}\n"));
                    ExitCode::from(2)
                }
                _ => ExitCode::SUCCESS,
            };
        }
        Err(e) => {
            // clap's message spans lines; keep the first, and the next when the first announces it.
            let text = e.to_string();
            let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
            let mut first = lines.next().unwrap_or("invalid arguments").to_string();
            if first.ends_with(':') {
                first = format!("{first} {}", lines.next().unwrap_or(""));
            }
            note(&format!(
                "{first} (pai-graphon --help lists the commands)\n"
            ));
            return ExitCode::from(2);
        }
    };
    match dispatch(cli.command) {
        Ok(()) | Err(Failure::PipeClosed) => ExitCode::SUCCESS,
        Err(Failure::ClaimsFailed) => ExitCode::from(1),
        Err(Failure::Vacuous) => ExitCode::from(3),
        Err(Failure::Message(m)) => {
            note(&format!("error: {}\n", m.lines().next().unwrap_or("")));
            ExitCode::from(2)
        }
    }
}

fn dispatch(command: Command) -> Result<(), Failure> {
    match command {
        Command::List => list(),
        Command::Show { id } => show(&id),
        Command::Audit(args) => audit(&args),
        Command::Limit(args) => limit::run(&args),
        Command::Figure1(args) => figure1::run(&args),
        Command::Figure2(args) => figure2::run(&args),
        Command::Uat(args) => uat::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Masks(args) => masks::run(&args),
        Command::Prune(args) => prune::run(&args),
        Command::Ntk(args) => ntk::run(&args),
        Command::Reference { table, prec } => reference(table, prec),
        Command::Power(args) => power::run(&args),
    }
}

/// `list`: one line per registered claim and the suite's false-alarm budget.
fn list() -> Result<(), Failure> {
    let mut text = String::new();
    for c in claims::registry() {
        text += &format!(
            "{:<8} {:<13} {:<14} δ={:<8} {}\n",
            c.id,
            c.source.label(),
            c.kind.label(),
            report::sig4(c.delta),
            c.title
        );
    }
    text += &format!(
        "suite false-alarm probability (union bound): {}\n",
        report::sig4(claims::false_alarm_budget())
    );
    emit(&text)
}

/// `show`: a claim's statement from theory/.
fn show(id: &str) -> Result<(), Failure> {
    claims::find(id)?;
    emit(&format!("{}\n", claims::statement(id)?.text))
}

mod check;
mod figure1;
mod figure2;
mod html;
mod limit;
mod masks;
mod ntk;
mod output;
mod power;
mod prune;
mod uat;

/// Write a command's outputs into `dir` (created if missing), all or nothing: text files, and
/// figures as PNG and SVG. Called only once everything is computed, so invalid input leaves
/// nothing behind.
pub(crate) fn write_outputs(
    dir: &Path,
    files: &[(&str, String)],
    figures: &[(&str, &pai_graphon::plot::Rendered)],
) -> Result<(), Failure> {
    output::commit(&output_files(dir, files, figures))
}

/// The (path, bytes) of a command's outputs in `dir`, for [`output::commit`].
pub(crate) fn output_files(
    dir: &Path,
    files: &[(&str, String)],
    figures: &[(&str, &pai_graphon::plot::Rendered)],
) -> Vec<(PathBuf, Vec<u8>)> {
    let mut all: Vec<(PathBuf, Vec<u8>)> = files
        .iter()
        .map(|(name, text)| (dir.join(name), text.as_bytes().to_vec()))
        .collect();
    for (stem, fig) in figures {
        all.push((dir.join(format!("{stem}.png")), fig.png.clone()));
        all.push((dir.join(format!("{stem}.svg")), fig.svg.as_bytes().to_vec()));
    }
    all
}

/// Validates `--out DIR` and the files `names` in it before anything is computed.
pub(crate) fn plan_dir(dir: Option<&Path>, names: &[&str]) -> Result<(), Failure> {
    match dir {
        Some(dir) => output::Plan::default().dir("--out", dir, names),
        None => Ok(()),
    }
}

/// Progress lines on stderr, only when it is a terminal.
pub(crate) struct Progress(pub(crate) bool);

impl Progress {
    /// Progress on stderr if it is a terminal.
    pub(crate) fn on_terminal() -> Self {
        Progress(std::io::IsTerminal::is_terminal(&std::io::stderr()))
    }

    pub(crate) fn say(&self, what: &str) {
        if self.0 {
            note(&format!("\r\x1b[2K{what}…"));
        }
    }

    pub(crate) fn done(&self) {
        if self.0 {
            note("\r\x1b[2K");
        }
    }
}

fn select(filter: Option<&str>) -> Result<Vec<Claim>, Failure> {
    let chosen = claims::select(filter);
    if chosen.is_empty() {
        return Err(Failure::Message(format!(
            "no claim id starts with {:?} (pai-graphon list shows the ids)",
            filter.unwrap_or("")
        )));
    }
    Ok(chosen)
}

pub(crate) fn master_seed(text: &str) -> Result<MasterSeed, Failure> {
    let master = MasterSeed::parse(text)?;
    if text == "random" {
        note(&format!(
            "drew master seed {master} (rerun with --seed {master})\n"
        ));
    }
    Ok(master)
}

/// `audit`'s options.
#[derive(clap::Args)]
struct AuditArgs {
    /// Only claims whose id starts with this prefix (e.g. TOOL or TOOL-2).
    #[arg(long)]
    filter: Option<String>,
    /// Multiplies sample sizes and widths (1 = the default run; at most 16).
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    scale: f64,
    #[command(flatten)]
    seed: SeedOpt,
    #[command(flatten)]
    format: FormatOpt,
    /// Also write audit.json, audit.md and report.html (claims and figures, self-contained).
    #[arg(long)]
    out: Option<PathBuf>,
}

fn audit(args: &AuditArgs) -> Result<(), Failure> {
    let (filter, scale, seed) = (args.filter.as_deref(), args.scale, args.seed.seed.as_str());
    let (format, out) = (args.format.get(), args.out.as_deref());
    if !(scale.is_finite() && scale > 0.0) {
        return Err(pai_graphon::Error::Scale(scale).into());
    }
    if scale > params::MAX_SCALE {
        return Err(Failure::Message(format!(
            "--scale {scale} exceeds the limit: at most {} (the claims' sizes grow with the \
             scale, some quadratically; beyond it they outgrow the 4 GiB memory budget)",
            params::MAX_SCALE
        )));
    }
    let chosen = select(filter)?;
    let master = master_seed(seed)?;
    plan_dir(out, &["audit.json", "audit.md", "report.html"])?;
    let progress = std::io::stderr().is_terminal();
    let mut rows: Vec<Row> = Vec::with_capacity(chosen.len());
    for (k, claim) in chosen.iter().enumerate() {
        if progress {
            note(&format!(
                "\r\x1b[2K[{}/{}] {} …",
                k + 1,
                chosen.len(),
                claim.id
            ));
        }
        rows.push(claims::run(claim, master, scale).map_err(|e| format!("{}: {e}", claim.id))?);
    }
    if progress {
        note("\r\x1b[2K");
    }
    if let Some(dir) = out {
        let html = html::report(&rows, master, scale)?;
        let files = [
            ("audit.json", report::render(&rows, Format::Json)),
            ("audit.md", report::render(&rows, Format::Markdown)),
            ("report.html", html),
        ];
        write_outputs(dir, &files, &[])?;
    }
    let printed = emit(&report::render(&rows, format));
    output::with_verdict(printed, Status::worst(rows.iter().map(|r| r.status)))
}

#[cfg(feature = "mpfr")]
fn reference(table: ReferenceTable, prec: u32) -> Result<(), Failure> {
    // The tables promise 40 digits: anything below 192 bits cannot deliver them.
    if prec < 192 {
        return Err(Failure::Message(format!(
            "--prec {prec} is too low for a 40-digit table (at least 192)"
        )));
    }
    match table {
        ReferenceTable::Normal => emit(&pai_graphon::mp::normal_reference_table(prec)?),
        ReferenceTable::TauStar => emit(&pai_graphon::mp::limit::tau_star_reference_table(prec)),
    }
}

#[cfg(not(feature = "mpfr"))]
fn reference(_table: ReferenceTable, _prec: u32) -> Result<(), Failure> {
    Err(Failure::Message(
        "this build has no MPFR: rebuild with --features mpfr (needs m4)".into(),
    ))
}
