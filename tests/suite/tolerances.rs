//! "Doc-example bounds come from `tol`" (issue #19, point 7): a doc example that compares a
//! result with a bare `1e-N` literal (`assert!((x - 0.1).abs() < 1e-15)`) states an allowance
//! nobody derived. Allowances come from `pai_graphon::tol` (`gamma(n)` for n roundings,
//! `sum_allowance`, `ROUNDING_SLACK`); a literal that remains is an input or a fact of the
//! example (a solver's stated or reached accuracy, a certified bound's size).
//!
//! The scan counts, per file, the bare `1e-N` literals that open the right side of a comparison
//! (`<`, `<=`, `>`, `>=`) on a doc-comment line (`///`, `//!`) with an assertion, and compares
//! the counts with [`ALLOWED`], whose every entry says why. A new bare allowance fails here; a
//! removed one fails too, so the list shrinks with the code.

use crate::sources;

/// Files allowed bare literals in doc-example comparisons: (path, count, why).
const ALLOWED: &[(&str, usize, &str)] = &[
    (
        "src/claims/ntk/deep.rs",
        1,
        "fact: the measured gap exceeds 1e-4 (and the certified bounds by 10^6)",
    ),
    (
        "src/claims/taxonomy.rs",
        2,
        "facts: a ratio differs from 1 by more than 1e-3",
    ),
    (
        "src/claims/toolbox/cutnorm.rs",
        1,
        "fact: Krivine's constant π / (2 ln(1 + √2)) against its 5-digit value",
    ),
    (
        "src/convergence/limit.rs",
        6,
        "facts: the quadrature error bounds and enclosure widths the examples show, and the \
         residuals W(τ̂) − ρ and ∫∫W − ρ that the Newton solves reach",
    ),
    (
        "src/mp/limit.rs",
        5,
        "facts: accuracies the MPFR solves reach at their working precision (τ*'s agreement \
         estimate, its erfc residual, Gauss–Legendre nodes and weights at 256 bits)",
    ),
    (
        "src/mp/ntk.rs",
        1,
        "fact: the MPFR kernel's certified bound at 128 bits is below 1e-17 (the module doc's claim)",
    ),
    (
        "src/normal.rs",
        2,
        "facts: the crude approximation's published accuracy 0.75e-7, and normal_sf's relative accuracy at 1e-20",
    ),
    (
        "src/ntk/deep.rs",
        3,
        "facts: the certified error bounds of the examples are below 1e-14",
    ),
    (
        "src/ntk/figure2.rs",
        1,
        "fact: the τ* solve reaches density 1e-9",
    ),
    (
        "src/ntk/kernel.rs",
        1,
        "fact: UNIT_TOLERANCE < 1e-9",
    ),
    (
        "src/ntk/path.rs",
        2,
        "facts: the error bound and the bracket width the examples reach",
    ),
    (
        "src/ntk/reality.rs",
        6,
        "1 fact (the τ* solve reaches density 1e-9) and 5 allowances: 2 eigensolver estimates \
         (faer states no error bound for self_adjoint_evd) and 3 twin-network outputs that cancel \
         to the rounding of sums whose absolute sums the API does not expose",
    ),
    (
        "src/ntk/width.rs",
        1,
        "a singular Gram's smallest eigenvalue (faer's eigensolver states no error bound)",
    ),
    (
        "src/stats/kolmogorov.rs",
        2,
        "facts: the asymptotic formula's error at n = ∞ is below 1e-4; cdf's accuracy against cdf_exact is measured (5.1e-16, theory/toolbox.md), not certified",
    ),
    (
        "src/taxonomy/fsm.rs",
        1,
        "fact: a constant's four printed digits",
    ),
];

/// The bare `1e-N` literals (also `0.75e-7`) that open the right side of a comparison in `line`.
fn bare_literals(line: &str) -> usize {
    let b = line.as_bytes();
    let mut count = 0;
    for i in 0..b.len() {
        if !matches!(b[i], b'<' | b'>') {
            continue;
        }
        // `->`, `=>`, `<<`, `>>` and generics' `<T>` are no comparisons.
        let before = if i > 0 { b[i - 1] } else { b' ' };
        if matches!(before, b'-' | b'=' | b'<' | b'>') {
            continue;
        }
        let mut j = i + 1;
        if b.get(j) == Some(&b'=') {
            j += 1;
        }
        if matches!(b.get(j), Some(b'<' | b'>')) {
            continue;
        }
        while b.get(j) == Some(&b' ') {
            j += 1;
        }
        let start = j;
        while b.get(j).is_some_and(|c| c.is_ascii_digit() || *c == b'.') {
            j += 1;
        }
        let exponent = line[j..].starts_with("e-") && b.get(j + 2).is_some_and(u8::is_ascii_digit);
        if j > start && exponent {
            count += 1;
        }
    }
    count
}

/// Bare literals in the doc-example assertions of a file's text.
fn doc_example_literals(text: &str) -> usize {
    text.lines()
        .map(str::trim_start)
        .filter(|l| (l.starts_with("///") || l.starts_with("//!")) && l.contains("assert"))
        .map(bare_literals)
        .sum()
}

fn literal_counts(files: &[(String, String)]) -> Vec<(String, usize)> {
    files
        .iter()
        .map(|(path, text)| (path.clone(), doc_example_literals(text)))
        .filter(|&(_, n)| n > 0)
        .collect()
}

#[test]
fn doc_example_bounds_come_from_tol() {
    let allowed: Vec<(String, usize)> = ALLOWED
        .iter()
        .map(|&(p, n, _)| (p.to_string(), n))
        .collect();
    assert_eq!(literal_counts(&sources::all()), allowed);
}

/// Negative control: the scan counts a new bare allowance, and not the forms it must let
/// through (allowances from `tol`, literals as inputs, code outside doc comments, arrows).
#[test]
fn the_scan_finds_a_bare_tolerance() {
    let bad = "/// ```\n/// assert!((x - 0.1).abs() < 1e-15);\n/// assert!(e <= 2.5e-12 * x && y >= 1e-3);\n//! assert!(t>1e-4);\n/// ```\n";
    assert_eq!(
        literal_counts(&[("src/new.rs".into(), bad.into())]),
        [("src/new.rs".to_string(), 4)]
    );
    let quiet = "/// assert!((x - 0.1).abs() <= gamma(7).unwrap() * 0.1);\n\
                 /// assert!(hoeffding(10, 1.0, 1e-4, Tail::One).unwrap() > 0.0);\n\
                 /// let f = |x| -> f64 { x }; // x < 1e-3 beside no check\n\
                 /// assert_eq!(v, Vec::<f64>::new()); assert!(a >b);\n\
                 assert!((x - 0.1).abs() < 1e-15); // a unit test, not a doc example\n";
    assert!(literal_counts(&[("src/new.rs".into(), quiet.into())]).is_empty());
}
