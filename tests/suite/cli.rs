//! The command line, driven as a user would: exit codes, one-line errors, no panics, no partial
//! output files.

use std::path::PathBuf;
use std::process::{Command, Output};

fn pai(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pai-graphon"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A rejected invocation: exit status 2, a one-line message containing `needle`, no panic,
/// nothing on stdout.
fn assert_rejected(args: &[&str], needle: &str) {
    let o = pai(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{args:?}: not one line: {err}"
    );
    assert!(
        err.contains(needle),
        "{args:?}: message {err:?} does not name {needle:?}"
    );
    assert!(!err.contains("panicked"), "{args:?}: panic: {err}");
    assert!(o.stdout.is_empty(), "{args:?}: wrote to stdout");
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pai-graphon-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn list_names_every_claim() {
    let o = pai(&["list"]);
    assert!(o.status.success());
    let out = String::from_utf8(o.stdout).unwrap();
    for c in pai_graphon::claims::registry() {
        assert!(out.contains(c.id), "list lacks {}", c.id);
    }
}

#[test]
fn show_prints_the_theory_statement() {
    let o = pai(&["show", "TOOL-4"]);
    assert!(o.status.success());
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.starts_with("### TOOL-4"), "{out}");
    assert!(out.contains("**Statement.**"));
}

#[test]
fn bad_input_is_rejected_with_one_line() {
    assert_rejected(&["show", "NOPE-1"], "NOPE-1");
    assert_rejected(&["audit", "--filter", "NOPE"], "NOPE");
    assert_rejected(&["audit", "--scale", "0"], "scale");
    assert_rejected(&["audit", "--scale", "-2"], "scale");
    assert_rejected(&["audit", "--scale", "nan"], "scale");
    assert_rejected(&["audit", "--scale", "abc"], "abc");
    assert_rejected(&["audit", "--seed", "0xZZ"], "0xZZ");
    assert_rejected(&["audit", "--seed", "12345678901234567"], "seed");
    assert_rejected(&["audit", "--format", "xml"], "xml");
    assert_rejected(&["frobnicate"], "frobnicate");
    let limit = |extra: &[&str]| {
        let mut a = vec!["limit", "--row-profile", "exp:3", "--col-profile", "exp:3"];
        a.extend_from_slice(extra);
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run = |args: Vec<String>, needle: &str| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_rejected(&refs, needle);
    };
    run(limit(&["--density", "1.5"]), "1.5");
    run(limit(&["--density", "-0.1"]), "-0.1");
    run(limit(&["--density", "nan"]), "NaN");
    run(
        limit(&["--density", "0.2", "--noise", "cauchy:1"]),
        "cauchy",
    );
    run(limit(&["--density", "0.2", "--grid", "0"]), "grid");
    // Found by tests/suite/fuzz_parsers.rs: e^(1e308 u) overflows.
    assert_rejected(
        &[
            "limit",
            "--row-profile",
            "exp:1e308",
            "--col-profile",
            "exp:3",
            "--density",
            "0.2",
        ],
        "overflows",
    );
    assert_rejected(
        &[
            "limit",
            "--row-profile",
            "exp",
            "--col-profile",
            "exp:3",
            "--density",
            "0.2",
        ],
        "exp",
    );
    assert_rejected(
        &[
            "limit",
            "--row-profile",
            "step:0.5;0,0",
            "--col-profile",
            "exp:3",
            "--density",
            "0.2",
        ],
        "zero",
    );
    assert_rejected(
        &[
            "limit",
            "--row-profile",
            "step:0.5;0,1",
            "--col-profile",
            "exp:3",
            "--density",
            "0.6",
        ],
        "no τ* exists",
    );
    assert_rejected(&["figure1", "--widths", "210", "--seeds", "1"], "210");
    assert_rejected(&["figure1", "--widths", "0", "--seeds", "1"], "0");
    assert_rejected(&["figure1", "--seeds", "0"], "seed");
}

#[test]
fn rejected_figure1_leaves_no_output_folder() {
    let dir = scratch("figure1-cwd");
    std::fs::create_dir_all(&dir).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_pai-graphon"))
        .args(["figure1", "--seeds", "0"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "the default folder was created"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn limit_prints_tau_star_json() {
    let o = pai(&[
        "limit",
        "--row-profile",
        "const:1",
        "--col-profile",
        "const:1",
        "--noise",
        "uniform:1",
        "--density",
        "0.25",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // Random pruning's closed form: τ* = 1 − ρ, exactly.
    assert_eq!(v["tau_star"], 0.75);
}

#[test]
fn audit_json_has_the_documented_fields() {
    let o = pai(&["audit", "--filter", "TOOL-4", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    for field in [
        "id",
        "source",
        "kind",
        "observed",
        "threshold",
        "margin",
        "failure_probability",
        "status",
        "seed_label",
        "seed",
        "control",
    ] {
        assert!(rows[0].get(field).is_some(), "missing field {field}");
    }
    assert_eq!(rows[0]["status"], "pass");
}

/// A vacuous claim (TOOL-3 at a scale of two draws: its DKW radius exceeds 1, the range of a KS
/// statistic) is `vacuous` in the table, the markdown, the JSON and report.html, counted in
/// the summary, and the audit exits 3.
#[test]
fn audit_reports_vacuous_claims_in_every_output() {
    let dir = scratch("out-vacuous");
    let o = pai(&[
        "audit",
        "--filter",
        "TOOL-3",
        "--scale",
        "1e-4",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let table = String::from_utf8(o.stdout).unwrap();
    assert!(table.contains("  vacuous  TOOL-3/n=2"), "{table}");
    assert!(
        table.contains("\n0 passed, 0 failed, 1 vacuous ("),
        "{table}"
    );
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let json: serde_json::Value = serde_json::from_str(&read("audit.json")).unwrap();
    assert_eq!(json[0]["status"], "vacuous");
    let md = read("audit.md");
    assert!(md.contains(" | vacuous | TOOL-3/n=2 | "), "{md}");
    assert!(md.contains("1 vacuous ("), "{md}");
    let html = read("report.html");
    assert!(
        html.contains("<tr class=\"vacuous\"><td>TOOL-3</td>"),
        "claim row"
    );
    assert!(html.contains("0 of 1 claims passed (1 vacuous"), "summary");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn audit_out_writes_json_markdown_and_a_self_contained_report() {
    let dir = scratch("out");
    let o = pai(&[
        "audit",
        "--filter",
        "TOOL-4",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json = std::fs::read_to_string(dir.join("audit.json")).unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
    assert!(dir.join("audit.md").exists());
    // report.html: self-contained (nothing to fetch, no scripts), the claim coloured by its
    // outcome, and the figures embedded with their claim ids.
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
    assert!(
        html.contains("<tr class=\"pass\"><td>TOOL-4</td>"),
        "claim row"
    );
    for external in [
        "http://",
        "https://",
        "<script",
        "<link",
        "src=\"file:",
        "url(",
    ] {
        assert!(!html.contains(external), "report.html refers to {external}");
    }
    // TOOL-4 is exact, `≤ 0`: the relation reads as in the CLI table, not as Rust's `AtMost 0`.
    assert!(
        html.contains("<td>reconstructed</td><td>exact</td><td class=\"num\">0</td><td class=\"num\">≤ 0</td><td class=\"num\">—</td>"),
        "claim cells"
    );
    for debug in ["AtMost", "AtLeast", "Exact", "Reconstructed"] {
        assert!(!html.contains(debug), "report.html shows {debug}");
    }
    assert_eq!(
        html.matches("src=\"data:image/png;base64,").count(),
        8,
        "figures"
    );
    for heading in [
        "Figure 1 · CONV-3",
        "Figure 2 · NTK-10, NTK-11",
        "TAX-1, TAX-2 · snip",
        "TAX-8 · snip",
        "UAT-2, UAT-4",
    ] {
        assert!(html.contains(heading), "no figure {heading}");
    }
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names.iter().all(|n| !n.ends_with(".tmp")),
        "temporary file left: {names:?}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn audit_out_into_a_file_is_rejected_and_writes_nothing() {
    let dir = scratch("blocked");
    std::fs::create_dir_all(&dir).unwrap();
    let blocker = dir.join("not-a-folder");
    std::fs::write(&blocker, b"x").unwrap();
    assert_rejected(
        &[
            "audit",
            "--filter",
            "TOOL-4",
            "--out",
            blocker.to_str().unwrap(),
        ],
        "not-a-folder",
    );
    assert_eq!(std::fs::read(&blocker).unwrap(), b"x");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn random_seed_is_printed() {
    let o = pai(&["audit", "--filter", "TOOL-4", "--seed", "random"]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("drew master seed 0x"), "{}", stderr(&o));
}

#[test]
fn explicit_seed_is_reported_in_json() {
    let o = pai(&[
        "audit", "--filter", "TOOL-4", "--seed", "0xabc", "--format", "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["seed"], "0x0000000000000abc");
}

/// A small SNIP run on digits (width 64, ρ = 0.25) with `extra` flags: a flag that is among the
/// defaults (--method, --data, --width, --density) replaces that default.
fn prune_args(extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = vec!["prune".into()];
    for (flag, value) in [
        ("--method", "snip"),
        ("--data", "digits"),
        ("--width", "64"),
        ("--density", "0.25"),
    ] {
        if !extra.contains(&flag) {
            a.extend([flag.to_string(), value.to_string()]);
        }
    }
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

fn pai_owned(args: &[String]) -> Output {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    pai(&refs)
}

#[test]
fn prune_prints_the_mask_statistics_table() {
    let o = pai_owned(&prune_args(&[]));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    for needle in [
        "kept        1024 of 4096",
        "zero cols",
        "constant in the data",
        "t(C4) − ρ⁴",
        "exact rational",
        "1 − 0.001",
        "FSM fit",
        "π²/8",
        "KS",
        "variance ratio",
    ] {
        assert!(out.contains(needle), "table lacks {needle:?}:\n{out}");
    }
}

#[test]
fn prune_json_has_the_documented_fields() {
    let o = pai_owned(&prune_args(&["--format", "json", "--batch", "500"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // kept = round(ρ n d) = 0.25 · 64 · 64.
    assert_eq!(v["kept"], 1024);
    assert_eq!(v["density"], 0.25);
    assert_eq!(v["batch"], 500);
    assert_eq!(
        (v["width"].as_u64(), v["input_dim"].as_u64()),
        (Some(64), Some(64))
    );
    for side in ["row_degrees", "col_degrees"] {
        for field in ["min", "max", "mean", "variance", "zeros"] {
            assert!(v[side].get(field).is_some(), "missing {side}.{field}");
        }
        assert_eq!(v[side]["mean"], 0.25);
    }
    // Digits has constant (always blank) pixels; SNIP's gradient vanishes on them.
    let constant = v["constant_columns"].as_u64().unwrap();
    assert!(constant > 0);
    assert_eq!(v["zero_columns_constant"].as_u64(), Some(constant));
    let h = v["heterogeneity"].as_f64().unwrap();
    assert!(h > 0.0 && v["heterogeneity_exact"].as_str().unwrap().contains('/'));
    assert_eq!(v["heterogeneity_lcb"]["delta"], 1e-3);
    assert!(v["heterogeneity_lcb"]["lcb"].as_f64().unwrap() <= h);
    assert!(v["fsm_anova"]["gaussian_ratio"].as_f64().is_some());
    for field in [
        "ks_statistic",
        "ks_threshold",
        "variance_ratio",
        "ratio_low",
        "ratio_high",
        "accepted",
    ] {
        assert!(v["fsm_contrasts"].get(field).is_some(), "missing {field}");
    }
    assert_eq!(v["unavailable"].as_array().map(Vec::len), Some(0));
}

#[test]
fn prune_variants_run() {
    for extra in [
        &["--snip-residual", "centred"][..],
        &["--method", "synflow", "--rounds", "5"],
        &["--method", "random"],
        &[
            "--method",
            "grasp-magnitude",
            "--data",
            "synthetic:samples=50",
        ],
    ] {
        let mut flags = vec!["--format", "json"];
        flags.extend_from_slice(extra);
        let o = pai_owned(&prune_args(&flags));
        assert!(o.status.success(), "{extra:?}: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let cells = v["width"].as_u64().unwrap() * v["input_dim"].as_u64().unwrap();
        assert_eq!(v["kept"].as_u64(), Some(cells / 4), "{extra:?}");
    }
}

#[test]
fn prune_out_writes_figures_and_stats() {
    let dir = scratch("prune-out");
    let o = pai_owned(&prune_args(&["--out", dir.to_str().unwrap()]));
    assert!(o.status.success(), "{}", stderr(&o));
    for name in [
        "mask.png",
        "mask.svg",
        "inputs.png",
        "inputs.svg",
        "stats.json",
    ] {
        assert!(dir.join(name).exists(), "{name} missing");
    }
    assert!(std::fs::read(dir.join("mask.png"))
        .unwrap()
        .starts_with(b"\x89PNG"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("stats.json")).unwrap()).unwrap();
    assert_eq!(json["kept"], 1024);
    let svg = std::fs::read_to_string(dir.join("inputs.svg")).unwrap();
    assert!(svg.contains("pixels cut off"), "inputs title");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        5,
        "only the five files"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn prune_bad_input_exits_2_and_writes_nothing() {
    let dir = scratch("prune-bad");
    let out = dir.to_str().unwrap().to_string();
    let cases: [(&[&str], &str); 12] = [
        (&["--method", "obd"], "obd"),
        (&["--data", "cifar"], "cifar"),
        (&["--batch", "0"], "batch"),
        (&["--batch", "1798"], "1798"),
        (&["--density", "0"], "0"),
        (&["--density", "1"], "1"),
        (&["--density", "-0.5"], "-0.5"),
        (&["--density", "nan"], "NaN"),
        (&["--width", "0"], "0"),
        (&["--rounds", "0"], "rounds"),
        (
            &["--method", "magnitude", "--snip-residual", "centred"],
            "snip",
        ),
        (
            &["--method", "snip-centred", "--snip-residual", "plain"],
            "plain",
        ),
    ];
    for (extra, needle) in cases {
        let mut flags = vec!["--out", out.as_str()];
        flags.extend_from_slice(extra);
        let args = prune_args(&flags);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_rejected(&refs, needle);
        assert!(!dir.exists(), "{extra:?} created the output folder");
    }
    assert_rejected(
        &["prune", "--method", "snip", "--data", "digits"],
        "--width",
    );
}

fn ntk_args(extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = vec!["ntk".into()];
    for (flag, value) in [
        ("--data", "digits"),
        ("--samples", "120"),
        ("--density", "0.3"),
    ] {
        if !extra.contains(&flag) {
            a.extend([flag.to_string(), value.to_string()]);
        }
    }
    if !extra.contains(&"--graphon") && !extra.contains(&"--method") {
        a.extend(["--graphon".to_string(), "snip".to_string()]);
    }
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

#[test]
fn ntk_prints_the_kernel_summary() {
    let o = pai_owned(&ntk_args(&[]));
    // The bound is ≥ 1 at N = 120: vacuous, exit 3 (a vacuous result is not a success).
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    for needle in [
        "λ_min",
        "certified ≥ 0.",
        "λ_max",
        "yᵀK⁻¹y",
        "bound (δ = 0.001)",
        "(vacuous: ≥ 1, and the ramp loss it bounds lies in [0, 1])",
        "path density",
    ] {
        assert!(out.contains(needle), "table lacks {needle:?}:\n{out}");
    }
}

#[test]
fn ntk_json_and_out_files() {
    let dir = scratch("ntk-out");
    let out = dir.to_str().unwrap().to_string();
    let o = pai_owned(&ntk_args(&[
        "--format", "json", "--out", &out, "--layers", "both",
    ]));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["bound_total"].as_f64().unwrap() >= 1.0);
    assert_eq!(v["status"], "vacuous");
    assert_eq!(
        (v["samples"].as_u64(), v["dims"].as_u64()),
        (Some(120), Some(64))
    );
    let lower = v["lambda_min_lower"].as_f64().unwrap();
    assert!(lower > 0.0 && lower <= v["lambda_min_upper"].as_f64().unwrap());
    assert!((v["path_density_mean"].as_f64().unwrap() - 0.3).abs() < 1e-9);
    assert_eq!(v["path_density"].as_array().unwrap().len(), 64);
    for f in [
        "complexity",
        "scale",
        "scale_corrected",
        "bound_total",
        "quadrature_bound",
        "kernel_error",
    ] {
        assert!(v.get(f).is_some(), "missing {f}");
    }
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("ntk.json")).unwrap()).unwrap();
    assert_eq!(written, v);
    let csv = std::fs::read_to_string(dir.join("path_density.csv")).unwrap();
    assert_eq!(csv.lines().count(), 65);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ntk_method_mask_runs() {
    let o = pai_owned(&ntk_args(&[
        "--method",
        "random",
        "--width",
        "32",
        "--samples",
        "40",
    ]));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o)); // a bound ≥ 1 at N = 40
    assert!(String::from_utf8(o.stdout)
        .unwrap()
        .contains("mask of random (n = 32)"));
}

#[test]
fn ntk_bad_input_exits_2_and_writes_nothing() {
    let dir = scratch("ntk-bad");
    let out = dir.to_str().unwrap().to_string();
    let cases: [(&[&str], &str); 8] = [
        (&["--graphon", "fancy"], "fancy"),
        (&["--graphon", "snip:-1"], "power"),
        (&["--graphon", "fsm:exp:3"], "ROW;COL"),
        (&["--density", "0"], "density"),
        (&["--density", "nan"], "NaN"),
        (&["--samples", "0"], "samples"),
        (&["--data", "cifar"], "cifar"),
        (&["--delta", "2"], "delta"),
    ];
    for (extra, needle) in cases {
        let mut flags = vec!["--out", out.as_str()];
        flags.extend_from_slice(extra);
        let args = ntk_args(&flags);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_rejected(&refs, needle);
        assert!(!dir.exists(), "{extra:?} created the output folder");
    }
}

// `pai-graphon figure2`: the files it writes, its table, exit code 2 with a one-line message
// and no output folder on bad input.

/// A quick run: the digits pair (0, 1) with 40 rows each, two densities, three noise levels.
const QUICK: [&str; 11] = [
    "figure2",
    "--data",
    "digits",
    "--pair",
    "0,1",
    "--samples",
    "40",
    "--densities",
    "0.1,0.8",
    "--noise-levels",
    "0,0.5,1",
];

#[test]
fn figure2_out_writes_figure_csv_and_json() {
    let dir = scratch("figure2-out");
    let mut args = QUICK.to_vec();
    args.extend(["--seeds", "3", "--out", dir.to_str().unwrap()]);
    let o = pai(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("digits/pair=0-1"), "{table}");
    assert!(table.contains("clean labels"), "{table}");
    for name in ["figure2.png", "figure2.svg", "figure2.csv", "figure2.json"] {
        assert!(dir.join(name).exists(), "{name} missing");
    }
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        4,
        "only the four files"
    );
    assert!(std::fs::read(dir.join("figure2.png"))
        .unwrap()
        .starts_with(b"\x89PNG"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("figure2.json")).unwrap()).unwrap();
    assert_eq!(json["task"]["pair"], serde_json::json!([0, 1]));
    assert_eq!(json["config"]["profile"], "clean");
    assert_eq!(json["samples"], 80);
    assert_eq!(json["curves"].as_array().unwrap().len(), 4);
    assert_eq!(
        json["curves"][1]["points"][2]["raw"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let csv = std::fs::read_to_string(dir.join("figure2.csv")).unwrap();
    assert_eq!(
        csv.lines().count(),
        1 + 4 * 3,
        "header + one row per curve point"
    );
    let svg = std::fs::read_to_string(dir.join("figure2.svg")).unwrap();
    assert!(svg.contains("SNIP-type") && svg.contains("homogeneous"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn figure2_runs_the_synthetic_task_and_the_noisy_profile() {
    let o = pai(&[
        "figure2",
        "--data",
        "synthetic",
        "--samples",
        "60",
        "--densities",
        "0.2",
        "--noise-levels",
        "0,1",
        "--seeds",
        "2",
        "--profile-labels",
        "noisy",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("synthetic") && table.contains("noisy labels"),
        "{table}"
    );
}

#[test]
fn figure2_bad_input_exits_2_and_writes_nothing() {
    let dir = scratch("figure2-bad");
    let out = dir.to_str().unwrap().to_string();
    let cases: [(&[&str], &str); 10] = [
        (&["--densities", "0"], "0"),
        (&["--densities", "1"], "1"),
        (&["--densities", "nan"], "NaN"),
        (&["--noise-levels", "1.5"], "1.5"),
        (&["--noise-levels", "-0.1"], "-0.1"),
        (&["--seeds", "0"], "seed"),
        (&["--pair", "3,3"], "3"),
        (&["--pair", "3"], "--pair"),
        (&["--samples", "0"], "--samples"),
        (&["--data", "cifar"], "cifar"),
    ];
    for (extra, needle) in cases {
        let mut args = vec!["figure2", "--samples", "20", "--out", &out];
        args.extend_from_slice(extra);
        assert_rejected(&args, needle);
        assert!(!dir.exists(), "{extra:?} created the output folder");
    }
}

// `pai-graphon uat`: the table, the files it writes, one-line errors and no output on bad input.

#[test]
fn uat_out_writes_plot_csv_and_json() {
    let dir = scratch("uat-out");
    let o = pai(&[
        "uat",
        "--d",
        "16,64",
        "--k",
        "2",
        "--widths",
        "8,32,16",
        "--samples",
        "500",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("d = 64, smooth"), "{table}");
    assert!(table.contains("exact floor 0.08889"), "{table}");
    for name in ["uat.png", "uat.svg", "uat.csv", "uat.json"] {
        assert!(dir.join(name).exists(), "{name} missing");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("uat.json")).unwrap()).unwrap();
    // Two targets per dimension; widths sorted.
    assert_eq!(json["curves"].as_array().unwrap().len(), 4);
    assert_eq!(json["curves"][0]["widths"], serde_json::json!([8, 16, 32]));
    let csv = std::fs::read_to_string(dir.join("uat.csv")).unwrap();
    assert_eq!(
        csv.lines().count(),
        1 + 4 * 3,
        "header + one row per curve point"
    );
}

#[test]
fn uat_bad_input_is_rejected_without_output() {
    let dir = scratch("uat-bad");
    let out = dir.to_str().unwrap();
    assert_rejected(&["uat", "--d", "30", "--out", out], "multiple of 8");
    assert_rejected(&["uat", "--k", "0", "--out", out], "active coordinates k");
    assert_rejected(&["uat", "--k", "7", "--out", out], "active coordinates k");
    assert_rejected(&["uat", "--widths", "0,4", "--out", out], "--widths");
    assert_rejected(&["uat", "--samples", "1", "--out", out], "training points");
    assert_rejected(&["uat", "--p", "1.5", "--out", out], "edge probability p");
    assert_rejected(&["uat", "--p", "nan", "--out", out], "edge probability p");
    assert!(!dir.exists(), "a rejected run created {out}");
}

/// The audit's JSON is bit-identical with 1 and with 2 threads (claims whose work is split over
/// rayon: the UAT fits' Gram chunks and feature columns, the CONV mask sampler's blocks).
#[test]
fn audit_json_is_identical_on_one_and_two_threads() {
    let run = |threads: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_pai-graphon"))
            .args(["audit", "--filter", "UAT-5", "--format", "json"])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .expect("the binary runs");
        assert!(o.status.success(), "{}", stderr(&o));
        o.stdout
    };
    let (one, two) = (run("1"), run("2"));
    assert!(!one.is_empty());
    assert_eq!(one, two, "audit JSON differs between 1 and 2 threads");
    let conv = |threads: &str| {
        Command::new(env!("CARGO_BIN_EXE_pai-graphon"))
            .args([
                "audit", "--filter", "CONV-1", "--scale", "0.25", "--format", "json",
            ])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .expect("the binary runs")
            .stdout
    };
    assert_eq!(
        conv("1"),
        conv("2"),
        "CONV-1 JSON differs between 1 and 2 threads"
    );
}

/// The bytes of an `.npy` file's header dictionary (for checking the written dtype and shape).
fn npy_header(bytes: &[u8]) -> String {
    assert_eq!(&bytes[..6], b"\x93NUMPY", "not .npy");
    let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    String::from_utf8_lossy(&bytes[10..10 + len]).into_owned()
}

#[test]
fn prune_saves_npy_and_loaded_weights_reproduce_the_scores_bit_for_bit() {
    let dir = scratch("npy-roundtrip");
    std::fs::create_dir_all(&dir).unwrap();
    let p = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let first = pai_owned(&prune_args(&[
        "--save-mask",
        &p("m.npy"),
        "--save-scores",
        &p("s.npy"),
        "--save-weights",
        &p("w.npy"),
        "--save-readout",
        &p("a.npy"),
    ]));
    assert!(first.status.success(), "{}", stderr(&first));
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    assert!(npy_header(&read("m.npy")).contains("'descr': '|u1'"));
    assert!(npy_header(&read("m.npy")).contains("'shape': (64, 64, )"));
    assert!(npy_header(&read("s.npy")).contains("'descr': '<f8'"));
    assert!(npy_header(&read("w.npy")).contains("'shape': (64, 64, )"));
    assert!(npy_header(&read("a.npy")).contains("'shape': (64, )"));
    // Another master seed draws other weights; the loaded ones must give the same scores, mask
    // and table, bit for bit.
    let second = pai_owned(&prune_args(&[
        "--seed",
        "0x1",
        "--weights",
        &p("w.npy"),
        "--readout",
        &p("a.npy"),
        "--save-mask",
        &p("m2.npy"),
        "--save-scores",
        &p("s2.npy"),
        "--scores-dtype",
        "float32",
        "--save-weights",
        &p("w2.npy"),
    ]));
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(read("m.npy"), read("m2.npy"));
    assert_eq!(read("w.npy"), read("w2.npy"));
    let s64 = pai_graphon::npy::read_f64(&dir.join("s.npy")).unwrap();
    let s32 = pai_graphon::npy::read_f64(&dir.join("s2.npy")).unwrap();
    assert!(npy_header(&read("s2.npy")).contains("'descr': '<f4'"));
    assert!(s64
        .data
        .iter()
        .zip(&s32.data)
        .all(|(a, b)| (*a as f32) as f64 == *b));
    let drawn = pai_owned(&prune_args(&[
        "--seed",
        "0x1",
        "--save-scores",
        &p("s3.npy"),
    ]));
    assert!(drawn.status.success());
    assert_ne!(
        read("s.npy"),
        read("s3.npy"),
        "the seed must matter when nothing is loaded"
    );
    let third = pai_owned(&prune_args(&[
        "--weights",
        &p("w.npy"),
        "--readout",
        &p("a.npy"),
        "--save-scores",
        &p("s4.npy"),
    ]));
    assert!(third.status.success());
    assert_eq!(read("s.npy"), read("s4.npy"));
    assert_eq!(first.stdout, third.stdout);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Masks of `method` on digits at width 1024 (ρ = 0.2) for master seed `seed`, saved to `path`.
fn saved_mask(method: &str, seed: &str, path: &std::path::Path, scores: Option<&std::path::Path>) {
    let mut extra = vec![
        "--method".to_string(),
        method.into(),
        "--width".into(),
        "1024".into(),
        "--density".into(),
        "0.2".into(),
        "--seed".into(),
        seed.into(),
        "--save-mask".into(),
        path.to_str().unwrap().into(),
    ];
    if let Some(s) = scores {
        extra.extend(["--save-scores".to_string(), s.to_str().unwrap().into()]);
    }
    let refs: Vec<&str> = extra.iter().map(String::as_str).collect();
    let o = pai_owned(&prune_args(&refs));
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A stack of three `method` masks (master seeds 0x1, 0x2, 0x3) saved as one 3 × 1024 × 64 file
/// in `dir` (created).
fn saved_stack(method: &str, dir: &std::path::Path) -> PathBuf {
    use pai_graphon::npy::{decode_f64_or_mask, encode_u8, Decoded};
    std::fs::create_dir_all(dir).unwrap();
    let mut stack = Vec::new();
    for seed in ["0x1", "0x2", "0x3"] {
        let path = dir.join(format!("{method}-{seed}.npy"));
        saved_mask(method, seed, &path, None);
        match decode_f64_or_mask(&std::fs::read(&path).unwrap(), "m").unwrap() {
            Decoded::Mask(a) => stack.extend(a.data),
            Decoded::Float(_) => panic!("a mask was saved as floats"),
        }
    }
    let stacked = dir.join("stack.npy");
    std::fs::write(&stacked, encode_u8(&[3, 1024, 64], &stack).unwrap()).unwrap();
    stacked
}

#[test]
fn check_passes_magnitude_stacks_and_rejects_snip_against_the_constant_graphon() {
    let dir = scratch("check");
    let stacked = saved_stack("magnitude", &dir);
    let ok = pai(&[
        "check",
        "--masks",
        stacked.to_str().unwrap(),
        "--against",
        "constant",
    ]);
    let table = String::from_utf8_lossy(&ok.stdout).into_owned();
    assert_eq!(ok.status.code(), Some(0), "{table}{}", stderr(&ok));
    assert!(
        // The pooled stack (mask "all"): 6 statistics (not the density: ρ is the first mask's,
        // so it is not tested), their Monte Carlo p-value, 2 pair bounds.
        table.contains("3 masks of 1024 × 64")
            && !table.contains("  all  density")
            && table.contains("9 of 9 checks passed\n"),
        "{table}"
    );
    // The negative control: SNIP's masks keep heterogeneous limits (TAX-2) and cut off the
    // constant pixels (TAX-8), so they must fail against W ≡ ρ.
    let snip = dir.join("snip.npy");
    saved_mask("snip", "0x1", &snip, None);
    let bad = pai(&[
        "check",
        "--masks",
        snip.to_str().unwrap(),
        "--against",
        "constant",
        "--format",
        "json",
    ]);
    assert_eq!(bad.status.code(), Some(1), "{}", stderr(&bad));
    let json: serde_json::Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert_eq!(
        (&json["passed"], &json["status"]),
        (&false.into(), &"fail".into())
    );
    let failed: Vec<&str> = json["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["passed"] == false)
        .map(|v| v["check"].as_str().unwrap())
        .collect();
    assert!(failed.contains(&"Monte Carlo p-value"), "{failed:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn check_against_a_method_estimates_the_limit_by_pruning_reference_networks() {
    let dir = scratch("check-method");
    let stacked = saved_stack("snip-centred", &dir);
    let check = |masks: &std::path::Path, method: &str| {
        let against = format!("method:{method}");
        let args = [
            "check",
            "--masks",
            masks.to_str().unwrap(),
            "--against",
            &against,
        ];
        pai(&[&args[..], &["--data", "digits", "--format", "json"]].concat())
    };
    let ok = check(&stacked, "snip-centred");
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let json: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    // The default (limit) null: three pooled checks of the stack against three references.
    assert_eq!(json["verdicts"].as_array().unwrap().len(), 3);
    assert_eq!(json["against"], "method:snip-centred on digits");
    // Negative controls: the wrong method's limit, both ways round, must be rejected.
    let magnitude = dir.join("magnitude.npy");
    saved_mask("magnitude", "0x1", &magnitude, None);
    for (masks, method) in [(&stacked, "magnitude"), (&magnitude, "snip-centred")] {
        let bad = check(masks, method);
        assert_eq!(bad.status.code(), Some(1), "{method}: {}", stderr(&bad));
        let json: serde_json::Value = serde_json::from_slice(&bad.stdout).unwrap();
        let failed = json["verdicts"].as_array().unwrap().iter();
        let failed: Vec<&str> = failed
            .filter(|v| v["passed"] == false)
            .map(|v| v["check"].as_str().unwrap())
            .collect();
        assert!(
            failed.contains(&"pooled column degrees vs references"),
            "{method}: {failed:?}"
        );
    }
    let m = magnitude.to_str().unwrap();
    let rejected = [
        (
            vec!["--against", "method:snip", "--data", "digits"],
            "TAX-7",
        ),
        (
            vec!["--against", "method:grasp", "--data", "digits"],
            "TAX-7",
        ),
        (vec!["--against", "method:magnitude"], "needs --data"),
        (
            vec!["--against", "method:magnitude", "--data", "mnist"],
            "784 inputs",
        ),
        (vec!["--against", "method:obd", "--data", "digits"], "obd"),
        (
            vec!["--against", "constant", "--data", "digits"],
            "belong to",
        ),
    ];
    for (extra, needle) in rejected {
        assert_rejected(&[&["check", "--masks", m][..], &extra[..]].concat(), needle);
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn check_tests_the_fsm_form_of_scores() {
    let dir = scratch("check-scores");
    std::fs::create_dir_all(&dir).unwrap();
    let (m, s) = (dir.join("m.npy"), dir.join("s.npy"));
    saved_mask("magnitude", "0x1", &m, Some(&s));
    let o = pai(&[
        "check",
        "--masks",
        m.to_str().unwrap(),
        "--scores",
        s.to_str().unwrap(),
        "--against",
        "fsm:const:1;const:1;gaussian:1",
        "--density",
        "0.2",
    ]);
    let table = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(0), "{table}{}", stderr(&o));
    assert!(
        // 7 statistics, the p-value, 2 pair bounds, the scores' law and their FSM form.
        table.contains("FSM form of the scores")
            && table.contains("scores' law")
            && table.contains("12 of 12 checks passed"),
        "{table}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// `.npy` files that are wrong in one way each, for the bad-input matrix.
fn bad_npy_files(dir: &std::path::Path) -> Vec<(PathBuf, &'static str)> {
    use pai_graphon::npy::{encode_f64, encode_u8};
    std::fs::create_dir_all(dir).unwrap();
    let good = encode_u8(&[4, 3], &[1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0]).unwrap();
    let fortran = {
        // A header declaring Fortran order (written by hand: our writer only writes C order).
        let dict = "{'descr': '|u1', 'fortran_order': True, 'shape': (4, 3), }";
        let mut h = format!("{dict}{}", " ".repeat(128 - 10 - dict.len() - 1)).into_bytes();
        h.push(b'\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend((h.len() as u16).to_le_bytes());
        b.extend(h);
        b.extend([0u8; 12]);
        b
    };
    let files: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.npy",
            good[..good.len() - 3].to_vec(),
            "shorter than its header",
        ),
        (
            "long.npy",
            [good.clone(), vec![0; 5]].concat(),
            "5 bytes follow",
        ),
        ("text.npy", b"0,1,1\n1,0,0\n".to_vec(), "not a valid .npy"),
        ("empty.npy", Vec::new(), "not a valid .npy"),
        (
            "floats.npy",
            encode_f64(&[4, 3], &[0.0; 12]).unwrap(),
            "floats",
        ),
        ("vector.npy", encode_u8(&[12], &[0; 12]).unwrap(), "shape"),
        (
            "four-d.npy",
            encode_u8(&[1, 1, 4, 3], &[0; 12]).unwrap(),
            "shape",
        ),
        (
            "zero-rows.npy",
            encode_u8(&[0, 3], &[]).unwrap(),
            "at least 1",
        ),
        (
            "two.npy",
            encode_u8(&[4, 3], &[2; 12]).unwrap(),
            "not 0 or 1",
        ),
        ("fortran.npy", fortran, "Fortran"),
    ];
    files
        .into_iter()
        .map(|(name, bytes, needle)| {
            let p = dir.join(name);
            std::fs::write(&p, bytes).unwrap();
            (p, needle)
        })
        .collect()
}

#[test]
fn bad_files_are_rejected_by_check_and_prune() {
    let dir = scratch("bad-files");
    for (path, needle) in bad_npy_files(&dir) {
        let p = path.to_str().unwrap();
        assert_rejected(&["check", "--masks", p, "--against", "constant"], needle);
    }
    let missing = dir.join("missing.npy");
    let m = missing.to_str().unwrap();
    assert_rejected(
        &["check", "--masks", m, "--against", "constant"],
        "missing.npy",
    );
    let good = dir.join("good.npy");
    std::fs::write(
        &good,
        pai_graphon::npy::encode_u8(&[4, 3], &[1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]).unwrap(),
    )
    .unwrap();
    let g = good.to_str().unwrap();
    let checks: [(&[&str], &str); 7] = [
        (&["--against", "gaussian"], "gaussian"),
        (&["--against", "fsm:exp:3"], "ROW;COL"),
        (&["--against", "fsm:exp:-1;exp:1"], "exp:-1"),
        (&["--against", "constant", "--density", "1.5"], "1.5"),
        (&["--against", "constant", "--delta", "0"], "delta"),
        (
            &["--against", "constant", "--scores", g],
            "float32 or float64 expected",
        ),
        (&["--against", "constant", "--scores", m], "missing.npy"),
    ];
    for (extra, needle) in checks {
        let mut args = vec!["check", "--masks", g];
        args.extend_from_slice(extra);
        assert_rejected(&args, needle);
    }
    // prune: every wrong weight file is rejected before anything is written.
    let out = dir.join("out");
    let saved = dir.join("saved.npy");
    let (o, s) = (out.to_str().unwrap(), saved.to_str().unwrap());
    let w_bad = dir.join("w-bad.npy");
    std::fs::write(
        &w_bad,
        pai_graphon::npy::encode_f64(&[64, 63], &[0.5; 64 * 63]).unwrap(),
    )
    .unwrap();
    let w_nan = dir.join("w-nan.npy");
    std::fs::write(
        &w_nan,
        pai_graphon::npy::encode_f64(&[64, 64], &[f64::NAN; 64 * 64]).unwrap(),
    )
    .unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--weights", m], "missing.npy"),
        (
            vec!["--weights", w_bad.to_str().unwrap()],
            "expected 64 × 64",
        ),
        (
            vec!["--weights", w_nan.to_str().unwrap()],
            "not a finite number",
        ),
        (vec!["--weights", g], "uint8"),
        (
            vec!["--readout", w_bad.to_str().unwrap()],
            "expected 64 or 1 × 64",
        ),
        (vec!["--readout", g], "uint8"),
    ];
    for (extra, needle) in cases {
        let mut flags = vec!["--out", o, "--save-mask", s];
        flags.extend(extra);
        let args = prune_args(&flags);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_rejected(&refs, needle);
        assert!(!out.exists() && !saved.exists(), "{refs:?} wrote output");
    }
    let nowhere = dir.join("no-such-folder").join("m.npy");
    let args = prune_args(&["--save-mask", nowhere.to_str().unwrap()]);
    let o2 = pai_owned(&args);
    assert_eq!(o2.status.code(), Some(2));
    assert!(stderr(&o2).contains("cannot write") && !stderr(&o2).contains("panicked"));
    std::fs::remove_dir_all(dir).unwrap();
}

/// A stack of `masks` n × n masks of the Figure-1 FSM with both profile exponents `exponent` at
/// density `rho`, drawn as `how` (streams `cli/LABEL/s`), rows and columns permuted by
/// `i ↦ 7i + 3 mod n` when `permute`, saved as an (S, n, n) `.npy`.
fn figure1_stack(
    dir: &std::path::Path,
    label: &str,
    (exponent, rho): (f64, f64),
    how: pai_graphon::external::simulate::Draw,
    permute: bool,
) -> PathBuf {
    use pai_graphon::convergence::limit::Fsm;
    use pai_graphon::external::simulate::Model;
    use pai_graphon::seed::MasterSeed;
    let (n, masks) = (128, 4);
    let profile = format!("exp:{exponent}");
    let fsm = Fsm::parse(&profile, &profile, "gaussian:1").unwrap();
    let model = Model::from_fsm(&fsm, n, n, rho).unwrap();
    let stack = model
        .draw_stack(how, masks, MasterSeed::default(), &format!("cli/{label}"))
        .unwrap();
    let at = |i: usize| if permute { (7 * i + 3) % n } else { i };
    let data: Vec<u8> = stack
        .iter()
        .flat_map(|m| (0..n * n).map(move |k| u8::from(m.get(at(k / n), at(k % n)).unwrap())))
        .collect();
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(format!("{label}.npy"));
    std::fs::write(
        &path,
        pai_graphon::npy::encode_u8(&[masks, n, n], &data).unwrap(),
    )
    .unwrap();
    path
}

/// `check` of a stack against the Figure-1 limit at ρ = 0.2: its exit code and table.
fn check_figure1(stack: &std::path::Path, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec![
        "check",
        "--masks",
        stack.to_str().unwrap(),
        "--against",
        "fsm:exp:3;exp:3;gaussian:1",
        "--density",
        "0.2",
    ];
    args.extend_from_slice(extra);
    let o = pai(&args);
    let table = String::from_utf8_lossy(&o.stdout).into_owned();
    (o.status.code(), format!("{args:?}\n{table}{}", stderr(&o)))
}

#[test]
fn check_passes_correct_figure1_stacks_and_fails_the_issues_wrong_ones() {
    use pai_graphon::external::simulate::Draw;
    let dir = scratch("check-figure1");
    let stack = |label, model, how| figure1_stack(&dir, label, model, how, false);
    let topk = stack("topk", (3.0, 0.2), Draw::TopK);
    let frozen = stack("frozen", (3.0, 0.2), Draw::Frozen);
    // Both kinds pass the limit null; only top-k masks have the sampler's exact kept count.
    for (s, null, code) in [
        (&topk, "limit", 0),
        (&frozen, "limit", 0),
        (&topk, "sampler", 0),
        (&frozen, "sampler", 1),
    ] {
        let (got, table) = check_figure1(s, &["--null", null]);
        assert_eq!(got, Some(code), "{table}");
        assert!(table.contains("  all  "), "pooled rows: {table}");
    }
    // The issue's examples: masks made at ρ = 0.25, and masks made with profiles exp:2.
    for wrong in [
        stack("density-25", (3.0, 0.25), Draw::TopK),
        stack("exp2", (2.0, 0.2), Draw::TopK),
    ] {
        let (got, table) = check_figure1(&wrong, &[]);
        assert_eq!(got, Some(1), "{table}");
    }
    // Relabelled rows and columns: the ordered check compares positions and fails them.
    let permuted = figure1_stack(&dir, "permuted", (3.0, 0.2), Draw::TopK, true);
    let (got, table) = check_figure1(&permuted, &[]);
    assert_eq!(got, Some(1), "{table}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn check_unordered_passes_a_relabelled_correct_stack() {
    let dir = scratch("check-unordered");
    let permuted = figure1_stack(
        &dir,
        "permuted",
        (3.0, 0.2),
        pai_graphon::external::simulate::Draw::TopK,
        true,
    );
    let (got, table) = check_figure1(&permuted, &["--unordered"]);
    assert_eq!(got, Some(0), "{table}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn check_rejects_bad_options_of_the_sharp_check() {
    let dir = scratch("check-sharp-bad");
    let good = figure1_stack(
        &dir,
        "good",
        (3.0, 0.2),
        pai_graphon::external::simulate::Draw::TopK,
        false,
    );
    let g = good.to_str().unwrap();
    let empty = dir.join("empty.npy");
    std::fs::write(
        &empty,
        pai_graphon::npy::encode_u8(&[0, 4, 4], &[]).unwrap(),
    )
    .unwrap();
    let fsm = "fsm:exp:3;exp:3;gaussian:1";
    for (extra, needle) in [
        (&["--null", "frozen"][..], "unknown null"),
        (&["--replicates", "0"][..], "at least 1"),
        (&["--replicates", "100001"][..], "at most 100000"),
        (&["--delta", "0"][..], "(0, 1)"),
        (&["--delta", "1"][..], "(0, 1)"),
        (&["--delta", "-0.5"][..], "(0, 1)"),
    ] {
        let args = [&["check", "--masks", g, "--against", fsm][..], extra].concat();
        assert_rejected(&args, needle);
    }
    assert_rejected(
        &[
            "check",
            "--masks",
            empty.to_str().unwrap(),
            "--against",
            fsm,
        ],
        "",
    );
    assert_rejected(
        &[
            "check",
            "--masks",
            g,
            "--against",
            "method:magnitude",
            "--data",
            "synthetic",
            "--unordered",
        ],
        "--unordered",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn check_accepts_the_sampler_null_for_every_kind_of_limit() {
    let dir = scratch("check-sampler-every");
    let m = dir.join("m.npy");
    std::fs::create_dir_all(&dir).unwrap();
    saved_mask("magnitude", "0x1", &m, None);
    let m = m.to_str().unwrap();
    for against in [
        &["--against", "constant"][..],
        &[
            "--against",
            "fsm:const:1;const:1;gaussian:1",
            "--density",
            "0.2",
        ][..],
        &[
            "--against",
            "method:magnitude",
            "--data",
            "digits",
            "--replicates",
            "20",
        ][..],
    ] {
        let args = [&["check", "--masks", m, "--null", "sampler"][..], against].concat();
        let o = pai(&args);
        // Accepted: a verdict (pass, fail or vacuous), never a bad-input refusal.
        assert!(
            matches!(o.status.code(), Some(0 | 1 | 3)),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// `masks` writes the FSM sampler's masks, bit for bit `sample_mask_for` on the stream `masks`
/// of each seed, under both kept-count rules: round keeps round(ρN); synaptic-flow keeps
/// N − int((1 − ρ)N) (one more here: (1 − 0.9)·960 = 95.99…), and on a step profile with zero
/// rows it prunes every score tied at 0. Bad input exits 2 and writes nothing.
#[test]
fn masks_writes_the_fsm_samplers_stack_under_both_rules() {
    use pai_graphon::convergence::limit::Fsm;
    use pai_graphon::convergence::sampler::{sample_mask_for, MaskSpec, MASKS_LABEL};
    use pai_graphon::mask::KeptCount;
    use pai_graphon::npy::read_masks;
    use pai_graphon::params::Density;
    use pai_graphon::seed::MasterSeed;
    let dir = scratch("masks");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("m.npy");
    let p = path.to_str().unwrap();
    for (row, rule, kept) in [
        ("exp:3", "round", [864, 864]),
        ("exp:3", "synaptic-flow", [865, 865]),
        ("step:0.5;0,1", "round", [864, 864]),
        ("step:0.5;0,1", "synaptic-flow", [480, 480]),
    ] {
        let o = pai(&[
            "masks",
            "--row-profile",
            row,
            "--col-profile",
            "exp:3",
            "--width",
            "40",
            "--inputs",
            "24",
            "--density",
            "0.9",
            "--seeds",
            "0x3,0x2a",
            "--kept-count",
            rule,
            "--save-masks",
            p,
        ]);
        assert!(o.status.success(), "{row} {rule}: {}", stderr(&o));
        let saved = read_masks(&path).unwrap();
        let fsm = Fsm::parse(row, "exp:3", "gaussian:1").unwrap();
        let spec = MaskSpec::new(40, 24, Density::constant(0.9), &fsm.row, &fsm.col)
            .and_then(|s| s.with_kept_count(KeptCount::parse(rule).unwrap()))
            .unwrap();
        for (m, (seed, k)) in saved.iter().zip([(0x3, kept[0]), (0x2a, kept[1])]) {
            let drawn =
                sample_mask_for(&spec, &fsm.noise, MasterSeed::new(seed), MASKS_LABEL, None);
            let drawn = drawn.unwrap();
            assert_eq!(m.entries(), drawn.entries(), "{row} {rule} seed {seed}");
            assert_eq!(m.kept(), k, "{row} {rule} seed {seed}");
        }
        assert_eq!(saved.len(), 2);
    }
    std::fs::remove_file(&path).unwrap();
    for (args, needle) in [
        (vec!["--kept-count", "floor"], "floor"),
        (vec!["--density", "1.5"], "density"),
        (vec!["--row-profile", "exp:-1"], "exp"),
    ] {
        let mut all = vec![
            "masks",
            "--row-profile",
            "exp:3",
            "--col-profile",
            "exp:3",
            "--width",
            "8",
            "--inputs",
            "8",
            "--density",
            "0.2",
            "--seeds",
            "1",
            "--kept-count",
            "round",
            "--save-masks",
            p,
        ];
        for pair in args.chunks(2) {
            let at = all.iter().position(|a| *a == pair[0]).unwrap();
            all[at + 1] = pair[1];
        }
        assert_rejected(&all, needle);
        assert!(!path.exists(), "{args:?}: wrote {p}");
    }
    let all_tied = [
        "masks",
        "--row-profile",
        "step:0.999;0,1",
        "--col-profile",
        "const:1",
        "--width",
        "4",
        "--inputs",
        "8",
        "--density",
        "0.5",
        "--seeds",
        "1",
        "--kept-count",
        "synaptic-flow",
        "--save-masks",
        p,
    ];
    assert_rejected(&all_tied, "ties with the threshold");
    assert!(!path.exists());
    let _ = std::fs::remove_dir_all(&dir);
}
