//! Bipartite step graphons over f64 and over exact rationals. Claim TOOL-4
//! (`theory/toolbox.md`).
//!
//! A bipartite step graphon W on [0, 1]² has a row partition of [0, 1] into m cells of widths
//! α_1..α_m (> 0, summing to 1), a column partition into n cells of widths β_1..β_n and a value
//! W_ij ∈ [0, 1] on each rectangle. It need not be square or symmetric: rows are hidden neurons
//! (u), columns are input coordinates (v), as in the paper's masks.
//!
//! * `t(K2) = Σ_ij α_i β_j W_ij` ([`StepGraphon::density`]),
//! * `t(C4) = Σ_{i,i'} α_i α_i' (Σ_j β_j W_ij W_i'j)²` ([`StepGraphon::c4_density`]),
//! * `q(u) = ∫ W(u, v) dv`, `p(v) = ∫ W(u, v) du` ([`StepGraphon::row_degrees`],
//!   [`StepGraphon::col_degrees`]).
//!
//! One generic type serves both number kinds through [`Scalar`]: `StepGraphon<BigRational>`
//! computes every quantity exactly (compare with `==`), `StepGraphon<f64>` is the fast path whose
//! rounding error is bounded by Higham's `γ_K` with the `K` given by [`density_roundings`],
//! [`c4_roundings`] and [`degree_roundings`]. The two meet only through the named conversions
//! [`StepGraphon::to_f64`] and [`StepGraphon::from_f64`].
//!
//! Cells are half-open, `[a, b)`, except the last, which is closed: a breakpoint belongs to the
//! cell on its right and the point 1 to the last cell ([`StepGraphon::evaluate`]).
//!
//! TOOL-4 checks, exactly, that density, t(C4) and the degree functions are unchanged by a
//! common refinement, and that `t(C4) ≥ t(K2)^4` with equality exactly for constant graphons.
//!
//! ```
//! use num_rational::BigRational;
//! use pai_graphon::graphon::step::StepGraphon;
//! let g = StepGraphon::uniform(vec![vec![1.0, 0.0], vec![0.5, 0.5]]).unwrap();
//! // Not constant, so t(C4) = 7/64 exceeds t(K2)^4 = 1/16 (dyadic values: f64 is exact here).
//! assert_eq!((g.density(), g.c4_density()), (0.5, 7.0 / 64.0));
//! // The same graphon in exact arithmetic, and back.
//! let exact = StepGraphon::<BigRational>::from_f64(&g).unwrap();
//! assert_eq!(exact.to_f64().unwrap(), g);
//! ```

use super::{GraphonError, PartitionProblem};
use crate::linalg::ETA;
use crate::tol;
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Num, One, Signed, ToPrimitive};
use std::cmp::Ordering;
use std::fmt;

mod sealed {
    /// Keeps [`super::Scalar`] to the two number kinds whose validation rules are stated.
    ///
    /// Public in a private module, so other crates can name neither it nor a way to implement
    /// `Scalar`; the two implementers are these:
    ///
    /// ```
    /// use num_rational::BigRational;
    /// use pai_graphon::graphon::step::Scalar;
    /// fn is_scalar<T: Scalar>() {}
    /// is_scalar::<f64>();
    /// is_scalar::<BigRational>();
    /// ```
    pub trait Sealed {}
    impl Sealed for f64 {}
    impl Sealed for num_rational::BigRational {}
}

/// The numbers a step graphon can hold: `f64` (rounded) and `BigRational` (exact).
///
/// The two differ only in validation: an f64 must be finite, and f64 widths may miss 1 by the
/// rounding allowance of [`Scalar::widths_sum_to_one`]; rational widths must sum to 1 exactly.
///
/// ```
/// use pai_graphon::graphon::step::Scalar;
/// use num_rational::BigRational;
/// let third = BigRational::new(1.into(), 3.into());
/// assert!(BigRational::widths_sum_to_one(&[third.clone(), third.clone(), third]));
/// assert!(f64::widths_sum_to_one(&[1.0 / 3.0; 3]));
/// assert!(!f64::widths_sum_to_one(&[0.5, 0.5 + 1e-12]));
/// ```
pub trait Scalar:
    sealed::Sealed + Clone + PartialOrd + fmt::Debug + fmt::Display + Num + Signed
{
    /// Ok for every rational; for f64, an error unless the number is finite.
    fn check_finite(&self) -> Result<(), GraphonError>;

    /// Whether positive widths sum to 1: exactly for rationals. For f64, within
    /// `tol::sum_allowance(n + 2, Σ w) = γ_(n+1) Σ w`: the n − 1 roundings of the sum plus one
    /// rounding in each width's own computation (a quotient `1/m`, a difference of breakpoints,
    /// a rounded rational), with one unit roundoff to spare for computing the bound itself.
    fn widths_sum_to_one(widths: &[Self]) -> bool;

    /// The integer `k` as a scalar (exact for f64 up to 2^53).
    fn from_count(k: usize) -> Self;

    /// The nearest f64 (rounded for rationals), for error reports.
    fn to_f64_lossy(&self) -> f64;
}

impl Scalar for f64 {
    fn check_finite(&self) -> Result<(), GraphonError> {
        if self.is_finite() {
            Ok(())
        } else {
            Err(GraphonError::NonFinite(*self))
        }
    }

    fn widths_sum_to_one(widths: &[f64]) -> bool {
        let sum: f64 = widths.iter().sum();
        let sum_abs: f64 = widths.iter().map(|w| w.abs()).sum();
        match tol::sum_allowance(widths.len() + 2, sum_abs) {
            Ok(allowance) => (sum - 1.0).abs() <= allowance,
            Err(_) => false,
        }
    }

    fn from_count(k: usize) -> f64 {
        k as f64
    }

    fn to_f64_lossy(&self) -> f64 {
        *self
    }
}

impl Scalar for BigRational {
    fn check_finite(&self) -> Result<(), GraphonError> {
        Ok(())
    }

    fn widths_sum_to_one(widths: &[BigRational]) -> bool {
        sum(widths.iter().cloned()).is_one()
    }

    fn from_count(k: usize) -> BigRational {
        BigRational::from_integer(BigInt::from(k))
    }

    fn to_f64_lossy(&self) -> f64 {
        self.to_f64().unwrap_or(f64::NAN)
    }
}

/// Rounding count K of [`StepGraphon::density`] in f64 on an m × n graphon: the computed value
/// lies within `γ_K · t(K2)` of the exact density of the same f64 inputs (all terms are
/// non-negative; Higham, Lemma 3.1; no underflow). Each term `α_i (β_j W_ij)` meets two
/// products, n − 1 additions in its row sum and m − 1 in the outer sum.
///
/// ```
/// assert_eq!(pai_graphon::graphon::step::density_roundings(3, 4), 7);
/// ```
pub fn density_roundings(m: usize, n: usize) -> usize {
    m + n
}

/// Rounding count K of [`StepGraphon::c4_density`] in f64 on an m × n graphon (relative error
/// `γ_K`, non-negative terms). A co-degree `Σ_j (β_j W_ij) W_i'j` carries n + 1 roundings, its
/// square 2n + 3, the weight `α_i'` one more, the sum over i' at most m − 1, the diagonal term
/// one, the weight `α_i` one and the outer sum m − 1: 2n + 2m + 3, rounded up to 2n + 2m + 4 to
/// cover the m = 1 case, where the diagonal term's path is the longest.
///
/// ```
/// assert_eq!(pai_graphon::graphon::step::c4_roundings(2, 3), 14);
/// ```
pub fn c4_roundings(m: usize, n: usize) -> usize {
    2 * n + 2 * m + 4
}

/// Absolute allowance for underflow in [`StepGraphon::density`] in f64 on an m × n graphon,
/// added to the relative `γ_K t(K2)` of [`density_roundings`], which alone fails when products
/// underflow (a graphon with subnormal values: `t(K2) = 5e-324` computed as 0). With gradual
/// underflow a product errs by `δ x + ε`, `|ε| ≤ η/2` (η = 2⁻¹⁰⁷⁴), and sums only relatively
/// (Higham §2.1). The n products `β_j W_ij` of a row are weighted by `α_i` (`Σ α = 1`) and the
/// m products `α_i q_i` enter once: `(n + m) η/2 (1 + γ_K) ≤ (n + m) η`.
///
/// ```
/// use pai_graphon::graphon::step::{density_underflow, StepGraphon};
/// let g = StepGraphon::uniform(vec![vec![5e-324, 0.0]]).unwrap();
/// // t(K2) = η/2 exactly, computed as 0: within the allowance of 3 η.
/// assert_eq!(g.density(), 0.0);
/// assert_eq!(density_underflow(1, 2), 3.0 * 5e-324);
/// ```
pub fn density_underflow(m: usize, n: usize) -> f64 {
    (m + n) as f64 * ETA
}

/// Absolute allowance for underflow in [`StepGraphon::c4_density`] in f64 on an m × n graphon
/// (added to `γ_K t(C4)`, K = [`c4_roundings`]). A co-degree `C ≤ 1` errs by at most `n η`
/// absolutely (two products per term, the first scaled by `W ≤ 1`), its square by
/// `2nη + η/2` (`|2C| ≤ 2`), and the products by `α_k`, by `α_i` and the outer ones add η/2
/// each; the weights sum to 1 and the off-diagonal terms count twice, which gives
/// `(4n + 2m + 3) η/2 · 2`, rounded up to `(8n + 4m + 8) η` to cover the `(1 + γ_K)` growth.
///
/// ```
/// use pai_graphon::graphon::step::{c4_underflow, StepGraphon};
/// let g = StepGraphon::uniform(vec![vec![5e-324]]).unwrap();
/// assert_eq!(g.c4_density(), 0.0); // t(C4) = η⁴
/// assert_eq!(c4_underflow(1, 1), 20.0 * 5e-324);
/// ```
pub fn c4_underflow(m: usize, n: usize) -> f64 {
    (8 * n + 4 * m + 8) as f64 * ETA
}

/// Absolute allowance for underflow in one degree value in f64 averaging `cells` cells (added
/// to the relative `γ_K` of [`degree_roundings`]): `cells` products, each `η/2`, weighted by
/// at most 1, `(1 + γ)` aside: `cells · η`.
///
/// ```
/// use pai_graphon::graphon::step::{degree_underflow, StepGraphon};
/// let g = StepGraphon::uniform(vec![vec![5e-324, 5e-324]]).unwrap();
/// // q = η exactly, computed as η/2 + η/2 rounded to even: 0 + 0.
/// assert_eq!(g.row_degrees(), vec![0.0]);
/// assert_eq!(degree_underflow(2), 2.0 * 5e-324);
/// ```
pub fn degree_underflow(cells: usize) -> f64 {
    cells as f64 * ETA
}

/// Rounding count K of one degree value in f64 when it averages `cells` cells
/// ([`StepGraphon::row_degrees`] with `cells = n`, [`StepGraphon::col_degrees`] with
/// `cells = m`): one product per term and `cells − 1` additions.
///
/// ```
/// assert_eq!(pai_graphon::graphon::step::degree_roundings(5), 5);
/// ```
pub fn degree_roundings(cells: usize) -> usize {
    cells
}

/// A bipartite step graphon: row widths α (m), column widths β (n) and values W (m × n) in
/// [0, 1]. Invariants (checked by every public constructor): m, n ≥ 1, widths positive and
/// summing to 1 (see [`Scalar::widths_sum_to_one`]), values finite and in [0, 1].
///
/// ```
/// use pai_graphon::graphon::step::StepGraphon;
/// use num_rational::BigRational;
/// let r = |a: i64, b: i64| BigRational::new(a.into(), b.into());
/// // Rows of widths 1/3, 2/3; columns 1/2, 1/2.
/// let g = StepGraphon::new(
///     vec![r(1, 3), r(2, 3)],
///     vec![r(1, 2), r(1, 2)],
///     vec![vec![r(1, 1), r(1, 2)], vec![r(0, 1), r(1, 2)]],
/// )
/// .unwrap();
/// assert_eq!(g.density(), r(5, 12));
/// assert_eq!(g.c4_density(), r(11, 192));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct StepGraphon<T> {
    pub(crate) row_widths: Vec<T>,
    pub(crate) col_widths: Vec<T>,
    /// Row-major, `rows × cols`.
    pub(crate) values: Vec<T>,
}

/// `Σ x` from zero; the first addition is exact, so an n-term sum rounds n − 1 times.
pub(crate) fn sum<T: Scalar>(xs: impl IntoIterator<Item = T>) -> T {
    xs.into_iter().fold(T::zero(), |acc, x| acc + x)
}

fn check_widths<T: Scalar>(widths: &[T], side: &'static str) -> Result<(), GraphonError> {
    if widths.is_empty() {
        return Err(GraphonError::Empty);
    }
    for (k, w) in widths.iter().enumerate() {
        w.check_finite()?;
        if *w <= T::zero() {
            return Err(GraphonError::Partition {
                side,
                problem: PartitionProblem::Width {
                    index: k,
                    width: w.to_f64_lossy(),
                },
            });
        }
    }
    if !T::widths_sum_to_one(widths) {
        let total = sum(widths.iter().cloned());
        return Err(GraphonError::Partition {
            side,
            problem: PartitionProblem::Sum {
                total: total.to_f64_lossy(),
            },
        });
    }
    Ok(())
}

fn check_value<T: Scalar>(v: &T, i: usize, j: usize) -> Result<(), GraphonError> {
    v.check_finite()?;
    if *v < T::zero() || *v > T::one() {
        return Err(GraphonError::OutOfRange {
            row: i,
            col: j,
            value: v.to_f64_lossy(),
        });
    }
    Ok(())
}

/// Widths from breakpoints `0 = b_0 < b_1 < … < b_k = 1`.
fn widths_from_breakpoints<T: Scalar>(
    breaks: &[T],
    side: &'static str,
) -> Result<Vec<T>, GraphonError> {
    if breaks.len() < 2 {
        return Err(GraphonError::Empty);
    }
    for b in breaks {
        b.check_finite()?;
    }
    let (first, last) = (&breaks[0], &breaks[breaks.len() - 1]);
    if !first.is_zero() || !last.is_one() {
        return Err(GraphonError::Partition {
            side,
            problem: PartitionProblem::Ends {
                first: first.to_f64_lossy(),
                last: last.to_f64_lossy(),
            },
        });
    }
    let mut widths = Vec::with_capacity(breaks.len() - 1);
    for (k, pair) in breaks.windows(2).enumerate() {
        if pair[1] <= pair[0] {
            return Err(GraphonError::Partition {
                side,
                problem: PartitionProblem::NotIncreasing { index: k },
            });
        }
        widths.push(pair[1].clone() - pair[0].clone());
    }
    Ok(widths)
}

/// Breakpoints `0, α_1, α_1 + α_2, …, 1`: exact for rationals; for f64 the running sums are
/// rounded, capped at 1, and the last is set to exactly 1 so that the cells cover [0, 1].
fn breakpoints_of<T: Scalar>(widths: &[T]) -> Vec<T> {
    let mut breaks = Vec::with_capacity(widths.len() + 1);
    let mut acc = T::zero();
    breaks.push(acc.clone());
    for w in &widths[..widths.len() - 1] {
        acc = acc + w.clone();
        if acc > T::one() {
            acc = T::one();
        }
        breaks.push(acc.clone());
    }
    breaks.push(T::one());
    breaks
}

/// The sorted union of two sorted lists, without repeats.
fn merge_sorted<T: Scalar>(a: &[T], b: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut k) = (0, 0);
    while i < a.len() || k < b.len() {
        let next = match (a.get(i), b.get(k)) {
            (Some(x), Some(y)) if x <= y => {
                i += 1;
                x
            }
            (Some(x), None) => {
                i += 1;
                x
            }
            (_, Some(y)) => {
                k += 1;
                y
            }
            (None, None) => break,
        };
        if out.last() != Some(next) {
            out.push(next.clone());
        }
    }
    out
}

/// For each cell of the partition `fine` (which contains every point of `own`), the index of
/// the cell of `own` that contains it.
fn parent_cells<T: Scalar>(own: &[T], fine: &[T]) -> Vec<usize> {
    let last_cell = own.len() - 2;
    let mut parent = 0;
    fine[..fine.len() - 1]
        .iter()
        .map(|left| {
            while parent < last_cell && own[parent + 1] <= *left {
                parent += 1;
            }
            parent
        })
        .collect()
}

/// Extra breakpoints, checked to lie in [0, 1], sorted.
fn sorted_breaks<T: Scalar>(breaks: &[T], side: &'static str) -> Result<Vec<T>, GraphonError> {
    let mut sorted = breaks.to_vec();
    for b in &sorted {
        b.check_finite()?;
        if *b < T::zero() || *b > T::one() {
            return Err(GraphonError::Partition {
                side,
                problem: PartitionProblem::Outside {
                    value: b.to_f64_lossy(),
                },
            });
        }
    }
    sorted.sort_by(|x, y| x.partial_cmp(y).unwrap_or(Ordering::Equal));
    Ok(sorted)
}

fn cell_index<T: Scalar>(breaks: &[T], x: &T, name: &'static str) -> Result<usize, GraphonError> {
    x.check_finite()?;
    if *x < T::zero() || *x > T::one() {
        return Err(GraphonError::Point {
            name,
            value: x.to_f64_lossy(),
        });
    }
    // Interior breakpoints ≤ x: a breakpoint starts the cell on its right; 1 is in the last.
    Ok(breaks[1..breaks.len() - 1].partition_point(|b| b <= x))
}

impl<T: Scalar> StepGraphon<T> {
    /// A step graphon from row widths (m), column widths (n) and m rows of n values.
    ///
    /// Errors: [`GraphonError::Empty`] for no rows or columns, [`GraphonError::Shape`] when
    /// `values` is not m × n, [`GraphonError::NonFinite`] for an f64 NaN or infinity,
    /// [`GraphonError::Partition`] for a width ≤ 0 or widths not summing to 1,
    /// [`GraphonError::OutOfRange`] for a value outside [0, 1].
    ///
    /// ```
    /// use pai_graphon::graphon::{step::StepGraphon, GraphonError};
    /// let g = StepGraphon::new(vec![0.25, 0.75], vec![1.0], vec![vec![0.5], vec![1.0]]).unwrap();
    /// assert_eq!(g.density(), 0.875);
    /// let bad = StepGraphon::new(vec![0.5, 0.6], vec![1.0], vec![vec![0.5], vec![1.0]]);
    /// assert!(matches!(bad, Err(GraphonError::Partition { side: "row", .. })));
    /// ```
    pub fn new(
        row_widths: Vec<T>,
        col_widths: Vec<T>,
        values: Vec<Vec<T>>,
    ) -> Result<Self, GraphonError> {
        check_widths(&row_widths, "row")?;
        check_widths(&col_widths, "column")?;
        let (m, n) = (row_widths.len(), col_widths.len());
        if values.len() != m {
            return Err(GraphonError::Shape {
                what: "rows",
                expected: m,
                found: values.len(),
            });
        }
        if let Some(row) = values.iter().find(|row| row.len() != n) {
            return Err(GraphonError::Shape {
                what: "values in a row",
                expected: n,
                found: row.len(),
            });
        }
        for (i, row) in values.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                check_value(v, i, j)?;
            }
        }
        Ok(StepGraphon {
            row_widths,
            col_widths,
            values: values.into_iter().flatten().collect(),
        })
    }

    /// Equal widths `1/m` and `1/n` for an m × n matrix of values (the step graphon of a
    /// matrix, e.g. a mask).
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// use num_rational::BigRational;
    /// let r = |a: i64, b: i64| BigRational::new(a.into(), b.into());
    /// // The identity pattern: t(C4) = 1/8 = 2 t(K2)^4.
    /// let g = StepGraphon::uniform(vec![vec![r(1, 1), r(0, 1)], vec![r(0, 1), r(1, 1)]]).unwrap();
    /// assert_eq!(g.density(), r(1, 2));
    /// assert_eq!(g.c4_density(), r(1, 8));
    /// ```
    pub fn uniform(values: Vec<Vec<T>>) -> Result<Self, GraphonError> {
        let m = values.len();
        let n = values.first().map_or(0, Vec::len);
        if m == 0 || n == 0 {
            return Err(GraphonError::Empty);
        }
        let equal = |k: usize| vec![T::one() / T::from_count(k); k];
        Self::new(equal(m), equal(n), values)
    }

    /// A step graphon from breakpoints `0 = a_0 < … < a_m = 1` (rows) and
    /// `0 = b_0 < … < b_n = 1` (columns); the first must be exactly 0 and the last exactly 1.
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// let g = StepGraphon::from_breakpoints(
    ///     &[0.0, 0.25, 1.0], &[0.0, 1.0], vec![vec![1.0], vec![0.0]],
    /// ).unwrap();
    /// assert_eq!(g.row_widths(), &[0.25, 0.75]);
    /// assert_eq!(g.density(), 0.25);
    /// ```
    pub fn from_breakpoints(
        row_breaks: &[T],
        col_breaks: &[T],
        values: Vec<Vec<T>>,
    ) -> Result<Self, GraphonError> {
        let rows = widths_from_breakpoints(row_breaks, "row")?;
        let cols = widths_from_breakpoints(col_breaks, "column")?;
        Self::new(rows, cols, values)
    }

    /// `(m, n)`: the numbers of row and column cells.
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// let g = StepGraphon::uniform(vec![vec![0.5, 0.5, 0.5]]).unwrap();
    /// assert_eq!(g.shape(), (1, 3));
    /// ```
    pub fn shape(&self) -> (usize, usize) {
        (self.row_widths.len(), self.col_widths.len())
    }

    /// The row widths α.
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// let g = StepGraphon::uniform(vec![vec![1.0], vec![0.0]]).unwrap();
    /// assert_eq!(g.row_widths(), &[0.5, 0.5]);
    /// ```
    pub fn row_widths(&self) -> &[T] {
        &self.row_widths
    }

    /// The column widths β.
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// let g = StepGraphon::uniform(vec![vec![1.0, 0.0]]).unwrap();
    /// assert_eq!(g.col_widths(), &[0.5, 0.5]);
    /// ```
    pub fn col_widths(&self) -> &[T] {
        &self.col_widths
    }

    /// The value `W_ij` on row cell i and column cell j, or `None` outside the shape.
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// let g = StepGraphon::uniform(vec![vec![0.25, 0.5], vec![0.75, 1.0]]).unwrap();
    /// assert_eq!(g.value(1, 0), Some(&0.75));
    /// assert_eq!(g.value(2, 0), None);
    /// ```
    pub fn value(&self, i: usize, j: usize) -> Option<&T> {
        let (m, n) = self.shape();
        (i < m && j < n).then(|| &self.values[i * n + j])
    }

    pub(crate) fn row(&self, i: usize) -> &[T] {
        let n = self.col_widths.len();
        &self.values[i * n..(i + 1) * n]
    }

    /// Row breakpoints `0, α_1, α_1 + α_2, …, 1` (m + 1 of them). Exact for rationals; for f64
    /// running sums, capped at 1, the last exactly 1.
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// let g = StepGraphon::new(vec![0.25, 0.75], vec![1.0], vec![vec![0.0], vec![1.0]]).unwrap();
    /// assert_eq!(g.row_breakpoints(), vec![0.0, 0.25, 1.0]);
    /// ```
    pub fn row_breakpoints(&self) -> Vec<T> {
        breakpoints_of(&self.row_widths)
    }

    /// Column breakpoints `0, β_1, …, 1` (n + 1 of them), as [`Self::row_breakpoints`].
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// let g = StepGraphon::uniform(vec![vec![0.0, 1.0, 0.5, 0.5]]).unwrap();
    /// assert_eq!(g.col_breakpoints(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    /// ```
    pub fn col_breakpoints(&self) -> Vec<T> {
        breakpoints_of(&self.col_widths)
    }

    /// The row cell containing `u ∈ [0, 1]`: cells are `[a, b)`, the last `[a, 1]`.
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// let g = StepGraphon::uniform(vec![vec![1.0], vec![0.0]]).unwrap();
    /// assert_eq!(g.row_cell(&0.5).unwrap(), 1);
    /// assert_eq!(g.row_cell(&1.0).unwrap(), 1);
    /// assert!(g.row_cell(&1.5).is_err());
    /// ```
    pub fn row_cell(&self, u: &T) -> Result<usize, GraphonError> {
        cell_index(&self.row_breakpoints(), u, "u")
    }

    /// The column cell containing `v ∈ [0, 1]`, as [`Self::row_cell`].
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// let g = StepGraphon::uniform(vec![vec![1.0, 0.0, 1.0]]).unwrap();
    /// assert_eq!(g.col_cell(&0.0).unwrap(), 0);
    /// assert_eq!(g.col_cell(&0.5).unwrap(), 1);
    /// ```
    pub fn col_cell(&self, v: &T) -> Result<usize, GraphonError> {
        cell_index(&self.col_breakpoints(), v, "v")
    }

    /// `W(u, v)` for `u, v ∈ [0, 1]`. A breakpoint belongs to the cell on its right (cells
    /// `[a, b)`), and 1 to the last cell. Points outside [0, 1] give
    /// [`GraphonError::OutOfRange`], an f64 NaN [`GraphonError::NonFinite`].
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// let g = StepGraphon::uniform(vec![vec![0.25, 0.5], vec![0.75, 1.0]]).unwrap();
    /// assert_eq!(g.evaluate(&0.5, &0.0).unwrap(), 0.75);
    /// assert_eq!(g.evaluate(&0.49, &1.0).unwrap(), 0.5);
    /// assert!(g.evaluate(&f64::NAN, &0.0).is_err());
    /// ```
    pub fn evaluate(&self, u: &T, v: &T) -> Result<T, GraphonError> {
        let (i, j) = (self.row_cell(u)?, self.col_cell(v)?);
        Ok(self.row(i)[j].clone())
    }

    /// The edge density `t(K2) = ∫ W = Σ_i α_i Σ_j β_j W_ij`. In f64 the rounding error is at
    /// most `γ_K t(K2)` with `K` = [`density_roundings`], plus [`density_underflow`].
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// let g = StepGraphon::uniform(vec![vec![1.0, 0.0], vec![1.0, 1.0]]).unwrap();
    /// assert_eq!(g.density(), 0.75);
    /// ```
    pub fn density(&self) -> T {
        let q = self.row_degrees();
        sum(self.row_widths.iter().zip(q).map(|(a, qi)| a.clone() * qi))
    }

    /// The row degrees `q_i = Σ_j β_j W_ij`: the degree function `q(u) = ∫ W(u, v) dv` on each
    /// row cell. In f64 each is within `γ_n q_i` ([`degree_roundings`]) plus
    /// [`degree_underflow`]`(n)`.
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// let g = StepGraphon::uniform(vec![vec![1.0, 0.0], vec![1.0, 1.0]]).unwrap();
    /// assert_eq!(g.row_degrees(), vec![0.5, 1.0]);
    /// ```
    pub fn row_degrees(&self) -> Vec<T> {
        (0..self.row_widths.len())
            .map(|i| {
                let terms = self.col_widths.iter().zip(self.row(i));
                sum(terms.map(|(b, w)| b.clone() * w.clone()))
            })
            .collect()
    }

    /// The column degrees `p_j = Σ_i α_i W_ij`: the degree function `p(v) = ∫ W(u, v) du` on
    /// each column cell. In f64 each is within `γ_m p_j` ([`degree_roundings`]) plus
    /// [`degree_underflow`]`(m)`.
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// let g = StepGraphon::uniform(vec![vec![1.0, 0.0], vec![1.0, 1.0]]).unwrap();
    /// assert_eq!(g.col_degrees(), vec![1.0, 0.5]);
    /// ```
    pub fn col_degrees(&self) -> Vec<T> {
        (0..self.col_widths.len())
            .map(|j| {
                let n = self.col_widths.len();
                let terms = self.row_widths.iter().enumerate();
                sum(terms.map(|(i, a)| a.clone() * self.values[i * n + j].clone()))
            })
            .collect()
    }

    /// Co-degree of row cells i and k: `Σ_j (β_j W_ij) W_kj`.
    fn codegree(&self, i: usize, k: usize) -> T {
        let terms = self
            .col_widths
            .iter()
            .zip(self.row(i).iter().zip(self.row(k)));
        sum(terms.map(|(b, (wi, wk))| b.clone() * wi.clone() * wk.clone()))
    }

    /// The bipartite 4-cycle density `t(C4) = ∫ W(u,v) W(u,v') W(u',v) W(u',v')
    /// = Σ_{i,i'} α_i α_i' C_ii'²` with co-degrees `C_ii' = Σ_j β_j W_ij W_i'j`; O(m² n), using
    /// the symmetry of C. Always `≥ t(K2)^4`, with equality iff W is constant (TOOL-4). In f64
    /// the rounding error is at most `γ_K t(C4)` with `K` = [`c4_roundings`], plus
    /// [`c4_underflow`].
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// use num_rational::BigRational;
    /// let r = |a: i64, b: i64| BigRational::new(a.into(), b.into());
    /// let g = StepGraphon::uniform(vec![vec![r(1, 1), r(1, 2)], vec![r(0, 1), r(1, 2)]]).unwrap();
    /// // Co-degrees 5/8, 1/8, 1/8: t(C4) = (25/64 + 2/64 + 1/64) / 4.
    /// assert_eq!(g.c4_density(), r(7, 64));
    /// assert!(g.c4_density() > g.density().pow(4));
    /// ```
    pub fn c4_density(&self) -> T {
        let m = self.row_widths.len();
        let alpha = &self.row_widths;
        let two = T::one() + T::one();
        sum((0..m).map(|i| {
            let c_ii = self.codegree(i, i);
            let off = sum((i + 1..m).map(|k| {
                let c = self.codegree(i, k);
                alpha[k].clone() * (c.clone() * c)
            }));
            let diagonal = alpha[i].clone() * (c_ii.clone() * c_ii);
            alpha[i].clone() * (diagonal + two.clone() * off)
        }))
    }

    /// Whether every value is the same (for a step graphon with positive widths: a.e.
    /// constant, i.e. homogeneous).
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// assert!(StepGraphon::uniform(vec![vec![0.3, 0.3]]).unwrap().is_constant());
    /// assert!(!StepGraphon::uniform(vec![vec![0.3, 0.4]]).unwrap().is_constant());
    /// ```
    pub fn is_constant(&self) -> bool {
        self.values.iter().all(|v| *v == self.values[0])
    }

    /// The same graphon on the partitions given by sorted breakpoint lists that contain all of
    /// this graphon's own breakpoints.
    fn refined_on(&self, row_fine: &[T], col_fine: &[T]) -> Self {
        let widths = |fine: &[T]| -> Vec<T> {
            fine.windows(2)
                .map(|p| p[1].clone() - p[0].clone())
                .collect()
        };
        let row_parent = parent_cells(&self.row_breakpoints(), row_fine);
        let col_parent = parent_cells(&self.col_breakpoints(), col_fine);
        let values = row_parent
            .iter()
            .flat_map(|&i| col_parent.iter().map(move |&j| self.row(i)[j].clone()))
            .collect();
        StepGraphon {
            row_widths: widths(row_fine),
            col_widths: widths(col_fine),
            values,
        }
    }

    /// The same graphon on finer partitions: every point of `row_breaks` (and `col_breaks`)
    /// in [0, 1] becomes a breakpoint; points already there, 0 and 1 change nothing. Exact for
    /// rationals: every quantity of this module is unchanged (TOOL-4).
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// use num_rational::BigRational;
    /// let r = |a: i64, b: i64| BigRational::new(a.into(), b.into());
    /// let g = StepGraphon::uniform(vec![vec![r(1, 1), r(1, 3)]]).unwrap();
    /// let fine = g.refine(&[r(1, 3)], &[r(1, 4), r(1, 2)]).unwrap();
    /// assert_eq!(fine.shape(), (2, 3));
    /// assert_eq!(fine.c4_density(), g.c4_density());
    /// ```
    pub fn refine(&self, row_breaks: &[T], col_breaks: &[T]) -> Result<Self, GraphonError> {
        let rows = merge_sorted(&self.row_breakpoints(), &sorted_breaks(row_breaks, "row")?);
        let cols = merge_sorted(
            &self.col_breakpoints(),
            &sorted_breaks(col_breaks, "column")?,
        );
        Ok(self.refined_on(&rows, &cols))
    }

    /// Both graphons on the common refinement of their partitions (the union of their
    /// breakpoints), so that they can be compared cell by cell. Exact for rationals.
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// let a = StepGraphon::uniform(vec![vec![1.0], vec![0.0]]).unwrap();
    /// let b = StepGraphon::from_breakpoints(&[0.0, 0.25, 1.0], &[0.0, 1.0], vec![vec![0.5], vec![0.5]]).unwrap();
    /// let (fa, fb) = a.refine_to_common(&b);
    /// assert_eq!(fa.row_widths(), &[0.25, 0.25, 0.5]);
    /// assert_eq!(fb.shape(), (3, 1));
    /// ```
    pub fn refine_to_common(&self, other: &Self) -> (Self, Self) {
        let rows = merge_sorted(&self.row_breakpoints(), &other.row_breakpoints());
        let cols = merge_sorted(&self.col_breakpoints(), &other.col_breakpoints());
        (
            self.refined_on(&rows, &cols),
            other.refined_on(&rows, &cols),
        )
    }

    /// `Σ_kl α_k β_l f(U_kl, W_kl)` on the common refinement.
    fn integrate_pair(&self, other: &Self, f: impl Fn(T, T) -> T) -> T {
        let (a, b) = self.refine_to_common(other);
        sum(a.row_widths.iter().enumerate().map(|(k, alpha)| {
            let row = a.col_widths.iter().zip(a.row(k).iter().zip(b.row(k)));
            alpha.clone() * sum(row.map(|(beta, (x, y))| beta.clone() * f(x.clone(), y.clone())))
        }))
    }

    /// `‖U − W‖₁ = ∫ |U − W|`, on the common refinement; exact for rationals.
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// let a = StepGraphon::uniform(vec![vec![1.0], vec![0.0]]).unwrap();
    /// let b = StepGraphon::uniform(vec![vec![0.5]]).unwrap();
    /// assert_eq!(a.l1_distance(&b), 0.5);
    /// ```
    pub fn l1_distance(&self, other: &Self) -> T {
        self.integrate_pair(other, |x, y| (x - y).abs())
    }

    /// `‖U − W‖₂² = ∫ (U − W)²`, on the common refinement; exact for rationals.
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// let a = StepGraphon::uniform(vec![vec![1.0], vec![0.0]]).unwrap();
    /// let b = StepGraphon::uniform(vec![vec![0.5]]).unwrap();
    /// assert_eq!(a.l2_distance_squared(&b), 0.25);
    /// ```
    pub fn l2_distance_squared(&self, other: &Self) -> T {
        self.integrate_pair(other, |x, y| {
            let d = x - y;
            d.clone() * d
        })
    }
}

impl StepGraphon<f64> {
    /// `‖U − W‖₂`, the square root of [`StepGraphon::l2_distance_squared`].
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// let a = StepGraphon::uniform(vec![vec![1.0], vec![0.0]]).unwrap();
    /// let b = StepGraphon::uniform(vec![vec![0.5]]).unwrap();
    /// assert_eq!(a.l2_distance(&b), 0.5);
    /// ```
    pub fn l2_distance(&self, other: &Self) -> f64 {
        self.l2_distance_squared(other).sqrt()
    }
}

impl StepGraphon<BigRational> {
    /// The nearest f64 graphon: every width and value rounded to nearest (one rounding each,
    /// so the widths pass the f64 sum check). [`GraphonError::Partition`] if a width is so
    /// small that it rounds to 0.
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// use num_rational::BigRational;
    /// let r = |a: i64, b: i64| BigRational::new(a.into(), b.into());
    /// let g = StepGraphon::uniform(vec![vec![r(1, 3)], vec![r(1, 1)]]).unwrap();
    /// let f = g.to_f64().unwrap();
    /// assert_eq!(f.value(0, 0), Some(&(1.0 / 3.0)));
    /// assert_eq!(f.row_widths(), &[0.5, 0.5]);
    /// ```
    pub fn to_f64(&self) -> Result<StepGraphon<f64>, GraphonError> {
        let round = |x: &BigRational| x.to_f64().unwrap_or(f64::NAN);
        let rows = |g: &Self| -> Vec<Vec<f64>> {
            (0..g.row_widths.len())
                .map(|i| g.row(i).iter().map(round).collect())
                .collect()
        };
        StepGraphon::new(
            self.row_widths.iter().map(round).collect(),
            self.col_widths.iter().map(round).collect(),
            rows(self),
        )
    }

    /// The exact rational graphon with the same numbers (every finite f64 is a dyadic
    /// rational). The widths must then sum to 1 exactly: [`GraphonError::Partition`] if they
    /// only do so up to rounding (three copies of `1.0 / 3.0` do not; widths from dyadic
    /// breakpoints do).
    ///
    /// ```
    /// use pai_graphon::graphon::step::StepGraphon;
    /// use num_rational::BigRational;
    /// let f = StepGraphon::uniform(vec![vec![0.1, 1.0]]).unwrap();
    /// let g = StepGraphon::<BigRational>::from_f64(&f).unwrap();
    /// assert_eq!(g.value(0, 0), Some(&BigRational::from_float(0.1).unwrap()));
    /// assert!(StepGraphon::<BigRational>::from_f64(&StepGraphon::uniform(vec![vec![1.0]; 3]).unwrap()).is_err());
    /// ```
    pub fn from_f64(graphon: &StepGraphon<f64>) -> Result<Self, GraphonError> {
        let exact = |x: &f64| BigRational::from_float(*x).ok_or(GraphonError::NonFinite(*x));
        let exact_all = |xs: &[f64]| xs.iter().map(exact).collect::<Result<Vec<_>, _>>();
        let rows = (0..graphon.row_widths.len())
            .map(|i| exact_all(graphon.row(i)))
            .collect::<Result<Vec<_>, _>>()?;
        StepGraphon::new(
            exact_all(&graphon.row_widths)?,
            exact_all(&graphon.col_widths)?,
            rows,
        )
    }
}

pub(crate) fn ratio(num: usize, den: usize) -> BigRational {
    BigRational::new(BigInt::from(num), BigInt::from(den))
}

/// Whether the step function `fine_values` on `fine_breaks` equals `coarse` read at each fine
/// cell's left endpoint through `cell_of` (which locates points in the coarse partition).
pub(crate) fn same_step_function(
    fine_breaks: &[BigRational],
    fine_values: &[BigRational],
    coarse: &[BigRational],
    cell_of: impl Fn(&BigRational) -> Result<usize, GraphonError>,
) -> bool {
    fine_values
        .iter()
        .zip(fine_breaks)
        .all(|(value, left)| cell_of(left).is_ok_and(|c| coarse.get(c) == Some(value)))
}

/// `Σ_k w_k f_k` and `Σ_k w_k f_k²` of a step function.
pub(crate) fn first_two_moments(
    widths: &[BigRational],
    f: &[BigRational],
) -> (BigRational, BigRational) {
    let mean = sum(widths.iter().zip(f).map(|(w, x)| w * x));
    let square = sum(widths.iter().zip(f).map(|(w, x)| w * x * x));
    (mean, square)
}

/// TOOL-4 (a): how many of density, t(C4), the two degree functions and the first two moments
/// of each degree function differ between `g` and `fine` (0 for a true refinement).
pub(crate) fn refinement_violations(
    g: &StepGraphon<BigRational>,
    fine: &StepGraphon<BigRational>,
) -> usize {
    let (q, p) = (g.row_degrees(), g.col_degrees());
    let (fq, fp) = (fine.row_degrees(), fine.col_degrees());
    let mismatches = [
        fine.density() != g.density(),
        fine.c4_density() != g.c4_density(),
        !same_step_function(&fine.row_breakpoints(), &fq, &q, |u| g.row_cell(u)),
        !same_step_function(&fine.col_breakpoints(), &fp, &p, |v| g.col_cell(v)),
        first_two_moments(&fine.row_widths, &fq) != first_two_moments(&g.row_widths, &q),
        first_two_moments(&fine.col_widths, &fp) != first_two_moments(&g.col_widths, &p),
    ];
    mismatches.iter().filter(|&&bad| bad).count()
}

/// TOOL-4 (b): 1 if `t(C4) < t(K2)^4`, or if equality holds for a non-constant graphon or
/// fails for a constant one; else 0.
pub(crate) fn moment_violations(g: &StepGraphon<BigRational>) -> usize {
    let (c4, k2_4) = (g.c4_density(), g.density().pow(4));
    usize::from(c4 < k2_4 || (c4 == k2_4) != g.is_constant())
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    fn r(a: i64, b: i64) -> BigRational {
        BigRational::new(a.into(), b.into())
    }

    #[test]
    fn rejects_malformed_input() {
        let ok_row = || vec![vec![0.5, 0.5]];
        assert_eq!(
            StepGraphon::<f64>::new(vec![], vec![1.0], vec![]),
            Err(GraphonError::Empty)
        );
        assert_eq!(
            StepGraphon::<f64>::uniform(vec![vec![]]),
            Err(GraphonError::Empty)
        );
        assert!(matches!(
            StepGraphon::new(vec![1.0], vec![1.0], ok_row()),
            Err(GraphonError::Shape { .. })
        ));
        assert!(matches!(
            StepGraphon::new(vec![0.5, 0.5], vec![1.0], vec![vec![0.5]]),
            Err(GraphonError::Shape { .. })
        ));
        assert!(matches!(
            StepGraphon::new(vec![1.0], vec![1.5, -0.5], ok_row()),
            Err(GraphonError::Partition {
                side: "column",
                problem: PartitionProblem::Width { index: 1, .. }
            })
        ));
        assert!(matches!(
            StepGraphon::new(vec![1.0], vec![0.5, 0.0, 0.5], vec![vec![0.5; 3]]),
            Err(GraphonError::Partition { .. })
        ));
        assert!(matches!(
            StepGraphon::new(vec![1.0], vec![0.5, f64::NAN], ok_row()),
            Err(GraphonError::NonFinite(_))
        ));
        assert!(matches!(
            StepGraphon::uniform(vec![vec![0.5, f64::NAN]]),
            Err(GraphonError::NonFinite(_))
        ));
        assert!(matches!(
            StepGraphon::uniform(vec![vec![0.5, 1.0 + f64::EPSILON]]),
            Err(GraphonError::OutOfRange { row: 0, col: 1, .. })
        ));
        assert!(matches!(
            StepGraphon::uniform(vec![vec![-0.0, -1e-300]]),
            Err(GraphonError::OutOfRange { .. })
        ));
        // Rational widths must sum to 1 exactly.
        assert!(matches!(
            StepGraphon::new(
                vec![r(1, 2), r(1, 3)],
                vec![r(1, 1)],
                vec![vec![r(0, 1)]; 2]
            ),
            Err(GraphonError::Partition {
                problem: PartitionProblem::Sum { .. },
                ..
            })
        ));
    }

    #[test]
    fn breakpoints_must_run_from_zero_to_one_increasing() {
        let v = || vec![vec![0.5], vec![0.5]];
        for bad in [
            &[0.0, 0.5, 0.9][..],
            &[0.1, 0.5, 1.0],
            &[0.0, 0.5, 0.5, 1.0],
            &[0.0],
        ] {
            let values = if bad.len() == 4 {
                vec![vec![0.5]; 3]
            } else {
                v()
            };
            assert!(StepGraphon::from_breakpoints(bad, &[0.0, 1.0], values).is_err());
        }
        let g = StepGraphon::from_breakpoints(
            &[r(0, 1), r(1, 3), r(1, 1)],
            &[r(0, 1), r(1, 1)],
            vec![vec![r(1, 1)], vec![r(0, 1)]],
        )
        .unwrap();
        assert_eq!(g.row_widths(), &[r(1, 3), r(2, 3)]);
    }

    #[test]
    fn f64_width_allowance_is_the_stated_one() {
        // fl(1/m) m times passes for every small m; an error of 1e-12 never does.
        for m in 1..=64 {
            let w = vec![1.0 / m as f64; m];
            assert!(f64::widths_sum_to_one(&w), "m = {m}");
            let mut off = w.clone();
            off[0] += 1e-12;
            assert!(!f64::widths_sum_to_one(&off), "m = {m}");
        }
    }

    #[test]
    fn evaluate_uses_half_open_cells() {
        let g = StepGraphon::from_breakpoints(
            &[r(0, 1), r(1, 3), r(1, 1)],
            &[r(0, 1), r(1, 2), r(1, 1)],
            vec![vec![r(0, 1), r(1, 4)], vec![r(1, 2), r(1, 1)]],
        )
        .unwrap();
        assert_eq!(g.evaluate(&r(1, 3), &r(0, 1)).unwrap(), r(1, 2));
        assert_eq!(g.evaluate(&r(1, 4), &r(1, 2)).unwrap(), r(1, 4));
        assert_eq!(g.evaluate(&r(1, 1), &r(1, 1)).unwrap(), r(1, 1));
        assert!(matches!(
            g.evaluate(&r(-1, 5), &r(0, 1)),
            Err(GraphonError::Point { name: "u", value }) if value == -0.2
        ));
    }

    #[test]
    fn distances_by_hand() {
        // a = 1 on [0, 1/2) × [0, 1], else 0; b = 1/2 on [0, 1/4) × [0, 1], else 1/4.
        let a = StepGraphon::uniform(vec![vec![r(1, 1)], vec![r(0, 1)]]).unwrap();
        let b = StepGraphon::from_breakpoints(
            &[r(0, 1), r(1, 4), r(1, 1)],
            &[r(0, 1), r(1, 1)],
            vec![vec![r(1, 2)], vec![r(1, 4)]],
        )
        .unwrap();
        // Cells [0,1/4): |1 − 1/2|, [1/4,1/2): |1 − 1/4|, [1/2,1): |0 − 1/4|.
        assert_eq!(a.l1_distance(&b), r(1, 8) + r(3, 16) + r(1, 8));
        assert_eq!(b.l1_distance(&a), a.l1_distance(&b));
        assert_eq!(a.l2_distance_squared(&b), r(1, 16) + r(9, 64) + r(1, 32));
        assert_eq!(a.l1_distance(&a), r(0, 1));
    }

    /// Random rational step graphon from proptest's own choices (so that it shrinks).
    fn rational_graphon() -> impl Strategy<Value = StepGraphon<BigRational>> {
        (1usize..=5, 1usize..=5).prop_flat_map(|(m, n)| {
            (
                proptest::collection::vec(1usize..=4, m),
                proptest::collection::vec(1usize..=4, n),
                proptest::collection::vec(proptest::collection::vec(0usize..=6, n), m),
                1usize..=6,
            )
                .prop_map(|(rc, cc, ks, den)| {
                    let widths = |c: Vec<usize>| {
                        let t: usize = c.iter().sum();
                        c.into_iter().map(|x| ratio(x, t)).collect()
                    };
                    let values = ks
                        .into_iter()
                        .map(|row| row.into_iter().map(|k| ratio(k % (den + 1), den)).collect())
                        .collect();
                    StepGraphon::new(widths(rc), widths(cc), values).unwrap()
                })
        })
    }

    fn breaks() -> impl Strategy<Value = Vec<BigRational>> {
        proptest::collection::vec((0usize..=12).prop_map(|k| ratio(k, 12)), 0..4)
    }

    /// A random f64 graphon with dyadic breakpoints `k / 2^20` (exact widths) and arbitrary
    /// values in [0, 1], so that `from_f64` gives the same graphon exactly.
    fn dyadic_f64_graphon() -> impl Strategy<Value = StepGraphon<f64>> {
        let side = proptest::collection::btree_set(1u32..(1 << 20), 0..6).prop_map(|set| {
            let scale = (1u32 << 20) as f64;
            let mut b = vec![0.0];
            b.extend(set.into_iter().map(|k| k as f64 / scale));
            b.push(1.0);
            b
        });
        (side.clone(), side).prop_flat_map(|(rb, cb)| {
            let (m, n) = (rb.len() - 1, cb.len() - 1);
            proptest::collection::vec(proptest::collection::vec(0.0f64..=1.0, n), m)
                .prop_map(move |values| StepGraphon::from_breakpoints(&rb, &cb, values).unwrap())
        })
    }

    /// `|computed − exact| ≤ γ_K exact`, decided exactly in rationals. γ_(K+1) in place of γ_K
    /// absorbs the rounding of γ itself, which is far below `u`.
    fn within_gamma(computed: f64, exact: &BigRational, k: usize) -> bool {
        let g = BigRational::from_float(tol::gamma(k + 1).unwrap()).unwrap();
        let c = BigRational::from_float(computed).unwrap();
        (c - exact).abs() <= g * exact
    }

    proptest! {
        #[test]
        fn refinement_keeps_everything_exactly(g in rational_graphon(), rb in breaks(), cb in breaks()) {
            let fine = g.refine(&rb, &cb).unwrap();
            prop_assert_eq!(refinement_violations(&g, &fine), 0);
            prop_assert_eq!(fine.l1_distance(&g), r(0, 1));
            prop_assert_eq!(fine.is_constant(), g.is_constant());
        }

        #[test]
        fn c4_at_least_density_to_the_fourth(g in rational_graphon()) {
            prop_assert_eq!(moment_violations(&g), 0);
            prop_assert!(g.c4_density() >= g.density().pow(4));
        }

        #[test]
        fn constant_graphons_attain_equality(m in 1usize..5, n in 1usize..5, k in 0usize..=7) {
            let g = StepGraphon::uniform(vec![vec![ratio(k, 7); n]; m]).unwrap();
            prop_assert_eq!(g.c4_density(), g.density().pow(4));
        }

        #[test]
        fn common_refinement_distances_are_symmetric(a in rational_graphon(), b in rational_graphon()) {
            prop_assert_eq!(a.l1_distance(&b), b.l1_distance(&a));
            prop_assert_eq!(a.l2_distance_squared(&b), b.l2_distance_squared(&a));
            // ‖U − W‖₂² ≤ ‖U − W‖₁ since |U − W| ≤ 1.
            prop_assert!(a.l2_distance_squared(&b) <= a.l1_distance(&b));
            let (fa, fb) = a.refine_to_common(&b);
            prop_assert_eq!(fa.row_widths(), fb.row_widths());
            prop_assert_eq!(fa.density(), a.density());
        }

        #[test]
        fn f64_agrees_with_exact_within_gamma(f in dyadic_f64_graphon()) {
            let e = StepGraphon::<BigRational>::from_f64(&f).unwrap();
            let (m, n) = f.shape();
            prop_assert!(within_gamma(f.density(), &e.density(), density_roundings(m, n)));
            prop_assert!(within_gamma(f.c4_density(), &e.c4_density(), c4_roundings(m, n)));
            for (x, y) in f.row_degrees().iter().zip(e.row_degrees()) {
                prop_assert!(within_gamma(*x, &y, degree_roundings(n)));
            }
            for (x, y) in f.col_degrees().iter().zip(e.col_degrees()) {
                prop_assert!(within_gamma(*x, &y, degree_roundings(m)));
            }
        }

        #[test]
        fn rational_round_trips_through_f64_when_dyadic(f in dyadic_f64_graphon()) {
            let e = StepGraphon::<BigRational>::from_f64(&f).unwrap();
            prop_assert_eq!(e.to_f64().unwrap(), f);
        }
    }
}
