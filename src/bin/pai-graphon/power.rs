//! `pai-graphon power`: the smallest perturbation `check` rejects, beside the Neyman–Pearson test
//! (external::power; theory/external.md, "Power").

use crate::{limited, CommandFailure as Failure};
use crate::{FormatOpt, SeedOpt};
use pai_graphon::external::power::{report, Family, Row, DELTA, TARGET};
use pai_graphon::params;
use pai_graphon::report::{sig, Format};
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

/// `power`'s options (the command's doc is in main.rs).
#[derive(clap::Args)]
pub struct Args {
    /// Shapes N:S (N × N masks, S per stack), repeatable (default 512:8 and 2048:1).
    #[arg(long = "shape", value_parser = parse_shape)]
    pub shapes: Vec<Shape>,
    /// Only these families (density, exponent, noise, copied-rows), repeatable (default all).
    #[arg(long = "family", value_parser = parse_family)]
    pub families: Vec<pai_graphon::external::power::Family>,
    /// Alternative stacks per ε.
    #[arg(long, default_value_t = 50, value_parser = limited(params::REPLICATES))]
    pub reps: usize,
    #[command(flatten)]
    pub seed: SeedOpt,
    #[command(flatten)]
    pub format: FormatOpt,
}

/// Runs the report for every shape (default 512:8 and 2048:1) and family (default all) and
/// prints it.
pub fn run(args: &Args) -> Result<(), Failure> {
    let shapes = match args.shapes.is_empty() {
        true => vec![(512, 512, 8), (2048, 2048, 1)],
        false => args.shapes.clone(),
    };
    let families = match args.families.is_empty() {
        true => Family::ALL.to_vec(),
        false => args.families.clone(),
    };
    let (reps, seed) = (args.reps, args.seed.master()?);
    let format = args.format.get();
    let mut rows = Vec::new();
    for &(n, d, s) in &shapes {
        let mut progress = |line: &str| crate::note(&format!("{line}\n"));
        for r in report(&families, n, d, s, reps, seed, &mut progress)? {
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

/// The master seed of `--seed default|random|HEX`; a drawn seed is printed so the run can be
/// repeated.
/// A power-report family by name.
fn parse_family(text: &str) -> Result<pai_graphon::external::power::Family, String> {
    pai_graphon::external::power::Family::ALL
        .into_iter()
        .find(|f| f.name().replace(' ', "-") == text)
        .ok_or_else(|| format!("unknown family {text:?}: density, exponent, noise or copied-rows"))
}

/// `N:S` (N × N masks, S per stack), both positive.
fn parse_shape(text: &str) -> Result<Shape, String> {
    let bad = || format!("shape {text:?}: expected N:S with positive integers, e.g. 512:8");
    let (n, s) = text.split_once(':').ok_or_else(bad)?;
    let (n, s): (usize, usize) = (n.parse().map_err(|_| bad())?, s.parse().map_err(|_| bad())?);
    match n >= 2 && s >= 1 {
        true => Ok((n, n, s)),
        false => Err(bad()),
    }
}
