//! Figure 2 (theory/ntk.md, region figure2): one test per claim NTK-10..12 (registry check at
//! the default seed, snapshotted), and the building blocks: the SNIP-type graphon against its
//! closed form, the label randomisation's exact mean, one factor for many label vectors, and
//! thread-count independence.

use crate::common;
use common::{check_claim, on_threads};
use pai_graphon::net::data::{load, DataSpec};
use pai_graphon::normal::erfc;
use pai_graphon::ntk::bound::complexity;
use pai_graphon::ntk::figure2::{
    column_covariance, digit_pair, expected_complexity, factored_kernel, figure2,
    figure2_synthetic, snip_graphon, synthetic_task, BinaryTask, FactoredKernel, Figure2Config,
    ProfileLabels,
};
use pai_graphon::ntk::kernel::{graphon_ntk, KernelGraphon, Layers};
use pai_graphon::ntk::NtkError;
use pai_graphon::params::Density;
use pai_graphon::seed::MasterSeed;

#[test]
fn ntk_10_complexity_rises_with_label_noise() {
    check_claim("NTK-10");
}

#[test]
fn ntk_11_graphons_agree_at_high_density() {
    check_claim("NTK-11");
}

#[test]
fn ntk_12_snip_graphon_costs_more_on_the_synthetic_task() {
    check_claim("NTK-12");
}

fn small_synthetic() -> BinaryTask {
    synthetic_task(&figure2_synthetic(120), MasterSeed::default(), "TEST-FIG2").unwrap()
}

/// `W_j = P(|ξ| > τ*/ψ_j) = erfc(τ*/(ψ_j √2))`, read back column by column through the sorted
/// empirical profile; density ρ to the τ* solve's accuracy (its certified bracket is far
/// tighter than 1e-9 at these sizes), and 0 exactly on the zero columns.
#[test]
fn snip_graphon_matches_its_closed_form() {
    let task = small_synthetic();
    let psi = column_covariance(task.x.as_ref(), &task.y).unwrap();
    for rho in [0.05, 0.2, 0.8] {
        let g = snip_graphon(&psi, Density::new(rho).unwrap()).unwrap();
        assert!(!g.saturated);
        let tau = g.tau_star.unwrap();
        for (j, &p) in psi.iter().enumerate() {
            let w = g.graphon.w()[(0, j)];
            if p == 0.0 {
                assert_eq!(w, 0.0, "column {j}");
            } else {
                let z = tau / (p * std::f64::consts::SQRT_2);
                let exact = erfc(z);
                // Both routes evaluate erfc to (8 + z²)ε relative (limit.rs, TAIL_REL_ERR) and
                // round the argument differently (≤ 4u relative, amplified by
                // |d ln erfc / d ln z| ≤ 2z² + 1 near the tail): (16 + 6z² + 4)ε in all.
                let allowance = (20.0 + 6.0 * z * z) * f64::EPSILON * exact;
                assert!(
                    (w - exact).abs() <= allowance,
                    "ρ {rho} column {j}: {w} vs {exact}"
                );
            }
        }
        assert!((g.graphon.density() - rho).abs() < 1e-9, "ρ {rho}");
    }
    // The informative block (the first 8 coordinates) is kept most.
    let g = snip_graphon(&psi, Density::constant(0.1)).unwrap();
    let w = g.graphon.w();
    let informative = (0..8).map(|j| w[(0, j)]).fold(f64::INFINITY, f64::min);
    let noise = (8..56).map(|j| w[(0, j)]).fold(0.0, f64::max);
    assert!(informative > noise, "{informative} vs {noise}");
}

#[test]
fn saturated_snip_graphon_keeps_density_and_gives_the_dense_corrected_complexity() {
    // MNIST pairs have many blank pixels: at ρ = 0.8 the profile's support is too small.
    let set = load(&DataSpec::Mnist, MasterSeed::default(), "TEST").unwrap();
    let task = digit_pair(&set, 0, 1, Some(60), MasterSeed::default()).unwrap();
    let psi = column_covariance(task.x.as_ref(), &task.y).unwrap();
    let g = snip_graphon(&psi, Density::constant(0.8)).unwrap();
    assert!(g.saturated && g.tau_star.is_none());
    assert!((g.graphon.density() - 0.8).abs() < 1e-12);
    // Blank pixels carry x = 0 in every row, so the kernel is the dense one scaled by 1/ρ.
    let snip = factored_kernel(&task, &g.graphon)
        .unwrap()
        .complexity(&task.y)
        .unwrap();
    let dense = factored_kernel(&task, &KernelGraphon::constant(0.8, task.dims()).unwrap())
        .unwrap()
        .complexity(&task.y)
        .unwrap();
    assert!((snip.corrected - dense.corrected).abs() <= 1e-9 * dense.corrected);
    assert!((snip.scale - 1.0 / 0.8).abs() < 1e-12);
}

/// The closed form `E[y'ᵀAy'] = (1 − f)² yᵀAy + (1 − (1 − f)²) tr A` against the exact
/// expectation by enumerating all 2^N outcomes (label i flips with probability f/2).
#[test]
fn expected_complexity_is_the_exact_mean_of_the_randomisation() {
    let a = faer::mat![[2.0, 0.3, -0.1], [0.3, 1.0, 0.2], [-0.1, 0.2, 0.5]];
    let y = [1.0, -1.0, 1.0];
    let quad = |v: &[f64]| -> f64 {
        (0..3)
            .flat_map(|i| (0..3).map(move |j| (i, j)))
            .map(|(i, j)| v[i] * a[(i, j)] * v[j])
            .sum()
    };
    for f in [0.0, 0.3, 1.0] {
        let mut mean = 0.0;
        for mask in 0u32..8 {
            let flips: Vec<bool> = (0..3).map(|i| mask >> i & 1 == 1).collect();
            let p: f64 = flips
                .iter()
                .map(|&b| if b { f / 2.0 } else { 1.0 - f / 2.0 })
                .product();
            let v: Vec<f64> = (0..3)
                .map(|i| if flips[i] { -y[i] } else { y[i] })
                .collect();
            mean += p * quad(&v);
        }
        let closed = expected_complexity(quad(&y), 3.5, f);
        assert!((mean - closed).abs() < 1e-14, "f = {f}: {mean} vs {closed}");
    }
}

#[test]
fn one_factor_gives_the_same_numbers_as_complexity() {
    let task = small_synthetic();
    let g = KernelGraphon::column_profile(&vec![0.3; task.dims()]).unwrap();
    let k = graphon_ntk(task.x.as_ref(), &g, Layers::First).unwrap();
    let f = FactoredKernel::new(k.k.as_ref()).unwrap();
    assert_eq!(
        f.complexity(&task.y).unwrap(),
        complexity(k.k.as_ref(), &task.y).unwrap()
    );
    let indefinite = faer::mat![[0.5, 1.0], [1.0, 0.5]];
    assert!(matches!(
        FactoredKernel::new(indefinite.as_ref()),
        Err(NtkError::Indefinite { .. })
    ));
}

fn small_figure(threads: usize, profile: ProfileLabels) -> String {
    let task = small_synthetic();
    let config = Figure2Config {
        densities: vec![Density::constant(0.1), Density::constant(0.5)],
        noise_levels: vec![0.0, 0.5, 1.0],
        seeds: 3,
        profile,
    };
    let fig = on_threads(threads, || {
        figure2(&config, &task, MasterSeed::default(), &mut |_, _| {})
    })
    .unwrap();
    serde_json::to_string(&fig).unwrap()
}

#[test]
fn figure2_does_not_depend_on_the_thread_count() {
    for profile in [ProfileLabels::Clean, ProfileLabels::Noisy] {
        assert_eq!(
            small_figure(1, profile),
            small_figure(2, profile),
            "{profile:?}"
        );
    }
}

#[test]
fn figure2_rejects_bad_configurations() {
    let task = small_synthetic();
    let bad = [
        // A density outside (0, 1) cannot reach the config: `Density` refuses it.
        Figure2Config {
            densities: vec![],
            ..Default::default()
        },
        Figure2Config {
            noise_levels: vec![1.5],
            ..Default::default()
        },
        Figure2Config {
            seeds: 0,
            ..Default::default()
        },
    ];
    for c in bad {
        assert!(
            figure2(&c, &task, MasterSeed::default(), &mut |_, _| {}).is_err(),
            "{c:?}"
        );
    }
}
