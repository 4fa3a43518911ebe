//! Claims CONV-1 to CONV-3: the steps of the convergence proof, checked on sampled masks of the
//! Figure-1 model at widths n = d = 200 … 4000 (`theory/convergence.md`).
//!
//! - CONV-1: the empirical threshold τ_n lies in the interval that Hoeffding's inequality and the
//!   grid-to-limit gap put around the limit threshold τ*.
//! - CONV-2: with the threshold frozen at τ*, the certified lower bound of ‖W_M − W_P‖_□ stays
//!   below the Hoeffding-plus-union bound over all (S, T).
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
use crate::params::Density;
use crate::tol::{hoeffding, matrix_bernstein, Tail};
use crate::Error;
use faer::Mat;

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

/// What the cut-norm sweep measured at one width.
#[derive(Clone, Debug)]
pub(crate) struct WidthResult {
    /// n = d.
    pub n: usize,
    /// Certified lower bound of ‖W_M − W_P‖_□ (threshold frozen at τ̂).
    pub lower: f64,
    /// Certified upper bound of ‖W_M − W_P‖_□.
    pub upper: f64,
    /// The Hoeffding-plus-union bound on ‖W_M − W_P‖_□ at this width's share of the budget.
    pub hoeffding: f64,
    /// Upper bound on ‖W_P − W‖₁ from the monotonicity of W plus |g(τ̂) − ρ|.
    pub l1_to_limit: f64,
    /// The rate bound on the certified upper bound: matrix Bernstein on ‖M − P‖_op, divided by
    /// sqrt(nd), plus the certificate's own excess over its estimate.
    pub bernstein: f64,
    /// |mean(M − P')| for P' at the wrong density: a certified lower bound of ‖W_M − W_P'‖_□.
    pub control_lower: f64,
    /// The Hoeffding bound on |mean(M − P)| that bounds the control's miss probability.
    pub control_margin: f64,
    /// |mean(P' − P)|: what separates the wrong edge probabilities from the right ones.
    pub control_gap: f64,
    /// The same three for [`FAR_WRONG_DENSITY`] (CONV-3's control).
    pub far: FarControl,
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

type SweepKey = (u64, Vec<usize>, u64);

/// CONV-2 and CONV-3 check the same sweep: compute it once per seed, widths and budget.
fn cached_sweep(
    seed: crate::seed::MasterSeed,
    widths: &[usize],
    delta_per_width: f64,
) -> Result<std::sync::Arc<Vec<WidthResult>>, Error> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<SweepKey, Arc<Vec<WidthResult>>>>> = OnceLock::new();
    let key = (seed.value(), widths.to_vec(), delta_per_width.to_bits());
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(hit) = cache.get(&key) {
        return Ok(hit.clone());
    }
    let sweep = Arc::new(cut_sweep(seed, widths, delta_per_width)?);
    cache.insert(key, sweep.clone());
    Ok(sweep)
}

/// The frozen-threshold sweep behind CONV-2 and CONV-3: at each width, scores from the streams
/// `CONV-2/n=…/d=…`, M = 1{S > τ̂}, P = P(S > τ̂) on the grid, the certified cut-norm
/// interval of M − P, and the bounds it is checked against. `delta_per_width` is the failure
/// probability each bound spends at each width.
pub(crate) fn cut_sweep(
    seed: crate::seed::MasterSeed,
    widths: &[usize],
    delta_per_width: f64,
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
            let variance = max_line_variance(&p);
            let op = matrix_bernstein(n, n, variance, 1.0, delta_per_width)?;
            let excess = (cut.op_norm_upper.powi(2) - cut.op_norm_estimate.powi(2)).max(0.0);
            let nd = (n * n) as f64;
            let p_wrong = edge_probabilities(&spec, &wrong);
            let control_lower = (m.sum() - p_wrong.sum()).abs() / nd;
            let control_gap = (p_wrong.sum() - p.sum()).abs() / nd;
            let p_far = edge_probabilities(&spec, &far);
            let far = FarControl {
                lower: (m.sum() - p_far.sum()).abs() / nd,
                gap: (p_far.sum() - p.sum()).abs() / nd,
                l1_to_limit: monotone_l1_bound(&far, n, n) + gap_far,
            };
            Ok(WidthResult {
                n,
                lower: cut.lower,
                upper: cut.upper,
                hoeffding: cut_norm_hoeffding_bound(n, n, delta_per_width)?,
                l1_to_limit: monotone_l1_bound(&limit, n, n) + gap_right,
                bernstein: (op * op + excess).sqrt() / nd.sqrt(),
                control_lower,
                control_margin: hoeffding(n * n, 1.0, delta_per_width, Tail::Two)?,
                control_gap,
                far,
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

fn conv_2(ctx: &ClaimContext) -> Result<Outcome, Error> {
    let ws = widths(ctx);
    // Half the budget for the Hoeffding check, half for the control's miss bound.
    let sweep = cached_sweep(ctx.seed, &ws, ctx.delta / 2.0 / ws.len() as f64)?;
    let worst = sweep
        .iter()
        .map(|w| w.lower / w.hoeffding)
        .fold(0.0, f64::max);
    // The control's miss probability is covered by the other half of the budget only if the
    // wrong P is far enough from the right one that |mean(M − P)| ≤ margin forces rejection.
    guarantee_control(&sweep, |w| w.control_gap - w.control_margin > w.hoeffding)?;
    // The control must exceed the bound from CONTROL_FROM_WIDTH on.
    let control: Vec<&WidthResult> = sweep.iter().filter(|w| w.n >= CONTROL_FROM_WIDTH).collect();
    let control_min = control
        .iter()
        .map(|w| w.control_lower / w.hoeffding)
        .fold(f64::INFINITY, f64::min);
    let xs: Vec<f64> = sweep.iter().map(|w| w.n as f64).collect();
    let ups: Vec<f64> = sweep.iter().map(|w| w.upper).collect();
    let (slope, se) = loglog_slope(&xs, &ups);
    let mut out = Outcome::new(
        Check::new(worst, 1.0, Relation::AtMost),
        ctx.delta,
        ctx.label("n=*/d=*"),
    )
    .with_control(
        Check::new(control_min, 1.0, Relation::AtMost),
        format!("P built at the wrong density {WRONG_DENSITY}, widths n ≥ {CONTROL_FROM_WIDTH}"),
    )
    .detail("upper_loglog_slope", slope)
    .detail("upper_loglog_slope_se", se);
    for w in sweep.iter() {
        out = out
            .detail(format!("lower(n={})", w.n), w.lower)
            .detail(format!("upper(n={})", w.n), w.upper)
            .detail(format!("hoeffding(n={})", w.n), w.hoeffding);
    }
    Ok(out)
}

/// Errors unless `separated` holds at every control width: then the control fails to reject only
/// if |mean(M − P)| exceeds its Hoeffding margin, which the budget covers.
fn guarantee_control(
    sweep: &[WidthResult],
    separated: impl Fn(&WidthResult) -> bool,
) -> Result<(), Error> {
    match sweep
        .iter()
        .find(|w| w.n >= CONTROL_FROM_WIDTH && !separated(w))
    {
        None => Ok(()),
        Some(w) => Err(ConvergenceError::Size {
            what: "n",
            value: w.n,
            why: "leaves the wrong-density control not separated from the bound",
        }
        .into()),
    }
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
    let sweep = cached_sweep(ctx.seed, &ws, ctx.delta / 2.0 / ws.len() as f64)?;
    guarantee_control(&sweep, |w| {
        w.far.gap - w.control_margin - w.far.l1_to_limit > w.bernstein + w.l1_to_limit
    })?;
    let worst = sweep
        .iter()
        .map(|w| (w.upper + w.l1_to_limit) / (w.bernstein + w.l1_to_limit))
        .fold(0.0, f64::max);
    let control_min = sweep
        .iter()
        .filter(|w| w.n >= CONTROL_FROM_WIDTH)
        .map(|w| (w.far.lower - w.far.l1_to_limit) / (w.bernstein + w.l1_to_limit))
        .fold(f64::INFINITY, f64::min);
    let mut out = Outcome::new(
        Check::new(worst, 1.0, Relation::AtMost),
        ctx.delta,
        "CONV-2/n=*/d=*" /* CONV-3 checks the streams of the CONV-2 sweep */,
    )
    .with_control(
        Check::new(control_min, 1.0, Relation::AtMost),
        format!("distance to the limit graphon at the wrong density {FAR_WRONG_DENSITY}, n ≥ {CONTROL_FROM_WIDTH}"),
    );
    for w in sweep.iter() {
        out = out
            .detail(
                format!("distance_upper(n={})", w.n),
                w.upper + w.l1_to_limit,
            )
            .detail(
                format!("rate_bound(n={})", w.n),
                w.bernstein + w.l1_to_limit,
            )
            .detail(format!("l1_to_limit(n={})", w.n), w.l1_to_limit);
    }
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
            title: "Frozen at τ*, ‖W_M − W_P‖_□ stays below the Hoeffding union bound",
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

    #[test]
    fn normalised_distance_counts_half_widths_from_the_centre() {
        assert_eq!(normalised_distance(1.0, (0.0, 2.0)), 0.0);
        assert_eq!(normalised_distance(2.0, (0.0, 2.0)), 1.0);
        assert_eq!(normalised_distance(-1.0, (0.0, 2.0)), 2.0);
        assert_eq!(normalised_distance(3.5, (3.0, 3.5)), 1.0);
    }
}
