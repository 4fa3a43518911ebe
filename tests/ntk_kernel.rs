//! The graphon NTK and the empirical NTK: definitions, shapes, bad input, determinism.

use pai_graphon::ntk::empirical::{empirical_ntk, MaskedNet};
use pai_graphon::ntk::kernel::{graphon_ntk, unit_rows, KernelGraphon, Layers};
use pai_graphon::seed::MasterSeed;
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

#[test]
fn empirical_ntk_approaches_the_dense_kernel() {
    let (d, samples) = (64, 6);
    let x = inputs(samples, d, "ntk-kernel/x2");
    let k = graphon_ntk(
        x.as_ref(),
        &KernelGraphon::constant(1.0, d).unwrap(),
        Layers::Both,
    )
    .unwrap()
    .k;
    let mut rng = MasterSeed::default().stream("ntk-kernel/w");
    let n = 20000;
    let w = faer::Mat::from_fn(n, d, |_, _| StandardNormal.sample(&mut rng));
    let a: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
    let net = MaskedNet {
        w: w.as_ref(),
        a: &a,
        mask: None,
        rho: 1.0,
    };
    let t = std::time::Instant::now();
    let e = empirical_ntk(x.as_ref(), &net, Layers::Both).unwrap();
    let diff = (&e - &k).norm_l2() / k.norm_l2();
    eprintln!("relative Frobenius error {diff:e} in {:?}", t.elapsed());
    assert!(diff < 0.1);
}
