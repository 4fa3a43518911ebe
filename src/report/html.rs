//! The HTML pieces of `report.html` (`audit --out DIR`): escaping, base64 for the PNG data URIs,
//! and the claim table, rendered with the same words as the CLI table and `theory/`
//! ([`super::threshold_text`], [`super::margin_text`], [`crate::verdict::ControlRow::verdict`]).
//!
//! ```
//! use pai_graphon::report::html::escape;
//! assert_eq!(escape("ρ < 1 & δ > 0"), "ρ &lt; 1 &amp; δ &gt; 0");
//! ```

use super::{margin_text, sig, sig4, threshold_text};
use crate::verdict::Row;

/// `&`, `<`, `>` and `"` escaped for HTML text and attributes.
///
/// ```
/// assert_eq!(pai_graphon::report::html::escape("\"a\" <b>"), "&quot;a&quot; &lt;b&gt;");
/// ```
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Standard base64 (RFC 4648, with padding), for the PNG data URIs: the heat maps' SVGs hold
/// one element per cell and would make the page tens of megabytes.
///
/// ```
/// assert_eq!(pai_graphon::report::html::base64(b"foobar"), "Zm9vYmFy");
/// assert_eq!(pai_graphon::report::html::base64(&[0xfb, 0xff]), "+/8=");
/// ```
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The claim table: one row per claim, coloured by status (the page's CSS), with relations,
/// strict positivity and margins written as the CLI table writes them.
///
/// ```
/// use pai_graphon::report::html::claim_table;
/// use pai_graphon::verdict::{Kind, Relation, Row, Source, Status};
/// let row = Row {
///     id: "DOC-1", title: "x < 1", source: Source::Paper, kind: Kind::Exact, observed: 0.5,
///     threshold: 1.0, relation: Relation::AtMost, margin: 2.0, failure_probability: 0.0,
///     status: Status::Pass, control: None, seed_label: "DOC".into(), seed: "0x1".into(),
///     details: vec![],
/// };
/// let html = claim_table(&[row]);
/// assert!(html.contains("<tr class=\"pass\"><td>DOC-1</td>") && html.contains("x &lt; 1"));
/// ```
pub fn claim_table(rows: &[Row]) -> String {
    let mut t = String::from(
        "<table><tr><th>id</th><th>status</th><th>source</th><th>kind</th><th>observed</th><th>threshold</th><th>margin</th><th>δ</th><th>negative control</th><th>statement</th></tr>\n",
    );
    for r in rows {
        let control = r.control.as_ref().map_or("—".to_string(), |c| {
            format!(
                "{} (observed {} vs {}): {}",
                c.verdict(),
                sig4(c.observed),
                escape(&threshold_text(r.relation, c.threshold)),
                escape(&c.note)
            )
        });
        t += &format!(
            "<tr class=\"{status}\"><td>{id}</td><td class=\"status\">{status}</td><td>{source}</td><td>{kind}</td><td class=\"num\">{obs}</td><td class=\"num\">{thr}</td><td class=\"num\">{margin}</td><td class=\"num\">{delta}</td><td>{control}</td><td>{title}</td></tr>\n",
            status = r.status,
            id = r.id,
            source = r.source.label(),
            kind = r.kind.label(),
            obs = sig4(r.observed),
            thr = escape(&threshold_text(r.relation, r.threshold)),
            margin = margin_text(r.threshold, r.margin),
            delta = sig(r.failure_probability, 2),
            title = escape(r.title),
        );
    }
    t + "</table>\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (raw, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(raw.as_bytes()), coded);
        }
        assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
    }

    /// The claim table reads as the CLI table and theory/ do: relations, `> 0` for strict
    /// positivity, `—` for a margin that measures nothing, kinds and sources as their labels.
    #[test]
    fn claim_table_shows_no_debug_names() {
        use crate::verdict::{ControlRow, Kind, Relation, Source};
        // The renderers' test row, from the paper, with a control that observed 0.
        let row = |kind, observed, threshold, relation| {
            let base = crate::report::tests::row(kind, observed, threshold, relation);
            let control = base
                .control
                .clone()
                .map(|c| ControlRow { observed: 0.0, ..c });
            Row {
                source: Source::Paper,
                control,
                ..base
            }
        };
        let table = claim_table(&[
            row(Kind::Exact, 0.0, 0.0, Relation::AtMost),
            row(
                Kind::HighPrecision,
                0.525,
                f64::MIN_POSITIVE,
                Relation::AtLeast,
            ),
            row(Kind::Statistical, 0.1079, 1.0, Relation::AtMost),
        ]);
        for name in [
            "AtMost",
            "AtLeast",
            "HighPrecision",
            "Exact",
            "Statistical",
            "Paper",
            "2.225e-308",
            "e306",
        ] {
            assert!(!table.contains(name), "report.html shows {name}:\n{table}");
        }
        for shown in [
            "<td>paper</td><td>exact</td><td class=\"num\">0</td><td class=\"num\">≤ 0</td><td class=\"num\">—</td>",
            "<td>high-precision</td><td class=\"num\">0.525</td><td class=\"num\">&gt; 0</td><td class=\"num\">—</td>",
            "<td class=\"num\">≤ 1</td><td class=\"num\">9.268</td>",
            "rejected (observed 0 vs &gt; 0)",
        ] {
            assert!(table.contains(shown), "report.html lacks {shown}:\n{table}");
        }
    }

    #[test]
    fn escape_covers_markup() {
        assert_eq!(escape("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
    }
}
