//! The law of the FSM mask sampler, shown rather than assumed (issue #20, point 1;
//! theory/convergence.md, "Sampler exactness").
//!
//! These tests read only the public API: [`sample_mask`] (the production path, with the window
//! hint of [`threshold_window`]) is compared with the top-k law of the model (tiny sizes) and with
//! the straightforward reference [`sample_mask_in_memory`] (paper sizes). They test the law, not
//! the code, so they hold for any exact sampler whatever its stream layout.
//!
//! **Tiny sizes (`tiny_masks_follow_the_certified_top_k_law`).** For 2 × 2, 2 × 3 and 3 × 3
//! specs (distinct products, equal products, a zero row profile whose scores tie at 0) and both
//! noise laws, the probability of every k-subset A being the kept set is
//! `P(A) = ∫ Π_{f∉A} F_f(t) d[−Π_{e∈A}(1 − F_e(t))]`, `F_e` the CDF of `S_e = c_e |ξ_e|`,
//! `c_e = fl(φ_i ψ_j)`; entries with `c_e = 0` score exactly 0 and tie, the smaller index first.
//! Uniform noise: computed exactly in rationals ([`uniform_law`]). Half-normal noise: enclosed by
//! lower and upper Riemann–Stieltjes sums on a grid ([`gaussian_law`]; widest enclosure 2.2e-4).
//! The sampler's f64 noise discretises the real law; [`DISCRETISATION`] widens every enclosure for
//! that. For each configuration N = [`TINY_DRAWS`] masks are drawn with labels
//! `SAMPLER-LAW/{config}/{r}`, r < N; each mask's count is tested two-sided against Chernoff's
//! bounds (`tol::chernoff_upper`/`_lower`) taken at the worst end of its enclosure, and a code
//! that is not a k-subset must not occur. Bonferroni: [`DELTA_TINY`] = 1e-6 over all masks of all
//! configurations and both tails.
//!
//! Negative controls, same test and N, scores from `sample_scores` with labels
//! `SAMPLER-LAW/{config}/control/{r}`: (a) a window trusted without its fallback (keep the scores
//! above the median k-th score, from `SAMPLER-LAW/{config}/median/{r}`, r < 1001, in index order,
//! fill the rest at random from `SAMPLER-LAW/{config}/fill/{r}`), (b) ties to the larger index,
//! (c) k + 1 kept, (d) one profile product 10% too large. The test's power against 5% is
//! printed beside the Chernoff–Stein yardstick of the best test: this test is weak there.
//!
//! **Paper sizes (`paper_size_masks_match_the_reference_sampler`).** S = [`PAPER_MASKS`] masks
//! from each sampler (labels `SAMPLER-LAW/{model}/fast/{s}`, `SAMPLER-LAW/{model}/reference/{s}`),
//! independent, so under the null the 2S per-mask statistics are i.i.d.: each scalar statistic
//! (row and column degree centroids and variances, 8 × 8 block densities, t(C4)) gets the
//! exact two-sample Kolmogorov–Smirnov test (`stats::ks::two_sample_sf`, Gnedenko–Korolyuk; with
//! ties the test is conservative), Bonferroni over [`DELTA_PAPER`] = 1e-6 and all statistics of
//! both models; the kept count must equal k in every mask. Negative controls: ρ · 1.02 (kept
//! count; label `SAMPLER-LAW/{model}/denser`), a wrong profile (degrees and blocks; labels
//! `SAMPLER-LAW/{model}/control/{s}`), and the reference masks with every row cyclically shifted
//! by a random offset from `SAMPLER-LAW/{model}/shift` (t(C4): row degrees kept, column structure
//! lost).
//!
//! Suite false-alarm probability: DELTA_TINY + DELTA_PAPER = 2e-6.

use num_rational::BigRational;
use num_traits::{One, ToPrimitive, Zero};
use pai_graphon::convergence::noise::{HalfNormal, NoiseLaw, UniformAbs};
use pai_graphon::convergence::sampler::{
    sample_mask, sample_mask_for, sample_mask_in_memory, sample_scores, threshold_window, MaskSpec,
};
use pai_graphon::mask::{accumulate_blocks, top_k_mask, Mask};
use pai_graphon::normal::{half_normal_sf, SF_RELATIVE_BOUND};
use pai_graphon::params::Density;
use pai_graphon::seed::MasterSeed;
use pai_graphon::stats::ks::{two_sample_counts, two_sample_sf};
use pai_graphon::taxonomy::stats::mask_stats;
use pai_graphon::tol::{chernoff_lower, chernoff_upper, gamma};
use rand::Rng;
use rayon::prelude::*;

/// Total false-alarm probability of the tiny-size law tests.
const DELTA_TINY: f64 = 1e-6;

/// Total false-alarm probability of the paper-size two-sample tests.
const DELTA_PAPER: f64 = 1e-6;

/// Added to both ends of every mask probability for the f64 discretisation of the noise.
/// Assumption (not proved here): the f64 |ξ| is the real |ξ| rounded within a relative η = 2⁻⁵⁰
/// except with probability 2⁻⁵⁰ (uniforms on a 2⁻⁵³ grid are, away from 0; the ziggurat and an
/// inversion with a certified quantile are taken to be); the product and the score add two
/// roundings of u. Then the f64 top-k set equals the real one unless two positive scores have a
/// ratio within 1 ± 8η, of probability ≤ 16η · sup density of ln|ξ| (≤ 1 for both laws) per
/// pair: with 36 pairs and 9 entries, ≤ 36 · 16 · 2⁻⁵⁰ + 9 · 2⁻⁵⁰ < 1e-12.
const DISCRETISATION: f64 = 1e-12;

/// Grid points of the half-normal Riemann–Stieltjes sums.
const GRID: usize = 1 << 16;

/// The grid ends at `GRID_END_SIGMAS · c_max`; the mass beyond is bounded and added.
const GRID_END_SIGMAS: f64 = 9.0;

// ---------------------------------------------------------------------------------------------
// Tiny sizes: the certified law.

/// The two noise laws of the tiny cases (σ = a = 1; both laws are scale families).
#[derive(Clone, Copy, Debug)]
enum Law {
    Gaussian,
    Uniform,
}

/// One tiny configuration: profiles, kept count and noise law.
#[derive(Clone, Debug)]
struct Config {
    name: String,
    phi: Vec<f64>,
    psi: Vec<f64>,
    k: usize,
    law: Law,
}

impl Config {
    fn cells(&self) -> usize {
        self.phi.len() * self.psi.len()
    }

    /// The profile products `c_e = fl(φ_i ψ_j)`, row-major, as every sampler forms them.
    fn products(&self) -> Vec<f64> {
        self.phi
            .iter()
            .flat_map(|p| self.psi.iter().map(move |q| p * q))
            .collect()
    }

    fn spec(&self) -> MaskSpec {
        let rho = self.k as f64 / self.cells() as f64;
        let spec = MaskSpec::from_grids(
            self.phi.clone(),
            self.psi.clone(),
            Density::new(rho).unwrap(),
        )
        .unwrap();
        assert_eq!(spec.kept(), self.k as u64, "{}: kept count", self.name);
        spec
    }
}

/// The set of the kept entries as a bit code (bit e = row-major index e).
fn code(mask: &Mask) -> u32 {
    let d = mask.cols();
    (0..mask.rows() * d).fold(0, |c, e| c | (mask.get(e / d, e % d).unwrap() as u32) << e)
}

/// The code of the top-k set of explicit scores (ties to the smaller index).
fn top_code(scores: &[f64], k: usize) -> u32 {
    code(&top_k_mask(1, scores.len(), scores, k as u64).unwrap())
}

/// The law is decided without integration when k exceeds the positive entries: all positive
/// entries and the first zero entries in index order are kept, surely. Returns that code.
fn forced_code(c: &[f64], k: usize) -> Option<u32> {
    let positive = c.iter().filter(|x| **x > 0.0).count();
    (k > positive).then(|| {
        let zeros = (0..c.len()).filter(|&e| c[e] == 0.0).take(k - positive);
        let pos = (0..c.len()).filter(|&e| c[e] > 0.0);
        pos.chain(zeros).fold(0, |code, e| code | 1 << e)
    })
}

/// A polynomial in t with exact rational coefficients (index = power).
type Poly = Vec<BigRational>;

fn poly_mul(a: &Poly, b: &Poly) -> Poly {
    let mut out = vec![BigRational::zero(); a.len() + b.len() - 1];
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            out[i + j] += x * y;
        }
    }
    out
}

fn poly_eval(p: &Poly, t: &BigRational) -> BigRational {
    p.iter()
        .rev()
        .fold(BigRational::zero(), |acc, coefficient| {
            acc * t + coefficient
        })
}

/// `P(A is the top-k set)` for |ξ| ~ U[0, 1], exactly: on each interval between the sorted
/// products every `F_e(t) = min(t / c_e, 1)` is a polynomial, so the integrand
/// `Π_{f∉A} F_f · d/dt[−Π_{e∈A}(1 − F_e)]` is one too, integrated exactly; the c_e are the
/// exact dyadic rationals of their f64 values.
fn uniform_law(c: &[f64], set: u32, k: usize) -> BigRational {
    if let Some(forced) = forced_code(c, k) {
        return if set == forced {
            BigRational::one()
        } else {
            BigRational::zero()
        };
    }
    if (0..c.len()).any(|e| set >> e & 1 == 1 && c[e] == 0.0) {
        return BigRational::zero();
    }
    let exact: Vec<Option<BigRational>> = c
        .iter()
        .map(|&x| (x > 0.0).then(|| BigRational::from_float(x).unwrap()))
        .collect();
    let mut ends: Vec<BigRational> = exact.iter().flatten().cloned().collect();
    ends.sort();
    ends.dedup();
    let one = || vec![BigRational::one()];
    let mut total = BigRational::zero();
    let mut start = BigRational::zero();
    for end in ends {
        // On [start, end]: F_e = t / c_e where c_e ≥ end, else 1.
        let cdf = |ce: &BigRational| -> Poly {
            if *ce >= end {
                vec![BigRational::zero(), ce.recip()]
            } else {
                one()
            }
        };
        let (mut below, mut survival) = (one(), one());
        for (e, ce) in exact.iter().enumerate() {
            let Some(ce) = ce else { continue };
            let f = cdf(ce);
            if set >> e & 1 == 1 {
                let s: Poly = f
                    .iter()
                    .enumerate()
                    .map(|(i, x)| {
                        if i == 0 {
                            BigRational::one() - x
                        } else {
                            -x.clone()
                        }
                    })
                    .collect();
                survival = poly_mul(&survival, &s);
            } else {
                below = poly_mul(&below, &f);
            }
        }
        // d/dt[−survival], times `below`, integrated.
        let slope: Poly = survival
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, x)| -x * BigRational::from_integer(i.into()))
            .collect();
        if !slope.is_empty() {
            let integrand = poly_mul(&below, &slope);
            let antiderivative: Poly = std::iter::once(BigRational::zero())
                .chain(
                    integrand
                        .iter()
                        .enumerate()
                        .map(|(i, x)| x / BigRational::from_integer((i + 1).into())),
                )
                .collect();
            total += poly_eval(&antiderivative, &end) - poly_eval(&antiderivative, &start);
        }
        start = end;
    }
    total
}

/// Rounds `x` (≥ 0) down by the relative error of an n-operation product (`tol::gamma`).
fn down(x: f64, n: usize) -> f64 {
    (x * (1.0 - gamma(n).unwrap())).max(0.0)
}

fn up(x: f64, n: usize) -> f64 {
    x * (1.0 + gamma(n).unwrap())
}

/// Certified bounds `[lo, hi]` on `P(S_e > t) = P(|ξ| > t / c_e)`: the quotient is correctly
/// rounded, so the true argument lies between its f64 neighbours; `half_normal_sf` is within
/// `SF_RELATIVE_BOUND` of the truth (normal results; tails below 1e-290 are bounded by 0 and
/// that value).
fn tail_bounds(t: f64, ce: f64) -> (f64, f64) {
    if t == 0.0 {
        return (1.0, 1.0);
    }
    let x = t / ce;
    let (below, above) = (
        f64::from_bits(x.to_bits() - 1),
        f64::from_bits(x.to_bits() + 1),
    );
    let widen = 2.0 * SF_RELATIVE_BOUND;
    let hi = (half_normal_sf(below, 1.0).unwrap() * (1.0 + widen)).min(1.0);
    let lo = half_normal_sf(above, 1.0).unwrap() * (1.0 - widen);
    if lo < 1e-290 {
        (0.0, hi.max(1e-290))
    } else {
        (lo, hi)
    }
}

/// Tail bounds of every positive entry on the grid `t_m = m T / GRID`, m = 0..=GRID.
fn gaussian_grid(c: &[f64]) -> Vec<Vec<(f64, f64)>> {
    let top = c.iter().cloned().fold(0.0, f64::max) * GRID_END_SIGMAS;
    (0..=GRID)
        .into_par_iter()
        .map(|m| {
            let t = top * m as f64 / GRID as f64;
            c.iter()
                .map(|&ce| {
                    if ce > 0.0 {
                        tail_bounds(t, ce)
                    } else {
                        (0.0, 0.0)
                    }
                })
                .collect()
        })
        .collect()
}

/// Certified `[lo, hi]` on `P(A is the top-k set)` for half-normal noise. With `h(t) =
/// Π_{f∉A} F_f(t)` non-decreasing and `G(t) = 1 − Π_{e∈A}(1 − F_e(t))` the CDF of the smallest
/// kept score, `P = ∫ h dG` lies between `Σ h(t_m) ΔG_m` and `Σ h(t_(m+1)) ΔG_m + (1 − G(T))`;
/// every factor uses the worst end of its tail bounds and every f64 product and sum is widened
/// by `tol::gamma` of its operation count.
fn gaussian_law(c: &[f64], tails: &[Vec<(f64, f64)>], set: u32, k: usize) -> (f64, f64) {
    if let Some(forced) = forced_code(c, k) {
        let p = (set == forced) as u8 as f64;
        return (p, p);
    }
    if (0..c.len()).any(|e| set >> e & 1 == 1 && c[e] == 0.0) {
        return (0.0, 0.0);
    }
    let cells = c.len();
    let kept = |e: usize| set >> e & 1 == 1;
    let positive = |e: usize| c[e] > 0.0;
    // Lower and upper bounds on h and on the survival Q = Π_{e∈A} P(S_e > t) at one grid point.
    let at = |m: usize| {
        let (mut h_lo, mut h_hi, mut q_lo, mut q_hi) = (1.0, 1.0, 1.0, 1.0);
        for e in (0..cells).filter(|&e| positive(e)) {
            let (lo, hi) = tails[m][e];
            if kept(e) {
                q_lo *= lo;
                q_hi *= hi;
            } else {
                h_lo *= 1.0 - hi;
                h_hi *= 1.0 - lo;
            }
        }
        let n = 2 * cells + 2;
        (
            down(h_lo, n),
            up(h_hi, n).min(1.0),
            down(q_lo, n),
            up(q_hi, n).min(1.0),
        )
    };
    let (mut lower, mut upper) = (0.0, 0.0);
    let mut previous = at(0);
    for m in 1..=GRID {
        let next = at(m);
        let step_lo = down((previous.2 - next.3).max(0.0), 2);
        let step_hi = up((previous.3 - next.2).max(0.0), 2);
        lower += down(previous.0 * step_lo, 2);
        upper += up(next.1 * step_hi, 2);
        previous = next;
    }
    let sums = GRID + 4;
    (down(lower, sums), up(upper + previous.3, sums).min(1.0))
}

/// Every mask code of the configuration with its enclosure `[lo, hi]` (discretisation
/// allowance included); codes not listed have probability 0.
fn enclosures(config: &Config) -> Vec<(u32, f64, f64)> {
    let c = config.products();
    let subsets = (0u32..1 << config.cells()).filter(|s| s.count_ones() as usize == config.k);
    let raw: Vec<(u32, f64, f64)> = match config.law {
        Law::Uniform => subsets
            .map(|s| {
                let p = uniform_law(&c, s, config.k).to_f64().unwrap();
                // The f64 of an exact rational is within u relative.
                (s, down(p, 1), up(p, 1))
            })
            .collect(),
        Law::Gaussian => {
            let tails = gaussian_grid(&c);
            subsets
                .collect::<Vec<u32>>()
                .into_par_iter()
                .map(|s| {
                    let (lo, hi) = gaussian_law(&c, &tails, s, config.k);
                    (s, lo, hi)
                })
                .collect()
        }
    };
    raw.into_iter()
        .map(|(s, lo, hi)| {
            (
                s,
                (lo - DISCRETISATION).max(0.0),
                (hi + DISCRETISATION).min(1.0),
            )
        })
        .collect()
}

/// The per-mask test at N draws: the accepted count range `[lower, upper]` of each code from
/// Chernoff's bounds at the ends of its enclosure, each tail at level `delta_mask`; a code that
/// is not a k-subset must have count 0.
struct CountTest {
    ranges: Vec<MaskRange>,
    draws: usize,
}

/// One mask's enclosure `[lo, hi]` of its probability and accepted count range `[lower, upper]`.
#[derive(Clone, Copy)]
struct MaskRange {
    code: u32,
    lo: f64,
    lower: f64,
    upper: f64,
}

/// The outcome of a [`CountTest`] on one set of counts.
#[derive(Debug)]
struct Verdict {
    /// The largest excess beyond an accepted range, in units of that range's half-width (> 0:
    /// rejected), with its code.
    worst: f64,
    worst_code: u32,
    /// Draws that fell on a code that is not a k-subset.
    impossible: usize,
}

impl MaskRange {
    /// How far `count` lies beyond the accepted range, in half-widths (> 0: rejected). A lower
    /// end of 0 cannot be undershot, so only the upper end counts then.
    fn excess(&self, count: f64) -> f64 {
        let below = if self.lower > 0.0 {
            self.lower - count
        } else {
            f64::NEG_INFINITY
        };
        (count - self.upper).max(below) / (0.5 * (self.upper - self.lower))
    }
}

impl Verdict {
    fn rejects(&self) -> bool {
        self.worst > 0.0 || self.impossible > 0
    }
}

impl CountTest {
    fn new(enclosures: &[(u32, f64, f64)], draws: usize, delta_mask: f64) -> Self {
        let ranges = enclosures
            .iter()
            .map(|&(code, lo, hi)| MaskRange {
                code,
                lo,
                lower: chernoff_lower(draws as f64 * lo, delta_mask).unwrap(),
                upper: chernoff_upper(draws as f64 * hi, delta_mask).unwrap(),
            })
            .collect();
        CountTest { ranges, draws }
    }

    fn judge(&self, codes: &[u32]) -> Verdict {
        assert_eq!(codes.len(), self.draws);
        let mut counts = std::collections::HashMap::new();
        for &c in codes {
            *counts.entry(c).or_insert(0usize) += 1;
        }
        let mut verdict = Verdict {
            worst: f64::NEG_INFINITY,
            worst_code: 0,
            impossible: 0,
        };
        for range in &self.ranges {
            let s = range.code;
            let x = counts.remove(&s).unwrap_or(0) as f64;
            let excess = range.excess(x);
            if excess > verdict.worst {
                verdict = Verdict {
                    worst: excess,
                    worst_code: s,
                    ..verdict
                };
            }
        }
        verdict.impossible += counts.values().sum::<usize>();
        verdict
    }
}

/// A tiny shape: name, φ, ψ and the kept counts to test.
type Shape = (&'static str, Vec<f64>, Vec<f64>, Vec<usize>);

/// The configurations: distinct products, equal products, zero-profile ties, both laws.
fn configs() -> Vec<Config> {
    let mut out = Vec::new();
    let shapes: [Shape; 5] = [
        ("2x2", vec![1.0, 2.0], vec![1.0, 1.5], vec![1, 2]),
        ("2x3", vec![1.0, 2.0], vec![1.0, 1.3, 1.7], vec![2, 3]),
        (
            "3x3",
            vec![1.0, 1.5, 2.5],
            vec![1.0, 1.25, 1.75],
            vec![2, 4],
        ),
        ("2x3-equal", vec![1.0, 2.0], vec![1.0, 2.0, 4.0], vec![3]),
        (
            "2x3-zero-ties",
            vec![0.0, 1.0],
            vec![1.0, 2.0, 3.0],
            vec![2, 4],
        ),
    ];
    for (shape, phi, psi, ks) in shapes {
        for k in ks {
            for law in [Law::Gaussian, Law::Uniform] {
                out.push(Config {
                    name: format!("{shape}/k={k}/{law:?}"),
                    phi: phi.clone(),
                    psi: psi.clone(),
                    k,
                    law,
                });
            }
        }
    }
    out
}

/// N masks from the production path, labels `SAMPLER-LAW/{config}/{r}`, with the concrete law
/// type as production callers use it (`sample_mask_for` dispatches the same way).
fn sampler_codes(config: &Config, draws: usize) -> Vec<u32> {
    match config.law {
        Law::Gaussian => codes_for(config, &HalfNormal { sigma: 1.0 }, draws),
        Law::Uniform => codes_for(config, &UniformAbs { a: 1.0 }, draws),
    }
}

fn codes_for<L: NoiseLaw>(config: &Config, law: &L, draws: usize) -> Vec<u32> {
    let spec = config.spec();
    let hint = threshold_window(&spec, law, 1e-6).unwrap();
    (0..draws)
        .into_par_iter()
        .map(|r| {
            let label = format!("SAMPLER-LAW/{}/{r}", config.name);
            let mask = sample_mask(&spec, law, MasterSeed::default(), &label, Some(hint));
            code(&mask.unwrap())
        })
        .collect()
}

/// Draws N score vectors of `config` (labels `SAMPLER-LAW/{config}/control/{r}`) and maps each
/// through a control sampler.
fn control_codes(
    config: &Config,
    draws: usize,
    sampler: impl Fn(&[f64], usize) -> u32 + Sync,
) -> Vec<u32> {
    let spec = config.spec();
    let seed = MasterSeed::default();
    let scores = |r: usize| {
        let label = format!("SAMPLER-LAW/{}/control/{r}", config.name);
        match config.law {
            Law::Gaussian => sample_scores(&spec, &HalfNormal { sigma: 1.0 }, seed, &label),
            Law::Uniform => sample_scores(&spec, &UniformAbs { a: 1.0 }, seed, &label),
        }
        .unwrap()
    };
    (0..draws)
        .into_par_iter()
        .map(|r| sampler(&scores(r), r))
        .collect()
}

/// The wrong-profile control multiplies one product by this. Its predicted excess is printed:
/// 2.8 half-widths for uniform noise and 1.3 for half-normal noise, while a count's standard
/// deviation is about 1/sqrt(2 ln(1/δ)) ≈ 0.15 half-widths, so the control is rejected surely.
const CONTROL_FACTOR: f64 = 1.15;

/// Draws per configuration.
const TINY_DRAWS: usize = 40_000;

#[test]
fn tiny_masks_follow_the_certified_top_k_law() {
    let configs = configs();
    let masks: usize = configs.iter().map(|c| num_subsets(c.cells(), c.k)).sum();
    // Two tails per mask, Bonferroni over all masks of all configurations.
    let delta_mask = DELTA_TINY / (2 * masks) as f64;
    println!(
        "SAMPLER-LAW tiny: {} configurations, {masks} masks, δ per tail {delta_mask:.2e}",
        configs.len()
    );
    let mut tests = Vec::new();
    for config in &configs {
        let enclosure = enclosures(config);
        let widest = enclosure.iter().map(|e| e.2 - e.1).fold(0.0, f64::max);
        let total_lo: f64 = enclosure.iter().map(|e| e.1).sum();
        let total_hi: f64 = enclosure.iter().map(|e| e.2).sum();
        assert!(
            total_lo <= 1.0 && 1.0 <= total_hi,
            "{}: enclosures do not bracket a total of 1: [{total_lo}, {total_hi}]",
            config.name
        );
        let test = CountTest::new(&enclosure, TINY_DRAWS, delta_mask);
        let verdict = test.judge(&sampler_codes(config, TINY_DRAWS));
        println!(
            "SAMPLER-LAW {}: widest enclosure {widest:.1e}, worst excess {:.3} (mask {:#b}), impossible {}",
            config.name, verdict.worst, verdict.worst_code, verdict.impossible
        );
        assert!(
            !verdict.rejects(),
            "SAMPLER-LAW {}: the sampler's mask frequencies leave the certified top-k law: {verdict:?} \
             (N = {TINY_DRAWS}, labels SAMPLER-LAW/{}/r)",
            config.name,
            config.name
        );
        tests.push((config.clone(), test));
    }
    run_controls(&tests);
}

fn num_subsets(n: usize, k: usize) -> usize {
    (0..k).fold(1, |acc, i| acc * (n - i) / (i + 1))
}

/// The negative controls, each on the configuration named, with the same test and N.
fn run_controls(tests: &[(Config, CountTest)]) {
    let find = |name: &str| tests.iter().find(|(c, _)| c.name == name).unwrap();
    let report = |what: &str, name: &str, codes: Vec<u32>| {
        let verdict = find(name).1.judge(&codes);
        println!(
            "SAMPLER-LAW control {what} on {name}: worst excess {:.3}, impossible {} (rejected: {})",
            verdict.worst,
            verdict.impossible,
            verdict.rejects()
        );
        assert!(
            verdict.rejects(),
            "control {what} on {name} is not rejected: {verdict:?}"
        );
    };
    // (a) A window trusted without its fallback: keep the scores above `hi` in index order (at
    // most k), then fill the rest at random. `hi` is the median k-th score of the model, so the
    // window misses about half of the time.
    let name = "3x3/k=4/Gaussian";
    let (config, _) = find(name);
    let hi = median_kth_score(config);
    let k = config.k;
    let cells = config.cells();
    let codes = control_codes(config, TINY_DRAWS, |s, r| {
        let mut code = 0u32;
        for e in (0..cells).filter(|&e| s[e] > hi).take(k) {
            code |= 1 << e;
        }
        let mut rng = MasterSeed::default().stream(&format!("SAMPLER-LAW/{name}/fill/{r}"));
        while (code.count_ones() as usize) < k {
            code |= 1 << (rng.next_u64() % cells as u64);
        }
        code
    });
    report("window without fallback", name, codes);
    // (b) Ties to the larger index (zero profile values tie at score 0).
    let name = "2x3-zero-ties/k=4/Uniform";
    let (config, _) = find(name);
    let codes = control_codes(config, TINY_DRAWS, |s, _| {
        let reversed: Vec<f64> = s.iter().rev().cloned().collect();
        let c = top_code(&reversed, config.k);
        (0..s.len()).fold(0, |acc, e| acc | ((c >> (s.len() - 1 - e)) & 1) << e)
    });
    report("ties to the larger index", name, codes);
    // (c) One more kept entry; a row profile 5% too large.
    let name = "2x2/k=1/Gaussian";
    let (config, _) = find(name);
    let codes = control_codes(config, TINY_DRAWS, |s, _| top_code(s, config.k + 1));
    report("k + 1 kept", name, codes);
    // A profile product 15% too large (entry (2, 0) of 3 × 3, k = 2). The expected counts under
    // this alternative come from the same law computations; the test's power is printed beside
    // the Chernoff–Stein yardstick of the best (Neyman–Pearson) test, N ≈ ln(1/δ)/KL.
    for name in ["3x3/k=2/Uniform", "3x3/k=2/Gaussian"] {
        let (config, test) = find(name);
        let entry = 2 * config.psi.len();
        for factor in [1.05, 1.10, CONTROL_FACTOR] {
            let mut wrong = config.products();
            wrong[entry] *= factor;
            let (predicted, kl) = alternative_power(config, test, &wrong);
            println!(
                "SAMPLER-LAW power on {name}: c_{entry} · {factor}: predicted excess {predicted:.3}, \
                 best test needs N ≈ {:.0} (this test: N = {TINY_DRAWS})",
                (2.0 / DELTA_TINY).ln() / kl
            );
        }
        let codes = control_codes(config, TINY_DRAWS, |s, _| {
            let scaled: Vec<f64> = s
                .iter()
                .enumerate()
                .map(|(e, x)| if e == entry { x * CONTROL_FACTOR } else { *x })
                .collect();
            top_code(&scaled, config.k)
        });
        report(&format!("c_(2,0) · {CONTROL_FACTOR}"), name, codes);
    }
}

/// For wrong products: the excess the expected counts of the wrong law reach
/// (in half-widths; > 0: outside an acceptance range) and KL(wrong ‖ enclosure's lower ends).
fn alternative_power(config: &Config, test: &CountTest, wrong: &[f64]) -> (f64, f64) {
    let mut worst = f64::NEG_INFINITY;
    let mut kl = 0.0;
    let tails = matches!(config.law, Law::Gaussian).then(|| gaussian_grid(wrong));
    for range in &test.ranges {
        let p = match &tails {
            None => uniform_law(wrong, range.code, config.k).to_f64().unwrap(),
            Some(tails) => {
                let (lo, hi) = gaussian_law(wrong, tails, range.code, config.k);
                0.5 * (lo + hi)
            }
        };
        worst = worst.max(range.excess(p * test.draws as f64));
        if p > 0.0 && range.lo > 0.0 {
            kl += p * (p / range.lo).ln();
        }
    }
    (worst, kl)
}

/// The median of the k-th largest score over 1001 control draws (labels
/// `SAMPLER-LAW/{config}/median/{r}`).
fn median_kth_score(config: &Config) -> f64 {
    let spec = config.spec();
    let law = HalfNormal { sigma: 1.0 };
    let mut kth: Vec<f64> = (0..1001)
        .map(|r| {
            let label = format!("SAMPLER-LAW/{}/median/{r}", config.name);
            sample_mask_in_memory(&spec, &law, MasterSeed::default(), &label)
                .unwrap()
                .threshold()
        })
        .collect();
    kth.sort_by(f64::total_cmp);
    kth[500]
}

// ---------------------------------------------------------------------------------------------
// Paper sizes: two-sample tests against the straightforward reference.

/// Masks per sampler and model.
const PAPER_MASKS: usize = 64;

/// Side of the block grid of the block densities.
const BLOCK_GRID: usize = 8;

/// Names of the per-mask statistics, in the order [`mask_statistics`] returns them.
fn statistic_names() -> Vec<String> {
    let mut names: Vec<String> = [
        "row centroid",
        "column centroid",
        "row degree variance",
        "column degree variance",
    ]
    .map(String::from)
    .to_vec();
    names.extend(
        (0..BLOCK_GRID * BLOCK_GRID)
            .map(|b| format!("block ({}, {})", b / BLOCK_GRID, b % BLOCK_GRID)),
    );
    names.push("t(C4)".into());
    names
}

/// Per-mask statistics: degree centroids `Σ_i u_i deg_i / k` (u_i the row midpoint) of rows and
/// columns, the variances of the degree fractions and t(C4) (`taxonomy::stats::mask_stats`), and
/// the 8 × 8 block densities.
fn mask_statistics(mask: &Mask) -> Vec<f64> {
    let (n, d) = (mask.rows(), mask.cols());
    let k = mask.kept() as f64;
    let centroid = |degrees: Vec<u32>| {
        let m = degrees.len() as f64;
        let weighted: f64 = degrees
            .iter()
            .enumerate()
            .map(|(i, &x)| (i as f64 + 0.5) / m * x as f64)
            .sum();
        weighted / k
    };
    let summary = mask_stats(mask);
    let mut out = vec![
        centroid(mask.row_degrees()),
        centroid(mask.column_degrees()),
        summary.row_degrees.variance,
        summary.col_degrees.variance,
    ];
    let (bn, bd) = (n / BLOCK_GRID, d / BLOCK_GRID);
    let mut sums = vec![0u64; BLOCK_GRID * BLOCK_GRID];
    accumulate_blocks(&mut sums, mask, bn, bd).unwrap();
    out.extend(sums.iter().map(|&s| s as f64 / (bn * bd) as f64));
    out.push(summary.c4_f64());
    out
}

/// The smallest count `c` with `P(m D ≥ c) ≤ delta` under the null (exact, two-sided).
fn ks_critical(m: usize, delta: f64) -> usize {
    (1..=m)
        .find(|&c| two_sample_sf(m, c, false).unwrap() <= delta)
        .expect("δ reachable at this m")
}

/// The two-sample KS counts `m D` of each statistic between two stacks of masks.
fn ks_counts(a: &[Vec<f64>], b: &[Vec<f64>]) -> Vec<usize> {
    (0..a[0].len())
        .map(|j| {
            let column = |x: &[Vec<f64>]| x.iter().map(|v| v[j]).collect::<Vec<f64>>();
            two_sample_counts(&column(a), &column(b)).unwrap().0
        })
        .collect()
}

/// The first statistic (among `which`) whose count reaches `critical`, with the largest count.
fn first_rejection(
    counts: &[usize],
    which: std::ops::Range<usize>,
    critical: usize,
) -> (Option<usize>, usize) {
    let largest = counts[which.clone()].iter().copied().max().unwrap();
    (which.clone().find(|&j| counts[j] >= critical), largest)
}

/// Every row of every mask shifted cyclically by a random offset (stream `{label}`): row degrees
/// kept, the column structure lost.
fn shift_rows(masks: &[Mask], label: &str) -> Vec<Mask> {
    let mut rng = MasterSeed::default().stream(label);
    masks
        .iter()
        .map(|m| {
            let (n, d) = (m.rows(), m.cols());
            let mut entries = vec![0u8; n * d];
            for i in 0..n {
                let offset = (rng.next_u64() % d as u64) as usize;
                for j in 0..d {
                    entries[i * d + (j + offset) % d] = m.get(i, j).unwrap() as u8;
                }
            }
            Mask::from_entries(n, d, &entries).unwrap()
        })
        .collect()
}

/// One paper-size model: the production sampler against the reference on every statistic, and
/// the negative controls. `tests` is the number of KS tests in the suite (Bonferroni).
fn paper_model(name: &str, model: &str, wrong: &str, n: usize, rho: f64, tests: usize) {
    let fsm = pai_graphon::convergence::limit::Fsm::parse_spec(model).unwrap();
    let spec = MaskSpec::new(n, n, Density::new(rho).unwrap(), &fsm.row, &fsm.col).unwrap();
    let law = fsm.noise.law();
    let hint = threshold_window(&spec, law, 1e-6).unwrap();
    let seed = MasterSeed::default();
    let draw = |role: &str, spec: &MaskSpec, fast: bool| -> Vec<Mask> {
        (0..PAPER_MASKS)
            .into_par_iter()
            .map(|s| {
                let label = format!("SAMPLER-LAW/{name}/{role}/{s}");
                if fast {
                    sample_mask_for(spec, &fsm.noise, seed, &label, Some(hint)).unwrap()
                } else {
                    sample_mask_in_memory(spec, law, seed, &label).unwrap()
                }
            })
            .collect()
    };
    let (fast, reference) = (draw("fast", &spec, true), draw("reference", &spec, false));
    // Density: the kept count is k exactly, in every mask of both samplers.
    let k = spec.kept();
    let counted = |m: &Mask| m.row_degrees().iter().map(|&x| x as u64).sum::<u64>();
    for m in fast.iter().chain(&reference) {
        assert_eq!(
            (m.kept(), counted(m)),
            (k, k),
            "SAMPLER-LAW {name}: kept count"
        );
    }
    let denser =
        MaskSpec::new(n, n, Density::new(rho * 1.02).unwrap(), &fsm.row, &fsm.col).unwrap();
    let control = sample_mask(
        &denser,
        law,
        seed,
        &format!("SAMPLER-LAW/{name}/denser"),
        None,
    )
    .unwrap();
    println!(
        "SAMPLER-LAW {name}: kept {k} in all {} masks; control ρ·1.02 keeps {}",
        2 * PAPER_MASKS,
        counted(&control)
    );
    assert_ne!(counted(&control), k, "control ρ·1.02 not rejected");
    // Per-mask statistics, exact two-sample KS, Bonferroni over the suite's tests.
    let stats = |masks: &[Mask]| masks.iter().map(mask_statistics).collect::<Vec<Vec<f64>>>();
    let (a, b) = (stats(&fast), stats(&reference));
    let critical = ks_critical(PAPER_MASKS, DELTA_PAPER / tests as f64);
    let names = statistic_names();
    let counts = ks_counts(&a, &b);
    let worst = (0..counts.len()).max_by_key(|&j| counts[j]).unwrap();
    println!(
        "SAMPLER-LAW {name}: largest m·D {} ({}) vs critical {critical} (m = {PAPER_MASKS}, δ per test {:.1e})",
        counts[worst],
        names[worst],
        DELTA_PAPER / tests as f64
    );
    assert!(
        counts[worst] < critical,
        "SAMPLER-LAW {name}: {} differs between sample_mask and the reference: m·D = {} ≥ {critical}",
        names[worst],
        counts[worst]
    );
    // Controls: a wrong profile against the reference (degrees, blocks), shifted rows (t(C4)).
    let wrong_fsm = pai_graphon::convergence::limit::Fsm::parse_spec(wrong).unwrap();
    let wrong_spec = MaskSpec::new(
        n,
        n,
        Density::new(rho).unwrap(),
        &wrong_fsm.row,
        &wrong_fsm.col,
    )
    .unwrap();
    let c = ks_counts(&stats(&draw("control", &wrong_spec, false)), &b);
    let blocks = 4..4 + BLOCK_GRID * BLOCK_GRID;
    for (what, range) in [("degree profiles", 0..4), ("block densities", blocks)] {
        let (rejected, largest) = first_rejection(&c, range, critical);
        println!(
            "SAMPLER-LAW {name}: control {wrong} on {what}: largest m·D {largest} vs {critical}"
        );
        assert!(rejected.is_some(), "control {wrong} not rejected on {what}");
    }
    let shifted = stats(&shift_rows(
        &reference,
        &format!("SAMPLER-LAW/{name}/shift"),
    ));
    let c = ks_counts(&shifted, &a);
    let last = c.len() - 1;
    println!(
        "SAMPLER-LAW {name}: control shifted rows on t(C4): m·D {} vs {critical}",
        c[last]
    );
    assert!(c[last] >= critical, "shifted rows not rejected on t(C4)");
}

#[test]
fn paper_size_masks_match_the_reference_sampler() {
    let tests = 2 * statistic_names().len();
    paper_model(
        "fig1",
        "exp:3;exp:3;gaussian:1",
        "exp:2.9;exp:2.9;gaussian:1",
        512,
        0.2,
        tests,
    );
    paper_model(
        "step-empirical",
        "step:0.5;1,3;empirical:1,2,2,5;uniform:1",
        "step:0.5;1,2.7;empirical:1,2,2,5;uniform:1",
        512,
        0.3,
        tests,
    );
}

/// The Figure-1 model at n = d = 1000 (its own δ = [`DELTA_PAPER`], outside the default suite).
#[test]
#[ignore = "extra large variant (about 4 times the default test's work)"]
fn paper_size_masks_match_the_reference_sampler_at_1000() {
    let tests = statistic_names().len();
    paper_model(
        "fig1-1000",
        "exp:3;exp:3;gaussian:1",
        "exp:2.9;exp:2.9;gaussian:1",
        1000,
        0.2,
        tests,
    );
}
