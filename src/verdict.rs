//! The verdict vocabulary: a [`Check`] of an observed value against a threshold in a
//! [`Relation`], its [`Status`] (pass, fail or vacuous), and the audit [`Row`] that reports it
//! with the claim's [`Source`] and [`Kind`].
//!
//! It sits below the claims layer so that kernels which judge their own results (the external
//! masks' checks, the report) use it without importing the claims layer.
//!
//! ```
//! use pai_graphon::verdict::{Check, Relation, Status};
//! assert_eq!(Check::new(0.5, 2.0, Relation::AtMost).status(), Status::Pass);
//! ```

use serde::Serialize;
use std::fmt;

/// The direction of a check.
///
/// ```
/// use pai_graphon::verdict::{Check, Relation};
/// // The boundary counts as holding either way.
/// assert!(Check::new(2.0, 2.0, Relation::AtMost).holds());
/// assert!(Check::new(2.0, 2.0, Relation::AtLeast).holds());
/// assert!(!Check::new(1.0, 2.0, Relation::AtLeast).holds());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Relation {
    /// Holds when `observed ≤ threshold`.
    AtMost,
    /// Holds when `observed ≥ threshold`.
    AtLeast,
}

/// One comparison of an observed value with a threshold.
///
/// ```
/// use pai_graphon::verdict::{Check, Relation};
/// let c = Check::new(0.5, 2.0, Relation::AtMost);
/// assert!(c.holds());
/// assert_eq!(c.margin(), 4.0);
/// assert!(!Check::new(3.0, 2.0, Relation::AtMost).holds());
/// assert!(!Check::new(f64::NAN, 2.0, Relation::AtMost).holds());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Check {
    /// What was measured.
    pub observed: f64,
    /// What it is compared with.
    pub threshold: f64,
    /// Which way it must go.
    pub relation: Relation,
    /// The interval `[lo, hi]` the statistic can take whatever the input (unbounded unless
    /// declared with [`Check::within`]); a threshold at or beyond it makes the check vacuous.
    pub range: (f64, f64),
}

/// The verdict of a check: it held, it did not, or it could not have failed.
///
/// Serialised as `"pass"`, `"fail"` and `"vacuous"`. A vacuous check is not a pass: its
/// threshold lies at or beyond the range its statistic can take, so no input could have failed
/// it (too few samples, or a failure probability so small that the bound says nothing).
///
/// ```
/// use pai_graphon::verdict::{Check, Relation, Status};
/// // A KS statistic lies in [0, 1]: a DKW radius of 1.2 cannot be exceeded.
/// let c = Check::new(0.3, 1.2, Relation::AtMost).within(0.0, 1.0);
/// assert_eq!(c.status(), Status::Vacuous);
/// assert_eq!(serde_json::to_string(&c.status()).unwrap(), "\"vacuous\"");
/// assert_eq!(Status::Pass.to_string(), "pass");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The check held and could have failed (and the control, if any, was rejected).
    Pass,
    /// The check did not hold, or its control was not rejected.
    Fail,
    /// The check (or its control) held only because its threshold lies at or beyond the range
    /// of its statistic.
    Vacuous,
}

impl Status {
    /// `pass`, `fail` or `vacuous`, as in the JSON output.
    ///
    /// ```
    /// use pai_graphon::verdict::Status;
    /// assert_eq!(Status::Vacuous.label(), "vacuous");
    /// assert_eq!(Status::Fail.label(), "fail");
    /// ```
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Vacuous => "vacuous",
        }
    }

    /// The worst of several statuses: any failure fails, else any vacuous check makes the
    /// whole vacuous, else all passed (also for none).
    ///
    /// ```
    /// use pai_graphon::verdict::Status::{self, *};
    /// assert_eq!(Status::worst([Pass, Vacuous, Pass]), Vacuous);
    /// assert_eq!(Status::worst([Vacuous, Fail]), Fail);
    /// assert_eq!(Status::worst([]), Pass);
    /// ```
    pub fn worst(all: impl IntoIterator<Item = Status>) -> Status {
        all.into_iter().fold(Status::Pass, |w, s| match (w, s) {
            (Status::Fail, _) | (_, Status::Fail) => Status::Fail,
            (Status::Vacuous, _) | (_, Status::Vacuous) => Status::Vacuous,
            _ => Status::Pass,
        })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Compares with the label, so `row.status == "pass"` reads as before.
impl PartialEq<&str> for Status {
    fn eq(&self, other: &&str) -> bool {
        self.label() == *other
    }
}

impl Check {
    /// A check of `observed` against `threshold`.
    ///
    /// ```
    /// use pai_graphon::verdict::{Check, Relation};
    /// let c = Check::new(0.01, 0.05, Relation::AtMost);
    /// assert_eq!((c.observed, c.threshold, c.relation), (0.01, 0.05, Relation::AtMost));
    /// ```
    pub fn new(observed: f64, threshold: f64, relation: Relation) -> Self {
        Check {
            observed,
            threshold,
            relation,
            range: (f64::NEG_INFINITY, f64::INFINITY),
        }
    }

    /// Declares the range `[lo, hi]` of the statistic (of `observed`), so a threshold at or
    /// beyond it is reported as vacuous.
    ///
    /// ```
    /// use pai_graphon::verdict::{Check, Relation};
    /// let c = Check::new(0.1, 0.4, Relation::AtMost).within(0.0, 1.0);
    /// assert_eq!(c.range, (0.0, 1.0));
    /// assert!(!c.vacuous());
    /// ```
    pub fn within(mut self, lo: f64, hi: f64) -> Self {
        self.range = (lo, hi);
        self
    }

    /// Whether no value of the statistic in its range could make the check fail: the
    /// threshold is at or above the range's top ([`Relation::AtMost`]) or at or below its
    /// bottom ([`Relation::AtLeast`]). An infinite threshold is always vacuous.
    ///
    /// ```
    /// use pai_graphon::verdict::{Check, Relation};
    /// assert!(Check::new(0.0, 1.0, Relation::AtMost).within(0.0, 1.0).vacuous()); // at the top
    /// assert!(!Check::new(0.0, 0.99, Relation::AtMost).within(0.0, 1.0).vacuous());
    /// assert!(Check::new(0.5, 0.0, Relation::AtLeast).within(0.0, 1.0).vacuous());
    /// assert!(Check::new(0.5, f64::INFINITY, Relation::AtMost).vacuous());
    /// assert!(!Check::new(0.5, f64::NAN, Relation::AtMost).within(0.0, 1.0).vacuous());
    /// ```
    pub fn vacuous(&self) -> bool {
        match self.relation {
            Relation::AtMost => self.threshold >= self.range.1,
            Relation::AtLeast => self.threshold <= self.range.0,
        }
    }

    /// [`Status::Fail`] when the relation does not hold, else [`Status::Vacuous`] when the
    /// check could not have failed, else [`Status::Pass`].
    ///
    /// ```
    /// use pai_graphon::verdict::{Check, Relation, Status};
    /// let ks = |stat: f64, eps: f64| Check::new(stat, eps, Relation::AtMost).within(0.0, 1.0);
    /// assert_eq!(ks(0.01, 0.05).status(), Status::Pass);
    /// assert_eq!(ks(0.09, 0.05).status(), Status::Fail);
    /// assert_eq!(ks(0.09, 1.5).status(), Status::Vacuous);
    /// assert_eq!(ks(f64::NAN, 1.5).status(), Status::Fail); // NaN never holds
    /// ```
    pub fn status(&self) -> Status {
        if !self.holds() {
            Status::Fail
        } else if self.vacuous() {
            Status::Vacuous
        } else {
            Status::Pass
        }
    }

    /// An exact check: `mismatches` must be 0.
    ///
    /// ```
    /// use pai_graphon::verdict::Check;
    /// assert!(Check::exact(0).holds());
    /// assert!(!Check::exact(1).holds());
    /// assert_eq!(Check::exact(0).margin(), f64::INFINITY);
    /// ```
    pub fn exact(mismatches: usize) -> Self {
        Check::new(mismatches as f64, 0.0, Relation::AtMost).within(0.0, f64::INFINITY)
    }

    /// Whether the relation holds (never for NaN).
    ///
    /// ```
    /// use pai_graphon::verdict::{Check, Relation};
    /// assert!(Check::new(3.0, 2.0, Relation::AtLeast).holds());
    /// assert!(!Check::new(f64::NAN, 2.0, Relation::AtLeast).holds());
    /// assert!(!Check::new(1.0, f64::NAN, Relation::AtMost).holds());
    /// ```
    pub fn holds(&self) -> bool {
        match self.relation {
            Relation::AtMost => self.observed <= self.threshold,
            Relation::AtLeast => self.observed >= self.threshold,
        }
    }

    /// How far inside the threshold the observation is, as a ratio ≥ 1 when it holds:
    /// `threshold / observed` for [`Relation::AtMost`], `observed / threshold` for
    /// [`Relation::AtLeast`]; infinite when the denominator is 0 and the check holds.
    ///
    /// ```
    /// use pai_graphon::verdict::{Check, Relation};
    /// assert_eq!(Check::new(6.0, 2.0, Relation::AtLeast).margin(), 3.0);
    /// assert_eq!(Check::new(4.0, 2.0, Relation::AtMost).margin(), 0.5); // fails: below 1
    /// assert_eq!(Check::new(1.0, 0.0, Relation::AtLeast).margin(), f64::INFINITY);
    /// ```
    pub fn margin(&self) -> f64 {
        let (num, den) = match self.relation {
            Relation::AtMost => (self.threshold, self.observed),
            Relation::AtLeast => (self.observed, self.threshold),
        };
        if den == 0.0 {
            if self.holds() {
                f64::INFINITY
            } else {
                0.0
            }
        } else {
            num / den
        }
    }
}

/// Where a claim comes from.
///
/// ```
/// use pai_graphon::verdict::Source;
/// assert_eq!(serde_json::to_string(&Source::Reconstructed).unwrap(), "\"reconstructed\"");
/// assert_ne!(Source::Paper, Source::Reconstructed);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Stated in the paper (or its predecessor).
    Paper,
    /// Derived in this project, with a proof or sketch in `theory/`.
    Reconstructed,
}

/// How a claim is checked.
///
/// ```
/// use pai_graphon::verdict::Kind;
/// assert_eq!(serde_json::to_string(&Kind::HighPrecision).unwrap(), "\"high-precision\"");
/// assert_ne!(Kind::Exact, Kind::Statistical);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Exact arithmetic and `==`; no failure probability.
    Exact,
    /// Containment in an interval certified by error analysis or a higher-precision computation.
    HighPrecision,
    /// A concentration inequality on seeded samples, with a stated failure probability.
    Statistical,
}

impl Source {
    /// `paper` or `reconstructed`, as in `theory/` and the JSON output.
    ///
    /// ```
    /// use pai_graphon::verdict::Source;
    /// assert_eq!(Source::Paper.label(), "paper");
    /// assert_eq!(Source::Reconstructed.label(), "reconstructed");
    /// ```
    pub fn label(self) -> &'static str {
        match self {
            Source::Paper => "paper",
            Source::Reconstructed => "reconstructed",
        }
    }
}

impl Kind {
    /// `exact`, `high-precision` or `statistical`, as in the JSON output.
    ///
    /// ```
    /// assert_eq!(pai_graphon::verdict::Kind::HighPrecision.label(), "high-precision");
    /// ```
    pub fn label(self) -> &'static str {
        match self {
            Kind::Exact => "exact",
            Kind::HighPrecision => "high-precision",
            Kind::Statistical => "statistical",
        }
    }
}

/// One row of an audit: the claim, its outcome and the run's parameters.
///
/// ```
/// use pai_graphon::verdict::{Kind, Relation, Row, Source, Status};
/// let row = Row {
///     id: "DOC-1", title: "an exact check met with equality", source: Source::Reconstructed,
///     kind: Kind::Exact, observed: 0.0, threshold: 0.0, relation: Relation::AtMost,
///     margin: f64::INFINITY, failure_probability: 0.0, status: Status::Pass, control: None,
///     seed_label: "DOC".into(), seed: "0x1".into(), details: vec![("n".into(), 3.0)],
/// };
/// let json = serde_json::to_value(&row).unwrap();
/// assert!(json["margin"].is_null()); // an infinite margin is written as null
/// assert_eq!((json["status"].as_str(), json["kind"].as_str()), (Some("pass"), Some("exact")));
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// Claim id.
    pub id: &'static str,
    /// One line.
    pub title: &'static str,
    /// Paper or reconstructed.
    pub source: Source,
    /// Exact, high-precision or statistical.
    pub kind: Kind,
    /// What was measured.
    #[serde(serialize_with = "finite_or_null")]
    pub observed: f64,
    /// The threshold.
    #[serde(serialize_with = "finite_or_null")]
    pub threshold: f64,
    /// Which way the check goes.
    pub relation: Relation,
    /// `threshold / observed` (or its inverse); null when infinite.
    #[serde(serialize_with = "finite_or_null")]
    pub margin: f64,
    /// The probability of a false alarm spent by this claim.
    pub failure_probability: f64,
    /// `pass`, `fail` or `vacuous` (`Outcome::status` in `claims`).
    pub status: Status,
    /// The negative control's observed value, threshold and whether it was rejected.
    pub control: Option<ControlRow>,
    /// Stream label that reproduces the draws.
    pub seed_label: String,
    /// The master seed, in hex.
    pub seed: String,
    /// Named values measured along the way.
    pub details: Vec<(String, f64)>,
}

/// The negative control's part of a row.
///
/// ```
/// use pai_graphon::verdict::ControlRow;
/// let control = ControlRow { note: "a wrong input".into(), observed: f64::INFINITY, threshold: 1.0, rejected: true };
/// let json = serde_json::to_value(&control).unwrap();
/// assert!(json["observed"].is_null() && json["threshold"] == 1.0 && json["rejected"] == true);
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct ControlRow {
    /// What the control was.
    pub note: String,
    /// What was measured on the wrong input.
    #[serde(serialize_with = "finite_or_null")]
    pub observed: f64,
    /// The same threshold as the claim's.
    #[serde(serialize_with = "finite_or_null")]
    pub threshold: f64,
    /// Whether the check rejected the wrong input (it must).
    pub rejected: bool,
}

impl ControlRow {
    /// The control's verdict as every rendering (table, markdown, HTML) words it.
    ///
    /// ```
    /// use pai_graphon::verdict::ControlRow;
    /// let c = ControlRow { note: "a wrong input".into(), observed: 2.0, threshold: 1.0, rejected: true };
    /// assert_eq!(c.verdict(), "rejected");
    /// assert_eq!(ControlRow { rejected: false, ..c }.verdict(), "NOT rejected");
    /// ```
    pub fn verdict(&self) -> &'static str {
        if self.rejected {
            "rejected"
        } else {
            "NOT rejected"
        }
    }
}

fn finite_or_null<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if x.is_finite() {
        s.serialize_f64(*x)
    } else {
        s.serialize_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vacuity is at the range's edge inclusive, either relation, and never for NaN.
    #[test]
    fn vacuous_at_and_beyond_the_range() {
        let at_most = |t: f64| Check::new(0.0, t, Relation::AtMost).within(0.0, 1.0);
        let at_least = |t: f64| Check::new(1.0, t, Relation::AtLeast).within(0.0, 1.0);
        assert_eq!(
            [0.99, 1.0, 2.0, f64::NAN].map(|t| at_most(t).vacuous()),
            [false, true, true, false]
        );
        assert_eq!(
            [0.01, 0.0, -1.0, f64::NAN].map(|t| at_least(t).vacuous()),
            [false, true, true, false]
        );
        // Undeclared ranges: only an infinite threshold cannot be crossed.
        assert!(!Check::new(0.0, 1e300, Relation::AtMost).vacuous());
        assert!(Check::new(0.0, f64::INFINITY, Relation::AtMost).vacuous());
        assert!(!Check::exact(0).vacuous());
    }

    /// The serialised statuses, as the audit JSON shows them (pass and fail as before).
    #[test]
    fn statuses_serialise_as_their_labels() {
        for s in [Status::Pass, Status::Fail, Status::Vacuous] {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.label()));
            assert!(s == s.label());
        }
    }
}
