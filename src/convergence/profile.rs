//! Row and column profiles of the Factorised Saliency Model: non-negative, non-decreasing
//! functions on [0, 1] (quantile functions of the profile values), parsed from short specs.
//!
//! | spec | function |
//! |---|---|
//! | `const:c` | c |
//! | `affine:a,b` | a + b u (b ≥ 0, a ≥ 0) |
//! | `power:p` | u^p (p > 0) |
//! | `exp:a` | e^(a u) (a ≥ 0) |
//! | `step:b1,…,bk;l0,…,lk` | level l_m on [b_m, b_(m+1)), breakpoints 0 < b1 < … < bk < 1 |
//! | `empirical:x1,…,xN` | the sorted values as a step function with N equal cells |
//!
//! ```
//! use pai_graphon::convergence::profile::Profile;
//! let at_half = |spec: &str| Profile::parse(spec).unwrap().value(0.5);
//! assert_eq!(at_half("const:2"), 2.0);
//! assert_eq!(at_half("affine:1,2"), 2.0);
//! assert_eq!(at_half("power:2"), 0.25);
//! assert_eq!(at_half("exp:0"), 1.0);
//! assert_eq!(at_half("step:0.5;1,3"), 3.0); // a breakpoint belongs to the cell on its right
//! assert_eq!(at_half("empirical:5,1,3"), 3.0); // sorted: 1, 3, 5 on thirds
//! ```

use super::ConvergenceError;

/// The smallest positive value a `const`, `affine`, `step` or `empirical` profile may take
/// (zeros stay allowed where the kind allows them). With [`PROFILE_VALUE_MAX`] and the noise
/// scales of `noise::NOISE_SCALE_MIN`/`MAX`, every product φψ·scale lies in [1e-150, 1e150], so
/// τ*, its interval ends and every tail argument τ/(φψ) are normal f64 numbers far from
/// overflow (theory/convergence.md, "Domain").
///
/// ```
/// use pai_graphon::convergence::profile::{Profile, PROFILE_VALUE_MIN};
/// assert!(Profile::parse(&format!("const:{PROFILE_VALUE_MIN}")).is_ok());
/// assert!(Profile::parse("const:1e-51").is_err());
/// ```
pub const PROFILE_VALUE_MIN: f64 = 1e-50;

/// The largest value a profile may take (at u = 1, as profiles are non-decreasing).
///
/// ```
/// use pai_graphon::convergence::profile::{Profile, PROFILE_VALUE_MAX};
/// assert!(Profile::parse("affine:0,1e50").is_ok() && Profile::parse("const:1e51").is_err());
/// # assert_eq!(PROFILE_VALUE_MAX, 1e50);
/// ```
pub const PROFILE_VALUE_MAX: f64 = 1e50;

/// The largest rate of `exp:a`. A node u carries a rounding error of ε u, which moves e^(a u)
/// by a·ε relative and the tail T by at most a·ε·sup|G'| < a ε / 2 absolute; a ≤ 64 keeps
/// this under the 64 ε absolute tail allowance of `convergence::limit`.
///
/// ```
/// use pai_graphon::convergence::profile::{Profile, EXP_RATE_MAX};
/// assert!(Profile::parse("exp:64").is_ok() && Profile::parse("exp:64.5").is_err());
/// # assert_eq!(EXP_RATE_MAX, 64.0);
/// ```
pub const EXP_RATE_MAX: f64 = 64.0;

/// The largest exponent of `power:p`, for the same reason as [`EXP_RATE_MAX`] (u^p moves by p ε
/// relative when u moves by ε relative), and so that u^p does not underflow at any point the
/// routines evaluate (u ≥ 1e-7 gives u^16 ≥ 1e-112). `power:1e300` is zero in f64 on most of
/// [0, 1) although it is positive there: it once gave a t(C4) bracket below ρ⁴.
///
/// ```
/// use pai_graphon::convergence::profile::{Profile, POWER_MAX};
/// assert!(Profile::parse("power:16").is_ok() && Profile::parse("power:1e300").is_err());
/// # assert_eq!(POWER_MAX, 16.0);
/// ```
pub const POWER_MAX: f64 = 16.0;

/// `Err(Domain)` unless `min ≤ x ≤ max`.
pub(crate) fn in_domain(
    what: &'static str,
    x: f64,
    min: f64,
    max: f64,
) -> Result<(), ConvergenceError> {
    if (min..=max).contains(&x) {
        Ok(())
    } else {
        Err(ConvergenceError::Domain {
            what,
            value: x,
            min,
            max,
        })
    }
}

/// A positive profile value within [PROFILE_VALUE_MIN, PROFILE_VALUE_MAX]; zero passes.
fn value_in_domain(what: &'static str, x: f64) -> Result<(), ConvergenceError> {
    if x == 0.0 {
        return Ok(());
    }
    in_domain(what, x, PROFILE_VALUE_MIN, PROFILE_VALUE_MAX)
}

/// A profile on [0, 1].
///
/// ```
/// use pai_graphon::convergence::profile::Profile;
/// let step = Profile::Step { breaks: vec![0.25, 0.5], levels: vec![0.0, 1.0, 2.0] };
/// assert_eq!(Profile::parse("step:0.25,0.5;0,1,2").unwrap(), step);
/// let decreasing = Profile::Step { breaks: vec![0.5], levels: vec![2.0, 1.0] };
/// assert!(decreasing.validate().is_err());
/// // Breakpoints lie strictly inside (0, 1) and increase strictly.
/// for bad in ["step:0;1,2", "step:1;1,2", "step:0.5,0.5;1,2,3"] {
///     assert!(Profile::parse(bad).is_err(), "{bad}");
/// }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Profile {
    /// A positive constant.
    Constant(f64),
    /// `a + b u`.
    Affine(f64, f64),
    /// `u^p`.
    Power(f64),
    /// `e^(a u)`.
    Exp(f64),
    /// A step function: `breaks` strictly inside (0, 1), increasing; one more level than breaks.
    Step {
        /// Interior breakpoints, increasing.
        breaks: Vec<f64>,
        /// Levels, non-decreasing, one per cell.
        levels: Vec<f64>,
    },
}

fn number(text: &str, spec: &str) -> Result<f64, ConvergenceError> {
    let bad = |why| ConvergenceError::Spec {
        spec: spec.to_string(),
        why,
    };
    let x: f64 = text
        .trim()
        .parse()
        .map_err(|_| bad("an argument is not a number"))?;
    if x.is_finite() {
        Ok(x)
    } else {
        Err(bad("an argument is not finite"))
    }
}

fn numbers(text: &str, spec: &str) -> Result<Vec<f64>, ConvergenceError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    text.split(',').map(|t| number(t, spec)).collect()
}

impl Profile {
    /// Parse a spec (see the module table) and validate it.
    ///
    /// ```
    /// use pai_graphon::convergence::profile::Profile;
    /// let p = Profile::parse("exp:3").unwrap();
    /// assert_eq!(p.value(0.0), 1.0);
    /// assert!(Profile::parse("affine:1,-1").is_err());
    /// assert!(Profile::parse("exp").is_err());
    /// ```
    pub fn parse(spec: &str) -> Result<Self, ConvergenceError> {
        let bad = |why| ConvergenceError::Spec {
            spec: spec.to_string(),
            why,
        };
        let (kind, args) = spec
            .split_once(':')
            .ok_or_else(|| bad("expected KIND:ARGS, e.g. exp:3 (kinds: const, affine, power, exp, step, empirical)"))?;
        let arity = |v: Vec<f64>, n: usize| {
            if v.len() == n {
                Ok(v)
            } else {
                Err(bad(
                    "wrong number of arguments (affine takes 2 numbers; const, power, exp take 1)",
                ))
            }
        };
        let profile = match kind {
            "const" => Profile::Constant(arity(numbers(args, spec)?, 1)?[0]),
            "affine" => {
                let v = arity(numbers(args, spec)?, 2)?;
                Profile::Affine(v[0], v[1])
            }
            "power" => Profile::Power(arity(numbers(args, spec)?, 1)?[0]),
            "exp" => Profile::Exp(arity(numbers(args, spec)?, 1)?[0]),
            "step" => {
                let (b, l) = args
                    .split_once(';')
                    .ok_or_else(|| bad("step takes BREAKS;LEVELS, e.g. step:0.5;1,2"))?;
                Profile::Step {
                    breaks: numbers(b, spec)?,
                    levels: numbers(l, spec)?,
                }
            }
            "empirical" => Profile::empirical(&numbers(args, spec)?)?,
            _ => {
                return Err(bad(
                    "unknown profile kind (kinds: const, affine, power, exp, step, empirical)",
                ));
            }
        };
        profile.validate()?;
        Ok(profile)
    }

    /// The step profile of N values (e.g. a data column statistic), sorted increasingly, on N
    /// equal cells: the quantile function of their empirical law.
    ///
    /// ```
    /// use pai_graphon::convergence::profile::Profile;
    /// let p = Profile::empirical(&[3.0, 1.0]).unwrap();
    /// assert_eq!((p.value(0.25), p.value(0.75)), (1.0, 3.0));
    /// ```
    pub fn empirical(values: &[f64]) -> Result<Self, ConvergenceError> {
        if values.is_empty() {
            return Err(ConvergenceError::ProfileShape(
                "an empirical profile needs at least one value",
            ));
        }
        if let Some(&value) = values.iter().find(|x| !x.is_finite()) {
            return Err(ConvergenceError::Profile {
                what: "value",
                value,
                why: "is not finite",
            });
        }
        let mut levels = values.to_vec();
        levels.sort_by(f64::total_cmp);
        let n = levels.len();
        let breaks = (1..n).map(|k| k as f64 / n as f64).collect();
        let p = Profile::Step { breaks, levels };
        p.validate()?;
        Ok(p)
    }

    /// Check non-negativity, monotonicity, finiteness and that the profile is not zero
    /// everywhere.
    ///
    /// ```
    /// use pai_graphon::convergence::profile::Profile;
    /// // e^(1e308 u) overflows f64 (found by tests/suite/fuzz_parsers.rs).
    /// assert!(Profile::parse("exp:1e308").is_err());
    /// assert!(Profile::parse("affine:1e308,1e308").is_err());
    /// ```
    pub fn validate(&self) -> Result<(), ConvergenceError> {
        self.validate_kind()?;
        // Profiles are non-decreasing: their largest value is at u = 1.
        let top = self.value(1.0);
        if !top.is_finite() {
            return Err(ConvergenceError::Profile {
                what: "the value at u = 1",
                value: top,
                why: "overflows f64",
            });
        }
        self.validate_domain()
    }

    /// The certified domain (theory/convergence.md, "Domain"): positive values within
    /// [`PROFILE_VALUE_MIN`], [`PROFILE_VALUE_MAX`], exp rates up to [`EXP_RATE_MAX`], powers
    /// up to [`POWER_MAX`].
    fn validate_domain(&self) -> Result<(), ConvergenceError> {
        match self {
            Profile::Constant(c) => value_in_domain("const value", *c),
            Profile::Affine(a, b) => {
                value_in_domain("affine intercept a", *a)?;
                value_in_domain("affine slope b", *b)?;
                value_in_domain("affine top value a + b", a + b)
            }
            Profile::Power(p) => in_domain("power p", *p, f64::MIN_POSITIVE, POWER_MAX),
            Profile::Exp(a) => in_domain("exp rate", *a, 0.0, EXP_RATE_MAX),
            Profile::Step { levels, .. } => levels
                .iter()
                .try_for_each(|l| value_in_domain("step level", *l)),
        }
    }

    fn validate_kind(&self) -> Result<(), ConvergenceError> {
        let bad = |what, value, why| Err(ConvergenceError::Profile { what, value, why });
        let shape = |why| Err(ConvergenceError::ProfileShape(why));
        match self {
            Profile::Constant(c) if *c <= 0.0 => bad("constant", *c, "must be positive"),
            Profile::Affine(a, _) if *a < 0.0 => {
                bad("affine intercept a", *a, "must be non-negative")
            }
            Profile::Affine(_, b) if *b < 0.0 => bad("affine slope b", *b, "must be non-negative"),
            Profile::Affine(a, b) if a + b <= 0.0 => bad("affine a + b", a + b, "must be positive"),
            Profile::Power(p) if *p <= 0.0 => bad("power", *p, "must be positive"),
            Profile::Exp(a) if *a < 0.0 => bad("exp rate", *a, "must be non-negative"),
            Profile::Step { breaks, levels } => {
                if levels.len() != breaks.len() + 1 {
                    return shape("a step profile needs one level more than breakpoints");
                }
                let inside = breaks.iter().all(|b| *b > 0.0 && *b < 1.0);
                if !inside || breaks.windows(2).any(|w| w[0] >= w[1]) {
                    return shape("breakpoints must increase strictly inside (0, 1)");
                }
                if levels.iter().any(|l| *l < 0.0) || levels.windows(2).any(|w| w[0] > w[1]) {
                    return shape("levels must be non-negative and non-decreasing (sort them)");
                }
                if levels.iter().all(|l| *l == 0.0) {
                    return shape("the profile is zero everywhere");
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The profile at `u` in [0, 1]; step cells are half-open `[b_m, b_(m+1))`, the last closed.
    ///
    /// ```
    /// use pai_graphon::convergence::profile::Profile;
    /// let step = Profile::Step { breaks: vec![0.25, 0.5], levels: vec![0.0, 1.0, 2.0] };
    /// assert_eq!((step.value(0.2), step.value(0.25), step.value(1.0)), (0.0, 1.0, 2.0));
    /// assert_eq!(Profile::Affine(1.0, 2.0).value(0.25), 1.5);
    /// ```
    pub fn value(&self, u: f64) -> f64 {
        match self {
            Profile::Constant(c) => *c,
            Profile::Affine(a, b) => a + b * u,
            Profile::Power(p) => u.powf(*p),
            Profile::Exp(a) => (a * u).exp(),
            Profile::Step { breaks, levels } => levels[breaks.partition_point(|b| *b <= u)],
        }
    }

    /// Whether the exact profile is positive at `u` in [0, 1] (its f64 value may underflow to 0
    /// where it is not: `power:16` at u = 1e-30).
    ///
    /// ```
    /// use pai_graphon::convergence::profile::Profile;
    /// let p = Profile::parse("power:16").unwrap();
    /// assert_eq!((p.value(1e-30), p.positive_at(1e-30), p.positive_at(0.0)), (0.0, true, false));
    /// assert!(!Profile::parse("step:0.5;0,1").unwrap().positive_at(0.25));
    /// ```
    pub fn positive_at(&self, u: f64) -> bool {
        match self {
            Profile::Constant(_) | Profile::Exp(_) => true,
            Profile::Affine(a, b) => *a > 0.0 || (*b > 0.0 && u > 0.0),
            Profile::Power(_) => u > 0.0,
            Profile::Step { .. } => self.value(u) > 0.0,
        }
    }

    /// The largest value, attained at u = 1 (profiles are non-decreasing).
    ///
    /// ```
    /// use pai_graphon::convergence::profile::Profile;
    /// assert_eq!(Profile::parse("affine:1,2").unwrap().sup(), 3.0);
    /// assert_eq!(Profile::parse("power:3").unwrap().sup(), 1.0);
    /// ```
    pub fn sup(&self) -> f64 {
        self.value(1.0)
    }

    /// Interior points where the profile jumps (empty for the smooth kinds).
    ///
    /// ```
    /// use pai_graphon::convergence::profile::Profile;
    /// assert_eq!(Profile::parse("empirical:1,2,3,4").unwrap().breakpoints(), &[0.25, 0.5, 0.75]);
    /// assert!(Profile::parse("exp:3").unwrap().breakpoints().is_empty());
    /// ```
    pub fn breakpoints(&self) -> &[f64] {
        match self {
            Profile::Step { breaks, .. } => breaks,
            _ => &[],
        }
    }
}
