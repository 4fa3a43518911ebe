//! Linear algebra on symmetric f64 matrices: Cholesky factorisation (one implementation, used
//! by the cut-norm certificate and the kernels), solves and quadratic forms `yᵀA⁻¹y` without
//! forming an inverse. Sequential and blocked, so results do not depend on the thread count.

use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, MatMut, MatRef, Par};
use std::fmt;

/// Column block of the blocked Cholesky factorisation.
const CHOLESKY_BLOCK: usize = 64;

/// A matrix the toolbox cannot factor.
#[derive(Clone, Debug, PartialEq)]
pub enum LinalgError {
    /// Not square, empty, or a right-hand side of the wrong length.
    Shape(String),
    /// A non-finite entry.
    NonFinite(String),
    /// The factorisation met a pivot that is not positive (the matrix is not positive definite
    /// in floating point).
    NotPositiveDefinite {
        /// The column of the failing pivot.
        pivot: usize,
    },
}

impl fmt::Display for LinalgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinalgError::Shape(m) => write!(f, "invalid matrix shape: {m}"),
            LinalgError::NonFinite(m) => write!(f, "non-finite matrix entry: {m}"),
            LinalgError::NotPositiveDefinite { pivot } => write!(
                f,
                "matrix is not positive definite (Cholesky pivot {pivot} is not positive)"
            ),
        }
    }
}

impl std::error::Error for LinalgError {}

/// The Cholesky factor `A = L Lᵀ` of a symmetric positive definite matrix, from its lower
/// triangle after symmetrising: `(A + Aᵀ)/2` is what is factored.
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
    /// assert!((c.quadratic_inverse(&[1.0, 0.0]).unwrap() - 3.0 / 8.0).abs() < 1e-15);
    /// assert!(Cholesky::factor(faer::mat![[1.0, 2.0], [2.0, 1.0]].as_ref()).is_err());
    /// ```
    pub fn factor(a: MatRef<'_, f64>) -> Result<Self, LinalgError> {
        let n = a.nrows();
        if n == 0 || a.ncols() != n {
            return Err(LinalgError::Shape(format!(
                "need a non-empty square matrix, got {}×{}",
                a.nrows(),
                a.ncols()
            )));
        }
        let mut l = vec![0.0; n * n];
        for j in 0..n {
            for i in j..n {
                let v = 0.5 * (a[(i, j)] + a[(j, i)]);
                if !v.is_finite() {
                    return Err(LinalgError::NonFinite(format!("entry ({i}, {j}) is {v}")));
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
    /// assert!((x[0] - 1.0).abs() < 1e-15 && (x[1] - 1.0).abs() < 1e-15);
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
    /// let c = pai_graphon::linalg::Cholesky::factor(faer::mat![[2.0]].as_ref()).unwrap();
    /// assert_eq!(c.quadratic_inverse(&[2.0]).unwrap(), 2.0);
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

    fn check_rhs(&self, b: &[f64]) -> Result<(), LinalgError> {
        if b.len() != self.n {
            return Err(LinalgError::Shape(format!(
                "right-hand side has length {}, the matrix order is {}",
                b.len(),
                self.n
            )));
        }
        if let Some(v) = b.iter().find(|v| !v.is_finite()) {
            return Err(LinalgError::NonFinite(format!("right-hand side entry {v}")));
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
            triangular::matmul(
                trailing,
                BlockStructure::TriangularLower,
                Accum::Add,
                panel,
                BlockStructure::Rectangular,
                panel.transpose(),
                BlockStructure::Rectangular,
                -1.0,
                Par::Seq,
            );
        }
        j0 = j1;
    }
    Ok(())
}
