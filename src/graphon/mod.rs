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
/// use pai_graphon::graphon::{step::StepGraphon, GraphonError, PartitionProblem};
/// assert_eq!(StepGraphon::<f64>::uniform(vec![]), Err(GraphonError::Empty));
/// let ragged = StepGraphon::uniform(vec![vec![1.0, 0.0], vec![1.0]]);
/// assert!(matches!(ragged, Err(GraphonError::Shape { .. })));
/// let nan = StepGraphon::uniform(vec![vec![f64::NAN]]);
/// assert!(matches!(nan, Err(GraphonError::NonFinite(x)) if x.is_nan()));
/// let above = StepGraphon::uniform(vec![vec![1.5]]);
/// assert!(matches!(above, Err(GraphonError::OutOfRange { row: 0, col: 0, value: 1.5 })));
/// let widths = StepGraphon::new(vec![0.5], vec![1.0], vec![vec![1.0]]);
/// let e = widths.unwrap_err(); // 0.5 does not sum to 1
/// assert!(matches!(e, GraphonError::Partition { side: "row", problem: PartitionProblem::Sum { total: 0.5 } }));
/// assert_eq!(e.to_string(), "invalid partition: row widths sum to 0.5, not 1");
/// let big = GraphonError::TooLarge { quantity: "random starts", size: 5000, max: 4096 };
/// assert_eq!(big.to_string(), "random starts 5000 exceeds the limit 4096");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum GraphonError {
    /// A matrix or partition with no rows or no columns.
    Empty,
    /// Shapes that do not fit together: how many of what were expected and given.
    Shape {
        /// What is counted, e.g. `"rows"`.
        what: &'static str,
        /// The count expected.
        expected: usize,
        /// The count given.
        found: usize,
    },
    /// A value that is NaN or infinite.
    NonFinite(f64),
    /// A partition whose cell widths are not positive or do not sum to 1.
    Partition {
        /// `"row"` or `"column"`.
        side: &'static str,
        /// What is wrong.
        problem: PartitionProblem,
    },
    /// A graphon value outside [0, 1] (rationals rounded to f64).
    OutOfRange {
        /// Its row.
        row: usize,
        /// Its column.
        col: usize,
        /// The value.
        value: f64,
    },
    /// An evaluation point outside [0, 1] (rationals rounded to f64).
    Point {
        /// `"u"` or `"v"`.
        name: &'static str,
        /// The point.
        value: f64,
    },
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
            GraphonError::Shape {
                what,
                expected,
                found,
            } => write!(
                f,
                "shape mismatch: expected {expected} {what}, found {found}"
            ),
            GraphonError::NonFinite(x) => write!(f, "non-finite value {x}"),
            GraphonError::Partition { side, problem } => {
                write!(f, "invalid partition: {side} {problem}")
            }
            GraphonError::OutOfRange { row, col, value } => {
                write!(f, "graphon value out of [0, 1]: W[{row}][{col}] = {value}")
            }
            GraphonError::Point { name, value } => {
                write!(f, "evaluation point {name} = {value} is not in [0, 1]")
            }
            GraphonError::TooLarge {
                quantity,
                size,
                max,
            } => write!(f, "{quantity} {size} exceeds the limit {max}"),
        }
    }
}

impl std::error::Error for GraphonError {}

/// What is wrong with a partition of [0, 1] into cells (rationals rounded to f64).
///
/// ```
/// use pai_graphon::graphon::{step::StepGraphon, GraphonError, PartitionProblem};
/// let e = StepGraphon::from_breakpoints(&[0.0, 0.5, 0.5, 1.0], &[0.0, 1.0], vec![vec![0.5]; 3]);
/// let e = e.unwrap_err();
/// assert!(matches!(e, GraphonError::Partition { problem: PartitionProblem::NotIncreasing { index: 1 }, .. }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PartitionProblem {
    /// Cell `index` has a width ≤ 0.
    Width {
        /// The cell.
        index: usize,
        /// Its width.
        width: f64,
    },
    /// The widths do not sum to 1.
    Sum {
        /// Their sum.
        total: f64,
    },
    /// Breakpoints that do not run from 0 to 1.
    Ends {
        /// The first breakpoint.
        first: f64,
        /// The last breakpoint.
        last: f64,
    },
    /// Breakpoints `index` and `index + 1` are not increasing.
    NotIncreasing {
        /// The first of the two.
        index: usize,
    },
    /// A breakpoint outside [0, 1].
    Outside {
        /// The breakpoint.
        value: f64,
    },
}

impl fmt::Display for PartitionProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartitionProblem::Width { index, width } => {
                write!(f, "width {index} is {width}, not positive")
            }
            PartitionProblem::Sum { total } => write!(f, "widths sum to {total}, not 1"),
            PartitionProblem::Ends { first, last } => {
                write!(f, "breakpoints run from {first} to {last}, not from 0 to 1")
            }
            PartitionProblem::NotIncreasing { index } => {
                write!(
                    f,
                    "breakpoints {index} and {} are not increasing",
                    index + 1
                )
            }
            PartitionProblem::Outside { value } => {
                write!(f, "breakpoint {value} is outside [0, 1]")
            }
        }
    }
}
