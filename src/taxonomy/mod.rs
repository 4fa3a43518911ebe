//! Taxonomy (TAX): which pruning criteria converge to homogeneous (constant) graphons and which to
//! heterogeneous ones, implicit feature selection, and where the Factorised Saliency Model holds.
//! Claims TAX-* (`theory/taxonomy.md`).
//!
//! ```
//! use pai_graphon::mask::top_k_mask;
//! use pai_graphon::taxonomy::stats::mask_stats;
//! use num_rational::BigRational;
//! // Two full rows out of four: ρ = 1/2 but t(C4) = 1/4, so t(C4) − ρ⁴ = 3/16 > 0.
//! let scores: Vec<f64> = (0..16).map(|x| if x < 8 { 1.0 } else { 0.0 }).collect();
//! let stats = mask_stats(&top_k_mask(4, 4, &scores, 8).unwrap());
//! assert_eq!(stats.heterogeneity, BigRational::new(3.into(), 16.into()));
//! // The full mask is the constant graphon 1: no heterogeneity.
//! let full = mask_stats(&top_k_mask(4, 4, &[1.0; 16], 16).unwrap());
//! assert_eq!(full.heterogeneity_f64, 0.0);
//! ```

pub mod fsm;
pub mod stats;
pub mod summary;
pub mod synflow;

use std::fmt;

/// Invalid input to the taxonomy statistics.
///
/// ```
/// use pai_graphon::taxonomy::{fsm::LogBlock, synflow::synflow_limit, TaxonomyError};
/// use pai_graphon::Error;
/// let e = synflow_limit(0.2, 1).unwrap_err(); // fewer than 2 quadrature cells
/// assert_eq!(e, TaxonomyError::QuadratureCells { cells: 1 });
/// assert!(e.to_string().starts_with("invalid shape: "));
/// let nan = LogBlock::new(&[f64::NAN], 1, 1).unwrap_err();
/// assert!(matches!(nan, Error::Taxonomy(TaxonomyError::NonFinite { what: "score", .. })));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum TaxonomyError {
    /// `len` scores do not form an `n × d` matrix.
    ScoreCount {
        /// Number of scores given.
        len: usize,
        /// Rows.
        n: usize,
        /// Columns.
        d: usize,
    },
    /// A score or contrast that is not finite.
    NonFinite {
        /// `"score"` or `"contrast"`.
        what: &'static str,
        /// The value.
        value: f64,
    },
    /// A block too small or too sparse to leave a residual degree of freedom.
    NoResidualDf {
        /// Rows of the block.
        rows: usize,
        /// Columns of the block.
        cols: usize,
        /// Non-zero entries.
        used: usize,
    },
    /// More kept entries than an `n × d` mask has (or an empty mask).
    KeptCount {
        /// Kept entries.
        kept: u64,
        /// Rows.
        n: usize,
        /// Columns.
        d: usize,
    },
    /// A heterogeneity bound needs at least 2 rows.
    TooFewRows {
        /// Rows given.
        rows: usize,
    },
    /// Two masks of different shapes.
    MaskShapes {
        /// Shape (rows, cols) of the first mask.
        first: (usize, usize),
        /// Shape (rows, cols) of the second mask.
        second: (usize, usize),
    },
    /// A density outside (0, 1).
    Density {
        /// The density given.
        rho: f64,
    },
    /// Block counts that do not fit the mask.
    Blocks {
        /// Block rows requested.
        row_blocks: usize,
        /// Block columns requested.
        col_blocks: usize,
        /// Rows of the mask.
        rows: usize,
        /// Columns of the mask.
        cols: usize,
    },
    /// Output weights that are empty or not all finite.
    OutputWeights,
    /// Too many zero output weights to keep the fraction `rho`.
    ZeroOutputWeights {
        /// The density asked for.
        rho: f64,
    },
    /// Fewer than 2 quadrature cells.
    QuadratureCells {
        /// Cells given.
        cells: usize,
    },
    /// A synthetic data set without coordinate blocks.
    NoBlocks,
}

impl fmt::Display for TaxonomyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaxonomyError::ScoreCount { len, n, d } => {
                write!(f, "invalid shape: {len} scores do not form a {n} × {d} matrix")
            }
            TaxonomyError::NonFinite { what, value } => {
                write!(f, "invalid scores: {what} {value} is not finite")
            }
            TaxonomyError::NoResidualDf { rows, cols, used } => write!(
                f,
                "invalid shape: a {rows} × {cols} block with {used} non-zero entries leaves no \
                 residual degree of freedom"
            ),
            TaxonomyError::KeptCount { kept, n, d } => {
                write!(f, "invalid shape: {kept} kept entries do not fit a {n} × {d} mask")
            }
            TaxonomyError::TooFewRows { rows } => write!(
                f,
                "invalid shape: a heterogeneity bound needs n ≥ 2 rows, got {rows}"
            ),
            TaxonomyError::MaskShapes { first, second } => write!(
                f,
                "invalid shape: masks of shapes {} × {} and {} × {} differ",
                first.0, first.1, second.0, second.1
            ),
            TaxonomyError::Density { rho } => {
                write!(f, "invalid shape: density {rho} must lie in (0, 1)")
            }
            TaxonomyError::Blocks {
                row_blocks,
                col_blocks,
                rows,
                cols,
            } => write!(
                f,
                "invalid shape: {row_blocks} × {col_blocks} blocks do not fit a {rows} × {cols} mask"
            ),
            TaxonomyError::OutputWeights => write!(
                f,
                "invalid shape: the output weights must be a non-empty list of finite numbers"
            ),
            TaxonomyError::ZeroOutputWeights { rho } => write!(
                f,
                "invalid shape: too many zero output weights to keep a fraction {rho}"
            ),
            TaxonomyError::QuadratureCells { .. } => {
                write!(f, "invalid shape: at least 2 quadrature cells")
            }
            TaxonomyError::NoBlocks => {
                write!(f, "invalid shape: the synthetic set has no coordinate blocks")
            }
        }
    }
}

impl std::error::Error for TaxonomyError {}
