//! A matrix-free, probabilistically certified upper bound on the spectral norm `‖B‖₂` of an
//! m × n operator, from products `Bx` and `Bᵀy` only (no Gram matrix, no factorisation): a
//! Chebyshev filter on `C = BᵀB` applied to a Gaussian start vector drawn from a seeded ChaCha
//! stream, with every rounding error of the iteration bounded (the argument, its assumptions and
//! the failure probability are in `theory/toolbox.md`, "Matrix-free spectral-norm bound").
//!
//! With probability at least `1 − δ` over the start vector, `‖B‖₂ ≤ upper`; the bound is
//! within a factor ≈ `1 + ln(4‖x‖/s)²/(8k²)` of `‖B‖₂` once the shift is good (k the degree,
//! `s = δ√(π/2)`), e.g. ≈ 1.004 at k = 150 and δ = 1e-9. Kuczyński & Woźniakowski (1992,
//! SIAM J. Matrix Anal. Appl. 13(4)) is the classical analysis of random-start Krylov estimates;
//! this module turns the same anti-concentration into a one-sided certificate.
//!
//! ```
//! use pai_graphon::linalg::{spectral_norm_upper, DenseOperator, SpectralOptions};
//! use pai_graphon::seed::MasterSeed;
//! // B = [[3, 0], [4, 5]]: BᵀB = [[25, 20], [20, 25]], σ_max = √45.
//! let op = DenseOperator::new(faer::mat![[3.0, 0.0], [4.0, 5.0]].as_ref()).unwrap();
//! let mut rng = MasterSeed::default().stream("DOC/spectral");
//! let b = spectral_norm_upper(&op, &SpectralOptions::default(), &mut rng).unwrap();
//! assert!(b.upper >= 45f64.sqrt() && b.upper <= 1.01 * 45f64.sqrt());
//! assert_eq!(b.failure_probability, 1e-9);
//! ```

use super::{inflate, next_down, next_up, sum_of_squares_upper, LinalgError, ETA};
use crate::normal::{normal_quantile, QUANTILE_RELATIVE_BOUND};
use crate::params::Probability;
use crate::seed::uniform_open01;
use crate::tol::{self, UNIT_ROUNDOFF};
use faer::MatRef;
use rayon::prelude::*;

/// The largest Chebyshev degree accepted (beyond it the iterates' growth and the rounding
/// bounds' `k²` factor buy nothing: the bound's excess already falls like `1/k²`).
///
/// ```
/// assert_eq!(pai_graphon::linalg::MAX_CHEBYSHEV_DEGREE, 4096);
/// ```
pub const MAX_CHEBYSHEV_DEGREE: usize = 4096;

/// Relative error allowed for one value of libm's `sinh`, `cosh` or `exp` at an exact argument:
/// glibc documents at most 2 ulp for each on x86-64; we allow 4 ulp.
const LIBM_RELATIVE: f64 = 4.0 * f64::EPSILON;

/// Bisection steps on the Chebyshev angle θ (the interval `[0, 700/k]` halves each step).
const BISECTION_STEPS: usize = 64;

/// Smallest shift `a`, relative to the scaled operator (`c²‖B‖₁‖B‖∞ ≤ 1`): keeps `4/a` finite
/// when the estimate of `λ_max` is 0.
const SHIFT_FLOOR: f64 = 1.0 / (1u64 << 40) as f64;

/// Rows per parallel task of the dense product `Bx` (each row's sum has a fixed order, so the
/// partition changes no bit).
const ROW_BLOCK: usize = 256;

/// Veltkamp's splitting constant `2^27 + 1` (Dekker's exact product).
const SPLITTER: f64 = 134_217_729.0;

/// Bounds on the rounding error of one computed product `ŷ = fl(Bx)` (or `fl(Bᵀy)`):
/// `‖ŷ − Bx‖₂ ≤ relative·‖ŷ‖₂ + per_input·‖x‖₂ + absolute`.
///
/// ```
/// use pai_graphon::linalg::ProductError;
/// let e = ProductError { relative: 1e-16, per_input: 1e-20, absolute: 0.0 };
/// let b = e.bound(2.0, 1.0);
/// let exact = 2.0 * e.relative + e.per_input;
/// // Inflated by 1 + 4γ_6 and rounded up: the sum's rounding, the product's and the step up.
/// let g = |k| pai_graphon::tol::gamma(k).unwrap();
/// assert!(b >= exact && b <= exact * (1.0 + 4.0 * g(6)) * (1.0 + g(4)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProductError {
    /// Multiplies the computed output's norm.
    pub relative: f64,
    /// Multiplies the input's norm.
    pub per_input: f64,
    /// An absolute term (underflow).
    pub absolute: f64,
}

impl ProductError {
    /// The bound for an output of norm at most `output_norm` and an input of norm at most
    /// `input_norm`, rounded up.
    ///
    /// ```
    /// use pai_graphon::linalg::ProductError;
    /// let e = ProductError { relative: 0.0, per_input: 0.0, absolute: 1.0 };
    /// assert!(e.bound(5.0, 5.0) >= 1.0);
    /// ```
    pub fn bound(&self, output_norm: f64, input_norm: f64) -> f64 {
        inflate(
            self.relative * output_norm + self.per_input * input_norm + self.absolute,
            4,
        )
    }
}

/// A real m × n matrix B seen only through its products, with what the certificate needs to
/// bound their rounding errors. Implementations must be deterministic: the same input gives the
/// same bits whatever the number of threads.
///
/// ```
/// use pai_graphon::linalg::{DenseOperator, LinearOperator};
/// let op = DenseOperator::new(faer::mat![[1.0, 2.0, 3.0]].as_ref()).unwrap();
/// assert_eq!(op.shape(), (1, 3));
/// let mut y = [0.0];
/// op.apply(&[1.0, 1.0, 1.0], &mut y);
/// assert_eq!(y, [6.0]);
/// let mut z = [0.0; 3];
/// op.apply_transpose(&[2.0], &mut z);
/// assert_eq!(z, [2.0, 4.0, 6.0]);
/// assert!(op.norm_upper() >= 14f64.sqrt());
/// ```
pub trait LinearOperator: Sync {
    /// `(m, n)`: B maps `ℝⁿ → ℝᵐ`.
    fn shape(&self) -> (usize, usize);
    /// `y ← fl(Bx)` (`x` of length n, `y` of length m), within [`Self::forward_error`].
    fn apply(&self, x: &[f64], y: &mut [f64]);
    /// `z ← fl(Bᵀy)` (`y` of length m, `z` of length n), within [`Self::transpose_error`].
    fn apply_transpose(&self, y: &[f64], z: &mut [f64]);
    /// A deterministic upper bound on `‖B‖₂` (e.g. `sqrt(‖B‖₁‖B‖∞)`), also used to bound the
    /// rounding errors' propagation in the first pass.
    fn norm_upper(&self) -> f64;
    /// The rounding error bound of [`Self::apply`].
    fn forward_error(&self) -> ProductError;
    /// The rounding error bound of [`Self::apply_transpose`].
    fn transpose_error(&self) -> ProductError;
    /// A bound on `‖B_true − B‖₂` when B approximates another matrix (e.g. f32 storage); the
    /// certified bound is then on `‖B_true‖₂` (by the triangle inequality). 0 by default.
    fn input_error(&self) -> f64 {
        0.0
    }
}

/// A dense f64 matrix, column-major, whose products are compensated dot products (Ogita, Rump &
/// Oishi's Dot2 with Dekker's exact product): each entry of `fl(Bx)` is within
/// `u|Bx|_i + γ_n² (|B||x|)_i + 4nη` of the exact value (their §5 bound; `4nη` covers
/// underflow in the exact products). This makes the rounding error relative to `‖B‖₂`, not to
/// `‖|B|‖₂`, which can be `√n` times larger, so a small failure probability stays certifiable
/// at n = 16384. Entries above `2^995` in magnitude overflow the splitting: the certificate
/// then refuses ([`LinalgError::Overflow`]).
///
/// ```
/// use pai_graphon::linalg::{DenseOperator, LinearOperator, LinalgError};
/// let op = DenseOperator::new(faer::mat![[1.0, -2.0], [3.0, 4.0]].as_ref()).unwrap();
/// // sqrt(‖B‖₁ ‖B‖∞) = sqrt(6 · 7).
/// assert!(op.norm_upper() >= 42f64.sqrt() && op.norm_upper() < 42f64.sqrt() * (1.0 + 1e-14));
/// let nan = DenseOperator::new(faer::mat![[f64::NAN]].as_ref()).unwrap_err();
/// assert!(matches!(nan, LinalgError::NonFinite { row: 0, col: 0, .. }));
/// ```
#[derive(Clone, Debug)]
pub struct DenseOperator {
    rows: usize,
    cols: usize,
    /// Column-major entries.
    data: Vec<f64>,
    norm_upper: f64,
}

impl DenseOperator {
    /// Copy a finite, non-empty matrix.
    ///
    /// ```
    /// use pai_graphon::linalg::{DenseOperator, LinalgError};
    /// let empty = DenseOperator::new(faer::Mat::<f64>::zeros(0, 3).as_ref()).unwrap_err();
    /// assert_eq!(empty, LinalgError::EmptyOperator { rows: 0, cols: 3 });
    /// ```
    pub fn new(b: MatRef<'_, f64>) -> Result<Self, LinalgError> {
        let (m, n) = (b.nrows(), b.ncols());
        let data = (0..n)
            .flat_map(|j| (0..m).map(move |i| b[(i, j)]))
            .collect();
        Self::from_column_major(m, n, data)
    }

    /// Take ownership of `rows × cols` column-major entries (no copy: a 16384² matrix takes
    /// 2 GiB once).
    ///
    /// ```
    /// use pai_graphon::linalg::{DenseOperator, LinearOperator, LinalgError};
    /// let op = DenseOperator::from_column_major(2, 1, vec![3.0, 4.0]).unwrap();
    /// assert_eq!(op.shape(), (2, 1));
    /// let short = DenseOperator::from_column_major(2, 2, vec![1.0]).unwrap_err();
    /// assert_eq!(short, LinalgError::RhsLength { len: 1, order: 4 });
    /// ```
    pub fn from_column_major(
        rows: usize,
        cols: usize,
        data: Vec<f64>,
    ) -> Result<Self, LinalgError> {
        if rows == 0 || cols == 0 {
            return Err(LinalgError::EmptyOperator { rows, cols });
        }
        if data.len() != rows * cols {
            return Err(LinalgError::RhsLength {
                len: data.len(),
                order: rows * cols,
            });
        }
        let mut row_abs = vec![0.0f64; rows];
        let mut col_max = 0.0f64;
        let mut nonzero = false;
        for (j, col) in data.chunks_exact(rows).enumerate() {
            let mut s = 0.0;
            for (i, (&v, r)) in col.iter().zip(row_abs.iter_mut()).enumerate() {
                if !v.is_finite() {
                    return Err(LinalgError::NonFinite {
                        row: i,
                        col: j,
                        value: v,
                    });
                }
                nonzero |= v != 0.0;
                s += v.abs();
                *r += v.abs();
            }
            col_max = col_max.max(inflate(s, rows));
        }
        let row_max = row_abs.iter().fold(0.0f64, |a, &r| a.max(inflate(r, cols)));
        // ‖B‖₂ ≤ ‖|B|‖₂ ≤ sqrt(‖B‖₁‖B‖∞) (Higham, Accuracy and Stability, eq. 6.21 / Hölder).
        // Square roots first: the product of the two norms may leave the f64 range.
        let norm_upper = if !nonzero {
            0.0 // the zero matrix
        } else {
            next_up(next_up(col_max.sqrt()) * next_up(row_max.sqrt()))
        };
        if !norm_upper.is_finite() {
            return Err(LinalgError::Overflow {
                quantity: "sqrt(‖B‖₁‖B‖∞)",
            });
        }
        Ok(DenseOperator {
            rows,
            cols,
            data,
            norm_upper,
        })
    }

    /// The Dot2 bound for sums of `terms` products, producing `outputs` entries.
    fn dot2_error(&self, terms: usize, outputs: usize) -> ProductError {
        let g = tol::gamma(terms).unwrap_or(f64::INFINITY);
        ProductError {
            // |ŷ − y| ≤ u|y| + t gives |y| ≤ (|ŷ| + t)/(1 − u): 2u covers u/(1 − u), and the
            // other terms are doubled for the same division.
            relative: 2.0 * UNIT_ROUNDOFF,
            per_input: next_up(2.0 * g * g * self.norm_upper),
            absolute: next_up(8.0 * terms as f64 * (outputs as f64).sqrt() * ETA),
        }
    }
}

/// Dekker's split `a = hi + lo` with 26-bit halves (exact unless `|a| > 2^995`).
#[inline(always)]
fn split(a: f64) -> (f64, f64) {
    let c = SPLITTER * a;
    let hi = c - (c - a);
    (hi, a - hi)
}

/// One step of Dot2: `(s, c) ← (s + a·b, c + errors)` with the product's and the sum's rounding
/// errors computed exactly (Dekker's TwoProduct, Knuth's TwoSum), `(bh, bl)` the split of b.
#[inline(always)]
fn dot2_step(s: &mut f64, c: &mut f64, a: f64, b: f64, bh: f64, bl: f64) {
    let p = a * b;
    let (ah, al) = split(a);
    let pe = al * bl - (((p - ah * bh) - al * bh) - ah * bl);
    let t = *s + p;
    let z = t - *s;
    let se = (*s - (t - z)) + (p - z);
    *s = t;
    *c += se + pe;
}

impl LinearOperator for DenseOperator {
    fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) {
        let m = self.rows;
        let xs: Vec<(f64, f64, f64)> = x
            .iter()
            .map(|&v| {
                let (h, l) = split(v);
                (v, h, l)
            })
            .collect();
        y.par_chunks_mut(ROW_BLOCK)
            .enumerate()
            .for_each(|(block, yb)| {
                let r0 = block * ROW_BLOCK;
                let len = yb.len();
                let mut s = vec![0.0; len];
                let mut c = vec![0.0; len];
                for (j, &(xj, xh, xl)) in xs.iter().enumerate() {
                    let col = &self.data[j * m + r0..j * m + r0 + len];
                    for ((si, ci), &a) in s.iter_mut().zip(c.iter_mut()).zip(col) {
                        dot2_step(si, ci, a, xj, xh, xl);
                    }
                }
                for ((yi, si), ci) in yb.iter_mut().zip(&s).zip(&c) {
                    *yi = si + ci;
                }
            });
    }

    fn apply_transpose(&self, y: &[f64], z: &mut [f64]) {
        let ys: Vec<(f64, f64, f64)> = y
            .iter()
            .map(|&v| {
                let (h, l) = split(v);
                (v, h, l)
            })
            .collect();
        z.par_iter_mut()
            .zip(self.data.par_chunks_exact(self.rows))
            .for_each(|(zj, col)| {
                let (mut s, mut c) = (0.0, 0.0);
                for (&a, &(yi, yh, yl)) in col.iter().zip(&ys) {
                    dot2_step(&mut s, &mut c, a, yi, yh, yl);
                }
                *zj = s + c;
            });
    }

    fn norm_upper(&self) -> f64 {
        self.norm_upper
    }

    fn forward_error(&self) -> ProductError {
        self.dot2_error(self.cols, self.rows)
    }

    fn transpose_error(&self) -> ProductError {
        self.dot2_error(self.rows, self.cols)
    }
}

/// `B = A − u vᵀ` for a 0/1 matrix A stored as bits (column-major, `⌈m/64⌉` words per column:
/// 32 MiB at 16384², 128 MiB at 32768²) and dense vectors u (length m), v (length n): e.g. a
/// mask minus its density `p·11ᵀ`, or minus a product-form profile `f(i)g(j)`. `Ax` is a
/// compensated sum per row (Knuth's TwoSum, Ogita–Rump–Oishi's Sum2: within
/// `u|Ax|_i + γ_n²(A|x|)_i`), `vᵀx` a Dot2; with the final product and subtraction,
/// `‖fl(Bx) − Bx‖ ≤ 2u‖fl(Bx)‖ + 2(u + γ_n²)(‖A‖ + 3‖u‖‖v‖)‖x‖ + 2(√m + 4n‖u‖)η`, where
/// `‖A‖₂ ≤ sqrt(max column count · max row count)`.
///
/// ```
/// use pai_graphon::linalg::{LinearOperator, MaskMinusRankOne};
/// // A = [[1, 0], [1, 1]], u = (1, 1), v = (0.5, 0.5): B = [[0.5, −0.5], [0.5, 0.5]].
/// let op = MaskMinusRankOne::from_fn(2, 2, |i, j| i >= j, vec![1.0; 2], vec![0.5; 2]).unwrap();
/// let mut y = [0.0; 2];
/// op.apply(&[2.0, 4.0], &mut y);
/// assert_eq!(y, [-1.0, 3.0]);
/// let mut z = [0.0; 2];
/// op.apply_transpose(&[2.0, 4.0], &mut z);
/// assert_eq!(z, [3.0, 1.0]);
/// assert!(op.norm_upper() >= 0.5f64.sqrt()); // ‖B‖₂ = 1/√2
/// ```
#[derive(Clone, Debug)]
pub struct MaskMinusRankOne {
    rows: usize,
    cols: usize,
    words_per_col: usize,
    bits: Vec<u64>,
    u: Vec<f64>,
    v: Vec<f64>,
    mask_norm: f64,
    u_norm: f64,
    v_norm: f64,
}

impl MaskMinusRankOne {
    /// The operator with `A_ij = mask(i, j)`.
    ///
    /// ```
    /// use pai_graphon::linalg::{LinalgError, MaskMinusRankOne};
    /// let bad = MaskMinusRankOne::from_fn(2, 2, |_, _| true, vec![1.0], vec![1.0; 2]).unwrap_err();
    /// assert_eq!(bad, LinalgError::RhsLength { len: 1, order: 2 });
    /// let nan = MaskMinusRankOne::from_fn(1, 1, |_, _| true, vec![f64::NAN], vec![1.0]);
    /// assert!(matches!(nan, Err(LinalgError::NonFiniteRhs { .. })));
    /// ```
    pub fn from_fn(
        rows: usize,
        cols: usize,
        mask: impl Fn(usize, usize) -> bool,
        u: Vec<f64>,
        v: Vec<f64>,
    ) -> Result<Self, LinalgError> {
        if rows == 0 || cols == 0 {
            return Err(LinalgError::EmptyOperator { rows, cols });
        }
        for (vec, len) in [(&u, rows), (&v, cols)] {
            if vec.len() != len {
                return Err(LinalgError::RhsLength {
                    len: vec.len(),
                    order: len,
                });
            }
            if let Some(x) = vec.iter().find(|x| !x.is_finite()) {
                return Err(LinalgError::NonFiniteRhs { value: *x });
            }
        }
        let words_per_col = rows.div_ceil(64);
        let mut bits = vec![0u64; words_per_col * cols];
        let mut row_count = vec![0usize; rows];
        let mut col_max = 0usize;
        for j in 0..cols {
            let mut count = 0;
            for (i, r) in row_count.iter_mut().enumerate() {
                if mask(i, j) {
                    bits[j * words_per_col + i / 64] |= 1 << (i % 64);
                    count += 1;
                    *r += 1;
                }
            }
            col_max = col_max.max(count);
        }
        let row_max = row_count.into_iter().max().unwrap_or(0);
        // Counts below 2^53 are exact; the square root is correctly rounded.
        let mask_norm = match col_max * row_max {
            0 => 0.0,
            p => next_up((p as f64).sqrt()),
        };
        let (u_norm, v_norm) = (norm_upper(&u), norm_upper(&v));
        if !(u_norm * v_norm).is_finite() {
            return Err(LinalgError::Overflow {
                quantity: "‖u‖‖v‖"
            });
        }
        Ok(MaskMinusRankOne {
            rows,
            cols,
            words_per_col,
            bits,
            u,
            v,
            mask_norm,
            u_norm,
            v_norm,
        })
    }

    /// The bound for `terms`-term sums into `outputs` entries, minus `out_norm · other_norm`.
    fn error(&self, terms: usize, outputs: usize, out_norm: f64) -> ProductError {
        let g = tol::gamma(terms).unwrap_or(f64::INFINITY);
        let uv = inflate(self.u_norm * self.v_norm, 1);
        ProductError {
            relative: 2.0 * UNIT_ROUNDOFF,
            per_input: inflate(
                2.0 * (UNIT_ROUNDOFF + g * g) * (self.mask_norm + 3.0 * uv),
                4,
            ),
            absolute: inflate(
                2.0 * ((outputs as f64).sqrt() + 4.0 * terms as f64 * out_norm) * ETA,
                4,
            ),
        }
    }
}

/// Dot2 of two vectors, summed in index order.
fn dot2(a: &[f64], b: &[f64]) -> f64 {
    let (mut s, mut c) = (0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (h, l) = split(y);
        dot2_step(&mut s, &mut c, x, y, h, l);
    }
    s + c
}

/// Knuth's TwoSum step of Sum2: `(s, c) ← (s + x, c + error)`.
#[inline(always)]
fn sum2_step(s: &mut f64, c: &mut f64, x: f64) {
    let t = *s + x;
    let z = t - *s;
    *c += (*s - (t - z)) + (x - z);
    *s = t;
}

impl LinearOperator for MaskMinusRankOne {
    fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) {
        let t = dot2(&self.v, x);
        let wpc = self.words_per_col;
        y.par_chunks_mut(ROW_BLOCK)
            .enumerate()
            .for_each(|(block, yb)| {
                let (r0, len) = (block * ROW_BLOCK, yb.len());
                let mut s = vec![0.0; len];
                let mut c = vec![0.0; len];
                for (j, &xj) in x.iter().enumerate() {
                    let words = &self.bits[j * wpc + r0 / 64..j * wpc + (r0 + len).div_ceil(64)];
                    for (w, &word) in words.iter().enumerate() {
                        let mut word = word;
                        while word != 0 {
                            let i = w * 64 + word.trailing_zeros() as usize;
                            sum2_step(&mut s[i], &mut c[i], xj);
                            word &= word - 1;
                        }
                    }
                }
                for (i, yi) in yb.iter_mut().enumerate() {
                    *yi = (s[i] + c[i]) - self.u[r0 + i] * t;
                }
            });
    }

    fn apply_transpose(&self, y: &[f64], z: &mut [f64]) {
        let t = dot2(&self.u, y);
        z.par_iter_mut()
            .zip(self.bits.par_chunks_exact(self.words_per_col))
            .zip(self.v.par_iter())
            .for_each(|((zj, words), &vj)| {
                let (mut s, mut c) = (0.0, 0.0);
                for (w, &word) in words.iter().enumerate() {
                    let mut word = word;
                    while word != 0 {
                        sum2_step(&mut s, &mut c, y[w * 64 + word.trailing_zeros() as usize]);
                        word &= word - 1;
                    }
                }
                *zj = (s + c) - vj * t;
            });
    }

    fn norm_upper(&self) -> f64 {
        let uv = self.u_norm * self.v_norm;
        if self.mask_norm == 0.0 && uv == 0.0 {
            return 0.0; // B = 0
        }
        inflate(self.mask_norm + uv, 2)
    }

    fn forward_error(&self) -> ProductError {
        self.error(self.cols, self.rows, self.u_norm)
    }

    fn transpose_error(&self) -> ProductError {
        self.error(self.rows, self.cols, self.v_norm)
    }
}

/// Settings of [`spectral_norm_upper`].
///
/// ```
/// use pai_graphon::linalg::SpectralOptions;
/// let o = SpectralOptions::default();
/// assert_eq!((o.delta.get(), o.degree, o.lanczos_steps, o.shift_gap), (1e-9, 150, 40, 0.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpectralOptions {
    /// The failure probability δ ∈ (0, 1): `P(‖B‖₂ > upper) ≤ δ` over the start vector.
    pub delta: Probability,
    /// The Chebyshev degree k (1..=[`MAX_CHEBYSHEV_DEGREE`]); costs 2k products.
    pub degree: usize,
    /// Lanczos steps of the (uncertified) estimate that places the shift; costs 2 products each.
    pub lanczos_steps: usize,
    /// The shift is `a = θ(1 − shift_gap)` for the Lanczos estimate θ of `λ_max(BᵀB)`: 0 (the
    /// default, tightest) or up to < 1 (the tests use 0.5 to make the bound exactly as likely to
    /// fail as δ allows).
    pub shift_gap: f64,
}

impl Default for SpectralOptions {
    fn default() -> Self {
        SpectralOptions {
            delta: Probability::constant(1e-9),
            degree: 150,
            lanczos_steps: 40,
            shift_gap: 0.0,
        }
    }
}

/// The result of [`spectral_norm_upper`].
///
/// ```
/// use pai_graphon::linalg::{spectral_norm_upper, DenseOperator, SpectralOptions};
/// let op = DenseOperator::new(faer::mat![[0.0, 0.0]].as_ref()).unwrap();
/// let mut rng = pai_graphon::seed::MasterSeed::default().stream("DOC/zero");
/// let b = spectral_norm_upper(&op, &SpectralOptions::default(), &mut rng).unwrap();
/// // The zero matrix: sqrt(‖B‖₁‖B‖∞) = 0 decides deterministically.
/// assert_eq!((b.upper, b.failure_probability, b.products), (0.0, 0.0, 0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpectralBound {
    /// `‖B‖₂ ≤ upper` (plus the operator's input error) with probability ≥ 1 − failure_probability.
    pub upper: f64,
    /// The Lanczos estimate of `‖B‖₂` (not a bound).
    pub estimate: f64,
    /// δ, or 0 when the deterministic `norm_upper` decided.
    pub failure_probability: f64,
    /// Products with B or Bᵀ used.
    pub products: usize,
    /// The Chebyshev shift a divided by `estimate²` (a diagnostic: `1 − shift_gap` unless the
    /// estimate was floored; the bound is tight when a is just below `‖B‖₂²`).
    pub shift_ratio: f64,
}

/// A rigorous upper bound on `‖B‖₂`, valid with probability ≥ 1 − δ over the Gaussian start
/// vector drawn from `rng` (documented as a seeded ChaCha stream, `crate::seed`), computed from
/// `2 (lanczos_steps + degree)` products. The argument (Chebyshev filter of `BᵀB`, the start
/// vector's overlap with a top eigenvector `P(|g| < s) ≤ s√(2/π)`, every rounding error bounded
/// and propagated by Chebyshev polynomials of the second kind) is in `theory/toolbox.md`.
///
/// Errors: [`LinalgError::EmptyOperator`],
/// [`LinalgError::Degree`], [`LinalgError::Overflow`] (products beyond f64, e.g. entries near
/// 1e300; or a norm below 2^-1022), [`LinalgError::RoundingFloor`] (the bounded rounding
/// errors exceed the guaranteed overlap: raise δ). Deterministic for a stream, whatever the
/// number of threads.
///
/// ```
/// use pai_graphon::linalg::{spectral_norm_upper, DenseOperator, LinalgError, SpectralOptions};
/// use pai_graphon::linalg::MAX_CHEBYSHEV_DEGREE;
/// use pai_graphon::seed::MasterSeed;
/// let op = DenseOperator::new(faer::mat![[2.0, 0.0], [0.0, 1.0]].as_ref()).unwrap();
/// let mut rng = MasterSeed::default().stream("DOC/diag");
/// let b = spectral_norm_upper(&op, &SpectralOptions::default(), &mut rng).unwrap();
/// assert!(b.upper >= 2.0 && b.upper < 2.02 && b.products <= 2 * (40 + 150));
/// let bad = SpectralOptions { degree: 0, ..SpectralOptions::default() };
/// let err = spectral_norm_upper(&op, &bad, &mut rng).unwrap_err();
/// assert_eq!(err, LinalgError::Degree { degree: 0, max: MAX_CHEBYSHEV_DEGREE });
/// ```
pub fn spectral_norm_upper<O, R>(
    op: &O,
    options: &SpectralOptions,
    rng: &mut R,
) -> Result<SpectralBound, LinalgError>
where
    O: LinearOperator + ?Sized,
    R: rand::Rng + ?Sized,
{
    let (m, n) = op.shape();
    if m == 0 || n == 0 {
        return Err(LinalgError::EmptyOperator { rows: m, cols: n });
    }
    let delta = options.delta.get();
    let k = options.degree;
    if k == 0 || k > MAX_CHEBYSHEV_DEGREE {
        return Err(LinalgError::Degree {
            degree: k,
            max: MAX_CHEBYSHEV_DEGREE,
        });
    }
    let input_error = op.input_error();
    if !(input_error >= 0.0 && input_error.is_finite()) {
        return Err(LinalgError::InputError { value: input_error });
    }
    let norm = op.norm_upper();
    if norm.is_nan() || norm < 0.0 || !norm.is_finite() {
        return Err(LinalgError::Overflow {
            quantity: "the operator's norm bound",
        });
    }
    if norm == 0.0 {
        return Ok(SpectralBound {
            upper: input_error,
            estimate: 0.0,
            failure_probability: 0.0,
            products: 0,
            shift_ratio: 0.0,
        });
    }
    // Scale by a power of two c with c·norm ∈ (1/2, 1]: exact, and keeps BᵀB's scale near 1.
    let c = pow2(-(norm.log2().ceil() as i32)).ok_or(LinalgError::Overflow {
        quantity: "the scale 1/‖B‖",
    })?;
    let mut gram = ScaledGram::new(op, c);

    let (x, start_error) = gaussian_start(n, rng);
    // P(|g| < s) = 2Φ(s) − 1 ≤ s√(2/π) = δ for g ~ N(0, 1); s rounded down.
    let s = next_down(next_down(delta * SQRT_HALF_PI_LOWER) * (1.0 - 2.0 * UNIT_ROUNDOFF));
    let overlap = next_down(s - start_error);
    if overlap.is_nan() || overlap <= 0.0 {
        return Err(LinalgError::RoundingFloor { overlap });
    }

    let theta = gram.lanczos_estimate(&x, options.lanczos_steps)?;
    let a_est = theta * (1.0 - options.shift_gap.clamp(0.0, 0.999));
    // L = (α/2)C − I with α = fl(4/a): the polynomial is defined by α, a = 4/α exactly.
    let alpha = 4.0 / a_est.max(SHIFT_FLOOR);
    let iteration = gram.chebyshev(&x, alpha, k)?;

    let a_upper = next_up(4.0 / alpha);
    let sqrt_a = next_up(a_upper.sqrt());
    let angle = solve_angle(k, &iteration.errors, sqrt_a, iteration.last_norm, overlap)
        .ok_or(LinalgError::RoundingFloor { overlap })?;
    let xi = next_up(angle.cosh() * (1.0 + 2.0 * (LIBM_RELATIVE + (angle + 1.0) * UNIT_ROUNDOFF)));
    let lambda = inflate(a_upper * (1.0 + xi) * 0.5, 3);
    // Never above the deterministic bound.
    let sigma = next_up(lambda.sqrt()).min(next_up(c * norm));
    let mut upper = next_up(sigma / c);
    if input_error > 0.0 {
        upper = next_up(upper + input_error);
    }
    if !upper.is_finite() {
        return Err(LinalgError::Overflow {
            quantity: "the spectral-norm bound",
        });
    }
    Ok(SpectralBound {
        upper,
        estimate: theta.max(0.0).sqrt() / c,
        failure_probability: delta,
        products: gram.products,
        shift_ratio: if theta > 0.0 {
            (4.0 / alpha) / theta
        } else {
            f64::INFINITY
        },
    })
}

/// A lower bound on `√(π/2) = 1.2533141373155002512…`.
const SQRT_HALF_PI_LOWER: f64 = 1.253_314_137_315_5;

/// `2^e` for a normal exponent.
fn pow2(e: i32) -> Option<f64> {
    (-1022..=1023)
        .contains(&e)
        .then(|| f64::from_bits(((e + 1023) as u64) << 52))
}

/// An upper bound on `‖v‖₂`, scaled by a power of two so that the largest entry is near 1
/// (otherwise squares of entries near 1e-300 underflow and the `count·η` underflow allowance
/// of [`sum_of_squares_upper`] would dwarf the norm). The scaling is exact except for entries
/// that become subnormal, which that allowance covers.
fn norm_upper(v: &[f64]) -> f64 {
    if v.iter().any(|x| !x.is_finite()) {
        return f64::INFINITY;
    }
    let max = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if max == 0.0 || !max.is_finite() {
        return max;
    }
    let e = max.log2().floor() as i32;
    match (pow2(-e), pow2(e)) {
        (Some(down), Some(up)) => {
            let scaled: Vec<f64> = v.iter().map(|x| x * down).collect();
            next_up(next_up(sum_of_squares_upper(scaled.iter(), v.len()).sqrt()) * up)
        }
        _ => next_up(sum_of_squares_upper(v.iter(), v.len()).sqrt()),
    }
}

/// The start vector `x̂_i = Φ⁻¹(Û_i)` with `Û_i = (k_i + 1/2)/2^53` from [`uniform_open01`], and
/// an upper bound on `‖x̂ − x‖₂` for the exact Gaussian `x_i = Φ⁻¹(V_i)`, `V_i` uniform on the
/// cell `[k_i, k_i + 1)/2^53` (so V is exactly U(0, 1) when the 53 bits are): per coordinate,
/// `2^-54 · max over the cell of 1/φ(Φ⁻¹)` (attained at the end farther from 1/2) plus the
/// quantile's relative error [`QUANTILE_RELATIVE_BOUND`]. The extreme cells (`k = 0` or
/// `2^53 − 1`) have no finite bound: the error is then +∞ and the certificate refuses.
fn gaussian_start<R: rand::Rng + ?Sized>(n: usize, rng: &mut R) -> (Vec<f64>, f64) {
    const HALF_CELL: f64 = 1.0 / (1u64 << 54) as f64;
    // √(2π) rounded up, with 0.1 % for libm's exp and the arithmetic.
    const DENSITY_INVERSE: f64 = 2.506_628_274_631_001 * 1.001;
    let mut x = Vec::with_capacity(n);
    let mut errors = Vec::with_capacity(n);
    for _ in 0..n {
        let u = uniform_open01(rng);
        let xi = normal_quantile(u).unwrap_or(f64::NAN);
        let far = if u < 0.5 {
            u - HALF_CELL
        } else {
            u + HALF_CELL
        };
        let e = match normal_quantile(far) {
            Ok(t) if xi.is_finite() => {
                let t = t.abs() * (1.0 + 2.0 * QUANTILE_RELATIVE_BOUND);
                HALF_CELL * DENSITY_INVERSE * (0.5 * t * t).exp()
                    + 2.0 * QUANTILE_RELATIVE_BOUND * xi.abs()
            }
            _ => f64::INFINITY,
        };
        x.push(if xi.is_finite() { xi } else { 0.0 });
        errors.push(e);
    }
    (x, norm_upper(&errors))
}

/// The scaled Gram operator `C_c = c²BᵀB` applied as `ĉ = c·fl(Bᵀ(c·fl(Bw)))`, with buffers.
struct ScaledGram<'a, O: ?Sized> {
    op: &'a O,
    c: f64,
    u: Vec<f64>,
    products: usize,
}

/// The rounding of one Gram product, split by whether it multiplies `‖c B‖₂`.
struct GramError {
    /// `‖ĉ − c Bᵀ û‖` bound.
    fixed: f64,
    /// `‖û − c B w‖` bound (enters multiplied by `‖cB‖₂ ≤ σ̄`).
    per_sigma: f64,
}

/// The Chebyshev iteration's output: `‖ŵ_k‖` and, per step j, `‖f_j‖ ≤ fixed_j + per_sigma_j‖cB‖₂`.
struct Iteration {
    last_norm: f64,
    errors: Vec<(f64, f64)>,
}

impl<'a, O: LinearOperator + ?Sized> ScaledGram<'a, O> {
    fn new(op: &'a O, c: f64) -> Self {
        let m = op.shape().0;
        ScaledGram {
            op,
            c,
            u: vec![0.0; m],
            products: 0,
        }
    }

    /// `out ← ĉ` for input w, with its error bound.
    fn apply(&mut self, w: &[f64], out: &mut [f64]) -> Result<GramError, LinalgError> {
        let (m, n) = self.op.shape();
        let c = self.c;
        self.op.apply(w, &mut self.u);
        let raw_u = norm_upper(&self.u);
        self.u.iter_mut().for_each(|v| *v *= c);
        let u_norm = norm_upper(&self.u);
        self.op.apply_transpose(&self.u, out);
        let raw_c = norm_upper(out);
        out.iter_mut().for_each(|v| *v *= c);
        self.products += 2;
        if !(u_norm.is_finite() && raw_c.is_finite() && norm_upper(out).is_finite()) {
            return Err(LinalgError::Overflow {
                quantity: "a product with B",
            });
        }
        // Scaling by c is exact unless the result is subnormal (then η/2 per entry).
        let w_norm = norm_upper(w);
        let per_sigma = inflate(
            c * self.op.forward_error().bound(raw_u, w_norm) + (m as f64).sqrt() * ETA,
            3,
        );
        let fixed = inflate(
            c * self.op.transpose_error().bound(raw_c, u_norm) + (n as f64).sqrt() * ETA,
            3,
        );
        Ok(GramError { fixed, per_sigma })
    }

    /// The largest Ritz value of `steps` Lanczos steps on `C_c` from x (no reorthogonalisation:
    /// an estimate that only places the shift).
    fn lanczos_estimate(&mut self, x: &[f64], steps: usize) -> Result<f64, LinalgError> {
        let n = x.len();
        let (mut diag, mut off) = (Vec::new(), Vec::new());
        let nx = x.iter().map(|v| v * v).sum::<f64>().sqrt();
        let mut q: Vec<f64> = x.iter().map(|v| v / nx).collect();
        let mut q_prev = vec![0.0; n];
        let mut w = vec![0.0; n];
        for step in 0..steps.max(1) {
            self.apply(&q, &mut w)?;
            let a: f64 = q.iter().zip(&w).map(|(p, r)| p * r).sum();
            let b_prev = off.last().copied().unwrap_or(0.0);
            for ((wi, qi), pi) in w.iter_mut().zip(&q).zip(&q_prev) {
                *wi -= a * qi + b_prev * pi;
            }
            diag.push(a);
            let b = w.iter().map(|v| v * v).sum::<f64>().sqrt();
            if step + 1 == steps.max(1) || b.is_nan() || b <= 1e-13 * (a.abs() + b_prev) {
                break;
            }
            off.push(b);
            std::mem::swap(&mut q_prev, &mut q);
            q.iter_mut().zip(&w).for_each(|(qi, wi)| *qi = wi / b);
        }
        Ok(tridiagonal_max_eigenvalue(&diag, &off))
    }

    /// `ŵ_0 = x`, `ŵ_1 = fl(β ĉ_0 − ŵ_0)`, `ŵ_{j+1} = fl(fl(fl(α ĉ_j) − 2ŵ_j) − ŵ_{j−1})` with
    /// `β = α/2`: the recurrence of `T_j(L)x`, `L = (α/2) C_c − I`. Records a bound on each
    /// step's local error `f_j`.
    fn chebyshev(&mut self, x: &[f64], alpha: f64, k: usize) -> Result<Iteration, LinalgError> {
        let n = x.len();
        let g1 = tol::gamma(1).unwrap_or(f64::INFINITY);
        let underflow = (n as f64).sqrt() * ETA;
        let beta = 0.5 * alpha;
        let mut prev = x.to_vec();
        let mut cur = vec![0.0; n];
        let mut c_hat = vec![0.0; n];
        let mut errors = Vec::with_capacity(k);
        let e = self.apply(&prev, &mut c_hat)?;
        let mut t1_sq = 0.0;
        for ((wi, ci), pi) in cur.iter_mut().zip(&c_hat).zip(&prev) {
            let t1 = beta * ci;
            t1_sq += t1 * t1;
            *wi = t1 - pi;
        }
        let r = g1 * (next_up(inflate(t1_sq + n as f64 * ETA, n + 2).sqrt()) + norm_upper(&cur))
            + underflow;
        errors.push((
            inflate(beta * e.fixed + r, 3),
            inflate(beta * e.per_sigma, 1),
        ));
        let mut next = vec![0.0; n];
        for _ in 1..k {
            let e = self.apply(&cur, &mut c_hat)?;
            let (mut t1_sq, mut t2_sq) = (0.0, 0.0);
            for (((wn, ci), wc), wp) in next.iter_mut().zip(&c_hat).zip(&cur).zip(&prev) {
                let t1 = alpha * ci;
                let t2 = t1 - 2.0 * wc;
                t1_sq += t1 * t1;
                t2_sq += t2 * t2;
                *wn = t2 - wp;
            }
            let sq = |s: f64| next_up(inflate(s + n as f64 * ETA, n + 2).sqrt());
            let next_norm = norm_upper(&next);
            if !next_norm.is_finite() {
                return Err(LinalgError::Overflow {
                    quantity: "a Chebyshev iterate",
                });
            }
            let r = g1 * (sq(t1_sq) + sq(t2_sq) + next_norm) + underflow;
            errors.push((
                inflate(alpha * e.fixed + r, 3),
                inflate(alpha * e.per_sigma, 1),
            ));
            std::mem::swap(&mut prev, &mut cur);
            std::mem::swap(&mut cur, &mut next);
        }
        Ok(Iteration {
            last_norm: norm_upper(&cur),
            errors,
        })
    }
}

/// The largest eigenvalue of the symmetric tridiagonal matrix with diagonal `d` and
/// off-diagonal `e` (Sturm-sequence bisection inside the Gershgorin interval).
fn tridiagonal_max_eigenvalue(d: &[f64], e: &[f64]) -> f64 {
    let m = d.len();
    let radius =
        |i: usize| (if i > 0 { e[i - 1].abs() } else { 0.0 }) + e.get(i).map_or(0.0, |v| v.abs());
    let mut lo = (0..m)
        .map(|i| d[i] - radius(i))
        .fold(f64::INFINITY, f64::min);
    let mut hi = (0..m)
        .map(|i| d[i] + radius(i))
        .fold(f64::NEG_INFINITY, f64::max);
    // The number of eigenvalues below x.
    let below = |x: f64| {
        let mut count = 0;
        let mut q = 1.0;
        for i in 0..m {
            let off2 = if i > 0 { e[i - 1] * e[i - 1] } else { 0.0 };
            q = d[i] - x - if i > 0 { off2 / q } else { 0.0 };
            if q == 0.0 {
                q = -f64::MIN_POSITIVE;
            }
            if q < 0.0 {
                count += 1;
            }
        }
        count
    };
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if below(mid) == m {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// The smallest certified θ_hi ∈ [0, 700/k] with `G(θ) > 0` for all larger angles, where
/// `G(θ) = s − Σ_j φ_j(θ) U_{k−1−j}(cosh θ)/T_k(cosh θ) − W/T_k(cosh θ)` and
/// `φ_j(θ) = fixed_j + per_sigma_j √a cosh(θ/2)` (the scaled `‖B‖` at `λ = a(1 + cosh θ)/2`)
/// is increasing in θ (toolbox.md); `None` when even θ = 700/k does not certify (the rounding
/// floor exceeds the overlap).
fn solve_angle(k: usize, errors: &[(f64, f64)], sqrt_a: f64, w: f64, overlap: f64) -> Option<f64> {
    let g = |theta: f64| g_lower(k, errors, sqrt_a, w, overlap, theta);
    let theta_max = 700.0 / k as f64;
    let top = g(theta_max);
    if top.is_nan() || top <= 0.0 {
        return None;
    }
    if g(0.0) > 0.0 {
        return Some(0.0);
    }
    let (mut lo, mut hi) = (0.0, theta_max);
    for _ in 0..BISECTION_STEPS {
        let mid = 0.5 * (lo + hi);
        if g(mid) > 0.0 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// A lower bound on `G(θ)`, from `T_k(cosh θ) = cosh kθ` and
/// `U_m(cosh θ) = sinh((m+1)θ)/sinh θ` (`T_k(1) = 1`, `U_m(1) = m + 1` at θ = 0), each libm
/// value within [`LIBM_RELATIVE`] and each argument's rounding costing `(1 + kθ) u`.
fn g_lower(k: usize, errors: &[(f64, f64)], sqrt_a: f64, w: f64, overlap: f64, theta: f64) -> f64 {
    let u = UNIT_ROUNDOFF;
    let slack = 2.0 * (3.0 * LIBM_RELATIVE + (2.0 * k as f64 * theta + 6.0) * u);
    let sigma = inflate(sqrt_a * (0.5 * theta).cosh() * (1.0 + slack), 2);
    let phi: Vec<f64> = errors
        .iter()
        .map(|&(fixed, per_sigma)| inflate(fixed + per_sigma * sigma, 2))
        .collect();
    let sum = if theta == 0.0 {
        phi.iter()
            .enumerate()
            .map(|(j, p)| p * (k - j) as f64)
            .sum::<f64>()
            + w
    } else {
        let ck = (k as f64 * theta).cosh() * (1.0 - slack);
        let sh = theta.sinh();
        let terms: f64 = phi
            .iter()
            .enumerate()
            .map(|(j, p)| p * (((k - j) as f64 * theta).sinh() / (sh * ck)))
            .sum();
        (terms + w / ck) * (1.0 + slack)
    };
    let sum = inflate(sum, k + 4);
    if sum.is_finite() {
        overlap - sum
    } else {
        f64::NEG_INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::MasterSeed;
    use faer::Mat;
    use rand::Rng;

    fn gaussian(m: usize, n: usize, label: &str) -> Mat<f64> {
        let mut rng = MasterSeed::default().stream(label);
        Mat::from_fn(m, n, |_, _| {
            normal_quantile(uniform_open01(&mut rng)).unwrap()
        })
    }

    fn bound(
        b: &Mat<f64>,
        options: &SpectralOptions,
        label: &str,
    ) -> Result<SpectralBound, LinalgError> {
        let op = DenseOperator::new(b.as_ref())?;
        spectral_norm_upper(&op, options, &mut MasterSeed::default().stream(label))
    }

    /// faer's SVD is backward stable: its σ̂ are exact for B + E, `‖E‖₂ ≤ p(n) u ‖B‖₂`, so
    /// `|σ̂ − σ| ≤ p(n) u σ` (Weyl). We take `p(n) = 64 max(m, n)`, far above the constants of
    /// Jacobi/QR-based SVDs, and far below the bound's excess (≥ 1e-6 relative).
    fn svd_allowance(m: usize, n: usize) -> f64 {
        64.0 * m.max(n) as f64 * UNIT_ROUNDOFF
    }

    /// The bound the theory predicts (toolbox.md, "tightness"): with `λ = σ²`, the shift a,
    /// `θ_t = acosh(max(1, 2λ/a − 1))` and `‖x‖ ≤ √n + t` (Gaussian Lipschitz concentration,
    /// `P(‖x‖ > √n + t) ≤ e^{−t²/2}`, t for 1e-9), the certified angle is at most
    /// `θ_t + ln(4‖x‖/s)/k` as long as rounding and the start vector's error take at most half
    /// of the overlap s (which the test thereby also checks).
    fn predicted_ratio(got: &SpectralBound, sigma: f64, n: usize, o: &SpectralOptions) -> f64 {
        // a/λ, scale-free (λ may underflow).
        let shift = got.shift_ratio * (got.estimate / sigma).powi(2);
        let lambda = 1.0;
        let t = (2.0 * (1e9f64).ln()).sqrt();
        let x_norm = (n as f64).sqrt() + t;
        let s = o.delta.get() * SQRT_HALF_PI_LOWER;
        let theta_t = (2.0 * lambda / shift - 1.0).max(1.0).acosh();
        let angle = theta_t + (4.0 * x_norm / s).ln() / o.degree as f64;
        (shift * (1.0 + angle.cosh()) / 2.0).sqrt()
    }

    /// Named dense cases: (name, matrix, scale); the case is `scale · matrix`, rounded.
    fn cases() -> Vec<(&'static str, Mat<f64>, f64)> {
        let mut rng = MasterSeed::default().stream("LINALG-SPECTRAL/cases");
        let mut signs = |m: usize, n: usize| {
            Mat::from_fn(
                m,
                n,
                |_, _| if rng.next_u32() & 1 == 1 { 1.0 } else { -1.0 },
            )
        };
        let pm = signs(64, 64);
        let mut brng = MasterSeed::default().stream("LINALG-SPECTRAL/bernoulli");
        let bern = Mat::from_fn(100, 70, |_, _| {
            f64::from(uniform_open01(&mut brng) < 0.3) - 0.3
        });
        let low =
            gaussian(50, 3, "LINALG-SPECTRAL/low/a") * gaussian(3, 40, "LINALG-SPECTRAL/low/b");
        let scaled = |b: Mat<f64>, k: f64| Mat::from_fn(b.nrows(), b.ncols(), |i, j| b[(i, j)] * k);
        let scaled = &scaled;
        let u = gaussian(60, 1, "LINALG-SPECTRAL/gap/u");
        let v = gaussian(1, 45, "LINALG-SPECTRAL/gap/v");
        let gap =
            scaled(&u * &v, 100.0) + scaled(gaussian(60, 45, "LINALG-SPECTRAL/gap/noise"), 1e-3);
        // Ten equal top singular values 3, the rest ≤ 0.5.
        let equal = Mat::from_fn(40, 30, |i, j| {
            if i == j {
                if i < 10 {
                    3.0
                } else {
                    0.5 / (1 + i) as f64
                }
            } else {
                0.0
            }
        });
        vec![
            (
                "gaussian 80×60",
                gaussian(80, 60, "LINALG-SPECTRAL/gauss"),
                1.0,
            ),
            ("±1 64×64", pm, 1.0),
            ("0/1 − 0.3 100×70", bern, 1.0),
            ("rank 3 50×40", low, 1.0),
            ("huge gap 60×45", gap, 1.0),
            ("ten equal top 40×30", equal, 1.0),
            ("1×50", gaussian(1, 50, "LINALG-SPECTRAL/row"), 1.0),
            ("50×1", gaussian(50, 1, "LINALG-SPECTRAL/col"), 1.0),
            ("1×1", faer::mat![[-7.5]], 1.0),
            (
                "tiny 1e-300 30×20",
                gaussian(30, 20, "LINALG-SPECTRAL/tiny"),
                1e-300,
            ),
            (
                "large 1e200 30×20",
                gaussian(30, 20, "LINALG-SPECTRAL/large"),
                1e200,
            ),
        ]
    }

    #[test]
    fn spectral_bound_contains_sigma_max_and_is_as_tight_as_predicted() {
        let o = SpectralOptions::default();
        for (name, base, scale) in cases() {
            let (m, n) = (base.nrows(), base.ncols());
            // faer's SVD loses accuracy at 1e-300 and does not converge at 1e200: σ comes from
            // the unscaled matrix. Rounding `scale · b_ij` errs by ≤ u|scale·b_ij| + η/2, so
            // ‖E‖₂ ≤ ‖E‖_F ≤ u√(mn)σ + √(mn)η: the allowance grows by u√(mn) (η is far below).
            let b = Mat::from_fn(m, n, |i, j| base[(i, j)] * scale);
            let sigma = base.singular_values().unwrap()[0] * scale;
            let allowance = svd_allowance(m, n) + ((m * n) as f64).sqrt() * UNIT_ROUNDOFF;
            let got = bound(&b, &o, &format!("LINALG-SPECTRAL/start/{name}")).unwrap();
            let lower = sigma * (1.0 - allowance);
            let predicted = sigma * predicted_ratio(&got, sigma, n, &o) * (1.0 + allowance);
            println!(
                "{name}: σ = {sigma:.6e}, upper/σ = {:.5}, predicted ≤ {:.5}, estimate/σ = {:.6}, {} products",
                got.upper / sigma,
                predicted / sigma,
                got.estimate / sigma,
                got.products
            );
            assert!(
                got.upper >= lower,
                "{name}: bound {} below σ_max {sigma} (stream LINALG-SPECTRAL/start/{name})",
                got.upper
            );
            assert!(
                got.upper <= predicted,
                "{name}: bound {} above the predicted {predicted} (σ = {sigma}, shift ratio {})",
                got.upper,
                got.shift_ratio
            );
        }
    }

    #[test]
    fn spectral_bound_refuses_bad_input_with_typed_errors() {
        let o = SpectralOptions::default();
        let b = faer::mat![[1.0, 2.0], [3.0, 4.0]];
        for delta in [0.0, 1.0, -1.0, f64::NAN] {
            assert!(
                Probability::new(delta).is_err(),
                "δ = {delta} is refused where it is parsed"
            );
        }
        for degree in [0, MAX_CHEBYSHEV_DEGREE + 1] {
            let bad = SpectralOptions { degree, ..o };
            assert_eq!(
                bound(&b, &bad, "x"),
                Err(LinalgError::Degree {
                    degree,
                    max: MAX_CHEBYSHEV_DEGREE
                })
            );
        }
        let inf = faer::mat![[1.0, f64::INFINITY]];
        assert!(matches!(
            bound(&inf, &o, "x"),
            Err(LinalgError::NonFinite { row: 0, col: 1, .. })
        ));
        // Entries at 1e300 (σ = √2·1e300): scaled by a power of two, bounded correctly.
        let huge = faer::mat![[1e300, 1e300], [1e300, -1e300]];
        let got = bound(&huge, &o, "LINALG-SPECTRAL/huge").unwrap();
        let sigma = 2f64.sqrt() * 1e300;
        // fl(√2)·1e300 is within 2u of σ.
        assert!(
            got.upper >= sigma * (1.0 - 2.0 * UNIT_ROUNDOFF) && got.upper <= 1.01 * sigma,
            "{got:?}"
        );
        // Entries near f64::MAX: ‖B‖₁ overflows, refused rather than bounded by ∞.
        let max = faer::mat![[1.5e308, 1.5e308], [1.5e308, -1.5e308]];
        assert!(matches!(
            bound(&max, &o, "x"),
            Err(LinalgError::Overflow { .. })
        ));
        // A δ so small that s = δ√(π/2) is below the start vector's error.
        let tiny = SpectralOptions {
            delta: Probability::new(1e-300).unwrap(),
            ..o
        };
        assert!(matches!(
            bound(&b, &tiny, "x"),
            Err(LinalgError::RoundingFloor { .. })
        ));
    }

    #[test]
    fn spectral_bound_is_bit_identical_across_thread_counts() {
        let b = gaussian(700, 300, "LINALG-SPECTRAL/threads");
        let o = SpectralOptions {
            degree: 40,
            lanczos_steps: 10,
            ..SpectralOptions::default()
        };
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| bound(&b, &o, "LINALG-SPECTRAL/threads/start").unwrap())
        };
        let (one, two) = (run(1), run(2));
        assert_eq!(one.upper.to_bits(), two.upper.to_bits());
        assert_eq!(one, run(3));
    }

    #[test]
    fn mask_operator_agrees_with_dense_and_its_bound_contains_sigma_max() {
        let (m, n, p) = (300, 170, 0.3);
        let mut rng = MasterSeed::default().stream("LINALG-SPECTRAL/mask");
        let mask: Vec<bool> = (0..m * n).map(|_| uniform_open01(&mut rng) < p).collect();
        let at = |i: usize, j: usize| mask[j * m + i];
        let op = MaskMinusRankOne::from_fn(m, n, at, vec![p; m], vec![1.0; n]).unwrap();
        let b = Mat::from_fn(m, n, |i, j| f64::from(at(i, j)) - p);
        let dense = DenseOperator::new(b.as_ref()).unwrap();
        // Both products are within their stated bounds of the exact Bx (B = fl(A − p) is exact
        // here: 1 − 0.3 and −0.3 round, so compare against the dense operator's own B up to
        // the entry rounding, ≤ u per entry: ‖E‖₂ ≤ u√(mn)).
        let x: Vec<f64> = (0..n).map(|j| ((j * 7919) % 13) as f64 - 6.0).collect();
        let (mut y1, mut y2) = (vec![0.0; m], vec![0.0; m]);
        op.apply(&x, &mut y1);
        dense.apply(&x, &mut y2);
        let (nx, ny) = (norm_upper(&x), norm_upper(&y1));
        let entry = ((m * n) as f64).sqrt() * UNIT_ROUNDOFF * nx;
        let allowed = op.forward_error().bound(ny, nx)
            + dense.forward_error().bound(norm_upper(&y2), nx)
            + entry;
        let diff: Vec<f64> = y1.iter().zip(&y2).map(|(a, b)| a - b).collect();
        assert!(
            norm_upper(&diff) <= allowed,
            "mask Bx differs by {} > {allowed}",
            norm_upper(&diff)
        );
        let (mut z1, mut z2) = (vec![0.0; n], vec![0.0; n]);
        op.apply_transpose(&y1, &mut z1);
        dense.apply_transpose(&y1, &mut z2);
        let diff: Vec<f64> = z1.iter().zip(&z2).map(|(a, b)| a - b).collect();
        let allowed = op.transpose_error().bound(norm_upper(&z1), ny)
            + dense.transpose_error().bound(norm_upper(&z2), ny)
            + ((m * n) as f64).sqrt() * UNIT_ROUNDOFF * ny;
        assert!(
            norm_upper(&diff) <= allowed,
            "mask Bᵀy differs by {} > {allowed}",
            norm_upper(&diff)
        );
        // The certificate through the mask operator.
        let o = SpectralOptions::default();
        let got = spectral_norm_upper(
            &op,
            &o,
            &mut MasterSeed::default().stream("LINALG-SPECTRAL/mask/start"),
        )
        .unwrap();
        let sigma = b.singular_values().unwrap()[0];
        let allowance = svd_allowance(m, n) + ((m * n) as f64).sqrt() * UNIT_ROUNDOFF;
        let predicted = sigma * predicted_ratio(&got, sigma, n, &o) * (1.0 + allowance);
        println!(
            "mask {m}×{n} − {p}: upper/σ = {:.5}, predicted ≤ {:.5}",
            got.upper / sigma,
            predicted / sigma
        );
        assert!(
            got.upper >= sigma * (1.0 - allowance) && got.upper <= predicted,
            "{got:?} σ = {sigma}"
        );
    }

    /// The power-iteration analogue with the same start vector, degree and s (rounding ignored,
    /// so it only favours power iteration): `λ ≤ (‖C^k x‖/s)^{1/k}`, i.e.
    /// `σ ≤ (‖C^k x‖/s)^{1/(2k)}`.
    #[test]
    fn chebyshev_bound_is_tighter_than_power_iteration() {
        let b = gaussian(80, 60, "LINALG-SPECTRAL/gauss");
        let o = SpectralOptions::default();
        let cheb = bound(&b, &o, "LINALG-SPECTRAL/power").unwrap();
        let op = DenseOperator::new(b.as_ref()).unwrap();
        let (x, _) = gaussian_start(
            60,
            &mut MasterSeed::default().stream("LINALG-SPECTRAL/power"),
        );
        let (mut w, mut u, mut log_norm) = (x, vec![0.0; 80], 0.0);
        for _ in 0..o.degree {
            op.apply(&w, &mut u);
            op.apply_transpose(&u, &mut w);
            let nw = w.iter().map(|v| v * v).sum::<f64>().sqrt();
            log_norm += nw.ln();
            w.iter_mut().for_each(|v| *v /= nw);
        }
        let s = o.delta.get() * SQRT_HALF_PI_LOWER;
        let power = ((log_norm - s.ln()) / (2.0 * o.degree as f64)).exp();
        let sigma = b.singular_values().unwrap()[0];
        println!(
            "k = {}: Chebyshev upper/σ = {:.5}, power iteration upper/σ = {:.5}",
            o.degree,
            cheb.upper / sigma,
            power / sigma
        );
        assert!(
            cheb.upper < power,
            "Chebyshev {} ≥ power {power}",
            cheb.upper
        );
    }

    /// One-sided exact binomial test of `H0: P(failure) ≤ δ`: the p-value
    /// `P(Bin(reps, δ) ≥ failures)`; H0 is rejected below `alpha`.
    fn binomial_upper_p(failures: u64, reps: u64, delta: f64) -> f64 {
        use statrs::distribution::{Binomial, DiscreteCDF};
        if failures == 0 {
            return 1.0;
        }
        Binomial::new(delta, reps).unwrap().sf(failures - 1)
    }

    #[test]
    fn spectral_failure_frequency_is_at_most_delta_and_the_control_is_rejected() {
        // B = u vᵀ with ‖u‖ = ‖v‖ = 5: σ_max = 25 exactly. With the shift at half the (exact)
        // Lanczos estimate, p(λ) = T_k(3) dwarfs the rest, so the bound fails exactly when
        // |⟨x, v⟩| < s (up to the rounding terms, which only make it safer): probability
        // 2Φ(s) − 1 ≈ 0.198 at δ = 0.2.
        let u = [3.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.0];
        let v = [2.0, 3.0, 2.0, 2.0, 2.0];
        let b = Mat::from_fn(8, 5, |i, j| u[i] * v[j]);
        const REPS: u64 = 2000;
        const ALPHA: f64 = 1e-3;
        let nominal = 0.2;
        let failures = |delta: f64| {
            let o = SpectralOptions {
                delta: Probability::new(delta).unwrap(),
                degree: 20,
                lanczos_steps: 5,
                shift_gap: 0.5,
            };
            (0..REPS)
                .filter(|r| {
                    let got = bound(&b, &o, &format!("LINALG-SPECTRAL/failure/rep={r}")).unwrap();
                    got.upper < 25.0
                })
                .count() as u64
        };
        let honest = failures(nominal);
        let p = binomial_upper_p(honest, REPS, nominal);
        println!("failures {honest}/{REPS} at δ = {nominal}: p = {p:.3e}");
        assert!(
            p >= ALPHA,
            "LINALG-SPECTRAL/failure: {honest}/{REPS} failures, P(Bin ≥) = {p:e} < {ALPHA}"
        );
        // Negative control: the bound without the 1/s factor (s = 1, i.e. δ = √(2/π)) while
        // claiming δ = 0.2.
        let control = failures(std::f64::consts::FRAC_2_PI.sqrt() * (1.0 - 1e-12));
        let pc = binomial_upper_p(control, REPS, nominal);
        println!("control failures {control}/{REPS}: p = {pc:.3e}");
        assert!(
            pc < ALPHA,
            "LINALG-SPECTRAL/failure control not rejected: {control}/{REPS}"
        );
    }
}
