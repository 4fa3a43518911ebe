//! Statistics: the Kolmogorov distribution (exact rational and f64) and Kolmogorov–Smirnov
//! statistics. Claims TOOL-1, TOOL-2, TOOL-3 (`theory/toolbox.md`).
//!
//! ```
//! use pai_graphon::stats::{kolmogorov, ks};
//! // A KS test's p-value is the Kolmogorov tail at its statistic.
//! let t = ks::ks_test(&[0.1, 0.4, 0.45, 0.8, 0.9], |x| x).unwrap();
//! assert_eq!(t.p_value, kolmogorov::sf(5, t.statistic).unwrap());
//! ```

pub mod kolmogorov;
pub mod ks;

use std::fmt;

/// Invalid input to a statistics function.
///
/// ```
/// use pai_graphon::stats::{kolmogorov, ks::ks_statistic, StatsError};
/// assert_eq!(ks_statistic(&[], |x| x), Err(StatsError::EmptySample));
/// assert!(matches!(ks_statistic(&[f64::NAN], |x| x), Err(StatsError::NonFinite(x)) if x.is_nan()));
/// assert!(matches!(ks_statistic(&[0.5], |_| 2.0), Err(StatsError::Domain(_, _)))); // not a CDF
/// assert_eq!(kolmogorov::sf(0, 0.1), Err(StatsError::EmptySample));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum StatsError {
    /// A sample size of zero.
    EmptySample,
    /// A sample value or distance that is NaN or infinite.
    NonFinite(f64),
    /// An argument outside its domain, with what the domain is.
    Domain(&'static str, f64),
}

impl fmt::Display for StatsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatsError::EmptySample => write!(f, "the sample is empty"),
            StatsError::NonFinite(x) => write!(f, "non-finite value {x} in the input"),
            StatsError::Domain(what, x) => write!(f, "{x} is outside the domain: {what}"),
        }
    }
}

impl std::error::Error for StatsError {}
