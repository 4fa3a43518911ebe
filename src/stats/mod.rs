//! Statistics: the Kolmogorov distribution (exact rational and f64) and Kolmogorov–Smirnov
//! statistics. Claims TOOL-1, TOOL-2, TOOL-3 (`theory/toolbox.md`).

pub mod kolmogorov;
pub mod ks;

use crate::claims::Claim;
use std::fmt;

/// Invalid input to a statistics function.
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

/// The statistics claims.
pub fn claims() -> Vec<Claim> {
    let mut all = kolmogorov::claims();
    all.extend(ks::claims());
    all
}
