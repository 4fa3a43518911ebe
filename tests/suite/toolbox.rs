//! One test per toolbox claim (theory/toolbox.md); each runs the registry's check at the
//! default seed, asserts it and snapshots what it measured.

use crate::common;
use common::check_claim;

#[test]
fn tool_4_step_graphons() {
    check_claim("TOOL-4");
}

#[test]
fn tool_7_normal_reference() {
    check_claim("TOOL-7");
}

#[test]
fn tool_1_exact_kolmogorov_cdf() {
    check_claim("TOOL-1");
}

#[test]
fn tool_2_f64_kolmogorov_accuracy() {
    check_claim("TOOL-2");
}

#[test]
fn tool_3_ks_dkw_uniform() {
    check_claim("TOOL-3");
}

#[test]
fn tool_5_cut_norm_interval() {
    check_claim("TOOL-5");
}

#[test]
fn tool_6_cut_norm_hoeffding() {
    check_claim("TOOL-6");
}

#[test]
fn tool_8_cut_norm_sdp() {
    check_claim("TOOL-8");
}
