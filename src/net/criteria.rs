//! Pruning criteria (the standard definitions of Synaptic-Flow, with the squared loss) and
//! global top-k masks, single-shot or iterative.
//!
//! Scores of the first layer, n × d row-major, on the network masked by M (all ones in the
//! first round); the mask keeps the k = round(ρ n d) largest scores, ties to the smaller linear
//! index ([`crate::mask::top_k_mask`]'s order), or under Synaptic-Flow's rule
//! ([`KeptCount::SynapticFlow`]: N − int((1 − ρ)N) before ties, every entry tied with the
//! threshold pruned).
//! - **Random**: i.i.d. N(0, 1) from the stream `{label}/random` (row-major), drawn once.
//! - **Magnitude**: `|w_ij|`.
//! - **SNIP**: `|w ⊙ ∂L/∂w|` with the residual `r_b = f(x_b) − y_b` ([`Residual::Plain`]) or
//!   `r_b = −y_b` ([`Residual::Centred`]: the initial output removed, which makes the limit
//!   deterministic).
//! - **GraSP**: `g = ∇_w L_T`, `L_T = (1/(2B)) Σ_b (f(x_b)/T − y_b)²`, and `H_T g` with the
//!   Hessian of `L_T`, exactly Gauss–Newton: `H_T v = (1/(B T²)) Σ_b ∇f_b (∇f_b · v)`. Score
//!   `w ⊙ H_T g` (signed, keep the largest) or `|w ⊙ H_T g|`.
//! - **SynFlow**: with every weight replaced by its absolute value and the input all ones,
//!   `R = n^(−1/2) Σ_i |a_i| relu(z_i)`, `z_i = d^(−1/2) Σ_j M_ij |w_ij|`, and
//!   `|θ ⊙ ∂R/∂θ|` for the first layer is `1{z_i > 0} M_ij (|a_i| |w_ij|) / √(nd)`.
//!
//! On a masked network the gradient-based scores carry the factor M_ij (0 on pruned entries).
//!
//! **Batch.** `None` = all samples in data order; B < N = a uniform B-subset (partial
//! Fisher–Yates with unbiased draws from the stream `{label}/batch`), in increasing index order;
//! B = N = all samples. The same batch serves every round.
//!
//! **Rounds.** Round e (0-based) of E keeps `k_e = round(ρ^((e+1)/E) n d)` entries (capped by
//! `k_(e−1)`; `k_(E−1) = round(ρ n d)`), chosen as the top `k_e` AMONG the entries kept after
//! round e − 1, by scores recomputed on the network masked by that mask: pruned entries never
//! return. E = 1 is single shot. Under [`KeptCount::SynapticFlow`] the counts before ties are
//! `N − int((1 − ρ^((e+1)/E))N)` and the ties at each round's threshold (among the entries still
//! kept) are pruned; this is Synaptic-Flow's global rule whenever the pruned entries score at
//! most the threshold (SNIP and SynFlow on a masked network score them 0).
//!
//! ```
//! use pai_graphon::params::Density;
//! use pai_graphon::net::criteria::{prune, Method, PruneSpec};
//! use pai_graphon::net::{data, network::Network};
//! use pai_graphon::seed::MasterSeed;
//! let seed = MasterSeed::default();
//! let spec = data::DataSpec::parse("synthetic:samples=10,informative=4,noise=4,zero=0").unwrap();
//! let set = data::load(&spec, seed, "DOC").unwrap();
//! let net = Network::init(6, 8, seed, "DOC").unwrap();
//! // Magnitude scores do not change under the mask: three rounds keep what one round keeps.
//! let once = prune(&net, &set, &PruneSpec::new(Method::Magnitude, Density::constant(0.25)), seed, "DOC").unwrap();
//! let spec = PruneSpec { rounds: 3, ..PruneSpec::new(Method::Magnitude, Density::constant(0.25)) };
//! let thrice = prune(&net, &set, &spec, seed, "DOC").unwrap();
//! assert_eq!(once.mask, thrice.mask);
//! assert_eq!(once.mask.kept(), 12); // round(0.25 · 6 · 8)
//! ```

use super::data::DataSet;
use super::network::{Activations, Network};
use super::NetError;
use crate::mask::{for_each_set, top_k_of_by, KeptCount, Mask};
use crate::params::Density;
use crate::seed::MasterSeed;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use std::fmt;

/// The stream label prefix of `pai-graphon prune`'s network and pruning (and of the Python
/// package's `prune`): its weights come from `prune/w` and `prune/a`.
///
/// ```
/// use pai_graphon::net::{criteria::PRUNE_LABEL, network::Network};
/// use pai_graphon::seed::MasterSeed;
/// let net = Network::init(2, 3, MasterSeed::default(), PRUNE_LABEL).unwrap();
/// assert_eq!(net.weights().len(), 6);
/// ```
pub const PRUNE_LABEL: &str = "prune";

/// The stream label of `prune`'s data (only the synthetic set draws from it).
///
/// ```
/// use pai_graphon::net::criteria::{PRUNE_DATA_LABEL, PRUNE_LABEL};
/// assert_eq!(PRUNE_DATA_LABEL, format!("{PRUNE_LABEL}/data"));
/// ```
pub const PRUNE_DATA_LABEL: &str = "prune/data";

/// GraSP's temperature T.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::net::criteria::{GraspVariant, Method, PruneSpec, GRASP_TEMPERATURE};
/// use pai_graphon::net::{data::DataSet, network::Network};
/// let spec = PruneSpec::new(Method::Grasp(GraspVariant::Signed), Density::constant(0.5));
/// assert_eq!(spec.temperature, GRASP_TEMPERATURE);
/// // Any finite T > 0 may replace it; T = 0 is rejected.
/// let net = Network::from_weights(1, 2, vec![1.0, 2.0], vec![1.0]).unwrap();
/// let set = DataSet { name: "one".into(), samples: 1, d: 2, x: vec![1.0, 0.0], y: vec![1.0],
///     labels: vec![0], image_side: None, blocks: None };
/// assert!(PruneSpec { temperature: 0.0, ..spec }.validate(&net, &set).is_err());
/// ```
pub const GRASP_TEMPERATURE: f64 = 200.0;

/// Rounds of iterative SynFlow.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::mask::KeptCount;
/// use pai_graphon::net::criteria::{kept_schedule, PruneSpec, SYNFLOW_ROUNDS};
/// assert_eq!(PruneSpec::iterative_synflow(Density::constant(0.1)).rounds, SYNFLOW_ROUNDS);
/// // On 10 × 10 weights at ρ = 0.1: round(0.1^(1/100) · 100) = 98 kept first, 10 at the end.
/// let k = kept_schedule(10, 10, pai_graphon::params::Density::constant(0.1), SYNFLOW_ROUNDS, KeptCount::Round)
///     .unwrap();
/// assert_eq!((k.len(), k[0], k[SYNFLOW_ROUNDS - 1]), (100, 98, 10));
/// ```
pub const SYNFLOW_ROUNDS: usize = 100;

/// The residual SNIP differentiates.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::net::criteria::{scores, Method, PruneSpec, Residual};
/// use pai_graphon::net::{data::DataSet, network::Network};
/// use pai_graphon::seed::MasterSeed;
/// // n = 1, d = 4: f(x) = 3 relu(w·x / 2) = 9 on x, y = 1, ∇f = (3/2) x = (3, 1.5, 7.5, −3).
/// let net = Network::from_weights(1, 4, vec![1.0, 2.0, 0.0, -1.0], vec![3.0]).unwrap();
/// let set = DataSet { name: "one".into(), samples: 1, d: 4, x: vec![2.0, 1.0, 5.0, -2.0],
///     y: vec![1.0], labels: vec![0], image_side: None, blocks: None };
/// let snip = |r| {
///     let spec = PruneSpec::new(Method::Snip(r), Density::constant(0.5));
///     scores(&net, &set, &spec, MasterSeed::default(), "DOC").unwrap()
/// };
/// // |w ⊙ r ∇f| with r = f − y = 8, and with r = −y = −1.
/// assert_eq!(snip(Residual::Plain), vec![24.0, 24.0, 0.0, 24.0]);
/// assert_eq!(snip(Residual::Centred), vec![3.0, 3.0, 0.0, 3.0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Residual {
    /// `r_b = f(x_b) − y_b`.
    Plain,
    /// `r_b = −y_b`: the initial output removed.
    Centred,
}

/// Signed or absolute GraSP scores.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::net::criteria::{scores, GraspVariant, Method, PruneSpec};
/// use pai_graphon::net::{data::DataSet, network::Network};
/// use pai_graphon::seed::MasterSeed;
/// let net = Network::from_weights(1, 4, vec![1.0, 2.0, 0.0, -1.0], vec![3.0]).unwrap();
/// let set = DataSet { name: "one".into(), samples: 1, d: 4, x: vec![2.0, 1.0, 5.0, -2.0],
///     y: vec![1.0], labels: vec![0], image_side: None, blocks: None };
/// let grasp = |v| {
///     let spec = PruneSpec::new(Method::Grasp(v), Density::constant(0.5));
///     scores(&net, &set, &spec, MasterSeed::default(), "DOC").unwrap()
/// };
/// let (signed, magnitude) = (grasp(GraspVariant::Signed), grasp(GraspVariant::Magnitude));
/// // f/T < y, so every signed score is ≤ 0; the magnitude variant drops the sign.
/// assert!(signed.iter().all(|&s| s <= 0.0) && signed[0] < 0.0);
/// assert!(signed.iter().zip(&magnitude).all(|(s, m)| s.abs() == *m));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraspVariant {
    /// `w ⊙ H g`, keep the largest.
    Signed,
    /// `|w ⊙ H g|`.
    Magnitude,
}

/// A pruning criterion.
///
/// ```
/// use pai_graphon::net::criteria::{GraspVariant, Method, Residual};
/// assert_eq!(Method::Snip(Residual::Plain).to_string(), "snip");
/// assert_eq!(Method::parse("grasp").unwrap(), Method::Grasp(GraspVariant::Signed));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// i.i.d. N(0, 1) scores.
    Random,
    /// `|w|`.
    Magnitude,
    /// `|w ⊙ ∂L/∂w|`.
    Snip(Residual),
    /// `w ⊙ H g` at temperature T.
    Grasp(GraspVariant),
    /// `|θ ⊙ ∂R/∂θ|` on the absolute network with input ones.
    SynFlow,
}

impl Method {
    /// Every method, in the order of [`Method::parse`]'s names.
    ///
    /// ```
    /// use pai_graphon::net::criteria::Method;
    /// // Each name parses back to its method.
    /// assert!(Method::ALL.iter().all(|&m| Method::parse(m.name()).unwrap() == m));
    /// assert_eq!(Method::ALL[6].name(), "synflow");
    /// ```
    pub const ALL: [Method; 7] = [
        Method::Random,
        Method::Magnitude,
        Method::Snip(Residual::Plain),
        Method::Snip(Residual::Centred),
        Method::Grasp(GraspVariant::Signed),
        Method::Grasp(GraspVariant::Magnitude),
        Method::SynFlow,
    ];

    /// Parse `random`, `magnitude`, `snip`, `snip-centred`, `grasp`, `grasp-magnitude` or
    /// `synflow`.
    ///
    /// ```
    /// use pai_graphon::net::criteria::{Method, Residual};
    /// assert_eq!(Method::parse("snip-centred").unwrap(), Method::Snip(Residual::Centred));
    /// assert_eq!(Method::parse("synflow").unwrap().to_string(), "synflow");
    /// assert!(Method::parse("obd").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, NetError> {
        Method::ALL
            .into_iter()
            .find(|m| m.name() == text)
            .ok_or_else(|| NetError::Method {
                spec: text.to_string(),
                why: "expected random, magnitude, snip, snip-centred, grasp, grasp-magnitude or synflow",
            })
    }

    /// The name [`Method::parse`] accepts.
    ///
    /// ```
    /// use pai_graphon::net::criteria::{GraspVariant, Method};
    /// assert_eq!(Method::Grasp(GraspVariant::Magnitude).name(), "grasp-magnitude");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Method::Random => "random",
            Method::Magnitude => "magnitude",
            Method::Snip(Residual::Plain) => "snip",
            Method::Snip(Residual::Centred) => "snip-centred",
            Method::Grasp(GraspVariant::Signed) => "grasp",
            Method::Grasp(GraspVariant::Magnitude) => "grasp-magnitude",
            Method::SynFlow => "synflow",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How to prune: the criterion, the kept fraction ρ, the pruning batch, the rounds and GraSP's
/// temperature.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::net::criteria::{Method, PruneSpec};
/// use pai_graphon::net::{data::DataSet, network::Network};
/// let net = Network::from_weights(1, 2, vec![1.0, 2.0], vec![1.0]).unwrap();
/// let set = DataSet { name: "two".into(), samples: 2, d: 2, x: vec![1.0, 0.0, 0.0, 1.0],
///     y: vec![1.0, -1.0], labels: vec![0, 1], image_side: None, blocks: None };
/// let spec = PruneSpec { batch: Some(2), rounds: 2, ..PruneSpec::new(Method::Magnitude, Density::constant(0.5)) };
/// assert!(spec.validate(&net, &set).is_ok());
/// // A batch larger than the data set is rejected.
/// assert!(PruneSpec { batch: Some(3), ..spec }.validate(&net, &set).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PruneSpec {
    /// The criterion.
    pub method: Method,
    /// The kept fraction ρ ∈ (0, 1).
    pub density: Density,
    /// The pruning batch size (`None`: the whole data set).
    pub batch: Option<usize>,
    /// The number of rounds E ≥ 1 (1 = single shot).
    pub rounds: usize,
    /// GraSP's temperature T > 0 (ignored by the other criteria).
    pub temperature: f64,
    /// How many entries each round keeps and how ties at the threshold are treated.
    pub kept_count: KeptCount,
}

impl PruneSpec {
    /// Single shot on the whole data set, T = [`GRASP_TEMPERATURE`].
    ///
    /// ```
    /// use pai_graphon::params::Density;
    /// use pai_graphon::net::criteria::{Method, PruneSpec};
    /// let s = PruneSpec::new(Method::Magnitude, Density::constant(0.2));
    /// assert_eq!((s.batch, s.rounds, s.temperature), (None, 1, 200.0));
    /// assert_eq!(s.kept_count, pai_graphon::mask::KeptCount::Round);
    /// ```
    pub fn new(method: Method, density: Density) -> Self {
        PruneSpec {
            method,
            density,
            batch: None,
            rounds: 1,
            temperature: GRASP_TEMPERATURE,
            kept_count: KeptCount::Round,
        }
    }

    /// SynFlow with its standard [`SYNFLOW_ROUNDS`] = 100 rounds.
    ///
    /// ```
    /// use pai_graphon::params::Density;
    /// use pai_graphon::net::criteria::{Method, PruneSpec};
    /// let s = PruneSpec::iterative_synflow(Density::constant(0.1));
    /// assert_eq!((s.method, s.rounds), (Method::SynFlow, 100));
    /// ```
    pub fn iterative_synflow(density: Density) -> Self {
        PruneSpec {
            rounds: SYNFLOW_ROUNDS,
            ..PruneSpec::new(Method::SynFlow, density)
        }
    }

    /// Checks the spec against the network and data: ρ ∈ (0, 1) keeping at least one weight,
    /// 1 ≤ batch ≤ samples, rounds ≥ 1, T finite and positive, matching input dimensions, and
    /// batch × width activations within [`crate::params::MEMORY_BUDGET`] (16 bytes each).
    ///
    /// ```
    /// use pai_graphon::params::Density;
    /// use pai_graphon::net::{criteria::{Method, PruneSpec}, data, network::Network};
    /// use pai_graphon::seed::MasterSeed;
    /// let seed = MasterSeed::default();
    /// let set = data::load(&data::DataSpec::parse("digits").unwrap(), seed, "DOC").unwrap();
    /// let net = Network::init(10, 64, seed, "DOC").unwrap();
    /// assert!(PruneSpec::new(Method::Random, Density::constant(0.5)).validate(&net, &set).is_ok());
    /// // 10^-6 of 10 × 64 weights rounds to none kept.
    /// assert!(PruneSpec::new(Method::Random, Density::constant(1e-6)).validate(&net, &set).is_err());
    /// ```
    pub fn validate(&self, net: &Network, data: &DataSet) -> Result<(), NetError> {
        if net.input_dim() != data.d {
            return Err(NetError::Mismatch {
                what: "network inputs for the data's coordinates",
                expected: data.d,
                found: net.input_dim(),
            });
        }
        kept_schedule(
            net.width(),
            net.input_dim(),
            self.density,
            self.rounds,
            self.kept_count,
        )?;
        if let Some(b) = self.batch {
            if b == 0 || b > data.samples {
                return Err(NetError::Range {
                    what: "batch",
                    value: b,
                    min: 1,
                    max: data.samples,
                });
            }
        }
        // The batch's hidden activations and their gradients, batch × n f64 each, must fit the
        // memory budget (issue #17: 4·10⁶ synthetic rows at width 1024 aborted on 32 GB).
        let rows = self.batch.unwrap_or(data.samples);
        crate::params::fits_budget("batch × width activations", &[rows, net.width()], 16)?;
        if !(self.temperature.is_finite() && self.temperature > 0.0) {
            return Err(NetError::Temperature(self.temperature));
        }
        Ok(())
    }
}

/// The kept counts `k_0 ≥ … ≥ k_(E−1)` of E rounds: `k_e = round(ρ^((e+1)/E) n d)` (by
/// [`KeptCount::count`], so `N − int((1 − ρ^((e+1)/E))N)` under Synaptic-Flow's rule, before
/// ties; all n·d when the power rounds to 1), capped by the previous count. ρ ∈ (0, 1) is the
/// [`Density`]'s guarantee, not checked again.
///
/// ```
/// use pai_graphon::mask::KeptCount::{Round, SynapticFlow};
/// use pai_graphon::net::criteria::kept_schedule;
/// use pai_graphon::params::Density;
/// let rho = |r| Density::new(r).unwrap();
/// assert_eq!(kept_schedule(10, 10, rho(0.25), 2, Round).unwrap(), vec![50, 25]);
/// // 1 − 0.9 is just below 1/10 in f64: Synaptic-Flow prunes int(9.99…) = 9 and keeps 91.
/// assert_eq!(kept_schedule(10, 10, rho(0.9), 1, SynapticFlow).unwrap(), vec![91]);
/// assert!(kept_schedule(10, 10, rho(0.25), 0, Round).is_err());
/// assert!(kept_schedule(10, 10, rho(0.001), 1, Round).is_err()); // keeps nothing
/// ```
pub fn kept_schedule(
    n: usize,
    d: usize,
    density: Density,
    rounds: usize,
    rule: KeptCount,
) -> Result<Vec<u64>, NetError> {
    if rounds == 0 {
        return Err(NetError::Size {
            what: "rounds",
            value: 0,
            why: "must be at least 1",
        });
    }
    let cells = (n as u64).saturating_mul(d as u64);
    let mut previous = cells;
    (1..=rounds)
        .map(|e| {
            // ρ^(e/E) ∈ [ρ, 1]: it leaves (0, 1) only by rounding to 1, which keeps every cell.
            let k = match Density::new(density.get().powf(e as f64 / rounds as f64)) {
                Ok(rho_e) => rule.count(n, d, rho_e)?,
                Err(_) => cells,
            };
            previous = previous.min(k);
            Ok(previous)
        })
        .collect()
}

/// A uniform draw from 0..m (m ≥ 1): reject the lowest `2^64 mod m` values, reduce the rest.
pub(super) fn uniform_below(rng: &mut impl Rng, m: u64) -> u64 {
    let reject_below = m.wrapping_neg() % m;
    loop {
        let x = rng.next_u64();
        if x >= reject_below {
            return x % m;
        }
    }
}

/// The rows of the pruning batch in increasing order (module doc).
///
/// ```
/// use pai_graphon::net::criteria::batch_indices;
/// use pai_graphon::seed::MasterSeed;
/// let seed = MasterSeed::default();
/// assert_eq!(batch_indices(4, None, seed, "DOC").unwrap(), vec![0, 1, 2, 3]);
/// let b = batch_indices(100, Some(5), seed, "DOC").unwrap();
/// assert!(b.len() == 5 && b.windows(2).all(|p| p[0] < p[1]) && b[4] < 100);
/// assert!(batch_indices(4, Some(0), seed, "DOC").is_err());
/// ```
pub fn batch_indices(
    samples: usize,
    batch: Option<usize>,
    seed: MasterSeed,
    label: &str,
) -> Result<Vec<usize>, NetError> {
    let size = batch.unwrap_or(samples);
    if size == 0 || size > samples {
        return Err(NetError::Range {
            what: "batch",
            value: size,
            min: 1,
            max: samples,
        });
    }
    if size == samples {
        return Ok((0..samples).collect());
    }
    let mut rng = seed.stream(&format!("{label}/batch"));
    let mut order: Vec<usize> = (0..samples).collect();
    for t in 0..size {
        let j = t + uniform_below(&mut rng, (samples - t) as u64) as usize;
        order.swap(t, j);
    }
    order.truncate(size);
    order.sort_unstable();
    Ok(order)
}

/// A mask and the scores that chose its last round.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::net::criteria::{prune, Method, PruneSpec};
/// use pai_graphon::net::{data::DataSet, network::Network};
/// use pai_graphon::seed::MasterSeed;
/// let net = Network::from_weights(2, 2, vec![0.5, -3.0, 1.0, 2.0], vec![1.0, 1.0]).unwrap();
/// let set = DataSet { name: "one".into(), samples: 1, d: 2, x: vec![1.0, 1.0], y: vec![1.0],
///     labels: vec![0], image_side: None, blocks: None };
/// let p = prune(&net, &set, &PruneSpec::new(Method::Magnitude, Density::constant(0.5)), MasterSeed::default(), "DOC")
///     .unwrap();
/// // The two largest |w| are kept: w_01 = −3 and w_11 = 2.
/// assert_eq!(p.scores, vec![0.5, 3.0, 1.0, 2.0]);
/// assert_eq!((p.mask.get(0, 1), p.mask.get(1, 1), p.mask.kept()), (Some(true), Some(true), 2));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Pruned {
    /// The mask (exactly round(ρ n d) kept under [`KeptCount::Round`]).
    pub mask: Mask,
    /// The last round's scores, n × d row-major (entries pruned in earlier rounds carry their
    /// score on the masked network: 0 for the gradient-based criteria).
    pub scores: Vec<f64>,
}

/// What the scores of every round share: the batch and the Random criterion's draws.
struct Context {
    method: Method,
    temperature: f64,
    x: Vec<f64>,
    y: Vec<f64>,
    random: Vec<f64>,
}

impl Context {
    fn new(
        net: &Network,
        data: &DataSet,
        spec: &PruneSpec,
        seed: MasterSeed,
        label: &str,
    ) -> Result<Self, NetError> {
        spec.validate(net, data)?;
        let rows = batch_indices(data.samples, spec.batch, seed, label)?;
        let random = match spec.method {
            Method::Random => {
                let mut rng = seed.stream(&format!("{label}/random"));
                (0..net.weights().len())
                    .map(|_| StandardNormal.sample(&mut rng))
                    .collect()
            }
            _ => Vec::new(),
        };
        Ok(Context {
            method: spec.method,
            temperature: spec.temperature,
            x: rows.iter().flat_map(|&b| data.row(b)).copied().collect(),
            y: rows.iter().map(|&b| data.y[b]).collect(),
            random,
        })
    }

    /// The criterion's scores on the network masked by `mask`.
    fn scores(&self, net: &Network, mask: Option<&Mask>) -> Result<Vec<f64>, NetError> {
        let w = net.weights();
        let forward = || -> Result<Activations, NetError> {
            let batch = net.check_batch(mask, &self.x)?;
            Ok(net.activations(&net.masked(w, mask), &self.x, batch))
        };
        let times_w = |g: Vec<f64>, absolute: bool| -> Vec<f64> {
            g.iter()
                .zip(w)
                .map(|(g, w)| if absolute { (w * g).abs() } else { w * g })
                .collect()
        };
        Ok(match self.method {
            Method::Random => self.random.clone(),
            Method::Magnitude => w.iter().map(|v| v.abs()).collect(),
            Method::Snip(residual) => {
                let act = forward()?;
                let r: Vec<f64> = match residual {
                    Residual::Plain => act.out.iter().zip(&self.y).map(|(f, y)| f - y).collect(),
                    Residual::Centred => self.y.iter().map(|y| -y).collect(),
                };
                times_w(net.pullback(&act, &r, &self.x, mask), true)
            }
            Method::Grasp(variant) => {
                let act = forward()?;
                let t = self.temperature;
                let r: Vec<f64> = act
                    .out
                    .iter()
                    .zip(&self.y)
                    .map(|(f, y)| (f / t - y) / t)
                    .collect();
                let g = net.pullback(&act, &r, &self.x, mask); // already M ⊙ g
                let jvp: Vec<f64> = net
                    .push_forward(&act, &g, &self.x)
                    .iter()
                    .map(|s| s / (t * t))
                    .collect();
                let hg = net.pullback(&act, &jvp, &self.x, mask);
                times_w(hg, variant == GraspVariant::Magnitude)
            }
            Method::SynFlow => synflow_scores(net, mask),
        })
    }
}

/// `1{z_i > 0} M_ij (|a_i| |w_ij|) / √(nd)` with `z_i = d^(−1/2) Σ_j M_ij |w_ij|` (module doc).
fn synflow_scores(net: &Network, mask: Option<&Mask>) -> Vec<f64> {
    let (n, d) = (net.width(), net.input_dim());
    let scale = 1.0 / ((n as f64).sqrt() * (d as f64).sqrt());
    let mut out = net.masked(net.weights(), mask);
    out.par_chunks_mut(d)
        .zip(net.output_weights())
        .for_each(|(row, &a_i)| {
            row.iter_mut().for_each(|v| *v = v.abs());
            // A sum of non-negative terms is positive in floating point iff one term is.
            let gate = row.iter().sum::<f64>() > 0.0;
            row.iter_mut()
                .for_each(|v| *v = if gate { (a_i.abs() * *v) * scale } else { 0.0 });
        });
    out
}

/// The (score, linear index) pairs of the entries the mask keeps (all entries without a mask).
fn alive(scores: &[f64], d: usize, mask: Option<&Mask>) -> Vec<(f64, u64)> {
    let Some(m) = mask else {
        return scores.iter().zip(0u64..).map(|(&s, i)| (s, i)).collect();
    };
    let mut out = Vec::with_capacity(m.kept() as usize);
    for (i, row) in scores.chunks(d).enumerate() {
        for_each_set(m.row_words(i).unwrap_or(&[]), |j| {
            out.push((row[j], (i * d + j) as u64))
        });
    }
    out
}

/// The criterion's scores (n × d row-major) on the full network: the first round's scores.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::net::{criteria::{scores, Method, PruneSpec}, data, network::Network};
/// use pai_graphon::seed::MasterSeed;
/// let seed = MasterSeed::default();
/// let set = data::load(&data::DataSpec::parse("digits").unwrap(), seed, "DOC").unwrap();
/// let net = Network::init(4, 64, seed, "DOC").unwrap();
/// let s = scores(&net, &set, &PruneSpec::new(Method::Magnitude, Density::constant(0.5)), seed, "DOC").unwrap();
/// assert_eq!(s[5], net.weights()[5].abs());
/// ```
pub fn scores(
    net: &Network,
    data: &DataSet,
    spec: &PruneSpec,
    seed: MasterSeed,
    label: &str,
) -> Result<Vec<f64>, crate::Error> {
    let ctx = Context::new(net, data, spec, seed, label)?;
    Ok(ctx.scores(net, None)?)
}

/// Prune: `spec.rounds` rounds of scoring and top-k among the entries still kept (module doc).
///
/// ```
/// use pai_graphon::net::{criteria::{prune, Method, PruneSpec}, data, network::Network};
/// use pai_graphon::seed::MasterSeed;
/// let seed = MasterSeed::default();
/// let set = data::load(&data::DataSpec::parse("digits").unwrap(), seed, "DOC").unwrap();
/// let net = Network::init(8, 64, seed, "DOC").unwrap();
/// let spec = PruneSpec { batch: Some(100), ..PruneSpec::new(Method::parse("snip").unwrap(), pai_graphon::params::Density::constant(0.25)) };
/// let p = prune(&net, &set, &spec, seed, "DOC").unwrap();
/// assert_eq!(p.mask.kept(), 128);
/// ```
pub fn prune(
    net: &Network,
    data: &DataSet,
    spec: &PruneSpec,
    seed: MasterSeed,
    label: &str,
) -> Result<Pruned, crate::Error> {
    let ctx = Context::new(net, data, spec, seed, label)?;
    let (n, d) = (net.width(), net.input_dim());
    let mut mask: Option<Mask> = None;
    let mut scores = Vec::new();
    for k in kept_schedule(n, d, spec.density, spec.rounds, spec.kept_count)? {
        scores = ctx.scores(net, mask.as_ref())?;
        let candidates = alive(&scores, d, mask.as_ref());
        mask = Some(top_k_of_by(n, d, candidates, k, spec.kept_count)?);
    }
    match mask {
        Some(mask) => Ok(Pruned { mask, scores }),
        None => Err(NetError::Size {
            what: "rounds",
            value: 0,
            why: "must be at least 1",
        }
        .into()),
    }
}
