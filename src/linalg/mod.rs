//! Linear algebra on symmetric f64 matrices: Cholesky factorisation (one implementation, used
//! by the cut-norm certificate and the kernels), solves and quadratic forms `yᵀA⁻¹y` without
//! forming an inverse, and eigenvalue certificates built on the same Cholesky (Rump's shifted
//! factorisation with Demmel's backward error bound): certified bounds `λ_min(A) ≥ ℓ`,
//! `λ_max(A) ≤ μ`, and a certified enclosure of `yᵀA⁻¹y`. Sequential and blocked, so results do
//! not depend on the thread count.
//!
//! ```
//! use pai_graphon::linalg::{certified_lambda_min, Cholesky};
//! let a = faer::mat![[2.0, 1.0], [1.0, 2.0]]; // eigenvalues 1 and 3
//! let lmin = certified_lambda_min(a.as_ref(), 0.0).unwrap();
//! assert!(lmin > 0.99 && lmin <= 1.0);
//! // y = (1, 1) is the eigenvector of 3: yᵀA⁻¹y = 2/3, at most ‖y‖²/λ_min.
//! let q = Cholesky::factor(a.as_ref()).unwrap().quadratic_inverse(&[1.0, 1.0]).unwrap();
//! // L = [[√2, 0], [1/√2, √(3/2)]], z = L⁻¹y = (1/√2, ½/√(3/2)). Counting roundings to first
//! // order: z₁² errs by 5u relatively, z₂² by 20u (1 − ½ doubles an error), the sum by u, so
//! // |q − 2/3| ≤ ½·5u + ⅙·20u + ⅔u < 7u < γ_12 · 2/3.
//! assert!((q - 2.0 / 3.0).abs() <= pai_graphon::tol::gamma(12).unwrap() * (2.0 / 3.0));
//! assert!(q <= 2.0 / lmin);
//! ```

mod krylov;

pub use krylov::{
    spectral_norm_upper, DenseOperator, LinearOperator, MaskMinusRankOne, ProductError,
    SpectralBound, SpectralOptions, MAX_CHEBYSHEV_DEGREE,
};

use crate::tol::{self, UNIT_ROUNDOFF};
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, MatMut, MatRef, Par};
use std::fmt;

/// The smallest positive subnormal f64, `η = 2^−1074`: the absolute error bound of one product
/// that underflows (round to nearest errs by at most η/2).
pub(crate) const ETA: f64 = f64::from_bits(1);

/// Trial shifts of [`certified_lambda_min`]: `μ = θ (1 − τ)` for these relative gaps τ below the
/// inverse-iteration estimate θ (the first that factors gives the bound; a tighter gap gives a
/// tighter bound, a looser one survives a poor estimate).
const LAMBDA_MIN_GAPS: [f64; 6] = [1e-3, 1e-2, 0.1, 0.3, 0.6, 0.9];

/// Inverse-iteration steps of the λ_min estimate (the estimate only chooses the shift; its
/// accuracy never enters the certified bound).
const INVERSE_ITERATION_STEPS: usize = 60;

/// Column block of the blocked Cholesky factorisation.
const CHOLESKY_BLOCK: usize = 64;

/// The largest order of a dense n × n matrix the toolbox factors or forms (Cholesky, the
/// eigenvalue certificates, the graphon NTK's kernel). Derived from memory: one such matrix of
/// f64 takes `8 n²` bytes, 2 GiB at this order, and a certificate holds two (the input and its
/// shifted factor). Larger orders are refused before anything is allocated.
///
/// ```
/// use pai_graphon::linalg::MAX_DENSE_ORDER;
/// assert_eq!(MAX_DENSE_ORDER, 16_384);
/// assert_eq!((MAX_DENSE_ORDER * MAX_DENSE_ORDER * 8) >> 30, 2); // GiB per matrix
/// ```
pub const MAX_DENSE_ORDER: usize = 16_384;

/// A matrix the toolbox cannot factor.
///
/// ```
/// use faer::mat;
/// use pai_graphon::linalg::{certified_lambda_min, Cholesky, LinalgError};
/// let shape = Cholesky::factor(mat![[1.0, 2.0]].as_ref()).unwrap_err();
/// assert_eq!(shape, LinalgError::Shape { rows: 1, cols: 2 });
/// let nan = Cholesky::factor(mat![[f64::NAN]].as_ref()).unwrap_err();
/// assert!(matches!(nan, LinalgError::NonFinite { row: 0, col: 0, .. }));
/// // Eigenvalues 3 and −1: the second pivot, 1 − 2²/1, is negative.
/// let indefinite = Cholesky::factor(mat![[1.0, 2.0], [2.0, 1.0]].as_ref()).unwrap_err();
/// assert_eq!(indefinite, LinalgError::NotPositiveDefinite { pivot: 1 });
/// // Positive definite, but λ_min = 1e-3 is within the stated input error 1e-2.
/// let close = certified_lambda_min(mat![[1.0, 0.0], [0.0, 1e-3]].as_ref(), 1e-2).unwrap_err();
/// assert!(matches!(close, LinalgError::Uncertified { .. }));
/// // An order beyond the memory limit is refused before allocating.
/// let order = pai_graphon::linalg::check_dense_order(20_000).unwrap_err();
/// assert_eq!(order, LinalgError::TooLarge { order: 20_000, max: 16_384 });
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum LinalgError {
    /// Not a non-empty square matrix.
    Shape {
        /// Rows of the matrix given.
        rows: usize,
        /// Columns of the matrix given.
        cols: usize,
    },
    /// A right-hand side whose length is not the matrix order.
    RhsLength {
        /// Length of the right-hand side.
        len: usize,
        /// Order of the matrix.
        order: usize,
    },
    /// Entries (row, col) and (col, row) differ where an exactly symmetric matrix is needed.
    Asymmetric {
        /// Row of the first entry.
        row: usize,
        /// Column of the first entry.
        col: usize,
    },
    /// A non-finite matrix entry.
    NonFinite {
        /// Row of the entry.
        row: usize,
        /// Column of the entry.
        col: usize,
        /// Its value.
        value: f64,
    },
    /// A non-finite right-hand side entry.
    NonFiniteRhs {
        /// Its value.
        value: f64,
    },
    /// A stated input-error bound that is negative or not finite.
    InputError {
        /// The bound given.
        value: f64,
    },
    /// The factorisation met a pivot that is not positive (the matrix is not positive definite
    /// in floating point).
    NotPositiveDefinite {
        /// The column of the failing pivot.
        pivot: usize,
    },
    /// The matrix factors in floating point, but no shifted factorisation certifies a positive
    /// lower bound on its smallest eigenvalue once rounding and the stated input error are
    /// accounted for.
    Uncertified {
        /// The inverse-iteration estimate of λ_min (not a bound).
        estimate: f64,
        /// The stated operator-norm bound on the input error.
        input_error: f64,
    },
    /// A matrix order above [`MAX_DENSE_ORDER`] (refused before allocating).
    TooLarge {
        /// The order asked for.
        order: usize,
        /// The largest order accepted.
        max: usize,
    },
    /// A certified quantity that does not fit in f64 (its enclosure would reach ±∞).
    Overflow {
        /// What overflowed.
        quantity: &'static str,
    },
    /// An operator with no rows or no columns (the spectral-norm bound needs both).
    EmptyOperator {
        /// Rows of the operator.
        rows: usize,
        /// Columns of the operator.
        cols: usize,
    },
    /// A Chebyshev degree of 0 or above [`MAX_CHEBYSHEV_DEGREE`].
    Degree {
        /// The degree given.
        degree: usize,
        /// The largest degree accepted.
        max: usize,
    },
    /// The rounding errors of the Krylov iteration, bounded as in `theory/toolbox.md`, exceed
    /// what the random start vector's guaranteed overlap `s` can absorb: no bound at this failure
    /// probability (a larger δ or a lower degree may certify one).
    RoundingFloor {
        /// The overlap `s` the failure probability guarantees (after the start vector's error).
        overlap: f64,
    },
}

impl fmt::Display for LinalgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinalgError::Shape { rows, cols } => write!(
                f,
                "invalid matrix shape: need a non-empty square matrix, got {rows}×{cols}"
            ),
            LinalgError::RhsLength { len, order } => write!(
                f,
                "invalid matrix shape: right-hand side has length {len}, the matrix order is {order}"
            ),
            LinalgError::Asymmetric { row, col } => write!(
                f,
                "invalid matrix shape: entries ({row}, {col}) and ({col}, {row}) differ: \
                 the certificates need an exactly symmetric matrix"
            ),
            LinalgError::NonFinite { row, col, value } => {
                write!(f, "non-finite matrix entry: entry ({row}, {col}) is {value}")
            }
            LinalgError::NonFiniteRhs { value } => {
                write!(f, "non-finite matrix entry: right-hand side entry {value}")
            }
            LinalgError::InputError { value } => write!(
                f,
                "non-finite matrix entry: input error bound {value} must be finite and non-negative"
            ),
            LinalgError::NotPositiveDefinite { pivot } => write!(
                f,
                "matrix is not positive definite (Cholesky pivot {pivot} is not positive)"
            ),
            LinalgError::Uncertified {
                estimate,
                input_error,
            } => write!(
                f,
                "positive definiteness not certified: λ_min ≈ {estimate:e} does not exceed the \
                 rounding and input-error margin (input error ‖E‖₂ ≤ {input_error:e})"
            ),
            LinalgError::TooLarge { order, max } => write!(
                f,
                "matrix order {order} exceeds the limit {max} (memory: a dense {max} × {max} \
                 f64 matrix takes 2 GiB)"
            ),
            LinalgError::Overflow { quantity } => {
                write!(f, "{quantity} overflows f64: no finite enclosure")
            }
            LinalgError::EmptyOperator { rows, cols } => write!(
                f,
                "invalid matrix shape: the operator is {rows}×{cols}, need at least one row and \
                 one column"
            ),
            LinalgError::Degree { degree, max } => {
                write!(f, "Chebyshev degree {degree} must lie in 1..={max}")
            }
            LinalgError::RoundingFloor { overlap } => write!(
                f,
                "spectral-norm bound not certified: the bounded rounding errors exceed the \
                 start vector's guaranteed overlap {overlap:e} (raise δ or lower the degree)"
            ),
        }
    }
}

impl std::error::Error for LinalgError {}

/// Refuse a dense order above [`MAX_DENSE_ORDER`]; call it before allocating an n × n matrix.
///
/// ```
/// use pai_graphon::linalg::{check_dense_order, LinalgError, MAX_DENSE_ORDER};
/// assert_eq!(check_dense_order(MAX_DENSE_ORDER), Ok(()));
/// assert!(matches!(check_dense_order(MAX_DENSE_ORDER + 1), Err(LinalgError::TooLarge { .. })));
/// ```
pub fn check_dense_order(order: usize) -> Result<(), LinalgError> {
    if order > MAX_DENSE_ORDER {
        return Err(LinalgError::TooLarge {
            order,
            max: MAX_DENSE_ORDER,
        });
    }
    Ok(())
}

/// The Cholesky factor `A = L Lᵀ` of a symmetric positive definite matrix, from its lower
/// triangle after symmetrising: `(A + Aᵀ)/2` is what is factored.
///
/// ```
/// use faer::mat;
/// use pai_graphon::linalg::Cholesky;
/// // A non-symmetric input is factored as its symmetric part [[4, 2], [2, 3]].
/// let c = Cholesky::factor(mat![[4.0, 1.0], [3.0, 3.0]].as_ref()).unwrap();
/// assert_eq!(c.diagonal()[0], 2.0);
/// // A x = b without an inverse: A (1, 1) = (6, 5).
/// let x = c.solve(&[6.0, 5.0]).unwrap();
/// // (A + ΔA) x̂ = b with |ΔA| ≤ γ_(3n+1) |L||Lᵀ| = γ_7 A here (L ≥ 0; Higham, Theorem 10.4),
/// // so |x̂ − x| ≤ γ_7 |A⁻¹||A||x̂| ≤ γ_7 (3.5, 4) max|x̂_i|  (A⁻¹ = [[3, −2], [−2, 4]] / 8).
/// let bound = 4.0 * pai_graphon::tol::gamma(7).unwrap() * x[0].abs().max(x[1].abs());
/// assert!((x[0] - 1.0).abs() <= bound && (x[1] - 1.0).abs() <= bound);
/// // Entries at f64::MAX symmetrise without overflow (M + M would be ∞).
/// let m = f64::MAX;
/// let big = Cholesky::factor(faer::mat![[m, 0.0], [0.0, m]].as_ref()).unwrap();
/// assert_eq!(big.diagonal(), vec![m.sqrt(); 2]);
/// ```
#[derive(Clone, Debug)]
pub struct Cholesky {
    n: usize,
    /// L, column-major n×n, lower triangle (the strict upper triangle is garbage).
    l: Vec<f64>,
}

impl Cholesky {
    /// Factor `(A + Aᵀ)/2`.
    ///
    /// ```
    /// use pai_graphon::linalg::Cholesky;
    /// let a = faer::mat![[4.0, 2.0], [2.0, 3.0]];
    /// let c = Cholesky::factor(a.as_ref()).unwrap();
    /// // yᵀA⁻¹y for y = (1, 0): A⁻¹ = [[3, −2], [−2, 4]] / 8.
    /// // z = L⁻¹y = (½, −½ / fl(√2)): √2 and the division, the square, the sum: γ_6.
    /// let q = c.quadratic_inverse(&[1.0, 0.0]).unwrap();
    /// assert!((q - 3.0 / 8.0).abs() <= pai_graphon::tol::gamma(6).unwrap() * (3.0 / 8.0));
    /// assert!(Cholesky::factor(faer::mat![[1.0, 2.0], [2.0, 1.0]].as_ref()).is_err());
    /// ```
    pub fn factor(a: MatRef<'_, f64>) -> Result<Self, LinalgError> {
        let n = check_square(a)?;
        let mut l = vec![0.0; n * n];
        for j in 0..n {
            for i in j..n {
                let (x, y) = (a[(i, j)], a[(j, i)]);
                // Halve first when the sum overflows (two entries near f64::MAX).
                let sum = x + y;
                let v = if sum.is_finite() {
                    0.5 * sum
                } else {
                    0.5 * x + 0.5 * y
                };
                if !v.is_finite() {
                    return Err(LinalgError::NonFinite {
                        row: i,
                        col: j,
                        value: v,
                    });
                }
                l[j * n + i] = v;
            }
        }
        cholesky_lower_in_place(&mut l, n)
            .map_err(|pivot| LinalgError::NotPositiveDefinite { pivot })?;
        Ok(Cholesky { n, l })
    }

    /// The order n.
    ///
    /// ```
    /// let c = pai_graphon::linalg::Cholesky::factor(faer::mat![[2.0]].as_ref()).unwrap();
    /// assert_eq!(c.order(), 1);
    /// ```
    pub fn order(&self) -> usize {
        self.n
    }

    /// `L⁻¹ b` by forward substitution.
    ///
    /// ```
    /// let c = pai_graphon::linalg::Cholesky::factor(faer::mat![[4.0]].as_ref()).unwrap();
    /// assert_eq!(c.forward(&[2.0]).unwrap(), vec![1.0]);
    /// ```
    pub fn forward(&self, b: &[f64]) -> Result<Vec<f64>, LinalgError> {
        self.check_rhs(b)?;
        let n = self.n;
        let mut x = b.to_vec();
        for j in 0..n {
            let col = &self.l[j * n..(j + 1) * n];
            x[j] /= col[j];
            let xj = x[j];
            for (xi, lij) in x[j + 1..].iter_mut().zip(&col[j + 1..]) {
                *xi -= lij * xj;
            }
        }
        Ok(x)
    }

    /// `A⁻¹ b` by two triangular solves (no inverse is formed).
    ///
    /// ```
    /// let a = faer::mat![[4.0, 2.0], [2.0, 3.0]];
    /// let c = pai_graphon::linalg::Cholesky::factor(a.as_ref()).unwrap();
    /// let x = c.solve(&[6.0, 5.0]).unwrap();
    /// // (A + ΔA) x̂ = b with |ΔA| ≤ γ_(3n+1) |L||Lᵀ| = γ_7 A here (L ≥ 0; Higham, Theorem 10.4),
    /// // so |x̂ − x| ≤ γ_7 |A⁻¹||A||x̂| ≤ γ_7 (3.5, 4) max|x̂_i|  (A⁻¹ = [[3, −2], [−2, 4]] / 8).
    /// let bound = 4.0 * pai_graphon::tol::gamma(7).unwrap() * x[0].abs().max(x[1].abs());
    /// assert!((x[0] - 1.0).abs() <= bound && (x[1] - 1.0).abs() <= bound);
    /// ```
    pub fn solve(&self, b: &[f64]) -> Result<Vec<f64>, LinalgError> {
        let n = self.n;
        let mut x = self.forward(b)?;
        for j in (0..n).rev() {
            let col = &self.l[j * n..(j + 1) * n];
            let dot: f64 = col[j + 1..]
                .iter()
                .zip(&x[j + 1..])
                .map(|(a, b)| a * b)
                .sum();
            x[j] = (x[j] - dot) / col[j];
        }
        Ok(x)
    }

    /// `yᵀA⁻¹y = ‖L⁻¹y‖²`.
    ///
    /// ```
    /// let c = pai_graphon::linalg::Cholesky::factor(faer::mat![[4.0]].as_ref()).unwrap();
    /// // L = 2 exactly (sqrt 2 would round): yᵀA⁻¹y = 6²/4.
    /// assert_eq!(c.quadratic_inverse(&[6.0]).unwrap(), 9.0);
    /// ```
    pub fn quadratic_inverse(&self, y: &[f64]) -> Result<f64, LinalgError> {
        Ok(self.forward(y)?.iter().map(|v| v * v).sum())
    }

    /// The diagonal of L.
    ///
    /// ```
    /// let c = pai_graphon::linalg::Cholesky::factor(faer::mat![[9.0]].as_ref()).unwrap();
    /// assert_eq!(c.diagonal(), vec![3.0]);
    /// ```
    pub fn diagonal(&self) -> Vec<f64> {
        (0..self.n).map(|j| self.l[j * self.n + j]).collect()
    }

    /// An upper bound on `‖L‖_F²` (the squares summed and inflated for rounding).
    ///
    /// ```
    /// let c = pai_graphon::linalg::Cholesky::factor(faer::mat![[4.0, 2.0], [2.0, 5.0]].as_ref()).unwrap();
    /// // L = [[2, 0], [1, 2]]: ‖L‖_F² = 9.
    /// let f = c.frobenius2_upper();
    /// assert!(f >= 9.0 && f < 9.0 * (1.0 + 1e-14));
    /// ```
    pub fn frobenius2_upper(&self) -> f64 {
        let n = self.n;
        let lower = (0..n).flat_map(|j| self.l[j * n + j..(j + 1) * n].iter());
        sum_of_squares_upper(lower, n * (n + 1) / 2)
    }

    fn check_rhs(&self, b: &[f64]) -> Result<(), LinalgError> {
        if b.len() != self.n {
            return Err(LinalgError::RhsLength {
                len: b.len(),
                order: self.n,
            });
        }
        if let Some(v) = b.iter().find(|v| !v.is_finite()) {
            return Err(LinalgError::NonFiniteRhs { value: *v });
        }
        Ok(())
    }
}

/// Blocked right-looking Cholesky `X = R Rᵀ` (R lower triangular, column-major `k×k`, lower
/// triangle read and overwritten). Every entry is `(x_ic − Σ_l r_il r_cl) / r_cc` (or the square
/// root on the diagonal) with the sum evaluated in some order: the trailing updates by faer's
/// triangular product, the rest by column operations. That is all Demmel's bound needs
/// (Higham, Theorem 10.3 holds for any summation order). `Err(c)` at a pivot that is not
/// positive.
pub(crate) fn cholesky_lower_in_place(x: &mut [f64], k: usize) -> Result<(), usize> {
    let mut j0 = 0;
    while j0 < k {
        let j1 = (j0 + CHOLESKY_BLOCK).min(k);
        for c in j0..j1 {
            let (done, rest) = x.split_at_mut(c * k);
            let col_c = &mut rest[..k];
            for l in j0..c {
                let col_l = &done[l * k..(l + 1) * k];
                let r_cl = col_l[c];
                for (xi, ri) in col_c[c..].iter_mut().zip(&col_l[c..]) {
                    *xi -= ri * r_cl;
                }
            }
            let pivot = col_c[c];
            // NaN pivots fail too.
            if pivot.is_nan() || pivot <= 0.0 {
                return Err(c);
            }
            let r = pivot.sqrt();
            col_c[c] = r;
            for v in &mut col_c[c + 1..] {
                *v /= r;
            }
        }
        if j1 < k {
            let (left, right) = x.split_at_mut(j1 * k);
            let panel =
                MatRef::from_column_major_slice(&left[j0 * k..], k, j1 - j0).subrows(j1, k - j1);
            let trailing =
                MatMut::from_column_major_slice_mut(right, k, k - j1).subrows_mut(j1, k - j1);
            matmul_lower(trailing, Accum::Add, panel, panel.transpose(), -1.0);
        }
        j0 = j1;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The crate's matrix products: faer's, sequential (results do not depend on the thread count),
// each followed by `vzeroupper`.

/// `dst = α a b` (or `dst += α a b`), sequentially, by faer; every general product in the crate
/// goes through here (f64; f32 only for the SDP solver's approximate large-scale products).
///
/// ```
/// use faer::{mat, Accum, Mat};
/// use pai_graphon::linalg::matmul;
/// let a = mat![[1.0, 2.0], [3.0, 4.0]];
/// let mut c = Mat::<f64>::zeros(2, 2);
/// matmul(c.as_mut(), Accum::Replace, a.as_ref(), a.as_ref(), 1.0);
/// assert_eq!(c, mat![[7.0, 10.0], [15.0, 22.0]]);
/// // Accumulate −1 · a a: back to zero.
/// matmul(c.as_mut(), Accum::Add, a.as_ref(), a.as_ref(), -1.0);
/// assert_eq!(c, Mat::<f64>::zeros(2, 2));
/// // The same product in f32 (small integers: exact).
/// let mut c32 = Mat::<f32>::zeros(2, 2);
/// let a32 = mat![[1.0f32, 2.0], [3.0, 4.0]];
/// matmul(c32.as_mut(), Accum::Replace, a32.as_ref(), a32.as_ref(), 1.0);
/// assert_eq!(c32, mat![[7.0f32, 10.0], [15.0, 22.0]]);
/// ```
pub fn matmul<T: faer::traits::ComplexField>(
    dst: MatMut<'_, T>,
    accum: Accum,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    alpha: T,
) {
    faer::linalg::matmul::matmul(dst, accum, a, b, alpha, Par::Seq);
    clear_upper_vector_state();
}

/// The lower triangle of `dst = α a b` (or `dst += α a b`), sequentially, by faer.
///
/// ```
/// use faer::{mat, Accum, Mat};
/// use pai_graphon::linalg::matmul_lower;
/// // A Gram matrix aᵀa = [[10, 14], [14, 20]]: only its lower triangle is written.
/// let a = mat![[1.0, 2.0], [3.0, 4.0]];
/// let mut g = Mat::<f64>::zeros(2, 2);
/// matmul_lower(g.as_mut(), Accum::Replace, a.transpose(), a.as_ref(), 1.0);
/// assert_eq!((g[(0, 0)], g[(1, 0)], g[(1, 1)]), (10.0, 14.0, 20.0));
/// assert_eq!(g[(0, 1)], 0.0);
/// ```
pub fn matmul_lower(
    dst: MatMut<'_, f64>,
    accum: Accum,
    a: MatRef<'_, f64>,
    b: MatRef<'_, f64>,
    alpha: f64,
) {
    triangular::matmul(
        dst,
        BlockStructure::TriangularLower,
        accum,
        a,
        BlockStructure::Rectangular,
        b,
        BlockStructure::Rectangular,
        alpha,
        Par::Seq,
    );
    clear_upper_vector_state();
}

/// faer's AVX-512 kernels (hand-written assembly in `private-gemm-x86`) return with the upper
/// halves of the vector registers dirty. Until a `vzeroupper`, every legacy-SSE instruction
/// (all of our scalar f64 code, compiled for baseline x86-64) then carries a false dependency
/// on them: libm's `acos` measured 17× slower, which made the graphon NTK's entry loop, not its
/// products, take 90% of its time. Clearing changes no value.
fn clear_upper_vector_state() {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU has AVX, so `vzeroupper` exists. It zeroes bits 128 and up of the
        // vector registers; `clobber_abi("C")` tells the compiler every vector register may
        // change, so no live value is kept in one across the instruction.
        unsafe {
            std::arch::asm!(
                "vzeroupper",
                clobber_abi("C"),
                options(nomem, nostack, preserves_flags)
            )
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rounding helpers shared by the certificates (and the cut-norm module).

/// The next f64 above `x` (`+∞` and NaN stay).
pub(crate) fn next_up(x: f64) -> f64 {
    if x.is_nan() || x == f64::INFINITY {
        return x;
    }
    if x == 0.0 {
        return f64::from_bits(1);
    }
    let bits = x.to_bits();
    f64::from_bits(if x > 0.0 { bits + 1 } else { bits - 1 })
}

/// The next f64 below `x`.
pub(crate) fn next_down(x: f64) -> f64 {
    -next_up(-x)
}

/// An upper bound on a non-negative quantity that was computed as `x` through at most `r`
/// roundings: the true value is at most `x / (1 − γ_r) ≤ x (1 + 2γ_r)`; the factor
/// `1 + 4γ_(r+2)` also covers the roundings of the factor and of the product, and the final step
/// up covers round-to-nearest. `+∞` when γ is undefined.
pub(crate) fn inflate(x: f64, r: usize) -> f64 {
    match tol::gamma(r + 2) {
        Ok(g) if g <= 0.25 => next_up(x * (1.0 + 4.0 * g)),
        _ => f64::INFINITY,
    }
}

/// An upper bound on `Σ x²` over `values` (`count` of them): each square errs by `u` relatively
/// and by at most `η/2` absolutely (underflow), the sum by `γ_(count−1)`, so
/// `Σ x² ≤ (s + count·η) / (1 − γ_count)`.
pub(crate) fn sum_of_squares_upper<'a>(values: impl Iterator<Item = &'a f64>, count: usize) -> f64 {
    let s: f64 = values.map(|x| x * x).sum();
    inflate(s + count as f64 * ETA, count + 2)
}

/// The order of a non-empty square matrix within [`MAX_DENSE_ORDER`]: the shape check every
/// dense routine starts with.
fn check_square(a: MatRef<'_, f64>) -> Result<usize, LinalgError> {
    let n = a.nrows();
    if n == 0 || a.ncols() != n {
        return Err(LinalgError::Shape {
            rows: a.nrows(),
            cols: a.ncols(),
        });
    }
    check_dense_order(n)?;
    Ok(n)
}

// ---------------------------------------------------------------------------------------------
// Eigenvalue certificates.

/// A non-empty, square, finite, exactly symmetric matrix (the certificates bound the eigenvalues
/// of A itself, so no symmetrisation error may enter).
fn check_symmetric(a: MatRef<'_, f64>) -> Result<(), LinalgError> {
    let n = check_square(a)?;
    for j in 0..n {
        for i in j..n {
            let v = a[(i, j)];
            if !v.is_finite() {
                return Err(LinalgError::NonFinite {
                    row: i,
                    col: j,
                    value: v,
                });
            }
            if v != a[(j, i)] {
                return Err(LinalgError::Asymmetric { row: i, col: j });
            }
        }
    }
    Ok(())
}

/// Rump's shifted factorisation (Rump 2006, "Verification of positive definiteness", with
/// Demmel's 1989 backward error bound). For `σ = ±1` and a shift `s`, form
/// `X̃ = fl(σ (A − s I))`: off-diagonal entries are exact, diagonal ones `X̃ = X + D` with
/// `|D_jj| ≤ 2u |X̃_jj|`. If the floating-point Cholesky factorisation of X̃ completes with
/// factor R̃, then `R̃ R̃ᵀ = X̃ + ΔX` with `|ΔX| ≤ γ_(k+1) |R̃||R̃ᵀ|` plus underflow (Higham,
/// Theorem 10.3), so `‖ΔX‖₂ ≤ γ_(k+1) ‖R̃‖_F² + k(k+1) η max(1, max r̃_ii)`, and `X̃ ⪰ −‖ΔX‖₂ I`
/// because `R̃ R̃ᵀ ⪰ 0`. Hence `σ (A − s I) ⪰ −m I` with the returned margin
/// `m ≥ ‖ΔX‖₂ + max|D|`. `None` when the factorisation meets a non-positive pivot.
fn shifted_cholesky_margin(a: MatRef<'_, f64>, sigma: f64, shift: f64) -> Option<f64> {
    let k = a.nrows();
    let mut x = vec![0.0; k * k];
    let mut max_diag = 0.0f64;
    for j in 0..k {
        let col = &mut x[j * k..(j + 1) * k];
        col[j] = sigma * (a[(j, j)] - shift);
        max_diag = max_diag.max(col[j].abs());
        for (i, v) in col.iter_mut().enumerate().skip(j + 1) {
            *v = sigma * a[(i, j)];
        }
    }
    cholesky_lower_in_place(&mut x, k).ok()?;
    let lower_entries = (0..k).flat_map(|j| x[j * k + j..(j + 1) * k].iter());
    let r_fro2 = sum_of_squares_upper(lower_entries, k * (k + 1) / 2);
    let max_r = (0..k).map(|j| x[j * k + j]).fold(1.0f64, f64::max);
    let kf = k as f64;
    let chol_backward = tol::gamma(k + 1).ok()? * r_fro2 + kf * (kf + 1.0) * ETA * max_r;
    let diag_rounding = 2.0 * UNIT_ROUNDOFF * max_diag;
    let margin = inflate(chol_backward, 4) + inflate(diag_rounding, 2);
    margin.is_finite().then_some(margin)
}

/// Try to certify `λ_max(A + E) ≤ μ` for every symmetric E with `‖E‖₂ ≤ input_error`, from the
/// trial shift `ν`: factor `fl(ν I − A)` (the shifted-Cholesky margin below); on success
/// `λ_max(A + E) ≤ μ = ν + m + input_error`, rounded up. `None` when the factorisation fails or
/// A is not a finite, exactly symmetric square matrix.
///
/// ```
/// use pai_graphon::linalg::certify_lambda_max_below;
/// let a = faer::mat![[2.0, 1.0], [1.0, 2.0]]; // eigenvalues 1 and 3
/// let mu = certify_lambda_max_below(a.as_ref(), 3.01, 0.0).unwrap();
/// assert!(mu >= 3.01 && mu < 3.01 + 1e-12);
/// assert!(certify_lambda_max_below(a.as_ref(), 2.99, 0.0).is_none());
/// ```
pub fn certify_lambda_max_below(a: MatRef<'_, f64>, nu: f64, input_error: f64) -> Option<f64> {
    check_symmetric(a).ok()?;
    if !(input_error >= 0.0 && input_error.is_finite() && nu.is_finite()) {
        return None;
    }
    let margin = shifted_cholesky_margin(a, -1.0, nu)?;
    let mu = inflate(nu + margin + input_error, 4);
    mu.is_finite().then_some(mu)
}

/// Try to certify `λ_min(A + E) ≥ ℓ` for every symmetric E with `‖E‖₂ ≤ input_error`, from the
/// trial shift `μ`: factor `fl(A − μ I)` (the shifted-Cholesky margin below); on success
/// `λ_min(A + E) ≥ ℓ = μ − m − input_error` (Weyl), rounded down. `None` when the factorisation
/// fails or A is not a finite, exactly symmetric square matrix.
///
/// ```
/// use pai_graphon::linalg::certify_lambda_min_above;
/// let a = faer::mat![[2.0, 1.0], [1.0, 2.0]]; // eigenvalues 1 and 3
/// let l = certify_lambda_min_above(a.as_ref(), 0.99, 1e-3).unwrap();
/// assert!(l <= 0.989 && l > 0.989 - 1e-12);
/// assert!(certify_lambda_min_above(a.as_ref(), 1.01, 0.0).is_none());
/// ```
pub fn certify_lambda_min_above(a: MatRef<'_, f64>, mu: f64, input_error: f64) -> Option<f64> {
    check_symmetric(a).ok()?;
    if !(input_error >= 0.0 && input_error.is_finite() && mu.is_finite()) {
        return None;
    }
    let margin = shifted_cholesky_margin(a, 1.0, mu)?;
    let total = inflate(margin + input_error, 2);
    // fl(μ − total) is within half an ulp of the exact difference: one step down covers it.
    let lower = next_down(mu - total);
    lower.is_finite().then_some(lower)
}

/// A certified positive lower bound on `λ_min(A + E)` for every symmetric E with
/// `‖E‖₂ ≤ input_error` (pass e.g. a kernel's rounding and quadrature bound; an entrywise bound
/// `|E_ij| ≤ e_ij` gives `‖E‖₂ ≤ max_i Σ_j e_ij`). The shift is chosen below an
/// inverse-iteration estimate θ of λ_min (Cholesky solves, a fixed number of steps, a fixed start
/// vector: sequential and deterministic), trying `μ = θ (1 − τ)` for growing gaps τ; the bound
/// comes from [`certify_lambda_min_above`] and never from the estimate.
///
/// Errors: [`LinalgError::Shape`] / [`LinalgError::NonFinite`] on bad input (A must be exactly
/// symmetric), [`LinalgError::NotPositiveDefinite`] when A itself does not factor,
/// [`LinalgError::Uncertified`] when no shift certifies a positive bound.
///
/// ```
/// use pai_graphon::linalg::{certified_lambda_min, LinalgError};
/// let a = faer::mat![[2.0, 1.0], [1.0, 2.0]]; // eigenvalues 1 and 3
/// let l = certified_lambda_min(a.as_ref(), 0.0).unwrap();
/// assert!(l <= 1.0 && l > 0.998);
/// // An input error as large as λ_min leaves nothing to certify.
/// assert!(matches!(certified_lambda_min(a.as_ref(), 1.0), Err(LinalgError::Uncertified { .. })));
/// // A singular matrix.
/// assert!(certified_lambda_min(faer::mat![[1.0, 1.0], [1.0, 1.0]].as_ref(), 0.0).is_err());
/// ```
pub fn certified_lambda_min(a: MatRef<'_, f64>, input_error: f64) -> Result<f64, LinalgError> {
    check_symmetric(a)?;
    if !(input_error >= 0.0 && input_error.is_finite()) {
        return Err(LinalgError::InputError { value: input_error });
    }
    let chol = Cholesky::factor(a)?;
    let theta = lambda_min_estimate(a, &chol)?;
    let uncertified = LinalgError::Uncertified {
        estimate: theta,
        input_error,
    };
    if theta.is_nan() || theta <= 0.0 {
        return Err(uncertified);
    }
    for gap in LAMBDA_MIN_GAPS {
        if let Some(lower) = certify_lambda_min_above(a, theta * (1.0 - gap), input_error) {
            // A larger gap only lowers the bound: the first shift that factors decides.
            return if lower > 0.0 {
                Ok(lower)
            } else {
                Err(uncertified)
            };
        }
    }
    Err(uncertified)
}

/// The Rayleigh quotient after inverse iteration from a fixed start vector (an estimate of
/// λ_min, at least λ_min in exact arithmetic).
fn lambda_min_estimate(a: MatRef<'_, f64>, chol: &Cholesky) -> Result<f64, LinalgError> {
    let n = a.nrows();
    // A fixed, irregular start vector (golden-ratio offsets), unlikely to be orthogonal to
    // the bottom eigenvector.
    let mut v: Vec<f64> = (0..n)
        .map(|i| 1.0 + (i as f64 * 0.618_033_988_749_895).fract())
        .collect();
    normalise(&mut v);
    let mut theta = rayleigh(a, &v);
    for _ in 0..INVERSE_ITERATION_STEPS {
        v = chol.solve(&v)?;
        normalise(&mut v);
        let next = rayleigh(a, &v);
        let settled = (next - theta).abs() <= 1e-12 * next.abs();
        theta = next;
        if settled {
            break;
        }
    }
    Ok(theta)
}

fn normalise(v: &mut [f64]) {
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// `vᵀAv` for a unit vector v.
fn rayleigh(a: MatRef<'_, f64>, v: &[f64]) -> f64 {
    let n = v.len();
    (0..n)
        .map(|i| v[i] * (0..n).map(|j| a[(i, j)] * v[j]).sum::<f64>())
        .sum()
}

/// A certified enclosure of `yᵀ(A + E)⁻¹y` for every symmetric E with `‖E‖₂ ≤ input_error`.
///
/// ```
/// use pai_graphon::linalg::certified_quadratic_inverse;
/// let a = faer::mat![[2.0, 0.0], [0.0, 4.0]];
/// // yᵀA⁻¹y = 4/2 + 4/4 = 3 for y = (2, 2).
/// let q = certified_quadratic_inverse(a.as_ref(), &[2.0, 2.0], 0.0).unwrap();
/// assert!(q.lower <= 3.0 && 3.0 <= q.upper);
/// assert!(q.lower <= q.estimate && q.estimate <= q.upper);
/// assert!(q.lambda_min_lower <= 2.0 && q.lambda_min_lower > 1.99);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuadraticEnclosure {
    /// A lower bound on `yᵀ(A + E)⁻¹y`.
    pub lower: f64,
    /// The computed value `‖fl(L⁻¹y)‖²`.
    pub estimate: f64,
    /// An upper bound on `yᵀ(A + E)⁻¹y`.
    pub upper: f64,
    /// The certified lower bound on `λ_min(A + E)` it rests on.
    pub lambda_min_lower: f64,
}

/// Enclose `yᵀ(A + E)⁻¹y` for all symmetric `‖E‖₂ ≤ input_error` (A exactly symmetric).
///
/// The computed `ẑ = fl(L̂⁻¹y)` satisfies `(L̂ + ΔL) ẑ = y` with `|ΔL| ≤ γ_n |L̂|` (Higham,
/// Theorem 8.5) and `L̂ L̂ᵀ = A + ΔA` with `‖ΔA‖₂ ≤ γ_(n+1) ‖L̂‖_F²` plus underflow (Theorem
/// 10.3), so `‖ẑ‖² = yᵀ(A + E + F)⁻¹y` for the exact `A + E` and some F with
/// `‖F‖₂ ≤ φ = input_error + (γ_(n+1) + 2γ_n + γ_n²) ‖L̂‖_F² + 2n(n+1)η max(1, max l̂_jj)`.
/// With `ℓ ≤ λ_min(A + E)` certified by [`certified_lambda_min`] and `r = φ/ℓ < 1`,
/// `(1 − r)(A + E) ⪯ A + E + F ⪯ (1 + r)(A + E)`, hence
/// `(1 − r) ‖ẑ‖² ≤ yᵀ(A + E)⁻¹y ≤ (1 + r) ‖ẑ‖²`; the rounding of `Σ ẑ_j²` (γ_n relative, nη
/// absolute) is added on both sides.
///
/// ```
/// use pai_graphon::linalg::certified_quadratic_inverse;
/// let a = faer::mat![[4.0, 2.0], [2.0, 3.0]];
/// // yᵀA⁻¹y = 3/8 for y = (1, 0).
/// let q = certified_quadratic_inverse(a.as_ref(), &[1.0, 0.0], 0.0).unwrap();
/// assert!(q.lower <= 0.375 && 0.375 <= q.upper);
/// // Width: 2r‖ẑ‖² with r = φ/ℓ, φ = (γ_3 + 2γ_2 + γ_2²)‖L‖_F² (‖L‖_F² = tr A = 7) plus 24η,
/// // inflated by (1 + 4γ_10)(1 + 4γ_4) and stepped up: below 1 + γ_64. Besides: ‖ẑ‖²'s
/// // inflations (4γ_6 up, 2γ_4 down), the final ones (4γ_4 up, 4u down), five directed
/// // roundings of at most 2u and the products' roundings: below γ_80.
/// let g = |k| pai_graphon::tol::gamma(k).unwrap();
/// let r = (g(3) + 2.0 * g(2) + g(2) * g(2)) * 7.0 / q.lambda_min_lower * (1.0 + g(64));
/// assert!(q.upper - q.lower <= (2.0 * r + g(80)) * q.upper);
/// let wide = certified_quadratic_inverse(a.as_ref(), &[1.0, 0.0], 1e-3).unwrap();
/// assert!(wide.lower < q.lower && wide.upper > q.upper);
/// // yᵀA⁻¹y ≈ 3/8 · 10⁴⁰⁰ does not fit in f64: refused, not enclosed in [x, +∞].
/// let huge = certified_quadratic_inverse(a.as_ref(), &[1e200, 0.0], 0.0).unwrap_err();
/// assert_eq!(huge, pai_graphon::linalg::LinalgError::Overflow { quantity: "yᵀA⁻¹y" });
/// ```
pub fn certified_quadratic_inverse(
    a: MatRef<'_, f64>,
    y: &[f64],
    input_error: f64,
) -> Result<QuadraticEnclosure, LinalgError> {
    let ell = certified_lambda_min(a, input_error)?;
    let chol = Cholesky::factor(a)?;
    let z = chol.forward(y)?;
    let n = chol.order();
    let nf = n as f64;
    let (g_n, g_n1) = (gamma_or_inf(n), gamma_or_inf(n + 1));
    let max_l = chol.diagonal().into_iter().fold(1.0f64, f64::max);
    let phi = inflate(
        input_error
            + (g_n1 + 2.0 * g_n + g_n * g_n) * chol.frobenius2_upper()
            + 2.0 * nf * (nf + 1.0) * ETA * max_l,
        8,
    );
    let r = inflate(phi / ell, 2);
    if r.is_nan() || r >= 1.0 {
        return Err(LinalgError::Uncertified {
            estimate: ell,
            input_error,
        });
    }
    let estimate: f64 = z.iter().map(|v| v * v).sum();
    let zz_upper = inflate(estimate + nf * ETA, n + 2);
    if !zz_upper.is_finite() {
        // ‖L⁻¹y‖² beyond f64::MAX (a huge y): an upper bound of +∞ would certify nothing.
        return Err(LinalgError::Overflow {
            quantity: "yᵀA⁻¹y"
        });
    }
    let zz_lower = next_down((estimate - nf * ETA) * (1.0 - 2.0 * gamma_or_inf(n + 2))).max(0.0);
    let upper = inflate(zz_upper * (1.0 + r), 2);
    let lower = next_down(next_down(zz_lower * (1.0 - r)) * (1.0 - 4.0 * UNIT_ROUNDOFF)).max(0.0);
    Ok(QuadraticEnclosure {
        lower,
        estimate,
        upper,
        lambda_min_lower: ell,
    })
}

/// γ_n, or +∞ when n u ≥ 1 (every bound built on it then fails safe).
fn gamma_or_inf(n: usize) -> f64 {
    tol::gamma(n).unwrap_or(f64::INFINITY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_and_exposes_its_diagonal() {
        // A = L Lᵀ with L = [[2, 0, 0], [1, 3, 0], [2, 1, 4]] (exact in f64).
        let a = faer::mat![[4.0, 2.0, 4.0], [2.0, 10.0, 5.0], [4.0, 5.0, 21.0]];
        let c = Cholesky::factor(a.as_ref()).unwrap();
        assert_eq!(c.diagonal(), vec![2.0, 3.0, 4.0]);
        // A · (1, −1, 2) = (10, 2, 41).
        let x = c.solve(&[10.0, 2.0, 41.0]).unwrap();
        for (got, want) in x.iter().zip([1.0, -1.0, 2.0]) {
            assert!((got - want).abs() < 1e-14, "{x:?}");
        }
    }
}
