//! `pai-graphon power`: the smallest perturbation `check` rejects, beside the Neyman–Pearson test
//! (external::power; theory/external.md, "Power").

use crate::CommandFailure as Failure;
use pai_graphon::external::power::{report, Family, Row, DELTA, TARGET};
use pai_graphon::report::{sig, Format};
use pai_graphon::seed::MasterSeed;
use serde::Serialize;

/// One shape of the report: rows, columns, masks per stack.
pub type Shape = (usize, usize, usize);

/// A row as printed (JSON).
#[derive(Serialize)]
struct Printed {
    family: &'static str,
    n: usize,
    d: usize,
    masks: usize,
    eps_check: Option<f64>,
    check_rejected: Option<usize>,
    eps_np: Option<f64>,
    ratio: Option<f64>,
    eps_check_topk: Option<f64>,
    topk_rejected: Option<usize>,
    reps: usize,
}

fn printed(r: &Row, reps: usize) -> Printed {
    Printed {
        family: r.family.name(),
        n: r.shape.0,
        d: r.shape.1,
        masks: r.shape.2,
        eps_check: r.eps_check.map(|e| e.0),
        check_rejected: r.eps_check.map(|e| e.1),
        eps_np: r.eps_np,
        ratio: r.ratio(),
        eps_check_topk: r.eps_check_topk.map(|e| e.0),
        topk_rejected: r.eps_check_topk.map(|e| e.1),
        reps,
    }
}

fn cell(x: Option<f64>) -> String {
    x.map_or("—".into(), |x| sig(x, 3))
}

fn table(rows: &[Printed], reps: usize) -> String {
    let mut out = format!(
        "Smallest ε rejected with probability ≥ {TARGET} at δ = {DELTA} (Figure-1 model, ρ = 0.2)\n\
         check: R = {reps} alternative stacks per ε (binomial sd ≤ {} at power 0.9), grid ε_NP·2^(k/2)\n\
         (resolution √2), one null reference set per shape reused for every stack; NP: normal law of\n\
         the exact LLR moments, bisection to 0.1 %.\n\n",
        sig((TARGET * (1.0 - TARGET) / reps as f64).sqrt(), 2)
    );
    out += &format!(
        "{:<12} {:>14} {:>10} {:>10} {:>7} {:>12}\n",
        "family", "n × d × S", "ε_check", "ε_NP", "ratio", "ε_check top-k"
    );
    for r in rows {
        out += &format!(
            "{:<12} {:>14} {:>10} {:>10} {:>7} {:>12}\n",
            r.family,
            format!("{}×{}×{}", r.n, r.d, r.masks),
            cell(r.eps_check),
            cell(r.eps_np),
            cell(r.ratio),
            cell(r.eps_check_topk)
        );
    }
    out
}

/// Runs the report for every shape and prints it.
pub fn run(
    shapes: &[Shape],
    families: &[Family],
    reps: usize,
    seed: MasterSeed,
    format: Format,
) -> Result<(), Failure> {
    let mut rows = Vec::new();
    for &(n, d, s) in shapes {
        let mut progress = |line: &str| crate::note(&format!("{line}\n"));
        for r in report(families, n, d, s, reps, seed, &mut progress)? {
            rows.push(printed(&r, reps));
        }
    }
    match format {
        Format::Json => crate::output::emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?
        )),
        _ => crate::output::emit(&table(&rows, reps)),
    }
}
