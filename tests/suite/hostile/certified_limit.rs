//! Probes: certified_limit (issue #17). The limit-graphon routines through the CLI: inputs
//! outside the certified domain are refused with one line and exit 2; inputs at its edges end
//! with certificates that respect the invariants of a graphon.

#[allow(unused_imports)]
use super::probe::*;
use serde_json::Value;

/// `limit` with a model and density, JSON output.
fn limit_args<'a>(row: &'a str, col: &'a str, noise: &'a str, rho: &'a str) -> Vec<&'a str> {
    vec![
        "limit",
        "--row-profile",
        row,
        "--col-profile",
        col,
        "--noise",
        noise,
        "--density",
        rho,
        "--format",
        "json",
    ]
}

/// The invariants of a certified `limit` summary: τ̂ in its finite interval, ρ inside the
/// density check, ρ⁴ ≤ t(C4) ≤ ρ (to the 8 ε outward rounding), t(C4) − ρ⁴ ≥ 0, degrees in [0, 1].
fn assert_certified(args: &[&str], rho: f64) {
    let o = run(args);
    assert_no_crash(args, &o);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).expect("JSON summary");
    let f = |x: &Value| x.as_f64().unwrap_or(f64::NAN);
    let (tau, lo, hi) = (
        f(&v["tau_star"]),
        f(&v["tau_star_interval"][0]),
        f(&v["tau_star_interval"][1]),
    );
    assert!(
        hi.is_finite() && 0.0 <= lo && lo <= tau && tau <= hi,
        "{args:?}: τ* {tau:e} in [{lo:e}, {hi:e}]"
    );
    let d = &v["density_check"];
    assert!(
        f(&d["lo"]) <= rho && rho <= f(&d["hi"]),
        "{args:?}: ∫∫W {d}"
    );
    let (c4, diff) = (&v["c4_density"], &v["c4_minus_rho4"]);
    let slack = 8.0 * f64::EPSILON;
    assert!(
        f(&c4["lo"]) >= rho.powi(4) * (1.0 - slack),
        "{args:?}: t(C4) {c4}"
    );
    assert!(f(&c4["hi"]) <= rho * (1.0 + slack), "{args:?}: t(C4) {c4}");
    assert!(f(&diff["lo"]) >= 0.0, "{args:?}: t(C4) − ρ⁴ {diff}");
    for side in ["row_degrees", "col_degrees"] {
        for q in v[side].as_array().expect("degrees") {
            assert!(
                0.0 <= f(&q["lo"]) && f(&q["hi"]) <= 1.0,
                "{args:?}: {side} {q}"
            );
        }
    }
}

/// Issue #17: `power:1e300` printed a t(C4) − ρ⁴ bracket below 0 with exit 0.
#[test]
fn power_1e300_is_refused() {
    assert_refused(
        &limit_args("power:1e300", "exp:3", "gaussian:1", "0.2"),
        "certified domain",
    );
}

/// Issue #17: ρ = 1e-300 printed τ* "certified in [0, ∞]".
#[test]
fn tiny_density_is_refused() {
    assert_refused(
        &limit_args("exp:3", "exp:3", "gaussian:1", "1e-300"),
        "density ρ",
    );
}

/// Underflowing or overflowing profiles and noise scales are refused at parse time.
#[test]
fn extreme_specs_are_refused() {
    for (r, c, n) in [
        ("exp:3", "exp:3", "gaussian:1e-300"),
        ("exp:3", "exp:3", "uniform:1e300"),
        ("const:1e-300", "exp:3", "gaussian:1"),
        ("exp:700", "exp:3", "gaussian:1"),
        ("empirical:1,1e200", "exp:3", "gaussian:1"),
    ] {
        assert_refused(&limit_args(r, c, n, "0.2"), "certified domain");
    }
}

/// Issue #17: `--grid 100000000000` aborted on an 800 GB allocation.
#[test]
fn huge_grid_is_refused() {
    let mut args = limit_args("exp:3", "exp:3", "gaussian:1", "0.2");
    args.extend(["--grid", "100000000000"]);
    assert_refused(&args, "exceeds its maximum 1024");
}

/// The domain's edges end, with every invariant of the certificate.
#[test]
fn domain_edges_are_certified() {
    for (r, c, n, rho) in [
        ("power:16", "exp:3", "gaussian:1", 0.2),
        ("exp:64", "exp:64", "gaussian:1e-50", 1e-9),
        ("const:1e50", "const:1e50", "gaussian:1e50", 0.999999999),
        ("step:0.5;0,1e-50", "affine:0,1e50", "uniform:1e-50", 0.3),
        ("power:2.2250738585072014e-308", "exp:3", "uniform:1", 0.5),
    ] {
        let rho_text = rho.to_string();
        assert_certified(&limit_args(r, c, n, &rho_text), rho);
    }
}

/// A small 0/1 mask as a .npy file (uint8, C order).
fn write_mask(path: &std::path::Path, rows: usize, cols: usize) {
    let mut header =
        format!("{{'descr': '|u1', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    bytes.extend((0..rows * cols).map(|i| u8::from(i % 5 == 0)));
    std::fs::write(path, bytes).expect("mask written");
}

/// Issue #17: `check --against fsm:…` and `ntk --graphon fsm:…` hung on extreme specs.
#[test]
fn check_and_ntk_end_on_extreme_fsm_specs() {
    let dir = scratch("certified-limit-check");
    let mask = dir.join("m.npy");
    write_mask(&mask, 8, 8);
    let mask = mask.to_str().expect("utf-8 path");
    for spec in [
        "fsm:power:1e300;exp:3;gaussian:1",
        "fsm:exp:3;exp:3;gaussian:1e-300",
        "fsm:exp:3;exp:3;uniform:1e300",
    ] {
        assert_refused(
            &[
                "check",
                "--masks",
                mask,
                "--against",
                spec,
                "--density",
                "0.2",
            ],
            "certified domain",
        );
        assert_refused(
            &[
                "ntk",
                "--graphon",
                spec,
                "--data",
                "digits",
                "--samples",
                "50",
                "--density",
                "0.2",
            ],
            "certified domain",
        );
    }
    for args in [
        vec![
            "check",
            "--masks",
            mask,
            "--against",
            "fsm:exp:3;exp:3;gaussian:1",
            "--density",
            "1e-300",
        ],
        vec![
            "ntk",
            "--graphon",
            "fsm:exp:64;exp:64;gaussian:1e-50",
            "--data",
            "digits",
            "--samples",
            "50",
            "--density",
            "0.2",
        ],
    ] {
        let o = run(&args);
        assert_no_crash(&args, &o);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
