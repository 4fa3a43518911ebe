//! Size parameters with documented maxima (issue #17): every count the command line accepts is
//! checked against a [`Limit`] at parse time, before anything is allocated, and a value beyond
//! it is refused with a [`ParamError`] that names the limit and why it is there.
//!
//! The maxima come from one memory budget, [`MEMORY_BUDGET`] bytes, divided by the bytes a unit
//! of the parameter costs (the derivation is in each constant's doc), or, for parameters that
//! cost time rather than memory, from a cap stated as such. A product of sizes (a mask of
//! n × d entries, a kernel of N × N) is checked by [`fits_budget`] once both factors are known.
//!
//! ```
//! use pai_graphon::params::{ParamError, WIDTH};
//! assert_eq!(WIDTH.parse("256"), Ok(256));
//! let e = WIDTH.parse("100000000000").unwrap_err();
//! assert!(matches!(e, ParamError::TooLarge { max: 1_048_576, .. }));
//! assert!(e.to_string().contains("at most 1048576"));
//! ```

use std::fmt;
use std::marker::PhantomData;

/// The memory one command may plan for: 4 GiB. The limits below divide it by what a unit of
/// each parameter costs, so an accepted run's main arrays fit in it.
///
/// ```
/// assert_eq!(pai_graphon::params::MEMORY_BUDGET, 4 * 1024 * 1024 * 1024);
/// ```
pub const MEMORY_BUDGET: u64 = 1 << 32;

/// Why a size parameter was refused.
///
/// ```
/// use pai_graphon::params::{ParamError, ROUNDS};
/// assert_eq!(ROUNDS.parse("0"), Err(ParamError::Zero { name: "rounds" }));
/// assert!(matches!(ROUNDS.parse("x"), Err(ParamError::NotACount { .. })));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamError {
    /// The text is not a non-negative integer.
    NotACount {
        /// The parameter.
        name: &'static str,
        /// The text given.
        text: String,
    },
    /// The parameter must be at least 1.
    Zero {
        /// The parameter.
        name: &'static str,
    },
    /// Beyond the parameter's maximum.
    TooLarge {
        /// The parameter (or product of parameters).
        name: &'static str,
        /// The value given.
        value: u64,
        /// The largest accepted.
        max: u64,
        /// Why the maximum is where it is.
        why: &'static str,
    },
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamError::NotACount { name, text } => {
                write!(f, "{name} {text:?} is not a count")
            }
            ParamError::Zero { name } => write!(f, "{name} must be at least 1"),
            ParamError::TooLarge {
                name,
                value,
                max,
                why,
            } => write!(f, "{name} {value} exceeds the limit: at most {max} ({why})"),
        }
    }
}

impl std::error::Error for ParamError {}

/// A size parameter's range 1..=`max`, with the reason for the maximum.
///
/// ```
/// use pai_graphon::params::Limit;
/// const PARTS: Limit = Limit { name: "parts", max: 10, why: "ten is plenty" };
/// assert_eq!(PARTS.check(10), Ok(10));
/// assert!(PARTS.check(11).is_err() && PARTS.check(0).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// The parameter's name as the messages show it.
    pub name: &'static str,
    /// The largest accepted value.
    pub max: usize,
    /// Why the maximum is where it is (one clause).
    pub why: &'static str,
}

impl Limit {
    /// `value` if it lies in 1..=max.
    ///
    /// ```
    /// use pai_graphon::params::SEEDS;
    /// assert_eq!(SEEDS.check(100), Ok(100));
    /// assert!(SEEDS.check(SEEDS.max + 1).is_err());
    /// ```
    pub fn check(&self, value: usize) -> Result<usize, ParamError> {
        if value == 0 {
            return Err(ParamError::Zero { name: self.name });
        }
        if value > self.max {
            return Err(ParamError::TooLarge {
                name: self.name,
                value: value as u64,
                max: self.max as u64,
                why: self.why,
            });
        }
        Ok(value)
    }

    /// Parses a decimal count and checks it; a count beyond `u64` is refused as too large, not
    /// as malformed.
    ///
    /// ```
    /// use pai_graphon::params::{ParamError, NODES};
    /// assert_eq!(NODES.parse("64"), Ok(64));
    /// let huge = NODES.parse("99999999999999999999999").unwrap_err();
    /// assert!(matches!(huge, ParamError::TooLarge { value: u64::MAX, .. }));
    /// ```
    pub fn parse(&self, text: &str) -> Result<usize, ParamError> {
        let t = text.trim();
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParamError::NotACount {
                name: self.name,
                text: text.to_string(),
            });
        }
        // All digits: the only parse failure left is overflow.
        let value = t.parse::<u64>().unwrap_or(u64::MAX);
        if value > self.max as u64 {
            return Err(ParamError::TooLarge {
                name: self.name,
                value,
                max: self.max as u64,
                why: self.why,
            });
        }
        self.check(value as usize)
    }
}

/// Refuses a product of sizes whose main arrays, `bytes_per_unit` bytes per unit, would exceed
/// [`MEMORY_BUDGET`]; `name` says what the product is (e.g. "a 1000 × 784 layer's entries").
///
/// ```
/// use pai_graphon::params::fits_budget;
/// assert!(fits_budget("kernel entries", &[1 << 14, 1 << 14], 16).is_ok()); // 4 GiB exactly
/// assert!(fits_budget("kernel entries", &[1 << 14, (1 << 14) + 1], 16).is_err());
/// assert!(fits_budget("kernel entries", &[usize::MAX, usize::MAX], 1).is_err()); // no overflow
/// ```
pub fn fits_budget(
    name: &'static str,
    factors: &[usize],
    bytes_per_unit: u64,
) -> Result<(), ParamError> {
    let units = factors
        .iter()
        .try_fold(1u64, |acc, &f| acc.checked_mul(f as u64));
    let max = MEMORY_BUDGET / bytes_per_unit.max(1);
    match units {
        Some(u) if u <= max => Ok(()),
        _ => Err(ParamError::TooLarge {
            name,
            value: units.unwrap_or(u64::MAX),
            max,
            why: "its arrays must fit the 4 GiB memory budget",
        }),
    }
}

/// Hidden width n (`prune`, `ntk --width`): at most 2^20. The network keeps n × d weights,
/// scores and gradients as f64 and the mask, about 64 bytes per entry with the working copies;
/// at the smallest vendored input dimension (d = 64, digits) 2^20 rows are 2^26 entries,
/// 4 GiB. A larger d is refused by [`fits_budget`] once the data are loaded.
///
/// ```
/// assert_eq!(pai_graphon::params::WIDTH.max, 1 << 20);
/// ```
pub const WIDTH: Limit = Limit {
    name: "width",
    max: 1 << 20,
    why: "2^26 layer entries of 64 working bytes at d = 64 fill the 4 GiB budget",
};

/// Widths n = d of `figure1 --widths`: at most 2^14. Each seed's n × n mask is averaged into
/// an n × n f64 sum with its f64 limit on the same grid: 16 bytes per cell plus the mask,
/// 2^28 cells × 16 bytes = 4 GiB.
///
/// ```
/// assert_eq!(pai_graphon::params::SQUARE_WIDTH.max, 16384);
/// ```
pub const SQUARE_WIDTH: Limit = Limit {
    name: "width",
    max: 1 << 14,
    why: "an n × n average of 16 bytes per cell fills the 4 GiB budget at n = 2^14",
};

/// Rows of a kernel (`ntk --samples`, `figure2 --samples`): at most 2^13. The N × N f64 kernel
/// is held in up to eight copies at once (the kernel and its certified twin, their error
/// bounds, the Cholesky factor, the Lanczos work), 64 N² bytes: 4 GiB at N = 2^13.
///
/// ```
/// use pai_graphon::params::{fits_budget, KERNEL_SAMPLES};
/// assert_eq!(KERNEL_SAMPLES.max, 8192);
/// let n = KERNEL_SAMPLES.max;
/// assert!(fits_budget("kernel entries", &[n, n], 64).is_ok());
/// ```
pub const KERNEL_SAMPLES: Limit = Limit {
    name: "samples",
    max: 1 << 13,
    why: "up to eight N × N f64 kernel copies, 64 N² bytes, fill the 4 GiB budget at N = 2^13",
};

/// Rows of a data set drawn in memory (synthetic `samples=`, `uat --samples`): at most 2^24.
/// With the smallest dimension (d = 8) and f64 entries, train and held-out copies and a
/// feature row per width, 2^24 rows keep the inputs alone at 2^24 × 8 × 8 × 2 = 2 GiB; larger
/// products are refused by [`fits_budget`].
///
/// ```
/// assert_eq!(pai_graphon::params::DATA_SAMPLES.max, 1 << 24);
/// ```
pub const DATA_SAMPLES: Limit = Limit {
    name: "samples",
    max: 1 << 24,
    why: "2^24 rows of f64 inputs and their copies fill half the 4 GiB budget",
};

/// Input dimension of a drawn data set (synthetic coordinates, `uat --d`): at most 2^16, the
/// dimension of a 256 × 256 image; beyond it one row of every layer would exceed any width the
/// budget allows.
///
/// ```
/// assert_eq!(pai_graphon::params::DIMENSION.max, 65536);
/// ```
pub const DIMENSION: Limit = Limit {
    name: "dimension",
    max: 1 << 16,
    why: "at 2^16 inputs a layer of the least width already costs 2^22 bytes a neuron",
};

/// Widths of `uat --widths`: at most 2^16 random features; the N × n f64 feature matrix of the
/// default N = 20000 points is then 10 GB — refused by [`fits_budget`] unless N is smaller.
///
/// ```
/// assert_eq!(pai_graphon::params::FEATURES.max, 65536);
/// ```
pub const FEATURES: Limit = Limit {
    name: "width",
    max: 1 << 16,
    why: "2^16 features of f64 per point; the whole matrix must also fit the 4 GiB budget",
};

/// Seeds averaged or repeated (`figure1 --seeds`, `figure2 --seeds`): at most 10⁴. A cap on
/// time, not memory: each seed repeats the whole computation (figure 1's default 100 seeds take
/// minutes), so 10⁴ is already hours.
///
/// ```
/// assert_eq!(pai_graphon::params::SEEDS.max, 10_000);
/// ```
pub const SEEDS: Limit = Limit {
    name: "seeds",
    max: 10_000,
    why: "a cap on time: each seed repeats the whole run, 10^4 already takes hours",
};

/// Monte Carlo replicates per null of `check` (`--replicates`): at most 10⁵. A cap on time: each
/// replicate draws a whole stack (10⁵ stacks of 8 × 512 × 512 take about five minutes); δ = 1e-5
/// needs 10⁵.
///
/// ```
/// assert_eq!(pai_graphon::params::REPLICATES.max, 100_000);
/// ```
pub const REPLICATES: Limit = Limit {
    name: "replicates",
    max: 100_000,
    why: "a cap on time: each replicate draws a whole stack of masks",
};

/// Pruning rounds (`prune --rounds`): at most 10⁴. A cap on time: each round rescores the whole
/// network on the batch; iterative SynFlow uses 100.
///
/// ```
/// assert_eq!(pai_graphon::params::ROUNDS.max, 10_000);
/// ```
pub const ROUNDS: Limit = Limit {
    name: "rounds",
    max: 10_000,
    why: "a cap on time: each round rescores the whole network; iterative SynFlow uses 100",
};

/// Gauss–Legendre nodes (`ntk --nodes`): at most 2^12. The kernel keeps a nodes × N table of
/// f64 per layer term; 2^12 × 2^13 × 8 bytes × 2 terms = 512 MiB, and the nodes' computation
/// is quadratic in their number.
///
/// ```
/// assert_eq!(pai_graphon::params::NODES.max, 4096);
/// ```
pub const NODES: Limit = Limit {
    name: "nodes",
    max: 1 << 12,
    why: "a nodes × N f64 table per term must fit the 4 GiB budget at N = 2^13, and the rule's O(nodes²) construction a few seconds",
};

/// Display blocks per axis (`figure1 --blocks`): at most 181, the largest b whose two panels
/// of one width (mask and limit, b² cells each) fit the 2^16 cells a figure draws
/// ([`crate::plot::MAX_CELLS`]); with several widths the command checks the product too.
///
/// ```
/// use pai_graphon::params::BLOCKS;
/// assert!(2 * BLOCKS.max.pow(2) <= pai_graphon::plot::MAX_CELLS);
/// assert!(2 * (BLOCKS.max + 1).pow(2) > pai_graphon::plot::MAX_CELLS);
/// ```
pub const BLOCKS: Limit = Limit {
    name: "blocks",
    max: 181,
    why: "one width's two panels of blocks² cells must fit a figure's 2^16 cells",
};

/// Pruning batch (`prune --batch`, `check --batch`): at most [`DATA_SAMPLES`]'s maximum (the
/// batch is a subset of the data's rows).
///
/// ```
/// assert_eq!(pai_graphon::params::BATCH.max, pai_graphon::params::DATA_SAMPLES.max);
/// ```
pub const BATCH: Limit = Limit {
    name: "batch",
    max: 1 << 24,
    why: "a batch is a subset of the data's rows, at most 2^24",
};

/// The largest `audit --scale`: 16. A cap, not a derivation per claim (the claims' peak memory
/// has not been measured one by one): their sizes grow linearly, a few quadratically, with the
/// scale, so 16 allows up to 256 times the default run's working set; `--scale 10^12` used to
/// end in an allocation abort.
///
/// ```
/// assert_eq!(pai_graphon::params::MAX_SCALE, 16.0);
/// ```
pub const MAX_SCALE: f64 = 16.0;

/// Why a fraction (a density ρ or a failure probability δ) was refused: the text is not a
/// number, or the number lies outside the open interval (0, 1).
///
/// ```
/// use pai_graphon::params::{Density, FractionError};
/// let e = Density::new(1.5).unwrap_err();
/// assert_eq!(e, FractionError::Outside { name: "density", value: 1.5 });
/// assert_eq!(e.to_string(), "density 1.5 must lie in (0, 1)");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum FractionError {
    /// The text is not a decimal number.
    NotANumber {
        /// The parameter.
        name: &'static str,
        /// The text given.
        text: String,
    },
    /// The value is NaN or outside (0, 1).
    Outside {
        /// The parameter.
        name: &'static str,
        /// The value given.
        value: f64,
    },
}

impl fmt::Display for FractionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FractionError::NotANumber { name, text } => {
                write!(f, "{name} {text:?} is not a number")
            }
            FractionError::Outside { name, value } => {
                write!(f, "{name} {value} must lie in (0, 1)")
            }
        }
    }
}

impl std::error::Error for FractionError {}

/// What an [`OpenUnit`] value stands for: the names its messages use. Implemented by the
/// markers [`DensityKind`] and [`ProbabilityKind`]; the values are [`Density`] and
/// [`Probability`].
///
/// ```
/// use pai_graphon::params::{DensityKind, Fraction, ProbabilityKind};
/// assert_eq!((DensityKind::NAME, ProbabilityKind::NAME), ("density", "delta"));
/// ```
pub trait Fraction {
    /// The parameter's name in error messages ("density", "delta").
    const NAME: &'static str;
    /// The type's name in `Debug` output.
    const TYPE: &'static str;
    /// The message of [`OpenUnit::constant`] on a value outside (0, 1).
    const CONSTANT_OUTSIDE: &'static str;
}

/// The marker of [`Density`].
///
/// ```
/// use pai_graphon::params::{DensityKind, Fraction};
/// assert_eq!(DensityKind::TYPE, "Density");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DensityKind {}

impl Fraction for DensityKind {
    const NAME: &'static str = "density";
    const TYPE: &'static str = "Density";
    const CONSTANT_OUTSIDE: &'static str = "a density constant must lie in (0, 1)";
}

/// The marker of [`Probability`].
///
/// ```
/// use pai_graphon::params::{Fraction, ProbabilityKind};
/// assert_eq!(ProbabilityKind::TYPE, "Probability");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProbabilityKind {}

impl Fraction for ProbabilityKind {
    const NAME: &'static str = "delta";
    const TYPE: &'static str = "Probability";
    const CONSTANT_OUTSIDE: &'static str = "a probability constant must lie in (0, 1)";
}

/// A number in the open interval (0, 1), checked once, here: every function that takes one
/// relies on the range and does not test it again. `K` says what it stands for; use the
/// aliases [`Density`] and [`Probability`].
///
/// ```
/// use pai_graphon::params::{Density, Probability};
/// let rho: Density = "0.25".parse().unwrap();
/// assert_eq!(rho.get(), 0.25);
/// assert_eq!(format!("{rho:?}"), "Density(0.25)");
/// assert_eq!(Probability::new(1.0).unwrap_err().to_string(), "delta 1 must lie in (0, 1)");
/// ```
pub struct OpenUnit<K: Fraction>(f64, PhantomData<K>);

/// A density ρ ∈ (0, 1): the kept fraction of a mask. Checked once, here; every function that
/// takes a `Density` relies on the range and does not test it again.
///
/// ```
/// use pai_graphon::params::Density;
/// let rho: Density = "0.25".parse().unwrap();
/// assert_eq!(rho.get(), 0.25);
/// assert!(Density::new(0.0).is_err() && Density::new(1.0).is_err());
/// assert_eq!("nan".parse::<Density>().unwrap_err().to_string(), "density NaN must lie in (0, 1)");
/// ```
pub type Density = OpenUnit<DensityKind>;

/// A probability δ ∈ (0, 1): a check's false-alarm probability (`--delta`). Checked once, here.
///
/// ```
/// use pai_graphon::params::Probability;
/// let delta: Probability = "1e-4".parse().unwrap();
/// assert_eq!(delta.get(), 1e-4);
/// assert_eq!(Probability::new(2.0).unwrap_err().to_string(), "delta 2 must lie in (0, 1)");
/// ```
pub type Probability = OpenUnit<ProbabilityKind>;

impl<K: Fraction> OpenUnit<K> {
    /// `value` if it lies in (0, 1) (NaN does not).
    ///
    /// ```
    /// use pai_graphon::params::{Density, FractionError, Probability};
    /// assert_eq!(Density::new(0.2).unwrap().get(), 0.2);
    /// assert!(Density::new(f64::NAN).is_err());
    /// assert_eq!(Probability::new(0.0), Err(FractionError::Outside { name: "delta", value: 0.0 }));
    /// ```
    pub fn new(value: f64) -> Result<Self, FractionError> {
        if value > 0.0 && value < 1.0 {
            Ok(OpenUnit(value, PhantomData))
        } else {
            Err(FractionError::Outside {
                name: K::NAME,
                value,
            })
        }
    }

    /// A value written in the source: use it in a `const` item, where a value outside (0, 1)
    /// stops the build instead of reaching a run.
    ///
    /// ```
    /// use pai_graphon::params::{Density, Probability};
    /// const RHO: Density = Density::constant(0.2);
    /// const DELTA: Probability = Probability::constant(1e-3);
    /// assert_eq!((RHO.get(), DELTA.get()), (0.2, 1e-3));
    /// ```
    pub const fn constant(value: f64) -> Self {
        if value > 0.0 && value < 1.0 {
            OpenUnit(value, PhantomData)
        } else {
            panic!("{}", K::CONSTANT_OUTSIDE)
        }
    }

    /// The value.
    ///
    /// ```
    /// use pai_graphon::params::{Density, Probability};
    /// assert_eq!(Density::new(0.5).unwrap().get(), 0.5);
    /// assert_eq!(Probability::new(0.01).unwrap().get(), 0.01);
    /// ```
    pub const fn get(self) -> f64 {
        self.0
    }
}

// Written out rather than derived: a derive would require `K` itself to be Clone, PartialEq, ...

impl<K: Fraction> Clone for OpenUnit<K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K: Fraction> Copy for OpenUnit<K> {}

impl<K: Fraction> PartialEq for OpenUnit<K> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<K: Fraction> PartialOrd for OpenUnit<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.0.partial_cmp(&other.0)
    }
}

/// As a derived `Debug` of a tuple struct would print it: `Density(0.25)`.
///
/// ```
/// use pai_graphon::params::Probability;
/// assert_eq!(format!("{:?}", Probability::constant(0.5)), "Probability(0.5)");
/// ```
impl<K: Fraction> fmt::Debug for OpenUnit<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple(K::TYPE).field(&self.0).finish()
    }
}

/// Serialised as the bare number (JSON outputs stay as they were).
///
/// ```
/// use pai_graphon::params::Density;
/// assert_eq!(serde_json::to_string(&Density::constant(0.2)).unwrap(), "0.2");
/// ```
impl<K: Fraction> serde::Serialize for OpenUnit<K> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.0)
    }
}

/// Prints the value as its f64 does.
///
/// ```
/// use pai_graphon::params::{Density, Probability};
/// assert_eq!(Density::constant(0.25).to_string(), "0.25");
/// assert_eq!(Probability::new(0.001).unwrap().to_string(), "0.001");
/// ```
impl<K: Fraction> fmt::Display for OpenUnit<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<K: Fraction> std::str::FromStr for OpenUnit<K> {
    type Err = FractionError;

    /// A decimal number in (0, 1).
    ///
    /// ```
    /// use pai_graphon::params::{Density, Probability};
    /// assert_eq!("0.1".parse::<Density>().unwrap().get(), 0.1);
    /// assert_eq!("x".parse::<Density>().unwrap_err().to_string(), "density \"x\" is not a number");
    /// assert!("1".parse::<Probability>().is_err());
    /// ```
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let value = text
            .trim()
            .parse::<f64>()
            .map_err(|_| FractionError::NotANumber {
                name: K::NAME,
                text: text.to_string(),
            })?;
        Self::new(value)
    }
}
