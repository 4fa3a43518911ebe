//! The dense limit of the graphon NTK (NTK-1) and the deep graphon NTK (NTK-15): the claims,
//! the one-layer cross-check deep(L = 1, W) = ρ K_W, bad input, determinism and (feature
//! `mpfr`) the MPFR reference.

use crate::common;

use pai_graphon::graphon::step::StepGraphon;
use pai_graphon::ntk::deep::{deep_ntk, dense_ntk, graphon_ntk_bound, DeepGraphon, Output};
use pai_graphon::ntk::kernel::{graphon_ntk, unit_rows, KernelGraphon, Layers};
use pai_graphon::seed::MasterSeed;
use rand_distr::{Distribution, StandardNormal};

const U: f64 = f64::EPSILON / 2.0;

fn inputs(n: usize, d: usize, label: &str) -> faer::Mat<f64> {
    let mut rng = MasterSeed::default().stream(label);
    let x = faer::Mat::from_fn(n, d, |_, _| StandardNormal.sample(&mut rng));
    unit_rows(x.as_ref()).unwrap()
}

#[test]
fn ntk_1_dense_limit_matches_arora() {
    common::check_claim("NTK-1");
}

#[test]
fn ntk_15_deep_kernel_scales_as_c_to_the_l() {
    common::check_claim("NTK-15");
}

/// One hidden layer, any graphon: the predecessor's kernel (no density normalisation) is ρ̂
/// times the graphon NTK normalised by ρ̂ — ρ cancels in t — whether the output is trained or
/// not. Allowance: the deep running bound, ρ̂ times twice the graphon bound, and the product's
/// rounding.
#[test]
fn deep_one_layer_is_density_times_graphon_kernel() {
    let d = 12;
    let x = inputs(20, d, "ntk-deep/one-layer");
    let step = StepGraphon::new(
        vec![0.25, 0.5, 0.25],
        vec![0.5, 0.5],
        vec![vec![0.9, 0.1], vec![0.3, 0.6], vec![0.0, 1.0]],
    )
    .unwrap();
    let kg = KernelGraphon::step(&step, d).unwrap();
    let rho = kg.density();
    let deep = DeepGraphon::new(vec![kg.weights().to_vec()], vec![kg.w().to_owned()]).unwrap();
    for (layers, output) in [
        (Layers::First, Output::Fixed),
        (Layers::Both, Output::Trained),
    ] {
        let k = graphon_ntk(x.as_ref(), &kg, layers).unwrap().k;
        let kb = graphon_ntk_bound(x.as_ref(), &kg, layers).unwrap();
        let th = deep_ntk(x.as_ref(), &deep, output).unwrap();
        let mut worst = 0.0f64;
        for i in 0..x.nrows() {
            for j in 0..x.nrows() {
                let scaled = rho * k[(i, j)];
                let allow = (th.bound[(i, j)] + rho * 2.0 * kb[(i, j)] + U * scaled.abs())
                    * (1.0 + 4.0 * U);
                worst = worst.max((scaled - th.k[(i, j)]).abs() / allow);
            }
        }
        eprintln!("{layers:?}: worst |ρK_W − Θ| / allowance = {worst:.3e}");
        assert!(worst <= 1.0);
    }
}

/// A deliberately wrong density (ρ̂ · 1.001) breaks the same comparison.
#[test]
fn deep_one_layer_rejects_a_wrong_density() {
    let d = 8;
    let x = inputs(10, d, "ntk-deep/one-layer-control");
    let kg = KernelGraphon::column_profile(&[0.2, 0.4, 0.6, 0.8, 0.2, 0.4, 0.6, 0.8]).unwrap();
    let deep = DeepGraphon::new(vec![vec![1.0]], vec![kg.w().to_owned()]).unwrap();
    let k = graphon_ntk(x.as_ref(), &kg, Layers::First).unwrap().k;
    let th = deep_ntk(x.as_ref(), &deep, Output::Fixed).unwrap();
    let wrong = kg.density() * 1.001;
    assert!((wrong * k[(0, 0)] - th.k[(0, 0)]).abs() > 1e3 * th.bound[(0, 0)]);
}

/// Each hidden layer of a constant graphon multiplies the kernel by c, on random inputs too,
/// and a deeper non-constant graphon with the same density does not.
#[test]
fn deep_constant_identity_on_gaussian_inputs() {
    let x = inputs(16, 10, "ntk-deep/gaussian");
    for depth in 1..=4 {
        let dense = deep_ntk(
            x.as_ref(),
            &DeepGraphon::constant(1.0, 10, depth).unwrap(),
            Output::Trained,
        )
        .unwrap();
        let c = 0.37;
        let th = deep_ntk(
            x.as_ref(),
            &DeepGraphon::constant(c, 10, depth).unwrap(),
            Output::Trained,
        )
        .unwrap();
        let cl = c.powi(depth as i32);
        for i in 0..16 {
            for j in 0..16 {
                let allow = th.bound[(i, j)]
                    + 2.0 * cl * dense.bound[(i, j)]
                    + 8.0 * U * th.k[(i, j)].abs();
                assert!(
                    (th.k[(i, j)] - cl * dense.k[(i, j)]).abs() <= allow,
                    "L={depth} ({i},{j})"
                );
            }
        }
    }
}

/// The dense reference on exactly representable inputs: orthogonal and parallel pairs.
#[test]
fn dense_reference_on_known_pairs() {
    let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]];
    let h = dense_ntk(x.as_ref(), Layers::Both).unwrap();
    // t = 0: κ0 = 1/4, κ1 = 1/(2π); t = −1: both 0.
    assert_eq!(h.k[(0, 1)], 1.0 / (2.0 * std::f64::consts::PI));
    assert!(h.k[(0, 2)].abs() <= h.bound[(0, 2)]);
    assert_eq!(h.k[(0, 0)], 1.0);
}

#[test]
fn bad_input_is_rejected() {
    let x = faer::mat![[1.0, 1.0]];
    assert!(dense_ntk(x.as_ref(), Layers::First).is_err());
    let g = DeepGraphon::constant(0.5, 3, 2).unwrap();
    let unit = inputs(2, 2, "ntk-deep/bad");
    assert!(deep_ntk(unit.as_ref(), &g, Output::Fixed).is_err());
    assert!(DeepGraphon::new(vec![vec![0.5, 0.5]], vec![faer::mat![[0.5]]]).is_err());
    assert!(DeepGraphon::new(vec![vec![0.7]], vec![faer::mat![[0.5]]]).is_err());
    assert!(DeepGraphon::midpoint(3, 0, 2, |_, _| 0.5, |_, _| 0.5).is_err());
}

#[test]
fn deep_kernel_does_not_depend_on_the_thread_count() {
    let x = inputs(24, 6, "ntk-deep/threads");
    let g = DeepGraphon::midpoint(6, 3, 8, |u, v| u * v, |u, v| (u + v) / 2.0).unwrap();
    let run = |threads| {
        common::on_threads(threads, || {
            deep_ntk(x.as_ref(), &g, Output::Trained).unwrap()
        })
    };
    let (a, b) = (run(1), run(3));
    assert_eq!(a.k, b.k);
    assert_eq!(a.bound, b.bound);
}

/// A zero row of W (a dead hidden node) contributes nothing, in both kernels.
#[test]
fn dead_nodes_contribute_nothing() {
    let x = inputs(5, 4, "ntk-deep/dead");
    let g = DeepGraphon::new(
        vec![vec![0.5, 0.5], vec![0.5, 0.5]],
        vec![
            faer::mat![[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]],
            faer::mat![[1.0, 1.0], [0.0, 0.0]],
        ],
    )
    .unwrap();
    let th = deep_ntk(x.as_ref(), &g, Output::Trained).unwrap();
    assert!(th.k[(0, 0)] > 0.0 && th.k[(0, 0)].is_finite());
}

#[cfg(feature = "mpfr")]
mod mpfr {
    use super::*;
    use pai_graphon::mp::ntk::dense_ntk_mp;
    use pai_graphon::net::data::{load, DataSpec};
    use rug::Float;

    fn rows(spec: &DataSpec, n: usize) -> faer::Mat<f64> {
        let set = load(spec, MasterSeed::default(), "unused").unwrap();
        let x = faer::Mat::from_fn(n, set.d, |b, j| set.x[b * set.d + j]);
        unit_rows(x.as_ref()).unwrap()
    }

    /// Both f64 paths lie within their f64 bounds of the 128-bit kernel (digits and MNIST
    /// rows, first layer and both layers, several densities).
    #[test]
    fn f64_kernels_agree_with_mpfr() {
        for (spec, n) in [(DataSpec::Digits { side: 8 }, 32), (DataSpec::Mnist, 12)] {
            let x = rows(&spec, n);
            for layers in [Layers::First, Layers::Both] {
                let mp = dense_ntk_mp(x.as_ref(), layers, 128).unwrap();
                let dense = dense_ntk(x.as_ref(), layers).unwrap();
                let mut worst: (f64, f64) = (0.0, 0.0);
                for rho in [1.0, 0.3, 0.01] {
                    let g = KernelGraphon::constant(rho, x.ncols()).unwrap();
                    let k = graphon_ntk(x.as_ref(), &g, layers).unwrap().k;
                    let kb = graphon_ntk_bound(x.as_ref(), &g, layers).unwrap();
                    let rel = if g.density() == rho {
                        0.0
                    } else {
                        pai_graphon::tol::gamma(x.ncols()).unwrap() * 1.01
                    };
                    for i in 0..n {
                        for j in 0..n {
                            let r = mp.at(i, j);
                            let diff = |v: f64| (Float::with_val(128, v) - r).abs().to_f64();
                            let allow_g =
                                2.0 * kb[(i, j)] + rel * (r.to_f64().abs() + 1e-300) + mp.bound;
                            let allow_d = dense.bound[(i, j)] + mp.bound;
                            worst.0 = worst.0.max(diff(k[(i, j)]) / (allow_g * (1.0 + 4.0 * U)));
                            worst.1 = worst
                                .1
                                .max(diff(dense.k[(i, j)]) / (allow_d * (1.0 + 4.0 * U)));
                        }
                    }
                }
                eprintln!(
                    "{layers:?}: worst ratio graphon {:.3e}, dense {:.3e}, mp bound {:e}",
                    worst.0, worst.1, mp.bound
                );
                assert!(worst.0 <= 1.0 && worst.1 <= 1.0);
            }
        }
    }
}
