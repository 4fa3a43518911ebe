//! Figure 2 (`theory/ntk.md`, "Figure 2"): the complexity `yᵀK_W⁻¹y` of a binary task against
//! the fraction of randomised labels, for the homogeneous graphon and the data-driven
//! (SNIP-type) graphon, one panel per density, raw and scale-corrected.
//!
//! - **Task.** A digit pair (a, b) of an image set (rows of class a → y = +1, b → −1), or the
//!   synthetic k-of-d set; rows scaled to unit norm, exact duplicate rows removed (K would be
//!   singular; the count is reported).
//! - **Label randomisation.** Each label independently, with probability f, is replaced by a
//!   fair ±1 draw (so a replaced label keeps its value half of the time): per label one
//!   [`uniform_open01`] draw `u` and one `next_u64` coin (bit 0: 1 → +1), from the stream
//!   `{prefix}/noise={f}/seed={s}`. Hence `E[y'] = (1 − f) y`, `Cov[y'] = (1 − (1 − f)²) I` and
//!   `E[y'ᵀK⁻¹y'] = (1 − f)² yᵀK⁻¹y + (1 − (1 − f)²) tr K⁻¹` ([`expected_complexity`]).
//! - **Graphons.** Homogeneous: `W ≡ ρ` (with the density normalisation this is the dense
//!   kernel at every ρ). SNIP-type: the FSM with constant row profile, column profile
//!   `ψ_j = |cov(x_j, y)|` (unit-norm inputs, divisor N), Gaussian noise, at density ρ:
//!   `W(v_j) = P(|ξ| > τ*/ψ_j)`, u-independent. Columns with `ψ_j = 0` have score 0; when
//!   ρ is at least the fraction of positive columns no τ* exists and the top-k limit keeps every
//!   positive column and breaks the ties among the zero-score columns uniformly:
//!   `W = 1` on `ψ > 0` and `(ρd − #{ψ > 0}) / #{ψ = 0}` elsewhere ("saturated").
//! - **Complexity.** Each kernel is factored once ([`FactoredKernel`]) and every label vector
//!   reuses the factor; `s = (2/N) tr K`, corrected = `s · yᵀK⁻¹y`.
//!
//! ```
//! use pai_graphon::ntk::figure2::{expected_complexity, factored_kernel, BinaryTask};
//! use pai_graphon::ntk::kernel::KernelGraphon;
//! let x = faer::mat![[1.0, 0.2, 0.0], [0.9, 0.0, 0.3], [0.1, 1.0, 0.0], [0.0, 0.9, 0.4]];
//! let task = BinaryTask::new("toy", None, x.as_ref(), vec![1.0, 1.0, -1.0, -1.0]).unwrap();
//! let k = factored_kernel(&task, &KernelGraphon::constant(0.5, 3).unwrap()).unwrap();
//! let (clean, trace) = (k.complexity(&task.y).unwrap().raw, k.trace_inverse().unwrap());
//! // Labels that follow the inputs cost less than fair random labels do on average.
//! assert!(clean < trace);
//! // Randomising labels moves the expected complexity from the clean value to tr K⁻¹.
//! assert_eq!(expected_complexity(clean, trace, 0.0), clean);
//! // At f = 1 the clean weight (1 − f)² is 0 and the sum is tr K⁻¹ exactly.
//! assert_eq!(expected_complexity(clean, trace, 1.0), trace);
//! ```

use super::bound::{indefinite, Complexity};
use super::kernel::{check_labels, graphon_ntk, unit_rows, KernelGraphon, Layers};
use super::NtkError;
use crate::convergence::limit::Fsm;
use crate::convergence::noise::{HalfNormal, Noise};
use crate::convergence::profile::{Profile, PROFILE_VALUE_MIN};
use crate::linalg::Cholesky;
use crate::net::data::{class_rows, load, DataSet, DataSpec, SyntheticSpec};
use crate::params::Density;
use crate::seed::{uniform_open01, MasterSeed};
use crate::Error;
use faer::{Mat, MatRef};
use rand::Rng;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashSet;

/// A binary task: unit-norm inputs and ±1 labels.
///
/// ```
/// use pai_graphon::ntk::figure2::BinaryTask;
/// let x = faer::mat![[3.0, 4.0], [0.0, 2.0], [0.0, 1.0]];
/// let t = BinaryTask::new("t", None, x.as_ref(), vec![1.0, -1.0, -1.0]).unwrap();
/// // Rows scaled to unit norm; (0, 1) appears twice and is kept once.
/// // ‖(3, 4)‖ = 5 exactly, 1/5 one rounding; 3/5 one more (with 0.6's own: γ_3), while
/// // 4 fl(0.2) is fl(0.8) exactly.
/// assert!((t.x[(0, 0)] - 0.6).abs() <= pai_graphon::tol::gamma(3).unwrap() * 0.6);
/// assert_eq!(t.x[(0, 1)], 0.8);
/// assert_eq!((t.y.clone(), t.duplicates_removed, t.pair), (vec![1.0, -1.0], 1, None));
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct BinaryTask {
    /// A readable name, also used in stream labels, e.g. `mnist/pair=3-8`.
    pub name: String,
    /// The digit pair (a → +1, b → −1), if any.
    pub pair: Option<(u8, u8)>,
    /// The inputs, N × d, unit-norm rows.
    #[serde(skip)]
    pub x: Mat<f64>,
    /// The clean labels ±1.
    #[serde(skip)]
    pub y: Vec<f64>,
    /// Rows dropped because they repeated an earlier (unit-norm) row exactly.
    pub duplicates_removed: usize,
}

impl BinaryTask {
    /// The number of inputs N.
    ///
    /// ```
    /// use pai_graphon::ntk::figure2::BinaryTask;
    /// let t = BinaryTask::new("t", None, faer::mat![[1.0, 0.0], [0.0, 2.0]].as_ref(), vec![1.0, -1.0]).unwrap();
    /// assert_eq!((t.samples(), t.dims()), (2, 2));
    /// ```
    pub fn samples(&self) -> usize {
        self.x.nrows()
    }

    /// The input dimension d.
    ///
    /// ```
    /// use pai_graphon::ntk::figure2::BinaryTask;
    /// let t = BinaryTask::new("t", None, faer::mat![[1.0, 0.0, 0.0]].as_ref(), vec![1.0]).unwrap();
    /// assert_eq!(t.dims(), 3);
    /// ```
    pub fn dims(&self) -> usize {
        self.x.ncols()
    }

    /// A task from raw inputs (rows scaled to unit norm; rows that repeat an earlier unit row
    /// exactly are dropped with their labels and counted).
    ///
    /// ```
    /// use pai_graphon::ntk::figure2::BinaryTask;
    /// let x = faer::mat![[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]];
    /// let t = BinaryTask::new("t", None, x.as_ref(), vec![1.0, 1.0, -1.0]).unwrap();
    /// assert_eq!((t.samples(), t.duplicates_removed), (2, 1));
    /// assert!(BinaryTask::new("t", None, x.as_ref(), vec![1.0, 0.0, 1.0]).is_err());
    /// ```
    pub fn new(
        name: &str,
        pair: Option<(u8, u8)>,
        x: MatRef<'_, f64>,
        y: Vec<f64>,
    ) -> Result<Self, NtkError> {
        check_labels(&y, x.nrows())?;
        let unit = unit_rows(x)?;
        let mut seen = HashSet::new();
        let keep: Vec<usize> = (0..unit.nrows())
            .filter(|&b| {
                seen.insert(
                    (0..unit.ncols())
                        .map(|j| unit[(b, j)].to_bits())
                        .collect::<Vec<u64>>(),
                )
            })
            .collect();
        let x = Mat::from_fn(keep.len(), unit.ncols(), |i, j| unit[(keep[i], j)]);
        Ok(BinaryTask {
            name: name.to_string(),
            pair,
            duplicates_removed: unit.nrows() - keep.len(),
            x,
            y: keep.iter().map(|&b| y[b]).collect(),
        })
    }
}

/// The digit pair (a, b) of an image set: rows of class a (y = +1) and b (y = −1), each class
/// in file order: all its rows, or `per_class` of them drawn by `net::data::class_rows` (streams
/// `data/subset/<set>/label=<digit>/n=<per_class>`; MNIST-5k is sorted by class, and a prefix
/// of a class is not a sample of it either).
///
/// ```
/// use pai_graphon::net::data::{load, DataSpec};
/// use pai_graphon::ntk::figure2::digit_pair;
/// use pai_graphon::seed::MasterSeed;
/// let seed = MasterSeed::default();
/// let set = load(&DataSpec::parse("digits").unwrap(), seed, "DOC").unwrap();
/// let t = digit_pair(&set, 0, 1, Some(10), seed).unwrap();
/// assert_eq!((t.samples(), t.name.as_str()), (20, "digits/pair=0-1"));
/// assert!(digit_pair(&set, 3, 3, None, seed).is_err());
/// ```
pub fn digit_pair(
    set: &DataSet,
    a: u8,
    b: u8,
    per_class: Option<usize>,
    seed: MasterSeed,
) -> Result<BinaryTask, NtkError> {
    if a == b || a > 9 || b > 9 {
        return Err(NtkError::Data {
            what: "second digit of the pair",
            value: f64::from(b),
            why: "must differ from the first and both lie in 0..=9",
        });
    }
    let rows_of = |c: u8| class_rows(set, c, per_class, seed);
    let (ra, rb) = (rows_of(a), rows_of(b));
    if ra.is_empty() || rb.is_empty() {
        return Err(NtkError::Empty {
            what: "rows of the pair's classes in the data set",
        });
    }
    let rows: Vec<usize> = ra.iter().chain(&rb).copied().collect();
    let x = Mat::from_fn(rows.len(), set.d, |i, j| set.row(rows[i])[j]);
    let y = (0..rows.len())
        .map(|i| if i < ra.len() { 1.0 } else { -1.0 })
        .collect();
    let base = set.name.split(':').next().unwrap_or(&set.name);
    BinaryTask::new(&format!("{base}/pair={a}-{b}"), Some((a, b)), x.as_ref(), y)
}

/// The synthetic k-of-d task with its own labels (streams `{label}/synthetic/…`).
///
/// ```
/// use pai_graphon::net::data::SyntheticSpec;
/// use pai_graphon::ntk::figure2::synthetic_task;
/// use pai_graphon::seed::MasterSeed;
/// let spec = SyntheticSpec { samples: 30, informative: 2, noise: 3, zero: 1, signal: 1.0 };
/// let t = synthetic_task(&spec, MasterSeed::default(), "DOC").unwrap();
/// assert_eq!((t.samples(), t.dims(), t.name.as_str()), (30, 6, "synthetic"));
/// ```
pub fn synthetic_task(
    spec: &SyntheticSpec,
    seed: MasterSeed,
    label: &str,
) -> Result<BinaryTask, Error> {
    let set = load(&DataSpec::Synthetic(spec.clone()), seed, label)?;
    let x = MatRef::from_row_major_slice(&set.x, set.samples, set.d);
    Ok(BinaryTask::new("synthetic", None, x, set.y.clone())?)
}

/// The synthetic task of Figure 2 and NTK-11/12: 8 informative of d = 64 coordinates (48
/// pure noise, 8 identically zero), signal 1, `samples` rows. The zero block keeps the SNIP
/// graphon's support at 7/8 of the columns, above every default density.
///
/// ```
/// assert_eq!(pai_graphon::ntk::figure2::figure2_synthetic(100).informative, 8);
/// ```
pub fn figure2_synthetic(samples: usize) -> SyntheticSpec {
    SyntheticSpec {
        samples,
        informative: 8,
        noise: 48,
        zero: 8,
        signal: 1.0,
    }
}

/// The column profile `ψ_j = |cov(x_j, y)|` (divisor N).
///
/// ```
/// use pai_graphon::ntk::figure2::column_covariance;
/// let x = faer::mat![[1.0, 0.5], [0.0, 0.5]];
/// assert_eq!(column_covariance(x.as_ref(), &[1.0, -1.0]).unwrap(), vec![0.5, 0.0]);
/// ```
pub fn column_covariance(x: MatRef<'_, f64>, y: &[f64]) -> Result<Vec<f64>, NtkError> {
    check_labels(y, x.nrows())?;
    let n = x.nrows() as f64;
    let y_mean = y.iter().sum::<f64>() / n;
    Ok((0..x.ncols())
        .map(|j| {
            let x_mean = (0..x.nrows()).map(|b| x[(b, j)]).sum::<f64>() / n;
            let cov: f64 = (0..x.nrows())
                .map(|b| (x[(b, j)] - x_mean) * (y[b] - y_mean))
                .sum();
            (cov / n).abs()
        })
        .collect())
}

/// The SNIP-type graphon at one density.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::ntk::figure2::snip_graphon;
/// // Three of four columns carry signal (ψ > 0).
/// let psi = [0.5, 0.0, 1.0, 2.0];
/// let g = snip_graphon(&psi, Density::constant(0.25)).unwrap();
/// assert!(!g.saturated && g.tau_star.unwrap() > 0.0);
/// // Stronger columns keep more; a column without signal keeps nothing.
/// let w = g.graphon.w();
/// assert!(w[(0, 1)] == 0.0 && w[(0, 0)] < w[(0, 2)] && w[(0, 2)] < w[(0, 3)]);
/// // At ρ = 3/4 every signal column is full: saturated, no τ*.
/// let s = snip_graphon(&psi, Density::constant(0.75)).unwrap();
/// assert!(s.saturated && s.tau_star.is_none());
/// ```
#[derive(Clone, Debug)]
pub struct SnipGraphon {
    /// The kernel graphon (one node, u-independent).
    pub graphon: KernelGraphon,
    /// τ* (None when saturated).
    pub tau_star: Option<f64>,
    /// ρ is at least the fraction of columns with ψ > 0 (see the module doc).
    pub saturated: bool,
}

/// ψ scaled by the power of two that puts its largest value in [1, 2) (exact; W does not change
/// when ψ is rescaled), with the values below [`PROFILE_VALUE_MIN`] of that set to 0, so the
/// profile lies in the limit's certified domain whatever the covariances' scale (ψ = |cov|^16
/// reaches 1e-83). A zeroed column had W = P(|ξ| > τ*/ψ_j) ≤ erfc(1e41) before: with ψ ≤ 2 and
/// ρ ≤ 1 − 1e-9, τ* ≥ 2 T⁻¹(1 − 1e-9) > 2e-9, so τ*/ψ_j > 2e41 and the change is far below f64's
/// smallest positive number.
/// Returns the profile and the two power-of-two factors it was multiplied by.
fn normalised_profile(psi: &[f64]) -> (Vec<f64>, [f64; 2]) {
    let top = psi.iter().copied().fold(0.0, f64::max);
    if !(top > 0.0 && top.is_finite()) {
        return (psi.to_vec(), [1.0, 1.0]);
    }
    // Two factors, each finite even when top is subnormal (2^1074 alone is not).
    let e = -(top.log2().floor() as i32);
    let (a, b) = (2f64.powi(e / 2), 2f64.powi(e - e / 2));
    let scaled = psi
        .iter()
        .map(|&p| match p * a * b {
            q if q < PROFILE_VALUE_MIN => 0.0,
            q => q,
        })
        .collect();
    (scaled, [a, b])
}

/// The SNIP-type graphon `W(v_j) = P(|ξ| > τ*/ψ_j)`, ξ ~ N(0, 1), at density ρ ∈ (0, 1) (module
/// doc). τ* comes from [`Fsm::limit_graphon`] with `Profile::empirical(ψ)`, which sorts ψ: column
/// j is read at the midpoint of its rank's cell, `v = (rank_j + ½)/d`, where the step profile
/// takes the value ψ_j.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::ntk::figure2::snip_graphon;
/// let g = snip_graphon(&[0.0, 1.0, 1.0, 2.0], Density::constant(0.5)).unwrap();
/// assert!((g.graphon.density() - 0.5).abs() < 1e-9);
/// assert_eq!(g.graphon.w()[(0, 0)], 0.0);
/// // Saturated: the zero column takes ρd − 3, which f64 forms exactly (a product by 4, then
/// // Sterbenz's subtraction).
/// let s = snip_graphon(&[0.0, 1.0, 1.0, 2.0], Density::constant(0.8)).unwrap();
/// assert!(s.saturated && s.graphon.w()[(0, 0)] == 0.8 * 4.0 - 3.0);
/// ```
pub fn snip_graphon(psi: &[f64], density: Density) -> Result<SnipGraphon, Error> {
    let rho = density.get();
    let (psi, [a, b]) = normalised_profile(psi);
    let d = psi.len();
    let positive = psi.iter().filter(|&&p| p > 0.0).count();
    if positive == 0 {
        return Err(NtkError::Empty {
            what: "positive values in the column profile ψ",
        }
        .into());
    }
    if rho * d as f64 >= positive as f64 {
        let rest = (rho * d as f64 - positive as f64) / (d - positive) as f64;
        let w: Vec<f64> = psi
            .iter()
            .map(|&p| if p > 0.0 { 1.0 } else { rest })
            .collect();
        return Ok(SnipGraphon {
            graphon: KernelGraphon::column_profile(&w)?,
            tau_star: None,
            saturated: true,
        });
    }
    let fsm = Fsm {
        row: Profile::Constant(1.0),
        col: Profile::empirical(&psi)?,
        noise: Noise::Gaussian(HalfNormal { sigma: 1.0 }),
    };
    let limit = fsm.limit_graphon(density)?;
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&i, &j| psi[i].total_cmp(&psi[j]));
    let mut w = vec![0.0; d];
    for (rank, &j) in order.iter().enumerate() {
        w[j] = limit.w(0.5, (rank as f64 + 0.5) / d as f64);
    }
    Ok(SnipGraphon {
        graphon: KernelGraphon::column_profile(&w)?,
        // τ* of the given ψ: the scaling undone (exact, by powers of two).
        tau_star: Some(limit.tau.value / a / b),
        saturated: false,
    })
}

/// Randomise labels: each independently, with probability f, replaced by a fair ±1 draw (one
/// uniform and one coin per label, always drawn, in order).
///
/// ```
/// use pai_graphon::ntk::figure2::randomise_labels;
/// use pai_graphon::seed::MasterSeed;
/// let y = vec![1.0; 100];
/// let mut rng = MasterSeed::default().stream("DOC");
/// assert_eq!(randomise_labels(&y, 0.0, &mut rng).unwrap(), y);
/// let z = randomise_labels(&y, 1.0, &mut rng).unwrap();
/// assert!(z.iter().all(|v| v.abs() == 1.0) && z.contains(&-1.0));
/// assert!(randomise_labels(&y, 1.5, &mut rng).is_err());
/// ```
pub fn randomise_labels<R: Rng + ?Sized>(
    y: &[f64],
    f: f64,
    rng: &mut R,
) -> Result<Vec<f64>, NtkError> {
    if !(0.0..=1.0).contains(&f) {
        return Err(NtkError::Size {
            what: "noise fraction",
            value: f,
            why: "must lie in [0, 1]",
        });
    }
    Ok(y.iter()
        .map(|&v| {
            let u = uniform_open01(rng);
            let coin = if rng.next_u64() & 1 == 1 { 1.0 } else { -1.0 };
            if u < f {
                coin
            } else {
                v
            }
        })
        .collect())
}

/// A kernel factored once, for the complexity of many label vectors.
///
/// ```
/// use pai_graphon::ntk::bound::complexity;
/// use pai_graphon::ntk::figure2::FactoredKernel;
/// let k = faer::mat![[0.5, 0.1, 0.0], [0.1, 0.5, 0.2], [0.0, 0.2, 0.5]];
/// let f = FactoredKernel::new(k.as_ref()).unwrap();
/// // The stored factor gives what a fresh factorisation gives, for every label vector.
/// for y in [[1.0, 1.0, 1.0], [1.0, -1.0, 1.0], [-1.0, 1.0, 1.0]] {
///     assert_eq!(f.complexity(&y).unwrap(), complexity(k.as_ref(), &y).unwrap());
/// }
/// assert_eq!(f.scale, 1.0); // 2 (0.5 + 0.5 + 0.5) / 3: every operation exact
/// ```
#[derive(Clone, Debug)]
pub struct FactoredKernel {
    chol: Cholesky,
    /// `s = (2/N) tr K`.
    pub scale: f64,
}

impl FactoredKernel {
    /// Factor K (an [`NtkError::Indefinite`] when Cholesky fails in f64).
    ///
    /// ```
    /// use pai_graphon::ntk::figure2::FactoredKernel;
    /// let k = FactoredKernel::new(faer::mat![[0.25, 0.0], [0.0, 0.25]].as_ref()).unwrap();
    /// let c = k.complexity(&[1.0, -1.0]).unwrap();
    /// assert_eq!((c.raw, c.scale, c.corrected), (8.0, 0.5, 4.0));
    /// assert!(FactoredKernel::new(faer::mat![[0.5, 1.0], [1.0, 0.5]].as_ref()).is_err());
    /// ```
    pub fn new(k: MatRef<'_, f64>) -> Result<Self, NtkError> {
        let chol = Cholesky::factor(k).map_err(indefinite)?;
        let n = k.nrows();
        let scale = 2.0 * (0..n).map(|i| k[(i, i)]).sum::<f64>() / n as f64;
        Ok(FactoredKernel { chol, scale })
    }

    /// `yᵀK⁻¹y`, s and `s · yᵀK⁻¹y` from the stored factor (the same numbers as
    /// [`crate::ntk::bound::complexity`]).
    ///
    /// ```
    /// use pai_graphon::ntk::figure2::FactoredKernel;
    /// let k = FactoredKernel::new(faer::mat![[1.0, 0.0], [0.0, 1.0]].as_ref()).unwrap();
    /// assert_eq!(k.complexity(&[1.0, 1.0]).unwrap().corrected, 4.0);
    /// ```
    pub fn complexity(&self, y: &[f64]) -> Result<Complexity, NtkError> {
        check_labels(y, self.chol.order())?;
        let raw = self.chol.quadratic_inverse(y).map_err(indefinite)?;
        Ok(Complexity {
            raw,
            scale: self.scale,
            corrected: self.scale * raw,
        })
    }

    /// `tr K⁻¹ = ‖L⁻¹‖_F²` (N forward solves): the mean of `yᵀK⁻¹y` over fair random labels.
    ///
    /// ```
    /// use pai_graphon::ntk::figure2::FactoredKernel;
    /// let k = FactoredKernel::new(faer::mat![[0.5, 0.0], [0.0, 0.25]].as_ref()).unwrap();
    /// assert_eq!(k.trace_inverse().unwrap(), 6.0);
    /// ```
    pub fn trace_inverse(&self) -> Result<f64, NtkError> {
        let n = self.chol.order();
        let mut total = 0.0;
        for i in 0..n {
            let mut e = vec![0.0; n];
            e[i] = 1.0;
            total += self.chol.quadratic_inverse(&e).map_err(indefinite)?;
        }
        Ok(total)
    }
}

/// `E[y'ᵀK⁻¹y'] = (1 − f)² yᵀK⁻¹y + (1 − (1 − f)²) tr K⁻¹` for the labels of
/// [`randomise_labels`] at noise f, from the clean `yᵀK⁻¹y` and `tr K⁻¹`.
///
/// ```
/// use pai_graphon::ntk::figure2::expected_complexity;
/// assert_eq!(expected_complexity(2.0, 10.0, 0.0), 2.0);
/// assert_eq!(expected_complexity(2.0, 10.0, 1.0), 10.0);
/// assert_eq!(expected_complexity(2.0, 10.0, 0.5), 8.0);
/// ```
pub fn expected_complexity(clean: f64, trace_inverse: f64, f: f64) -> f64 {
    let keep = (1.0 - f) * (1.0 - f);
    keep * clean + (1.0 - keep) * trace_inverse
}

/// The two graphons of Figure 2.
///
/// ```
/// use pai_graphon::ntk::figure2::GraphonKind;
/// // Serialised (JSON output) by the same lowercase names.
/// for kind in [GraphonKind::Homogeneous, GraphonKind::Snip] {
///     assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{}\"", kind.name()));
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GraphonKind {
    /// `W ≡ ρ`.
    Homogeneous,
    /// The SNIP-type FSM graphon of the column profile |cov(x_j, y)|.
    Snip,
}

impl GraphonKind {
    /// `homogeneous` or `snip`.
    ///
    /// ```
    /// assert_eq!(pai_graphon::ntk::figure2::GraphonKind::Snip.name(), "snip");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            GraphonKind::Homogeneous => "homogeneous",
            GraphonKind::Snip => "snip",
        }
    }
}

/// The first-layer kernel of a graphon on the task, factored.
///
/// ```
/// use pai_graphon::ntk::figure2::{factored_kernel, BinaryTask};
/// use pai_graphon::ntk::kernel::KernelGraphon;
/// let t = BinaryTask::new("t", None, faer::mat![[1.0, 0.0], [0.0, 1.0]].as_ref(), vec![1.0, -1.0]).unwrap();
/// let k = factored_kernel(&t, &KernelGraphon::constant(0.5, 2).unwrap()).unwrap();
/// assert_eq!(k.scale, 1.0); // diagonal ½: the dense kernel
/// ```
pub fn factored_kernel(task: &BinaryTask, g: &KernelGraphon) -> Result<FactoredKernel, NtkError> {
    let k = graphon_ntk(task.x.as_ref(), g, Layers::First)?;
    FactoredKernel::new(k.k.as_ref())
}

/// Which labels the SNIP profile ψ is computed on.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::ntk::figure2::{figure2, BinaryTask, Figure2Config, ProfileLabels};
/// use pai_graphon::seed::MasterSeed;
/// let x = faer::mat![[1.0, 0.2, 0.0, 0.1], [0.9, 0.0, 0.3, 0.0], [0.8, 0.1, 0.1, 0.4],
///     [0.1, 1.0, 0.0, 0.3], [0.0, 0.9, 0.4, 0.0], [0.2, 0.8, 0.0, 0.5]];
/// let task = BinaryTask::new("toy", None, x.as_ref(), vec![1.0, 1.0, 1.0, -1.0, -1.0, -1.0]).unwrap();
/// // Without label noise the noisy profile is the clean one: the same SNIP curve.
/// let snip = |profile| {
///     let config = Figure2Config { densities: vec![Density::constant(0.5)], noise_levels: vec![0.0], seeds: 1, profile };
///     figure2(&config, &task, MasterSeed::default(), &mut |_, _| {}).unwrap().curves[1].points[0].raw[0]
/// };
/// assert_eq!(snip(ProfileLabels::Clean), snip(ProfileLabels::Noisy));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileLabels {
    /// The clean labels (one SNIP graphon per density).
    Clean,
    /// The randomised labels of each point (one SNIP graphon per density, noise level and seed).
    Noisy,
}

/// What to draw.
///
/// ```
/// use pai_graphon::ntk::figure2::{figure2, BinaryTask, Figure2Config, ProfileLabels};
/// use pai_graphon::seed::MasterSeed;
/// let c = Figure2Config::default();
/// assert_eq!((c.densities.len(), c.noise_levels.len(), c.seeds, c.profile), (5, 11, 10, ProfileLabels::Clean));
/// // At least one density, noise level and seed.
/// let task = BinaryTask::new("t", None, faer::mat![[1.0, 0.0], [0.0, 1.0]].as_ref(), vec![1.0, -1.0]).unwrap();
/// let bad = Figure2Config { densities: vec![], ..c };
/// assert!(figure2(&bad, &task, MasterSeed::default(), &mut |_, _| {}).is_err());
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct Figure2Config {
    /// Densities ρ, one panel each.
    pub densities: Vec<Density>,
    /// Label-noise fractions f in [0, 1].
    pub noise_levels: Vec<f64>,
    /// Label seeds per noise level.
    pub seeds: usize,
    /// Which labels the SNIP profile uses.
    pub profile: ProfileLabels,
}

impl Default for Figure2Config {
    /// Densities {0.05, 0.1, 0.2, 0.5, 0.8}, f = 0, 0.1, …, 1, 10 seeds, clean profile.
    fn default() -> Self {
        Figure2Config {
            densities: [0.05, 0.1, 0.2, 0.5, 0.8].map(Density::constant).to_vec(),
            noise_levels: (0..=10).map(|k| k as f64 / 10.0).collect(),
            seeds: 10,
            profile: ProfileLabels::Clean,
        }
    }
}

/// One noise level of a curve: per-seed values and their mean and sample standard deviation.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::ntk::figure2::{figure2, BinaryTask, Figure2Config, ProfileLabels};
/// use pai_graphon::seed::MasterSeed;
/// let x = faer::mat![[1.0, 0.2, 0.0, 0.1], [0.9, 0.0, 0.3, 0.0], [0.8, 0.1, 0.1, 0.4],
///     [0.1, 1.0, 0.0, 0.3], [0.0, 0.9, 0.4, 0.0], [0.2, 0.8, 0.0, 0.5]];
/// let task = BinaryTask::new("toy", None, x.as_ref(), vec![1.0, 1.0, 1.0, -1.0, -1.0, -1.0]).unwrap();
/// let config = Figure2Config { densities: vec![Density::constant(0.5)], noise_levels: vec![0.0, 1.0], seeds: 4, profile: ProfileLabels::Clean };
/// let fig = figure2(&config, &task, MasterSeed::default(), &mut |_, _| {}).unwrap();
/// let [clean, random] = &fig.curves[0].points[..] else { panic!() };
/// // f = 0: every seed keeps the clean labels, so there is no spread.
/// assert_eq!((clean.noise, clean.raw_sd, clean.raw.len()), (0.0, 0.0, 4));
/// assert!(random.raw_sd > 0.0);
/// let mean = random.corrected.iter().sum::<f64>() / 4.0;
/// assert_eq!(random.corrected_mean, mean); // the same sum in the same order
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct Point {
    /// The noise fraction f.
    pub noise: f64,
    /// `yᵀK⁻¹y` per seed.
    pub raw: Vec<f64>,
    /// `s · yᵀK⁻¹y` per seed.
    pub corrected: Vec<f64>,
    /// The kernel scale s per seed (one value unless the profile uses noisy labels).
    pub scale: Vec<f64>,
    /// Mean of `raw`.
    pub raw_mean: f64,
    /// Sample standard deviation of `raw` (0 with one seed).
    pub raw_sd: f64,
    /// Mean of `corrected`.
    pub corrected_mean: f64,
    /// Sample standard deviation of `corrected`.
    pub corrected_sd: f64,
}

/// One graphon at one density.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::ntk::figure2::{figure2, BinaryTask, Figure2Config, GraphonKind, ProfileLabels};
/// use pai_graphon::seed::MasterSeed;
/// let x = faer::mat![[1.0, 0.2, 0.0, 0.1], [0.9, 0.0, 0.3, 0.0], [0.8, 0.1, 0.1, 0.4],
///     [0.1, 1.0, 0.0, 0.3], [0.0, 0.9, 0.4, 0.0], [0.2, 0.8, 0.0, 0.5]];
/// let task = BinaryTask::new("toy", None, x.as_ref(), vec![1.0, 1.0, 1.0, -1.0, -1.0, -1.0]).unwrap();
/// let config = Figure2Config { densities: vec![Density::constant(0.25), Density::constant(0.5)], noise_levels: vec![0.0], seeds: 1, profile: ProfileLabels::Clean };
/// let fig = figure2(&config, &task, MasterSeed::default(), &mut |_, _| {}).unwrap();
/// let kinds: Vec<GraphonKind> = fig.curves.iter().map(|c| c.graphon).collect();
/// assert_eq!(kinds, [GraphonKind::Homogeneous, GraphonKind::Snip, GraphonKind::Homogeneous, GraphonKind::Snip]);
/// assert!(fig.curves[0].tau_star.is_none()); // W ≡ ρ has no threshold
/// assert_eq!(fig.curves[3].density, 0.5);
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct Curve {
    /// Which graphon.
    pub graphon: GraphonKind,
    /// The density ρ.
    pub density: f64,
    /// τ* of the clean-profile SNIP graphon (None for homogeneous or saturated).
    pub tau_star: Option<f64>,
    /// Whether the clean-profile SNIP graphon is saturated (module doc).
    pub saturated: bool,
    /// One point per noise level.
    pub points: Vec<Point>,
}

/// The whole figure.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::ntk::figure2::{figure2, BinaryTask, Figure2Config, ProfileLabels};
/// use pai_graphon::seed::MasterSeed;
/// let x = faer::mat![[1.0, 0.2, 0.0, 0.1], [0.9, 0.0, 0.3, 0.0], [0.8, 0.1, 0.1, 0.4],
///     [0.1, 1.0, 0.0, 0.3], [0.0, 0.9, 0.4, 0.0], [0.2, 0.8, 0.0, 0.5]];
/// let task = BinaryTask::new("toy", None, x.as_ref(), vec![1.0, 1.0, 1.0, -1.0, -1.0, -1.0]).unwrap();
/// let config = Figure2Config { densities: vec![Density::constant(0.5)], noise_levels: vec![0.5], seeds: 2, profile: ProfileLabels::Clean };
/// let fig = figure2(&config, &task, MasterSeed::default(), &mut |_, _| {}).unwrap();
/// assert_eq!((fig.samples, fig.d, fig.stream_prefix.as_str()), (6, 4, "figure2/toy"));
/// assert_eq!(fig.seed, MasterSeed::default().to_string());
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct Figure2 {
    /// What was drawn.
    pub config: Figure2Config,
    /// The task (name, pair, duplicates removed).
    pub task: BinaryTask,
    /// N after removing duplicates.
    pub samples: usize,
    /// Input dimension d.
    pub d: usize,
    /// The master seed (hexadecimal).
    pub seed: String,
    /// The stream label prefix: labels are `{prefix}/noise={f}/seed={s}`.
    pub stream_prefix: String,
    /// Two curves (homogeneous, SNIP) per density, in the order of the densities.
    pub curves: Vec<Curve>,
}

fn validate(config: &Figure2Config) -> Result<(), NtkError> {
    if config.densities.is_empty() || config.noise_levels.is_empty() || config.seeds == 0 {
        return Err(NtkError::Empty {
            what: "densities, noise levels or seeds",
        });
    }
    if let Some(f) = config
        .noise_levels
        .iter()
        .find(|f| !(0.0..=1.0).contains(*f))
    {
        return Err(NtkError::Size {
            what: "noise fraction",
            value: *f,
            why: "must lie in [0, 1]",
        });
    }
    Ok(())
}

/// The randomised label vectors, `[noise level][seed]`, streams `{prefix}/noise={f}/seed={s}`.
fn label_sets(
    y: &[f64],
    config: &Figure2Config,
    seed: MasterSeed,
    prefix: &str,
) -> Result<Vec<Vec<Vec<f64>>>, NtkError> {
    config
        .noise_levels
        .iter()
        .map(|&f| {
            (0..config.seeds)
                .map(|s| {
                    let mut rng = seed.stream(&format!("{prefix}/noise={f}/seed={s}"));
                    randomise_labels(y, f, &mut rng)
                })
                .collect()
        })
        .collect()
}

/// The mean and sample standard deviation (0 for one value).
pub(crate) fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (mean, 0.0);
    }
    let ss: f64 = v.iter().map(|x| (x - mean) * (x - mean)).sum();
    (mean, (ss / (n - 1.0)).sqrt())
}

fn point(noise: f64, values: Vec<Complexity>) -> Point {
    let raw: Vec<f64> = values.iter().map(|c| c.raw).collect();
    let corrected: Vec<f64> = values.iter().map(|c| c.corrected).collect();
    let mut scale: Vec<f64> = values.iter().map(|c| c.scale).collect();
    scale.dedup();
    let ((raw_mean, raw_sd), (corrected_mean, corrected_sd)) = (mean_sd(&raw), mean_sd(&corrected));
    Point {
        noise,
        raw,
        corrected,
        scale,
        raw_mean,
        raw_sd,
        corrected_mean,
        corrected_sd,
    }
}

/// A context for a kernel failure: which graphon at which density.
fn at(kind: GraphonKind, rho: f64) -> impl Fn(NtkError) -> NtkError {
    move |e| match e {
        NtkError::Indefinite { .. } => NtkError::At {
            graphon: kind.name(),
            rho,
            error: Box::new(e),
        },
        other => other,
    }
}

/// The complexities of every label vector under one factored kernel (in parallel over fixed
/// items: the result does not depend on the thread count).
pub(crate) fn evaluate(
    k: &FactoredKernel,
    labels: &[Vec<f64>],
) -> Result<Vec<Complexity>, NtkError> {
    labels.par_iter().map(|y| k.complexity(y)).collect()
}

/// The SNIP kernel of the profile of labels `y_profile`, evaluated on `y`.
fn noisy_profile_complexity(
    task: &BinaryTask,
    rho: Density,
    y: &[f64],
) -> Result<Complexity, Error> {
    let psi = column_covariance(task.x.as_ref(), y)?;
    let g = snip_graphon(&psi, rho)?;
    let k = factored_kernel(task, &g.graphon).map_err(at(GraphonKind::Snip, rho.get()))?;
    Ok(k.complexity(y)?)
}

/// Compute Figure 2 on a task; `progress(done, total)` is called after each density.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::ntk::figure2::{figure2, BinaryTask, Figure2Config, ProfileLabels};
/// use pai_graphon::seed::MasterSeed;
/// let x = faer::mat![[1.0, 0.2, 0.0, 0.1], [0.9, 0.0, 0.3, 0.0], [0.8, 0.1, 0.1, 0.4],
///     [0.1, 1.0, 0.0, 0.3], [0.0, 0.9, 0.4, 0.0], [0.2, 0.8, 0.0, 0.5]];
/// let task = BinaryTask::new("toy", None, x.as_ref(), vec![1.0, 1.0, 1.0, -1.0, -1.0, -1.0]).unwrap();
/// let config = Figure2Config { densities: vec![Density::constant(0.25), Density::constant(0.5)], noise_levels: vec![0.0, 0.5, 1.0], seeds: 3, profile: ProfileLabels::Clean };
/// let mut calls = Vec::new();
/// let fig = figure2(&config, &task, MasterSeed::default(), &mut |done, total| calls.push((done, total))).unwrap();
/// assert_eq!(calls, [(1, 2), (2, 2)]);
/// // Two curves per density, one point per noise level, one value per seed.
/// assert_eq!(fig.curves.len(), 4);
/// assert!(fig.curves.iter().all(|c| c.points.len() == 3 && c.points.iter().all(|p| p.raw.len() == 3)));
/// // W ≡ ρ is the dense kernel at every ρ: the homogeneous curves coincide.
/// assert_eq!(fig.curves[0].points[2].raw, fig.curves[2].points[2].raw);
/// ```
pub fn figure2(
    config: &Figure2Config,
    task: &BinaryTask,
    seed: MasterSeed,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Figure2, Error> {
    validate(config)?;
    let prefix = format!("figure2/{}", task.name);
    let labels = label_sets(&task.y, config, seed, &prefix)?;
    let psi = column_covariance(task.x.as_ref(), &task.y)?;
    let d = task.dims();
    let first = config.densities[0].get();
    let hom = factored_kernel(task, &KernelGraphon::constant(first, d)?)
        .map_err(at(GraphonKind::Homogeneous, first))?;
    let mut curves = Vec::new();
    for (k, &rho) in config.densities.iter().enumerate() {
        // W ≡ ρ normalised by ρ is the dense kernel at every ρ: one factor serves all panels.
        let points = config
            .noise_levels
            .iter()
            .zip(&labels)
            .map(|(&f, ys)| Ok(point(f, evaluate(&hom, ys)?)))
            .collect::<Result<_, NtkError>>()?;
        curves.push(Curve {
            graphon: GraphonKind::Homogeneous,
            density: rho.get(),
            tau_star: None,
            saturated: false,
            points,
        });
        curves.push(snip_curve(config, task, &psi, rho, &labels)?);
        progress(k + 1, config.densities.len());
    }
    Ok(Figure2 {
        config: config.clone(),
        task: task.clone(),
        samples: task.samples(),
        d,
        seed: seed.to_string(),
        stream_prefix: prefix,
        curves,
    })
}

fn snip_curve(
    config: &Figure2Config,
    task: &BinaryTask,
    psi: &[f64],
    rho: Density,
    labels: &[Vec<Vec<f64>>],
) -> Result<Curve, Error> {
    let g = snip_graphon(psi, rho)?;
    let mut points = Vec::new();
    match config.profile {
        ProfileLabels::Clean => {
            let k = factored_kernel(task, &g.graphon).map_err(at(GraphonKind::Snip, rho.get()))?;
            for (&f, ys) in config.noise_levels.iter().zip(labels) {
                points.push(point(f, evaluate(&k, ys)?));
            }
        }
        ProfileLabels::Noisy => {
            for (&f, ys) in config.noise_levels.iter().zip(labels) {
                let values = ys
                    .par_iter()
                    .map(|y| noisy_profile_complexity(task, rho, y))
                    .collect::<Result<_, Error>>()?;
                points.push(point(f, values));
            }
        }
    }
    Ok(Curve {
        graphon: GraphonKind::Snip,
        density: rho.get(),
        tau_star: g.tau_star,
        saturated: g.saturated,
        points,
    })
}
