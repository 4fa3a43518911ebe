//! One test per claim of the sharp check (theory/external.md, "Claims"); each runs the
//! registry's check at the default seed, asserts it and snapshots what it measured.

use crate::common;
use common::check_claim;

#[test]
fn check_1_no_more_false_rejections_than_delta_under_the_limit_null() {
    check_claim("CHECK-1");
}

#[test]
fn check_2_no_more_false_rejections_than_delta_under_the_sampler_null() {
    check_claim("CHECK-2");
}

#[test]
fn check_3_power_on_the_figure1_perturbations() {
    check_claim("CHECK-3");
}

#[test]
fn check_4_pair_verdicts_catch_reused_row_noise() {
    check_claim("CHECK-4");
}
