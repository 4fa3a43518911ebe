//! The registry, theory/ and tests agree: the same ids, the same [paper]/[reconstructed]
//! marks, one test named after each claim, one snapshot per claim and none orphaned, and the
//! README states the suite's false-alarm probability as computed.

use pai_graphon::claims::{self, Kind};
use std::collections::BTreeSet;

fn registry_ids() -> BTreeSet<String> {
    claims::registry()
        .iter()
        .map(|c| c.id.to_string())
        .collect()
}

#[test]
fn theory_and_registry_list_the_same_ids() {
    let theory: Vec<String> = claims::statements().into_iter().map(|s| s.id).collect();
    let unique: BTreeSet<String> = theory.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        theory.len(),
        "an id is stated twice in theory/"
    );
    assert_eq!(
        unique,
        registry_ids(),
        "theory/ and the registry disagree on the ids"
    );
}

#[test]
fn ids_are_unique_in_the_registry() {
    assert_eq!(registry_ids().len(), claims::registry().len());
}

#[test]
fn theory_marks_match_the_registry() {
    for c in claims::registry() {
        let st = claims::statement(c.id).unwrap();
        assert_eq!(
            st.source,
            Some(c.source),
            "{}: theory/ marks it differently",
            c.id
        );
        for part in [
            "**Statement.**",
            "**Check.**",
            "**Threshold.**",
            "**Test.**",
        ] {
            assert!(
                st.text.contains(part),
                "{}: theory/ section lacks {part}",
                c.id
            );
        }
    }
}

#[test]
fn budgets_match_the_kind() {
    for c in claims::registry() {
        match c.kind {
            // A failure probability in (0, 1), as the threshold functions themselves demand.
            Kind::Statistical => assert!(
                pai_graphon::tol::hoeffding(1, 1.0, c.delta, pai_graphon::tol::Tail::One).is_ok(),
                "{}",
                c.id
            ),
            Kind::Exact | Kind::HighPrecision => assert_eq!(c.delta, 0.0, "{}", c.id),
        }
    }
}

/// The text of every test file of both integration-test binaries.
fn test_sources() -> String {
    ["tests/suite", "tests/precision"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap())
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

#[test]
fn every_claim_has_a_test_named_after_it() {
    let sources = test_sources();
    for id in registry_ids() {
        let prefix = format!("fn {}_", id.to_lowercase().replace('-', "_"));
        let call = format!("check_claim(\"{id}\")");
        assert!(
            sources.contains(&prefix) && sources.contains(&call),
            "{id}: no test `{prefix}…` calling {call}"
        );
    }
}

#[test]
fn every_snapshot_belongs_to_a_claim() {
    let ids: BTreeSet<String> = registry_ids().iter().map(|s| s.to_lowercase()).collect();
    for entry in std::fs::read_dir("snapshots").unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let stem = name
            .strip_suffix(".snap")
            .unwrap_or_else(|| panic!("stray file snapshots/{name}"));
        assert!(ids.contains(stem), "orphaned snapshot snapshots/{name}");
    }
}

#[test]
fn readme_states_the_computed_false_alarm_probability() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let stated = format!("{:.1e}", claims::false_alarm_budget());
    assert!(
        readme.contains(&format!("false-alarm probability: {stated}")),
        "README must state `false-alarm probability: {stated}`"
    );
}

/// `1e-4` for statistical budgets, `0` for exact and high-precision claims.
fn budget_text(delta: f64) -> String {
    if delta == 0.0 {
        "0".into()
    } else {
        format!("{delta:e}")
    }
}

#[test]
fn tolerances_table_matches_the_registry() {
    let page = claims_page("tolerances.md");
    let rows: Vec<Vec<String>> = page
        .lines()
        .filter(|l| l.starts_with("| ") && l.split('|').nth(1).is_some_and(|c| c.contains('-')))
        .map(|l| l.split('|').map(|c| c.trim().to_string()).collect())
        .filter(|c: &Vec<String>| claims::find(&c[1]).is_ok())
        .collect();
    let expected: Vec<Vec<String>> = claims::registry()
        .iter()
        .map(|c| {
            let kind = serde_json::to_value(c.kind)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string();
            vec![
                String::new(),
                c.id.into(),
                kind,
                budget_text(c.delta),
                String::new(),
            ]
        })
        .collect();
    assert_eq!(
        rows, expected,
        "theory/tolerances.md's budget table is out of date"
    );
}

fn claims_page(name: &str) -> &'static str {
    pai_graphon::theory::PAGES
        .iter()
        .find(|(f, _)| *f == name)
        .map(|(_, t)| *t)
        .unwrap()
}
