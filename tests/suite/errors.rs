//! Library error enums carry typed fields, not `Variant(String)` payloads (#19): a message
//! string cannot be matched on, tested field by field, or converted with `From`.
//!
//! The checker reads `src/**/*.rs` as text (the binary, `src/bin/`, is out of scope): inside
//! every `enum … { … }` declaration it reports a variant whose tuple payload names `String`.
//!
//! What stays a `String`, on purpose, is data rather than a message: text the user typed and
//! the error echoes (`claims::UnknownClaim(String)` holds the claim id asked for,
//! `seed::SeedError(String)` the seed text; both are tuple structs, not enums), and named fields
//! holding such text or the caller's labels (`ConvergenceError::Spec { spec, .. }`, a plot
//! series' name, a data set's name, an `.npy` dtype descriptor read from the file).

use crate::sources;

/// A `String` payload in a library enum.
#[derive(Debug, PartialEq)]
struct Violation {
    file: String,
    line: usize,
    enum_name: String,
    variant: String,
}

/// The code of a line, without a `//` comment (doc comments included).
fn code(line: &str) -> &str {
    line.find("//").map_or(line, |i| &line[..i])
}

/// The name after `enum ` on a line that declares one, if any.
fn enum_decl(line: &str) -> Option<String> {
    let rest = code(line).split("enum ").nth(1)?;
    let name: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Every variant with a `String` in its tuple payload, inside enum declarations of one file.
fn string_payloads(path: &str, text: &str) -> Vec<Violation> {
    let mut out = Vec::new();
    // (enum name, brace depth inside it) while within a declaration.
    let mut current: Option<(String, i32)> = None;
    for (i, line) in text.lines().enumerate() {
        let c = code(line);
        match current.as_mut() {
            None => {
                if let Some(name) = enum_decl(line) {
                    let depth = c.matches('{').count() as i32 - c.matches('}').count() as i32;
                    if depth > 0 {
                        current = Some((name, depth));
                    }
                }
            }
            Some((name, depth)) => {
                let t = c.trim();
                if *depth == 1
                    && let Some(open) = t.find('(')
                {
                    let variant = &t[..open];
                    let payload = &t[open..];
                    let names_string = payload
                        .split(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                        .any(|w| w == "String");
                    if names_string && variant.chars().all(|ch| ch.is_alphanumeric() || ch == '_') {
                        out.push(Violation {
                            file: path.to_string(),
                            line: i + 1,
                            enum_name: name.clone(),
                            variant: variant.to_string(),
                        });
                    }
                }
                *depth += c.matches('{').count() as i32 - c.matches('}').count() as i32;
                if *depth <= 0 {
                    current = None;
                }
            }
        }
    }
    out
}

/// The library's sources, without `src/bin/`.
fn library_sources() -> Vec<(String, String)> {
    sources::all()
        .into_iter()
        .filter(|(rel, _)| !rel.starts_with("src/bin/"))
        .collect()
}

fn all_violations() -> Vec<Violation> {
    library_sources()
        .iter()
        .flat_map(|(p, t)| string_payloads(p, t))
        .collect()
}

#[test]
fn no_library_error_enum_has_a_string_payload() {
    let bad = all_violations();
    assert!(
        bad.is_empty(),
        "library enum variants with a String payload:\n{bad:#?}"
    );
}

/// Negative control: the checker reports String payloads in an in-memory fake source, and
/// only inside enum declarations.
#[test]
fn the_checker_reports_a_string_payload() {
    let fake = "\
/// An error.
#[derive(Debug)]
pub enum FakeError {
    /// Typed: fine.
    Size { n: usize },
    /// Stringly.
    Spec(String),
    Pair(usize, String),
    Nested(std::io::ErrorKind),
}
pub struct Wrapper(String);
fn f() -> String { String::new() }
";
    let v = string_payloads("src/fake.rs", fake);
    let names: Vec<_> = v.iter().map(|v| (v.line, v.variant.as_str())).collect();
    assert_eq!(names, [(7, "Spec"), (8, "Pair")]);
    assert!(v.iter().all(|v| v.enum_name == "FakeError"));
    // The same enum with typed fields only is clean.
    let clean = "pub enum E {\n    Spec { at: usize },\n    Io(std::io::ErrorKind),\n}\n";
    assert!(string_payloads("src/fake.rs", clean).is_empty());
}
