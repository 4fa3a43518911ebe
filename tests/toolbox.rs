//! One test per toolbox claim (theory/toolbox.md); each runs the registry's check at the
//! default seed, asserts it and snapshots what it measured.

mod common;
use common::check_claim;

#[test]
fn tool_4_step_graphons() {
    check_claim("TOOL-4");
}

#[test]
fn tool_7_normal_reference() {
    check_claim("TOOL-7");
}
