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

#[test]
fn audit_out_writes_json_and_markdown() {
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
