//! Masks made anywhere, checked against a limit graphon (`pai-graphon check`, theory/external.md).
//!
//! For each n × d mask, four checks at level 1 − δ/(4S) (S masks, Bonferroni):
//!
//! - **density**: |ρ̂ − ρ| ≤ Hoeffding over the n i.i.d. rows;
//! - **column degrees**: the column fractions `deg_j/n` follow the law of `p(V) = ∫ W(u, V) du`,
//!   V uniform, within an ε-band Kolmogorov–Smirnov bound (below);
//! - **row degrees**: likewise the row fractions `deg_i/d` and `q(U) = ∫ W(U, v) dv`;
//! - **heterogeneity** (the taxonomy check): the lower confidence bound of `t(C4) − ρ⁴`
//!   ([`heterogeneity_lcb`]) must not exceed the limit's certified upper end, so a heterogeneous
//!   mask fails against a constant graphon.
//!
//! **The ε-band KS bound.** Model: given the data the rows are i.i.d. (positions u_i uniform or
//! a midpoint grid), entries are independent given their row and column positions, the
//! threshold is frozen (the row-independence model of theory/taxonomy.md). Then, with
//! probability ≥ 1 − δ₁ − δ₂: every column fraction is within
//! `ε = Hoeffding(n, δ₁/d) + 1/n` of `p(v_j)` (the 1/n covers grid positions, W being monotone),
//! and the empirical CDF G of the `p(v_j)` is within `η = max(DKW–Massart(d, δ₂), 1/d)` of the
//! CDF F of `p(V)`. So the empirical CDF `F_c` of the fractions satisfies
//! `F(x − ε) − η ≤ F_c(x) ≤ F(x + ε) + η` for every x. F is bracketed from the certified
//! `p(v_k)` on a grid of `v_k = k/K` (p is non-decreasing): `F_low ≤ F ≤ F_up`. The statistic
//! is `max(sup_x F_c(x) − F_up(x + ε), sup_x F_low(x − ε) − F_c(x))`, checked against η.
//!
//! ```
//! use pai_graphon::convergence::limit::Fsm;
//! use pai_graphon::convergence::mask::{sample_mask_for, MaskSpec};
//! use pai_graphon::claims::Status;
//! use pai_graphon::external::check_masks;
//! use pai_graphon::seed::MasterSeed;
//! // Two masks drawn from a homogeneous model (constant profiles) against its limit, W ≡ 1/2.
//! let fsm = Fsm::parse("const:1", "const:1", "gaussian:1").unwrap();
//! let limit = fsm.limit_graphon(0.5).unwrap();
//! let spec = MaskSpec::new(256, 128, 0.5, &fsm.row, &fsm.col).unwrap();
//! let masks: Vec<_> = ["DOC/0", "DOC/1"]
//!     .iter()
//!     .map(|l| sample_mask_for(&spec, &fsm.noise, MasterSeed::default(), l, None).unwrap())
//!     .collect();
//! let verdicts = check_masks(&masks, &limit, 1e-3).unwrap();
//! assert_eq!(verdicts.len(), 8); // four checks per mask
//! assert!(verdicts.iter().all(|v| v.status == Status::Pass));
//! // At 64 × 32 the row fractions' band ε = 0.507 exceeds 1/2: around the constant degree 1/2
//! // it covers [0, 1], so no mask could fail the row-degree check. It is vacuous, not passed.
//! let small = MaskSpec::new(64, 32, 0.5, &fsm.row, &fsm.col).unwrap();
//! let masks: Vec<_> = ["DOC/0", "DOC/1"]
//!     .iter()
//!     .map(|l| sample_mask_for(&small, &fsm.noise, MasterSeed::default(), l, None).unwrap())
//!     .collect();
//! let verdicts = check_masks(&masks, &limit, 1e-3).unwrap();
//! let rows = verdicts.iter().filter(|v| v.check == "row degrees");
//! assert!(rows.clone().all(|v| v.status == Status::Vacuous && v.max == 0.0));
//! let others = verdicts.iter().filter(|v| v.check != "row degrees");
//! assert!(others.clone().all(|v| v.status == Status::Pass));
//! ```
//!
//! **Vacuous checks.** Each verdict carries the largest value its statistic can take for the
//! mask's shape ([`Verdict::max`]); a threshold at or above it could not have been exceeded by
//! any mask, and the verdict is [`Status::Vacuous`], never a pass (tiny masks, or a δ so small
//! that every bound exceeds the statistic's range). The ranges, derived in theory/external.md:
//! the density difference lies in `[0, max(ρ, 1 − ρ)]`; the ε-band statistic in
//! `[0, max(1 − F_up(ε), F_low(1 − ε))]` (0 once ε ≥ 1); the heterogeneity bound below
//! `heterogeneity_lcb_max`; the reference checks' RMS and sup distances in `[0, 1]`.

pub mod reference;

use crate::claims::{Check, Relation, Status};
use crate::convergence::limit::{Bracketed, LimitGraphon};
use crate::convergence::mask::Mask;
use crate::stats::ks::ks_two_sample;
use crate::taxonomy::stats::{
    column_degree_distance, deterministic_limit_bound, heterogeneity_lcb, heterogeneity_lcb_max,
};
use crate::tol::{dkw_massart, hoeffding, Tail};
use crate::Error;
use std::fmt;

/// Bad input to the checks of masks made elsewhere.
#[derive(Clone, Debug, PartialEq)]
pub enum ExternalError {
    /// A stack of no masks.
    NoMasks,
    /// δ outside (0, 1).
    Delta(f64),
    /// `--null` is neither `limit` nor `sampler`.
    UnknownNull,
}

impl fmt::Display for ExternalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExternalError::NoMasks => write!(f, "no masks to check (a stack of S = 0)"),
            ExternalError::Delta(d) => write!(f, "δ = {d} must lie in (0, 1)"),
            ExternalError::UnknownNull => write!(f, "unknown null: use limit or sampler"),
        }
    }
}

impl std::error::Error for ExternalError {}

/// Which masks must pass: the two questions `check` answers (`--null`).
///
/// ```
/// use pai_graphon::external::Null;
/// assert_eq!("sampler".parse::<Null>().unwrap(), Null::Sampler);
/// assert_eq!(Null::default(), Null::Limit);
/// assert!("frozen".parse::<Null>().is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Null {
    /// The masks converge to this limit: masks of any algorithm with this limit pass (top-k and
    /// frozen-threshold masks of an FSM; any row-independent pruning for a method's limit).
    #[default]
    Limit,
    /// The masks have the finite-size law of this crate's own sampler or pruning at this size
    /// (a faster implementation of the same algorithm: exact kept count, same tie rule).
    Sampler,
}

impl std::str::FromStr for Null {
    type Err = ExternalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "limit" => Ok(Null::Limit),
            "sampler" => Ok(Null::Sampler),
            _ => Err(ExternalError::UnknownNull),
        }
    }
}

/// Grid points per axis at which the limit's degree functions are bracketed.
pub(crate) const DEGREE_GRID: usize = 1024;
/// Cells per axis of the certified t(C4) bracket.
pub(crate) const C4_CELLS: usize = 64;
/// Number of checks per mask (δ is split evenly over them and the masks).
pub(crate) const CHECKS_PER_MASK: usize = 4;

pub(crate) mod claims;
pub mod sharp;
pub mod simulate;

/// One check of one mask.
///
/// ```
/// use pai_graphon::convergence::limit::Fsm;
/// use pai_graphon::convergence::mask::{sample_mask_for, MaskSpec};
/// use pai_graphon::claims::Status;
/// use pai_graphon::external::check_masks;
/// use pai_graphon::seed::MasterSeed;
/// let fsm = Fsm::parse("const:1", "const:1", "gaussian:1").unwrap();
/// let spec = MaskSpec::new(64, 32, 0.5, &fsm.row, &fsm.col).unwrap();
/// let mask = sample_mask_for(&spec, &fsm.noise, MasterSeed::default(), "DOC", None).unwrap();
/// let verdicts = check_masks(&[mask], &fsm.limit_graphon(0.5).unwrap(), 1e-3).unwrap();
/// let names: Vec<&str> = verdicts.iter().map(|v| v.check).collect();
/// assert_eq!(names, ["density", "column degrees", "row degrees", "heterogeneity"]);
/// assert!(verdicts.iter().all(|v| v.mask == Some(0) && v.observed <= v.threshold));
/// assert!(verdicts.iter().all(|v| v.status == Status::Pass && v.threshold < v.max));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// Index of the mask in the stack (0 for a single mask); `None` for a check of the pooled stack.
    pub mask: Option<usize>,
    /// `density`, `column degrees`, `row degrees` or `heterogeneity`.
    pub check: &'static str,
    /// The statistic.
    pub observed: f64,
    /// Its threshold: the check passes when `observed ≤ threshold`.
    pub threshold: f64,
    /// The largest value the statistic can take for this mask's shape (its range starts at 0).
    pub max: f64,
    /// Fail when `observed > threshold`, vacuous when `threshold ≥ max`, else pass.
    pub status: Status,
}

impl Verdict {
    /// Check `check` of mask `mask`, whose statistic lies in `[0, max]`.
    fn new(mask: Option<usize>, check: &'static str, observed: f64, threshold: f64, max: f64) -> Self {
        let status = Check::new(observed, threshold, Relation::AtMost)
            .within(0.0, max)
            .status();
        Verdict {
            mask,
            check,
            observed,
            threshold,
            max,
            status,
        }
    }
}

/// The limit's degree function on the grid `k/K`, as the CDF bracket of its law.
struct DegreeLaw {
    /// Suffix minima of the upper ends: `F(x) ≥ k/K` whenever `upper[k] ≤ x`.
    upper: Vec<f64>,
    /// Prefix maxima of the lower ends: `F(x) ≤ k/K` whenever `lower[k] > x`.
    lower: Vec<f64>,
}

impl DegreeLaw {
    fn new(degree: impl Fn(f64) -> Result<Bracketed, Error>) -> Result<Self, Error> {
        let k = DEGREE_GRID;
        let b: Vec<Bracketed> = (0..=k)
            .map(|i| degree(i as f64 / k as f64))
            .collect::<Result<_, _>>()?;
        let mut upper: Vec<f64> = b.iter().map(|x| x.hi).collect();
        for i in (0..k).rev() {
            upper[i] = upper[i].min(upper[i + 1]);
        }
        let mut lower: Vec<f64> = b.iter().map(|x| x.lo).collect();
        for i in 1..=k {
            lower[i] = lower[i].max(lower[i - 1]);
        }
        Ok(DegreeLaw { upper, lower })
    }

    /// A lower bound on F(x) = P(p(V) ≤ x).
    fn cdf_low(&self, x: f64) -> f64 {
        // The last k with upper[k] ≤ x (upper is non-decreasing).
        match self.upper.partition_point(|&h| h <= x) {
            0 => 0.0,
            c => (c - 1) as f64 / DEGREE_GRID as f64,
        }
    }

    /// An upper bound on F(x).
    fn cdf_up(&self, x: f64) -> f64 {
        // The first k with lower[k] > x (lower is non-decreasing).
        let c = self.lower.partition_point(|&l| l <= x);
        (c as f64 / DEGREE_GRID as f64).min(1.0)
    }

    /// The largest value [`DegreeLaw::band_statistic`] can take at this ε, whatever the
    /// fractions in [0, 1]: `F_c − F_up(x + ε) ≤ 1 − F_up(ε)` as x ≥ 0, and
    /// `F_low(x − ε) − F_c ≤ F_low(1 − ε)` as x ≤ 1 (F_c = 1 beyond); both bounds are monotone.
    fn band_max(&self, eps: f64) -> f64 {
        (1.0 - self.cdf_up(eps)).max(self.cdf_low(1.0 - eps))
    }

    /// The ε-band KS statistic of the fractions against this law (module doc).
    fn band_statistic(&self, fractions: &mut [f64], eps: f64) -> f64 {
        fractions.sort_by(f64::total_cmp);
        let m = fractions.len();
        let mut stat = self.cdf_low(fractions[0] - eps);
        let mut k = 0;
        while k < m {
            let x = fractions[k];
            while k < m && fractions[k] == x {
                k += 1;
            }
            let f_c = k as f64 / m as f64;
            stat = stat.max(f_c - self.cdf_up(x + eps));
            if k < m {
                stat = stat.max(self.cdf_low(fractions[k] - eps) - f_c);
            }
        }
        stat
    }
}

/// Runs the four checks on every mask against `limit`, spending `delta` in all.
///
/// Errors: an empty stack, δ outside (0, 1), or a limit whose degree functions cannot be
/// evaluated. A mask of one row gets a heterogeneity bound of 0 (nothing is learnt from one
/// row), reported as vacuous.
///
/// ```
/// use pai_graphon::convergence::limit::Fsm;
/// use pai_graphon::claims::Status;
/// use pai_graphon::convergence::mask::{sample_mask_for, MaskSpec};
/// use pai_graphon::external::check_masks;
/// use pai_graphon::seed::MasterSeed;
/// let fsm = Fsm::parse("exp:2", "exp:2", "gaussian:1").unwrap();
/// let limit = fsm.limit_graphon(0.2).unwrap();
/// let spec = MaskSpec::new(512, 256, 0.2, &fsm.row, &fsm.col).unwrap();
/// let mask = sample_mask_for(&spec, &fsm.noise, MasterSeed::default(), "DOC", None).unwrap();
/// let verdicts = check_masks(&[mask.clone()], &limit, 1e-3).unwrap();
/// assert!(verdicts.iter().all(|v| v.status == Status::Pass));
/// // Against the constant graphon W ≡ 0.2 the same mask is too heterogeneous.
/// let flat = Fsm::parse("const:1", "const:1", "gaussian:1").unwrap().limit_graphon(0.2).unwrap();
/// let verdicts = check_masks(&[mask.clone()], &flat, 1e-3).unwrap();
/// assert!(verdicts.iter().any(|v| v.status == Status::Fail));
/// // At δ = 1e-300 every bound exceeds its statistic's range: nothing could fail.
/// let blind = check_masks(&[mask], &flat, 1e-300).unwrap();
/// assert!(blind.iter().all(|v| v.status == Status::Vacuous));
/// ```
pub fn check_masks(
    masks: &[Mask],
    limit: &LimitGraphon,
    delta: f64,
) -> Result<Vec<Verdict>, Error> {
    if masks.is_empty() {
        return Err(Error::Taxonomy(crate::taxonomy::TaxonomyError::Shape(
            "no masks to check".into(),
        )));
    }
    let per_check = delta / (CHECKS_PER_MASK * masks.len()) as f64;
    let cols = DegreeLaw::new(|v| Ok(limit.col_degree(v)?))?;
    let rows = DegreeLaw::new(|u| Ok(limit.row_degree(u)?))?;
    let c4 = limit.c4_density(C4_CELLS)?;
    let heterogeneity_hi = c4.hi - limit.rho.powi(4);
    let mut out = Vec::with_capacity(CHECKS_PER_MASK * masks.len());
    let density_max = limit.rho.max(1.0 - limit.rho);
    for (index, mask) in masks.iter().enumerate() {
        let (n, d) = (mask.rows(), mask.cols());
        let verdict = |check, (observed, threshold, max)| {
            Verdict::new(Some(index), check, observed, threshold, max)
        };
        let density = mask.kept() as f64 / (n as f64 * d as f64);
        let eps_rho = hoeffding(n, 1.0, per_check, Tail::Two)?;
        let density_stat = (density - limit.rho).abs();
        out.push(verdict("density", (density_stat, eps_rho, density_max)));
        let col = degree_check(&cols, &mask.column_degrees(), n, per_check)?;
        out.push(verdict("column degrees", col));
        let row = degree_check(&rows, &mask.row_degrees(), d, per_check)?;
        out.push(verdict("row degrees", row));
        let lcb = match n {
            0 | 1 => 0.0, // one row shows no heterogeneity: 0 is the only valid lower bound
            _ => heterogeneity_lcb(mask, per_check)?.lcb,
        };
        let lcb_max = heterogeneity_lcb_max(n, d, per_check)?;
        out.push(verdict(
            "heterogeneity",
            (lcb, heterogeneity_hi.max(0.0), lcb_max),
        ));
    }
    Ok(out)
}

/// The ε-band KS statistic of `degrees / size` against `law`, its threshold η and the largest
/// value it can take; half of `delta` for the per-line Hoeffding bounds, half for DKW.
fn degree_check(
    law: &DegreeLaw,
    degrees: &[u32],
    size: usize,
    delta: f64,
) -> Result<(f64, f64, f64), Error> {
    let lines = degrees.len();
    let eps = hoeffding(size, 1.0, delta / 2.0 / lines as f64, Tail::Two)? + 1.0 / size as f64;
    let eta = dkw_massart(lines, delta / 2.0)?.max(1.0 / lines as f64);
    let mut fractions: Vec<f64> = degrees.iter().map(|&g| g as f64 / size as f64).collect();
    Ok((
        law.band_statistic(&mut fractions, eps),
        eta,
        law.band_max(eps),
    ))
}

/// Number of checks per mask against a reference mask.
const CHECKS_PER_REFERENCE: usize = 2;

/// Masks checked against *reference* masks of the same shape: a limit estimated from the data
/// and the method by drawing masks with this crate's own pruning (`check --against method:…`,
/// theory/external.md). Mask k is compared with reference k, drawn from an independent
/// initialisation; δ is split evenly over the two checks and the masks:
///
/// - **column degrees**: the RMS difference of the column-degree fractions (TAX-7's
///   [`column_degree_distance`]) within [`deterministic_limit_bound`] at the reference's density;
/// - **row degrees**: the two-sample sup distance of the row-degree fractions within twice the
///   DKW–Massart radius at δ/2 each (both empirical CDFs near the one row-degree law).
///
/// Both hold under the row-independence model with frozen thresholds and a deterministic limit
/// shared by the two initialisations (TAX-7: Random, Magnitude, SynFlow, centred SNIP; not plain
/// SNIP or GraSP, whose scores carry the initial output).
///
/// ```
/// use pai_graphon::convergence::limit::Fsm;
/// use pai_graphon::claims::Status;
/// use pai_graphon::convergence::mask::{sample_mask_for, MaskSpec};
/// use pai_graphon::external::check_against_reference;
/// use pai_graphon::seed::MasterSeed;
/// let draw = |row: &str, label: &str| {
///     let fsm = Fsm::parse(row, "exp:3", "gaussian:1").unwrap();
///     let spec = MaskSpec::new(512, 256, 0.2, &fsm.row, &fsm.col).unwrap();
///     sample_mask_for(&spec, &fsm.noise, MasterSeed::default(), label, None).unwrap()
/// };
/// let (mask, reference) = (draw("const:1", "DOC/a"), draw("const:1", "DOC/b"));
/// let verdicts = check_against_reference(&[mask.clone()], &[reference], 1e-3).unwrap();
/// assert!(verdicts.iter().all(|v| v.status == Status::Pass && v.max == 1.0));
/// // A reference with another limit (rows exp:4 in place of constant) is told apart.
/// let other = draw("exp:4", "DOC/c");
/// let verdicts = check_against_reference(&[mask], &[other], 1e-3).unwrap();
/// assert!(verdicts.iter().any(|v| v.status == Status::Fail));
/// ```
pub fn check_against_reference(
    masks: &[Mask],
    references: &[Mask],
    delta: f64,
) -> Result<Vec<Verdict>, Error> {
    if masks.is_empty() || masks.len() != references.len() {
        return Err(Error::Taxonomy(crate::taxonomy::TaxonomyError::Shape(
            format!(
                "{} masks against {} references: one reference per mask, at least one",
                masks.len(),
                references.len()
            ),
        )));
    }
    let per_check = delta / (CHECKS_PER_REFERENCE * masks.len()) as f64;
    let mut out = Vec::with_capacity(CHECKS_PER_REFERENCE * masks.len());
    for (index, (mask, reference)) in masks.iter().zip(references).enumerate() {
        let (n, d) = (reference.rows(), reference.cols());
        let rho = reference.kept() as f64 / (n as f64 * d as f64);
        // Both statistics are distances between fractions (or CDFs) in [0, 1].
        let verdict =
            |check, observed, threshold| Verdict::new(Some(index), check, observed, threshold, 1.0);
        let cols = column_degree_distance(mask, reference)?;
        let cols_bound = deterministic_limit_bound(n, d, rho, per_check)?;
        out.push(verdict("column degrees vs reference", cols, cols_bound));
        let fractions = |m: &Mask| -> Vec<f64> {
            m.row_degrees()
                .iter()
                .map(|&g| g as f64 / d as f64)
                .collect()
        };
        let rows = ks_two_sample(&fractions(mask), &fractions(reference))?;
        let rows_bound = 2.0 * dkw_massart(n, per_check / 2.0)?;
        out.push(verdict("row degrees vs reference", rows, rows_bound));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convergence::limit::Fsm;
    use crate::convergence::mask::{sample_mask_for, MaskSpec};
    use crate::seed::MasterSeed;

    fn mask(label: &str) -> Mask {
        let fsm = Fsm::parse("exp:2", "exp:2", "gaussian:1").unwrap();
        let spec = MaskSpec::new(256, 128, 0.2, &fsm.row, &fsm.col).unwrap();
        sample_mask_for(&spec, &fsm.noise, MasterSeed::default(), label, None).unwrap()
    }

    /// Masks of a shape in extreme and random patterns: all kept, none kept, the first rows
    /// full, the first columns full, a checkerboard, and seeded coin flips.
    fn patterns(n: usize, d: usize) -> Vec<Mask> {
        use crate::seed::uniform_open01;
        let mut rng = MasterSeed::default().stream(&format!("TEST/patterns/{n}x{d}"));
        let coins: Vec<u8> = (0..n * d)
            .map(|_| u8::from(uniform_open01(&mut rng) < 0.5))
            .collect();
        let by = |f: &dyn Fn(usize, usize) -> bool| -> Vec<u8> {
            (0..n * d).map(|k| u8::from(f(k / d, k % d))).collect()
        };
        [
            by(&|_, _| true),
            by(&|_, _| false),
            by(&|i, _| 2 * i < n),
            by(&|_, j| 2 * j < d),
            by(&|i, j| (i + j) % 2 == 0),
            coins,
        ]
        .iter()
        .map(|e| Mask::from_entries(n, d, e).unwrap())
        .collect()
    }

    /// The declared maxima bound the statistics (else a check could be called vacuous while a
    /// mask can still fail it): every verdict's observed value is at most its `max`, over
    /// shapes from 1 × 1 up, extreme patterns, limits and δ from 1e-300 to nearly 1.
    #[test]
    fn no_statistic_exceeds_its_declared_maximum() {
        let limits = [
            Fsm::parse("const:1", "const:1", "gaussian:1")
                .unwrap()
                .limit_graphon(0.5)
                .unwrap(),
            Fsm::parse("exp:3", "exp:3", "gaussian:1")
                .unwrap()
                .limit_graphon(0.2)
                .unwrap(),
        ];
        for (n, d) in [(1, 1), (1, 64), (2, 2), (3, 7), (64, 1), (16, 64), (64, 16)] {
            let masks = patterns(n, d);
            for delta in [1e-300, 1e-3, 0.5, 0.999999] {
                for limit in &limits {
                    for v in check_masks(&masks, limit, delta).unwrap() {
                        assert!(
                            (0.0..=v.max).contains(&v.observed),
                            "{n} × {d}, δ = {delta}, ρ = {}: {v:?}",
                            limit.rho
                        );
                    }
                }
                // References need a density in (0, 1): the patterns other than all and none,
                // each against the next.
                let partial = &masks[2..];
                let next: Vec<Mask> = partial.iter().cycle().skip(1).take(4).cloned().collect();
                let partial_density = |m: &Mask| (1..n as u64 * d as u64).contains(&m.kept());
                if !partial.iter().all(partial_density) {
                    continue;
                }
                for v in check_against_reference(partial, &next, delta).unwrap() {
                    assert!(
                        (0.0..=v.max).contains(&v.observed),
                        "{n} × {d}, δ = {delta}: {v:?}"
                    );
                }
            }
        }
    }

    /// The heterogeneity bound's maximum holds for every pattern (each passes through the
    /// bound's own code), is 0 when no mask of the shape can show heterogeneity, and leaves the
    /// check its power at ordinary sizes.
    #[test]
    fn heterogeneity_lcb_max_bounds_the_lcb_and_is_positive_at_ordinary_sizes() {
        for (n, d) in [(2, 2), (2, 64), (5, 3), (64, 1), (64, 64), (256, 32)] {
            for delta in [1e-300, 1e-3, 0.999999] {
                let max = heterogeneity_lcb_max(n, d, delta).unwrap();
                for m in patterns(n, d) {
                    let lcb = heterogeneity_lcb(&m, delta).unwrap().lcb;
                    assert!(lcb <= max, "{n} × {d}, δ = {delta}: lcb {lcb} > max {max}");
                }
            }
        }
        // One column, or two rows at δ = 1e-3: the bound is 0 for every mask.
        assert_eq!(heterogeneity_lcb_max(64, 1, 1e-3).unwrap(), 0.0);
        assert_eq!(heterogeneity_lcb_max(2, 2, 1e-3).unwrap(), 0.0);
        assert_eq!(heterogeneity_lcb_max(1, 64, 1e-3).unwrap(), 0.0);
        // Half the rows full: the lcb is positive, so the maximum must be too.
        let half = &patterns(256, 32)[2];
        assert!(heterogeneity_lcb(half, 1e-3).unwrap().lcb > 0.0);
        assert!(heterogeneity_lcb_max(256, 32, 1e-3).unwrap() > 0.0);
    }

    /// δ is split evenly over every check of every mask (Bonferroni): three copies of a mask at
    /// δ get, each, the verdicts of the one mask at δ/3.
    #[test]
    fn delta_is_split_over_every_check_of_every_mask() {
        let (m, r) = (mask("TEST/m"), mask("TEST/r"));
        let limit = Fsm::parse("exp:2", "exp:2", "gaussian:1")
            .unwrap()
            .limit_graphon(0.2)
            .unwrap();
        let fields = |v: &[Verdict]| -> Vec<(&str, f64, f64)> {
            v.iter()
                .map(|v| (v.check, v.observed, v.threshold))
                .collect()
        };
        let three = |x: &Mask| vec![x.clone(), x.clone(), x.clone()];
        let one = check_masks(std::slice::from_ref(&m), &limit, 1e-3 / 3.0).unwrap();
        let all = check_masks(&three(&m), &limit, 1e-3).unwrap();
        for k in 0..3 {
            let of_k: Vec<_> = all.iter().filter(|v| v.mask == Some(k)).cloned().collect();
            assert_eq!(fields(&of_k), fields(&one), "check_masks, mask {k}");
        }
        let one = check_against_reference(
            std::slice::from_ref(&m),
            std::slice::from_ref(&r),
            1e-3 / 3.0,
        )
        .unwrap();
        let all = check_against_reference(&three(&m), &three(&r), 1e-3).unwrap();
        for k in 0..3 {
            let of_k: Vec<_> = all.iter().filter(|v| v.mask == Some(k)).cloned().collect();
            assert_eq!(
                fields(&of_k),
                fields(&one),
                "check_against_reference, mask {k}"
            );
        }
    }
}
