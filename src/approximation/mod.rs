//! Universal approximation on the active coordinate subspace (UAT): sparse one-hidden-layer
//! networks whose first-layer masks are drawn from a graphon, the count of neurons wired to all
//! active coordinates with its Chernoff bound ([`wiring`]), a constructive approximation by
//! random features on the kept edges with a ridge-fitted output layer, and targets with exact
//! error floors ([`fit`]). Claims UAT-* (`theory/approximation.md`).

pub mod claims_fit;
pub mod fit;
pub mod wiring;

use crate::claims::Claim;
use std::fmt;

/// The UAT claims, in id order.
pub fn claims() -> Vec<Claim> {
    let mut all = wiring::claims();
    all.extend(claims_fit::claims());
    all
}

/// Invalid input to the approximation module.
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
