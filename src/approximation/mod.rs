//! Universal approximation on the active coordinate subspace (UAT): sparse one-hidden-layer
//! networks whose first-layer masks are drawn from a graphon, the count of neurons wired to all
//! active coordinates with its Chernoff bound ([`wiring`]), a constructive approximation by
//! random features on the kept edges with a ridge-fitted output layer, and targets with exact
//! error floors ([`fit`]). Claims UAT-* (`theory/approximation.md`).
//!
//! ```
//! use pai_graphon::approximation::fit::{Reach, Target};
//! use pai_graphon::approximation::wiring::{sample_columns, wired_count, WiringGraphon};
//! use pai_graphon::seed::MasterSeed;
//! // W = 1 on band 0 (coordinates 0 and 1 of d = 16): every neuron is wired to both,
//! let g = WiringGraphon::Block { p: 1.0, bands: 1 };
//! let mask = sample_columns(&g, 5, 16, &[0, 1], MasterSeed::default(), "DOC").unwrap();
//! assert_eq!(wired_count(&mask, 2), 5);
//! // so the interaction x_0 x_1 is within reach: its error floor is 0.
//! assert_eq!(Target::Product(0, 1).floor(&Reach::Joint(vec![0, 1])), 0.0);
//! ```

pub mod fit;
pub mod wiring;

use std::fmt;

/// Invalid input to the approximation module.
///
/// ```
/// use pai_graphon::approximation::{wiring::band_coordinate, UatError};
/// let e = band_coordinate(0, 12).unwrap_err(); // d must be a multiple of 8
/// assert!(matches!(e, UatError::Size(_)));
/// assert!(e.to_string().starts_with("invalid size"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum UatError {
    /// A graphon, target or coordinate set that is not valid.
    Spec(String),
    /// A width, dimension or sample count out of range.
    Size(String),
}

impl fmt::Display for UatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UatError::Spec(m) => write!(f, "invalid approximation setting: {m}"),
            UatError::Size(m) => write!(f, "invalid size: {m}"),
        }
    }
}

impl std::error::Error for UatError {}
