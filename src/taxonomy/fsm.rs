//! The Factorised Saliency Model fit (`theory/taxonomy.md`, section "Mask statistics,
//! homogeneity bounds, the FSM fit").
//!
//! Under the FSM a score matrix is `S_ij = φ_i ψ_j ξ_ij` with i.i.d. noise, so `L = log|S|` is
//! additive: `L_ij = log φ_i + log ψ_j + log|ξ_ij|`. Signed scores are read through `|S|`.
//! The **block** is S without its all-zero rows and columns (those carry φ_i = 0 or ψ_j = 0).
//!
//! - [`anova_fit`]: the two-way additive fit of L on the block and its residual variance, to be
//!   compared with `Var log|ξ|` (π²/8 for Gaussian ξ, [`LOG_ABS_GAUSSIAN_VARIANCE`]).
//! - [`interaction_contrasts`]: the disjoint 2×2 contrasts
//!   `D = L_ij − L_ij' − L_i'j + L_i'j'`, in which the profiles cancel exactly; under an exact
//!   FSM they are i.i.d. with a law that depends on the noise alone ([`ContrastLaw`]).
//! - [`fsm_test`]: KS distance and variance ratio of the contrasts against that law, with
//!   thresholds from DKW–Massart and Bernstein.
//!
//! ```
//! use pai_graphon::seed::MasterSeed;
//! use pai_graphon::taxonomy::fsm::{anova_fit, fsm_test, interaction_contrasts, ContrastLaw};
//! use rand_distr::{Distribution, StandardNormal};
//! // An exact FSM: S_ij = φ_i ψ_j ξ_ij with Gaussian ξ.
//! let (n, d) = (200, 200);
//! let mut rng = MasterSeed::default().stream("DOC");
//! let s: Vec<f64> = (0..n * d)
//!     .map(|k| {
//!         let xi: f64 = StandardNormal.sample(&mut rng);
//!         (1 + k / d) as f64 * (1.0 + (k % d) as f64).sqrt() * xi
//!     })
//!     .collect();
//! let ratio = anova_fit(&s, n, d).unwrap().gaussian_ratio;
//! assert!((ratio - 1.0).abs() < 0.1, "{ratio}"); // residual variance ≈ π²/8
//! let c = interaction_contrasts(&s, n, d).unwrap();
//! assert_eq!(c.values.len(), 100 * 100);
//! assert!(fsm_test(&c.values, ContrastLaw::Gaussian, 1e-3).unwrap().accepted());
//! assert!(!fsm_test(&c.values, ContrastLaw::Uniform, 1e-3).unwrap().accepted());
//! ```

use crate::stats::ks::ks_statistic;
use crate::taxonomy::stats::check_delta;
use crate::taxonomy::TaxonomyError;
use crate::tol::{self, Tail};
use crate::Error;
use std::f64::consts::PI;
use std::sync::OnceLock;

/// `Var log|Z| = π²/8` for Z ~ N(0, 1): the cumulants of `log|Z|` are `κ_k = 2^(−k) ψ^(k−1)(½)`,
/// and `ψ'(½) = π²/2`.
///
/// ```
/// use pai_graphon::taxonomy::fsm::{ContrastLaw, LOG_ABS_GAUSSIAN_VARIANCE};
/// // A contrast sums four independent ±log|ξ|: four times this variance.
/// assert_eq!(4.0 * LOG_ABS_GAUSSIAN_VARIANCE, ContrastLaw::Gaussian.variance());
/// assert!((LOG_ABS_GAUSSIAN_VARIANCE - 1.2337).abs() < 1e-4);
/// ```
pub const LOG_ABS_GAUSSIAN_VARIANCE: f64 = PI * PI / 8.0;

/// The non-zero block of a score matrix and the logarithms of its entries.
///
/// ```
/// use pai_graphon::taxonomy::fsm::LogBlock;
/// // Row 1 and column 2 are all zero and drop out; the zero at (2, 1) stays inside the block.
/// let s = [1.0, -1.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0];
/// let b = LogBlock::new(&s, 3, 3).unwrap();
/// assert_eq!((b.rows.clone(), b.cols.clone()), (vec![0, 2], vec![0, 1]));
/// assert_eq!(b.logs, vec![Some(0.0), Some(0.0), Some(2f64.ln()), None]);
/// assert!(LogBlock::new(&s, 2, 3).is_err()); // 9 scores are not 2 × 3
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LogBlock {
    /// Indices (in S) of the rows kept: those with a non-zero score.
    pub rows: Vec<usize>,
    /// Indices (in S) of the columns kept.
    pub cols: Vec<usize>,
    /// `log|S_ij|` on the block, row-major (`rows.len() × cols.len()`); `None` for a zero entry.
    pub logs: Vec<Option<f64>>,
}

impl LogBlock {
    /// The block of `scores` (n × d, row-major): drops the rows and columns whose scores are all
    /// 0 and takes `log|S_ij|` of the rest; zero entries left inside the block are `None`.
    ///
    /// Errors: `scores.len() ≠ n·d` ([`TaxonomyError::ScoreCount`]), a non-finite score
    /// ([`TaxonomyError::NonFinite`]).
    ///
    /// ```
    /// use pai_graphon::taxonomy::fsm::LogBlock;
    /// let b = LogBlock::new(&[0.0, 0.0, 0.0, 1.0, 0.0, -1.0], 2, 3).unwrap();
    /// assert_eq!((b.rows.clone(), b.cols.clone()), (vec![1], vec![0, 2]));
    /// assert_eq!(b.logs, vec![Some(0.0), Some(0.0)]);
    /// ```
    pub fn new(scores: &[f64], n: usize, d: usize) -> Result<Self, Error> {
        if n.checked_mul(d) != Some(scores.len()) {
            return Err(Error::Taxonomy(TaxonomyError::ScoreCount {
                len: scores.len(),
                n,
                d,
            }));
        }
        if let Some(x) = scores.iter().find(|x| !x.is_finite()) {
            return Err(Error::Taxonomy(TaxonomyError::NonFinite {
                what: "score",
                value: *x,
            }));
        }
        let nonzero = |i: usize, j: usize| scores[i * d + j] != 0.0;
        let rows: Vec<usize> = (0..n).filter(|&i| (0..d).any(|j| nonzero(i, j))).collect();
        let cols: Vec<usize> = (0..d).filter(|&j| (0..n).any(|i| nonzero(i, j))).collect();
        let logs = rows
            .iter()
            .flat_map(|&i| cols.iter().map(move |&j| (i, j)))
            .map(|(i, j)| nonzero(i, j).then(|| scores[i * d + j].abs().ln()))
            .collect();
        Ok(LogBlock { rows, cols, logs })
    }

    fn at(&self, a: usize, b: usize) -> Option<f64> {
        self.logs[a * self.cols.len() + b]
    }

    /// How many entries inside the block are 0 (impossible under an exact FSM with a continuous
    /// noise law, up to underflow).
    ///
    /// ```
    /// use pai_graphon::taxonomy::fsm::LogBlock;
    /// let b = LogBlock::new(&[1.0, 0.0, 0.0, 1.0], 2, 2).unwrap();
    /// assert_eq!(b.zeros(), 2);
    /// ```
    pub fn zeros(&self) -> usize {
        self.logs.iter().filter(|x| x.is_none()).count()
    }
}

/// The two-way additive fit `log|S_ij| = μ + r_i + c_j + e_ij` on the block (see [`anova_fit`]).
///
/// ```
/// use pai_graphon::taxonomy::fsm::anova_fit;
/// // |S_ij| = 2^i on a 3 × 2 block: μ = log 2, row effects (−1, 0, 1) log 2, no column effect.
/// let fit = anova_fit(&[1.0, -1.0, 2.0, 2.0, 4.0, -4.0], 3, 2).unwrap();
/// use pai_graphon::tol::gamma;
/// let ln2 = 2f64.ln();
/// // μ = (2 ln 2 + 2 ln 4)/6: each ln two roundings (libm), one addition, one quotient: γ_4,
/// // and ln2 here γ_2. r_0 = 0/2 − μ exactly. c_j = (ln 2 + ln 4)/3 − μ: two values within
/// // γ_4 ln 2 of ln 2, subtracted exactly (Sterbenz): 2γ_4 ≤ γ_8.
/// assert!((fit.grand_mean - ln2).abs() <= gamma(6).unwrap() * ln2);
/// assert!((fit.row_effects[0] + ln2).abs() <= gamma(6).unwrap() * ln2);
/// assert!(fit.col_effects.iter().all(|c| c.abs() <= gamma(8).unwrap() * ln2));
/// assert_eq!(fit.zeros_excluded, 0);
/// // Each residual is −c_j exactly (l − μ and r_i are one computation, or both −μ), and c_j
/// // = (ln 2 + ln 4)/3 − μ is within 8 u ln 2 of 0 (in units of u ln 2: the column mean 4,
/// // the logs' 2 + 4 and the sum's 3 divided by 3, plus the quotient's 1; μ 4): the variance is
/// // 6 c²/2, to γ_8 for the squares, sums and quotients.
/// let bound = 3.0 * (gamma(9).unwrap() * ln2).powi(2) * (1.0 + gamma(10).unwrap());
/// let ratio_bound = bound / pai_graphon::taxonomy::fsm::LOG_ABS_GAUSSIAN_VARIANCE;
/// assert!(fit.gaussian_ratio <= ratio_bound);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct AnovaFit {
    /// Rows of S in the block.
    pub rows: Vec<usize>,
    /// Columns of S in the block.
    pub cols: Vec<usize>,
    /// Zero entries inside the block, excluded from every mean.
    pub zeros_excluded: usize,
    /// μ, the grand mean of the logarithms.
    pub grand_mean: f64,
    /// `r_i` (row mean − μ), one per block row: `log φ_i` up to a constant.
    pub row_effects: Vec<f64>,
    /// `c_j` (column mean − μ), one per block column: `log ψ_j` up to a constant.
    pub col_effects: Vec<f64>,
    /// `Σ e² / (m − n' − d' + 1)` over the m entries used; `(n'−1)(d'−1)` with no zeros.
    pub residual_variance: f64,
    /// `residual_variance / (π²/8)`: ≈ 1 for an FSM with Gaussian noise.
    pub gaussian_ratio: f64,
}

/// The two-way additive fit of `L = log|S|` on the non-zero block of the n × d scores
/// (row-major): `μ` = mean of L, `r_i` = row mean − μ, `c_j` = column mean − μ, residuals
/// `e_ij = L_ij − μ − r_i − c_j`, residual variance `Σ e²/((n'−1)(d'−1))` (unbiased for
/// `Var log|ξ|` under an exact FSM) and its ratio to `π²/8`.
///
/// Zero entries inside the block are excluded: every mean runs over the entries present, and the
/// denominator becomes `m − n' − d' + 1` for m entries used. This is the balanced formula applied
/// to an unbalanced table, not the least-squares fit; it is exact when nothing is excluded,
/// which is the case under an exact FSM almost surely.
///
/// Errors: as [`LogBlock::new`], and a block with fewer than 2 rows or columns or no residual
/// degree of freedom ([`TaxonomyError::NoResidualDf`]).
///
/// ```
/// use pai_graphon::taxonomy::fsm::anova_fit;
/// // An exactly rank-one |S| = φψᵀ: zero residual, effects log φ_i − mean, log ψ_j − mean.
/// let s = [1.0, -2.0, 4.0, 8.0];
/// let fit = anova_fit(&s, 2, 2).unwrap();
/// // L = (0, ln 2; ln 4, ln 8), each ln two roundings. μ = (ln 2 + (ln 4 + ln 8))/4 = 1.5 ln 2
/// // within γ_4; r_1 = (ln 4 + ln 8)/2 − μ = 2.5 ln 2 (γ_3) − 1.5 ln 2 (γ_4), the difference
/// // exact (Sterbenz): 4γ_4, with ln 2 here γ_2: γ_18. c_0 = ln 4/2 − μ = ln 2 (γ_2) − 1.5 ln 2
/// // (γ_4), with 0.5 ln 2 here (γ_2): 1.5(γ_2 + γ_4) ≤ γ_9.
/// let (ln2, gamma) = (2f64.ln(), |n| pai_graphon::tol::gamma(n).unwrap());
/// // Every rounding followed in units of u ln 2 (μ 5.75, r 7.75 and 14.25, c 8.25 and 12.25,
/// // the logs 2, 4, 6, the residuals' own 2 at most): each residual is within 40.25 u ln 2 of
/// // 0, so Σ e² ≤ 4 (γ_41 ln 2)², to γ_8 for the squares, their sum and this bound's rounding.
/// assert!(fit.residual_variance <= 4.0 * (gamma(41) * ln2).powi(2) * (1.0 + gamma(8)));
/// assert!((fit.row_effects[1] - ln2).abs() <= gamma(18) * ln2);
/// assert!((fit.col_effects[0] + 0.5 * ln2).abs() <= gamma(9) * ln2);
/// ```
pub fn anova_fit(scores: &[f64], n: usize, d: usize) -> Result<AnovaFit, Error> {
    let block = LogBlock::new(scores, n, d)?;
    let (np, dp) = (block.rows.len(), block.cols.len());
    let used = np * dp - block.zeros();
    if np < 2 || dp < 2 || used < np + dp {
        return Err(Error::Taxonomy(TaxonomyError::NoResidualDf {
            rows: np,
            cols: dp,
            used,
        }));
    }
    let (mut row_sum, mut row_count) = (vec![0.0; np], vec![0usize; np]);
    let (mut col_sum, mut col_count) = (vec![0.0; dp], vec![0usize; dp]);
    for a in 0..np {
        for b in 0..dp {
            if let Some(l) = block.at(a, b) {
                row_sum[a] += l;
                row_count[a] += 1;
                col_sum[b] += l;
                col_count[b] += 1;
            }
        }
    }
    let grand_mean = row_sum.iter().sum::<f64>() / used as f64;
    let effect = |(s, c): (&f64, &usize)| s / *c as f64 - grand_mean;
    let row_effects: Vec<f64> = row_sum.iter().zip(&row_count).map(effect).collect();
    let col_effects: Vec<f64> = col_sum.iter().zip(&col_count).map(effect).collect();
    let mut ss = 0.0;
    for (a, r) in row_effects.iter().enumerate() {
        for (b, c) in col_effects.iter().enumerate() {
            if let Some(l) = block.at(a, b) {
                ss += (l - grand_mean - r - c).powi(2);
            }
        }
    }
    let residual_variance = ss / (used - np - dp + 1) as f64;
    Ok(AnovaFit {
        zeros_excluded: block.zeros(),
        rows: block.rows,
        cols: block.cols,
        grand_mean,
        row_effects,
        col_effects,
        residual_variance,
        gaussian_ratio: residual_variance / LOG_ABS_GAUSSIAN_VARIANCE,
    })
}

/// The disjoint 2×2 interaction contrasts of a score matrix (see [`interaction_contrasts`]).
///
/// ```
/// use pai_graphon::taxonomy::fsm::interaction_contrasts;
/// // 3 × 3 scores: row 2 and column 2 have no partner, so one square remains.
/// let s = [1.0, 2.0, 5.0, 3.0, 6.0, 7.0, 9.0, 9.0, 9.0];
/// let c = interaction_contrasts(&s, 3, 3).unwrap();
/// assert_eq!((c.values.len(), c.skipped), (1, 0));
/// // Rows 0 and 1 are proportional: D = ln 1 − ln 2 − ln 3 + ln 6 = 0. The logs err by one ulp
/// // each (absolute 2u (ln 2 + ln 3 + ln 6) = 4u ln 6), −ln 2 − ln 3 rounds once (u ln 6), the
/// // last sum once, on a result that small: within γ_6 ln 6.
/// assert!(c.values[0].abs() <= pai_graphon::tol::gamma(6).unwrap() * 6f64.ln());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Contrasts {
    /// `D = L_ij − L_ij' − L_i'j + L_i'j'`, row pair major.
    pub values: Vec<f64>,
    /// 2×2 squares skipped because one of their entries is 0.
    pub skipped: usize,
}

/// The interaction contrasts of the n × d scores: inside the non-zero block, rows are paired
/// (0,1), (2,3), … and columns likewise (an odd last one is left out); each pair of pairs gives
/// `D = L_ij − L_ij' − L_i'j + L_i'j'` with `L = log|S|`. The profiles cancel exactly, and the
/// squares are disjoint, so under an exact FSM the D are i.i.d. with the law of
/// `log|ξ1 ξ4/(ξ2 ξ3)|` ([`ContrastLaw`]). Squares holding a 0 are skipped and counted.
///
/// Errors: as [`LogBlock::new`].
///
/// ```
/// use pai_graphon::taxonomy::fsm::interaction_contrasts;
/// // L_00 − L_01 − L_10 + L_11 = log 8 − log 1 − log 2 + log 1 = log 4.
/// let c = interaction_contrasts(&[8.0, -1.0, 2.0, 1.0], 2, 2).unwrap();
/// assert_eq!((c.values.len(), c.skipped), (1, 0));
/// // ln 8 − ln 2 (two roundings each: absolute errors 2γ_2 ln 4) and one subtraction: γ_5 of
/// // ln 4; ln 4 here two more: γ_7.
/// let ln4 = 4f64.ln();
/// assert!((c.values[0] - ln4).abs() <= pai_graphon::tol::gamma(7).unwrap() * ln4);
/// // A square holding a zero is skipped.
/// let z = interaction_contrasts(&[8.0, 1.0, 2.0, 0.0], 2, 2).unwrap();
/// assert_eq!((z.values.len(), z.skipped), (0, 1));
/// ```
pub fn interaction_contrasts(scores: &[f64], n: usize, d: usize) -> Result<Contrasts, Error> {
    let block = LogBlock::new(scores, n, d)?;
    let (np, dp) = (block.rows.len(), block.cols.len());
    let mut out = Contrasts {
        values: Vec::with_capacity((np / 2) * (dp / 2)),
        skipped: 0,
    };
    for a in (0..np / 2).map(|x| 2 * x) {
        for b in (0..dp / 2).map(|x| 2 * x) {
            let corners = [
                block.at(a, b),
                block.at(a, b + 1),
                block.at(a + 1, b),
                block.at(a + 1, b + 1),
            ];
            match corners {
                [Some(w), Some(x), Some(y), Some(z)] => out.values.push(w - x - y + z),
                _ => out.skipped += 1,
            }
        }
    }
    Ok(out)
}

/// The law of the interaction contrasts under an exact FSM.
///
/// ```
/// use pai_graphon::taxonomy::fsm::ContrastLaw;
/// for law in [ContrastLaw::Gaussian, ContrastLaw::Uniform] {
///     // Symmetric about 0, and the CDF agrees with the two-sided tail.
///     let (s, tail) = (1.5, law.two_sided_tail(1.5));
///     // cdf(s) = 1 − tail/2 rounds once; 1 − cdf(s) and the difference are exact (Sterbenz).
///     let g1 = pai_graphon::tol::gamma(1).unwrap();
///     assert!((law.cdf(-s) - (1.0 - law.cdf(s))).abs() <= g1 * law.cdf(s));
///     assert_eq!(law.cdf(-s), tail / 2.0); // halving is exact
/// }
/// let pi2 = std::f64::consts::PI.powi(2);
/// assert_eq!((ContrastLaw::Gaussian.variance(), ContrastLaw::Uniform.variance()), (pi2 / 2.0, 4.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContrastLaw {
    /// Gaussian ξ: `D = Y1 + Y2` with `Y = log|Cauchy|` (as `Z1Z4/(Z2Z3) = C·C'`), density
    /// `2s/(π² sinh s)`, variance π²/2, fourth cumulant π⁴/4.
    Gaussian,
    /// Uniform |ξ|: `D = G1 − G2` with `G ~ Gamma(2, 1)`, density `(1 + |s|)e^(−|s|)/4`,
    /// variance 4, fourth cumulant 24.
    Uniform,
}

/// Terms of the Taylor series of `t/sinh t` kept below `|s| < 1` (truncation ≤ 1e-22).
const TAYLOR_TERMS: usize = 20;

/// `η(2n) = Σ_{k≥1} (−1)^(k−1) k^(−2n)` for n = 1..=TAYLOR_TERMS: closed forms for n = 1, 2
/// (π²/12, 7π⁴/720), alternating sums of 1000 terms beyond (error ≤ 1001^(−6) < 1e-18, summed from
/// the small end).
fn eta_even() -> &'static [f64; TAYLOR_TERMS] {
    static ETA: OnceLock<[f64; TAYLOR_TERMS]> = OnceLock::new();
    ETA.get_or_init(|| {
        let mut eta = [0.0; TAYLOR_TERMS];
        eta[0] = PI * PI / 12.0;
        eta[1] = 7.0 * PI.powi(4) / 720.0;
        for (m, e) in eta.iter_mut().enumerate().skip(2) {
            let power = 2 * (m as i32 + 1);
            *e = (1..=1000)
                .rev()
                .map(|k| {
                    let sign = if k % 2 == 1 { 1.0 } else { -1.0 };
                    sign * (k as f64).powi(-power)
                })
                .sum();
        }
        eta
    })
}

/// `Σ_{k≥0} e^(−a s)(1 + a s)/a²` with `a = 2k + 1`, for s ≥ 1: summed until the remainder bound
/// `e^(−a_K s)(1 + a_K s)/(a_K² (1 − e^(−2s)))` (the terms decrease geometrically with ratio
/// ≤ e^(−2s) and `(1 + as)/a²` decreases in a) is below 1e-20.
fn exponential_tail_sum(s: f64) -> f64 {
    if s == f64::INFINITY {
        return 0.0;
    }
    let ratio = 1.0 / (1.0 - (-2.0 * s).exp());
    let mut total = 0.0;
    for k in 0.. {
        let a = (2 * k + 1) as f64;
        let term = (-a * s).exp() * (1.0 + a * s) / (a * a);
        if term * ratio < 1e-20 {
            break;
        }
        total += term;
    }
    total
}

/// `G(s) = ∫_0^s t/sinh t dt` for s ≥ 0.
///
/// For s < 1 the Taylor series `t/sinh t = 1 + 2 Σ_{n≥1} (−1)^n η(2n) (t/π)^(2n)` (radius π,
/// `η ≤ 1`) integrated term by term, truncated after 20 terms: remainder
/// `≤ 2π (1/π)^43 / (43 (1 − 1/π²)) < 1e-22`. For s ≥ 1,
/// `G(s) = π²/4 − 2 Σ_{k≥0} e^(−as)(1 + as)/a²` (from `t/sinh t = 2t Σ e^(−(2k+1)t)`), remainder
/// below 2e-20.
///
/// ```
/// use pai_graphon::taxonomy::fsm::t_over_sinh_integral;
/// assert_eq!(t_over_sinh_integral(0.0), 0.0);
/// // G(∞) = π²/4.
/// let pi2 = std::f64::consts::PI.powi(2);
/// // At 60 the tail sum (below 1e-24) is under half an ulp of π²/4: the same f64 remains.
/// assert_eq!(t_over_sinh_integral(60.0), pi2 / 4.0);
/// ```
pub fn t_over_sinh_integral(s: f64) -> f64 {
    if s >= 1.0 {
        return PI * PI / 4.0 - 2.0 * exponential_tail_sum(s);
    }
    let x = s / PI;
    let mut power = x;
    let mut series = 0.0;
    for (m, eta) in eta_even().iter().enumerate() {
        let n = m + 1;
        power *= x * x;
        let sign = if n % 2 == 1 { -1.0 } else { 1.0 };
        series += sign * eta * power / (2 * n + 1) as f64;
    }
    s + 2.0 * PI * series
}

impl ContrastLaw {
    /// The law's name for reports.
    ///
    /// ```
    /// use pai_graphon::taxonomy::fsm::ContrastLaw;
    /// assert_eq!(ContrastLaw::Gaussian.name(), "gaussian");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            ContrastLaw::Gaussian => "gaussian",
            ContrastLaw::Uniform => "uniform",
        }
    }

    /// The CDF. Gaussian: `½ + (2/π²) G(s)` ([`t_over_sinh_integral`]), for s ≥ 1 as
    /// `1 − (4/π²) Σ e^(−as)(1 + as)/a²` to keep the tail accurate. Uniform: for s ≥ 0,
    /// `1 − (2 + s)e^(−s)/4`. Both are symmetric: `F(−s) = 1 − F(s)`.
    ///
    /// ```
    /// use pai_graphon::taxonomy::fsm::ContrastLaw;
    /// use pai_graphon::tol::gamma;
    /// assert_eq!(ContrastLaw::Gaussian.cdf(0.0), 0.5);
    /// assert_eq!(ContrastLaw::Uniform.cdf(0.0), 0.5);
    /// // F(−1) = 3e⁻¹/4: exp (two) on each side, a product in cdf, a quotient here: six roundings.
    /// let exact = 0.75 / 1f64.exp();
    /// assert!((ContrastLaw::Uniform.cdf(-1.0) - exact).abs() <= gamma(6).unwrap() * exact);
    /// ```
    pub fn cdf(self, s: f64) -> f64 {
        let upper = 0.5 * self.two_sided_tail(s.abs());
        if s >= 0.0 {
            1.0 - upper
        } else {
            upper
        }
    }

    /// `P(|D| > t)` for t ≥ 0. Gaussian: `(8/π²) Σ e^(−at)(1 + at)/a²` for t ≥ 1,
    /// `1 − (4/π²) G(t)` below. Uniform: `(2 + t)e^(−t)/2`.
    ///
    /// ```
    /// use pai_graphon::taxonomy::fsm::ContrastLaw;
    /// assert_eq!(ContrastLaw::Uniform.two_sided_tail(0.0), 1.0);
    /// // G(0) = 0 exactly (each series term is a multiple of 0): 1 − (4/π²)·0 = 1.
    /// assert_eq!(ContrastLaw::Gaussian.two_sided_tail(0.0), 1.0);
    /// ```
    pub fn two_sided_tail(self, t: f64) -> f64 {
        let t = t.abs();
        match self {
            ContrastLaw::Gaussian if t >= 1.0 => 8.0 / (PI * PI) * exponential_tail_sum(t),
            ContrastLaw::Gaussian => 1.0 - 4.0 / (PI * PI) * t_over_sinh_integral(t),
            ContrastLaw::Uniform => (2.0 + t) * (-t).exp() / 2.0,
        }
    }

    /// The density: `2s/(π² sinh s)` (value `2/π²` at 0), resp. `(1 + |s|)e^(−|s|)/4`.
    ///
    /// ```
    /// use pai_graphon::taxonomy::fsm::ContrastLaw;
    /// assert_eq!(ContrastLaw::Uniform.density(0.0), 0.25);
    /// let pi2 = std::f64::consts::PI.powi(2);
    /// assert_eq!(ContrastLaw::Gaussian.density(0.0), 2.0 / pi2);
    /// ```
    pub fn density(self, s: f64) -> f64 {
        let s = s.abs();
        match self {
            ContrastLaw::Gaussian if s == 0.0 => 2.0 / (PI * PI),
            ContrastLaw::Gaussian => 2.0 * s / (PI * PI * s.sinh()),
            ContrastLaw::Uniform => (1.0 + s) * (-s).exp() / 4.0,
        }
    }

    /// `Var D = κ2`: π²/2, resp. 4.
    ///
    /// ```
    /// use pai_graphon::taxonomy::fsm::ContrastLaw;
    /// assert_eq!(ContrastLaw::Uniform.variance(), 4.0);
    /// ```
    pub fn variance(self) -> f64 {
        match self {
            ContrastLaw::Gaussian => PI * PI / 2.0,
            ContrastLaw::Uniform => 4.0,
        }
    }

    /// `Var(D²) = E D⁴ − (E D²)² = κ4 + 2κ2²` (D is symmetric, so odd cumulants vanish):
    /// Gaussian `π⁴/4 + π⁴/2 = 3π⁴/4` (`κ4(log|C|) = π⁴/8`, hyperbolic secant law);
    /// uniform `24 + 32 = 56` (`κ_k(Gamma(2,1)) = 2(k−1)!`, even cumulants of `G1 − G2` double).
    ///
    /// ```
    /// use pai_graphon::taxonomy::fsm::ContrastLaw;
    /// assert_eq!(ContrastLaw::Uniform.square_variance(), 56.0);
    /// ```
    pub fn square_variance(self) -> f64 {
        match self {
            ContrastLaw::Gaussian => 0.75 * PI.powi(4),
            ContrastLaw::Uniform => 56.0,
        }
    }

    /// An upper bound on `E[D² 1{|D| > t}]`, the bias of truncating D² at t². Uniform: exact,
    /// `e^(−t)(t³ + 4t² + 8t + 8)/2`. Gaussian: with `1/sinh s ≤ 2e^(−s)/(1 − e^(−2t))` for
    /// s ≥ t > 0, `(8/(π²(1 − e^(−2t)))) e^(−t)(t³ + 3t² + 6t + 6)`; at t = 0 it is `E D²`.
    ///
    /// ```
    /// use pai_graphon::taxonomy::fsm::ContrastLaw;
    /// assert_eq!(ContrastLaw::Uniform.truncated_second_moment(0.0), 4.0);
    /// ```
    pub fn truncated_second_moment(self, t: f64) -> f64 {
        let t = t.abs();
        match self {
            ContrastLaw::Gaussian if t == 0.0 => self.variance(),
            ContrastLaw::Gaussian => {
                let cubic = ((t + 3.0) * t + 6.0) * t + 6.0;
                8.0 / (PI * PI * -(-2.0 * t).exp_m1()) * (-t).exp() * cubic
            }
            ContrastLaw::Uniform => (-t).exp() * (((t + 4.0) * t + 8.0) * t + 8.0) / 2.0,
        }
    }

    /// The smallest T (to 1e-12 relative, taken at the safe end) with `m · P(|D| > T) ≤ δ`.
    fn truncation(self, m: usize, delta: f64) -> f64 {
        let exceeds = |t: f64| m as f64 * self.two_sided_tail(t) > delta;
        let mut hi = 1.0;
        while exceeds(hi) {
            hi *= 2.0;
        }
        let mut lo = 0.0;
        while hi - lo > 1e-12 * hi {
            let mid = 0.5 * (lo + hi);
            if exceeds(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        hi
    }
}

/// Absolute allowance on a CDF value of [`ContrastLaw::cdf`] (series remainders ≤ 2e-20 plus
/// at most 64 roundings of terms ≤ 1): `γ_64`.
fn cdf_allowance() -> f64 {
    tol::gamma(64).unwrap_or(f64::INFINITY)
}

/// The FSM test of a sample of contrasts against a law (see [`fsm_test`]).
///
/// ```
/// use pai_graphon::taxonomy::fsm::{fsm_test, ContrastLaw};
/// // ±2 with equal weight: mean 0, variance ratio 4/4 = 1, but far from the law's CDF.
/// let c: Vec<f64> = (0..10_000).map(|i| if i % 2 == 0 { 2.0 } else { -2.0 }).collect();
/// let t = fsm_test(&c, ContrastLaw::Uniform, 1e-3).unwrap();
/// assert_eq!((t.count, t.mean, t.variance_ratio), (10_000, 0.0, 1.0));
/// assert!(t.variance_accepts && !t.ks_accepts && !t.accepted());
/// assert!(t.ratio_low < 1.0 && 1.0 < t.ratio_high);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct FsmTest {
    /// The law tested against.
    pub law: ContrastLaw,
    /// m, the number of contrasts.
    pub count: usize,
    /// Their mean (0 in law by symmetry; reported, not tested).
    pub mean: f64,
    /// `sup |F_m − F|`.
    pub ks_statistic: f64,
    /// DKW–Massart threshold at δ/3, plus the CDF allowance.
    pub ks_threshold: f64,
    /// `V̂ / Var D` with `V̂ = mean D²`.
    pub variance_ratio: f64,
    /// Lower end of the acceptance band for the ratio.
    pub ratio_low: f64,
    /// Upper end of the acceptance band for the ratio.
    pub ratio_high: f64,
    /// The truncation level T: `m P(|D| > T) ≤ δ/3`.
    pub truncation: f64,
    /// Whether `ks_statistic ≤ ks_threshold`.
    pub ks_accepts: bool,
    /// Whether the ratio lies in `[ratio_low, ratio_high]`.
    pub variance_accepts: bool,
}

impl FsmTest {
    /// Whether both parts accept.
    ///
    /// ```
    /// use pai_graphon::taxonomy::fsm::{fsm_test, ContrastLaw};
    /// let t = fsm_test(&[-1.0, 1.0], ContrastLaw::Uniform, 0.5).unwrap();
    /// assert!(t.accepted()); // two points say little
    /// ```
    pub fn accepted(&self) -> bool {
        self.ks_accepts && self.variance_accepts
    }

    /// The larger of `ks_statistic / ks_threshold` and the variance ratio's distance from 1 in
    /// units of the band's half on its side: ≤ 1 when the test accepts (up to the rounding
    /// allowances), > 1 when either part rejects.
    ///
    /// ```
    /// use pai_graphon::taxonomy::fsm::{fsm_test, ContrastLaw};
    /// let t = fsm_test(&vec![0.0; 10_000], ContrastLaw::Gaussian, 1e-3).unwrap();
    /// assert!(t.normalised() > 1.0);
    /// ```
    pub fn normalised(&self) -> f64 {
        let r = self.variance_ratio;
        let variance = if r >= 1.0 {
            (r - 1.0) / (self.ratio_high - 1.0)
        } else {
            (1.0 - r) / (1.0 - self.ratio_low)
        };
        (self.ks_statistic / self.ks_threshold).max(variance)
    }

    /// `ratio_high / variance_ratio`: < 1 when the variance ratio lies above the band (the FSM is
    /// rejected by excess interaction variance).
    ///
    /// ```
    /// use pai_graphon::taxonomy::fsm::{fsm_test, ContrastLaw};
    /// let big: Vec<f64> = (0..10_000).map(|i| if i % 2 == 0 { 5.0 } else { -5.0 }).collect();
    /// assert!(fsm_test(&big, ContrastLaw::Gaussian, 1e-3).unwrap().excess_margin() < 1.0);
    /// ```
    pub fn excess_margin(&self) -> f64 {
        self.ratio_high / self.variance_ratio
    }
}

/// Tests whether `contrasts` ([`interaction_contrasts`]) are an i.i.d. sample of `law`, at
/// false-rejection probability ≤ δ, split in three:
///
/// - δ/3, KS: `sup |F_m − F| ≤ ε = sqrt(ln(6/δ)/(2m))` ([`tol::dkw_massart`]), plus the CDF
///   rounding allowance `γ_64`.
/// - δ/3, truncation: T is the smallest level with `m · P(|D| > T) ≤ δ/3` (exact tail of the
///   law), so all `|D_i| ≤ T` except with probability δ/3; then `V̂ = mean D²` equals the mean of
///   `Y = min(D², T²) ∈ [0, T²]`, whose mean lies in `[Var D − b(T), Var D]` with
///   `b(T) ≥ E[D² 1{|D| > T}]` ([`ContrastLaw::truncated_second_moment`]).
/// - δ/3, Bernstein ([`tol::bernstein`], two-sided): `|mean Y − E Y| ≤ t` with variance
///   `Var Y ≤ Var D²` (min with T² is 1-Lipschitz) and range T².
///
/// So `V̂ ∈ [Var D − b − t − r, Var D + t + r]` with r the rounding allowance of the sum of
/// squares ([`tol::sum_allowance`]); the ratio band is that interval over `Var D`. The mean of D
/// is 0 by symmetry (swapping the two columns of a square negates D and leaves its law
/// unchanged), so `V̂` is not centred.
///
/// Errors: an empty sample, a non-finite contrast, δ outside (0, 1).
///
/// ```
/// use pai_graphon::taxonomy::fsm::{fsm_test, ContrastLaw};
/// // A point mass at 0 has the right mean but no spread: both parts reject.
/// let t = fsm_test(&vec![0.0; 10_000], ContrastLaw::Gaussian, 1e-3).unwrap();
/// assert_eq!(t.variance_ratio, 0.0);
/// assert!(!t.ks_accepts && !t.variance_accepts);
/// ```
pub fn fsm_test(contrasts: &[f64], law: ContrastLaw, delta: f64) -> Result<FsmTest, Error> {
    check_delta(delta)?;
    let m = contrasts.len();
    let part = delta / 3.0;
    let ks_threshold = tol::dkw_massart(m, part)? + cdf_allowance();
    if let Some(x) = contrasts.iter().find(|x| !x.is_finite()) {
        return Err(Error::Taxonomy(TaxonomyError::NonFinite {
            what: "contrast",
            value: *x,
        }));
    }
    let ks = ks_statistic(contrasts, |s| law.cdf(s))?;
    let truncation = law.truncation(m, part);
    let square_sum: f64 = contrasts.iter().map(|x| x * x).sum();
    let v_hat = square_sum / m as f64;
    let rounding = tol::sum_allowance(m, square_sum)? / m as f64;
    let t = tol::bernstein(
        m,
        law.square_variance(),
        truncation * truncation,
        part,
        Tail::Two,
    )?;
    let var = law.variance();
    let low = var - law.truncated_second_moment(truncation) - t - rounding;
    let high = var + t + rounding;
    Ok(FsmTest {
        law,
        count: m,
        mean: contrasts.iter().sum::<f64>() / m as f64,
        ks_statistic: ks,
        ks_threshold,
        variance_ratio: v_hat / var,
        ratio_low: low / var,
        ratio_high: high / var,
        truncation,
        ks_accepts: ks <= ks_threshold,
        variance_accepts: (low..=high).contains(&v_hat),
    })
}
