//! Finite-width convergence of the empirical NTK (theory/ntk.md, region `width`): claims NTK-2
//! and NTK-17 (NTK-4 retired) at the default seed, plus the finite-d bias bound (Proposition W3) against the
//! exact enumerated limit on many small graphons, and bad input.

use crate::common;
use common::check_claim;
use pai_graphon::ntk::kernel::{graphon_ntk, unit_rows, KernelGraphon, Layers};
use pai_graphon::ntk::width::{
    bernoulli_mask, finite_d_bias_bound, fixed_d_limit, frobenius, row_moments, smooth_inputs,
    MAX_ENUMERATED_DIMS,
};
use pai_graphon::seed::MasterSeed;
use pai_graphon::tol::gamma;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

#[test]
fn ntk_2_finite_width_convergence() {
    check_claim("NTK-2");
}

#[test]
fn ntk_17_fixed_d_limit() {
    check_claim("NTK-17");
}

/// Proposition W3 is a deterministic inequality: ‖K_d − K_W‖_F ≤ Σ_k ω_k B_k for every graphon
/// and input set. Checked exactly (up to a floating-point allowance) on random column profiles,
/// random Gaussian inputs (not smooth: the hard case) and d from 2 to 10.
#[test]
fn bias_bound_covers_the_exact_fixed_d_gap() {
    let mut rng = MasterSeed::default().stream("ntk-width/bias-bound");
    for case in 0..60 {
        let d = 2 + case % 9;
        let samples = 2 + case % 5;
        let w: Vec<f64> = (0..d)
            .map(|_| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
            .collect();
        let Ok(g) = KernelGraphon::column_profile(&w) else {
            continue;
        };
        let x = faer::Mat::from_fn(samples, d, |_, _| StandardNormal.sample(&mut rng));
        let x = unit_rows(x.as_ref()).unwrap();
        let kd = fixed_d_limit(x.as_ref(), &g, Layers::First).unwrap();
        let kw = graphon_ntk(x.as_ref(), &g, Layers::First).unwrap().k;
        let gap = frobenius((&kd - &kw).as_ref());
        let bound = finite_d_bias_bound(x.as_ref(), &g).unwrap()[0];
        let slack = gamma((1 << d) * d + 8).unwrap() * samples as f64 / g.density();
        assert!(
            gap <= bound + slack,
            "case {case}: gap {gap} > bound {bound}"
        );
    }
}

/// The diagonal of K_d is exactly the diagonal of K_W (E q_m = q_W and κ0(1) = ½).
#[test]
fn fixed_d_diagonal_is_unbiased() {
    let x = smooth_inputs(4, 8, MasterSeed::default(), "ntk-width/diag").unwrap();
    let g = KernelGraphon::column_profile(&[0.3, 0.9, 0.5, 0.1, 0.7, 0.2, 0.6, 0.4]).unwrap();
    let kd = fixed_d_limit(x.as_ref(), &g, Layers::First).unwrap();
    let kw = graphon_ntk(x.as_ref(), &g, Layers::First).unwrap().k;
    for b in 0..4 {
        assert!((kd[(b, b)] - kw[(b, b)]).abs() <= 1e-13, "input {b}");
    }
}

#[test]
fn masks_are_reproducible_and_have_the_graphon_density() {
    let g = KernelGraphon::column_profile(&[0.2; 50]).unwrap();
    let a = bernoulli_mask(&g, 400, &mut MasterSeed::default().stream("ntk-width/m")).unwrap();
    let b = bernoulli_mask(&g, 400, &mut MasterSeed::default().stream("ntk-width/m")).unwrap();
    assert_eq!(a, b);
    // Hoeffding, two tails, δ = 1e-6, for the mean of 20 000 Bernoulli(0.2) entries.
    let t = pai_graphon::tol::hoeffding(20_000, 1.0, 1e-6, pai_graphon::tol::Tail::Two).unwrap();
    assert!((a.kept() as f64 / 20_000.0 - 0.2).abs() <= t);
}

#[test]
fn bad_input_is_rejected() {
    let g = KernelGraphon::constant(0.5, MAX_ENUMERATED_DIMS + 1).unwrap();
    let x = smooth_inputs(
        2,
        MAX_ENUMERATED_DIMS + 1,
        MasterSeed::default(),
        "ntk-width/bad",
    )
    .unwrap();
    assert!(fixed_d_limit(x.as_ref(), &g, Layers::First).is_err());
    let g = KernelGraphon::constant(0.5, 2).unwrap();
    let not_unit = faer::mat![[1.0, 1.0]];
    assert!(fixed_d_limit(not_unit.as_ref(), &g, Layers::First).is_err());
    assert!(finite_d_bias_bound(not_unit.as_ref(), &g).is_err());
    let unit = faer::mat![[0.6, 0.8]];
    assert!(row_moments(unit.as_ref(), &g, &[]).is_err());
    assert!(row_moments(unit.as_ref(), &g, &[1]).is_err());
    let three = faer::mat![[0.6, 0.0, 0.8]];
    assert!(finite_d_bias_bound(three.as_ref(), &g).is_err());
    let empty = KernelGraphon::column_profile(&[0.0, 1e-300]).unwrap();
    assert!(bernoulli_mask(&empty, 3, &mut MasterSeed::default().stream("ntk-width/e")).is_err());
}
