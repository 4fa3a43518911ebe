//! Claims CONV-1 to CONV-3: the steps of the convergence proof, checked on sampled masks of the
//! Figure-1 model at widths n = d = 200 … 4000 (`theory/convergence.md`).
//!
//! - CONV-1: the empirical threshold τ_n lies in the interval that Hoeffding's inequality and the
//!   grid-to-limit gap put around the limit threshold τ*.
//! - CONV-2: with the threshold frozen at τ*, the certified interval of ‖W_M − W_P‖_□ lies between
//!   a lower envelope of order n^(−1/2) ([`cut_norm_lower_envelope`]) and the matrix-Bernstein
//!   envelope of order sqrt(log n / n), and its lower end stays below the Hoeffding-plus-union
//!   bound over all (S, T): the n^(−1/2) rate, two-sided.
//! - CONV-3: the certified upper bound of ‖W_M − W‖_□ (cut norm to P plus the exact L¹ distance
//!   from P to W) stays below the matrix-Bernstein rate bound, which shrinks like sqrt(log n / n).
//!
//! ```
//! use pai_graphon::claims::convergence::threshold_interval;
//! use pai_graphon::convergence::limit::{Fsm, FIGURE1_DENSITY};
//! // CONV-1's interval for τ_n closes in on τ* as the mask grows.
//! let fsm = Fsm::figure1();
//! let tau = fsm.tau_star(FIGURE1_DENSITY).unwrap().value;
//! let (a, b) = threshold_interval(&fsm, FIGURE1_DENSITY.get(), 200, 200, 1e-4).unwrap();
//! let (c, d) = threshold_interval(&fsm, FIGURE1_DENSITY.get(), 4000, 4000, 1e-4).unwrap();
//! assert!(a < c && c < tau && tau < d && d < b);
//! ```

use crate::claims::{
    Check, Claim, ClaimContext, Kind, Outcome, Relation, Source, STATISTICAL_DELTA,
};
use crate::convergence::figure1::loglog_slope;
use crate::convergence::limit::{Fsm, LimitGraphon, FIGURE1_DENSITY};
use crate::convergence::noise::Noise;
use crate::convergence::sampler::{sample_mask_for, sample_scores, threshold_window, MaskSpec};
use crate::convergence::ConvergenceError;
use crate::graphon::cutnorm::{cut_norm, cut_norm_hoeffding_bound, CutNormOptions};
use crate::graphon::GraphonError;
use crate::linalg::next_down;
use crate::params::Density;
use crate::tol::{gamma, hoeffding, matrix_bernstein, sum_allowance, Tail};
use crate::Error;
use faer::{Mat, MatRef};

pub mod noise;

/// The widths n = d of the sweep at scale 1 (the paper's Figure-1 widths).
///
/// ```
/// use pai_graphon::{claims::convergence::WIDTHS, convergence::figure1::Figure1Config};
/// assert_eq!(WIDTHS.to_vec(), Figure1Config::default().widths);
/// ```
pub const WIDTHS: [usize; 5] = [200, 500, 1000, 2000, 4000];

/// The density the negative controls of CONV-1 and CONV-2 use instead of ρ = 0.2: a quarter too
/// high.
///
/// ```
/// use pai_graphon::claims::convergence::{threshold_interval, WIDTHS, WRONG_DENSITY};
/// use pai_graphon::convergence::limit::{Fsm, FIGURE1_DENSITY};
/// assert_eq!(WRONG_DENSITY, 1.25 * FIGURE1_DENSITY.get());
/// // Already at the smallest width, its interval lies wholly below the right one (CONV-1
/// // relies on this, with the budget 1e-4 split over the five widths).
/// let (fsm, n) = (Fsm::figure1(), WIDTHS[0]);
/// let right = threshold_interval(&fsm, FIGURE1_DENSITY.get(), n, n, 2e-5).unwrap();
/// let wrong = threshold_interval(&fsm, WRONG_DENSITY, n, n, 2e-5).unwrap();
/// assert!(wrong.1 < right.0);
/// ```
pub const WRONG_DENSITY: f64 = 0.25;

/// The density CONV-3's control uses: twice ρ. The matrix-Bernstein rate bound is about four
/// times the observed distance at these widths, so a subtler error would be separated from it
/// only beyond n ≈ 8000.
///
/// ```
/// use pai_graphon::claims::convergence::FAR_WRONG_DENSITY;
/// use pai_graphon::convergence::limit::{Fsm, FIGURE1_DENSITY};
/// assert_eq!(FAR_WRONG_DENSITY, 2.0 * FIGURE1_DENSITY.get());
/// let (right, far) = (Fsm::figure1().limit_graphon(FIGURE1_DENSITY).unwrap(),
///                     Fsm::figure1().limit_graphon(pai_graphon::params::Density::constant(FAR_WRONG_DENSITY)).unwrap());
/// assert!(far.tau.interval.1 < right.tau.interval.0); // a lower threshold keeps more
/// ```
pub const FAR_WRONG_DENSITY: f64 = 0.4;

fn widths(ctx: &ClaimContext) -> Vec<usize> {
    WIDTHS.iter().map(|&n| ctx.scaled(n).max(2)).collect()
}

/// The interval that must hold the empirical threshold τ_n of an n × d top-k mask, except with
/// probability `delta`.
///
/// With F̂(τ) the fraction of scores above τ and g_n(τ) = E F̂(τ) on the grid, Hoeffding gives
/// F̂(τ) ≥ g_n(τ) − t and F̂(τ) ≤ g_n(τ) + t, each except with probability δ/2, for
/// t = sqrt(ln(2/δ)/(2nd)). Monotonicity of W bounds the grid-to-limit gap
/// |g_n − g| ≤ 1/n + 1/d. The kept count k = round(ρnd) is within 1/2 of ρnd. So τ_lo with
/// g(τ_lo) ≥ ρ + 1/(2nd) + gap + t has at least k scores above it (τ_n > τ_lo), and τ_hi with
/// g(τ_hi) ≤ ρ − 3/(2nd) − gap − t has at most k − 1 (τ_n ≤ τ_hi). Both ends are taken from the
/// certified intervals of τ*(target), so the f64 quadrature error is accounted for.
///
/// ```
/// use pai_graphon::claims::convergence::threshold_interval;
/// use pai_graphon::convergence::limit::{Fsm, FIGURE1_DENSITY};
/// use pai_graphon::convergence::sampler::{sample_mask_for, MaskSpec};
/// use pai_graphon::seed::MasterSeed;
/// let fsm = Fsm::figure1();
/// let (lo, hi) = threshold_interval(&fsm, FIGURE1_DENSITY.get(), 200, 200, 1e-4).unwrap();
/// let spec = MaskSpec::new(200, 200, FIGURE1_DENSITY, &fsm.row, &fsm.col).unwrap();
/// let mask = sample_mask_for(&spec, &fsm.noise, MasterSeed::default(), "DOC", None).unwrap();
/// assert!(lo < mask.threshold() && mask.threshold() < hi);
/// // At n = d = 5 the grid gap alone exceeds ρ: no interval.
/// assert!(threshold_interval(&fsm, FIGURE1_DENSITY.get(), 5, 5, 1e-4).is_err());
/// ```
pub fn threshold_interval(
    fsm: &Fsm,
    rho: f64,
    n: usize,
    d: usize,
    delta: f64,
) -> Result<(f64, f64), Error> {
    let nd = (n * d) as f64;
    let t = hoeffding(n * d, 1.0, delta / 2.0, Tail::One)?;
    let gap = 1.0 / n as f64 + 1.0 / d as f64;
    let above = rho + 0.5 / nd + gap + t;
    let below = rho - 1.5 / nd - gap - t;
    if below <= 0.0 || above >= fsm.positive_measure() {
        return Err(ConvergenceError::Size {
            what: "n",
            value: n,
            why: "is too small for a threshold interval at this d and ρ",
        }
        .into());
    }
    Ok((
        fsm.tau_star(Density::new(above)?)?.interval.0,
        fsm.tau_star(Density::new(below)?)?.interval.1,
    ))
}

/// How far `x` is from the centre of `[lo, hi]`, in half-widths: ≤ 1 inside.
fn normalised_distance(x: f64, (lo, hi): (f64, f64)) -> f64 {
    (x - 0.5 * (lo + hi)).abs() / (0.5 * (hi - lo))
}

fn conv_1(ctx: &ClaimContext) -> Result<Outcome, Error> {
    let fsm = Fsm::figure1();
    let ws = widths(ctx);
    // The budget is split over widths. The control costs nothing extra: the wrong interval lies
    // wholly below the right one (checked), so τ_n inside it means τ_n < τ_lo, an event the
    // main check's budget already covers.
    let per_width = ctx.delta / ws.len() as f64;
    let (mut worst, mut control_best) = (0.0f64, f64::INFINITY);
    let mut out_details = Vec::new();
    for &n in &ws {
        let spec = MaskSpec::new(n, n, FIGURE1_DENSITY, &fsm.row, &fsm.col)?;
        let hint = hint_window(&spec, &fsm.noise)?;
        let mask = sample_mask_for(
            &spec,
            &fsm.noise,
            ctx.seed,
            &ctx.label(&format!("n={n}/d={n}")),
            hint,
        )?;
        let tau_n = mask.threshold();
        let right = threshold_interval(&fsm, FIGURE1_DENSITY.get(), n, n, per_width)?;
        let wrong = threshold_interval(&fsm, WRONG_DENSITY, n, n, per_width)?;
        if wrong.1 >= right.0 {
            return Err(ConvergenceError::Size {
                what: "n",
                value: n,
                why: "puts the control interval over the claim's: widen the widths",
            }
            .into());
        }
        worst = worst.max(normalised_distance(tau_n, right));
        control_best = control_best.min(normalised_distance(tau_n, wrong));
        out_details.push((format!("tau_n(n={n})"), tau_n));
        out_details.push((
            format!("interval_halfwidth(n={n})"),
            0.5 * (right.1 - right.0),
        ));
    }
    let tau = fsm.tau_star(FIGURE1_DENSITY)?;
    let mut out = Outcome::new(
        Check::new(worst, 1.0, Relation::AtMost),
        ctx.delta,
        ctx.label("n=*/d=*"),
    )
    .with_control(
        Check::new(control_best, 1.0, Relation::AtMost),
        format!("interval for the wrong density {WRONG_DENSITY}"),
    )
    .detail("tau_star", tau.value);
    out.details.extend(out_details);
    Ok(out)
}

/// A speed hint for the sampler (never changes the mask): the finite-grid window at 1e-9.
fn hint_window(
    spec: &MaskSpec,
    noise: &Noise,
) -> Result<Option<crate::convergence::sampler::Window>, Error> {
    Ok(Some(threshold_window(spec, noise.law(), 1e-9)?))
}

/// What the cut-norm sweep measured at one width: only quantities that spend no failure
/// probability, so that CONV-2 and CONV-3 share one sweep whatever their budgets and derive their
/// bounds from it at their own δ ([`WidthResult::hoeffding`], [`WidthResult::bernstein`], …).
#[derive(Clone, Debug)]
pub(crate) struct WidthResult {
    /// n = d.
    pub n: usize,
    /// Certified lower bound of ‖W_M − W_P‖_□ from the cut-norm search (threshold frozen at τ̂).
    pub lower: f64,
    /// Certified upper bound of ‖W_M − W_P‖_□.
    pub upper: f64,
    /// The certified value of the row witness ([`row_witness`]): another certified lower bound
    /// of ‖W_M − W_P‖_□, the one the lower envelope is proved for.
    pub row_witness: f64,
    /// A lower bound on E Σ_i |r_i|, r_i the row sums of M − P ([`expected_abs_row_sums_lower`]).
    pub expected_abs_row_sums: f64,
    /// The matrix-Bernstein variance proxy of M − P: the largest row or column sum of P(1 − P).
    pub line_variance: f64,
    /// (certified ‖M − P‖_op upper)² − (its Lanczos estimate)²: the certificate's own excess over
    /// a Rayleigh quotient, which is ≤ ‖M − P‖²_op.
    pub op_excess: f64,
    /// Upper bound on ‖W_P − W‖₁ from the monotonicity of W plus |g(τ̂) − ρ|.
    pub l1_to_limit: f64,
    /// |mean(M − P')| for P' at the wrong density: a certified lower bound of ‖W_M − W_P'‖_□.
    pub control_lower: f64,
    /// |mean(P' − P)|: what separates the wrong edge probabilities from the right ones.
    pub control_gap: f64,
    /// The same for [`FAR_WRONG_DENSITY`] (CONV-3's control).
    pub far: FarControl,
}

impl WidthResult {
    /// The larger of the two certified lower bounds of ‖W_M − W_P‖_□.
    fn certified_lower(&self) -> f64 {
        self.lower.max(self.row_witness)
    }

    /// The Hoeffding-plus-union bound on ‖W_M − W_P‖_□, exceeded with probability ≤ `delta`.
    fn hoeffding(&self, delta: f64) -> Result<f64, Error> {
        cut_norm_hoeffding_bound(self.n, self.n, delta)
    }

    /// The rate bound on the certified upper bound: matrix Bernstein on ‖M − P‖_op (exceeded
    /// with probability ≤ `delta`) plus the certificate's excess, divided by sqrt(nd). The
    /// certified upper bound is at most the spectral one, `sqrt(estimate² + excess)/sqrt(nd)`,
    /// and the estimate is at most ‖M − P‖_op.
    fn bernstein(&self, delta: f64) -> Result<f64, Error> {
        let op = matrix_bernstein(self.n, self.n, self.line_variance, 1.0, delta)?;
        Ok((op * op + self.op_excess).sqrt() / ((self.n * self.n) as f64).sqrt())
    }

    /// Two-sided Hoeffding on |mean(M − P)|, which bounds the controls' miss probability.
    fn control_margin(&self, delta: f64) -> Result<f64, Error> {
        Ok(hoeffding(self.n * self.n, 1.0, delta, Tail::Two)?)
    }

    /// The lower envelope of ‖W_M − W_P‖_□ ([`cut_norm_lower_envelope`]) at `delta`.
    fn lower_envelope(&self, delta: f64) -> Result<f64, Error> {
        lower_envelope_from(self.expected_abs_row_sums, self.n, self.n, delta)
    }
}

/// CONV-3's control at [`FAR_WRONG_DENSITY`].
#[derive(Clone, Debug)]
pub(crate) struct FarControl {
    /// |mean(M − P'')|, a certified lower bound of ‖W_M − W_P''‖_□.
    pub lower: f64,
    /// |mean(P'' − P)|.
    pub gap: f64,
    /// The L¹ bound from P'' to its limit graphon.
    pub l1_to_limit: f64,
}

type SweepKey = (u64, Vec<usize>);

/// CONV-2 and CONV-3 check the same sweep: compute it once per seed and widths.
fn cached_sweep(
    seed: crate::seed::MasterSeed,
    widths: &[usize],
) -> Result<std::sync::Arc<Vec<WidthResult>>, Error> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<SweepKey, Arc<Vec<WidthResult>>>>> = OnceLock::new();
    let key = (seed.value(), widths.to_vec());
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(hit) = cache.get(&key) {
        return Ok(hit.clone());
    }
    let sweep = Arc::new(cut_sweep(seed, widths)?);
    cache.insert(key, sweep.clone());
    Ok(sweep)
}

/// The frozen-threshold sweep behind CONV-2 and CONV-3: at each width, scores from the streams
/// `CONV-2/n=…/d=…`, M = 1{S > τ̂}, P = P(S > τ̂) on the grid, the certified cut-norm
/// interval of M − P, the row witness, and the δ-free parts of the bounds it is checked against.
pub(crate) fn cut_sweep(
    seed: crate::seed::MasterSeed,
    widths: &[usize],
) -> Result<Vec<WidthResult>, Error> {
    let fsm = Fsm::figure1();
    let limit = fsm.limit_graphon(FIGURE1_DENSITY)?;
    let wrong = fsm.limit_graphon(Density::constant(WRONG_DENSITY))?;
    let far = fsm.limit_graphon(Density::constant(FAR_WRONG_DENSITY))?;
    let g_gap = |l: &LimitGraphon| -> Result<f64, Error> {
        let g = fsm.g(l.tau.value)?;
        Ok((g.value - l.rho).abs() + g.error_bound)
    };
    let (gap_right, gap_far) = (g_gap(&limit)?, g_gap(&far)?);
    widths
        .iter()
        .map(|&n| {
            let spec = MaskSpec::new(n, n, FIGURE1_DENSITY, &fsm.row, &fsm.col)?;
            let prefix = format!("CONV-2/n={n}/d={n}");
            let scores = sample_scores(&spec, fsm.noise.law(), seed, &prefix)?;
            let p = edge_probabilities(&spec, &limit);
            let m = Mat::from_fn(n, n, |i, j| {
                f64::from(u8::from(scores[i * n + j] > limit.tau.value))
            });
            let a = &m - &p;
            let mut rng = seed.stream(&format!("{prefix}/cut-norm"));
            let cut = cut_norm(a.as_ref(), &CutNormOptions::default(), &mut rng)?;
            let nd = (n * n) as f64;
            let p_wrong = edge_probabilities(&spec, &wrong);
            let p_far = edge_probabilities(&spec, &far);
            Ok(WidthResult {
                n,
                lower: cut.lower,
                upper: cut.upper,
                row_witness: row_witness(a.as_ref())?,
                expected_abs_row_sums: expected_abs_row_sums_lower(p.as_ref()),
                line_variance: max_line_variance(&p),
                op_excess: (cut.op_norm_upper.powi(2) - cut.op_norm_estimate.powi(2)).max(0.0),
                l1_to_limit: monotone_l1_bound(&limit, n, n) + gap_right,
                control_lower: (m.sum() - p_wrong.sum()).abs() / nd,
                control_gap: (p_wrong.sum() - p.sum()).abs() / nd,
                far: FarControl {
                    lower: (m.sum() - p_far.sum()).abs() / nd,
                    gap: (p_far.sum() - p.sum()).abs() / nd,
                    l1_to_limit: monotone_l1_bound(&far, n, n) + gap_far,
                },
            })
        })
        .collect()
}

/// P_ij = P((φ_i ψ_j) |ξ| > τ̂) on the grid of the mask.
fn edge_probabilities(spec: &MaskSpec, limit: &LimitGraphon) -> Mat<f64> {
    let law = limit.fsm.noise.law();
    let tau = limit.tau.value;
    Mat::from_fn(spec.rows(), spec.cols(), |i, j| {
        let scale = spec.phi()[i] * spec.psi()[j];
        if scale > 0.0 {
            law.tail(tau / scale)
        } else {
            0.0
        }
    })
}

/// The relative allowance by which an f64 sum used as an upper bound (a line variance, the
/// monotone L1 bound) is inflated for its rounding; one value for both.
const BOUND_ROUNDING: f64 = crate::tol::ROUNDING_SLACK;

/// The matrix-Bernstein variance proxy of M − P: the largest row or column sum of P(1 − P).
fn max_line_variance(p: &Mat<f64>) -> f64 {
    let var = |x: f64| x * (1.0 - x);
    let rows = (0..p.nrows()).map(|i| (0..p.ncols()).map(|j| var(p[(i, j)])).sum::<f64>());
    let cols = (0..p.ncols()).map(|j| (0..p.nrows()).map(|i| var(p[(i, j)])).sum::<f64>());
    rows.chain(cols).fold(0.0, f64::max) * (1.0 + BOUND_ROUNDING)
}

/// A lower envelope of the cut norm of M − P for an n × d matrix M of independent
/// Bernoulli(P_ij) entries: `P(‖M − P‖_□ < L) ≤ δ` (`theory/convergence.md`, CONV-2;
/// reconstructed, not in the paper). Of order n^(−1/2) when n = d and P is not close to 0 or 1.
///
/// With r_i = Σ_j (M_ij − P_ij), the pair S = {i : r_i > 0} (or {r_i < 0}), T = all columns,
/// gives ‖M − P‖_□ ≥ max(Σ r_i⁺, Σ r_i⁻)/(nd) ≥ Σ_i |r_i| / (2nd) (`row_witness`). Each E|r_i|
/// is at least e_i, the larger of two bounds, with V_i = Σ_j P_ij(1 − P_ij):
///
/// - the mean central limit theorem with constant 1 (Goldstein 2010, *Ann. Probab.* 38, Thm 1.1):
///   the Wasserstein distance between r_i and N(0, V_i) is at most Σ_j E|M_ij − P_ij|³ / V_i,
///   and |x| is 1-Lipschitz, so E|r_i| ≥ sqrt(2V_i/π) − Σ_j P_ij(1 − P_ij)(P_ij² + (1 − P_ij)²)/V_i;
/// - Hölder, E r² ≤ (E|r|)^(2/3) (E r⁴)^(1/3): E|r_i| ≥ V_i^(3/2) / sqrt(E r_i⁴), with
///   E r_i⁴ = 3V_i² + Σ_j v_ij(1 − 6 v_ij), v_ij = P_ij(1 − P_ij).
///
/// Changing one entry of M moves Σ_i |r_i| by at most 1, so McDiarmid's inequality puts it
/// below its mean by more than t = sqrt(nd ln(1/δ)/2) with probability ≤ δ. The envelope is
/// L = (Σ_i e_i − t)/(2nd), every rounding bounded and rounded down, and 0 when that is negative
/// (the envelope is then vacuous).
///
/// Errors: [`GraphonError::Empty`], [`GraphonError::NonFinite`], [`GraphonError::OutOfRange`]
/// for an entry outside [0, 1], and a failure probability outside (0, 1).
///
/// ```
/// use faer::Mat;
/// use pai_graphon::claims::convergence::cut_norm_lower_envelope;
/// // A deterministic matrix (P ∈ {0, 1}) has M = P: nothing above 0 can be certain.
/// let p = Mat::from_fn(50, 50, |i, j| f64::from(u8::from(i < j)));
/// assert_eq!(cut_norm_lower_envelope(p.as_ref(), 1e-3).unwrap(), 0.0);
/// // Fair coins at n = d = 400: below sqrt(2/π)·sqrt(n/4)/(2n), the mean CLT's value, by the
/// // Wasserstein term 1/(4n) and McDiarmid's sqrt(ln(1/δ)/2)/(2n) = 0.0023.
/// let half = Mat::from_fn(400, 400, |_, _| 0.5);
/// let l = cut_norm_lower_envelope(half.as_ref(), 1e-3).unwrap();
/// let clt = (2.0 / std::f64::consts::PI).sqrt() * 10.0 / 800.0;
/// assert!(l < clt - 1.0 / 1600.0 - 0.0023 && l > clt - 1.0 / 1600.0 - 0.0024);
/// assert!(cut_norm_lower_envelope(half.as_ref(), 0.0).is_err());
/// ```
pub fn cut_norm_lower_envelope(p: MatRef<'_, f64>, delta: f64) -> Result<f64, Error> {
    let (n, d) = (p.nrows(), p.ncols());
    if n == 0 || d == 0 {
        return Err(GraphonError::Empty.into());
    }
    for j in 0..d {
        for i in 0..n {
            let value = p[(i, j)];
            if !value.is_finite() {
                return Err(GraphonError::NonFinite(value).into());
            }
            if !(0.0..=1.0).contains(&value) {
                return Err(GraphonError::OutOfRange {
                    row: i,
                    col: j,
                    value,
                }
                .into());
            }
        }
    }
    lower_envelope_from(expected_abs_row_sums_lower(p), n, d, delta)
}

/// [`cut_norm_lower_envelope`] from its probability-free part, Σ_i e_i.
fn lower_envelope_from(expected: f64, n: usize, d: usize, delta: f64) -> Result<f64, Error> {
    let nd = (n * d) as f64;
    // McDiarmid with nd differences of 1 has Hoeffding's form: t = nd · hoeffding(nd, 1, δ).
    let t = crate::linalg::inflate(nd * hoeffding(n * d, 1.0, delta, Tail::One)?, 8);
    Ok(next_down(next_down(expected - t) / (2.0 * nd)).max(0.0))
}

/// Σ_i e_i of [`cut_norm_lower_envelope`] for a validated P, rounded down: every e_i is
/// computed through at most d + 16 roundings of terms whose magnitudes sum to
/// `sqrt(2V_i/π) + T_i/V_i + Hölder_i`, and the sum over rows adds n − 1, so twice
/// γ_(n+d+32) times the sum of those magnitudes bounds the error.
fn expected_abs_row_sums_lower(p: MatRef<'_, f64>) -> f64 {
    let (n, d) = (p.nrows(), p.ncols());
    let (mut var, mut third, mut fourth) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    for j in 0..d {
        for i in 0..n {
            let x = p[(i, j)];
            let v = x * (1.0 - x);
            var[i] += v;
            third[i] += v * (x * x + (1.0 - x) * (1.0 - x));
            fourth[i] += v * (1.0 - 6.0 * v);
        }
    }
    let (mut total, mut magnitude) = (0.0, 0.0);
    for i in 0..n {
        let v = var[i];
        if v <= 0.0 {
            continue;
        }
        let normal = (2.0 / std::f64::consts::PI * v).sqrt();
        let goldstein = normal - third[i] / v;
        let holder = v * v.sqrt() / (3.0 * v * v + fourth[i]).sqrt();
        total += goldstein.max(holder);
        magnitude += normal + third[i] / v + holder;
    }
    let allowance = gamma(n + d + 32).map_or(f64::INFINITY, |g| 2.0 * g * magnitude);
    next_down(total - allowance).max(0.0)
}

/// The certified value of the pair S = {i : r_i > 0} (or {i : r_i < 0}), T = all columns, with
/// r_i the row sums of `a`: (max(Σ r_i⁺, Σ r_i⁻) − allowance)/(nd), rounded down. Each entry
/// meets at most n + d − 2 roundings (its row sum, then the sum over S), so the allowance is
/// Higham's γ_(n+d−2) Σ|a_ij| (`tol::sum_allowance`), with Σ|a_ij| rounded up.
fn row_witness(a: MatRef<'_, f64>) -> Result<f64, Error> {
    let (n, d) = (a.nrows(), a.ncols());
    let (mut rows, mut abs_sum) = (vec![0.0; n], 0.0);
    for j in 0..d {
        for (i, r) in rows.iter_mut().enumerate() {
            let x = a[(i, j)];
            *r += x;
            abs_sum += x.abs();
        }
    }
    let positive: f64 = rows.iter().filter(|&&r| r > 0.0).sum();
    let negative: f64 = rows.iter().filter(|&&r| r < 0.0).map(|r| -r).sum();
    let abs_upper = crate::linalg::inflate(abs_sum, n * d);
    let allowance = crate::linalg::inflate(sum_allowance(n + d - 1, abs_upper)?, 4);
    let nd = (n * d) as f64;
    Ok(next_down(next_down(positive.max(negative) - allowance) / nd).max(0.0))
}

/// ‖W_P − W‖₁ ≤ Σ_cells |cell| (W(upper corner) − W(lower corner)), which telescopes to the
/// corner values on the boundary of [0, 1]²: W is non-decreasing in u and v, and the grid value
/// W(u_i, v_j) lies between the corners of its cell. Evaluated at τ̂ (the τ̂-to-τ* change is
/// added by the caller); the rounding of the n + d terms is below 1e-12 and covered by the
/// factor (1 + 1e-12).
///
/// ```
/// use pai_graphon::{claims::convergence::monotone_l1_bound, convergence::limit::Fsm};
/// // A constant W equals its grid values: the bound is exactly 0.
/// let flat = Fsm::parse("const:1", "const:1", "gaussian:1").unwrap().limit_graphon(pai_graphon::params::Density::constant(0.2)).unwrap();
/// assert_eq!(monotone_l1_bound(&flat, 10, 10), 0.0);
/// let w = Fsm::figure1().limit_graphon(pai_graphon::params::Density::constant(0.2)).unwrap();
/// assert!(0.0 < monotone_l1_bound(&w, 100, 100) && monotone_l1_bound(&w, 100, 100) < monotone_l1_bound(&w, 10, 10));
/// ```
pub fn monotone_l1_bound(limit: &LimitGraphon, n: usize, d: usize) -> f64 {
    let (nf, df) = (n as f64, d as f64);
    let top: f64 = (1..=d).map(|j| limit.w(1.0, j as f64 / df)).sum::<f64>()
        + (1..n).map(|i| limit.w(i as f64 / nf, 1.0)).sum::<f64>();
    let bottom: f64 = (0..d).map(|j| limit.w(0.0, j as f64 / df)).sum::<f64>()
        + (1..n).map(|i| limit.w(i as f64 / nf, 0.0)).sum::<f64>();
    ((top - bottom) / (nf * df)).max(0.0) * (1.0 + BOUND_ROUNDING)
}

/// CONV-2's budget is split in this many equal shares, each spread evenly over the widths: the
/// lower envelope (McDiarmid), the upper envelope (matrix Bernstein), the Hoeffding-plus-union
/// bound, and the control's miss (its Hoeffding margin).
const CONV_2_SHARES: f64 = 4.0;

fn conv_2(ctx: &ClaimContext) -> Result<Outcome, Error> {
    let ws = widths(ctx);
    let sweep = cached_sweep(ctx.seed, &ws)?;
    let delta = ctx.delta / CONV_2_SHARES / ws.len() as f64;
    // The two-sided check, each side as a ratio that must be ≤ 1: the certified lower end
    // above the lower envelope, the certified upper end below the matrix-Bernstein envelope,
    // and the lower end below the Hoeffding-plus-union bound (which has no log factor).
    let mut worst = 0.0f64;
    let mut rows = Vec::new();
    for w in sweep.iter() {
        let (floor, ceiling, union) = (
            w.lower_envelope(delta)?,
            w.bernstein(delta)?,
            w.hoeffding(delta)?,
        );
        if !ceiling.is_finite() {
            return Err(ConvergenceError::Size {
                what: "n",
                value: w.n,
                why: "has no certified operator norm, so CONV-2's upper envelope is vacuous",
            }
            .into());
        }
        let lower = w.certified_lower();
        let below = if floor > 0.0 { floor / lower } else { 0.0 };
        worst = worst.max(below).max(w.upper / ceiling).max(lower / union);
        rows.push((w, lower, floor, ceiling, union));
    }
    // The control's miss probability is covered by its share only if the wrong P is far enough
    // from the right one that |mean(M − P)| ≤ margin forces rejection.
    guarantee_control(&sweep, |w| {
        Ok(w.control_gap - w.control_margin(delta)? > w.hoeffding(delta)?)
    })?;
    // The control fails the two-sided check on its upper side from CONTROL_FROM_WIDTH on.
    let mut control_min = f64::INFINITY;
    for w in sweep.iter().filter(|w| w.n >= CONTROL_FROM_WIDTH) {
        control_min = control_min.min(w.control_lower / w.hoeffding(delta)?);
    }
    let xs: Vec<f64> = sweep.iter().map(|w| w.n as f64).collect();
    let mids: Vec<f64> = rows.iter().map(|r| 0.5 * (r.1 + r.0.upper)).collect();
    let (slope, se) = loglog_slope(&xs, &mids);
    let mut out = Outcome::new(
        Check::new(worst, 1.0, Relation::AtMost),
        ctx.delta,
        ctx.label("n=*/d=*"),
    )
    .with_control(
        Check::new(control_min, 1.0, Relation::AtMost),
        format!("P built at the wrong density {WRONG_DENSITY}, widths n ≥ {CONTROL_FROM_WIDTH}"),
    )
    .detail("midpoint_loglog_slope", slope)
    .detail("midpoint_loglog_slope_se", se);
    for (w, lower, floor, ceiling, union) in rows {
        let n = w.n;
        out = out
            .detail(format!("lower_envelope(n={n})"), floor)
            .detail(format!("row_witness(n={n})"), w.row_witness)
            .detail(format!("lower(n={n})"), lower)
            .detail(format!("upper(n={n})"), w.upper)
            .detail(format!("upper_envelope(n={n})"), ceiling)
            .detail(format!("hoeffding(n={n})"), union);
    }
    Ok(out)
}

/// Errors unless `separated` holds at every control width: then the control fails to reject only
/// if |mean(M − P)| exceeds its Hoeffding margin, which the budget covers.
fn guarantee_control(
    sweep: &[WidthResult],
    separated: impl Fn(&WidthResult) -> Result<bool, Error>,
) -> Result<(), Error> {
    for w in sweep.iter().filter(|w| w.n >= CONTROL_FROM_WIDTH) {
        if !separated(w)? {
            return Err(ConvergenceError::Size {
                what: "n",
                value: w.n,
                why: "leaves the wrong-density control not separated from the bound",
            }
            .into());
        }
    }
    Ok(())
}

/// The wrong-density control of CONV-2 and CONV-3 is checked from this width on.
///
/// ```
/// use pai_graphon::claims::convergence::{CONTROL_FROM_WIDTH, WIDTHS};
/// assert_eq!(WIDTHS.iter().filter(|&&n| n >= CONTROL_FROM_WIDTH).count(), 3);
/// ```
pub const CONTROL_FROM_WIDTH: usize = 1000;

fn conv_3(ctx: &ClaimContext) -> Result<Outcome, Error> {
    let ws = widths(ctx);
    let sweep = cached_sweep(ctx.seed, &ws)?;
    // Half the budget for the rate bound, half for the control's miss bound.
    let delta = ctx.delta / 2.0 / ws.len() as f64;
    guarantee_control(&sweep, |w| {
        Ok(w.far.gap - w.control_margin(delta)? - w.far.l1_to_limit
            > w.bernstein(delta)? + w.l1_to_limit)
    })?;
    let (mut worst, mut control_min) = (0.0f64, f64::INFINITY);
    let mut out_details = Vec::new();
    for w in sweep.iter() {
        let rate_bound = w.bernstein(delta)? + w.l1_to_limit;
        worst = worst.max((w.upper + w.l1_to_limit) / rate_bound);
        if w.n >= CONTROL_FROM_WIDTH {
            control_min = control_min.min((w.far.lower - w.far.l1_to_limit) / rate_bound);
        }
        out_details.push((
            format!("distance_upper(n={})", w.n),
            w.upper + w.l1_to_limit,
        ));
        out_details.push((format!("rate_bound(n={})", w.n), rate_bound));
        out_details.push((format!("l1_to_limit(n={})", w.n), w.l1_to_limit));
    }
    let mut out = Outcome::new(
        Check::new(worst, 1.0, Relation::AtMost),
        ctx.delta,
        "CONV-2/n=*/d=*" /* CONV-3 checks the streams of the CONV-2 sweep */,
    )
    .with_control(
        Check::new(control_min, 1.0, Relation::AtMost),
        format!("distance to the limit graphon at the wrong density {FAR_WRONG_DENSITY}, n ≥ {CONTROL_FROM_WIDTH}"),
    );
    out.details.extend(out_details);
    Ok(out)
}

/// The convergence claims, CONV-1 to CONV-5.
///
/// ```
/// let ids: Vec<&str> = pai_graphon::claims::convergence::claims().iter().map(|c| c.id).collect();
/// assert_eq!(ids, ["CONV-1", "CONV-2", "CONV-3", "CONV-4", "CONV-5"]);
/// ```
pub fn claims() -> Vec<Claim> {
    let mut all = limit_claims();
    all.extend(noise::claims());
    all
}

/// CONV-1 to CONV-3.
fn limit_claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "CONV-1",
            title: "The empirical threshold τ_n lies in the Hoeffding interval around τ*",
            source: Source::Reconstructed,
            kind: Kind::Statistical,
            delta: STATISTICAL_DELTA,
            run: conv_1,
        },
        Claim {
            id: "CONV-2",
            title: "Frozen at τ*, ‖W_M − W_P‖_□ is certified between the envelopes c_n n^(−1/2) and C sqrt(log n / n)",
            source: Source::Reconstructed,
            kind: Kind::Statistical,
            delta: STATISTICAL_DELTA,
            run: conv_2,
        },
        Claim {
            id: "CONV-3",
            title: "The certified distance ‖W_M − W‖_□ stays below a rate bound that shrinks like sqrt(log n / n)",
            source: Source::Paper,
            kind: Kind::Statistical,
            delta: STATISTICAL_DELTA,
            run: conv_3,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// E|Σ_j (M_j − p_j)| exactly, from the law of the Bernoulli sum (dynamic programming).
    fn exact_mean_abs(ps: &[f64]) -> f64 {
        let mut law = vec![1.0];
        for &p in ps {
            let mut next = vec![0.0; law.len() + 1];
            for (k, &q) in law.iter().enumerate() {
                next[k] += q * (1.0 - p);
                next[k + 1] += q * p;
            }
            law = next;
        }
        let mean: f64 = ps.iter().sum();
        law.iter()
            .enumerate()
            .map(|(k, q)| q * (k as f64 - mean).abs())
            .sum()
    }

    #[test]
    fn expected_abs_row_sums_lower_is_below_the_exact_mean_and_not_far() {
        // Rows of lengths 3 … 200 with edge probabilities of the Figure-1 range (many near 0).
        let mut rng = crate::seed::MasterSeed::default().stream("CONV-2/unit/mean-abs");
        for d in [3usize, 10, 40, 200] {
            let p = Mat::from_fn(4, d, |i, _| {
                let u = crate::seed::uniform_open01(&mut rng);
                [u, u * u * u, 0.5 + 0.5 * u, 0.9][i]
            });
            let rows: Vec<Vec<f64>> = (0..4)
                .map(|i| (0..d).map(|j| p[(i, j)]).collect())
                .collect();
            let exact: f64 = rows.iter().map(|r| exact_mean_abs(r)).sum();
            let bound = expected_abs_row_sums_lower(p.as_ref());
            assert!(bound <= exact, "d = {d}: {bound} > {exact}");
            // Goldstein's bound holds both ways, |E|r| − sqrt(2V/π)| ≤ T/V: the bound (at least
            // the lower side) is within 2 T/V of the exact mean on every row.
            let gap: f64 = rows
                .iter()
                .map(|r| {
                    let v: f64 = r.iter().map(|p| p * (1.0 - p)).sum();
                    let t: f64 = r
                        .iter()
                        .map(|p| p * (1.0 - p) * (p * p + (1.0 - p) * (1.0 - p)))
                        .sum();
                    2.0 * t / v
                })
                .sum();
            assert!(
                exact - bound <= gap,
                "d = {d}: {bound} more than {gap} below {exact}"
            );
        }
    }

    #[test]
    fn row_witness_is_the_all_columns_pair_and_a_lower_bound() {
        let mut rng = crate::seed::MasterSeed::default().stream("CONV-2/unit/witness");
        let a = Mat::from_fn(7, 9, |_, _| crate::seed::uniform_open01(&mut rng) - 0.4);
        let w = row_witness(a.as_ref()).unwrap();
        let r: Vec<f64> = (0..7).map(|i| (0..9).map(|j| a[(i, j)]).sum()).collect();
        let best = r
            .iter()
            .map(|x| x.max(0.0))
            .sum::<f64>()
            .max(r.iter().map(|x| (-x).max(0.0)).sum());
        let exact = crate::graphon::cutnorm::cut_norm_exact(a.as_ref()).unwrap();
        assert!(w <= best / 63.0 && best / 63.0 - w <= crate::tol::gamma(32).unwrap());
        assert!(w <= exact);
    }

    #[test]
    fn lower_envelope_refuses_bad_input() {
        let bad = |x: f64| Mat::from_fn(2, 2, |i, j| if i + j == 0 { x } else { 0.5 });
        let env = |m: Mat<f64>| cut_norm_lower_envelope(m.as_ref(), 0.1);
        assert!(matches!(
            env(bad(f64::NAN)),
            Err(Error::Graphon(GraphonError::NonFinite(_)))
        ));
        assert!(matches!(
            env(bad(1.5)),
            Err(Error::Graphon(GraphonError::OutOfRange {
                row: 0,
                col: 0,
                ..
            }))
        ));
        assert!(matches!(
            env(Mat::zeros(0, 3)),
            Err(Error::Graphon(GraphonError::Empty))
        ));
        assert!(cut_norm_lower_envelope(bad(0.5).as_ref(), 1.0).is_err());
    }

    #[test]
    fn normalised_distance_counts_half_widths_from_the_centre() {
        assert_eq!(normalised_distance(1.0, (0.0, 2.0)), 0.0);
        assert_eq!(normalised_distance(2.0, (0.0, 2.0)), 1.0);
        assert_eq!(normalised_distance(-1.0, (0.0, 2.0)), 2.0);
        assert_eq!(normalised_distance(3.5, (3.0, 3.5)), 1.0);
    }
}
