//! Mask statistics, the homogeneous null, heterogeneity bounds and the FSM fit
//! (`src/taxonomy/stats.rs`, `src/taxonomy/fsm.rs`, `theory/taxonomy.md`).
//!
//! Statistical checks and their failure probabilities (each on its own seeded sample, never
//! rerun): homogeneous bounds at n = d = 512, 1024, 2048: 3 × 1e-6; heterogeneity LCB on a
//! random mask: 1e-6 (its false positive would need the LCB event to fail); two initialisations:
//! 1e-6; FSM acceptance: 2 × 1e-6. Negative controls are deterministic consequences of the
//! gross violations they show (margins printed).

use num_rational::BigRational;
use pai_graphon::convergence::noise::{HalfNormal, NoiseLaw, UniformAbs};
use pai_graphon::convergence::profile::Profile;
use pai_graphon::convergence::sampler::sample_scores;
use pai_graphon::convergence::sampler::{sample_mask_in_memory, MaskSpec};
use pai_graphon::mask::{top_k_mask, Mask};
use pai_graphon::params::Density;
use pai_graphon::seed::{uniform_open01, MasterSeed};
use pai_graphon::taxonomy::fsm::{
    anova_fit, fsm_test, interaction_contrasts, t_over_sinh_integral, ContrastLaw,
};
use pai_graphon::taxonomy::stats::{
    column_degree_distance, deterministic_limit_bound, heterogeneity_lcb, homogeneity_check,
    homogeneous_bounds, mask_stats, sorted_block_distance,
};
use rand_distr::{Distribution, StandardNormal};
use std::time::Instant;

/// Failure probability of each statistical check in this file.
const DELTA: f64 = 1e-6;

/// The exact top-k mask of a spec with half-normal noise from the stream `label`.
fn sampled(spec: &MaskSpec, label: &str) -> Mask {
    sample_mask_in_memory(
        spec,
        &HalfNormal { sigma: 1.0 },
        MasterSeed::default(),
        label,
    )
    .unwrap()
}

/// A uniformly random k-subset: top-k of i.i.d. half-normal scores (constant profiles). Ties
/// between f64 draws are broken by index; their probability is negligible (53-bit draws).
fn random_mask(n: usize, d: usize, rho: f64, label: &str) -> Mask {
    sampled(
        &MaskSpec::from_grids(vec![1.0; n], vec![1.0; d], Density::new(rho).unwrap()).unwrap(),
        label,
    )
}

/// An FSM mask with profiles φ(u) = e^{3u}, ψ(v) = e^{3v} and half-normal noise.
fn fsm_mask(n: usize, d: usize, rho: f64, label: &str) -> Mask {
    let exp3 = Profile::parse("exp:3").unwrap();
    sampled(
        &MaskSpec::new(n, d, Density::new(rho).unwrap(), &exp3, &exp3).unwrap(),
        label,
    )
}

/// `Σ_{i,i',j,j'} M_ij M_i'j M_ij' M_i'j'` by brute force over the dense matrix.
fn c4_brute(mask: &Mask) -> u64 {
    let (n, d) = (mask.rows(), mask.cols());
    let m = |i: usize, j: usize| mask.get(i, j).unwrap() as u64;
    let mut total = 0;
    for i in 0..n {
        for k in 0..n {
            let co: u64 = (0..d).map(|j| m(i, j) * m(k, j)).sum();
            total += co * co;
        }
    }
    total
}

#[test]
fn mask_stats_c4_matches_brute_force_on_both_sides() {
    let mut rng = MasterSeed::default().stream("TAX-STATS/c4-brute");
    for (n, d) in [(7, 70), (70, 7), (65, 129), (129, 65), (1, 1), (3, 200)] {
        let scores: Vec<f64> = (0..n * d).map(|_| uniform_open01(&mut rng)).collect();
        let k = (n * d / 3).max(1) as u64;
        let mask = top_k_mask(n, d, &scores, k).unwrap();
        let s = mask_stats(&mask);
        let cells = (n * d) as u64;
        let expected = BigRational::new(c4_brute(&mask).into(), (cells * cells).into());
        assert_eq!(s.c4, expected, "n = {n}, d = {d}");
        assert_eq!(s.kept, k);
        assert!(s.heterogeneity >= BigRational::from_integer(0.into()));
    }
}

#[test]
fn mask_stats_speed_at_4096_by_784() {
    let mask = fsm_mask(4096, 784, 0.2, "TAX-STATS/speed");
    let start = Instant::now();
    let s = mask_stats(&mask);
    let elapsed = start.elapsed();
    println!(
        "mask_stats 4096 × 784: {:.1} ms, t(C4) = {:.6}, excess = {:.6}",
        elapsed.as_secs_f64() * 1e3,
        s.c4_f64(),
        s.heterogeneity_f64
    );
    assert_eq!(s.kept, 642_253); // round(0.2 · 4096 · 784)
}

#[test]
fn homogeneous_bounds_hold_on_random_masks() {
    for n in [512, 1024, 2048] {
        let label = format!("TAX-STATS/homogeneous/n={n}");
        let mask = random_mask(n, n, 0.2, &label);
        let s = mask_stats(&mask);
        let b = homogeneous_bounds(n, n, s.kept, DELTA).unwrap();
        let c = homogeneity_check(&s, &b);
        println!(
            "n = d = {n}: e = {:.1}; margins (bound/observed) c4 {:.3}, row dev {:.3}, col dev {:.3}, row var {:.3}, col var {:.3}",
            b.op_norm,
            c.c4_excess.margin(),
            c.row_fraction_dev.margin(),
            c.col_fraction_dev.margin(),
            c.row_variance.margin(),
            c.col_variance.margin()
        );
        assert!(
            c.all_hold(),
            "homogeneous bounds fail at n = {n} (label {label}): {c:?}"
        );
    }
}

#[test]
fn homogeneous_bounds_reject_fsm_exp3() {
    let label = "TAX-STATS/heterogeneous/n=1024";
    let mask = fsm_mask(1024, 1024, 0.2, label);
    let s = mask_stats(&mask);
    let b = homogeneous_bounds(1024, 1024, s.kept, DELTA).unwrap();
    let c = homogeneity_check(&s, &b);
    println!(
        "FSM exp3 n = d = 1024: c4 excess {:.4} vs {:.5}, row dev {:.3} vs {:.3}, col dev {:.3} vs {:.3}",
        c.c4_excess.observed,
        c.c4_excess.bound,
        c.row_fraction_dev.observed,
        c.row_fraction_dev.bound,
        c.col_fraction_dev.observed,
        c.col_fraction_dev.bound
    );
    assert!(
        !c.c4_excess.holds,
        "negative control not rejected ({label}): {c:?}"
    );
    assert!(!c.row_fraction_dev.holds && !c.col_fraction_dev.holds);
    assert!(!c.row_variance.holds && !c.col_variance.holds);
}

#[test]
fn homogeneous_bounds_reject_bad_input() {
    assert!(homogeneous_bounds(0, 10, 0, 0.1).is_err());
    assert!(homogeneous_bounds(2, 2, 5, 0.1).is_err());
    assert!(homogeneous_bounds(2, 2, 2, 1.0).is_err());
}

#[test]
fn heterogeneity_lcb_zero_on_random_positive_on_fsm() {
    let random = random_mask(1024, 1024, 0.2, "TAX-STATS/lcb/random");
    let h = heterogeneity_lcb(&random, DELTA).unwrap();
    println!("LCB random: {h:?}");
    assert_eq!(
        h.lcb, 0.0,
        "random mask gave a positive heterogeneity LCB: {h:?}"
    );
    let fsm = fsm_mask(1024, 1024, 0.2, "TAX-STATS/lcb/fsm");
    let h = heterogeneity_lcb(&fsm, DELTA).unwrap();
    let exact = mask_stats(&fsm).heterogeneity_f64;
    println!(
        "LCB FSM exp3: {:.5} (row {:.5}, col {:.5}); observed t(C4) − ρ⁴ = {exact:.5}",
        h.lcb, h.row, h.col
    );
    assert!(h.lcb > 0.0 && h.lcb <= exact, "{h:?} vs observed {exact}");
    assert!(heterogeneity_lcb(&top_k_mask(1, 3, &[1.0, 0.0, 0.0], 1).unwrap(), 0.1).is_err());
}

#[test]
fn two_initialisations_deterministic_limit() {
    let n = 1024;
    let a = fsm_mask(n, 784, 0.2, "TAX-STATS/two-init/a");
    let b = fsm_mask(n, 784, 0.2, "TAX-STATS/two-init/b");
    let delta_obs = column_degree_distance(&a, &b).unwrap();
    let bound = deterministic_limit_bound(n, 784, 0.2, DELTA).unwrap();
    println!(
        "two inits: Δ = {delta_obs:.5}, bound {bound:.5}, margin {:.2}",
        bound / delta_obs
    );
    assert!(delta_obs <= bound);
    // Negative control: the column profile reversed is a different limit.
    let exp3 = Profile::parse("exp:3").unwrap();
    let rev = Profile::parse("exp:3").unwrap();
    let base = MaskSpec::new(n, 784, Density::constant(0.2), &exp3, &rev).unwrap();
    let mut psi_reversed = base.psi().to_vec();
    psi_reversed.reverse();
    let spec =
        MaskSpec::from_grids(base.phi().to_vec(), psi_reversed, Density::constant(0.2)).unwrap();
    let c = sampled(&spec, "TAX-STATS/two-init/c");
    let delta_bad = column_degree_distance(&a, &c).unwrap();
    println!("reversed columns: Δ = {delta_bad:.4}");
    assert!(delta_bad > bound);
    let near = sorted_block_distance(&a, &b, 16, 16).unwrap();
    let far = sorted_block_distance(&a, &c, 16, 16).unwrap();
    println!("sorted 16×16 block distance: same limit {near:.4}, reversed {far:.4}");
    assert!(near < far);
    assert!(column_degree_distance(&a, &random_mask(4, 4, 0.5, "x")).is_err());
    assert!(sorted_block_distance(&a, &b, 0, 1).is_err());
}

// ---------------------------------------------------------------- the FSM fit

/// Composite Simpson's rule for `f` on `[0, s]` with `intervals` (even) steps; returns the value
/// and `Σ |weight · f|` for the rounding allowance.
fn simpson(f: impl Fn(f64) -> f64, s: f64, intervals: usize) -> (f64, f64) {
    let h = s / intervals as f64;
    let (mut total, mut abs) = (0.0, 0.0);
    for i in 0..=intervals {
        let w = if i == 0 || i == intervals {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        };
        let v = w * f(i as f64 * h) * h / 3.0;
        total += v;
        abs += v.abs();
    }
    (total, abs)
}

/// `t/sinh t` with its removable singularity filled.
fn t_over_sinh(t: f64) -> f64 {
    if t == 0.0 {
        1.0
    } else {
        t / t.sinh()
    }
}

#[test]
fn contrast_cdf_series_matches_quadrature() {
    // Simpson's error is ≤ s h⁴ max|f⁗|/180. For f(t) = t/sinh t, |z/sinh z| ≤ 1/sin 1 on the
    // strip |Im z| ≤ 1 (|sinh(a+ib)|² = sinh²a + sin²b ≥ a² + b² sin²1), so Cauchy's estimate on
    // discs of radius 1 gives |f⁗| ≤ 24/sin 1. For the uniform density (1+s)e^(−s)/4,
    // f⁗ = (s − 3)e^(−s)/4 and |f⁗| ≤ 3/4.
    let gaussian_f4 = 24.0 / 1f64.sin();
    for s in [0.05f64, 0.5, 0.99, 1.0, 1.01, 2.0, 5.0, 12.0, 30.0] {
        let intervals = 2 * ((s / 1e-3 / 2.0).ceil() as usize).max(1);
        let h = s / intervals as f64;
        let (q, abs) = simpson(t_over_sinh, s, intervals);
        let bound = s * h.powi(4) * gaussian_f4 / 180.0
            + pai_graphon::tol::sum_allowance(intervals + 1, abs).unwrap()
            + 64.0 * f64::EPSILON * q.abs();
        let g = t_over_sinh_integral(s);
        assert!(
            (g - q).abs() <= bound,
            "G({s}) = {g} vs Simpson {q}, bound {bound}"
        );
        let (qu, absu) = simpson(|t| ContrastLaw::Uniform.density(t), s, intervals);
        let bound_u = s * h.powi(4) * 0.75 / 180.0
            + pai_graphon::tol::sum_allowance(intervals + 1, absu).unwrap()
            + 64.0 * f64::EPSILON;
        let fu = ContrastLaw::Uniform.cdf(s) - 0.5;
        assert!(
            (fu - qu).abs() <= bound_u,
            "uniform F({s}) − ½ = {fu} vs {qu}"
        );
    }
    // The two Gaussian branches meet at s = 1, and the CDFs are symmetric.
    // |G(1) − G(1 − step)| ≤ step · max t/sinh t = step, plus each branch's rounding (γ_64 G).
    let step = 1e-15;
    let (at, below) = (t_over_sinh_integral(1.0), t_over_sinh_integral(1.0 - step));
    let allowance = step + 2.0 * pai_graphon::tol::gamma(64).unwrap() * at;
    assert!((at - below).abs() <= allowance, "{at} vs {below}");
    for law in [ContrastLaw::Gaussian, ContrastLaw::Uniform] {
        for s in [0.3, 1.7, 9.0] {
            assert!((law.cdf(s) + law.cdf(-s) - 1.0).abs() <= 2.0 * f64::EPSILON);
        }
    }
}

/// Random positive profiles e^{2U}, U uniform, from their own streams.
fn random_profiles(n: usize, d: usize, label: &str) -> (Vec<f64>, Vec<f64>) {
    let draw = |m: usize, side: &str| {
        let mut rng = MasterSeed::default().stream(&format!("{label}/{side}"));
        (0..m)
            .map(|_| (2.0 * uniform_open01(&mut rng)).exp())
            .collect::<Vec<f64>>()
    };
    (draw(n, "phi"), draw(d, "psi"))
}

fn fsm_scores(n: usize, d: usize, law: &dyn NoiseLaw, label: &str) -> Vec<f64> {
    let (phi, psi) = random_profiles(n, d, label);
    let spec = MaskSpec::from_grids(phi, psi, Density::constant(0.2)).unwrap();
    sample_scores(&spec, law, MasterSeed::default(), label).unwrap()
}

#[test]
fn fsm_test_accepts_exact_fsm_gaussian_and_rejects_uniform_law() {
    let (n, d) = (1024, 1024);
    let label = "TAX-FSM/exact/gaussian";
    let scores = fsm_scores(n, d, &HalfNormal { sigma: 1.0 }, label);
    let c = interaction_contrasts(&scores, n, d).unwrap();
    assert_eq!((c.values.len(), c.skipped), (512 * 512, 0));
    let fit = anova_fit(&scores, n, d).unwrap();
    let right = fsm_test(&c.values, ContrastLaw::Gaussian, DELTA).unwrap();
    let wrong = fsm_test(&c.values, ContrastLaw::Uniform, DELTA).unwrap();
    println!(
        "exact FSM, gaussian noise: ANOVA ratio {:.4}; {right:?}",
        fit.gaussian_ratio
    );
    println!("same contrasts vs uniform law: {wrong:?}");
    assert!(right.accepted(), "exact FSM rejected ({label}): {right:?}");
    assert!(!wrong.ks_accepts && !wrong.variance_accepts, "{wrong:?}");
}

#[test]
fn fsm_test_accepts_exact_fsm_uniform_noise() {
    let (n, d) = (1024, 1024);
    let label = "TAX-FSM/exact/uniform";
    let scores = fsm_scores(n, d, &UniformAbs { a: 1.0 }, label);
    let c = interaction_contrasts(&scores, n, d).unwrap();
    let right = fsm_test(&c.values, ContrastLaw::Uniform, DELTA).unwrap();
    let wrong = fsm_test(&c.values, ContrastLaw::Gaussian, DELTA).unwrap();
    println!("exact FSM, uniform noise: {right:?}");
    println!("same contrasts vs gaussian law: {wrong:?}");
    assert!(right.accepted(), "exact FSM rejected ({label}): {right:?}");
    assert!(!wrong.accepted());
}

#[test]
fn fsm_test_rejects_low_rank_scores() {
    // S_ij = |w_ij| · |Σ_b u_ib v_bj|, B = 20: not a product of a row and a column profile.
    let (n, d, rank) = (512, 512, 20);
    let mut rng = MasterSeed::default().stream("TAX-FSM/non-fsm");
    let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
    let u: Vec<f64> = (0..n * rank).map(|_| normal()).collect();
    let v: Vec<f64> = (0..rank * d).map(|_| normal()).collect();
    let scores: Vec<f64> = (0..n * d)
        .map(|x| {
            let (i, j) = (x / d, x % d);
            let g: f64 = (0..rank).map(|b| u[i * rank + b] * v[b * d + j]).sum();
            normal().abs() * g.abs()
        })
        .collect();
    let c = interaction_contrasts(&scores, n, d).unwrap();
    let fit = anova_fit(&scores, n, d).unwrap();
    let t = fsm_test(&c.values, ContrastLaw::Gaussian, DELTA).unwrap();
    println!(
        "non-FSM (rank 20): ANOVA ratio {:.4}; {t:?}",
        fit.gaussian_ratio
    );
    assert!(
        t.variance_ratio > t.ratio_high,
        "non-FSM not rejected: {t:?}"
    );
}

#[test]
fn fsm_fit_handles_zeros_and_bad_input() {
    // Row 0 and column 2 are all zero and dropped; one zero inside the block is excluded.
    let s = [
        0.0, 0.0, 0.0, //
        1.0, 2.0, 0.0, //
        3.0, 0.0, 0.0, //
        5.0, 7.0, 0.0,
    ];
    let c = interaction_contrasts(&s, 4, 3).unwrap();
    assert_eq!((c.values.len(), c.skipped), (0, 1));
    // 3 × 2 block with 5 entries: 5 − 3 − 2 + 1 = 1 residual degree of freedom.
    let fit = anova_fit(&s, 4, 3).unwrap();
    assert_eq!(
        (fit.rows, fit.cols, fit.zeros_excluded),
        (vec![1, 2, 3], vec![0, 1], 1)
    );
    // Dropping row 3 leaves a 2 × 2 block with 3 entries: no degree of freedom.
    assert!(anova_fit(&s[..9], 3, 3).is_err());
    assert!(anova_fit(&[1.0, f64::NAN, 1.0, 1.0], 2, 2).is_err());
    assert!(anova_fit(&[1.0; 3], 2, 2).is_err());
    assert!(fsm_test(&[], ContrastLaw::Gaussian, 0.1).is_err());
    assert!(fsm_test(&[f64::INFINITY], ContrastLaw::Gaussian, 0.1).is_err());
    assert!(fsm_test(&[1.0], ContrastLaw::Gaussian, 0.0).is_err());
}
