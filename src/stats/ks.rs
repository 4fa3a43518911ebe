//! Kolmogorov–Smirnov statistics: the one-sample statistic and test against a CDF, and the
//! two-sample statistic with its asymptotic p-value. Claim TOOL-3 (`theory/toolbox.md`).
//!
//! For a sample `x_1..x_n` with empirical CDF `F_n` and a continuous CDF `F`,
//! `D_n = sup_x |F_n(x) − F(x)| = max_i max(i/n − F(x_(i)), F(x_(i)) − (i−1)/n)` over the
//! sorted sample. Under `H₀` its law is the Kolmogorov distribution of [`super::kolmogorov`].
//!
//! ```
//! use pai_graphon::stats::ks::ks_test;
//! // Evenly spread points attain the smallest possible D_n, 1/(2n): the p-value is 1.
//! let t = ks_test(&[0.875, 0.125, 0.625, 0.375], |x| x).unwrap();
//! assert_eq!((t.statistic, t.p_value), (0.125, 1.0));
//! ```

use crate::stats::kolmogorov;
use crate::stats::StatsError;
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, ToPrimitive, Zero};

/// A one-sample Kolmogorov–Smirnov test result.
///
/// ```
/// use pai_graphon::stats::ks::{ks_test, KsTest};
/// // n = 1, x = 0.5: D_1 = max(x, 1 − x) = 1/2, which every sample reaches.
/// let t = ks_test(&[0.5], |x| x.clamp(0.0, 1.0)).unwrap();
/// assert_eq!(t, KsTest { statistic: 0.5, p_value: 1.0 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KsTest {
    /// `D_n = sup |F_n − F|`.
    pub statistic: f64,
    /// `P(D_n ≥ statistic)` under the null hypothesis.
    pub p_value: f64,
}

/// The sample sorted increasingly, or an error for an empty sample or a NaN.
fn sorted(sample: &[f64]) -> Result<Vec<f64>, StatsError> {
    if sample.is_empty() {
        return Err(StatsError::EmptySample);
    }
    if let Some(&x) = sample.iter().find(|x| x.is_nan()) {
        return Err(StatsError::NonFinite(x));
    }
    let mut xs = sample.to_vec();
    xs.sort_by(f64::total_cmp);
    Ok(xs)
}

/// The one-sample statistic `D_n = sup_x |F_n(x) − F(x)|` of `sample` against `cdf`. The sample
/// need not be sorted; ties are handled (the supremum is attained at the jumps).
///
/// Errors: an empty sample ([`StatsError::EmptySample`]), a NaN in it
/// ([`StatsError::NonFinite`]), or a `cdf` value outside `[0, 1]` ([`StatsError::Domain`]).
///
/// ```
/// use pai_graphon::stats::ks::ks_statistic;
/// // Against U(0,1), the sample {1/4, 3/4} has D = 1/4.
/// let d = ks_statistic(&[0.75, 0.25], |x| x.clamp(0.0, 1.0)).unwrap();
/// assert_eq!(d, 0.25);
/// ```
pub fn ks_statistic(sample: &[f64], cdf: impl Fn(f64) -> f64) -> Result<f64, StatsError> {
    let xs = sorted(sample)?;
    let n = xs.len() as f64;
    let mut d = 0.0f64;
    for (i, &x) in xs.iter().enumerate() {
        let f = cdf(x);
        if !(0.0..=1.0).contains(&f) {
            return Err(StatsError::Domain("a CDF value must lie in [0, 1]", f));
        }
        let above = (i + 1) as f64 / n - f;
        let below = f - i as f64 / n;
        d = d.max(above).max(below);
    }
    Ok(d)
}

/// The one-sample Kolmogorov–Smirnov test of `sample` against the continuous `cdf`, with the
/// p-value `P(D_n ≥ d)` from [`kolmogorov::sf`] (exact law, no asymptotics).
///
/// Errors: as [`ks_statistic`].
///
/// ```
/// use pai_graphon::stats::ks::ks_test;
/// // n = 1: D = max(x, 1 − x) and P(D_1 ≥ d) = 2(1 − d).
/// let t = ks_test(&[0.75], |x| x.clamp(0.0, 1.0)).unwrap();
/// assert_eq!(t.statistic, 0.75);
/// assert_eq!(t.p_value, 0.5); // the closed form 2(1 − d)^n, every operation exact here
/// ```
pub fn ks_test(sample: &[f64], cdf: impl Fn(f64) -> f64) -> Result<KsTest, StatsError> {
    let statistic = ks_statistic(sample, cdf)?;
    let p_value = kolmogorov::sf(sample.len() as u64, statistic)?;
    Ok(KsTest { statistic, p_value })
}

/// The sup-distance `sup_x |F_a(x) − F_b(x)|` between the empirical CDFs of two samples (ties
/// within and across samples handled: both CDFs are stepped past a shared value together).
///
/// Errors: an empty sample or a NaN in either.
///
/// ```
/// use pai_graphon::stats::ks::ecdf_sup_distance;
/// assert_eq!(ecdf_sup_distance(&[1.0, 2.0], &[3.0]).unwrap(), 1.0);
/// assert_eq!(ecdf_sup_distance(&[1.0, 3.0], &[2.0, 4.0]).unwrap(), 0.5);
/// ```
pub fn ecdf_sup_distance(a: &[f64], b: &[f64]) -> Result<f64, StatsError> {
    let (xs, ys) = (sorted(a)?, sorted(b)?);
    let (na, nb) = (xs.len(), ys.len());
    let (mut i, mut j) = (0usize, 0usize);
    let mut d = 0.0f64;
    while i < na && j < nb {
        let v = xs[i].min(ys[j]);
        while i < na && xs[i] == v {
            i += 1;
        }
        while j < nb && ys[j] == v {
            j += 1;
        }
        // |i/na − j/nb| from an exact integer numerator: one rounding, so equal gaps compare equal.
        let gap = (i as u128 * nb as u128).abs_diff(j as u128 * na as u128);
        d = d.max(gap as f64 / (na as f64 * nb as f64));
    }
    Ok(d)
}

/// The two-sample statistic `D_(n,m) = sup |F_a − F_b|` (same as [`ecdf_sup_distance`]).
/// Its asymptotic p-value is [`ks_two_sample_test`].
///
/// ```
/// use pai_graphon::stats::ks::ks_two_sample;
/// assert_eq!(ks_two_sample(&[0.1, 0.2, 0.3], &[0.15, 0.25, 0.35]).unwrap(), 1.0 / 3.0);
/// ```
pub fn ks_two_sample(a: &[f64], b: &[f64]) -> Result<f64, StatsError> {
    ecdf_sup_distance(a, b)
}

/// The two-sample test with the asymptotic p-value of Smirnov (1939): under `H₀` (both
/// samples i.i.d. from one continuous law), `√(nm/(n+m)) D_(n,m)` converges to the Kolmogorov
/// law, so `p ≈` [`kolmogorov::asymptotic_sf`]`(√(nm/(n+m)) D)`. No finite-sample correction
/// is applied: for small samples the p-value is approximate (its error is `O((n+m)^(−1/2))`).
///
/// ```
/// use pai_graphon::stats::ks::ks_two_sample_test;
/// use pai_graphon::stats::kolmogorov::asymptotic_sf;
/// let t = ks_two_sample_test(&[1.0, 2.0], &[3.0, 4.0]).unwrap();
/// assert_eq!(t.statistic, 1.0);
/// assert_eq!(t.p_value, asymptotic_sf(1.0));
/// ```
pub fn ks_two_sample_test(a: &[f64], b: &[f64]) -> Result<KsTest, StatsError> {
    let statistic = ks_two_sample(a, b)?;
    let (n, m) = (a.len() as f64, b.len() as f64);
    let p_value = kolmogorov::asymptotic_sf((n * m / (n + m)).sqrt() * statistic);
    Ok(KsTest { statistic, p_value })
}

/// The two-sample statistics of two samples of equal size m as exact counts:
/// `(m D, m D⁺)` with `D = sup |F_a − F_b|` and `D⁺ = sup (F_a − F_b)` (a's values tend to be
/// the smaller). Ties between the samples are stepped over together.
///
/// ```
/// use pai_graphon::stats::ks::two_sample_counts;
/// assert_eq!(two_sample_counts(&[1.0, 2.0], &[3.0, 4.0]).unwrap(), (2, 2));
/// assert_eq!(two_sample_counts(&[3.0, 4.0], &[1.0, 2.0]).unwrap(), (2, 0));
/// assert!(two_sample_counts(&[1.0], &[1.0, 2.0]).is_err());
/// ```
pub fn two_sample_counts(a: &[f64], b: &[f64]) -> Result<(usize, usize), StatsError> {
    if a.len() != b.len() {
        return Err(StatsError::Domain("samples of equal size", b.len() as f64));
    }
    let (xs, ys) = (sorted(a)?, sorted(b)?);
    let m = xs.len();
    let (mut i, mut j) = (0usize, 0usize);
    let (mut two, mut plus) = (0usize, 0usize);
    while i < m && j < m {
        let v = xs[i].min(ys[j]);
        while i < m && xs[i] == v {
            i += 1;
        }
        while j < m && ys[j] == v {
            j += 1;
        }
        two = two.max(i.abs_diff(j));
        plus = plus.max(i.saturating_sub(j));
    }
    Ok((two, plus))
}

/// The exact null law of the equal-size two-sample statistics (Gnedenko and Korolyuk 1951;
/// both samples i.i.d. from one continuous law, so all C(2m, m) interleavings are equally
/// likely): `P(m D ≥ c) = 2 Σ_(j ≥ 1) (−1)^(j+1) C(2m, m − jc) / C(2m, m)` and
/// `P(m D⁺ ≥ c) = C(2m, m − c) / C(2m, m)`, summed exactly in integers. `c = 0` gives 1.
///
/// ```
/// use pai_graphon::stats::ks::two_sample_sf;
/// // Complete separation of two samples of 10: 2 / C(20, 10) two-sided, half that one-sided.
/// // The ratio's conversion to f64 rounds correctly, as one f64 quotient of the integers does.
/// assert_eq!(two_sample_sf(10, 10, false).unwrap(), 2.0 / 184756.0);
/// assert_eq!(two_sample_sf(10, 10, true).unwrap(), 1.0 / 184756.0);
/// // m = 2: of the 6 interleavings, aabb and bbaa reach D = 1; c = 1 always holds.
/// assert_eq!(two_sample_sf(2, 2, false).unwrap(), 1.0 / 3.0);
/// assert_eq!(two_sample_sf(2, 1, false).unwrap(), 1.0);
/// ```
pub fn two_sample_sf(m: usize, c: usize, one_sided: bool) -> Result<f64, StatsError> {
    if m == 0 {
        return Err(StatsError::EmptySample);
    }
    if c == 0 {
        return Ok(1.0);
    }
    if c > m {
        return Ok(0.0);
    }
    let binomial =
        |k: usize| -> BigInt { (0..k).fold(BigInt::one(), |acc, i| acc * (2 * m - i) / (i + 1)) };
    let total = binomial(m);
    let tail = if one_sided {
        binomial(m - c)
    } else {
        let mut sum = BigInt::zero();
        for j in 1..=m / c {
            let term = binomial(m - j * c);
            if j % 2 == 1 {
                sum += term;
            } else {
                sum -= term;
            }
        }
        sum * 2
    };
    BigRational::new(tail, total)
        .to_f64()
        .ok_or(StatsError::Domain("a representable probability", c as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn identity(x: f64) -> f64 {
        x.clamp(0.0, 1.0)
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(ks_statistic(&[], identity), Err(StatsError::EmptySample));
        assert!(matches!(
            ks_statistic(&[0.5, f64::NAN], identity),
            Err(StatsError::NonFinite(_))
        ));
        assert!(matches!(
            ks_statistic(&[0.5], |_| 1.5),
            Err(StatsError::Domain(..))
        ));
        assert_eq!(ks_two_sample(&[], &[1.0]), Err(StatsError::EmptySample));
        assert!(ks_two_sample(&[1.0], &[f64::NAN]).is_err());
    }

    /// Unequal sizes, so that the scale sqrt(nm/(n+m)) is not 1 (mutation testing found the
    /// doc example, n = m = 2, blind to it).
    #[test]
    fn two_sample_asymptotic_p_value_uses_the_effective_size() {
        let t = ks_two_sample_test(&[0.1, 0.2, 0.9], &[0.3, 0.4, 0.5, 0.6, 0.7]).unwrap();
        assert_eq!(t.statistic, 2.0 / 3.0);
        let scale = (15.0f64 / 8.0).sqrt();
        assert_eq!(t.p_value, kolmogorov::asymptotic_sf(scale * 2.0 / 3.0));
    }

    /// The exact equal-size law against brute force: every interleaving of m a's and m b's.
    #[test]
    fn two_sample_exact_law_matches_enumeration() {
        for m in 1..=6usize {
            let total = 1usize << (2 * m);
            let mut counts_two = vec![0u64; m + 1];
            let mut counts_plus = vec![0u64; m + 1];
            let mut all = 0u64;
            for bits in 0..total {
                if (bits as u32).count_ones() as usize != m {
                    continue;
                }
                // Bit k set: the k-th smallest value belongs to a.
                let a: Vec<f64> = (0..2 * m)
                    .filter(|k| bits >> k & 1 == 1)
                    .map(|k| k as f64)
                    .collect();
                let b: Vec<f64> = (0..2 * m)
                    .filter(|k| bits >> k & 1 == 0)
                    .map(|k| k as f64)
                    .collect();
                let (two, plus) = two_sample_counts(&a, &b).unwrap();
                counts_two[two] += 1;
                counts_plus[plus] += 1;
                all += 1;
            }
            for c in 0..=m {
                let tail = |counts: &[u64]| counts[c..].iter().sum::<u64>() as f64 / all as f64;
                let exact_two = two_sample_sf(m, c, false).unwrap();
                let exact_plus = two_sample_sf(m, c, true).unwrap();
                assert!(
                    (exact_two - tail(&counts_two)).abs() < 1e-15,
                    "m = {m}, c = {c}"
                );
                assert!(
                    (exact_plus - tail(&counts_plus)).abs() < 1e-15,
                    "m = {m}, c = {c} (one-sided)"
                );
            }
        }
        assert!(two_sample_sf(0, 1, false).is_err());
        assert_eq!(two_sample_sf(3, 4, true).unwrap(), 0.0);
    }

    /// The p-value matches statrs 0.19's exact MTW path on samples with no ties. statrs refuses
    /// n ≥ 170 and (measured) returns NaN already at n = 150: its matrix power is unscaled.
    #[test]
    fn p_value_matches_statrs_exact() {
        use statrs::distribution::Uniform;
        use statrs::stats_tests::ks_test::{ks_onesample, KSOneSampleAlternativeMethod};
        use statrs::stats_tests::NaNPolicy;
        for n in [5usize, 10, 37, 80, 120] {
            let mut rng =
                crate::seed::MasterSeed::default().stream(&format!("ks-test/statrs/n={n}"));
            let xs: Vec<f64> = (0..n)
                .map(|_| crate::seed::uniform_open01(&mut rng))
                .collect();
            let ours = ks_test(&xs, identity).unwrap();
            let (stat, p) = ks_onesample(
                xs.clone(),
                &Uniform::standard(),
                KSOneSampleAlternativeMethod::TwoSidedExact,
                NaNPolicy::Error,
            )
            .unwrap();
            // Both compute max |i/n − x_(i)| from the same sorted values: they differ only in
            // the rounding of i/n and of the subtraction, a few ulps of quantities ≤ 1.
            let rounding_bound = crate::tol::gamma(4).unwrap();
            assert!((ours.statistic - stat).abs() <= rounding_bound, "n={n}");
            // statrs forms 1 − cdf after an f64 matrix power: allow its own rounding.
            assert!(
                (ours.p_value - p).abs() <= 1e-12,
                "n={n}: {} vs {p}",
                ours.p_value
            );
        }
    }

    proptest! {
        #[test]
        fn statistic_in_range_and_permutation_invariant(
            xs in proptest::collection::vec(0.0f64..1.0, 1..60),
            seed in any::<u64>(),
        ) {
            let n = xs.len() as f64;
            let d = ks_statistic(&xs, identity).unwrap();
            prop_assert!(d >= 0.5 / n - 1e-15 && d <= 1.0);
            let mut ys = xs.clone();
            let k = (seed as usize) % ys.len();
            ys.rotate_left(k);
            ys.reverse();
            prop_assert_eq!(ks_statistic(&ys, identity).unwrap(), d);
        }

        #[test]
        fn two_sample_symmetric_and_bounded(
            a in proptest::collection::vec(-5.0f64..5.0, 1..40),
            b in proptest::collection::vec(-5.0f64..5.0, 1..40),
        ) {
            let ab = ks_two_sample(&a, &b).unwrap();
            prop_assert_eq!(ab, ks_two_sample(&b, &a).unwrap());
            prop_assert!((0.0..=1.0).contains(&ab));
            prop_assert_eq!(ks_two_sample(&a, &a).unwrap(), 0.0);
        }

        /// A two-sample distance against a huge reference sample of the law approaches the
        /// one-sample statistic; exactly, with b = a's own values the distance is 0, and
        /// with b far to the right it is 1.
        #[test]
        fn two_sample_extremes(a in proptest::collection::vec(0.0f64..1.0, 1..40)) {
            let b: Vec<f64> = a.iter().map(|x| x + 2.0).collect();
            prop_assert_eq!(ks_two_sample(&a, &b).unwrap(), 1.0);
        }
    }
}
