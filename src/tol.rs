//! Thresholds from named inequalities, and floating-point allowances from error analysis.
//!
//! Every statistical threshold in the crate is built by one of these functions; the doc of each
//! states the inequality and its failure probability. No claim compares against a bare literal.
//! Floating-point allowances are kept separate ([`gamma`], [`sum_allowance`]) and added on top.
//! See `theory/tolerances.md`.
//!
//! The doc examples compare a result with its closed form to within `γ_n |value|`, n the number
//! of f64 operations between the inputs and the result (both sides), a libm call (`exp`, `ln`)
//! counted as two since it is accurate to one ulp; a literal in an example is an input or a
//! fact, never an allowance (`tests/suite/tolerances.rs` scans for bare ones).
//!
//! ```
//! use pai_graphon::tol::{dkw_massart, gamma, sum_allowance};
//! // A KS check on n = 200 draws at δ = 1e-3: the threshold comes from DKW–Massart...
//! let eps = dkw_massart(200, 1e-3).unwrap();
//! assert!((eps - (2e3f64.ln() / 400.0).sqrt()).abs() <= gamma(10).unwrap() * eps);
//! // ...and the rounding of a 200-term sum of values in [0, 1] is allowed for on top.
//! assert_eq!(sum_allowance(200, 200.0).unwrap(), gamma(199).unwrap() * 200.0);
//! ```

use std::fmt;

/// Invalid arguments to a threshold function.
///
/// ```
/// use pai_graphon::tol::{gamma, hoeffding, Tail, TolError};
/// assert_eq!(hoeffding(10, 1.0, 1.5, Tail::One), Err(TolError::Probability(1.5)));
/// assert_eq!(hoeffding(0, 1.0, 0.1, Tail::One), Err(TolError::NoSamples));
/// assert!(matches!(hoeffding(10, -1.0, 0.1, Tail::One), Err(TolError::Parameter(_, _))));
/// // n u ≥ 1: no γ_n exists.
/// assert_eq!(gamma(1 << 53), Err(TolError::TooLong(1 << 53)));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum TolError {
    /// A failure probability outside the open interval (0, 1).
    Probability(f64),
    /// A sample size of zero.
    NoSamples,
    /// A range, variance, bound or mean that is negative or not finite.
    Parameter(&'static str, f64),
    /// An n-term sum so long that `n u ≥ 1` and no allowance exists.
    TooLong(usize),
}

impl fmt::Display for TolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TolError::Probability(d) => write!(f, "failure probability {d} is not in (0, 1)"),
            TolError::NoSamples => write!(f, "sample size must be at least 1"),
            TolError::Parameter(name, v) => {
                write!(f, "{name} = {v} must be finite and non-negative")
            }
            TolError::TooLong(n) => write!(f, "a {n}-term sum has no rounding allowance (n u ≥ 1)"),
        }
    }
}

impl std::error::Error for TolError {}

/// Whether a deviation bound covers one side or both.
///
/// ```
/// use pai_graphon::tol::{hoeffding, Tail};
/// // Two tails cost ln(2/δ) in place of ln(1/δ): at δ the two-sided bound is the one-sided
/// // bound at δ/2.
/// let two = hoeffding(100, 1.0, 0.01, Tail::Two).unwrap();
/// assert_eq!(two, hoeffding(100, 1.0, 0.005, Tail::One).unwrap());
/// assert!(two > hoeffding(100, 1.0, 0.01, Tail::One).unwrap());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tail {
    /// `P(X − EX ≥ t) ≤ δ` (or the lower side alone).
    One,
    /// `P(|X − EX| ≥ t) ≤ δ`.
    Two,
}

fn check_delta(delta: f64) -> Result<f64, TolError> {
    if delta > 0.0 && delta < 1.0 {
        Ok(delta)
    } else {
        Err(TolError::Probability(delta))
    }
}

fn check_param(name: &'static str, v: f64) -> Result<f64, TolError> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(TolError::Parameter(name, v))
    }
}

fn log_inverse(delta: f64, tail: Tail) -> f64 {
    match tail {
        Tail::One => (1.0 / delta).ln(),
        Tail::Two => (2.0 / delta).ln(),
    }
}

/// Hoeffding's inequality for the mean of `n` independent variables, each in an interval of
/// length `range`: `P(mean − E mean ≥ t) ≤ exp(−2 n t² / range²)`, so the returned
/// `t = range · sqrt(ln(1/δ) / (2n))` (with `2/δ` for [`Tail::Two`]) is exceeded with
/// probability at most δ. The variables need not be identically distributed.
///
/// ```
/// use pai_graphon::tol::{gamma, hoeffding, Tail};
/// let t = hoeffding(200, 1.0, 2.0 * (-4.0f64).exp(), Tail::Two).unwrap();
/// assert!((t - 0.1).abs() <= gamma(7).unwrap() * 0.1);
/// ```
pub fn hoeffding(n: usize, range: f64, delta: f64, tail: Tail) -> Result<f64, TolError> {
    let delta = check_delta(delta)?;
    let range = check_param("range", range)?;
    if n == 0 {
        return Err(TolError::NoSamples);
    }
    Ok(range * (log_inverse(delta, tail) / (2.0 * n as f64)).sqrt())
}

/// The Dvoretzky–Kiefer–Wolfowitz inequality with Massart's constant: for the empirical CDF
/// `F_n` of `n` i.i.d. draws from a continuous `F`, `P(sup |F_n − F| > ε) ≤ 2 exp(−2 n ε²)`.
/// Returns `ε = sqrt(ln(2/δ) / (2n))`.
///
/// ```
/// use pai_graphon::tol::{dkw_massart, gamma};
/// let eps = dkw_massart(50, 2.0 * (-1.0f64).exp()).unwrap();
/// assert!((eps - 0.1).abs() <= gamma(7).unwrap() * 0.1);
/// ```
pub fn dkw_massart(n: usize, delta: f64) -> Result<f64, TolError> {
    hoeffding(n, 1.0, delta, Tail::Two)
}

/// Bernstein's inequality for the mean of `n` independent variables with `|X − EX| ≤ bound`
/// and average variance `variance`:
/// `P(|mean − E mean| ≥ t) ≤ 2 exp(−n t² / (2σ² + 2bt/3))`. Returns the `t` that solves it,
/// `t = (b L / 3 + sqrt((b L / 3)² + 2 n σ² L)) / n` with `L = ln(2/δ)` (one tail: `ln(1/δ)`).
///
/// ```
/// use pai_graphon::tol::{bernstein, gamma, Tail};
/// // With no variance the bound is the range term alone: 2 b L / (3 n).
/// let t = bernstein(100, 0.0, 1.5, (-2.0f64).exp(), Tail::One).unwrap();
/// assert!((t - 0.02).abs() <= gamma(11).unwrap() * 0.02);
/// ```
pub fn bernstein(
    n: usize,
    variance: f64,
    bound: f64,
    delta: f64,
    tail: Tail,
) -> Result<f64, TolError> {
    let delta = check_delta(delta)?;
    let variance = check_param("variance", variance)?;
    let bound = check_param("bound", bound)?;
    if n == 0 {
        return Err(TolError::NoSamples);
    }
    let l = log_inverse(delta, tail);
    let n = n as f64;
    let a = bound * l / 3.0;
    Ok((a + (a * a + 2.0 * n * variance * l).sqrt()) / n)
}

/// Pinelis' Bernstein inequality in a Hilbert space (Pinelis 1994, *Ann. Probab.* 22,
/// Thm 3.4), here for N × N matrices in Frobenius norm: for n independent mean-zero `Y_i` with
/// `‖Y_i‖_F ≤ b` and `(1/n) Σ E‖Y_i‖_F² ≤ σ²`,
/// `P(‖(1/n) Σ Y_i‖_F ≥ t) ≤ 2 exp(−n t² / (2σ² + 2bt/3))`: the scalar Bernstein form with the
/// same constants ([`bernstein`], two tails). Returns the t exceeded with probability ≤ δ.
///
/// ```
/// use pai_graphon::tol::{bernstein, pinelis, Tail};
/// let t = pinelis(1000, 4.0, 10.0, 1e-4).unwrap();
/// assert_eq!(t, bernstein(1000, 4.0, 10.0, 1e-4, Tail::Two).unwrap());
/// assert!(pinelis(0, 4.0, 10.0, 1e-4).is_err());
/// ```
pub fn pinelis(n: usize, variance: f64, bound: f64, delta: f64) -> Result<f64, TolError> {
    bernstein(n, variance, bound, delta, Tail::Two)
}

/// Chernoff's lower tail for a sum `X` of independent Bernoulli variables with mean `μ`:
/// `P(X ≤ (1 − η) μ) ≤ exp(−η² μ / 2)`. Returns the count `μ − sqrt(2 μ ln(1/δ))` (at least 0)
/// that `X` falls below with probability at most δ.
///
/// ```
/// use pai_graphon::tol::{chernoff_lower, gamma};
/// let lo = chernoff_lower(200.0, (-1.0f64).exp()).unwrap();
/// assert!((lo - 180.0).abs() <= gamma(8).unwrap() * 180.0);
/// ```
pub fn chernoff_lower(mean: f64, delta: f64) -> Result<f64, TolError> {
    let delta = check_delta(delta)?;
    let mean = check_param("mean", mean)?;
    Ok((mean - (2.0 * mean * (1.0 / delta).ln()).sqrt()).max(0.0))
}

/// Chernoff's upper tail for a sum of independent Bernoulli variables with mean `μ`:
/// `P(X ≥ (1 + η) μ) ≤ exp(−η² μ / (2 + η))`. Returns `(1 + η) μ` for the `η` that makes the
/// right side equal δ: `η = (L + sqrt(L² + 8 μ L)) / (2μ)` with `L = ln(1/δ)`.
///
/// ```
/// use pai_graphon::tol::{chernoff_upper, gamma};
/// // μ = 4, L = 2: η = (2 + sqrt(4 + 64)) / 8.
/// let hi = chernoff_upper(4.0, (-2.0f64).exp()).unwrap();
/// let exact = 4.0 * (1.0 + (2.0 + 68f64.sqrt()) / 8.0);
/// assert!((hi - exact).abs() <= gamma(16).unwrap() * exact);
/// ```
pub fn chernoff_upper(mean: f64, delta: f64) -> Result<f64, TolError> {
    let delta = check_delta(delta)?;
    let mean = check_param("mean", mean)?;
    if mean == 0.0 {
        return Ok(0.0);
    }
    let l = (1.0 / delta).ln();
    let eta = (l + (l * l + 8.0 * mean * l).sqrt()) / (2.0 * mean);
    Ok((1.0 + eta) * mean)
}

/// Matrix Bernstein for a rectangular d1 × d2 sum `Z = Σ_k X_k` of independent centred random
/// matrices with `‖X_k‖ ≤ bound` and variance proxy
/// `v = max(‖Σ E X_k X_kᵀ‖, ‖Σ E X_kᵀ X_k‖)` (Tropp 2012, *User-friendly tail bounds*, Thm 1.6):
/// `P(‖Z‖ ≥ t) ≤ (d1 + d2) exp(−(t²/2) / (v + bound·t/3))`. Returns the t that makes the right
/// side δ: `t = b L/3 + sqrt((b L/3)² + 2 v L)` with `L = ln((d1 + d2)/δ)`.
///
/// For a matrix of independent centred entries bounded by 1, v is the largest row or column sum
/// of the entry variances.
///
/// ```
/// use pai_graphon::tol::{gamma, matrix_bernstein};
/// // No variance: the range term alone, 2 b L / 3 with L = ln(2/δ).
/// let t = matrix_bernstein(1, 1, 0.0, 1.5, 2.0 * (-3.0f64).exp()).unwrap();
/// assert!((t - 3.0).abs() <= gamma(10).unwrap() * 3.0);
/// ```
pub fn matrix_bernstein(
    d1: usize,
    d2: usize,
    variance: f64,
    bound: f64,
    delta: f64,
) -> Result<f64, TolError> {
    let delta = check_delta(delta)?;
    let variance = check_param("variance", variance)?;
    let bound = check_param("bound", bound)?;
    if d1 == 0 || d2 == 0 {
        return Err(TolError::NoSamples);
    }
    let l = ((d1 + d2) as f64 / delta).ln();
    let a = bound * l / 3.0;
    Ok(a + (a * a + 2.0 * variance * l).sqrt())
}

/// The empirical Bernstein bound of Maurer and Pontil (2009, *Empirical Bernstein bounds and
/// sample variance penalization*, Thm 4): for n ≥ 2 i.i.d. variables in [0, 1] with sample
/// variance `V_n` (divisor n − 1), `P(E Z − mean ≥ t) ≤ δ` for
/// `t = sqrt(2 V_n ln(2/δ)/n) + 7 ln(2/δ)/(3(n − 1))`; the same holds for `mean − E Z` (apply it to
/// 1 − Z). Returns t.
///
/// ```
/// use pai_graphon::tol::{empirical_bernstein, gamma};
/// // No spread: only the range term 7 ln(2/δ)/(3(n − 1)) remains.
/// let t = empirical_bernstein(8, 0.0, 2.0 * (-3.0f64).exp()).unwrap();
/// assert!((t - 1.0).abs() <= gamma(7).unwrap());
/// assert!(empirical_bernstein(1, 0.0, 0.1).is_err());
/// ```
pub fn empirical_bernstein(n: usize, sample_variance: f64, delta: f64) -> Result<f64, TolError> {
    let delta = check_delta(delta)?;
    let v = check_param("sample variance", sample_variance)?;
    if n < 2 {
        return Err(TolError::NoSamples);
    }
    let l = (2.0 / delta).ln();
    let n = n as f64;
    Ok((2.0 * v * l / n).sqrt() + 7.0 * l / (3.0 * (n - 1.0)))
}

/// An upper confidence bound on the mean `μ = (1/n) Σ E Z_i` of independent non-negative
/// variables with `E Z_i² ≤ r² E Z_i` (self-bounding: e.g. `0 ≤ Z_i ≤ r²`), from their observed
/// mean `Z̄`. Maurer's inequality for non-negative variables (Maurer 2003, *J. Inequal. Pure
/// Appl. Math.* 4(1), Art. 15, Thm 1; Boucheron, Lugosi and Massart 2013, Exercise 2.9):
/// `P(n μ − n Z̄ ≥ t) ≤ exp(−t² / (2 Σ E Z_i²))`, with `Σ E Z_i² ≤ n r² μ`. So with probability
/// ≥ 1 − δ, `μ − Z̄ < 2 sqrt(a μ)`, `a = r² ln(1/δ) / (2n)`, a quadratic in `sqrt μ`:
/// `μ ≤ (sqrt(a) + sqrt(a + Z̄))²`. Returns that bound.
///
/// ```
/// use pai_graphon::tol::{gamma, nonnegative_mean_upper};
/// // a = 1 · 4 / (2 · 2) = 1: (1 + sqrt(1 + 3))² = 9.
/// let m = nonnegative_mean_upper(3.0, 1.0, 2, (-4.0f64).exp()).unwrap();
/// assert!((m - 9.0).abs() <= gamma(10).unwrap() * 9.0);
/// assert!(nonnegative_mean_upper(3.0, 1.0, 0, 0.1).is_err());
/// ```
pub fn nonnegative_mean_upper(
    observed_mean: f64,
    r_squared: f64,
    n: usize,
    delta: f64,
) -> Result<f64, TolError> {
    let delta = check_delta(delta)?;
    let observed_mean = check_param("mean", observed_mean)?;
    let r_squared = check_param("r²", r_squared)?;
    if n == 0 {
        return Err(TolError::NoSamples);
    }
    let a = r_squared * (1.0 / delta).ln() / (2.0 * n as f64);
    Ok((a.sqrt() + (a + observed_mean).sqrt()).powi(2))
}

/// A lower confidence bound on the mean μ of n independent variables in `[0, R]`, from their
/// observed mean `Z̄`: Bernstein's inequality ([`bernstein`], one tail) with the self-bounded
/// variance `σ² ≤ E Z² ≤ R μ` gives, with probability ≥ 1 − δ, `Z̄ < μ + c + sqrt(c² + b μ)`,
/// `c = R L/(3n)`, `b = 2 R L/n`, `L = ln(1/δ)`. The smallest μ satisfying it, with
/// `e = Z̄ − c > 0`, is `(2e + b − sqrt(4 e b + b² + 4c²))/2` (0 when `e ≤ 0`).
///
/// ```
/// use pai_graphon::tol::nonnegative_mean_lower;
/// let lo = nonnegative_mean_lower(0.5, 1.0, 10_000, 1e-4).unwrap();
/// assert!(lo < 0.5 && lo > 0.46);
/// assert_eq!(nonnegative_mean_lower(1e-4, 1.0, 100, 1e-4).unwrap(), 0.0);
/// ```
pub fn nonnegative_mean_lower(
    observed_mean: f64,
    range: f64,
    n: usize,
    delta: f64,
) -> Result<f64, TolError> {
    let delta = check_delta(delta)?;
    let observed_mean = check_param("mean", observed_mean)?;
    let range = check_param("range", range)?;
    if n == 0 {
        return Err(TolError::NoSamples);
    }
    let l = (1.0 / delta).ln();
    let (c, b) = (range * l / (3.0 * n as f64), 2.0 * range * l / n as f64);
    let e = observed_mean - c;
    if e <= 0.0 {
        return Ok(0.0);
    }
    Ok(((2.0 * e + b - (4.0 * e * b + b * b + 4.0 * c * c).sqrt()) / 2.0).max(0.0))
}

/// The union bound: the probability that any of the events happens is at most the sum of
/// their probabilities (capped at 1).
///
/// ```
/// use pai_graphon::tol::union_bound;
/// assert_eq!(union_bound(&[0.25, 0.5]), 0.75);
/// assert_eq!(union_bound(&[0.75, 0.5]), 1.0);
/// ```
pub fn union_bound(probabilities: &[f64]) -> f64 {
    probabilities.iter().sum::<f64>().min(1.0)
}

/// Holm's step-down procedure at family-wise level `alpha`: sort the p-values increasingly and
/// reject while `p_(k) ≤ alpha / (m − k)` (k from 0). Controls the probability of any false
/// rejection at `alpha` under any dependence. Returns, in input order, which are rejected.
///
/// ```
/// use pai_graphon::tol::holm;
/// assert_eq!(holm(&[0.01, 0.04, 0.03], 0.05), vec![true, false, false]);
/// assert_eq!(holm(&[0.01, 0.02, 0.03], 0.06), vec![true, true, true]);
/// ```
pub fn holm(p_values: &[f64], alpha: f64) -> Vec<bool> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]).then(a.cmp(&b)));
    let mut rejected = vec![false; m];
    for (k, &i) in order.iter().enumerate() {
        if p_values[i] <= alpha / (m - k) as f64 {
            rejected[i] = true;
        } else {
            break;
        }
    }
    rejected
}

/// The unit roundoff of f64, `u = 2^−53`.
///
/// ```
/// use pai_graphon::tol::UNIT_ROUNDOFF;
/// assert_eq!(UNIT_ROUNDOFF, 2f64.powi(-53));
/// // The largest relative error of one rounding to nearest: 1 + u rounds (ties to even) to 1.
/// assert_eq!(1.0 + UNIT_ROUNDOFF, 1.0);
/// assert!(1.0 + 2.0 * UNIT_ROUNDOFF > 1.0);
/// ```
pub const UNIT_ROUNDOFF: f64 = f64::EPSILON / 2.0;

/// Higham's `γ_n = n u / (1 − n u)`: the relative error bound of `n` chained roundings
/// (Higham, *Accuracy and Stability of Numerical Algorithms*, Lemma 3.1).
///
/// ```
/// use pai_graphon::tol::{gamma, UNIT_ROUNDOFF};
/// let g = gamma(10).unwrap();
/// assert!(g > 10.0 * UNIT_ROUNDOFF && g < 10.000001 * UNIT_ROUNDOFF);
/// ```
pub fn gamma(n: usize) -> Result<f64, TolError> {
    let nu = n as f64 * UNIT_ROUNDOFF;
    if nu >= 1.0 {
        return Err(TolError::TooLong(n));
    }
    Ok(nu / (1.0 - nu))
}

/// The relative allowance by which an f64 bound or budget, computed by at most 9000 chained
/// roundings, is inflated (or a threshold deflated) so that its rounding cannot make a check
/// wrong: `γ_9000 < 10⁻¹²` ([`gamma`]).
///
/// ```
/// use pai_graphon::tol::{gamma, ROUNDING_SLACK};
/// assert!(gamma(9000).unwrap() < ROUNDING_SLACK && gamma(9100).unwrap() > ROUNDING_SLACK);
/// ```
pub const ROUNDING_SLACK: f64 = 1e-12;

/// Forward error allowance for a floating-point sum of `n` terms in any order:
/// `|fl(Σ x_i) − Σ x_i| ≤ γ_(n−1) Σ |x_i|` (Higham, eq. 4.4). Pass `Σ |x_i|`.
///
/// ```
/// use pai_graphon::tol::sum_allowance;
/// let xs = [0.1f64; 10];
/// let s: f64 = xs.iter().sum();
/// assert!((s - 1.0).abs() <= sum_allowance(10, 1.0).unwrap());
/// ```
pub fn sum_allowance(n: usize, sum_abs: f64) -> Result<f64, TolError> {
    let sum_abs = check_param("sum of absolute values", sum_abs)?;
    Ok(gamma(n.saturating_sub(1))? * sum_abs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_bad_probabilities() {
        for d in [0.0, 1.0, -0.1, f64::NAN] {
            assert!(hoeffding(10, 1.0, d, Tail::Two).is_err());
            assert!(chernoff_lower(10.0, d).is_err());
        }
        assert_eq!(dkw_massart(0, 0.1), Err(TolError::NoSamples));
        assert!(bernstein(10, -1.0, 1.0, 0.1, Tail::One).is_err());
        assert!(gamma(1usize << 53).is_err());
    }

    #[test]
    fn empirical_bernstein_has_both_terms() {
        // n = 9, V = 0.5, δ = 2e^(−2): L = 2, sqrt(2·0.5·2/9) + 7·2/(3·8) = sqrt(2)/3 + 7/12.
        let t = empirical_bernstein(9, 0.5, 2.0 * (-2.0f64).exp()).unwrap();
        assert!((t - (2f64.sqrt() / 3.0 + 7.0 / 12.0)).abs() < 1e-14, "{t}");
    }

    #[test]
    fn nonnegative_mean_lower_solves_its_inequality() {
        // The returned μ makes Bernstein's bound tight: Z̄ = μ + c + sqrt(c² + b μ).
        for (mean, range, n, delta) in [
            (0.5, 1.0, 10_000, 1e-4),
            (3.0, 10.0, 500, 1e-3),
            (0.2, 2.0, 50_000, 1e-6),
        ] {
            let mu = nonnegative_mean_lower(mean, range, n, delta).unwrap();
            let l = (1.0 / delta).ln();
            let (c, b) = (range * l / (3.0 * n as f64), 2.0 * range * l / n as f64);
            let back = mu + c + (c * c + b * mu).sqrt();
            assert!(
                mu > 0.0 && (back - mean).abs() < 1e-12 * mean,
                "{mean}: μ = {mu}, back {back}"
            );
        }
    }

    proptest! {
        // Each bound solves its own inequality: plugging t back gives δ.
        #[test]
        fn hoeffding_inverts(n in 1usize..100_000, d in 1e-12f64..0.99) {
            let t = hoeffding(n, 1.0, d, Tail::Two).unwrap();
            let back = 2.0 * (-2.0 * n as f64 * t * t).exp();
            prop_assert!((back - d).abs() <= 1e-9 * d);
        }

        #[test]
        fn bernstein_inverts(n in 1usize..10_000, v in 0.0f64..4.0, b in 0.0f64..3.0, d in 1e-9f64..0.5) {
            let t = bernstein(n, v, b, d, Tail::Two).unwrap();
            let nf = n as f64;
            let back = 2.0 * (-nf * t * t / (2.0 * v + 2.0 * b * t / 3.0)).exp();
            prop_assume!(t > 0.0);
            prop_assert!((back - d).abs() <= 1e-9 * d);
        }

        #[test]
        fn matrix_bernstein_inverts(d1 in 1usize..5000, d2 in 1usize..5000, v in 0.0f64..1e4, b in 0.0f64..3.0, d in 1e-9f64..0.5) {
            let t = matrix_bernstein(d1, d2, v, b, d).unwrap();
            prop_assume!(t > 0.0);
            let back = (d1 + d2) as f64 * (-(t * t / 2.0) / (v + b * t / 3.0)).exp();
            prop_assert!((back - d).abs() <= 1e-8 * d);
        }

        #[test]
        fn chernoff_upper_inverts(mu in 0.1f64..1e6, d in 1e-12f64..0.5) {
            let hi = chernoff_upper(mu, d).unwrap();
            let eta = hi / mu - 1.0;
            let back = (-eta * eta * mu / (2.0 + eta)).exp();
            prop_assert!((back - d).abs() <= 1e-8 * d);
        }

        // Holm never rejects more than Bonferroni-at-α-over-1 and always rejects what
        // Bonferroni at α/m rejects.
        #[test]
        fn holm_between_bonferroni(ps in proptest::collection::vec(0.0f64..1.0, 1..30), a in 0.001f64..0.5) {
            let m = ps.len() as f64;
            let r = holm(&ps, a);
            for (p, rej) in ps.iter().zip(&r) {
                if *p <= a / m { prop_assert!(*rej); }
                if *rej { prop_assert!(*p <= a); }
            }
        }
    }
}
