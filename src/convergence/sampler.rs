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
//! **Randomness and paths.**
//! - [`sample_mask`], [`sample_frozen`] and [`sample_scores`] read the one ChaCha20 stream
//!   `MasterSeed::stream(prefix)` by inversion: entry (i, j) has a uniform `U_ij` (a 16-bit
//!   primary draw, plus 37 refinement bits read only when needed, at fixed positions of the
//!   stream) and `|ξ_ij| = law.tail_inverse(U_ij)`, so `S_ij = fl(fl(φ_i ψ_j) · tail_inverse(U_ij))`.
//!   The layout and the output-sensitive exact selection are documented in
//!   `convergence::inversion` (crate-private): most entries cost one 16-bit uniform and two
//!   integer comparisons, and only the entries near the threshold get their exact score. The
//!   threshold window is a hint: a miss costs passes ([`Mask::passes`]), never exactness.
//! - [`sample_mask_in_memory`], the slow reference the tests compare against, is independent:
//!   rows are grouped in blocks of [`ROW_BLOCK`] = 64, block b draws its |ξ| by
//!   `law.sample_abs` (a ziggurat for the half-normal) from the stream `"{prefix}/rows={b}"`,
//!   row-major, and all n·d scores are held in memory for one selection. Same law, other bits.
//!
//! **Top-k.** The mask keeps the k = round(ρ n d) largest scores, ties broken by the smaller
//! linear index, as defined in [`crate::mask`] (the generic [`Mask`], [`kept_count`] and
//! top-k live there; this module is the FSM sampler). Under Synaptic-Flow's rule
//! ([`MaskSpec::with_kept_count`], [`KeptCount::SynapticFlow`]) k = N − int((1 − ρ)N) and every
//! entry tied with the (k+1)-th largest score is pruned, as [`crate::mask::top_k_mask_by`] does
//! with explicit scores. For continuous noise the only ties are at score 0 (zero profile values).
//!
//! ```
//! use pai_graphon::params::Density;
//! use pai_graphon::convergence::sampler::{sample_mask, sample_mask_in_memory, MaskSpec};
//! use pai_graphon::convergence::noise::HalfNormal;
//! use pai_graphon::seed::MasterSeed;
//! let spec = MaskSpec::from_grids(vec![1.0; 100], vec![1.0; 30], Density::constant(0.1)).unwrap();
//! let (law, seed) = (HalfNormal { sigma: 1.0 }, MasterSeed::default());
//! let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
//! let fast = one.install(|| sample_mask(&spec, &law, seed, "DOC", None)).unwrap();
//! assert_eq!(fast, sample_mask(&spec, &law, seed, "DOC", None).unwrap()); // any thread count
//! let reference = sample_mask_in_memory(&spec, &law, seed, "DOC").unwrap();
//! assert_eq!((fast.kept(), reference.kept()), (300, 300)); // same law, independent streams
//! assert_ne!(fast, reference);
//! ```

use super::inversion::{Field, Table};
use super::noise::{Noise, NoiseLaw};
use super::profile::Profile;
use super::ConvergenceError;
use crate::mask::{cell_count, kept_count, top_k_of_by, KeptCount, Mask, IN_MEMORY_LIMIT};
use crate::params::Density;
use crate::seed::MasterSeed;
use crate::tol::{hoeffding, Tail};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

/// The stream label of the reference FSM masks that `pai-graphon masks` writes and the Python
/// package's `reference_masks` returns: mask S reads `MasterSeed::new(S).stream(MASKS_LABEL)`.
///
/// ```
/// use pai_graphon::convergence::sampler::{sample_mask_for, MaskSpec, MASKS_LABEL};
/// use pai_graphon::{convergence::limit::Fsm, params::Density, seed::MasterSeed};
/// let fsm = Fsm::figure1();
/// let spec = MaskSpec::new(8, 8, Density::constant(0.25), &fsm.row, &fsm.col).unwrap();
/// let m = sample_mask_for(&spec, &fsm.noise, MasterSeed::new(1), MASKS_LABEL, None).unwrap();
/// assert_eq!((MASKS_LABEL, m.kept()), ("masks", 16));
/// ```
pub const MASKS_LABEL: &str = "masks";

/// Rows per random stream of the reference [`sample_mask_in_memory`].
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::convergence::sampler::{sample_mask_in_memory, MaskSpec, ROW_BLOCK};
/// use pai_graphon::convergence::noise::{NoiseLaw, UniformAbs};
/// use pai_graphon::seed::MasterSeed;
/// let spec = MaskSpec::from_grids(vec![1.0; ROW_BLOCK + 1], vec![1.0], Density::new(1.0 / 65.0).unwrap()).unwrap();
/// let (law, seed) = (UniformAbs { a: 1.0 }, MasterSeed::default());
/// // k = 1: the largest of 65 draws, 64 from block 0's stream and one from block 1's.
/// let block = |b: usize, draws: usize| {
///     let mut rng = seed.stream(&format!("DOC/rows={b}"));
///     (0..draws).map(|_| law.sample_abs(&mut rng)).fold(0.0, f64::max)
/// };
/// let m = sample_mask_in_memory(&spec, &law, seed, "DOC").unwrap();
/// assert_eq!(m.threshold(), block(0, ROW_BLOCK).max(block(1, 1)));
/// ```
pub const ROW_BLOCK: usize = 64;

/// Failure probability of the window [`sample_mask`] computes when given none (a miss costs
/// one more pass, never a wrong mask).
///
/// ```
/// assert_eq!(pai_graphon::convergence::sampler::WINDOW_DELTA, 1e-4);
/// ```
pub const WINDOW_DELTA: f64 = 1e-4;

/// Log-spaced bins per side in [`threshold_window`]'s bounding sums: the positive profile values
/// of each side fall into this many bins of equal width in log scale (a bin spans a factor
/// (max/min)^(1/4096)), and products of bins into classes by the sum of the bin indices.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::convergence::sampler::{sample_mask, threshold_window, MaskSpec, HINT_GROUPS};
/// use pai_graphon::convergence::{noise::HalfNormal, profile::Profile};
/// use pai_graphon::seed::MasterSeed;
/// // More row values than bins: the window brackets binned sums, and still holds τ_n.
/// let exp3 = Profile::parse("exp:3").unwrap();
/// let spec = MaskSpec::new(HINT_GROUPS + 44, 2, Density::constant(0.2), &exp3, &exp3).unwrap();
/// let law = HalfNormal { sigma: 1.0 };
/// let w = threshold_window(&spec, &law, 1e-6).unwrap();
/// let m = sample_mask(&spec, &law, MasterSeed::default(), "DOC", Some(w)).unwrap();
/// assert!(w.lo <= m.threshold() && m.threshold() <= w.hi && m.passes() == 1);
/// ```
pub const HINT_GROUPS: usize = 4096;

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

/// What to sample: the grid profiles φ (length n), ψ (length d), the density and the
/// kept-count rule (round(ρ n d) unless [`MaskSpec::with_kept_count`] says otherwise).
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::convergence::sampler::MaskSpec;
/// let spec = MaskSpec::from_grids(vec![-0.0, 1.0], vec![2.0], Density::constant(0.5)).unwrap();
/// assert!(spec.phi()[0].is_sign_positive()); // −0 stored as +0
/// assert_eq!((spec.kept(), spec.score(1, 0, 0.25)), (1, 0.5));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct MaskSpec {
    phi: Vec<f64>,
    psi: Vec<f64>,
    rho: Density,
    rule: KeptCount,
    kept: u64,
}

impl MaskSpec {
    /// The spec of an n × d mask of density ρ with grid profiles (see the module doc).
    ///
    /// ```
    /// use pai_graphon::params::Density;
    /// use pai_graphon::convergence::{sampler::MaskSpec, profile::Profile};
    /// let exp3 = Profile::parse("exp:3").unwrap();
    /// let spec = MaskSpec::new(200, 300, Density::constant(0.2), &exp3, &exp3).unwrap();
    /// assert_eq!((spec.rows(), spec.cols(), spec.kept()), (200, 300, 12_000));
    /// ```
    pub fn new(
        n: usize,
        d: usize,
        rho: Density,
        rows: &Profile,
        cols: &Profile,
    ) -> Result<Self, ConvergenceError> {
        cell_count(n, d)?;
        Self::from_grids(grid(rows, n), grid(cols, d), rho)
    }

    /// A spec from explicit profile values (any order; finite and non-negative; −0 becomes +0).
    ///
    /// ```
    /// use pai_graphon::params::Density;
    /// use pai_graphon::convergence::sampler::MaskSpec;
    /// let spec = MaskSpec::from_grids(vec![1.0, 2.0], vec![3.0], Density::constant(0.5)).unwrap();
    /// assert_eq!(spec.score(1, 0, 0.5), 3.0);
    /// assert!(MaskSpec::from_grids(vec![-1.0], vec![1.0], Density::constant(0.5)).is_err());
    /// ```
    pub fn from_grids(
        phi: Vec<f64>,
        psi: Vec<f64>,
        rho: Density,
    ) -> Result<Self, ConvergenceError> {
        let kept = kept_count(phi.len(), psi.len(), rho)?;
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
            rho,
            rule: KeptCount::Round,
            kept,
        })
    }

    /// The same spec under another kept-count rule: k from [`KeptCount::count`], and under
    /// [`KeptCount::SynapticFlow`] the samplers prune every entry tied with the threshold.
    ///
    /// ```
    /// use pai_graphon::convergence::sampler::MaskSpec;
    /// use pai_graphon::{mask::KeptCount, params::Density};
    /// let spec = MaskSpec::from_grids(vec![1.0], vec![1.0; 10], Density::constant(0.9)).unwrap();
    /// let sf = spec.clone().with_kept_count(KeptCount::SynapticFlow).unwrap();
    /// // (1 − 0.9) · 10 = 0.999… in f64: Synaptic-Flow prunes none, round keeps 9.
    /// assert_eq!((spec.kept(), sf.kept(), sf.rule()), (9, 10, KeptCount::SynapticFlow));
    /// ```
    pub fn with_kept_count(self, rule: KeptCount) -> Result<Self, ConvergenceError> {
        let kept = rule.count(self.rows(), self.cols(), self.rho)?;
        Ok(MaskSpec { rule, kept, ..self })
    }

    /// The kept-count rule ([`KeptCount::Round`] unless set by [`MaskSpec::with_kept_count`]).
    ///
    /// ```
    /// use pai_graphon::{convergence::sampler::MaskSpec, params::Density};
    /// let spec = MaskSpec::from_grids(vec![1.0; 3], vec![1.0; 5], Density::constant(0.5)).unwrap();
    /// assert_eq!(spec.rule(), pai_graphon::mask::KeptCount::Round);
    /// ```
    pub fn rule(&self) -> KeptCount {
        self.rule
    }

    /// n, the number of rows (hidden neurons).
    ///
    /// ```
    /// use pai_graphon::params::Density;
    /// use pai_graphon::convergence::sampler::MaskSpec;
    /// assert_eq!(MaskSpec::from_grids(vec![1.0; 3], vec![1.0; 5], Density::constant(0.5)).unwrap().rows(), 3);
    /// ```
    pub fn rows(&self) -> usize {
        self.phi.len()
    }

    /// d, the number of columns (inputs).
    ///
    /// ```
    /// use pai_graphon::params::Density;
    /// use pai_graphon::convergence::sampler::MaskSpec;
    /// assert_eq!(MaskSpec::from_grids(vec![1.0; 3], vec![1.0; 5], Density::constant(0.5)).unwrap().cols(), 5);
    /// ```
    pub fn cols(&self) -> usize {
        self.psi.len()
    }

    /// k, the number of kept entries (under [`KeptCount::SynapticFlow`], before the ties at the
    /// threshold are pruned).
    ///
    /// ```
    /// use pai_graphon::params::Density;
    /// use pai_graphon::convergence::sampler::MaskSpec;
    /// let spec = MaskSpec::from_grids(vec![1.0; 3], vec![1.0; 5], Density::constant(0.5)).unwrap();
    /// assert_eq!(spec.kept(), 8); // round(7.5): halves round up
    /// ```
    pub fn kept(&self) -> u64 {
        self.kept
    }

    /// The row profile values φ_i.
    ///
    /// ```
    /// use pai_graphon::params::Density;
    /// use pai_graphon::convergence::{sampler::MaskSpec, profile::Profile};
    /// let (u, one) = (Profile::parse("affine:0,1").unwrap(), Profile::parse("const:1").unwrap());
    /// let spec = MaskSpec::new(4, 1, Density::constant(0.5), &u, &one).unwrap();
    /// assert_eq!(spec.phi(), &[0.125, 0.375, 0.625, 0.875]); // φ at the row midpoints
    /// ```
    pub fn phi(&self) -> &[f64] {
        &self.phi
    }

    /// The column profile values ψ_j.
    ///
    /// ```
    /// use pai_graphon::params::Density;
    /// use pai_graphon::convergence::{sampler::MaskSpec, profile::Profile};
    /// let (u, one) = (Profile::parse("affine:0,1").unwrap(), Profile::parse("const:1").unwrap());
    /// let spec = MaskSpec::new(1, 2, Density::constant(0.5), &one, &u).unwrap();
    /// assert_eq!(spec.psi(), &[0.25, 0.75]);
    /// ```
    pub fn psi(&self) -> &[f64] {
        &self.psi
    }

    /// The score `(φ_i · ψ_j) · abs_xi` exactly as every path computes it.
    ///
    /// ```
    /// use pai_graphon::params::Density;
    /// use pai_graphon::convergence::sampler::MaskSpec;
    /// let spec = MaskSpec::from_grids(vec![2.0], vec![3.0], Density::constant(0.5)).unwrap();
    /// assert_eq!(spec.score(0, 0, 0.5), 3.0);
    /// ```
    pub fn score(&self, i: usize, j: usize, abs_xi: f64) -> f64 {
        (self.phi[i] * self.psi[j]) * abs_xi
    }
}

/// A window `[lo, hi]` expected to contain the threshold τ_n; a hint only.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::convergence::sampler::{sample_mask, MaskSpec, Window};
/// use pai_graphon::convergence::noise::HalfNormal;
/// use pai_graphon::seed::MasterSeed;
/// let spec = MaskSpec::from_grids(vec![1.0; 20], vec![1.0; 20], Density::constant(0.2)).unwrap();
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

/// Fills `out` with the scores of row `i`, drawing |ξ| from `rng` (the reference's streams).
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

/// The spec's field for the inversion sampler, with the law's (cached) table.
fn with_field<L: NoiseLaw + ?Sized, T>(
    spec: &MaskSpec,
    law: &L,
    run: impl FnOnce(&Field<L>) -> Result<T, ConvergenceError>,
) -> Result<T, ConvergenceError> {
    let table = Table::cached(law)?;
    run(&Field {
        phi: &spec.phi,
        psi: &spec.psi,
        law,
        table: &table,
        row_source: None,
    })
}

/// The exact scores of [`sample_mask`]'s uniforms, row-major, for n·d ≤ [`IN_MEMORY_LIMIT`]:
/// `S_ij = (φ_i · ψ_j) · law.tail_inverse(U_ij)` (module doc), so that thresholding them gives
/// [`sample_frozen`]'s mask and their top k [`sample_mask`]'s.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::convergence::{sampler::{sample_mask, sample_scores, MaskSpec}, noise::UniformAbs};
/// use pai_graphon::{mask::top_k_mask, seed::MasterSeed};
/// let spec = MaskSpec::from_grids(vec![0.0, 1.0], vec![1.0; 3], Density::constant(0.5)).unwrap();
/// let (law, seed) = (UniformAbs { a: 1.0 }, MasterSeed::default());
/// let s = sample_scores(&spec, &law, seed, "DOC").unwrap();
/// assert_eq!(&s[..3], &[0.0; 3]); // φ_0 = 0
/// assert!(s[3..].iter().all(|x| *x > 0.0 && *x < 1.0));
/// let m = sample_mask(&spec, &law, seed, "DOC", None).unwrap();
/// assert_eq!(m, top_k_mask(2, 3, &s, 3).unwrap());
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
    with_field(spec, law, |field| field.scores(&seed.stream(prefix)))
}

/// The reference mask (n·d ≤ [`IN_MEMORY_LIMIT`]): every score drawn by `law.sample_abs` from
/// the streams `"{prefix}/rows={b}"` (module doc), held in memory, one selection. Independent of
/// [`sample_mask`]'s streams and code, the slow path its tests compare it against.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::convergence::{sampler::{sample_mask_in_memory, MaskSpec}, noise::HalfNormal};
/// use pai_graphon::seed::MasterSeed;
/// let spec = MaskSpec::from_grids(vec![1.0; 10], vec![1.0; 10], Density::constant(0.25)).unwrap();
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
    let (n, d) = (spec.rows(), spec.cols());
    if n * d > IN_MEMORY_LIMIT {
        return Err(ConvergenceError::TooLarge {
            what: "scores in memory",
            requested: n * d,
            max: IN_MEMORY_LIMIT,
            why: "the in-memory limit",
        });
    }
    let mut scores = vec![0.0; n * d];
    scores
        .par_chunks_mut(ROW_BLOCK * d)
        .enumerate()
        .for_each(|(b, chunk)| {
            let mut rng = seed.stream(&format!("{prefix}/rows={b}"));
            for (local, row) in chunk.chunks_mut(d).enumerate() {
                fill_row(
                    law,
                    &mut rng,
                    spec.phi[b * ROW_BLOCK + local],
                    &spec.psi,
                    row,
                );
            }
        });
    if let Some(bad) = scores.iter().find(|s| !(s.is_finite() && **s >= 0.0)) {
        return Err(ConvergenceError::Score { score: *bad });
    }
    let ranked: Vec<(f64, u64)> = scores.into_iter().zip(0u64..).collect();
    let mut mask = top_k_of_by(n, d, ranked, spec.kept(), spec.rule())?;
    mask.passes = 1;
    Ok(mask)
}

/// The exact top-k mask of the scores of [`sample_scores`], by the output-sensitive inversion
/// sampler (module doc), for any n·d up to [`crate::mask::MAX_CELLS`]. `hint` is a window
/// expected to hold the k-th score (e.g. [`threshold_window`]; `None` computes it at
/// [`WINDOW_DELTA`]): a miss costs passes, never exactness. Memory: the mask's n·d/8 bytes
/// plus 8–16 bytes per entry of the window's band (~1 % of the entries for the crate's window).
/// Under [`KeptCount::SynapticFlow`] it takes two selections (k and k + 1) and, when the k-th and
/// (k+1)-th scores tie, a frozen pass and a third selection: every tied entry is pruned.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::convergence::sampler::{sample_mask, threshold_window, MaskSpec, Window};
/// use pai_graphon::convergence::{noise::HalfNormal, profile::Profile};
/// use pai_graphon::seed::MasterSeed;
/// let exp3 = Profile::parse("exp:3").unwrap();
/// let spec = MaskSpec::new(200, 200, Density::constant(0.2), &exp3, &exp3).unwrap();
/// let law = HalfNormal { sigma: 1.0 };
/// let hint = threshold_window(&spec, &law, 1e-6).unwrap();
/// let seed = MasterSeed::default();
/// let fast = sample_mask(&spec, &law, seed, "DOC/rep=0", Some(hint)).unwrap();
/// let missed = Window { lo: 0.0, hi: 0.1 * hint.lo };
/// let slow = sample_mask(&spec, &law, seed, "DOC/rep=0", Some(missed)).unwrap();
/// assert_eq!((fast.kept(), fast.passes(), slow.passes()), (8000, 1, 2));
/// assert_eq!(fast, slow);
/// ```
pub fn sample_mask<L: NoiseLaw + ?Sized>(
    spec: &MaskSpec,
    law: &L,
    seed: MasterSeed,
    prefix: &str,
    hint: Option<Window>,
) -> Result<Mask, ConvergenceError> {
    let window = match hint {
        Some(w) => w.validate()?,
        None => threshold_window(spec, law, WINDOW_DELTA)?,
    };
    let stream = seed.stream(prefix);
    with_field(spec, law, |field| {
        let top_k = |k| field.top_k(&stream, k, (window.lo, window.hi), None);
        let k = spec.kept();
        if spec.rule() == KeptCount::Round || k == (spec.rows() * spec.cols()) as u64 {
            return top_k(k);
        }
        // Synaptic-Flow: the top k unless the k-th score ties with the (k+1)-th, τ; then the
        // entries strictly above τ (the frozen mask), with their smallest score as threshold.
        let (kept, next) = (top_k(k)?, top_k(k + 1)?);
        if kept.threshold() > next.threshold() {
            return Ok(Mask {
                passes: kept.passes + next.passes,
                ..kept
            });
        }
        let above = field.frozen(&stream, next.threshold())?;
        if above.kept() == 0 {
            let candidates = spec.rows() * spec.cols();
            return Err(crate::mask::MaskError::AllTied { candidates }.into());
        }
        let mask = top_k(above.kept())?;
        let passes = kept.passes + next.passes + above.passes + mask.passes;
        Ok(Mask { passes, ..mask })
    })
}

/// The frozen-threshold mask `{S_ij > τ}` of [`sample_mask`]'s scores (same seed and prefix:
/// the same uniforms, so the two are coupled); kept count random, threshold τ.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::convergence::sampler::{sample_frozen, sample_mask, MaskSpec};
/// use pai_graphon::convergence::noise::HalfNormal;
/// use pai_graphon::seed::MasterSeed;
/// let spec = MaskSpec::from_grids(vec![1.0; 50], vec![1.0; 40], Density::constant(0.2)).unwrap();
/// let (law, seed) = (HalfNormal { sigma: 1.0 }, MasterSeed::default());
/// let top = sample_mask(&spec, &law, seed, "DOC", None).unwrap();
/// let frozen = sample_frozen(&spec, &law, seed, "DOC", top.threshold()).unwrap();
/// assert_eq!(frozen.kept() + 1, top.kept()); // all but the k-th score itself
/// assert!(sample_frozen(&spec, &law, seed, "DOC", f64::NAN).is_err());
/// ```
pub fn sample_frozen<L: NoiseLaw + ?Sized>(
    spec: &MaskSpec,
    law: &L,
    seed: MasterSeed,
    prefix: &str,
    tau: f64,
) -> Result<Mask, ConvergenceError> {
    if !(tau.is_finite() && tau >= 0.0) {
        return Err(ConvergenceError::Domain {
            what: "frozen threshold τ",
            value: tau,
            min: 0.0,
            max: f64::MAX,
        });
    }
    with_field(spec, law, |field| field.frozen(&seed.stream(prefix), tau))
}

/// [`sample_mask`] for a parsed [`Noise`], dispatched to its concrete law (so the sampler inlines).
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::convergence::sampler::{sample_mask, sample_mask_for, MaskSpec};
/// use pai_graphon::convergence::{limit::Fsm, noise::HalfNormal};
/// use pai_graphon::seed::MasterSeed;
/// let fsm = Fsm::figure1();
/// let spec = MaskSpec::new(20, 20, Density::constant(0.2), &fsm.row, &fsm.col).unwrap();
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

/// The XOR of all primary draws of [`sample_mask`]'s stream, read by the same parallel tasks:
/// the cost of the uniforms alone, the floor of `benches/masks.rs`.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::convergence::sampler::{draw_uniforms, MaskSpec};
/// use pai_graphon::seed::MasterSeed;
/// let spec = MaskSpec::from_grids(vec![1.0; 3], vec![1.0; 5], Density::constant(0.5)).unwrap();
/// let a = draw_uniforms(&spec, MasterSeed::default(), "DOC");
/// assert_eq!(a, draw_uniforms(&spec, MasterSeed::default(), "DOC"));
/// assert_ne!(a, draw_uniforms(&spec, MasterSeed::default(), "DOC2"));
/// ```
pub fn draw_uniforms(spec: &MaskSpec, seed: MasterSeed, prefix: &str) -> u64 {
    // the table is not read: any valid law's will do, and the cached one is free
    let law = super::noise::UniformAbs { a: 1.0 };
    with_field(spec, &law, |field| {
        Ok(field.primary_checksum(&seed.stream(prefix)))
    })
    .expect("the uniform law's table is valid")
}

/// The positive values in [`HINT_GROUPS`] log-spaced bins: (bin, min, max, weight) of the
/// non-empty ones, weight = count / len (zeros, whose products are 0, are left out).
fn log_bins(values: &[f64]) -> Vec<(usize, f64, f64, f64)> {
    let positive = values.iter().copied().filter(|v| *v > 0.0);
    let (lo, hi) = positive.fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let span = (hi / lo).ln();
    let mut bins = vec![(f64::INFINITY, 0.0f64, 0usize); HINT_GROUPS];
    for &v in values.iter().filter(|v| **v > 0.0) {
        // any bin index is valid: the classes use each bin's actual min and max
        let at = if span > 0.0 {
            ((v / lo).ln() / span * HINT_GROUPS as f64) as usize
        } else {
            0
        };
        let bin = &mut bins[at.min(HINT_GROUPS - 1)];
        *bin = (bin.0.min(v), bin.1.max(v), bin.2 + 1);
    }
    let m = values.len() as f64;
    (bins.into_iter().enumerate())
        .filter(|(_, b)| b.2 > 0)
        .map(|(a, (min, max, count))| (a, min, max, count as f64 / m))
        .collect()
}

/// Classes of the positive products φ_i ψ_j: (min, max, weight), a row bin a and column bin b
/// falling into class a + b. The rounded product is monotone in each factor, so every product
/// of a class lies within its (min, max).
fn product_classes(phi: &[f64], psi: &[f64]) -> Vec<(f64, f64, f64)> {
    let (rows, cols) = (log_bins(phi), log_bins(psi));
    let mut classes = vec![(f64::INFINITY, 0.0f64, 0.0); 2 * HINT_GROUPS - 1];
    for &(a, r_min, r_max, r_w) in &rows {
        for &(b, c_min, c_max, c_w) in &cols {
            let class = &mut classes[a + b];
            *class = (
                class.0.min(r_min * c_min),
                class.1.max(r_max * c_max),
                class.2 + r_w * c_w,
            );
        }
    }
    classes.retain(|c| c.2 > 0.0);
    classes
}

/// A bound on `g_n(τ) = (1/nd) Σ_ij P(φ_i ψ_j |ξ| > τ)`: with the class maxima an upper bound,
/// with the minima a lower bound (the tail is monotone in the profile product).
fn tail_mass<L: NoiseLaw + ?Sized>(
    law: &L,
    classes: &[(f64, f64, f64)],
    tau: f64,
    upper: bool,
) -> f64 {
    let pick = |c: &(f64, f64, f64)| if upper { c.1 } else { c.0 };
    classes
        .iter()
        .map(|c| {
            let product = pick(c);
            if product == 0.0 {
                0.0
            } else {
                c.2 * law.tail(tau / product)
            }
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
/// the bounds on the expected fraction above τ obtained by binning each side's positive profile
/// values into [`HINT_GROUPS`] log-spaced bins, their products into classes, and using the class
/// minima, resp. maxima. Then `lo` with
/// `g⁻(lo) ≥ (k + t)/N` has at least k scores ≥ lo, and `hi` with `g⁺(hi) ≤ (k − 1 − t)/N` has
/// fewer than k scores above it, each except with probability δ/2. (The f64 rounding of the
/// tail, ~1e-16 relative, is far below t/N and ignored: the window is only a hint.)
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::convergence::sampler::{threshold_window, MaskSpec};
/// use pai_graphon::convergence::{noise::HalfNormal, profile::Profile};
/// let c = Profile::parse("const:1").unwrap();
/// let spec = MaskSpec::new(1000, 1000, Density::constant(0.2), &c, &c).unwrap();
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
    let classes = product_classes(&spec.phi, &spec.psi);
    let top = classes.iter().fold(0.0f64, |t, c| t.max(c.1));
    let lower = |tau: f64| tail_mass(law, &classes, tau, false);
    let upper = |tau: f64| tail_mass(law, &classes, tau, true);
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
    use crate::mask::{top_k_mask, top_k_mask_by};

    fn exp3_spec(n: usize, d: usize, rho: f64) -> MaskSpec {
        let p = Profile::parse("exp:3").unwrap();
        MaskSpec::new(n, d, Density::new(rho).unwrap(), &p, &p).unwrap()
    }

    #[test]
    fn sample_mask_is_the_top_k_of_sample_scores_for_any_window() {
        let spec = exp3_spec(130, 150, 0.2);
        let law = HalfNormal { sigma: 1.0 };
        let seed = MasterSeed::default();
        let scores = sample_scores(&spec, &law, seed, "T").unwrap();
        let reference = top_k_mask(130, 150, &scores, spec.kept()).unwrap();
        let hint = threshold_window(&spec, &law, 1e-6).unwrap();
        for window in [
            Some(hint),
            None,
            Some(Window {
                lo: 0.0,
                hi: f64::INFINITY,
            }),
            Some(Window { lo: 1e9, hi: 2e9 }),
            Some(Window { lo: 0.0, hi: 0.0 }),
        ] {
            let m = sample_mask(&spec, &law, seed, "T", window).unwrap();
            assert_eq!(m, reference, "window {window:?}");
        }
    }

    #[test]
    fn ties_at_zero_go_to_the_smaller_index() {
        // A zero row profile on half the rows: half the scores are 0, and ρ = 0.7 keeps ties at 0.
        let phi: Vec<f64> = (0..100).map(|i| if i < 50 { 0.0 } else { 1.0 }).collect();
        let spec = MaskSpec::from_grids(phi, vec![1.0; 20], Density::constant(0.7)).unwrap();
        let law = UniformAbs { a: 1.0 };
        let m = sample_mask(&spec, &law, MasterSeed::default(), "T", None).unwrap();
        assert_eq!(m.threshold(), 0.0);
        // 1000 positive scores kept, then the first 400 zeros in index order: rows 0..20.
        let degrees = m.row_degrees();
        assert!(degrees[..20].iter().all(|&x| x == 20) && degrees[20..50].iter().all(|&x| x == 0));
        assert!(degrees[50..].iter().all(|&x| x == 20));
    }

    /// The Synaptic-Flow rule on the FSM samplers: the fast mask is `top_k_mask_by` of the same
    /// exact scores, for continuous profiles (kept exactly N − int((1 − ρ)N)) and for a step
    /// profile with zero rows at densities whose threshold is 0 (every zero pruned) or positive.
    #[test]
    fn synaptic_flow_rule_equals_the_selection_over_every_exact_score() {
        let half_zero = Profile::parse("step:0.5;0,1").unwrap();
        let exp3 = Profile::parse("exp:3").unwrap();
        let cases = [
            ("exp3", &exp3, 97, 61, 0.2, false),
            ("exp3 dense", &exp3, 40, 130, 0.9, false),
            ("zero rows, τ = 0", &half_zero, 100, 20, 0.7, true),
            ("zero rows, τ > 0", &half_zero, 100, 20, 0.3, false),
        ];
        let seed = MasterSeed::default();
        for (name, row, n, d, rho, tied) in cases {
            let round = MaskSpec::new(n, d, Density::constant(rho), row, &exp3).unwrap();
            let spec = round
                .clone()
                .with_kept_count(KeptCount::SynapticFlow)
                .unwrap();
            let cells = (n * d) as u64;
            let k = cells - ((1.0 - rho) * cells as f64) as u64;
            assert_eq!(spec.kept(), k, "{name}");
            for (law_name, law) in [
                ("gaussian", &HalfNormal { sigma: 1.0 } as &dyn NoiseLaw),
                ("uniform", &UniformAbs { a: 1.0 }),
            ] {
                let scores = sample_scores(&spec, law, seed, "SF").unwrap();
                let density = Density::new(rho).unwrap();
                let expected = top_k_mask_by(n, d, &scores, density, KeptCount::SynapticFlow);
                let m = sample_mask(&spec, law, seed, "SF", None).unwrap();
                assert_eq!(m, expected.unwrap(), "{name}, {law_name}");
                let positive = scores.iter().filter(|s| **s > 0.0).count() as u64;
                // Ties at 0: every zero pruned, so exactly the positive scores are kept (< k);
                // otherwise no tie, and exactly k.
                let want = if tied { positive } else { k };
                assert!(!tied || positive < k, "{name}: the case has no tie at 0");
                assert_eq!(m.kept(), want, "{name}, {law_name}");
                let rounded = sample_mask(&round, law, seed, "SF", None).unwrap();
                if tied {
                    // negative control: the round rule keeps ties at 0 by index
                    assert_eq!(rounded.kept(), round.kept(), "{name}");
                    assert_ne!(rounded, m, "{name}");
                }
                // The independent reference: all of the zero-row spec's positive entries, or k.
                let reference = sample_mask_in_memory(&spec, law, seed, "SF").unwrap();
                let nonzero = spec.phi().iter().filter(|p| **p > 0.0).count() * d;
                assert_eq!(
                    reference.kept(),
                    if tied { nonzero as u64 } else { k },
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn synaptic_flow_rule_refuses_all_tied_scores_and_keeps_all_at_p_0() {
        let zero =
            MaskSpec::from_grids(vec![0.0; 4], vec![1.0; 5], Density::constant(0.5)).unwrap();
        let law = UniformAbs { a: 1.0 };
        let seed = MasterSeed::default();
        let sf = zero
            .clone()
            .with_kept_count(KeptCount::SynapticFlow)
            .unwrap();
        for e in [
            sample_mask(&sf, &law, seed, "SF", None).unwrap_err(),
            sample_mask_in_memory(&sf, &law, seed, "SF").unwrap_err(),
        ] {
            let all_tied = crate::mask::MaskError::AllTied { candidates: 20 };
            assert!(
                matches!(e, ConvergenceError::Mask(ref m) if *m == all_tied),
                "{e}"
            );
        }
        assert_eq!(
            sample_mask(&zero, &law, seed, "SF", None).unwrap().kept(),
            10
        );
        // ρ = 0.9 on 10 entries: int(0.1 · 10) = int(0.999…) = 0 pruned, so every entry is kept.
        let all = MaskSpec::from_grids(vec![1.0], vec![1.0; 10], Density::constant(0.9)).unwrap();
        let all = all.with_kept_count(KeptCount::SynapticFlow).unwrap();
        let m = sample_mask(&all, &law, seed, "SF", None).unwrap();
        assert_eq!(m.kept(), 10);
    }
}
