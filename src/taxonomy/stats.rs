//! Mask statistics, the homogeneous null and heterogeneity bounds (`theory/taxonomy.md`, section
//! "Mask statistics, homogeneity bounds, the FSM fit").
//!
//! A mask `M ∈ {0,1}^{n×d}` (rows = hidden neurons, columns = inputs) is read as the step graphon
//! `W_M` on `[0,1]²`; its density is `ρ = t(K2) = k/(nd)` with `k` the kept count, its row degree
//! fractions are `q̂_i = deg_i/d`, its column degree fractions `p̂_j = deg_j/n`, and
//! `t(C4) = ‖MᵀM‖_F²/(nd)²`. The heterogeneity index is `t(C4) − ρ⁴ ≥ 0` (Cauchy–Schwarz), 0
//! exactly for constant graphons.
//!
//! - [`mask_stats`]: exact density, degree summaries and `t(C4)` (integer popcounts).
//! - [`homogeneous_bounds`]: what a uniformly random k-subset (Random and Magnitude masks) can
//!   show with probability ≥ 1 − δ; [`homogeneity_check`] compares a mask with them.
//! - [`heterogeneity_lcb`]: a lower confidence bound on the limit's `t(C4) − ρ⁴`.
//! - [`column_degree_distance`], [`deterministic_limit_bound`], [`sorted_block_distance`]: two
//!   masks of the same data from independent initialisations.
//!
//! ```
//! use pai_graphon::mask::top_k_mask;
//! use pai_graphon::seed::{uniform_open01, MasterSeed};
//! use pai_graphon::taxonomy::stats::{heterogeneity_lcb, homogeneity_check, homogeneous_bounds, mask_stats};
//! // A Random mask (top-k of i.i.d. scores) passes the homogeneous null…
//! let (n, d, k) = (1024, 64, 13107); // ρ ≈ 0.2
//! let mut rng = MasterSeed::default().stream("DOC");
//! let scores: Vec<f64> = (0..n * d).map(|_| uniform_open01(&mut rng)).collect();
//! let random = top_k_mask(n, d, &scores, k).unwrap();
//! let bounds = homogeneous_bounds(n, d, k, 1e-3).unwrap();
//! assert!(homogeneity_check(&mask_stats(&random), &bounds).all_hold());
//! assert_eq!(heterogeneity_lcb(&random, 1e-3).unwrap().lcb, 0.0);
//! // …a mask that keeps the first fifth of the rows does not.
//! let ordered: Vec<f64> = (0..n * d).map(|x| -(x as f64)).collect();
//! let rows = top_k_mask(n, d, &ordered, k).unwrap();
//! assert!(!homogeneity_check(&mask_stats(&rows), &bounds).all_hold());
//! assert!(heterogeneity_lcb(&rows, 1e-3).unwrap().lcb > 0.0);
//! ```

use crate::mask::{for_each_set, Mask};
use crate::taxonomy::TaxonomyError;
use crate::tol::{self, Tail};
use crate::Error;
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::ToPrimitive;
use rayon::prelude::*;

/// Roundings allowed for a bound or statistic computed in f64 from exact integers through a
/// short formula (≤ 64 operations, counting `ln` and `sqrt` as a few ulps each): compared values
/// get a relative allowance `γ_64` ([`tol::gamma`]).
///
/// ```
/// use pai_graphon::taxonomy::stats::{Comparison, ROUNDING_STEPS};
/// use pai_graphon::tol::gamma;
/// // A comparison tolerates a relative excess up to γ_64 ≈ 7.1e-15, and no more.
/// let g = gamma(ROUNDING_STEPS).unwrap();
/// assert!(Comparison::new(1.0 + g / 2.0, 1.0).holds);
/// assert!(!Comparison::new(1.0 + 2.0 * g, 1.0).holds);
/// ```
pub const ROUNDING_STEPS: usize = 64;

/// Min, max, mean and population variance of the degree fractions on one side of a mask.
///
/// ```
/// use pai_graphon::mask::Mask;
/// use pai_graphon::taxonomy::stats::mask_stats;
/// // Row degrees 2, 1, 0 of 2 columns: fractions 1, 1/2, 0.
/// let m = Mask::from_entries(3, 2, &[1, 1, 0, 1, 0, 0]).unwrap();
/// let rows = mask_stats(&m).row_degrees;
/// assert_eq!((rows.min, rows.max, rows.mean, rows.zeros), (0.0, 1.0, 0.5, 1));
/// assert_eq!(rows.variance, 1.0 / 6.0); // ((1/2)² + 0 + (1/2)²)/3
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DegreeSummary {
    /// Smallest degree fraction.
    pub min: f64,
    /// Largest degree fraction.
    pub max: f64,
    /// Mean degree fraction (= ρ on both sides).
    pub mean: f64,
    /// Population variance `(1/m) Σ (x − mean)²` of the degree fractions.
    pub variance: f64,
    /// How many rows (resp. columns) keep nothing.
    pub zeros: usize,
}

impl DegreeSummary {
    /// The largest deviation `max |x − ρ|` of a degree fraction from the density `rho`.
    ///
    /// ```
    /// use pai_graphon::taxonomy::stats::DegreeSummary;
    /// let s = DegreeSummary { min: 0.1, max: 0.25, mean: 0.2, variance: 0.0, zeros: 0 };
    /// assert_eq!(s.max_deviation(0.2), 0.1);
    /// ```
    pub fn max_deviation(&self, rho: f64) -> f64 {
        (self.max - rho).max(rho - self.min)
    }
}

/// Exact statistics of a mask (see [`mask_stats`]).
///
/// ```
/// use pai_graphon::mask::Mask;
/// use pai_graphon::taxonomy::stats::mask_stats;
/// use num_rational::BigRational;
/// // A permutation matrix: MᵀM = I, t(C4) = 3/81 = 1/27, ρ = 1/3.
/// let s = mask_stats(&Mask::from_entries(3, 3, &[1, 0, 0, 0, 1, 0, 0, 0, 1]).unwrap());
/// assert_eq!((s.rows, s.cols, s.kept), (3, 3, 3));
/// assert_eq!(s.c4, BigRational::new(1.into(), 27.into()));
/// // t(C4) − ρ⁴ = 1/27 − 1/81 = 2/81: every row and column degree equal, yet heterogeneous.
/// assert_eq!(s.heterogeneity, BigRational::new(2.into(), 81.into()));
/// assert_eq!((s.row_degrees.variance, s.col_degrees.variance), (0.0, 0.0));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct MaskStats {
    /// n, the number of rows.
    pub rows: usize,
    /// d, the number of columns.
    pub cols: usize,
    /// k, the number of kept entries (popcount of the mask).
    pub kept: u64,
    /// `ρ = t(K2) = k/(nd)`, rounded once to f64.
    pub density: f64,
    /// Row degree fractions `deg_i/d`.
    pub row_degrees: DegreeSummary,
    /// Column degree fractions `deg_j/n`.
    pub col_degrees: DegreeSummary,
    /// `t(C4) = ‖MᵀM‖_F²/(nd)²`, exact.
    pub c4: BigRational,
    /// `t(C4) − ρ⁴`, exact.
    pub heterogeneity: BigRational,
    /// `t(C4) − ρ⁴` rounded to f64.
    pub heterogeneity_f64: f64,
}

impl MaskStats {
    /// `t(C4)` rounded to f64.
    ///
    /// ```
    /// use pai_graphon::mask::top_k_mask;
    /// use pai_graphon::taxonomy::stats::mask_stats;
    /// let m = top_k_mask(2, 2, &[1.0, 1.0, 1.0, 1.0], 4).unwrap();
    /// assert_eq!(mask_stats(&m).c4_f64(), 1.0);
    /// ```
    pub fn c4_f64(&self) -> f64 {
        self.c4.to_f64().unwrap_or(f64::NAN)
    }
}

/// The summary of integer degrees out of `side`: the variance is formed exactly as the integer
/// `(m Σ deg² − (Σ deg)²)` and divided by `(m · side)²` with one rounding each.
fn degree_summary(degrees: &[u32], side: usize) -> DegreeSummary {
    let m = degrees.len() as u128;
    let sum: u128 = degrees.iter().map(|&x| x as u128).sum();
    let sum_sq: u128 = degrees.iter().map(|&x| (x as u128) * (x as u128)).sum();
    let side = side as f64;
    let scale = m as f64 * side;
    DegreeSummary {
        min: *degrees.iter().min().unwrap_or(&0) as f64 / side,
        max: *degrees.iter().max().unwrap_or(&0) as f64 / side,
        mean: sum as f64 / scale,
        variance: (m * sum_sq - sum * sum) as f64 / (scale * scale),
        zeros: degrees.iter().filter(|&&x| x == 0).count(),
    }
}

/// The mask's lines on its smaller side, bit-packed: its rows if n ≤ d, else its columns
/// (transposed). Returns (lines, line count, words per line).
fn smaller_side_lines(mask: &Mask) -> (Vec<u64>, usize, usize) {
    let (n, d) = (mask.rows(), mask.cols());
    if n <= d {
        let words = d.div_ceil(64);
        let lines = (0..n)
            .flat_map(|i| mask.row_words(i).unwrap_or(&[]).iter().copied())
            .collect();
        return (lines, n, words);
    }
    let words = n.div_ceil(64);
    let mut lines = vec![0u64; d * words];
    for i in 0..n {
        for_each_set(mask.row_words(i).unwrap_or(&[]), |j| {
            lines[j * words + i / 64] |= 1u64 << (i % 64);
        });
    }
    (lines, d, words)
}

/// `Σ_{a,b} G_ab²` for the Gram matrix `G_ab = popcount(line_a ∧ line_b)` of the lines: each
/// unordered pair once, off-diagonal pairs counted twice. Integer arithmetic throughout, so the
/// parallel sum is exact and independent of scheduling.
fn gram_square_sum(lines: &[u64], count: usize, words: usize) -> u128 {
    (0..count)
        .into_par_iter()
        .map(|a| {
            let la = &lines[a * words..(a + 1) * words];
            (a..count)
                .map(|b| {
                    let lb = &lines[b * words..(b + 1) * words];
                    let g: u64 = la
                        .iter()
                        .zip(lb)
                        .map(|(x, y)| (x & y).count_ones() as u64)
                        .sum();
                    let weight = if a == b { 1 } else { 2 };
                    weight * (g as u128) * (g as u128)
                })
                .sum::<u128>()
        })
        .sum()
}

/// Exact statistics of a mask: density `ρ = k/(nd)`, row and column degree summaries, and
/// `t(C4) = ‖MᵀM‖_F²/(nd)²` as an exact rational with the heterogeneity index `t(C4) − ρ⁴`.
///
/// `‖MᵀM‖_F² = ‖MMᵀ‖_F²` is computed on the smaller side: the Gram entries are popcounts of the
/// AND of bit-packed rows (or columns, transposed once), and their squares are summed in `u128`.
/// No floating point is involved, so the value is exact; the f64 fields are single roundings of
/// exact rationals (the degree variance: two). Cost `O(min(n,d)² · max(n,d)/64)` word operations:
/// n = 4096, d = 784 takes a few milliseconds.
///
/// ```
/// use pai_graphon::mask::top_k_mask;
/// use pai_graphon::taxonomy::stats::mask_stats;
/// use num_rational::BigRational;
/// // Keep (0,0), (0,1), (1,0): MᵀM = [[2,1],[1,1]], ‖·‖_F² = 7, t(C4) = 7/16.
/// let m = top_k_mask(2, 2, &[3.0, 2.0, 1.0, 0.0], 3).unwrap();
/// let s = mask_stats(&m);
/// assert_eq!(s.c4, BigRational::new(7.into(), 16.into()));
/// assert_eq!(s.density, 0.75);
/// assert_eq!(s.row_degrees.variance, 0.0625);
/// // 7/16 − (3/4)⁴ = 31/256.
/// assert_eq!(s.heterogeneity, BigRational::new(31.into(), 256.into()));
/// ```
pub fn mask_stats(mask: &Mask) -> MaskStats {
    let (n, d) = (mask.rows(), mask.cols());
    let row_deg = mask.row_degrees();
    let col_deg = mask.column_degrees();
    let kept: u64 = row_deg.iter().map(|&x| x as u64).sum();
    let (lines, count, words) = smaller_side_lines(mask);
    let frobenius_sq = gram_square_sum(&lines, count, words);
    let cells = BigInt::from(n as u64) * BigInt::from(d as u64);
    let cells_sq = &cells * &cells;
    let c4 = BigRational::new(BigInt::from(frobenius_sq), cells_sq.clone());
    let k = BigInt::from(kept);
    let k_sq = &k * &k;
    let rho4 = BigRational::new(&k_sq * &k_sq, &cells_sq * &cells_sq);
    let heterogeneity = &c4 - rho4;
    MaskStats {
        rows: n,
        cols: d,
        kept,
        density: BigRational::new(k, cells).to_f64().unwrap_or(f64::NAN),
        row_degrees: degree_summary(&row_deg, d),
        col_degrees: degree_summary(&col_deg, n),
        heterogeneity_f64: heterogeneity.to_f64().unwrap_or(f64::NAN),
        c4,
        heterogeneity,
    }
}

/// What a uniformly random k-subset of the n × d cells shows, all on one event of probability
/// ≥ 1 − δ (see [`homogeneous_bounds`]). Fractions are degree/d for rows, degree/n for columns.
///
/// ```
/// use pai_graphon::taxonomy::stats::homogeneous_bounds;
/// let b = homogeneous_bounds(1000, 1000, 200_000, 1e-3).unwrap();
/// // Square masks: the same bounds for rows and columns, and the variance bound is e²/(nd).
/// assert_eq!((b.row_fraction_dev, b.row_variance), (b.col_fraction_dev, b.col_variance));
/// assert_eq!(b.row_variance, b.op_norm * b.op_norm / 1e6);
/// assert!(b.c4_excess < 0.01 && b.cut_norm < 0.1);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct HomogeneousBounds {
    /// `e ≥ ‖M − ρJ‖` (operator norm), from matrix Bernstein at δ/2.
    pub op_norm: f64,
    /// Bound on `t(C4) − ρ⁴`: `(4ρ² + ρ(1−ρ)) e²/(nd) + 4e⁴/(nd)²`.
    pub c4_excess: f64,
    /// Bound on `max_i |deg_i/d − ρ|` (Hoeffding without replacement, union over rows, δ/4).
    pub row_fraction_dev: f64,
    /// Bound on `max_j |deg_j/n − ρ|` (Hoeffding without replacement, union over columns, δ/4).
    pub col_fraction_dev: f64,
    /// Bound on the population variance of the row fractions, `e²/(nd)`
    /// (`Σ_i (deg_i − ρd)² ≤ e² d`).
    pub row_variance: f64,
    /// Bound on the population variance of the column fractions, `e²/(nd)`
    /// (`Σ_j (deg_j − ρn)² ≤ e² n`).
    pub col_variance: f64,
    /// Bound on the cut norm `‖W_M − ρ‖_□ ≤ e/sqrt(nd)`.
    pub cut_norm: f64,
}

/// δ must lie in (0, 1) before it is split.
pub(crate) fn check_delta(delta: f64) -> Result<f64, Error> {
    if delta > 0.0 && delta < 1.0 {
        Ok(delta)
    } else {
        Err(Error::Tol(tol::TolError::Probability(delta)))
    }
}

fn shape_error(e: TaxonomyError) -> Error {
    Error::Taxonomy(e)
}

/// Bounds for the homogeneous null: M is a uniformly random k-subset of the n × d cells (Random
/// masks, and Magnitude masks = top-k of i.i.d. continuous scores). With `ρ = k/(nd)`, except
/// with probability at most δ, all of the following hold at once:
///
/// - `‖M − ρJ‖ ≤ e` with `e` = [`tol::matrix_bernstein`]`(n, d, v = ρ·max(n,d),
///   b = 1 + 1/sqrt(nd), δ/2)`: `M − ρJ = Σ_{t≤k} (E_{c_t} − J/(nd))` over the sampled cells,
///   transferred from sampling with replacement to sampling without by Gross & Nesme (2010);
/// - and on that event (deterministic consequences, proved in `theory/taxonomy.md`):
///   `t(C4) − ρ⁴ ≤ (4ρ² + ρ(1−ρ)) e²/(nd) + 4e⁴/(nd)²`, both degree-fraction variances
///   `≤ e²/(nd)`, and `‖W_M − ρ‖_□ ≤ e/sqrt(nd)`;
/// - `max_i |deg_i/d − ρ| ≤ sqrt(ln(2n/(δ/4))/(2d))` and `max_j |deg_j/n − ρ| ≤
///   sqrt(ln(2d/(δ/4))/(2n))`: each degree is hypergeometric, Hoeffding (1963, §6) holds for
///   sampling without replacement, union bound over the rows (δ/4) and the columns (δ/4).
///
/// δ split: δ/2 for the operator-norm event, δ/4 for the rows, δ/4 for the columns.
///
/// Errors: n or d = 0, k > nd ([`TaxonomyError::KeptCount`]); δ outside (0, 1) (`Error::Tol`).
///
/// ```
/// use pai_graphon::taxonomy::stats::homogeneous_bounds;
/// use pai_graphon::tol::{matrix_bernstein, hoeffding, Tail};
/// let b = homogeneous_bounds(100, 400, 8000, 1e-3).unwrap();
/// let e = matrix_bernstein(100, 400, 0.2 * 400.0, 1.0 + 1.0 / 200.0, 5e-4).unwrap();
/// assert_eq!(b.op_norm, e);
/// assert_eq!(b.cut_norm, e / 200.0);
/// assert_eq!(b.row_fraction_dev, hoeffding(400, 1.0, 2.5e-4 / 100.0, Tail::Two).unwrap());
/// ```
pub fn homogeneous_bounds(
    n: usize,
    d: usize,
    kept: u64,
    delta: f64,
) -> Result<HomogeneousBounds, Error> {
    let cells = (n as u128) * (d as u128);
    if n == 0 || d == 0 || kept as u128 > cells {
        return Err(shape_error(TaxonomyError::KeptCount { kept, n, d }));
    }
    check_delta(delta)?;
    let cells = cells as f64;
    let rho = kept as f64 / cells;
    let variance = rho * n.max(d) as f64;
    let e = tol::matrix_bernstein(n, d, variance, 1.0 + 1.0 / cells.sqrt(), delta / 2.0)?;
    let e2 = e * e / cells;
    Ok(HomogeneousBounds {
        op_norm: e,
        c4_excess: (4.0 * rho * rho + rho * (1.0 - rho)) * e2 + 4.0 * e2 * e2,
        row_fraction_dev: tol::hoeffding(d, 1.0, delta / 4.0 / n as f64, Tail::Two)?,
        col_fraction_dev: tol::hoeffding(n, 1.0, delta / 4.0 / d as f64, Tail::Two)?,
        row_variance: e2,
        col_variance: e2,
        cut_norm: e / cells.sqrt(),
    })
}

/// One observed statistic against its bound.
///
/// ```
/// use pai_graphon::taxonomy::stats::Comparison;
/// let c = Comparison::new(0.25, 1.0);
/// assert_eq!((c.observed, c.bound, c.holds, c.margin()), (0.25, 1.0, true, 4.0));
/// assert!(!Comparison::new(2.0, 1.0).holds);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Comparison {
    /// The mask's value.
    pub observed: f64,
    /// The bound, before the rounding allowance.
    pub bound: f64,
    /// Whether `observed ≤ bound · (1 + γ_64)` ([`ROUNDING_STEPS`]).
    pub holds: bool,
}

impl Comparison {
    /// `observed` against `bound` with the relative rounding allowance `γ_64`.
    ///
    /// ```
    /// use pai_graphon::taxonomy::stats::Comparison;
    /// assert!(Comparison::new(1.0, 1.0).holds);
    /// assert!(!Comparison::new(1.0 + 1e-12, 1.0).holds);
    /// ```
    pub fn new(observed: f64, bound: f64) -> Self {
        let allowance = tol::gamma(ROUNDING_STEPS).unwrap_or(f64::INFINITY);
        Comparison {
            observed,
            bound,
            holds: observed <= bound * (1.0 + allowance),
        }
    }

    /// `bound / observed`: above 1 when the bound holds with room (∞ for observed = 0).
    ///
    /// ```
    /// use pai_graphon::taxonomy::stats::Comparison;
    /// assert_eq!(Comparison::new(0.5, 2.0).margin(), 4.0);
    /// ```
    pub fn margin(&self) -> f64 {
        self.bound / self.observed
    }
}

/// A mask compared with the homogeneous-null bounds (see [`homogeneity_check`]).
///
/// ```
/// use pai_graphon::mask::top_k_mask;
/// use pai_graphon::taxonomy::stats::{homogeneity_check, homogeneous_bounds, mask_stats};
/// // Half the rows full: every row deviates by 1/2 from ρ = 1/2, far beyond the bound.
/// let scores: Vec<f64> = (0..64 * 64).map(|x| if x < 32 * 64 { 1.0 } else { 0.0 }).collect();
/// let m = top_k_mask(64, 64, &scores, 32 * 64).unwrap();
/// let c = homogeneity_check(&mask_stats(&m), &homogeneous_bounds(64, 64, 32 * 64, 0.01).unwrap());
/// assert_eq!(c.row_fraction_dev.observed, 0.5);
/// assert!(!c.row_fraction_dev.holds && c.col_fraction_dev.holds); // columns are all at 1/2
/// assert!(!c.all_hold() && c.worst_ratio() > 1.0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct HomogeneityCheck {
    /// `t(C4) − ρ⁴` against [`HomogeneousBounds::c4_excess`].
    pub c4_excess: Comparison,
    /// `max_i |deg_i/d − ρ|` against [`HomogeneousBounds::row_fraction_dev`].
    pub row_fraction_dev: Comparison,
    /// `max_j |deg_j/n − ρ|` against [`HomogeneousBounds::col_fraction_dev`].
    pub col_fraction_dev: Comparison,
    /// Row-fraction variance against [`HomogeneousBounds::row_variance`].
    pub row_variance: Comparison,
    /// Column-fraction variance against [`HomogeneousBounds::col_variance`].
    pub col_variance: Comparison,
}

impl HomogeneityCheck {
    /// The largest `observed / (bound · (1 + γ_64))` over the five comparisons: ≤ 1 iff all hold.
    ///
    /// ```
    /// use pai_graphon::mask::top_k_mask;
    /// use pai_graphon::taxonomy::stats::{homogeneity_check, homogeneous_bounds, mask_stats};
    /// let m = top_k_mask(1, 4, &[1.0, 1.0, 0.0, 0.0], 2).unwrap();
    /// let c = homogeneity_check(&mask_stats(&m), &homogeneous_bounds(1, 4, 2, 0.5).unwrap());
    /// assert_eq!(c.worst_ratio() <= 1.0, c.all_hold());
    /// ```
    pub fn worst_ratio(&self) -> f64 {
        let allowance = 1.0 + tol::gamma(ROUNDING_STEPS).unwrap_or(f64::INFINITY);
        self.comparisons()
            .iter()
            .map(|c| c.observed / (c.bound * allowance))
            .fold(0.0, f64::max)
    }

    fn comparisons(&self) -> [Comparison; 5] {
        [
            self.c4_excess,
            self.row_fraction_dev,
            self.col_fraction_dev,
            self.row_variance,
            self.col_variance,
        ]
    }

    /// Whether every bound holds.
    ///
    /// ```
    /// use pai_graphon::mask::top_k_mask;
    /// use pai_graphon::taxonomy::stats::{homogeneity_check, homogeneous_bounds, mask_stats};
    /// let m = top_k_mask(2, 2, &[1.0, 0.0, 0.0, 1.0], 2).unwrap();
    /// let s = mask_stats(&m);
    /// let b = homogeneous_bounds(2, 2, 2, 0.1).unwrap();
    /// assert!(homogeneity_check(&s, &b).all_hold());
    /// ```
    pub fn all_hold(&self) -> bool {
        self.comparisons().iter().all(|c| c.holds)
    }
}

/// Compares a mask's exact statistics with the homogeneous-null bounds (the operator and cut
/// norms are not computed and so not compared). Each comparison allows the relative rounding
/// `γ_64` on the bound ([`Comparison::new`]).
///
/// ```
/// use pai_graphon::mask::top_k_mask;
/// use pai_graphon::taxonomy::stats::{homogeneity_check, homogeneous_bounds, mask_stats};
/// // A 1 × 4 mask keeping 2: row deviation 0, column deviation 1/2.
/// let m = top_k_mask(1, 4, &[1.0, 1.0, 0.0, 0.0], 2).unwrap();
/// let c = homogeneity_check(&mask_stats(&m), &homogeneous_bounds(1, 4, 2, 0.5).unwrap());
/// assert_eq!((c.row_fraction_dev.observed, c.col_fraction_dev.observed), (0.0, 0.5));
/// ```
pub fn homogeneity_check(stats: &MaskStats, bounds: &HomogeneousBounds) -> HomogeneityCheck {
    let rho = stats.density;
    HomogeneityCheck {
        c4_excess: Comparison::new(stats.heterogeneity_f64, bounds.c4_excess),
        row_fraction_dev: Comparison::new(
            stats.row_degrees.max_deviation(rho),
            bounds.row_fraction_dev,
        ),
        col_fraction_dev: Comparison::new(
            stats.col_degrees.max_deviation(rho),
            bounds.col_fraction_dev,
        ),
        row_variance: Comparison::new(stats.row_degrees.variance, bounds.row_variance),
        col_variance: Comparison::new(stats.col_degrees.variance, bounds.col_variance),
    }
}

/// A lower confidence bound on the limit's heterogeneity `t(C4) − ρ⁴` (see
/// [`heterogeneity_lcb`]).
///
/// ```
/// use pai_graphon::mask::top_k_mask;
/// use pai_graphon::taxonomy::stats::heterogeneity_lcb;
/// // The full-rows mask: rows carry the heterogeneity, columns none.
/// let (n, d) = (512, 32);
/// let scores: Vec<f64> = (0..n * d).map(|x| if x < n * d / 4 { 1.0 } else { 0.0 }).collect();
/// let h = heterogeneity_lcb(&top_k_mask(n, d, &scores, (n * d / 4) as u64).unwrap(), 0.01).unwrap();
/// assert_eq!(h.lcb, h.row * (1.0 - pai_graphon::tol::gamma(64).unwrap()));
/// assert!(h.row > h.col && h.col == 0.0);
/// assert_eq!(h.row_second_moment, 0.25); // a quarter of the rows at q̂ = 1
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct HeterogeneityLcb {
    /// Population s.d. of the row fractions `q̂_i`.
    pub row_sd: f64,
    /// Population s.d. of the column fractions `p̂_j`.
    pub col_sd: f64,
    /// `mean_i q̂_i²`, the observed second moment of the row fractions.
    pub row_second_moment: f64,
    /// `ε_c`: the RMS error `‖p̂ − p‖/sqrt(d)` is at most this (Pinelis' Bernstein bound at δ/2).
    pub col_eps: f64,
    /// The empirical Bernstein deviation of `mean q̂_i²` at δ/2 plus the Bernoulli bias `1/(4d)`.
    pub row_slack: f64,
    /// Lower bound on Var q (row degree function of the limit).
    pub row_variance: f64,
    /// Lower bound on Var p over the d columns.
    pub col_variance: f64,
    /// `2ρ² L_r + L_r²` with `L_r` = [`HeterogeneityLcb::row_variance`].
    pub row: f64,
    /// `2ρ² L_c + L_c²` with `L_c` = [`HeterogeneityLcb::col_variance`].
    pub col: f64,
    /// `max(row, col)`, reduced by the relative rounding allowance `γ_64`.
    pub lcb: f64,
}

/// The mean of `Z_i = (deg_i/d)²` and the sample variance of the `Z_i` (divisor n − 1).
fn second_moment_of_squares(degrees: &[u32], d: usize) -> (f64, f64) {
    let z: Vec<f64> = degrees
        .iter()
        .map(|&g| (g as f64 / d as f64).powi(2))
        .collect();
    let n = z.len() as f64;
    let mean = z.iter().sum::<f64>() / n;
    let var = z.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

/// `2ρ²L + L²`: the heterogeneity implied by a degree-function variance L, since
/// `t(C4) ≥ (∫q²)² = (ρ² + Var q)²` (Cauchy–Schwarz).
fn excess_from_variance(rho: f64, variance: f64) -> f64 {
    2.0 * rho * rho * variance + variance * variance
}

/// A lower confidence bound, at level 1 − δ, on the heterogeneity `t(C4, W) − ρ⁴` of the limit
/// graphon W of the masks (ρ = the mask density k/(nd), exact for top-k masks).
///
/// By Cauchy–Schwarz `t(C4) ≥ (∫q²)²` and `≥ (∫p²)²` for the row and column degree functions, so
/// `t(C4) − ρ⁴ ≥ 2ρ² Var + Var²` with either variance. **Assumption**: given the data, the rows
/// are i.i.d. and the threshold frozen, so that the entries are independent given their row
/// (exact for FSM masks with a fixed threshold, approximate for top-k masks and trained criteria).
///
/// - Columns (δ/2): `p̂ − p = (1/n) Σ_i X_i` with i.i.d. mean-zero rows `X_i = m_i − p`,
///   `‖X_i‖ ≤ sqrt(d)` and `E‖X_i‖² = Σ_j p_j(1 − p_j) ≤ dρ(1 − ρ)` (Jensen, ρ ≤ ½). Pinelis'
///   Bernstein inequality in Hilbert space (as in [`deterministic_limit_bound`]) bounds the RMS
///   error `‖p̂ − p‖/sqrt(d) ≤ ε_c`. Centering is a contraction of `L²(columns)`, so
///   `sd(p) ≥ sd̂(p̂) − ε_c`, and `L_c = max(0, sd̂ − ε_c)²`.
/// - Rows (δ/2): the `Z_i = q̂_i²` are i.i.d. in [0, 1]; given row i, `q̂_i` is a mean of d
///   independent Bernoullis with mean `q_i`, so `E Z = ∫q² + E Var(q̂|u) ≤ ∫q² + 1/(4d)`. With the
///   empirical Bernstein bound ([`tol::empirical_bernstein`]),
///   `∫q² ≥ mean Z − t − 1/(4d)`, and `L_r = max(0, that − ρ²)`.
/// - ρ in `ρ² + L` is the limit density, within `1/(2nd)` of the mask's `k/(nd)`: the bound uses
///   the upper end, which only lowers it.
///
/// Errors: n < 2 ([`TaxonomyError::TooFewRows`]); δ outside (0, 1).
///
/// ```
/// use pai_graphon::mask::top_k_mask;
/// use pai_graphon::taxonomy::stats::heterogeneity_lcb;
/// // Half the rows full, half empty: sd of the row fractions = 1/2, every column degree n/2.
/// let (n, d) = (1024, 64);
/// let scores: Vec<f64> = (0..n * d).map(|x| if x < n * d / 2 { 1.0 } else { 0.0 }).collect();
/// let m = top_k_mask(n, d, &scores, (n * d / 2) as u64).unwrap();
/// let h = heterogeneity_lcb(&m, 0.01).unwrap();
/// assert_eq!((h.row_sd, h.col_sd, h.col, h.col_variance), (0.5, 0.0, 0.0, 0.0));
/// assert!(h.lcb > 0.0 && h.row_variance <= 0.25); // Var q = 1/4 exactly
/// ```
pub fn heterogeneity_lcb(mask: &Mask, delta: f64) -> Result<HeterogeneityLcb, Error> {
    let (n, d) = (mask.rows(), mask.cols());
    if n < 2 {
        return Err(shape_error(TaxonomyError::TooFewRows { rows: n }));
    }
    check_delta(delta)?;
    let rows = degree_summary(&mask.row_degrees(), d);
    let cols = degree_summary(&mask.column_degrees(), n);
    let rho = rows.mean + 0.5 / (n as f64 * d as f64);
    let (row_sd, col_sd) = (rows.variance.sqrt(), cols.variance.sqrt());
    let df = d as f64;
    let spread = rho.min(0.5) * (1.0 - rho.min(0.5));
    let col_eps = tol::bernstein(n, df * spread, df.sqrt(), delta / 2.0, Tail::Two)? / df.sqrt();
    let col_variance = (col_sd - col_eps).max(0.0).powi(2);
    let (row_second_moment, z_variance) = second_moment_of_squares(&mask.row_degrees(), d);
    let row_slack = tol::empirical_bernstein(n, z_variance, delta / 2.0)? + 0.25 / d as f64;
    let row_variance = (row_second_moment - row_slack - rho * rho).max(0.0);
    let row = excess_from_variance(rho, row_variance);
    let col = excess_from_variance(rho, col_variance);
    let allowance = tol::gamma(ROUNDING_STEPS)?;
    Ok(HeterogeneityLcb {
        row_sd,
        col_sd,
        row_second_moment,
        col_eps,
        row_slack,
        row_variance,
        col_variance,
        row,
        col,
        lcb: row.max(col) * (1.0 - allowance),
    })
}

fn same_shape(a: &Mask, b: &Mask) -> Result<(), Error> {
    if (a.rows(), a.cols()) == (b.rows(), b.cols()) {
        Ok(())
    } else {
        Err(shape_error(TaxonomyError::MaskShapes {
            first: (a.rows(), a.cols()),
            second: (b.rows(), b.cols()),
        }))
    }
}

/// The RMS column-degree difference `Δ = ‖p̂¹ − p̂²‖/sqrt(d)` of two masks of the same data
/// (columns aligned by coordinate), `p̂_j = deg_j/n`. The squared differences are summed exactly
/// in integers; Δ is then `sqrt(S/d)/n` in f64 (three roundings).
///
/// Errors: masks of different shapes ([`TaxonomyError::MaskShapes`]).
///
/// ```
/// use pai_graphon::mask::top_k_mask;
/// use pai_graphon::taxonomy::stats::column_degree_distance;
/// let a = top_k_mask(2, 2, &[1.0, 0.0, 1.0, 0.0], 2).unwrap(); // column degrees (2, 0)
/// let b = top_k_mask(2, 2, &[0.0, 1.0, 0.0, 1.0], 2).unwrap(); // column degrees (0, 2)
/// assert_eq!(column_degree_distance(&a, &b).unwrap(), 1.0);
/// ```
pub fn column_degree_distance(a: &Mask, b: &Mask) -> Result<f64, Error> {
    same_shape(a, b)?;
    let sum_sq: u128 = a
        .column_degrees()
        .iter()
        .zip(b.column_degrees())
        .map(|(&x, y)| (x.abs_diff(y) as u128).pow(2))
        .sum();
    Ok((sum_sq as f64 / a.cols() as f64).sqrt() / a.rows() as f64)
}

/// The bound on the RMS column-degree difference Δ of two masks from independent
/// initialisations under a deterministic limit, exceeded with probability ≤ δ.
/// **Assumption**: the rows are independent given the data, with thresholds frozen, and both
/// masks have the same column degree function p with mean ρ (deterministic limit). Then
/// `p̂¹ − p̂² = (1/n) Σ_i X_i` with i.i.d. mean-zero `X_i ∈ {−1, 0, 1}^d`, `‖X_i‖ ≤ sqrt(d)` and
/// `E‖X_i‖² = Σ_j 2 p_j (1 − p_j) ≤ 2dρ(1 − ρ)` (Jensen). Pinelis' Bernstein inequality for sums
/// of independent vectors in a Hilbert space (Pinelis 1994, *Ann. Probab.* 22, Thm 3.4):
/// `P(‖Σ X_i‖ ≥ r) ≤ 2 exp(−r²/(2(nσ² + r b/3)))`, the scalar Bernstein form with the same
/// constants ([`tol::bernstein`], two tails); divide by `n sqrt(d)`.
///
/// Errors: n or d = 0, ρ outside (0, 1), δ outside (0, 1).
///
/// ```
/// use pai_graphon::taxonomy::stats::deterministic_limit_bound;
/// use pai_graphon::tol::{bernstein, Tail};
/// let b = deterministic_limit_bound(1000, 64, 0.2, 1e-3).unwrap();
/// let t = bernstein(1000, 2.0 * 64.0 * 0.2 * (1.0 - 0.2), 8.0, 1e-3, Tail::Two).unwrap();
/// assert_eq!(b, t / 8.0);
/// assert!(deterministic_limit_bound(1000, 64, 1.2, 1e-3).is_err());
/// ```
pub fn deterministic_limit_bound(n: usize, d: usize, rho: f64, delta: f64) -> Result<f64, Error> {
    if n == 0 || d == 0 {
        return Err(Error::Tol(tol::TolError::NoSamples));
    }
    if !(rho > 0.0 && rho < 1.0) {
        return Err(shape_error(TaxonomyError::Density { rho }));
    }
    let df = d as f64;
    let variance = 2.0 * df * rho * (1.0 - rho);
    Ok(tol::bernstein(n, variance, df.sqrt(), delta, Tail::Two)? / df.sqrt())
}

/// The row order by decreasing degree, ties by smaller index.
fn rows_by_degree(mask: &Mask) -> Vec<usize> {
    let degrees = mask.row_degrees();
    let mut order: Vec<usize> = (0..mask.rows()).collect();
    order.sort_by(|&a, &b| degrees[b].cmp(&degrees[a]).then(a.cmp(&b)));
    order
}

/// Block `b` of `m` items in `blocks` near-equal groups holds items `⌊bm/B⌋ .. ⌊(b+1)m/B⌋`;
/// returns the group of each item.
fn block_of(m: usize, blocks: usize) -> Vec<usize> {
    let mut of = vec![0; m];
    for b in 0..blocks {
        of[b * m / blocks..(b + 1) * m / blocks].fill(b);
    }
    of
}

/// Block averages of a mask with rows sorted by their own degree, columns in data order.
fn sorted_block_averages(mask: &Mask, row_blocks: usize, col_blocks: usize) -> Vec<f64> {
    let (n, d) = (mask.rows(), mask.cols());
    let (row_block, col_block) = (block_of(n, row_blocks), block_of(d, col_blocks));
    let mut sums = vec![0u64; row_blocks * col_blocks];
    for (position, i) in rows_by_degree(mask).into_iter().enumerate() {
        let base = row_block[position] * col_blocks;
        for_each_set(mask.row_words(i).unwrap_or(&[]), |j| {
            sums[base + col_block[j]] += 1;
        });
    }
    let size = |m: usize, blocks: usize, b: usize| ((b + 1) * m / blocks - b * m / blocks) as f64;
    sums.iter()
        .enumerate()
        .map(|(c, &s)| {
            let (a, b) = (c / col_blocks, c % col_blocks);
            s as f64 / (size(n, row_blocks, a) * size(d, col_blocks, b))
        })
        .collect()
}

/// For reporting: the largest absolute difference of block averages between two masks, each
/// with its rows sorted by its own degree (decreasing, ties by index) and cut into `row_blocks`
/// near-equal groups, and its columns in data order cut into `col_blocks` groups (group b of m
/// items holds `⌊bm/B⌋ .. ⌊(b+1)m/B⌋`).
///
/// Errors: different shapes, or block counts outside `1..=n` and `1..=d`.
///
/// ```
/// use pai_graphon::mask::top_k_mask;
/// use pai_graphon::taxonomy::stats::sorted_block_distance;
/// // Same row sets up to order: sorting by degree makes them equal.
/// let a = top_k_mask(2, 2, &[1.0, 1.0, 0.0, 0.0], 2).unwrap();
/// let b = top_k_mask(2, 2, &[0.0, 0.0, 1.0, 1.0], 2).unwrap();
/// assert_eq!(sorted_block_distance(&a, &b, 2, 2).unwrap(), 0.0);
/// let c = top_k_mask(2, 2, &[1.0, 0.0, 1.0, 0.0], 2).unwrap();
/// assert_eq!(sorted_block_distance(&a, &c, 1, 2).unwrap(), 0.5);
/// ```
pub fn sorted_block_distance(
    a: &Mask,
    b: &Mask,
    row_blocks: usize,
    col_blocks: usize,
) -> Result<f64, Error> {
    same_shape(a, b)?;
    if !(1..=a.rows()).contains(&row_blocks) || !(1..=a.cols()).contains(&col_blocks) {
        return Err(shape_error(TaxonomyError::Blocks {
            row_blocks,
            col_blocks,
            rows: a.rows(),
            cols: a.cols(),
        }));
    }
    let (x, y) = (
        sorted_block_averages(a, row_blocks, col_blocks),
        sorted_block_averages(b, row_blocks, col_blocks),
    );
    Ok(x.iter()
        .zip(&y)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f64::max))
}
