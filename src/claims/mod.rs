//! The claims registry: every checkable statement of `theory/`, with the code that checks it.
//!
//! `cargo test` (one test per claim, named after it) and `pai-graphon audit` both call [`run`],
//! so the tests and the command line cannot drift apart. A claim's check returns an
//! [`Outcome`]; a failed check is an outcome, not an error. Errors are kept for invalid input.
//!
//! The claims live in one module per area ([`toolbox`], [`convergence`], [`taxonomy`],
//! [`approximation`], [`ntk`], [`check`]), each submodule named after the kernel module whose
//! statements it checks. Kernels never import this layer; the verdict vocabulary they share
//! with it ([`Check`], [`Relation`], [`Status`], [`Row`]) lives below, in [`crate::verdict`].
//!
//! Naming: a claim's check is the function named after its id in lower case (`conv_4` runs
//! CONV-4, `ntk_10` runs NTK-10); its helpers, negative control and parameters carry the same
//! prefix (`tax_1_control`, `uat_1_floor`, `TAX8_WIDTH`).
//!
//! ```
//! use pai_graphon::claims::{find, run, Status};
//! use pai_graphon::seed::MasterSeed;
//! // TOOL-7 (the normal tail against its MPFR table) is exact and fast.
//! let row = run(&find("TOOL-7").unwrap(), MasterSeed::default(), 1.0).unwrap();
//! assert_eq!((row.id, row.status), ("TOOL-7", Status::Pass));
//! assert!(row.control.unwrap().rejected);
//! ```

pub mod approximation;
pub mod check;
pub mod convergence;
pub mod ntk;
pub mod taxonomy;
pub mod toolbox;

pub use crate::verdict::{Check, ControlRow, Kind, Relation, Row, Source, Status};

use crate::seed::MasterSeed;
use crate::Error;
use rand_chacha::ChaCha20Rng;
use std::fmt;

/// The relative slack of the budget check in [`run`]: a claim's spending is a sum or product of
/// a few f64 terms that add up to its δ in exact arithmetic, so it may exceed δ by roundoff.
///
/// ```
/// assert!(pai_graphon::claims::BUDGET_ROUNDING > 64.0 * f64::EPSILON);
/// ```
pub const BUDGET_ROUNDING: f64 = crate::tol::ROUNDING_SLACK;

/// The false-alarm budget δ of each statistical claim (the `delta` of its registry entry): the
/// probability that its check fails, or its negative control is not rejected, although the
/// code is right. [`false_alarm_budget`] sums these budgets over the registry (union bound).
///
/// ```
/// use pai_graphon::claims::{find, STATISTICAL_DELTA};
/// assert_eq!(STATISTICAL_DELTA, 1e-4);
/// assert_eq!(find("CONV-1").unwrap().delta, STATISTICAL_DELTA);
/// ```
pub const STATISTICAL_DELTA: f64 = 1e-4;

/// What a claim's check measured.
///
/// ```
/// use pai_graphon::claims::{Check, Outcome, Relation};
/// let out = Outcome::new(Check::new(0.1, 0.2, Relation::AtMost), 1e-6, "DOC-1/rep=0")
///     .with_control(Check::new(0.5, 0.2, Relation::AtMost), "a wrong law")
///     .detail("n", 100.0);
/// assert!(out.passed());
/// assert_eq!(out.details, [("n".to_string(), 100.0)]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The claim's own check.
    pub check: Check,
    /// The negative control: the same check on deliberately wrong input. It must *not* hold.
    pub control: Option<Check>,
    /// What the control was (e.g. "Beta(1.2, 1) samples against U(0,1)").
    pub control_note: String,
    /// Probability that the check fails or the control is not rejected although the code is
    /// right (0 for exact checks); at most the claim's declared budget.
    pub failure_probability: f64,
    /// The stream label that reproduces the draws (the claim id when nothing is random).
    pub seed_label: String,
    /// Parameters and intermediate values, for snapshots and the JSON output.
    pub details: Vec<(String, f64)>,
}

impl Outcome {
    /// An outcome with no control and no details.
    ///
    /// ```
    /// use pai_graphon::claims::{Check, Outcome};
    /// let out = Outcome::new(Check::exact(0), 0.0, "DOC-1");
    /// assert_eq!((out.control, out.seed_label.as_str()), (None, "DOC-1"));
    /// assert!(out.details.is_empty() && out.passed());
    /// ```
    pub fn new(check: Check, failure_probability: f64, seed_label: impl Into<String>) -> Self {
        Outcome {
            check,
            control: None,
            control_note: String::new(),
            failure_probability,
            seed_label: seed_label.into(),
            details: Vec::new(),
        }
    }

    /// Attach a negative control, which passes only if `control` does not hold.
    ///
    /// ```
    /// use pai_graphon::claims::{Check, Outcome};
    /// let base = Outcome::new(Check::exact(0), 0.0, "DOC-1");
    /// // A control that finds mismatches is rejected, as it should be...
    /// assert!(base.clone().with_control(Check::exact(3), "corrupted input").passed());
    /// // ...one that does not fails the claim: the check could not tell right from wrong.
    /// let blind = base.with_control(Check::exact(0), "corrupted input");
    /// assert!(!blind.passed() && blind.check.holds());
    /// ```
    pub fn with_control(mut self, control: Check, note: impl Into<String>) -> Self {
        self.control = Some(control);
        self.control_note = note.into();
        self
    }

    /// Attach a named value.
    ///
    /// ```
    /// use pai_graphon::claims::{Check, Outcome};
    /// let out = Outcome::new(Check::exact(0), 0.0, "DOC-1").detail("a", 1.0).detail("b", 2.0);
    /// assert_eq!(out.details, [("a".to_string(), 1.0), ("b".to_string(), 2.0)]);
    /// ```
    pub fn detail(mut self, name: impl Into<String>, value: f64) -> Self {
        self.details.push((name.into(), value));
        self
    }

    /// Whether the control (if any) was rejected.
    ///
    /// ```
    /// use pai_graphon::claims::{Check, Outcome};
    /// let out = Outcome::new(Check::exact(0), 0.0, "DOC-1");
    /// assert_eq!(out.control_rejected(), None);
    /// assert_eq!(out.with_control(Check::exact(2), "wrong").control_rejected(), Some(true));
    /// ```
    pub fn control_rejected(&self) -> Option<bool> {
        self.control.map(|c| !c.holds())
    }

    /// The claim passes when its check holds and its control (if any) is rejected, and neither
    /// is vacuous.
    ///
    /// ```
    /// use pai_graphon::claims::{Check, Outcome};
    /// assert!(Outcome::new(Check::exact(0), 0.0, "DOC-1").passed());
    /// assert!(!Outcome::new(Check::exact(1), 0.0, "DOC-1").passed());
    /// ```
    pub fn passed(&self) -> bool {
        self.status() == Status::Pass
    }

    /// [`Status::Fail`] when the check fails; else [`Status::Vacuous`] when the check or the
    /// control could not have failed (a control whose threshold lies beyond its statistic's
    /// range can never be rejected: the check has no power); else [`Status::Fail`] when the
    /// control was not rejected; else [`Status::Pass`].
    ///
    /// ```
    /// use pai_graphon::claims::{Check, Outcome, Relation, Status};
    /// let ks = |stat: f64, eps: f64| Check::new(stat, eps, Relation::AtMost).within(0.0, 1.0);
    /// let out = |eps: f64, control: f64| {
    ///     Outcome::new(ks(0.02, eps), 1e-6, "DOC-1").with_control(ks(control, eps), "skewed")
    /// };
    /// assert_eq!(out(0.05, 0.3).status(), Status::Pass);
    /// assert_eq!(out(0.05, 0.04).status(), Status::Fail); // the control was not rejected
    /// assert_eq!(out(0.01, 0.3).status(), Status::Fail); // the check failed
    /// assert_eq!(out(1.2, 0.3).status(), Status::Vacuous); // a radius above 1 rejects nothing
    /// ```
    pub fn status(&self) -> Status {
        let check = self.check.status();
        match self.control {
            _ if check != Status::Pass => check,
            Some(c) if c.vacuous() => Status::Vacuous,
            Some(c) if c.holds() => Status::Fail,
            _ => Status::Pass,
        }
    }
}

/// What a check function receives: the master seed, the scale and its own budget.
///
/// ```
/// use pai_graphon::claims::{find, ClaimContext};
/// use pai_graphon::seed::MasterSeed;
/// let claim = find("TOOL-7").unwrap();
/// let ctx = ClaimContext::new(&claim, MasterSeed::default(), 1.0);
/// // Calling the check directly gives its outcome; `run` adds the budget check and the row.
/// assert!((claim.run)(&ctx).unwrap().passed());
/// ```
#[derive(Clone, Debug)]
pub struct ClaimContext {
    /// The claim's id; stream labels start with it.
    pub id: &'static str,
    /// The master seed of the run.
    pub seed: MasterSeed,
    /// Multiplies sample sizes and widths (1 = the default run). Larger is more thorough.
    pub scale: f64,
    /// The claim's false-alarm budget (from the registry).
    pub delta: f64,
}

impl ClaimContext {
    /// The context a claim's check runs in: its id and budget from the registry, the run's seed
    /// and scale.
    ///
    /// ```
    /// use pai_graphon::claims::{find, ClaimContext};
    /// use pai_graphon::seed::MasterSeed;
    /// let claim = find("TOOL-3").unwrap();
    /// let ctx = ClaimContext::new(&claim, MasterSeed::new(1), 2.0);
    /// assert_eq!((ctx.id, ctx.delta, ctx.scale), ("TOOL-3", claim.delta, 2.0));
    /// ```
    pub fn new(claim: &Claim, seed: MasterSeed, scale: f64) -> Self {
        ClaimContext {
            id: claim.id,
            seed,
            scale,
            delta: claim.delta,
        }
    }

    /// The label `ID/suffix`.
    ///
    /// ```
    /// use pai_graphon::claims::{find, ClaimContext};
    /// use pai_graphon::seed::MasterSeed;
    /// let ctx = ClaimContext::new(&find("TOOL-3").unwrap(), MasterSeed::default(), 1.0);
    /// assert_eq!(ctx.label("n=10/rep=0"), "TOOL-3/n=10/rep=0");
    /// assert_eq!(ctx.label(""), "TOOL-3");
    /// ```
    pub fn label(&self, suffix: &str) -> String {
        if suffix.is_empty() {
            self.id.to_string()
        } else {
            format!("{}/{}", self.id, suffix)
        }
    }

    /// The ChaCha stream `ID/suffix`.
    ///
    /// ```
    /// use pai_graphon::claims::{find, ClaimContext};
    /// use pai_graphon::seed::MasterSeed;
    /// use rand::Rng;
    /// let ctx = ClaimContext::new(&find("TOOL-3").unwrap(), MasterSeed::default(), 1.0);
    /// // The same stream as the seed's under the full label.
    /// let a = ctx.stream("rep=0").next_u64();
    /// assert_eq!(a, MasterSeed::default().stream("TOOL-3/rep=0").next_u64());
    /// ```
    pub fn stream(&self, suffix: &str) -> ChaCha20Rng {
        self.seed.stream(&self.label(suffix))
    }

    /// `base` scaled by `--scale`, at least 1.
    ///
    /// ```
    /// use pai_graphon::claims::{find, ClaimContext};
    /// use pai_graphon::seed::MasterSeed;
    /// let ctx = ClaimContext::new(&find("TOOL-3").unwrap(), MasterSeed::default(), 0.25);
    /// assert_eq!(ctx.scaled(1000), 250);
    /// assert_eq!(ctx.scaled(1), 1); // 0.25 rounds to 0, raised to 1
    /// ```
    pub fn scaled(&self, base: usize) -> usize {
        ((base as f64 * self.scale).round() as usize).max(1)
    }
}

/// A registered claim.
///
/// ```
/// use pai_graphon::claims::{find, Kind};
/// let c = find("TOOL-2").unwrap();
/// assert_eq!((c.kind, c.delta), (Kind::HighPrecision, 0.0));
/// assert_eq!(format!("{c:?}"), "Claim(TOOL-2)");
/// ```
#[derive(Clone, Copy)]
pub struct Claim {
    /// Stable id, e.g. `TOOL-1`; never reused.
    pub id: &'static str,
    /// One line.
    pub title: &'static str,
    /// Paper or reconstructed.
    pub source: Source,
    /// Exact, high-precision or statistical.
    pub kind: Kind,
    /// False-alarm budget: the probability the claim fails although the code is right.
    pub delta: f64,
    /// The check.
    pub run: fn(&ClaimContext) -> Result<Outcome, Error>,
}

impl fmt::Debug for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Claim({})", self.id)
    }
}

/// Every claim, in the order of `theory/`.
///
/// ```
/// use pai_graphon::claims::registry;
/// let all = registry();
/// assert_eq!(all[0].id, "TOOL-1");
/// // Ids are never reused.
/// let mut ids: Vec<&str> = all.iter().map(|c| c.id).collect();
/// ids.sort();
/// ids.dedup();
/// assert_eq!(ids.len(), all.len());
/// ```
pub fn registry() -> Vec<Claim> {
    let mut all = Vec::new();
    all.extend(toolbox::claims());
    all.extend(convergence::claims());
    all.extend(taxonomy::claims());
    all.extend(approximation::claims());
    all.extend(ntk::claims());
    all.extend(check::claims());
    all
}

/// A claim id that is not registered.
///
/// ```
/// use pai_graphon::claims::{find, UnknownClaim};
/// let e = find("TOOL-0").unwrap_err();
/// assert_eq!(e, UnknownClaim("TOOL-0".into()));
/// assert!(e.to_string().contains("pai-graphon list"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownClaim(pub String);

impl fmt::Display for UnknownClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown claim id {:?} (pai-graphon list shows the ids)",
            self.0
        )
    }
}

impl std::error::Error for UnknownClaim {}

/// The claim with this id.
///
/// ```
/// let c = pai_graphon::claims::find("TOOL-1").unwrap();
/// assert_eq!(c.id, "TOOL-1");
/// assert!(pai_graphon::claims::find("NOPE-1").is_err());
/// ```
pub fn find(id: &str) -> Result<Claim, UnknownClaim> {
    registry()
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| UnknownClaim(id.to_string()))
}

/// The claims whose id starts with `prefix` (all of them for `None`), in registry order: what
/// `audit --filter` runs.
///
/// ```
/// use pai_graphon::claims::select;
/// assert!(select(Some("TOOL-1")).iter().all(|c| c.id.starts_with("TOOL-1")));
/// assert!(select(Some("NOPE")).is_empty());
/// assert_eq!(select(None).len(), pai_graphon::claims::registry().len());
/// ```
pub fn select(prefix: Option<&str>) -> Vec<Claim> {
    let all = registry();
    match prefix {
        None => all,
        Some(p) => all.into_iter().filter(|c| c.id.starts_with(p)).collect(),
    }
}

/// The suite's total false-alarm probability: the union bound over every claim's budget.
///
/// ```
/// use pai_graphon::claims::{false_alarm_budget, registry};
/// let sum: f64 = registry().iter().map(|c| c.delta).sum();
/// assert_eq!(false_alarm_budget(), sum.min(1.0));
/// ```
pub fn false_alarm_budget() -> f64 {
    let deltas: Vec<f64> = registry().iter().map(|c| c.delta).collect();
    crate::tol::union_bound(&deltas)
}

/// Run one claim at a seed and scale.
///
/// Errors: a scale that is not positive and finite ([`Error::Scale`]), the check's own errors,
/// and [`Error::Budget`] when the check would spend more than the claim's budget (unless the
/// outcome is vacuous: then it is reported so, whatever it spends).
///
/// ```
/// use pai_graphon::claims::{find, run, Status};
/// use pai_graphon::seed::MasterSeed;
/// use pai_graphon::Error;
/// let claim = find("TOOL-7").unwrap();
/// assert_eq!(run(&claim, MasterSeed::default(), 1.0).unwrap().status, Status::Pass);
/// // TOOL-3 at a tiny scale: two draws, a DKW radius above 1, a KS statistic in [0, 1].
/// let tiny = run(&find("TOOL-3").unwrap(), MasterSeed::default(), 1e-4).unwrap();
/// assert_eq!(tiny.status, Status::Vacuous);
/// assert!(tiny.threshold > 1.0);
/// assert!(matches!(run(&claim, MasterSeed::default(), 0.0), Err(Error::Scale(_))));
/// ```
pub fn run(claim: &Claim, seed: MasterSeed, scale: f64) -> Result<Row, Error> {
    if !(scale.is_finite() && scale > 0.0) {
        return Err(Error::Scale(scale));
    }
    let ctx = ClaimContext::new(claim, seed, scale);
    let out = (claim.run)(&ctx)?;
    // A vacuous outcome raises no alarm whatever its spending: report it as vacuous.
    let vacuous = out.status() == Status::Vacuous;
    if !vacuous && out.failure_probability > claim.delta * (1.0 + BUDGET_ROUNDING) {
        return Err(Error::Budget {
            id: claim.id,
            spent: out.failure_probability,
            budget: claim.delta,
        });
    }
    Ok(Row {
        id: claim.id,
        title: claim.title,
        source: claim.source,
        kind: claim.kind,
        observed: out.check.observed,
        threshold: out.check.threshold,
        relation: out.check.relation,
        margin: out.check.margin(),
        failure_probability: out.failure_probability,
        status: out.status(),
        control: out.control.map(|c| ControlRow {
            note: out.control_note.clone(),
            observed: c.observed,
            threshold: c.threshold,
            rejected: !c.holds(),
        }),
        seed_label: out.seed_label,
        seed: seed.to_string(),
        details: out.details,
    })
}

/// A claim as `theory/` states it: its id, its mark and its section text.
///
/// ```
/// use pai_graphon::claims::{statement, Source};
/// let s = statement("TOOL-7").unwrap();
/// assert_eq!((s.source, s.file), (Some(Source::Reconstructed), "toolbox.md"));
/// assert!(s.text.starts_with("### TOOL-7 · "));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// The claim id.
    pub id: String,
    /// `[paper]` or `[reconstructed]`, as marked in the heading.
    pub source: Option<Source>,
    /// The theory file it is in.
    pub file: &'static str,
    /// The heading and the text up to the next heading of the same or a higher level.
    pub text: String,
}

/// Every claim heading in `theory/`: a heading line whose first word is an id such as `TOOL-1`.
///
/// ```
/// let all = pai_graphon::claims::statements();
/// assert!(all.iter().any(|s| s.id == "TOOL-1" && s.file == "toolbox.md"));
/// ```
pub fn statements() -> Vec<Statement> {
    crate::theory::PAGES
        .iter()
        .flat_map(|(file, text)| page_statements(file, text))
        .collect()
}

fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.chars().take_while(|&c| c == '#').count();
    (level > 0 && line[level..].starts_with(' ')).then(|| (level, line[level..].trim()))
}

fn claim_id(title: &str) -> Option<&str> {
    let word = title.split_whitespace().next()?;
    let (prefix, number) = word.split_once('-')?;
    let ok = (2..=5).contains(&prefix.len())
        && prefix.chars().all(|c| c.is_ascii_uppercase())
        && !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit());
    ok.then_some(word)
}

fn page_statements(file: &'static str, text: &str) -> Vec<Statement> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some((level, title)) = heading(line) else {
            continue;
        };
        let Some(id) = claim_id(title) else { continue };
        let end = lines[i + 1..]
            .iter()
            .position(|l| heading(l).is_some_and(|(lv, _)| lv <= level))
            .map_or(lines.len(), |k| i + 1 + k);
        let source = if title.contains("[paper]") {
            Some(Source::Paper)
        } else if title.contains("[reconstructed]") {
            Some(Source::Reconstructed)
        } else {
            None
        };
        out.push(Statement {
            id: id.to_string(),
            source,
            file,
            text: lines[i..end].join("\n").trim_end().to_string(),
        });
    }
    out
}

/// The statement of one claim from `theory/`.
///
/// ```
/// use pai_graphon::claims::{statement, UnknownClaim};
/// let s = statement("CONV-5").unwrap();
/// assert_eq!(s.id, "CONV-5");
/// assert_eq!(statement("CONV-0"), Err(UnknownClaim("CONV-0".into())));
/// ```
pub fn statement(id: &str) -> Result<Statement, UnknownClaim> {
    statements()
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| UnknownClaim(id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A KS-type check in [0, 1] at threshold 0.1 that passes, fails, or cannot fail.
    fn ks(kind: Status) -> Check {
        let (observed, threshold) = match kind {
            Status::Pass => (0.05, 0.1),
            Status::Fail => (0.5, 0.1),
            Status::Vacuous => (0.5, 1.0),
        };
        Check::new(observed, threshold, Relation::AtMost).within(0.0, 1.0)
    }

    /// Every combination of the check's and the control's verdicts: a failed check fails; else
    /// a vacuous check or control is vacuous; else a control that holds (not rejected) fails.
    #[test]
    fn outcome_status_over_every_check_and_control() {
        use Status::*;
        // Rows: the check; columns: no control, control rejected (it fails), control not
        // rejected (it passes), control vacuous.
        let expected = [
            (Pass, [Pass, Pass, Fail, Vacuous]),
            (Fail, [Fail, Fail, Fail, Fail]),
            (Vacuous, [Vacuous, Vacuous, Vacuous, Vacuous]),
        ];
        for (check, row) in expected {
            let base = Outcome::new(ks(check), 0.0, "TEST");
            let outcomes = [
                base.clone(),
                base.clone().with_control(ks(Fail), "rejected"),
                base.clone().with_control(ks(Pass), "not rejected"),
                base.clone().with_control(ks(Vacuous), "vacuous"),
            ];
            for (out, want) in outcomes.iter().zip(row) {
                assert_eq!(
                    out.status(),
                    want,
                    "check {check}, control {:?}",
                    out.control
                );
                assert_eq!(out.passed(), want == Pass);
            }
        }
    }
}
