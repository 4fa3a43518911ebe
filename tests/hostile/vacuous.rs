//! Probes: vacuous (issue #17). A check whose threshold lies at or beyond the range of its
//! statistic cannot fail; `check`, `audit` and `ntk` must report it as `vacuous` (table, JSON,
//! exit 3 when nothing failed), never as a pass. Tiny masks and extreme `--delta` values are
//! the inputs that produced such checks; ordinary masks are the control and must still pass.

use crate::probe::*;
use pai_graphon::convergence::limit::Fsm;
use pai_graphon::convergence::mask::{sample_mask_for, MaskSpec};
use pai_graphon::npy::encode_u8;
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
    let spec = MaskSpec::new(n, d, 0.5, &fsm.row, &fsm.col).unwrap();
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
        // The JSON shows why: the threshold is at or above the statistic's largest value.
        let (threshold, max) = (v["threshold"].as_f64(), v["statistic_max"].as_f64());
        assert!(threshold >= max && max.is_some(), "{what}: {v}");
    }
    assert!(!table.contains(" pass\n"), "{what}: a pass in\n{table}");
    let k = verdicts.len();
    assert!(
        table.contains(&format!("0 of {k} checks passed, {k} vacuous (")),
        "{what}: summary line\n{table}"
    );
}

#[test]
fn tiny_masks_get_vacuous_checks_never_a_pass() {
    let dir = scratch("tiny-masks");
    for (n, d) in [(1, 64), (2, 2), (64, 1)] {
        let mask = pattern_mask(&dir, n, d);
        for limit in LIMITS {
            let what = format!("{n} × {d} against {limit}");
            assert_all_vacuous(&what, check(&mask, limit, &[]));
            // With --density the density row is a check too (it is not without: ρ is then the
            // mask's own density): vacuous with n ≤ 2 rows (Hoeffding's radius exceeds
            // max(ρ, 1 − ρ)), a real check with 64 rows, which may pass; the rest stay vacuous.
            let (code, report, table) = check(&mask, limit, &["--density", "0.5"]);
            let what = format!("{what}, --density 0.5\n{table}");
            assert_eq!(
                (code, &report["status"]),
                (Some(3), &"vacuous".into()),
                "{what}"
            );
            let verdicts = report["verdicts"].as_array().unwrap();
            assert_eq!(verdicts[0]["check"], "density", "{what}");
            let density = if n <= 2 { "vacuous" } else { "pass" };
            assert_eq!(verdicts[0]["status"], density, "{what}");
            assert!(
                verdicts[1..].iter().all(|v| v["status"] == "vacuous"),
                "{what}"
            );
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
        // δ = 0.999999: small bounds, but a 2 × 2 mask still cannot fail them.
        let what = format!("2 × 2 against {limit}, δ = 0.999999");
        let args = ["--delta", "0.999999", "--density", "0.5"];
        assert_all_vacuous(&what, check(&tiny, limit, &args));
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
        let below = |v: &Value| v["threshold"].as_f64() < v["statistic_max"].as_f64();
        assert!(verdicts.iter().all(below), "{report}");
        assert!(
            !table.contains("vacuous (") && !table.contains("VACUOUS"),
            "{table}"
        );
        // Without --density, ρ is the mask's own: its density row (0 by construction) is
        // left out rather than reported as a pass.
        let k = if extra.is_empty() { 3 } else { 4 };
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
