//! The power report of the sharp check (`pai-graphon power`; theory/external.md, "Power").
//!
//! For the Figure-1 model (exp:3; exp:3; gaussian:1 at ρ = 0.2) and four perturbation families
//! ([`Family`]), the smallest ε that `check` (default null, δ = 1e-3) rejects with probability
//! ≥ 0.9, beside the same number for the Neyman–Pearson test of that simple alternative.
//!
//! - `check`'s power at ε: R alternative stacks (streams `power/{family}/{eps}/{draw}/{r}`) run
//!   through the rejection rule of [`super::sharp::Sharp`] against ONE reference set of null
//!   replicates per (shape, S) (streams `check/null/{frozen|topk}/B`): the power is that of the
//!   test with this reference set.
//! - The Neyman–Pearson test of frozen-threshold masks: H0 entries Bernoulli(p⁰) at τ*(ρ), H1
//!   the perturbed model's frozen-threshold masks at its own limit threshold. Its log-likelihood
//!   ratio is a sum of independent terms (entries, or (row, source-row) pairs for copied rows)
//!   whose means and variances under H0 and H1 are exact; the critical value and the power
//!   use the normal law of the sum (a normal approximation, not a simulation: stated as such).
//! - The smallest ε: `check` on the geometric grid `ε_NP · 2^(k/2)` (resolution √2), the NP ε
//!   by bisection to relative precision `NP_PRECISION` (10⁻³).
//!
//! ```
//! use pai_graphon::external::power::{Family, DELTA, TARGET};
//! assert_eq!((DELTA, TARGET), (1e-3, 0.9));
//! assert_eq!(Family::CopiedRows.name(), "copied rows");
//! ```

use super::sharp::{Options, Sharp};
use super::simulate::{Draw, Model};
use super::{ExternalError, Null};
use crate::convergence::limit::Fsm;
use crate::convergence::noise::{HalfNormal, NoiseLaw, UniformAbs};
use crate::convergence::profile::Profile;
use crate::convergence::sampler::grid;
use crate::mask::Mask;
use crate::normal::{normal_quantile, normal_sf};
use crate::seed::{uniform_open01, MasterSeed};
use crate::verdict::Status;
use crate::Error;
use rand_chacha::ChaCha20Rng;
use std::sync::Arc;

/// The density of the Figure-1 model's power report.
pub(crate) const RHO: f64 = 0.2;
/// The false-rejection probability of the check whose power is reported.
///
/// ```
/// assert_eq!(pai_graphon::external::power::DELTA, 1e-3);
/// ```
pub const DELTA: f64 = 1e-3;
/// The power a reported ε must reach.
///
/// ```
/// assert_eq!(pai_graphon::external::power::TARGET, 0.9);
/// ```
pub const TARGET: f64 = 0.9;
/// Relative precision of the Neyman–Pearson ε (bisection).
pub(crate) const NP_PRECISION: f64 = 1e-3;
/// Grid points per side of the midpoint rule that fixes the mixture's limit threshold.
const MIXTURE_GRID: usize = 1024;

/// |ξ| drawn from `(1 − w)·half-normal(1) + w·uniform on [0, √3]` (both of second moment 1).
///
/// ```
/// use pai_graphon::convergence::noise::NoiseLaw;
/// use pai_graphon::external::power::Mixture;
/// let law = Mixture { weight: 0.5 };
/// // P(|ξ| > √3) is half the half-normal's tail there: the uniform part ends at √3.
/// let hn = pai_graphon::convergence::noise::HalfNormal { sigma: 1.0 };
/// assert_eq!(law.tail(3f64.sqrt()), 0.5 * hn.tail(3f64.sqrt()));
/// // The bisection stops on two adjacent floats with the computed tail on either side of q.
/// let x = law.tail_inverse(0.3);
/// assert!(law.tail(x) <= 0.3 && law.tail(f64::from_bits(x.to_bits() - 1)) > 0.3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mixture {
    /// The uniform part's weight w in [0, 1].
    pub weight: f64,
}

impl Mixture {
    fn parts(&self) -> (HalfNormal, UniformAbs) {
        (HalfNormal { sigma: 1.0 }, UniformAbs { a: 3f64.sqrt() })
    }
}

impl NoiseLaw for Mixture {
    fn spec(&self) -> String {
        format!(
            "mixture:gaussian:1,uniform:{},w={}",
            3f64.sqrt(),
            self.weight
        )
    }
    fn tail(&self, x: f64) -> f64 {
        let (g, u) = self.parts();
        (1.0 - self.weight) * g.tail(x) + self.weight * u.tail(x)
    }
    /// Bisection on the decreasing tail until the bracket is two adjacent floats (at most
    /// ~2100 halvings of [0, 40]; the half-normal's tail at 40 underflows to 0).
    fn tail_inverse(&self, q: f64) -> f64 {
        if !(q > 0.0 && q <= 1.0) {
            return f64::NAN;
        }
        if self.tail(0.0) <= q {
            return 0.0;
        }
        let (mut lo, mut hi) = (0.0f64, 40.0f64);
        loop {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                return hi;
            }
            match self.tail(mid) > q {
                true => lo = mid,
                false => hi = mid,
            }
        }
    }
    fn density(&self, x: f64) -> f64 {
        let (g, u) = self.parts();
        (1.0 - self.weight) * g.density(x) + self.weight * u.density(x)
    }
    fn sample_abs(&self, rng: &mut ChaCha20Rng) -> f64 {
        let (g, u) = self.parts();
        match uniform_open01(rng) < self.weight {
            true => u.sample_abs(rng),
            false => g.sample_abs(rng),
        }
    }
}

/// A perturbation family of the Figure-1 model, indexed by its size ε.
///
/// ```
/// use pai_graphon::external::power::Family;
/// assert_eq!(Family::ALL.map(Family::name), ["density", "exponent", "noise", "copied rows"]);
/// assert_eq!(Family::CopiedRows.max(), 0.5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// ρ(1 + ε).
    Density,
    /// Both profiles exp:3(1 − ε).
    Exponent,
    /// |ξ| from [`Mixture`] with weight ε.
    Noise,
    /// A fraction ε of rows, evenly spaced, reuse the noise of the row before them.
    CopiedRows,
}

impl Family {
    /// The four families, in report order.
    ///
    /// ```
    /// use pai_graphon::external::power::Family;
    /// assert_eq!(Family::ALL.len(), 4);
    /// ```
    pub const ALL: [Family; 4] = [
        Family::Density,
        Family::Exponent,
        Family::Noise,
        Family::CopiedRows,
    ];

    /// The family's name (stream labels and tables).
    ///
    /// ```
    /// use pai_graphon::external::power::Family;
    /// assert_eq!((Family::Density.name(), Family::Noise.name()), ("density", "noise"));
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Family::Density => "density",
            Family::Exponent => "exponent",
            Family::Noise => "noise",
            Family::CopiedRows => "copied rows",
        }
    }

    /// The largest ε: densities below 1 (ρ = 0.2), a positive exponent, a weight, rows copied
    /// from rows that are not copied themselves.
    ///
    /// ```
    /// use pai_graphon::external::power::Family;
    /// assert_eq!((Family::Density.max(), Family::CopiedRows.max()), (1.0, 0.5));
    /// ```
    pub fn max(self) -> f64 {
        match self {
            Family::Density => 1.0,
            Family::Exponent | Family::Noise => 1.0,
            Family::CopiedRows => 0.5,
        }
    }

    /// The perturbed Figure-1 model at shape `n × d` (its frozen threshold is its own limit
    /// threshold).
    ///
    /// ```
    /// use pai_graphon::external::power::Family;
    /// let m = Family::CopiedRows.model(0.25, 8, 4).unwrap();
    /// assert_eq!(m.row_source, vec![0, 1, 1, 3, 4, 5, 5, 7]); // rows ⌊(2k + 1)·8/4⌋ = 2, 6
    /// assert!(Family::Density.model(1.5, 8, 4).is_err());
    /// ```
    pub fn model(self, eps: f64, n: usize, d: usize) -> Result<Model, Error> {
        if !(eps >= 0.0 && eps <= self.max()) || (self == Family::Density && eps >= self.max()) {
            return Err(ExternalError::Perturbation {
                family: self.name(),
                eps,
                max: self.max(),
            }
            .into());
        }
        let fsm = Fsm::figure1();
        match self {
            Family::Density => Model::from_fsm(&fsm, n, d, RHO * (1.0 + eps)),
            Family::Exponent => {
                let p = Profile::Exp(3.0 * (1.0 - eps));
                let f = Fsm {
                    row: p.clone(),
                    col: p,
                    noise: fsm.noise,
                };
                Model::from_fsm(&f, n, d, RHO)
            }
            Family::Noise => {
                let law = Mixture { weight: eps };
                let tau = mixture_tau(&fsm, &law, RHO);
                Model::new(
                    grid(&fsm.row, n),
                    grid(&fsm.col, d),
                    Arc::new(law),
                    RHO,
                    tau,
                )
            }
            Family::CopiedRows => {
                let mut m = Model::from_fsm(&fsm, n, d, RHO)?;
                m.row_source = copied_rows(n, eps);
                Ok(m)
            }
        }
    }
}

/// `row_source` with `c = round(εn)` copied rows at `⌊(k + ½) n / c⌋`, each reading row − 1
/// (spacing n/c ≥ 2, so no source is itself copied and row 0 is never copied).
fn copied_rows(n: usize, eps: f64) -> Vec<usize> {
    let mut source: Vec<usize> = (0..n).collect();
    let c = (eps * n as f64).round() as usize;
    for k in 0..c {
        let i = ((2 * k + 1) * n) / (2 * c);
        if i >= 1 {
            source[i] = i - 1;
        }
    }
    source
}

/// The mixture's limit threshold: `mean tail(τ/(φψ)) = ρ` over a [`MIXTURE_GRID`]² midpoint
/// grid (error O(grid⁻²) for the smooth exponential profiles), by bisection to adjacent floats.
fn mixture_tau(fsm: &Fsm, law: &Mixture, rho: f64) -> f64 {
    let (phi, psi) = (grid(&fsm.row, MIXTURE_GRID), grid(&fsm.col, MIXTURE_GRID));
    let g = |tau: f64| -> f64 {
        let sum: f64 = phi
            .iter()
            .map(|a| psi.iter().map(|b| law.tail(tau / (a * b))).sum::<f64>())
            .sum();
        sum / (MIXTURE_GRID * MIXTURE_GRID) as f64
    };
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while g(hi) > rho {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        match g(mid) > rho {
            true => lo = mid,
            false => hi = mid,
        }
    }
    0.5 * (lo + hi)
}

/// Exact moments of a sum of independent log-likelihood-ratio terms: `(mean₀, var₀, mean₁,
/// var₁)` under H0 and H1, per mask.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Moments {
    mean0: f64,
    var0: f64,
    mean1: f64,
    var1: f64,
}

impl Moments {
    /// Adds one term on a finite outcome space with laws `p0` and `p1`.
    fn add(&mut self, p0: &[f64], p1: &[f64]) {
        let l: Vec<f64> = p0.iter().zip(p1).map(|(&a, &b)| log_ratio(a, b)).collect();
        let moments = |p: &[f64]| {
            let m: f64 = p.iter().zip(&l).map(|(p, l)| p * l).sum();
            let v: f64 = p.iter().zip(&l).map(|(p, l)| p * (l - m) * (l - m)).sum();
            (m, v)
        };
        let ((m0, v0), (m1, v1)) = (moments(p0), moments(p1));
        self.mean0 += m0;
        self.var0 += v0;
        self.mean1 += m1;
        self.var1 += v1;
    }
}

/// Calls `term(i, j, source, p0, p1)` for every independent term of one mask's log-likelihood
/// ratio, H0 `null` against H1 `alt` (frozen-threshold masks): entries whose keep probability
/// changes (`source = None`, outcomes [0, 1]), and each copied row's entry with its source row's
/// (`source = Some(r)`, outcomes [00, 10, 01, 11] for (row, source); nested threshold events of
/// one |ξ| under H1, so both are kept with probability min(p, q)).
fn for_each_term(
    null: &Model,
    alt: &Model,
    mut term: impl FnMut(usize, usize, Option<usize>, &[f64], &[f64]),
) {
    let (n, d) = (null.phi.len(), null.psi.len());
    let copied: Vec<bool> = (0..n).map(|i| alt.row_source[i] != i).collect();
    let mut is_source = vec![false; n];
    (0..n)
        .filter(|&i| copied[i])
        .for_each(|i| is_source[alt.row_source[i]] = true);
    for i in 0..n {
        if is_source[i] {
            continue; // counted with the row that copies it
        }
        for j in 0..d {
            let (p, q) = (null.keep_probability(i, j), alt.keep_probability(i, j));
            if !copied[i] {
                if p != q {
                    term(i, j, None, &[1.0 - p, p], &[1.0 - q, q]);
                }
                continue;
            }
            let r = alt.row_source[i];
            let (p2, q2) = (null.keep_probability(r, j), alt.keep_probability(r, j));
            let law = |a: f64, b: f64, both: f64| [1.0 - a - b + both, a - both, b - both, both];
            term(i, j, Some(r), &law(p, p2, p * p2), &law(q, q2, q.min(q2)));
        }
    }
}

/// `ln(p1 / p0)` with both floored at the smallest positive f64 (an outcome one law never
/// produces weighs ±708, and its probability is 0 under that law).
fn log_ratio(p0: f64, p1: f64) -> f64 {
    (p1.max(f64::MIN_POSITIVE) / p0.max(f64::MIN_POSITIVE)).ln()
}

/// The Neyman–Pearson test's exact LLR moments for one mask.
fn np_moments(null: &Model, alt: &Model) -> Moments {
    let mut m = Moments::default();
    for_each_term(null, alt, |_, _, _, p0, p1| m.add(p0, p1));
    m
}

#[cfg(test)]
/// The log-likelihood ratio of one mask (H1 `alt` against H0 `null`, frozen-threshold laws).
fn np_llr(null: &Model, alt: &Model, mask: &Mask) -> f64 {
    let mut total = 0.0;
    for_each_term(null, alt, |i, j, source, p0, p1| {
        let kept = |r: usize| usize::from(mask.get(r, j).unwrap_or(false));
        let k = match source {
            None => kept(i),
            Some(r) => kept(i) + 2 * kept(r),
        };
        total += log_ratio(p0[k], p1[k]);
    });
    total
}

/// The Neyman–Pearson test's power for S pooled masks at δ under the normal law of the
/// log-likelihood ratio: reject when LLR > mean₀ + z₁₋δ sd₀.
fn np_power(m: &Moments, stack: usize, delta: f64) -> f64 {
    let s = stack as f64;
    let z = normal_quantile(1.0 - delta).unwrap_or(f64::INFINITY);
    let critical = s * m.mean0 + z * (s * m.var0).sqrt();
    match m.var1 > 0.0 {
        true => normal_sf((critical - s * m.mean1) / (s * m.var1).sqrt()).unwrap_or(0.0),
        false => f64::from(u8::from(s * m.mean1 > critical)),
    }
}

/// Null replicates of the simulated Neyman–Pearson test (copied rows): its critical value is the
/// Monte Carlo rank test's, exactly of level δ at this B.
pub(crate) const NP_NULL_REPLICATES: usize = 20_000;
/// Alternative replicates of the simulated Neyman–Pearson test (binomial sd ≤ 0.0067 at 0.9).
pub(crate) const NP_ALT_REPLICATES: usize = 2_000;

/// The LLR of one simulated stack whose terms are drawn from `laws` (index 0: H0, 1: H1).
fn simulated_llr(
    terms: &[([f64; 4], [f64; 4])],
    which: usize,
    stack: usize,
    rng: &mut ChaCha20Rng,
) -> f64 {
    let mut total = 0.0;
    for _ in 0..stack {
        for (p0, p1) in terms {
            let law = if which == 0 { p0 } else { p1 };
            let u = uniform_open01(rng);
            let mut acc = 0.0;
            let mut k = 3;
            for (o, &p) in law.iter().enumerate() {
                acc += p;
                if u < acc {
                    k = o;
                    break;
                }
            }
            total += log_ratio(p0[k], p1[k]);
        }
    }
    total
}

/// The simulated Neyman–Pearson power (used for copied rows, whose LLR is dominated by rare
/// outcomes that H1 nearly forbids, so its normal law is no approximation): the critical value
/// from [`NP_NULL_REPLICATES`] H0 stacks (rank rule, level ≤ δ), the power from
/// [`NP_ALT_REPLICATES`] H1 stacks; streams `power/np/{family}/{eps}/{h0|h1}/{b}`.
fn np_power_simulated(
    null: &Model,
    alt: &Model,
    label: &str,
    stack: usize,
    delta: f64,
    seed: MasterSeed,
) -> f64 {
    use rayon::prelude::*;
    let mut terms = Vec::new();
    for_each_term(null, alt, |_, _, _, p0, p1| {
        let pad = |p: &[f64]| {
            let mut q = [0.0; 4];
            q[..p.len()].copy_from_slice(p);
            q
        };
        terms.push((pad(p0), pad(p1)));
    });
    let draw = |which: usize, count: usize| -> Vec<f64> {
        (0..count)
            .into_par_iter()
            .map(|b| {
                let h = ["h0", "h1"][which];
                let mut rng = seed.stream(&format!("power/np/{label}/{h}/{b}"));
                simulated_llr(&terms, which, stack, &mut rng)
            })
            .collect()
    };
    let mut h0 = draw(0, NP_NULL_REPLICATES);
    h0.sort_by(|a, b| b.total_cmp(a));
    let allowed = (delta * (NP_NULL_REPLICATES + 1) as f64).floor() as usize;
    let critical = match allowed {
        0 => f64::INFINITY,
        g => h0[g - 1],
    };
    let h1 = draw(1, NP_ALT_REPLICATES);
    h1.iter().filter(|&&x| x > critical).count() as f64 / NP_ALT_REPLICATES as f64
}

/// The Neyman–Pearson power of the simple alternative `family` at ε against the Figure-1 model,
/// frozen-threshold masks of shape `n × d`, S pooled: the normal law of the LLR from its exact
/// moments, except for copied rows (simulated at the default master seed).
///
/// ```
/// use pai_graphon::external::power::{np_power_at, Family};
/// let weak = np_power_at(Family::Density, 0.001, 64, 64, 1, 1e-3).unwrap();
/// let strong = np_power_at(Family::Density, 0.5, 64, 64, 1, 1e-3).unwrap();
/// assert!(weak < 0.01 && strong > 0.999);
/// ```
pub fn np_power_at(
    family: Family,
    eps: f64,
    n: usize,
    d: usize,
    stack: usize,
    delta: f64,
) -> Result<f64, Error> {
    let null = Family::Density.model(0.0, n, d)?;
    let alt = family.model(eps, n, d)?;
    if family == Family::CopiedRows {
        let label = format!("{}/{eps}", family.name());
        return Ok(np_power_simulated(
            &null,
            &alt,
            &label,
            stack,
            delta,
            MasterSeed::default(),
        ));
    }
    Ok(np_power(&np_moments(&null, &alt), stack, delta))
}

/// The smallest ε at which the Neyman–Pearson test reaches [`TARGET`] power (bisection on
/// log ε to relative precision `NP_PRECISION` (10⁻³)); `None` if even the family's largest ε
/// does not.
///
/// ```
/// use pai_graphon::external::power::{np_epsilon, np_power_at, Family};
/// let eps = np_epsilon(Family::Density, 32, 32, 1, 1e-3).unwrap().unwrap();
/// assert!(np_power_at(Family::Density, eps, 32, 32, 1, 1e-3).unwrap() >= 0.9);
/// assert!(np_power_at(Family::Density, eps / 1.002, 32, 32, 1, 1e-3).unwrap() < 0.9);
/// ```
pub fn np_epsilon(
    family: Family,
    n: usize,
    d: usize,
    stack: usize,
    delta: f64,
) -> Result<Option<f64>, Error> {
    if family == Family::CopiedRows {
        // Only c = round(εn) matters: the smallest count of copied rows, up to 64.
        for c in 1..=64.min(n / 2) {
            let eps = c as f64 / n as f64;
            if np_power_at(family, eps, n, d, stack, delta)? >= TARGET {
                return Ok(Some(eps));
            }
        }
        return Ok(None);
    }
    let top = match family {
        Family::Density => 0.99 * family.max(),
        _ => family.max(),
    };
    if np_power_at(family, top, n, d, stack, delta)? < TARGET {
        return Ok(None);
    }
    let (mut lo, mut hi) = (top * 1e-6, top);
    while hi / lo > 1.0 + NP_PRECISION {
        let mid = (lo * hi).sqrt();
        match np_power_at(family, mid, n, d, stack, delta)? >= TARGET {
            true => hi = mid,
            false => lo = mid,
        }
    }
    Ok(Some(hi))
}

/// `check`'s rejection rule with one reference set of null replicates (default null, positions).
///
/// ```
/// use pai_graphon::external::power::{Check, Family, DELTA};
/// use pai_graphon::external::simulate::Draw;
/// use pai_graphon::seed::MasterSeed;
/// let check = Check::new(16, 16, 1, DELTA, MasterSeed::default()).unwrap();
/// assert_eq!(check.replicates, 1111); // the fewest with which δ_MC = 0.9e-3 can reject
/// let hits = check.rejections(Family::Density, 0.9, Draw::Frozen, 5, MasterSeed::default());
/// assert_eq!(hits.unwrap(), 5); // ρ · 1.9 is plain at any size
/// ```
pub struct Check {
    sharp: Sharp,
    shape: (usize, usize),
    stack: usize,
    /// Critical values of T against frozen-threshold and top-k replicates.
    pub critical: [f64; 2],
    /// Replicates per null.
    pub replicates: usize,
}

impl Check {
    /// Prepares the check of S-stacks of shape `n × d` at δ: simulates the null replicates once.
    ///
    /// ```
    /// use pai_graphon::external::power::{Check, Family, DELTA};
    /// use pai_graphon::external::simulate::{Draw, Model};
    /// use pai_graphon::seed::MasterSeed;
    /// let check = Check::new(16, 16, 1, DELTA, MasterSeed::default()).unwrap();
    /// assert!(check.critical.iter().all(|c| c.is_finite() && *c >= 0.0));
    /// ```
    pub fn new(
        n: usize,
        d: usize,
        stack: usize,
        delta: f64,
        seed: MasterSeed,
    ) -> Result<Check, Error> {
        let model = Family::Density.model(0.0, n, d)?;
        let options = Options {
            null: Null::Limit,
            unordered: false,
            delta: crate::params::Probability::new(delta)?,
            replicates: None,
            seed,
            test_density: true,
        };
        let sharp = Sharp::new(model, stack, options)?;
        let b = sharp.replicates();
        let mut critical = [0.0; 2];
        for (c, draw) in critical.iter_mut().zip([Draw::Frozen, Draw::TopK]) {
            *c = sharp.critical_value(&mut sharp.simulate(draw, 0, b)?);
        }
        Ok(Check {
            sharp,
            shape: (n, d),
            stack,
            critical,
            replicates: b,
        })
    }

    /// Whether `check` rejects the stack: T above the critical value of every law the check
    /// tests it against (`Sharp::laws`: the top-k one for exact kept counts where that law alone
    /// decides, the frozen one for other counts), or a pair bound fails.
    ///
    /// ```
    /// use pai_graphon::external::power::{Check, Family, DELTA};
    /// use pai_graphon::external::simulate::{Draw, Model};
    /// use pai_graphon::seed::MasterSeed;
    /// let check = Check::new(16, 16, 1, DELTA, MasterSeed::default()).unwrap();
    /// let wrong = Family::Density.model(0.9, 16, 16).unwrap(); // ρ · 1.9
    /// let masks = wrong.draw_stack(Draw::TopK, 1, MasterSeed::default(), "DOC").unwrap();
    /// assert!(check.rejects(&masks).unwrap());
    /// ```
    pub fn rejects(&self, masks: &[Mask]) -> Result<bool, Error> {
        let t = self.sharp.combined(masks);
        let mut laws = self.sharp.laws(masks)?.into_iter();
        if laws.all(|law| match law {
            Draw::Frozen => t > self.critical[0],
            Draw::TopK => t > self.critical[1],
        }) {
            return Ok(true);
        }
        Ok(self
            .sharp
            .pairs(masks)?
            .iter()
            .any(|v| v.status == Status::Fail))
    }

    /// Rejections among `reps` alternative stacks of `family` at ε (streams
    /// `power/{family}/{eps}/{frozen|topk}/{r}`), in order.
    ///
    /// ```
    /// use pai_graphon::external::power::{Check, Family, DELTA};
    /// use pai_graphon::external::simulate::{Draw, Model};
    /// use pai_graphon::seed::MasterSeed;
    /// let check = Check::new(16, 16, 1, DELTA, MasterSeed::default()).unwrap();
    /// let hits = check.rejections(Family::Density, 0.9, Draw::Frozen, 3, MasterSeed::default());
    /// assert_eq!(hits.unwrap(), 3);
    /// ```
    pub fn rejections(
        &self,
        family: Family,
        eps: f64,
        draw: Draw,
        reps: usize,
        seed: MasterSeed,
    ) -> Result<usize, Error> {
        let (n, d) = self.shape;
        let alt = family.model(eps, n, d)?;
        let kind = match draw {
            Draw::Frozen => "frozen",
            Draw::TopK => "topk",
        };
        let mut count = 0;
        for r in 0..reps {
            let label = format!("power/{}/{eps}/{kind}/{r}", family.name());
            let masks = alt.draw_stack(draw, self.stack, seed, &label)?;
            count += usize::from(self.rejects(&masks)?);
        }
        Ok(count)
    }
}

/// `check`'s smallest ε: power (rejections / R) ≥ [`TARGET`] on the grid `start · 2^(k/2)`,
/// walking down from `start` while it passes or up while it fails (at most [`GRID_STEPS`]
/// steps, never beyond the family's largest ε). Returns the smallest passing grid point (if
/// any) and its rejection count.
pub(crate) fn check_epsilon(
    check: &Check,
    family: Family,
    draw: Draw,
    start: f64,
    reps: usize,
    seed: MasterSeed,
    progress: &mut dyn FnMut(&str),
) -> Result<Option<(f64, usize)>, Error> {
    let top = match family {
        Family::Density => 0.99 * family.max(),
        _ => family.max(),
    };
    let at = |k: i32| (start * 2f64.powf(f64::from(k) / 2.0)).min(top);
    let run = |k: i32, progress: &mut dyn FnMut(&str)| -> Result<usize, Error> {
        let eps = at(k);
        let hits = check.rejections(family, eps, draw, reps, seed)?;
        progress(&format!(
            "power: {} {}x{}x{} {:?} ε = {eps:.5}: {hits}/{reps} rejected",
            family.name(),
            check.shape.0,
            check.shape.1,
            check.stack,
            draw
        ));
        Ok(hits)
    };
    let passes = |hits: usize| hits as f64 >= TARGET * reps as f64;
    let mut k = 0;
    let mut best = None;
    let first = run(k, progress)?;
    if passes(first) {
        best = Some((at(k), first));
        for _ in 0..GRID_STEPS {
            k -= 1;
            let hits = run(k, progress)?;
            if !passes(hits) {
                break;
            }
            best = Some((at(k), hits));
        }
    } else {
        for _ in 0..GRID_STEPS {
            if at(k) >= top {
                break;
            }
            k += 1;
            let hits = run(k, progress)?;
            if passes(hits) {
                best = Some((at(k), hits));
                break;
            }
        }
    }
    Ok(best)
}

/// Largest number of grid steps of [`check_epsilon`] from its start.
pub(crate) const GRID_STEPS: usize = 12;

/// One row of the power report.
///
/// ```
/// use pai_graphon::external::power::{Family, Row};
/// let r = Row { family: Family::Density, shape: (512, 512, 8), eps_np: Some(0.004), eps_check: Some((0.0056, 46)), eps_check_topk: None };
/// // 0.0056, 0.004 and 1.4 as decimals (one rounding each) and the quotient: γ_4.
/// assert!((r.ratio().unwrap() - 1.4).abs() <= pai_graphon::tol::gamma(4).unwrap() * 1.4);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The perturbation family.
    pub family: Family,
    /// Rows, columns and masks per stack.
    pub shape: (usize, usize, usize),
    /// The Neyman–Pearson ε (normal law of the LLR), `None` if unreachable.
    pub eps_np: Option<f64>,
    /// `check`'s ε and rejection count on frozen-threshold alternative stacks.
    pub eps_check: Option<(f64, usize)>,
    /// `check`'s ε and rejection count on top-k alternative stacks.
    pub eps_check_topk: Option<(f64, usize)>,
}

impl Row {
    /// `ε_check / ε_NP` (frozen-threshold stacks), when both exist.
    ///
    /// ```
    /// use pai_graphon::external::power::{Family, Row};
    /// let r = Row { family: Family::Exponent, shape: (8, 8, 1), eps_np: None, eps_check: Some((0.1, 50)), eps_check_topk: None };
    /// assert_eq!(r.ratio(), None); // no NP ε to compare with
    /// ```
    pub fn ratio(&self) -> Option<f64> {
        Some(self.eps_check?.0 / self.eps_np?)
    }
}

/// The power report of `families` at one shape and stack size: the null replicates once, then
/// each family's NP ε and `check`'s ε on frozen-threshold and top-k alternatives (R = `reps`).
///
/// ```no_run
/// use pai_graphon::external::power::{report, Family};
/// use pai_graphon::seed::MasterSeed;
/// let rows = report(&[Family::Density], 64, 64, 2, 50, MasterSeed::default(), &mut |_| {}).unwrap();
/// assert_eq!(rows.len(), 1);
/// ```
pub fn report(
    families: &[Family],
    n: usize,
    d: usize,
    stack: usize,
    reps: usize,
    seed: MasterSeed,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Row>, Error> {
    progress(&format!(
        "power: {n}x{d}x{stack}: simulating the null replicates"
    ));
    let check = Check::new(n, d, stack, DELTA, seed)?;
    let mut rows = Vec::new();
    for &family in families {
        let eps_np = np_epsilon(family, n, d, stack, DELTA)?;
        // Start the grid at the goal, 2 ε_NP.
        let start = eps_np.map_or(family.max() / 2.0, |e| 2.0 * e);
        let frozen = check_epsilon(&check, family, Draw::Frozen, start, reps, seed, progress)?;
        let topk = check_epsilon(&check, family, Draw::TopK, start, reps, seed, progress)?;
        rows.push(Row {
            family,
            shape: (n, d, stack),
            eps_np,
            eps_check: frozen,
            eps_check_topk: topk,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixture_tail_inverse_brackets_to_adjacent_floats() {
        for w in [0.0, 0.3, 1.0] {
            let law = Mixture { weight: w };
            for q in [1e-9, 0.01, 0.2, 0.5, 0.99, 1.0] {
                let x = law.tail_inverse(q);
                // The float just below x (x itself at 0, where the claim is only tail(0) ≤ q).
                let below = f64::from_bits(x.to_bits().saturating_sub(1));
                // Containment: x is the first float at which the tail drops to q or below.
                assert!(
                    law.tail(x) <= q && (x == 0.0 || law.tail(below) > q),
                    "w = {w}, q = {q}: x = {x}, tail = {}, tail(x⁻) = {}",
                    law.tail(x),
                    law.tail(below)
                );
            }
        }
    }

    #[test]
    fn mixture_at_weight_zero_is_the_half_normal() {
        let (law, hn) = (Mixture { weight: 0.0 }, HalfNormal { sigma: 1.0 });
        for x in [0.0, 0.1, 1.0, 1.7, 2.5, 6.0] {
            assert_eq!(law.tail(x), hn.tail(x));
            assert_eq!(law.density(x), hn.density(x));
        }
    }

    #[test]
    fn mixture_has_unit_second_moment_and_its_own_threshold() {
        // E|ξ|² = ∫ 2x tail(x) dx; both parts have second moment 1 (midpoint rule on [0, 12]).
        let law = Mixture { weight: 0.5 };
        let h = 1e-4;
        let m2: f64 = (0..120_000)
            .map(|k| {
                let x = (k as f64 + 0.5) * h;
                2.0 * x * law.tail(x) * h
            })
            .sum();
        assert!((m2 - 1.0).abs() < 1e-6, "E|ξ|² = {m2}");
        // Its limit threshold differs from the half-normal's (the alternative is not the null).
        let fsm = Fsm::figure1();
        let tau = mixture_tau(&fsm, &law, RHO);
        let tau0 = mixture_tau(&fsm, &Mixture { weight: 0.0 }, RHO);
        let exact = fsm
            .tau_star(crate::params::Density::constant(RHO))
            .unwrap()
            .value;
        assert!((tau0 / exact - 1.0).abs() < 1e-5, "{tau0} vs τ* = {exact}");
        assert!((tau / tau0 - 1.0).abs() > 1e-3, "{tau} vs {tau0}");
    }

    #[test]
    fn copied_rows_read_the_row_before_and_are_never_sources() {
        let n = 512;
        let source = copied_rows(n, 0.1);
        let copied: Vec<usize> = (0..n).filter(|&i| source[i] != i).collect();
        assert_eq!(copied.len(), 51);
        for &i in &copied {
            assert_eq!(source[i], i - 1);
            assert_eq!(source[i - 1], i - 1, "row {i}'s source is itself copied");
        }
        assert_eq!(copied_rows(n, 0.5).iter().filter(|&&_r| true).count(), n);
        assert_eq!((0..n).filter(|&i| copied_rows(n, 0.5)[i] != i).count(), 256);
    }

    /// The LLR's exact moments against simulated frozen-threshold masks, and its sign: H1 draws
    /// average far above H0 draws. Tolerance: 5 standard errors of a mean of R draws.
    #[test]
    fn np_statistic_prefers_h1_on_h1_draws() {
        let (n, d, reps) = (48, 48, 200);
        let seed = MasterSeed::default();
        let null = Family::Density.model(0.0, n, d).unwrap();
        for (family, eps) in [
            (Family::Density, 0.1),
            (Family::Exponent, 0.1),
            (Family::Noise, 0.5),
        ] {
            let alt = family.model(eps, n, d).unwrap();
            let m = np_moments(&null, &alt);
            assert!(m.mean0 < 0.0 && m.mean1 > 0.0, "{family:?}: {m:?}");
            for (model, mean, var, h) in [
                (&null, m.mean0, m.var0, "H0"),
                (&alt, m.mean1, m.var1, "H1"),
            ] {
                let avg = (0..reps)
                    .map(|r| {
                        let label = format!("test/power/np/{}/{h}/{r}", family.name());
                        let mask = model.draw(Draw::Frozen, seed, &label).unwrap();
                        np_llr(&null, &alt, &mask)
                    })
                    .sum::<f64>()
                    / reps as f64;
                let se = (var / reps as f64).sqrt();
                assert!(
                    (avg - mean).abs() <= 5.0 * se,
                    "{family:?} {h}: mean LLR {avg} vs exact {mean} (se {se})"
                );
            }
        }
    }

    #[test]
    fn np_copied_rows_moments_are_those_of_the_pair_law() {
        // One pair with p = q: under H0 independent, under H1 nested; KL(H1‖H0) > 0 = change
        // of the marginals.
        let null = Family::Density.model(0.0, 64, 64).unwrap();
        let alt = Family::CopiedRows.model(0.1, 64, 64).unwrap();
        let m = np_moments(&null, &alt);
        assert!(m.mean0 < 0.0 && m.mean1 > 0.0 && m.var0 > 0.0, "{m:?}");
        let unchanged = np_moments(&null, &Family::CopiedRows.model(0.0, 64, 64).unwrap());
        assert_eq!(unchanged, Moments::default());
        // One copied row is already plain to the NP test (adjacent rows have nearly equal keep
        // probabilities, so under H1 the pair's entries are nearly always equal); none is not.
        let p = |e| np_power_at(Family::CopiedRows, e, 64, 64, 1, DELTA).unwrap();
        assert!(p(1.0 / 64.0) >= TARGET, "{}", p(1.0 / 64.0));
        assert_eq!(p(0.25 / 64.0), 0.0);
    }

    /// A tiny power run is bit-identical on one thread and on the default pool, and the check
    /// rejects a gross alternative but (negative control) almost never a null-sized one.
    #[test]
    fn tiny_power_run_is_deterministic_and_discriminates() {
        let seed = MasterSeed::default();
        let run = || {
            let check = Check::new(24, 24, 1, DELTA, seed).unwrap();
            let gross = check
                .rejections(Family::Density, 0.8, Draw::Frozen, 10, seed)
                .unwrap();
            let tiny = check
                .rejections(Family::Density, 1e-6, Draw::TopK, 10, seed)
                .unwrap();
            (check.critical, gross, tiny)
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let one = pool.install(run);
        let many = run();
        assert_eq!(one.0.map(f64::to_bits), many.0.map(f64::to_bits));
        assert_eq!((one.1, one.2), (many.1, many.2));
        assert_eq!(one.1, 10, "ρ·1.8 not rejected: {one:?}");
        // P(Bin(10, 1e-3 + tiny shift) ≥ 2) < 1e-4.
        assert!(
            one.2 <= 1,
            "a null-sized alternative rejected {} / 10 times",
            one.2
        );
    }

    #[test]
    fn report_smoke_at_a_tiny_size() {
        let mut lines = 0;
        let rows = report(
            &[Family::Density],
            24,
            24,
            1,
            10,
            MasterSeed::default(),
            &mut |_| lines += 1,
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        let np = r.eps_np.unwrap();
        assert!(np > 0.0 && np < 1.0, "{r:?}");
        assert!(
            r.eps_check.is_some() && r.ratio().unwrap() >= 1.0 / 2f64.sqrt(),
            "{r:?}"
        );
        assert!(lines >= 3);
    }
}
