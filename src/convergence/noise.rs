//! Edge-noise laws of the Factorised Saliency Model, described by the law of |ξ|: its tail
//! `P(|ξ| > x)`, its inverse, its density, and a sampler driven by a seeded stream.
//!
//! | spec | law of \|ξ\| |
//! |---|---|
//! | `gaussian:σ` | half-normal: \|N(0, σ²)\| |
//! | `uniform:a` | U(0, a) (ξ uniform on (−a, a)) |
//!
//! ```
//! use pai_graphon::convergence::noise::Noise;
//! for spec in ["gaussian:2", "uniform:0.5"] {
//!     assert_eq!(Noise::parse(spec).unwrap().law().spec(), spec);
//! }
//! assert!(Noise::parse("cauchy:1").is_err());
//! ```

use super::ConvergenceError;
use crate::normal::{erfc, half_normal_isf};
use crate::seed::uniform_open01;
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, StandardNormal};
use std::f64::consts::{PI, SQRT_2};

/// The law of |ξ|, which must be continuous (assumption A5). Draws come from a labelled ChaCha
/// stream; replaying the stream replays the draws.
///
/// ```
/// use pai_graphon::convergence::noise::{HalfNormal, NoiseLaw, UniformAbs};
/// use pai_graphon::normal::{HALF_NORMAL_ISF_RELATIVE_BOUND, SF_RELATIVE_BOUND};
/// use pai_graphon::seed::MasterSeed;
/// fn check(law: &dyn NoiseLaw) {
///     assert_eq!(law.tail(0.0), 1.0);
///     // x errs by at most HALF_NORMAL_ISF_RELATIVE_BOUND relative (the uniform's a (1 − q):
///     // two roundings), which moves the tail by the density times that; the tail errs by
///     // SF_RELATIVE_BOUND and four roundings (the half-normal's argument, two roundings
///     // through erfc's relative condition 1.61 here; the uniform's quotient and difference),
///     // one more for the density's own rounding and its change over the step.
///     let x = law.tail_inverse(0.3);
///     let moved = law.density(x) * x * HALF_NORMAL_ISF_RELATIVE_BOUND;
///     let own = (SF_RELATIVE_BOUND + pai_graphon::tol::gamma(5).unwrap()) * 0.3;
///     assert!((law.tail(x) - 0.3).abs() <= moved + own);
///     let seed = MasterSeed::default();
///     let draw = law.sample_abs(&mut seed.stream("DOC"));
///     assert!(draw >= 0.0 && draw == law.sample_abs(&mut seed.stream("DOC")));
/// }
/// check(&HalfNormal { sigma: 2.0 });
/// check(&UniformAbs { a: 3.0 });
/// ```
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
    /// Upper bounds `(sup |G'|, sup |G''|)` for `G(s) = P(|ξ| > y)`, `y = τ e^(−s)`, over the
    /// s-range on which y runs through `[y_lo, y_hi]` (`y_hi` may be +∞): `G'(s) = y f(y)`,
    /// `G''(s) = −y (f(y) + y f'(y))` with f the density of |ξ|. `None` when G is not twice
    /// differentiable on that range (a kink of the law inside it); the default knows nothing.
    /// Used by the a-priori quadrature bounds of `convergence::limit`.
    fn log_scale_derivative_sups(&self, y_lo: f64, y_hi: f64) -> Option<(f64, f64)> {
        let _ = (y_lo, y_hi);
        None
    }
    /// An upper bound on `sup |G^(k)(s)|` (k ≥ 1) over the same range, for the Gauss–Legendre
    /// remainder of `convergence::limit`; `None` when unknown or G is not smooth there.
    fn log_scale_derivative_sup(&self, k: usize, y_lo: f64, y_hi: f64) -> Option<f64> {
        let _ = (k, y_lo, y_hi);
        None
    }
}

/// Rounding margin for the sup bounds: each candidate value takes under 16 flops.
fn sup_margin(x: f64) -> f64 {
    x * (1.0 + 32.0 * f64::EPSILON)
}

/// |ξ| with ξ ~ N(0, σ²).
///
/// ```
/// use pai_graphon::convergence::noise::{HalfNormal, NoiseLaw};
/// let law = HalfNormal { sigma: 2.0 };
/// // P(|Z| > 1) = erfc(1/√2): the f64 nearest it (mpmath, 40 digits) is within u; erfc is
/// // accurate to SF_RELATIVE_BOUND, and the argument 2/(2√2) takes two roundings (√2, the
/// // quotient) that erfc's relative condition z erfc'(z)/erfc(z) = 1.53 turns into at most 4u.
/// let r = 0.3173105078629141;
/// let bound = pai_graphon::normal::SF_RELATIVE_BOUND + pai_graphon::tol::gamma(5).unwrap();
/// assert!((law.tail(2.0) - r).abs() <= bound * r);
/// assert_eq!(law.density(0.0), (2.0 / std::f64::consts::PI).sqrt() / 2.0);
/// assert_eq!(law.spec(), "gaussian:2");
/// ```
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
        erfc(x / (self.sigma * SQRT_2))
    }
    /// The certified quantile [`half_normal_isf`] (relative error within
    /// `HALF_NORMAL_ISF_RELATIVE_BOUND`, which CONV-5 uses): one quantile for the library and the
    /// claims. q in (0, 1] and σ > 0 by the trait's and the parser's contracts; NaN outside them.
    fn tail_inverse(&self, q: f64) -> f64 {
        half_normal_isf(q, self.sigma).unwrap_or(f64::NAN)
    }
    fn density(&self, x: f64) -> f64 {
        let z = x / self.sigma;
        (2.0 / PI).sqrt() / self.sigma * (-0.5 * z * z).exp()
    }
    /// σ |z| with z from rand_distr's ziggurat `StandardNormal` (fast; not by inversion).
    #[inline] // the hot loop of every mask: keep the ziggurat inlined there
    fn sample_abs(&self, rng: &mut ChaCha20Rng) -> f64 {
        let z: f64 = StandardNormal.sample(rng);
        self.sigma * z.abs()
    }
    /// With z = y/σ: `G' = sqrt(2/π) z e^(−z²/2)` (largest at z = 1) and
    /// `|G''| = sqrt(2/π) |z (1 − z²)| e^(−z²/2)` (critical points z² = 2 ± √3); the sup over an
    /// interval is the largest value at its ends and the critical points inside.
    ///
    /// ```
    /// use pai_graphon::convergence::noise::{HalfNormal, NoiseLaw};
    /// let (s1, s2) = HalfNormal { sigma: 1.0 }.log_scale_derivative_sups(0.0, f64::INFINITY).unwrap();
    /// let c = (2.0 / std::f64::consts::PI).sqrt();
    /// let peak = c * (-0.5f64).exp();
    /// assert!(s1 >= peak && s1 <= peak * (1.0 + 1e-14));
    /// // |G''| peaks at the larger critical point, z² = 2 + √3.
    /// let z2 = 2.0 + 3f64.sqrt();
    /// let peak2 = c * z2.sqrt() * (z2 - 1.0) * (-0.5 * z2).exp();
    /// assert!(s2 >= peak2 && s2 <= peak2 * (1.0 + 1e-14));
    /// ```
    fn log_scale_derivative_sups(&self, y_lo: f64, y_hi: f64) -> Option<(f64, f64)> {
        let (z_lo, z_hi) = (y_lo / self.sigma, y_hi / self.sigma);
        let k1 = |z: f64| {
            if z.is_finite() {
                z * (-0.5 * z * z).exp()
            } else {
                0.0
            }
        };
        let k2 = |z: f64| {
            if z.is_finite() {
                (z * (1.0 - z * z)).abs() * (-0.5 * z * z).exp()
            } else {
                0.0
            }
        };
        let inside = |z: f64| z_lo <= z && z <= z_hi;
        let ends = [z_lo, z_hi];
        let mut s1 = ends.iter().map(|&z| k1(z)).fold(0.0, f64::max);
        if inside(1.0) {
            s1 = s1.max(k1(1.0));
        }
        let crit = [(2.0 - 3f64.sqrt()).sqrt(), (2.0 + 3f64.sqrt()).sqrt()];
        let mut s2 = ends.iter().map(|&z| k2(z)).fold(0.0, f64::max);
        for z in crit.into_iter().filter(|z| inside(*z)) {
            // k2' = 0 there, so rounding in z moves k2 only to second order (inside the margin)
            s2 = s2.max(k2(z));
        }
        let c = (2.0 / PI).sqrt();
        Some((sup_margin(c * s1), sup_margin(c * s2)))
    }
    /// `G^(k)(s) = sqrt(2/π) Q_k(z) e^(−z²/2)` with `Q_1 = z`, `Q_(k+1) = z² Q_k − z Q_k'`
    /// (integer coefficients); bounded by `Σ_j |q_j| sup z^j e^(−z²/2)`, each monomial term
    /// peaking at z = √j.
    ///
    /// ```
    /// use pai_graphon::convergence::noise::{HalfNormal, NoiseLaw};
    /// let law = HalfNormal { sigma: 1.0 };
    /// let (s1, _) = law.log_scale_derivative_sups(0.0, f64::INFINITY).unwrap();
    /// let s = law.log_scale_derivative_sup(1, 0.0, f64::INFINITY).unwrap();
    /// assert!(s >= s1 * (1.0 - 1e-14) && s <= s1 * (1.0 + 1e-14)); // both bound sqrt(2/π) e^(−1/2)
    /// ```
    fn log_scale_derivative_sup(&self, k: usize, y_lo: f64, y_hi: f64) -> Option<f64> {
        if k == 0 {
            return None;
        }
        let (z_lo, z_hi) = (y_lo / self.sigma, y_hi / self.sigma);
        let mut q = vec![0.0, 1.0];
        for _ in 1..k {
            // next = z² Q − z Q': coefficient j is q[j−2] − j q[j]
            let next = (0..q.len() + 2)
                .map(|j| {
                    let shifted = if j >= 2 { q[j - 2] } else { 0.0 };
                    shifted - j as f64 * q.get(j).copied().unwrap_or(0.0)
                })
                .collect();
            q = next;
        }
        let peak = |j: usize| {
            let z = (j as f64).sqrt().clamp(z_lo, z_hi);
            if z == 0.0 {
                if j == 0 {
                    1.0
                } else {
                    0.0
                }
            } else if z.is_finite() {
                (j as f64 * z.ln() - 0.5 * z * z).exp()
            } else {
                0.0
            }
        };
        let total: f64 = q.iter().enumerate().map(|(j, c)| c.abs() * peak(j)).sum();
        let c = (2.0 / PI).sqrt();
        Some(sup_margin(c * total) * (1.0 + 4.0 * k as f64 * f64::EPSILON))
    }
}

/// |ξ| ~ U(0, a).
///
/// ```
/// use pai_graphon::convergence::noise::{NoiseLaw, UniformAbs};
/// let law = UniformAbs { a: 2.0 };
/// assert_eq!((law.tail(0.5), law.tail_inverse(0.75), law.density(1.0)), (0.75, 0.5, 0.5));
/// assert_eq!((law.tail(3.0), law.density(3.0)), (0.0, 0.0));
/// ```
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
    #[inline] // the hot loop of every mask: keep the ziggurat inlined there
    fn sample_abs(&self, rng: &mut ChaCha20Rng) -> f64 {
        self.a * uniform_open01(rng)
    }
    /// `G(s) = 1 − y/a` for y ≤ a (so `|G'| = |G''| = y/a`) and 0 for y ≥ a; G has a kink at
    /// y = a, so the answer is `None` when a lies strictly inside the range.
    ///
    /// ```
    /// use pai_graphon::convergence::noise::{NoiseLaw, UniformAbs};
    /// let law = UniformAbs { a: 2.0 };
    /// assert_eq!(law.log_scale_derivative_sups(3.0, 5.0), Some((0.0, 0.0)));
    /// assert_eq!(law.log_scale_derivative_sups(1.0, 3.0), None);
    /// ```
    fn log_scale_derivative_sups(&self, y_lo: f64, y_hi: f64) -> Option<(f64, f64)> {
        if y_lo >= self.a {
            Some((0.0, 0.0))
        } else if y_hi <= self.a {
            let s = sup_margin(y_hi / self.a);
            Some((s, s))
        } else {
            None
        }
    }
    /// `G(s) = 1 − τ e^(−s)/a` where y ≤ a, so `|G^(k)| = y/a` for every k ≥ 1.
    ///
    /// ```
    /// use pai_graphon::convergence::noise::{NoiseLaw, UniformAbs};
    /// assert_eq!(UniformAbs { a: 2.0 }.log_scale_derivative_sup(9, 0.5, 1.0), Some(0.5 * (1.0 + 32.0 * f64::EPSILON)));
    /// ```
    fn log_scale_derivative_sup(&self, k: usize, y_lo: f64, y_hi: f64) -> Option<f64> {
        self.log_scale_derivative_sups(y_lo, y_hi)
            .filter(|_| k >= 1)
            .map(|(s1, _)| s1)
    }
}

/// The smallest noise scale (σ or a) of the certified domain; see
/// `profile::PROFILE_VALUE_MIN` for why products of profiles and scales stay in [1e-150, 1e150].
///
/// ```
/// use pai_graphon::convergence::noise::{Noise, NOISE_SCALE_MIN};
/// assert!(Noise::parse(&format!("gaussian:{NOISE_SCALE_MIN}")).is_ok());
/// assert!(Noise::parse("gaussian:1e-300").is_err());
/// ```
pub const NOISE_SCALE_MIN: f64 = 1e-50;

/// The largest noise scale of the certified domain.
///
/// ```
/// use pai_graphon::convergence::noise::{Noise, NOISE_SCALE_MAX};
/// assert!(Noise::parse("uniform:1e50").is_ok() && Noise::parse("uniform:1e51").is_err());
/// # assert_eq!(NOISE_SCALE_MAX, 1e50);
/// ```
pub const NOISE_SCALE_MAX: f64 = 1e50;

/// A parsed noise law.
///
/// ```
/// use pai_graphon::convergence::noise::{HalfNormal, Noise, UniformAbs};
/// assert_eq!(Noise::parse("gaussian:1.5").unwrap(), Noise::Gaussian(HalfNormal { sigma: 1.5 }));
/// assert_eq!(Noise::parse("uniform:1").unwrap(), Noise::Uniform(UniformAbs { a: 1.0 }));
/// ```
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
        let bad = |why| ConvergenceError::Spec {
            spec: spec.to_string(),
            why,
        };
        let (kind, arg) = spec
            .split_once(':')
            .ok_or_else(|| bad("expected gaussian:SIGMA or uniform:A"))?;
        let x: f64 = arg
            .trim()
            .parse()
            .map_err(|_| bad("the scale is not a number"))?;
        if !(x.is_finite() && x > 0.0) {
            return Err(bad("the scale must be positive and finite"));
        }
        let noise = match kind {
            "gaussian" => Noise::Gaussian(HalfNormal { sigma: x }),
            "uniform" => Noise::Uniform(UniformAbs { a: x }),
            _ => {
                return Err(bad("unknown noise law (gaussian, uniform)"));
            }
        };
        noise.validate()?;
        Ok(noise)
    }

    /// Check that the scale lies in the certified domain [[`NOISE_SCALE_MIN`],
    /// [`NOISE_SCALE_MAX`]] (a NaN scale fails too).
    ///
    /// ```
    /// use pai_graphon::convergence::noise::{HalfNormal, Noise};
    /// assert!(Noise::Gaussian(HalfNormal { sigma: 1.0 }).validate().is_ok());
    /// assert!(Noise::Gaussian(HalfNormal { sigma: 1e-300 }).validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), ConvergenceError> {
        let scale = match self {
            Noise::Gaussian(l) => l.sigma,
            Noise::Uniform(l) => l.a,
        };
        super::profile::in_domain("noise scale", scale, NOISE_SCALE_MIN, NOISE_SCALE_MAX)
    }

    /// The law as a trait object.
    ///
    /// ```
    /// use pai_graphon::convergence::noise::{Noise, UniformAbs};
    /// let law = Noise::Uniform(UniformAbs { a: 2.0 }).law();
    /// assert_eq!((law.spec(), law.tail(1.0)), ("uniform:2".to_string(), 0.5));
    /// ```
    pub fn law(&self) -> &dyn NoiseLaw {
        match self {
            Noise::Gaussian(l) => l,
            Noise::Uniform(l) => l,
        }
    }
}
