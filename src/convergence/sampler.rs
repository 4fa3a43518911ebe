//! Sampled Factorised-Saliency-Model masks of any size n × d (rows = hidden neurons, columns =
//! inputs), exact top-k, bit-identical for any number of threads.
//!
//! **Grid profiles.** Row i (0-based) sits at `u_i = (i + 1/2)/n`, column j at
//! `v_j = (j + 1/2)/d` (midpoints of n, resp. d, equal cells; the quotient is rounded to f64), and
//! `φ_i = φ(u_i)`, `ψ_j = ψ(v_j)`.
//!
//! **Scores.** `S_ij = (φ_i · ψ_j) · |ξ_ij|`, evaluated in f64 in exactly that order (the profile
//! product first). Every comparison in this module compares these f64 values, never a rearranged
//! form, so all paths agree bit for bit. Scores must be finite and non-negative; a noise law
//! that yields NaN, ∞ or a negative value is reported as an error.
//!
//! **Randomness.** Rows are grouped in blocks of [`ROW_BLOCK`] = 64: block b holds rows
//! `64b .. min(64b + 64, n)` and draws all of its |ξ| from the ChaCha stream
//! `MasterSeed::stream("{prefix}/rows={b}")`, in row-major order (row by row, column 0 first).
//! Blocks run in parallel under rayon; a block's stream can be replayed on its own, which the
//! multi-pass paths do.
//!
//! **Top-k.** The mask keeps the k = round(ρ n d) largest scores, ties broken by the smaller
//! linear index, as defined in [`crate::mask`] (the generic [`Mask`], [`kept_count`] and
//! top-k live there; this module is the FSM sampler).
//!
//! **Paths.**
//! - [`sample_mask`] with a threshold window `[lo, hi]` (e.g. from [`threshold_window`]): one pass
//!   over the streams sets the bits of scores above `hi` and keeps the (score, index) pairs inside
//!   the window; the k-th entry is selected exactly among them. If the k-th score is not in the
//!   window (or the window holds more than [`CANDIDATE_CAP`] pairs) it falls back to the exact
//!   multi-pass path. Correctness never depends on the window.
//! - [`sample_mask_exact`]: selection in passes over replayed streams, memory O(n d / 8) for the
//!   bits plus at most the candidate cap. Pass 1 histograms the top 19 bits below the sign of the
//!   scores' bit patterns (monotone in the value for non-negative f64); the bucket holding the
//!   k-th entry becomes the window of a second pass. A bucket with more pairs than the cap is
//!   refined by further histogram passes over the next 16, 16, 12 bits; a bucket that is a single
//!   value (a tie of more than the cap) is resolved by counting the ties per block and keeping the
//!   first ones in index order.
//! - [`sample_mask_in_memory`]: all scores in memory, one selection; the reference for tests.
//!
//! ```
//! use pai_graphon::convergence::sampler::{sample_mask, sample_mask_in_memory, MaskSpec};
//! use pai_graphon::convergence::noise::HalfNormal;
//! use pai_graphon::seed::MasterSeed;
//! let spec = MaskSpec::from_grids(vec![1.0; 100], vec![1.0; 30], 0.1).unwrap();
//! let (law, seed) = (HalfNormal { sigma: 1.0 }, MasterSeed::default());
//! let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
//! let multi_pass = one.install(|| sample_mask(&spec, &law, seed, "DOC", None)).unwrap();
//! let reference = sample_mask_in_memory(&spec, &law, seed, "DOC").unwrap();
//! assert_eq!(multi_pass, reference); // same entries and threshold, bit for bit
//! assert_eq!(reference.kept(), 300);
//! ```

use super::noise::{Noise, NoiseLaw};
use super::profile::Profile;
use super::ConvergenceError;
use crate::mask::{cell_count, kept_count, select_top, top_k_mask, Mask, IN_MEMORY_LIMIT};
use crate::params::Density;
use crate::seed::MasterSeed;
use crate::tol::{hoeffding, Tail};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Rows per random stream (and per parallel task).
///
/// ```
/// use pai_graphon::convergence::sampler::{sample_scores, MaskSpec, ROW_BLOCK};
/// use pai_graphon::convergence::noise::{NoiseLaw, UniformAbs};
/// use pai_graphon::seed::MasterSeed;
/// let spec = |n| MaskSpec::from_grids(vec![1.0; n], vec![1.0; 3], 0.5).unwrap();
/// let (law, seed) = (UniformAbs { a: 1.0 }, MasterSeed::default());
/// let short = sample_scores(&spec(ROW_BLOCK), &law, seed, "DOC").unwrap();
/// let long = sample_scores(&spec(ROW_BLOCK + 1), &law, seed, "DOC").unwrap();
/// // Block 0 has its own stream, so extra rows leave it alone; row 64 opens block 1's stream.
/// assert_eq!(&long[..short.len()], &short[..]);
/// assert_eq!(long[3 * ROW_BLOCK], law.sample_abs(&mut seed.stream("DOC/rows=1")));
/// ```
pub const ROW_BLOCK: usize = 64;

/// Largest number of (score, index) candidates (16 bytes each, so 128 MiB) a single pass keeps.
///
/// ```
/// use pai_graphon::convergence::sampler::{sample_mask_exact, sample_mask_in_memory, MaskSpec, CANDIDATE_CAP};
/// use pai_graphon::convergence::noise::UniformAbs;
/// use pai_graphon::seed::MasterSeed;
/// assert_eq!(16 * CANDIDATE_CAP, 128 << 20);
/// let spec = MaskSpec::from_grids(vec![1.0; 70], vec![2.0; 30], 0.3).unwrap();
/// let (law, seed) = (UniformAbs { a: 1.0 }, MasterSeed::default());
/// let m = sample_mask_exact(&spec, &law, seed, "DOC", CANDIDATE_CAP).unwrap();
/// assert_eq!(m, sample_mask_in_memory(&spec, &law, seed, "DOC").unwrap());
/// assert_eq!(m.passes(), 2); // a histogram, then the candidates of one bucket
/// ```
pub const CANDIDATE_CAP: usize = 1 << 23;

/// Row and column groups per side in [`threshold_window`]'s bounding sums.
///
/// ```
/// use pai_graphon::convergence::sampler::{sample_mask, threshold_window, MaskSpec, HINT_GROUPS};
/// use pai_graphon::convergence::{noise::HalfNormal, profile::Profile};
/// use pai_graphon::seed::MasterSeed;
/// // More row values than groups: the window brackets grouped sums, and still holds τ_n.
/// let exp3 = Profile::parse("exp:3").unwrap();
/// let spec = MaskSpec::new(HINT_GROUPS + 44, 2, 0.2, &exp3, &exp3).unwrap();
/// let law = HalfNormal { sigma: 1.0 };
/// let w = threshold_window(&spec, &law, 1e-6).unwrap();
/// let m = sample_mask(&spec, &law, MasterSeed::default(), "DOC", Some(w)).unwrap();
/// assert!(w.lo <= m.threshold() && m.threshold() <= w.hi && m.passes() == 1);
/// ```
pub const HINT_GROUPS: usize = 256;

/// Bits fixed by each histogram level of the exact path, from bit 62 (below the sign) down.
const LEVEL_WIDTHS: [u32; 4] = [19, 16, 16, 12];

/// The bit pattern of the largest finite f64; valid scores have patterns at most this.
const MAX_FINITE_BITS: u64 = 0x7fef_ffff_ffff_ffff;

/// The grid values `profile((i + 1/2)/m)` for i = 0..m.
///
/// ```
/// use pai_graphon::convergence::{sampler::grid, profile::Profile};
/// let g = grid(&Profile::parse("affine:0,1").unwrap(), 4);
/// assert_eq!(g, vec![0.125, 0.375, 0.625, 0.875]);
/// ```
pub fn grid(profile: &Profile, m: usize) -> Vec<f64> {
    (0..m)
        .map(|i| profile.value((i as f64 + 0.5) / m as f64))
        .collect()
}

/// What to sample: the grid profiles φ (length n), ψ (length d) and the kept count k.
///
/// ```
/// use pai_graphon::convergence::sampler::MaskSpec;
/// let spec = MaskSpec::from_grids(vec![-0.0, 1.0], vec![2.0], 0.5).unwrap();
/// assert!(spec.phi()[0].is_sign_positive()); // −0 stored as +0
/// assert_eq!((spec.kept(), spec.score(1, 0, 0.25)), (1, 0.5));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct MaskSpec {
    phi: Vec<f64>,
    psi: Vec<f64>,
    kept: u64,
}

impl MaskSpec {
    /// The spec of an n × d mask of density ρ with grid profiles (see the module doc).
    ///
    /// ```
    /// use pai_graphon::convergence::{sampler::MaskSpec, profile::Profile};
    /// let exp3 = Profile::parse("exp:3").unwrap();
    /// let spec = MaskSpec::new(200, 300, 0.2, &exp3, &exp3).unwrap();
    /// assert_eq!((spec.rows(), spec.cols(), spec.kept()), (200, 300, 12_000));
    /// ```
    pub fn new(
        n: usize,
        d: usize,
        rho: f64,
        rows: &Profile,
        cols: &Profile,
    ) -> Result<Self, ConvergenceError> {
        cell_count(n, d)?;
        Self::from_grids(grid(rows, n), grid(cols, d), rho)
    }

    /// A spec from explicit profile values (any order; finite and non-negative; −0 becomes +0).
    ///
    /// ```
    /// use pai_graphon::convergence::sampler::MaskSpec;
    /// let spec = MaskSpec::from_grids(vec![1.0, 2.0], vec![3.0], 0.5).unwrap();
    /// assert_eq!(spec.score(1, 0, 0.5), 3.0);
    /// assert!(MaskSpec::from_grids(vec![-1.0], vec![1.0], 0.5).is_err());
    /// ```
    pub fn from_grids(phi: Vec<f64>, psi: Vec<f64>, rho: f64) -> Result<Self, ConvergenceError> {
        let kept = kept_count(phi.len(), psi.len(), Density::new(rho)?)?;
        let clean = |v: Vec<f64>, side: &'static str| match v
            .iter()
            .find(|x| !(x.is_finite() && **x >= 0.0))
        {
            Some(&value) => Err(ConvergenceError::Profile {
                what: side,
                value,
                why: "is not finite and non-negative",
            }),
            None => Ok(v.into_iter().map(|x| x + 0.0).collect::<Vec<f64>>()),
        };
        Ok(MaskSpec {
            phi: clean(phi, "row profile value")?,
            psi: clean(psi, "column profile value")?,
            kept,
        })
    }

    /// n, the number of rows (hidden neurons).
    ///
    /// ```
    /// use pai_graphon::convergence::sampler::MaskSpec;
    /// assert_eq!(MaskSpec::from_grids(vec![1.0; 3], vec![1.0; 5], 0.5).unwrap().rows(), 3);
    /// ```
    pub fn rows(&self) -> usize {
        self.phi.len()
    }

    /// d, the number of columns (inputs).
    ///
    /// ```
    /// use pai_graphon::convergence::sampler::MaskSpec;
    /// assert_eq!(MaskSpec::from_grids(vec![1.0; 3], vec![1.0; 5], 0.5).unwrap().cols(), 5);
    /// ```
    pub fn cols(&self) -> usize {
        self.psi.len()
    }

    /// k, the number of kept entries.
    ///
    /// ```
    /// use pai_graphon::convergence::sampler::MaskSpec;
    /// let spec = MaskSpec::from_grids(vec![1.0; 3], vec![1.0; 5], 0.5).unwrap();
    /// assert_eq!(spec.kept(), 8); // round(7.5): halves round up
    /// ```
    pub fn kept(&self) -> u64 {
        self.kept
    }

    /// The row profile values φ_i.
    ///
    /// ```
    /// use pai_graphon::convergence::{sampler::MaskSpec, profile::Profile};
    /// let (u, one) = (Profile::parse("affine:0,1").unwrap(), Profile::parse("const:1").unwrap());
    /// let spec = MaskSpec::new(4, 1, 0.5, &u, &one).unwrap();
    /// assert_eq!(spec.phi(), &[0.125, 0.375, 0.625, 0.875]); // φ at the row midpoints
    /// ```
    pub fn phi(&self) -> &[f64] {
        &self.phi
    }

    /// The column profile values ψ_j.
    ///
    /// ```
    /// use pai_graphon::convergence::{sampler::MaskSpec, profile::Profile};
    /// let (u, one) = (Profile::parse("affine:0,1").unwrap(), Profile::parse("const:1").unwrap());
    /// let spec = MaskSpec::new(1, 2, 0.5, &one, &u).unwrap();
    /// assert_eq!(spec.psi(), &[0.25, 0.75]);
    /// ```
    pub fn psi(&self) -> &[f64] {
        &self.psi
    }

    /// The score `(φ_i · ψ_j) · abs_xi` exactly as every path computes it.
    ///
    /// ```
    /// use pai_graphon::convergence::sampler::MaskSpec;
    /// let spec = MaskSpec::from_grids(vec![2.0], vec![3.0], 0.5).unwrap();
    /// assert_eq!(spec.score(0, 0, 0.5), 3.0);
    /// ```
    pub fn score(&self, i: usize, j: usize, abs_xi: f64) -> f64 {
        (self.phi[i] * self.psi[j]) * abs_xi
    }

    fn blocks(&self) -> usize {
        self.rows().div_ceil(ROW_BLOCK)
    }

    fn words_per_row(&self) -> usize {
        self.cols().div_ceil(64)
    }

    fn block_rows(&self, b: usize) -> std::ops::Range<usize> {
        b * ROW_BLOCK..((b + 1) * ROW_BLOCK).min(self.rows())
    }
}

/// A window `[lo, hi]` expected to contain the threshold τ_n; a hint only.
///
/// ```
/// use pai_graphon::convergence::sampler::{sample_mask, MaskSpec, Window};
/// use pai_graphon::convergence::noise::HalfNormal;
/// use pai_graphon::seed::MasterSeed;
/// let spec = MaskSpec::from_grids(vec![1.0; 20], vec![1.0; 20], 0.2).unwrap();
/// let (law, seed) = (HalfNormal { sigma: 1.0 }, MasterSeed::default());
/// // A window that misses τ_n only costs time: the mask is the same.
/// let missed = sample_mask(&spec, &law, seed, "DOC", Some(Window { lo: 100.0, hi: 200.0 })).unwrap();
/// assert_eq!(missed, sample_mask(&spec, &law, seed, "DOC", None).unwrap());
/// assert!(sample_mask(&spec, &law, seed, "DOC", Some(Window { lo: 2.0, hi: 1.0 })).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    /// Lower end (≥ 0).
    pub lo: f64,
    /// Upper end (≥ lo, may be +∞).
    pub hi: f64,
}

impl Window {
    fn validate(self) -> Result<Self, ConvergenceError> {
        if self.lo >= 0.0 && self.hi >= self.lo {
            Ok(Window {
                lo: self.lo + 0.0,
                hi: self.hi,
            })
        } else {
            Err(ConvergenceError::Window {
                lo: self.lo,
                hi: self.hi,
            })
        }
    }
}

fn invalid_score(bits: u64) -> ConvergenceError {
    ConvergenceError::Score {
        score: f64::from_bits(bits),
    }
}

/// Fills `out` with the scores of row `i`, drawing |ξ| from `rng`.
#[inline]
fn fill_row<L: NoiseLaw + ?Sized>(
    law: &L,
    rng: &mut ChaCha20Rng,
    phi_i: f64,
    psi: &[f64],
    out: &mut [f64],
) {
    for (o, &p) in out.iter_mut().zip(psi) {
        *o = (phi_i * p) * law.sample_abs(rng);
    }
}

/// Replays block b: calls `visit(local_row, scores)` row by row until it returns false.
fn visit_block<L: NoiseLaw + ?Sized>(
    spec: &MaskSpec,
    law: &L,
    seed: MasterSeed,
    prefix: &str,
    b: usize,
    mut visit: impl FnMut(usize, &[f64]) -> bool,
) {
    let mut rng = seed.stream(&format!("{prefix}/rows={b}"));
    let mut row = vec![0.0; spec.cols()];
    for (local, i) in spec.block_rows(b).enumerate() {
        fill_row(law, &mut rng, spec.phi[i], &spec.psi, &mut row);
        if !visit(local, &row) {
            return;
        }
    }
}

/// The exact scores, row-major, for n·d ≤ [`IN_MEMORY_LIMIT`] (same streams as every path).
///
/// ```
/// use pai_graphon::convergence::{sampler::{sample_scores, MaskSpec}, noise::UniformAbs};
/// use pai_graphon::seed::MasterSeed;
/// let spec = MaskSpec::from_grids(vec![0.0, 1.0], vec![1.0; 3], 0.5).unwrap();
/// let s = sample_scores(&spec, &UniformAbs { a: 1.0 }, MasterSeed::default(), "DOC").unwrap();
/// assert_eq!(&s[..3], &[0.0; 3]); // φ_0 = 0
/// assert!(s[3..].iter().all(|x| *x > 0.0 && *x < 1.0));
/// ```
pub fn sample_scores<L: NoiseLaw + ?Sized>(
    spec: &MaskSpec,
    law: &L,
    seed: MasterSeed,
    prefix: &str,
) -> Result<Vec<f64>, ConvergenceError> {
    let cells = spec.rows() * spec.cols();
    if cells > IN_MEMORY_LIMIT {
        return Err(ConvergenceError::TooLarge {
            what: "scores in memory",
            requested: cells,
            max: IN_MEMORY_LIMIT,
            why: "the in-memory limit",
        });
    }
    let mut scores = vec![0.0; cells];
    scores
        .par_chunks_mut(ROW_BLOCK * spec.cols())
        .enumerate()
        .for_each(|(b, chunk)| {
            visit_block(spec, law, seed, prefix, b, |local, row| {
                chunk[local * row.len()..(local + 1) * row.len()].copy_from_slice(row);
                true
            })
        });
    Ok(scores)
}

/// The mask from all scores held in memory (n·d ≤ [`IN_MEMORY_LIMIT`]): the reference path.
///
/// ```
/// use pai_graphon::convergence::{sampler::{sample_mask_in_memory, MaskSpec}, noise::HalfNormal};
/// use pai_graphon::seed::MasterSeed;
/// let spec = MaskSpec::from_grids(vec![1.0; 10], vec![1.0; 10], 0.25).unwrap();
/// let law = HalfNormal { sigma: 1.0 };
/// let m = sample_mask_in_memory(&spec, &law, MasterSeed::default(), "DOC").unwrap();
/// assert_eq!(m.row_degrees().iter().sum::<u32>(), 25);
/// ```
pub fn sample_mask_in_memory<L: NoiseLaw + ?Sized>(
    spec: &MaskSpec,
    law: &L,
    seed: MasterSeed,
    prefix: &str,
) -> Result<Mask, ConvergenceError> {
    let scores = sample_scores(spec, law, seed, prefix)?;
    let mut mask = top_k_mask(spec.rows(), spec.cols(), &scores, spec.kept())?;
    mask.passes = 1;
    Ok(mask)
}

/// What one window pass found in one block.
struct BlockWindow {
    above: u64,
    candidates: Vec<(f64, u64)>,
    max_bits: u64,
}

/// The count of scores above a window and the (score, index) pairs inside it.
type WindowFound = (u64, Vec<(f64, u64)>);

/// One pass: writes every word of `bits` with the scores above `hi`, collects the (score,
/// index) pairs inside `[lo, hi]`. `None` if more than `cap` pairs turned up (bits then partial).
fn window_pass<L: NoiseLaw + ?Sized>(
    spec: &MaskSpec,
    law: &L,
    seed: MasterSeed,
    prefix: &str,
    window: Window,
    bits: &mut [u64],
    cap: usize,
) -> Result<Option<WindowFound>, ConvergenceError> {
    let (lo, hi) = (window.lo, window.hi);
    let wpr = spec.words_per_row();
    let collected = AtomicUsize::new(0);
    let overflow = AtomicBool::new(false);
    let blocks: Vec<BlockWindow> = bits
        .par_chunks_mut(ROW_BLOCK * wpr)
        .enumerate()
        .map(|(b, words)| {
            let mut out = BlockWindow {
                above: 0,
                candidates: Vec::new(),
                max_bits: 0,
            };
            let first_row = (b * ROW_BLOCK) as u64;
            visit_block(spec, law, seed, prefix, b, |local, row| {
                let before = out.candidates.len();
                let base = (first_row + local as u64) * spec.cols() as u64;
                let row_words = &mut words[local * wpr..(local + 1) * wpr];
                for (c, (chunk, word)) in row.chunks(64).zip(row_words).enumerate() {
                    let mut w = 0u64;
                    let mut max_bits = out.max_bits;
                    for (t, &s) in chunk.iter().enumerate() {
                        w |= ((s > hi) as u64) << t;
                        max_bits = max_bits.max(s.to_bits());
                        if s >= lo && s <= hi {
                            out.candidates.push((s, base + (c * 64 + t) as u64));
                        }
                    }
                    out.max_bits = max_bits;
                    *word = w;
                    out.above += w.count_ones() as u64;
                }
                let added = out.candidates.len() - before;
                let total = collected.fetch_add(added, Ordering::Relaxed) + added;
                if total > cap {
                    overflow.store(true, Ordering::Relaxed);
                }
                !overflow.load(Ordering::Relaxed)
            });
            out
        })
        .collect();
    if let Some(b) = blocks.iter().find(|b| b.max_bits > MAX_FINITE_BITS) {
        return Err(invalid_score(b.max_bits));
    }
    if overflow.load(Ordering::Relaxed) {
        return Ok(None);
    }
    let above = blocks.iter().map(|b| b.above).sum();
    let mut candidates = Vec::with_capacity(blocks.iter().map(|b| b.candidates.len()).sum());
    for b in blocks {
        candidates.extend(b.candidates);
    }
    Ok(Some((above, candidates)))
}

/// Finishes a mask whose bits hold the scores above the window: keeps the top `k − above`
/// candidates. Requires `above < k ≤ above + candidates.len()`.
fn finish(mut mask: Mask, k: u64, above: u64, mut candidates: Vec<(f64, u64)>) -> Mask {
    let m = (k - above) as usize;
    mask.threshold = select_top(&mut candidates, m);
    for &(_, index) in &candidates[..m] {
        mask.set(index);
    }
    mask.kept = k;
    mask
}

/// The exact top-k mask, one pass when the window hint holds τ_n (see the module doc), else the
/// exact multi-pass path; the result never depends on the hint.
///
/// ```
/// use pai_graphon::convergence::sampler::{sample_mask, threshold_window, MaskSpec};
/// use pai_graphon::convergence::{noise::HalfNormal, profile::Profile};
/// use pai_graphon::seed::MasterSeed;
/// let exp3 = Profile::parse("exp:3").unwrap();
/// let spec = MaskSpec::new(200, 200, 0.2, &exp3, &exp3).unwrap();
/// let law = HalfNormal { sigma: 1.0 };
/// let hint = threshold_window(&spec, &law, 1e-6).unwrap();
/// let seed = MasterSeed::default();
/// let fast = sample_mask(&spec, &law, seed, "DOC/rep=0", Some(hint)).unwrap();
/// let slow = sample_mask(&spec, &law, seed, "DOC/rep=0", None).unwrap();
/// assert_eq!((fast.kept(), fast.passes()), (8000, 1));
/// assert_eq!(fast.row_degrees(), slow.row_degrees());
/// assert_eq!(fast.threshold(), slow.threshold());
/// ```
pub fn sample_mask<L: NoiseLaw + ?Sized>(
    spec: &MaskSpec,
    law: &L,
    seed: MasterSeed,
    prefix: &str,
    hint: Option<Window>,
) -> Result<Mask, ConvergenceError> {
    let Some(window) = hint else {
        return sample_mask_exact(spec, law, seed, prefix, CANDIDATE_CAP);
    };
    let window = window.validate()?;
    let mut mask = Mask::zeros(spec.rows(), spec.cols());
    let k = spec.kept();
    if let Some((above, candidates)) = window_pass(
        spec,
        law,
        seed,
        prefix,
        window,
        &mut mask.bits,
        CANDIDATE_CAP,
    )? {
        if above < k && k <= above + candidates.len() as u64 {
            mask.passes = 1;
            return Ok(finish(mask, k, above, candidates));
        }
    }
    drop(mask); // free the partial bits before the exact path allocates its own
    let mut exact = sample_mask_exact(spec, law, seed, prefix, CANDIDATE_CAP)?;
    exact.passes += 1;
    Ok(exact)
}

/// [`sample_mask`] for a parsed [`Noise`], dispatched to its concrete law (so the sampler inlines).
///
/// ```
/// use pai_graphon::convergence::sampler::{sample_mask, sample_mask_for, MaskSpec};
/// use pai_graphon::convergence::{limit::Fsm, noise::HalfNormal};
/// use pai_graphon::seed::MasterSeed;
/// let fsm = Fsm::figure1();
/// let spec = MaskSpec::new(20, 20, 0.2, &fsm.row, &fsm.col).unwrap();
/// let seed = MasterSeed::default();
/// let a = sample_mask_for(&spec, &fsm.noise, seed, "DOC", None).unwrap();
/// assert_eq!(a, sample_mask(&spec, &HalfNormal { sigma: 1.0 }, seed, "DOC", None).unwrap());
/// ```
pub fn sample_mask_for(
    spec: &MaskSpec,
    noise: &Noise,
    seed: MasterSeed,
    prefix: &str,
    hint: Option<Window>,
) -> Result<Mask, ConvergenceError> {
    match noise {
        Noise::Gaussian(l) => sample_mask(spec, l, seed, prefix, hint),
        Noise::Uniform(l) => sample_mask(spec, l, seed, prefix, hint),
    }
}

/// One histogram pass over the bit patterns `p` of all scores whose top `fixed` bits below the
/// sign equal `prefix_bits`: counts by the next `width` bits. Returns the counts and the largest
/// pattern seen (to reject invalid scores).
fn histogram_pass<L: NoiseLaw + ?Sized>(
    spec: &MaskSpec,
    law: &L,
    seed: MasterSeed,
    prefix: &str,
    prefix_bits: u64,
    fixed: u32,
    width: u32,
) -> (Vec<u64>, u64) {
    let shift = 63 - fixed - width;
    let low_mask = (1u64 << width) - 1;
    let empty = || (vec![0u64; 1 << width], 0u64);
    let min_len = (spec.blocks() / (4 * rayon::current_num_threads())).max(1);
    (0..spec.blocks())
        .into_par_iter()
        .with_min_len(min_len)
        .fold(empty, |(mut hist, mut max_bits), b| {
            visit_block(spec, law, seed, prefix, b, |_, row| {
                for &s in row {
                    let p = s.to_bits();
                    max_bits = max_bits.max(p);
                    if p >> (63 - fixed) == prefix_bits {
                        hist[((p >> shift) & low_mask) as usize] += 1;
                    }
                }
                true
            });
            (hist, max_bits)
        })
        .reduce(empty, |(mut a, ma), (b, mb)| {
            a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
            (a, ma.max(mb))
        })
}

/// The exact top-k mask by passes over replayed streams (module doc), keeping at most
/// `candidate_cap` (≥ 1) candidates at a time; [`CANDIDATE_CAP`] is the default. Memory: the bits
/// plus the candidates plus one histogram of 2^19 counters per thread.
///
/// ```
/// use pai_graphon::convergence::sampler::{sample_mask_exact, sample_mask_in_memory, MaskSpec};
/// use pai_graphon::convergence::noise::UniformAbs;
/// use pai_graphon::seed::MasterSeed;
/// let spec = MaskSpec::from_grids(vec![1.0; 70], vec![2.0; 30], 0.3).unwrap();
/// let law = UniformAbs { a: 1.0 };
/// let seed = MasterSeed::default();
/// let a = sample_mask_exact(&spec, &law, seed, "DOC", 5).unwrap(); // tiny cap: refines
/// let b = sample_mask_in_memory(&spec, &law, seed, "DOC").unwrap();
/// assert_eq!((a.kept(), a.threshold()), (630, b.threshold()));
/// assert!(a.passes() > 2);
/// ```
pub fn sample_mask_exact<L: NoiseLaw + ?Sized>(
    spec: &MaskSpec,
    law: &L,
    seed: MasterSeed,
    prefix: &str,
    candidate_cap: usize,
) -> Result<Mask, ConvergenceError> {
    let k = spec.kept();
    let mut mask = Mask::zeros(spec.rows(), spec.cols());
    let (mut above, mut prefix_bits, mut fixed) = (0u64, 0u64, 0u32);
    for width in LEVEL_WIDTHS {
        let (hist, max_bits) = histogram_pass(spec, law, seed, prefix, prefix_bits, fixed, width);
        mask.passes += 1;
        if max_bits > MAX_FINITE_BITS {
            return Err(invalid_score(max_bits));
        }
        let mut bucket = hist.len() - 1;
        while above + hist[bucket] < k {
            above += hist[bucket];
            bucket -= 1;
        }
        fixed += width;
        prefix_bits = (prefix_bits << width) | bucket as u64;
        let lo_bits = prefix_bits << (63 - fixed);
        let window = Window {
            lo: f64::from_bits(lo_bits),
            hi: f64::from_bits(lo_bits | ((1u64 << (63 - fixed)) - 1)),
        };
        if hist[bucket] as usize <= candidate_cap.max(1) {
            let (window_above, candidates) =
                window_pass(spec, law, seed, prefix, window, &mut mask.bits, usize::MAX)?
                    .expect("an uncapped window pass always completes");
            debug_assert_eq!(
                (window_above, candidates.len() as u64),
                (above, hist[bucket])
            );
            mask.passes += 1;
            return Ok(finish(mask, k, above, candidates));
        }
    }
    // All 63 bits fixed: more than `candidate_cap` scores equal τ_n exactly.
    let tau = f64::from_bits(prefix_bits);
    keep_first_ties(spec, law, seed, prefix, tau, k - above, &mut mask);
    mask.passes += 2;
    mask.threshold = tau;
    mask.kept = k;
    Ok(mask)
}

/// Sets the bits of the scores above τ and of the first `needed` scores equal to τ in index
/// order: one pass counting the ties per block, one pass setting bits with per-block quotas.
fn keep_first_ties<L: NoiseLaw + ?Sized>(
    spec: &MaskSpec,
    law: &L,
    seed: MasterSeed,
    prefix: &str,
    tau: f64,
    needed: u64,
    mask: &mut Mask,
) {
    let ties: Vec<u64> = (0..spec.blocks())
        .into_par_iter()
        .map(|b| {
            let mut count = 0u64;
            visit_block(spec, law, seed, prefix, b, |_, row| {
                count += row.iter().filter(|s| **s == tau).count() as u64;
                true
            });
            count
        })
        .collect();
    let mut left = needed;
    let quotas: Vec<u64> = ties
        .iter()
        .map(|t| {
            let q = (*t).min(left);
            left -= q;
            q
        })
        .collect();
    let wpr = spec.words_per_row();
    mask.bits
        .par_chunks_mut(ROW_BLOCK * wpr)
        .zip(quotas)
        .enumerate()
        .for_each(|(b, (words, mut quota))| {
            visit_block(spec, law, seed, prefix, b, |local, row| {
                let row_words = &mut words[local * wpr..(local + 1) * wpr];
                for (j, &s) in row.iter().enumerate() {
                    let tie_kept = s == tau && quota > 0;
                    quota -= tie_kept as u64;
                    if s > tau || tie_kept {
                        row_words[j / 64] |= 1u64 << (j % 64);
                    }
                }
                true
            });
        });
}

/// The XOR of the bit patterns of all n·d draws of |ξ| from the mask's streams, in parallel over
/// the same blocks: the cost of merely drawing the noise, the baseline of `benches/masks.rs`.
///
/// ```
/// use pai_graphon::convergence::{sampler::{draw_noise, MaskSpec}, noise::HalfNormal};
/// use pai_graphon::seed::MasterSeed;
/// let spec = MaskSpec::from_grids(vec![1.0; 3], vec![1.0; 5], 0.5).unwrap();
/// let law = HalfNormal { sigma: 1.0 };
/// let a = draw_noise(&spec, &law, MasterSeed::default(), "DOC");
/// assert_eq!(a, draw_noise(&spec, &law, MasterSeed::default(), "DOC"));
/// assert_ne!(a, draw_noise(&spec, &law, MasterSeed::default(), "DOC2"));
/// ```
pub fn draw_noise<L: NoiseLaw + ?Sized>(
    spec: &MaskSpec,
    law: &L,
    seed: MasterSeed,
    prefix: &str,
) -> u64 {
    (0..spec.blocks())
        .into_par_iter()
        .map(|b| {
            let mut rng = seed.stream(&format!("{prefix}/rows={b}"));
            let draws = spec.block_rows(b).len() * spec.cols();
            (0..draws).fold(0u64, |acc, _| acc ^ law.sample_abs(&mut rng).to_bits())
        })
        .reduce(|| 0, |a, b| a ^ b)
}

/// Sorted profile values grouped into at most [`HINT_GROUPS`] runs: (min, max, weight) per run.
fn profile_groups(values: &[f64]) -> Vec<(f64, f64, f64)> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let m = sorted.len();
    let g = m.min(HINT_GROUPS);
    (0..g)
        .map(|a| {
            let (start, end) = (a * m / g, (a + 1) * m / g);
            (
                sorted[start],
                sorted[end - 1],
                (end - start) as f64 / m as f64,
            )
        })
        .collect()
}

/// A bound on `g_n(τ) = (1/nd) Σ_ij P(φ_i ψ_j |ξ| > τ)`: with the group maxima an upper bound,
/// with the minima a lower bound (the tail is monotone in the profile product).
fn tail_mass<L: NoiseLaw + ?Sized>(
    law: &L,
    rows: &[(f64, f64, f64)],
    cols: &[(f64, f64, f64)],
    tau: f64,
    upper: bool,
) -> f64 {
    let pick = |g: &(f64, f64, f64)| if upper { g.1 } else { g.0 };
    rows.iter()
        .map(|r| {
            cols.iter()
                .map(|c| {
                    let product = pick(r) * pick(c);
                    let p = if product == 0.0 {
                        0.0
                    } else {
                        law.tail(tau / product)
                    };
                    c.2 * p
                })
                .sum::<f64>()
                * r.2
        })
        .sum()
}

/// Bisection for the τ where the non-increasing `mass(τ)` crosses `target`; returns the end of
/// the final bracket on the side selected by `keep_low` (mass ≥ target there if `keep_low`, else
/// mass ≤ target).
fn crossing(mass: impl Fn(f64) -> f64, target: f64, mut a: f64, mut b: f64, keep_low: bool) -> f64 {
    for _ in 0..60 {
        let mid = 0.5 * (a + b);
        if mid <= a || mid >= b {
            break;
        }
        let above_target = if keep_low {
            mass(mid) >= target
        } else {
            mass(mid) > target
        };
        if above_target {
            a = mid;
        } else {
            b = mid;
        }
    }
    if keep_low {
        a
    } else {
        b
    }
}

/// A threshold window for [`sample_mask`] that holds τ_n with probability ≥ 1 − δ, from the spec
/// and the noise law alone.
///
/// Let N = n·d, `t = N · sqrt(ln(1/δ') / (2N))` with δ' = δ/2 (one-sided Hoeffding for the count
/// of scores above a fixed τ, a sum of N independent indicators), and let `g⁻ ≤ g_n ≤ g⁺` be
/// the bounds on the expected fraction above τ obtained by grouping the sorted profiles into at
/// most [`HINT_GROUPS`] runs and using the run minima, resp. maxima. Then `lo` with
/// `g⁻(lo) ≥ (k + t)/N` has at least k scores ≥ lo, and `hi` with `g⁺(hi) ≤ (k − 1 − t)/N` has
/// fewer than k scores above it, each except with probability δ/2. (The f64 rounding of the
/// tail, ~1e-16 relative, is far below t/N and ignored: the window is only a hint.)
///
/// ```
/// use pai_graphon::convergence::sampler::{threshold_window, MaskSpec};
/// use pai_graphon::convergence::{noise::HalfNormal, profile::Profile};
/// let c = Profile::parse("const:1").unwrap();
/// let spec = MaskSpec::new(1000, 1000, 0.2, &c, &c).unwrap();
/// let w = threshold_window(&spec, &HalfNormal { sigma: 1.0 }, 1e-6).unwrap();
/// let tau_star = 1.2815515655446004; // Φ⁻¹(0.9): P(|ξ| > τ*) = 0.2
/// assert!(w.lo < tau_star && tau_star < w.hi && w.hi - w.lo < 0.016);
/// ```
pub fn threshold_window<L: NoiseLaw + ?Sized>(
    spec: &MaskSpec,
    law: &L,
    delta: f64,
) -> Result<Window, ConvergenceError> {
    let cells = (spec.rows() * spec.cols()) as f64;
    let slack = hoeffding(spec.rows() * spec.cols(), 1.0, delta / 2.0, Tail::One)? * cells;
    let k = spec.kept() as f64;
    let (rows, cols) = (profile_groups(&spec.phi), profile_groups(&spec.psi));
    let top = rows[rows.len() - 1].1 * cols[cols.len() - 1].1;
    let lower = |tau: f64| tail_mass(law, &rows, &cols, tau, false);
    let upper = |tau: f64| tail_mass(law, &rows, &cols, tau, true);
    // Beyond `top · tail_inverse(q)` every cell has tail ≤ q.
    let bracket = |q: f64| top * law.tail_inverse(q);
    let lo_target = (k + slack) / cells;
    let lo = if lo_target >= 1.0 || lower(0.0) < lo_target {
        0.0
    } else {
        crossing(lower, lo_target, 0.0, bracket(lo_target / 2.0), true)
    };
    let hi_target = (k - 1.0 - slack) / cells;
    let hi = if hi_target <= 0.0 || top == 0.0 {
        f64::INFINITY
    } else if upper(0.0) <= hi_target {
        0.0
    } else {
        crossing(upper, hi_target, 0.0, bracket(hi_target / 2.0), false)
    };
    Ok(Window { lo, hi: hi.max(lo) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convergence::noise::{HalfNormal, UniformAbs};

    fn exp3_spec(n: usize, d: usize, rho: f64) -> MaskSpec {
        let p = Profile::parse("exp:3").unwrap();
        MaskSpec::new(n, d, rho, &p, &p).unwrap()
    }

    #[test]
    fn window_path_matches_reference() {
        let spec = exp3_spec(130, 150, 0.2);
        let law = HalfNormal { sigma: 1.0 };
        let seed = MasterSeed::default();
        let reference = sample_mask_in_memory(&spec, &law, seed, "T").unwrap();
        let hint = threshold_window(&spec, &law, 1e-6).unwrap();
        for window in [
            hint,
            Window {
                lo: 0.0,
                hi: f64::INFINITY,
            },
            Window { lo: 1e9, hi: 2e9 },
        ] {
            let m = sample_mask(&spec, &law, seed, "T", Some(window)).unwrap();
            assert_eq!(m, reference, "window {window:?}");
        }
    }

    #[test]
    fn exact_path_refines_and_resolves_ties() {
        // A zero row profile on half the rows: half the scores are 0, and ρ = 0.7 keeps ties at 0.
        let phi: Vec<f64> = (0..100).map(|i| if i < 50 { 0.0 } else { 1.0 }).collect();
        let spec = MaskSpec::from_grids(phi, vec![1.0; 20], 0.7).unwrap();
        let law = UniformAbs { a: 1.0 };
        let seed = MasterSeed::default();
        let reference = sample_mask_in_memory(&spec, &law, seed, "T").unwrap();
        assert_eq!(reference.threshold(), 0.0);
        for cap in [1, 7, CANDIDATE_CAP] {
            let m = sample_mask_exact(&spec, &law, seed, "T", cap).unwrap();
            assert_eq!(m, reference, "cap {cap}");
        }
    }
}
