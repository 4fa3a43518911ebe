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

use crate::verdict::{Row, Status};
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
    let rel = match row.relation {
        crate::verdict::Relation::AtMost => "≤",
        crate::verdict::Relation::AtLeast => "≥",
    };
    let control = match &row.control {
        None => "none".to_string(),
        Some(c) if c.rejected => format!("rejected ({})", sig4(c.observed)),
        Some(c) => format!("NOT rejected ({})", sig4(c.observed)),
    };
    [
        row.id.to_string(),
        row.source.label().to_string(),
        row.kind.label().to_string(),
        sig4(row.observed),
        format!("{rel} {}", sig4(row.threshold)),
        sig4(row.margin),
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
