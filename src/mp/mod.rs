//! MPFR paths (feature `mpfr`): erfc, the normal tail and its quantiles at an explicit
//! precision, and the generator of the reference table `data/reference/normal.tsv` that claim
//! TOOL-7 checks the f64 paths against.
//!
//! Every function takes its working precision `prec` in bits and returns a [`Float`] of that
//! precision. MPFR rounds each elementary operation and `erfc` correctly (to nearest), so the
//! errors below are counted in units of `2^−prec`.
//!
//! * [`erfc`]: correctly rounded, relative error ≤ 2^−prec.
//! * [`normal_sf`]: `erfc(x/√2)/2`; `√2`, the division and erfc are each correctly rounded, and
//!   erfc's relative condition number is `κ(z) = 2z e^{−z²}/(√π erfc z) ≤ 2z² + 2` (Mills'
//!   ratio), so the relative error is at most `(2 + 2κ(z))·2^−prec ≤ (4z² + 6)·2^−prec`:
//!   below `2^−243` for `|x| ≤ 38.5` at 256 bits.
//! * [`normal_isf`], [`normal_quantile`], [`half_normal_isf`]: Newton's method on the tail
//!   (MPFR has erfc but no inverse), see [`normal_isf`] for the stopping rule and error.
//!
//! The table's values are printed to [`REFERENCE_DIGITS`] significant digits, rounded to
//! nearest from the `prec`-bit result, so each printed value is within half a unit in its 40th
//! digit (relative ≤ 5·10⁻⁴⁰) of the exact function value plus the (at most `2^−215`) error above.
//!
//! ```
//! use pai_graphon::mp::{normal_isf, normal_sf};
//! use rug::Float;
//! // The quantile inverts the tail to far beyond f64: x = 3 comes back within 2^−200.
//! let q = normal_sf(&Float::with_val(256, 3), 256).unwrap();
//! let x = normal_isf(&q, 256).unwrap();
//! assert!((x - 3u32).abs() < Float::with_val(256, Float::i_exp(1, -200)));
//! // The f64 tail agrees to its own bound: SF_RELATIVE_BOUND, plus the rounding of q to f64
//! // and of the quotient.
//! let f64_tail = pai_graphon::normal::normal_sf(3.0).unwrap();
//! let bound = pai_graphon::normal::SF_RELATIVE_BOUND + pai_graphon::tol::gamma(3).unwrap();
//! assert!((f64_tail / q.to_f64() - 1.0).abs() <= bound);
//! ```

pub mod limit;
pub mod ntk;
use crate::normal::NormalError;
use rug::float::{prec_max, prec_min, Constant};
use rug::Float;
use std::ffi::{c_char, CStr};

/// The working precision of the committed table, in bits.
///
/// ```
/// use pai_graphon::mp::{format_value, half_normal_isf, normal_quantile, normal_sf};
/// use pai_graphon::mp::{REFERENCE_DIGITS, REFERENCE_PRECISION};
/// use rug::Float;
/// // Every 25th row of the committed table, recomputed at this precision, digit for digit.
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/reference/normal.tsv");
/// let table = std::fs::read_to_string(path).unwrap();
/// let prec = REFERENCE_PRECISION;
/// for row in table.lines().filter(|l| !l.starts_with('#')).step_by(25) {
///     let f: Vec<&str> = row.split('\t').collect();
///     let a = Float::with_val(prec, f[1].parse::<f64>().unwrap());
///     let value = match f[0] {
///         "normal_sf" => normal_sf(&a, prec),
///         "normal_quantile" => normal_quantile(&a, prec),
///         _ => half_normal_isf(&a, prec),
///     };
///     assert_eq!(format_value(&value.unwrap(), REFERENCE_DIGITS), f[2]);
/// }
/// ```
pub const REFERENCE_PRECISION: u32 = 256;

/// Significant decimal digits printed for each reference value.
///
/// ```
/// use pai_graphon::mp::{format_value, normal_sf, REFERENCE_DIGITS, REFERENCE_PRECISION};
/// use rug::Float;
/// let p = normal_sf(&Float::with_val(53, 1), REFERENCE_PRECISION).unwrap();
/// let text = format_value(&p, REFERENCE_DIGITS);
/// assert_eq!(text, "1.586552539314570514147674543679620775221e-1"); // P(Z > 1)
/// assert_eq!(text.chars().filter(|c| c.is_ascii_digit()).count(), REFERENCE_DIGITS + 1); // + exponent
/// ```
pub const REFERENCE_DIGITS: usize = 40;

/// The smallest precision [`normal_reference_table`] accepts: 40 correct digits need about
/// 133 bits plus the amplification of the argument rounding (≤ 12 bits on the grid) and a
/// margin for the 40th-digit rounding decision.
///
/// ```
/// use pai_graphon::mp::{format_value, normal_reference_table, normal_sf};
/// use pai_graphon::mp::{MIN_TABLE_PRECISION, REFERENCE_DIGITS, REFERENCE_PRECISION};
/// use rug::Float;
/// assert!(normal_reference_table(MIN_TABLE_PRECISION - 1).is_err());
/// // At the smallest precision the printed digits already match the reference's.
/// for x in [-8.0, 0.5, 5.0, 37.5] {
///     let at = |prec| format_value(&normal_sf(&Float::with_val(53, x), prec).unwrap(), REFERENCE_DIGITS);
///     assert_eq!(at(MIN_TABLE_PRECISION), at(REFERENCE_PRECISION));
/// }
/// ```
pub const MIN_TABLE_PRECISION: u32 = 192;

/// The largest precision these functions accept (the Newton loop's cost grows with it).
///
/// ```
/// use pai_graphon::mp::{erfc, MAX_PRECISION};
/// use rug::Float;
/// let zero = Float::with_val(53, 0);
/// assert_eq!(erfc(&zero, MAX_PRECISION).unwrap(), 1);
/// assert!(erfc(&zero, MAX_PRECISION + 1).is_err());
/// ```
pub const MAX_PRECISION: u32 = 1 << 16;

fn check_prec(prec: u32) -> Result<u32, NormalError> {
    if prec >= prec_min().max(2) && prec <= prec_max().min(MAX_PRECISION) {
        Ok(prec)
    } else {
        Err(NormalError::Precision(prec))
    }
}

/// The complementary error function, correctly rounded to `prec` bits.
///
/// ```
/// use pai_graphon::mp::erfc;
/// use rug::Float;
/// let y = erfc(&Float::with_val(64, 0), 128).unwrap();
/// assert_eq!(y, 1);
/// assert_eq!(y.prec(), 128);
/// assert!(erfc(&Float::with_val(64, 1), 0).is_err());
/// ```
pub fn erfc(x: &Float, prec: u32) -> Result<Float, NormalError> {
    let prec = check_prec(prec)?;
    Ok(Float::with_val(prec, x.erfc_ref()))
}

/// `√2` at `prec` bits (correctly rounded).
fn sqrt2(prec: u32) -> Float {
    Float::with_val(prec, 2).sqrt()
}

/// The standard normal upper tail `P(Z > x) = erfc(x/√2)/2` at working precision `prec`
/// (relative error ≤ `(4z² + 6)·2^−prec` with `z = x/√2`, see the module doc).
///
/// ```
/// use pai_graphon::mp::normal_sf;
/// use rug::Float;
/// let y = normal_sf(&Float::with_val(53, 0), 200).unwrap();
/// assert_eq!(y, 0.5);
/// // P(Z > 10) = 7.6198530241605260659733432515993083635040332779693e-24: 0.42 ulp above the
/// // f64 7.619853024160526e-24, and the 200-bit value is within (4z² + 6)·2^−200 of it, so
/// // to_f64 (round to nearest) gives that f64.
/// let r = normal_sf(&Float::with_val(53, 10), 200).unwrap();
/// assert_eq!(r.to_f64(), 7.619853024160526e-24);
/// ```
pub fn normal_sf(x: &Float, prec: u32) -> Result<Float, NormalError> {
    let prec = check_prec(prec)?;
    if x.is_nan() {
        return Err(NormalError::Domain("normal_sf needs a number", f64::NAN));
    }
    let z = Float::with_val(prec, x / sqrt2(prec));
    let mut y = erfc(&z, prec)?;
    y /= 2;
    Ok(y)
}

/// The standard normal density `φ(x)` at `prec` bits.
fn density(x: &Float, prec: u32) -> Float {
    let mut e = Float::with_val(prec, x.square_ref());
    e /= -2;
    e.exp_mut();
    let two_pi = Float::with_val(prec, Constant::Pi) * 2u32;
    e / two_pi.sqrt()
}

/// A start for Newton on `P(Z > x) = q`, `0 < q < 1/2`: statrs' f64 inverse when `q` is a
/// normal f64, else the tail asymptote `x² ≈ 2L − ln(4πL)` with `L = −ln q`. Only the number
/// of iterations depends on it, not the converged root.
fn newton_start(q: &Float, prec: u32) -> Float {
    let q64 = q.to_f64();
    if q64 >= f64::MIN_POSITIVE {
        let x0 = std::f64::consts::SQRT_2 * statrs::function::erf::erfc_inv(2.0 * q64);
        return Float::with_val(prec, x0);
    }
    let l = Float::with_val(prec, q.ln_ref()) * -1i32;
    let four_pi_l = Float::with_val(prec, Constant::Pi) * 4u32 * &l;
    let x2 = Float::with_val(prec, &l * 2u32) - four_pi_l.ln();
    x2.sqrt()
}

/// `x ≥ 0` with `P(Z > x) = q` for `0 < q ≤ 1/2`, by Newton at `prec` bits.
fn upper_quantile(q: &Float, prec: u32) -> Result<Float, NormalError> {
    if *q == 0.5 {
        return Ok(Float::with_val(prec, 0));
    }
    let mut x = newton_start(q, prec);
    // Quadratic convergence: once a step is below 2^(−prec/2)·|x| the next is below
    // 2^(−prec)·|x|, so we take exactly one more step after that.
    let half_prec = i32::try_from(prec / 2).unwrap_or(i32::MAX);
    let mut last_step = false;
    for _ in 0..200 {
        let residual = Float::with_val(prec, normal_sf(&x, prec)? - q);
        let step = residual / density(&x, prec);
        x += &step;
        if last_step {
            return Ok(x);
        }
        let scale = Float::with_val(prec, x.abs_ref()) >> half_prec;
        last_step = step.abs() <= scale;
    }
    Err(NormalError::NotConverged("mp::upper_quantile"))
}

fn check_probability(what: &'static str, p: &Float) -> Result<(), NormalError> {
    if *p > 0 && *p < 1 {
        Ok(())
    } else {
        Err(NormalError::Domain(what, p.to_f64()))
    }
}

/// The inverse survival function `Φ⁻¹(1 − q)` at working precision `prec`, by Newton on
/// [`normal_sf`] (for `q > 1/2` through `−Φ⁻¹(1 − (1 − q))`).
///
/// Newton on `f(x) = P(Z > x) − q` converges quadratically from the f64 start; it stops one
/// step after a step falls below `2^(−prec/2)|x|`. The root of the computed tail differs from
/// the true root by the tail's error divided by `φ(x)`: relative
/// `≤ (4z² + 6)·2^−prec · q/(x φ(x))`, with `q/(xφ(x)) ≤ 1/x²` for `x ≥ 1` (Mills' ratio) and
/// `≤ 1.25/x` below, so the relative error is below `2^−215` on the tabulated grid at 256 bits
/// (worst at the smallest `|x| = 2.3e-9`); the stopping rule leaves `x²·2^−(prec+1)` more.
///
/// ```
/// use pai_graphon::mp::normal_isf;
/// use rug::Float;
/// // Φ⁻¹(1 − fl(0.025)) = 1.959963984540054211779584194 (data/reference/normal.tsv) lies 0.27
/// // ulp below the f64 1.9599639845400543, far beyond the 2^−215 error: to_f64 rounds to it.
/// let x = normal_isf(&Float::with_val(53, 0.025), 256).unwrap();
/// assert_eq!(x.to_f64(), 1.9599639845400543);
/// assert!(normal_isf(&Float::with_val(53, 0), 256).is_err());
/// ```
pub fn normal_isf(q: &Float, prec: u32) -> Result<Float, NormalError> {
    let prec = check_prec(prec)?;
    check_probability("normal_isf needs q in (0, 1)", q)?;
    if *q <= 0.5 {
        upper_quantile(q, prec)
    } else {
        let complement = Float::with_val(prec, 1 - q.clone());
        Ok(-upper_quantile(&complement, prec)?)
    }
}

/// The standard normal quantile `Φ⁻¹(p)` at working precision `prec` (see [`normal_isf`]).
///
/// ```
/// use pai_graphon::mp::normal_quantile;
/// use rug::Float;
/// // Φ⁻¹(fl(0.025)) = −1.959963984540054211779584194 (data/reference/normal.tsv): to_f64
/// // rounds it to the nearest f64 (see normal_isf).
/// let x = normal_quantile(&Float::with_val(53, 0.025), 256).unwrap();
/// assert_eq!(x.to_f64(), -1.9599639845400543);
/// assert_eq!(normal_quantile(&Float::with_val(53, 0.5), 256).unwrap(), 0);
/// ```
pub fn normal_quantile(p: &Float, prec: u32) -> Result<Float, NormalError> {
    let prec = check_prec(prec)?;
    check_probability("normal_quantile needs p in (0, 1)", p)?;
    if *p == 0.5 {
        Ok(Float::with_val(prec, 0)) // +0, not −0
    } else if *p < 0.5 {
        Ok(-upper_quantile(p, prec)?)
    } else {
        let complement = Float::with_val(prec, 1 - p.clone());
        upper_quantile(&complement, prec)
    }
}

/// The half-normal inverse tail for σ = 1: the `x ≥ 0` with `P(|Z| > x) = q`, i.e.
/// `Φ⁻¹(1 − q/2)`, for `q ∈ (0, 1]`, at working precision `prec`.
///
/// ```
/// use pai_graphon::mp::half_normal_isf;
/// use rug::Float;
/// // fl(0.05)/2 = fl(0.025) exactly: the quantile of normal_isf's example, rounded to nearest.
/// let x = half_normal_isf(&Float::with_val(53, 0.05), 256).unwrap();
/// assert_eq!(x.to_f64(), 1.9599639845400543);
/// ```
pub fn half_normal_isf(q: &Float, prec: u32) -> Result<Float, NormalError> {
    let prec = check_prec(prec)?;
    if !(*q > 0 && *q <= 1) {
        return Err(NormalError::Domain(
            "half_normal_isf needs q in (0, 1]",
            q.to_f64(),
        ));
    }
    upper_quantile(&Float::with_val(prec, q / 2u32), prec)
}

// ---------------------------------------------------------------------------------------------
// The reference table.

/// The tabulated arguments, per function. Every argument is an f64, printed in its shortest
/// round-trip form ([`format_argument`]) and converted exactly to MPFR.
///
/// * `normal_sf`: x = k/4 for −8 ≤ x ≤ 8; x = k/2 for 8.5 ≤ x ≤ 37.5 (P(Z > 37.5) ≈ 4.6e-308,
///   the last tail value that is a normal f64); and x = fl(b√2) and its f64 predecessor for the
///   breakpoints b of statrs' erfc (0.5, 0.75, 1.25, 2.25, 3.5, 5.25, 8, 11.5, 17, 24).
/// * `normal_quantile`: p from 1e-300 to 1 − 2⁻⁵³, both tails and p = 0.5 ± 2⁻³⁰ near the centre.
/// * `half_normal_isf` (σ = 1): q = 10⁻ᵉ for e = 1..20, 25, 50, ..., 300; q = 3·10⁻ᵉ for
///   e = 1..10; q = 0.2, 0.3, ..., 0.9, 0.95, 0.99, 0.999.
///
/// ```
/// let grid = pai_graphon::mp::reference_grid();
/// assert!(grid.iter().any(|(f, x)| *f == "normal_sf" && *x == 37.5));
/// ```
pub fn reference_grid() -> Vec<(&'static str, f64)> {
    let mut grid = Vec::new();
    for k in -32..=32 {
        grid.push(("normal_sf", f64::from(k) / 4.0));
    }
    for k in 17..=75 {
        grid.push(("normal_sf", f64::from(k) / 2.0));
    }
    for b in [0.5, 0.75, 1.25, 2.25, 3.5, 5.25, 8.0, 11.5, 17.0, 24.0] {
        let x = b * std::f64::consts::SQRT_2;
        grid.push(("normal_sf", f64::from_bits(x.to_bits() - 1)));
        grid.push(("normal_sf", x));
    }
    let centre = 2f64.powi(-30);
    let mut ps = vec![
        1e-300, 1e-200, 1e-100, 1e-50, 1e-20, 1e-15, 1e-10, 1e-8, 1e-6, 1e-5, 1e-4, 1e-3, 0.01,
        0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.49, 0.499,
    ];
    ps.extend([0.5 - centre, 0.5, 0.5 + centre]);
    ps.extend([
        0.501, 0.51, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.975, 0.99, 0.999, 0.9999,
        0.999999,
    ]);
    ps.extend([1.0 - centre, 1.0 - 2f64.powi(-53)]);
    grid.extend(ps.into_iter().map(|p| ("normal_quantile", p)));
    let mut qs: Vec<f64> = (1..=20)
        .map(|e| format!("1e-{e}").parse().unwrap())
        .collect();
    qs.extend((1..=12).map(|k| format!("1e-{}", 25 * k).parse::<f64>().unwrap()));
    qs.extend((1..=10).map(|e| format!("3e-{e}").parse::<f64>().unwrap()));
    qs.extend([0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999]);
    qs.sort_by(f64::total_cmp);
    qs.dedup();
    grid.extend(qs.into_iter().map(|q| ("half_normal_isf", q)));
    grid
}

/// An f64 in its shortest round-trip decimal form: plain for `1e-4 ≤ |x| < 1e16` and 0,
/// scientific otherwise. `s.parse::<f64>()` gives back exactly `x`.
///
/// ```
/// use pai_graphon::mp::format_argument;
/// assert_eq!(format_argument(-7.75), "-7.75");
/// assert_eq!(format_argument(1e-300), "1e-300");
/// ```
pub fn format_argument(x: f64) -> String {
    if x == 0.0 || (1e-4..1e16).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// `y` rounded to nearest at `digits` significant decimal digits, as `d.ddd…e±N` (`0` for 0).
///
/// ```
/// use pai_graphon::mp::format_value;
/// use rug::Float;
/// assert_eq!(format_value(&Float::with_val(64, 0.125), 3), "1.25e-1");
/// assert_eq!(format_value(&Float::with_val(64, -2), 2), "-2.0e0");
/// ```
pub fn format_value(y: &Float, digits: usize) -> String {
    // rug's `{:.Ne}` calls mpfr_get_str with N digits, rounding to nearest.
    format!("{y:.digits$e}")
}

fn reference_value(function: &str, argument: f64, prec: u32) -> Result<Float, NormalError> {
    let a = Float::with_val(prec, argument);
    match function {
        "normal_sf" => normal_sf(&a, prec),
        "normal_quantile" => normal_quantile(&a, prec),
        "half_normal_isf" => half_normal_isf(&a, prec),
        _ => Err(NormalError::Domain("unknown reference function", argument)),
    }
}

unsafe extern "C" {
    // Provided by the MPFR and GMP libraries that gmp-mpfr-sys links for rug.
    fn mpfr_get_version() -> *const c_char;
    static __gmp_version: *const c_char;
}

/// The version string of the linked MPFR library (e.g. `4.2.2`).
///
/// ```
/// assert!(pai_graphon::mp::mpfr_version().starts_with('4'));
/// ```
pub fn mpfr_version() -> String {
    // SAFETY: mpfr_get_version returns a pointer to a static NUL-terminated string.
    unsafe { CStr::from_ptr(mpfr_get_version()) }
        .to_string_lossy()
        .into_owned()
}

/// The version string of the linked GMP library (e.g. `6.3.0`).
///
/// ```
/// assert!(pai_graphon::mp::gmp_version().starts_with('6'));
/// ```
pub fn gmp_version() -> String {
    // SAFETY: __gmp_version is a static pointer to a static NUL-terminated string.
    unsafe { CStr::from_ptr(__gmp_version) }
        .to_string_lossy()
        .into_owned()
}

/// The resolved version of the `rug` crate, read from `Cargo.lock` at compile time.
///
/// ```
/// assert!(pai_graphon::mp::rug_version().starts_with("1."));
/// ```
pub fn rug_version() -> String {
    let lock = include_str!("../../Cargo.lock");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"rug\"" {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return v.trim_end_matches('"').to_string();
            }
        }
    }
    "unknown".to_string()
}

/// The reference table `data/reference/normal.tsv` at working precision `prec`: a commented
/// header (generator command, precision, library versions, grid, "do not edit"), then one
/// `function<TAB>argument<TAB>value` row per point of [`reference_grid`], values rounded to
/// [`REFERENCE_DIGITS`] significant digits. The single source of that file: the CLI
/// (`pai-graphon reference normal --prec 256`) and the test that regenerates it call this.
/// Rejects `prec` below [`MIN_TABLE_PRECISION`] or above [`MAX_PRECISION`].
///
/// ```
/// let t = pai_graphon::mp::normal_reference_table(256).unwrap();
/// assert!(t.contains("\nnormal_sf\t0\t5.000000000000000000000000000000000000000e-1\n"));
/// assert!(pai_graphon::mp::normal_reference_table(64).is_err());
/// ```
pub fn normal_reference_table(prec: u32) -> Result<String, NormalError> {
    if prec < MIN_TABLE_PRECISION {
        return Err(NormalError::Precision(prec));
    }
    let prec = check_prec(prec)?;
    let mut out = String::new();
    out.push_str(&format!(
        "# generated by: pai-graphon reference normal --prec {prec}\n\
         # MPFR working precision: {prec} bits; values rounded to nearest at {REFERENCE_DIGITS} significant digits\n\
         # libraries: rug {}, MPFR {}, GMP {}\n\
         # normal_sf(x) = P(Z > x) = erfc(x/sqrt 2)/2; normal_quantile(p) = Phi^-1(p); \
         half_normal_isf(q) = Phi^-1(1 - q/2) (sigma = 1)\n\
         # quantiles: Newton on MPFR erfc, one step past a step below 2^-{half} relative; arguments are f64 values in shortest round-trip form\n\
         # grid: see pai_graphon::mp::reference_grid\n\
         # columns: function<TAB>argument<TAB>value\n\
         # do not edit\n",
        rug_version(),
        mpfr_version(),
        gmp_version(),
        half = prec / 2
    ));
    for (function, argument) in reference_grid() {
        let value = reference_value(function, argument, prec)?;
        out.push_str(&format!(
            "{function}\t{}\t{}\n",
            format_argument(argument),
            format_value(&value, REFERENCE_DIGITS)
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_round_trip() {
        for (_, x) in reference_grid() {
            assert_eq!(format_argument(x).parse::<f64>().unwrap(), x);
        }
    }

    #[test]
    fn quantile_inverts_tail() {
        let prec = 256;
        for x in [-5.0, -0.001, 0.3, 2.0, 20.0, 37.0] {
            let xf = Float::with_val(prec, x);
            let q = normal_sf(&xf, prec).unwrap();
            let back = normal_isf(&q, prec).unwrap();
            let err = Float::with_val(prec, &back - &xf).abs() / xf.abs();
            assert!(err < (Float::with_val(prec, 1) >> 200u32), "x = {x}");
        }
    }

    #[test]
    fn rejects_bad_precision_and_domain() {
        let one = Float::with_val(53, 1);
        assert!(normal_sf(&one, 0).is_err());
        assert!(normal_quantile(&one, 256).is_err());
        assert!(half_normal_isf(&Float::with_val(53, 0), 256).is_err());
        assert!(normal_reference_table(MIN_TABLE_PRECISION - 1).is_err());
    }
}
