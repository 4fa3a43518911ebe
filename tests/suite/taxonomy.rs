//! One test per taxonomy claim (theory/taxonomy.md); each runs the registry's check at the
//! default seed, asserts it and snapshots what it measured. Plus the exact homogeneity
//! criterion as a property test.

use crate::common;
use common::check_claim;
use num_rational::BigRational;
use pai_graphon::graphon::step::StepGraphon;
use pai_graphon::mask::top_k_mask;
use pai_graphon::taxonomy::stats::mask_stats;
use proptest::prelude::*;

#[test]
fn tax_1_homogeneous_limits() {
    check_claim("TAX-1");
}

#[test]
fn tax_2_heterogeneous_limits() {
    check_claim("TAX-2");
}

#[test]
fn tax_4_fsm_validity() {
    check_claim("TAX-4");
}

#[test]
fn tax_7_deterministic_limit() {
    check_claim("TAX-7");
}

#[test]
fn tax_8_feature_selection() {
    check_claim("TAX-8");
}

#[test]
fn tax_6_iterative_synflow() {
    check_claim("TAX-6");
}

fn ratio(num: u32, den: u32) -> BigRational {
    BigRational::new(num.into(), den.into())
}

/// A rational step graphon from integer cell weights and values k/den.
fn step_graphon(rows: &[u32], cols: &[u32], values: &[u32], den: u32) -> StepGraphon<BigRational> {
    let widths = |w: &[u32]| -> Vec<BigRational> {
        let total: u32 = w.iter().sum();
        w.iter().map(|&x| ratio(x, total)).collect()
    };
    let table = values
        .chunks(cols.len())
        .map(|row| row.iter().map(|&k| ratio(k, den)).collect())
        .collect();
    StepGraphon::new(widths(rows), widths(cols), table).expect("a valid step graphon")
}

fn graphon_strategy() -> impl Strategy<Value = StepGraphon<BigRational>> {
    (1usize..5, 1usize..5, 1u32..7).prop_flat_map(|(m, n, den)| {
        (
            prop::collection::vec(1u32..5, m),
            prop::collection::vec(1u32..5, n),
            prop::collection::vec(0u32..=den, m * n),
            prop::bool::weighted(0.3),
        )
            .prop_map(move |(rows, cols, mut values, constant)| {
                if constant {
                    let v = values[0];
                    values.iter_mut().for_each(|x| *x = v);
                }
                step_graphon(&rows, &cols, &values, den)
            })
    })
}

proptest! {
    /// t(C4) = t(K2)⁴ exactly iff the rational step graphon is constant (TOOL-4 (b) over
    /// arbitrary small graphons), and t(C4) ≥ t(K2)⁴ always.
    #[test]
    fn homogeneity_criterion_exact(g in graphon_strategy()) {
        let rho4 = g.density().pow(4);
        let c4 = g.c4_density();
        prop_assert!(c4 >= rho4);
        prop_assert_eq!(c4 == rho4, g.is_constant());
    }

    /// The integer t(C4) of a mask equals the exact step-graphon t(C4) of its 0/1 matrix.
    #[test]
    fn mask_c4_matches_step_graphon(n in 1usize..9, d in 1usize..9, bits in any::<u64>(), k in 1u64..64) {
        let scores: Vec<f64> = (0..n * d).map(|x| ((bits >> (x % 64)) & 1) as f64).collect();
        let k = k.min((n * d) as u64);
        let mask = top_k_mask(n, d, &scores, k).unwrap();
        let values = (0..n)
            .map(|i| (0..d).map(|j| ratio(mask.get(i, j).unwrap() as u32, 1)).collect())
            .collect();
        let g = StepGraphon::uniform(values).unwrap();
        let stats = mask_stats(&mask);
        prop_assert_eq!(&stats.c4, &g.c4_density());
        prop_assert_eq!(stats.heterogeneity, g.c4_density() - g.density().pow(4));
    }
}
