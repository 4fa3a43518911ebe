//! The integration tests with MPFR paths (`#[cfg(feature = "mpfr")]`), in a test binary of their
//! own: `cargo test` runs them with the rest, and `.ci/run`'s `--features mpfr` step rebuilds
//! only this binary instead of the whole suite. Each module runs its f64 checks in both builds
//! and its MPFR checks with the feature. To add a file: put it beside this one and declare it
//! below (`tests/suite`'s `every_precision_test_file_is_a_module_of_its_binary` checks).

/// The claim helpers of `tests/suite` (run, assert and snapshot a claim), shared by path.
#[path = "../suite/common/mod.rs"]
mod common;

mod limit_domain;
mod normal_reference;
mod ntk_deep;
mod tau_star_reference;
