//! The claims on [`crate::graphon::step`]: their checks and negative controls.
//!
//! ```
//! let ids: Vec<&str> = pai_graphon::claims::toolbox::step::claims().iter().map(|c| c.id).collect();
//! assert_eq!(ids, ["TOOL-4"]);
//! ```

use crate::claims::{Check, Claim, ClaimContext, Kind, Outcome, Source};
use crate::graphon::step::*;
use crate::graphon::GraphonError;
use num_rational::BigRational;
use rand::{Rng, RngExt};

// ---------------------------------------------------------------------------------------------
// TOOL-4

/// Graphons per TOOL-4 run at scale 1.
const TOOL4_GRAPHONS: usize = 300;
/// Every this-many-th graphon is constant on purpose, so that the equality case is exercised.
const TOOL4_CONSTANT_EVERY: usize = 4;

/// Widths `c_i / Σ c` with small positive integers `c_i`.
fn random_widths<R: Rng>(rng: &mut R, cells: usize) -> Vec<BigRational> {
    let counts: Vec<usize> = (0..cells).map(|_| rng.random_range(1..=4)).collect();
    let total: usize = counts.iter().sum();
    counts.into_iter().map(|c| ratio(c, total)).collect()
}

/// A random rational step graphon: 1–5 cells per side, widths with denominators ≤ 20, values
/// `k/D` with `D ≤ 6`; all values equal when `constant`.
fn random_rational_graphon<R: Rng>(
    rng: &mut R,
    constant: bool,
) -> Result<StepGraphon<BigRational>, GraphonError> {
    let (m, n) = (rng.random_range(1..=5), rng.random_range(1..=5));
    let den = rng.random_range(1..=6);
    let fixed = rng.random_range(0..=den);
    let mut value = || {
        ratio(
            if constant {
                fixed
            } else {
                rng.random_range(0..=den)
            },
            den,
        )
    };
    let values: Vec<Vec<BigRational>> = (0..m).map(|_| (0..n).map(|_| value()).collect()).collect();
    let rows = random_widths(rng, m);
    let cols = random_widths(rng, n);
    StepGraphon::new(rows, cols, values)
}

/// 0–3 extra breakpoints `k/D` (`D ≤ 8`), sometimes repeating an existing one, 0 or 1.
fn random_breaks<R: Rng>(rng: &mut R, existing: &[BigRational]) -> Vec<BigRational> {
    (0..rng.random_range(0..=3))
        .map(|_| {
            if rng.random_range(0..4) == 0 {
                existing[rng.random_range(0..existing.len())].clone()
            } else {
                let den = rng.random_range(2..=8);
                ratio(rng.random_range(1..den), den)
            }
        })
        .collect()
}

/// The wrong refinement of the negative control: row cell `i` split in two, each piece
/// keeping the full width α_i (the rescaling to α_i/2 is forgotten). Not a valid graphon.
fn split_without_rescaling(g: &StepGraphon<BigRational>, i: usize) -> StepGraphon<BigRational> {
    let mut rows: Vec<usize> = (0..g.row_widths.len()).collect();
    rows.insert(i, i);
    StepGraphon {
        row_widths: rows.iter().map(|&k| g.row_widths[k].clone()).collect(),
        col_widths: g.col_widths.clone(),
        values: rows.iter().flat_map(|&k| g.row(k).to_vec()).collect(),
    }
}

fn tool_4(ctx: &ClaimContext) -> Result<Outcome, crate::Error> {
    let graphons = ctx.scaled(TOOL4_GRAPHONS);
    let (mut violations, mut control_violations, mut constant) = (0, 0, 0);
    for rep in 0..graphons {
        let mut rng = ctx.stream(&format!("graphon={rep}"));
        let g = random_rational_graphon(&mut rng, rep % TOOL4_CONSTANT_EVERY == 0)?;
        constant += usize::from(g.is_constant());
        let row_breaks = random_breaks(&mut rng, &g.row_breakpoints());
        let col_breaks = random_breaks(&mut rng, &g.col_breakpoints());
        let fine = g.refine(&row_breaks, &col_breaks)?;
        violations += refinement_violations(&g, &fine) + moment_violations(&g);
        violations += moment_violations(&fine);
        let wrong = split_without_rescaling(&g, rng.random_range(0..g.shape().0));
        control_violations += refinement_violations(&g, &wrong) + moment_violations(&g);
        control_violations += moment_violations(&wrong);
    }
    let outcome = Outcome::new(
        Check::exact(violations),
        0.0,
        ctx.label(&format!("graphon=0..{graphons}")),
    )
    .with_control(
        Check::exact(control_violations),
        "a row cell split in two without halving its width (widths sum to 1 + α_i)",
    )
    .detail("graphons", graphons as f64)
    .detail("constant", constant as f64);
    Ok(outcome)
}

/// Claims of this file: TOOL-4.
///
/// ```
/// let claims = pai_graphon::claims::toolbox::step::claims();
/// assert_eq!(claims[0].id, "TOOL-4");
/// ```
pub fn claims() -> Vec<Claim> {
    vec![Claim {
        id: "TOOL-4",
        title:
            "Step graphons: exact refinement invariance, t(C4) ≥ t(K2)^4 with equality iff constant",
        source: Source::Reconstructed,
        kind: Kind::Exact,
        delta: 0.0,
        run: tool_4,
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::MasterSeed;

    #[test]
    fn claim_passes_and_control_is_rejected() {
        let claim = &claims()[0];
        let ctx = ClaimContext::new(claim, MasterSeed::default(), 1.0);
        let out = (claim.run)(&ctx).unwrap();
        assert_eq!(
            out.check.observed, 0.0,
            "TOOL-4 violations at {}",
            out.seed_label
        );
        assert!(
            out.control_rejected().unwrap(),
            "TOOL-4 control not rejected"
        );
        assert!(out.passed());
        let detail = |name: &str| out.details.iter().find(|(k, _)| k == name).unwrap().1;
        assert!(detail("constant") >= (TOOL4_GRAPHONS / TOOL4_CONSTANT_EVERY) as f64);
    }
}
