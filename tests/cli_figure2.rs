//! `pai-graphon figure2` driven as a user would: the files it writes, its table, exit code 2
//! with a one-line message and no output folder on bad input.

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
