//! Probes: vacuous (issue #17). A check whose threshold lies at or beyond the range of its
//! statistic cannot fail; `check`, `audit` and `ntk` must report it as `vacuous` (table, JSON,
//! exit 3 when nothing failed), never as a pass. Tiny masks and extreme `--delta` values are
//! the inputs that produced such checks; ordinary masks are the control and must still pass.

use super::probe::*;
use pai_graphon::convergence::limit::Fsm;
use pai_graphon::convergence::sampler::{sample_mask_for, MaskSpec};
use pai_graphon::npy::encode_u8;
use pai_graphon::params::Density;
use pai_graphon::seed::MasterSeed;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The limits the masks are checked against: the constant graphon and a heterogeneous FSM.
const LIMITS: [&str; 2] = ["constant", "fsm:exp:3;exp:3"];

/// An n × d mask whose entries alternate in a fixed pattern (about half kept), saved as `.npy`.
fn pattern_mask(dir: &Path, n: usize, d: usize) -> PathBuf {
    let data: Vec<u8> = (0..n * d).map(|k| ((k * 7 + k / 3) % 2) as u8).collect();
    let path = dir.join(format!("pattern-{n}x{d}.npy"));
    std::fs::write(&path, encode_u8(&[n, d], &data).unwrap()).unwrap();
    path
}

/// An n × d mask drawn by the crate's own sampler from the constant model at density 0.5.
fn sampled_mask(dir: &Path, n: usize, d: usize) -> PathBuf {
    let fsm = Fsm::parse("const:1", "const:1", "gaussian:1").unwrap();
    let spec = MaskSpec::new(n, d, Density::constant(0.5), &fsm.row, &fsm.col).unwrap();
    let label = format!("hostile/vacuous/{n}x{d}");
    let mask = sample_mask_for(&spec, &fsm.noise, MasterSeed::default(), &label, None).unwrap();
    let data: Vec<u8> = (0..n)
        .flat_map(|i| (0..d).map(move |j| (i, j)))
        .map(|(i, j)| u8::from(mask.get(i, j).unwrap()))
        .collect();
    let path = dir.join(format!("sampled-{n}x{d}.npy"));
    std::fs::write(&path, encode_u8(&[n, d], &data).unwrap()).unwrap();
    path
}

/// `check --masks MASK --against LIMIT EXTRA… --format json`, asserted crash-free; the exit
/// code, the JSON report and the table of the same run.
fn check(mask: &Path, limit: &str, extra: &[&str]) -> (Option<i32>, Value, String) {
    let mut args = vec![
        "check",
        "--masks",
        mask.to_str().unwrap(),
        "--against",
        limit,
    ];
    args.extend_from_slice(extra);
    let table = run(&args);
    assert_no_crash(&args, &table);
    args.extend_from_slice(&["--format", "json"]);
    let json = run(&args);
    assert_no_crash(&args, &json);
    assert_eq!(table.status.code(), json.status.code(), "{args:?}");
    let report: Value = serde_json::from_slice(&json.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", stderr(&json)));
    (json.status.code(), report, stdout(&table))
}

/// Every verdict is vacuous (none passed), the report says so, and the exit code is 3.
fn assert_all_vacuous(what: &str, (code, report, table): (Option<i32>, Value, String)) {
    assert_eq!(code, Some(3), "{what}: exit code\n{table}");
    assert_eq!(report["status"], "vacuous", "{what}");
    assert_eq!(report["passed"], false, "{what}");
    let verdicts = report["verdicts"].as_array().unwrap();
    assert!(!verdicts.is_empty(), "{what}: no verdicts");
    for v in verdicts {
        assert_eq!(v["status"], "vacuous", "{what}: {v}");
        assert_eq!(v["passed"], false, "{what}: {v}");
        // The JSON shows why: the threshold (null: +∞, a Monte Carlo test that cannot reject)
        // is at or above the statistic's largest value.
        let threshold = v["threshold"].as_f64().unwrap_or(f64::INFINITY);
        let max = v["statistic_max"].as_f64();
        assert!(max.is_some_and(|m| threshold >= m), "{what}: {v}");
    }
    assert!(!table.contains(" pass\n"), "{what}: a pass in\n{table}");
    let k = verdicts.len();
    assert!(
        table.contains(&format!("0 of {k} checks passed, {k} vacuous (")),
        "{what}: summary line\n{table}"
    );
}

/// A verdict that passed could have failed: its threshold lies below the statistic's largest
/// value (null in JSON: unbounded, as the Monte Carlo rows' standardised statistics are).
fn could_fail(v: &Value) -> bool {
    let threshold = v["threshold"].as_f64().unwrap_or(f64::INFINITY);
    v["statistic_max"].as_f64().is_none_or(|m| threshold < m)
}

#[test]
fn tiny_masks_get_vacuous_checks_never_a_pass() {
    let dir = scratch("tiny-masks");
    for (n, d) in [(1, 64), (2, 2), (64, 1)] {
        let mask = pattern_mask(&dir, n, d);
        for limit in LIMITS {
            for extra in [&[][..], &["--density", "0.5"][..]] {
                let (code, report, table) = check(&mask, limit, extra);
                let what = format!("{n} × {d} against {limit} {extra:?}\n{table}");
                // The pooled Monte Carlo test can reject even a tiny stack (its statistics are
                // unbounded), so a pass is possible; but no pass may come from a check that
                // could not fail, and a single line has no pairs: those rows are vacuous.
                assert!(matches!(code, Some(0 | 1 | 3)), "{what}");
                let verdicts = report["verdicts"].as_array().unwrap();
                for v in verdicts {
                    if v["status"] == "pass" {
                        assert!(could_fail(v), "{what}: {v}");
                    }
                }
                let pairs = |name: &str| verdicts.iter().find(|v| v["check"] == name).unwrap();
                if n == 1 {
                    assert_eq!(pairs("row-pair overlaps")["status"], "vacuous", "{what}");
                }
                if d == 1 {
                    assert_eq!(pairs("column-pair overlaps")["status"], "vacuous", "{what}");
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn extreme_delta_makes_every_check_vacuous() {
    let dir = scratch("extreme-delta");
    let ordinary = sampled_mask(&dir, 256, 256);
    let tiny = pattern_mask(&dir, 2, 2);
    for limit in LIMITS {
        // δ = 1e-300: every Hoeffding and DKW radius exceeds the range of its statistic.
        let what = format!("256 × 256 against {limit}, δ = 1e-300");
        let args = ["--delta", "1e-300", "--density", "0.5"];
        assert_all_vacuous(&what, check(&ordinary, limit, &args));
        // δ = 0.999999: the Monte Carlo test rejects almost surely even a 2 × 2 mask (a valid
        // test at that level), so its rows can fail; no pass may come from a row that could not.
        let what = format!("2 × 2 against {limit}, δ = 0.999999");
        let args = ["--delta", "0.999999", "--density", "0.5"];
        let (code, report, table) = check(&tiny, limit, &args);
        assert!(matches!(code, Some(0 | 1 | 3)), "{what}\n{table}");
        for v in report["verdicts"].as_array().unwrap() {
            assert!(v["status"] != "pass" || could_fail(v), "{what}: {v}");
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// The control: ordinary masks from the crate's own sampler still pass, with exit 0 and no
/// word of vacuity; and a wrong limit still fails (exit 1), vacuous or not.
#[test]
fn ordinary_masks_still_pass_and_wrong_limits_still_fail() {
    let dir = scratch("ordinary-masks");
    let mask = sampled_mask(&dir, 256, 256);
    for extra in [&[][..], &["--density", "0.5"][..]] {
        let (code, report, table) = check(&mask, "constant", extra);
        assert_eq!(code, Some(0), "{extra:?}\n{table}");
        assert_eq!(
            (&report["status"], &report["passed"]),
            (&"pass".into(), &true.into())
        );
        let verdicts = report["verdicts"].as_array().unwrap();
        assert!(verdicts.iter().all(|v| v["status"] == "pass"), "{report}");
        assert!(verdicts.iter().all(could_fail), "{report}");
        assert!(
            !table.contains("vacuous (") && !table.contains("VACUOUS"),
            "{table}"
        );
        // The pooled stack: 6 statistics (7 with the density, tested only when --density is
        // given), their Monte Carlo p-value and 2 pair bounds.
        let k = if extra.is_empty() { 9 } else { 10 };
        assert_eq!(verdicts.len(), k, "{extra:?}");
        assert!(
            table.contains(&format!("{k} of {k} checks passed\n")),
            "{table}"
        );
    }
    let (code, report, table) = check(&mask, "fsm:exp:3;exp:3", &["--density", "0.2"]);
    assert_eq!(code, Some(1), "{table}");
    assert_eq!(report["status"], "fail");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn audit_reports_a_vacuous_claim_with_exit_3() {
    // TOOL-3 at a tiny scale draws two points: its DKW radius exceeds 1, the KS range.
    let args = ["audit", "--filter", "TOOL-3", "--scale", "1e-4"];
    let o = run(&args);
    assert_no_crash(&args, &o);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let table = stdout(&o);
    assert!(table.contains("0 passed, 0 failed, 1 vacuous ("), "{table}");
    let json_args = [&args[..], &["--format", "json"]].concat();
    let o = run(&json_args);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let rows: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows[0]["status"], "vacuous");
    // At the default scale the same claim passes (exit 0).
    let o = run(&["audit", "--filter", "TOOL-3"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// `ntk … --format json`, asserted crash-free: the exit code and the summary.
fn ntk(extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec!["ntk", "--density", "0.3", "--format", "json"];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_no_crash(&args, &o);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", stderr(&o)));
    (o.status.code(), v)
}

#[test]
fn ntk_reports_a_bound_of_one_or_more_as_vacuous() {
    let (code, v) = ntk(&["--graphon", "snip", "--data", "digits", "--samples", "120"]);
    let total = v["bound_total"].as_f64().unwrap();
    assert!(total >= 1.0, "the probe needs a vacuous bound: {total}");
    assert_eq!((code, &v["status"]), (Some(3), &"vacuous".into()), "{v}");
    assert!(v["vacuous_because"].as_str().unwrap().starts_with("≥ 1"));
}

#[test]
fn ntk_gives_a_one_label_task_no_bound() {
    // One sample carries one label whatever the order of the data set (a sorted set gave
    // whole prefixes of one label, issue #17).
    let cases: [&[&str]; 2] = [
        &[
            "--graphon",
            "constant",
            "--data",
            "digits",
            "--samples",
            "1",
        ],
        &[
            "--graphon",
            "constant",
            "--data",
            "synthetic",
            "--samples",
            "1",
        ],
    ];
    for extra in cases {
        let (code, v) = ntk(extra);
        assert_eq!(
            (code, &v["status"]),
            (Some(3), &"vacuous".into()),
            "{extra:?}: {v}"
        );
        assert!(
            v["bound_total"].is_null(),
            "{extra:?}: a bound was given: {v}"
        );
        let why = v["vacuous_because"].as_str().unwrap();
        assert!(why.contains("carries the label +1"), "{extra:?}: {why}");
    }
}
