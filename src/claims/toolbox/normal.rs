//! The claims on [`crate::normal`]: their checks and negative controls.
//!
//! ```
//! let ids: Vec<&str> = pai_graphon::claims::toolbox::normal::claims().iter().map(|c| c.id).collect();
//! assert_eq!(ids, ["TOOL-7"]);
//! ```

use crate::claims::{Check, Claim, ClaimContext, Kind, Outcome, Relation, Source};
use crate::normal::*;

/// Claims of this file: TOOL-7.
///
/// ```
/// let c = pai_graphon::claims::toolbox::normal::claims();
/// assert_eq!((c.len(), c[0].id, c[0].delta), (1, "TOOL-7", 0.0));
/// ```
pub fn claims() -> Vec<Claim> {
    vec![Claim {
        id: "TOOL-7",
        title: "The f64 normal tail and quantiles agree with the MPFR reference table",
        source: Source::Reconstructed,
        kind: Kind::HighPrecision,
        delta: 0.0,
        run: tool_7,
    }]
}

fn tool_7(ctx: &ClaimContext) -> Result<Outcome, crate::Error> {
    let accurate = check_reference_table(REFERENCE_TABLE, Implementation::Accurate)?;
    let crude = check_reference_table(REFERENCE_TABLE, Implementation::AbramowitzStegun)?;
    let mut out = Outcome::new(
        Check::new(accurate.worst.ratio, 1.0, Relation::AtMost),
        0.0,
        ctx.label(""),
    )
    .with_control(
        Check::new(crude.worst.ratio, 1.0, Relation::AtMost),
        "Abramowitz-Stegun 7.1.26 erfc (abs. error 1.5e-7) against the same table and bounds",
    )
    .detail("rows", accurate.rows as f64)
    .detail("worst_line", accurate.worst.row.line as f64);
    for (f, u) in &accurate.worst_ulps {
        out = out.detail(format!("{}_worst_ulps", f.name()), *u);
    }
    Ok(out.detail("control_worst_ratio", crude.worst.ratio))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_7_passes() {
        let row =
            crate::claims::run(&claims()[0], crate::seed::MasterSeed::default(), 1.0).unwrap();
        println!("{row:?}");
        assert_eq!(row.status, "pass");
    }
}
