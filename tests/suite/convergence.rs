//! One test per convergence claim (theory/convergence.md); each runs the registry's check at
//! the default seed, asserts it and snapshots what it measured.

use crate::common;
use common::check_claim;

#[test]
fn conv_1_threshold_interval() {
    check_claim("CONV-1");
}

#[test]
fn conv_2_cut_norm_to_p() {
    check_claim("CONV-2");
}

#[test]
fn conv_3_distance_to_limit() {
    check_claim("CONV-3");
}

#[test]
fn conv_4_edge_noise_ks_holm() {
    check_claim("CONV-4");
}

#[test]
fn conv_5_homogeneous_random_magnitude() {
    check_claim("CONV-5");
}
