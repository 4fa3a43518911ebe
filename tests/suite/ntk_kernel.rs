//! The graphon NTK and the empirical NTK: the quadrature bound, the gradient Gram matrix by
//! brute force, thread-count independence, bad input.

use crate::common;
use pai_graphon::mask::{top_k_mask, Mask};
use pai_graphon::ntk::bound::complexity;
use pai_graphon::ntk::empirical::{empirical_ntk, MaskedNet};
use pai_graphon::ntk::kernel::{graphon_ntk, unit_rows, KernelGraphon, Layers};
use pai_graphon::ntk::NtkError;
use pai_graphon::seed::MasterSeed;
use pai_graphon::tol::sum_allowance;
use rand_distr::{Distribution, StandardNormal};

fn inputs(n: usize, d: usize, label: &str) -> faer::Mat<f64> {
    let mut rng = MasterSeed::default().stream(label);
    let x = faer::Mat::from_fn(n, d, |_, _| StandardNormal.sample(&mut rng));
    unit_rows(x.as_ref()).unwrap()
}

#[test]
fn quadrature_bound_contains_a_fine_rule() {
    let x = inputs(12, 20, "ntk-kernel/x");
    let f = |u: f64, v: f64| (0.1 + 0.8 * u * v).min(1.0);
    for layers in [Layers::First, Layers::Both] {
        let coarse = graphon_ntk(
            x.as_ref(),
            &KernelGraphon::monotone_in_u(20, 8, f).unwrap(),
            layers,
        )
        .unwrap();
        let fine = graphon_ntk(
            x.as_ref(),
            &KernelGraphon::monotone_in_u(20, 64, f).unwrap(),
            layers,
        )
        .unwrap();
        let b = coarse.quadrature_bound.unwrap();
        let err = (0..12)
            .flat_map(|i| (0..12).map(move |j| (i, j)))
            .map(|(i, j)| (coarse.k[(i, j)] - fine.k[(i, j)]).abs())
            .fold(0.0, f64::max);
        eprintln!(
            "{layers:?}: bound {b:e}, |coarse − fine| {err:e}, fine bound {:e}",
            fine.quadrature_bound.unwrap()
        );
        assert!(err <= b + fine.quadrature_bound.unwrap());
    }
}

/// Θ by brute force: the gradient vector of every input, then every inner product.
fn brute_force(
    x: &faer::Mat<f64>,
    w: &faer::Mat<f64>,
    a: &[f64],
    m: &Mask,
    rho: f64,
) -> (faer::Mat<f64>, faer::Mat<f64>) {
    let (samples, d, n) = (x.nrows(), x.ncols(), w.nrows());
    let kept = |i: usize, j: usize| if m.get(i, j).unwrap() { 1.0 } else { 0.0 };
    let z = |b: usize, i: usize| {
        (0..d)
            .map(|j| kept(i, j) * w[(i, j)] * x[(b, j)])
            .sum::<f64>()
            / rho.sqrt()
    };
    let grad = |b: usize| -> Vec<f64> {
        (0..n * d)
            .map(|c| {
                let (i, j) = (c / d, c % d);
                let g = if z(b, i) > 0.0 { 1.0 } else { 0.0 };
                a[i] * g * kept(i, j) * x[(b, j)] / (n as f64 * rho).sqrt()
            })
            .collect()
    };
    let grads: Vec<Vec<f64>> = (0..samples).map(grad).collect();
    let mut theta = faer::Mat::zeros(samples, samples);
    let mut abs = faer::Mat::zeros(samples, samples);
    for b in 0..samples {
        for c in 0..samples {
            theta[(b, c)] = grads[b].iter().zip(&grads[c]).map(|(p, q)| p * q).sum();
            abs[(b, c)] = grads[b]
                .iter()
                .zip(&grads[c])
                .map(|(p, q)| (p * q).abs())
                .sum();
        }
    }
    (theta, abs)
}

#[test]
fn empirical_ntk_is_the_gradient_gram_matrix() {
    let (samples, d, n) = (5, 7, 70);
    let x = inputs(samples, d, "ntk-kernel/x2");
    let mut rng = MasterSeed::default().stream("ntk-kernel/w");
    let w = faer::Mat::from_fn(n, d, |_, _| StandardNormal.sample(&mut rng));
    let a: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
    let scores: Vec<f64> = (0..n * d)
        .map(|_| StandardNormal.sample(&mut rng))
        .collect();
    let mask = top_k_mask(n, d, &scores, 196).unwrap();
    let rho = 196.0 / (n * d) as f64;
    let net = MaskedNet {
        w: w.as_ref(),
        a: &a,
        mask: Some(&mask),
        rho,
    };
    let fast = empirical_ntk(x.as_ref(), &net, Layers::First).unwrap();
    let (slow, abs) = brute_force(&x, &w, &a, &mask, rho);
    for b in 0..samples {
        for c in 0..samples {
            // Both sides are sums of the same n·d products in different orders (Higham 4.4).
            let allowance = 2.0 * sum_allowance(n * d, abs[(b, c)]).unwrap();
            assert!(
                (fast[(b, c)] - slow[(b, c)]).abs() <= allowance,
                "({b}, {c})"
            );
        }
    }
}

#[test]
fn kernels_do_not_depend_on_the_thread_count() {
    let x = inputs(150, 30, "ntk-kernel/x3");
    let g = KernelGraphon::monotone_in_u(30, 5, |u, v| (0.2 + 0.5 * u * v).min(1.0)).unwrap();
    let mut rng = MasterSeed::default().stream("ntk-kernel/w3");
    let w = faer::Mat::from_fn(100, 30, |_, _| StandardNormal.sample(&mut rng));
    let a = vec![1.0; 100];
    let net = MaskedNet {
        w: w.as_ref(),
        a: &a,
        mask: None,
        rho: 1.0,
    };
    let run = |threads: usize| {
        common::on_threads(threads, || {
            let k = graphon_ntk(x.as_ref(), &g, Layers::Both).unwrap();
            let e = empirical_ntk(x.as_ref(), &net, Layers::Both).unwrap();
            (k.k, k.quadrature_bound, e)
        })
    };
    assert!(run(1) == run(3));
}

#[test]
fn bad_input_is_rejected() {
    let x = inputs(3, 4, "ntk-kernel/x4");
    let g = KernelGraphon::constant(0.5, 4).unwrap();
    assert!(graphon_ntk(
        x.as_ref(),
        &KernelGraphon::constant(0.5, 5).unwrap(),
        Layers::First
    )
    .is_err());
    let raw = faer::mat![[1.0, 1.0, 0.0, 0.0]];
    assert!(
        graphon_ntk(raw.as_ref(), &g, Layers::First).is_err(),
        "rows must be unit norm"
    );
    assert!(unit_rows(faer::Mat::<f64>::zeros(0, 4).as_ref()).is_err());
    assert!(KernelGraphon::constant(0.0, 4).is_err());
    assert!(KernelGraphon::column_profile(&[0.0, 0.0]).is_err());
    assert!(KernelGraphon::column_profile(&[f64::NAN]).is_err());
    assert!(KernelGraphon::new(
        vec![0.5, 0.6],
        vec![0.5, 0.6],
        faer::Mat::from_fn(2, 1, |_, _| 0.5)
    )
    .is_err());
    let k = graphon_ntk(x.as_ref(), &g, Layers::First).unwrap().k;
    assert!(complexity(k.as_ref(), &[1.0, -1.0, 2.0]).is_err());
    assert!(complexity(k.as_ref(), &[1.0, -1.0]).is_err());
    let indefinite = faer::mat![[0.5, 0.6], [0.6, 0.5]];
    let r = complexity(indefinite.as_ref(), &[1.0, -1.0]);
    assert!(matches!(r, Err(NtkError::Indefinite { .. })), "{r:?}");
}
