//! The network, data sets and pruning criteria: closed-form derivatives against central finite
//! differences, mask invariants for every criterion, iterative pruning, thread-count
//! determinism, data facts and bad input.

use crate::common;
use pai_graphon::mask::{top_k_mask, KeptCount, Mask};
use pai_graphon::net::criteria::{
    batch_indices, kept_schedule, prune, scores, GraspVariant, Method, PruneSpec, Residual,
};
use pai_graphon::net::data::{
    load, sha256_hex, upsample, DataSet, DataSpec, DIGITS_SHA256, MNIST_SHA256,
};
use pai_graphon::net::{NetError, Network};
use pai_graphon::params::Density;
use pai_graphon::seed::MasterSeed;
use pai_graphon::tol::{gamma, UNIT_ROUNDOFF};
use pai_graphon::Error;
use rand_distr::{Distribution, StandardNormal};

/// The default master seed.
fn seed() -> MasterSeed {
    MasterSeed::default()
}

fn digits() -> DataSet {
    load(&DataSpec::parse("digits").unwrap(), seed(), "TEST-NET").unwrap()
}

// ---------------------------------------------------------------------------------------------
// Finite differences.
//
// For fixed gates f is linear in w, so L is quadratic in w and ∇L linear: the central difference
// (L(w + h e) − L(w − h e)) / (2h) equals ∂L/∂w exactly, and (∇L(w + h v) − ∇L(w − h v)) / (2h)
// equals H v exactly, as long as no gate flips between w − h v and w + h v. The step h is the
// largest power of two (at most 2^−10) with max_b,i |Δz_ib| ≤ min_b,i |z_ib| / 2, so no gate
// flips (and every computed z keeps its sign: its rounding error is ~1e−15 ≪ the margin).
// Weights live on the 2^−20 grid and directions on the 2^−4 grid, so w ± h v is exact.
//
// What remains is rounding. Every quantity is a composition of sums and products (relu acts as
// a product by its fixed gate), so its computed value is within γ_K · (the same expression with
// every input replaced by its absolute value) of the exact one (Higham, §3.1–3.3), with K the
// longest chain of roundings: d (first-layer dot) + n (sum over neurons) + 2B (residual sums and
// the batch sum of the pullback) + 16 (scale factors, residual, square, quotients).
// ---------------------------------------------------------------------------------------------

struct Problem {
    net: Network,
    x: Vec<f64>,
    y: Vec<f64>,
    n: usize,
    d: usize,
    batch: usize,
}

fn quantised(v: f64, bits: i32) -> f64 {
    (v * 2f64.powi(bits)).round() / 2f64.powi(bits)
}

fn problem(n: usize, d: usize, batch: usize) -> Problem {
    let net = Network::init(n, d, seed(), "TEST-NET/fd").unwrap();
    let w = net.weights().iter().map(|&v| quantised(v, 20)).collect();
    let net = Network::from_weights(n, d, w, net.output_weights().to_vec()).unwrap();
    let mut rng = seed().stream("TEST-NET/fd/x");
    let x: Vec<f64> = (0..batch * d)
        .map(|_| StandardNormal.sample(&mut rng))
        .collect();
    let y = (0..batch)
        .map(|b| if b % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    Problem {
        net,
        x,
        y,
        n,
        d,
        batch,
    }
}

impl Problem {
    fn chain(&self) -> usize {
        self.d + self.n + 2 * self.batch + 16
    }

    fn with_weights(&self, w: Vec<f64>) -> Network {
        Network::from_weights(self.n, self.d, w, self.net.output_weights().to_vec()).unwrap()
    }

    /// `d^(−1/2) Σ_j |v_ij x_bj|` and the signed `z_ib` for v = masked weights or direction.
    fn first_layer(&self, v: &[f64], mask: Option<&Mask>, absolute: bool) -> Vec<f64> {
        let (n, d) = (self.n, self.d);
        let mut out = vec![0.0; n * self.batch];
        for i in 0..n {
            for b in 0..self.batch {
                let mut s = 0.0;
                for j in 0..d {
                    if mask.is_none_or(|m| m.get(i, j) == Some(true)) {
                        let t = v[i * d + j] * self.x[b * d + j];
                        s += if absolute { t.abs() } else { t };
                    }
                }
                out[i * self.batch + b] = s / (d as f64).sqrt();
            }
        }
        out
    }

    /// `F_b = n^(−1/2) Σ_i |a_i| Zabs_ib`: the absolute-value forward pass of v.
    fn abs_forward(&self, v: &[f64], mask: Option<&Mask>) -> Vec<f64> {
        let z = self.first_layer(v, mask, true);
        let a = self.net.output_weights();
        (0..self.batch)
            .map(|b| {
                (0..self.n)
                    .map(|i| a[i].abs() * z[i * self.batch + b])
                    .sum::<f64>()
                    / (self.n as f64).sqrt()
            })
            .collect()
    }

    /// `(1/(2B)) Σ_b (F_b + |y_b|)²`.
    fn abs_loss(&self, w: &[f64], mask: Option<&Mask>) -> f64 {
        let f = self.abs_forward(w, mask);
        f.iter()
            .zip(&self.y)
            .map(|(f, y)| (f + y.abs()).powi(2))
            .sum::<f64>()
            / (2.0 * self.batch as f64)
    }

    /// `(1/(B√(nd))) Σ_b c_b |a_i| |x_bj|` for non-negative c.
    fn abs_pullback(&self, c: &[f64]) -> Vec<f64> {
        let (n, d, a) = (self.n, self.d, self.net.output_weights());
        let scale = 1.0 / (self.batch as f64 * ((n * d) as f64).sqrt());
        let mut out = vec![0.0; n * d];
        for i in 0..n {
            for j in 0..d {
                let s: f64 = (0..self.batch)
                    .map(|b| c[b] * self.x[b * d + j].abs())
                    .sum();
                out[i * d + j] = s * a[i].abs() * scale;
            }
        }
        out
    }

    fn abs_gradient(&self, w: &[f64], mask: Option<&Mask>) -> Vec<f64> {
        let f = self.abs_forward(w, mask);
        let c: Vec<f64> = f.iter().zip(&self.y).map(|(f, y)| f + y.abs()).collect();
        self.abs_pullback(&c)
    }

    /// The largest power of two h ≤ 2^−10 such that moving the weights by ±h·dir changes no
    /// |z_ib| by more than half of min |z_ib|.
    fn step(&self, dir: &[f64], mask: Option<&Mask>) -> f64 {
        let z = self.first_layer(self.net.weights(), mask, false);
        let margin = z.iter().fold(f64::INFINITY, |m, v| m.min(v.abs()));
        let change = self
            .first_layer(dir, mask, true)
            .into_iter()
            .fold(0.0, f64::max);
        let mut h = 2f64.powi(-10);
        while h * change > margin / 2.0 {
            h /= 2.0;
        }
        h
    }
}

#[test]
fn gradient_matches_central_differences() {
    let p = problem(6, 5, 4);
    let mask = top_k_mask(
        6,
        5,
        &(0..30).map(|k| ((k * 7) % 11) as f64).collect::<Vec<_>>(),
        20,
    )
    .unwrap();
    let g_k = gamma(p.chain()).unwrap();
    for mask in [None, Some(&mask)] {
        let w = p.net.weights().to_vec();
        let grad = p.net.gradient(mask, &p.x, &p.y).unwrap();
        let g_abs = p.abs_gradient(&w, mask);
        let largest = grad.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for idx in 0..w.len() {
            let mut e = vec![0.0; w.len()];
            e[idx] = 1.0;
            let h = p.step(&e, mask);
            assert!(h >= 2f64.powi(-16), "step {h} too small for exact w ± h");
            let (mut wp, mut wm) = (w.clone(), w.clone());
            wp[idx] += h;
            wm[idx] -= h;
            let lp = p.with_weights(wp.clone()).loss(mask, &p.x, &p.y).unwrap();
            let lm = p.with_weights(wm.clone()).loss(mask, &p.x, &p.y).unwrap();
            let fd = (lp - lm) / (2.0 * h);
            let allowance = g_k
                * ((p.abs_loss(&wp, mask) + p.abs_loss(&wm, mask)) / (2.0 * h) + g_abs[idx])
                + UNIT_ROUNDOFF * (lp - lm).abs() / (2.0 * h);
            assert!(
                (fd - grad[idx]).abs() <= allowance,
                "entry {idx}: finite difference {fd} vs closed form {} (allowance {allowance:e})",
                grad[idx]
            );
            // The check has power: it would see a relative error of 1e−6 of the largest entry.
            assert!(
                allowance < 1e-6 * largest,
                "allowance {allowance:e} too loose"
            );
        }
    }
}

#[test]
fn hessian_vector_matches_central_differences() {
    let p = problem(7, 6, 5);
    let mask = top_k_mask(
        7,
        6,
        &(0..42).map(|k| ((k * 5) % 13) as f64).collect::<Vec<_>>(),
        30,
    )
    .unwrap();
    let g_k = gamma(p.chain()).unwrap();
    let mut rng = seed().stream("TEST-NET/fd/v");
    let v: Vec<f64> = (0..42)
        .map(|_| quantised(StandardNormal.sample(&mut rng), 4))
        .collect();
    for mask in [None, Some(&mask)] {
        let w = p.net.weights().to_vec();
        let hv = p.net.hessian_vector(mask, &p.x, &v).unwrap();
        let h = p.step(&v, mask);
        assert!(h >= 2f64.powi(-16), "step {h} too small for exact w ± h v");
        let wp: Vec<f64> = w.iter().zip(&v).map(|(w, v)| w + h * v).collect();
        let wm: Vec<f64> = w.iter().zip(&v).map(|(w, v)| w - h * v).collect();
        let gp = p
            .with_weights(wp.clone())
            .gradient(mask, &p.x, &p.y)
            .unwrap();
        let gm = p
            .with_weights(wm.clone())
            .gradient(mask, &p.x, &p.y)
            .unwrap();
        let (gp_abs, gm_abs) = (p.abs_gradient(&wp, mask), p.abs_gradient(&wm, mask));
        let hv_abs = p.abs_pullback(&p.abs_forward(&v, mask));
        let largest = hv.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        for idx in 0..w.len() {
            let fd = (gp[idx] - gm[idx]) / (2.0 * h);
            let allowance = g_k * ((gp_abs[idx] + gm_abs[idx]) / (2.0 * h) + hv_abs[idx])
                + UNIT_ROUNDOFF * (gp[idx] - gm[idx]).abs() / (2.0 * h);
            assert!(
                (fd - hv[idx]).abs() <= allowance,
                "entry {idx}: finite difference {fd} vs closed form {} (allowance {allowance:e})",
                hv[idx]
            );
            assert!(
                allowance < 1e-6 * largest,
                "allowance {allowance:e} too loose"
            );
        }
        if let Some(m) = mask {
            let pruned = (0..42).filter(|&k| m.get(k / 6, k % 6) == Some(false));
            assert!(pruned.into_iter().all(|k| hv[k] == 0.0));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Masks.
// ---------------------------------------------------------------------------------------------

fn assert_top_k(scores: &[f64], mask: &Mask, k: u64, what: &str) {
    let d = mask.cols();
    assert_eq!(mask.kept(), k, "{what}: kept count");
    let kept: Vec<bool> = (0..scores.len())
        .map(|x| mask.get(x / d, x % d).unwrap())
        .collect();
    assert_eq!(
        kept.iter().filter(|&&b| b).count() as u64,
        k,
        "{what}: bits"
    );
    let min_kept = (0..scores.len())
        .filter(|&x| kept[x])
        .map(|x| scores[x])
        .fold(f64::INFINITY, f64::min);
    let max_pruned = (0..scores.len())
        .filter(|&x| !kept[x])
        .map(|x| scores[x])
        .fold(f64::NEG_INFINITY, f64::max);
    assert!(
        min_kept >= max_pruned,
        "{what}: kept {min_kept} < pruned {max_pruned}"
    );
    assert_eq!(mask.threshold(), min_kept, "{what}: threshold");
}

#[test]
fn every_method_keeps_exactly_the_top_k() {
    let set = digits();
    let net = Network::init(24, 64, seed(), "TEST-NET/topk").unwrap();
    for method in Method::ALL {
        for batch in [None, Some(50)] {
            let spec = PruneSpec {
                batch,
                ..PruneSpec::new(method, Density::constant(0.3))
            };
            let p = prune(&net, &set, &spec, seed(), "TEST-NET/topk").unwrap();
            let s = scores(&net, &set, &spec, seed(), "TEST-NET/topk").unwrap();
            assert_eq!(p.scores, s, "{method}: single-shot scores");
            assert!(s.iter().all(|v| v.is_finite()));
            assert_top_k(&s, &p.mask, 461, &format!("{method} batch {batch:?}"));
        }
    }
}

#[test]
fn signed_grasp_has_negative_scores_and_keeps_the_largest() {
    let set = digits();
    let net = Network::init(24, 64, seed(), "TEST-NET/grasp").unwrap();
    let signed = prune(
        &net,
        &set,
        &PruneSpec::new(Method::Grasp(GraspVariant::Signed), Density::constant(0.5)),
        seed(),
        "G",
    )
    .unwrap();
    let abs = scores(
        &net,
        &set,
        &PruneSpec::new(
            Method::Grasp(GraspVariant::Magnitude),
            Density::constant(0.5),
        ),
        seed(),
        "G",
    )
    .unwrap();
    assert!(signed.scores.iter().any(|&s| s < 0.0) && signed.scores.iter().any(|&s| s > 0.0));
    for (s, a) in signed.scores.iter().zip(&abs) {
        assert_eq!(s.abs(), *a);
    }
}

#[test]
fn ties_are_kept_by_smaller_index() {
    // Magnitude with |w| ∈ {1, 2}: the 3 kept of the 4 entries equal to 1 are the first three.
    let w = vec![1.0, -2.0, -1.0, 1.0, 2.0, 1.0];
    let net = Network::from_weights(2, 3, w, vec![1.0, 1.0]).unwrap();
    let set = DataSet {
        name: "tiny".into(),
        samples: 1,
        d: 3,
        x: vec![1.0, 0.0, 0.0],
        y: vec![1.0],
        labels: vec![0],
        image_side: None,
        blocks: None,
    };
    let p = prune(
        &net,
        &set,
        &PruneSpec::new(Method::Magnitude, Density::constant(5.0 / 6.0)),
        seed(),
        "T",
    )
    .unwrap();
    let kept: Vec<bool> = (0..6).map(|x| p.mask.get(x / 3, x % 3).unwrap()).collect();
    assert_eq!(kept, vec![true, true, true, true, true, false]);
    // SynFlow ties the same way: scores |a_i||w_ij|/√6.
    let s = prune(
        &net,
        &set,
        &PruneSpec::new(Method::SynFlow, Density::constant(0.5)),
        seed(),
        "T",
    )
    .unwrap();
    let kept: Vec<bool> = (0..6).map(|x| s.mask.get(x / 3, x % 3).unwrap()).collect();
    assert_eq!(kept, vec![true, true, false, false, true, false]);
}

#[test]
fn iterative_synflow_equals_single_shot_bit_for_bit() {
    let set = digits();
    let net = Network::init(64, 64, seed(), "TEST-NET/synflow").unwrap();
    for density in [0.5, 0.1, 0.013].map(Density::constant) {
        let once = prune(
            &net,
            &set,
            &PruneSpec::new(Method::SynFlow, density),
            seed(),
            "S",
        )
        .unwrap();
        let iterated = prune(
            &net,
            &set,
            &PruneSpec::iterative_synflow(density),
            seed(),
            "S",
        )
        .unwrap();
        assert_eq!(once.mask, iterated.mask, "density {density}");
        let kept = (0..64 * 64).filter(|&x| once.mask.get(x / 64, x % 64) == Some(true));
        assert!(kept
            .into_iter()
            .all(|x| once.scores[x] == iterated.scores[x]));
    }
}

#[test]
fn iterative_snip_differs_from_single_shot() {
    let set = digits();
    let net = Network::init(32, 64, seed(), "TEST-NET/snip").unwrap();
    let once = PruneSpec {
        batch: Some(200),
        ..PruneSpec::new(Method::Snip(Residual::Plain), Density::constant(0.1))
    };
    let iterated = PruneSpec { rounds: 10, ..once };
    let a = prune(&net, &set, &once, seed(), "S").unwrap();
    let b = prune(&net, &set, &iterated, seed(), "S").unwrap();
    assert_eq!(a.mask.kept(), b.mask.kept());
    assert_ne!(a.mask, b.mask, "iterative SNIP rescoring changes the mask");
}

#[test]
fn synflow_score_is_theta_times_the_gradient_of_r() {
    // R(θ) = f(1) of the network with weights |w|, |a|: its gradient is the closed-form ∇f
    // (checked against finite differences above), read off `gradient` with residual r = f − y.
    let set = digits();
    let net = Network::init(12, 64, seed(), "TEST-NET/synflow-r").unwrap();
    let abs = |v: &[f64]| v.iter().map(|x| x.abs()).collect::<Vec<f64>>();
    let abs_net =
        Network::from_weights(12, 64, abs(net.weights()), abs(net.output_weights())).unwrap();
    let ones = vec![1.0; 64];
    let r_of_theta = abs_net.forward(None, &ones).unwrap()[0];
    let y = r_of_theta - 1.0;
    let residual = r_of_theta - y;
    let grad = abs_net.gradient(None, &ones, &[y]).unwrap();
    let s = scores(
        &net,
        &set,
        &PruneSpec::new(Method::SynFlow, Density::constant(0.5)),
        seed(),
        "R",
    )
    .unwrap();
    // Both sides are the exact value times at most 10 roundings: γ_10 relative on each.
    let allowance = 2.0 * gamma(10).unwrap();
    for (k, (&score, &g)) in s.iter().zip(&grad).enumerate() {
        let theta_grad = abs_net.weights()[k] * g / residual;
        assert!(
            (score - theta_grad).abs() <= allowance * score,
            "entry {k}: {score} vs {theta_grad}"
        );
    }
}

#[test]
fn kept_schedule_is_exponential_and_ends_at_round_rho_nd() {
    let k = kept_schedule(100, 100, Density::constant(0.2), 100, KeptCount::Round).unwrap();
    assert_eq!((k.len(), k[99]), (100, 2000));
    assert!(k.windows(2).all(|p| p[0] >= p[1]));
    assert_eq!(k[49], 4472); // round(0.2^(1/2) · 10^4) = round(4472.13…)
}

#[test]
fn scores_do_not_depend_on_the_thread_count() {
    let set = digits();
    let net = Network::init(150, 64, seed(), "TEST-NET/threads").unwrap();
    let run = |threads: usize| {
        common::on_threads(threads, || {
            Method::ALL
                .iter()
                .map(|&m| {
                    scores(
                        &net,
                        &set,
                        &PruneSpec::new(m, Density::constant(0.2)),
                        seed(),
                        "TH",
                    )
                    .unwrap()
                })
                .collect::<Vec<_>>()
        })
    };
    let (one, two) = (run(1), run(2));
    for (method, (a, b)) in Method::ALL.iter().zip(one.iter().zip(&two)) {
        let same = a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(same, "{method}: 1 and 2 threads differ");
    }
}

#[test]
fn batches_are_seeded_sorted_subsets() {
    let a = batch_indices(1797, Some(100), seed(), "B").unwrap();
    assert_eq!(a, batch_indices(1797, Some(100), seed(), "B").unwrap());
    assert_ne!(a, batch_indices(1797, Some(100), seed(), "C").unwrap());
    assert!(a.windows(2).all(|p| p[0] < p[1]) && *a.last().unwrap() < 1797);
    assert_eq!(
        batch_indices(5, Some(5), seed(), "B").unwrap(),
        vec![0, 1, 2, 3, 4]
    );
}

// ---------------------------------------------------------------------------------------------
// Data.
// ---------------------------------------------------------------------------------------------

#[test]
fn embedded_files_match_their_provenance() {
    let root = env!("CARGO_MANIFEST_DIR");
    let read = |f: &str| std::fs::read(format!("{root}/data/sets/{f}")).unwrap();
    assert_eq!(sha256_hex(&read("digits.csv.gz")), DIGITS_SHA256);
    assert_eq!(sha256_hex(&read("mnist_5k.csv.gz")), MNIST_SHA256);
    let provenance = std::fs::read_to_string(format!("{root}/data/sets/PROVENANCE.md")).unwrap();
    assert!(provenance.contains(DIGITS_SHA256) && provenance.contains(MNIST_SHA256));
}

#[test]
fn digits_facts() {
    let set = digits();
    assert_eq!((set.samples, set.d, set.x.len()), (1797, 64, 1797 * 64));
    assert!(set.x.iter().all(|&v| (0.0..=1.0).contains(&v)));
    assert!(set.x.contains(&1.0));
    for (y, l) in set.y.iter().zip(&set.labels) {
        assert_eq!(*y, if l % 2 == 0 { 1.0 } else { -1.0 });
    }
    // Pixels 0, 32 and 39 (a corner and the left/right edge centres) are always blank.
    assert_eq!(set.constant_columns(), vec![0, 32, 39]);
}

#[test]
fn mnist_facts() {
    let set = load(&DataSpec::Mnist, seed(), "TEST-NET").unwrap();
    assert_eq!((set.samples, set.d, set.image_side), (5000, 784, Some(28)));
    assert!(set.x.iter().all(|&v| (0.0..=1.0).contains(&v)));
    for class in 0..10u8 {
        assert_eq!(set.labels.iter().filter(|&&l| l == class).count(), 500);
    }
    assert_eq!(set.y.iter().filter(|&&y| y > 0.0).count(), 2500);
    // 121 of the 784 pixels are 0 in all 5000 images.
    let constant = set.constant_columns();
    assert_eq!(constant.len(), 121);
    assert!(constant.iter().all(|&j| set.x[j] == 0.0));
}

#[test]
fn upsampling_is_bilinear_at_pixel_centres() {
    let original = digits();
    for side in [16, 24, 32] {
        let spec = DataSpec::parse(&format!("digits{side}")).unwrap();
        let big = load(&spec, seed(), "TEST-NET").unwrap();
        assert_eq!(
            (big.samples, big.d, big.image_side),
            (1797, side * side, Some(side))
        );
        assert_eq!(big.y, original.y);
        assert_eq!(
            &big.x[..side * side],
            &upsample(&original.x[..64], 8, side)[..]
        );
        // A constant image stays exactly constant.
        assert!(upsample(&[0.3; 64], 8, side).iter().all(|&v| v == 0.3));
        // A linear ramp α·column + β stays linear in the source coordinate
        // u = ((2p + 1)·8 − S)/(2S) wherever u is not clamped; one lerp costs γ_3 relative.
        let ramp: Vec<f64> = (0..64).map(|k| 0.1 * (k % 8) as f64 + 0.05).collect();
        let out = upsample(&ramp, 8, side);
        let allowance = gamma(6).unwrap() * (0.1 * 7.0 + 0.05);
        for p in 0..side {
            let u = ((2 * p + 1) * 8) as f64 / (2 * side) as f64 - 0.5;
            if (0.0..=7.0).contains(&u) {
                assert!(
                    (out[p] - (0.1 * u + 0.05)).abs() <= allowance,
                    "side {side} p {p}"
                );
                assert_eq!(out[p], out[(side - 1) * side + p], "rows are identical");
            }
        }
    }
    assert_eq!(upsample(&original.x[..64], 8, 8), original.x[..64].to_vec());
}

#[test]
fn synthetic_blocks() {
    let spec =
        DataSpec::parse("synthetic:samples=400,informative=3,noise=4,zero=2,signal=2").unwrap();
    let set = load(&spec, seed(), "TEST-NET").unwrap();
    assert_eq!((set.samples, set.d), (400, 9));
    assert_eq!(set.blocks, Some((0..3, 3..7, 7..9)));
    assert_eq!(set.constant_columns(), vec![7, 8]);
    assert_eq!(set, load(&spec, seed(), "TEST-NET").unwrap());
    // The informative block is shifted by signal · y: its sample mean of y·x_j is 2 ± noise.
    let mean = |j: usize| (0..400).map(|b| set.y[b] * set.x[b * 9 + j]).sum::<f64>() / 400.0;
    assert!(
        mean(0) > 1.5 && mean(4).abs() < 0.5,
        "{} {}",
        mean(0),
        mean(4)
    );
}

// ---------------------------------------------------------------------------------------------
// Bad input.
// ---------------------------------------------------------------------------------------------

fn net_error<T: std::fmt::Debug>(r: Result<T, Error>) -> NetError {
    match r {
        Err(Error::Net(e)) => e,
        other => panic!("expected a NetError, got {other:?}"),
    }
}

#[test]
fn bad_input_is_a_typed_error() {
    assert!(matches!(Method::parse("snap"), Err(NetError::Method { spec, .. }) if spec == "snap"));
    assert!(matches!(
        DataSpec::parse("digits12"),
        Err(NetError::Data { .. })
    ));
    assert!(matches!(
        DataSpec::parse("synthetic:samples=0"),
        Err(NetError::Size { value: 0, .. })
    ));
    assert!(matches!(
        DataSpec::parse("synthetic:colour=1"),
        Err(NetError::Data { .. })
    ));
    assert!(matches!(
        DataSpec::parse("synthetic:signal=nan"),
        Err(NetError::Data { .. })
    ));
    assert!(matches!(
        Network::init(0, 5, seed(), "B"),
        Err(NetError::Size {
            what: "width",
            value: 0,
            ..
        })
    ));
    // A density outside (0, 1) cannot reach a spec: the type refuses it.
    assert!([0.0, 1.0, f64::NAN]
        .iter()
        .all(|&r| Density::new(r).is_err()));
    let set = digits();
    let net = Network::init(4, 64, seed(), "B").unwrap();
    let base = PruneSpec::new(Method::Snip(Residual::Plain), Density::constant(0.5));
    let cases = [
        PruneSpec {
            batch: Some(0),
            ..base
        },
        PruneSpec {
            batch: Some(1798),
            ..base
        },
        // ρ n d = 2.56e-7 rounds to no kept weight.
        PruneSpec {
            density: Density::constant(1e-9),
            ..base
        },
        PruneSpec { rounds: 0, ..base },
    ];
    for spec in cases {
        assert!(
            matches!(
                net_error(prune(&net, &set, &spec, seed(), "B")),
                NetError::Range { what: "batch", .. }
                    | NetError::Size { what: "rounds", .. }
                    | NetError::Mask(_)
            ),
            "{spec:?}"
        );
    }
    let hot = PruneSpec {
        temperature: 0.0,
        ..base
    };
    assert!(matches!(
        net_error(scores(&net, &set, &hot, seed(), "B")),
        NetError::Temperature(0.0)
    ));
    let wrong_d = Network::init(4, 63, seed(), "B").unwrap();
    assert!(matches!(
        net_error(prune(&wrong_d, &set, &base, seed(), "B")),
        NetError::Mismatch {
            expected: 64,
            found: 63,
            ..
        }
    ));
    // Direct network calls: ragged batch, wrong target count, NaN input, wrong mask shape.
    assert!(matches!(
        net.forward(None, &[0.0; 65]),
        Err(NetError::Size { value: 65, .. })
    ));
    assert!(matches!(
        net.loss(None, &[0.0; 64], &[1.0, 1.0]),
        Err(NetError::Mismatch {
            what: "targets",
            expected: 1,
            found: 2
        })
    ));
    let mut nan = vec![0.0; 64];
    nan[3] = f64::NAN;
    assert!(matches!(
        net.forward(None, &nan),
        Err(NetError::NonFinite {
            what: "inputs",
            index: 3
        })
    ));
    let small = top_k_mask(2, 2, &[1.0; 4], 1).unwrap();
    assert!(matches!(
        net.forward(Some(&small), &[0.0; 64]),
        Err(NetError::LayerShape {
            rows: 2,
            cols: 2,
            n: 4,
            d: 64
        })
    ));
}

/// Synaptic-Flow's kept-count rule against its definition: prune p = int((1 − ρ)N) (f64,
/// truncated) and keep exactly the entries scoring above the p-th smallest score. Magnitude scores
/// of weights rounded to one decimal tie often. Control: the `round` rule on the same scores keeps
/// some of the tied entries the definition prunes, so the comparison can fail.
#[test]
fn synaptic_flow_kept_count_prunes_every_tie_at_the_threshold() {
    let (n, d) = (20, 16);
    let seed = MasterSeed::default();
    let drawn = Network::init(n, d, seed, "TEST/kept-count").unwrap();
    let w: Vec<f64> = drawn
        .weights()
        .iter()
        .map(|v| (v * 10.0).round() / 10.0)
        .collect();
    let net = Network::from_weights(n, d, w.clone(), drawn.output_weights().to_vec()).unwrap();
    let set = DataSet {
        name: "one".into(),
        samples: 1,
        d,
        x: vec![1.0; d],
        y: vec![1.0],
        labels: vec![0],
        image_side: None,
        blocks: None,
    };
    for rho in [0.1, 0.3, 0.5, 0.9] {
        let density = Density::new(rho).unwrap();
        let spec = |rule| PruneSpec {
            kept_count: rule,
            ..PruneSpec::new(Method::Magnitude, density)
        };
        let sf = prune(&net, &set, &spec(KeptCount::SynapticFlow), seed, "TEST").unwrap();
        let mut sorted: Vec<f64> = w.iter().map(|v| v.abs()).collect();
        sorted.sort_by(f64::total_cmp);
        let pruned = ((1.0 - rho) * (n * d) as f64) as usize;
        let threshold = sorted[pruned - 1];
        let expected: Vec<bool> = w.iter().map(|v| v.abs() > threshold).collect();
        let got = |m: &Mask| -> Vec<bool> {
            (0..n * d)
                .map(|x| m.get(x / d, x % d) == Some(true))
                .collect()
        };
        assert_eq!(got(&sf.mask), expected, "synaptic-flow rule at ρ = {rho}");
        let round = prune(&net, &set, &spec(KeptCount::Round), seed, "TEST").unwrap();
        assert_ne!(
            got(&round.mask),
            expected,
            "control: round keeps ties at ρ = {rho}"
        );
    }
}
