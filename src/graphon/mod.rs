//! Bipartite graphons: step graphons over f64 and over exact rationals, and certified cut-norm
//! intervals of matrices. Claims TOOL-4, TOOL-5, TOOL-6 (`theory/toolbox.md`).

pub mod cutnorm;
pub mod step;

use crate::claims::Claim;
use std::fmt;

/// A malformed graphon or matrix.
#[derive(Clone, Debug, PartialEq)]
pub enum GraphonError {
    /// A matrix or partition with no rows or no columns.
    Empty,
    /// Shapes that do not fit together: what was expected and what was given.
    Shape {
        /// What the shape should be.
        expected: String,
        /// What it was.
        found: String,
    },
    /// A value that is NaN or infinite.
    NonFinite(f64),
    /// A partition whose cell widths are not positive or do not sum to 1.
    Partition(String),
    /// A graphon value outside [0, 1].
    OutOfRange(String),
}

impl fmt::Display for GraphonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GraphonError::Empty => write!(f, "empty matrix or partition"),
            GraphonError::Shape { expected, found } => {
                write!(f, "shape mismatch: expected {expected}, found {found}")
            }
            GraphonError::NonFinite(x) => write!(f, "non-finite value {x}"),
            GraphonError::Partition(why) => write!(f, "invalid partition: {why}"),
            GraphonError::OutOfRange(why) => write!(f, "graphon value out of [0, 1]: {why}"),
        }
    }
}

impl std::error::Error for GraphonError {}

/// The graphon claims.
pub fn claims() -> Vec<Claim> {
    let mut all = step::claims();
    all.extend(cutnorm::claims());
    all
}
