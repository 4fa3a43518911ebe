//! # pai-graphon
//!
//! A verified numerical reference for H. Pham, T.-A. Ta, L. Tran-Thanh, *Pruning at
//! Initialisation through the lens of Graphon Limit: Convergence, Expressivity, and
//! Generalisation* (arXiv 2602.06675, ICML 2026): exact limit graphons where mathematics allows,
//! certified intervals where it does not, and seeded statistical checks whose thresholds come
//! from named inequalities.
//!
//! Every checkable statement has a stable id and a section in `theory/` (rendered below in
//! [`theory`]); [`claims::registry`] lists them and runs their checks, for `cargo test` and for
//! `pai-graphon audit` alike.
//!
//! | room | what it holds |
//! |---|---|
//! | [`seed`] | the master seed and labelled ChaCha streams |
//! | [`tol`] | thresholds from named inequalities, floating-point allowances |
//! | [`claims`] | the registry: id → check → outcome |
//! | [`stats`] | the Kolmogorov distribution, KS statistics |
//! | [`graphon`] | bipartite step graphons (f64 and exact), cut norm intervals |
//! | [`convergence`] | the Factorised Saliency Model: limit graphons, masks at scale (CONV) |
//! | [`net`] | the one-hidden-layer network, data sets and pruning criteria |
//! | [`taxonomy`] | homogeneous vs heterogeneous limits, feature selection, FSM validity (TAX) |
//! | [`approximation`] | universal approximation on the active coordinate subspace (UAT) |
//! | [`ntk`] | graphon NTK, empirical NTK of masked networks, the generalisation bound, Figure 2 (NTK) |
//! | [`linalg`] | Cholesky on symmetric matrices, certified eigenvalue bounds |
//! | [`external`] | masks made anywhere checked against a limit graphon (`check`) |
//! | [`npy`] | NumPy `.npy` masks, scores and weights in and out |
//! | [`normal`] | the normal tail and quantile in f64, checked against MPFR references |
//! | `mp` (feature `mpfr`) | MPFR-backed erfc, normal tail and quantile |
//! | [`report`] | audit tables (text, markdown, JSON) and atomic file output |
//! | [`plot`] | figures: one style for every figure |
//!
//! ```
//! use pai_graphon::claims::{find, run, statement};
//! use pai_graphon::seed::MasterSeed;
//! // What `pai-graphon audit --filter TOOL-7` does: the claim's check at a seed and scale...
//! let row = run(&find("TOOL-7")?, MasterSeed::default(), 1.0)?;
//! assert_eq!(row.status, "pass");
//! // ...and what `pai-graphon show TOOL-7` prints: its section of `theory/`.
//! assert!(statement("TOOL-7")?.text.contains("MPFR"));
//! # Ok::<(), pai_graphon::Error>(())
//! ```
#![deny(missing_docs)]

pub mod approximation;
pub mod claims;
pub mod convergence;
pub mod external;
pub mod graphon;
pub mod limit_spec;
pub mod linalg;
pub mod mask;
#[cfg(feature = "mpfr")]
pub mod mp;
pub mod net;
pub mod normal;
pub mod npy;
pub mod ntk;
pub mod params;
pub mod plot;
pub mod report;
pub mod seed;
pub mod stats;
pub mod taxonomy;
pub mod tol;
pub mod verdict;

use std::fmt;

/// Any invalid input the library rejects, by area.
///
/// Each area's own error converts into it with `?`.
///
/// ```
/// use pai_graphon::{claims, tol, Error};
/// fn threshold(n: usize) -> Result<f64, Error> {
///     Ok(tol::dkw_massart(n, 1e-3)?)
/// }
/// assert!(matches!(threshold(0), Err(Error::Tol(tol::TolError::NoSamples))));
/// let e = Error::from(claims::find("TOOL-0").unwrap_err());
/// assert_eq!(e.to_string(), claims::UnknownClaim("TOOL-0".into()).to_string());
/// ```
#[derive(Debug)]
pub enum Error {
    /// A threshold function got an invalid argument.
    Tol(tol::TolError),
    /// A statistics function got invalid input.
    Stats(stats::StatsError),
    /// A graphon or matrix is malformed.
    Graphon(graphon::GraphonError),
    /// A normal-law function got invalid input.
    Normal(normal::NormalError),
    /// A profile, noise law, density or size for the convergence module is invalid.
    Convergence(convergence::ConvergenceError),
    /// A data set, method or size for the network and pruning criteria is invalid.
    Net(net::NetError),
    /// A mask or score matrix given to the taxonomy statistics is invalid.
    Taxonomy(taxonomy::TaxonomyError),
    /// Invalid input to the NTK module (data, graphon, sizes, indefinite kernels).
    Ntk(ntk::NtkError),
    /// Invalid input to the approximation module (graphon, target, sizes).
    Uat(approximation::UatError),
    /// A matrix the linear-algebra toolbox cannot factor.
    Linalg(linalg::LinalgError),
    /// No claim has this id.
    UnknownClaim(claims::UnknownClaim),
    /// An `.npy` file could not be read or an array encoded.
    Npy(npy::NpyError),
    /// A seed string could not be parsed.
    Seed(seed::SeedError),
    /// A figure could not be drawn from the given data.
    Plot(plot::PlotError),
    /// Bad input to the checks of masks made elsewhere.
    External(external::ExternalError),
    /// Invalid input to the checks against reference masks (`check --against method:NAME`).
    Reference(external::reference::ReferenceError),
    /// A size parameter beyond its range.
    Param(params::ParamError),
    /// A density or probability outside (0, 1).
    Fraction(params::FractionError),
    /// A `--against` or `--graphon` spec that names no limit of the kind asked for.
    LimitSpec(limit_spec::LimitSpecError),
    /// `--scale` must be a positive finite number.
    Scale(f64),
    /// At this scale a claim's check would spend more false-alarm probability than its budget
    /// (samples too small for its negative control to be certified).
    Budget {
        /// The claim.
        id: &'static str,
        /// What the check would spend.
        spent: f64,
        /// Its registered budget.
        budget: f64,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Tol(e) => e.fmt(f),
            Error::Stats(e) => e.fmt(f),
            Error::Graphon(e) => e.fmt(f),
            Error::Normal(e) => e.fmt(f),
            Error::Convergence(e) => e.fmt(f),
            Error::Net(e) => e.fmt(f),
            Error::Taxonomy(e) => e.fmt(f),
            Error::Ntk(e) => e.fmt(f),
            Error::Uat(e) => e.fmt(f),
            Error::Linalg(e) => e.fmt(f),
            Error::UnknownClaim(e) => e.fmt(f),
            Error::Npy(e) => e.fmt(f),
            Error::Seed(e) => e.fmt(f),
            Error::Plot(e) => e.fmt(f),
            Error::External(e) => e.fmt(f),
            Error::Reference(e) => e.fmt(f),
            Error::Param(e) => e.fmt(f),
            Error::Fraction(e) => e.fmt(f),
            Error::LimitSpec(e) => e.fmt(f),
            Error::Scale(s) => write!(f, "scale {s} must be a positive finite number"),
            Error::Budget { id, spent, budget } => write!(
                f,
                "{id} would spend false-alarm probability {spent:.2e} > its budget {budget:.0e} at this scale: use a larger --scale"
            ),
        }
    }
}

impl std::error::Error for Error {}

/// A refused mask is filed with the convergence errors, whose text it has always had.
///
/// ```
/// use pai_graphon::{mask::top_k_mask, Error};
/// let e = Error::from(top_k_mask(0, 1, &[], 1).unwrap_err());
/// assert_eq!(e.to_string(), "invalid size: a 0 × 1 mask has no entries");
/// ```
impl From<mask::MaskError> for Error {
    fn from(e: mask::MaskError) -> Self {
        Error::Convergence(e.into())
    }
}

macro_rules! from_error {
    ($($variant:ident($ty:ty)),*) => {$(
        impl From<$ty> for Error {
            fn from(e: $ty) -> Self { Error::$variant(e) }
        }
    )*};
}
from_error!(
    Tol(tol::TolError),
    Stats(stats::StatsError),
    Graphon(graphon::GraphonError),
    Normal(normal::NormalError),
    Convergence(convergence::ConvergenceError),
    Net(net::NetError),
    Taxonomy(taxonomy::TaxonomyError),
    Ntk(ntk::NtkError),
    Uat(approximation::UatError),
    Linalg(linalg::LinalgError),
    UnknownClaim(claims::UnknownClaim),
    Npy(npy::NpyError),
    Seed(seed::SeedError),
    Plot(plot::PlotError),
    External(external::ExternalError),
    Reference(external::reference::ReferenceError),
    Param(params::ParamError),
    Fraction(params::FractionError),
    LimitSpec(limit_spec::LimitSpecError)
);

/// The theory this crate mirrors, one page per area, as written in `theory/`.
///
/// Each claim has a heading `ID · title [paper|reconstructed]` with its statement, assumptions,
/// the check, the inequality behind its threshold and the test that runs it.
#[allow(rustdoc::broken_intra_doc_links)]
pub mod theory {
    #[doc = include_str!("../theory/README.md")]
    pub mod overview {}
    #[doc = include_str!("../theory/toolbox.md")]
    pub mod toolbox {}
    #[doc = include_str!("../theory/convergence.md")]
    pub mod convergence {}
    #[doc = include_str!("../theory/taxonomy.md")]
    pub mod taxonomy {}
    #[doc = include_str!("../theory/approximation.md")]
    pub mod approximation {}
    #[doc = include_str!("../theory/ntk.md")]
    pub mod ntk {}
    #[doc = include_str!("../theory/external.md")]
    pub mod external {}
    #[doc = include_str!("../theory/tolerances.md")]
    pub mod tolerances {}
    #[doc = include_str!("../theory/provenance.md")]
    pub mod provenance {}

    /// Every theory page with its file name, for `pai-graphon show` and the id check.
    pub const PAGES: &[(&str, &str)] = &[
        ("README.md", include_str!("../theory/README.md")),
        ("toolbox.md", include_str!("../theory/toolbox.md")),
        ("convergence.md", include_str!("../theory/convergence.md")),
        ("taxonomy.md", include_str!("../theory/taxonomy.md")),
        (
            "approximation.md",
            include_str!("../theory/approximation.md"),
        ),
        ("ntk.md", include_str!("../theory/ntk.md")),
        ("external.md", include_str!("../theory/external.md")),
        ("tolerances.md", include_str!("../theory/tolerances.md")),
        ("provenance.md", include_str!("../theory/provenance.md")),
    ];
}
