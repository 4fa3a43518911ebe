//! Convergence (CONV): the Factorised Saliency Model, its limit graphon, masks at scale and
//! Figure 1. Claims CONV-* (`theory/convergence.md`).
//!
//! Scores `S_ij = φ_i ψ_j |ξ_ij|` with row profile φ (hidden neurons, u = position), column
//! profile ψ (inputs, v), i.i.d. edge noise ξ; a mask keeps the top `k = round(ρ n d)` scores.
//! The limit graphon is `W(u, v) = P(|ξ| > τ* / (φ(u) ψ(v)))` where τ* solves `∫∫ W = ρ`.
//!
//! ```
//! use pai_graphon::convergence::limit::Fsm;
//! use pai_graphon::convergence::sampler::{sample_mask_for, MaskSpec};
//! use pai_graphon::seed::MasterSeed;
//! let fsm = Fsm::figure1();
//! let spec = MaskSpec::new(64, 64, 0.2, &fsm.row, &fsm.col).unwrap();
//! let mask = sample_mask_for(&spec, &fsm.noise, MasterSeed::default(), "DOC", None).unwrap();
//! assert_eq!(mask.kept(), 819); // round(0.2 · 64 · 64)
//! // W increases in u, and so do the sampled row degrees.
//! let w = fsm.limit_graphon(0.2).unwrap();
//! assert!(w.w(0.1, 0.5) < w.w(0.9, 0.5));
//! let deg = mask.row_degrees();
//! assert!(deg[..8].iter().sum::<u32>() < deg[56..].iter().sum::<u32>());
//! ```

pub mod figure1;
pub(crate) mod inversion;
pub mod limit;
pub mod noise;
pub mod profile;
pub mod sampler;

use std::fmt;

/// Invalid input to the convergence module.
///
/// ```
/// use pai_graphon::convergence::{limit::Fsm, profile::Profile, ConvergenceError};
/// assert!(matches!(Profile::parse("exp"), Err(ConvergenceError::Spec(_))));
/// let e = Fsm::figure1().tau_star(1.5).unwrap_err();
/// assert!(matches!(e, ConvergenceError::Density(_)));
/// assert!(e.to_string().starts_with("invalid density"));
/// ```
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
    /// A parameter outside the certified domain of the limit-graphon routines (see
    /// `theory/convergence.md`, "Domain"): which parameter, its value and the allowed range.
    Domain {
        /// The parameter, e.g. `"exp rate"` or `"density ρ"`.
        what: &'static str,
        /// The value given.
        value: f64,
        /// The smallest allowed value.
        min: f64,
        /// The largest allowed value.
        max: f64,
    },
    /// A density outside (0, 1), refused by [`crate::params::Density`].
    Fraction(crate::params::FractionError),
    /// A size above its documented maximum, refused before allocating.
    TooLarge {
        /// The parameter, e.g. `"grid cells per axis"`.
        what: &'static str,
        /// The size asked for.
        requested: usize,
        /// The largest size allowed.
        max: usize,
        /// Why the maximum is what it is.
        why: &'static str,
    },
    /// A certified computation reached its iteration limit or met a non-finite value: a
    /// refusal, never a wrong enclosure.
    NotCertified {
        /// The quantity, e.g. `"τ*"`.
        what: &'static str,
        /// Why it could not be certified (the limit reached).
        reason: &'static str,
    },
}

/// A refused density keeps its fields.
///
/// ```
/// use pai_graphon::convergence::ConvergenceError;
/// use pai_graphon::params::Density;
/// let e: ConvergenceError = Density::new(2.0).unwrap_err().into();
/// assert_eq!(e.to_string(), "invalid density: density 2 must lie in (0, 1)");
/// ```
impl From<crate::params::FractionError> for ConvergenceError {
    fn from(e: crate::params::FractionError) -> Self {
        ConvergenceError::Fraction(e)
    }
}

impl fmt::Display for ConvergenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConvergenceError::Spec(m) => write!(f, "invalid spec {m}"),
            ConvergenceError::Profile(m) => write!(f, "invalid profile: {m}"),
            ConvergenceError::Density(m) => write!(f, "invalid density: {m}"),
            ConvergenceError::Fraction(e) => write!(f, "invalid density: {e}"),
            ConvergenceError::Size(m) => write!(f, "invalid size: {m}"),
            ConvergenceError::Domain {
                what,
                value,
                min,
                max,
            } => write!(
                f,
                "outside the certified domain: {what} = {value:e} must lie in [{min:e}, {max:e}] (theory/convergence.md, Domain)"
            ),
            ConvergenceError::TooLarge {
                what,
                requested,
                max,
                why,
            } => write!(f, "too large: {what} = {requested} exceeds {max} ({why})"),
            ConvergenceError::NotCertified { what, reason } => {
                write!(f, "{what} not certified: {reason}")
            }
        }
    }
}

impl std::error::Error for ConvergenceError {}
