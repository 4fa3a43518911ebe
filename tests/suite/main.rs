//! The integration tests of the crate, in one test binary (issue #19, point 5): the library's
//! generics are compiled and linked once instead of once per test file, and libtest runs the
//! slow claims of different areas side by side on all cores instead of one file after another.
//! The four files with MPFR paths form a second binary, `tests/precision`, so that
//! `cargo test --features mpfr --test precision` rebuilds only them.
//!
//! Each former `tests/NAME.rs` is the module `NAME` here, so `cargo test --test suite NAME::`
//! runs what `cargo test --test NAME` used to. To add a test file: put it beside this one as
//! `NAME.rs` and declare `mod NAME;` below (a file that is not declared would never be compiled,
//! so `every_test_file_is_a_module_of_the_suite` fails on it). Shared helpers are `common` (run,
//! assert and snapshot a claim) and `sources` (the crate's `src/` for the source scans).

mod common;
mod sources;

mod approximation;
mod certified_edges;
mod cli;
mod convergence;
mod errors;
mod external;
mod fuzz_parsers;
mod hostile;
mod layers;
mod masks;
mod net;
mod ntk_figure2;
mod ntk_kernel;
mod ntk_path;
mod ntk_reality;
mod ntk_selection;
mod ntk_width;
mod plot;
mod registry;
mod sampler_law;
mod taxonomy;
mod taxonomy_stats;
mod tolerances;
mod toolbox;
mod value_stability;

/// The modules `main` (this file's text) does not declare among the files and folders (with a
/// `mod.rs`) of `dir`: the compiler ignores a file no `mod` names, so its tests would be dropped
/// silently.
fn undeclared(dir: &std::path::Path, main: &str) -> Vec<String> {
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable tests/suite") {
        let path = entry.expect("directory entry").path();
        let name = if path.is_dir() && path.join("mod.rs").is_file() {
            path.file_name()
        } else if path.extension().is_some_and(|e| e == "rs") {
            path.file_stem()
        } else {
            continue;
        };
        let name = name.unwrap().to_string_lossy().into_owned();
        if name != "main" && !main.contains(&format!("\nmod {name};\n")) {
            missing.push(name);
        }
    }
    missing.sort();
    missing
}

/// Every file and module folder of `tests/suite/` is declared above; the control drops two
/// declarations (a file's and a folder's) and must see both missing.
#[test]
fn every_test_file_is_a_module_of_the_suite() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/suite");
    let main = std::fs::read_to_string(dir.join("main.rs")).expect("readable main.rs");
    let missing = undeclared(&dir, &main);
    assert!(
        missing.is_empty(),
        "not declared in tests/suite/main.rs: {missing:?}"
    );
    let control = main
        .replace("\nmod cli;\n", "\n")
        .replace("\nmod hostile;\n", "\n");
    assert_eq!(undeclared(&dir, &control), ["cli", "hostile"], "control");
}

/// The same for `tests/precision/`, the second binary (the tests with MPFR paths).
#[test]
fn every_precision_test_file_is_a_module_of_its_binary() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/precision");
    let main = std::fs::read_to_string(dir.join("main.rs")).expect("readable main.rs");
    assert_eq!(undeclared(&dir, &main), Vec::<String>::new());
    let control = main.replace("\nmod ntk_deep;\n", "\n");
    assert_eq!(undeclared(&dir, &control), ["ntk_deep"], "control");
}
