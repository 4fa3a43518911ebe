//! What `pai-graphon prune` reports of a pruning, computed here so the report and other callers
//! get the same numbers as the command line (issue #19: no mathematics in the binary).
//!
//! ```
//! use pai_graphon::taxonomy::summary::{LCB_DELTA, FSM_DELTA};
//! assert_eq!((LCB_DELTA, FSM_DELTA), (1e-3, 1e-3));
//! ```

use crate::net::criteria::{PruneSpec, Pruned};
use crate::net::data::DataSet;
use crate::seed::MasterSeed;
use crate::taxonomy::fsm::{anova_fit, fsm_test, interaction_contrasts, ContrastLaw};
use crate::taxonomy::stats::{heterogeneity_lcb, mask_stats, DegreeSummary};
use serde::Serialize;

/// Failure probability of the heterogeneity lower confidence bound.
///
/// ```
/// assert_eq!(pai_graphon::taxonomy::summary::LCB_DELTA, 1e-3);
/// ```
pub const LCB_DELTA: f64 = 1e-3;
/// False-rejection probability of the FSM interaction-contrast test.
///
/// ```
/// assert_eq!(pai_graphon::taxonomy::summary::FSM_DELTA, 1e-3);
/// ```
pub const FSM_DELTA: f64 = 1e-3;

/// The degree law of one side of a mask (rows or columns), as `prune` reports it.
///
/// ```
/// use pai_graphon::net::criteria::{prune, Method, PruneSpec};
/// use pai_graphon::net::{data, network::Network};
/// use pai_graphon::params::Density;
/// use pai_graphon::seed::MasterSeed;
/// use pai_graphon::taxonomy::summary::summarise;
/// let seed = MasterSeed::default();
/// let set = data::load(&data::DataSpec::parse("digits").unwrap(), seed, "DOC").unwrap();
/// let net = Network::init(16, set.d, seed, "DOC").unwrap();
/// let spec = PruneSpec::new(Method::Magnitude, Density::constant(0.25));
/// let s = summarise(&spec, &set, &prune(&net, &set, &spec, seed, "DOC").unwrap(), seed, 16);
/// assert_eq!(s.row_degrees.mean, 0.25); // degrees as fractions: ρ on average
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct Degrees {
    /// The smallest degree.
    pub min: f64,
    /// The largest degree.
    pub max: f64,
    /// The mean degree.
    pub mean: f64,
    /// The degrees' variance.
    pub variance: f64,
    /// How many have degree 0.
    pub zeros: usize,
}

/// The reported fields of a [`DegreeSummary`].
///
/// ```
/// use pai_graphon::net::criteria::{prune, Method, PruneSpec};
/// use pai_graphon::net::{data, network::Network};
/// use pai_graphon::params::Density;
/// use pai_graphon::seed::MasterSeed;
/// use pai_graphon::taxonomy::summary::summarise;
/// let seed = MasterSeed::default();
/// let set = data::load(&data::DataSpec::parse("digits").unwrap(), seed, "DOC").unwrap();
/// let net = Network::init(16, set.d, seed, "DOC").unwrap();
/// let spec = PruneSpec::new(Method::Magnitude, Density::constant(0.25));
/// let s = summarise(&spec, &set, &prune(&net, &set, &spec, seed, "DOC").unwrap(), seed, 16);
/// assert_eq!(s.col_degrees.zeros, s.col_degrees.zeros.min(64));
/// ```
impl From<&DegreeSummary> for Degrees {
    fn from(s: &DegreeSummary) -> Self {
        Degrees {
            min: s.min,
            max: s.max,
            mean: s.mean,
            variance: s.variance,
            zeros: s.zeros,
        }
    }
}

/// The heterogeneity lower confidence bound at level `delta` (absent when it cannot be computed).
///
/// ```
/// use pai_graphon::net::criteria::{prune, Method, PruneSpec};
/// use pai_graphon::net::{data, network::Network};
/// use pai_graphon::params::Density;
/// use pai_graphon::seed::MasterSeed;
/// use pai_graphon::taxonomy::summary::summarise;
/// let seed = MasterSeed::default();
/// let set = data::load(&data::DataSpec::parse("digits").unwrap(), seed, "DOC").unwrap();
/// let net = Network::init(16, set.d, seed, "DOC").unwrap();
/// let spec = PruneSpec::new(Method::Magnitude, Density::constant(0.25));
/// let s = summarise(&spec, &set, &prune(&net, &set, &spec, seed, "DOC").unwrap(), seed, 16);
/// assert_eq!(s.heterogeneity_lcb.map(|l| l.delta), Some(1e-3));
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct Lcb {
    /// The failure probability δ.
    pub delta: f64,
    /// The lower confidence bound on t(C4) − ρ⁴.
    pub lcb: f64,
    /// Its row-degree part.
    pub row: f64,
    /// Its column-degree part.
    pub col: f64,
}

/// The two-way ANOVA fit of the scores to the FSM form.
///
/// ```
/// use pai_graphon::net::criteria::{prune, Method, PruneSpec};
/// use pai_graphon::net::{data, network::Network};
/// use pai_graphon::params::Density;
/// use pai_graphon::seed::MasterSeed;
/// use pai_graphon::taxonomy::summary::summarise;
/// let seed = MasterSeed::default();
/// let set = data::load(&data::DataSpec::parse("digits").unwrap(), seed, "DOC").unwrap();
/// let net = Network::init(16, set.d, seed, "DOC").unwrap();
/// let spec = PruneSpec::new(Method::Magnitude, Density::constant(0.25));
/// let s = summarise(&spec, &set, &prune(&net, &set, &spec, seed, "DOC").unwrap(), seed, 16);
/// assert!(s.fsm_anova.is_some_and(|a| a.residual_variance >= 0.0));
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct Anova {
    /// Row blocks of the fit.
    pub block_rows: usize,
    /// Column blocks of the fit.
    pub block_cols: usize,
    /// Zero scores left out of the fit.
    pub zeros_excluded: usize,
    /// The residual variance.
    pub residual_variance: f64,
    /// The residuals' ratio to the Gaussian law.
    pub gaussian_ratio: f64,
}

/// The FSM interaction-contrast test of the scores (Gaussian law, level `delta`).
///
/// ```
/// use pai_graphon::net::criteria::{prune, Method, PruneSpec};
/// use pai_graphon::net::{data, network::Network};
/// use pai_graphon::params::Density;
/// use pai_graphon::seed::MasterSeed;
/// use pai_graphon::taxonomy::summary::summarise;
/// let seed = MasterSeed::default();
/// let set = data::load(&data::DataSpec::parse("digits").unwrap(), seed, "DOC").unwrap();
/// let net = Network::init(16, set.d, seed, "DOC").unwrap();
/// let spec = PruneSpec::new(Method::Magnitude, Density::constant(0.25));
/// let s = summarise(&spec, &set, &prune(&net, &set, &spec, seed, "DOC").unwrap(), seed, 16);
/// assert!(s.fsm_contrasts.is_some_and(|t| t.law == "gaussian" && t.delta == 1e-3));
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct ContrastTest {
    /// The contrasts' null law.
    pub law: &'static str,
    /// The false-rejection probability.
    pub delta: f64,
    /// Contrasts tested.
    pub count: usize,
    /// Contrasts skipped (zero scores).
    pub skipped: usize,
    /// The KS statistic.
    pub ks_statistic: f64,
    /// Its threshold.
    pub ks_threshold: f64,
    /// Whether the KS part accepts.
    pub ks_accepts: bool,
    /// The variance ratio.
    pub variance_ratio: f64,
    /// Its lower acceptance bound.
    pub ratio_low: f64,
    /// Its upper acceptance bound.
    pub ratio_high: f64,
    /// Whether the variance part accepts.
    pub variance_accepts: bool,
    /// Whether the test accepts the FSM form.
    pub accepted: bool,
}

/// What `pai-graphon prune` reports of one pruning (its `stats.json`): the mask's degrees,
/// t(C4) − ρ⁴ and its lower confidence bound, and the FSM fit and test of the scores.
///
/// ```
/// use pai_graphon::net::criteria::{prune, Method, PruneSpec};
/// use pai_graphon::net::{data, network::Network};
/// use pai_graphon::params::Density;
/// use pai_graphon::seed::MasterSeed;
/// use pai_graphon::taxonomy::summary::summarise;
/// let seed = MasterSeed::default();
/// let set = data::load(&data::DataSpec::parse("digits").unwrap(), seed, "DOC").unwrap();
/// let net = Network::init(16, set.d, seed, "DOC").unwrap();
/// let spec = PruneSpec::new(Method::Magnitude, Density::constant(0.25));
/// let s = summarise(&spec, &set, &prune(&net, &set, &spec, seed, "DOC").unwrap(), seed, 16);
/// assert_eq!((s.kept, s.width, s.input_dim), (256, 16, 64)); // 0.25 · 16 · 64
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// The criterion's name.
    pub method: String,
    /// The data set's name.
    pub data: String,
    /// The master seed.
    pub seed: String,
    /// The hidden width n.
    pub width: usize,
    /// The input dimension d.
    pub input_dim: usize,
    /// The data set's rows.
    pub samples: usize,
    /// The pruning batch (`None`: all rows).
    pub batch: Option<usize>,
    /// The pruning rounds.
    pub rounds: usize,
    /// The density ρ asked for.
    pub requested_density: f64,
    /// Entries kept.
    pub kept: u64,
    /// The kept fraction.
    pub density: f64,
    /// The hidden neurons' degrees.
    pub row_degrees: Degrees,
    /// The inputs' degrees.
    pub col_degrees: Degrees,
    /// Inputs constant over the data.
    pub constant_columns: usize,
    /// Constant inputs with degree 0.
    pub zero_columns_constant: usize,
    /// t(C4) of the mask.
    pub c4: f64,
    /// t(C4) − ρ⁴ in f64.
    pub heterogeneity: f64,
    /// t(C4) − ρ⁴ as an exact rational.
    pub heterogeneity_exact: String,
    /// Its lower confidence bound.
    pub heterogeneity_lcb: Option<Lcb>,
    /// The FSM fit of the scores.
    pub fsm_anova: Option<Anova>,
    /// The FSM contrast test of the scores.
    pub fsm_contrasts: Option<ContrastTest>,
    /// Why a section is missing (the library's message), if one is.
    /// What could not be computed, and why.
    pub unavailable: Vec<String>,
}

/// The summary of a pruning of `data` at `width` by `spec` (seed recorded as given). What
/// cannot be computed (a heterogeneity bound, a fit or test on degenerate scores) is listed in
/// `unavailable` with its reason instead.
///
/// ```
/// use pai_graphon::net::criteria::{prune, Method, PruneSpec};
/// use pai_graphon::net::{data, network::Network};
/// use pai_graphon::params::Density;
/// use pai_graphon::seed::MasterSeed;
/// use pai_graphon::taxonomy::summary::summarise;
/// let seed = MasterSeed::default();
/// let set = data::load(&data::DataSpec::parse("digits").unwrap(), seed, "DOC").unwrap();
/// let net = Network::init(16, set.d, seed, "DOC").unwrap();
/// let spec = PruneSpec::new(Method::Magnitude, Density::constant(0.25));
/// let s = summarise(&spec, &set, &prune(&net, &set, &spec, seed, "DOC").unwrap(), seed, 16);
/// assert_eq!(s.kept, 256);
/// assert_eq!(s.requested_density, 0.25);
/// ```
pub fn summarise(
    spec: &PruneSpec,
    data: &DataSet,
    pruned: &Pruned,
    seed: MasterSeed,
    width: usize,
) -> Summary {
    let stats = mask_stats(&pruned.mask);
    let constant = data.constant_columns();
    let col_deg = pruned.mask.column_degrees();
    let mut unavailable = Vec::new();
    let mut keep = |what: &str, e: crate::Error| unavailable.push(format!("{what}: {e}"));
    let lcb = match heterogeneity_lcb(&pruned.mask, LCB_DELTA) {
        Ok(h) => Some(Lcb {
            delta: LCB_DELTA,
            lcb: h.lcb,
            row: h.row,
            col: h.col,
        }),
        Err(e) => {
            keep("heterogeneity LCB", e);
            None
        }
    };
    let (d, scores) = (data.d, &pruned.scores);
    let anova = match anova_fit(scores, width, d) {
        Ok(f) => Some(Anova {
            block_rows: f.rows.len(),
            block_cols: f.cols.len(),
            zeros_excluded: f.zeros_excluded,
            residual_variance: f.residual_variance,
            gaussian_ratio: f.gaussian_ratio,
        }),
        Err(e) => {
            keep("FSM fit", e);
            None
        }
    };
    let contrasts = interaction_contrasts(scores, width, d).and_then(|c| {
        let t = fsm_test(&c.values, ContrastLaw::Gaussian, FSM_DELTA)?;
        Ok(ContrastTest {
            law: ContrastLaw::Gaussian.name(),
            delta: FSM_DELTA,
            count: t.count,
            skipped: c.skipped,
            ks_statistic: t.ks_statistic,
            ks_threshold: t.ks_threshold,
            ks_accepts: t.ks_accepts,
            variance_ratio: t.variance_ratio,
            ratio_low: t.ratio_low,
            ratio_high: t.ratio_high,
            variance_accepts: t.variance_accepts,
            accepted: t.accepted(),
        })
    });
    let contrasts = contrasts.map_err(|e| keep("FSM contrast test", e)).ok();
    Summary {
        method: spec.method.name().into(),
        data: data.name.clone(),
        seed: seed.to_string(),
        width,
        input_dim: d,
        samples: data.samples,
        batch: spec.batch,
        rounds: spec.rounds,
        requested_density: spec.density.get(),
        kept: stats.kept,
        density: stats.density,
        row_degrees: (&stats.row_degrees).into(),
        col_degrees: (&stats.col_degrees).into(),
        constant_columns: constant.len(),
        zero_columns_constant: constant.iter().filter(|&&j| col_deg[j] == 0).count(),
        c4: stats.c4_f64(),
        heterogeneity: stats.heterogeneity_f64,
        heterogeneity_exact: stats.heterogeneity.to_string(),
        heterogeneity_lcb: lcb,
        fsm_anova: anova,
        fsm_contrasts: contrasts,
        unavailable,
    }
}
