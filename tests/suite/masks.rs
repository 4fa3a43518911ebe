//! Sampled FSM masks: exact kept count, every kept score ≥ every pruned score, ties kept by
//! index, bit-identical results across thread counts and windows (the fast sampler against the
//! top-k of every exact score of its uniforms).

use crate::common;
use pai_graphon::convergence::noise::{HalfNormal, NoiseLaw, UniformAbs};
use pai_graphon::convergence::profile::Profile;
use pai_graphon::convergence::sampler::{
    sample_mask, sample_mask_in_memory, sample_scores, threshold_window, MaskSpec, Window,
    ROW_BLOCK,
};
use pai_graphon::mask::{top_k_mask, Mask};
use pai_graphon::params::Density;
use pai_graphon::seed::{uniform_open01, MasterSeed};
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;

/// A discrete test law, |ξ| ∈ {1, 2} with probability 1/2 each: many exactly equal scores.
#[derive(Debug)]
struct TwoPoint;

impl NoiseLaw for TwoPoint {
    fn spec(&self) -> String {
        "two-point".into()
    }
    fn tail(&self, x: f64) -> f64 {
        if x < 1.0 {
            1.0
        } else if x < 2.0 {
            0.5
        } else {
            0.0
        }
    }
    fn tail_inverse(&self, q: f64) -> f64 {
        if q > 0.5 {
            1.0
        } else {
            2.0
        }
    }
    fn density(&self, _: f64) -> f64 {
        0.0
    }
    fn sample_abs(&self, rng: &mut ChaCha20Rng) -> f64 {
        if uniform_open01(rng) < 0.5 {
            1.0
        } else {
            2.0
        }
    }
}

fn exp3(n: usize, d: usize, rho: f64) -> MaskSpec {
    let p = Profile::parse("exp:3").unwrap();
    MaskSpec::new(n, d, Density::new(rho).unwrap(), &p, &p).unwrap()
}

/// Checks the defining properties of a top-k mask against the recomputed scores.
fn assert_top_k(mask: &Mask, scores: &[f64], k: u64) {
    let d = mask.cols();
    let kept = |x: usize| mask.get(x / d, x % d).unwrap();
    let count = (0..scores.len()).filter(|x| kept(*x)).count() as u64;
    assert_eq!((count, mask.kept()), (k, k), "kept count");
    assert_eq!(mask.row_degrees().iter().map(|x| *x as u64).sum::<u64>(), k);
    assert_eq!(
        mask.column_degrees().iter().map(|x| *x as u64).sum::<u64>(),
        k
    );
    let min_kept = (0..scores.len()).filter(|x| kept(*x)).map(|x| scores[x]);
    let max_pruned = (0..scores.len()).filter(|x| !kept(*x)).map(|x| scores[x]);
    let min_kept = min_kept.fold(f64::INFINITY, f64::min);
    let max_pruned = max_pruned.fold(0.0, f64::max);
    assert!(
        min_kept >= max_pruned,
        "kept {min_kept} < pruned {max_pruned}"
    );
    assert_eq!(
        mask.threshold(),
        min_kept,
        "threshold is the k-th largest score"
    );
    // Ties at the threshold: every kept tie has a smaller index than every pruned tie.
    let ties: Vec<usize> = (0..scores.len())
        .filter(|x| scores[*x] == min_kept)
        .collect();
    let first_pruned = ties.iter().position(|x| !kept(*x)).unwrap_or(ties.len());
    assert!(
        ties[first_pruned..].iter().all(|x| !kept(*x)),
        "ties kept out of index order"
    );
}

/// Equal up to the pass count, which differs by path.
fn assert_same(a: &Mask, b: &Mask) {
    assert_eq!(
        (a.rows(), a.cols(), a.kept()),
        (b.rows(), b.cols(), b.kept())
    );
    assert_eq!(a.threshold().to_bits(), b.threshold().to_bits());
    for i in 0..a.rows() {
        assert_eq!(a.row_words(i), b.row_words(i), "row {i}");
    }
}

/// A law that states no derivative bounds gets none: `convergence::limit` then falls back to the
/// monotone panel bound. TwoPoint's tail has jumps, so any finite bound would be false.
#[test]
fn a_law_without_derivative_bounds_claims_none() {
    assert_eq!(TwoPoint.log_scale_derivative_sups(0.5, 3.0), None);
    assert_eq!(TwoPoint.log_scale_derivative_sup(4, 0.5, 3.0), None);
}

#[test]
fn kept_scores_dominate_pruned_scores() {
    let spec = exp3(150, 210, 0.2);
    let law = HalfNormal { sigma: 1.0 };
    let seed = MasterSeed::default();
    let scores = sample_scores(&spec, &law, seed, "MASKS/top-k").unwrap();
    let hint = threshold_window(&spec, &law, 1e-6).unwrap();
    let mask = sample_mask(&spec, &law, seed, "MASKS/top-k", Some(hint)).unwrap();
    assert_eq!(mask.passes(), 1, "the window held τ_n");
    assert_top_k(&mask, &scores, spec.kept());
}

#[test]
fn ties_are_kept_in_index_order_on_every_path() {
    // Constant profiles and a two-point law: half the scores are 1, half 2; ρ = 0.7 cuts the
    // ties at 1.
    let spec = MaskSpec::from_grids(vec![1.0; 130], vec![1.0; 70], Density::constant(0.7)).unwrap();
    let seed = MasterSeed::default();
    let scores = sample_scores(&spec, &TwoPoint, seed, "MASKS/ties").unwrap();
    let reference = sample_mask_in_memory(&spec, &TwoPoint, seed, "MASKS/ties").unwrap();
    assert_eq!(
        (reference.threshold(), reference.kept()),
        (1.0, spec.kept())
    );
    let (hit, below, above) = (
        Window { lo: 0.5, hi: 1.5 },
        Window { lo: 1.5, hi: 3.0 },
        Window { lo: 0.0, hi: 0.5 },
    );
    for window in [Some(hit), Some(below), Some(above), None] {
        let m = sample_mask(&spec, &TwoPoint, seed, "MASKS/ties", window).unwrap();
        assert_eq!(m.threshold(), 1.0);
        assert_top_k(&m, &scores, spec.kept());
    }
    // Explicit scores: all equal, the first k indices win.
    let m = top_k_mask(3, 3, &[5.0; 9], 4).unwrap();
    let kept: Vec<bool> = (0..9).map(|x| m.get(x / 3, x % 3).unwrap()).collect();
    assert_eq!(
        kept,
        [true, true, true, true, false, false, false, false, false]
    );
}

#[test]
fn one_and_two_threads_give_identical_masks() {
    let spec = exp3(5 * ROW_BLOCK + 7, 333, 0.2);
    let law = HalfNormal { sigma: 1.0 };
    let seed = MasterSeed::default();
    let hint = threshold_window(&spec, &law, 1e-6).unwrap();
    let run = |threads: usize| {
        common::on_threads(threads, || {
            (
                sample_mask(&spec, &law, seed, "MASKS/threads", Some(hint)).unwrap(),
                sample_mask(&spec, &law, seed, "MASKS/threads", None).unwrap(),
            )
        })
    };
    let (one, two) = (run(1), run(2));
    assert_eq!(one, two);
    assert_same(&one.0, &one.1);
}

#[test]
fn every_window_gives_the_top_k_of_the_exact_scores() {
    let spec = exp3(700, 900, 0.2);
    let law = HalfNormal { sigma: 1.0 };
    let seed = MasterSeed::default();
    let scores = sample_scores(&spec, &law, seed, "MASKS/paths").unwrap();
    let reference = top_k_mask(700, 900, &scores, spec.kept()).unwrap();
    let hint = threshold_window(&spec, &law, 1e-6).unwrap();
    let hit = sample_mask(&spec, &law, seed, "MASKS/paths", Some(hint)).unwrap();
    assert_eq!(hit.passes(), 1);
    assert_same(&hit, &reference);
    // Windows that miss τ_n, above and below, cost passes and still agree.
    for miss in [Window { lo: 1e6, hi: 1e7 }, Window { lo: 0.0, hi: 1e-3 }] {
        let m = sample_mask(&spec, &law, seed, "MASKS/paths", Some(miss)).unwrap();
        assert!(m.passes() > 1, "{miss:?}");
        assert_same(&m, &reference);
    }
}

#[test]
fn invalid_input_is_rejected() {
    let p = Profile::parse("const:1").unwrap();
    assert!(MaskSpec::new(0, 5, Density::constant(0.2), &p, &p).is_err());
    assert!(MaskSpec::new(5, 0, Density::constant(0.2), &p, &p).is_err());
    // ρ outside (0, 1) cannot reach MaskSpec: Density refuses it where it is parsed.
    assert!(Density::new(1.0).is_err() && Density::new(-0.1).is_err());
    let spec = MaskSpec::new(5, 5, Density::constant(0.2), &p, &p).unwrap();
    let law = UniformAbs { a: 1.0 };
    let bad = Window { lo: 2.0, hi: 1.0 };
    assert!(sample_mask(&spec, &law, MasterSeed::default(), "X", Some(bad)).is_err());
    #[derive(Debug)]
    struct NanLaw;
    impl NoiseLaw for NanLaw {
        fn spec(&self) -> String {
            "nan".into()
        }
        fn tail(&self, _: f64) -> f64 {
            0.5
        }
        fn tail_inverse(&self, _: f64) -> f64 {
            f64::NAN
        }
        fn density(&self, _: f64) -> f64 {
            0.0
        }
        fn sample_abs(&self, _: &mut ChaCha20Rng) -> f64 {
            f64::NAN
        }
    }
    let seed = MasterSeed::default();
    assert!(sample_mask(&spec, &NanLaw, seed, "X", None).is_err());
    assert!(sample_mask(&spec, &NanLaw, seed, "X", Some(Window { lo: 0.0, hi: 1.0 })).is_err());
    assert!(sample_mask_in_memory(&spec, &NanLaw, seed, "X").is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn paths_agree_on_random_small_specs(
        n in 1usize..150, d in 1usize..90, rho in 0.01f64..0.99, lo in 0.0f64..8.0, rep in 0u32..1000,
    ) {
        let p = Profile::parse("power:2").unwrap();
        let Ok(spec) = MaskSpec::new(n, d, Density::new(rho).unwrap(), &p, &p) else { return Ok(()) };
        let law = HalfNormal { sigma: 2.0 };
        let seed = MasterSeed::default();
        let label = format!("MASKS/prop/rep={rep}");
        let scores = sample_scores(&spec, &law, seed, &label).unwrap();
        let reference = top_k_mask(n, d, &scores, spec.kept()).unwrap();
        assert_top_k(&reference, &scores, spec.kept());
        let hint = threshold_window(&spec, &law, 1e-3).unwrap();
        assert_same(&sample_mask(&spec, &law, seed, &label, Some(hint)).unwrap(), &reference);
        let random = Window { lo, hi: 1.5 * lo };
        assert_same(&sample_mask(&spec, &law, seed, &label, Some(random)).unwrap(), &reference);
        let slow = sample_mask_in_memory(&spec, &law, seed, &label).unwrap();
        prop_assert_eq!(slow.kept(), spec.kept());
    }
}
