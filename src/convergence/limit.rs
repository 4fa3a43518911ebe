//! The limit graphon of the Factorised Saliency Model in f64, with certified error bounds.
//!
//! `g(τ) = ∫∫ P(|ξ| > τ / (φ(u) ψ(v))) du dv` (0 where φψ = 0) is computed by composite tensor
//! Gauss–Legendre quadrature on panels split at the profiles' breakpoints; every panel carries an
//! a-priori error bound (the smaller of a monotone bound and a Peano-kernel bound, see
//! `theory/convergence.md`, section "Limit graphon computation"). The threshold τ* solving
//! `g(τ*) = ρ` is found by safeguarded Newton and enclosed in a certified interval; the limit
//! graphon is then `W(u, v) = P(|ξ| > τ* / (φ(u) ψ(v)))`.
//!
//! Figure 1's instance is [`Fsm::figure1`] at density [`FIGURE1_DENSITY`].
//!
//! ```
//! use pai_graphon::convergence::limit::{Fsm, FIGURE1_DENSITY};
//! use pai_graphon::convergence::noise::{HalfNormal, NoiseLaw};
//! let w = Fsm::figure1().limit_graphon(FIGURE1_DENSITY).unwrap();
//! let (lo, hi) = w.tau.interval;
//! assert!(lo <= w.tau.value && w.tau.value <= hi);
//! // W(1, 1) = P(|ξ| > τ* / (φ(1) ψ(1))) with φ(1) = ψ(1) = e³.
//! let e3 = 3f64.exp();
//! assert_eq!(w.w(1.0, 1.0), HalfNormal { sigma: 1.0 }.tail(w.tau.value / (e3 * e3)));
//! ```

use super::noise::{HalfNormal, Noise, NoiseLaw};
use super::profile::Profile;
use super::ConvergenceError;
use crate::params::Density;
use faer::Mat;

/// The density of Figure 1.
///
/// ```
/// use pai_graphon::convergence::{figure1::Figure1Config, limit::FIGURE1_DENSITY};
/// use pai_graphon::mask::kept_count;
/// assert_eq!(Figure1Config::default().density, FIGURE1_DENSITY);
/// assert_eq!(kept_count(200, 200, FIGURE1_DENSITY).unwrap(), 8000);
/// ```
pub const FIGURE1_DENSITY: Density = Density::constant(0.2);

/// Relative error allowed for one f64 tail evaluation. `normal::erfc` was measured against MPFR
/// at (8 + z²) ε relative at most for z ≤ 26 (`tests/precision/tau_star_reference.rs` checks a grid;
/// beyond, erfc < 1e-295 and only the absolute allowance matters);
/// as z² erfc(z) ≤ 0.17, 64 ε relative plus ε absolute per unit weight covers it with room.
const TAIL_REL_ERR: f64 = 64.0 * f64::EPSILON;

/// The smallest density of the certified domain, and `1 − DENSITY_MIN` the largest. The error
/// bound of g carries an absolute floor of about 131 ε ≈ 2.9e-14 per unit area (the tail
/// allowance 2 (64 ε + ε) per panel pair plus ε of rounding per unit weight), whatever the
/// quadrature; ρ ≥ 1e-9 keeps that floor below 3e-5 ρ, so the τ* certificate stays informative.
/// Below it the certificate degenerates ([0, ∞] at ρ = 1e-300 once), so ρ is refused there.
///
/// ```
/// use pai_graphon::convergence::{limit::{Fsm, DENSITY_MIN}, ConvergenceError};
/// let f = Fsm::figure1();
/// assert!(f.tau_star(pai_graphon::params::Density::new(DENSITY_MIN).unwrap()).is_ok());
/// assert!(matches!(f.tau_star(pai_graphon::params::Density::constant(1e-300)), Err(ConvergenceError::Domain { .. })));
/// assert!(matches!(f.tau_star(pai_graphon::params::Density::new(1.0 - 1e-10).unwrap()), Err(ConvergenceError::Domain { .. })));
/// ```
pub const DENSITY_MIN: f64 = 1e-9;

/// The largest number of cells per axis of [`LimitGraphon::w_grid`] and
/// [`LimitGraphon::c4_density`]: a k×k grid holds 8 k² bytes (8 MiB at k = 1024; the CLI's CSV
/// of it about 25 MiB more), and the t(C4) bracket costs 2 k³ ≈ 2.1e9 multiply-adds (about a
/// second). Larger grids are refused before allocating.
///
/// ```
/// use pai_graphon::convergence::{limit::{Fsm, GRID_MAX}, ConvergenceError};
/// let w = Fsm::figure1().limit_graphon(pai_graphon::params::Density::constant(0.2)).unwrap();
/// assert!(matches!(w.w_grid(GRID_MAX + 1), Err(ConvergenceError::TooLarge { .. })));
/// assert!(matches!(w.c4_density(100_000_000_000), Err(ConvergenceError::TooLarge { .. })));
/// ```
pub const GRID_MAX: usize = 1024;

/// Why [`GRID_MAX`] is what it is (in the refusal message).
const GRID_MAX_WHY: &str = "a k×k grid holds 8 k² bytes and the t(C4) bracket costs O(k³)";

/// The most doublings of the step that [`Fsm::tau_star_with`] tries on each side of τ̂ before
/// falling back to the a-priori end (0 below; the bound of [`Fsm::tau_upper_bound`] above).
/// From the first step ≥ 4 ε τ̂, 64 doublings reach 2^64 · 4 ε τ̂ ≈ 16 τ̂.
///
/// ```
/// use pai_graphon::convergence::limit::{Fsm, CERTIFY_DOUBLINGS};
/// let t = Fsm::figure1().tau_star(pai_graphon::params::Density::constant(0.2)).unwrap();
/// assert!(t.evaluations <= 200 + 1 + 2 * (CERTIFY_DOUBLINGS + 1));
/// ```
pub const CERTIFY_DOUBLINGS: usize = 64;

/// A Factorised Saliency Model: row profile φ(u), column profile ψ(v) and edge noise ξ.
///
/// ```
/// use pai_graphon::convergence::{limit::Fsm, noise::{Noise, UniformAbs}, profile::Profile};
/// let fsm = Fsm {
///     row: Profile::Constant(2.0),
///     col: Profile::Exp(1.0),
///     noise: Noise::Uniform(UniformAbs { a: 1.0 }),
/// };
/// assert_eq!(fsm, Fsm::parse("const:2", "exp:1", "uniform:1").unwrap());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Fsm {
    /// Row (hidden neuron) profile φ.
    pub row: Profile,
    /// Column (input) profile ψ.
    pub col: Profile,
    /// Edge noise ξ (through the law of |ξ|).
    pub noise: Noise,
}

/// Composite Gauss–Legendre settings: `nodes` per panel, `panels` per smooth segment of an axis,
/// and `grading` extra geometric panels towards u = 0 for profiles that vanish there.
///
/// ```
/// use pai_graphon::convergence::limit::{Fsm, Quadrature};
/// let q = Quadrature::default();
/// assert_eq!((q.nodes, q.panels, q.grading), (8, 6, 8));
/// // More panels, smaller error bounds: a narrower certified interval for τ*.
/// let fine = Quadrature { panels: 24, ..q };
/// let f = Fsm::figure1();
/// let (a, b) = (f.tau_star_with(pai_graphon::params::Density::constant(0.2), &q).unwrap().interval, f.tau_star_with(pai_graphon::params::Density::constant(0.2), &fine).unwrap().interval);
/// assert!(b.1 - b.0 < a.1 - a.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quadrature {
    /// Gauss–Legendre nodes per panel (1 to 32).
    pub nodes: usize,
    /// Equal panels per smooth segment of an axis (1 to [`PANELS_MAX`]).
    pub panels: usize,
    /// Geometric refinements of the first panel when the profile is 0 at u = 0 (at most
    /// [`GRADING_MAX`]).
    pub grading: usize,
}

impl Default for Quadrature {
    /// 8 nodes, 6 panels, 8 gradings: the Figure-1 solve takes under 1 ms with a certified
    /// relative width near 2e-8 (`benches/tau_star.rs`).
    fn default() -> Self {
        Quadrature {
            nodes: 8,
            panels: 6,
            grading: 8,
        }
    }
}

/// A quadrature value with a bound on its total error (quadrature and rounding).
///
/// ```
/// use pai_graphon::convergence::limit::Fsm;
/// // Step profiles, uniform noise: g(τ) = Σ ¼ (1 − τ / (l_m l_n)) over the products 1, 3, 2, 6.
/// let f = Fsm::parse("step:0.5;1,2", "step:0.5;1,3", "uniform:1").unwrap();
/// let g = f.g(0.5).unwrap();
/// let exact = 0.25 * (0.5 + 5.0 / 6.0 + 0.75 + 11.0 / 12.0);
/// assert!((g.value - exact).abs() <= g.error_bound);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The computed value.
    pub value: f64,
    /// `|value − exact| ≤ error_bound`.
    pub error_bound: f64,
}

/// The most panels per smooth segment of a [`Quadrature`]: an axis then holds at most
/// (256 + 16) · 32 nodes, and one evaluation of g costs at most 7.6e7 tail evaluations.
///
/// ```
/// use pai_graphon::convergence::limit::{Fsm, Quadrature, PANELS_MAX};
/// let q = Quadrature { panels: PANELS_MAX + 1, ..Quadrature::default() };
/// assert!(Fsm::figure1().g_with(1.0, &q).is_err());
/// ```
pub const PANELS_MAX: usize = 256;

/// The most geometric refinements of a [`Quadrature`]'s first panel. With [`PANELS_MAX`] and 32
/// nodes the smallest node is above 7e-11, where `power:16` is above 1e-162: no profile value at
/// a node underflows (theory/convergence.md, "Domain").
///
/// ```
/// use pai_graphon::convergence::limit::{Fsm, Quadrature, GRADING_MAX};
/// let q = Quadrature { grading: GRADING_MAX + 1, ..Quadrature::default() };
/// assert!(Fsm::figure1().g_with(1.0, &q).is_err());
/// ```
pub const GRADING_MAX: usize = 16;

/// A value with a certified enclosure `lo ≤ exact ≤ hi`.
///
/// ```
/// use pai_graphon::convergence::limit::Fsm;
/// // W ≡ ρ for constant profiles, so every row degree is ρ.
/// let w = Fsm::parse("const:1", "const:1", "uniform:1").unwrap().limit_graphon(pai_graphon::params::Density::constant(0.25)).unwrap();
/// let q = w.row_degree(0.5).unwrap();
/// assert!(q.lo <= 0.25 && 0.25 <= q.hi && q.lo <= q.value && q.value <= q.hi);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bracketed {
    /// The best estimate.
    pub value: f64,
    /// Certified lower end.
    pub lo: f64,
    /// Certified upper end.
    pub hi: f64,
}

/// The threshold τ* with `g(τ*) = ρ`.
///
/// ```
/// use pai_graphon::convergence::limit::Fsm;
/// let f = Fsm::figure1();
/// let t = f.tau_star(pai_graphon::params::Density::constant(0.2)).unwrap();
/// let (lo, hi) = t.interval;
/// assert!(lo <= t.value && t.value <= hi && t.evaluations >= 4);
/// // The ends are proved: g(lo) > ρ > g(hi) after the error bounds.
/// let (g_lo, g_hi) = (f.g(lo).unwrap(), f.g(hi).unwrap());
/// assert!(g_lo.value - g_lo.error_bound > 0.2 && g_hi.value + g_hi.error_bound < 0.2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TauStar {
    /// The Newton solution τ̂ of the quadrature equation.
    pub value: f64,
    /// A certified enclosure of τ*: `g(lo) > ρ > g(hi)` is proved with the error bounds.
    pub interval: (f64, f64),
    /// The total error bound of the quadrature for g at τ̂.
    pub g_error_bound: f64,
    /// How many evaluations of g (with or without bounds) were made.
    pub evaluations: usize,
}

/// Gauss–Legendre nodes and weights on [−1, 1] (Newton on the three-term recurrence).
///
/// ```
/// let (x, w) = pai_graphon::convergence::limit::gauss_legendre(2);
/// // P_2 = (3z² − 1)/2 has the root 1/√3, where P_2' = 3z = √3; P̂_2 errs by u there. Newton
/// // stops after a step |P̂_2/P̂_2'| ≤ ε = 2u, so |P_2| ≤ 2u √3 + u before it, within 2.6u of the
/// // root; the step and its rounding add 2.6u: x is within 5.2u (9u relative), 1/√3 here two
/// // roundings more. The weight 2/((1 − z²) P_2'(z)²) is 1 at the root, moves by 1.73 times z's
/// // error (9u), and takes 14 roundings (P_2' five, its square, 1 − z² two, the product, the
/// // quotient; in units of u: 4.5 · 2 + 1 + 1.5 + 1 + 1).
/// let (g, r) = (|n| pai_graphon::tol::gamma(n).unwrap(), 1.0 / 3f64.sqrt());
/// assert!((x[1] - r).abs() <= g(11) * r && (w[0] - 1.0).abs() <= g(24));
/// ```
pub fn gauss_legendre(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut x = vec![0.0; n];
    let mut w = vec![0.0; n];
    for i in 0..n.div_ceil(2) {
        let mut z = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            let (p, d) = legendre(n, z);
            dp = d;
            let step = p / d;
            z -= step;
            if step.abs() <= f64::EPSILON {
                dp = legendre(n, z).1;
                break;
            }
        }
        x[i] = -z;
        x[n - 1 - i] = z;
        let wi = 2.0 / ((1.0 - z * z) * dp * dp);
        w[i] = wi;
        w[n - 1 - i] = wi;
    }
    if n % 2 == 1 {
        x[n / 2] = 0.0;
    }
    (x, w)
}

/// `(P_n(z), P_n'(z))`.
fn legendre(n: usize, z: f64) -> (f64, f64) {
    let (mut p0, mut p1) = (1.0, z);
    if n == 0 {
        return (1.0, 0.0);
    }
    for k in 2..=n {
        let p2 = ((2 * k - 1) as f64 * z * p1 - (k - 1) as f64 * p0) / k as f64;
        p0 = p1;
        p1 = p2;
    }
    (p1, n as f64 * (z * p1 - p0) / (z * z - 1.0))
}

/// The value of a profile that is constant on all of [0, 1].
pub(crate) fn constant_level(p: &Profile) -> Option<f64> {
    match p {
        Profile::Constant(c) => Some(*c),
        Profile::Exp(a) if *a == 0.0 => Some(1.0),
        Profile::Affine(a, b) if *b == 0.0 => Some(*a),
        Profile::Step { levels, .. } if levels.iter().all(|l| *l == levels[0]) => Some(levels[0]),
        _ => None,
    }
}

/// The cells `[lo, hi]` between breakpoints, with the level when the profile is constant there.
pub(crate) fn segments(p: &Profile) -> Vec<(f64, f64, Option<f64>)> {
    if let Some(c) = constant_level(p) {
        return vec![(0.0, 1.0, Some(c))];
    }
    match p {
        Profile::Step { breaks, levels } => {
            let mut ends = vec![0.0];
            ends.extend_from_slice(breaks);
            ends.push(1.0);
            (0..levels.len())
                .map(|m| (ends[m], ends[m + 1], Some(levels[m])))
                .collect()
        }
        _ => vec![(0.0, 1.0, None)],
    }
}

/// Lebesgue measure of `{u : φ(u) > 0}`.
fn positive_measure(p: &Profile) -> f64 {
    segments(p)
        .iter()
        .map(|&(lo, hi, level)| match level {
            Some(l) if l <= 0.0 => 0.0,
            _ => hi - lo,
        })
        .sum()
}

/// `(sup |(ln φ)'|, sup |(ln φ)''|)` on a smooth panel `[lo, hi]` (infinite if φ(lo) = 0).
fn log_derivative_sups(p: &Profile, lo: f64) -> (f64, f64) {
    match p {
        Profile::Exp(a) => (*a, 0.0),
        Profile::Affine(a, b) => {
            let d1 = b / (a + b * lo);
            (d1, d1 * d1)
        }
        Profile::Power(q) => (q / lo, q / (lo * lo)),
        _ => (0.0, 0.0),
    }
}

/// One panel of an axis: its ends, the profile at both ends (one-sided), log-derivative sups.
#[derive(Clone, Debug)]
struct Panel {
    lo: f64,
    hi: f64,
    value_lo: f64,
    value_hi: f64,
    d1: f64,
    d2: f64,
    /// `(ln φ)'` when it is constant on the panel (exp and constant cells), with the node count.
    log_rate: Option<f64>,
    nodes: usize,
}

/// The panels and flattened nodes of one axis.
#[derive(Clone, Debug)]
struct Axis {
    panels: Vec<Panel>,
    /// Per node: weight and 1/profile (+∞ where the profile is 0).
    weight: Vec<f64>,
    inverse: Vec<f64>,
}

impl Axis {
    fn new(p: &Profile, quad: &Quadrature, rule: &(Vec<f64>, Vec<f64>)) -> Self {
        let mut axis = Axis {
            panels: Vec::new(),
            weight: Vec::new(),
            inverse: Vec::new(),
        };
        for (lo, hi, level) in segments(p) {
            if let Some(l) = level {
                // constant on the cell: one node is exact
                axis.push_panel(lo, hi, (l, l), (0.0, 0.0), Some(0.0), &[(hi - lo, l)]);
                continue;
            }
            for (a, b) in panel_ends(p, lo, hi, quad) {
                let nodes: Vec<(f64, f64)> = rule
                    .0
                    .iter()
                    .zip(&rule.1)
                    .map(|(x, w)| {
                        (
                            0.5 * (b - a) * w,
                            p.value(0.5 * (a + b) + 0.5 * (b - a) * x),
                        )
                    })
                    .collect();
                let d = log_derivative_sups(p, a);
                let rate = match p {
                    Profile::Exp(r) => Some(*r),
                    _ => None,
                };
                axis.push_panel(a, b, (p.value(a), p.value(b)), d, rate, &nodes);
            }
        }
        axis
    }

    /// Add a panel: one-sided end values, log-derivative sups, log rate, (weight, value) nodes.
    fn push_panel(
        &mut self,
        lo: f64,
        hi: f64,
        (value_lo, value_hi): (f64, f64),
        (d1, d2): (f64, f64),
        log_rate: Option<f64>,
        nodes: &[(f64, f64)],
    ) {
        self.panels.push(Panel {
            lo,
            hi,
            value_lo,
            value_hi,
            d1,
            d2,
            log_rate,
            nodes: nodes.len(),
        });
        for &(w, value) in nodes {
            self.weight.push(w);
            self.inverse.push(1.0 / value);
        }
    }
}

/// Panel ends on a smooth segment: `panels` equal panels, the first refined geometrically
/// `grading` times when the profile vanishes at the segment's start.
fn panel_ends(p: &Profile, lo: f64, hi: f64, quad: &Quadrature) -> Vec<(f64, f64)> {
    let n = quad.panels;
    let h = (hi - lo) / n as f64;
    let mut ends: Vec<(f64, f64)> = (0..n)
        .map(|k| {
            (
                lo + h * k as f64,
                if k + 1 == n {
                    hi
                } else {
                    lo + h * (k + 1) as f64
                },
            )
        })
        .collect();
    if p.value(lo) == 0.0 && quad.grading > 0 {
        let (a, b) = ends.remove(0);
        let mut graded = Vec::new();
        let mut right = b;
        for _ in 0..quad.grading {
            let mid = a + 0.5 * (right - a);
            graded.push((mid, right));
            right = mid;
        }
        graded.push((a, right));
        graded.reverse();
        graded.extend(ends);
        ends = graded;
    }
    ends
}

/// Sums of one evaluation of g: the value, `dg/dτ`, and the sum of |terms|.
#[derive(Clone, Copy, Debug)]
struct Sums {
    value: f64,
    derivative: f64,
    terms: usize,
    /// Total weight of the non-zero terms (each may carry an absolute tail error ε).
    live_area: f64,
}

/// `Σ_i Σ_j a_i b_j T(τ r_i s_j)` and its τ-derivative `−(1/τ) Σ a_i b_j y f(y)`.
fn tensor_sums<L: NoiseLaw>(law: &L, u: &Axis, v: &Axis, tau: f64) -> Sums {
    let (mut value, mut slope, mut live_area) = (0.0, 0.0, 0.0);
    for (wu, ru) in u.weight.iter().zip(&u.inverse) {
        let tu = tau * ru;
        let (mut row, mut row_slope, mut row_area) = (0.0, 0.0, 0.0);
        for (wv, rv) in v.weight.iter().zip(&v.inverse) {
            let y = tu * rv;
            if y < f64::INFINITY {
                row += wv * law.tail(y);
                row_slope += wv * y * law.density(y);
                row_area += wv;
            }
        }
        value += wu * row;
        slope += wu * row_slope;
        live_area += wu * row_area;
    }
    Sums {
        value,
        derivative: -slope / tau,
        terms: u.weight.len() * v.weight.len(),
        live_area,
    }
}

/// `τ / (a b)` with `τ / 0 = +∞`.
fn ratio(tau: f64, a: f64, b: f64) -> f64 {
    let p = a * b;
    if p > 0.0 {
        tau / p
    } else {
        f64::INFINITY
    }
}

/// Peano term `L³ (S2 d1² + S1 d2) / 12` of one direction (0 when G is flat, ∞ when unbounded).
fn peano(len: f64, (s1, s2): (f64, f64), d1: f64, d2: f64) -> f64 {
    if d1 == 0.0 && d2 == 0.0 || s1 == 0.0 && s2 == 0.0 {
        return 0.0;
    }
    let t = len * len * len * (s2 * d1 * d1 + s1 * d2) / 12.0;
    if t.is_nan() {
        f64::INFINITY
    } else {
        t
    }
}

/// The n-point Gauss–Legendre remainder constant on a panel of length L:
/// `L^(2n+1) (n!)⁴ / ((2n + 1) ((2n)!)³)` (Davis & Rabinowitz 1984, §2.7).
fn gauss_constant(n: usize, len: f64) -> f64 {
    let mut c = len / (2 * n + 1) as f64;
    // (n!)⁴ / ((2n)!)³ as a product of n factors k⁴ / ((2k − 1) 2k)³, times L^(2n)
    for k in 1..=n {
        let kf = k as f64;
        let pair = (2.0 * kf - 1.0) * 2.0 * kf;
        c *= kf.powi(4) / pair.powi(3) * len * len;
    }
    c
}

/// Gauss–Legendre remainder of one direction for `h = G(rate · x + const)`:
/// `C_n(L) rate^(2n) sup |G^(2n)|` (0 for a constant direction).
fn gauss_remainder<L: NoiseLaw>(law: &L, p: &Panel, y: (f64, f64)) -> f64 {
    match p.log_rate {
        Some(0.0) => 0.0,
        Some(r) => {
            let n = p.nodes;
            law.log_scale_derivative_sup(2 * n, y.0, y.1)
                .map_or(f64::INFINITY, |s| {
                    gauss_constant(n, p.hi - p.lo) * r.powi(2 * n as i32) * s
                })
        }
        None => f64::INFINITY,
    }
}

/// The a-priori quadrature error bound of one panel pair: min(monotone, Peano, Gauss).
fn panel_bound<L: NoiseLaw>(law: &L, p: &Panel, q: &Panel, tau: f64) -> f64 {
    let (la, lb) = (p.hi - p.lo, q.hi - q.lo);
    let y_min = ratio(tau, p.value_hi, q.value_hi);
    let y_max = ratio(tau, p.value_lo, q.value_lo);
    let monotone = (la * lb * (law.tail(y_min) - law.tail(y_max))).max(0.0);
    if monotone == 0.0 {
        return 0.0;
    }
    let peano_bound = match law.log_scale_derivative_sups(y_min, y_max) {
        Some(s) => lb * peano(la, s, p.d1, p.d2) + la * peano(lb, s, q.d1, q.d2),
        None => f64::INFINITY,
    };
    let y = (y_min, y_max);
    let gauss = lb * gauss_remainder(law, p, y) + la * gauss_remainder(law, q, y);
    // the monotone bound is computed from two rounded tails: widen by their error
    monotone.min(peano_bound).min(gauss) + 2.0 * la * lb * (TAIL_REL_ERR + f64::EPSILON)
}

/// The a-priori bound on `|Q(τ) − g(τ)|` summed over panel pairs.
fn tensor_bound<L: NoiseLaw>(law: &L, u: &Axis, v: &Axis, tau: f64) -> f64 {
    let total: f64 = u
        .panels
        .iter()
        .map(|p| {
            v.panels
                .iter()
                .map(|q| panel_bound(law, p, q, tau))
                .sum::<f64>()
        })
        .sum();
    total * (1.0 + 64.0 * f64::EPSILON)
}

/// Rounding allowance of an n-term sum of non-negative terms with total `sum` (each tail with
/// relative error TAIL_REL_ERR and absolute error ε, weights summing to `area`).
fn rounding(n: usize, sum: f64, area: f64) -> f64 {
    let gamma = crate::tol::gamma(n + 64).unwrap_or(f64::INFINITY);
    (TAIL_REL_ERR + gamma) * sum + f64::EPSILON * area
}

/// The quadrature state of one model: both axes and the noise law.
#[derive(Clone, Debug)]
struct Solver {
    u: Axis,
    v: Axis,
    noise: Noise,
    row_level: Option<f64>,
    col_level: Option<f64>,
}

impl Solver {
    fn new(fsm: &Fsm, quad: &Quadrature) -> Result<Self, ConvergenceError> {
        let ranges = [
            ("quadrature nodes", quad.nodes, 1, 32),
            ("quadrature panels", quad.panels, 1, PANELS_MAX),
            ("quadrature gradings", quad.grading, 0, GRADING_MAX),
        ];
        if let Some(&(what, value, min, max)) = ranges
            .iter()
            .find(|(_, value, min, max)| !(min..=max).contains(&value))
        {
            return Err(ConvergenceError::Range {
                what,
                value,
                min,
                max,
            });
        }
        let rule = gauss_legendre(quad.nodes);
        Ok(Solver {
            u: Axis::new(&fsm.row, quad, &rule),
            v: Axis::new(&fsm.col, quad, &rule),
            noise: fsm.noise,
            row_level: constant_level(&fsm.row),
            col_level: constant_level(&fsm.col),
        })
    }

    fn sums(&self, tau: f64) -> Sums {
        match &self.noise {
            Noise::Gaussian(l) => tensor_sums(l, &self.u, &self.v, tau),
            Noise::Uniform(l) => tensor_sums(l, &self.u, &self.v, tau),
        }
    }

    /// g(τ) with its total error bound.
    fn estimate(&self, tau: f64) -> (Sums, f64) {
        let s = self.sums(tau);
        let quad = match &self.noise {
            Noise::Gaussian(l) => tensor_bound(l, &self.u, &self.v, tau),
            Noise::Uniform(l) => tensor_bound(l, &self.u, &self.v, tau),
        };
        (s, quad + rounding(s.terms, s.value, s.live_area))
    }
}

impl Fsm {
    /// Parse the three specs (see `profile` and `noise`).
    ///
    /// ```
    /// use pai_graphon::convergence::limit::Fsm;
    /// let fsm = Fsm::parse("exp:3", "exp:3", "gaussian:1").unwrap();
    /// assert_eq!(fsm, Fsm::figure1());
    /// assert!(Fsm::parse("exp:3", "exp:-1", "gaussian:1").is_err());
    /// ```
    pub fn parse(
        row_spec: &str,
        col_spec: &str,
        noise_spec: &str,
    ) -> Result<Self, ConvergenceError> {
        Ok(Fsm {
            row: Profile::parse(row_spec)?,
            col: Profile::parse(col_spec)?,
            noise: Noise::parse(noise_spec)?,
        })
    }

    /// Parses one spec `ROW;COL[;NOISE]` (noise `gaussian:1` if omitted). A `;` starts a new
    /// part only before a profile or noise keyword, so step profiles (`step:0.5;1,2`) keep theirs.
    ///
    /// ```
    /// use pai_graphon::convergence::limit::Fsm;
    /// assert_eq!(Fsm::parse_spec("exp:3;exp:3").unwrap(), Fsm::figure1());
    /// let f = Fsm::parse_spec("step:0.5;1,2;const:1;uniform:1").unwrap();
    /// assert_eq!(f, Fsm::parse("step:0.5;1,2", "const:1", "uniform:1").unwrap());
    /// assert!(Fsm::parse_spec("exp:3").is_err());
    /// ```
    pub fn parse_spec(spec: &str) -> Result<Self, ConvergenceError> {
        const KEYWORDS: [&str; 8] = [
            "const:",
            "affine:",
            "power:",
            "exp:",
            "step:",
            "empirical:",
            "gaussian:",
            "uniform:",
        ];
        let mut parts: Vec<String> = Vec::new();
        for piece in spec.split(';') {
            let starts = KEYWORDS.iter().any(|k| piece.trim_start().starts_with(k));
            match parts.last_mut() {
                Some(last) if !starts => {
                    last.push(';');
                    last.push_str(piece);
                }
                _ => parts.push(piece.to_string()),
            }
        }
        match parts.as_slice() {
            [r, c] => Fsm::parse(r, c, "gaussian:1"),
            [r, c, n] => Fsm::parse(r, c, n),
            _ => Err(ConvergenceError::Spec {
                spec: spec.to_string(),
                why: "an FSM is ROW;COL[;NOISE], e.g. exp:3;exp:3;gaussian:1",
            }),
        }
    }

    /// Figure 1's instance: φ(u) = e^(3u), ψ(v) = e^(3v), ξ ~ N(0, 1) (use with
    /// [`FIGURE1_DENSITY`]).
    ///
    /// ```
    /// let fsm = pai_graphon::convergence::limit::Fsm::figure1();
    /// assert_eq!(fsm.row.value(1.0), 3f64.exp());
    /// ```
    pub fn figure1() -> Self {
        Fsm {
            row: Profile::Exp(3.0),
            col: Profile::Exp(3.0),
            noise: Noise::Gaussian(HalfNormal { sigma: 1.0 }),
        }
    }

    /// The measure of `{(u, v) : φ(u) ψ(v) > 0}` = `sup_τ g(τ)`: densities at or above it have
    /// no threshold.
    ///
    /// ```
    /// let fsm = pai_graphon::convergence::limit::Fsm::parse("step:0.25;0,1", "exp:1", "gaussian:1").unwrap();
    /// assert_eq!(fsm.positive_measure(), 0.75);
    /// ```
    pub fn positive_measure(&self) -> f64 {
        positive_measure(&self.row) * positive_measure(&self.col)
    }

    /// `g(τ)` by the default [`Quadrature`], with its total error bound.
    ///
    /// ```
    /// use pai_graphon::convergence::limit::Fsm;
    /// let fsm = Fsm::parse("const:2", "const:1", "uniform:1").unwrap();
    /// let g = fsm.g(0.5).unwrap();
    /// assert_eq!(g.value, 0.75);
    /// assert!(g.error_bound < 1e-12);
    /// ```
    pub fn g(&self, tau: f64) -> Result<Estimate, ConvergenceError> {
        self.g_with(tau, &Quadrature::default())
    }

    /// `g(τ)` with explicit quadrature settings.
    ///
    /// ```
    /// use pai_graphon::convergence::limit::{Fsm, Quadrature};
    /// let q = Quadrature { nodes: 4, panels: 64, grading: 0 };
    /// let g = Fsm::figure1().g_with(1.0, &q).unwrap();
    /// assert!(g.error_bound < 1e-3 && g.value > 0.5 && g.value < 1.0);
    /// ```
    pub fn g_with(&self, tau: f64, quad: &Quadrature) -> Result<Estimate, ConvergenceError> {
        if !(tau.is_finite() && tau > 0.0) {
            return Err(ConvergenceError::Density {
                what: "the threshold τ",
                value: tau,
                why: "must be positive and finite",
            });
        }
        let (s, bound) = Solver::new(self, quad)?.estimate(tau);
        Ok(Estimate {
            value: s.value,
            error_bound: bound,
        })
    }

    /// τ* with `g(τ*) = ρ` by the default [`Quadrature`].
    ///
    /// ```
    /// use pai_graphon::convergence::limit::{Fsm, FIGURE1_DENSITY};
    /// let t = Fsm::figure1().tau_star(FIGURE1_DENSITY).unwrap();
    /// assert!(t.interval.0 <= t.value && t.value <= t.interval.1);
    /// assert!(t.interval.1 - t.interval.0 < 1e-7 * t.value);
    /// ```
    pub fn tau_star(&self, rho: Density) -> Result<TauStar, ConvergenceError> {
        self.tau_star_with(rho, &Quadrature::default())
    }

    /// Check that ρ (in (0, 1) by its type) admits a threshold and lies in the certified domain.
    fn check_density(&self, rho: f64) -> Result<(), ConvergenceError> {
        super::profile::in_domain("density ρ", rho, DENSITY_MIN, 1.0 - DENSITY_MIN)?;
        let m = self.positive_measure();
        if rho >= m {
            return Err(ConvergenceError::NoThreshold { rho, measure: m });
        }
        Ok(())
    }

    /// τ* with explicit quadrature settings: safeguarded Newton in ln τ on the quadrature, then
    /// a certified enclosure (see the module doc). For two constant profiles the answer is
    /// `c₁ c₂ · tail_inverse(ρ)` exactly.
    ///
    /// ```
    /// use pai_graphon::convergence::limit::{Fsm, Quadrature};
    /// let fsm = Fsm::parse("const:2", "const:3", "uniform:1").unwrap();
    /// let t = fsm.tau_star_with(pai_graphon::params::Density::constant(0.25), &Quadrature::default()).unwrap();
    /// assert_eq!(t.value, 6.0 * 0.75);
    /// ```
    pub fn tau_star_with(
        &self,
        rho: Density,
        quad: &Quadrature,
    ) -> Result<TauStar, ConvergenceError> {
        let rho = rho.get();
        // the fields are public: a model built without the parsers meets the same domain
        self.row.validate()?;
        self.col.validate()?;
        self.noise.validate()?;
        self.check_density(rho)?;
        let solver = Solver::new(self, quad)?;
        let mut evaluations = 0;
        let (tau, slope) = match (solver.row_level, solver.col_level) {
            (Some(a), Some(b)) => {
                let tau = (a * b) * self.noise.law().tail_inverse(rho);
                (tau, solver.sums(tau).derivative)
            }
            _ => newton(&solver, self, rho, &mut evaluations),
        };
        let ceiling = self.tau_upper_bound(rho);
        if !(tau.is_finite() && tau > 0.0 && ceiling.is_finite()) {
            return Err(ConvergenceError::NotCertified {
                what: "τ*",
                reason: "the Newton solution or the a-priori bound is not a positive finite number",
            });
        }
        // Nearly constant profiles put τ* within rounding of the a-priori bound: τ̂ above a
        // proved bound is rounding, and the bound is the better estimate.
        let tau = tau.min(ceiling);
        let (_, bound) = solver.estimate(tau);
        evaluations += 1;
        let first = (2.0 * bound / slope.abs()).max(4.0 * f64::EPSILON * tau);
        let step = if first.is_finite() { first } else { tau };
        // g(0+) = positive measure > ρ: 0 is a proved lower end
        let lo = certify(tau, -step, 0.0, &mut evaluations, |t| {
            let (s, e) = solver.estimate(t);
            s.value - e > rho
        });
        // g(ceiling) ≤ ρ (see tau_upper_bound): a proved upper end
        let hi = certify(tau, step, ceiling, &mut evaluations, |t| {
            let (s, e) = solver.estimate(t);
            s.value + e < rho
        });
        if !(lo <= tau && tau <= hi) {
            return Err(ConvergenceError::NotCertified {
                what: "τ*",
                reason: "the certified interval does not contain the Newton solution",
            });
        }
        Ok(TauStar {
            value: tau,
            interval: (lo, hi),
            g_error_bound: bound,
            evaluations,
        })
    }

    /// A proved upper bound on τ*: `g(τ) ≤ T(τ / (φ(1) ψ(1)))` as W is non-decreasing in both
    /// arguments, so `τ = φ(1) ψ(1) T⁻¹(ρ)` has `g(τ) ≤ ρ`; the factor 1 + 64 ε covers the
    /// quantile's 6 ε and the product's rounding.
    ///
    /// ```
    /// use pai_graphon::convergence::limit::Fsm;
    /// let f = Fsm::figure1();
    /// let t = f.tau_star(pai_graphon::params::Density::constant(0.2)).unwrap();
    /// assert!(t.interval.1 <= f.tau_upper_bound(0.2));
    /// let g = f.g(f.tau_upper_bound(0.2)).unwrap();
    /// assert!(g.value - g.error_bound <= 0.2);
    /// ```
    pub fn tau_upper_bound(&self, rho: f64) -> f64 {
        let top = self.row.sup() * self.col.sup();
        top * self.noise.law().tail_inverse(rho) * (1.0 + 64.0 * f64::EPSILON)
    }

    /// The limit graphon at density ρ (default quadrature).
    ///
    /// ```
    /// use pai_graphon::convergence::limit::{Fsm, FIGURE1_DENSITY};
    /// let w = Fsm::figure1().limit_graphon(FIGURE1_DENSITY).unwrap();
    /// assert!(w.w(0.0, 0.0) < w.w(1.0, 1.0));
    /// ```
    pub fn limit_graphon(&self, rho: Density) -> Result<LimitGraphon, ConvergenceError> {
        self.limit_graphon_with(rho, &Quadrature::default())
    }

    /// The limit graphon at density ρ with explicit quadrature settings.
    ///
    /// ```
    /// use pai_graphon::convergence::limit::{Fsm, Quadrature};
    /// let w = Fsm::parse("const:1", "const:1", "uniform:1").unwrap()
    ///     .limit_graphon_with(pai_graphon::params::Density::constant(0.3), &Quadrature::default()).unwrap();
    /// assert!((w.w(0.2, 0.9) - 0.3).abs() <= f64::EPSILON); // 1 − (1 − 0.3), one rounding
    /// ```
    pub fn limit_graphon_with(
        &self,
        rho: Density,
        quad: &Quadrature,
    ) -> Result<LimitGraphon, ConvergenceError> {
        let tau = self.tau_star_with(rho, quad)?;
        Ok(LimitGraphon {
            fsm: self.clone(),
            rho: rho.get(),
            tau,
            solver: Solver::new(self, quad)?,
        })
    }
}

/// Safeguarded Newton in t = ln τ: returns τ̂ and `g'(τ̂)`.
fn newton(solver: &Solver, fsm: &Fsm, rho: f64, evaluations: &mut usize) -> (f64, f64) {
    let law = fsm.noise.law();
    let mid = fsm.row.value(0.5) * fsm.col.value(0.5);
    let scale = if mid > 0.0 {
        mid
    } else {
        fsm.row.sup() * fsm.col.sup()
    };
    let mut t = (scale * law.tail_inverse(rho)).ln();
    let (mut t_lo, mut t_hi) = (f64::NEG_INFINITY, f64::INFINITY);
    let mut slope = f64::NAN;
    for _ in 0..200 {
        let tau = t.exp();
        let s = solver.sums(tau);
        *evaluations += 1;
        slope = s.derivative;
        let excess = s.value - rho;
        if excess > 0.0 {
            t_lo = t;
        } else if excess < 0.0 {
            t_hi = t;
        } else {
            return (tau, slope);
        }
        let dgdt = s.derivative * tau;
        let mut step = if dgdt < 0.0 { -excess / dgdt } else { f64::NAN };
        if !step.is_finite() {
            step = if excess > 0.0 { 1.0 } else { -1.0 };
        }
        step = step.clamp(-2.0, 2.0);
        let mut next = t + step;
        if !(next > t_lo && next < t_hi) && t_lo.is_finite() && t_hi.is_finite() {
            next = 0.5 * (t_lo + t_hi);
        }
        let done = (next - t).abs() <= 4.0 * f64::EPSILON * t.abs().max(1.0);
        t = next;
        if done || t_hi - t_lo <= 4.0 * f64::EPSILON * t.abs().max(1.0) {
            break;
        }
    }
    (t.exp(), slope)
}

/// Move from τ̂ by `step`, doubling it until `proved(τ̂ + step)`, at most
/// [`CERTIFY_DOUBLINGS`] times; returns the proved end, or `fallback` (an end proved a priori)
/// once the step passes it or the limit is reached.
fn certify(
    tau: f64,
    step: f64,
    fallback: f64,
    evaluations: &mut usize,
    mut proved: impl FnMut(f64) -> bool,
) -> f64 {
    let mut step = step;
    for _ in 0..=CERTIFY_DOUBLINGS {
        let t = tau + step;
        let past = if step < 0.0 {
            t <= fallback
        } else {
            t >= fallback
        };
        if past || !t.is_finite() {
            return fallback;
        }
        *evaluations += 1;
        if proved(t) {
            return t;
        }
        step *= 2.0;
    }
    fallback
}

/// The limit graphon `W(u, v) = P(|ξ| > τ* / (φ(u) ψ(v)))` of a model at a density, with τ*
/// certified. W is evaluated at τ̂; the bracketed quantities also account for τ* ∈ interval
/// (everything here is non-increasing in τ).
///
/// ```
/// use pai_graphon::convergence::limit::Fsm;
/// let w = Fsm::figure1().limit_graphon(pai_graphon::params::Density::constant(0.2)).unwrap();
/// assert_eq!((w.rho, w.tau), (0.2, Fsm::figure1().tau_star(pai_graphon::params::Density::constant(0.2)).unwrap()));
/// assert!(w.w(0.0, 0.0) < w.w(0.5, 0.5) && w.w(0.5, 0.5) < w.w(1.0, 1.0) && w.w(1.0, 1.0) <= 1.0);
/// ```
#[derive(Clone, Debug)]
pub struct LimitGraphon {
    /// The model.
    pub fsm: Fsm,
    /// The density ρ.
    pub rho: f64,
    /// The certified threshold.
    pub tau: TauStar,
    solver: Solver,
}

/// `P(|ξ| > τ / (a b))`, 0 when `a b = 0`.
fn w_at(law: &dyn NoiseLaw, tau: f64, a: f64, b: f64) -> f64 {
    let y = ratio(tau, a, b);
    if y < f64::INFINITY {
        law.tail(y)
    } else {
        0.0
    }
}

/// Refuse a grid of 0 cells or more than [`GRID_MAX`] before allocating.
fn check_grid(k: usize) -> Result<(), ConvergenceError> {
    if k == 0 {
        return Err(ConvergenceError::Size {
            what: "grid cells k",
            value: k,
            why: "must be at least 1",
        });
    }
    if k > GRID_MAX {
        return Err(ConvergenceError::TooLarge {
            what: "grid cells per axis",
            requested: k,
            max: GRID_MAX,
            why: GRID_MAX_WHY,
        });
    }
    Ok(())
}

fn check_position(name: &'static str, value: f64) -> Result<(), ConvergenceError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(ConvergenceError::Position { name, value })
    }
}

impl LimitGraphon {
    /// `W(u, v)` at τ̂ (u, v in [0, 1]; step profiles use their right-continuous values).
    ///
    /// ```
    /// use pai_graphon::convergence::limit::Fsm;
    /// let w = Fsm::parse("const:1", "const:1", "gaussian:2").unwrap().limit_graphon(pai_graphon::params::Density::constant(0.4)).unwrap();
    /// assert!((w.w(0.5, 0.5) - 0.4).abs() < 1e-15);
    /// ```
    pub fn w(&self, u: f64, v: f64) -> f64 {
        w_at(
            self.fsm.noise.law(),
            self.tau.value,
            self.fsm.row.value(u),
            self.fsm.col.value(v),
        )
    }

    /// The k×k matrix of W at the cell midpoints: entry (i, j) is `W((i + ½)/k, (j + ½)/k)`,
    /// rows indexed by u (hidden neurons), columns by v (inputs).
    ///
    /// ```
    /// use pai_graphon::convergence::limit::{Fsm, FIGURE1_DENSITY};
    /// let m = Fsm::figure1().limit_graphon(FIGURE1_DENSITY).unwrap().w_grid(4).unwrap();
    /// assert_eq!((m.nrows(), m.ncols()), (4, 4));
    /// assert!(m[(0, 0)] < m[(3, 3)]);
    /// ```
    pub fn w_grid(&self, k: usize) -> Result<Mat<f64>, ConvergenceError> {
        check_grid(k)?;
        let mid = |i: usize| (i as f64 + 0.5) / k as f64;
        let rows: Vec<f64> = (0..k).map(|i| self.fsm.row.value(mid(i))).collect();
        let cols: Vec<f64> = (0..k).map(|j| self.fsm.col.value(mid(j))).collect();
        let law = self.fsm.noise.law();
        Ok(Mat::from_fn(k, k, |i, j| {
            w_at(law, self.tau.value, rows[i], cols[j])
        }))
    }

    /// One-dimensional quadrature of `x ↦ T(τ / (level · profile(x)))` over an axis, with its
    /// a-priori bound (the 1D versions of the panel bounds).
    fn line(&self, axis: &Axis, level: f64, tau: f64) -> (f64, f64) {
        let law = self.fsm.noise.law();
        let (mut value, mut live_area) = (0.0, 0.0);
        for (w, r) in axis.weight.iter().zip(&axis.inverse) {
            let t = w_at(law, tau, level, 1.0 / r);
            if ratio(tau, level, 1.0 / r) < f64::INFINITY {
                live_area += w;
            }
            value += w * t;
        }
        let mut bound = 0.0;
        for p in &axis.panels {
            let len = p.hi - p.lo;
            let y_min = ratio(tau, level, p.value_hi);
            let y_max = ratio(tau, level, p.value_lo);
            let monotone = (len * (law.tail(y_min) - law.tail(y_max))).max(0.0);
            if monotone == 0.0 {
                continue;
            }
            let peano_bound = law
                .log_scale_derivative_sups(y_min, y_max)
                .map_or(f64::INFINITY, |s| peano(len, s, p.d1, p.d2));
            let gauss = match &self.fsm.noise {
                Noise::Gaussian(l) => gauss_remainder(l, p, (y_min, y_max)),
                Noise::Uniform(l) => gauss_remainder(l, p, (y_min, y_max)),
            };
            bound +=
                monotone.min(peano_bound).min(gauss) + 2.0 * len * (TAIL_REL_ERR + f64::EPSILON);
        }
        let n = axis.weight.len();
        (
            value,
            bound * (1.0 + 64.0 * f64::EPSILON) + rounding(n, value, live_area),
        )
    }

    /// A degree function at one point, bracketed over τ* ∈ interval and quadrature error.
    /// `positive`: whether the profile is positive there, so that a level that underflowed to
    /// 0 is bounded above by the smallest normal number, not taken as 0.
    fn degree(&self, axis: &Axis, level: f64, positive: bool) -> Bracketed {
        let (value, _) = self.line(axis, level, self.tau.value);
        let (at_hi, e_hi) = self.line(axis, level, self.tau.interval.1);
        let level_up = if level == 0.0 && positive {
            f64::MIN_POSITIVE
        } else {
            level
        };
        // τ* is a normal number on the domain, so τ_lo = 0 may be replaced by the smallest one
        let tau_lo = self.tau.interval.0.max(f64::MIN_POSITIVE);
        let (at_lo, e_lo) = self.line(axis, level_up, tau_lo);
        Bracketed {
            value,
            lo: (at_hi - e_hi).max(0.0),
            hi: (at_lo + e_lo).min(1.0),
        }
    }

    /// The row degree `q(u) = ∫ W(u, v) dv`, certified.
    ///
    /// ```
    /// use pai_graphon::convergence::limit::{Fsm, FIGURE1_DENSITY};
    /// let w = Fsm::figure1().limit_graphon(FIGURE1_DENSITY).unwrap();
    /// let q = w.row_degree(1.0).unwrap();
    /// assert!(q.lo <= q.value && q.value <= q.hi && q.hi - q.lo < 1e-6);
    /// ```
    pub fn row_degree(&self, u: f64) -> Result<Bracketed, ConvergenceError> {
        check_position("u", u)?;
        Ok(self.degree(
            &self.solver.v,
            self.fsm.row.value(u),
            self.fsm.row.positive_at(u),
        ))
    }

    /// The column degree `p(v) = ∫ W(u, v) du`, certified.
    ///
    /// ```
    /// use pai_graphon::convergence::limit::Fsm;
    /// let w = Fsm::parse("exp:1", "step:0.5;0,1", "gaussian:1").unwrap().limit_graphon(pai_graphon::params::Density::constant(0.3)).unwrap();
    /// assert_eq!(w.col_degree(0.25).unwrap().hi, 0.0);
    /// ```
    pub fn col_degree(&self, v: f64) -> Result<Bracketed, ConvergenceError> {
        check_position("v", v)?;
        Ok(self.degree(
            &self.solver.u,
            self.fsm.col.value(v),
            self.fsm.col.positive_at(v),
        ))
    }

    /// `∫∫ W` against ρ: the quadrature value at τ̂ and a certified enclosure of `g(τ*)`, which
    /// must contain ρ.
    ///
    /// ```
    /// use pai_graphon::convergence::limit::{Fsm, FIGURE1_DENSITY};
    /// let d = Fsm::figure1().limit_graphon(FIGURE1_DENSITY).unwrap().density_check();
    /// let rho = FIGURE1_DENSITY.get();
    /// assert!(d.lo <= rho && rho <= d.hi);
    /// assert!((d.value - rho).abs() < 1e-12);
    /// ```
    pub fn density_check(&self) -> Bracketed {
        let (lo_tau, hi_tau) = self.tau.interval;
        let value = self.solver.sums(self.tau.value).value;
        let (at_hi, e_hi) = self.solver.estimate(hi_tau);
        let hi = if lo_tau > 0.0 {
            let (at_lo, e_lo) = self.solver.estimate(lo_tau);
            at_lo.value + e_lo
        } else {
            self.fsm.positive_measure()
        };
        Bracketed {
            value,
            lo: (at_hi.value - e_hi).max(0.0),
            hi,
        }
    }

    /// The 4-cycle density `t(C4, W) = ∫∫ (∫ W(u, v) W(u', v) dv)² du du'`: the value by the
    /// tensor Gauss–Legendre rule at τ̂, and a certified bracket from monotone Riemann sums on
    /// a `cells`×`cells` grid (W is non-decreasing in u and v, and in −τ), O(cells³) work.
    ///
    /// ```
    /// use pai_graphon::convergence::limit::Fsm;
    /// let w = Fsm::parse("const:1", "const:1", "uniform:1").unwrap().limit_graphon(pai_graphon::params::Density::constant(0.5)).unwrap();
    /// let t = w.c4_density(8).unwrap();
    /// assert!(t.lo <= 0.0625 && 0.0625 <= t.hi); // ρ⁴
    /// // Constant profiles: one node of weight 1 per axis, so the rule's value is (W·W)², the
    /// // same two roundings as here (W = ρ to the solve's accuracy: see `w`).
    /// let v = w.w(0.5, 0.5);
    /// assert_eq!(t.value, (v * v) * (v * v));
    /// ```
    pub fn c4_density(&self, cells: usize) -> Result<Bracketed, ConvergenceError> {
        check_grid(cells)?;
        let law = self.fsm.noise.law();
        let (u, v) = (&self.solver.u, &self.solver.v);
        let m: Vec<Vec<f64>> = u
            .inverse
            .iter()
            .map(|ru| {
                v.inverse
                    .iter()
                    .map(|rv| w_at(law, self.tau.value, 1.0 / ru, 1.0 / rv))
                    .collect()
            })
            .collect();
        let value = c4_sum(&m, &u.weight, &v.weight);
        let k = cells;
        let grid = |tau: f64, shift: f64| -> Vec<Vec<f64>> {
            (0..k)
                .map(|i| {
                    let a = self.fsm.row.value((i as f64 + shift) / k as f64);
                    (0..k)
                        .map(|j| {
                            w_at(
                                law,
                                tau,
                                a,
                                self.fsm.col.value((j as f64 + shift) / k as f64),
                            )
                        })
                        .collect()
                })
                .collect()
        };
        let h = vec![1.0 / k as f64; k];
        let lower = c4_sum(&grid(self.tau.interval.1, 0.0), &h, &h);
        let upper = c4_sum(&grid(self.tau.interval.0, 1.0), &h, &h);
        // c4_sum's running total adds k² terms, each a product of 2k + 7 rounded operations
        // (it was γ(2k + 8), which missed the outer sum: at k = 256 the bracket excluded the
        // exact t(C4) = ρ⁴ of a constant graphon at ρ = 1 − 1e-9)
        let margin =
            4.0 * TAIL_REL_ERR + crate::tol::gamma(k * k + 2 * k + 8).unwrap_or(f64::INFINITY);
        // Proved facts: t(C4) ≥ t(K2)⁴ = ρ⁴ (Cauchy–Schwarz twice), and t(C4) ≤ ∫ p(v)² dv ≤ ρ
        // as W ≤ 1. ρ⁴ and ρ(1 + ε) are rounded outwards by 8 ε.
        let (floor, ceiling) = (
            self.rho.powi(4) * (1.0 - 8.0 * f64::EPSILON),
            self.rho * (1.0 + 8.0 * f64::EPSILON),
        );
        let lo = (lower * (1.0 - margin) - 4.0 * f64::EPSILON).max(floor);
        let hi = (upper * (1.0 + margin) + 4.0 * f64::EPSILON).min(ceiling);
        if !(lo <= hi && lo.is_finite() && hi.is_finite()) {
            return Err(ConvergenceError::NotCertified {
                what: "t(C4)",
                reason: "the monotone bracket contradicts ρ⁴ ≤ t(C4) ≤ ρ",
            });
        }
        Ok(Bracketed {
            value: value.clamp(lo, hi),
            lo,
            hi,
        })
    }
}

/// `Σ_i Σ_i' a_i a_i' (Σ_j b_j M_ij M_i'j)²`.
fn c4_sum(m: &[Vec<f64>], a: &[f64], b: &[f64]) -> f64 {
    let mut total = 0.0;
    for (i, row_i) in m.iter().enumerate() {
        for (k, row_k) in m.iter().enumerate() {
            let d: f64 = row_i
                .iter()
                .zip(row_k)
                .zip(b)
                .map(|((x, y), w)| x * y * w)
                .sum();
            total += a[i] * a[k] * d * d;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    /// A density written in a test.
    fn rho_(rho: f64) -> Density {
        Density::new(rho).unwrap()
    }
    use super::*;
    use proptest::prelude::*;

    fn fsm(r: &str, c: &str, n: &str) -> Fsm {
        Fsm::parse(r, c, n).unwrap()
    }

    /// The sums' τ-derivative against a central difference of their value (truncation O(h²)
    /// ≈ 1e-10 and rounding ≈ ε g / h ≈ 1e-11 at h = 1e-5, far inside the 1e-6 relative
    /// tolerance), and the term count the rounding allowance uses. (Mutants of both survived
    /// the mutation sample: τ* is found by a safeguarded Newton step, so a wrong slope only
    /// slows it.)
    #[test]
    fn tensor_sums_derivative_and_term_count() {
        let solver =
            Solver::new(&fsm("exp:2", "exp:3", "gaussian:1"), &Quadrature::default()).unwrap();
        let (tau, h) = (0.8, 1e-5);
        let fd = (solver.sums(tau + h).value - solver.sums(tau - h).value) / (2.0 * h);
        let s = solver.sums(tau);
        assert!(fd < 0.0);
        assert!(
            (s.derivative - fd).abs() <= 1e-6 * fd.abs(),
            "{} vs {fd}",
            s.derivative
        );
        assert_eq!(s.terms, solver.u.weight.len() * solver.v.weight.len());
        assert!(s.terms > 1);
    }

    #[test]
    fn gauss_legendre_integrates_degree_2n_minus_1() {
        for n in 1..=12 {
            let (x, w) = gauss_legendre(n);
            let m = 2 * n - 2; // even power, exact integral 2/(m+1)
            let q: f64 = x.iter().zip(&w).map(|(x, w)| w * x.powi(m as i32)).sum();
            assert!(
                (q - 2.0 / (m as f64 + 1.0)).abs() <= 16.0 * f64::EPSILON,
                "n = {n}"
            );
        }
    }

    #[test]
    fn random_and_magnitude_closed_forms_are_exact() {
        for &c in &[1.0, 0.5, 3.0] {
            for &rho in &[0.05, 0.2, 0.5, 0.8] {
                let spec = format!("const:{c}");
                let random = fsm(&spec, &spec, "uniform:1").tau_star(rho_(rho)).unwrap();
                assert_eq!(random.value, c * c * (1.0 - rho));
                let law = HalfNormal { sigma: 1.5 };
                let magnitude = fsm(&spec, &spec, "gaussian:1.5")
                    .tau_star(rho_(rho))
                    .unwrap();
                assert_eq!(magnitude.value, c * c * law.tail_inverse(rho));
                // σ Φ⁻¹(1 − ρ/2) via statrs' normal quantile, to rounding
                let phi_inv = 1.5 * statrs::function::erf::erfc_inv(rho) * std::f64::consts::SQRT_2;
                assert!(
                    (magnitude.value - c * c * phi_inv).abs()
                        <= 4.0 * f64::EPSILON * magnitude.value
                );
                let (lo, hi) = magnitude.interval;
                assert!(lo <= magnitude.value && magnitude.value <= hi);
                // the first try moves 2 e / |g'| each way, so one doubling at most gives 8 e / |g'|
                let slope = law.density(magnitude.value / (c * c)) / (c * c);
                assert!(
                    hi - lo <= 8.0 * magnitude.g_error_bound / slope,
                    "{lo} {hi}"
                );
            }
        }
    }

    #[test]
    fn constant_graphon_is_rho() {
        let w = fsm("const:2", "const:2", "gaussian:1")
            .limit_graphon(rho_(0.3))
            .unwrap();
        let m = w.w_grid(3).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                assert!((m[(i, j)] - 0.3).abs() <= 1e3 * f64::EPSILON);
            }
        }
    }

    #[test]
    fn exp_uniform_closed_form_lies_in_interval() {
        // g(τ) = 1 − (τ/A) ((1 − e^(−a))/a)² while τ ≤ A: here a = 1, A = 1, ρ = 0.8
        let t = fsm("exp:1", "exp:1", "uniform:1")
            .tau_star(rho_(0.8))
            .unwrap();
        let k = (1.0 - (-1.0f64).exp()).powi(2);
        let exact = 0.2 / k;
        assert!(
            t.interval.0 <= exact && exact <= t.interval.1,
            "{t:?} vs {exact}"
        );
        assert!((t.value - exact).abs() < 1e-12 * exact);
    }

    #[test]
    fn step_profiles_are_exact_sums() {
        // 2×2 step graphon with uniform noise: g(τ) = Σ ¼ (1 − τ/(l_m l_n))_+
        let f = fsm("step:0.5;1,2", "step:0.5;1,3", "uniform:1");
        let tau = 0.5;
        let exact: f64 = [1.0, 3.0, 2.0, 6.0]
            .iter()
            .map(|p: &f64| 0.25 * (1.0 - tau / p).max(0.0))
            .sum();
        let g = f.g(tau).unwrap();
        assert!((g.value - exact).abs() <= g.error_bound && g.error_bound < 256.0 * f64::EPSILON);
    }

    #[test]
    fn figure1_certified_and_density_checked() {
        let w = Fsm::figure1().limit_graphon(FIGURE1_DENSITY).unwrap();
        let (lo, hi) = w.tau.interval;
        assert!(lo < w.tau.value && w.tau.value < hi);
        let d = w.density_check();
        let rho = FIGURE1_DENSITY.get();
        assert!(d.lo <= rho && rho <= d.hi);
        let c4 = w.c4_density(32).unwrap();
        assert!(c4.lo <= c4.value && c4.value <= c4.hi);
        // heterogeneity: t(C4) > ρ⁴
        assert!(c4.lo > rho.powi(4));
    }

    #[test]
    fn fine_quadrature_agrees_with_default_inside_intervals() {
        let f = Fsm::figure1();
        let coarse = f.tau_star(rho_(0.2)).unwrap();
        let fine = f
            .tau_star_with(
                rho_(0.2),
                &Quadrature {
                    nodes: 8,
                    panels: 64,
                    grading: 8,
                },
            )
            .unwrap();
        assert!(fine.interval.1 - fine.interval.0 < coarse.interval.1 - coarse.interval.0);
        assert!(fine.interval.0 <= coarse.interval.1 && coarse.interval.0 <= fine.interval.1);
        // Gauss–Legendre converges far faster than its a-priori bound
        assert!((fine.value - coarse.value).abs() < 1e-12 * fine.value);
    }

    #[test]
    fn bad_densities_are_rejected() {
        let f = Fsm::figure1();
        for rho in [0.0, 1.0, -0.1, f64::NAN, 1.5] {
            // outside (0, 1): refused by the type, before any model sees it
            assert!(Density::new(rho).is_err());
        }
        assert!(f.tau_star(rho_(1e-300)).is_err()); // in (0, 1) but outside the certified domain
        let half = fsm("step:0.5;0,1", "exp:1", "gaussian:1");
        let err = half.tau_star(rho_(0.5)).unwrap_err();
        assert!(err.to_string().contains("no τ* exists"), "{err}");
        assert!(half.tau_star(rho_(0.49)).is_ok());
    }

    #[test]
    fn degrees_cut_off_zero_columns() {
        let w = fsm("exp:1", "step:0.5;0,1", "gaussian:1")
            .limit_graphon(rho_(0.3))
            .unwrap();
        let p = w.col_degree(0.25).unwrap();
        assert_eq!((p.lo, p.value, p.hi), (0.0, 0.0, 0.0));
        let p = w.col_degree(0.75).unwrap();
        assert!(p.lo > 0.5 && p.lo <= p.value && p.value <= p.hi);
        assert!(w.row_degree(1.5).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn interval_contains_value_and_g_brackets_rho(
            a in 0.0f64..4.0, b in 0.1f64..3.0, p in 0.3f64..3.0, rho in 0.02f64..0.95,
            gaussian in any::<bool>(),
        ) {
            let noise = if gaussian { "gaussian:1" } else { "uniform:1" };
            let f = fsm(&format!("exp:{a}"), &format!("affine:{b},1"), noise);
            let t = f.tau_star(rho_(rho)).unwrap();
            prop_assert!(t.interval.0 <= t.value && t.value <= t.interval.1);
            let g = f.g(t.value).unwrap();
            prop_assert!((g.value - rho).abs() <= g.error_bound);
            // rescaling a profile rescales τ*: the certified intervals must meet
            let f2 = fsm(&format!("power:{p}"), "exp:1", noise);
            let f3 = Fsm { row: f2.row.clone(), col: Profile::Affine(0.0, 0.0), noise: f2.noise };
            let _ = f3;
            let t2 = f2.tau_star(rho_(rho)).unwrap();
            let scaled = fsm(&format!("power:{p}"), "step:0.5;1,1", noise);
            let _ = scaled;
            prop_assert!(t2.interval.0 <= t2.value && t2.value <= t2.interval.1);
        }

        #[test]
        fn g_is_non_increasing(t1 in 0.01f64..50.0, t2 in 0.01f64..50.0) {
            let f = Fsm::figure1();
            let (a, b) = (f.g(t1.min(t2)).unwrap(), f.g(t1.max(t2)).unwrap());
            prop_assert!(a.value + a.error_bound >= b.value - b.error_bound);
        }

        #[test]
        fn scaling_a_profile_scales_tau(c in 0.2f64..5.0, rho in 0.05f64..0.9) {
            let f1 = fsm("affine:1,2", "exp:1", "gaussian:1");
            let f2 = fsm(&format!("affine:{},{}", c, 2.0 * c), "exp:1", "gaussian:1");
            let (t1, t2) = (f1.tau_star(rho_(rho)).unwrap(), f2.tau_star(rho_(rho)).unwrap());
            // c τ*₁ = τ*₂ lies in both enclosures (up to the rounding of the scaling)
            let slack = 4.0 * f64::EPSILON * t2.value;
            prop_assert!(c * t1.interval.0 <= t2.interval.1 + slack);
            prop_assert!(t2.interval.0 <= c * t1.interval.1 + slack);
        }
    }
}
