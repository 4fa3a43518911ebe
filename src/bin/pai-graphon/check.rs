//! `pai-graphon check`: masks made anywhere (one `.npy` mask or a stack over seeds), and
//! optionally their scores, checked against a limit graphon (an FSM spec, or one estimated from
//! the data and the method by pruning reference networks); a verdict table, exit 1 on failure,
//! exit 3 when nothing failed but some check was vacuous (its threshold at or beyond the range
//! of its statistic, so no mask could have failed it).

use crate::limited;
use crate::CommandFailure as Failure;
use crate::FormatOpt;
use pai_graphon::claims::Status;
use pai_graphon::external::check::{check_masks, CheckRow, CheckSpec};
use pai_graphon::external::Null;
use pai_graphon::limit_spec::AgainstSpec;
use pai_graphon::npy::{read_f64, read_masks};
use pai_graphon::params::{self, Density, Probability};
use pai_graphon::report::{sig, Format};
use serde::Serialize;
use std::path::PathBuf;

/// `check`'s options (the command's doc is in main.rs).
#[derive(clap::Args)]
pub struct Args {
    /// The masks (.npy, uint8 or bool, entries 0/1).
    #[arg(long)]
    pub masks: PathBuf,
    /// Their scores (.npy, float32 or float64, the masks' shape).
    #[arg(long)]
    pub scores: Option<PathBuf>,
    /// The limit: constant (W ≡ ρ), fsm:ROW;COL[;NOISE], e.g. fsm:exp:3;exp:3;gaussian:1, or
    /// method:NAME (random, magnitude, snip-centred or synflow), a limit estimated by pruning
    /// networks of the masks' shape with this crate on --data.
    #[arg(long)]
    pub against: AgainstSpec,
    /// The data set of --against method:… (as `prune --data`).
    #[arg(long)]
    pub data: Option<String>,
    /// The pruning batch of --against method:… (as `prune --batch`; default: the whole set).
    #[arg(long, value_parser = limited(params::BATCH))]
    pub batch: Option<usize>,
    /// Master seed of --against method:…'s reference networks: default, random, or
    /// hexadecimal (their streams `check/reference/K` are never used by `prune`).
    #[arg(long, default_value = "default")]
    pub seed: String,
    /// The limit's density ρ in (0, 1) (default: the first mask's density).
    #[arg(long, allow_negative_numbers = true)]
    pub density: Option<Density>,
    /// Total false-rejection probability of the checks.
    #[arg(long, default_value = "1e-3", allow_negative_numbers = true)]
    pub delta: Probability,
    /// What must pass: `limit` (masks of any algorithm with this limit: top-k and
    /// frozen-threshold masks) or `sampler` (this crate's top-k law at this size: exact kept
    /// count).
    #[arg(long, default_value = "limit")]
    pub null: Null,
    /// Test only what relabelling rows and columns leaves unchanged (the graphon's
    /// equivalence class), not positions.
    #[arg(long)]
    pub unordered: bool,
    /// Monte Carlo replicates per null (default: the fewest that can reject at δ).
    #[arg(long, value_parser = limited(params::REPLICATES))]
    pub replicates: Option<usize>,
    #[command(flatten)]
    pub format: FormatOpt,
}

#[derive(Serialize)]
struct Report {
    masks: String,
    against: String,
    stack: usize,
    rows: usize,
    cols: usize,
    density: f64,
    density_from_masks: bool,
    /// The first mask's density row was left out (ρ is its own density).
    #[serde(skip)]
    own_density_dropped: bool,
    delta: f64,
    verdicts: Vec<CheckRow>,
    /// `status == pass`.
    passed: bool,
    /// The worst verdict: fail, else vacuous, else pass.
    status: Status,
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let format = args.format.get();
    let spec = CheckSpec {
        against: args.against.clone(),
        data: args.data.clone(),
        batch: args.batch,
        seed: crate::master_seed(&args.seed)?,
        density: args.density,
        delta: args.delta,
        null: args.null,
        unordered: args.unordered,
        replicates: args.replicates,
    };
    let masks = read_masks(&args.masks)?;
    let scores = args.scores.as_deref().map(read_f64).transpose()?;
    let scores = scores
        .as_ref()
        .map(|a| (a.shape.as_slice(), a.data.as_slice()));
    // Past 100 references a progress line goes to stderr every tenth of the way.
    let progress = |done: usize, count: usize| {
        if count > 100 && done % count.div_ceil(10) == 0 {
            eprintln!("check: {done} of {count} reference masks pruned");
        }
    };
    let outcome = check_masks(&masks, scores, &spec, progress)?;
    let report = Report {
        masks: args.masks.display().to_string(),
        against: match (args.data.as_deref(), args.batch) {
            (Some(data), Some(b)) => format!("{} on {data} (batch {b})", args.against.text),
            (Some(data), None) => format!("{} on {data}", args.against.text),
            _ => args.against.text.clone(),
        },
        stack: masks.len(),
        rows: masks[0].rows(),
        cols: masks[0].cols(),
        density: outcome.density,
        density_from_masks: args.density.is_none(),
        own_density_dropped: outcome.own_density_dropped,
        delta: args.delta.get(),
        verdicts: outcome.rows,
        passed: outcome.status == Status::Pass,
        status: outcome.status,
    };
    let printed = match format {
        Format::Json => crate::output::emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        )),
        _ => crate::output::emit(&table(&report)),
    };
    crate::output::with_verdict(printed, outcome.status)
}

fn table(r: &Report) -> String {
    let mut t = format!(
        "{} ({} mask{} of {} × {}) against {} at ρ = {}{}, δ = {}\n",
        r.masks,
        r.stack,
        if r.stack == 1 { "" } else { "s" },
        r.rows,
        r.cols,
        r.against,
        sig(r.density, 6),
        match (r.density_from_masks, r.own_density_dropped) {
            (true, true) => " (the first mask's: the density is not tested)",
            (true, false) => " (the first mask's)",
            _ => "",
        },
        sig(r.delta, 6)
    );
    t += &format!(
        "{:>5}  {:<40} {:>12} {:>12}  verdict\n",
        "mask", "check", "observed", "threshold"
    );
    for v in &r.verdicts {
        t += &format!(
            "{:>5}  {:<40} {:>12} {:>12}  {}\n",
            v.mask.map_or("all".to_string(), |k| k.to_string()),
            v.check,
            sig(v.observed, 4),
            sig(v.threshold, 4),
            match v.status {
                Status::Pass => "pass",
                Status::Fail => "FAIL",
                Status::Vacuous => "VACUOUS",
            }
        );
    }
    let count = |s: Status| r.verdicts.iter().filter(|v| v.status == s).count();
    let vacuous = match count(Status::Vacuous) {
        0 => String::new(),
        k => format!(
            ", {k} vacuous (the threshold is at or beyond the range of the statistic: no mask of \
             this shape could fail it at this δ)"
        ),
    };
    t += &format!(
        "{} of {} checks passed{vacuous}{}\n",
        count(Status::Pass),
        r.verdicts.len(),
        if count(Status::Fail) == 0 {
            ""
        } else {
            ": the masks do not fit this limit"
        }
    );
    t
}
