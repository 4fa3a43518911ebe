//! Graphon NTK and the generalisation bound (NTK): the one-hidden-layer graphon NTK K_W and its
//! selection-bias correction, the empirical NTK of finite masked networks, the deep graphon NTK,
//! the complexity yᵀK⁻¹y and the bound built on it, path density and kernel alignment, and
//! Figure 2. Claims NTK-* (`theory/ntk.md`).
//!
//! ```
//! use pai_graphon::ntk::bound::complexity;
//! use pai_graphon::ntk::kernel::{graphon_ntk, unit_rows, KernelGraphon, Layers};
//! let x = unit_rows(faer::mat![[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0]].as_ref()).unwrap();
//! let kernel = |g: &KernelGraphon| graphon_ntk(x.as_ref(), g, Layers::First).unwrap().k;
//! // W ≡ ρ, normalised by ρ, is the dense kernel at every density. At ρ = 1/4 the density's sum
//! // and quotient are exact, W/ρ = 1, and the two kernels are one computation.
//! let (sparse, dense) = (kernel(&KernelGraphon::constant(0.25, 3).unwrap()), kernel(&KernelGraphon::constant(1.0, 3).unwrap()));
//! assert_eq!(sparse, dense);
//! // A graphon that never wires coordinate 2 changes the kernel, and the complexity of the labels.
//! let blind = kernel(&KernelGraphon::column_profile(&[0.5, 0.5, 0.0]).unwrap());
//! let y = [1.0, -1.0, 1.0];
//! let (c_dense, c_blind) = (complexity(dense.as_ref(), &y).unwrap(), complexity(blind.as_ref(), &y).unwrap());
//! assert!(c_dense.raw > 0.0 && c_dense.raw != c_blind.raw);
//! ```

pub mod bound;
pub mod deep;
pub mod empirical;
pub mod figure2;
pub mod kernel;
pub mod path;
pub mod reality;
pub mod selection;
pub mod width;

use std::fmt;

/// Invalid input to the NTK module.
///
/// ```
/// use pai_graphon::ntk::bound::complexity;
/// use pai_graphon::ntk::kernel::{unit_rows, KernelGraphon};
/// use pai_graphon::ntk::NtkError;
/// let zero = unit_rows(faer::mat![[0.0, 0.0]].as_ref());
/// assert!(matches!(zero, Err(NtkError::Data { what: "input norm", .. })));
/// let e = KernelGraphon::column_profile(&[1.5]).unwrap_err();
/// assert!(matches!(e, NtkError::Graphon { value: 1.5, .. }));
/// assert!(e.to_string().starts_with("invalid graphon: "));
/// let zero_density = KernelGraphon::constant(0.0, 2);
/// assert!(matches!(zero_density, Err(NtkError::Size { what: "density", value: 0.0, .. })));
/// let indefinite = faer::mat![[1.0, 2.0], [2.0, 1.0]];
/// let e = complexity(indefinite.as_ref(), &[1.0, 1.0]).unwrap_err();
/// assert!(matches!(e, NtkError::Indefinite { cause: Some(_), .. }));
/// let tol: NtkError = pai_graphon::tol::gamma(usize::MAX).unwrap_err().into();
/// assert!(matches!(tol, NtkError::Tol(_)) && tol.to_string().starts_with("invalid size: "));
/// let big = NtkError::TooLarge { quantity: "inputs", size: 20_000, max: 16_384 };
/// assert_eq!(big.to_string(), "20000 inputs exceed the limit 16384");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum NtkError {
    /// An input or label value the kernels cannot take (non-finite, zero-norm, a label not in
    /// {−1, +1}): which value and why.
    Data {
        /// The value's role, e.g. `"label"`.
        what: &'static str,
        /// The value.
        value: f64,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A graphon value or parameter that makes no kernel graphon (outside [0, 1], no mass).
    Graphon {
        /// The value's role, e.g. `"profile value"`.
        what: &'static str,
        /// The value.
        value: f64,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A size or parameter out of range (widths, densities, thresholds).
    Size {
        /// The parameter, e.g. `"density"`.
        what: &'static str,
        /// Its value.
        value: f64,
        /// What it must be.
        why: &'static str,
    },
    /// Something needed is missing: no inputs, no widths, a mask that keeps nothing.
    Empty {
        /// What is missing, e.g. `"inputs"`.
        what: &'static str,
    },
    /// Counts that must agree do not.
    Mismatch {
        /// What is counted, e.g. `"labels"`.
        what: &'static str,
        /// The count needed.
        expected: usize,
        /// The count given.
        found: usize,
    },
    /// A matrix whose shape is not the one needed.
    Shape {
        /// The matrix, e.g. `"mask"`.
        what: &'static str,
        /// Its (rows, columns).
        found: (usize, usize),
        /// The (rows, columns) needed.
        expected: (usize, usize),
    },
    /// A vector or matrix with a NaN or infinite entry.
    NonFinite {
        /// Which, e.g. `"predictions"`.
        what: &'static str,
    },
    /// Two inputs identical after scaling to unit norm: the kernel matrix is singular.
    Duplicate {
        /// The first input.
        first: usize,
        /// The input equal to it.
        second: usize,
    },
    /// A kernel matrix that is not (certifiably) positive definite.
    Indefinite {
        /// What failed, e.g. `"kernel factorisation"`.
        what: &'static str,
        /// The factorisation's refusal, if one.
        cause: Option<crate::linalg::LinalgError>,
    },
    /// A kernel failure at one graphon and density of Figure 2.
    At {
        /// The graphon kind's name.
        graphon: &'static str,
        /// The density.
        rho: f64,
        /// The failure.
        error: Box<NtkError>,
    },
    /// A size a rounding-error bound cannot take (`tol`).
    Tol(crate::tol::TolError),
    /// A mask that cannot be made from the scores (kept count, shape).
    Mask(crate::mask::MaskError),
    /// A density outside (0, 1).
    Fraction(crate::params::FractionError),
    /// A normal-law evaluation refused the graphon's threshold.
    Normal(crate::normal::NormalError),
    /// A step graphon refused a cell lookup.
    Step(crate::graphon::GraphonError),
    /// A graphon outside the domain where the kernel is computed in f64 without overflow or
    /// total underflow: a density below [`kernel::MIN_KERNEL_DENSITY`] (W/ρ would overflow, and
    /// ρ itself would carry no relative accuracy), or a second moment with `S/ρ` beyond f64.
    OutOfDomain {
        /// What is out of range.
        quantity: &'static str,
        /// Its value.
        value: f64,
        /// The limit it crosses.
        limit: f64,
    },
    /// A size beyond its documented limit, refused before allocating: more inputs than the
    /// dense N × N kernel may hold ([`crate::linalg::MAX_DENSE_ORDER`], from memory), or more
    /// quadrature nodes than [`kernel::MAX_QUADRATURE_NODES`] (from time).
    TooLarge {
        /// What is too large ("inputs", "quadrature nodes").
        quantity: &'static str,
        /// The size asked for.
        size: usize,
        /// The largest size accepted.
        max: usize,
    },
}

macro_rules! ntk_from {
    ($($variant:ident($ty:ty)),*) => {$(
        impl From<$ty> for NtkError {
            fn from(e: $ty) -> Self { NtkError::$variant(e) }
        }
    )*};
}
// Each keeps its cause; the text keeps the prefix the former string variant printed.
ntk_from!(
    Tol(crate::tol::TolError),
    Mask(crate::mask::MaskError),
    Fraction(crate::params::FractionError),
    Normal(crate::normal::NormalError),
    Step(crate::graphon::GraphonError)
);

impl fmt::Display for NtkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NtkError::Data { what, value, why } => {
                write!(f, "invalid data: {what} {value} {why}")
            }
            NtkError::Graphon { what, value, why } => {
                write!(f, "invalid graphon: {what} {value} {why}")
            }
            NtkError::Size { what, value, why } => write!(f, "invalid size: {what} {value} {why}"),
            NtkError::Empty { what } => write!(f, "invalid input: no {what}"),
            NtkError::Mismatch {
                what,
                expected,
                found,
            } => write!(
                f,
                "invalid size: {found} {what} where {expected} are needed"
            ),
            NtkError::Shape {
                what,
                found: (r, c),
                expected: (er, ec),
            } => write!(f, "invalid size: {what} is {r}×{c}, expected {er}×{ec}"),
            NtkError::NonFinite { what } => write!(f, "invalid data: {what}: a non-finite entry"),
            NtkError::Duplicate { first, second } => write!(
                f,
                "invalid data: inputs {first} and {second} are identical after scaling to unit \
                 norm: the kernel matrix is singular; remove duplicates \
                 (ntk::path::dedup_rows keeps the first copy)"
            ),
            NtkError::Indefinite { what, cause: None } => {
                write!(f, "kernel not positive definite: {what}")
            }
            NtkError::Indefinite {
                what,
                cause: Some(e),
            } => write!(
                f,
                "kernel not positive definite: {what}: {e} (identical inputs, or inputs that \
                 coincide up to scale on the support of the graphon, make the kernel singular)"
            ),
            NtkError::At {
                graphon,
                rho,
                error,
            } => write!(f, "{graphon} graphon at ρ = {rho}: {error}"),
            NtkError::Tol(e) => write!(f, "invalid size: {e}"),
            NtkError::Mask(e) => write!(f, "invalid size: {e}"),
            NtkError::Fraction(e) => write!(f, "invalid density: {e}"),
            NtkError::Normal(e) => write!(f, "invalid graphon: {e}"),
            NtkError::Step(e) => write!(f, "invalid graphon: {e}"),
            NtkError::OutOfDomain {
                quantity,
                value,
                limit,
            } => write!(
                f,
                "{quantity} = {value:e} is outside the kernel's domain (limit {limit:e}: \
                 densities are normal f64, S/ρ ≤ f64::MAX/4)"
            ),
            NtkError::TooLarge {
                quantity,
                size,
                max,
            } => write!(f, "{size} {quantity} exceed the limit {max}"),
        }
    }
}

impl std::error::Error for NtkError {}
