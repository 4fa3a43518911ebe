//! Bipartite graphons: step graphons over f64 and over exact rationals, and certified cut-norm
//! intervals of matrices. Claims TOOL-4, TOOL-5, TOOL-6 (`theory/toolbox.md`).
//!
//! ```
//! use faer::Mat;
//! use pai_graphon::graphon::{cutnorm::cut_norm_exact, step::StepGraphon};
//! // The identity pattern has density 1/2; its cut distance from the constant 1/2 is one cell's
//! // deviation, 1/2, over the 4 cells.
//! let g = StepGraphon::uniform(vec![vec![1.0, 0.0], vec![0.0, 1.0]]).unwrap();
//! let centred = Mat::from_fn(2, 2, |i, j| g.value(i, j).unwrap() - g.density());
//! assert_eq!(cut_norm_exact(centred.as_ref()).unwrap(), 0.125);
//! ```

pub mod cutnorm;
pub mod step;

use std::fmt;

/// A malformed graphon or matrix.
///
/// ```
/// use pai_graphon::graphon::{step::StepGraphon, GraphonError};
/// assert_eq!(StepGraphon::<f64>::uniform(vec![]), Err(GraphonError::Empty));
/// let ragged = StepGraphon::uniform(vec![vec![1.0, 0.0], vec![1.0]]);
/// assert!(matches!(ragged, Err(GraphonError::Shape { .. })));
/// let nan = StepGraphon::uniform(vec![vec![f64::NAN]]);
/// assert!(matches!(nan, Err(GraphonError::NonFinite(x)) if x.is_nan()));
/// let above = StepGraphon::uniform(vec![vec![1.5]]);
/// assert!(matches!(above, Err(GraphonError::OutOfRange(_))));
/// let widths = StepGraphon::new(vec![0.5], vec![1.0], vec![vec![1.0]]);
/// assert!(matches!(widths, Err(GraphonError::Partition(_)))); // 0.5 does not sum to 1
/// let big = GraphonError::TooLarge { quantity: "random starts", size: 5000, max: 4096 };
/// assert_eq!(big.to_string(), "random starts 5000 exceeds the limit 4096");
/// ```
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
    /// A work parameter beyond its documented limit (refused before allocating).
    TooLarge {
        /// Which parameter.
        quantity: &'static str,
        /// Its value.
        size: usize,
        /// The largest value accepted.
        max: usize,
    },
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
            GraphonError::TooLarge {
                quantity,
                size,
                max,
            } => write!(f, "{quantity} {size} exceeds the limit {max}"),
        }
    }
}

impl std::error::Error for GraphonError {}
