//! The whole `check` pipeline, shared by `pai-graphon check` and the Python package: masks made
//! anywhere (and optionally their scores) against an FSM limit graphon ([`Sharp`]'s checks, the
//! score law and the FSM form of the scores) or against a limit estimated by pruning reference
//! networks with this crate ([`check_against_references`]). Moved here from the binary so both
//! front ends run the same code.
//!
//! ```
//! use pai_graphon::external::check::{check_masks, CheckSpec};
//! use pai_graphon::mask::top_k_mask;
//! let scores: Vec<f64> = (0..64 * 64).map(|x| ((x * 7919) % 4099) as f64).collect();
//! let mask = top_k_mask(64, 64, &scores, 820).unwrap();
//! let spec = CheckSpec::new("constant".parse().unwrap());
//! let outcome = check_masks(&[mask], None, &spec, |_, _| {}).unwrap();
//! // ρ defaults to the mask's own density, whose row is then left out.
//! assert_eq!(outcome.density, 820.0 / 4096.0);
//! assert!(outcome.own_density_dropped && !outcome.rows.is_empty());
//! ```

use super::reference::{check_against_references, reference_masks, references_needed};
use super::sharp::{DeltaSplit, Options, Sharp};
use super::simulate::Model;
use super::{Null, Verdict};
use crate::convergence::limit::{Fsm, LimitGraphon};
use crate::convergence::noise::Noise;
use crate::limit_spec::{AgainstSpec, Limit, LimitSpecError};
use crate::mask::Mask;
use crate::net::criteria::{GraspVariant, Method, PruneSpec, Residual, PRUNE_DATA_LABEL};
use crate::net::data::{load, DataSpec};
use crate::params::{Density, Probability};
use crate::seed::MasterSeed;
use crate::taxonomy::fsm::{fsm_test, interaction_contrasts, ContrastLaw};
use crate::verdict::{Check, Relation, Status};
use serde::Serialize;
use std::fmt;

/// What to check masks against and how (the options of `pai-graphon check`).
///
/// ```
/// use pai_graphon::external::check::CheckSpec;
/// let s = CheckSpec::new("fsm:exp:3;exp:3".parse().unwrap());
/// assert_eq!((s.delta.get(), s.unordered, s.replicates), (1e-3, false, None));
/// ```
#[derive(Clone, Debug)]
pub struct CheckSpec {
    /// The limit: `constant`, `fsm:ROW;COL[;NOISE]` or `method:NAME`.
    pub against: AgainstSpec,
    /// The data set of `method:NAME` (as `prune --data`).
    pub data: Option<String>,
    /// The pruning batch of `method:NAME` (`None`: the whole set).
    pub batch: Option<usize>,
    /// The master seed of the Monte Carlo replicates and the reference networks.
    pub seed: MasterSeed,
    /// The limit's density (`None`: the first mask's density, which is then not tested).
    pub density: Option<Density>,
    /// Total false-rejection probability of the checks.
    pub delta: Probability,
    /// What must pass: any algorithm with this limit, or this crate's top-k sampler.
    pub null: Null,
    /// Test only what relabelling rows and columns leaves unchanged.
    pub unordered: bool,
    /// Monte Carlo replicates per null (`None`: the fewest that can reject at δ).
    pub replicates: Option<usize>,
}

impl CheckSpec {
    /// The command's defaults: seed `default`, ρ from the masks, δ = 10⁻³, null `limit`.
    ///
    /// ```
    /// use pai_graphon::external::{check::CheckSpec, Null};
    /// let s = CheckSpec::new("constant".parse().unwrap());
    /// assert!(s.density.is_none() && s.null == Null::Limit && s.data.is_none());
    /// ```
    pub fn new(against: AgainstSpec) -> Self {
        CheckSpec {
            against,
            data: None,
            batch: None,
            seed: MasterSeed::default(),
            density: None,
            delta: Probability::new(1e-3).expect("10⁻³ is a probability"),
            null: Null::Limit,
            unordered: false,
            replicates: None,
        }
    }
}

/// Options of a [`CheckSpec`] that contradict each other or the masks.
///
/// ```
/// use pai_graphon::external::check::{check_masks, CheckError, CheckSpec};
/// use pai_graphon::mask::top_k_mask;
/// let m = top_k_mask(2, 2, &[1.0, 2.0, 3.0, 4.0], 2).unwrap();
/// let spec = CheckSpec::new("method:snip-centred".parse().unwrap());
/// let e = check_masks(&[m], None, &spec, |_, _| {}).unwrap_err();
/// assert!(matches!(e, CheckError::NeedsData { .. }));
/// ```
#[derive(Debug)]
pub enum CheckError {
    /// `data` or `batch` given with a limit that is not `method:NAME`.
    DataWithoutMethod,
    /// A method whose masks share no limit across initialisations (TAX-7).
    NoSharedLimit {
        /// The method's name.
        name: String,
    },
    /// Scores are checked against `constant` or `fsm:…` only.
    ScoresWithMethod,
    /// `unordered` does not apply to a method's limit (its columns are features).
    UnorderedWithMethod {
        /// The method's name.
        name: String,
    },
    /// `method:NAME` needs the data set the masks were pruned on.
    NeedsData {
        /// The method's name.
        name: String,
    },
    /// The masks' columns differ from the data's inputs.
    Columns {
        /// Columns of the masks.
        masks: usize,
        /// Inputs of the data.
        data: usize,
    },
    /// The scores' shape differs from the masks'.
    ScoresShape {
        /// The scores' shape.
        got: Vec<usize>,
        /// The masks' shape.
        expected: Vec<usize>,
    },
    /// No mask to check.
    NoMasks,
    /// A spec the limit grammar refuses.
    Spec(LimitSpecError),
    /// An error of a lower layer (invalid density, data, references, ...).
    Lib(crate::Error),
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckError::DataWithoutMethod => {
                write!(f, "--data and --batch belong to --against method:NAME")
            }
            CheckError::NoSharedLimit { name } => write!(
                f,
                "method:{name} has no limit shared across initialisations (its scores carry the \
                 initial output, TAX-7): use random, magnitude, snip-centred or synflow"
            ),
            CheckError::ScoresWithMethod => {
                write!(
                    f,
                    "--scores is checked against constant or fsm:…, not method:NAME"
                )
            }
            CheckError::UnorderedWithMethod { name } => write!(
                f,
                "--unordered does not apply to method:{name}: its columns are the data's features"
            ),
            CheckError::NeedsData { name } => write!(
                f,
                "--against method:{name} needs --data (the set the masks were pruned on)"
            ),
            CheckError::Columns { masks, data } => write!(
                f,
                "the masks have {masks} columns but --data has {data} inputs"
            ),
            CheckError::ScoresShape { got, expected } => write!(
                f,
                "--scores has shape {got:?}, expected {expected:?} (as the masks)"
            ),
            CheckError::NoMasks => write!(f, "no mask to check"),
            CheckError::Spec(e) => e.fmt(f),
            CheckError::Lib(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for CheckError {}

macro_rules! lib_errors {
    ($($ty:ty),*) => {$(
        impl From<$ty> for CheckError {
            fn from(e: $ty) -> Self {
                CheckError::Lib(e.into())
            }
        }
    )*};
}

lib_errors!(
    crate::Error,
    crate::convergence::ConvergenceError,
    crate::net::NetError,
    crate::taxonomy::TaxonomyError,
    crate::params::ParamError,
    crate::params::FractionError,
    super::ExternalError,
    super::reference::ReferenceError
);

/// One verdict row (the JSON rows of `pai-graphon check --format json`).
///
/// ```
/// use pai_graphon::external::check::CheckRow;
/// use pai_graphon::verdict::Status;
/// let r = CheckRow { mask: None, check: "density".into(), observed: 0.1, threshold: 0.2,
///     statistic_max: 1.0, passed: true, status: Status::Pass };
/// assert!(serde_json::to_string(&r).unwrap().contains("\"passed\":true"));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckRow {
    /// The mask's index in the stack; `None` for a check of the pooled stack.
    pub mask: Option<usize>,
    /// The statistic's name.
    pub check: String,
    /// The statistic.
    pub observed: f64,
    /// Its threshold.
    pub threshold: f64,
    /// The largest value the statistic can take for the masks' shape (a threshold at or above
    /// it makes the check vacuous).
    pub statistic_max: f64,
    /// `status == pass` (a vacuous check did not pass).
    pub passed: bool,
    /// Pass, fail or vacuous.
    pub status: Status,
}

impl From<Verdict> for CheckRow {
    fn from(v: Verdict) -> Self {
        CheckRow {
            mask: v.mask,
            check: v.check.to_string(),
            observed: v.observed,
            threshold: v.threshold,
            statistic_max: v.max,
            passed: v.status == Status::Pass,
            status: v.status,
        }
    }
}

/// The verdicts of [`check_masks`].
///
/// ```
/// use pai_graphon::external::check::CheckOutcome;
/// use pai_graphon::verdict::Status;
/// let o = CheckOutcome { density: 0.2, own_density_dropped: true, rows: vec![], status: Status::Pass };
/// assert_eq!(o.status, Status::Pass);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CheckOutcome {
    /// The limit's density ρ (given, or the first mask's).
    pub density: f64,
    /// The first mask's density row was left out (ρ is its own density).
    pub own_density_dropped: bool,
    /// The verdicts, in the command's order.
    pub rows: Vec<CheckRow>,
    /// The worst verdict: fail, else vacuous, else pass.
    pub status: Status,
}

/// Checks a stack of equally shaped masks (and their scores, `[stack, n, d]` or `[n, d]` for one
/// mask, row-major) against `spec`. `progress(done, count)` is called as reference masks of
/// `method:NAME` are pruned.
///
/// ```
/// use pai_graphon::external::check::{check_masks, CheckSpec};
/// use pai_graphon::mask::top_k_mask;
/// // A mask that keeps the first rows only is far from W ≡ ρ.
/// let scores: Vec<f64> = (0..64 * 64).map(|x| -(x as f64)).collect();
/// let mask = top_k_mask(64, 64, &scores, 820).unwrap();
/// let spec = CheckSpec::new("constant".parse().unwrap());
/// assert!(check_masks(&[mask], None, &spec, |_, _| {}).unwrap().rows.iter().any(|r| !r.passed));
/// ```
pub fn check_masks(
    masks: &[Mask],
    scores: Option<(&[usize], &[f64])>,
    spec: &CheckSpec,
    progress: impl Fn(usize, usize) + Sync,
) -> Result<CheckOutcome, CheckError> {
    let first = masks.first().ok_or(CheckError::NoMasks)?;
    let (n, d) = (first.rows(), first.cols());
    let against = against(spec, scores.is_some())?;
    let rho = match spec.density {
        Some(rho) => rho,
        None => Density::new(first.kept() as f64 / (n as f64 * d as f64))?,
    };
    let own_density_dropped = spec.density.is_none() && matches!(against, Against::Limit(_));
    let rows: Vec<CheckRow> = match against {
        Against::Limit(fsm) => {
            let limit = fsm.limit_graphon(rho)?;
            let split = DeltaSplit::new(spec.delta, scores.is_some())?;
            let options = Options {
                null: spec.null,
                unordered: spec.unordered,
                delta: split.masks,
                replicates: spec.replicates,
                seed: spec.seed,
                test_density: spec.density.is_some(),
            };
            let model = Model::from_fsm(&fsm, n, d, rho.get())?;
            let sharp = Sharp::new(model, masks.len(), options)?;
            let mut rows: Vec<CheckRow> = sharp
                .verdicts(masks)?
                .into_iter()
                .map(CheckRow::from)
                .collect();
            if let Some((shape, scores)) = scores {
                let expected = if masks.len() == 1 {
                    vec![n, d]
                } else {
                    vec![masks.len(), n, d]
                };
                if shape != expected.as_slice() {
                    let got = shape.to_vec();
                    return Err(CheckError::ScoresShape { got, expected });
                }
                rows.push(sharp.score_law(scores, split.score_law)?.into());
                rows.extend(score_rows(scores, masks, &limit, split.fsm_form)?);
            }
            rows
        }
        Against::Method(method, data) => {
            let count = references_needed(masks.len(), spec.null, spec.delta)?;
            let references = references(masks, method, data, spec, rho, count, &progress)?;
            check_against_references(masks, &references, spec.null, spec.delta, spec.seed)?
                .into_iter()
                .map(CheckRow::from)
                .collect()
        }
    };
    let status = Status::worst(rows.iter().map(|r| r.status));
    Ok(CheckOutcome {
        density: rho.get(),
        own_density_dropped,
        rows,
        status,
    })
}

/// What the masks are checked against.
enum Against<'a> {
    /// An FSM limit graphon.
    Limit(Fsm),
    /// A limit estimated by pruning reference networks with this method on this data set.
    Method(Method, &'a str),
}

/// `constant` (W ≡ ρ, as `ntk --graphon constant`), `fsm:ROW;COL[;NOISE]` or `method:NAME`.
fn against(spec: &CheckSpec, with_scores: bool) -> Result<Against<'_>, CheckError> {
    let fsm = match &spec.against.limit {
        Limit::Method(method) => return method_against(*method, spec, with_scores),
        _ if spec.data.is_some() || spec.batch.is_some() => {
            return Err(CheckError::DataWithoutMethod);
        }
        Limit::Constant => Fsm::parse("const:1", "const:1", "gaussian:1")?,
        Limit::Fsm(fsm) => fsm.clone(),
        // An AgainstSpec never names a SNIP graphon (its parser refuses `snip`).
        Limit::Snip { .. } => {
            return Err(CheckError::Spec(LimitSpecError::Unknown {
                flag: "--against",
                text: spec.against.text.clone(),
            }))
        }
    };
    Ok(Against::Limit(fsm))
}

/// A method whose masks from independent initialisations share one limit (TAX-1, TAX-7).
fn method_against(
    method: Method,
    spec: &CheckSpec,
    with_scores: bool,
) -> Result<Against<'_>, CheckError> {
    let name = spec.against.text.trim_start_matches("method:").to_string();
    if let Method::Snip(Residual::Plain)
    | Method::Grasp(GraspVariant::Signed | GraspVariant::Magnitude) = method
    {
        return Err(CheckError::NoSharedLimit { name });
    }
    if with_scores {
        return Err(CheckError::ScoresWithMethod);
    }
    if spec.unordered {
        return Err(CheckError::UnorderedWithMethod { name });
    }
    match spec.data.as_deref() {
        Some(data) => Ok(Against::Method(method, data)),
        None => Err(CheckError::NeedsData { name }),
    }
}

/// `count` reference masks ([`references_needed`]): `method` at density `rho` on networks of
/// the masks' shape, initialised on the streams `check/reference/K` (K = 0, 1, …), which
/// `prune` never uses, so the references are independent of masks this crate made with any
/// seed.
fn references(
    masks: &[Mask],
    method: Method,
    data: &str,
    spec: &CheckSpec,
    rho: Density,
    count: usize,
    progress: &(impl Fn(usize, usize) + Sync),
) -> Result<Vec<Mask>, CheckError> {
    let data = load(&DataSpec::parse(data)?, spec.seed, PRUNE_DATA_LABEL)?;
    let (n, d) = (masks[0].rows(), masks[0].cols());
    if d != data.d {
        return Err(CheckError::Columns {
            masks: d,
            data: data.d,
        });
    }
    let prune_spec = PruneSpec {
        batch: spec.batch,
        ..PruneSpec::new(method, rho)
    };
    let done = |k: usize| progress(k, count);
    Ok(reference_masks(
        n,
        &data,
        &prune_spec,
        spec.seed,
        count,
        done,
    )?)
}

/// The FSM-form test of each mask's scores (interaction contrasts against the law of the
/// spec's noise), δ split evenly over the masks.
fn score_rows(
    scores: &[f64],
    masks: &[Mask],
    limit: &LimitGraphon,
    delta: f64,
) -> Result<Vec<CheckRow>, CheckError> {
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
            Ok(CheckRow {
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
