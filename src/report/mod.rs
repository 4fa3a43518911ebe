//! Audit output: a plain table, a markdown table and JSON, all from the same rows, and atomic
//! file writes (a temporary file in the same folder, then a rename), so a reader never sees a
//! half-written file.
//!
//! ```
//! use pai_graphon::claims::{find, run};
//! use pai_graphon::report::{render, Format};
//! use pai_graphon::seed::MasterSeed;
//! let rows = vec![run(&find("TOOL-7").unwrap(), MasterSeed::default(), 1.0).unwrap()];
//! let table = render(&rows, Format::Markdown);
//! assert!(table.starts_with("| id | source | kind |"));
//! assert!(table.contains("| TOOL-7 | reconstructed | high-precision |"));
//! ```

pub mod html;

use crate::verdict::{Relation, Row, Status};
use std::io::Write;
use std::path::Path;

/// Output formats of the audit.
///
/// ```
/// use pai_graphon::claims::{find, run};
/// use pai_graphon::report::{render, Format};
/// use pai_graphon::seed::MasterSeed;
/// let rows = vec![run(&find("TOOL-7").unwrap(), MasterSeed::default(), 1.0).unwrap()];
/// // JSON is for machines: no summary line, one object per row.
/// let json: serde_json::Value = serde_json::from_str(&render(&rows, Format::Json)).unwrap();
/// assert_eq!(json[0]["id"], "TOOL-7");
/// assert_eq!(json[0]["kind"], "high-precision");
/// assert!(render(&rows, Format::Table).starts_with("id "));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// A GitHub-flavoured markdown table.
    Markdown,
    /// A JSON array of row objects.
    Json,
}

/// Four significant figures (see [`sig`]).
///
/// ```
/// use pai_graphon::report::sig4;
/// assert_eq!(sig4(0.000123456), "1.235e-4");
/// assert_eq!(sig4(12.3456), "12.35");
/// assert_eq!(sig4(0.0), "0");
/// assert_eq!(sig4(f64::INFINITY), "∞");
/// ```
pub fn sig4(x: f64) -> String {
    sig(x, 4)
}

/// `digits` significant figures, trailing zeros dropped, with `∞` and `—` for the non-finite;
/// scientific notation outside [1e-3, 1e5).
///
/// ```
/// use pai_graphon::report::sig;
/// assert_eq!(sig(2.0 / 3.0, 3), "0.667");
/// assert_eq!(sig(123456.0, 3), "1.23e5");
/// ```
pub fn sig(x: f64, digits: usize) -> String {
    let digits = digits.max(1);
    if x.is_nan() {
        return "—".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "∞".into() } else { "-∞".into() };
    }
    if x == 0.0 {
        return "0".into();
    }
    let e = x.abs().log10().floor() as i32;
    if (-3..5).contains(&e) {
        let decimals = (digits as i32 - 1 - e).max(0) as usize;
        let s = format!("{x:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    } else {
        let s = format!("{x:.prec$e}", prec = digits - 1);
        let (m, ex) = s.split_once('e').unwrap_or((&s, "0"));
        let m = m.trim_end_matches('0').trim_end_matches('.');
        format!("{m}e{ex}")
    }
}

/// A check's threshold as `theory/` writes it, for every human-readable output (the table, the
/// markdown and `report.html`): `≤ 0.05`, `≥ 2`, and `> 0` for a lower threshold of
/// `f64::MIN_POSITIVE`, which the checks use to state strict positivity (among normal f64s).
///
/// ```
/// use pai_graphon::claims::Relation;
/// use pai_graphon::report::threshold_text;
/// assert_eq!(threshold_text(Relation::AtMost, 0.0), "≤ 0");
/// assert_eq!(threshold_text(Relation::AtLeast, 0.81), "≥ 0.81");
/// assert_eq!(threshold_text(Relation::AtLeast, f64::MIN_POSITIVE), "> 0");
/// ```
pub fn threshold_text(relation: Relation, threshold: f64) -> String {
    threshold_text_sig(relation, threshold, 4)
}

/// [`threshold_text`] with `digits` significant figures (the snapshots keep 3).
///
/// ```
/// use pai_graphon::report::threshold_text_sig;
/// use pai_graphon::verdict::Relation;
/// assert_eq!(threshold_text_sig(Relation::AtMost, 2.0 / 3.0, 3), "≤ 0.667");
/// assert_eq!(threshold_text_sig(Relation::AtLeast, f64::MIN_POSITIVE, 3), "> 0");
/// ```
pub fn threshold_text_sig(relation: Relation, threshold: f64, digits: usize) -> String {
    match relation {
        Relation::AtLeast if threshold == f64::MIN_POSITIVE => "> 0".into(),
        Relation::AtLeast => format!("≥ {}", sig(threshold, digits)),
        Relation::AtMost => format!("≤ {}", sig(threshold, digits)),
    }
}

/// Whether `threshold / observed` (or its inverse) measures anything: not for a threshold of 0
/// (an exact `≤ 0` or `≥ 0`), `f64::MIN_POSITIVE` (strict positivity, where the ratio is about
/// 10³⁰⁸ times the observed value) or a non-finite one.
fn margin_is_meaningful(threshold: f64) -> bool {
    threshold.is_finite() && threshold.abs() > f64::MIN_POSITIVE
}

/// A check's margin for every human-readable output, four significant figures, and `—` where
/// the ratio measures nothing (a threshold of 0, of `f64::MIN_POSITIVE` standing for `> 0`, or
/// not finite). The JSON keeps the number.
///
/// ```
/// use pai_graphon::report::margin_text;
/// assert_eq!(margin_text(1.0, 9.2654), "9.265");
/// assert_eq!(margin_text(1.0, f64::INFINITY), "∞"); // observed exactly 0 under a bound of 1
/// assert_eq!(margin_text(0.0, f64::INFINITY), "—"); // an exact ≤ 0 that held
/// assert_eq!(margin_text(f64::MIN_POSITIVE, 2.36e306), "—"); // > 0
/// ```
pub fn margin_text(threshold: f64, margin: f64) -> String {
    margin_text_sig(threshold, margin, 4)
}

/// [`margin_text`] with `digits` significant figures (the snapshots keep 3).
///
/// ```
/// use pai_graphon::report::margin_text_sig;
/// assert_eq!(margin_text_sig(1.0, 2.0 / 3.0, 3), "0.667");
/// assert_eq!(margin_text_sig(0.0, 5.0, 3), "—");
/// ```
pub fn margin_text_sig(threshold: f64, margin: f64, digits: usize) -> String {
    if margin_is_meaningful(threshold) {
        sig(margin, digits)
    } else {
        "—".into()
    }
}

const HEADER: [&str; 11] = [
    "id",
    "source",
    "kind",
    "observed",
    "threshold",
    "margin",
    "failure prob.",
    "control",
    "status",
    "seed label",
    "title",
];

fn cells(row: &Row) -> [String; 11] {
    let control = match &row.control {
        None => "none".to_string(),
        Some(c) => format!("{} ({})", c.verdict(), sig4(c.observed)),
    };
    [
        row.id.to_string(),
        row.source.label().to_string(),
        row.kind.label().to_string(),
        sig4(row.observed),
        threshold_text(row.relation, row.threshold),
        margin_text(row.threshold, row.margin),
        sig4(row.failure_probability),
        control,
        row.status.to_string(),
        row.seed_label.clone(),
        row.title.to_string(),
    ]
}

/// Render the rows in a format; the table and markdown end with a summary line.
///
/// ```
/// use pai_graphon::claims::{find, run};
/// use pai_graphon::report::{render, summary, Format};
/// use pai_graphon::seed::MasterSeed;
/// let rows = vec![run(&find("TOOL-7").unwrap(), MasterSeed::default(), 1.0).unwrap()];
/// let table = render(&rows, Format::Table);
/// assert!(table.ends_with(&summary(&rows)));
/// // A header line, one line per row, then the summary.
/// assert_eq!(table.lines().filter(|l| l.starts_with("TOOL-7")).count(), 1);
/// assert_eq!(render(&[], Format::Json), "[]\n");
/// ```
pub fn render(rows: &[Row], format: Format) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(rows).unwrap_or_else(|e| e.to_string()) + "\n",
        Format::Markdown => {
            let mut s = format!("| {} |\n", HEADER.join(" | "));
            s += &format!("|{}\n", "---|".repeat(HEADER.len()));
            for r in rows {
                s += &format!("| {} |\n", cells(r).join(" | "));
            }
            s + &summary(rows)
        }
        Format::Table => {
            let all: Vec<[String; 11]> = rows.iter().map(cells).collect();
            let head = HEADER.map(String::from);
            let widths: Vec<usize> = (0..HEADER.len())
                .map(|k| {
                    std::iter::once(&head)
                        .chain(&all)
                        .map(|c| c[k].chars().count())
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let line = |c: &[String; 11]| {
                let parts: Vec<String> = c
                    .iter()
                    .zip(&widths)
                    .map(|(s, w)| format!("{s}{}", " ".repeat(w - s.chars().count())))
                    .collect();
                parts.join("  ").trim_end().to_string() + "\n"
            };
            let mut s = line(&head);
            for c in &all {
                s += &line(c);
            }
            s + &summary(rows)
        }
    }
}

/// `N passed, M failed` (and `, K vacuous` when some are) with the false-alarm probability
/// spent.
///
/// ```
/// use pai_graphon::claims::{find, run, Status};
/// use pai_graphon::report::summary;
/// use pai_graphon::seed::MasterSeed;
/// let mut rows = vec![run(&find("TOOL-7").unwrap(), MasterSeed::default(), 1.0).unwrap()];
/// // TOOL-7 is high-precision: it spends no false-alarm probability.
/// assert_eq!(
///     summary(&rows),
///     "\n1 passed, 0 failed\nfalse-alarm probability of this run (union bound): 0\n"
/// );
/// rows[0].status = Status::Vacuous;
/// assert!(summary(&rows).starts_with("\n0 passed, 0 failed, 1 vacuous ("));
/// ```
pub fn summary(rows: &[Row]) -> String {
    let count = |s: Status| rows.iter().filter(|r| r.status == s).count();
    let vacuous = match count(Status::Vacuous) {
        0 => String::new(),
        k => format!(
            ", {k} vacuous (a threshold beyond the range of its statistic: nothing could have \
             failed; a larger --scale gives the checks power)"
        ),
    };
    let spent: Vec<f64> = rows.iter().map(|r| r.failure_probability).collect();
    format!(
        "\n{} passed, {} failed{vacuous}\nfalse-alarm probability of this run (union bound): {}\n",
        count(Status::Pass),
        count(Status::Fail),
        sig4(crate::tol::union_bound(&spent))
    )
}

/// Write `bytes` to `path` atomically: a temporary file beside it, flushed and synced, then
/// renamed over the target. On error the temporary file is removed and the target untouched.
/// A target that exists and is not a regular file (a folder, a device, a FIFO) is refused: the
/// rename would replace the node itself (as root, `/dev/null`).
///
/// ```
/// let dir = std::env::temp_dir().join("pai-graphon-doc-atomic");
/// std::fs::create_dir_all(&dir).unwrap();
/// let p = dir.join("x.txt");
/// pai_graphon::report::write_atomic(&p, b"hello").unwrap();
/// assert_eq!(std::fs::read(&p).unwrap(), b"hello");
/// assert!(pai_graphon::report::write_atomic(&dir, b"hello").is_err()); // a folder
/// ```
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(std::io::Error::other(format!(
            "{} exists and is not a regular file",
            path.display()
        )));
    }
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other(format!("{} is not a file path", path.display())))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::verdict::{ControlRow, Kind, Source};

    /// What `{:?}` of the claim types and of `f64::MIN_POSITIVE` prints: none may reach a reader.
    const DEBUG_NAMES: [&str; 9] = [
        "AtMost",
        "AtLeast",
        "HighPrecision",
        "Exact",
        "Statistical",
        "Paper",
        "Reconstructed",
        "2.225e-308",
        "2.2250738585072014e-308",
    ];

    /// A row as `claims::run` builds it, with the margin computed the same way.
    pub(crate) fn row(kind: Kind, observed: f64, threshold: f64, relation: Relation) -> Row {
        let check = crate::verdict::Check::new(observed, threshold, relation);
        Row {
            id: "DOC-1",
            title: "a row for the renderers",
            source: Source::Reconstructed,
            kind,
            observed,
            threshold,
            relation,
            margin: check.margin(),
            failure_probability: 0.0,
            status: Status::Pass,
            control: Some(ControlRow {
                note: "a wrong input".into(),
                observed: -observed,
                threshold,
                rejected: true,
            }),
            seed_label: "DOC-1/rep=0".into(),
            seed: "0x260206675eed0001".into(),
            details: vec![],
        }
    }

    /// Every relation and kind, and the special thresholds: 0 (exact), the smallest positive
    /// f64 (strict positivity), infinity (vacuous), with a margin that is finite, infinite or
    /// meaningless.
    fn rows() -> Vec<Row> {
        vec![
            row(Kind::Exact, 0.0, 0.0, Relation::AtMost),
            row(
                Kind::HighPrecision,
                0.525,
                f64::MIN_POSITIVE,
                Relation::AtLeast,
            ),
            row(Kind::Statistical, 0.1079, 1.0, Relation::AtMost),
            row(Kind::Statistical, 0.0, 0.0163, Relation::AtMost),
            row(Kind::HighPrecision, 3.0, 0.0, Relation::AtLeast),
            row(Kind::Statistical, 0.9, 0.81, Relation::AtLeast),
            row(Kind::Statistical, 0.5, f64::INFINITY, Relation::AtMost),
        ]
    }

    #[test]
    fn thresholds_read_as_theory_writes_them() {
        for (relation, threshold, text) in [
            (Relation::AtMost, 0.0, "≤ 0"),
            (Relation::AtMost, 1.0, "≤ 1"),
            (Relation::AtMost, 0.016_349, "≤ 0.01635"),
            (Relation::AtMost, 1e-10, "≤ 1e-10"),
            (Relation::AtMost, f64::INFINITY, "≤ ∞"),
            (Relation::AtMost, f64::MIN_POSITIVE, "≤ 2.225e-308"),
            (Relation::AtLeast, 0.0, "≥ 0"),
            (Relation::AtLeast, 0.81, "≥ 0.81"),
            (Relation::AtLeast, 20.1, "≥ 20.1"),
            (Relation::AtLeast, f64::MIN_POSITIVE, "> 0"),
        ] {
            assert_eq!(
                threshold_text(relation, threshold),
                text,
                "{relation:?} {threshold:e}"
            );
        }
    }

    #[test]
    fn margins_show_only_what_they_measure() {
        for r in rows() {
            let shown = margin_text(r.threshold, r.margin);
            let meaningful = r.threshold.is_finite() && r.threshold.abs() > f64::MIN_POSITIVE;
            assert_eq!(
                shown == "—",
                !meaningful,
                "threshold {:e}: {shown}",
                r.threshold
            );
        }
        assert_eq!(margin_text(1.0, 9.2654), "9.265");
        assert_eq!(margin_text(0.0163, f64::INFINITY), "∞");
        assert_eq!(
            margin_text(f64::MIN_POSITIVE, 0.525 / f64::MIN_POSITIVE),
            "—"
        );
        assert_eq!(margin_text(0.0, f64::INFINITY), "—");
        assert_eq!(margin_text(f64::INFINITY, 0.0), "—");
    }

    #[test]
    fn kinds_and_sources_read_as_words() {
        for (kind, text) in [
            (Kind::Exact, "exact"),
            (Kind::HighPrecision, "high-precision"),
            (Kind::Statistical, "statistical"),
        ] {
            assert_eq!(kind.label(), text);
            assert!(cells(&row(kind, 0.0, 0.0, Relation::AtMost)).contains(&text.to_string()));
        }
    }

    #[test]
    fn table_and_markdown_show_no_debug_names() {
        let rows = rows();
        for format in [Format::Table, Format::Markdown] {
            let text = render(&rows, format);
            for name in DEBUG_NAMES {
                assert!(!text.contains(name), "{format:?} shows {name}:\n{text}");
            }
            for shown in ["≤ 0 ", "> 0 ", "≥ 0.81 ", "high-precision", "reconstructed"] {
                assert!(text.contains(shown), "{format:?} lacks {shown:?}:\n{text}");
            }
        }
        let strict = &cells(&rows[1]);
        assert_eq!((strict[4].as_str(), strict[5].as_str()), ("> 0", "—"));
    }

    /// The JSON is the regression baseline: it keeps the enum names and the numbers as they are.
    #[test]
    fn json_keeps_the_numbers() {
        let json: serde_json::Value = serde_json::from_str(&render(&rows(), Format::Json)).unwrap();
        assert_eq!(json[1]["kind"], "high-precision");
        assert_eq!(json[1]["relation"], "at-least");
        assert_eq!(json[1]["threshold"], f64::MIN_POSITIVE);
        assert_eq!(json[1]["margin"], 0.525 / f64::MIN_POSITIVE);
        assert_eq!(json[0]["relation"], "at-most");
        assert!(json[0]["margin"].is_null());
    }
}
