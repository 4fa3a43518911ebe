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
//!   by bisection to relative precision [`NP_PRECISION`].

use super::sharp::{Options, Sharp};
use super::simulate::{Draw, Model};
use super::{ExternalError, Null};
use crate::claims::Status;
use crate::convergence::limit::Fsm;
use crate::convergence::mask::{grid, Mask};
use crate::convergence::noise::{HalfNormal, NoiseLaw, UniformAbs};
use crate::convergence::profile::Profile;
use crate::normal::{normal_quantile, normal_sf};
use crate::seed::{uniform_open01, MasterSeed};
use crate::Error;
use rand_chacha::ChaCha20Rng;
use std::sync::Arc;

/// The density of the Figure-1 model's power report.
pub const RHO: f64 = 0.2;
/// The false-rejection probability of the check whose power is reported.
pub const DELTA: f64 = 1e-3;
/// The power a reported ε must reach.
pub const TARGET: f64 = 0.9;
/// Relative precision of the Neyman–Pearson ε (bisection).
pub const NP_PRECISION: f64 = 1e-3;
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
/// let x = law.tail_inverse(0.3);
/// assert!((law.tail(x) - 0.3).abs() < 1e-15);
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
    pub const ALL: [Family; 4] = [
        Family::Density,
        Family::Exponent,
        Family::Noise,
        Family::CopiedRows,
    ];

    /// The family's name (stream labels and tables).
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
    /// assert_eq!(m.row_source, vec![0, 0, 2, 3, 4, 4, 6, 7]);
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
        let floor = f64::MIN_POSITIVE;
        let l: Vec<f64> = p0
            .iter()
            .zip(p1)
            .map(|(&a, &b)| (b.max(floor) / a.max(floor)).ln())
            .collect();
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

/// The Neyman–Pearson test's moments for one mask of frozen-threshold masks: H0 `null`, H1
/// `alt`. Entries are independent except a copied row and its source row (nested threshold
/// events of one |ξ|: both kept with probability min(p, q)).
fn np_moments(null: &Model, alt: &Model) -> Moments {
    let (n, d) = (null.phi.len(), null.psi.len());
    let mut m = Moments::default();
    let copied: Vec<bool> = (0..n).map(|i| alt.row_source[i] != i).collect();
    let is_source: Vec<bool> = {
        let mut s = vec![false; n];
        (0..n)
            .filter(|&i| copied[i])
            .for_each(|i| s[alt.row_source[i]] = true);
        s
    };
    for i in 0..n {
        if is_source[i] {
            continue; // counted with the row that copies it
        }
        for j in 0..d {
            let (p, q) = (null.keep_probability(i, j), alt.keep_probability(i, j));
            if !copied[i] {
                if p != q {
                    m.add(&[1.0 - p, p], &[1.0 - q, q]);
                }
                continue;
            }
            let r = alt.row_source[i];
            let (p2, q2) = (null.keep_probability(r, j), alt.keep_probability(r, j));
            let law = |a: f64, b: f64, both: f64| [1.0 - a - b + both, a - both, b - both, both];
            m.add(&law(p, p2, p * p2), &law(q, q2, q.min(q2)));
        }
    }
    m
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

/// The Neyman–Pearson power of the simple alternative `family` at ε against the Figure-1 model,
/// frozen-threshold masks of shape `n × d`, S pooled (normal law of the LLR).
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
    Ok(np_power(&np_moments(&null, &alt), stack, delta))
}

/// The smallest ε at which the Neyman–Pearson test reaches [`TARGET`] power (bisection on
/// log ε to relative precision [`NP_PRECISION`]); `None` if even the family's largest ε
/// does not.
pub fn np_epsilon(
    family: Family,
    n: usize,
    d: usize,
    stack: usize,
    delta: f64,
) -> Result<Option<f64>, Error> {
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
            delta,
            replicates: None,
            seed,
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

    /// Whether `check` rejects the stack: T above both critical values, or a pair bound fails.
    pub fn rejects(&self, masks: &[Mask]) -> Result<bool, Error> {
        let t = self.sharp.combined(masks);
        if self.critical.iter().all(|&c| t > c) {
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
pub fn check_epsilon(
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
pub const GRID_STEPS: usize = 12;

/// One row of the power report.
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
