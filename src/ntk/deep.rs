//! The dense limit of the graphon NTK and the deep graphon NTK (`theory/ntk.md`, region
//! `deep`; claims NTK-1 and NTK-15).
//!
//! * [`dense_ntk`]: an independent implementation of Arora et al.'s two-layer kernel for unit
//!   inputs, `H∞ = t κ0(t)` with `t = x·x'` (plus `κ1(t)` when the output layer is trained),
//!   written with `π/2 + asin t` instead of `π − arccos t`, with a rigorous per-entry rounding
//!   bound.
//! * [`graphon_ntk_bound`]: a per-entry bound on the rounding error of
//!   [`graphon_ntk`](super::kernel::graphon_ntk), by the same analysis.
//! * [`deep_ntk`]: the deep graphon NTK of the predecessor paper (weights of variance
//!   `W^(l)(u_l, u_(l−1))`, no density normalisation) for L hidden layers on a node grid, with a
//!   running rounding bound.
//!
//! All bounds come from one ball arithmetic (the private `Ball`): each value carries a centre (the f64
//! result) and a radius that contains the exact real value and every f64 evaluation of the same
//! sequence of operations from inputs inside the input balls. Its rounding model is the IEEE
//! one, `fl(a ∘ b) = (a ∘ b)(1 + δ)`, `|δ| ≤ u = 2⁻⁵³`, and for `acos`/`asin` a relative error
//! of at most [`LIBM_ULPS`] ulps (glibc documents ≤ 1 ulp; the MPFR test checks the outcome).
//! The conditioning of arccos near ±1 is handled by [`kappa0_modulus`].
//!
//! ```
//! use pai_graphon::ntk::deep::{deep_ntk, dense_ntk, DeepGraphon, Output};
//! use pai_graphon::ntk::kernel::Layers;
//! let x = faer::mat![[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.6, 0.8]];
//! // One hidden layer of weight variance 1 is Arora et al.'s H∞: both agree within their bounds.
//! let h = dense_ntk(x.as_ref(), Layers::First).unwrap();
//! let th = deep_ntk(x.as_ref(), &DeepGraphon::constant(1.0, 3, 1).unwrap(), Output::Fixed).unwrap();
//! for (i, j) in [(0, 1), (0, 2), (1, 2)] {
//!     assert!((h.k[(i, j)] - th.k[(i, j)]).abs() <= h.bound[(i, j)] + th.bound[(i, j)]);
//! }
//! ```

use super::kernel::{check_unit_rows, kappa0, kappa0_modulus, kappa1, KernelGraphon, Layers};
use super::NtkError;
use crate::tol::gamma;
use faer::{Mat, MatRef};
use rayon::prelude::*;
use std::f64::consts::{FRAC_PI_2, PI};

/// The unit roundoff u = 2⁻⁵³.
pub(crate) const U: f64 = f64::EPSILON / 2.0;
/// `u / (1 − u)`: `|fl(z) − z| ≤ u |z| ≤ U1 |fl(z)|`.
const U1: f64 = U / (1.0 - U);

/// The assumed accuracy of the platform's `acos` and `asin`, in ulps (relative error
/// ≤ 2·LIBM_ULPS·u). glibc lists at most 1 ulp; we allow 2.
///
/// ```
/// use pai_graphon::ntk::deep::{kappa0_eval_bound, LIBM_ULPS};
/// // κ0's evaluation bound is 3u plus acos's share, LIBM_ULPS · u.
/// let u = f64::EPSILON / 2.0;
/// assert_eq!(kappa0_eval_bound(), (3.0 + LIBM_ULPS) * u);
/// ```
pub const LIBM_ULPS: f64 = 2.0;

/// A bound on `|fl(κ0(t)) − κ0(t)|` for an f64 `t`, for both formulas
/// `(π − acos t)/(2π)` ([`kappa0`]) and `(π/2 + asin t)/(2π)` ([`dense_ntk`]):
/// the numerator's error is at most `(2u + A)π` (π's rounding, acos's relative error
/// A = 2·LIBM_ULPS·u on a value ≤ π, the subtraction's rounding), the division by `fl(2π)`
/// adds `u/2 + u/2`; so `2u + A/2` to first order, `5u` with one u for the second-order terms.
///
/// ```
/// use pai_graphon::ntk::deep::kappa0_eval_bound;
/// assert_eq!(kappa0_eval_bound(), 5.0 * f64::EPSILON / 2.0);
/// ```
pub fn kappa0_eval_bound() -> f64 {
    let a = 2.0 * LIBM_ULPS * U;
    // First order 2u + A/2 = 4u; the fifth u absorbs the O(u²) terms.
    2.0 * U + a / 2.0 + U
}

/// A bound on `|fl(κ1(t)) − κ1(t)|` given a bound `root_err` on the error of the computed
/// `sqrt(1 − t²)`: `(root_err + (2u + A)π + uπ + u(1 + π))/(2π)·(1 + 2u) + u` (the second
/// term of κ1 as in [`kappa0_eval_bound`], its product with t, the sum, the division and its
/// rounding).
///
/// ```
/// use pai_graphon::ntk::deep::kappa1_eval_bound;
/// let u = f64::EPSILON / 2.0;
/// assert!(kappa1_eval_bound(0.0) < 6.0 * u && kappa1_eval_bound(0.0) > 4.0 * u);
/// ```
pub fn kappa1_eval_bound(root_err: f64) -> f64 {
    let a = 2.0 * LIBM_ULPS * U;
    (root_err + (2.0 * U + a) * PI + U * PI + U * (1.0 + PI)) / (2.0 * PI) * (1.0 + 2.0 * U) + U
}

/// Which f64 formula of κ0 and κ1 a ball follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Formula {
    /// `kernel::kappa0`/`kappa1`: `π − acos t`, `sqrt(1 − t²)`.
    Acos,
    /// [`dense_ntk`]'s own: `π/2 + asin t`, `sqrt((1 − t)(1 + t))`.
    Asin,
}

fn kappa0_asin(t: f64) -> f64 {
    (FRAC_PI_2 + t.clamp(-1.0, 1.0).asin()) / (2.0 * PI)
}

fn kappa1_asin(t: f64) -> f64 {
    let t = t.clamp(-1.0, 1.0);
    (((1.0 - t) * (1.0 + t)).sqrt() + (FRAC_PI_2 + t.asin()) * t) / (2.0 * PI)
}

/// A value with a radius: the radius contains the exact real value and every f64 evaluation
/// of the same sequence of operations from inputs inside the input balls (module doc).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Ball {
    v: f64,
    r: f64,
}

impl Ball {
    const ZERO: Ball = Ball { v: 0.0, r: 0.0 };

    fn exact(v: f64) -> Ball {
        Ball { v, r: 0.0 }
    }

    /// The centre `s = fl(z0)` of an operation whose exact result at the centres is z0, with
    /// `m` bounding how far the operation moves within the input balls: the exact value is
    /// within `m + u'|s|`, another evaluation within `m + u(|z0| + m) + u'|s|`.
    fn finish(s: f64, m: f64) -> Ball {
        Ball {
            v: s,
            r: m * (1.0 + U) + 2.0 * U1 * s.abs(),
        }
    }

    fn add(self, o: Ball) -> Ball {
        Ball::finish(self.v + o.v, self.r + o.r)
    }

    fn mul(self, o: Ball) -> Ball {
        let m = self.v.abs() * o.r + o.v.abs() * self.r + self.r * o.r;
        if m == 0.0 && (self.v * o.v).is_finite() && is_exact_product(self.v, o.v) {
            return Ball::exact(self.v * o.v);
        }
        Ball::finish(self.v * o.v, m)
    }

    /// Division; `None` when the divisor's ball contains 0.
    fn div(self, o: Ball) -> Option<Ball> {
        if o.v.abs() <= o.r {
            return None;
        }
        let s = self.v / o.v;
        let m = (self.r + s.abs() * (1.0 + 2.0 * U) * o.r) / (o.v.abs() - o.r);
        Some(Ball::finish(s, m))
    }

    /// `sqrt` of a non-negative quantity: `|sqrt(x) − sqrt(v)| ≤ min(sqrt(r), r/sqrt(v))`.
    fn sqrt(self) -> Ball {
        let v = self.v.max(0.0);
        let m = if self.r == 0.0 && self.v >= 0.0 {
            0.0
        } else if v > 0.0 {
            self.r.sqrt().min(self.r / v.sqrt())
        } else {
            (self.r + self.v.abs()).sqrt()
        };
        Ball::finish(v.sqrt(), m * (1.0 + 2.0 * U))
    }

    /// `κ0(t)`: twice the evaluation bound (the exact value and another evaluation) plus the
    /// modulus over the ball. `t = ±1` exactly is exact (acos(1) = 0, acos(−1) = fl(π)).
    fn kappa0(self, f: Formula) -> Ball {
        let t = self.v.clamp(-1.0, 1.0);
        let v = match f {
            Formula::Acos => kappa0(t),
            Formula::Asin => kappa0_asin(t),
        };
        if self.r == 0.0 && t.abs() == 1.0 {
            return Ball::exact(v);
        }
        Ball {
            v,
            r: 2.0 * kappa0_eval_bound() + kappa0_modulus(self.r, t),
        }
    }

    /// `κ1(t)`: κ1' = κ0 ∈ [0, 1/2], so κ1 is 1/2-Lipschitz; the evaluation bound depends on
    /// how the formula forms `sqrt(1 − t²)` (see [`kappa1_eval_bound`]).
    fn kappa1(self, f: Formula) -> Ball {
        let t = self.v.clamp(-1.0, 1.0);
        let v = match f {
            Formula::Acos => kappa1(t),
            Formula::Asin => kappa1_asin(t),
        };
        if self.r == 0.0 && t.abs() == 1.0 {
            return Ball::exact(v);
        }
        let root_err = match f {
            // fl(t²) is off by ≤ u t², the subtraction by ≤ u(1 − t²): ≤ 2u before the sqrt,
            // whose radicand is at least 1 − (|t| + r)² − 2u anywhere in the ball.
            Formula::Acos => {
                let m = t.abs() + self.r;
                let lo = if m < 1.0 {
                    (1.0 - m) * (1.0 + m) - 3.0 * U
                } else {
                    0.0
                };
                let e = 2.0 * U;
                let drift = if lo > 0.0 {
                    e.sqrt().min(e / lo.sqrt())
                } else {
                    e.sqrt()
                };
                drift * (1.0 + 2.0 * U) + U
            }
            // (1 − t), (1 + t), their product: relative ≤ 3u, sqrt halves it, plus its own u.
            Formula::Asin => 3.0 * U,
        };
        Ball {
            v,
            r: 2.0 * kappa1_eval_bound(root_err) + 0.5 * self.r * (1.0 + 2.0 * U),
        }
    }

    /// A ball that also contains 0 (a branch that may return 0 instead).
    fn or_zero(self) -> Ball {
        Ball {
            v: self.v,
            r: self.r.max(self.v.abs() * (1.0 + U)),
        }
    }
}

/// Whether `a·b` is exact in f64 (then an exact-input product stays exact).
fn is_exact_product(a: f64, b: f64) -> bool {
    a == 0.0 || b == 0.0 || a.abs() == 1.0 || b.abs() == 1.0
}

/// `γ_n` from `tol::gamma`, as an NTK size error.
pub(crate) fn gamma_n(n: usize) -> Result<f64, NtkError> {
    Ok(gamma(n)?)
}

/// The lower-triangle pairs (i, j), j ≤ i, in row order.
fn pairs(n: usize) -> Vec<(usize, usize)> {
    (0..n).flat_map(|i| (0..=i).map(move |j| (i, j))).collect()
}

fn symmetric(n: usize, pairs: &[(usize, usize)], vals: impl Fn(usize) -> f64) -> Mat<f64> {
    let mut m = Mat::<f64>::zeros(n, n);
    for (p, &(i, j)) in pairs.iter().enumerate() {
        m[(i, j)] = vals(p);
        m[(j, i)] = vals(p);
    }
    m
}

/// A kernel matrix with a per-entry bound on its distance to the exact kernel.
///
/// ```
/// use pai_graphon::ntk::deep::dense_ntk;
/// use pai_graphon::ntk::kernel::Layers;
/// // Orthogonal inputs: t = 0, so H∞ = 0 · κ0(0) = 0 and, both layers trained, κ1(0) = 1/(2π).
/// let x = faer::mat![[1.0, 0.0], [0.0, 1.0]];
/// let h = dense_ntk(x.as_ref(), Layers::Both).unwrap();
/// let exact = 1.0 / (2.0 * std::f64::consts::PI);
/// assert!((h.k[(0, 1)] - exact).abs() <= h.bound[(0, 1)] + f64::EPSILON * exact);
/// assert!(h.bound[(0, 1)] < 1e-14 && h.k[(0, 1)] == h.k[(1, 0)]);
/// ```
#[derive(Clone, Debug)]
pub struct BoundedKernel {
    /// The computed N × N kernel (symmetric).
    pub k: Mat<f64>,
    /// `|k_ij − K_ij| ≤ bound_ij` for the exact kernel K of the same inputs (module doc).
    pub bound: Mat<f64>,
}

/// An upper bound on `√(1 + a)`'s distance to 1 for `|a| ≤ ν`.
fn root_deviation(nu: f64) -> f64 {
    ((1.0 + nu).sqrt() - 1.0).max(1.0 - (1.0 - nu).max(0.0).sqrt()) * (1.0 + 4.0 * U)
}

/// Arora et al.'s two-layer NTK for unit inputs, implemented directly: `H∞ = t κ0(t)` with
/// `t = x·x'` (first layer trained), `+ κ1(t)` when both layers are trained, `κ0` and `κ1`
/// written with `π/2 + asin t` and `sqrt((1 − t)(1 + t))`; `t = 1` on the diagonal. The exact
/// kernel the bound refers to is the homogeneous extension `K* = P κ0(T) [+ N κ1(T)]` with
/// `P = x·x'`, `N = ‖x‖‖x'‖`, `T = P/N` of the given (f64, nearly unit) rows; the bound
/// counts the dot product's rounding (γ_d Σ|x_j x'_j|), the rows' distance from unit norm, the
/// evaluation of κ and its modulus ([`kappa0_modulus`]).
///
/// ```
/// use pai_graphon::ntk::deep::dense_ntk;
/// use pai_graphon::ntk::kernel::{kappa0, Layers};
/// let x = faer::mat![[1.0, 0.0], [0.6, 0.8]];
/// let h = dense_ntk(x.as_ref(), Layers::First).unwrap();
/// assert!((h.k[(0, 1)] - 0.6 * kappa0(0.6)).abs() <= h.bound[(0, 1)]);
/// assert!(h.bound[(0, 1)] < 1e-15);
/// assert_eq!(h.k[(0, 0)], 0.5);
/// ```
pub fn dense_ntk(x: MatRef<'_, f64>, layers: Layers) -> Result<BoundedKernel, NtkError> {
    check_unit_rows(x)?;
    let (n, d) = (x.nrows(), x.ncols());
    let g = gamma_n(d + 2)?;
    // ν_i ≥ |‖x_i‖² − 1|.
    let nu: Vec<f64> = (0..n)
        .map(|i| {
            let s: f64 = (0..d).map(|l| x[(i, l)] * x[(i, l)]).sum();
            (s - 1.0).abs() + g * s / (1.0 - g) * (1.0 + 2.0 * U)
        })
        .collect();
    let ps = pairs(n);
    let vals: Vec<Ball> = ps
        .par_iter()
        .map(|&(i, j)| {
            let (mut dot, mut abs) = (0.0, 0.0);
            for l in 0..d {
                dot += x[(i, l)] * x[(j, l)];
                abs += (x[(i, l)] * x[(j, l)]).abs();
            }
            let p = Ball {
                v: dot,
                r: g * abs / (1.0 - g) * (1.0 + 2.0 * U),
            };
            // |x·x' − T| = |P| |1 − 1/N|, N² within ν_i + ν_j + ν_i ν_j of 1.
            let nn = nu[i] + nu[j] + nu[i] * nu[j];
            let n_dev = root_deviation(nn);
            let t = if i == j {
                Ball::exact(1.0)
            } else {
                Ball {
                    v: dot,
                    r: p.r + (dot.abs() + p.r) * n_dev / (1.0 - n_dev),
                }
            };
            let mut h = p.mul(t.kappa0(Formula::Asin));
            if layers == Layers::Both {
                // Arora's unit-input formula uses N = 1.
                h = h.add(Ball { v: 1.0, r: n_dev }.mul(t.kappa1(Formula::Asin)));
            }
            h
        })
        .collect();
    Ok(BoundedKernel {
        k: symmetric(n, &ps, |p| vals[p].v),
        bound: symmetric(n, &ps, |p| vals[p].r),
    })
}

/// A per-entry bound on the rounding error of
/// [`graphon_ntk`](super::kernel::graphon_ntk)`(x, g, layers).k` against the exact kernel with
/// the same nodes, weights, W (and S) and the computed density `ρ̂ = g.density()` as the
/// normalisation. The Gram entries `ρ̂⁻¹ Σ_j G(u_k, v_j) x_j x'_j` are formed from rows scaled
/// by `sqrt(G/ρ̂)` in any summation order: each term carries at most d + 5 roundings, so the
/// computed entry is within `γ_(d+5) a` of the exact one (`a = ρ̂⁻¹ Σ_j G |x_j x'_j|`, Higham
/// 3.1), and the replication here within the same: radius `2γ_(d+5) a`. Everything after the
/// Gram (norm, t, κ0, κ1, the node sum) follows the kernel's own operations in ball arithmetic.
///
/// ```
/// use pai_graphon::ntk::deep::graphon_ntk_bound;
/// use pai_graphon::ntk::kernel::{graphon_ntk, unit_rows, KernelGraphon, Layers};
/// let x = unit_rows(faer::mat![[1.0, 2.0], [2.0, 1.0]].as_ref()).unwrap();
/// let g = KernelGraphon::column_profile(&[0.3, 0.6]).unwrap();
/// let b = graphon_ntk_bound(x.as_ref(), &g, Layers::Both).unwrap();
/// assert!(b[(0, 1)] > 0.0 && b[(0, 1)] < 1e-14);
/// ```
pub fn graphon_ntk_bound(
    x: MatRef<'_, f64>,
    g: &KernelGraphon,
    layers: Layers,
) -> Result<Mat<f64>, NtkError> {
    check_unit_rows(x)?;
    if x.ncols() != g.dims() {
        return Err(NtkError::Mismatch {
            what: "input coordinates for the graphon",
            expected: g.dims(),
            found: x.ncols(),
        });
    }
    let (n, d) = (x.nrows(), x.ncols());
    let rho = g.density();
    let gram_gamma = gamma_n(d + 5)?;
    let sum_gamma = gamma_n(d + 3)?;
    let ps = pairs(n);
    let mut total = vec![Ball::ZERO; ps.len()];
    for node in 0..g.nodes().len() {
        let omega = Ball::exact(g.weights()[node]);
        let gram_of = |m: MatRef<'_, f64>| -> Vec<Ball> {
            ps.par_iter()
                .map(|&(i, j)| {
                    let (mut dot, mut abs) = (0.0, 0.0);
                    for l in 0..d {
                        let c = m[(node, l)] / rho;
                        dot += c * x[(i, l)] * x[(j, l)];
                        abs += c * (x[(i, l)] * x[(j, l)]).abs();
                    }
                    // Each term of `abs` carries ≤ d + 2 roundings.
                    let a = abs / (1.0 - sum_gamma) * (1.0 + 2.0 * U);
                    Ball {
                        v: dot,
                        r: 2.0 * gram_gamma * a,
                    }
                })
                .collect()
        };
        let pw = gram_of(g.w());
        let ps_s = gram_of(g.s());
        let diag = |b: usize| b * (b + 3) / 2; // index of (b, b) in `pairs`
        for (p, &(i, j)) in ps.iter().enumerate() {
            let (qi, qj) = (ps_s[diag(i)], ps_s[diag(j)]);
            if qi.v <= 0.0 || qj.v <= 0.0 {
                // The kernel skips; the exact value may be tiny but is covered below.
                if qi.r > 0.0 || qj.r > 0.0 {
                    total[p].r += bound_when_skipped(qi, qj, pw[p], omega.v, layers);
                }
                continue;
            }
            let norm = qi.mul(qj).sqrt();
            let t = if i == j {
                Ball::exact(1.0)
            } else {
                match ps_s[p].div(norm) {
                    Some(t) => t,
                    None => Ball { v: 0.0, r: 1.0 },
                }
            };
            let mut v = pw[p].mul(t.kappa0(Formula::Acos));
            if layers == Layers::Both {
                v = v.add(norm.mul(t.kappa1(Formula::Acos)));
            }
            if qi.v <= qi.r || qj.v <= qj.r {
                v = v.or_zero();
            }
            total[p] = total[p].add(omega.mul(v));
        }
    }
    Ok(symmetric(n, &ps, |p| total[p].r))
}

/// When the kernel skips a node (computed q ≤ 0) but the exact q may be positive: the exact
/// contribution is at most `ω (|p| κ0 + sqrt(q q') κ1) ≤ ω (|p| + sqrt(q q'))/2` with each
/// quantity at most its centre plus radius.
fn bound_when_skipped(qi: Ball, qj: Ball, p: Ball, omega: f64, layers: Layers) -> f64 {
    let up = |b: Ball| (b.v.max(0.0) + b.r) * (1.0 + U);
    let mut v = up(p) / 2.0;
    if layers == Layers::Both {
        v += (up(qi) * up(qj)).sqrt() / 2.0;
    }
    omega * v * (1.0 + 4.0 * U)
}

// ---------------------------------------------------------------------------------------------
// The deep graphon NTK.

/// Whether the output layer is trained in [`deep_ntk`].
///
/// ```
/// use pai_graphon::ntk::deep::{deep_ntk, DeepGraphon, Output};
/// use pai_graphon::ntk::kernel::kappa1;
/// let x = faer::mat![[1.0, 0.0], [0.6, 0.8]];
/// let g = DeepGraphon::constant(1.0, 2, 1).unwrap();
/// let fixed = deep_ntk(x.as_ref(), &g, Output::Fixed).unwrap();
/// let trained = deep_ntk(x.as_ref(), &g, Output::Trained).unwrap();
/// // One layer: training the output adds ∫ F = κ1(x·x').
/// let added = trained.k[(0, 1)] - fixed.k[(0, 1)];
/// assert!((added - kappa1(0.6)).abs() <= trained.bound[(0, 1)] + fixed.bound[(0, 1)] + 1e-16);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// Only the L hidden weight layers are trained (the output weights stay at initialisation).
    Fixed,
    /// The output layer is trained too: adds `∫ E[relu relu]_(Σ^(L)(u)) du`.
    Trained,
}

/// The graphons of an L-hidden-layer network on node grids: hidden layer l has nodes with
/// quadrature weights `ω^(l)_k` (summing to 1); `W^(1)` is `n_1 × d` (node × input coordinate),
/// `W^(l)` for l ≥ 2 is `n_l × n_(l−1)`; values are weight variances in [0, 1].
///
/// ```
/// use pai_graphon::ntk::deep::{deep_ntk, DeepGraphon, Output};
/// // NTK-15: constant variance c at each of L layers scales the kernel by c^L.
/// let x = faer::mat![[1.0, 0.0], [0.6, 0.8]];
/// let dense = deep_ntk(x.as_ref(), &DeepGraphon::constant(1.0, 2, 3).unwrap(), Output::Trained).unwrap();
/// let half = deep_ntk(x.as_ref(), &DeepGraphon::constant(0.5, 2, 3).unwrap(), Output::Trained).unwrap();
/// let allowance = half.bound[(0, 1)] + 0.125 * dense.bound[(0, 1)] + 1e-16;
/// assert!((half.k[(0, 1)] - 0.125 * dense.k[(0, 1)]).abs() <= allowance);
/// // Layer 2 must be n_2 × n_1.
/// let bad = DeepGraphon::new(vec![vec![1.0], vec![0.5, 0.5]], vec![faer::mat![[1.0, 1.0]], faer::mat![[1.0, 1.0]]]);
/// assert!(bad.is_err());
/// ```
#[derive(Clone, Debug)]
pub struct DeepGraphon {
    weights: Vec<Vec<f64>>,
    w: Vec<Mat<f64>>,
}

impl DeepGraphon {
    /// From per-layer quadrature weights and graphon matrices (shapes as in the type doc).
    ///
    /// ```
    /// use pai_graphon::ntk::deep::DeepGraphon;
    /// let g = DeepGraphon::new(vec![vec![0.5, 0.5]], vec![faer::mat![[1.0, 0.0], [0.0, 1.0]]]).unwrap();
    /// assert_eq!((g.depth(), g.dims()), (1, 2));
    /// assert!(DeepGraphon::new(vec![vec![1.0]], vec![faer::mat![[2.0]]]).is_err());
    /// ```
    pub fn new(weights: Vec<Vec<f64>>, w: Vec<Mat<f64>>) -> Result<Self, NtkError> {
        if weights.is_empty() {
            return Err(NtkError::Empty { what: "layers" });
        }
        if weights.len() != w.len() {
            return Err(NtkError::Mismatch {
                what: "quadrature weight vectors for the graphon matrices",
                expected: w.len(),
                found: weights.len(),
            });
        }
        for (l, (om, m)) in weights.iter().zip(&w).enumerate() {
            let total: f64 = om.iter().sum();
            if om.is_empty()
                || om.iter().any(|&o| !(o > 0.0 && o.is_finite()))
                || (total - 1.0).abs() > super::kernel::UNIT_TOLERANCE
            {
                return Err(NtkError::Graphon {
                    what: "layer",
                    value: (l + 1) as f64,
                    why: "has quadrature weights that are not positive or do not sum to 1",
                });
            }
            let cols = if l == 0 {
                m.ncols()
            } else {
                weights[l - 1].len()
            };
            if m.nrows() != om.len() || m.ncols() != cols || cols == 0 {
                return Err(NtkError::Shape {
                    what: "a layer's W",
                    found: (m.nrows(), m.ncols()),
                    expected: (om.len(), cols),
                });
            }
            for i in 0..m.nrows() {
                for j in 0..m.ncols() {
                    if !(0.0..=1.0).contains(&m[(i, j)]) {
                        return Err(NtkError::Graphon {
                            what: "layer W entry",
                            value: m[(i, j)],
                            why: "lies outside [0, 1]",
                        });
                    }
                }
            }
        }
        Ok(DeepGraphon { weights, w })
    }

    /// `depth` hidden layers of `m` midpoint nodes `u_k = (k + ½)/m` (weights 1/m), input
    /// coordinates `v_j = (j + ½)/d`: `W^(1)(u_k, v_j) = first(u_k, v_j)`,
    /// `W^(l)(u_k, u'_k') = next(u_k, u'_k')`. Exact for step graphons whose steps are unions
    /// of the cells `[k/m, (k+1)/m)`.
    ///
    /// ```
    /// use pai_graphon::ntk::deep::DeepGraphon;
    /// let g = DeepGraphon::midpoint(3, 2, 4, |u, _| u, |_, v| v).unwrap();
    /// assert_eq!(g.w(0)[(1, 0)], 0.375);
    /// assert_eq!(g.weights(1), &[0.25; 4]);
    /// ```
    pub fn midpoint(
        d: usize,
        depth: usize,
        m: usize,
        first: impl Fn(f64, f64) -> f64,
        next: impl Fn(f64, f64) -> f64,
    ) -> Result<Self, NtkError> {
        if depth == 0 || m == 0 || d == 0 {
            return Err(NtkError::Empty {
                what: "layers, nodes or coordinates",
            });
        }
        let node = |k: usize| (k as f64 + 0.5) / m as f64;
        let v = |j: usize| (j as f64 + 0.5) / d as f64;
        let mut w = vec![Mat::from_fn(m, d, |k, j| first(node(k), v(j)))];
        for _ in 1..depth {
            w.push(Mat::from_fn(m, m, |k, k2| next(node(k), node(k2))));
        }
        Self::new(vec![vec![1.0 / m as f64; m]; depth], w)
    }

    /// The constant graphon c at every layer (one node per layer: exact).
    ///
    /// ```
    /// let g = pai_graphon::ntk::deep::DeepGraphon::constant(0.5, 4, 3).unwrap();
    /// assert_eq!(g.depth(), 3);
    /// assert!(pai_graphon::ntk::deep::DeepGraphon::constant(0.0, 4, 3).is_err());
    /// ```
    pub fn constant(c: f64, d: usize, depth: usize) -> Result<Self, NtkError> {
        if !(c > 0.0 && c <= 1.0) {
            return Err(NtkError::Size {
                what: "constant",
                value: c,
                why: "must lie in (0, 1]",
            });
        }
        Self::midpoint(d, depth, 1, |_, _| c, |_, _| c)
    }

    /// The number of hidden layers L.
    ///
    /// ```
    /// assert_eq!(pai_graphon::ntk::deep::DeepGraphon::constant(1.0, 2, 4).unwrap().depth(), 4);
    /// ```
    pub fn depth(&self) -> usize {
        self.w.len()
    }

    /// The input dimension d.
    ///
    /// ```
    /// assert_eq!(pai_graphon::ntk::deep::DeepGraphon::constant(1.0, 2, 4).unwrap().dims(), 2);
    /// ```
    pub fn dims(&self) -> usize {
        self.w[0].ncols()
    }

    /// Layer `l`'s graphon matrix (0-based: `w(0)` is `W^(1)`).
    ///
    /// ```
    /// let g = pai_graphon::ntk::deep::DeepGraphon::constant(0.5, 2, 2).unwrap();
    /// assert_eq!(g.w(1)[(0, 0)], 0.5);
    /// ```
    pub fn w(&self, l: usize) -> MatRef<'_, f64> {
        self.w[l].as_ref()
    }

    /// Layer `l`'s quadrature weights (0-based).
    ///
    /// ```
    /// let g = pai_graphon::ntk::deep::DeepGraphon::constant(0.5, 2, 2).unwrap();
    /// assert_eq!(g.weights(0), &[1.0]);
    /// ```
    pub fn weights(&self, l: usize) -> &[f64] {
        &self.weights[l]
    }
}

/// One hidden layer's per-node pair values (node-major: `[node][pair]`).
type Field = Vec<Vec<Ball>>;

/// The deep graphon NTK of unit-norm inputs (`theory/ntk.md`, NTK-15), with a running
/// rounding bound. With `Σ^(1)(u; x, x') = Σ_j W^(1)(u, v_j) x_j x'_j`,
/// `F^(l)(u) = sqrt(Σ^(l)(u; x, x) Σ^(l)(u; x', x')) κ1(t^(l)(u))` (= E[relu relu]),
/// `D^(l)(u) = κ0(t^(l)(u))` (= E[relu' relu']), `Σ^(l+1)(u) = ∫ W^(l+1)(u, u') F^(l)(u') du'`,
/// the backward correlation `Π^(L) = D^(L)`, `Π^(l)(u) = D^(l)(u) ∫ W^(l+1)(u', u) Π^(l+1)(u') du'`:
///
/// ```text
/// Θ(x, x') = Σ_(l=1..L) ∫ Σ^(l)(u) Π^(l)(u) du   [+ ∫ F^(L)(u) du  if the output is trained]
/// ```
///
/// Nodes where an input has zero variance contribute 0 (relu(0) = relu'(0) = 0).
///
/// ```
/// use pai_graphon::ntk::deep::{deep_ntk, DeepGraphon, Output};
/// use pai_graphon::ntk::kernel::kappa0;
/// let x = faer::mat![[1.0, 0.0], [0.6, 0.8]];
/// let g = DeepGraphon::constant(0.5, 2, 1).unwrap();
/// let th = deep_ntk(x.as_ref(), &g, Output::Fixed).unwrap();
/// // One hidden layer: c · x·x' κ0(x·x').
/// assert!((th.k[(0, 1)] - 0.5 * 0.6 * kappa0(0.6)).abs() <= 2.0 * th.bound[(0, 1)]);
/// assert_eq!(th.k[(0, 0)], 0.25);
/// ```
pub fn deep_ntk(
    x: MatRef<'_, f64>,
    g: &DeepGraphon,
    output: Output,
) -> Result<BoundedKernel, NtkError> {
    check_unit_rows(x)?;
    if x.ncols() != g.dims() {
        return Err(NtkError::Mismatch {
            what: "input coordinates for the graphon",
            expected: g.dims(),
            found: x.ncols(),
        });
    }
    let n = x.nrows();
    let ps = pairs(n);
    let depth = g.depth();
    let mut sigma: Vec<Field> = vec![first_covariance(x, g.w(0), &ps)];
    let mut forward: Vec<Field> = Vec::new();
    let mut derivative: Vec<Field> = Vec::new();
    for l in 0..depth {
        let (f, dv) = activation(&sigma[l], &ps);
        if l + 1 < depth {
            sigma.push(propagate(&f, g.w(l + 1), g.weights(l), false));
        }
        forward.push(f);
        derivative.push(dv);
    }
    // Backward correlations, last layer first.
    let mut pi: Vec<Field> = vec![derivative[depth - 1].clone()];
    for l in (0..depth - 1).rev() {
        let back = propagate(&pi[0], g.w(l + 1), g.weights(l + 1), true);
        let here = derivative[l]
            .iter()
            .zip(&back)
            .map(|(dk, bk)| dk.iter().zip(bk).map(|(a, b)| a.mul(*b)).collect())
            .collect();
        pi.insert(0, here);
    }
    let mut theta = vec![Ball::ZERO; ps.len()];
    for l in 0..depth {
        for (k, &om) in g.weights(l).iter().enumerate() {
            let om = Ball::exact(om);
            for p in 0..ps.len() {
                theta[p] = theta[p].add(om.mul(sigma[l][k][p].mul(pi[l][k][p])));
            }
        }
    }
    if output == Output::Trained {
        for (k, &om) in g.weights(depth - 1).iter().enumerate() {
            let om = Ball::exact(om);
            for p in 0..ps.len() {
                theta[p] = theta[p].add(om.mul(forward[depth - 1][k][p]));
            }
        }
    }
    Ok(BoundedKernel {
        k: symmetric(n, &ps, |p| theta[p].v),
        bound: symmetric(n, &ps, |p| theta[p].r),
    })
}

/// `Σ^(1)(u_k; x_i, x_j) = Σ_l W^(1)(u_k, v_l) x_il x_jl`, summed in order.
fn first_covariance(x: MatRef<'_, f64>, w: MatRef<'_, f64>, ps: &[(usize, usize)]) -> Field {
    (0..w.nrows())
        .into_par_iter()
        .map(|k| {
            ps.iter()
                .map(|&(i, j)| {
                    (0..x.ncols()).fold(Ball::ZERO, |acc, l| {
                        let term = Ball::exact(w[(k, l)])
                            .mul(Ball::exact(x[(i, l)]))
                            .mul(Ball::exact(x[(j, l)]));
                        acc.add(term)
                    })
                })
                .collect()
        })
        .collect()
}

/// Per node: `F = sqrt(q q') κ1(t)` and `D = κ0(t)` for the layer's covariance.
fn activation(sigma: &Field, ps: &[(usize, usize)]) -> (Field, Field) {
    let diag = |b: usize| b * (b + 3) / 2;
    sigma
        .par_iter()
        .map(|s| {
            ps.iter()
                .enumerate()
                .map(|(p, &(i, j))| {
                    let (qi, qj) = (s[diag(i)], s[diag(j)]);
                    if qi.v <= 0.0 || qj.v <= 0.0 {
                        let r = if qi.r > 0.0 || qj.r > 0.0 {
                            bound_when_skipped(qi, qj, s[p], 1.0, Layers::Both)
                        } else {
                            0.0
                        };
                        // D ∈ [0, 1/2] whatever the exact t.
                        let dr = if r > 0.0 { 0.5 } else { 0.0 };
                        return (Ball { v: 0.0, r }, Ball { v: 0.0, r: dr });
                    }
                    let norm = qi.mul(qj).sqrt();
                    let t = if i == j {
                        Ball::exact(1.0)
                    } else {
                        s[p].div(norm).unwrap_or(Ball { v: 0.0, r: 1.0 })
                    };
                    let mut f = norm.mul(t.kappa1(Formula::Acos));
                    let mut dv = t.kappa0(Formula::Acos);
                    if qi.v <= qi.r || qj.v <= qj.r {
                        f = f.or_zero();
                        dv = Ball {
                            v: dv.v,
                            r: dv.r.max(0.5),
                        };
                    }
                    (f, dv)
                })
                .unzip()
        })
        .unzip()
}

/// `out(u_k) = Σ_k' ω_k' W(u_k, u_k') f(u_k')` (forward, `W` is next-layer × this-layer) or,
/// with `transpose`, `Σ_k' ω_k' W(u_k', u_k) f(u_k')` (backward: `f` lives on W's rows).
fn propagate(f: &Field, w: MatRef<'_, f64>, omega: &[f64], transpose: bool) -> Field {
    let targets = if transpose { w.ncols() } else { w.nrows() };
    let pairs = f[0].len();
    (0..targets)
        .into_par_iter()
        .map(|k| {
            (0..pairs)
                .map(|p| {
                    f.iter().enumerate().fold(Ball::ZERO, |acc, (k2, fk)| {
                        let wv = if transpose { w[(k2, k)] } else { w[(k, k2)] };
                        let coef = Ball::exact(omega[k2]).mul(Ball::exact(wv));
                        acc.add(coef.mul(fk[p]))
                    })
                })
                .collect()
        })
        .collect()
}
