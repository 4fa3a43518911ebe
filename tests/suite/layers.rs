//! The import graph between layers: kernels (every module but `claims`) ← claims (`src/claims/`)
//! ← the binary (`src/bin/`). A file may only name modules of its own layer or below, so the
//! layers have no cycle: no kernel names `crate::claims`.
//!
//! The checker reads the sources as text (no new dependency): it collects the first segment of
//! every `crate::…` path (also inside `crate::{…}` groups, and `super::…` in a top-level module)
//! outside comments. `src/lib.rs`, the crate root that declares every module, is not a layer.

use crate::sources;

/// The layers, lowest first; a file may name its own layer and the ones below.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Layer {
    Kernel,
    Claims,
    Bin,
}

/// A reference from a file to a module of a higher layer.
#[derive(Debug, PartialEq)]
struct Violation {
    file: String,
    line: usize,
    module: String,
}

/// The layer of a file, by its path relative to the crate (`src/...`); `None` for the root.
fn file_layer(path: &str) -> Option<Layer> {
    if path == "src/lib.rs" {
        None
    } else if path.starts_with("src/bin/") {
        Some(Layer::Bin)
    } else if path.starts_with("src/claims/") {
        Some(Layer::Claims)
    } else {
        Some(Layer::Kernel)
    }
}

/// The layer of a top-level module of the library.
fn module_layer(module: &str) -> Layer {
    if module == "claims" {
        Layer::Claims
    } else {
        Layer::Kernel
    }
}

/// Whether `super::` in this file names the crate root (a top-level module file).
fn is_top_level(path: &str) -> bool {
    let rest = path.trim_start_matches("src/");
    !rest.contains('/') || rest.matches('/').count() == 1 && rest.ends_with("/mod.rs")
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first segments of the paths in a `{…}` group starting just after `{`.
fn group_heads(s: &str) -> Vec<String> {
    let (mut depth, mut heads, mut start) = (0usize, Vec::new(), true);
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => start = true,
            c if start && (c.is_alphanumeric() || c == '_') => {
                heads.push(ident(&s[i..]).to_string());
                start = false;
            }
            _ => {}
        }
    }
    heads
}

/// The top-level library modules a source text names, with 1-based line numbers. Comment
/// lines (`//`, `///`, `//!`) are skipped: doc examples name `pai_graphon::…`, not `crate::…`.
fn referenced_modules(path: &str, text: &str) -> Vec<(usize, String)> {
    // Join the lines first so that a `crate::{…}` group may span several of them.
    let mut code = String::new();
    let mut line_of = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        let line = line.split(" //").next().unwrap_or(line);
        line_of.extend(std::iter::repeat_n(n + 1, line.len() + 1));
        code.push_str(line);
        code.push('\n');
    }
    let mut prefixes = vec!["crate::"];
    if is_top_level(path) {
        prefixes.push("super::");
    }
    let mut found = Vec::new();
    for prefix in prefixes {
        for (at, _) in code.match_indices(prefix) {
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue; // `pai_graphon::crate::` or `my_crate::` is not this crate
            }
            let rest = &code[at + prefix.len()..];
            let heads = match rest.strip_prefix('{') {
                Some(group) => group_heads(group),
                None => vec![ident(rest).to_string()],
            };
            for head in heads.into_iter().filter(|h| !h.is_empty() && h != "*") {
                found.push((line_of[at], head));
            }
        }
    }
    found
}

/// Every reference from a file to a module of a higher layer than its own.
fn violations(files: &[(String, String)]) -> Vec<Violation> {
    let mut out = Vec::new();
    for (path, text) in files {
        let Some(layer) = file_layer(path) else {
            continue;
        };
        if layer == Layer::Bin {
            continue; // the top layer; its `crate::` is the binary's own crate
        }
        for (line, module) in referenced_modules(path, text) {
            if module_layer(&module) > layer {
                out.push(Violation {
                    file: path.clone(),
                    line,
                    module,
                });
            }
        }
    }
    out
}

fn sources() -> Vec<(String, String)> {
    sources::all()
}

fn fake(path: &str, text: &str) -> Vec<(String, String)> {
    vec![(path.to_string(), text.to_string())]
}

#[test]
fn no_kernel_imports_the_claims_layer() {
    let files = sources();
    assert!(files.len() > 50, "found only {} source files", files.len());
    let claims_files = files
        .iter()
        .filter(|(p, _)| file_layer(p) == Some(Layer::Claims))
        .count();
    assert!(claims_files >= 7, "src/claims/ has {claims_files} files");
    let bad = violations(&files);
    assert!(
        bad.is_empty(),
        "kernel files naming a higher layer (kernels ← claims ← bin):\n{bad:#?}"
    );
}

/// Negative control: the same checker on in-memory kernel files that do name the claims layer.
#[test]
fn the_checker_reports_a_kernel_importing_claims() {
    let v = violations(&fake("src/normal.rs", "use crate::claims::Claim;\n"));
    assert_eq!(
        v,
        [Violation {
            file: "src/normal.rs".into(),
            line: 1,
            module: "claims".into()
        }]
    );
    let grouped = "use std::fmt;\nuse crate::{\n    tol,\n    claims::{Check, Status},\n};\n";
    assert_eq!(violations(&fake("src/ntk/deep.rs", grouped)).len(), 1);
    let inline = "fn f() {\n    let s = crate::claims::Status::Pass;\n}\n";
    assert_eq!(violations(&fake("src/graphon/step.rs", inline))[0].line, 2);
    // `super::` in a top-level module is the crate root.
    assert_eq!(
        violations(&fake("src/report.rs", "use super::claims::Row;\n")).len(),
        1
    );
}

/// What the checker must let through: comments, the claims layer and the binary naming lower
/// layers, `super::` below the top level, and other crates' paths.
#[test]
fn the_checker_allows_downward_references() {
    let ok = [
        (
            "src/normal.rs",
            "/// use pai_graphon::claims::find;\n// crate::claims\n",
        ),
        ("src/normal.rs", "let x = 1; // crate::claims::run\n"),
        (
            "src/claims/ntk.rs",
            "use crate::ntk::deep::*;\nuse crate::claims::Claim;\n",
        ),
        (
            "src/bin/pai-graphon/main.rs",
            "use pai_graphon::claims;\nuse crate::output;\n",
        ),
        ("src/external/sharp.rs", "use super::claims::Thing;\n"),
        (
            "src/lib.rs",
            "pub mod claims;\nuse crate::claims::UnknownClaim;\n",
        ),
        ("src/tol.rs", "use other_crate::claims::X;\n"),
    ];
    for (path, text) in ok {
        assert_eq!(violations(&fake(path, text)), [], "{path}: {text}");
    }
}

// Within the kernels, `mask` is the lower module: the modules that build and read masks
// import it, so it must name none of them (no cycle between mask and its callers).

/// Kernel files that must not name some kernel modules: (file, forbidden modules).
const KERNEL_ORDER: &[(&str, &[&str])] = &[(
    "src/mask.rs",
    &[
        "convergence",
        "net",
        "taxonomy",
        "ntk",
        "external",
        "npy",
        "plot",
    ],
)];

/// References against [`KERNEL_ORDER`].
fn kernel_order_violations(files: &[(String, String)]) -> Vec<Violation> {
    let mut out = Vec::new();
    for (path, text) in files {
        let Some((_, forbidden)) = KERNEL_ORDER.iter().find(|(p, _)| p == path) else {
            continue;
        };
        for (line, module) in referenced_modules(path, text) {
            if forbidden.contains(&module.as_str()) {
                out.push(Violation {
                    file: path.clone(),
                    line,
                    module,
                });
            }
        }
    }
    out
}

#[test]
fn mask_imports_none_of_its_callers() {
    let files = sources();
    assert!(
        files.iter().any(|(p, _)| p == "src/mask.rs"),
        "src/mask.rs not found"
    );
    let bad = kernel_order_violations(&files);
    assert!(
        bad.is_empty(),
        "mask.rs names a module that imports it:\n{bad:#?}"
    );
}

/// Negative control: the error type mask.rs used to import from convergence is reported, and
/// the same line in another kernel file is not.
#[test]
fn the_checker_reports_mask_importing_convergence() {
    let text = "use crate::params::Density;\nuse crate::convergence::ConvergenceError;\n";
    assert_eq!(
        kernel_order_violations(&fake("src/mask.rs", text)),
        [Violation {
            file: "src/mask.rs".into(),
            line: 2,
            module: "convergence".into()
        }]
    );
    assert!(kernel_order_violations(&fake("src/net/mod.rs", text)).is_empty());
}

#[test]
fn layers_are_assigned_by_path() {
    assert_eq!(file_layer("src/claims/mod.rs"), Some(Layer::Claims));
    assert_eq!(file_layer("src/claims/ntk/deep.rs"), Some(Layer::Claims));
    assert_eq!(file_layer("src/bin/pai-graphon/html.rs"), Some(Layer::Bin));
    assert_eq!(file_layer("src/verdict.rs"), Some(Layer::Kernel));
    assert_eq!(file_layer("src/lib.rs"), None);
    assert!(Layer::Kernel < Layer::Claims && Layer::Claims < Layer::Bin);
    assert!(is_top_level("src/report.rs") && is_top_level("src/ntk/mod.rs"));
    assert!(!is_top_level("src/ntk/deep.rs"));
}

// "Validated once": the open-interval test `(0, 1)` of a density or probability belongs in
// `params.rs` (`Density`, `Probability`). The scan counts such tests per file elsewhere and
// compares with an allow-list, so a new re-check of a user parameter fails here.

/// Files allowed to test `(0, 1)` themselves: (path, count, why).
const OPEN_UNIT_ALLOWED: &[(&str, usize, &str)] = &[
    (
        "src/convergence/profile.rs",
        1,
        "the breakpoints of a step profile, checked where the profile spec is parsed",
    ),
    (
        "src/external/reference.rs",
        2,
        "the reference port's own guards on its internal p and rho_b",
    ),
    (
        "src/graphon/cutnorm.rs",
        1,
        "cut_norm_hoeffding_bound: a public bound's δ, claims pass constants",
    ),
    (
        "src/normal.rs",
        1,
        "check_open_unit: the argument of a quantile, a computed probability",
    ),
    (
        "src/taxonomy/stats.rs",
        2,
        "check_delta and deterministic_limit_bound: public bounds' δ and ρ",
    ),
    (
        "src/taxonomy/synflow.rs",
        1,
        "check_density of the public SynFlow threshold function",
    ),
    (
        "src/tol.rs",
        1,
        "check_delta of the tolerance helpers: claims pass named constants",
    ),
];

/// Code lines (not comments, not assertions) that test `x > 0.0 && x < 1.0` or `0.0 < x && x < 1.0`.
fn open_unit_tests(text: &str) -> usize {
    text.lines()
        .map(str::trim_start)
        .filter(|l| !l.starts_with("//") && !l.contains("assert"))
        .filter(|l| {
            let lower = l.find("> 0.0 && ").or_else(|| l.find("0.0 < "));
            lower.is_some_and(|i| l[i..].contains(" < 1.0"))
        })
        .count()
}

fn open_unit_counts(files: &[(String, String)]) -> Vec<(String, usize)> {
    files
        .iter()
        .filter(|(path, _)| path != "src/params.rs")
        .map(|(path, text)| (path.clone(), open_unit_tests(text)))
        .filter(|&(_, n)| n > 0)
        .collect()
}

#[test]
fn open_unit_range_is_checked_only_where_allowed() {
    let allowed: Vec<(String, usize)> = OPEN_UNIT_ALLOWED
        .iter()
        .map(|&(p, n, _)| (p.to_string(), n))
        .collect();
    assert_eq!(open_unit_counts(&sources()), allowed);
}

#[test]
fn the_scan_finds_a_new_density_check() {
    let text = "fn f(rho: f64) -> bool {\n    if !(rho > 0.0 && rho < 1.0) { return false }\n    0.0 < rho && rho < 1.0\n}\n";
    assert_eq!(
        open_unit_counts(&fake("src/net/new.rs", text)),
        vec![("src/net/new.rs".to_string(), 2)]
    );
    // params.rs, comments and assertions are not counted.
    let quiet = "// x > 0.0 && x < 1.0\nassert!(x > 0.0 && x < 1.0);\n";
    assert!(open_unit_counts(&fake("src/net/new.rs", quiet)).is_empty());
    assert!(open_unit_counts(&fake("src/params.rs", text)).is_empty());
}
