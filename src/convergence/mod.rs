//! Convergence (CONV): the Factorised Saliency Model, its limit graphon, masks at scale and
//! Figure 1. Claims CONV-* (`theory/convergence.md`).
//!
//! Scores `S_ij = φ_i ψ_j |ξ_ij|` with row profile φ (hidden neurons, u = position), column
//! profile ψ (inputs, v), i.i.d. edge noise ξ; a mask keeps the top `k = round(ρ n d)` scores.
//! The limit graphon is `W(u, v) = P(|ξ| > τ* / (φ(u) ψ(v)))` where τ* solves `∫∫ W = ρ`.

pub mod claims_limit;
pub mod claims_noise;
pub mod figure1;
pub mod limit;
pub mod mask;
pub mod noise;
pub mod profile;

use crate::claims::Claim;
use std::fmt;

/// The convergence claims, CONV-1 to CONV-5.
pub fn claims() -> Vec<Claim> {
    let mut all = claims_limit::claims();
    all.extend(claims_noise::claims());
    all
}

/// Invalid input to the convergence module.
#[derive(Clone, Debug, PartialEq)]
pub enum ConvergenceError {
    /// A profile or noise spec that does not parse: the spec and why.
    Spec(String),
    /// A profile that is negative, decreasing, non-finite or zero everywhere.
    Profile(String),
    /// A density outside (0, 1), or above the fraction of positive profile products, so that no
    /// threshold τ* exists.
    Density(String),
    /// A width or grid size of zero, or a mask too large for the request.
    Size(String),
}

impl fmt::Display for ConvergenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConvergenceError::Spec(m) => write!(f, "invalid spec {m}"),
            ConvergenceError::Profile(m) => write!(f, "invalid profile: {m}"),
            ConvergenceError::Density(m) => write!(f, "invalid density: {m}"),
            ConvergenceError::Size(m) => write!(f, "invalid size: {m}"),
        }
    }
}

impl std::error::Error for ConvergenceError {}
