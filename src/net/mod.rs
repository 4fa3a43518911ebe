//! The one-hidden-layer ReLU network of the paper's setting, its data sets and the pruning
//! criteria (Random, Magnitude, SNIP, GraSP, SynFlow), used by the taxonomy claims (TAX) and
//! the `prune` command.
//!
//! `f(x) = n^(−1/2) Σ_i a_i relu(z_i)`, `z_i = d^(−1/2) Σ_j M_ij w_ij x_j`, squared loss; only the
//! first layer is prunable. Formulas, with the closed-form gradient and Hessian-vector product,
//! are in `theory/taxonomy.md`.
//!
//! ```
//! use pai_graphon::net::{load, prune, DataSpec, Method, Network, PruneSpec};
//! use pai_graphon::seed::MasterSeed;
//! let seed = MasterSeed::default();
//! let set = load(&DataSpec::parse("synthetic:samples=20,informative=4,noise=4,zero=8").unwrap(), seed, "DOC").unwrap();
//! let net = Network::init(8, set.d, seed, "DOC").unwrap();
//! let rho = pai_graphon::params::Density::constant(0.25);
//! let pruned = prune(&net, &set, &PruneSpec::new(Method::parse("snip").unwrap(), rho), seed, "DOC").unwrap();
//! assert_eq!(pruned.mask.kept(), 32); // round(0.25 · 8 · 16)
//! // The zero coordinates (12..16) never reach the loss: SNIP scores them 0.
//! assert!((0..8).all(|i| (12..16).all(|j| pruned.scores[16 * i + j] == 0.0)));
//! ```

pub mod criteria;
pub mod data;
pub mod network;

pub use criteria::{prune, scores, GraspVariant, Method, PruneSpec, Pruned, Residual};
pub use data::{load, DataSet, DataSpec};
pub use network::Network;

use std::fmt;

/// Invalid input to the network, data or criteria code.
///
/// ```
/// use pai_graphon::net::{DataSpec, Method, NetError, Network};
/// assert!(matches!(Method::parse("obd"), Err(NetError::Method(_))));
/// assert!(matches!(DataSpec::parse("cifar"), Err(NetError::Data(_))));
/// let e = Network::from_weights(1, 2, vec![1.0], vec![1.0]).unwrap_err();
/// assert!(matches!(e, NetError::Size(_)) && e.to_string().starts_with("invalid size: "));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum NetError {
    /// A data-set name or spec that does not parse or is unknown: the spec and why.
    Data(String),
    /// A method name or option that does not parse or is unknown: the spec and why.
    Method(String),
    /// A width, batch size or density outside its range: what and why.
    Size(String),
    /// A size beyond its documented limit or the memory budget ([`crate::params`]).
    Param(crate::params::ParamError),
    /// A mask the pruning cannot make: a density that keeps no weight, a shape too large.
    Mask(crate::mask::MaskError),
    /// A subset of `requested` rows asked of a data set that has `available` (and at least 1
    /// must be asked for).
    Subset {
        /// The data set's name.
        set: String,
        /// The number of rows asked for.
        requested: usize,
        /// The rows the set has.
        available: usize,
    },
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetError::Data(m) => write!(f, "invalid data set: {m}"),
            NetError::Method(m) => write!(f, "invalid method: {m}"),
            NetError::Size(m) => write!(f, "invalid size: {m}"),
            NetError::Param(e) => write!(f, "invalid size: {e}"),
            NetError::Mask(e) => write!(f, "invalid size: {e}"),
            NetError::Subset {
                set,
                requested,
                available,
            } => write!(
                f,
                "invalid size: a subset of {requested} rows of {set}, which has {available}: \
                 it must lie in 1..={available}"
            ),
        }
    }
}

impl std::error::Error for NetError {}

/// A refused size keeps its fields.
///
/// ```
/// use pai_graphon::net::NetError;
/// let e: NetError = pai_graphon::params::ROUNDS.parse("0").unwrap_err().into();
/// assert_eq!(e.to_string(), "invalid size: rounds must be at least 1");
/// ```
impl From<crate::params::ParamError> for NetError {
    fn from(e: crate::params::ParamError) -> Self {
        NetError::Param(e)
    }
}

/// A mask that cannot be made keeps its cause.
///
/// ```
/// use pai_graphon::mask::kept_count;
/// use pai_graphon::net::NetError;
/// let e: NetError = kept_count(0, 3, pai_graphon::params::Density::constant(0.5)).unwrap_err().into();
/// assert!(matches!(e, NetError::Mask(_)) && e.to_string().starts_with("invalid size: "));
/// ```
impl From<crate::mask::MaskError> for NetError {
    fn from(e: crate::mask::MaskError) -> Self {
        NetError::Mask(e)
    }
}
