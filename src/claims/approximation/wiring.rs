//! The claims on [`crate::approximation::wiring`]: their checks and negative controls.
//!
//! ```
//! let ids: Vec<&str> = pai_graphon::claims::approximation::wiring::claims().iter().map(|c| c.id).collect();
//! assert_eq!(ids, ["UAT-1"]);
//! ```

use crate::approximation::wiring::*;
use crate::claims::{
    Check, Claim, ClaimContext, Kind, Outcome, Relation, Source, STATISTICAL_DELTA,
};
use crate::convergence::limit::{Fsm, LimitGraphon, FIGURE1_DENSITY};
use crate::params::Density;
use crate::Error;

// ---------------------------------------------------------------------------------------------
// UAT-1

/// UAT-1's active coordinates: the top k = 3 input positions of d = 32 (ψ increasing: the most
/// connected), the rectangle `A = [½, 1]`, widths n.
const UAT1_D: usize = 32;
const UAT1_K: usize = 3;
const UAT1_WIDTHS: [usize; 5] = [64, 256, 1024, 4096, 16384];
/// The control's graphon: the same FSM at this lower density (fewer edges everywhere).
const UAT1_CONTROL_DENSITY: Density = Density::constant(0.05);

/// The claim of this module: UAT-1.
///
/// ```
/// let c = pai_graphon::claims::approximation::wiring::claims();
/// assert_eq!((c.len(), c[0].id), (1, "UAT-1"));
/// ```
pub fn claims() -> Vec<Claim> {
    vec![Claim {
        id: "UAT-1",
        title: "Wiring: the number of neurons wired to all k active coordinates is at least the Chernoff bound from α n p^k at every width",
        source: Source::Reconstructed,
        kind: Kind::Statistical,
        delta: STATISTICAL_DELTA,
        run: uat_1,
    }]
}

/// The Figure-1 FSM at density ρ; J the top k columns of d; the edge floor
/// `p = min_(j ∈ J) W(½, v_j)` on `A = [½, 1] × J` (W is non-decreasing in u and v).
fn uat_1_floor(limit: &LimitGraphon, cols: &[usize]) -> f64 {
    cols.iter()
        .map(|&j| limit.w(0.5, position(j, UAT1_D)))
        .fold(1.0, f64::min)
}

fn uat_1(ctx: &ClaimContext) -> Result<Outcome, Error> {
    let fsm = Fsm::figure1();
    let limit = fsm.limit_graphon(FIGURE1_DENSITY)?;
    let control = WiringGraphon::Fsm(Box::new(fsm.limit_graphon(UAT1_CONTROL_DENSITY)?));
    let cols: Vec<usize> = (UAT1_D - UAT1_K..UAT1_D).collect();
    let p = uat_1_floor(&limit, &cols);
    let graphon = WiringGraphon::Fsm(Box::new(limit));
    let widths: Vec<usize> = UAT1_WIDTHS.iter().map(|&n| ctx.scaled(n)).collect();
    let delta = ctx.delta / widths.len() as f64;
    let mut worst = f64::INFINITY;
    let mut details = vec![("edge_floor_p".to_string(), p)];
    let mut control_ratio = f64::NAN;
    for &n in &widths {
        // Rows with u_i = (i + ½)/n ≥ ½.
        let rows_in_a = n - n / 2;
        let (mean, bound) = wired_lower_bound(rows_in_a, p, UAT1_K, delta)?;
        let label = ctx.label(&format!("n={n}/mask"));
        let count = wired_count(
            &sample_columns(&graphon, n, UAT1_D, &cols, ctx.seed, &label)?,
            UAT1_K,
        ) as f64;
        // count / bound ≥ 1; a zero bound (tiny --scale) says nothing and is skipped.
        if bound > 0.0 {
            worst = worst.min(count / bound);
        }
        details.push((format!("n={n}/wired"), count));
        details.push((format!("n={n}/mean_lower"), mean));
        details.push((format!("n={n}/chernoff_bound"), bound));
        if Some(&n) == widths.last() && bound > 0.0 {
            let label = ctx.label(&format!("n={n}/control"));
            let c = wired_count(
                &sample_columns(&control, n, UAT1_D, &cols, ctx.seed, &label)?,
                UAT1_K,
            ) as f64;
            details.push((format!("n={n}/control_wired"), c));
            control_ratio = c / bound;
        }
    }
    let n_max = widths.last().copied().unwrap_or(0);
    let mut out = Outcome::new(Check::new(worst, 1.0, Relation::AtLeast), ctx.delta, ctx.label(""))
        .with_control(
            Check::new(control_ratio, 1.0, Relation::AtLeast),
            format!("masks from the same FSM at density {UAT1_CONTROL_DENSITY} against the density-0.2 bound at n = {n_max}: count / bound"),
        );
    out.details = details;
    Ok(out)
}
