//! τ* of the Factorised Saliency Model in MPFR at an explicit precision, and the reference
//! table `data/reference/tau_star.tsv`.
//!
//! g(τ) is integrated by composite Gauss–Legendre rules whose nodes are computed in MPFR
//! (Newton on the Legendre recurrence). Two reductions keep it fast:
//! - log-linear profiles (`const`, `exp`, constant steps) on both sides: ln φ(u) + ln ψ(v) =
//!   A + r₁u + r₂v, so `g = ∫ T(τ e^(−A−s)) k(s) ds` with k the trapezoidal density of
//!   r₁U + r₂V (a one-dimensional integral, split where k bends and at the uniform law's kink);
//! - otherwise nested one-dimensional rules (outer over the profile with the narrower log-range,
//!   one node per constant cell), cut at a y-grid, at the cut-off y_cut and, for uniform noise,
//!   where its kink meets the segment ends.
//!
//! MPFR's erfc is slow (about 0.5 ms at 256 bits), so T is integrated by parts against the
//! profile law and erfc is called only at segment ends; the integrands need only exp and ln.
//!
//! Profile parameters enter as the f64 values of their specs; ρ enters as its exact decimal.
//! The digits are checked by agreement: the same solve at `prec` and `prec + 64` bits, and with
//! n and 3n/2 nodes per panel; [`TauStarMp::error_estimate`] is the largest disagreement.
//!
//! ```
//! use pai_graphon::convergence::limit::Fsm;
//! use pai_graphon::mp::limit::tau_star_mp;
//! use rug::Float;
//! // Constant profiles and uniform |ξ|: g(τ) = P(|ξ| > τ) = 1 − τ, so τ* = 1 − ρ exactly.
//! let fsm = Fsm::parse("const:1", "const:1", "uniform:1").unwrap();
//! let t = tau_star_mp(&fsm, "0.2", 128).unwrap();
//! let exact = Float::with_val(128, Float::parse("0.8").unwrap());
//! assert!((t.value - exact).abs() < Float::with_val(128, Float::i_exp(1, -120)));
//! ```

use crate::convergence::limit::{constant_level, segments, Fsm};
use crate::convergence::noise::Noise;
use crate::convergence::profile::Profile;
use crate::convergence::ConvergenceError;
use rug::float::Constant;
use rug::Float;

/// Nodes per panel of the first solve (the second uses 3/2 of it).
///
/// ```
/// use pai_graphon::convergence::limit::Fsm;
/// use pai_graphon::mp::limit::{tau_star_mp, DEFAULT_NODES};
/// let fsm = Fsm::parse("const:1", "const:1", "uniform:1").unwrap();
/// assert_eq!(tau_star_mp(&fsm, "0.5", 64).unwrap().nodes, (DEFAULT_NODES, 30));
/// ```
pub const DEFAULT_NODES: usize = 20;

/// τ* at high precision with its agreement-based error estimate.
///
/// ```
/// use pai_graphon::convergence::limit::Fsm;
/// use pai_graphon::mp::limit::tau_star_mp;
/// use rug::Float;
/// // Magnitude pruning (constant profiles, Gaussian ξ): erfc(τ*/√2) = ρ.
/// let fsm = Fsm::parse("const:1", "const:1", "gaussian:1").unwrap();
/// let t = tau_star_mp(&fsm, "0.2", 128).unwrap();
/// assert_eq!((t.prec, t.value.prec()), (128, 128));
/// assert!(t.error_estimate < 1e-30);
/// let z = Float::with_val(128, &t.value / Float::with_val(128, 2).sqrt());
/// let rho = Float::with_val(128, Float::parse("0.2").unwrap());
/// assert!((z.erfc() - rho).abs() < 1e-30);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TauStarMp {
    /// τ* from the solve at `prec` bits with `nodes.0` nodes per panel.
    pub value: Float,
    /// The largest |difference| to the solves at `prec + 64` bits and with `nodes.1` nodes.
    pub error_estimate: Float,
    /// Working precision in bits.
    pub prec: u32,
    /// The two node counts compared.
    pub nodes: (usize, usize),
}

/// Gauss–Legendre nodes and weights on [−1, 1] at `prec` bits (Newton from the f64 guesses).
///
/// ```
/// let (x, w) = pai_graphon::mp::limit::gauss_legendre_mp(3, 256);
/// let exact = (rug::Float::with_val(256, 3) / 5u32).sqrt();
/// assert!((x[2].clone() - exact).abs() < 1e-70);
/// assert!((w[1].clone() - rug::Float::with_val(256, 8) / 9u32).abs() < 1e-70);
/// ```
pub fn gauss_legendre_mp(n: usize, prec: u32) -> (Vec<Float>, Vec<Float>) {
    let (x64, _) = crate::convergence::limit::gauss_legendre(n);
    let mut x = Vec::with_capacity(n);
    let mut w = Vec::with_capacity(n);
    let tiny = Float::with_val(prec, Float::i_exp(1, -(prec as i32) + 4));
    for x0 in x64 {
        let mut z = Float::with_val(prec, x0);
        let mut dp = Float::new(prec);
        for _ in 0..64 {
            let (p, d) = legendre_mp(n, &z);
            let step = Float::with_val(prec, &p / &d);
            z -= &step;
            dp = d;
            if step.abs() <= tiny {
                dp = legendre_mp(n, &z).1;
                break;
            }
        }
        let one_minus = Float::with_val(prec, 1) - Float::with_val(prec, z.square_ref());
        w.push(Float::with_val(prec, 2) / (one_minus * dp.square()));
        x.push(z);
    }
    (x, w)
}

/// `(P_n(z), P_n'(z))` in MPFR.
fn legendre_mp(n: usize, z: &Float) -> (Float, Float) {
    let prec = z.prec();
    let mut p0 = Float::with_val(prec, 1);
    let mut p1 = z.clone();
    for k in 2..=n {
        let p2 =
            (Float::with_val(prec, z * &p1) * (2 * k - 1) as u32 - p0 * (k - 1) as u32) / k as u32;
        p0 = p1;
        p1 = p2;
    }
    let zz = Float::with_val(prec, z.square_ref()) - 1u32;
    let d = (Float::with_val(prec, z * &p1) - p0) * n as u32 / zz;
    (p1, d)
}

/// The noise law in MPFR: tail T(y) and the derivative weight y f(y).
#[derive(Clone, Debug)]
enum LawMp {
    /// 1/(σ√2), sqrt(2/π) and σ.
    Gaussian(Float, Float, Float),
    /// a.
    Uniform(Float),
}

impl LawMp {
    fn new(noise: &Noise, prec: u32) -> Self {
        match noise {
            Noise::Gaussian(l) => {
                let pi = Float::with_val(prec, Constant::Pi);
                let s2 = Float::with_val(prec, 2).sqrt();
                LawMp::Gaussian(
                    Float::with_val(prec, 1) / (s2 * l.sigma),
                    (Float::with_val(prec, 2) / pi).sqrt(),
                    Float::with_val(prec, l.sigma),
                )
            }
            Noise::Uniform(l) => LawMp::Uniform(Float::with_val(prec, l.a)),
        }
    }

    /// T(y) alone (MPFR's erfc is slow, ~0.5 ms at 256 bits: called only at panel ends).
    fn tail(&self, y: &Float) -> Float {
        let prec = y.prec();
        match self {
            LawMp::Gaussian(k, _, _) => Float::with_val(prec, y * k).erfc(),
            LawMp::Uniform(a) => {
                if y >= a {
                    Float::new(prec)
                } else {
                    Float::with_val(prec, 1) - Float::with_val(prec, y / a)
                }
            }
        }
    }

    /// `y f(y)` (only exp).
    fn y_density(&self, y: &Float) -> Float {
        let prec = y.prec();
        match self {
            LawMp::Gaussian(k, c, _) => {
                let z = Float::with_val(prec, y * k);
                let z2 = Float::with_val(prec, z.square_ref());
                Float::with_val(prec, 2).sqrt() * c * z * (-z2).exp()
            }
            LawMp::Uniform(a) => {
                if y >= a {
                    Float::new(prec)
                } else {
                    Float::with_val(prec, y / a)
                }
            }
        }
    }

    /// The y-grid of panel ends and the cut-off `y_cut` beyond which T is dropped: for the
    /// half-normal, steps of σ/4 up to `y_cut = σ sqrt(2 (prec + 16) ln 2)`, where
    /// `T(y) ≤ e^(−y²/2σ²) ≤ 2^−(prec+16)`; for the uniform law no grid and `y_cut = a`, where T
    /// vanishes and has its kink. T changes by a bounded factor across each grid step in ln y,
    /// so every panel holds a function Gauss–Legendre resolves.
    fn grid(&self) -> (Vec<Float>, Float) {
        match self {
            LawMp::Gaussian(_, _, sigma) => {
                let prec = sigma.prec();
                let bits = f64::from(prec + 16) * std::f64::consts::LN_2;
                let y_cut = Float::with_val(prec, 2.0 * bits).sqrt() * sigma;
                let steps = (4.0 * y_cut.to_f64() / sigma.to_f64()).floor() as u32;
                let ys = (1..=steps)
                    .map(|j| Float::with_val(prec, sigma * j) / 4u32)
                    .filter(|y| *y < y_cut)
                    .collect();
                (ys, y_cut)
            }
            LawMp::Uniform(a) => (Vec::new(), a.clone()),
        }
    }
}

/// `Σ` of (g, Σ y f(y)) contributions.
type Pair = (Float, Float);

fn add(acc: &mut Pair, w: &Float, (t, s): Pair) {
    acc.0 += Float::with_val(acc.0.prec(), w * &t);
    acc.1 += Float::with_val(acc.1.prec(), w * &s);
}

/// Composite Gauss–Legendre on [lo, hi] with `panels` equal panels of `rule`.
fn integrate(
    lo: &Float,
    hi: &Float,
    panels: usize,
    rule: &(Vec<Float>, Vec<Float>),
    f: &mut dyn FnMut(&Float) -> Pair,
) -> Pair {
    let prec = lo.prec();
    let mut acc = (Float::new(prec), Float::new(prec));
    if hi <= lo {
        return acc;
    }
    let width = Float::with_val(prec, hi - lo) / panels as u32;
    for k in 0..panels {
        let a = Float::with_val(prec, &width * k as u32) + lo;
        let half = Float::with_val(prec, &width / 2u32);
        let mid = Float::with_val(prec, &a + &half);
        for (x, w) in rule.0.iter().zip(&rule.1) {
            let node = Float::with_val(prec, &half * x) + &mid;
            let weight = Float::with_val(prec, &half * w);
            let value = f(&node);
            add(&mut acc, &weight, value);
        }
    }
    acc
}

/// Panels per piece of length `len` (at most 1/2 wide in s or in u).
fn panels_for(len: &Float) -> usize {
    (len.to_f64() * 2.0).ceil().max(1.0) as usize
}

/// ln-linear form `(level, rate)` of a profile: φ(u) = level · e^(rate u).
fn log_linear(p: &Profile) -> Option<(f64, f64)> {
    if let Some(c) = constant_level(p) {
        return Some((c, 0.0));
    }
    match p {
        Profile::Exp(r) => Some((1.0, *r)),
        _ => None,
    }
}

/// A profile at `x` in MPFR (smooth kinds; step cells are handled by their level).
fn profile_mp(p: &Profile, x: &Float) -> Float {
    let prec = x.prec();
    match p {
        Profile::Constant(c) => Float::with_val(prec, *c),
        Profile::Affine(a, b) => Float::with_val(prec, x * *b) + *a,
        Profile::Power(q) => power(x, *q),
        Profile::Exp(r) => Float::with_val(prec, x * *r).exp(),
        Profile::Step { .. } => Float::with_val(prec, p.value(x.to_f64())),
    }
}

/// `x^q = e^(q ln x)` for x ≥ 0.
fn power(x: &Float, q: f64) -> Float {
    if *x == 0 {
        return Float::new(x.prec());
    }
    (Float::with_val(x.prec(), x.ln_ref()) * q).exp()
}

/// The u in a smooth segment where the profile equals `target` (None if not inside).
fn profile_inverse(p: &Profile, target: &Float, lo: f64, hi: f64) -> Option<Float> {
    let prec = target.prec();
    let u = match p {
        Profile::Affine(a, b) if *b > 0.0 => (Float::with_val(prec, target - *a)) / *b,
        Profile::Power(q) => power(target, 1.0 / q),
        Profile::Exp(r) if *r > 0.0 => Float::with_val(prec, target.ln_ref()) / *r,
        _ => return None,
    };
    (u > lo && u < hi).then_some(u)
}

/// One evaluation `(g(τ), Σ y f(y))`, so that `g'(τ) = −second / τ`.
fn g_mp(
    fsm: &Fsm,
    law: &LawMp,
    tau: &Float,
    rule: &(Vec<Float>, Vec<Float>),
) -> Result<Pair, ConvergenceError> {
    let prec = tau.prec();
    if let (Some((c1, r1)), Some((c2, r2))) = (log_linear(&fsm.row), log_linear(&fsm.col)) {
        let base = Float::with_val(prec, tau / c1) / c2; // y = base · e^(−s)
        let (a, b) = (r1.min(r2), r1.max(r2));
        if b == 0.0 {
            return Ok((law.tail(&base), law.y_density(&base)));
        }
        let fa = Float::with_val(prec, a);
        let fb = Float::with_val(prec, b);
        let total = Float::with_val(prec, &fa + &fb);
        // k = density and kbar = survival function of S = aU + bV
        let ab = Float::with_val(prec, &fa * &fb);
        let density = |s: &Float| -> Float {
            if a == 0.0 {
                Float::with_val(prec, 1) / &fb
            } else if *s <= fa {
                Float::with_val(prec, s / &ab)
            } else if *s <= fb {
                Float::with_val(prec, 1) / &fb
            } else {
                Float::with_val(prec, &total - s) / &ab
            }
        };
        let survival = |s: &Float| -> Float {
            let one = Float::with_val(prec, 1);
            if a == 0.0 {
                one - Float::with_val(prec, s / &fb)
            } else if *s <= fa {
                one - Float::with_val(prec, s.square_ref()) / &ab / 2u32
            } else if *s <= fb {
                one - Float::with_val(prec, &fa / &fb) / 2u32 - Float::with_val(prec, s - &fa) / &fb
            } else {
                Float::with_val(prec, &total - s).square() / &ab / 2u32
            }
        };
        // s = ln(base / y): drop s < s_cut (y > y_cut), cut at the grid and where k bends
        let (ys, y_cut) = law.grid();
        let s_of = |y: &Float| Float::with_val(prec, &base / y).ln();
        let start = s_of(&y_cut).max(&Float::new(prec)).clone();
        if start >= total {
            return Ok((law.tail(&base), Float::new(prec)));
        }
        let mut cuts = vec![start.clone(), total.clone()];
        cuts.extend(
            [fa.clone(), fb.clone()]
                .into_iter()
                .chain(ys.iter().map(s_of))
                .filter(|c| *c > start && *c < total),
        );
        sort_dedup(&mut cuts);
        // by parts: g = T(base) + ∫ K̄(s) y f(y) ds (T(base) ≤ 2^−(prec+16) is dropped beyond
        // y_cut); g'(τ) = −(1/τ) ∫ k(s) y f(y) ds. Only exp is needed under the integral.
        let (mut g, slope) = over_cuts(&cuts, rule, &mut |s| {
            let y = Float::with_val(prec, -s).exp() * &base;
            let yf = law.y_density(&y);
            (Float::with_val(prec, &yf * survival(s)), yf * density(s))
        });
        if base < y_cut {
            g += law.tail(&base);
        }
        return Ok((g, slope));
    }
    nested(fsm, law, tau, rule)
}

/// Sort and remove duplicates.
fn sort_dedup(cuts: &mut Vec<Float>) {
    cuts.sort_by(|x, y| x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal));
    cuts.dedup();
}

/// Panel ends on a smooth segment [lo, hi] of `p` where y = base / p(x) (decreasing in x):
/// from where y = y_cut, at the grid values of y and at `extra` values of p. None when the whole
/// segment has y ≥ y_cut.
fn smooth_cuts(
    p: &Profile,
    (lo, hi): (f64, f64),
    base: &Float,
    (ys, y_cut): &(Vec<Float>, Float),
    extra: &[Float],
) -> Option<Vec<Float>> {
    let prec = base.prec();
    let at_hi = profile_mp(p, &Float::with_val(prec, hi));
    if at_hi == 0 || Float::with_val(prec, base / &at_hi) >= *y_cut {
        return None;
    }
    let level = |y: &Float| Float::with_val(prec, base / y);
    let start = profile_inverse(p, &level(y_cut), lo, hi).unwrap_or(Float::with_val(prec, lo));
    let mut cuts = vec![start.clone(), Float::with_val(prec, hi)];
    let targets = ys.iter().map(level).chain(extra.iter().cloned());
    cuts.extend(
        targets
            .filter_map(|t| profile_inverse(p, &t, lo, hi))
            .filter(|x| *x > start),
    );
    sort_dedup(&mut cuts);
    Some(cuts)
}

/// The one-sided values of a profile at the ends of its segments (positive ones), in MPFR.
fn end_values(p: &Profile, prec: u32) -> Vec<Float> {
    let mut out = Vec::new();
    for (lo, hi, level) in segments(p) {
        match level {
            Some(l) => out.push(Float::with_val(prec, l)),
            None => {
                out.push(profile_mp(p, &Float::with_val(prec, lo)));
                out.push(profile_mp(p, &Float::with_val(prec, hi)));
            }
        }
    }
    out.retain(|v| *v > 0);
    out
}

/// Integrate over consecutive cuts, each gap split into panels at most 1/2 wide.
fn over_cuts(
    cuts: &[Float],
    rule: &(Vec<Float>, Vec<Float>),
    f: &mut dyn FnMut(&Float) -> Pair,
) -> Pair {
    let prec = cuts[0].prec();
    let mut acc = (Float::new(prec), Float::new(prec));
    for w in cuts.windows(2) {
        let len = Float::with_val(prec, &w[1] - &w[0]);
        let part = integrate(&w[0], &w[1], panels_for(&len), rule, f);
        acc.0 += part.0;
        acc.1 += part.1;
    }
    acc
}

/// `(ln p)'(x)` on a smooth segment.
fn log_slope(p: &Profile, x: &Float) -> Float {
    let prec = x.prec();
    match p {
        Profile::Exp(r) => Float::with_val(prec, *r),
        Profile::Affine(a, b) => Float::with_val(prec, *b) / (Float::with_val(prec, x * *b) + *a),
        Profile::Power(q) => Float::with_val(prec, *q) / x,
        _ => Float::new(prec),
    }
}

/// Inner integral over v for a fixed row value `phi`: `(∫ T(y) dv, ∫ y f(y) dv)` with
/// y = τ/(φ ψ(v)). On a smooth segment, by parts: ∫_a^b T(y(v)) dv =
/// b T(y(b)) − a T(y(a)) − ∫_a^b v y f(y) (ln ψ)'(v) dv, so erfc is needed only at segment ends
/// (and not at a = the cut-off, where T(y_cut) ≤ 2^−(prec+16) is dropped).
fn inner(
    fsm: &Fsm,
    law: &LawMp,
    tau: &Float,
    phi: &Float,
    rule: &(Vec<Float>, Vec<Float>),
) -> Pair {
    let prec = tau.prec();
    let mut acc = (Float::new(prec), Float::new(prec));
    if *phi == 0 {
        return acc;
    }
    let base = Float::with_val(prec, tau / phi);
    let grid = law.grid();
    for (lo, hi, level) in segments(&fsm.col) {
        if let Some(l) = level {
            if l > 0.0 {
                let y = Float::with_val(prec, &base / l);
                let w = Float::with_val(prec, hi - lo);
                acc.0 += Float::with_val(prec, &w * law.tail(&y));
                acc.1 += w * law.y_density(&y);
            }
            continue;
        }
        let Some(cuts) = smooth_cuts(&fsm.col, (lo, hi), &base, &grid, &[]) else {
            continue;
        };
        let part = over_cuts(&cuts, rule, &mut |v| {
            let psi = profile_mp(&fsm.col, v);
            let y = Float::with_val(prec, &base / &psi);
            let yf = law.y_density(&y);
            let by_parts = Float::with_val(prec, &yf * v) * log_slope(&fsm.col, v);
            (by_parts, yf)
        });
        let y_at = |x: &Float| Float::with_val(prec, &base / profile_mp(&fsm.col, x));
        let (start, end) = (&cuts[0], &cuts[cuts.len() - 1]);
        acc.0 += Float::with_val(prec, end * law.tail(&y_at(end)));
        if *start > lo {
            // start is the cut-off point: T(y_cut) dropped
        } else if *start > 0 {
            acc.0 -= Float::with_val(prec, start * law.tail(&y_at(start)));
        }
        acc.0 -= part.0;
        acc.1 += part.1;
    }
    acc
}

/// How far a profile's logarithm ranges (∞ when it reaches 0): the narrower side goes outer.
fn log_range(p: &Profile) -> f64 {
    let values: Vec<f64> = segments(p)
        .iter()
        .flat_map(|&(lo, hi, level)| match level {
            Some(l) => vec![l],
            None => vec![p.value(lo), p.value(hi)],
        })
        .collect();
    let max = values.iter().cloned().fold(0.0, f64::max);
    let min = values
        .iter()
        .cloned()
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    if segments(p)
        .iter()
        .any(|s| s.2.is_none() && p.value(s.0) == 0.0)
    {
        f64::INFINITY
    } else {
        (max / min).ln()
    }
}

/// Nested rule: outer over the profile with the narrower range (g is symmetric in φ ↔ ψ),
/// one node per constant cell, cuts where the y-grid meets the largest inner value and where
/// the cut-off meets every inner end value (the kinks of the outer integrand).
fn nested(
    fsm: &Fsm,
    law: &LawMp,
    tau: &Float,
    rule: &(Vec<Float>, Vec<Float>),
) -> Result<Pair, ConvergenceError> {
    if log_range(&fsm.row) > log_range(&fsm.col) {
        let swapped = Fsm {
            row: fsm.col.clone(),
            col: fsm.row.clone(),
            noise: fsm.noise,
        };
        return Ok(nested_ordered(&swapped, law, tau, rule));
    }
    Ok(nested_ordered(fsm, law, tau, rule))
}

fn nested_ordered(fsm: &Fsm, law: &LawMp, tau: &Float, rule: &(Vec<Float>, Vec<Float>)) -> Pair {
    let prec = tau.prec();
    let mut acc = (Float::new(prec), Float::new(prec));
    let ends = end_values(&fsm.col, prec);
    let sup = ends
        .iter()
        .max_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let Some(sup) = sup.cloned() else { return acc };
    let (ys, y_cut) = law.grid();
    // φ values where y at the inner end values crosses y_cut: kinks of the outer integrand
    let extra: Vec<Float> = ends
        .iter()
        .map(|e| Float::with_val(prec, tau / e) / &y_cut)
        .collect();
    let base = Float::with_val(prec, tau / &sup);
    for (lo, hi, level) in segments(&fsm.row) {
        if let Some(l) = level {
            let part = inner(fsm, law, tau, &Float::with_val(prec, l), rule);
            let w = Float::with_val(prec, hi - lo);
            acc.0 += Float::with_val(prec, &w * &part.0);
            acc.1 += Float::with_val(prec, &w * &part.1);
            continue;
        }
        let grid = (ys.clone(), y_cut.clone());
        if let Some(cuts) = smooth_cuts(&fsm.row, (lo, hi), &base, &grid, &extra) {
            let part = over_cuts(&cuts, rule, &mut |u| {
                inner(fsm, law, tau, &profile_mp(&fsm.row, u), rule)
            });
            acc.0 += part.0;
            acc.1 += part.1;
        }
    }
    acc
}

/// One solve: Newton on τ from the f64 solution, at `prec` bits with `nodes` per panel.
///
/// ```
/// use pai_graphon::convergence::limit::Fsm;
/// let fsm = Fsm::parse("const:2", "const:1", "uniform:1").unwrap();
/// let rho = rug::Float::with_val(128, rug::Float::parse("0.25").unwrap());
/// let t = pai_graphon::mp::limit::solve_mp(&fsm, &rho, 128, 8).unwrap();
/// assert_eq!(t, 1.5);
/// ```
pub fn solve_mp(
    fsm: &Fsm,
    rho: &Float,
    prec: u32,
    nodes: usize,
) -> Result<Float, ConvergenceError> {
    let start = fsm
        .tau_star(crate::params::Density::new(rho.to_f64())?)?
        .value;
    let law = LawMp::new(&fsm.noise, prec);
    let rule = gauss_legendre_mp(nodes, prec);
    let rho = Float::with_val(prec, rho);
    let mut tau = Float::with_val(prec, start);
    let tiny = Float::with_val(prec, Float::i_exp(1, -(prec as i32) + 8));
    for _ in 0..30 {
        let (g, slope_sum) = g_mp(fsm, &law, &tau, &rule)?;
        if slope_sum == 0 {
            break;
        }
        // g'(τ) = −Σ y f(y) / τ
        let step = Float::with_val(prec, &g - &rho) * &tau / &slope_sum;
        tau += &step;
        // Newton is quadratic: once (step/τ)² is below the target the next step would be too
        let relative = Float::with_val(prec, &step / &tau).abs();
        if Float::with_val(prec, relative.square_ref()) <= tiny {
            break;
        }
    }
    Ok(tau)
}

/// τ* at `prec` bits with [`DEFAULT_NODES`] and its agreement estimate (see the module doc).
///
/// ```
/// use pai_graphon::convergence::limit::Fsm;
/// let t = pai_graphon::mp::limit::tau_star_mp(&Fsm::figure1(), "0.2", 256).unwrap();
/// assert!(t.error_estimate < 1e-40 * t.value.to_f64());
/// // The f64 solve's certified enclosure of τ* holds the 256-bit value (at ρ = fl(0.2), 10⁻¹⁷
/// // from 0.2: τ* moves by far less than the enclosure's width).
/// let (lo, hi) = Fsm::figure1().tau_star(pai_graphon::params::Density::constant(0.2)).unwrap().interval;
/// assert!(lo <= t.value && t.value <= hi);
/// ```
pub fn tau_star_mp(fsm: &Fsm, rho: &str, prec: u32) -> Result<TauStarMp, ConvergenceError> {
    let parsed = Float::parse(rho).map_err(|_| crate::params::FractionError::NotANumber {
        name: "ρ",
        text: rho.to_string(),
    })?;
    let rho_mp = Float::with_val(prec + 64, parsed);
    let (n1, n2) = (DEFAULT_NODES, DEFAULT_NODES * 3 / 2);
    let value = solve_mp(fsm, &rho_mp, prec, n1)?;
    let finer = solve_mp(fsm, &rho_mp, prec + 64, n1)?;
    let more = solve_mp(fsm, &rho_mp, prec, n2)?;
    let d1 = Float::with_val(prec + 64, &finer - &value).abs();
    let d2 = Float::with_val(prec, &more - &value).abs();
    Ok(TauStarMp {
        value,
        error_estimate: if d1 > d2 { d1 } else { d2 },
        prec,
        nodes: (n1, n2),
    })
}

/// The instances of the reference table: (row, column, noise, ρ).
///
/// ```
/// use pai_graphon::convergence::limit::Fsm;
/// use pai_graphon::mp::limit::REFERENCE_INSTANCES;
/// for &(row, col, noise, rho) in REFERENCE_INSTANCES {
///     assert!(Fsm::parse(row, col, noise).is_ok());
///     assert!((0.0..1.0).contains(&rho.parse::<f64>().unwrap()));
/// }
/// // One data row each in the committed table (after the comments and the column header).
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/reference/tau_star.tsv");
/// let table = std::fs::read_to_string(path).unwrap();
/// assert_eq!(table.lines().filter(|l| !l.starts_with('#')).count(), REFERENCE_INSTANCES.len() + 1);
/// ```
pub const REFERENCE_INSTANCES: &[(&str, &str, &str, &str)] = &[
    ("exp:3", "exp:3", "gaussian:1", "0.05"),
    ("exp:3", "exp:3", "gaussian:1", "0.2"),
    ("exp:3", "exp:3", "gaussian:1", "0.5"),
    ("exp:3", "exp:3", "gaussian:1", "0.8"),
    ("step:0.25,0.5;0,1,2", "exp:2", "gaussian:1", "0.3"),
    ("affine:1,2", "affine:0.5,1", "gaussian:1", "0.2"),
    ("power:2", "exp:1", "gaussian:0.5", "0.2"),
    ("exp:3", "exp:3", "uniform:1", "0.2"),
    ("step:0.5;1,2", "exp:1", "uniform:2", "0.4"),
    ("const:1", "const:1", "uniform:1", "0.2"),
    ("const:1", "const:1", "gaussian:1", "0.2"),
];

/// The reference table of τ* (TSV, see `data/reference/tau_star.tsv`): header comments, a
/// column header, then one row per [`REFERENCE_INSTANCES`] entry with τ* to 40 significant
/// digits and the agreement estimate (a failed solve writes `error: …` in the τ* column).
///
/// Takes minutes (three MPFR solves per instance), hence not run here:
///
/// ```no_run
/// use pai_graphon::mp::limit::tau_star_reference_table;
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/reference/tau_star.tsv");
/// assert_eq!(tau_star_reference_table(256), std::fs::read_to_string(path).unwrap());
/// ```
pub fn tau_star_reference_table(prec: u32) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# generated by: pai-graphon reference tau-star --prec {prec}\n"
    ));
    out.push_str(&format!(
        "# precision: {prec} bits; Gauss-Legendre {} and {} nodes per panel, also at {} bits\n",
        DEFAULT_NODES,
        DEFAULT_NODES * 3 / 2,
        prec + 64
    ));
    out.push_str("# libraries: rug 1.30.0, gmp-mpfr-sys 1.7.1 (MPFR 4.2.2, GMP 6.3.0)\n");
    out.push_str(
        "# rho is the exact decimal; profile parameters are the f64 values of the specs\n",
    );
    out.push_str("# do not edit\n");
    out.push_str("row\tcol\tnoise\trho\ttau_star\tagreement\n");
    for &(row, col, noise, rho) in REFERENCE_INSTANCES {
        let solved = Fsm::parse(row, col, noise).and_then(|fsm| tau_star_mp(&fsm, rho, prec));
        let (value, agreement) = match solved {
            Ok(t) => (
                format!("{:.39e}", t.value),
                format!("{:.2e}", t.error_estimate),
            ),
            Err(e) => (format!("error: {e}"), String::new()),
        };
        out.push_str(&format!(
            "{row}\t{col}\t{noise}\t{rho}\t{value}\t{agreement}\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_forms_at_high_precision() {
        let prec = 256;
        let fsm = Fsm::parse("exp:1", "exp:1", "uniform:1").unwrap();
        // g(τ) = 1 − τ ((1 − e^(−1)))² for τ ≤ 1, so τ* = (1 − ρ)/(1 − e^(−1))² at ρ = 0.8
        let t = tau_star_mp(&fsm, "0.8", prec).unwrap();
        let e1 = Float::with_val(prec, -1).exp();
        let k = (Float::with_val(prec, 1) - e1).square();
        let exact = Float::with_val(prec, Float::parse("0.2").unwrap()) / k;
        let diff = Float::with_val(prec, &t.value - &exact).abs();
        assert!(
            diff < Float::with_val(prec, Float::i_exp(1, -200)),
            "{diff}"
        );
    }

    #[test]
    fn magnitude_matches_inverse_erfc() {
        let prec = 200;
        let t = tau_star_mp(
            &Fsm::parse("const:1", "const:1", "gaussian:1").unwrap(),
            "0.2",
            prec,
        )
        .unwrap();
        // erfc(τ/√2) = 0.2
        let z = Float::with_val(prec, &t.value / Float::with_val(prec, 2).sqrt());
        let back = z.erfc() - Float::with_val(prec, Float::parse("0.2").unwrap());
        assert!(back.abs() < Float::with_val(prec, Float::i_exp(1, -180)));
    }
}
