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
/// assert!(matches!(e, TaxonomyError::Shape(_)));
/// assert!(e.to_string().starts_with("invalid shape: "));
/// let nan = LogBlock::new(&[f64::NAN], 1, 1).unwrap_err();
/// assert!(matches!(nan, Error::Taxonomy(TaxonomyError::Scores(_))));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum TaxonomyError {
    /// A mask, score matrix or sample that is too small, empty or of inconsistent shape.
    Shape(String),
    /// Scores that are not finite, or a block with no positive score to take logarithms of.
    Scores(String),
}

impl fmt::Display for TaxonomyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaxonomyError::Shape(m) => write!(f, "invalid shape: {m}"),
            TaxonomyError::Scores(m) => write!(f, "invalid scores: {m}"),
        }
    }
}

impl std::error::Error for TaxonomyError {}
