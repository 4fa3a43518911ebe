//! Taxonomy (TAX): which pruning criteria converge to homogeneous (constant) graphons and which to
//! heterogeneous ones, implicit feature selection, and where the Factorised Saliency Model holds.
//! Claims TAX-* (`theory/taxonomy.md`).

pub mod claims;
pub mod fsm;
pub mod stats;
pub mod synflow;

use crate::claims::Claim;
use std::fmt;

/// The taxonomy claims.
pub fn claims() -> Vec<Claim> {
    claims::claims()
}

/// Invalid input to the taxonomy statistics.
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
