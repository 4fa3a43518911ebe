//! Probes: data_order (issue #17). The vendored sets are sorted by class, so `--samples N`
//! must take a seeded stratified subset (`net::data::stratified_rows`), never the first N rows.

#[allow(unused_imports)]
use super::probe::*;
use pai_graphon::net::data::{load, stratified_rows, DataSet, DataSpec};
use pai_graphon::net::NetError;
use pai_graphon::seed::MasterSeed;

/// A small synthetic set the CLI can take whole: 40 rows, 8 coordinates.
const SMALL: &str = "synthetic:samples=40,informative=4,noise=4,zero=0";

fn set(spec: &str) -> DataSet {
    load(
        &DataSpec::parse(spec).unwrap(),
        MasterSeed::default(),
        "probe",
    )
    .unwrap()
}

/// The number after `label` on the line starting with `label` of the ntk table.
fn number_after(table: &str, label: &str, after: &str) -> Option<f64> {
    let line = table.lines().find(|l| l.starts_with(label))?;
    let rest = &line[line.find(after)? + after.len()..];
    rest.split([' ', ',']).next()?.parse().ok()
}

/// The README's example (on main it exited 2: the first 500 MNIST rows are all zeros, one
/// label, so ψ = |cov(x_j, y)| ≡ 0). Now it computes a certified λ_min and a bound; at N = 500
/// the bound is ≥ 1, so the command reports it vacuous (exit 3), never as an error.
#[test]
fn readme_ntk_example_has_a_real_bound() {
    let args = [
        "ntk",
        "--graphon",
        "snip",
        "--data",
        "mnist",
        "--samples",
        "500",
        "--density",
        "0.2",
    ];
    let o = run(&args);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(3), "{args:?}: {}", stderr(&o));
    assert!(out.contains("vacuous: ≥ 1"), "{out}");
    let lambda = number_after(&out, "λ_min", "certified ≥ ").expect("λ_min certified");
    let bound = number_after(&out, "bound (δ = 0.001)", ")  ").expect("a bound");
    assert!(lambda > 0.0 && bound.is_finite() && bound > 0.0, "{out}");
}

/// The README's 500-row MNIST subset holds 50 rows of each digit (on main: 500 zeros, one label,
/// so even the constant graphon's bound described a one-label task).
#[test]
fn readme_subset_has_fifty_rows_of_each_digit() {
    let mnist = set("mnist");
    let rows = stratified_rows(&mnist, 500, MasterSeed::default()).unwrap();
    for class in 0..10u8 {
        let count = rows.iter().filter(|&&r| mnist.labels[r] == class).count();
        assert_eq!(count, 50, "class {class} of the 500-row MNIST subset");
    }
}

/// N = the set size takes every row in file order; N = 1 and 2 are accepted (1 row of one label
/// gives ψ ≡ 0 for SNIP: a one-line refusal, exit 2); N > the set size is refused. At 40 rows or
/// fewer every bound is ≥ 1 (or, with one label, absent): reported vacuous, exit 3.
#[test]
fn samples_at_the_edges() {
    let ntk = |graphon: &str, n: &str| {
        run(&[
            "ntk",
            "--graphon",
            graphon,
            "--data",
            SMALL,
            "--samples",
            n,
            "--density",
            "0.5",
        ])
    };
    for (graphon, n, code) in [
        ("constant", "40", 3),
        ("snip", "40", 3),
        ("constant", "1", 3),
        ("snip", "1", 2),
        ("constant", "2", 3),
        ("snip", "2", 3),
        ("constant", "41", 2),
        ("constant", "0", 2),
        ("constant", "18446744073709551615", 2),
    ] {
        let o = ntk(graphon, n);
        let err = stderr(&o);
        assert_eq!(
            o.status.code(),
            Some(code),
            "{graphon} --samples {n}: {err}"
        );
        if code == 2 {
            assert_eq!(err.lines().count(), 1, "{graphon} --samples {n}: {err}");
        }
    }
    let refused = stderr(&ntk("constant", "41"));
    assert!(
        refused.contains("--samples 41 must lie in 1..=40"),
        "{refused}"
    );
    let small = set(SMALL);
    let all = stratified_rows(&small, 40, MasterSeed::default()).unwrap();
    assert_eq!(all, (0..40).collect::<Vec<_>>());
    assert!(matches!(
        stratified_rows(&small, 41, MasterSeed::default()),
        Err(NetError::Subset {
            requested: 41,
            available: 40,
            ..
        })
    ));
}

/// Every subset of N ≥ 2 rows has both ±1 targets, class quotas differ by at most one (or a
/// class is exhausted), and rows are distinct, in range and increasing: over every N of the
/// small sets and a sweep of N over MNIST and digits, at two master seeds.
#[test]
fn subsets_are_stratified_with_both_labels() {
    for (spec, step) in [(SMALL, 1), ("digits", 1), ("mnist", 7)] {
        let data = set(spec);
        let classes: Vec<u8> = {
            let mut c = data.labels.clone();
            c.sort_unstable();
            c.dedup();
            c
        };
        let sizes: Vec<usize> = classes
            .iter()
            .map(|&c| data.labels.iter().filter(|&&l| l == c).count())
            .collect();
        for seed in [MasterSeed::default(), MasterSeed::new(0x2a)] {
            for n in (2..=data.samples).step_by(step).chain([data.samples]) {
                let rows = stratified_rows(&data, n, seed).unwrap();
                let context = format!("{spec} n={n} seed={seed}");
                assert_eq!(rows.len(), n, "{context}");
                assert!(rows.windows(2).all(|p| p[0] < p[1]), "{context}");
                assert!(*rows.last().unwrap() < data.samples, "{context}");
                assert!(rows.iter().any(|&r| data.y[r] > 0.0), "{context}");
                assert!(rows.iter().any(|&r| data.y[r] < 0.0), "{context}");
                let quota = |c: u8| rows.iter().filter(|&&r| data.labels[r] == c).count();
                let quotas: Vec<(usize, usize)> = classes
                    .iter()
                    .zip(&sizes)
                    .map(|(&c, &s)| (quota(c), s))
                    .collect();
                let open = quotas.iter().filter(|(q, s)| q < s).map(|&(q, _)| q);
                // Every quota is at most one above the smallest quota of a class not exhausted
                // (dealing one row at a time never lets a class get two ahead of an open one).
                if let Some(lo) = open.min() {
                    assert!(
                        quotas.iter().all(|&(q, _)| q <= lo + 1),
                        "{context}: {quotas:?}"
                    );
                }
            }
        }
    }
}

/// The subset, and so the whole ntk output, is identical across runs and thread counts.
#[test]
fn subset_is_bit_identical_across_runs_and_threads() {
    let args = [
        "ntk",
        "--graphon",
        "snip",
        "--data",
        "digits",
        "--samples",
        "300",
        "--density",
        "0.2",
        "--format",
        "json",
    ];
    let first = run(&args);
    // Exit 3: the bound at N = 300 is ≥ 1 (vacuous); the output is what is compared.
    assert_eq!(first.status.code(), Some(3), "{}", stderr(&first));
    let again = run(&args);
    let one_thread = run_env(&args, &[("RAYON_NUM_THREADS", "1")]);
    assert_eq!(stdout(&first), stdout(&again), "two runs differ");
    assert_eq!(
        stdout(&first),
        stdout(&one_thread),
        "RAYON_NUM_THREADS=1 differs"
    );
    let seed = MasterSeed::default();
    let digits = set("digits");
    assert_eq!(
        stratified_rows(&digits, 300, seed).unwrap(),
        stratified_rows(&digits, 300, seed).unwrap()
    );
    // Another master seed draws another subset.
    assert_ne!(
        stratified_rows(&digits, 300, seed).unwrap(),
        stratified_rows(&digits, 300, MasterSeed::new(0x2a)).unwrap()
    );
}
