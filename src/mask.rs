//! Masks of any size n × d (rows = hidden neurons, columns = inputs): the bit matrix of kept
//! entries ([`Mask`]), the kept count `k = round(ρ n d)` ([`kept_count`]), exact top-k of
//! explicit scores ([`top_k_mask`]) and the sums of masks ([`accumulate`],
//! [`accumulate_blocks`]). The FSM sampler ([`crate::convergence::sampler`]), the pruning
//! criteria, the taxonomy, the NTK and the external checks all build and read masks here.
//!
//! **Top-k.** `k = round(ρ n d) = ⌊ρ·n·d + 1/2⌋` with ρ the exact rational value of the f64
//! (see [`kept_count`]). The mask keeps the k largest scores; among equal scores the one with the
//! smaller linear index `i·d + j` ranks first. So the kept set is the first k entries of the
//! order "score descending, then index ascending", and the threshold τ_n is the score of the
//! k-th entry.
//!
//! ```
//! use pai_graphon::mask::{kept_count, top_k_mask};
//! let k = kept_count(2, 3, pai_graphon::params::Density::constant(0.5)).unwrap();
//! let m = top_k_mask(2, 3, &[0.1, 0.9, 0.5, 0.3, 0.8, 0.2], k).unwrap();
//! assert_eq!((m.kept(), m.threshold(), m.row_degrees()), (3, 0.5, vec![2, 1]));
//! ```

use crate::params::Density;
use rayon::prelude::*;
use std::cmp::Ordering as CmpOrdering;

/// Largest n·d the in-memory paths ([`crate::convergence::sampler::sample_scores`],
/// [`crate::convergence::sampler::sample_mask_in_memory`], [`top_k_mask`])
/// accept: 2^26 scores (512 MiB of f64; `top_k_mask` adds 1 GiB of ranked candidates). Raised
/// from 2^24 for NTK-16's 16384 × 4096 selection mask.
///
/// ```
/// use pai_graphon::params::Density;
/// use pai_graphon::convergence::sampler::{sample_scores, MaskSpec};
/// use pai_graphon::mask::IN_MEMORY_LIMIT;
/// use pai_graphon::convergence::noise::UniformAbs;
/// use pai_graphon::seed::MasterSeed;
/// let spec = MaskSpec::from_grids(vec![1.0; 1 << 13], vec![1.0; (1 << 13) + 1], Density::constant(0.5)).unwrap();
/// assert!(spec.rows() * spec.cols() > IN_MEMORY_LIMIT);
/// assert!(sample_scores(&spec, &UniformAbs { a: 1.0 }, MasterSeed::default(), "DOC").is_err());
/// ```
pub const IN_MEMORY_LIMIT: usize = 1 << 26;

/// Largest n·d [`Mask::to_dense`] converts: 2^22 entries (32 MiB of f64).
///
/// ```
/// use pai_graphon::mask::{Mask, DENSE_LIMIT};
/// let n = 1 << 11;
/// let m = Mask::from_entries(n, n + 1, &vec![0; n * (n + 1)]).unwrap();
/// assert!(n * (n + 1) > DENSE_LIMIT && m.to_dense().is_err());
/// ```
pub const DENSE_LIMIT: usize = 1 << 22;

/// Largest n·d any mask may have: 2^40 (the bits alone would take 128 GiB).
///
/// ```
/// use pai_graphon::mask::{kept_count, MAX_CELLS};
/// assert_eq!(MAX_CELLS, 1 << 40);
/// let half = pai_graphon::params::Density::constant(0.5);
/// assert_eq!(kept_count(1 << 20, 1 << 20, half).unwrap(), 1 << 39);
/// assert!(kept_count(1 << 20, (1 << 20) + 1, half).is_err());
/// ```
pub const MAX_CELLS: u64 = 1 << 40;

/// A mask that cannot be made or read: a shape, a length, an entry or a kept count out of range.
///
/// ```
/// use pai_graphon::mask::{top_k_mask, MaskError};
/// let e = top_k_mask(0, 3, &[], 1).unwrap_err();
/// assert_eq!(e, MaskError::Empty { rows: 0, cols: 3 });
/// assert_eq!(e.to_string(), "a 0 × 3 mask has no entries");
/// let e = top_k_mask(1, 2, &[0.5, 0.1], 3).unwrap_err();
/// assert!(matches!(e, MaskError::KeptCount { k: 3, candidates: 2 }) && e.is_density());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum MaskError {
    /// A mask with no rows or no columns.
    Empty {
        /// Rows asked for.
        rows: usize,
        /// Columns asked for.
        cols: usize,
    },
    /// More cells than a bound allows ([`MAX_CELLS`], or the dense or in-memory limit).
    TooLarge {
        /// Rows asked for.
        rows: usize,
        /// Columns asked for.
        cols: usize,
        /// The largest number of cells allowed.
        max: u64,
    },
    /// A slice whose length does not match a `rows × cols` shape.
    Length {
        /// What the slice holds (`"entries"`, `"counts"`, `"block sums"`).
        what: &'static str,
        /// Its length.
        found: usize,
        /// Rows of the shape it should fit.
        rows: usize,
        /// Columns of the shape it should fit.
        cols: usize,
    },
    /// Explicit scores whose count is not n·d or exceeds the in-memory limit.
    Scores {
        /// The number of scores given.
        found: usize,
        /// Rows of the mask.
        rows: usize,
        /// Columns of the mask.
        cols: usize,
        /// The in-memory limit.
        max: usize,
    },
    /// A mask entry other than 0 or 1.
    Entry {
        /// Its linear index.
        index: usize,
        /// Its value.
        value: u8,
    },
    /// A block side of 0.
    Block {
        /// Rows per block.
        block_rows: usize,
        /// Columns per block.
        block_cols: usize,
    },
    /// A density whose kept count `round(ρ n d)` is 0.
    KeepsNothing {
        /// The density.
        rho: f64,
        /// Rows of the mask.
        rows: usize,
        /// Columns of the mask.
        cols: usize,
    },
    /// A kept count of 0 or above the number of candidates.
    KeptCount {
        /// The count asked for.
        k: u64,
        /// The entries that compete.
        candidates: usize,
    },
    /// A kept-count rule name other than `round` or `synaptic-flow`.
    Rule {
        /// The name as typed (the user's text, not a message).
        text: String,
    },
    /// The Synaptic-Flow rule kept nothing: every score ties with the threshold.
    AllTied {
        /// The entries that competed.
        candidates: usize,
    },
    /// A score that is NaN or infinite.
    NonFinite {
        /// The linear index of its entry.
        index: u64,
        /// The score.
        score: f64,
    },
}

impl MaskError {
    /// Whether the density (the kept count) was refused rather than the shape: the callers'
    /// errors file these under "invalid density".
    ///
    /// ```
    /// use pai_graphon::mask::MaskError;
    /// assert!(MaskError::KeptCount { k: 0, candidates: 4 }.is_density());
    /// assert!(!MaskError::Block { block_rows: 0, block_cols: 1 }.is_density());
    /// ```
    pub fn is_density(&self) -> bool {
        matches!(
            self,
            MaskError::KeepsNothing { .. }
                | MaskError::KeptCount { .. }
                | MaskError::AllTied { .. }
        )
    }
}

impl std::fmt::Display for MaskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MaskError::Empty { rows, cols } => write!(f, "a {rows} × {cols} mask has no entries"),
            MaskError::TooLarge { rows, cols, max } => {
                write!(f, "a {rows} × {cols} mask exceeds {max} entries")
            }
            MaskError::Length {
                what,
                found,
                rows,
                cols,
            } => write!(f, "{found} {what} for a {rows} × {cols} mask"),
            MaskError::Scores {
                found,
                rows,
                cols,
                max,
            } => write!(
                f,
                "{found} scores for a {rows} × {cols} mask (at most {max} in memory)"
            ),
            MaskError::Entry { index, value } => {
                write!(f, "mask entry {index} is {value}, not 0 or 1")
            }
            MaskError::Block {
                block_rows,
                block_cols,
            } => write!(f, "a block side of 0 ({block_rows} × {block_cols} blocks)"),
            MaskError::KeepsNothing { rho, rows, cols } => {
                write!(f, "density {rho} keeps no entry of a {rows} × {cols} mask")
            }
            MaskError::KeptCount { k, candidates } => {
                write!(f, "cannot keep {k} of {candidates} entries")
            }
            MaskError::NonFinite { index, score } => {
                write!(f, "score {score} of entry {index} is not finite")
            }
            MaskError::Rule { text } => {
                write!(f, "unknown kept-count rule {text:?} (round or synaptic-flow)")
            }
            MaskError::AllTied { candidates } => write!(
                f,
                "the synaptic-flow rule keeps none of {candidates} entries: every score ties with the threshold"
            ),
        }
    }
}

impl std::error::Error for MaskError {}

/// `k = ⌊ρ·n·d + 1/2⌋`, computed exactly: ρ is the rational `m·2^e` of its f64 and the product
/// with `n·d` is formed in 128-bit integers, so halves round up with no floating-point error.
/// Rejects n or d = 0, `n·d > MAX_CELLS` and densities so small that k = 0 (ρ ∈ (0, 1) is the
/// [`Density`]'s own guarantee).
///
/// ```
/// use pai_graphon::mask::kept_count;
/// use pai_graphon::params::Density;
/// let rho = |r| Density::new(r).unwrap();
/// assert_eq!(kept_count(1, 3, rho(0.5)).unwrap(), 2); // 1.5 rounds up
/// assert_eq!(kept_count(1000, 1000, rho(0.2)).unwrap(), 200_000);
/// assert!(kept_count(10, 10, rho(1e-300)).is_err()); // keeps nothing
/// ```
pub fn kept_count(n: usize, d: usize, rho: Density) -> Result<u64, MaskError> {
    let cells = cell_count(n, d)?;
    let rho = rho.get();
    let bits = rho.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    let (mantissa, shift) = if exponent == 0 {
        (fraction, 1074u32)
    } else {
        (fraction | (1u64 << 52), (1075 - exponent) as u32)
    };
    // ρ < 1 so shift ≥ 53; mantissa · cells < 2^53 · 2^40 fits easily in 128 bits.
    let product = mantissa as u128 * cells as u128;
    let k = if shift >= 128 {
        0
    } else {
        (product + (1u128 << (shift - 1))) >> shift
    };
    if k == 0 {
        return Err(MaskError::KeepsNothing {
            rho,
            rows: n,
            cols: d,
        });
    }
    Ok(k as u64)
}

/// How many entries a top-k mask keeps, and what happens to ties at the threshold.
///
/// - [`KeptCount::Round`] (this crate's rule): `k = round(ρ n d)` ([`kept_count`]), ties at the
///   threshold broken by the smaller linear index, so exactly k entries are kept.
/// - [`KeptCount::SynapticFlow`] (Synaptic-Flow's rule, Tanaka et al. 2020): prune
///   `p = int((1 − ρ)·N)` entries, `N = n d`, computed in f64 and truncated as Python does; the
///   threshold is the p-th smallest score and every entry scoring at most the threshold is
///   pruned. So at most `N − p` entries are kept: fewer when scores tie at the threshold, and
///   all N when p = 0.
///
/// ```
/// use pai_graphon::mask::{top_k_mask_by, KeptCount};
/// use pai_graphon::params::Density;
/// let rho = Density::new(0.5).unwrap();
/// let scores = [0.1, 0.5, 0.5, 0.9];
/// // round(0.5 · 4) = 2: one of the tied 0.5s (the smaller index) is kept.
/// assert_eq!(top_k_mask_by(1, 4, &scores, rho, KeptCount::Round).unwrap().kept(), 2);
/// // Synaptic-Flow: p = 2, threshold 0.5, both tied entries pruned.
/// let sf = top_k_mask_by(1, 4, &scores, rho, KeptCount::SynapticFlow).unwrap();
/// assert_eq!((sf.kept(), sf.get(0, 3)), (1, Some(true)));
/// assert_eq!(KeptCount::parse("synaptic-flow").unwrap(), KeptCount::SynapticFlow);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeptCount {
    /// `k = round(ρ n d)`, ties to the smaller index (the default).
    #[default]
    Round,
    /// `N − int((1 − ρ)N)`, every entry tied with the threshold pruned.
    SynapticFlow,
}

impl KeptCount {
    /// `round` or `synaptic-flow`.
    ///
    /// ```
    /// use pai_graphon::mask::KeptCount;
    /// assert_eq!(KeptCount::parse("round").unwrap(), KeptCount::Round);
    /// assert!(KeptCount::parse("floor").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, MaskError> {
        match text {
            "round" => Ok(KeptCount::Round),
            "synaptic-flow" => Ok(KeptCount::SynapticFlow),
            _ => Err(MaskError::Rule {
                text: text.to_string(),
            }),
        }
    }

    /// The rule's name as [`KeptCount::parse`] reads it.
    ///
    /// ```
    /// use pai_graphon::mask::KeptCount;
    /// assert_eq!(KeptCount::SynapticFlow.name(), "synaptic-flow");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            KeptCount::Round => "round",
            KeptCount::SynapticFlow => "synaptic-flow",
        }
    }

    /// The count before ties: `round(ρ n d)` or `N − int((1 − ρ)N)` (see the type's doc).
    ///
    /// ```
    /// use pai_graphon::mask::KeptCount;
    /// use pai_graphon::params::Density;
    /// let rho = Density::new(0.9).unwrap();
    /// // (1 − 0.9) · 10 = 0.999… in f64, so Synaptic-Flow prunes none; round keeps 9.
    /// assert_eq!(KeptCount::SynapticFlow.count(1, 10, rho).unwrap(), 10);
    /// assert_eq!(KeptCount::Round.count(1, 10, rho).unwrap(), 9);
    /// ```
    pub fn count(self, n: usize, d: usize, rho: Density) -> Result<u64, MaskError> {
        match self {
            KeptCount::Round => kept_count(n, d, rho),
            KeptCount::SynapticFlow => {
                let cells = cell_count(n, d)?;
                // Python's int() of the f64 product: truncation (the product lies in [0, N)).
                let pruned = ((1.0 - rho.get()) * cells as f64) as u64;
                Ok(cells - pruned.min(cells))
            }
        }
    }

    /// How many of the ranked candidates (scores in any order) the rule keeps when the count
    /// before ties is k ≤ their number: k for [`KeptCount::Round`]; for
    /// [`KeptCount::SynapticFlow`] the number scoring strictly above the (k+1)-th largest score.
    fn after_ties(self, ranked: &[(f64, u64)], k: u64) -> u64 {
        let k = k as usize;
        if self == KeptCount::Round || k >= ranked.len() {
            return k as u64;
        }
        let mut scores: Vec<f64> = ranked.iter().map(|r| r.0 + 0.0).collect();
        let (_, threshold, _) = scores.select_nth_unstable_by(k, |a, b| b.total_cmp(a));
        let threshold = *threshold;
        scores
            .iter()
            .filter(|s| s.total_cmp(&threshold).is_gt())
            .count() as u64
    }
}

/// The top-k mask of explicit scores under a kept-count rule: [`top_k_mask`] with k from
/// [`KeptCount::count`] and, for [`KeptCount::SynapticFlow`], every entry tied with the
/// threshold pruned. A rule that keeps no entry (every score tied) is an error.
///
/// ```
/// use pai_graphon::mask::{top_k_mask_by, KeptCount};
/// use pai_graphon::params::Density;
/// let rho = Density::new(0.5).unwrap();
/// assert_eq!(top_k_mask_by(2, 2, &[4.0, 3.0, 2.0, 1.0], rho, KeptCount::SynapticFlow).unwrap().kept(), 2);
/// assert!(top_k_mask_by(2, 2, &[1.0; 4], rho, KeptCount::SynapticFlow).is_err());
/// ```
pub fn top_k_mask_by(
    n: usize,
    d: usize,
    scores: &[f64],
    rho: Density,
    rule: KeptCount,
) -> Result<Mask, MaskError> {
    let k = rule.count(n, d, rho)?;
    let ranked: Vec<(f64, u64)> = scores.iter().zip(0u64..).map(|(&s, i)| (s, i)).collect();
    top_k_of_by(n, d, ranked, k, rule)
}

/// [`top_k_of`] with k reduced by the rule's treatment of ties ([`KeptCount::after_ties`]).
pub(crate) fn top_k_of_by(
    n: usize,
    d: usize,
    ranked: Vec<(f64, u64)>,
    k: u64,
    rule: KeptCount,
) -> Result<Mask, MaskError> {
    if let Some(bad) = ranked.iter().find(|(s, _)| !s.is_finite()) {
        return Err(MaskError::NonFinite {
            index: bad.1,
            score: bad.0,
        });
    }
    let kept = rule.after_ties(&ranked, k.min(ranked.len() as u64));
    if kept == 0 && k > 0 {
        return Err(MaskError::AllTied {
            candidates: ranked.len(),
        });
    }
    top_k_of(n, d, ranked, kept)
}

pub(crate) fn cell_count(n: usize, d: usize) -> Result<u64, MaskError> {
    if n == 0 || d == 0 {
        return Err(MaskError::Empty { rows: n, cols: d });
    }
    match (n as u64).checked_mul(d as u64) {
        Some(c) if c <= MAX_CELLS => Ok(c),
        _ => Err(MaskError::TooLarge {
            rows: n,
            cols: d,
            max: MAX_CELLS,
        }),
    }
}

/// A bit-packed n × d mask: row i occupies `ceil(d/64)` words, column j is bit `j % 64` of word
/// `j / 64` (bits past d are 0). Two masks are equal when their entries, kept counts and
/// thresholds (bit for bit) agree, whatever path and number of passes produced them.
///
/// ```
/// use pai_graphon::mask::{top_k_mask, Mask};
/// let m = top_k_mask(2, 3, &[0.1, 0.9, 0.5, 0.3, 0.8, 0.2], 3).unwrap();
/// let e = Mask::from_entries(2, 3, &[0, 1, 1, 0, 1, 0]).unwrap();
/// assert_eq!((e.row_degrees(), e.kept()), (m.row_degrees(), m.kept()));
/// assert_ne!(e, m); // same entries, but e's threshold is unknown (NaN)
/// ```
#[derive(Clone, Debug)]
pub struct Mask {
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) words_per_row: usize,
    pub(crate) bits: Vec<u64>,
    pub(crate) kept: u64,
    pub(crate) threshold: f64,
    pub(crate) passes: u32,
}

impl PartialEq for Mask {
    fn eq(&self, other: &Self) -> bool {
        (self.rows, self.cols, self.kept, self.threshold.to_bits())
            == (
                other.rows,
                other.cols,
                other.kept,
                other.threshold.to_bits(),
            )
            && self.bits == other.bits
    }
}

impl Mask {
    pub(crate) fn zeros(rows: usize, cols: usize) -> Self {
        let words_per_row = cols.div_ceil(64);
        Mask {
            rows,
            cols,
            words_per_row,
            bits: vec![0; rows * words_per_row],
            kept: 0,
            threshold: f64::NAN,
            passes: 0,
        }
    }

    /// A mask from its packed row words (the layout above), kept count, threshold and passes,
    /// for samplers outside this module (`external::simulate`); the caller guarantees the layout.
    pub(crate) fn from_parts(
        rows: usize,
        cols: usize,
        bits: Vec<u64>,
        kept: u64,
        threshold: f64,
        passes: u32,
    ) -> Self {
        debug_assert_eq!(bits.len(), rows * cols.div_ceil(64));
        Mask {
            rows,
            cols,
            words_per_row: cols.div_ceil(64),
            bits,
            kept,
            threshold,
            passes,
        }
    }

    pub(crate) fn set(&mut self, index: u64) {
        let (i, j) = (
            (index / self.cols as u64) as usize,
            (index % self.cols as u64) as usize,
        );
        self.bits[i * self.words_per_row + j / 64] |= 1u64 << (j % 64);
    }

    /// A mask from its entries (0 or 1, n × d row-major), e.g. one read from a file. Its
    /// threshold is unknown (NaN) and it took no passes.
    ///
    /// ```
    /// use pai_graphon::mask::Mask;
    /// let m = Mask::from_entries(2, 3, &[1, 0, 1, 0, 0, 1]).unwrap();
    /// assert_eq!((m.kept(), m.get(1, 2), m.get(1, 0)), (3, Some(true), Some(false)));
    /// assert!(Mask::from_entries(2, 3, &[1, 0, 2, 0, 0, 1]).is_err());
    /// assert!(Mask::from_entries(2, 2, &[1, 0, 1]).is_err());
    /// ```
    pub fn from_entries(rows: usize, cols: usize, entries: &[u8]) -> Result<Self, MaskError> {
        if rows == 0 || cols == 0 || rows.checked_mul(cols) != Some(entries.len()) {
            return Err(MaskError::Length {
                what: "entries",
                found: entries.len(),
                rows,
                cols,
            });
        }
        let mut mask = Mask::zeros(rows, cols);
        for (index, &e) in entries.iter().enumerate() {
            match e {
                0 => {}
                1 => {
                    mask.set(index as u64);
                    mask.kept += 1;
                }
                other => {
                    return Err(MaskError::Entry {
                        index,
                        value: other,
                    })
                }
            }
        }
        Ok(mask)
    }

    /// n.
    ///
    /// ```
    /// use pai_graphon::mask::Mask;
    /// assert_eq!(Mask::from_entries(2, 3, &[0; 6]).unwrap().rows(), 2);
    /// ```
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// d.
    ///
    /// ```
    /// use pai_graphon::mask::Mask;
    /// assert_eq!(Mask::from_entries(2, 3, &[0; 6]).unwrap().cols(), 3);
    /// ```
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Whether entry (i, j) is kept; `None` outside the mask.
    ///
    /// ```
    /// use pai_graphon::mask::top_k_mask;
    /// let m = top_k_mask(2, 2, &[0.1, 0.4, 0.3, 0.2], 2).unwrap();
    /// assert_eq!((m.get(0, 1), m.get(1, 0), m.get(0, 0), m.get(2, 0)),
    ///            (Some(true), Some(true), Some(false), None));
    /// ```
    pub fn get(&self, i: usize, j: usize) -> Option<bool> {
        (i < self.rows && j < self.cols)
            .then(|| self.bits[i * self.words_per_row + j / 64] >> (j % 64) & 1 == 1)
    }

    /// k, the number of kept entries.
    ///
    /// ```
    /// use pai_graphon::mask::Mask;
    /// assert_eq!(Mask::from_entries(2, 2, &[1, 0, 1, 1]).unwrap().kept(), 3);
    /// ```
    pub fn kept(&self) -> u64 {
        self.kept
    }

    /// τ_n, the k-th largest score.
    ///
    /// ```
    /// use pai_graphon::mask::{top_k_mask, Mask};
    /// assert_eq!(top_k_mask(1, 3, &[0.2, 0.7, 0.5], 2).unwrap().threshold(), 0.5);
    /// assert!(Mask::from_entries(1, 1, &[1]).unwrap().threshold().is_nan()); // not known
    /// ```
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// How many passes over the random streams produced the mask (0 for [`top_k_mask`]).
    ///
    /// ```
    /// use pai_graphon::params::Density;
    /// use pai_graphon::convergence::sampler::{sample_mask, MaskSpec, Window};
    /// use pai_graphon::mask::top_k_mask;
    /// use pai_graphon::convergence::noise::UniformAbs;
    /// use pai_graphon::seed::MasterSeed;
    /// assert_eq!(top_k_mask(1, 2, &[0.1, 0.2], 1).unwrap().passes(), 0);
    /// // A window that holds every score: one pass over the streams.
    /// let spec = MaskSpec::from_grids(vec![1.0; 4], vec![1.0; 4], Density::constant(0.5)).unwrap();
    /// let all = Some(Window { lo: 0.0, hi: f64::INFINITY });
    /// let m = sample_mask(&spec, &UniformAbs { a: 1.0 }, MasterSeed::default(), "DOC", all).unwrap();
    /// assert_eq!(m.passes(), 1);
    /// ```
    pub fn passes(&self) -> u32 {
        self.passes
    }

    /// The entries as 0/1 bytes, row-major (the layout of a uint8 `.npy` mask).
    ///
    /// ```
    /// use pai_graphon::mask::Mask;
    /// let e = [0, 1, 1, 0, 0, 1];
    /// assert_eq!(Mask::from_entries(2, 3, &e).unwrap().entries(), e);
    /// ```
    pub fn entries(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.rows * self.cols);
        for row in self.bits.chunks(self.words_per_row.max(1)).take(self.rows) {
            out.extend((0..self.cols).map(|j| ((row[j / 64] >> (j % 64)) & 1) as u8));
        }
        out
    }

    /// The words of row i (`None` outside the mask).
    ///
    /// ```
    /// use pai_graphon::mask::Mask;
    /// let mut entries = vec![0; 70];
    /// entries[65] = 1; // column 65: bit 1 of word 1
    /// let m = Mask::from_entries(1, 70, &entries).unwrap();
    /// assert_eq!(m.row_words(0), Some(&[0, 2][..]));
    /// assert_eq!(m.row_words(1), None);
    /// ```
    pub fn row_words(&self, i: usize) -> Option<&[u64]> {
        (i < self.rows).then(|| &self.bits[i * self.words_per_row..(i + 1) * self.words_per_row])
    }

    /// Kept entries per row.
    ///
    /// ```
    /// use pai_graphon::mask::top_k_mask;
    /// let m = top_k_mask(2, 2, &[0.1, 0.4, 0.3, 0.2], 2).unwrap();
    /// assert_eq!(m.row_degrees(), vec![1, 1]);
    /// ```
    pub fn row_degrees(&self) -> Vec<u32> {
        self.bits
            .chunks(self.words_per_row)
            .map(|r| r.iter().map(|w| w.count_ones()).sum())
            .collect()
    }

    /// Kept entries per column.
    ///
    /// ```
    /// use pai_graphon::mask::top_k_mask;
    /// let m = top_k_mask(2, 2, &[0.1, 0.4, 0.3, 0.2], 2).unwrap();
    /// assert_eq!(m.column_degrees(), vec![1, 1]);
    /// ```
    pub fn column_degrees(&self) -> Vec<u32> {
        let mut degrees = vec![0u32; self.cols];
        for row in self.bits.chunks(self.words_per_row) {
            for_each_set(row, |j| degrees[j] += 1);
        }
        degrees
    }

    /// The mask as a dense 0/1 matrix, for n·d ≤ [`DENSE_LIMIT`].
    ///
    /// ```
    /// use pai_graphon::mask::top_k_mask;
    /// let m = top_k_mask(2, 2, &[0.1, 0.4, 0.3, 0.2], 2).unwrap().to_dense().unwrap();
    /// assert_eq!((m[(0, 1)], m[(0, 0)]), (1.0, 0.0));
    /// ```
    pub fn to_dense(&self) -> Result<faer::Mat<f64>, MaskError> {
        if self.rows * self.cols > DENSE_LIMIT {
            return Err(MaskError::TooLarge {
                rows: self.rows,
                cols: self.cols,
                max: DENSE_LIMIT as u64,
            });
        }
        Ok(faer::Mat::from_fn(self.rows, self.cols, |i, j| {
            if self.get(i, j) == Some(true) {
                1.0
            } else {
                0.0
            }
        }))
    }
}

/// Calls `f(j)` for every set bit j of a row's words, in increasing order.
pub(crate) fn for_each_set(words: &[u64], mut f: impl FnMut(usize)) {
    for (c, &word) in words.iter().enumerate() {
        let mut w = word;
        while w != 0 {
            f(c * 64 + w.trailing_zeros() as usize);
            w &= w - 1;
        }
    }
}

/// Adds the mask to per-entry counts (`counts.len() == n·d`, row-major): after r masks,
/// `counts[i·d + j] / r` is the seed average of entry (i, j). Counts wrap after 2^32 − 1 masks.
///
/// ```
/// use pai_graphon::mask::{accumulate, top_k_mask};
/// let m = top_k_mask(1, 3, &[0.1, 0.4, 0.3], 2).unwrap();
/// let mut counts = vec![0u32; 3];
/// accumulate(&mut counts, &m).unwrap();
/// accumulate(&mut counts, &m).unwrap();
/// assert_eq!(counts, vec![0, 2, 2]);
/// ```
pub fn accumulate(counts: &mut [u32], mask: &Mask) -> Result<(), MaskError> {
    if counts.len() != mask.rows * mask.cols {
        return Err(MaskError::Length {
            what: "counts",
            found: counts.len(),
            rows: mask.rows,
            cols: mask.cols,
        });
    }
    counts
        .par_chunks_mut(mask.cols)
        .zip(mask.bits.par_chunks(mask.words_per_row))
        .for_each(|(row, words)| for_each_set(words, |j| row[j] = row[j].wrapping_add(1)));
    Ok(())
}

/// Adds the kept counts of each `block_rows × block_cols` cell of the mask to `sums`
/// (`ceil(n/block_rows) × ceil(d/block_cols)`, row-major; the last cells may be smaller).
///
/// ```
/// use pai_graphon::mask::{accumulate_blocks, top_k_mask};
/// let m = top_k_mask(2, 2, &[0.1, 0.4, 0.3, 0.2], 3).unwrap();
/// let mut sums = vec![0u64; 2];
/// accumulate_blocks(&mut sums, &m, 2, 1).unwrap();
/// assert_eq!(sums, vec![1, 2]);
/// ```
pub fn accumulate_blocks(
    sums: &mut [u64],
    mask: &Mask,
    block_rows: usize,
    block_cols: usize,
) -> Result<(), MaskError> {
    if block_rows == 0 || block_cols == 0 {
        return Err(MaskError::Block {
            block_rows,
            block_cols,
        });
    }
    let block_grid = (
        mask.rows.div_ceil(block_rows),
        mask.cols.div_ceil(block_cols),
    );
    if sums.len() != block_grid.0 * block_grid.1 {
        return Err(MaskError::Length {
            what: "block sums",
            found: sums.len(),
            rows: block_grid.0,
            cols: block_grid.1,
        });
    }
    sums.par_chunks_mut(block_grid.1)
        .zip(mask.bits.par_chunks(mask.words_per_row * block_rows))
        .for_each(|(sum_row, words)| {
            for row in words.chunks(mask.words_per_row) {
                for_each_set(row, |j| sum_row[j / block_cols] += 1);
            }
        });
    Ok(())
}

/// The order of the top-k: larger score first, then smaller index. Scores are finite and −0 is
/// stored as +0 (sampled scores are non-negative; [`top_k_mask`] normalises −0), so `total_cmp`
/// is the numeric order.
pub(crate) fn rank_order(a: &(f64, u64), b: &(f64, u64)) -> CmpOrdering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

/// The top-k mask of explicit scores (row-major, n·d ≤ [`IN_MEMORY_LIMIT`]), ties broken by the
/// smaller linear index. Scores may be any finite values, negative included (signed criteria
/// such as GraSP keep the largest); −0 counts as +0 so that equal values tie. NaN and ±∞ are
/// rejected.
///
/// ```
/// use pai_graphon::mask::top_k_mask;
/// let m = top_k_mask(1, 4, &[0.5, 0.7, 0.5, 0.5], 2).unwrap();
/// assert_eq!((m.get(0, 1), m.get(0, 0), m.get(0, 2)), (Some(true), Some(true), Some(false)));
/// assert_eq!(m.threshold(), 0.5);
/// // Signed scores: the largest are kept, −0 ties with +0 and the smaller index wins.
/// let s = top_k_mask(1, 4, &[-2.0, 0.0, -0.0, -1.0], 2).unwrap();
/// assert_eq!((s.get(0, 1), s.get(0, 2), s.get(0, 3)), (Some(true), Some(true), Some(false)));
/// assert_eq!(s.threshold().to_bits(), 0.0f64.to_bits());
/// assert!(top_k_mask(1, 2, &[1.0, f64::NEG_INFINITY], 1).is_err());
/// ```
pub fn top_k_mask(n: usize, d: usize, scores: &[f64], k: u64) -> Result<Mask, MaskError> {
    let cells = cell_count(n, d)?;
    if scores.len() as u64 != cells || scores.len() > IN_MEMORY_LIMIT {
        return Err(MaskError::Scores {
            found: scores.len(),
            rows: n,
            cols: d,
            max: IN_MEMORY_LIMIT,
        });
    }
    let ranked: Vec<(f64, u64)> = scores.iter().zip(0u64..).map(|(&s, i)| (s, i)).collect();
    top_k_of(n, d, ranked, k)
}

/// The mask of the top k of explicit (score, linear index) candidates, in the order of
/// [`top_k_mask`]; entries not among the candidates are pruned. The candidates' indices must be
/// distinct and below n·d (the caller's duty). Used by iterative pruning, where only the entries
/// still kept compete.
pub(crate) fn top_k_of(
    n: usize,
    d: usize,
    mut ranked: Vec<(f64, u64)>,
    k: u64,
) -> Result<Mask, MaskError> {
    cell_count(n, d)?;
    if k == 0 || k > ranked.len() as u64 {
        return Err(MaskError::KeptCount {
            k,
            candidates: ranked.len(),
        });
    }
    if let Some(bad) = ranked.iter().find(|(s, _)| !s.is_finite()) {
        return Err(MaskError::NonFinite {
            index: bad.1,
            score: bad.0,
        });
    }
    for entry in ranked.iter_mut() {
        entry.0 += 0.0; // −0 + 0 = +0: equal values must compare equal under total_cmp
    }
    let mut mask = Mask::zeros(n, d);
    mask.threshold = select_top(&mut ranked, k as usize);
    for &(_, index) in &ranked[..k as usize] {
        mask.set(index);
    }
    mask.kept = k;
    Ok(mask)
}

/// Partially sorts so that the first m entries are the top m in [`rank_order`]; returns the
/// m-th score.
pub(crate) fn select_top(candidates: &mut [(f64, u64)], m: usize) -> f64 {
    candidates.select_nth_unstable_by(m - 1, rank_order);
    candidates[m - 1].0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_count_rounds_half_up_exactly() {
        let rho = |r| Density::new(r).unwrap();
        // 0.1 is slightly above 1/10 as an f64, so 0.1 · 5 = 0.5000000000000000277… → 1.
        assert_eq!(kept_count(1, 5, rho(0.1)).unwrap(), 1);
        // 0.3 is slightly below 3/10: 0.3 · 5 = 1.4999999999999999444… → 1.
        assert_eq!(kept_count(1, 5, rho(0.3)).unwrap(), 1);
        assert_eq!(kept_count(2, 1, rho(0.25)).unwrap(), 1); // exactly 1/2 rounds up
        assert_eq!(kept_count(4000, 4000, rho(0.2)).unwrap(), 3_200_000);
        assert!(kept_count(10, 10, rho(1e-300)).is_err());
        assert!(kept_count(0, 10, rho(0.5)).is_err());
        assert!(Density::new(f64::NAN).is_err() && Density::new(0.0).is_err());
        assert_eq!(kept_count(10, 10, rho(0.999)).unwrap(), 100);
    }

    #[test]
    fn top_k_breaks_ties_by_index() {
        let m = top_k_mask(2, 3, &[1.0; 6], 4).unwrap();
        let kept: Vec<bool> = (0..6).map(|x| m.get(x / 3, x % 3).unwrap()).collect();
        assert_eq!(kept, vec![true, true, true, true, false, false]);
        assert!(top_k_mask(1, 2, &[1.0, f64::NAN], 1).is_err());
        assert!(top_k_mask(1, 2, &[1.0, f64::INFINITY], 1).is_err());
        // Negative scores are allowed (signed criteria): the larger value is kept.
        let signed = top_k_mask(1, 3, &[-1.0, -3.0, -1.0], 2).unwrap();
        assert_eq!(signed.row_degrees(), vec![2]);
        assert_eq!((signed.get(0, 1), signed.threshold()), (Some(false), -1.0));
    }

    #[test]
    fn accumulate_checks_sizes() {
        let m = top_k_mask(2, 2, &[0.1, 0.4, 0.3, 0.2], 2).unwrap();
        assert!(accumulate(&mut [0; 3], &m).is_err());
        assert!(accumulate_blocks(&mut [0; 3], &m, 1, 1).is_err());
        assert!(accumulate_blocks(&mut [0; 1], &m, 0, 1).is_err());
        let mut sums = vec![0u64; 1];
        accumulate_blocks(&mut sums, &m, 2, 2).unwrap();
        assert_eq!(sums, vec![2]);
    }
}
