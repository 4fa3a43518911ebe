//! The null simulator of the sharp checks: masks drawn from a Factorised Saliency Model at one
//! shape n × d, under the top-k law or the frozen-threshold law, fast and exact.
//!
//! **Uniforms.** Mask s of a stack reads the ChaCha stream `MasterSeed::stream("{label}/{s}")`
//! (a single [`Model::draw`] reads `stream(label)`), addressed in 32-bit words. With
//! `w = ⌈d/2⌉` words per row, entry (r, j) owns the 16-bit little-endian draw `a_rj` at bytes
//! `4·r·w + 2j ..+2` (primary region) and the 64-bit little-endian draw `b_rj` at words
//! `n·w + 2(r·d + j) ..+2` (refinement region), and
//! `U_rj = (a_rj·2^37 + ⌊b_rj / 2^27⌋ + 1/2) / 2^53`, a uniform on the grid of
//! [`crate::seed::uniform_open01`]. The layout is positional: rows can be drawn in any order or
//! in parallel (each task seeks to its rows), so masks are bit-identical for any number of
//! threads, and a refinement word is read only when an entry needs it.
//!
//! **Scores.** `|ξ_rj| = law.tail_inverse(U_rj)` (a draw of |ξ| by inversion) and
//! `S_ij = (φ_i · ψ_j) · |ξ_(row_source[i]) j|`, in f64, in that order. Both laws are functions
//! of these scores, so the same seed and label give coupled top-k and frozen masks:
//! - [`Draw::TopK`]: the `k = kept_count(n, d, ρ)` largest scores, ties to the smaller linear
//!   index `i·d + j`: the law of `convergence::sampler::sample_mask` (which draws |ξ| by a
//!   ziggurat from other streams: the same law, not the same bits). The threshold is the k-th score.
//! - [`Draw::Frozen`]: `S_ij > τ`, independent entries of probability `P(S_ij > τ)`
//!   ([`Model::keep_probability`]); the threshold reported is τ.
//!
//! **Fast path (output-sensitive).** Most scores are never computed. The tables
//! `T[g] = tail_inverse(g / 2^16)` (`T[0] = ∞`) and its every 16th entry bracket |ξ| from the
//! primary draw: `T[a + 1] < |ξ| < T[a]`, and from its top 12 bits h, `T[16(h+1)] < |ξ| < T[16h]`.
//! An entry with `(φ_i ψ_j)·lower > hi·(1 + MARGIN)` surely has `S_ij > hi`, one with
//! `(φ_i ψ_j)·upper < lo / (1 + MARGIN)` surely has `S_ij < lo`. `MARGIN` = 1e-9 covers the
//! relative error of `tail_inverse` (≤ 6ε for the half-normal,
//! `normal::HALF_NORMAL_ISF_RELATIVE_BOUND`; 2ε for the uniform law) and the roundings between
//! the tables and the exact score, a factor > 10⁵ to spare; a user-supplied [`NoiseLaw`] must
//! have `tail_inverse` within 1e-10 relative.
//!
//! These decisions, at 16-bit resolution, are stored per entry as two 16-bit cuts (4 bytes per
//! entry and law, built at the first draw of each law and shared by clones), so the hot loop
//! only compares integers; without cuts (an edited τ, the redraw below) it evaluates the
//! 12-bit bracket. Frozen (`lo = hi = τ`): all but ~1 entry in 60000 are decided; those get
//! their exact score.
//! - Top-k: `[lo, hi]` is `convergence::sampler::threshold_window` at failure probability
//!   [`WINDOW_DELTA`]. Entries surely above hi are kept; the undecided ones (the band, ~1 %)
//!   keep only their 16-bit draw. With m = k − #kept, the m-th largest lower and upper 16-bit
//!   bounds in the band bracket the m-th band score s*; entries whose bracket lies above it
//!   are kept, below it dropped, and only the few that overlap it get exact scores and a
//!   selection in rank order (score, then index). The result is the top k iff
//!   `lo ≤ s* ≤ hi`; otherwise (the window missed) the mask is redrawn from the same uniforms
//!   with the window `[0, ∞]`: the same mask, one more pass ([`Mask::passes`] = 2), and 26
//!   bytes per entry of band while it lasts.
//!
//! ```
//! use pai_graphon::convergence::limit::Fsm;
//! use pai_graphon::external::simulate::{Draw, Model};
//! use pai_graphon::seed::MasterSeed;
//! let model = Model::from_fsm(&Fsm::figure1(), 128, 64, 0.2).unwrap();
//! let seed = MasterSeed::default();
//! let stack = model.draw_stack(Draw::TopK, 3, seed, "DOC").unwrap();
//! assert!(stack.iter().all(|m| m.kept() == 1638)); // round(0.2 · 128 · 64), exactly
//! assert_eq!(stack[2], model.draw(Draw::TopK, seed, "DOC/2").unwrap());
//! assert_ne!(stack[0], stack[1]);
//! ```

use crate::convergence::limit::Fsm;
use crate::convergence::noise::{Noise, NoiseLaw};
use crate::convergence::sampler::{grid, threshold_window, MaskSpec, Window};
use crate::convergence::ConvergenceError;
use crate::mask::{kept_count, rank_order, Mask};
use crate::params::Density;
use crate::seed::MasterSeed;
use crate::Error;
use rand::Rng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use std::cmp::Ordering::Less;
use std::sync::{Arc, OnceLock};

/// Top bits of U that index the hot loop's quantile table (4097 f64, 32 KiB: stays in cache).
const TABLE_BITS: u32 = 12;

/// Bits of U drawn for every entry, which also index the fine table (65537 f64), used only
/// where the first cannot decide. The other 37 of U's 53 bits are drawn only when needed.
const FINE_BITS: u32 = 16;

/// Relative margin of every decision taken from the table rather than the exact score (module
/// doc): far above the error of `tail_inverse` and three roundings, far below any band width.
const MARGIN: f64 = 1e-9;

/// Probability that the top-k window misses the k-th score (a miss costs one more pass, never
/// a wrong mask).
///
/// ```
/// assert_eq!(pai_graphon::external::simulate::WINDOW_DELTA, 1e-4);
/// ```
pub const WINDOW_DELTA: f64 = 1e-4;

/// Entries per parallel task (rows are grouped until a task holds about this many).
const ENTRIES_PER_TASK: usize = 1 << 14;

/// 2^−53, the spacing of the uniforms.
const UNIT: f64 = 1.0 / (1u64 << 53) as f64;

/// Which law a mask is drawn from.
///
/// ```
/// use pai_graphon::convergence::limit::Fsm;
/// use pai_graphon::external::simulate::{Draw, Model};
/// use pai_graphon::seed::MasterSeed;
/// let model = Model::from_fsm(&Fsm::figure1(), 64, 64, 0.2).unwrap();
/// let top = model.draw(Draw::TopK, MasterSeed::default(), "DOC").unwrap();
/// let frozen = model.draw(Draw::Frozen, MasterSeed::default(), "DOC").unwrap();
/// assert_eq!(top.kept(), 819); // exact
/// assert_eq!(frozen.threshold(), model.tau); // kept count random, threshold frozen
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Draw {
    /// Exactly `kept_count(n, d, ρ)` largest scores, ties to the smaller linear index.
    TopK,
    /// Independent entries, kept iff `S_ij > τ`.
    Frozen,
}

/// An FSM at one shape, possibly perturbed: row i's scores are `S_ij = (φ_i·ψ_j)·|ξ_ij|`,
/// `|ξ| ~ law`, with row i drawing the noise of row `row_source[i]`.
///
/// The fields are public so that perturbation families can edit them; every draw re-validates
/// them (a typed error, never a panic) and rebuilds its tables if they changed.
///
/// ```
/// use pai_graphon::convergence::noise::HalfNormal;
/// use pai_graphon::external::simulate::{Draw, Model};
/// use pai_graphon::seed::MasterSeed;
/// use std::sync::Arc;
/// let law = Arc::new(HalfNormal { sigma: 1.0 });
/// let mut model = Model::new(vec![1.0, 2.0, 1.0], vec![1.0; 70], law, 0.5, 1.0).unwrap();
/// model.row_source = vec![0, 1, 0]; // row 2 reuses row 0's noise (and has its profile)
/// let m = model.draw(Draw::TopK, MasterSeed::default(), "DOC").unwrap();
/// assert_eq!(m.row_words(2), m.row_words(0));
/// model.row_source = vec![0, 1, 3];
/// assert!(model.draw(Draw::TopK, MasterSeed::default(), "DOC").is_err());
/// ```
#[derive(Clone, Debug)]
pub struct Model {
    /// Row profile on the midpoint grid, length n.
    pub phi: Vec<f64>,
    /// Column profile, length d.
    pub psi: Vec<f64>,
    /// The law of |ξ|.
    pub law: Arc<dyn NoiseLaw>,
    /// Density: top-k keeps `kept_count(n, d, rho)` entries.
    pub rho: f64,
    /// The frozen threshold (the limit's τ*).
    pub tau: f64,
    /// Row i uses the noise of row `row_source[i]` (the identity for the model itself).
    pub row_source: Vec<usize>,
    prepared: Prepared,
}

/// What a draw needs beyond the fields, built once per model; `matches` says whether it is
/// still the model's (the fields are public).
#[derive(Clone)]
struct Prepared {
    law: Arc<dyn NoiseLaw>,
    phi: Vec<f64>,
    psi: Vec<f64>,
    rho: f64,
    /// `T[g] = tail_inverse(g / 2^FINE_BITS)`, `T[0] = ∞`.
    table16: Vec<f64>,
    /// Every 16th entry of `table16`: `tail_inverse(h / 2^TABLE_BITS)`.
    table12: Vec<f64>,
    /// The top-k window, computed at the first top-k draw (~0.3 s; frozen draws never need it).
    window: Arc<OnceLock<Window>>,
    /// Per-entry 16-bit cuts of the top-k window, built at the first top-k draw.
    top_k_cuts: Arc<OnceLock<Vec<Cut>>>,
    /// Per-entry cuts at τ, built at the first frozen draw, with that τ.
    frozen_cuts: Arc<OnceLock<(f64, Vec<Cut>)>>,
}

/// An entry's decisions on its 16-bit draw a: kept surely iff `a < cut[0]`, dropped surely iff
/// `a > cut[1]`, undecided otherwise. Both are conservative roundings of the exact 16-bit cells
/// (see [`cuts`]), so an entry is never decided wrongly, at worst left undecided.
type Cut = [u16; 2];

/// The first index in `[lo, hi]` where the monotone (true, then false) `pred` is false (`hi`
/// if none), by galloping from `hint` (any value; close is fast) and bisection.
fn first_false(lo: usize, hi: usize, hint: usize, pred: impl Fn(usize) -> bool) -> usize {
    let h = hint.clamp(lo, hi);
    let (mut a, mut b) = (lo, hi);
    let mut step = 1;
    if h < hi && pred(h) {
        a = h + 1;
        while h + step < hi {
            if !pred(h + step) {
                b = h + step;
                break;
            }
            a = h + step + 1;
            step *= 2;
        }
    } else {
        b = h;
        while h >= lo + step {
            if pred(h - step) {
                a = h - step + 1;
                break;
            }
            b = h - step;
            step *= 2;
        }
    }
    while a < b {
        let mid = a + (b - a) / 2;
        if pred(mid) {
            a = mid + 1;
        } else {
            b = mid;
        }
    }
    a
}

/// The cuts of every entry for the window `[lo, hi]` (4 bytes per entry): with
/// `y = φ_i ψ_j`, cell a is surely above hi iff `y·T[a + 1] > hi·(1 + MARGIN)` (a prefix
/// `a < K` of the cells, T decreasing) and surely below lo iff `y·T[a] < lo / (1 + MARGIN)` (a
/// suffix `a ≥ D`). Stored as `min(K, 65535)` and `max(D − 1, 0)`: the two cells that do not
/// fit are left undecided.
fn cuts(phi: &[f64], psi: &[f64], t16: &[f64], (lo, hi): (f64, f64)) -> Vec<Cut> {
    let (keep_above, drop_below) = (hi * (1.0 + MARGIN), lo / (1.0 + MARGIN));
    let cells = 1usize << FINE_BITS;
    let mut out = vec![[0u16; 2]; phi.len() * psi.len()];
    out.par_chunks_mut(psi.len().max(1))
        .zip(phi)
        .for_each(|(row, &p)| {
            let (mut k, mut d) = (0, cells);
            for (cut, &q) in row.iter_mut().zip(psi) {
                let y = p * q;
                k = first_false(1, cells + 1, k + 1, |m| y * t16[m] > keep_above) - 1;
                // not surely below lo (NaN, from 0 · ∞ at a = 0, is not)
                let not_below = |a: usize| (y * t16[a]).partial_cmp(&drop_below) != Some(Less);
                d = first_false(0, cells, d, not_below);
                let max = u16::MAX as usize;
                *cut = [k.min(max) as u16, d.saturating_sub(1).min(max) as u16];
            }
        });
    out
}

impl std::fmt::Debug for Prepared {
    /// The window only: the tables are 65537 + 4097 numbers.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("window", &self.window.get())
            .finish_non_exhaustive()
    }
}

impl Prepared {
    fn build(phi: &[f64], psi: &[f64], law: &Arc<dyn NoiseLaw>, rho: f64) -> Result<Self, Error> {
        // from_grids validates the profiles and ρ and stores −0 as +0 (equal scores must tie)
        let spec = MaskSpec::from_grids(phi.to_vec(), psi.to_vec(), rho)?;
        let cells = 1usize << FINE_BITS;
        let table16: Vec<f64> = (0..=cells)
            .map(|g| match g {
                0 => f64::INFINITY,
                _ => law.tail_inverse(g as f64 / cells as f64),
            })
            .collect();
        let table12 = table16
            .iter()
            .step_by(1 << (FINE_BITS - TABLE_BITS))
            .copied()
            .collect();
        let monotone = table16.windows(2).all(|w| w[1] <= w[0]);
        if !(monotone && table16[1..].iter().all(|x| x.is_finite() && *x >= 0.0)) {
            return Err(ConvergenceError::Spec {
                spec: law.spec(),
                why: "tail_inverse is not finite, non-negative and non-increasing",
            }
            .into());
        }
        Ok(Prepared {
            law: law.clone(),
            phi: spec.phi().to_vec(),
            psi: spec.psi().to_vec(),
            rho,
            table16,
            table12,
            window: Arc::default(),
            top_k_cuts: Arc::default(),
            frozen_cuts: Arc::default(),
        })
    }

    fn matches(&self, m: &Model) -> bool {
        Arc::ptr_eq(&self.law, &m.law)
            && self.rho == m.rho
            && self.phi == m.phi
            && self.psi == m.psi
    }
}

/// What one pass over the uniforms found: the bits of the entries surely kept, their count,
/// and the undecided (primary word, linear index) pairs.
struct Pass {
    bits: Vec<u64>,
    above: u64,
    band: Vec<(u16, u64)>,
}

impl Model {
    /// A model from grid profiles, a law, a density and a frozen threshold (identity
    /// `row_source`). Errors: empty or non-finite/negative profiles, ρ outside (0, 1) or keeping
    /// no entry, τ not finite and non-negative, a law whose quantiles are not finite.
    ///
    /// ```
    /// use pai_graphon::convergence::noise::UniformAbs;
    /// use pai_graphon::external::simulate::Model;
    /// use std::sync::Arc;
    /// let law = Arc::new(UniformAbs { a: 1.0 });
    /// let m = Model::new(vec![1.0; 4], vec![2.0; 3], law.clone(), 0.5, 1.0).unwrap();
    /// assert_eq!((m.row_source.clone(), m.keep_probability(0, 0)), (vec![0, 1, 2, 3], 0.5));
    /// assert!(Model::new(vec![-1.0], vec![1.0], law.clone(), 0.5, 1.0).is_err());
    /// assert!(Model::new(vec![1.0], vec![1.0], law, 0.5, f64::NAN).is_err());
    /// ```
    pub fn new(
        phi: Vec<f64>,
        psi: Vec<f64>,
        law: Arc<dyn NoiseLaw>,
        rho: f64,
        tau: f64,
    ) -> Result<Model, Error> {
        let prepared = Prepared::build(&phi, &psi, &law, rho)?;
        let model = Model {
            row_source: (0..phi.len()).collect(),
            phi: prepared.phi.clone(),
            psi: prepared.psi.clone(),
            law,
            rho,
            tau,
            prepared,
        };
        model.validate()?;
        Ok(model)
    }

    /// The model of an FSM at n × d and density ρ: profiles on the midpoint grid
    /// (`convergence::sampler::grid`) and τ = `fsm.tau_star(pai_graphon::params::Density::new(ρ).unwrap())`.
    ///
    /// ```
    /// use pai_graphon::convergence::limit::Fsm;
    /// use pai_graphon::external::simulate::Model;
    /// let fsm = Fsm::figure1();
    /// let m = Model::from_fsm(&fsm, 4, 2, 0.2).unwrap();
    /// assert_eq!(m.tau, fsm.tau_star(pai_graphon::params::Density::constant(0.2)).unwrap().value);
    /// assert_eq!(m.phi, pai_graphon::convergence::sampler::grid(&fsm.row, 4));
    /// assert!(Model::from_fsm(&fsm, 0, 2, 0.2).is_err());
    /// ```
    pub fn from_fsm(fsm: &Fsm, n: usize, d: usize, rho: f64) -> Result<Model, Error> {
        let density = Density::new(rho)?;
        kept_count(n, d, density)?; // shape and density first, before any grid is built
        let law: Arc<dyn NoiseLaw> = match fsm.noise {
            Noise::Gaussian(l) => Arc::new(l),
            Noise::Uniform(l) => Arc::new(l),
        };
        let tau = fsm.tau_star(density)?.value;
        Model::new(grid(&fsm.row, n), grid(&fsm.col, d), law, rho, tau)
    }

    /// Rebuilds the cached tables and window after `phi`, `psi`, `law` or `rho` were edited.
    /// Without it every draw of an edited model rebuilds them itself (the same masks, but the
    /// window alone costs ~0.3 s); `tau` and `row_source` need no refresh.
    ///
    /// ```
    /// use pai_graphon::convergence::limit::Fsm;
    /// use pai_graphon::external::simulate::{Draw, Model};
    /// use pai_graphon::seed::MasterSeed;
    /// let mut model = Model::from_fsm(&Fsm::figure1(), 32, 32, 0.2).unwrap();
    /// let before = model.draw(Draw::TopK, MasterSeed::default(), "DOC").unwrap();
    /// model.phi.iter_mut().for_each(|p| *p = p.powf(2.0 / 3.0)); // exp:3 → exp:2 rows
    /// model.refresh().unwrap();
    /// let after = model.draw(Draw::TopK, MasterSeed::default(), "DOC").unwrap();
    /// assert_eq!(after.kept(), before.kept());
    /// assert_ne!(after, before);
    /// model.phi[0] = f64::NAN;
    /// assert!(model.refresh().is_err());
    /// ```
    pub fn refresh(&mut self) -> Result<(), Error> {
        self.prepared = Prepared::build(&self.phi, &self.psi, &self.law, self.rho)?;
        Ok(())
    }

    /// n.
    ///
    /// ```
    /// # use pai_graphon::{convergence::limit::Fsm, external::simulate::Model};
    /// assert_eq!(Model::from_fsm(&Fsm::figure1(), 5, 3, 0.2).unwrap().rows(), 5);
    /// ```
    pub fn rows(&self) -> usize {
        self.phi.len()
    }

    /// d.
    ///
    /// ```
    /// # use pai_graphon::{convergence::limit::Fsm, external::simulate::Model};
    /// assert_eq!(Model::from_fsm(&Fsm::figure1(), 5, 3, 0.2).unwrap().cols(), 3);
    /// ```
    pub fn cols(&self) -> usize {
        self.psi.len()
    }

    /// `P(S_ij > τ) = law.tail(τ / (φ_i ψ_j))`, 0 when `φ_i ψ_j = 0`: the frozen law's keep
    /// probability (f64; exact up to the law's tail error). Panics if i ≥ n or j ≥ d, as
    /// slice indexing does.
    ///
    /// ```
    /// use pai_graphon::convergence::noise::UniformAbs;
    /// use pai_graphon::external::simulate::Model;
    /// use std::sync::Arc;
    /// let m = Model::new(vec![0.0, 1.0], vec![4.0], Arc::new(UniformAbs { a: 1.0 }), 0.5, 1.0).unwrap();
    /// assert_eq!((m.keep_probability(0, 0), m.keep_probability(1, 0)), (0.0, 0.75));
    /// ```
    pub fn keep_probability(&self, i: usize, j: usize) -> f64 {
        let product = self.phi[i] * self.psi[j];
        if product == 0.0 {
            0.0
        } else {
            self.law.tail(self.tau / product)
        }
    }

    /// One mask from the stream `label` (module doc).
    ///
    /// ```
    /// use pai_graphon::convergence::limit::Fsm;
    /// use pai_graphon::external::simulate::{Draw, Model};
    /// use pai_graphon::seed::MasterSeed;
    /// let model = Model::from_fsm(&Fsm::figure1(), 100, 50, 0.2).unwrap();
    /// let seed = MasterSeed::default();
    /// let top = model.draw(Draw::TopK, seed, "DOC").unwrap();
    /// let frozen = model.draw(Draw::Frozen, seed, "DOC").unwrap();
    /// assert_eq!((top.kept(), top.passes()), (1000, 1));
    /// // Coupled by the same scores: whichever keeps more entries keeps a superset.
    /// let (big, small) = if frozen.kept() > top.kept() { (&frozen, &top) } else { (&top, &frozen) };
    /// assert!((0..100).all(|i| (0..50).all(|j| small.get(i, j) <= big.get(i, j))));
    /// ```
    pub fn draw(&self, how: Draw, seed: MasterSeed, label: &str) -> Result<Mask, Error> {
        let k = self.validate()?;
        let rebuilt;
        let prep = if self.prepared.matches(self) {
            &self.prepared
        } else {
            rebuilt = Prepared::build(&self.phi, &self.psi, &self.law, self.rho)?;
            &rebuilt
        };
        let stream = seed.stream(label);
        let (n, d) = (self.rows(), self.cols());
        match how {
            Draw::Frozen => {
                let at_tau = (self.tau, self.tau);
                let (tau, cut) = prep
                    .frozen_cuts
                    .get_or_init(|| (self.tau, cuts(&prep.phi, &prep.psi, &prep.table16, at_tau)));
                // an edited τ: the table path (no cuts) rather than a rebuild per draw
                let cut = (*tau == self.tau).then_some(&cut[..]);
                let pass = self.pass(prep, &stream, at_tau, cut, true)?;
                Ok(Mask::from_parts(n, d, pass.bits, pass.above, self.tau, 1))
            }
            Draw::TopK => {
                let window = prep.window.get_or_init(|| {
                    // threshold_window fails only for an invalid δ; the window is a hint,
                    // and [0, ∞] (every score exact) is always right
                    let spec = MaskSpec::from_grids(prep.phi.clone(), prep.psi.clone(), prep.rho);
                    spec.and_then(|spec| threshold_window(&spec, prep.law.as_ref(), WINDOW_DELTA))
                        .unwrap_or(Window {
                            lo: 0.0,
                            hi: f64::INFINITY,
                        })
                });
                let window = (window.lo, window.hi);
                let cut = prep
                    .top_k_cuts
                    .get_or_init(|| cuts(&prep.phi, &prep.psi, &prep.table16, window));
                let pass = self.pass(prep, &stream, window, Some(cut), false)?;
                if let Some(mask) = self.select(prep, &stream, pass, k, window, 1)? {
                    return Ok(mask);
                }
                let every = (0.0, f64::INFINITY);
                let pass = self.pass(prep, &stream, every, None, false)?;
                Ok(self
                    .select(prep, &stream, pass, k, every, 2)?
                    .expect("the window [0, ∞] holds every score"))
            }
        }
    }

    /// `masks` masks, mask s from the stream `"{label}/{s}"`, in parallel (bit-identical for
    /// any number of threads). An empty stack for `masks = 0`.
    ///
    /// ```
    /// use pai_graphon::convergence::limit::Fsm;
    /// use pai_graphon::external::simulate::{Draw, Model};
    /// use pai_graphon::seed::MasterSeed;
    /// let model = Model::from_fsm(&Fsm::figure1(), 64, 32, 0.2).unwrap();
    /// let seed = MasterSeed::default();
    /// let stack = model.draw_stack(Draw::Frozen, 2, seed, "DOC").unwrap();
    /// assert_eq!(stack[1], model.draw(Draw::Frozen, seed, "DOC/1").unwrap());
    /// assert!(model.draw_stack(Draw::Frozen, 0, seed, "DOC").unwrap().is_empty());
    /// ```
    pub fn draw_stack(
        &self,
        how: Draw,
        masks: usize,
        seed: MasterSeed,
        label: &str,
    ) -> Result<Vec<Mask>, Error> {
        (0..masks)
            .into_par_iter()
            .map(|s| self.draw(how, seed, &format!("{label}/{s}")))
            .collect()
    }

    /// The exact scores `S_ij` of the stream `label`, row-major, every one computed from its
    /// 53-bit uniform: the reference the fast path is tested against.
    #[cfg(test)]
    fn scores(&self, seed: MasterSeed, label: &str) -> Result<Vec<f64>, Error> {
        self.validate()?;
        let (n, d) = (self.rows(), self.cols());
        let (mut rng, law) = (seed.stream(label), self.law.as_ref());
        let stride = d.div_ceil(2);
        let (mut primary, mut refine) = (vec![0u8; 4 * stride], vec![0u8; 8 * d]);
        let mut scores = Vec::with_capacity(n * d);
        for i in 0..n {
            let r = self.row_source[i];
            rng.set_word_pos((r * stride) as u128);
            rng.fill_bytes(&mut primary);
            rng.set_word_pos((n * stride + 2 * r * d) as u128);
            rng.fill_bytes(&mut refine);
            for j in 0..d {
                let a = u16::from_le_bytes(primary[2 * j..2 * j + 2].try_into().expect("2"));
                let b = u64::from_le_bytes(refine[8 * j..8 * j + 8].try_into().expect("8"));
                let u53 = (a as u64) << 37 | b >> 27;
                let y = (self.phi[i] + 0.0) * (self.psi[j] + 0.0);
                scores.push(y * law.tail_inverse((u53 as f64 + 0.5) * UNIT));
            }
        }
        Ok(scores)
    }

    /// Checks the public fields; returns k.
    fn validate(&self) -> Result<u64, Error> {
        let (n, d) = (self.rows(), self.cols());
        let k = kept_count(n, d, Density::new(self.rho)?)?;
        for (side, values) in [
            ("row profile value", &self.phi),
            ("column profile value", &self.psi),
        ] {
            if let Some(&value) = values.iter().find(|x| !(x.is_finite() && **x >= 0.0)) {
                return Err(ConvergenceError::Profile {
                    what: side,
                    value,
                    why: "is not finite and non-negative",
                }
                .into());
            }
        }
        if !(self.tau.is_finite() && self.tau >= 0.0) {
            return Err(ConvergenceError::Domain {
                what: "frozen threshold τ",
                value: self.tau,
                min: 0.0,
                max: f64::MAX,
            }
            .into());
        }
        if self.row_source.len() != n {
            return Err(ConvergenceError::Size {
                what: "row_source length",
                value: self.row_source.len(),
                why: "differs from the number of rows",
            }
            .into());
        }
        if let Some(r) = self.row_source.iter().find(|r| **r >= n) {
            return Err(ConvergenceError::Size {
                what: "noise source row",
                value: *r,
                why: "lies outside the rows",
            }
            .into());
        }
        Ok(k)
    }

    /// The exact score of entry (i, j) whose primary word is `a`: reads the refinement word
    /// of its noise row `r = row_source[i]` (`rng` is any clone of the mask's stream).
    fn exact_score(
        &self,
        prep: &Prepared,
        rng: &mut ChaCha20Rng,
        a: u16,
        (i, j): (usize, usize),
    ) -> Result<f64, ConvergenceError> {
        let y = prep.phi[i] * prep.psi[j];
        if y == 0.0 {
            return Ok(0.0); // 0 · |ξ| whatever the uniform: no refinement needed
        }
        let (n, d) = (self.rows(), self.cols());
        let entry = self.row_source[i] * d + j;
        rng.set_word_pos((n * d.div_ceil(2) + 2 * entry) as u128);
        let u53 = (a as u64) << 37 | rng.next_u64() >> 27;
        let s = y * prep.law.tail_inverse((u53 as f64 + 0.5) * UNIT);
        if s.is_finite() && s >= 0.0 {
            Ok(s)
        } else {
            Err(ConvergenceError::Score { score: s })
        }
    }

    /// One pass over every entry's primary word. Sets the bits of the scores surely above `hi`;
    /// the entries that the per-entry `cut`s (or, without them, the 12-bit table) cannot place
    /// below `lo` or above `hi` are, for top-k
    /// (`frozen` false), returned as band entries (primary word, linear index) for
    /// [`Model::select`], and for the frozen law (`lo = hi = τ`) decided at once, by the 16-bit
    /// table or else the exact score.
    fn pass(
        &self,
        prep: &Prepared,
        stream: &ChaCha20Rng,
        (lo, hi): (f64, f64),
        cut: Option<&[Cut]>,
        frozen: bool,
    ) -> Result<Pass, Error> {
        let (n, d) = (self.rows(), self.cols());
        let wpr = d.div_ceil(64);
        let rows_per_task = ENTRIES_PER_TASK.div_ceil(d).max(1);
        let keep_above = hi * (1.0 + MARGIN);
        let drop_below = lo / (1.0 + MARGIN);
        // fixed-size tables: every index `h + 1`, `g + 1` of a 12- or 16-bit h, g is in range
        let t12: &[f64; (1 << TABLE_BITS) + 1] = prep.table12[..].try_into().expect("4097");
        let t16: &[f64; (1 << FINE_BITS) + 1] = prep.table16[..].try_into().expect("65537");
        let mut bits = vec![0u64; n * wpr];
        let found: Vec<(u64, Vec<(u16, u64)>)> = bits
            .par_chunks_mut(rows_per_task * wpr)
            .enumerate()
            .map(|(task, words)| {
                let (keep_above, drop_below, phi, psi) =
                    (keep_above, drop_below, &prep.phi, &prep.psi);
                let (mut rng, mut refine) = (stream.clone(), stream.clone());
                let stride = d.div_ceil(2); // 32-bit words per row of 16-bit draws
                let mut buf = vec![0u8; 4 * stride];
                let (mut above, mut band) = (0u64, Vec::new());
                let mut position = u128::MAX;
                for (local, row_words) in words.chunks_mut(wpr).enumerate() {
                    let i = task * rows_per_task + local;
                    let start = (self.row_source[i] * stride) as u128;
                    if start != position {
                        rng.set_word_pos(start);
                    }
                    rng.fill_bytes(&mut buf);
                    position = start + stride as u128;
                    let (phi_i, base) = (phi[i], (i * d) as u64);
                    let row_cut = cut.map(|c| &c[i * d..(i + 1) * d]);
                    for (c, (chunk, psi)) in buf.chunks(128).zip(psi.chunks(64)).enumerate() {
                        // Branch-free over 64 entries: the kept and the undecided bits.
                        let (mut kept, mut undecided) = (0u64, 0u64);
                        if let Some(row_cut) = row_cut {
                            let cuts = &row_cut[64 * c..(64 * c + 64).min(d)];
                            for (t, (bytes, cut)) in chunk.chunks_exact(2).zip(cuts).enumerate() {
                                let a = u16::from_le_bytes([bytes[0], bytes[1]]);
                                let keep = a < cut[0];
                                kept |= (keep as u64) << t;
                                undecided |= ((!keep & (a <= cut[1])) as u64) << t;
                            }
                        } else {
                            for (t, (bytes, &psi_j)) in chunk.chunks_exact(2).zip(psi).enumerate() {
                                let a = u16::from_le_bytes([bytes[0], bytes[1]]) as usize;
                                let h = a >> (FINE_BITS - TABLE_BITS);
                                let y = phi_i * psi_j;
                                // NaN (0 · ∞ at h = 0) decides nothing, as it should
                                let keep = y * t12[h + 1] > keep_above;
                                let drop = y * t12[h] < drop_below;
                                kept |= (keep as u64) << t;
                                undecided |= (!(keep | drop) as u64) << t;
                            }
                        }
                        while undecided != 0 {
                            let t = undecided.trailing_zeros() as usize;
                            undecided &= undecided - 1;
                            let j = c * 64 + t;
                            let a = u16::from_le_bytes([chunk[2 * t], chunk[2 * t + 1]]);
                            if frozen {
                                let (g, y) = (a as usize, phi_i * psi[t]);
                                let keep = y * t16[g + 1] > keep_above
                                    || (y * t16[g] >= drop_below
                                        && self.exact_score(prep, &mut refine, a, (i, j))? > hi);
                                kept |= (keep as u64) << t;
                            } else {
                                band.push((a, base + j as u64));
                            }
                        }
                        row_words[c] = kept;
                        above += kept.count_ones() as u64;
                    }
                }
                Ok((above, band))
            })
            .collect::<Result<_, ConvergenceError>>()?;
        let above = found.iter().map(|f| f.0).sum();
        let mut band = Vec::with_capacity(found.iter().map(|f| f.1.len()).sum());
        for (_, b) in found {
            band.extend(b);
        }
        Ok(Pass { bits, above, band })
    }

    /// Completes a top-k pass with window `[lo, hi]`, or `None` if the k-th score is not in
    /// the band. With m = k − #above, the m-th largest lower (upper) bound of the band's
    /// scores from the 16-bit table, `L_m` (`U_m`), brackets the m-th score s*: entries with
    /// lower bound above `U_m` are surely among the top m, those with upper bound below `L_m`
    /// surely not, and only the others get exact scores and a selection in rank order. The
    /// mask is the top k iff `lo ≤ s* ≤ hi` (then every sure entry ranks on its side of s*).
    fn select(
        &self,
        prep: &Prepared,
        stream: &ChaCha20Rng,
        mut pass: Pass,
        k: u64,
        (lo, hi): (f64, f64),
        passes: u32,
    ) -> Result<Option<Mask>, Error> {
        let (n, d) = (self.rows(), self.cols());
        if !(pass.above < k && k <= pass.above + pass.band.len() as u64) {
            return Ok(None);
        }
        let m = (k - pass.above) as usize;
        let at = |index: u64| ((index / d as u64) as usize, (index % d as u64) as usize);
        let bounds: Vec<(f64, f64)> = pass
            .band
            .iter()
            .map(|&(a, index)| {
                let (i, j) = at(index);
                let y = prep.phi[i] * prep.psi[j];
                let g = a as usize;
                if y == 0.0 {
                    (0.0, 0.0)
                } else {
                    (
                        y * prep.table16[g + 1] / (1.0 + MARGIN),
                        y * prep.table16[g] * (1.0 + MARGIN),
                    )
                }
            })
            .collect();
        let mth_largest = |mut v: Vec<f64>| {
            v.select_nth_unstable_by(m - 1, |x, y| y.total_cmp(x));
            v[m - 1]
        };
        let lower_m = mth_largest(bounds.iter().map(|b| b.0).collect());
        let upper_m = mth_largest(bounds.iter().map(|b| b.1).collect());
        let mut rng = stream.clone();
        let mut sure = Vec::new();
        let mut ranked = Vec::new();
        for (&(a, index), &(l, u)) in pass.band.iter().zip(&bounds) {
            if l > upper_m {
                sure.push(index);
            } else if u >= lower_m {
                ranked.push((self.exact_score(prep, &mut rng, a, at(index))?, index));
            }
        }
        let need = m - sure.len(); // ≥ 1: s* is neither sure nor excluded
        ranked.select_nth_unstable_by(need - 1, rank_order);
        let threshold = ranked[need - 1].0;
        if !(lo <= threshold && threshold <= hi) {
            return Ok(None);
        }
        let wpr = d.div_ceil(64);
        for index in sure.into_iter().chain(ranked[..need].iter().map(|r| r.1)) {
            let (i, j) = at(index);
            pass.bits[i * wpr + j / 64] |= 1u64 << (j % 64);
        }
        Ok(Some(Mask::from_parts(
            n, d, pass.bits, k, threshold, passes,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convergence::noise::{HalfNormal, UniformAbs};
    use crate::convergence::sampler::{sample_mask_for, sample_mask_in_memory};
    use crate::mask::top_k_mask;
    use crate::tol::{hoeffding, Tail};

    const DELTA: f64 = 1e-6;

    impl Model {
        /// The model with another top-k window (a deliberately wrong one exercises the redraw).
        fn with_window(mut self, window: Window) -> Self {
            self.prepared.window = Arc::new(OnceLock::from(window));
            self.prepared.top_k_cuts = Arc::default(); // the cuts belong to the window
            self
        }
    }

    fn gaussian() -> Arc<dyn NoiseLaw> {
        Arc::new(HalfNormal { sigma: 1.0 })
    }

    fn uniform() -> Arc<dyn NoiseLaw> {
        Arc::new(UniformAbs { a: 2.0 })
    }

    /// The model of `row;col;noise` at n × d and ρ.
    fn fsm_model(spec: &str, n: usize, d: usize, rho: f64) -> Model {
        Model::from_fsm(&Fsm::parse_spec(spec).unwrap(), n, d, rho).unwrap()
    }

    /// McDiarmid's inequality: a function of `variables` independent variables that moves by at
    /// most `c` when one of them changes deviates from its mean by more than
    /// `t = c·sqrt(variables · ln(2/δ) / 2)` with probability at most δ. (Hoeffding's `t` for
    /// the mean of `variables` terms of range c, times `variables`.)
    fn mcdiarmid(variables: usize, c: f64, delta: f64) -> f64 {
        variables as f64 * hoeffding(variables, c, delta, Tail::Two).unwrap()
    }

    /// Models on which the fast path must agree exactly with the selection over every score:
    /// both laws, a zero row profile (ties at score 0 decided by index), a non-identity
    /// row_source, odd widths and a single row.
    fn exactness_cases() -> Vec<(&'static str, Model)> {
        let mut zero_rows = Model::new(
            (0..40)
                .map(|i| if i < 25 { 0.0 } else { 1.0 + i as f64 })
                .collect(),
            vec![1.0; 33],
            uniform(),
            0.7,
            0.5,
        )
        .unwrap();
        zero_rows.tau = 0.0;
        let mut shared = fsm_model("exp:3;exp:3;gaussian:1", 70, 45, 0.2);
        shared.row_source = (0..70)
            .map(|i| if i % 7 == 3 { i / 2 } else { i })
            .collect();
        vec![
            (
                "figure1 97x61",
                fsm_model("exp:3;exp:3;gaussian:1", 97, 61, 0.2),
            ),
            (
                "uniform 64x130",
                fsm_model("exp:2;affine:1,2;uniform:1", 64, 130, 0.3),
            ),
            ("zero rows, ties at 0", zero_rows),
            ("shared noise rows", shared),
            ("one row", fsm_model("exp:3;exp:3;gaussian:1", 1, 257, 0.1)),
        ]
    }

    #[test]
    fn top_k_and_frozen_equal_the_selection_over_every_exact_score() {
        let seed = MasterSeed::default();
        for (name, model) in exactness_cases() {
            let (n, d) = (model.rows(), model.cols());
            let k = kept_count(n, d, Density::new(model.rho).unwrap()).unwrap();
            for rep in 0..3 {
                let label = format!("SIM-T/{name}/rep={rep}");
                let scores = model.scores(seed, &label).unwrap();
                let top = model.draw(Draw::TopK, seed, &label).unwrap();
                let reference = top_k_mask(n, d, &scores, k).unwrap();
                assert_eq!(
                    top, reference,
                    "{name}: top-k differs from the exact selection ({label})"
                );
                assert_eq!(top.passes(), 1, "{name}: the window missed ({label})");
                let frozen = model.draw(Draw::Frozen, seed, &label).unwrap();
                let above: Vec<u8> = scores.iter().map(|s| (*s > model.tau) as u8).collect();
                let expected = Mask::from_entries(n, d, &above).unwrap();
                assert_eq!(
                    frozen.row_degrees(),
                    expected.row_degrees(),
                    "{name} ({label})"
                );
                for i in 0..n {
                    assert_eq!(
                        frozen.row_words(i),
                        expected.row_words(i),
                        "{name}, row {i}"
                    );
                }
                // τ edited after the cuts were built: the 12-bit table path, same law
                let mut edited = model.clone();
                edited.tau = model.tau * 1.1 + 0.01;
                let frozen = edited.draw(Draw::Frozen, seed, &label).unwrap();
                let above: Vec<u8> = scores.iter().map(|s| (*s > edited.tau) as u8).collect();
                let expected = Mask::from_entries(n, d, &above).unwrap();
                for i in 0..n {
                    let (got, want) = (frozen.row_words(i), expected.row_words(i));
                    assert_eq!(got, want, "{name}, τ edited, row {i}");
                }
            }
        }
    }

    #[test]
    fn first_false_finds_the_boundary_from_any_hint() {
        for boundary in [0, 1, 2, 7, 64, 99, 100] {
            for hint in [0, 1, 5, 50, 99, 100, 1000] {
                let found = first_false(0, 100, hint, |x| x < boundary);
                assert_eq!(found, boundary, "hint {hint}");
                let shifted = first_false(1, 101, hint, |x| x < boundary + 1);
                assert_eq!(shifted, boundary + 1, "hint {hint}");
            }
        }
    }

    #[test]
    fn ties_at_zero_go_to_the_smaller_index() {
        // Row 0 has φ = 0: its three scores are 0 and tie; k = 4 keeps row 1 and entry (0, 0).
        let model = Model::new(vec![0.0, 1.0], vec![1.0; 3], gaussian(), 4.0 / 6.0, 1.0).unwrap();
        for rep in 0..5 {
            let m = model
                .draw(
                    Draw::TopK,
                    MasterSeed::default(),
                    &format!("SIM-T/ties/{rep}"),
                )
                .unwrap();
            let kept: Vec<bool> = (0..6).map(|x| m.get(x / 3, x % 3).unwrap()).collect();
            assert_eq!(kept, [true, false, false, true, true, true]);
            assert_eq!(m.threshold(), 0.0);
        }
    }

    #[test]
    fn a_missed_window_redraws_the_same_mask() {
        let seed = MasterSeed::default();
        for (name, model) in exactness_cases() {
            let label = format!("SIM-T/miss/{name}");
            let good = model.draw(Draw::TopK, seed, &label).unwrap();
            for window in [Window { lo: 1e9, hi: 2e9 }, Window { lo: 0.0, hi: 0.0 }] {
                let missed = model
                    .clone()
                    .with_window(window)
                    .draw(Draw::TopK, seed, &label)
                    .unwrap();
                assert_eq!(missed, good, "{name}, window {window:?}");
                let holds = window.lo <= good.threshold() && good.threshold() <= window.hi;
                assert_eq!(
                    missed.passes(),
                    2 - holds as u32,
                    "{name}, window {window:?}"
                );
            }
        }
    }

    /// Two-sample test of the law of a tiny top-k mask: the frequency of each of the 2^6 masks
    /// of a 2 × 3 shape over `draws` draws of `ours` and of the reference sampler. Under the
    /// same law each frequency is within Hoeffding's bound of its probability (union over the
    /// 2 · 64 frequencies, two-sided, total δ), so the two differ by at most twice the bound.
    /// Returns (largest difference, threshold).
    fn tiny_law_distance(
        ours: &Model,
        draw: Draw,
        reference_phi: &[f64],
        draws: usize,
    ) -> (f64, f64) {
        let psi = ours.psi.clone();
        let spec = MaskSpec::from_grids(reference_phi.to_vec(), psi, ours.rho).unwrap();
        let law = HalfNormal { sigma: 1.0 };
        let seed = MasterSeed::default();
        let code = |m: &Mask| {
            (0..6).fold(0usize, |c, x| {
                c | (m.get(x / 3, x % 3).unwrap() as usize) << x
            })
        };
        let mut counts = [[0usize; 64]; 2];
        for r in 0..draws {
            let a = ours
                .draw(draw, seed, &format!("SIM-T/tiny/ours/{r}"))
                .unwrap();
            let b =
                sample_mask_in_memory(&spec, &law, seed, &format!("SIM-T/tiny/ref/{r}")).unwrap();
            counts[0][code(&a)] += 1;
            counts[1][code(&b)] += 1;
        }
        let worst = (0..64)
            .map(|c| (counts[0][c] as f64 - counts[1][c] as f64).abs() / draws as f64)
            .fold(0.0, f64::max);
        (
            worst,
            2.0 * hoeffding(draws, 1.0, DELTA / 128.0, Tail::Two).unwrap(),
        )
    }

    #[test]
    fn tiny_top_k_law_matches_the_reference_sampler_with_negative_controls() {
        let phi = [1.0, 2.0];
        let ours = Model::new(
            phi.to_vec(),
            vec![1.0, 1.5, 3.0],
            gaussian(),
            1.0 / 3.0,
            2.0,
        )
        .unwrap();
        let draws = 20_000;
        let (observed, threshold) = tiny_law_distance(&ours, Draw::TopK, &phi, draws);
        println!("SIM tiny law: max |freq diff| {observed:.4} vs threshold {threshold:.4}");
        assert!(
            observed <= threshold,
            "top-k law differs: {observed} > {threshold}"
        );
        // Negative controls: the frozen law (random kept count), and a wrong row profile.
        let (frozen, _) = tiny_law_distance(&ours, Draw::Frozen, &phi, draws);
        assert!(
            frozen > threshold,
            "frozen draws not rejected: {frozen} ≤ {threshold}"
        );
        let (wrong, _) = tiny_law_distance(&ours, Draw::TopK, &[1.0, 1.5], draws);
        println!("SIM tiny law, control φ = (1, 1.5): {wrong:.4} vs {threshold:.4}");
        assert!(
            wrong > threshold,
            "a wrong profile is not rejected: {wrong} ≤ {threshold}"
        );
    }

    /// Pooled block fractions of R masks: 4 × 4 blocks, 4 row bands, 4 column bands.
    fn block_fractions(masks: &[Mask]) -> Vec<(f64, usize)> {
        let (n, d) = (masks[0].rows(), masks[0].cols());
        let (bn, bd) = (n / 4, d / 4);
        let mut sums = vec![0u64; 16];
        for m in masks {
            crate::mask::accumulate_blocks(&mut sums, m, bn, bd).unwrap();
        }
        let r = masks.len();
        let mut out: Vec<(f64, usize)> = sums
            .iter()
            .map(|s| (*s as f64 / (r * bn * bd) as f64, bn * bd))
            .collect();
        for band in 0..4 {
            let row: u64 = sums[4 * band..4 * band + 4].iter().sum();
            let col: u64 = (0..4).map(|b| sums[4 * b + band]).sum();
            out.push((row as f64 / (r * bn * d) as f64, bn * d));
            out.push((col as f64 / (r * n * bd) as f64, n * bd));
        }
        out
    }

    /// Largest difference over the block statistics between `ours` and the crate's sampler for
    /// `reference` (R masks each), and whether every one is within its McDiarmid threshold.
    fn moderate_distance(ours: &Model, reference: &str, r: usize) -> (f64, bool) {
        let (n, d) = (ours.rows(), ours.cols());
        let fsm = Fsm::parse_spec(reference).unwrap();
        let spec = MaskSpec::new(n, d, ours.rho, &fsm.row, &fsm.col).unwrap();
        let seed = MasterSeed::default();
        let a = ours
            .draw_stack(Draw::TopK, r, seed, "SIM-T/moderate/ours")
            .unwrap();
        let k = spec.kept();
        assert!(a
            .iter()
            .all(|m| m.kept() == k && m.row_degrees().iter().map(|&x| x as u64).sum::<u64>() == k));
        let hint = threshold_window(&spec, fsm.noise.law(), 1e-6).unwrap();
        let b: Vec<Mask> = (0..r)
            .into_par_iter()
            .map(|s| {
                let label = format!("SIM-T/moderate/ref/{s}");
                sample_mask_for(&spec, &fsm.noise, seed, &label, Some(hint)).unwrap()
            })
            .collect();
        let (fa, fb) = (block_fractions(&a), block_fractions(&b));
        // One score change moves a top-k mask by at most one entry in and one out, so a block
        // count by at most 1: c = 1/(R·B) over R·n·d independent scores; 2 samplers × 24
        // statistics share δ, and two deviations make a difference.
        let statistics = 2 * fa.len();
        let mut worst: f64 = 0.0;
        let mut within = true;
        for ((x, size), (y, _)) in fa.iter().zip(&fb) {
            let t = mcdiarmid(
                r * n * d,
                1.0 / (r * size) as f64,
                DELTA / statistics as f64,
            );
            worst = worst.max((x - y).abs() / (2.0 * t));
            within &= (x - y).abs() <= 2.0 * t;
        }
        (worst, within)
    }

    #[test]
    fn moderate_top_k_matches_the_sampler_on_blocks_with_a_negative_control() {
        for (spec, wrong) in [
            ("exp:3;exp:3;gaussian:1", "exp:2.5;exp:2.5;gaussian:1"),
            ("exp:3;exp:3;uniform:1", "exp:2.5;exp:2.5;uniform:1"),
        ] {
            let ours = fsm_model(spec, 256, 128, 0.2);
            let (ratio, within) = moderate_distance(&ours, spec, 256);
            println!("SIM moderate {spec}: largest |diff| / threshold {ratio:.3}");
            assert!(
                within,
                "{spec}: block fractions differ from the sampler's ({ratio})"
            );
            let (ratio, within) = moderate_distance(&ours, wrong, 256);
            println!("SIM moderate control {wrong}: largest |diff| / threshold {ratio:.3}");
            assert!(
                !within,
                "{spec}: the sampler for {wrong} is not rejected ({ratio})"
            );
        }
    }

    /// Frozen masks pooled over R draws: the total kept count and each row's, against the sums
    /// of `keep` (entries independent: Hoeffding over R·n·d, resp. R·d, entries; union over the
    /// n + 1 statistics). Returns the largest |observed − expected| / threshold.
    fn frozen_ratio(model: &Model, keep: impl Fn(usize, usize) -> f64, r: usize) -> f64 {
        let (n, d) = (model.rows(), model.cols());
        let masks = model
            .draw_stack(Draw::Frozen, r, MasterSeed::default(), "SIM-T/frozen")
            .unwrap();
        let delta = DELTA / (n + 1) as f64;
        let mut worst: f64 = 0.0;
        let mut total = (0.0, 0.0);
        for i in 0..n {
            let expected: f64 = (0..d).map(|j| keep(i, j)).sum::<f64>() * r as f64;
            let observed: f64 = masks.iter().map(|m| m.row_degrees()[i] as f64).sum();
            let t = (r * d) as f64 * hoeffding(r * d, 1.0, delta, Tail::Two).unwrap();
            worst = worst.max((observed - expected).abs() / t);
            total.0 += observed;
            total.1 += expected;
        }
        let t = (r * n * d) as f64 * hoeffding(r * n * d, 1.0, delta, Tail::Two).unwrap();
        worst.max((total.0 - total.1).abs() / t)
    }

    #[test]
    fn frozen_counts_follow_the_keep_probabilities_with_a_negative_control() {
        for spec in ["exp:3;exp:3;gaussian:1", "exp:3;exp:3;uniform:1"] {
            let model = fsm_model(spec, 256, 128, 0.2);
            let ratio = frozen_ratio(&model, |i, j| model.keep_probability(i, j), 16);
            println!("SIM frozen {spec}: largest |observed − expected| / threshold {ratio:.3}");
            assert!(ratio <= 1.0, "{spec}: frozen counts off ({ratio})");
            let mut shifted = model.clone();
            shifted.tau *= 1.05;
            let ratio = frozen_ratio(&model, |i, j| shifted.keep_probability(i, j), 16);
            println!("SIM frozen control τ·1.05 {spec}: {ratio:.3}");
            assert!(
                ratio > 1.0,
                "{spec}: a 5 % wrong threshold is not rejected ({ratio})"
            );
        }
    }

    #[test]
    fn rows_sharing_noise_and_profile_are_equal() {
        let phi = vec![1.0, 2.0, 1.0, 3.0, 2.0];
        let psi: Vec<f64> = (0..150).map(|j| 1.0 + j as f64 / 150.0).collect();
        let own = Model::new(phi.clone(), psi.clone(), gaussian(), 0.3, 1.5).unwrap();
        let mut shared = own.clone();
        shared.row_source = vec![0, 1, 0, 3, 1];
        let seed = MasterSeed::default();
        for how in [Draw::TopK, Draw::Frozen] {
            let m = shared.draw(how, seed, "SIM-T/shared").unwrap();
            assert_eq!(m.row_words(2), m.row_words(0), "{how:?}");
            assert_eq!(m.row_words(4), m.row_words(1), "{how:?}");
        }
        // Frozen entries are per-entry functions: rows that keep their noise are unchanged.
        let (a, b) = (
            own.draw(Draw::Frozen, seed, "SIM-T/shared").unwrap(),
            shared.draw(Draw::Frozen, seed, "SIM-T/shared").unwrap(),
        );
        for i in [0, 1, 3] {
            assert_eq!(a.row_words(i), b.row_words(i));
        }
        assert_ne!(a.row_words(2), b.row_words(2));
    }

    #[test]
    fn draws_are_identical_for_one_and_two_threads_and_stacks_differ() {
        let model = fsm_model("exp:3;exp:3;gaussian:1", 300, 200, 0.2);
        let seed = MasterSeed::default();
        for how in [Draw::TopK, Draw::Frozen] {
            let run = |threads| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                pool.install(|| model.draw_stack(how, 3, seed, "SIM-T/threads").unwrap())
            };
            let (one, two) = (run(1), run(2));
            assert_eq!(one, two, "{how:?}");
            assert_ne!(one[0], one[1]);
            assert_eq!(one[2], model.draw(how, seed, "SIM-T/threads/2").unwrap());
        }
    }

    #[test]
    fn invalid_models_are_typed_errors() {
        let seed = MasterSeed::default();
        let model = fsm_model("exp:3;exp:3;gaussian:1", 8, 8, 0.2);
        let broken = [
            Model {
                row_source: vec![0; 7],
                ..model.clone()
            },
            Model {
                row_source: vec![8; 8],
                ..model.clone()
            },
            Model {
                tau: f64::NAN,
                ..model.clone()
            },
            Model {
                tau: -1.0,
                ..model.clone()
            },
            Model {
                rho: 1.0,
                ..model.clone()
            },
            Model {
                phi: vec![f64::INFINITY; 8],
                ..model.clone()
            },
            Model {
                psi: vec![],
                ..model.clone()
            },
        ];
        for (case, m) in broken.iter().enumerate() {
            for how in [Draw::TopK, Draw::Frozen] {
                assert!(
                    m.draw(how, seed, "SIM-T/bad").is_err(),
                    "case {case}, {how:?}"
                );
            }
        }
        assert!(Model::new(vec![], vec![1.0], gaussian(), 0.5, 1.0).is_err());
        assert!(Model::from_fsm(&Fsm::figure1(), 8, 8, 0.0).is_err());
        // An edited profile is picked up (tables rebuilt), not ignored.
        let mut edited = model.clone();
        edited.phi = vec![1.0; 8];
        let k = kept_count(8, 8, Density::constant(0.2)).unwrap();
        let scores = edited.scores(seed, "SIM-T/edit").unwrap();
        let reference = top_k_mask(8, 8, &scores, k).unwrap();
        assert_eq!(
            edited.draw(Draw::TopK, seed, "SIM-T/edit").unwrap(),
            reference
        );
    }
}
