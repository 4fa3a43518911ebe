//! The normal tail and quantile in f64 (placeholder: being written).
use crate::claims::Claim;
use std::fmt;

/// Invalid input to a normal-law function.
#[derive(Clone, Debug, PartialEq)]
pub enum NormalError {
    /// An argument outside its domain.
    Domain(&'static str, f64),
}

impl fmt::Display for NormalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NormalError::Domain(what, x) => write!(f, "{x} is outside the domain: {what}"),
        }
    }
}

impl std::error::Error for NormalError {}

/// Claims of this file.
pub fn claims() -> Vec<Claim> {
    Vec::new()
}
