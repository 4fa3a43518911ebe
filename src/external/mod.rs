//! Masks made anywhere, checked against a limit graphon (`pai-graphon check`, theory/external.md).
//!
//! The stack of S masks is pooled and checked at once: against an FSM spec by [`sharp`] (a Monte
//! Carlo rank test against this crate's own simulator, [`simulate`], plus pair-overlap bounds),
//! against a method's limit by [`mod@reference`] (pooled reference masks). [`Null`] chooses the
//! question: the limit (any algorithm with this limit passes) or the sampler (the same finite-size
//! law). Every check answers with [`Verdict`] rows; the check's own guarantees are the claims
//! CHECK-1 … CHECK-4 (theory/external.md, "Claims").
//!
//! ```
//! use pai_graphon::params::Probability;
//! use pai_graphon::verdict::Status;
//! use pai_graphon::convergence::limit::Fsm;
//! use pai_graphon::external::sharp::{Options, Sharp};
//! use pai_graphon::external::simulate::{Draw, Model};
//! use pai_graphon::external::Null;
//! use pai_graphon::seed::MasterSeed;
//! let fsm = Fsm::parse("exp:3", "exp:3", "gaussian:1").unwrap();
//! let model = || Model::from_fsm(&fsm, 32, 32, 0.2).unwrap();
//! let seed = MasterSeed::default();
//! let options = Options { null: Null::Sampler, unordered: false, delta: Probability::new(0.2).unwrap(), replicates: None, seed, test_density: true };
//! let sharp = Sharp::new(model(), 4, options).unwrap();
//! // Top-k masks keep exactly round(ρnd) = 205 entries; frozen-threshold masks almost never all do.
//! let topk = model().draw_stack(Draw::TopK, 4, seed, "DOC/topk").unwrap();
//! assert_eq!(sharp.kept_counts(&topk).unwrap().status, Status::Pass);
//! let frozen = model().draw_stack(Draw::Frozen, 4, seed, "DOC/frozen").unwrap();
//! assert_eq!(sharp.kept_counts(&frozen).unwrap().status, Status::Fail);
//! ```

pub mod check;
pub mod power;
pub mod reference;
pub mod sharp;
pub mod simulate;

use crate::verdict::{Check, Relation, Status};
use std::fmt;

/// Bad input to the checks of masks made elsewhere.
///
/// ```
/// use pai_graphon::external::ExternalError;
/// assert_eq!(ExternalError::NoMasks.to_string(), "no masks to check (a stack of S = 0)");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum ExternalError {
    /// A stack of no masks.
    NoMasks,
    /// `--null` is neither `limit` nor `sampler`.
    UnknownNull,
    /// A power-report perturbation size outside its family's range (`external::power`).
    Perturbation {
        /// The family's name.
        family: &'static str,
        /// The size asked for.
        eps: f64,
        /// The largest size the family allows.
        max: f64,
    },
}

impl fmt::Display for ExternalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExternalError::NoMasks => write!(f, "no masks to check (a stack of S = 0)"),
            ExternalError::UnknownNull => write!(f, "unknown null: use limit or sampler"),
            ExternalError::Perturbation { family, eps, max } => {
                write!(f, "{family} perturbation ε = {eps} must lie in (0, {max}]")
            }
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

/// One check of a stack (or of one mask of it).
///
/// ```
/// use pai_graphon::params::Probability;
/// use pai_graphon::verdict::Status;
/// use pai_graphon::convergence::limit::Fsm;
/// use pai_graphon::external::sharp::{Options, Sharp};
/// use pai_graphon::external::simulate::{Draw, Model};
/// use pai_graphon::external::Null;
/// use pai_graphon::seed::MasterSeed;
/// let fsm = Fsm::parse("exp:3", "exp:3", "gaussian:1").unwrap();
/// let model = || Model::from_fsm(&fsm, 32, 32, 0.2).unwrap();
/// let seed = MasterSeed::default();
/// let options = Options { null: Null::Sampler, unordered: false, delta: Probability::new(0.2).unwrap(), replicates: None, seed, test_density: true };
/// let sharp = Sharp::new(model(), 2, options).unwrap();
/// let masks = model().draw_stack(Draw::TopK, 2, seed, "DOC").unwrap();
/// let v = sharp.kept_counts(&masks).unwrap();
/// // A pooled check (no mask index); the kept count is off by at most max(k, nd − k) = 819.
/// assert_eq!((v.mask, v.check, v.observed, v.max), (None, "kept count = round(ρnd)", 0.0, 819.0));
/// assert_eq!(v.status, Status::Pass);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// Index of the mask in the stack (0 for a single mask); `None` for a check of the pooled stack.
    pub mask: Option<usize>,
    /// The statistic's name (`density`, `row-pair overlaps`, `Monte Carlo p-value`, ...).
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
    pub(crate) fn new(
        mask: Option<usize>,
        check: &'static str,
        observed: f64,
        threshold: f64,
        max: f64,
    ) -> Self {
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

#[cfg(test)]
mod tests {
    use super::sharp::{Options, Sharp, PAIR_SHARE};
    use super::simulate::{Draw, Model};
    use super::*;
    use crate::convergence::limit::Fsm;
    use crate::seed::MasterSeed;

    fn model(n: usize) -> Model {
        Model::from_fsm(&Fsm::figure1(), n, n, 0.2).unwrap()
    }

    fn sharp(n: usize, stack: usize, delta: f64, replicates: Option<usize>) -> Sharp {
        let options = Options {
            null: Null::Limit,
            unordered: false,
            delta: crate::params::Probability::new(delta).unwrap(),
            replicates,
            seed: MasterSeed::default(),
            test_density: true,
        };
        Sharp::new(model(n), stack, options).unwrap()
    }

    #[test]
    fn no_pair_statistic_exceeds_its_declared_maximum() {
        let check = sharp(48, 2, 1e-3, None);
        // Correct masks, all-ones masks (every pair overlaps fully) and empty masks.
        let mut stacks = vec![model(48)
            .draw_stack(Draw::Frozen, 2, MasterSeed::default(), "TEST/pairs")
            .unwrap()];
        for fill in [0u8, 1] {
            let m = crate::mask::Mask::from_entries(48, 48, &[fill; 48 * 48]).unwrap();
            stacks.push(vec![m.clone(), m]);
        }
        for masks in &stacks {
            for v in check.pairs(masks).unwrap() {
                assert!(
                    v.observed <= v.max,
                    "{}: {} above its maximum {}",
                    v.check,
                    v.observed,
                    v.max
                );
            }
        }
        // All-ones rows overlap in every column: the row-pair statistic reaches its maximum.
        let full = check.pairs(&stacks[2]).unwrap();
        assert!(full.iter().all(|v| v.observed == v.max && v.max > 0.0));
    }

    #[test]
    fn delta_is_split_between_the_monte_carlo_test_and_the_pairs() {
        let check = sharp(32, 1, 0.01, None);
        // Two pair bounds at δ · PAIR_SHARE / 2 each, the rest to the Monte Carlo test.
        let total = check.mc_delta() + 2.0 * (0.01 * PAIR_SHARE / 2.0);
        assert!((total - 0.01).abs() <= 4.0 * f64::EPSILON * 0.01);
        // The fewest replicates that can reject: 1/(B + 1) ≤ δ_MC.
        assert!(check.can_reject());
        assert!((check.replicates() + 1) as f64 * check.mc_delta() >= 1.0);
        assert!((check.replicates() as f64) * check.mc_delta() < 1.0);
    }

    #[test]
    fn too_few_replicates_give_vacuous_monte_carlo_rows() {
        // B + 1 = 4 < 1/δ_MC: no p-value can reach δ_MC, so nothing could fail.
        let check = sharp(32, 1, 1e-3, Some(3));
        assert!(!check.can_reject());
        let masks = model(32)
            .draw_stack(Draw::TopK, 1, MasterSeed::default(), "TEST/vacuous")
            .unwrap();
        let rows = check.check(&masks).unwrap();
        assert_eq!(rows.len(), check.names().len());
        assert!(rows.iter().all(|v| v.status == Status::Vacuous));
    }
}
