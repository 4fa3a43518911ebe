//! The grammars of `check --against` and `ntk --graphon`, parsed once into types (issue #19):
//! the command line hands the binary an [`AgainstSpec`] or a [`GraphonSpec`], and no command
//! reads the text again.
//!
//! - `--against`: `constant` (W ≡ ρ), `fsm:ROW;COL[;NOISE]` (an FSM limit graphon) or
//!   `method:NAME` (the limit of a pruning method, estimated from reference networks).
//! - `--graphon`: `constant`, `snip[:POWER]` (column profile |cov(x_j, y)|^POWER) or
//!   `fsm:ROW;COL[;NOISE]`.
//!
//! ```
//! use pai_graphon::limit_spec::{AgainstSpec, GraphonSpec, Limit};
//! let a: AgainstSpec = "fsm:exp:3;exp:3".parse().unwrap();
//! assert!(matches!(a.limit, Limit::Fsm(_)));
//! let g: GraphonSpec = "snip:2".parse().unwrap();
//! assert_eq!(g.limit, Limit::Snip { power: 2.0 });
//! assert!("snip".parse::<AgainstSpec>().is_err()); // not a form of --against
//! ```

use crate::convergence::limit::Fsm;
use crate::convergence::ConvergenceError;
use crate::net::criteria::Method;
use crate::net::NetError;
use crate::ntk::kernel::KernelGraphon;
use crate::ntk::reality::snip_type_graphon;
use std::fmt;
use std::str::FromStr;

/// What a spec names.
///
/// ```
/// use pai_graphon::limit_spec::{GraphonSpec, Limit};
/// assert_eq!("constant".parse::<GraphonSpec>().unwrap().limit, Limit::Constant);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Limit {
    /// The constant graphon W ≡ ρ.
    Constant,
    /// The limit graphon of a Factorised Saliency Model.
    Fsm(Fsm),
    /// The SNIP-type graphon with column profile |cov(x_j, y)|^power.
    Snip {
        /// The exponent (its range is checked where the graphon is built).
        power: f64,
    },
    /// The limit of a pruning method's masks.
    Method(Method),
}

/// Why a spec was refused.
///
/// ```
/// use pai_graphon::limit_spec::{AgainstSpec, LimitSpecError};
/// let e = "gaussian".parse::<AgainstSpec>().unwrap_err();
/// assert_eq!(e, LimitSpecError::Unknown { flag: "--against", text: "gaussian".into() });
/// assert!(e.to_string().starts_with("unknown limit \"gaussian\""));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum LimitSpecError {
    /// Not one of the flag's forms.
    Unknown {
        /// `--against` or `--graphon`.
        flag: &'static str,
        /// The text given.
        text: String,
    },
    /// An `fsm:` spec that does not parse.
    Fsm(ConvergenceError),
    /// A `method:` name that does not parse.
    Method(NetError),
    /// A `snip:` power that is not a number.
    SnipPower {
        /// The text after `snip:`.
        text: String,
    },
}

impl fmt::Display for LimitSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitSpecError::Unknown {
                flag: "--against",
                text,
            } => write!(
                f,
                "unknown limit {text:?}: use constant, fsm:ROW;COL[;NOISE] or method:NAME"
            ),
            LimitSpecError::Unknown { text, .. } => write!(
                f,
                "unknown graphon {text:?}: use constant, snip[:POWER] or fsm:ROW;COL[;NOISE]"
            ),
            LimitSpecError::Fsm(e) => e.fmt(f),
            LimitSpecError::Method(e) => e.fmt(f),
            LimitSpecError::SnipPower { text } => {
                write!(f, "snip power {text:?} is not a number")
            }
        }
    }
}

impl std::error::Error for LimitSpecError {}

/// A parsed spec and the text it came from (reports print the text as given).
///
/// ```
/// use pai_graphon::limit_spec::AgainstSpec;
/// let a: AgainstSpec = "method:magnitude".parse().unwrap();
/// assert_eq!(a.text, "method:magnitude");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct AgainstSpec {
    /// The text given.
    pub text: String,
    /// What it names: [`Limit::Constant`], [`Limit::Fsm`] or [`Limit::Method`].
    pub limit: Limit,
}

impl FromStr for AgainstSpec {
    type Err = LimitSpecError;

    /// `constant`, `fsm:ROW;COL[;NOISE]` or `method:NAME`.
    ///
    /// ```
    /// use pai_graphon::limit_spec::{AgainstSpec, Limit};
    /// use pai_graphon::net::criteria::Method;
    /// let a: AgainstSpec = "method:random".parse().unwrap();
    /// assert_eq!(a.limit, Limit::Method(Method::Random));
    /// assert!("fsm:exp:3".parse::<AgainstSpec>().unwrap_err().to_string().contains("ROW;COL"));
    /// ```
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let limit = match parse(text)? {
            Some(l @ (Limit::Constant | Limit::Fsm(_) | Limit::Method(_))) => l,
            _ => {
                return Err(LimitSpecError::Unknown {
                    flag: "--against",
                    text: text.to_string(),
                })
            }
        };
        Ok(AgainstSpec {
            text: text.to_string(),
            limit,
        })
    }
}

/// A parsed `--graphon` spec and its text.
///
/// ```
/// use pai_graphon::limit_spec::{GraphonSpec, Limit};
/// let g: GraphonSpec = "snip".parse().unwrap();
/// assert_eq!((g.text.as_str(), g.limit), ("snip", Limit::Snip { power: 1.0 }));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct GraphonSpec {
    /// The text given.
    pub text: String,
    /// What it names: [`Limit::Constant`], [`Limit::Snip`] or [`Limit::Fsm`].
    pub limit: Limit,
}

impl FromStr for GraphonSpec {
    type Err = LimitSpecError;

    /// `constant`, `snip[:POWER]` or `fsm:ROW;COL[;NOISE]`.
    ///
    /// ```
    /// use pai_graphon::limit_spec::GraphonSpec;
    /// assert!("fancy".parse::<GraphonSpec>().unwrap_err().to_string().contains("fancy"));
    /// assert!("method:random".parse::<GraphonSpec>().is_err());
    /// assert!("snip:x".parse::<GraphonSpec>().is_err());
    /// ```
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let limit = match parse(text)? {
            Some(l @ (Limit::Constant | Limit::Fsm(_) | Limit::Snip { .. })) => l,
            _ => {
                return Err(LimitSpecError::Unknown {
                    flag: "--graphon",
                    text: text.to_string(),
                })
            }
        };
        Ok(GraphonSpec {
            text: text.to_string(),
            limit,
        })
    }
}

impl GraphonSpec {
    /// The kernel graphon the spec names at density ρ, for the inputs `x` (unit rows) and labels
    /// `y` (the SNIP type's column profile is `|cov(x_j, y)|^POWER`). An FSM limit graphon is
    /// integrated over u by Gauss–Legendre with `nodes` nodes and the Markov–Stieltjes bound,
    /// which needs W monotone in u: every profile kind is monotone (affine, power, exp; step
    /// levels are validated non-decreasing), so `W(u, v) = P(|ξ| > τ*/(φ(u) ψ(v)))` is.
    ///
    /// ```
    /// use pai_graphon::limit_spec::GraphonSpec;
    /// let x = faer::mat![[1.0, 0.0], [0.6, 0.8]];
    /// let g = "constant".parse::<GraphonSpec>().unwrap();
    /// let k = g.kernel_graphon(x.as_ref(), &[1.0, -1.0], 0.3, 64).unwrap();
    /// assert_eq!((k.dims(), k.density()), (2, 0.3));
    /// ```
    pub fn kernel_graphon(
        &self,
        x: faer::MatRef<'_, f64>,
        y: &[f64],
        rho: f64,
        nodes: usize,
    ) -> Result<KernelGraphon, crate::Error> {
        let d = x.ncols();
        Ok(match &self.limit {
            Limit::Constant => KernelGraphon::constant(rho, d)?,
            Limit::Snip { power } => snip_type_graphon(x, y, rho, *power)?,
            Limit::Fsm(fsm) => {
                // ntk takes ρ = 1 (dense); an FSM limit needs ρ in (0, 1)
                let limit = fsm.limit_graphon(crate::params::Density::new(rho)?)?;
                KernelGraphon::monotone_in_u(d, nodes, |u, v| limit.w(u, v))?
            }
            // The parser never puts a method in a GraphonSpec.
            Limit::Method(_) => {
                return Err(LimitSpecError::Unknown {
                    flag: "--graphon",
                    text: self.text.clone(),
                }
                .into())
            }
        })
    }
}

/// Every form of either flag; `None` for text that is none of them.
fn parse(text: &str) -> Result<Option<Limit>, LimitSpecError> {
    if text == "constant" {
        return Ok(Some(Limit::Constant));
    }
    if text == "snip" {
        return Ok(Some(Limit::Snip { power: 1.0 }));
    }
    Ok(match text.split_once(':') {
        Some(("fsm", rest)) => Some(Limit::Fsm(
            Fsm::parse_spec(rest).map_err(LimitSpecError::Fsm)?,
        )),
        Some(("method", name)) => Some(Limit::Method(
            Method::parse(name).map_err(LimitSpecError::Method)?,
        )),
        Some(("snip", power)) => Some(Limit::Snip {
            power: power.parse().map_err(|_| LimitSpecError::SnipPower {
                text: power.to_string(),
            })?,
        }),
        _ => None,
    })
}
