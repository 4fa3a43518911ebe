//! Convergence (CONV): the Factorised Saliency Model, its limit graphon, masks at scale and
//! Figure 1. Claims CONV-* (`theory/convergence.md`).
//!
//! Scores `S_ij = φ_i ψ_j |ξ_ij|` with row profile φ (hidden neurons, u = position), column
//! profile ψ (inputs, v), i.i.d. edge noise ξ; a mask keeps the top `k = round(ρ n d)` scores.
//! The limit graphon is `W(u, v) = P(|ξ| > τ* / (φ(u) ψ(v)))` where τ* solves `∫∫ W = ρ`.
//!
//! ```
//! use pai_graphon::params::Density;
//! use pai_graphon::convergence::limit::Fsm;
//! use pai_graphon::convergence::sampler::{sample_mask_for, MaskSpec};
//! use pai_graphon::seed::MasterSeed;
//! let fsm = Fsm::figure1();
//! let spec = MaskSpec::new(64, 64, Density::constant(0.2), &fsm.row, &fsm.col).unwrap();
//! let mask = sample_mask_for(&spec, &fsm.noise, MasterSeed::default(), "DOC", None).unwrap();
//! assert_eq!(mask.kept(), 819); // round(0.2 · 64 · 64)
//! // W increases in u, and so do the sampled row degrees.
//! let w = fsm.limit_graphon(pai_graphon::params::Density::constant(0.2)).unwrap();
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
/// assert!(matches!(Profile::parse("exp"), Err(ConvergenceError::Spec { .. })));
/// // Half of the rows have φ = 0: no threshold keeps half of the entries.
/// let half = Fsm::parse("step:0.5;0,1", "exp:1", "gaussian:1").unwrap();
/// let e = half.tau_star(pai_graphon::params::Density::constant(0.5)).unwrap_err();
/// assert!(matches!(e, ConvergenceError::NoThreshold { rho: 0.5, .. }));
/// assert!(e.to_string().starts_with("invalid density"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum ConvergenceError {
    /// A profile, noise or FSM spec that does not parse: the spec as typed and why.
    Spec {
        /// The spec as given (the user's text, not a message).
        spec: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A profile value that is negative, non-finite or overflows: which value and why.
    Profile {
        /// The value's role, e.g. `"constant"` or `"exp rate"`.
        what: &'static str,
        /// The value.
        value: f64,
        /// What it must be.
        why: &'static str,
    },
    /// A profile whose shape is wrong: breakpoints or levels out of order, no values, zero
    /// everywhere.
    ProfileShape(&'static str),
    /// A density or threshold outside its range.
    Density {
        /// The parameter, e.g. `"ρ"` or `"the threshold τ"`.
        what: &'static str,
        /// The value given.
        value: f64,
        /// What it must be.
        why: &'static str,
    },
    /// A density at least the measure of `{φψ > 0}`, so that no threshold τ* exists.
    NoThreshold {
        /// The density.
        rho: f64,
        /// The measure of `{φψ > 0}`.
        measure: f64,
    },
    /// A threshold window that is not an interval of [0, ∞].
    Window {
        /// Its lower end.
        lo: f64,
        /// Its upper end.
        hi: f64,
    },
    /// A count (width, grid size, row index) out of range.
    Size {
        /// The parameter, e.g. `"width"`.
        what: &'static str,
        /// Its value.
        value: usize,
        /// What it must be.
        why: &'static str,
    },
    /// A count outside its allowed range `min..=max`.
    Range {
        /// The parameter, e.g. `"quadrature nodes"`.
        what: &'static str,
        /// Its value.
        value: usize,
        /// The smallest allowed value.
        min: usize,
        /// The largest allowed value.
        max: usize,
    },
    /// A position (u or v) outside [0, 1].
    Position {
        /// Its name.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// The noise law produced a score that is not finite and non-negative.
    Score {
        /// The score.
        score: f64,
    },
    /// A mask that cannot be made ([`crate::mask`]).
    Mask(crate::mask::MaskError),
    /// A concentration bound (`tol`) refused its arguments.
    Tol(crate::tol::TolError),
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

/// A refused mask keeps its fields; a kept count of 0 is a density error.
///
/// ```
/// use pai_graphon::convergence::ConvergenceError;
/// use pai_graphon::mask::{kept_count, MaskError};
/// let e: ConvergenceError = kept_count(10, 10, pai_graphon::params::Density::new(1e-9).unwrap())
///     .unwrap_err()
///     .into();
/// assert!(matches!(e, ConvergenceError::Mask(MaskError::KeepsNothing { rows: 10, .. })));
/// assert_eq!(e.to_string(), "invalid density: density 0.000000001 keeps no entry of a 10 × 10 mask");
/// ```
impl From<crate::mask::MaskError> for ConvergenceError {
    fn from(e: crate::mask::MaskError) -> Self {
        ConvergenceError::Mask(e)
    }
}

/// A refused concentration bound keeps its fields.
///
/// ```
/// use pai_graphon::convergence::ConvergenceError;
/// use pai_graphon::tol::{hoeffding, Tail};
/// let e: ConvergenceError = hoeffding(10, 1.0, 2.0, Tail::One).unwrap_err().into();
/// assert!(matches!(e, ConvergenceError::Tol(_)));
/// ```
impl From<crate::tol::TolError> for ConvergenceError {
    fn from(e: crate::tol::TolError) -> Self {
        ConvergenceError::Tol(e)
    }
}

impl fmt::Display for ConvergenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConvergenceError::Spec { spec, why } => write!(f, "invalid spec {spec:?}: {why}"),
            ConvergenceError::Profile { what, value, why } => {
                write!(f, "invalid profile: {what} {value} {why}")
            }
            ConvergenceError::ProfileShape(why) => write!(f, "invalid profile: {why}"),
            ConvergenceError::Density { what, value, why } => {
                write!(f, "invalid density: {what} = {value} {why}")
            }
            ConvergenceError::NoThreshold { rho, measure: m } => write!(
                f,
                "invalid density: no τ* exists: ρ = {rho} is at least the measure {m} of {{φψ > 0}}, and g(τ) < {m} for every τ > 0"
            ),
            ConvergenceError::Window { lo, hi } => write!(
                f,
                "invalid density: threshold window [{lo}, {hi}] is not an interval of [0, ∞]"
            ),
            ConvergenceError::Fraction(e) => write!(f, "invalid density: {e}"),
            ConvergenceError::Size { what, value, why } => {
                write!(f, "invalid size: {what} = {value} {why}")
            }
            ConvergenceError::Range {
                what,
                value,
                min,
                max,
            } => write!(f, "invalid size: {what} = {value} must lie in {min}..={max}"),
            ConvergenceError::Position { name, value } => {
                write!(f, "invalid size: position {name} = {value} lies outside [0, 1]")
            }
            ConvergenceError::Score { score } => write!(
                f,
                "invalid spec: the noise law produced a score {score} that is not finite and non-negative"
            ),
            ConvergenceError::Mask(e) if e.is_density() => write!(f, "invalid density: {e}"),
            ConvergenceError::Mask(e) => write!(f, "invalid size: {e}"),
            ConvergenceError::Tol(e) => write!(f, "invalid density: window failure probability: {e}"),
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
