//! The one-hidden-layer graphon NTK (`theory/ntk.md`, "The graphon NTK"):
//!
//! ```text
//! K(x, x') = ∫_0^1 p^W_u(x, x') κ0(t^S_u) du   [+ ∫_0^1 sqrt(q^S_u(x) q^S_u(x')) κ1(t^S_u) du]
//! p^G_u(x, x') = ρ^(−1) Σ_j G(u, v_j) x_j x'_j,  q^G_u(x) = p^G_u(x, x),
//! t^S_u = p^S_u(x, x') / sqrt(q^S_u(x) q^S_u(x')),
//! ```
//!
//! with W the mask graphon, S the second moment `E[w² 1{kept}]` of the kept weights (S = W when
//! the mask does not look at the weights: then this is K_W), ρ the density of W, and the second
//! integral present when both layers are trained. The u-integral is a quadrature over nodes
//! (exact for step graphons and u-independent graphons); each node costs one Gram matrix
//! `X diag(G(u_k, ·)) Xᵀ`, computed on its lower triangle in fixed row chunks.

use super::NtkError;
use crate::convergence::limit::gauss_legendre;
use crate::graphon::step::StepGraphon;
use crate::linalg::{matmul, MAX_DENSE_ORDER};
use faer::{Accum, Mat, MatRef};
use rayon::prelude::*;
use std::f64::consts::PI;

/// Output rows per parallel Gram task (a fixed split: results do not depend on the number of
/// threads).
pub(crate) const ROW_CHUNK: usize = 64;

/// Relative allowance for the rounding of the oscillation bound's own arithmetic: fewer than 32
/// operations, each with relative error at most u = ε/2 (Higham, Lemma 3.1: below γ_32 < 64u).
const BOUND_ROUNDING: f64 = 64.0 * crate::tol::UNIT_ROUNDOFF;

/// The smallest density ρ a kernel graphon may have: the smallest normal f64, `2^−1022`. Below
/// it ρ is subnormal (it carries no relative accuracy) and `W/ρ`, which every kernel entry
/// scales by, can overflow; such graphons are refused ([`NtkError::OutOfDomain`]).
///
/// ```
/// use pai_graphon::ntk::kernel::{KernelGraphon, MIN_KERNEL_DENSITY};
/// assert_eq!(MIN_KERNEL_DENSITY, f64::MIN_POSITIVE);
/// assert!(KernelGraphon::constant(MIN_KERNEL_DENSITY, 2).is_ok());
/// assert!(KernelGraphon::constant(MIN_KERNEL_DENSITY / 2.0, 2).is_err());
/// ```
pub const MIN_KERNEL_DENSITY: f64 = f64::MIN_POSITIVE;

/// How far from 1 an input's squared norm or a quadrature rule's weight sum may be: the kernel
/// formulas assume unit rows and weights summing to 1, and an input normalised in f64 (as
/// `unit_rows` does) is off by a few units of roundoff times its length, far below this.
///
/// ```
/// use pai_graphon::ntk::kernel::UNIT_TOLERANCE;
/// assert!(UNIT_TOLERANCE > 1e3 * f64::EPSILON && UNIT_TOLERANCE < 1e-9);
/// ```
pub const UNIT_TOLERANCE: f64 = 1e-12;

/// The most Gauss–Legendre nodes [`KernelGraphon::monotone_in_u`] accepts: the one limit of
/// `ntk --nodes`, [`crate::params::NODES`]. Time bounds it as well as memory: the rule costs
/// `O(m²)` to build (about 2 s at this m on one core) and the kernel one Gram matrix per node;
/// more nodes would run for hours without improving on the bracket bound.
///
/// ```
/// assert_eq!(pai_graphon::ntk::kernel::MAX_QUADRATURE_NODES, 4096);
/// ```
pub const MAX_QUADRATURE_NODES: usize = crate::params::NODES.max;

/// Which layers are trained.
///
/// ```
/// use pai_graphon::ntk::deep::graphon_ntk_bound;
/// use pai_graphon::ntk::kernel::{graphon_ntk, kappa1, KernelGraphon, Layers};
/// let x = faer::mat![[1.0, 0.0], [0.6, 0.8]];
/// let g = KernelGraphon::constant(0.4, 2).unwrap();
/// let first = graphon_ntk(x.as_ref(), &g, Layers::First).unwrap().k;
/// let both = graphon_ntk(x.as_ref(), &g, Layers::Both).unwrap().k;
/// // Training the output layer too adds the κ1 term: κ1(1) = ½ on the diagonal.
/// assert_eq!((first[(0, 0)], both[(0, 0)]), (0.5, 1.0));
/// // Off it, the exact difference is sqrt(q) κ1(0.6 / sqrt(q)), q = fl(0.6)² + fl(0.8)² within
/// // γ₂ of 1: against κ1(0.6) (eight roundings) one each for sqrt(q) and the argument (κ1's
/// // relative condition t κ1'/κ1 is 0.62 at 0.6), one for the subtraction; each kernel's own
/// // rounding is bounded by graphon_ntk_bound.
/// let bound = |l| graphon_ntk_bound(x.as_ref(), &g, l).unwrap()[(0, 1)];
/// let allowance = bound(Layers::First) + bound(Layers::Both);
/// let k1 = kappa1(0.6);
/// assert!((both[(0, 1)] - first[(0, 1)] - k1).abs() <= allowance + pai_graphon::tol::gamma(11).unwrap() * k1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layers {
    /// The first layer only (the paper's kernel; Arora et al.'s H∞).
    First,
    /// Both layers: adds the κ1 term of the output weights.
    Both,
}

/// `κ0(t) = (π − arccos t) / (2π)`, the ReLU derivative kernel (t clamped to [−1, 1]).
///
/// ```
/// use pai_graphon::ntk::kernel::kappa0;
/// use pai_graphon::tol::gamma;
/// assert_eq!(kappa0(1.0), 0.5);
/// assert_eq!(kappa0(-1.0), 0.0);
/// // acos (two), the difference and the quotient: four roundings.
/// assert!((kappa0(0.0) - 0.25).abs() <= gamma(4).unwrap() * 0.25);
/// ```
pub fn kappa0(t: f64) -> f64 {
    (PI - t.clamp(-1.0, 1.0).acos()) / (2.0 * PI)
}

/// `κ1(t) = (sqrt(1 − t²) + (π − arccos t) t) / (2π)`, the ReLU kernel (t clamped to [−1, 1]).
///
/// ```
/// use pai_graphon::ntk::kernel::kappa1;
/// use pai_graphon::tol::gamma;
/// assert_eq!(kappa1(1.0), 0.5);
/// assert_eq!(kappa1(-1.0), 0.0);
/// // κ1(0) = 1/(2π): the square root, acos (two), three arithmetic operations, the quotient.
/// let exact = 1.0 / (2.0 * std::f64::consts::PI);
/// assert!((kappa1(0.0) - exact).abs() <= gamma(8).unwrap() * exact);
/// ```
pub fn kappa1(t: f64) -> f64 {
    let t = t.clamp(-1.0, 1.0);
    ((1.0 - t * t).sqrt() + (PI - t.acos()) * t) / (2.0 * PI)
}

/// The modulus of continuity of κ0 on a ball: a bound on `|κ0(s) − κ0(t)|` for all
/// `s ∈ [−1, 1]` with `|s − t| ≤ h`, `t ∈ [−1, 1]`. The minimum of
/// * the 1/2-Hölder bound `sqrt(h)/(2√2)`: `∫ ds/sqrt(1 − s²)` over a window of length h is
///   largest at an end of [−1, 1] (the integrand is convex and even), where it is
///   `acos(1 − h) = 2 asin(sqrt(h/2)) ≤ (π/√2) sqrt(h)` (asin(y)/y ≤ π/2 on [0, 1]);
///   dividing by 2π gives the bound;
/// * the mean-value bound `h/(2π sqrt(1 − m²))` with `m = |t| + h < 1`.
///
/// ```
/// use pai_graphon::ntk::kernel::{kappa0, kappa0_modulus};
/// use pai_graphon::tol::gamma;
/// assert_eq!(kappa0_modulus(0.0, 0.3), 0.0);
/// // Sharp at the end: κ0(1) − κ0(−1) = 1/2 = sqrt(2)/(2√2); three roundings (√2, sqrt, the
/// // quotient) and the function's own 4u of inflation.
/// assert!((kappa0_modulus(2.0, 1.0) - 0.5).abs() <= gamma(7).unwrap() * 0.5);
/// assert!((kappa0(1.0) - kappa0(1.0 - 1e-12)).abs() <= kappa0_modulus(1e-12, 1.0));
/// ```
pub fn kappa0_modulus(h: f64, t: f64) -> f64 {
    if h <= 0.0 {
        return 0.0;
    }
    let holder = h.sqrt() / (2.0 * std::f64::consts::SQRT_2);
    let m = t.abs() + h;
    let slope = if m < 1.0 {
        h / (2.0 * PI * ((1.0 - m) * (1.0 + m)).sqrt())
    } else {
        f64::INFINITY
    };
    // Both are computed in f64: a relative 4u covers their own rounding.
    holder.min(slope) * (1.0 + 4.0 * crate::tol::UNIT_ROUNDOFF)
}

/// Check a data matrix (N × d, one input per row) and scale its rows to unit norm. Rejects an
/// empty matrix, non-finite entries and zero rows (a zero input has no direction: its kernel
/// row would be 0 and K singular).
///
/// ```
/// use pai_graphon::ntk::kernel::unit_rows;
/// let x = unit_rows(faer::mat![[3.0, 4.0]].as_ref()).unwrap();
/// assert!((x[(0, 0)] - 0.6).abs() < 4.0 * f64::EPSILON && (x[(0, 1)] - 0.8).abs() < 4.0 * f64::EPSILON);
/// assert!(unit_rows(faer::mat![[0.0, 0.0]].as_ref()).is_err());
/// assert!(unit_rows(faer::mat![[f64::NAN, 1.0]].as_ref()).is_err());
/// ```
pub fn unit_rows(x: MatRef<'_, f64>) -> Result<Mat<f64>, NtkError> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(NtkError::Empty {
            what: "inputs or coordinates",
        });
    }
    let mut out = x.to_owned();
    for b in 0..x.nrows() {
        let mut norm2 = 0.0;
        for j in 0..x.ncols() {
            let v = x[(b, j)];
            if !v.is_finite() {
                return Err(NtkError::Data {
                    what: "input coordinate",
                    value: v,
                    why: "is not finite",
                });
            }
            norm2 += v * v;
        }
        if norm2 == 0.0 {
            return Err(NtkError::Data {
                what: "input norm",
                value: 0.0,
                why: "cannot be normalised",
            });
        }
        let inv = 1.0 / norm2.sqrt();
        for j in 0..x.ncols() {
            out[(b, j)] *= inv;
        }
    }
    Ok(out)
}

/// Labels must be ±1, one per input.
///
/// ```
/// use pai_graphon::ntk::kernel::check_labels;
/// assert!(check_labels(&[1.0, -1.0], 2).is_ok());
/// assert!(check_labels(&[1.0, 0.5], 2).is_err());
/// assert!(check_labels(&[1.0], 2).is_err());
/// ```
pub fn check_labels(y: &[f64], samples: usize) -> Result<(), NtkError> {
    if y.len() != samples {
        return Err(NtkError::Mismatch {
            what: "labels",
            expected: samples,
            found: y.len(),
        });
    }
    match y.iter().position(|&v| v != 1.0 && v != -1.0) {
        Some(b) => Err(NtkError::Data {
            what: "label",
            value: y[b],
            why: "must be −1 or +1",
        }),
        None => Ok(()),
    }
}

/// A bipartite graphon as the kernel sees it on d input coordinates `v_j = (j + ½)/d`:
/// quadrature nodes `u_k` with weights `ω_k` (summing to 1), and per node the rows
/// `W(u_k, v_j)` (mask probability) and `S(u_k, v_j)` (second moment of the kept weights; S = W
/// unless set). Optional brackets `lo ≤ W ≤ hi` on each node's Markov–Stieltjes cell give the
/// quadrature error bound.
///
/// ```
/// use pai_graphon::graphon::step::StepGraphon;
/// use pai_graphon::ntk::kernel::KernelGraphon;
/// // A 2 × 2 step graphon read on d = 4 coordinates: one node per row cell.
/// let s = StepGraphon::uniform(vec![vec![0.8, 0.2], vec![0.4, 0.0]]).unwrap();
/// let g = KernelGraphon::step(&s, 4).unwrap();
/// assert_eq!((g.nodes(), g.weights(), g.dims()), (&[0.25, 0.75][..], &[0.5, 0.5][..], 4));
/// // p_W(v) = ½ W(¼, v) + ½ W(¾, v): 0.6 on the first column cell, 0.1 on the second.
/// // Roundings: the decimals (one each, the halvings exact) and the sum: γ_3 of 0.6; 0.1 is
/// // ½ fl(0.2) + 0 exactly. ρ: two more sums (the halving exact) and 0.35's own: γ_5.
/// use pai_graphon::tol::gamma;
/// let p = g.path_density();
/// assert!(p.iter().zip([0.6, 0.6, 0.1, 0.1]).all(|(a, b)| (a - b).abs() <= gamma(3).unwrap() * b));
/// assert!((g.density() - 0.35).abs() <= gamma(5).unwrap() * 0.35);
/// ```
#[derive(Clone, Debug)]
pub struct KernelGraphon {
    nodes: Vec<f64>,
    weights: Vec<f64>,
    w: Mat<f64>,
    s: Option<Mat<f64>>,
    brackets: Option<(Mat<f64>, Mat<f64>)>,
    /// Constant in u on cells of widths ω_k around the nodes: the quadrature is exact.
    exact_in_u: bool,
}

fn check_values(name: &'static str, m: MatRef<'_, f64>, max: f64) -> Result<(), NtkError> {
    for i in 0..m.nrows() {
        for j in 0..m.ncols() {
            let v = m[(i, j)];
            if !(0.0..=max).contains(&v) {
                return Err(NtkError::Graphon {
                    what: name,
                    value: v,
                    why: "lies outside [0, 1] (W) or [0, ∞) (S)",
                });
            }
        }
    }
    Ok(())
}

impl KernelGraphon {
    /// A graphon constant in u on consecutive cells of widths `weights` (cell k holds node k),
    /// with the node × coordinate matrix of W values: the u-integral is exact. Checks W ∈
    /// [0, 1], weights positive and summing to 1 (to 1e-12), and positive density.
    ///
    /// ```
    /// use pai_graphon::ntk::kernel::KernelGraphon;
    /// let g = KernelGraphon::new(vec![0.5], vec![1.0], faer::mat![[0.2, 0.4]]).unwrap();
    /// // The decimals (one rounding each), their sum (one), the halving exact: γ_3 of 0.3.
    /// assert!((g.density() - 0.3).abs() <= pai_graphon::tol::gamma(3).unwrap() * 0.3);
    /// assert!(KernelGraphon::new(vec![0.5], vec![1.0], faer::mat![[1.5, 0.4]]).is_err());
    /// // All mass on a node of subnormal weight: ρ = 5e-324, W/ρ = ∞. Refused.
    /// let tiny = KernelGraphon::new(vec![0.25, 0.75], vec![5e-324, 1.0], faer::mat![[1.0], [0.0]]);
    /// assert!(matches!(tiny, Err(pai_graphon::ntk::NtkError::OutOfDomain { .. })));
    /// ```
    pub fn new(nodes: Vec<f64>, weights: Vec<f64>, w: Mat<f64>) -> Result<Self, NtkError> {
        if nodes.is_empty() {
            return Err(NtkError::Empty {
                what: "quadrature nodes",
            });
        }
        for (what, found) in [
            ("quadrature weights", weights.len()),
            ("rows of W", w.nrows()),
        ] {
            if found != nodes.len() {
                return Err(NtkError::Mismatch {
                    what,
                    expected: nodes.len(),
                    found,
                });
            }
        }
        if w.ncols() == 0 {
            return Err(NtkError::Empty {
                what: "input coordinates of W",
            });
        }
        let total: f64 = weights.iter().sum();
        if weights.iter().any(|&o| !(o > 0.0 && o.is_finite()))
            || (total - 1.0).abs() > UNIT_TOLERANCE
        {
            return Err(NtkError::Graphon {
                what: "sum of the quadrature weights",
                value: total,
                why: "must be 1, every weight positive and finite",
            });
        }
        check_values("W value", w.as_ref(), 1.0)?;
        let g = KernelGraphon {
            nodes,
            weights,
            w,
            s: None,
            brackets: None,
            exact_in_u: true,
        };
        let rho = g.density();
        if rho <= 0.0 {
            return Err(NtkError::Graphon {
                what: "density of W",
                value: rho,
                why: "must be positive",
            });
        }
        if rho < MIN_KERNEL_DENSITY {
            return Err(NtkError::OutOfDomain {
                quantity: "density ρ",
                value: rho,
                limit: MIN_KERNEL_DENSITY,
            });
        }
        Ok(g)
    }

    /// The constant graphon ρ on d coordinates (one node).
    ///
    /// ```
    /// let g = pai_graphon::ntk::kernel::KernelGraphon::constant(0.2, 3).unwrap();
    /// // fl(0.2) three times: one of the two additions rounds, then the quotient by 3: γ_2.
    /// assert!((g.density() - 0.2).abs() <= pai_graphon::tol::gamma(2).unwrap() * 0.2);
    /// assert_eq!(g.dims(), 3);
    /// ```
    pub fn constant(rho: f64, d: usize) -> Result<Self, NtkError> {
        if !(rho > 0.0 && rho <= 1.0) {
            return Err(NtkError::Size {
                what: "density",
                value: rho,
                why: "must lie in (0, 1]",
            });
        }
        Self::new(vec![0.5], vec![1.0], Mat::from_fn(1, d, |_, _| rho))
    }

    /// A u-independent graphon `W(u, v_j) = w_j` (one node; the u-integral is exact).
    ///
    /// ```
    /// let g = pai_graphon::ntk::kernel::KernelGraphon::column_profile(&[0.0, 1.0]).unwrap();
    /// assert_eq!(g.path_density(), vec![0.0, 1.0]);
    /// ```
    pub fn column_profile(w: &[f64]) -> Result<Self, NtkError> {
        Self::new(vec![0.5], vec![1.0], Mat::from_fn(1, w.len(), |_, j| w[j]))
    }

    /// A step graphon, integrated exactly: one node per row cell (weight = its width), column
    /// j takes the value of the column cell containing `v_j = (j + ½)/d`.
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// use pai_graphon::ntk::kernel::KernelGraphon;
    /// let s = StepGraphon::uniform(vec![vec![1.0, 0.0], vec![0.0, 1.0]]).unwrap();
    /// let g = KernelGraphon::step(&s, 4).unwrap();
    /// assert_eq!(g.path_density(), vec![0.5; 4]);
    /// ```
    pub fn step(g: &StepGraphon<f64>, d: usize) -> Result<Self, NtkError> {
        let breaks = g.row_breakpoints();
        let widths = g.row_widths().to_vec();
        let nodes = (0..widths.len())
            .map(|i| 0.5 * (breaks[i] + breaks[i + 1]))
            .collect();
        let cols: Vec<usize> = (0..d)
            .map(|j| g.col_cell(&((j as f64 + 0.5) / d as f64)))
            .collect::<Result<_, _>>()
            .map_err(NtkError::Step)?;
        let w = Mat::from_fn(widths.len(), d, |i, j| *g.value(i, cols[j]).unwrap_or(&0.0));
        let total: f64 = widths.iter().sum();
        Self::new(nodes, widths.iter().map(|x| x / total).collect(), w)
    }

    /// A graphon `f(u, v)` non-decreasing or non-increasing in u for every v (FSM limits with
    /// monotone row profiles), integrated over u by `m`-point Gauss–Legendre. The
    /// Markov–Stieltjes cells `[c_(k−1), c_k]` (c_k the partial sums of the weights; node k
    /// lies inside its cell) bracket W on each cell by its values at the cell ends, which
    /// gives [`Kernel::quadrature_bound`].
    ///
    /// ```
    /// use pai_graphon::ntk::kernel::KernelGraphon;
    /// let g = KernelGraphon::monotone_in_u(2, 8, |u, _v| u).unwrap();
    /// // The rule is symmetric: paired nodes fl(1 ∓ z)/2 sum to 1 within u and share a weight,
    /// // and the weights are normalised (their sum within γ_8 of 1: an 8-term sum, then each
    /// // quotient), so Σ ω_k u_k is ½ within γ_9 whatever the nodes' accuracy; its evaluation
    /// // (products and an 8-term sum) adds γ_8.
    /// assert!((g.density() - 0.5).abs() <= pai_graphon::tol::gamma(17).unwrap() * 0.5);
    /// assert!(KernelGraphon::monotone_in_u(2, 100_000, |u, _v| u).is_err()); // > MAX_QUADRATURE_NODES
    /// ```
    pub fn monotone_in_u(
        d: usize,
        m: usize,
        f: impl Fn(f64, f64) -> f64,
    ) -> Result<Self, NtkError> {
        if m == 0 {
            return Err(NtkError::Empty {
                what: "quadrature nodes",
            });
        }
        if m > MAX_QUADRATURE_NODES {
            return Err(NtkError::TooLarge {
                quantity: "quadrature nodes",
                size: m,
                max: MAX_QUADRATURE_NODES,
            });
        }
        let (x, wt) = gauss_legendre(m);
        let nodes: Vec<f64> = x.iter().map(|t| 0.5 * (t + 1.0)).collect();
        let weights: Vec<f64> = wt.iter().map(|o| 0.5 * o).collect();
        let total: f64 = weights.iter().sum();
        let weights: Vec<f64> = weights.iter().map(|o| o / total).collect();
        let v = |j: usize| (j as f64 + 0.5) / d as f64;
        let w = Mat::from_fn(m, d, |k, j| f(nodes[k], v(j)));
        let mut ends = vec![0.0];
        let mut acc = 0.0;
        for o in &weights {
            acc += o;
            ends.push(acc.min(1.0));
        }
        ends[m] = 1.0;
        let at_ends = Mat::from_fn(m + 1, d, |k, j| f(ends[k], v(j)));
        let lo = Mat::from_fn(m, d, |k, j| at_ends[(k, j)].min(at_ends[(k + 1, j)]));
        let hi = Mat::from_fn(m, d, |k, j| at_ends[(k, j)].max(at_ends[(k + 1, j)]));
        check_values("W value at a cell end", at_ends.as_ref(), 1.0)?;
        let mut g = Self::new(nodes, weights, w)?;
        g.brackets = Some((lo, hi));
        g.exact_in_u = false;
        Ok(g)
    }

    /// Set the second moment `S(u_k, v_j) = E[w² 1{kept}]` of the kept weights (same shape as
    /// W, entries in [0, ∞)): the kernel then uses S inside the activation covariance.
    ///
    /// ```
    /// use pai_graphon::ntk::kernel::KernelGraphon;
    /// let g = KernelGraphon::constant(0.5, 2).unwrap();
    /// assert!(g.clone().with_second_moment(faer::mat![[0.9, 0.9]]).is_ok());
    /// assert!(g.clone().with_second_moment(faer::mat![[0.9]]).is_err());
    /// // S/ρ = 2 f64::MAX would overflow: refused.
    /// assert!(g.with_second_moment(faer::mat![[f64::MAX, 0.0]]).is_err());
    /// ```
    pub fn with_second_moment(mut self, s: Mat<f64>) -> Result<Self, NtkError> {
        if s.nrows() != self.w.nrows() || s.ncols() != self.w.ncols() {
            return Err(NtkError::Shape {
                what: "S",
                found: (s.nrows(), s.ncols()),
                expected: (self.w.nrows(), self.w.ncols()),
            });
        }
        check_values("S value", s.as_ref(), f64::MAX)?;
        // Every entry is scaled by 1/ρ: S/ρ ≤ f64::MAX/4 keeps it, the row norms q^S and the
        // Gram entries (each at most max S/ρ for unit inputs) finite after rounding.
        let limit = self.density() * (f64::MAX / 4.0);
        let largest = (0..s.ncols())
            .flat_map(|j| (0..s.nrows()).map(move |i| (i, j)))
            .map(|(i, j)| s[(i, j)])
            .fold(0.0, f64::max);
        if largest > limit {
            return Err(NtkError::OutOfDomain {
                quantity: "largest second moment S",
                value: largest,
                limit,
            });
        }
        if self.brackets.is_some() {
            // The bracket covers W only; S changes the integrand.
            self.brackets = None;
        }
        self.s = Some(s);
        Ok(self)
    }

    /// The number of input coordinates d.
    ///
    /// ```
    /// assert_eq!(pai_graphon::ntk::kernel::KernelGraphon::constant(0.5, 7).unwrap().dims(), 7);
    /// ```
    pub fn dims(&self) -> usize {
        self.w.ncols()
    }

    /// The quadrature nodes u_k.
    ///
    /// ```
    /// assert_eq!(pai_graphon::ntk::kernel::KernelGraphon::constant(0.5, 7).unwrap().nodes(), &[0.5]);
    /// ```
    pub fn nodes(&self) -> &[f64] {
        &self.nodes
    }

    /// The quadrature weights ω_k (sum 1).
    ///
    /// ```
    /// assert_eq!(pai_graphon::ntk::kernel::KernelGraphon::constant(0.5, 7).unwrap().weights(), &[1.0]);
    /// ```
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// W at the nodes (nodes × d).
    ///
    /// ```
    /// let g = pai_graphon::ntk::kernel::KernelGraphon::constant(0.5, 2).unwrap();
    /// assert_eq!(g.w()[(0, 1)], 0.5);
    /// ```
    pub fn w(&self) -> MatRef<'_, f64> {
        self.w.as_ref()
    }

    /// S at the nodes (nodes × d); W when no second moment was set.
    ///
    /// ```
    /// let g = pai_graphon::ntk::kernel::KernelGraphon::constant(0.5, 2).unwrap();
    /// assert_eq!(g.s()[(0, 1)], 0.5);
    /// ```
    pub fn s(&self) -> MatRef<'_, f64> {
        self.s.as_ref().unwrap_or(&self.w).as_ref()
    }

    /// The density `ρ = Σ_k ω_k (1/d) Σ_j W(u_k, v_j)`: the kept fraction of a network whose
    /// mask is drawn from W on these coordinates, and the normalisation of z.
    ///
    /// ```
    /// let g = pai_graphon::ntk::kernel::KernelGraphon::column_profile(&[0.1, 0.3]).unwrap();
    /// // The decimals (one rounding each), their sum (one), the halving exact: γ_3 of 0.2.
    /// assert!((g.density() - 0.2).abs() <= pai_graphon::tol::gamma(3).unwrap() * 0.2);
    /// ```
    pub fn density(&self) -> f64 {
        self.path_density().iter().sum::<f64>() / self.dims() as f64
    }

    /// The path density `p_W(v_j) = ∫ W(u, v_j) du` (by the quadrature).
    ///
    /// ```
    /// use pai_graphon::ntk::kernel::KernelGraphon;
    /// let g = KernelGraphon::new(vec![0.25, 0.75], vec![0.5, 0.5], faer::mat![[1.0, 0.0], [0.0, 0.0]]).unwrap();
    /// assert_eq!(g.path_density(), vec![0.5, 0.0]);
    /// ```
    pub fn path_density(&self) -> Vec<f64> {
        (0..self.dims())
            .map(|j| {
                (0..self.nodes.len())
                    .map(|k| self.weights[k] * self.w[(k, j)])
                    .sum()
            })
            .collect()
    }
}

/// A kernel matrix with its quadrature error bound.
///
/// ```
/// use pai_graphon::ntk::kernel::{graphon_ntk, KernelGraphon, Layers};
/// let x = faer::mat![[1.0, 0.0], [0.6, 0.8]];
/// let kernel = |g: &KernelGraphon| graphon_ntk(x.as_ref(), g, Layers::First).unwrap();
/// // Cells constant in u: exact; a Gauss rule on a monotone graphon: a positive bound.
/// assert_eq!(kernel(&KernelGraphon::constant(0.5, 2).unwrap()).quadrature_bound, Some(0.0));
/// let gauss = KernelGraphon::monotone_in_u(2, 8, |u, v| 0.5 * (u + v)).unwrap();
/// let b = kernel(&gauss).quadrature_bound.unwrap();
/// assert!(b > 0.0 && b.is_finite());
/// // A second moment drops the brackets, and with them the bound.
/// let s = faer::Mat::from_fn(8, 2, |k, j| gauss.w()[(k, j)]);
/// assert_eq!(kernel(&gauss.with_second_moment(s).unwrap()).quadrature_bound, None);
/// ```
#[derive(Clone, Debug)]
pub struct Kernel {
    /// The N × N kernel matrix (symmetric).
    pub k: Mat<f64>,
    /// A bound on `max_ij |K_ij − (exact u-integral)_ij|` (rounding aside): 0 for graphons
    /// constant in u on cells ([`KernelGraphon::new`], step, u-independent and mask graphons);
    /// for [`KernelGraphon::monotone_in_u`], the Markov–Stieltjes oscillation bound
    /// (`theory/ntk.md`); `None` for a Gauss rule whose brackets
    /// [`KernelGraphon::with_second_moment`] dropped.
    pub quadrature_bound: Option<f64>,
}

/// The graphon NTK of the rows of `x` (N × d, unit-norm rows; see [`unit_rows`]).
///
/// ```
/// use pai_graphon::ntk::kernel::{graphon_ntk, kappa0, unit_rows, KernelGraphon, Layers};
/// let x = unit_rows(faer::mat![[1.0, 0.0], [0.6, 0.8]].as_ref()).unwrap();
/// let g = KernelGraphon::constant(0.3, 2).unwrap();
/// let k = graphon_ntk(x.as_ref(), &g, Layers::First).unwrap();
/// // W ≡ ρ: the dense kernel x·x' κ0(x·x'). unit_rows returns 0.6 and 0.8 unchanged, so the
/// // exact kernel is 0.6 κ0(0.6 / sqrt(q)), q = fl(0.6)² + fl(0.8)² within γ₂ of 1: the closed
/// // form errs by κ0 (four roundings), the product and the argument (one; κ0's relative
/// // condition is 0.34 at 0.6), the kernel by graphon_ntk_bound.
/// let bound = pai_graphon::ntk::deep::graphon_ntk_bound(x.as_ref(), &g, Layers::First).unwrap();
/// let r = 0.6 * kappa0(0.6);
/// assert!((k.k[(0, 1)] - r).abs() <= bound[(0, 1)] + pai_graphon::tol::gamma(6).unwrap() * r);
/// assert_eq!(k.k[(0, 0)], 0.5);
/// assert_eq!(k.quadrature_bound, Some(0.0));
/// ```
pub fn graphon_ntk(
    x: MatRef<'_, f64>,
    g: &KernelGraphon,
    layers: Layers,
) -> Result<Kernel, NtkError> {
    if x.ncols() != g.dims() {
        return Err(NtkError::Mismatch {
            what: "input coordinates for the graphon",
            expected: g.dims(),
            found: x.ncols(),
        });
    }
    check_unit_rows(x)?;
    let n = x.nrows();
    check_kernel_order(n)?;
    let rho = g.density();
    // K's lower triangle in fixed row chunks: chunk c holds rows r0..r1, columns 0..r1.
    let mut chunks: Vec<Mat<f64>> = (0..n.div_ceil(ROW_CHUNK))
        .map(|c| {
            let (r0, r1) = chunk_rows(c, n);
            Mat::zeros(r1 - r0, r1)
        })
        .collect();
    let mut bound = (g.exact_in_u || g.brackets.is_some()).then_some(0.0);
    // Nodes in parallel batches, each node's terms into its own zeroed blocks; the blocks are
    // then added in node order, so K is bit-identical to the sequential sum for any thread count.
    let nodes = g.nodes.len();
    for start in (0..nodes).step_by(NODE_BATCH) {
        let parts: Vec<(Vec<Mat<f64>>, f64, f64)> = (start..(start + NODE_BATCH).min(nodes))
            .into_par_iter()
            .map(|node| {
                let node_data = node_data(x, g, node, rho, layers);
                let mut blocks: Vec<Mat<f64>> = chunks
                    .iter()
                    .map(|b| Mat::zeros(b.nrows(), b.ncols()))
                    .collect();
                let worst = blocks
                    .iter_mut()
                    .enumerate()
                    .map(|(c, block)| node_data.add_to_chunk(block, chunk_rows(c, n).0))
                    .fold(0.0, f64::max);
                (blocks, node_data.omega, worst)
            })
            .collect();
        for (blocks, omega, worst) in parts {
            for (chunk, part) in chunks.iter_mut().zip(&blocks) {
                for j in 0..chunk.ncols() {
                    let out = chunk.col_as_slice_mut(j);
                    for (o, p) in out.iter_mut().zip(part.col_as_slice(j)) {
                        *o += p;
                    }
                }
            }
            if let Some(b) = bound.as_mut() {
                *b += omega * worst;
            }
        }
    }
    let mut k = Mat::<f64>::zeros(n, n);
    for (c, block) in chunks.iter().enumerate() {
        let r0 = chunk_rows(c, n).0;
        for i in 0..block.nrows() {
            for j in 0..=(r0 + i) {
                k[(r0 + i, j)] = block[(i, j)];
                k[(j, r0 + i)] = block[(i, j)];
            }
        }
    }
    Ok(Kernel {
        k,
        quadrature_bound: bound,
    })
}

/// Graphon nodes per parallel batch of [`graphon_ntk`] (bounds the per-node blocks held at once).
const NODE_BATCH: usize = 256;

/// One node's scaled inputs and their row norms (and spreads, if the graphon has brackets).
fn node_data(
    x: MatRef<'_, f64>,
    g: &KernelGraphon,
    node: usize,
    rho: f64,
    layers: Layers,
) -> NodeData {
    let w_row = g.w.as_ref().row(node);
    let yw = scaled_rows(x, w_row, rho);
    let ys =
        g.s.as_ref()
            .map(|s| scaled_rows(x, s.as_ref().row(node), rho));
    let qw = row_norms2(&yw);
    NodeData {
        qs: ys.as_ref().map(row_norms2),
        yw,
        ys,
        spread: g.brackets.as_ref().map(|(lo, hi)| {
            let a = spreads(x, w_row, lo.as_ref().row(node), hi.as_ref().row(node), rho);
            Spread::new(&a, &qw)
        }),
        qw,
        omega: g.weights[node],
        layers,
    }
}

/// Refuse N inputs whose dense N × N kernel exceeds [`MAX_DENSE_ORDER`], before allocating.
pub(crate) fn check_kernel_order(n: usize) -> Result<(), NtkError> {
    if n > MAX_DENSE_ORDER {
        return Err(NtkError::TooLarge {
            quantity: "inputs",
            size: n,
            max: MAX_DENSE_ORDER,
        });
    }
    Ok(())
}

/// Rows `r0..r1` of chunk c.
fn chunk_rows(c: usize, n: usize) -> (usize, usize) {
    (c * ROW_CHUNK, ((c + 1) * ROW_CHUNK).min(n))
}

/// The rows must already have unit norm (to [`UNIT_TOLERANCE`]): the kernel formulas assume it. The one
/// check of this, used by every NTK module.
pub(crate) fn check_unit_rows(x: MatRef<'_, f64>) -> Result<(), NtkError> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(NtkError::Empty { what: "inputs" });
    }
    let weights = vec![1.0; x.ncols()];
    match weighted_row_norms2(x, &weights)
        .into_iter()
        .find(|n| !n.is_finite() || (n - 1.0).abs() > UNIT_TOLERANCE)
    {
        Some(norm2) => Err(NtkError::Data {
            what: "input squared norm",
            value: norm2,
            why: "is not 1 (normalise with unit_rows)",
        }),
        None => Ok(()),
    }
}

/// `Σ_l (c_l x_bl) x_bl` for every row b, summed over l = 0, 1, … from −0.0 (as `Iterator::sum`
/// does) but walked column by column: faer stores columns contiguously, and each row's
/// additions keep their order, so the result is bit-identical to the row-by-row sum.
fn weighted_row_norms2(x: MatRef<'_, f64>, c: &[f64]) -> Vec<f64> {
    let mut acc = vec![-0.0; x.nrows()];
    for (l, &c) in c.iter().enumerate() {
        for (a, &v) in acc.iter_mut().zip(x.col(l).iter()) {
            *a += c * v * v;
        }
    }
    acc
}

/// `X diag(sqrt(g/ρ))`: its Gram matrix is `p^g`.
fn scaled_rows(x: MatRef<'_, f64>, g: faer::RowRef<'_, f64>, rho: f64) -> Mat<f64> {
    let mut y = Mat::<f64>::zeros(x.nrows(), x.ncols());
    for j in 0..x.ncols() {
        let scale = (g[j] / rho).sqrt();
        for (o, &v) in y.col_as_slice_mut(j).iter_mut().zip(x.col(j).iter()) {
            *o = v * scale;
        }
    }
    y
}

/// `a_b = ρ^(−1) Σ_l δ_l x_bl²` with `δ_l = max(hi_l − W_l, W_l − lo_l)`: on the node's cell
/// `|p_u(x_b, x_c) − p_(u_k)(x_b, x_c)| ≤ sqrt(a_b a_c)` (Cauchy–Schwarz).
fn spreads(
    x: MatRef<'_, f64>,
    at: faer::RowRef<'_, f64>,
    lo: faer::RowRef<'_, f64>,
    hi: faer::RowRef<'_, f64>,
    rho: f64,
) -> Vec<f64> {
    let delta: Vec<f64> = (0..x.ncols())
        .map(|l| (hi[l] - at[l]).max(at[l] - lo[l]))
        .collect();
    let mut a = weighted_row_norms2(x, &delta);
    a.iter_mut().for_each(|a| *a /= rho);
    a
}

/// One quadrature node's contribution.
struct NodeData {
    /// `X diag(sqrt(W/ρ))` and, when S ≠ W, `X diag(sqrt(S/ρ))`.
    yw: Mat<f64>,
    ys: Option<Mat<f64>>,
    /// The diagonals `q^W`, `q^S` (row norms² of yw, ys).
    qw: Vec<f64>,
    qs: Option<Vec<f64>>,
    /// The cell spreads when the graphon is bracketed.
    spread: Option<Spread>,
    omega: f64,
    layers: Layers,
}

impl NodeData {
    /// Add `ω h_(u_k)` to the chunk of K starting at row r0 and return the chunk's largest
    /// oscillation bound `sup_(u∈I_k) |h_u − h_(u_k)|` (0 without brackets).
    fn add_to_chunk(&self, block: &mut Mat<f64>, r0: usize) -> f64 {
        let (rows, r1) = (block.nrows(), block.ncols());
        let pw = self.gram(&self.yw, r0, rows, r1);
        let ps = self.ys.as_ref().map(|y| self.gram(y, r0, rows, r1));
        let ps = ps.as_ref().unwrap_or(&pw);
        let qs = self.qs.as_ref().unwrap_or(&self.qw);
        let mut worst = 0.0f64;
        // Column by column: faer stores columns contiguously.
        for j in 0..r1 {
            let (pw_j, ps_j) = (pw.col_as_slice(j), ps.col_as_slice(j));
            let out = block.col_as_slice_mut(j);
            for i in j.saturating_sub(r0)..rows {
                let gi = r0 + i;
                let diagonal = gi == j;
                let h = integrand(ps_j[i], pw_j[i], qs[gi], qs[j], diagonal, self.layers);
                out[i] += self.omega * h;
                if let Some(spread) = &self.spread {
                    let cell = spread.cell(pw_j[i], gi, j);
                    worst = worst.max(cell.oscillation(h, diagonal, self.layers));
                }
            }
        }
        worst
    }

    /// Rows `r0..r0+rows` of `Y Yᵀ`, columns `0..r1` (a sequential product).
    fn gram(&self, y: &Mat<f64>, r0: usize, rows: usize, r1: usize) -> Mat<f64> {
        let mut out = Mat::<f64>::zeros(rows, r1);
        matmul(
            out.as_mut(),
            Accum::Replace,
            y.as_ref().subrows(r0, rows),
            y.as_ref().subrows(0, r1).transpose(),
            1.0,
        );
        out
    }
}

/// The squared row norms of y (the diagonal `q` of its Gram matrix), summed in a fixed order.
fn row_norms2(y: &Mat<f64>) -> Vec<f64> {
    let mut q = vec![-0.0; y.nrows()];
    for l in 0..y.ncols() {
        for (q, &v) in q.iter_mut().zip(y.col_as_slice(l)) {
            *q += v * v;
        }
    }
    q
}

/// `p^W κ0(t^S) [+ sqrt(q^S q^S') κ1(t^S)]`, 0 when a q^S vanishes (z ≡ 0 at this node).
fn integrand(ps: f64, pw: f64, qi: f64, qj: f64, diagonal: bool, layers: Layers) -> f64 {
    if qi <= 0.0 || qj <= 0.0 {
        return 0.0;
    }
    let norm = geometric_mean(qi, qj);
    // t = 1 exactly on the diagonal: arccos has an infinite slope at 1.
    let t = if diagonal { 1.0 } else { ps / norm };
    let mut v = pw * kappa0(t);
    if layers == Layers::Both {
        v += norm * kappa1(t);
    }
    v
}

/// `sqrt(a b)` for positive a, b: from the product while it is a normal f64 (the value every
/// output was computed with), else `sqrt(a) sqrt(b)`, which neither underflows to 0 (a 0/0 = NaN
/// in t) nor overflows to ∞ (a t of 0) at the edges of the domain: subnormal or huge `q`.
fn geometric_mean(a: f64, b: f64) -> f64 {
    let product = a * b;
    if product.is_normal() {
        product.sqrt()
    } else {
        a.sqrt() * b.sqrt()
    }
}

/// A node's cell spreads as per-row square roots, so that the per-entry products below need no
/// square root: `sqrt(a_b)`, `sqrt(q_b)`, `sqrt(q_b + a_b)` and `sqrt(q_b − a_b)` (0 when
/// `q_b ≤ a_b`), with `q = q^W`.
struct Spread {
    a: Vec<f64>,
    q: Vec<f64>,
    hi: Vec<f64>,
    lo: Vec<f64>,
}

impl Spread {
    fn new(a: &[f64], q: &[f64]) -> Self {
        let zip = |f: fn(f64, f64) -> f64| a.iter().zip(q).map(|(&a, &q)| f(a, q)).collect();
        Spread {
            a: zip(|a, _| a.sqrt()),
            q: zip(|_, q| q.sqrt()),
            hi: zip(|a, q| (q + a).sqrt()),
            lo: zip(|a, q| if q - a > 0.0 { (q - a).sqrt() } else { 0.0 }),
        }
    }

    /// Entry (i, j) with node value `p = p^W_(u_k)(x_i, x_j)`.
    fn cell(&self, p: f64, i: usize, j: usize) -> CellEntry {
        CellEntry {
            p,
            r: self.a[i] * self.a[j],
            nu: self.q[i] * self.q[j],
            nu_hi: self.hi[i] * self.hi[j],
            nu_lo: self.lo[i] * self.lo[j],
        }
    }
}

/// One kernel entry on a node's cell: `p_u ∈ p ± r`, and `ν_u = sqrt(q_u(x_i) q_u(x_j))` lies
/// in `[ν_lo, ν_hi]` around `ν` (`ν_lo = 0`: a q interval reaches 0).
struct CellEntry {
    p: f64,
    r: f64,
    nu: f64,
    nu_hi: f64,
    nu_lo: f64,
}

impl CellEntry {
    /// A bound on `sup_u |h_u − h|` over the cell, h the integrand at the node. With
    /// `h = p κ0(t) [+ ν κ1(t)]`, `κ0 ≤ ½`, `κ1 ≤ ½` and `κ1' = κ0 ≤ ½`:
    /// `|Δh| ≤ ½|Δp| + |p| Δκ0 [+ ½|Δν| + ν ½|Δt|]`, with `Δκ0` from [`kappa0_modulus`]. When a q
    /// interval reaches 0 the integrand may vanish (the z ≡ 0 convention), so `|h| + sup|h_u|`.
    fn oscillation(&self, h: f64, diagonal: bool, layers: Layers) -> f64 {
        let (nu, nu_hi, nu_lo) = (self.nu, self.nu_hi, self.nu_lo);
        let both = layers == Layers::Both;
        if nu_lo <= 0.0 {
            let sup = 0.5 * (self.p.abs() + self.r) + if both { 0.5 * nu_hi } else { 0.0 };
            return h.abs() + sup;
        }
        let dt = if diagonal {
            0.0
        } else {
            let t = (self.p / nu).clamp(-1.0, 1.0);
            // The extremes of (p ± r)/ν over ν ∈ [ν_lo, ν_hi] (division is monotone in the
            // divisor after rounding too).
            let (below, above) = (self.p - self.r, self.p + self.r);
            let lo = below / if below >= 0.0 { nu_hi } else { nu_lo };
            let hi = above / if above >= 0.0 { nu_lo } else { nu_hi };
            let (lo, hi) = (lo.max(-1.0), hi.min(1.0));
            (hi - t).max(t - lo).max(0.0)
        };
        let dk0 = kappa0_modulus(dt, (self.p / nu).clamp(-1.0, 1.0));
        let mut bound = 0.5 * self.r + self.p.abs() * dk0;
        if both {
            bound += 0.5 * (nu_hi - nu).max(nu - nu_lo) + 0.5 * nu * dt;
        }
        bound * (1.0 + BOUND_ROUNDING)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On the diagonal (t = 1) the integrand is `p/2 [+ ν/2]`, monotone in p and ν, so its
    /// oscillation over a cell is attained at a corner: the bound must equal it up to the
    /// rounding allowance, not merely exceed it (a loosened bound stays valid and only this
    /// catches it).
    #[test]
    fn diagonal_oscillation_is_attained_at_a_corner() {
        let (p, a, q) = (0.3, 0.04, 0.25);
        let entry = Spread::new(&[a], &[q]).cell(p, 0, 0);
        for layers in [Layers::First, Layers::Both] {
            let h = integrand(p, p, q, q, true, layers);
            let sup = [(p - a, q - a), (p + a, q + a)]
                .iter()
                .map(|&(pu, qu)| (integrand(pu, pu, qu, qu, true, layers) - h).abs())
                .fold(0.0, f64::max);
            let bound = entry.oscillation(h, true, layers);
            assert!(
                sup <= bound && bound - sup <= 2.0 * BOUND_ROUNDING * sup,
                "{layers:?}: bound {bound} against the attained {sup}"
            );
        }
    }
}
