//! The claims on [`crate::stats::kolmogorov`]: their checks and negative controls.
//!
//! ```
//! let ids: Vec<&str> = pai_graphon::claims::toolbox::kolmogorov::claims().iter().map(|c| c.id).collect();
//! assert_eq!(ids, ["TOOL-1", "TOOL-2"]);
//! ```

use crate::claims::{Check, Claim, ClaimContext, Kind, Outcome, Relation, Source};
use crate::stats::kolmogorov::*;
use crate::stats::StatsError;
use crate::Error;
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, ToPrimitive};

// ---------------------------------------------------------------------------------------------
// Claims
// ---------------------------------------------------------------------------------------------

/// Claims of this file: TOOL-1 (exact rational CDF) and TOOL-2 (f64 accuracy).
///
/// ```
/// let ids: Vec<&str> = pai_graphon::claims::toolbox::kolmogorov::claims().iter().map(|c| c.id).collect();
/// assert_eq!(ids, ["TOOL-1", "TOOL-2"]);
/// ```
pub fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "TOOL-1",
            title: "The rational MTW Kolmogorov CDF equals an independent exact integration",
            source: Source::Reconstructed,
            kind: Kind::Exact,
            delta: 0.0,
            run: tool_1,
        },
        Claim {
            id: "TOOL-2",
            title: "The f64 Kolmogorov survival function is within 1e-10 of the exact one",
            source: Source::Reconstructed,
            kind: Kind::HighPrecision,
            delta: 0.0,
            run: tool_2,
        },
    ]
}

/// TOOL-1's grid: every `d = j/(4n)` from 0 to past 1 for `n ≤ 10` (all four values of `h`,
/// both trivial ends and both closed-form ranges), and a spread of `d` for larger `n` kept
/// where the integer matrices stay small.
fn tool_1_grid() -> Vec<(u32, BigRational)> {
    let mut grid = Vec::new();
    for n in 1..=10u32 {
        for j in 0..=(4 * n + 2) {
            grid.push((n, rat(j.into(), 4 * i64::from(n))));
        }
    }
    for n in [12u32, 16, 20, 30] {
        for j in [1i64, 3, 5, 9, 13, 23] {
            grid.push((n, rat(j, 4 * i64::from(n))));
        }
    }
    // The upper closed-form range 1 − 1/n ≤ d < 1 (the matrix is 2n − 1 wide there).
    for n in [12u32, 16] {
        grid.push((n, rat(4 * i64::from(n) - 1, 4 * i64::from(n))));
    }
    grid
}

/// The closed forms of Ruben and Gambino (1982), where they apply: a second independent
/// reference at the two ends of the support.
fn closed_form_cdf(n: u32, d: &BigRational) -> Option<BigRational> {
    let one = BigRational::one();
    let nn = BigRational::from_integer(BigInt::from(n));
    let inv_n = &one / &nn;
    let lower_end = &inv_n / BigInt::from(2);
    if *d > lower_end && *d <= inv_n {
        let base = d * BigInt::from(2) - &inv_n;
        return Some(BigRational::from_integer(factorial(u64::from(n))) * pow_rat(&base, n));
    }
    if *d >= &one - &inv_n && *d < one && n >= 2 {
        return Some(&one - pow_rat(&(&one - d), n) * BigInt::from(2));
    }
    None
}

fn pow_rat(x: &BigRational, e: u32) -> BigRational {
    BigRational::new(x.numer().pow(e), x.denom().pow(e))
}

/// Mismatches of a CDF variant against the band integral and the closed forms over the grid,
/// with the last mismatching point.
fn count_mismatches(
    grid: &[(u32, BigRational)],
    variant: CornerTerm,
) -> Result<(usize, Option<(u32, f64)>), StatsError> {
    let mut mismatches = 0;
    let mut last = None;
    for (n, d) in grid {
        let mtw = mtw_cdf(*n, d, variant)?;
        let mut agrees = mtw == band_integral_cdf(*n, d);
        if let Some(closed) = closed_form_cdf(*n, d) {
            agrees &= mtw == closed;
        }
        if !agrees {
            mismatches += 1;
            last = Some((*n, d.to_f64().unwrap_or(f64::NAN)));
        }
    }
    Ok((mismatches, last))
}

fn tool_1(ctx: &ClaimContext) -> Result<Outcome, Error> {
    let grid = tool_1_grid();
    let (mismatches, _) = count_mismatches(&grid, CornerTerm::Included)?;
    let (control_mismatches, control_at) = count_mismatches(&grid, CornerTerm::Omitted)?;
    let (cn, cd) = control_at.unwrap_or((0, f64::NAN));
    let max_n = grid.iter().map(|(n, _)| *n).max().unwrap_or(0);
    Ok(Outcome::new(Check::exact(mismatches), 0.0, ctx.label(""))
        .with_control(
            Check::exact(control_mismatches),
            "MTW matrix without its corner term (2h−1)₊^m/m!",
        )
        .detail("grid_points", grid.len() as f64)
        .detail("max_n", f64::from(max_n))
        .detail("mismatches", mismatches as f64)
        .detail("control_mismatches", control_mismatches as f64)
        .detail("control_last_mismatch_n", f64::from(cn))
        .detail("control_last_mismatch_d", cd))
}

/// TOOL-2's grid of `(n, j, 2^b)` with `d = j/2^b` exactly representable in f64: `n ≤ 16` on
/// `d = j/32`, larger `n` on points picked so that every branch of [`sf`] that small `n` can
/// reach appears (the Pelz–Good branch needs `m > 401`, out of reach of exact rationals).
fn tool_2_grid() -> Vec<(u32, i64, i64)> {
    let mut grid = Vec::new();
    for n in [1u32, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16] {
        for j in 1..32 {
            grid.push((n, j, 32));
        }
    }
    for n in [20u32, 25, 32, 40, 50] {
        for j in [1i64, 2, 3, 5, 7, 9, 12, 16, 20] {
            grid.push((n, j, 64));
        }
    }
    // d ≥ 1/2 (twice Smirnov, exact) and d < 1/2 with S⁺² ≤ 1e-11 (Harris-bounded).
    for (n, j) in [(20u32, 33i64), (25, 40), (32, 29), (40, 26), (40, 28)] {
        grid.push((n, j, 64));
    }
    grid
}

/// `P(D_n ≥ d)` exactly, by [`cdf_exact`].
fn exact_sf(n: u32, d: &BigRational) -> Result<BigRational, StatsError> {
    Ok(BigRational::one() - cdf_exact(n, d)?)
}

/// The worst `|f(n, d) − sf_exact|` on the TOOL-2 grid and where it happened.
fn worst_error(
    grid: &[(u32, BigRational, f64)],
    f: impl Fn(u64, f64) -> Result<f64, StatsError>,
) -> Result<(f64, u32, f64), StatsError> {
    let mut worst = (0.0f64, 0u32, f64::NAN);
    for (n, exact, d) in grid {
        let err = (f(u64::from(*n), *d)? - exact.to_f64().unwrap_or(f64::NAN)).abs();
        // A NaN error must surface as the worst, never be skipped.
        if err.is_nan() || err > worst.0 {
            worst = (err, *n, *d);
        }
    }
    Ok(worst)
}

fn tool_2(ctx: &ClaimContext) -> Result<Outcome, Error> {
    let mut grid = Vec::new();
    let mut branches = [0usize; 7];
    for (n, j, den) in tool_2_grid() {
        let d = rat(j, den);
        let d_f64 = j as f64 / den as f64;
        branches[method(u64::from(n), d_f64)? as usize] += 1;
        grid.push((n, exact_sf(n, &d)?, d_f64));
    }
    // Converting the exact rational to f64 costs at most one rounding, u = 2^−53 relative;
    // the survival function is at most 1.
    let conversion = crate::tol::UNIT_ROUNDOFF;
    let threshold = CLAIMED_SF_ACCURACY + conversion;
    let (err, at_n, at_d) = worst_error(&grid, sf)?;
    let (c_err, c_n, c_d) = worst_error(&grid, |n, d| Ok(asymptotic_sf((n as f64).sqrt() * d)))?;
    let mut out = Outcome::new(
        Check::new(err, threshold, Relation::AtMost),
        0.0,
        ctx.label(""),
    )
    .with_control(
        Check::new(c_err, threshold, Relation::AtMost),
        "the limit law asymptotic_sf(√n d) without finite-n correction",
    )
    .detail("grid_points", grid.len() as f64)
    .detail("max_abs_error", err)
    .detail("worst_n", f64::from(at_n))
    .detail("worst_d", at_d)
    .detail("control_max_abs_error", c_err)
    .detail("control_worst_n", f64::from(c_n))
    .detail("control_worst_d", c_d);
    for (name, count) in METHOD_NAMES.iter().zip(branches) {
        out = out.detail(format!("points_{name}"), count as f64);
    }
    Ok(out)
}

const METHOD_NAMES: [&str; 7] = [
    "trivial",
    "lower_closed_form",
    "upper_closed_form",
    "twice_smirnov_exact",
    "twice_smirnov_bounded",
    "durbin_matrix",
    "pelz_good",
];

#[cfg(test)]
mod tests {
    use super::*;
    use num_traits::Zero;

    #[test]
    fn tool_1_and_2_pass() {
        for claim in claims() {
            let ctx = ClaimContext::new(&claim, crate::seed::MasterSeed::default(), 1.0);
            let t0 = std::time::Instant::now();
            let out = (claim.run)(&ctx).unwrap();
            println!(
                "{} {:?} {:?} {:?} in {:?}",
                claim.id,
                out.check,
                out.control,
                out.details,
                t0.elapsed()
            );
            assert!(out.passed(), "{}: {:?}", claim.id, out);
        }
    }

    #[test]
    fn closed_forms_and_ends() {
        assert_eq!(cdf_exact(7, &rat(-1, 3)).unwrap(), BigRational::zero());
        assert_eq!(cdf_exact(7, &rat(1, 14)).unwrap(), BigRational::zero());
        assert_eq!(cdf_exact(7, &rat(5, 4)).unwrap(), BigRational::one());
        for n in 2..=9u32 {
            let d = rat(3, 4 * i64::from(n)); // in (1/(2n), 1/n]
            assert_eq!(Some(cdf_exact(n, &d).unwrap()), closed_form_cdf(n, &d));
            let d = rat(4 * i64::from(n) - 3, 4 * i64::from(n)); // in [1 − 1/n, 1)
            assert_eq!(Some(cdf_exact(n, &d).unwrap()), closed_form_cdf(n, &d));
        }
    }
}
