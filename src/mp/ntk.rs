//! The dense two-layer NTK (Arora et al.'s H∞, and the both-layers kernel) in MPFR, the
//! reference that claim NTK-1's f64 paths are checked against under the `mpfr` feature.
//!
//! For f64 rows x (nearly unit norm) the exact kernel is the homogeneous extension
//! `K* = P κ0(T) [+ N κ1(T)]`, `P = x·x'`, `N = ‖x‖‖x'‖`, `T = P/N` (T = 1 on the diagonal),
//! `κ0(t) = (π − acos t)/(2π)`, `κ1(t) = (sqrt(1 − t²) + (π − acos t) t)/(2π)`. At `prec ≥ 110`
//! bits every product `x_j x'_j` of two f64 is exact, so P and ‖x‖² carry at most d roundings
//! of relative size `2^−prec`; N and T a few more; MPFR's acos and sqrt are correctly rounded.
//! [`DenseMp::bound`] bounds `|K_mp − K*|` through the modulus of κ0
//! ([`kappa0_modulus`]): near ±1 the t-error `h` costs
//! `sqrt(h)/(2√2)`, which at 128 bits is still below 1e-17.
//!
//! ```
//! use pai_graphon::mp::ntk::dense_ntk_mp;
//! use pai_graphon::ntk::kernel::{kappa0, kappa1, Layers};
//! // Unit rows at 60°: P = T = 1/2, N = 1.
//! let x = faer::mat![[1.0, 0.0], [0.5, 0.75f64.sqrt()]];
//! let first = dense_ntk_mp(x.as_ref(), Layers::First, 128).unwrap();
//! let both = dense_ntk_mp(x.as_ref(), Layers::Both, 128).unwrap();
//! let (t, gamma) = (0.5, |n| pai_graphon::tol::gamma(n).unwrap());
//! // K* = ½ κ0(½/N) with N = sqrt(¼ + fl(√0.75)²) within u of 1: against ½ kappa0(½), κ0's
//! // four roundings, one for the argument (κ0's relative condition is 0.28 at ½) and one for
//! // to_f64; the MPFR kernel's own error is its bound.
//! let r0 = t * kappa0(t);
//! assert!((first.at(0, 1).to_f64() - r0).abs() <= first.bound + gamma(6) * r0);
//! // Training both layers adds N κ1(T): against kappa1(½), κ1's eight roundings, one each for
//! // N and the argument, the subtraction's one, and the two to_f64 roundings, which are
//! // relative to both + first < 2.1 κ1(½): three.
//! let (r1, diff) = (kappa1(t), both.at(0, 1).to_f64() - first.at(0, 1).to_f64());
//! assert!((diff - r1).abs() <= both.bound + first.bound + gamma(14) * r1);
//! ```

use crate::ntk::kernel::kappa0_modulus;
use crate::ntk::kernel::Layers;
use crate::ntk::NtkError;
use faer::MatRef;
use rug::float::Constant;
use rug::Float;

/// The smallest working precision accepted (products of two f64 are exact from 106 bits).
///
/// ```
/// use pai_graphon::mp::ntk::{dense_ntk_mp, MIN_PRECISION};
/// use pai_graphon::ntk::kernel::Layers;
/// let x = faer::mat![[1.0, 0.0], [0.6, 0.8]];
/// assert!(dense_ntk_mp(x.as_ref(), Layers::First, MIN_PRECISION - 1).is_err());
/// // Already at the minimum the bound is below f64 resolution (half an ulp of 1).
/// let bound = dense_ntk_mp(x.as_ref(), Layers::First, MIN_PRECISION).unwrap().bound;
/// assert!(bound < pai_graphon::tol::UNIT_ROUNDOFF);
/// ```
pub const MIN_PRECISION: u32 = 110;

/// The dense kernel in MPFR.
///
/// ```
/// use pai_graphon::mp::ntk::dense_ntk_mp;
/// use pai_graphon::ntk::kernel::Layers;
/// let k = dense_ntk_mp(faer::mat![[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]].as_ref(), Layers::Both, 128)
///     .unwrap();
/// assert_eq!((k.n, k.k.len()), (3, 9));
/// assert!((0..3).all(|i| (0..3).all(|j| k.at(i, j) == k.at(j, i)))); // symmetric
/// assert_eq!(*k.at(0, 0), 1); // κ0(1) + κ1(1) = 1/2 + 1/2
/// ```
#[derive(Clone, Debug)]
pub struct DenseMp {
    /// Number of inputs N.
    pub n: usize,
    /// The N × N kernel, row-major.
    pub k: Vec<Float>,
    /// A bound on `|k_ij − K*_ij|` for every entry.
    pub bound: f64,
}

impl DenseMp {
    /// Entry (i, j).
    ///
    /// ```
    /// use pai_graphon::mp::ntk::dense_ntk_mp;
    /// use pai_graphon::ntk::kernel::Layers;
    /// let k = dense_ntk_mp(faer::mat![[1.0, 0.0], [0.0, 1.0]].as_ref(), Layers::First, 128).unwrap();
    /// assert_eq!(*k.at(0, 0), 0.5);
    /// assert_eq!(*k.at(0, 1), 0);
    /// ```
    pub fn at(&self, i: usize, j: usize) -> &Float {
        &self.k[i * self.n + j]
    }
}

/// The dense kernel of the rows of `x` at `prec` bits (`prec ≥` [`MIN_PRECISION`]), with its
/// error bound: the t-error `h = 4(d + 8)·2^−prec` (P's d roundings relative to
/// `Σ|x_j x'_j| ≤ N`, N's and the division's few more, all relative to N ≤ 1 + small) gives
/// `|K_mp − K*| ≤ 2h + kappa0_modulus(h) + 2^−(prec−4)` (P's error times κ0 ≤ 1/2, P times
/// κ0's error, the κ evaluations), plus `2h` for the κ1 term (κ1 is 1/2-Lipschitz, N's error).
///
/// ```
/// use pai_graphon::mp::ntk::dense_ntk_mp;
/// use pai_graphon::ntk::kernel::{kappa0, Layers};
/// let k = dense_ntk_mp(faer::mat![[1.0, 0.0], [0.6, 0.8]].as_ref(), Layers::First, 128).unwrap();
/// // K* = 0.6 κ0(0.6/N), N = sqrt(fl(0.6)² + fl(0.8)²) within u of 1: against 0.6 kappa0(0.6),
/// // κ0's four roundings, the product, the argument (κ0's relative condition is 0.34 at 0.6)
/// // and to_f64, one each.
/// let r = 0.6 * kappa0(0.6);
/// assert!((k.at(1, 0).to_f64() - r).abs() <= k.bound + pai_graphon::tol::gamma(7).unwrap() * r);
/// assert!(k.bound < 1e-17);
/// assert!(dense_ntk_mp(faer::mat![[1.0]].as_ref(), Layers::First, 64).is_err());
/// ```
pub fn dense_ntk_mp(x: MatRef<'_, f64>, layers: Layers, prec: u32) -> Result<DenseMp, NtkError> {
    if !(MIN_PRECISION..=crate::mp::MAX_PRECISION).contains(&prec) {
        return Err(NtkError::Size {
            what: "precision (bits)",
            value: prec as f64,
            why: "lies outside MIN_PRECISION..=MAX_PRECISION",
        });
    }
    let (n, d) = (x.nrows(), x.ncols());
    if n == 0 || d == 0 {
        return Err(NtkError::Empty { what: "inputs" });
    }
    let dot = |i: usize, j: usize| {
        let mut s = Float::with_val(prec, 0);
        for l in 0..d {
            s += Float::with_val(prec, x[(i, l)]) * x[(j, l)];
        }
        s
    };
    let norms2: Vec<Float> = (0..n).map(|i| dot(i, i)).collect();
    if norms2.iter().any(|v| v.is_zero() || !v.is_finite()) {
        return Err(NtkError::NonFinite {
            what: "input norms (or one is zero)",
        });
    }
    let pi = Float::with_val(prec, Constant::Pi);
    let two_pi = Float::with_val(prec, &pi * 2u32);
    let mut k = vec![Float::new(prec); n * n];
    for i in 0..n {
        for j in 0..=i {
            let p = dot(i, j);
            let norm = Float::with_val(prec, &norms2[i] * &norms2[j]).sqrt();
            let t = if i == j {
                Float::with_val(prec, 1)
            } else {
                Float::with_val(prec, &p / &norm).clamp(&-1, &1)
            };
            let angle = Float::with_val(prec, &pi - Float::with_val(prec, t.acos_ref()));
            let mut v = Float::with_val(prec, &p * &angle) / &two_pi;
            if layers == Layers::Both {
                let root =
                    (Float::with_val(prec, 1) - Float::with_val(prec, t.square_ref())).sqrt();
                let k1 = (root + Float::with_val(prec, &angle * &t)) / &two_pi;
                v += norm * k1;
            }
            k[i * n + j] = v.clone();
            k[j * n + i] = v;
        }
    }
    let unit = 2f64.powi(-(prec.min(1000) as i32));
    let h = 4.0 * (d as f64 + 8.0) * unit;
    let mut bound = 2.0 * h + kappa0_modulus(h, 1.0) + 16.0 * unit;
    if layers == Layers::Both {
        bound += 2.0 * h;
    }
    Ok(DenseMp { n, k, bound })
}
