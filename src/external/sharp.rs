//! Sharp checks of a mask stack against an FSM limit (`pai-graphon check`, theory/external.md,
//! "Sharp checks").
//!
//! The stack is pooled (S masks are S independent draws) and summarised by a few statistics:
//! position by position when the spec fixes the positions (rows at `(i + ½)/n`, columns at
//! `(j + ½)/d`), or only through what relabelling rows and columns leaves unchanged (`unordered`).
//! Each statistic is standardised by a pilot simulation, the largest standardised value `T` is the
//! test statistic, and `T` is calibrated by a Monte Carlo test against stacks drawn from this
//! crate's own simulator ([`super::simulate`]): the rank p-value `(1 + #{T_b ≥ T}) / (B + 1)`
//! (Besag–Clifford: stopped early once `h` replicates reach `T`, `p = h / l`) is exactly valid at
//! any B. Under [`Null::Limit`] a stack is tested against one law when its kept counts say
//! which (`Sharp::laws`): top-k replicates when every mask keeps exactly `k = round(ρnd)`
//! entries (a frozen-threshold stack almost never does; that chance is spent from the frozen
//! test's unused level), frozen-threshold replicates when some mask does not (impossible under
//! top-k), else the larger of both p-values; under [`Null::Sampler`] it is the top-k one, and
//! every mask must keep exactly k entries.
//!
//! Second-order dependence that leaves the marginals intact (a row reusing another row's noise)
//! is caught by the largest row-pair and column-pair overlap, each against a Bernstein bound
//! with a union bound over the pairs; top-k masks are covered by a sandwich (below a
//! frozen-threshold mask at a certified lower threshold, with probability ≥ 1 − δ_τ).
//!
//! ```
//! use pai_graphon::params::Probability;
//! use pai_graphon::verdict::Status;
//! use pai_graphon::convergence::limit::Fsm;
//! use pai_graphon::external::sharp::{Options, Sharp};
//! use pai_graphon::external::simulate::{Draw, Model};
//! use pai_graphon::external::Null;
//! use pai_graphon::seed::MasterSeed;
//! let model = |rho| Model::from_fsm(&Fsm::figure1(), 64, 64, rho).unwrap();
//! let seed = MasterSeed::default();
//! let options = Options { null: Null::Limit, unordered: false, delta: Probability::new(0.2).unwrap(), replicates: None, seed, test_density: true };
//! let sharp = Sharp::new(model(0.2), 2, options).unwrap();
//! // Twice the density is plain: some verdict fails.
//! let wrong = model(0.4).draw_stack(Draw::TopK, 2, seed, "DOC/wrong").unwrap();
//! assert!(sharp.verdicts(&wrong).unwrap().iter().any(|v| v.status == Status::Fail));
//! ```

use super::simulate::{Draw, Model};
use super::{Null, Verdict};
use crate::convergence::sampler::{threshold_window, MaskSpec};
use crate::mask::{kept_count, Mask};
use crate::normal::normal_cdf;
use crate::params::{Density, Probability};
use crate::seed::MasterSeed;
use crate::stats::ks::ks_statistic;
use crate::taxonomy::stats::mask_stats;
use crate::tol::{dkw_massart, UNIT_ROUNDOFF};
use crate::verdict::Status;
use crate::Error;
use rand::Rng;
use rayon::prelude::*;

/// How `check` shares its total δ: without scores all of it goes to the mask verdicts; with
/// scores the FSM-form test takes a share like one more check per mask, δ/5, half to the score
/// law and half to the per-mask FSM-form tests, and the masks keep 4δ/5.
///
/// ```
/// use pai_graphon::external::sharp::DeltaSplit;
/// use pai_graphon::params::Probability;
/// let delta = Probability::new(1e-3).unwrap();
/// assert_eq!(DeltaSplit::new(delta, false).unwrap().masks, delta);
/// let s = DeltaSplit::new(delta, true).unwrap();
/// assert_eq!((s.masks.get(), s.score_law, s.fsm_form), (1e-3 * 4.0 / 5.0, 1e-4, 1e-4));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeltaSplit {
    /// The mask verdicts' share ([`Options::delta`]).
    pub masks: Probability,
    /// The score law's share (0 without scores).
    pub score_law: f64,
    /// The FSM-form tests' share, over all masks (0 without scores).
    pub fsm_form: f64,
}

impl DeltaSplit {
    /// The split of `delta`, with or without scores. 4δ/5 of a δ ∈ (0, 1) stays in (0, 1)
    /// (even the least subnormal δ rounds to itself), so the error is never seen in practice.
    ///
    /// ```
    /// use pai_graphon::external::sharp::DeltaSplit;
    /// use pai_graphon::params::Probability;
    /// let tiny = Probability::new(f64::from_bits(1)).unwrap();
    /// assert!(DeltaSplit::new(tiny, true).unwrap().masks.get() > 0.0);
    /// ```
    pub fn new(
        delta: Probability,
        with_scores: bool,
    ) -> Result<Self, crate::params::FractionError> {
        let d = delta.get();
        Ok(match with_scores {
            true => DeltaSplit {
                masks: Probability::new(d * 4.0 / 5.0)?,
                score_law: d / 10.0,
                fsm_form: d / 10.0,
            },
            false => DeltaSplit {
                masks: delta,
                score_law: 0.0,
                fsm_form: 0.0,
            },
        })
    }
}

/// Settings of a sharp check.
///
/// ```
/// use pai_graphon::params::Probability;
/// use pai_graphon::external::sharp::Options;
/// use pai_graphon::external::Null;
/// use pai_graphon::seed::MasterSeed;
/// let o = Options { null: Null::Sampler, unordered: true, delta: Probability::new(1e-3).unwrap(), replicates: Some(4999), seed: MasterSeed::default(), test_density: true };
/// assert_eq!((o.null, o.replicates), (Null::Sampler, Some(4999)));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The null hypothesis.
    pub null: Null,
    /// Test only what is invariant under relabelling rows and columns.
    pub unordered: bool,
    /// The total false-rejection probability.
    pub delta: Probability,
    /// Monte Carlo replicates per null (at most); `None`: the fewest that can reject at δ.
    pub replicates: Option<usize>,
    /// The master seed of the simulations (streams `check/pilot/B`, `check/null/KIND/B`).
    pub seed: MasterSeed,
    /// Whether the density is tested: false when ρ was read off the masks themselves (then the
    /// density statistic is 0 and its row is not reported).
    pub test_density: bool,
}

/// Share of δ spent on the two pair-overlap bounds (half each); the rest is the Monte Carlo test's.
pub(crate) const PAIR_SHARE: f64 = 0.1;
/// Pilot replicates (frozen-threshold stacks) that fix the centre and scale of the unordered
/// statistics without closed-form moments.
pub(crate) const PILOT: usize = 100;
/// Besag–Clifford: stop once this many replicates reach the observed statistic.
pub(crate) const STOP_AFTER: usize = 10;
/// Row and column blocks per side of the block statistics.
pub(crate) const BLOCKS: usize = 16;
/// Largest number of Monte Carlo replicates per null.
pub(crate) const MAX_REPLICATES: usize = crate::params::REPLICATES.max;
/// Replicates simulated per parallel round (fixed, so results do not depend on the thread count).
const ROUND: usize = 32;
/// The unordered statistics the pilot standardises: the two dispersions and t(C4).
const UNORDERED_PILOTED: [usize; 3] = [3, 4, 5];
/// Added to every count variance before standardising: a cell that expects almost nothing (the
/// corner of an exponential profile keeps an entry with probability ~1e-6) would otherwise turn
/// one kept entry into a value of 10⁶ and swamp the statistic, and the test's power with it.
const COUNT_FLOOR: f64 = 1.0;
/// Largest stack whose frozen replicates are drawn as pooled binomial counts ([`pooled_frozen`]);
/// larger stacks (and the unordered statistics, which see each mask) draw every mask.
const POOLED_MAX_STACK: usize = 64;
/// Rows per group in the pair bounds' expected overlaps (keeps their cost at ≤ 256² · d).
const PAIR_GROUPS: usize = 256;

/// The frozen-threshold model's means and variances of the pooled counts, one mask's worth.
struct Moments {
    row_mean: Vec<f64>,
    row_var: Vec<f64>,
    col_mean: Vec<f64>,
    col_var: Vec<f64>,
    /// Row-major `row_blocks × col_blocks`.
    block_mean: Vec<f64>,
    block_var: Vec<f64>,
    row_blocks: usize,
    col_blocks: usize,
    /// Mean and variance of one mask's kept count.
    total_mean: f64,
    total_var: f64,
    /// The smooth components' block weights, orthonormal for one mask's block covariance.
    smooth: Vec<Vec<f64>>,
    /// Each row's runs of entries at one keep-probability level, `(end column, level)` with the
    /// row's runs from `run_start[i]` to `run_start[i + 1]` (a monotone profile makes at most
    /// [`LEVELS`] runs per row, so a stack's level counts cost a few range sums per row), and per
    /// level the mean, variance and smooth components, as for the blocks.
    runs: Vec<(u32, u8)>,
    run_start: Vec<usize>,
    level_mean: Vec<f64>,
    level_var: Vec<f64>,
    level_smooth: Vec<Vec<f64>>,
    /// Each entry's keep probability p_ij (row-major): the pooled frozen replicates draw from it.
    keep: Vec<f64>,
}

/// Levels of the keep probability: an FSM's p_ij depends on (i, j) only through φ_i ψ_j, and a
/// change of the noise law (or of a profile's shape) bends the curve of p against that level;
/// grouping the entries by their null p into levels of equal variance sees the bend with all of
/// a level's entries at once, where the blocks mix levels.
pub(crate) const LEVELS: usize = 32;
/// Resolution of the histogram of p from which the levels' edges are read.
const LEVEL_RESOLUTION: usize = 1 << 16;

/// Each entry's level: the histogram of p (at [`LEVEL_RESOLUTION`]) weighted by p(1 − p), cut
/// into [`LEVELS`] parts of equal weight.
fn levels(keep: &[f64]) -> Vec<u8> {
    let fine = |p: f64| ((p * LEVEL_RESOLUTION as f64) as usize).min(LEVEL_RESOLUTION - 1);
    let mut weight = vec![0.0; LEVEL_RESOLUTION];
    for &p in keep {
        weight[fine(p)] += p * (1.0 - p);
    }
    let total: f64 = weight.iter().sum();
    let mut coarse = vec![0u8; LEVEL_RESOLUTION];
    let mut below = 0.0;
    for (c, w) in coarse.iter_mut().zip(&weight) {
        let share = if total > 0.0 { below / total } else { 0.0 };
        *c = ((share * LEVELS as f64) as usize).min(LEVELS - 1) as u8;
        below += w;
    }
    keep.iter().map(|&p| coarse[fine(p)]).collect()
}

/// Shifted Legendre polynomials P₀..P₃ on [0, 1].
fn legendre(k: usize, x: f64) -> f64 {
    let y = 2.0 * x - 1.0;
    match k {
        0 => 1.0,
        1 => y,
        2 => (3.0 * y * y - 1.0) / 2.0,
        _ => (5.0 * y * y * y - 3.0 * y) / 2.0,
    }
}

/// Largest total degree of the smooth components `P_a(u) P_b(v)`, 1 ≤ a + b ≤ 3 (the constant is
/// the density's).
const SMOOTH_DEGREE: usize = 3;

/// The products `P_a(u_block) P_b(v_block)`, 1 ≤ a + b ≤ 3, Gram–Schmidt orthonormalised for the inner product
/// `Σ_blocks w w' var_block`; a direction with (numerically) no variance left is dropped.
fn smooth_basis(block_var: &[f64], rb: usize, cb: usize) -> Vec<Vec<f64>> {
    let mut basis: Vec<Vec<f64>> = Vec::new();
    let inner = |x: &[f64], y: &[f64]| -> f64 {
        x.iter()
            .zip(y)
            .zip(block_var)
            .map(|((a, b), v)| a * b * v)
            .sum()
    };
    // The constant goes first and is dropped at the end: the components are orthogonal to the
    // density's direction, which has its own statistic (and no variance under top-k).
    for total in 0..=SMOOTH_DEGREE {
        for a in 0..=total {
            let mut w: Vec<f64> = (0..rb * cb)
                .map(|k| {
                    let (u, v) = ((k / cb) as f64 + 0.5, (k % cb) as f64 + 0.5);
                    legendre(a, u / rb as f64) * legendre(total - a, v / cb as f64)
                })
                .collect();
            let norm0 = inner(&w, &w).sqrt();
            for e in &basis {
                let c = inner(&w, e);
                w.iter_mut().zip(e).for_each(|(x, y)| *x -= c * y);
            }
            let norm = inner(&w, &w).sqrt();
            // Relative to its own size: a direction the earlier ones (nearly) span adds nothing.
            if norm > 1e-6 * norm0 && norm > 0.0 {
                w.iter_mut().for_each(|x| *x /= norm);
                basis.push(w);
            }
        }
    }
    match block_var.iter().any(|&v| v > 0.0) {
        true => basis.split_off(1),
        false => Vec::new(),
    }
}

fn block_of(index: usize, len: usize, blocks: usize) -> usize {
    index * blocks / len
}

impl Moments {
    fn new(model: &Model) -> Moments {
        let (n, d) = (model.phi.len(), model.psi.len());
        let (rb, cb) = (BLOCKS.min(n), BLOCKS.min(d));
        let keep: Vec<f64> = (0..n * d)
            .into_par_iter()
            .map(|e| model.keep_probability(e / d, e % d))
            .collect();
        let mut m = Moments {
            row_mean: vec![0.0; n],
            row_var: vec![0.0; n],
            col_mean: vec![0.0; d],
            col_var: vec![0.0; d],
            block_mean: vec![0.0; rb * cb],
            block_var: vec![0.0; rb * cb],
            row_blocks: rb,
            col_blocks: cb,
            total_mean: 0.0,
            total_var: 0.0,
            smooth: Vec::new(),
            runs: Vec::new(),
            run_start: vec![0],
            level_mean: vec![0.0; LEVELS],
            level_var: vec![0.0; LEVELS],
            level_smooth: Vec::new(),
            keep: Vec::new(),
        };
        let level = levels(&keep);
        for (i, p) in keep.chunks(d.max(1)).enumerate() {
            let a = block_of(i, n, rb);
            for (j, &p) in p.iter().enumerate() {
                let v = p * (1.0 - p);
                let l = level[i * d + j];
                if j + 1 == d || level[i * d + j + 1] != l {
                    m.runs.push(((j + 1) as u32, l));
                }
                let l = usize::from(l);
                m.level_mean[l] += p;
                m.level_var[l] += v;
                m.row_mean[i] += p;
                m.row_var[i] += v;
                m.col_mean[j] += p;
                m.col_var[j] += v;
                let b = a * cb + block_of(j, d, cb);
                m.block_mean[b] += p;
                m.block_var[b] += v;
            }
            m.run_start.push(m.runs.len());
        }
        m.total_mean = m.row_mean.iter().sum();
        m.total_var = m.row_var.iter().sum();
        m.smooth = smooth_basis(&m.block_var, rb, cb);
        m.level_smooth = smooth_basis(&m.level_var, LEVELS, 1);
        m.keep = keep;
        m
    }
}

/// The pooled counts of a stack.
#[derive(Debug, PartialEq)]
struct Counts {
    rows: Vec<u64>,
    cols: Vec<u64>,
    blocks: Vec<u64>,
    levels: Vec<u64>,
}

impl Counts {
    fn zero(m: &Moments) -> Counts {
        Counts {
            rows: vec![0; m.row_mean.len()],
            cols: vec![0; m.col_mean.len()],
            blocks: vec![0; m.row_blocks * m.col_blocks],
            levels: vec![0; LEVELS],
        }
    }

    /// Adds row `i`'s row, block and level counts, given `prefix(j)`, the row's count in
    /// columns `0..j` (`edges`: the column blocks' first columns, then d).
    fn add_row(&mut self, m: &Moments, i: usize, edges: &[usize], prefix: impl Fn(usize) -> u64) {
        self.rows[i] += prefix(m.col_mean.len());
        let a = block_of(i, m.row_mean.len(), m.row_blocks) * m.col_blocks;
        let mut below = 0;
        for (b, &end) in edges[1..].iter().enumerate() {
            let at = prefix(end);
            self.blocks[a + b] += at - below;
            below = at;
        }
        below = 0;
        for &(end, level) in &m.runs[m.run_start[i]..m.run_start[i + 1]] {
            let at = prefix(end as usize);
            self.levels[usize::from(level)] += at - below;
            below = at;
        }
    }
}

/// The first column of each column block, then d.
fn block_edges(m: &Moments) -> Vec<usize> {
    let (d, cb) = (m.col_mean.len(), m.col_blocks);
    (0..=cb).map(|b| (b * d).div_ceil(cb)).collect()
}

/// The kept entries of a bit-packed row before each word (`words.len() + 1` values).
fn word_prefix(words: &[u64], prefix: &mut Vec<u64>) {
    prefix.clear();
    prefix.push(0);
    for &w in words {
        prefix.push(prefix[prefix.len() - 1] + u64::from(w.count_ones()));
    }
}

/// The kept entries of a bit-packed row in columns `0..j`, from its [`word_prefix`].
fn kept_before(words: &[u64], prefix: &[u64], j: usize) -> u64 {
    let (w, bit) = (j / 64, j % 64);
    match bit {
        0 => prefix[w],
        _ => prefix[w] + u64::from((words[w] & ((1u64 << bit) - 1)).count_ones()),
    }
}

/// `SPREAD[b]` has byte t equal to bit t of b: adding it to a word adds one row's 8 bits to
/// 8 byte-wide counters at once.
const SPREAD: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut t = 0;
        while t < 8 {
            table[b] |= ((b as u64 >> t) & 1) << (8 * t);
            t += 1;
        }
        b += 1;
    }
    table
};

/// Column counts of bit-packed rows: 8 byte-wide counters per word (one table look-up and one
/// addition per byte of a row, not one per kept entry), emptied into `total` every 255 rows.
struct ColumnTally {
    lanes: Vec<u64>,
    rows: u32,
    total: Vec<u64>,
}

impl ColumnTally {
    fn new(words_per_row: usize) -> ColumnTally {
        ColumnTally {
            lanes: vec![0; 8 * words_per_row],
            rows: 0,
            total: vec![0; 64 * words_per_row],
        }
    }

    fn add(&mut self, words: &[u64]) {
        for (lanes, &word) in self.lanes.chunks_exact_mut(8).zip(words) {
            if word != 0 {
                for (t, lane) in lanes.iter_mut().enumerate() {
                    *lane += SPREAD[((word >> (8 * t)) & 0xff) as usize];
                }
            }
        }
        self.rows += 1;
        if self.rows == u32::from(u8::MAX) {
            self.flush();
        }
    }

    fn flush(&mut self) {
        for (lane, total) in self.lanes.iter_mut().zip(self.total.chunks_exact_mut(8)) {
            for (t, x) in total.iter_mut().enumerate() {
                *x += (*lane >> (8 * t)) & 0xff;
            }
            *lane = 0;
        }
        self.rows = 0;
    }

    /// The counts of the first `d` columns.
    fn finish(mut self, d: usize) -> Vec<u64> {
        self.flush();
        self.total.truncate(d);
        self.total
    }
}

/// The pooled counts of a stack of masks, one pass over each row's words.
fn counts(masks: &[Mask], m: &Moments) -> Counts {
    let (n, d) = (masks[0].rows(), masks[0].cols());
    let edges = block_edges(m);
    let mut c = Counts::zero(m);
    let mut cols = ColumnTally::new(d.div_ceil(64));
    let mut prefix = Vec::new();
    for mask in masks {
        for i in 0..n {
            let words = mask.row_words(i).unwrap_or(&[]);
            word_prefix(words, &mut prefix);
            c.add_row(m, i, &edges, |j| kept_before(words, &prefix, j));
            cols.add(words);
        }
    }
    c.cols = cols.finish(d);
    c
}

/// Bin(s, p) by inversion of one uniform `u ∈ (0, 1)` (53 bits): the smallest k with
/// `u < P(K ≤ k)`. For `p > ½` the mirror image `s − Bin(s, 1 − p)` at `1 − u` (K ≤ k iff
/// s − K ≥ s − k, so the map stays increasing in u), so the pmf recurrence always starts from
/// `min(p, 1 − p)`, whose `(1 − p)^s ≥ 2^-s` does not underflow for `s ≤` [`POOLED_MAX_STACK`].
#[cfg(test)]
fn binomial(s: u32, p: f64, u: f64) -> u32 {
    let side = Side::new(s, p);
    side.count(s, side.inversion(s, side.uniform(u)))
}

/// One entry's binomial law seen from the side of the smaller probability: the recurrence's
/// start `P(K' = 0) = (1 − p')^s` and ratio `p' / (1 − p')`, with `p' = min(p, 1 − p)`.
#[derive(Clone, Copy)]
struct Side {
    zero: f64,
    ratio: f64,
    mirrored: bool,
}

impl Side {
    /// Whether the law of an entry kept with probability p is seen from `1 − p`.
    fn mirrored(p: f64) -> bool {
        p > 0.5
    }

    fn new(s: u32, p: f64) -> Side {
        let mirrored = Side::mirrored(p);
        let p = if mirrored { 1.0 - p } else { p };
        let q = 1.0 - p;
        Side {
            zero: q.powi(s as i32),
            ratio: p / q,
            mirrored,
        }
    }

    /// The uniform the inversion runs on.
    fn uniform(self, u: f64) -> f64 {
        if self.mirrored {
            1.0 - u
        } else {
            u
        }
    }

    /// The count from the inversion's result.
    fn count(self, s: u32, k: u32) -> u32 {
        if self.mirrored {
            s - k
        } else {
            k
        }
    }

    /// `P(K' ≤ k)` for k = 0, 1, …, s − 1 by the pmf recurrence: the values the inversion
    /// compares u with (non-decreasing, as every pmf term is ≥ 0).
    fn cdfs(self, s: u32) -> impl Iterator<Item = f64> {
        let (mut pmf, mut cdf) = (self.zero, self.zero);
        (0..s as usize).map(move |k| {
            let at = cdf;
            pmf *= self.ratio * STEP[s as usize][k];
            cdf += pmf;
            at
        })
    }

    /// The smallest k with `u < P(K' ≤ k)`, or s: the number of CDF values at most u.
    fn inversion(self, s: u32, u: f64) -> u32 {
        self.cdfs(s).take_while(|&cdf| u >= cdf).count() as u32
    }

    /// The 16-bit cut of `P(K = 0)`: a 16-bit uniform `a < cut` puts the whole 53-bit uniform
    /// `(a·2³⁷ + v) 2⁻⁵³` below `zero` (shrunk by the rounding of `1 − p` and of the power), so
    /// the inversion would return 0 and needs not run. 0 (no shortcut) on the mirrored side.
    fn cut(self, s: u32) -> u16 {
        let shrink = 1.0 - 4.0 * f64::from(s + 1) * UNIT_ROUNDOFF;
        match self.mirrored {
            true => 0,
            false => (self.zero * 65536.0 * shrink).floor().min(65535.0) as u16,
        }
    }
}

/// `STEP[s][k] = (s − k) / (k + 1)`, the pmf ratio's factor of k: no division in the loop.
static STEP: std::sync::LazyLock<Vec<Vec<f64>>> = std::sync::LazyLock::new(|| {
    (0..=POOLED_MAX_STACK as u32)
        .map(|s| {
            (0..s)
                .map(|k| f64::from(s - k) / f64::from(k + 1))
                .collect()
        })
        .collect()
});

/// The per-entry tables of pooled frozen replicates for stacks of `s` masks: every entry's
/// 16-bit cut and, where `n·d·s` steps fit in [`POOL_CACHE_BYTES`], its steps.
struct Pool {
    s: u32,
    cut: Vec<u16>,
    /// `s` per entry: the 16-bit draws at which the entry's count steps up ([`Pool::decide`]).
    steps: Vec<u16>,
}

/// Largest size of the pooled replicates' steps (96 MiB: two bytes per entry and mask); larger
/// tables are not kept, and every entry past its cut is then inverted.
const POOL_CACHE_BYTES: usize = 96 << 20;

/// The 16-bit cell of a CDF value, `⌊2¹⁶ F⌋`, at most 2¹⁶ − 1.
fn cell(cdf: f64) -> u16 {
    (cdf * 65536.0).floor().min(65535.0) as u16
}

impl Pool {
    fn new(keep: &[f64], s: u32) -> Pool {
        let cut = keep.par_iter().map(|&p| Side::new(s, p).cut(s)).collect();
        let steps = match keep.len() * 2 * s as usize <= POOL_CACHE_BYTES {
            true => keep
                .par_iter()
                .flat_map_iter(|&p| {
                    let mirrored = Side::mirrored(p);
                    Side::new(s, p).cdfs(s).map(move |cdf| match mirrored {
                        true => u16::MAX - cell(cdf),
                        false => cell(cdf).saturating_add(1),
                    })
                })
                .collect(),
            false => Vec::new(),
        };
        Pool { s, cut, steps }
    }

    /// Entry `e`'s count from its 16-bit draw `high` alone, the number of its steps at most
    /// `high`, when that decides it: `None` when a step lies within `high − 1 ..= high + 2`
    /// (or no steps are kept).
    ///
    /// The uniform `u = (high·2³⁷ + v + ½)·2⁻⁵³` (v < 2³⁷, rounded) lies in
    /// `[high, high + 1]·2⁻¹⁶`; the inversion's result is the number of CDF values at most u.
    /// A CDF value in cell c (`⌊2¹⁶ F⌋ = c`) is at most every such u when c < high and above
    /// every one when c > high + 1: its step is c + 1. On the mirrored side the inversion runs
    /// on `fl(1 − u)`, in `[g, g + 1]·2⁻¹⁶` with g = 2¹⁶ − 1 − high (exact endpoints, monotone
    /// rounding), and counts `s −` the CDF values at most that: a value in cell c counts when
    /// c ≥ g + 2 and not when c < g, so its step is 2¹⁶ − 1 − c. Cells saturate at 2¹⁶ − 1,
    /// which only widens the undecided draws.
    fn decide(&self, e: usize, high: u16) -> Option<u32> {
        let s = self.s as usize;
        let steps = self.steps.get(e * s..(e + 1) * s)?;
        let (mut below, mut near) = (0u32, 0u32);
        for &t in steps {
            below += u32::from(t <= high);
            near |= u32::from(t.wrapping_sub(high).wrapping_add(1) <= 3);
        }
        (near == 0).then_some(below)
    }

    /// Entry `e`'s count from its 53-bit uniform `u`.
    fn count(&self, keep: &[f64], e: usize, u: f64) -> u32 {
        let side = Side::new(self.s, keep[e]);
        side.count(self.s, side.inversion(self.s, side.uniform(u)))
    }
}

/// The pooled counts of one frozen-threshold stack drawn directly: the ordered statistics see a
/// stack only through its pooled counts `K_ij = Σ_s M_s,ij`, and under the frozen law the
/// `K_ij ~ Bin(S, p_ij)` are independent, so one uniform per entry replaces `S`: its first 16
/// bits (stream `label`) against the entry's cut, and, past the cut, 37 more (stream
/// `label/refine`, the m-th entry past its cut reading the m-th word) and the inversion. The
/// 16 bits alone decide almost every entry ([`Pool::decide`]): the refinement stream is read
/// only where they do not, by seeking to the entry's word. Returns the counts and the total
/// kept.
fn pooled_frozen(m: &Moments, pool: &Pool, label: &str, seed: MasterSeed) -> (Counts, u64) {
    let (n, d) = (m.row_mean.len(), m.col_mean.len());
    let edges = block_edges(m);
    let (mut primary, mut refine) = (seed.stream(label), seed.stream(&format!("{label}/refine")));
    let mut c = Counts::zero(m);
    // Entries past their cut so far, and the refinement word the stream stands at (in u64s).
    let (mut past, mut at) = (0u64, 0u64);
    let mut buf = vec![0u8; 2 * d];
    let (mut row, mut prefix) = (vec![0u64; d], vec![0u64; d + 1]);
    for i in 0..n {
        primary.fill_bytes(&mut buf);
        let cuts = &pool.cut[i * d..(i + 1) * d];
        for (j, ((bytes, k), &cut)) in buf
            .chunks_exact(2)
            .zip(row.iter_mut())
            .zip(cuts)
            .enumerate()
        {
            let e = i * d + j;
            let high = u16::from_le_bytes([bytes[0], bytes[1]]);
            *k = 0;
            if high < cut {
                continue;
            }
            past += 1;
            *k = u64::from(match pool.decide(e, high) {
                Some(k) => k,
                None => {
                    if at != past - 1 {
                        refine.set_word_pos(2 * u128::from(past - 1));
                    }
                    at = past;
                    let u53 = u64::from(high) << 37 | refine.next_u64() >> 27;
                    pool.count(&m.keep, e, (u53 as f64 + 0.5) * UNIT_ROUNDOFF)
                }
            });
        }
        let mut before = 0;
        for ((col, &k), sum) in c.cols.iter_mut().zip(&row).zip(&mut prefix[1..]) {
            *col += k;
            before += k;
            *sum = before;
        }
        c.add_row(m, i, &edges, |j| prefix[j]);
    }
    let kept = c.rows.iter().sum();
    (c, kept)
}

/// `Σ (x − S·mean)² / (S·var + COUNT_FLOOR)` over the cells.
fn chi_square(observed: &[u64], mean: &[f64], var: &[f64], s: f64) -> f64 {
    observed
        .iter()
        .zip(mean.iter().zip(var))
        .map(|(&x, (&m, &v))| {
            let r = x as f64 - s * m;
            r * r / (s * v + COUNT_FLOOR)
        })
        .sum()
}

/// A chi-square-type sum as a normal deviate: `Σ r²/(S v + F)` has mean `Σ Sv/(Sv + F)` and
/// (for Gaussian residuals) variance `Σ 2(Sv)²/(Sv + F)²`; matched to a scaled χ²
/// (Satterthwaite) and mapped by Wilson–Hilferty. A fixed map: the Monte Carlo test calibrates
/// whatever tails remain.
fn chi_square_deviate(x: f64, var: &[f64], s: f64, floor: f64) -> f64 {
    let (mean, spread) = var.iter().fold((0.0, 0.0), |(m, q), &v| {
        let f = s * v / (s * v + floor);
        (m + f, q + 2.0 * f * f)
    });
    wilson_hilferty(x, mean, spread)
}

/// Wilson–Hilferty for `x ≈ g·χ²_h` with the given mean and variance (g = var/2mean,
/// h = 2mean²/var); 0 when the statistic cannot vary.
fn wilson_hilferty(x: f64, mean: f64, var: f64) -> f64 {
    if !(mean > 0.0 && var > 0.0) {
        return 0.0;
    }
    let (g, h) = (var / (2.0 * mean), 2.0 * mean * mean / var);
    let c = 2.0 / (9.0 * h);
    ((x / (g * h)).cbrt() - (1.0 - c)) / c.sqrt()
}

/// A maximum of `count` standard normal deviates as one normal deviate (Bonferroni):
/// `Φ̄⁻¹(min(½, count · Φ̄(m)))`, 0 below the median.
fn max_deviate(m: f64, count: usize) -> f64 {
    let p = (count as f64 * crate::normal::normal_sf(m).unwrap_or(1.0)).min(0.5);
    crate::normal::normal_quantile(1.0 - p)
        .unwrap_or(0.0)
        .max(0.0)
}

/// A KS distance over `count` values as a normal deviate through DKW–Massart's tail
/// `2 exp(−2 count D²)`.
fn ks_deviate(distance: f64, count: usize) -> f64 {
    let p = (2.0 * (-2.0 * count as f64 * distance * distance).exp()).min(0.5);
    crate::normal::normal_quantile(1.0 - p)
        .unwrap_or(0.0)
        .max(0.0)
}

/// The largest standardised cumulative residual over the rectangles `[0, a) × [0, b)` of blocks.
fn cumulative(counts: &[u64], mean: &[f64], var: &[f64], rb: usize, cb: usize, s: f64) -> f64 {
    // Returned as a normal deviate over the rb·cb rectangles.
    let mut resid = vec![0.0; (rb + 1) * (cb + 1)];
    let mut vars = vec![0.0; (rb + 1) * (cb + 1)];
    let at = |a: usize, b: usize| a * (cb + 1) + b;
    let mut worst: f64 = 0.0;
    for a in 1..=rb {
        for b in 1..=cb {
            let k = (a - 1) * cb + (b - 1);
            resid[at(a, b)] =
                counts[k] as f64 - s * mean[k] + resid[at(a - 1, b)] + resid[at(a, b - 1)]
                    - resid[at(a - 1, b - 1)];
            vars[at(a, b)] =
                s * var[k] + vars[at(a - 1, b)] + vars[at(a, b - 1)] - vars[at(a - 1, b - 1)];
            let (r, v) = (resid[at(a, b)], vars[at(a, b)]);
            worst = worst.max(r.abs() / (v + COUNT_FLOOR).sqrt());
        }
    }
    max_deviate(worst, 2 * rb * cb)
}

/// The smooth components' statistic `Σ_c (Σ_blocks w_c r)² / S` (χ² with one degree per
/// component under the frozen model, to second order) as a normal deviate.
fn smooth(counts: &[u64], mean: &[f64], basis: &[Vec<f64>], s: f64) -> f64 {
    let q: f64 = basis
        .iter()
        .map(|w| {
            let y: f64 = w
                .iter()
                .zip(counts.iter().zip(mean))
                .map(|(w, (&k, &m))| w * (k as f64 - s * m))
                .sum();
            y * y / s
        })
        .sum();
    let h = basis.len() as f64;
    wilson_hilferty(q, h, 2.0 * h).max(0.0)
}

/// The law of one line's degree under the frozen model, as a normal approximation with
/// continuity correction: a fixed reference CDF (the Monte Carlo test calibrates whatever it is).
fn reference_cdf(mean: &[f64], var: &[f64], size: usize) -> Vec<f64> {
    (0..=size)
        .map(|x| {
            let at = x as f64 + 0.5;
            mean.iter()
                .zip(var)
                .map(|(&m, &v)| match v > 0.0 {
                    true => normal_cdf((at - m) / v.sqrt()).unwrap_or(f64::NAN),
                    false => f64::from(u8::from(m <= at)),
                })
                .sum::<f64>()
                / mean.len() as f64
        })
        .collect()
}

/// Sup distance between the empirical CDF of `degrees` (values in 0..=size) and `cdf`.
fn ks_integer(degrees: &[u32], cdf: &[f64]) -> f64 {
    let mut hist = vec![0u64; cdf.len()];
    for &g in degrees {
        hist[g as usize] += 1;
    }
    let total = degrees.len() as f64;
    let mut below = 0u64;
    let mut worst: f64 = 0.0;
    for (x, &h) in hist.iter().enumerate() {
        below += h;
        worst = worst.max((below as f64 / total - cdf[x]).abs());
    }
    worst
}

/// The largest of `values` and 0.
fn max_of(values: Vec<f64>) -> f64 {
    values.into_iter().fold(0.0, f64::max)
}

fn variance(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let (count, sum) = values
        .clone()
        .fold((0.0, 0.0), |(c, s), x| (c + 1.0, s + x));
    let mean = sum / count;
    values.map(|x| (x - mean) * (x - mean)).sum::<f64>() / count
}

/// A sharp check prepared for one model, stack size and options: the moments, the reference
/// degree laws and the pilot's standardisation.
///
/// ```
/// use pai_graphon::params::Probability;
/// use pai_graphon::convergence::limit::Fsm;
/// use pai_graphon::external::sharp::{Options, Sharp};
/// use pai_graphon::external::simulate::Model;
/// use pai_graphon::external::Null;
/// use pai_graphon::seed::MasterSeed;
/// let model = Model::from_fsm(&Fsm::figure1(), 32, 32, 0.2).unwrap();
/// let options = Options { null: Null::Limit, unordered: false, delta: Probability::new(1e-3).unwrap(), replicates: None, seed: MasterSeed::default(), test_density: true };
/// assert!(Sharp::new(model, 0, options).is_err()); // a stack of no masks
/// ```
pub struct Sharp {
    model: Model,
    stack: usize,
    options: Options,
    moments: Moments,
    /// Reference degree CDFs of one row and one column (unordered statistics).
    row_cdf: Vec<f64>,
    col_cdf: Vec<f64>,
    /// Centre and scale of each statistic (pilot).
    centre: Vec<f64>,
    scale: Vec<f64>,
    /// The pooled frozen replicates' tables (`None` when not pooled).
    pool: Option<Pool>,
}

/// One Monte Carlo test against one null law.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct MonteCarlo {
    /// The replicates' law.
    pub draw: Draw,
    /// The rank p-value (Besag–Clifford when stopped early).
    pub p: f64,
    /// Replicates drawn.
    pub replicates: usize,
    /// The critical value of T (the test rejects when T exceeds it), or, when the simulation
    /// stopped early, the smallest of the replicates that reached T (a lower bound of it).
    pub critical: f64,
}

impl Sharp {
    /// Prepares the check of stacks of `stack` masks drawn from `model`'s shape.
    ///
    /// ```
    /// use pai_graphon::params::Probability;
    /// use pai_graphon::convergence::limit::Fsm;
    /// use pai_graphon::external::sharp::{Options, Sharp};
    /// use pai_graphon::external::simulate::{Draw, Model};
    /// use pai_graphon::external::Null;
    /// use pai_graphon::seed::MasterSeed;
    /// let model = || Model::from_fsm(&Fsm::figure1(), 32, 32, 0.2).unwrap();
    /// let seed = MasterSeed::default();
    /// let options = Options { null: Null::Limit, unordered: false, delta: Probability::new(0.01).unwrap(), replicates: None, seed, test_density: true };
    /// assert!(Sharp::new(model(), 0, options).is_err()); // no masks
    /// assert!(Sharp::new(model(), 2, options).is_ok());
    /// ```
    pub fn new(model: Model, stack: usize, options: Options) -> Result<Sharp, Error> {
        if stack == 0 {
            return Err(super::ExternalError::NoMasks.into());
        }
        let moments = Moments::new(&model);
        let (n, d) = (model.phi.len(), model.psi.len());
        let row_cdf = reference_cdf(&moments.row_mean, &moments.row_var, d);
        let col_cdf = reference_cdf(&moments.col_mean, &moments.col_var, n);
        let mut sharp = Sharp {
            model,
            stack,
            options,
            moments,
            row_cdf,
            col_cdf,
            centre: Vec::new(),
            scale: Vec::new(),
            pool: None,
        };
        if sharp.pooled() {
            sharp.pool = Some(Pool::new(&sharp.moments.keep, stack as u32));
        }
        sharp.pilot()?;
        Ok(sharp)
    }

    /// Names of the statistics, in the order of [`Sharp::statistics`].
    pub(crate) fn names(&self) -> &'static [&'static str] {
        match self.options.unordered {
            false => &[
                "density",
                "smooth profile (Legendre, degree ≤ 3)",
                "keep-probability levels (Legendre, degree ≤ 3)",
                "cumulative residual (blocks)",
                "row degrees (chi-square)",
                "column degrees (chi-square)",
                "block counts (chi-square)",
            ],
            true => &[
                "density",
                "row-degree law (KS)",
                "column-degree law (KS)",
                "row-degree dispersion",
                "column-degree dispersion",
                "t(C4)",
            ],
        }
    }

    /// The statistics of a stack, each as a normal deviate (large = far from the null); the
    /// unordered dispersions and t(C4) are centred and scaled by the pilot.
    pub(crate) fn statistics(&self, masks: &[Mask]) -> Vec<f64> {
        self.standardise(&self.raw(masks))
    }

    /// Raw statistics centred and scaled by the pilot (unchanged where it has no centre).
    fn standardise(&self, raw: &[f64]) -> Vec<f64> {
        raw.iter()
            .zip(self.centre.iter().zip(&self.scale))
            .map(|(&x, (&c, &s))| match (c.is_nan(), s > 0.0) {
                (true, _) => x,
                (false, true) => (x - c).abs() / s,
                (false, false) if x != c => f64::INFINITY,
                (false, false) => 0.0,
            })
            .collect()
    }

    /// The density statistic of a stack of `s` masks keeping `kept` entries in all.
    fn density(&self, kept: u64, s: f64) -> f64 {
        let m = &self.moments;
        match m.total_var > 0.0 {
            _ if !self.options.test_density => 0.0,
            true => (kept as f64 - s * m.total_mean).abs() / (s * m.total_var).sqrt(),
            false if kept as f64 != s * m.total_mean => f64::INFINITY,
            false => 0.0,
        }
    }

    /// The statistics before the pilot's standardisation.
    fn raw(&self, masks: &[Mask]) -> Vec<f64> {
        let m = &self.moments;
        let s = masks.len() as f64;
        let kept: u64 = masks.iter().map(Mask::kept).sum();
        if self.options.unordered {
            let density = self.density(kept, s);
            let rows: Vec<u32> = masks.iter().flat_map(Mask::row_degrees).collect();
            let cols: Vec<u32> = masks.iter().flat_map(Mask::column_degrees).collect();
            let c4 = masks.iter().map(|m| mask_stats(m).c4_f64()).sum::<f64>() / s;
            return vec![
                density,
                ks_deviate(ks_integer(&rows, &self.row_cdf), rows.len()),
                ks_deviate(ks_integer(&cols, &self.col_cdf), cols.len()),
                variance(rows.iter().map(|&g| f64::from(g))),
                variance(cols.iter().map(|&g| f64::from(g))),
                c4,
            ];
        }
        self.ordered(&counts(masks, m), kept, s)
    }

    /// The ordered statistics of a stack's pooled counts and total kept (before the (identity)
    /// standardisation).
    fn ordered(&self, c: &Counts, kept: u64, s: f64) -> Vec<f64> {
        let m = &self.moments;
        let density = self.density(kept, s);
        let chi = |x: &[u64], mean: &[f64], var: &[f64]| {
            chi_square_deviate(chi_square(x, mean, var, s), var, s, COUNT_FLOOR).abs()
        };
        vec![
            density,
            smooth(&c.blocks, &m.block_mean, &m.smooth, s),
            smooth(&c.levels, &m.level_mean, &m.level_smooth, s),
            cumulative(
                &c.blocks,
                &m.block_mean,
                &m.block_var,
                m.row_blocks,
                m.col_blocks,
                s,
            ),
            chi(&c.rows, &m.row_mean, &m.row_var),
            chi(&c.cols, &m.col_mean, &m.col_var),
            chi(&c.blocks, &m.block_mean, &m.block_var),
        ]
    }

    /// T: the largest statistic.
    pub(crate) fn combined(&self, masks: &[Mask]) -> f64 {
        max_of(self.statistics(masks))
    }

    /// Whether frozen replicates are drawn as pooled binomial counts ([`pooled_frozen`]).
    fn pooled(&self) -> bool {
        !self.options.unordered && self.stack <= POOLED_MAX_STACK
    }

    /// T of one null replicate from the stream `label`.
    fn replicate(&self, draw: Draw, label: &str) -> Result<f64, Error> {
        if let (Draw::Frozen, Some(pool)) = (draw, &self.pool) {
            let (c, kept) = pooled_frozen(&self.moments, pool, label, self.options.seed);
            let s = f64::from(pool.s);
            return Ok(max_of(self.standardise(&self.ordered(&c, kept, s))));
        }
        let masks = self
            .model
            .draw_stack(draw, self.stack, self.options.seed, label)?;
        Ok(self.combined(&masks))
    }

    /// The pilot (unordered only): the dispersions and t(C4) have no closed-form moments, so
    /// [`PILOT`] frozen-threshold stacks (streams `check/pilot/B`) fix their centre and scale.
    fn pilot(&mut self) -> Result<(), Error> {
        let k = self.names().len();
        self.centre = vec![f64::NAN; k];
        self.scale = vec![f64::NAN; k];
        if !self.options.unordered {
            return Ok(());
        }
        let raw: Vec<Vec<f64>> = (0..PILOT)
            .into_par_iter()
            .map(|b| {
                let label = format!("check/pilot/{b}");
                let masks =
                    self.model
                        .draw_stack(Draw::Frozen, self.stack, self.options.seed, &label)?;
                Ok(self.raw(&masks))
            })
            .collect::<Result<_, Error>>()?;
        for c in UNORDERED_PILOTED {
            self.centre[c] = raw.iter().map(|r| r[c]).sum::<f64>() / PILOT as f64;
            self.scale[c] = variance(raw.iter().map(|r| r[c])).sqrt();
        }
        Ok(())
    }

    /// The Monte Carlo share of δ.
    pub(crate) fn mc_delta(&self) -> f64 {
        self.options.delta.get() * (1.0 - PAIR_SHARE)
    }

    /// Replicates per null: the option, or the fewest with which the test can reject.
    pub(crate) fn replicates(&self) -> usize {
        let fewest = (1.0 / self.mc_delta()).ceil() as usize - 1;
        self.options
            .replicates
            .unwrap_or(fewest)
            .min(MAX_REPLICATES)
    }

    /// Whether the Monte Carlo test can reject at all: `1 / (B + 1) ≤ δ_MC`.
    pub(crate) fn can_reject(&self) -> bool {
        ((self.replicates() + 1) as f64) * self.mc_delta() >= 1.0
    }

    /// The combined statistic of `count` replicates from `start` on (streams
    /// `check/null/{frozen|topk}/B`).
    pub(crate) fn simulate(
        &self,
        draw: Draw,
        start: usize,
        count: usize,
    ) -> Result<Vec<f64>, Error> {
        let kind = match draw {
            Draw::Frozen => "frozen",
            Draw::TopK => "topk",
        };
        (start..start + count)
            .into_par_iter()
            .map(|b| self.replicate(draw, &format!("check/null/{kind}/{b}")))
            .collect()
    }

    /// The Monte Carlo test of the observed `t` against `draw`'s replicates, stopped after
    /// [`STOP_AFTER`] replicates reach `t` (Besag–Clifford) or after [`Sharp::replicates`].
    pub(crate) fn monte_carlo(&self, t: f64, draw: Draw) -> Result<MonteCarlo, Error> {
        let total = self.replicates();
        let mut reached: Vec<f64> = Vec::new();
        let mut all: Vec<f64> = Vec::with_capacity(total);
        while all.len() < total {
            let start = all.len();
            for value in self.simulate(draw, start, ROUND.min(total - start))? {
                all.push(value);
                if value >= t {
                    reached.push(value);
                    if reached.len() == STOP_AFTER {
                        let critical = reached.iter().copied().fold(f64::INFINITY, f64::min);
                        return Ok(MonteCarlo {
                            draw,
                            p: STOP_AFTER as f64 / all.len() as f64,
                            replicates: all.len(),
                            critical,
                        });
                    }
                }
            }
        }
        let critical = self.critical_value(&mut all);
        Ok(MonteCarlo {
            draw,
            p: (reached.len() + 1) as f64 / (total + 1) as f64,
            replicates: total,
            critical,
        })
    }

    /// The critical value of T from a full set of B replicates' values: the test rejects iff
    /// `#{T_b ≥ T} ≤ g₀ = ⌊δ_MC (B + 1)⌋ − 1`, i.e. iff T exceeds the (g₀ + 1)-th largest value
    /// (+∞ when g₀ < 0: B too small to reject at δ_MC). Sorts `values`.
    pub(crate) fn critical_value(&self, values: &mut [f64]) -> f64 {
        values.sort_by(|a, b| b.total_cmp(a));
        let allowed = (self.mc_delta() * (values.len() + 1) as f64).floor() as usize;
        match allowed {
            0 => f64::INFINITY,
            g => values[g - 1],
        }
    }

    /// The null laws whose Monte Carlo tests decide `masks` (theory/external.md, "One law per
    /// stack"): none when some mask does not keep exactly `k = round(ρnd)` entries under the
    /// sampler null (impossible under the top-k law: p = 0); under the limit null the frozen
    /// law alone in that case, the top-k law alone when every mask keeps k and the frozen law's
    /// chance of that ([`Sharp::exact_counts_bound`]) fits in the frozen test's slack, both
    /// otherwise.
    pub(crate) fn laws(&self, masks: &[Mask]) -> Result<Vec<Draw>, Error> {
        let (n, d) = (self.model.phi.len(), self.model.psi.len());
        let k = kept_count(n, d, Density::new(self.model.rho)?)?;
        let exact = masks.iter().all(|m| m.kept() == k);
        Ok(match (self.options.null, exact) {
            (Null::Sampler, true) => vec![Draw::TopK],
            (Null::Sampler, false) => Vec::new(),
            (Null::Limit, false) => vec![Draw::Frozen],
            (Null::Limit, true) if 2.0 * self.exact_counts_bound() <= self.slack() => {
                vec![Draw::TopK]
            }
            (Null::Limit, true) => vec![Draw::Frozen, Draw::TopK],
        })
    }

    /// An upper bound of the chance that all S frozen-threshold masks keep one given count:
    /// `(sqrt(π/8)/σ)^S`, σ² = Σ p_ij(1 − p_ij). A mask's kept count K has characteristic
    /// function φ with `|φ(t)| ≤ exp(−σ²(1 − cos t))` (as `|1 − p + p e^{it}|² = 1 − 2p(1 − p)
    /// (1 − cos t)` and `sqrt(1 − x) ≤ e^{−x/2}`) and `1 − cos t ≥ 2t²/π²` on [−π, π], so
    /// `P(K = k) ≤ (1/2π) ∫ |φ| ≤ (1/2π) ∫ exp(−2σ²t²/π²) dt = sqrt(π/8)/σ`; the masks are
    /// independent. 1 when σ = 0.
    pub(crate) fn exact_counts_bound(&self) -> f64 {
        let var = self.moments.total_var;
        match var > 0.0 {
            true => (self.stack as f64 * 0.5 * (std::f64::consts::PI / 8.0 / var).ln()).exp(),
            false => 1.0,
        }
    }

    /// `δ_MC − m/(B + 1)`, m the largest rank the rule `p = m/(B + 1) ≤ δ_MC` rejects at (as
    /// [`Sharp::check`] evaluates it): the rank test rejects a null stack with probability at
    /// most m/(B + 1), so this much of δ_MC is left unspent (less 4u δ_MC for the rounding).
    pub(crate) fn slack(&self) -> f64 {
        let (b, delta) = ((self.replicates() + 1) as f64, self.mc_delta());
        let mut m = (delta * b).floor() + 1.0;
        while m > 0.0 && m / b > delta {
            m -= 1.0;
        }
        delta - m / b - 4.0 * UNIT_ROUNDOFF * delta
    }

    /// The statistics' names and values to report (the density only when it is tested).
    fn reported<'a>(
        &self,
        z: &'a [f64],
    ) -> impl Iterator<Item = (&'static str, &'a f64)> + use<'a> {
        let test_density = self.options.test_density;
        self.names()
            .iter()
            .copied()
            .zip(z)
            .filter(move |(name, _)| test_density || *name != "density")
    }

    /// The Monte Carlo verdicts: one row per statistic (its standardised value against the
    /// critical value of T) and one for the p-value, under the options' null.
    pub(crate) fn check(&self, masks: &[Mask]) -> Result<Vec<Verdict>, Error> {
        let z = self.statistics(masks);
        let t = z.iter().copied().fold(0.0, f64::max);
        let delta = self.mc_delta();
        let mut out = Vec::new();
        if !self.can_reject() {
            // No replicate count allowed can bring p down to δ: nothing could fail.
            for (name, &z) in self.reported(&z) {
                out.push(Verdict::new(None, name, z, f64::INFINITY, 0.0));
            }
            return Ok(out);
        }
        let mut tests: Vec<MonteCarlo> = Vec::new();
        for draw in self.laws(masks)? {
            // a later law's test matters only if every earlier one rejects
            if tests.iter().all(|m| m.p <= delta) {
                tests.push(self.monte_carlo(t, draw)?);
            }
        }
        let p = tests.iter().map(|m| m.p).fold(0.0, f64::max);
        let critical = tests.iter().map(|m| m.critical).fold(0.0, f64::max);
        for (name, &z) in self.reported(&z) {
            out.push(Verdict::new(None, name, z, critical, f64::INFINITY));
        }
        let status = match p <= delta {
            true => Status::Fail,
            false => Status::Pass,
        };
        out.push(Verdict {
            mask: None,
            check: "Monte Carlo p-value",
            observed: p,
            threshold: delta,
            max: 1.0,
            status,
        });
        Ok(out)
    }

    /// Exact kept counts (the sampler null): every mask keeps `k = round(ρnd)` entries.
    ///
    /// ```
    /// use pai_graphon::params::Probability;
    /// use pai_graphon::convergence::limit::Fsm;
    /// use pai_graphon::external::sharp::{Options, Sharp};
    /// use pai_graphon::external::simulate::{Draw, Model};
    /// use pai_graphon::external::Null;
    /// use pai_graphon::seed::MasterSeed;
    /// let model = || Model::from_fsm(&Fsm::figure1(), 32, 32, 0.2).unwrap();
    /// let seed = MasterSeed::default();
    /// let options = Options { null: Null::Sampler, unordered: false, delta: Probability::new(0.2).unwrap(), replicates: None, seed, test_density: true };
    /// let sharp = Sharp::new(model(), 2, options).unwrap();
    /// let frozen = model().draw_stack(Draw::Frozen, 2, seed, "DOC").unwrap();
    /// let v = sharp.kept_counts(&frozen).unwrap();
    /// assert!(v.observed > 0.0); // frozen-threshold masks keep a random number of entries
    /// ```
    pub fn kept_counts(&self, masks: &[Mask]) -> Result<Verdict, Error> {
        let (n, d) = (masks[0].rows(), masks[0].cols());
        let k = kept_count(n, d, Density::new(self.model.rho)?)?;
        let off = masks
            .iter()
            .map(|m| m.kept().abs_diff(k))
            .max()
            .unwrap_or(0);
        let max = k.max((n * d) as u64 - k) as f64;
        Ok(Verdict::new(
            None,
            "kept count = round(ρnd)",
            off as f64,
            0.0,
            max,
        ))
    }

    /// The two pair-overlap verdicts (rows, then columns), each at `δ · PAIR_SHARE / 2`.
    pub(crate) fn pairs(&self, masks: &[Mask]) -> Result<Vec<Verdict>, Error> {
        let delta = self.options.delta.get() * PAIR_SHARE / 2.0;
        let model = &self.model;
        let (n, d) = (model.phi.len(), model.psi.len());
        // Sandwich: each top-k mask lies below the frozen mask at τ_lo except with δ/2 over the
        // stack; frozen masks at τ* ≤ ... lie below it surely.
        let spec = MaskSpec::from_grids(
            model.phi.clone(),
            model.psi.clone(),
            Density::new(model.rho)?,
        )?;
        let window = threshold_window(&spec, &*model.law, delta / 2.0 / masks.len() as f64)?;
        let tau_lo = window.lo.min(model.tau) * (1.0 - crate::tol::ROUNDING_SLACK);
        let keep = |i: usize, j: usize| {
            let s = model.phi[i] * model.psi[j];
            match s > 0.0 {
                true => model.law.tail(tau_lo / s).min(1.0),
                false => 0.0,
            }
        };
        let unordered = self.options.unordered;
        let rows = pair_verdict(
            "row-pair overlaps",
            masks,
            keep,
            (n, d),
            delta / 2.0,
            unordered,
        )?;
        let t: Vec<Mask> = masks.iter().map(transpose).collect::<Result<_, _>>()?;
        let cols = pair_verdict(
            "column-pair overlaps",
            &t,
            |j, i| keep(i, j),
            (d, n),
            delta / 2.0,
            unordered,
        )?;
        Ok(vec![rows, cols])
    }

    /// The scores' law: every score over its profile product `S_ij / (φ_i ψ_j)` (entries with
    /// φψ > 0, all masks pooled) is a draw of |ξ| under both nulls, so their KS distance to the
    /// law's CDF is within DKW–Massart at δ. The normalisation's rounding (two roundings, a
    /// relative 2u) moves a CDF value by at most `sup_t t f(t) · 2u/(1 − 2u)` ≤ 4u for the laws
    /// here (half-normal: 0.48; uniform: 1), allowed for by subtracting 4u from the statistic.
    /// `scores` holds the stack's scores in the masks' layout.
    ///
    /// ```
    /// use pai_graphon::params::Probability;
    /// use pai_graphon::convergence::limit::Fsm;
    /// use pai_graphon::external::sharp::{Options, Sharp};
    /// use pai_graphon::external::simulate::{Draw, Model};
    /// use pai_graphon::external::Null;
    /// use pai_graphon::seed::MasterSeed;
    /// let model = || Model::from_fsm(&Fsm::figure1(), 32, 32, 0.2).unwrap();
    /// let seed = MasterSeed::default();
    /// use pai_graphon::verdict::Status;
    /// let options = Options { null: Null::Limit, unordered: false, delta: Probability::new(0.2).unwrap(), replicates: None, seed, test_density: true };
    /// let sharp = Sharp::new(model(), 1, options).unwrap();
    /// // Scores 10 times too large are not draws of |ξ| times the profiles.
    /// let m = model();
    /// let scores: Vec<f64> = (0..32 * 32).map(|k| 10.0 * m.phi[k / 32] * m.psi[k % 32]).collect();
    /// assert_eq!(sharp.score_law(&scores, 1e-3).unwrap().status, Status::Fail);
    /// ```
    pub fn score_law(&self, scores: &[f64], delta: f64) -> Result<Verdict, Error> {
        let (n, d) = (self.model.phi.len(), self.model.psi.len());
        let normalised: Vec<f64> = scores
            .iter()
            .enumerate()
            .filter_map(|(k, &x)| {
                let (i, j) = ((k / d) % n, k % d);
                let p = self.model.phi[i] * self.model.psi[j];
                (p > 0.0).then_some(x / p)
            })
            .collect();
        let law = &self.model.law;
        let distance = ks_statistic(&normalised, |x| {
            (1.0 - law.tail(x.max(0.0))).clamp(0.0, 1.0)
        })?;
        let observed = (distance - 4.0 * UNIT_ROUNDOFF).max(0.0);
        let threshold = dkw_massart(normalised.len(), delta)?;
        Ok(Verdict::new(
            None,
            "scores' law (normalised, KS)",
            observed,
            threshold,
            1.0,
        ))
    }

    /// Every verdict of the sharp check: the Monte Carlo test, the pair bounds and (sampler
    /// null) the kept counts.
    ///
    /// ```
    /// use pai_graphon::params::Probability;
    /// use pai_graphon::convergence::limit::Fsm;
    /// use pai_graphon::external::sharp::{Options, Sharp};
    /// use pai_graphon::external::simulate::{Draw, Model};
    /// use pai_graphon::external::Null;
    /// use pai_graphon::seed::MasterSeed;
    /// let model = || Model::from_fsm(&Fsm::figure1(), 32, 32, 0.2).unwrap();
    /// let seed = MasterSeed::default();
    /// let options = Options { null: Null::Sampler, unordered: false, delta: Probability::new(0.2).unwrap(), replicates: None, seed, test_density: true };
    /// let sharp = Sharp::new(model(), 2, options).unwrap();
    /// let masks = model().draw_stack(Draw::TopK, 2, seed, "DOC").unwrap();
    /// let v = sharp.verdicts(&masks).unwrap();
    /// // The kept count, 7 statistics, the p-value, 2 pair bounds; all of the pooled stack.
    /// assert_eq!(v.len(), 11);
    /// assert!(v.iter().all(|v| v.mask.is_none()));
    /// ```
    pub fn verdicts(&self, masks: &[Mask]) -> Result<Vec<Verdict>, Error> {
        let mut out = Vec::new();
        if self.options.null == Null::Sampler {
            out.push(self.kept_counts(masks)?);
        }
        out.extend(self.check(masks)?);
        out.extend(self.pairs(masks)?);
        Ok(out)
    }
}

fn transpose(m: &Mask) -> Result<Mask, Error> {
    let (n, d) = (m.rows(), m.cols());
    let mut e = vec![0u8; n * d];
    for i in 0..n {
        let words = m.row_words(i).unwrap_or(&[]);
        for (w, &word) in words.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let j = w * 64 + bits.trailing_zeros() as usize;
                e[j * n + i] = 1;
                bits &= bits - 1;
            }
        }
    }
    Ok(Mask::from_entries(d, n, &e)?)
}

/// The largest `(O − μ̄) / t` over line pairs (pooled over the stack unless `unordered`), where O
/// is a pair's overlap, μ̄ an
/// upper bound of its mean under the dominating frozen mask (keep probabilities `keep(line, x)`,
/// taken at the largest over each group of lines) and t Bernstein's deviation at δ over all pairs.
/// `unordered`: the lines may have been relabelled, so a pair's positions are unknown and every
/// pair gets the largest μ̄ of any two groups.
fn pair_verdict(
    name: &'static str,
    masks: &[Mask],
    keep: impl Fn(usize, usize) -> f64 + Sync,
    (lines, size): (usize, usize),
    delta: f64,
    unordered: bool,
) -> Result<Verdict, Error> {
    if lines < 2 {
        return Ok(Verdict::new(None, name, 0.0, 1.0, 0.0));
    }
    let per_group = lines.div_ceil(PAIR_GROUPS);
    let groups = lines.div_ceil(per_group);
    let top: Vec<Vec<f64>> = (0..groups)
        .into_par_iter()
        .map(|g| {
            (0..size)
                .map(|x| {
                    (g * per_group..((g + 1) * per_group).min(lines))
                        .map(|l| keep(l, x))
                        .fold(0.0, f64::max)
                })
                .collect()
        })
        .collect();
    let mut mean: Vec<f64> = (0..groups * groups)
        .into_par_iter()
        .map(|k| {
            let (a, b) = (k / groups, k % groups);
            top[a].iter().zip(&top[b]).map(|(x, y)| x * y).sum()
        })
        .collect();
    if unordered {
        let most = mean.iter().copied().fold(0.0, f64::max);
        mean.iter_mut().for_each(|m| *m = most);
    }
    // Ordered: a pair's overlaps are pooled over the stack (the same two lines in every mask, a
    // sum of S·size independent indicators with mean ≤ S·μ̄). Unordered: each mask's lines may be
    // relabelled on their own, so every mask's pairs are tested apart.
    let (units, per_unit): (Vec<&[Mask]>, f64) = match unordered {
        false => (vec![masks], masks.len() as f64),
        true => (masks.chunks(1).collect(), 1.0),
    };
    let pairs = units.len() as f64 * (lines * (lines - 1) / 2) as f64;
    let log = (pairs / delta).ln();
    // Bernstein: P(O − μ̄ ≥ t) ≤ exp(−t² / (2(μ̄ + t/3))) for a sum of independent indicators
    // with mean ≤ μ̄ (variance ≤ μ̄), so t = L/3 + sqrt(L²/9 + 2 μ̄ L) with L = ln(pairs/δ).
    let bound = |mu: f64| log / 3.0 + (log * log / 9.0 + 2.0 * mu * log).sqrt();
    let most_of = |mu: f64| (per_unit * size as f64 - mu) / bound(mu);
    let fold = |a: (f64, f64), b: (f64, f64)| (a.0.max(b.0), a.1.max(b.1));
    let none = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    let worst = units
        .iter()
        .map(|unit| {
            (0..lines)
                .into_par_iter()
                .map(|i| {
                    let mut acc = none;
                    for i2 in i + 1..lines {
                        let o: u32 = unit
                            .iter()
                            .map(|m| {
                                let a = m.row_words(i).unwrap_or(&[]);
                                let b = m.row_words(i2).unwrap_or(&[]);
                                a.iter()
                                    .zip(b)
                                    .map(|(x, y)| (x & y).count_ones())
                                    .sum::<u32>()
                            })
                            .sum();
                        let mu = per_unit * mean[(i / per_group) * groups + i2 / per_group];
                        acc = fold(acc, ((f64::from(o) - mu) / bound(mu), most_of(mu)));
                    }
                    acc
                })
                .reduce(|| none, fold)
        })
        .fold(none, fold);
    Ok(Verdict::new(
        None,
        name,
        worst.0.max(0.0),
        1.0,
        worst.1.max(0.0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convergence::limit::Fsm;
    use crate::stats::ks::{two_sample_counts, two_sample_sf};
    use statrs::distribution::{Binomial, DiscreteCDF};

    /// Distance of the test points from each CDF value: far above the rounding of either CDF
    /// (≤ 64 terms of relative error 2⁻⁵³ each), far below the gaps between CDF values tested.
    const SIDE: f64 = 1e-9;

    #[test]
    fn binomial_inverts_the_exact_cdf_on_both_sides_of_every_value() {
        for s in [1u32, 8, 64] {
            for p in [0.0, 1e-6, 0.2, 0.5, 0.7, 1.0 - 1e-9, 1.0] {
                let law = Binomial::new(p, u64::from(s)).unwrap();
                for k in 0..s {
                    let f = law.cdf(u64::from(k));
                    if f > SIDE {
                        assert!(binomial(s, p, f - SIDE) <= k, "s {s} p {p} k {k}");
                    }
                    if f < 1.0 - SIDE {
                        assert!(binomial(s, p, f + SIDE) > k, "s {s} p {p} k {k}");
                    }
                }
            }
        }
    }

    #[test]
    fn below_the_zero_cut_the_inversion_gives_zero() {
        for s in [1u32, 8, 64] {
            let keep: Vec<f64> = (0..=1000).map(|t| f64::from(t) / 1000.0).collect();
            for (&p, &cut) in keep.iter().zip(&Pool::new(&keep, s).cut) {
                if cut > 0 {
                    // the largest 53-bit uniform whose first 16 bits are below the cut
                    let u = (((u64::from(cut) << 37) - 1) as f64 + 0.5) * UNIT_ROUNDOFF;
                    assert_eq!(binomial(s, p, u), 0, "s {s} p {p}");
                }
            }
        }
    }

    /// Every 16-bit draw the steps decide gets the inversion's count at both ends of its
    /// range of 53-bit uniforms (the inversion is monotone in u, so on all of it), on both
    /// sides of ½; few draws are left undecided.
    #[test]
    fn the_steps_decide_as_the_inversion_at_both_ends_of_every_draw() {
        for s in [1u32, 8, 64] {
            let keep = [
                0.0,
                1e-6,
                0.03,
                0.2,
                0.5,
                0.5 + 1e-12,
                0.7,
                0.97,
                1.0 - 1e-9,
                1.0,
            ];
            let pool = Pool::new(&keep, s);
            let mut undecided = 0;
            for (e, &p) in keep.iter().enumerate() {
                for high in 0..=u16::MAX {
                    let Some(k) = pool.decide(e, high) else {
                        undecided += 1;
                        continue;
                    };
                    let ends = [(high as u64) << 37, ((high as u64 + 1) << 37) - 1];
                    for u53 in ends {
                        let u = (u53 as f64 + 0.5) * UNIT_ROUNDOFF;
                        assert_eq!(binomial(s, p, u), k, "s {s} p {p} high {high}");
                    }
                }
            }
            // at most four draws per step, per entry
            assert!(
                undecided <= keep.len() * 4 * s as usize,
                "s {s}: {undecided}"
            );
        }
    }

    /// The counts of one row-major table of per-entry counts, aggregated entry by entry.
    fn direct_counts(m: &Moments, n: usize, d: usize, k: impl Fn(usize) -> u64) -> Counts {
        let level = levels(&m.keep);
        let mut c = Counts::zero(m);
        for (e, &l) in level.iter().enumerate().take(n * d) {
            let (i, j) = (e / d, e % d);
            let b = block_of(i, n, m.row_blocks) * m.col_blocks + block_of(j, d, m.col_blocks);
            c.rows[i] += k(e);
            c.cols[j] += k(e);
            c.blocks[b] += k(e);
            c.levels[usize::from(l)] += k(e);
        }
        c
    }

    /// A model with entries on both sides of ½ and a shape that is not a multiple of 64 or 16.
    fn odd_model() -> Model {
        Model::from_fsm(&Fsm::figure1(), 37, 150, 0.3).unwrap()
    }

    #[test]
    fn the_pooled_counts_of_masks_are_their_entries_summed() {
        let model = odd_model();
        let m = Moments::new(&model);
        let masks = model
            .draw_stack(Draw::TopK, 3, MasterSeed::new(5), "TEST/counts")
            .unwrap();
        let k = |e: usize| {
            let sum = masks
                .iter()
                .map(|x| u64::from(x.get(e / 150, e % 150) == Some(true)));
            sum.sum()
        };
        assert_eq!(counts(&masks, &m), direct_counts(&m, 37, 150, k));
        // past 255 rows the byte counters are emptied: all-ones masks of 600 rows
        let wide = Model::from_fsm(&Fsm::figure1(), 600, 70, 0.2).unwrap();
        let m = Moments::new(&wide);
        let full = Mask::from_entries(600, 70, &[1; 600 * 70]).unwrap();
        assert_eq!(
            counts(&[full.clone(), full], &m),
            direct_counts(&m, 600, 70, |_| 2)
        );
    }

    /// The pooled counts drawn the direct way: every entry past its cut reads the next
    /// refinement word and is inverted.
    fn pooled_directly(m: &Moments, pool: &Pool, label: &str, seed: MasterSeed) -> Counts {
        let (n, d) = (m.row_mean.len(), m.col_mean.len());
        let (mut primary, mut refine) =
            (seed.stream(label), seed.stream(&format!("{label}/refine")));
        let mut buf = vec![0u8; 2 * n * d];
        primary.fill_bytes(&mut buf);
        let k: Vec<u64> = buf
            .chunks_exact(2)
            .enumerate()
            .map(|(e, b)| {
                let high = u16::from_le_bytes([b[0], b[1]]);
                if high < pool.cut[e] {
                    return 0;
                }
                let u53 = u64::from(high) << 37 | refine.next_u64() >> 27;
                u64::from(binomial(
                    pool.s,
                    m.keep[e],
                    (u53 as f64 + 0.5) * UNIT_ROUNDOFF,
                ))
            })
            .collect();
        direct_counts(m, n, d, |e| k[e])
    }

    /// The fast pooled replicates (steps, refinement words read by seeking) are bit for bit the
    /// direct ones, with and without the steps.
    #[test]
    fn pooled_frozen_counts_are_the_direct_inversions_bit_for_bit() {
        let m = Moments::new(&odd_model());
        assert!(m.keep.iter().any(|&p| Side::mirrored(p)) && m.keep.iter().any(|&p| p < 0.5));
        for s in [1u32, 8] {
            let pool = Pool::new(&m.keep, s);
            let uncached = Pool {
                steps: Vec::new(),
                ..Pool::new(&m.keep, s)
            };
            for r in 0..4 {
                let label = format!("TEST/pooled-direct/{r}");
                let seed = MasterSeed::new(11);
                let direct = pooled_directly(&m, &pool, &label, seed);
                for p in [&pool, &uncached] {
                    let (c, kept) = pooled_frozen(&m, p, &label, seed);
                    assert_eq!(kept, direct.rows.iter().sum::<u64>());
                    assert_eq!(c, direct, "s {s} replicate {r}");
                }
            }
        }
    }

    /// The bound of the chance that a frozen mask keeps one given count holds against the
    /// exact Poisson-binomial law (by dynamic programming), and is far below 1 (not vacuous).
    #[test]
    fn one_kept_count_is_no_likelier_than_the_bound() {
        let model = Model::from_fsm(&Fsm::figure1(), 16, 24, 0.2).unwrap();
        let options = Options {
            null: Null::Limit,
            unordered: false,
            delta: crate::params::Probability::new(1e-3).unwrap(),
            replicates: None,
            seed: MasterSeed::default(),
            test_density: true,
        };
        let sharp = Sharp::new(model, 1, options).unwrap();
        let mut pmf = vec![1.0];
        for &p in &sharp.moments.keep {
            let mut next = vec![0.0; pmf.len() + 1];
            for (k, &q) in pmf.iter().enumerate() {
                next[k] += q * (1.0 - p);
                next[k + 1] += q * p;
            }
            pmf = next;
        }
        let mode = pmf.iter().copied().fold(0.0, f64::max);
        let bound = sharp.exact_counts_bound();
        assert!(mode <= bound && bound < 0.2, "mode {mode}, bound {bound}");
    }

    /// Top-k stacks are tested against top-k replicates only, frozen ones against frozen ones,
    /// and where the bound does not fit in the slack (one small mask) against both.
    #[test]
    fn the_kept_counts_choose_the_laws() {
        let options = |delta: f64| Options {
            null: Null::Limit,
            unordered: false,
            delta: crate::params::Probability::new(delta).unwrap(),
            replicates: None,
            seed: MasterSeed::default(),
            test_density: true,
        };
        let model = || Model::from_fsm(&Fsm::figure1(), 64, 64, 0.2).unwrap();
        let seed = MasterSeed::new(9);
        let sharp = Sharp::new(model(), 8, options(1e-3)).unwrap();
        assert!(2.0 * sharp.exact_counts_bound() <= sharp.slack());
        let topk = model()
            .draw_stack(Draw::TopK, 8, seed, "TEST/laws")
            .unwrap();
        let frozen = model()
            .draw_stack(Draw::Frozen, 8, seed, "TEST/laws")
            .unwrap();
        assert_eq!(sharp.laws(&topk).unwrap(), [Draw::TopK]);
        assert_eq!(sharp.laws(&frozen).unwrap(), [Draw::Frozen]);
        let one = Sharp::new(model(), 1, options(1e-3)).unwrap();
        assert!(2.0 * one.exact_counts_bound() > one.slack());
        assert_eq!(one.laws(&topk[..1]).unwrap(), [Draw::Frozen, Draw::TopK]);
    }

    /// T of `r` replicates drawn as pooled counts, and of `r` drawn mask by mask.
    fn replicate_pairs(sharp: &Sharp, r: usize) -> (Vec<f64>, Vec<f64>) {
        let seed = MasterSeed::new(7);
        let pooled = (0..r)
            .map(|b| sharp.replicate(Draw::Frozen, &format!("TEST/pooled/{b}")))
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let stacked = (0..r)
            .map(|b| {
                let masks = sharp
                    .model
                    .draw_stack(
                        Draw::Frozen,
                        sharp.stack,
                        seed,
                        &format!("TEST/stacked/{b}"),
                    )
                    .unwrap();
                sharp.combined(&masks)
            })
            .collect();
        (pooled, stacked)
    }

    /// The exact two-sample KS p-value of equal samples (ties stepped over together: conservative).
    fn two_sample_p(a: &[f64], b: &[f64]) -> f64 {
        let (c, _) = two_sample_counts(a, b).unwrap();
        two_sample_sf(a.len(), c, false).unwrap()
    }

    #[test]
    fn pooled_frozen_replicates_have_the_law_of_stacked_ones_with_a_negative_control() {
        const R: usize = 300;
        const DELTA: f64 = 1e-3;
        let model = Model::from_fsm(&Fsm::figure1(), 32, 32, 0.2).unwrap();
        let options = Options {
            null: Null::Limit,
            unordered: false,
            delta: crate::params::Probability::new(DELTA).unwrap(),
            replicates: None,
            seed: MasterSeed::new(3),
            test_density: true,
        };
        let mut sharp = Sharp::new(model, 8, options).unwrap();
        let (pooled, stacked) = replicate_pairs(&sharp, R);
        assert!(two_sample_p(&pooled, &stacked) > DELTA);
        // Control: pooled counts from keep probabilities 10 % too high.
        sharp
            .moments
            .keep
            .iter_mut()
            .for_each(|p| *p = (*p * 1.1).min(1.0));
        sharp.pool = Some(Pool::new(&sharp.moments.keep, 8));
        let (wrong, stacked) = replicate_pairs(&sharp, R);
        assert!(two_sample_p(&wrong, &stacked) <= DELTA);
    }
}
