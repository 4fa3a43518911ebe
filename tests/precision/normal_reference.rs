//! The f64 normal tail and quantiles against the committed MPFR table (claim TOOL-7), and, with
//! `--features mpfr`, the table against a fresh regeneration.
//!
//! Regenerate the table after a deliberate change with
//! `cargo test --features mpfr --test suite -- --ignored normal_reference::mpfr::write_reference_table`.
use pai_graphon::normal::{check_row, parse_reference_table, Implementation, RefFunction};
use std::path::PathBuf;

fn table_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/reference/normal.tsv")
}

fn committed_table() -> String {
    std::fs::read_to_string(table_path()).expect("data/reference/normal.tsv is readable")
}

/// Every row within its function's stated relative bound (plus u for rounding the 40-digit
/// reference to f64); prints the worst error per function in ulps.
#[test]
fn f64_paths_within_stated_bounds() {
    let rows = parse_reference_table(&committed_table()).unwrap();
    assert!(rows.len() >= 200, "table has only {} rows", rows.len());
    let mut failures = Vec::new();
    for f in RefFunction::ALL {
        let mut worst = (0.0f64, 0.0f64, f64::NAN); // (ulps, ratio, argument)
        for row in rows.iter().filter(|r| r.function == f) {
            let e = check_row(row, Implementation::Accurate).unwrap();
            if e.ratio > 1.0 {
                // ratio is never NaN: check_row maps a NaN difference to ∞
                failures.push(format!(
                    "TOOL-7: {}({:?}) = {:e}, reference {:e} (line {}): {:.2} ulps, ratio {:.3} > 1 \
                     (bound {:.2e} relative)",
                    f.name(),
                    row.argument,
                    e.computed,
                    row.value,
                    row.line,
                    e.ulps,
                    e.ratio,
                    f.relative_bound()
                ));
            }
            if e.ulps > worst.0 {
                worst = (e.ulps, e.ratio, row.argument);
            }
        }
        println!(
            "{:<16} worst {:.3} ulps at argument {:?} (ratio to stated bound {:.3})",
            f.name(),
            worst.0,
            worst.2,
            worst.1
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The negative control: A&S 7.1.26 erfc misses the same bounds.
#[test]
fn crude_erfc_is_rejected() {
    let rows = parse_reference_table(&committed_table()).unwrap();
    let worst = rows
        .iter()
        .map(|r| {
            check_row(r, Implementation::AbramowitzStegun)
                .unwrap()
                .ratio
        })
        .fold(0.0f64, f64::max);
    assert!(
        worst > 1.0,
        "TOOL-7 control: crude erfc passed (worst ratio {worst})"
    );
}

/// The table compiled into the binary is the committed file.
#[test]
fn embedded_table_is_committed_file() {
    assert_eq!(pai_graphon::normal::REFERENCE_TABLE, committed_table());
}

#[cfg(feature = "mpfr")]
mod mpfr {
    use super::*;
    use pai_graphon::mp;
    use rug::ops::Pow;
    use rug::Float;

    /// The committed file is exactly what the generator produces now.
    #[test]
    fn table_regenerates_byte_for_byte() {
        let fresh = mp::normal_reference_table(mp::REFERENCE_PRECISION).unwrap();
        let committed = committed_table();
        if fresh != committed {
            let diff = fresh
                .lines()
                .zip(committed.lines())
                .enumerate()
                .find(|(_, (a, b))| a != b)
                .map(|(i, (a, b))| format!("line {}: fresh {a:?} vs committed {b:?}", i + 1))
                .unwrap_or_else(|| "line counts differ".to_string());
            panic!("TOOL-7: data/reference/normal.tsv is stale ({diff})");
        }
    }

    /// quantile(sf(x)) = x at 256 and at 320 bits, and the two agree to ≥ 70 digits.
    #[test]
    fn quantile_of_tail_round_trips_at_two_precisions() {
        let digits_70 = Float::with_val(400, 10).pow(-70i32);
        for x in [-8.0f64, -1.5, -1e-3, 0.25, 1.0, 3.0, 10.0, 25.5, 37.5] {
            let mut results = Vec::new();
            for prec in [256u32, 320] {
                let xf = Float::with_val(prec, x);
                // Φ(x) = P(Z > −x) without cancellation; for x > 0 through the upper tail
                // instead, since Φ(x) itself would lose the tail.
                let p = mp::normal_sf(&Float::with_val(prec, -x), prec).unwrap();
                let back = if x > 0.0 {
                    let q = mp::normal_sf(&xf, prec).unwrap();
                    mp::normal_isf(&q, prec).unwrap()
                } else {
                    mp::normal_quantile(&p, prec).unwrap()
                };
                let rel = Float::with_val(prec, &back - &xf).abs() / xf.clone().abs();
                assert!(
                    rel < digits_70,
                    "x = {x}, prec = {prec}: relative error {rel}"
                );
                results.push(back);
            }
            let gap = Float::with_val(400, &results[0] - &results[1]).abs() / x.abs();
            assert!(gap < digits_70, "x = {x}: 256 vs 320 bits differ by {gap}");
        }
    }

    /// Every tabulated value agrees between 256 and 320 bits to ≥ 70 digits, so the 40 printed
    /// digits are settled.
    #[test]
    fn table_values_stable_across_precisions() {
        let digits_70 = Float::with_val(400, 10).pow(-70i32);
        for (function, argument) in mp::reference_grid().into_iter().step_by(7) {
            let at = |prec: u32| {
                let a = Float::with_val(prec, argument);
                match function {
                    "normal_sf" => mp::normal_sf(&a, prec),
                    "normal_quantile" => mp::normal_quantile(&a, prec),
                    _ => mp::half_normal_isf(&a, prec),
                }
                .unwrap()
            };
            let (lo, hi) = (at(256), at(320));
            if hi.is_zero() {
                assert!(lo.is_zero());
                continue;
            }
            let gap = Float::with_val(400, &lo - &hi).abs() / hi.abs();
            assert!(gap < digits_70, "{function}({argument}): gap {gap}");
        }
    }

    /// Off the table's grid: a dense low-discrepancy sweep (golden-ratio stride, no randomness)
    /// of the tail over [−8, 37.5] and of the upper quantile over q ∈ [1e-300, 0.5], each
    /// f64 result within its stated bound of the 256-bit value.
    #[test]
    fn dense_sweep_within_stated_bounds() {
        use pai_graphon::normal::{
            normal_isf, normal_sf, QUANTILE_RELATIVE_BOUND, SF_RELATIVE_BOUND,
        };
        let prec = mp::REFERENCE_PRECISION;
        let golden = (5f64.sqrt() - 1.0) / 2.0;
        let ratio = |computed: f64, exact: &Float, bound: f64| {
            let diff = Float::with_val(prec, computed - exact).abs();
            (diff / exact.clone().abs()).to_f64() / bound
        };
        let (mut worst_sf, mut worst_isf) = ((0.0f64, f64::NAN), (0.0f64, f64::NAN));
        for k in 0..1500 {
            let x = -8.0 + 45.5 * (f64::from(k) * golden).fract();
            let exact = mp::normal_sf(&Float::with_val(prec, x), prec).unwrap();
            let r = ratio(normal_sf(x).unwrap(), &exact, SF_RELATIVE_BOUND);
            if r > worst_sf.0 {
                worst_sf = (r, x);
            }
        }
        for k in 0..400 {
            let q = (-690.0 * (f64::from(k) * golden).fract()).exp() * 0.5;
            let exact = mp::normal_isf(&Float::with_val(prec, q), prec).unwrap();
            let r = ratio(normal_isf(q).unwrap(), &exact, QUANTILE_RELATIVE_BOUND);
            if r > worst_isf.0 {
                worst_isf = (r, q);
            }
        }
        println!(
            "dense sweep: normal_sf worst {:.3} of bound ({:.2} eps) at x = {:?}; \
             normal_isf worst {:.3} of bound ({:.2} eps) at q = {:?}",
            worst_sf.0,
            worst_sf.0 * SF_RELATIVE_BOUND / f64::EPSILON,
            worst_sf.1,
            worst_isf.0,
            worst_isf.0 * QUANTILE_RELATIVE_BOUND / f64::EPSILON,
            worst_isf.1
        );
        // unit the bounds are built from.
        assert!(
            worst_sf.0 <= 1.0,
            "TOOL-7 sweep: normal_sf({:?}) ratio {}",
            worst_sf.1,
            worst_sf.0
        );
        assert!(
            worst_isf.0 <= 1.0,
            "TOOL-7 sweep: normal_isf({:?}) ratio {}",
            worst_isf.1,
            worst_isf.0
        );
    }

    /// Writes the table; run deliberately (see the file doc), then commit the file.
    #[test]
    #[ignore = "writes data/reference/normal.tsv"]
    fn write_reference_table() {
        let table = mp::normal_reference_table(mp::REFERENCE_PRECISION).unwrap();
        std::fs::create_dir_all(table_path().parent().unwrap()).unwrap();
        std::fs::write(table_path(), table).unwrap();
    }
}
