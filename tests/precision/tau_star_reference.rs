//! τ* against the committed MPFR reference table `data/reference/tau_star.tsv`.
//!
//! Default build: every reference value lies in the certified f64 interval of its instance.
//! With `--features mpfr`: the table regenerates byte for byte, and the f64 erfc stays within
//! the error model the f64 certificates assume.

use pai_graphon::convergence::limit::Fsm;

const TABLE: &str = include_str!("../../data/reference/tau_star.tsv");

/// (row, col, noise, ρ, τ*) per data row.
fn rows() -> Vec<(String, String, String, String, String)> {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 6, "malformed row {l:?}");
            (
                f[0].into(),
                f[1].into(),
                f[2].into(),
                f[3].into(),
                f[4].into(),
            )
        })
        .collect()
}

#[test]
fn reference_lies_in_certified_f64_interval() {
    let rows = rows();
    assert!(rows.len() >= 10);
    for (row, col, noise, rho, tau) in rows {
        let reference: f64 = tau
            .parse()
            .unwrap_or_else(|_| panic!("{row} {col} {noise} {rho}: τ* column {tau:?}"));
        let fsm = Fsm::parse(&row, &col, &noise).unwrap();
        let t = fsm.tau_star(rho.parse().unwrap()).unwrap();
        let (lo, hi) = t.interval;
        println!(
            "{row} × {col}, {noise}, ρ = {rho}: f64 τ̂ = {:e}, relative error {:.1e}, certified relative width {:.1e}",
            t.value,
            (t.value - reference).abs() / reference,
            (hi - lo) / reference
        );
        assert!(
            lo <= reference && reference <= hi,
            "{row} × {col}, {noise}, ρ = {rho}: reference {reference:e} outside [{lo:e}, {hi:e}]"
        );
    }
}

#[cfg(feature = "mpfr")]
#[test]
fn table_regenerates_byte_for_byte() {
    let fresh = pai_graphon::mp::limit::tau_star_reference_table(256);
    assert_eq!(
        fresh, TABLE,
        "regenerate with: pai-graphon reference tau-star --prec 256"
    );
}

#[cfg(feature = "mpfr")]
#[test]
fn f64_erfc_within_the_certificates_error_model() {
    use rug::Float;
    // TAIL_REL_ERR in convergence::limit assumes |erfc_f64(z) − erfc(z)| ≤ (8 + z²) ε erfc(z)
    // for z ≤ 26; beyond, erfc < 1e-295 (near subnormal) and the absolute ε allowance covers it
    let step = 1.0 / 512.0;
    for i in 0..(26 * 512) {
        let z = i as f64 * step + step / 3.0;
        let got = pai_graphon::normal::erfc(z);
        let exact = Float::with_val(128, z).erfc();
        let rel = ((Float::with_val(128, got) - &exact) / &exact)
            .to_f64()
            .abs();
        assert!(
            rel <= (8.0 + z * z) * f64::EPSILON,
            "z = {z}: relative error {rel:e}"
        );
    }
}

/// The binary's `limit --prec` (built only with MPFR) prints a τ* inside the certified f64
/// interval the same command prints; without MPFR `--prec` is a one-line error with exit 2.
#[test]
fn limit_prec_agrees_with_the_certified_interval() {
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pai-graphon"))
            .args(["limit", "--row-profile", "exp:3", "--col-profile", "exp:3"])
            .args(["--density", "0.2"])
            .args(extra)
            .output()
            .expect("the binary runs")
    };
    let f64_run = String::from_utf8(run(&[]).stdout).unwrap();
    let certified = f64_run
        .lines()
        .find(|l| l.starts_with("tau_star "))
        .and_then(|l| l.split_once(" in ["))
        .and_then(|(_, r)| r.strip_suffix(']'))
        .and_then(|r| r.split_once(", "))
        .map(|(lo, hi)| (lo.parse::<f64>().unwrap(), hi.parse::<f64>().unwrap()))
        .expect("a certified interval");
    let out = run(&["--prec", "128"]);
    if cfg!(feature = "mpfr") {
        let text = String::from_utf8(out.stdout).unwrap();
        let tau: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix("tau_star (MPFR)"))
            .and_then(|r| r.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .expect("an MPFR τ*");
        assert!(
            certified.0 <= tau && tau <= certified.1,
            "{tau} outside {certified:?}: {text}"
        );
    } else {
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(String::from_utf8(out.stderr).unwrap().lines().count(), 1);
    }
}
