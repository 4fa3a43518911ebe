//! `pai-graphon check`: masks made anywhere (one `.npy` mask or a stack over seeds), and
//! optionally their scores, checked against a limit graphon (an FSM spec, or one estimated from
//! the data and the method by pruning reference networks); a verdict table, exit 1 on failure,
//! exit 3 when nothing failed but some check was vacuous (its threshold at or beyond the range
//! of its statistic, so no mask could have failed it).

use crate::limited;
use crate::CommandFailure as Failure;
use crate::FormatOpt;
use pai_graphon::claims::{Check, Relation, Status};
use pai_graphon::convergence::limit::{Fsm, LimitGraphon};
use pai_graphon::convergence::noise::Noise;
use pai_graphon::external::reference::{
    check_against_references, reference_masks, references_needed,
};
use pai_graphon::external::sharp::{DeltaSplit, Options, Sharp};
use pai_graphon::external::simulate::Model;
use pai_graphon::external::{Null, Verdict};
use pai_graphon::limit_spec::{AgainstSpec, Limit, LimitSpecError};
use pai_graphon::mask::Mask;
use pai_graphon::net::criteria::{GraspVariant, Method, PruneSpec, Residual};
use pai_graphon::net::data::{load, DataSpec};
use pai_graphon::npy::{read_f64, read_masks};
use pai_graphon::params::{self, Density, Probability};
use pai_graphon::report::{sig, Format};
use pai_graphon::seed::MasterSeed;
use pai_graphon::taxonomy::fsm::{fsm_test, interaction_contrasts, ContrastLaw};
use serde::Serialize;
use std::path::{Path, PathBuf};

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
struct Row {
    /// The mask's index in the stack; null for a check of the pooled stack.
    mask: Option<usize>,
    check: String,
    observed: f64,
    threshold: f64,
    /// The largest value the statistic can take for the masks' shape (null when unbounded): a
    /// threshold at or above it makes the check vacuous.
    statistic_max: f64,
    /// `status == pass` (a vacuous check did not pass).
    passed: bool,
    status: Status,
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
    verdicts: Vec<Row>,
    /// `status == pass`.
    passed: bool,
    /// The worst verdict: fail, else vacuous, else pass.
    status: Status,
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let (seed, format) = (crate::master_seed(&args.seed)?, args.format.get());
    let against = against(args)?;
    let masks = read_masks(&args.masks)?;
    let (n, d) = (masks[0].rows(), masks[0].cols());
    let rho = match args.density {
        Some(rho) => rho,
        None => Density::new(masks[0].kept() as f64 / (n as f64 * d as f64))?,
    };
    let own_density_dropped = args.density.is_none() && matches!(against, Against::Limit(_));
    let rows: Vec<Row> = match against {
        Against::Limit(fsm) => {
            let limit = fsm.limit_graphon(rho)?;
            let split = DeltaSplit::new(args.delta, args.scores.is_some())?;
            let options = Options {
                null: args.null,
                unordered: args.unordered,
                delta: split.masks,
                replicates: args.replicates,
                seed,
                test_density: args.density.is_some(),
            };
            let model = Model::from_fsm(&fsm, n, d, rho.get())?;
            let sharp = Sharp::new(model, masks.len(), options)?;
            let mut rows: Vec<Row> = sharp.verdicts(&masks)?.into_iter().map(row).collect();
            if let Some(path) = args.scores.as_deref() {
                let scores = read_scores(path, &masks)?;
                rows.push(row(sharp.score_law(&scores, split.score_law)?));
                rows.extend(score_rows(&scores, &masks, &limit, split.fsm_form)?);
            }
            rows
        }
        Against::Method(method, data) => {
            let null = args.null;
            let count = references_needed(masks.len(), null, args.delta)?;
            let references = references(&masks, method, data, args.batch, rho, seed, count)?;
            check_against_references(&masks, &references, null, args.delta, seed)?
                .into_iter()
                .map(row)
                .collect()
        }
    };
    let status = Status::worst(rows.iter().map(|r| r.status));
    let report = Report {
        masks: args.masks.display().to_string(),
        against: match (args.data.as_deref(), args.batch) {
            (Some(data), Some(b)) => format!("{} on {data} (batch {b})", args.against.text),
            (Some(data), None) => format!("{} on {data}", args.against.text),
            _ => args.against.text.clone(),
        },
        stack: masks.len(),
        rows: n,
        cols: d,
        density: rho.get(),
        density_from_masks: args.density.is_none(),
        own_density_dropped,
        delta: args.delta.get(),
        verdicts: rows,
        passed: status == Status::Pass,
        status,
    };
    let printed = match format {
        Format::Json => crate::output::emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        )),
        _ => crate::output::emit(&table(&report)),
    };
    crate::output::with_verdict(printed, status)
}

/// What the masks are checked against.
enum Against<'a> {
    /// An FSM limit graphon.
    Limit(Fsm),
    /// A limit estimated by pruning reference networks with this method on this data set.
    Method(Method, &'a str),
}

/// `constant` (W ≡ ρ, as `ntk --graphon constant`), `fsm:ROW;COL[;NOISE]` or `method:NAME`.
fn against<'a>(args: &'a Args) -> Result<Against<'a>, Failure> {
    let fsm = match &args.against.limit {
        Limit::Method(method) => return method_against(*method, args),
        _ if args.data.is_some() || args.batch.is_some() => {
            return Err("--data and --batch belong to --against method:NAME".into());
        }
        Limit::Constant => Fsm::parse("const:1", "const:1", "gaussian:1")?,
        Limit::Fsm(fsm) => fsm.clone(),
        // An AgainstSpec never names a SNIP graphon (its parser refuses `snip`).
        Limit::Snip { .. } => {
            return Err(LimitSpecError::Unknown {
                flag: "--against",
                text: args.against.text.clone(),
            }
            .into())
        }
    };
    Ok(Against::Limit(fsm))
}

/// A method whose masks from independent initialisations share one limit (TAX-1, TAX-7).
fn method_against<'a>(method: Method, args: &'a Args) -> Result<Against<'a>, Failure> {
    let name = args.against.text.trim_start_matches("method:");
    if let Method::Snip(Residual::Plain)
    | Method::Grasp(GraspVariant::Signed | GraspVariant::Magnitude) = method
    {
        return Err(format!(
            "method:{name} has no limit shared across initialisations (its scores carry the \
             initial output, TAX-7): use random, magnitude, snip-centred or synflow"
        )
        .into());
    }
    if args.scores.is_some() {
        return Err("--scores is checked against constant or fsm:…, not method:NAME".into());
    }
    if args.unordered {
        // The columns are the data's features: their order is part of the method's limit.
        return Err(format!(
            "--unordered does not apply to method:{name}: its columns are the data's features"
        )
        .into());
    }
    match args.data.as_deref() {
        Some(data) => Ok(Against::Method(method, data)),
        None => Err(format!(
            "--against method:{name} needs --data (the set the masks were pruned on)"
        )
        .into()),
    }
}

/// `count` reference masks ([`references_needed`]): `method` at density `rho` on networks of
/// the masks' shape, initialised on the streams `check/reference/K` (K = 0, 1, …), which
/// `prune` never uses, so the references are independent of masks this crate made with any
/// seed. Past 100 references a progress line goes to stderr every tenth of the way.
fn references(
    masks: &[Mask],
    method: Method,
    data: &str,
    batch: Option<usize>,
    rho: Density,
    seed: MasterSeed,
    count: usize,
) -> Result<Vec<Mask>, Failure> {
    let data = load(&DataSpec::parse(data)?, seed, crate::prune::DATA_LABEL)?;
    let (n, d) = (masks[0].rows(), masks[0].cols());
    if d != data.d {
        return Err(format!(
            "the masks have {d} columns but --data has {} inputs",
            data.d
        )
        .into());
    }
    let spec = PruneSpec {
        batch,
        ..PruneSpec::new(method, rho)
    };
    let step = count.div_ceil(10);
    let progress = |done: usize| {
        if count > 100 && done % step == 0 {
            eprintln!("check: {done} of {count} reference masks pruned");
        }
    };
    Ok(reference_masks(n, &data, &spec, seed, count, progress)?)
}

fn row(v: Verdict) -> Row {
    Row {
        mask: v.mask,
        check: v.check.to_string(),
        observed: v.observed,
        threshold: v.threshold,
        statistic_max: v.max,
        passed: v.status == Status::Pass,
        status: v.status,
    }
}

/// The scores of `--scores`, in the masks' shape.
fn read_scores(path: &Path, masks: &[Mask]) -> Result<Vec<f64>, Failure> {
    let (n, d) = (masks[0].rows(), masks[0].cols());
    let a = read_f64(path)?;
    let expected = if masks.len() == 1 {
        vec![n, d]
    } else {
        vec![masks.len(), n, d]
    };
    if a.shape != expected {
        return Err(format!(
            "--scores {} has shape {:?}, expected {expected:?} (as the masks)",
            path.display(),
            a.shape
        )
        .into());
    }
    Ok(a.data)
}

/// The FSM-form test of each mask's scores (interaction contrasts against the law of the
/// spec's noise), δ split evenly over the masks.
fn score_rows(
    scores: &[f64],
    masks: &[Mask],
    limit: &LimitGraphon,
    delta: f64,
) -> Result<Vec<Row>, Failure> {
    let (n, d) = (masks[0].rows(), masks[0].cols());
    let law = match limit.fsm.noise {
        Noise::Gaussian(_) => ContrastLaw::Gaussian,
        Noise::Uniform(_) => ContrastLaw::Uniform,
    };
    scores
        .chunks_exact(n * d)
        .enumerate()
        .map(|(mask, scores)| {
            let c = interaction_contrasts(scores, n, d)?;
            let t = fsm_test(&c.values, law, delta / masks.len() as f64)?;
            let observed = t.normalised();
            // The variance ratio is unbounded above: this check can always fail.
            let status = Check::new(observed, 1.0, Relation::AtMost)
                .within(0.0, f64::INFINITY)
                .status();
            Ok(Row {
                mask: Some(mask),
                check: format!("FSM form of the scores ({})", law.name()),
                observed,
                threshold: 1.0,
                statistic_max: f64::INFINITY,
                passed: status == Status::Pass,
                status,
            })
        })
        .collect()
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
