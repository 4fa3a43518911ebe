//! Edge-noise laws of the Factorised Saliency Model, described by the law of |ξ|: its tail
//! `P(|ξ| > x)`, its inverse, its density, and a sampler driven by a seeded stream.
//!
//! | spec | law of \|ξ\| |
//! |---|---|
//! | `gaussian:σ` | half-normal: \|N(0, σ²)\| |
//! | `uniform:a` | U(0, a) (ξ uniform on (−a, a)) |

use super::ConvergenceError;
use crate::seed::uniform_open01;
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, StandardNormal};
use std::f64::consts::{PI, SQRT_2};

/// The law of |ξ|, which must be continuous (assumption A5). Draws come from a labelled ChaCha
/// stream; replaying the stream replays the draws.
pub trait NoiseLaw: Send + Sync + std::fmt::Debug {
    /// The spec that parses back to this law.
    fn spec(&self) -> String;
    /// `P(|ξ| > x)` for `x ≥ 0` (1 at 0, 0 at +∞).
    fn tail(&self, x: f64) -> f64;
    /// The x with `P(|ξ| > x) = q`, q in (0, 1].
    fn tail_inverse(&self, q: f64) -> f64;
    /// The density of |ξ| at x ≥ 0.
    fn density(&self, x: f64) -> f64;
    /// One draw of |ξ|.
    fn sample_abs(&self, rng: &mut ChaCha20Rng) -> f64;
}

/// |ξ| with ξ ~ N(0, σ²).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HalfNormal {
    /// The standard deviation σ > 0 of ξ.
    pub sigma: f64,
}

impl NoiseLaw for HalfNormal {
    fn spec(&self) -> String {
        format!("gaussian:{}", self.sigma)
    }
    fn tail(&self, x: f64) -> f64 {
        statrs::function::erf::erfc(x / (self.sigma * SQRT_2))
    }
    fn tail_inverse(&self, q: f64) -> f64 {
        self.sigma * SQRT_2 * statrs::function::erf::erfc_inv(q)
    }
    fn density(&self, x: f64) -> f64 {
        let z = x / self.sigma;
        (2.0 / PI).sqrt() / self.sigma * (-0.5 * z * z).exp()
    }
    /// σ |z| with z from rand_distr's ziggurat `StandardNormal` (fast; not by inversion).
    fn sample_abs(&self, rng: &mut ChaCha20Rng) -> f64 {
        let z: f64 = StandardNormal.sample(rng);
        self.sigma * z.abs()
    }
}

/// |ξ| ~ U(0, a).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UniformAbs {
    /// The upper end a > 0.
    pub a: f64,
}

impl NoiseLaw for UniformAbs {
    fn spec(&self) -> String {
        format!("uniform:{}", self.a)
    }
    fn tail(&self, x: f64) -> f64 {
        (1.0 - x / self.a).clamp(0.0, 1.0)
    }
    fn tail_inverse(&self, q: f64) -> f64 {
        self.a * (1.0 - q)
    }
    fn density(&self, x: f64) -> f64 {
        if (0.0..self.a).contains(&x) {
            1.0 / self.a
        } else {
            0.0
        }
    }
    fn sample_abs(&self, rng: &mut ChaCha20Rng) -> f64 {
        self.a * uniform_open01(rng)
    }
}

/// A parsed noise law.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Noise {
    /// Half-normal.
    Gaussian(HalfNormal),
    /// Uniform.
    Uniform(UniformAbs),
}

impl Noise {
    /// Parse `gaussian:σ` or `uniform:a`.
    ///
    /// ```
    /// use pai_graphon::convergence::noise::{Noise, NoiseLaw};
    /// let n = Noise::parse("uniform:2").unwrap();
    /// assert_eq!(n.law().tail(0.5), 0.75);
    /// assert!(Noise::parse("gaussian:-1").is_err());
    /// ```
    pub fn parse(spec: &str) -> Result<Self, ConvergenceError> {
        let bad = |why: &str| ConvergenceError::Spec(format!("{spec:?}: {why}"));
        let (kind, arg) = spec
            .split_once(':')
            .ok_or_else(|| bad("expected gaussian:SIGMA or uniform:A"))?;
        let x: f64 = arg
            .trim()
            .parse()
            .map_err(|_| bad(&format!("{arg:?} is not a number")))?;
        if !(x.is_finite() && x > 0.0) {
            return Err(bad("the scale must be positive and finite"));
        }
        match kind {
            "gaussian" => Ok(Noise::Gaussian(HalfNormal { sigma: x })),
            "uniform" => Ok(Noise::Uniform(UniformAbs { a: x })),
            _ => Err(bad(&format!(
                "unknown noise law {kind:?} (gaussian, uniform)"
            ))),
        }
    }

    /// The law as a trait object.
    pub fn law(&self) -> &dyn NoiseLaw {
        match self {
            Noise::Gaussian(l) => l,
            Noise::Uniform(l) => l,
        }
    }
}
