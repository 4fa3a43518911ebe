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
/// assert!(matches!(Method::parse("obd"), Err(NetError::Method { .. })));
/// assert!(matches!(DataSpec::parse("cifar"), Err(NetError::Data { .. })));
/// let e = Network::from_weights(1, 2, vec![1.0], vec![1.0]).unwrap_err();
/// assert_eq!(e, NetError::Mismatch { what: "first-layer weights", expected: 2, found: 1 });
/// assert_eq!(e.to_string(), "invalid size: 1 first-layer weights where 2 are needed");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum NetError {
    /// A data-set name or spec that does not parse or is unknown: the spec and why.
    Data {
        /// The spec as given (the user's text).
        spec: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A method name that is unknown.
    Method {
        /// The name as given (the user's text).
        spec: String,
        /// What is accepted.
        why: &'static str,
    },
    /// A temperature that is not finite and positive.
    Temperature(f64),
    /// A count out of range: what, its value and what it must be.
    Size {
        /// The parameter, e.g. `"width"`.
        what: &'static str,
        /// Its value.
        value: usize,
        /// What it must be.
        why: &'static str,
    },
    /// A count outside `min..=max`.
    Range {
        /// The parameter, e.g. `"batch"`.
        what: &'static str,
        /// Its value.
        value: usize,
        /// The smallest allowed value.
        min: usize,
        /// The largest allowed value.
        max: usize,
    },
    /// Lengths or dimensions that must agree do not.
    Mismatch {
        /// What is counted, e.g. `"targets"`.
        what: &'static str,
        /// The count needed.
        expected: usize,
        /// The count given.
        found: usize,
    },
    /// A mask whose shape is not the layer's.
    LayerShape {
        /// The mask's rows.
        rows: usize,
        /// The mask's columns.
        cols: usize,
        /// The layer's width n.
        n: usize,
        /// The layer's input dimension d.
        d: usize,
    },
    /// A NaN or infinite entry.
    NonFinite {
        /// The vector, e.g. `"inputs"`.
        what: &'static str,
        /// The entry's index.
        index: usize,
    },
    /// A synthetic signal that is not finite.
    Signal(f64),
    /// An embedded data file that fails its checks (a corrupted build).
    Embedded {
        /// The data set, `"digits"` or `"mnist"`.
        name: &'static str,
        /// What is wrong.
        problem: EmbeddedProblem,
    },
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
            NetError::Data { spec, why } => write!(f, "invalid data set: {spec:?}: {why}"),
            NetError::Method { spec, why } => write!(f, "invalid method: {spec:?}: {why}"),
            NetError::Temperature(t) => {
                write!(
                    f,
                    "invalid method: temperature {t} must be finite and positive"
                )
            }
            NetError::Size { what, value, why } => {
                write!(f, "invalid size: {what} = {value} {why}")
            }
            NetError::Range {
                what,
                value,
                min,
                max,
            } => write!(f, "invalid size: {what} {value} must lie in {min}..={max}"),
            NetError::Mismatch {
                what,
                expected,
                found,
            } => write!(
                f,
                "invalid size: {found} {what} where {expected} are needed"
            ),
            NetError::LayerShape { rows, cols, n, d } => {
                write!(
                    f,
                    "invalid size: a {rows} × {cols} mask for a {n} × {d} layer"
                )
            }
            NetError::NonFinite { what, index } => {
                write!(f, "invalid size: {what}: entry {index} is not finite")
            }
            NetError::Signal(s) => {
                write!(f, "invalid data set: synthetic signal {s} is not finite")
            }
            NetError::Embedded { name, problem } => {
                write!(f, "invalid data set: embedded {name} file: {problem}")
            }
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

/// What is wrong with an embedded data file (only a corrupted build can show one).
///
/// ```
/// use pai_graphon::net::{EmbeddedProblem, NetError};
/// let e = NetError::Embedded { name: "digits", problem: EmbeddedProblem::Row { line: 3 } };
/// assert_eq!(e.to_string(), "invalid data set: embedded digits file: line 3 is malformed");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmbeddedProblem {
    /// Its SHA-256 is not the recorded one.
    Checksum {
        /// The digest found (hex).
        digest: String,
        /// The digest recorded.
        expected: &'static str,
    },
    /// It does not decompress (the decoder's error kind).
    Decompress(std::io::ErrorKind),
    /// A row that is not `side²` pixels in range and a label 0..=9.
    Row {
        /// Its 1-based line number.
        line: usize,
    },
}

impl fmt::Display for EmbeddedProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmbeddedProblem::Checksum { digest, expected } => {
                write!(f, "SHA-256 {digest}, expected {expected}")
            }
            EmbeddedProblem::Decompress(kind) => write!(f, "cannot decompress: {kind}"),
            EmbeddedProblem::Row { line } => write!(f, "line {line} is malformed"),
        }
    }
}

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
