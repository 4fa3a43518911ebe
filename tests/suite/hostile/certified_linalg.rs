//! Probes: certified_linalg (issue #17). The CLI paths that reach the certified linear algebra
//! (`ntk`: the graphon NTK, its certified λ_min, the Cholesky complexity) driven at the edges of
//! what the parser accepts: extreme densities, one input, absurd quadrature node counts,
//! extreme SNIP powers. Each run is checked for a typed refusal or a certificate that holds.

use super::probe::*;

/// `ntk … --format json` on the small digits set; the parsed summary when it computed one
/// (exit 0, or 3 when its bound is vacuous).
fn ntk_json(extra: &[&str]) -> (std::process::Output, Option<serde_json::Value>) {
    let mut args = vec!["ntk", "--data", "digits", "--format", "json"];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_no_crash(&args, &o);
    let json = matches!(o.status.code(), Some(0 | 3)).then(|| {
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON: {e}"))
    });
    (o, json)
}

fn field(j: &serde_json::Value, name: &str) -> Option<f64> {
    j.get(name).and_then(serde_json::Value::as_f64)
}

/// Every certified field is finite and ordered: `lower ≤ upper` for λ_min, a non-negative
/// kernel error, no NaN anywhere (serde writes NaN as null: a null certified bound means "not
/// certified", which the table says; a null estimate is a defect).
fn assert_certificate_sane(what: &str, j: &serde_json::Value) {
    for name in [
        "density",
        "kernel_error",
        "lambda_min_upper",
        "lambda_min_estimate",
        "lambda_max_estimate",
        "complexity",
        "scale",
    ] {
        let v = field(j, name).unwrap_or_else(|| panic!("{what}: {name} missing or NaN: {j}"));
        assert!(v.is_finite(), "{what}: {name} = {v}");
    }
    assert!(field(j, "kernel_error").unwrap() >= 0.0, "{what}: {j}");
    if let Some(lower) = field(j, "lambda_min_lower") {
        let upper = field(j, "lambda_min_upper").unwrap();
        assert!(
            0.0 < lower && lower <= upper,
            "{what}: λ_min certified in [{lower}, {upper}]"
        );
    }
}

/// The constant graphon's kernel does not depend on ρ (W/ρ ≡ 1): the certified λ_min intervals
/// at the extreme densities the parser accepts must overlap the one at ρ = 1/2. Before issue
/// #17 a density of 5e-324 was accepted and computed; it is now refused as outside the kernel's
/// domain (ρ must be a normal f64), and the smallest normal density still certifies.
#[test]
fn ntk_constant_graphon_certificate_is_density_free() {
    let interval = |rho: &str| {
        let (o, j) = ntk_json(&["--graphon", "constant", "--samples", "40", "--density", rho]);
        let j = j.unwrap_or_else(|| panic!("ρ = {rho}: refused: {}", stderr(&o)));
        assert_certificate_sane(rho, &j);
        (
            field(&j, "lambda_min_lower").expect("certified"),
            field(&j, "lambda_min_upper").unwrap(),
        )
    };
    let (lo, hi) = interval("0.5");
    for rho in [
        "1",
        "0.9999999999999999",
        "1e-300",
        "2.2250738585072014e-308",
    ] {
        let (l, h) = interval(rho);
        assert!(
            l <= hi && lo <= h,
            "ρ = {rho}: [{l}, {h}] misses [{lo}, {hi}]"
        );
    }
}

#[test]
fn ntk_subnormal_density_is_refused() {
    for rho in ["5e-324", "1e-310"] {
        assert_refused(
            &[
                "ntk",
                "--graphon",
                "constant",
                "--data",
                "digits",
                "--samples",
                "5",
                "--density",
                rho,
            ],
            "outside the kernel's domain",
        );
    }
    // A SNIP profile whose values underflow the limit's certified domain (ψ < 1e-50), at a
    // subnormal density: refused by the domain check before the kernel sees it.
    assert_refused(
        &[
            "ntk",
            "--graphon",
            "snip:1e-300",
            "--data",
            "digits",
            "--samples",
            "50",
            "--density",
            "5e-324",
        ],
        "outside the certified domain",
    );
}

/// One input: a 1 × 1 kernel, K = ½ for the first layer. The certificate must contain ½.
#[test]
fn ntk_single_input_certifies_one_half() {
    let (o, j) = ntk_json(&[
        "--graphon",
        "constant",
        "--samples",
        "1",
        "--density",
        "0.2",
    ]);
    let j = j.unwrap_or_else(|| panic!("refused: {}", stderr(&o)));
    assert_certificate_sane("N = 1", &j);
    let lower = field(&j, "lambda_min_lower").expect("certified");
    assert!(lower <= 0.5 && 0.5 <= field(&j, "lambda_min_upper").unwrap());
}

/// Quadrature node counts: 0 and an absurd count are refused before any work (the Gauss rule
/// costs O(m²): 100 000 nodes ran for minutes before the limit).
#[test]
fn ntk_quadrature_nodes_are_bounded() {
    let base = [
        "ntk",
        "--graphon",
        "fsm:exp:3;exp:3",
        "--data",
        "digits",
        "--samples",
        "10",
        "--density",
        "0.2",
        "--nodes",
    ];
    let with = |n: &'static str| {
        let mut a = base.to_vec();
        a.push(n);
        a
    };
    // The flag's parser holds the same limit as the library (params::NODES).
    assert_refused(
        &with("100000"),
        "nodes 100000 exceeds the limit: at most 4096",
    );
    assert_refused(
        &with("18446744073709551615"),
        "exceeds the limit: at most 4096",
    );
    assert_refused(&with("0"), "nodes must be at least 1");
}

/// SNIP column profiles with extreme powers and densities: a certificate that holds or a
/// refusal, never a panic or a NaN certificate.
#[test]
fn ntk_snip_extreme_powers_and_densities() {
    for power in ["1e-300", "1", "300", "1e300"] {
        for rho in [
            "1e-300",
            "2.2250738585072014e-308",
            "0.2",
            "0.9999999999999999",
        ] {
            let graphon = format!("snip:{power}");
            let (o, j) = ntk_json(&["--graphon", &graphon, "--samples", "60", "--density", rho]);
            match j {
                Some(j) => assert_certificate_sane(&format!("{graphon} at {rho}"), &j),
                None => {
                    assert_eq!(
                        o.status.code(),
                        Some(2),
                        "{graphon} at {rho}: {}",
                        stderr(&o)
                    );
                    assert_eq!(stderr(&o).trim_end().lines().count(), 1, "{}", stderr(&o));
                }
            }
        }
    }
}
