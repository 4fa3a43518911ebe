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

pub mod curves;
pub mod fit;
pub mod wiring;

use std::fmt;

/// Invalid input to the approximation module.
///
/// ```
/// use pai_graphon::approximation::{wiring::band_coordinate, UatError};
/// let e = band_coordinate(0, 12).unwrap_err(); // d must be a multiple of 8
/// assert!(matches!(e, UatError::Band { r: 0, d: 12, .. }));
/// assert!(e.to_string().starts_with("invalid size"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum UatError {
    /// A wiring probability outside (0, 1].
    Probability {
        /// The parameter, `"p"` or `"q"`.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// A block graphon's number of active bands outside 1..=`max`.
    Bands {
        /// The bands asked for.
        bands: usize,
        /// The number of bands.
        max: usize,
    },
    /// A target whose coordinates are not distinct or not below d.
    Coordinates {
        /// The target's number of coordinates.
        count: usize,
        /// The input dimension.
        d: usize,
    },
    /// A band index or a dimension that does not fit the band layout.
    Band {
        /// The band.
        r: usize,
        /// The input dimension.
        d: usize,
        /// The number of bands.
        bands: usize,
    },
    /// A width, dimension, column or sample count out of range.
    Size {
        /// The parameter, e.g. `"samples"`.
        what: &'static str,
        /// Its value.
        value: usize,
        /// What it must be.
        why: &'static str,
    },
}

impl fmt::Display for UatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UatError::Probability { name, value } => write!(
                f,
                "invalid approximation setting: {name} = {value} must lie in (0, 1]"
            ),
            UatError::Bands { bands, max } => write!(
                f,
                "invalid approximation setting: {bands} active bands: need 1 to {max}"
            ),
            UatError::Coordinates { count, d } => write!(
                f,
                "invalid approximation setting: a target's {count} coordinates must be distinct and below d = {d}"
            ),
            UatError::Band { r, d, bands } => write!(
                f,
                "invalid size: band {r} at d = {d}: d must be a positive multiple of {bands}, r < {bands}"
            ),
            UatError::Size { what, value, why } => {
                write!(f, "invalid size: {what} = {value} {why}")
            }
        }
    }
}

impl std::error::Error for UatError {}
