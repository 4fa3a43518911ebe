//! Claims UAT-2 … UAT-5 (`theory/approximation.md`): approximation on the active subspace, its
//! independence of the ambient dimension, the error floor of targets that depend on an
//! inactive coordinate, and the failure without an edge floor. Every held-out error is a mean
//! of N independent clipped squared errors in `[0, R]`, `R = (range of g)²`, given the fitted
//! network (trained on other points): [`tol::nonnegative_mean_upper`] and
//! [`tol::nonnegative_mean_lower`] bound its expectation.
//!
//! ```
//! use pai_graphon::claims::approximation::{ACTIVE_BANDS, D, INACTIVE_BAND};
//! use pai_graphon::approximation::fit::{Reach, Target};
//! use pai_graphon::approximation::wiring::band_coordinate;
//! // UAT-4's target: cos(π x_a) + x_b² with x_b in the inactive band keeps x_b²'s variance.
//! let (a, b) = (band_coordinate(0, D).unwrap(), band_coordinate(INACTIVE_BAND, D).unwrap());
//! let active: Vec<usize> = (0..ACTIVE_BANDS).map(|r| band_coordinate(r, D).unwrap()).collect();
//! assert_eq!(Target::CosPlusSquare(a, b).floor(&Reach::Joint(active)), 4.0 / 45.0);
//! ```

use crate::approximation::fit::{held_out, Fit, Reach, Target};
use crate::approximation::wiring::{band_coordinate, WiringGraphon};
use crate::claims::{
    Check, Claim, ClaimContext, Kind, Outcome, Relation, Source, STATISTICAL_DELTA,
};
use crate::stats::ks::{two_sample_counts, two_sample_sf};
use crate::tol;
use crate::Error;
use rayon::prelude::*;

pub mod wiring;

/// Ambient dimension of UAT-2, UAT-4, UAT-5 (and the smaller one of UAT-3).
///
/// ```
/// use pai_graphon::{approximation::wiring::band_coordinate, claims::approximation::D};
/// assert_eq!(band_coordinate(1, D).unwrap(), 4); // four coordinates per band
/// ```
pub const D: usize = 32;
/// The larger ambient dimension of UAT-3.
///
/// ```
/// use pai_graphon::claims::approximation::{ACTIVE_BANDS, D, D_LARGE, P};
/// use pai_graphon::approximation::wiring::{band_coordinate, position, WiringGraphon, BANDS};
/// // Band coordinates see the same W at both dimensions: the networks' law is the same.
/// let g = WiringGraphon::Block { p: P, bands: ACTIVE_BANDS };
/// for r in 0..BANDS {
///     let (a, b) = (band_coordinate(r, D).unwrap(), band_coordinate(r, D_LARGE).unwrap());
///     assert_eq!(g.w(0.5, position(a, D)), g.w(0.5, position(b, D_LARGE)));
/// }
/// ```
pub const D_LARGE: usize = 256;
/// Training and held-out points.
///
/// ```
/// use pai_graphon::claims::approximation::{SAMPLES, WIDTHS};
/// // Far more points than the widest fit's coefficients (its neurons and an intercept).
/// assert!(SAMPLES >= 16 * (WIDTHS[WIDTHS.len() - 1] + 1));
/// ```
pub const SAMPLES: usize = 20_000;
/// The widths (nested).
///
/// ```
/// use pai_graphon::claims::approximation::WIDTHS;
/// assert!(WIDTHS.windows(2).all(|w| w[1] == 2 * w[0]));
/// assert_eq!((WIDTHS[0], WIDTHS[6]), (16, 1024));
/// ```
pub const WIDTHS: [usize; 7] = [16, 32, 64, 128, 256, 512, 1024];
/// UAT-3's widths and replications per dimension.
const UAT3_WIDTHS: [usize; 3] = [16, 64, 256];
const UAT3_REPLICATES: usize = 10;
/// UAT-3's control width.
const UAT3_CONTROL_WIDTH: usize = 64;
/// The edge probability on the active block.
///
/// ```
/// use pai_graphon::{approximation::wiring::wired_lower_bound, claims::approximation::P};
/// // About a quarter of the neurons are wired to both coordinates of a pair.
/// assert_eq!(wired_lower_bound(1024, P, 2, 1e-4).unwrap().0, 256.0);
/// ```
pub const P: f64 = 0.5;
pub use crate::approximation::wiring::{ACTIVE_BANDS, INACTIVE_BAND};
/// UAT-2: the factor by which the error must fall from the smallest to the largest width:
/// `sqrt(1024/16) = 8`, the rate n^(−1/2) (random-feature approximation of smooth targets
/// achieves n^(−1); half the exponent is claimed).
///
/// ```
/// use pai_graphon::claims::approximation::{FACTOR, WIDTHS};
/// assert_eq!(FACTOR, ((WIDTHS[WIDTHS.len() - 1] / WIDTHS[0]) as f64).sqrt());
/// ```
pub const FACTOR: f64 = 8.0;

/// The UAT claims, in id order.
///
/// ```
/// let ids: Vec<&str> = pai_graphon::claims::approximation::claims().iter().map(|c| c.id).collect();
/// assert_eq!(ids, ["UAT-1", "UAT-2", "UAT-3", "UAT-4", "UAT-5"]);
/// ```
pub fn claims() -> Vec<Claim> {
    let mut all = wiring::claims();
    all.extend(fit_claims());
    all
}

/// UAT-2 to UAT-5.
fn fit_claims() -> Vec<Claim> {
    let claim = |id, title, run| Claim {
        id,
        title,
        source: Source::Reconstructed,
        kind: Kind::Statistical,
        delta: STATISTICAL_DELTA,
        run,
    };
    vec![
        claim("UAT-2", "Approximation on the active subspace: the held-out error of a smooth g(x_J) falls by at least 8 from width 16 to 1024", uat_2 as fn(&ClaimContext) -> Result<Outcome, Error>),
        claim("UAT-3", "Dimension independence: the error curves at d = 32 and d = 256 agree (exact two-sample KS over replicates); a larger k needs more width", uat_3),
        claim("UAT-4", "Converse: a target that depends on an inactive coordinate never beats its exact error floor E[Var(g | x_active)]", uat_4),
        claim("UAT-5", "Edge floor: without a rectangle on which W is bounded below on both active coordinates, x_a x_b is never approximated below 1/9", uat_5),
    ]
}

/// Coordinates of bands r at dimension d.
fn bands(rs: &[usize], d: usize) -> Result<Vec<usize>, Error> {
    Ok(rs
        .iter()
        .map(|&r| band_coordinate(r, d))
        .collect::<Result<_, _>>()?)
}

fn block(active: usize) -> WiringGraphon {
    WiringGraphon::Block {
        p: P,
        bands: active,
    }
}

/// Squared range `R` of the clipped errors of a target.
fn squared_range(t: &Target) -> f64 {
    let (lo, hi) = t.range();
    (hi - lo).powi(2)
}

fn widths(ctx: &ClaimContext, base: &[usize]) -> Vec<usize> {
    let mut w: Vec<usize> = base.iter().map(|&n| ctx.scaled(n)).collect();
    w.dedup();
    w
}

fn record(details: &mut Vec<(String, f64)>, name: &str, fit: &Fit, t: &Target) {
    for (w, e) in fit.widths.iter().zip(&fit.errors[0]) {
        details.push((
            format!("{name}/n={w}/error_over_variance"),
            e / t.variance(),
        ));
    }
}

/// UAT-2: `LCB(e_16) / (8 · UCB(e_1024))`, must be ≥ 1 (δ/2 to each bound).
fn fall_ratio(fit: &Fit, t: &Target, delta: f64) -> Result<f64, Error> {
    let e = &fit.errors[0];
    let r = squared_range(t);
    let first = tol::nonnegative_mean_lower(e[0], r, fit.samples, delta / 2.0)?;
    let last = tol::nonnegative_mean_upper(e[e.len() - 1], r, fit.samples, delta / 2.0)?;
    Ok(first / (FACTOR * last))
}

fn uat_2(ctx: &ClaimContext) -> Result<Outcome, Error> {
    let j = bands(&[0, 1, INACTIVE_BAND], D)?;
    let smooth = Target::SinProduct(vec![j[0], j[1]]);
    let control = Target::CosPlusSquare(j[0], j[2]);
    let (ws, n) = (widths(ctx, &WIDTHS), ctx.scaled(SAMPLES));
    let g = block(ACTIVE_BANDS);
    let fit = held_out(
        &g,
        D,
        std::slice::from_ref(&smooth),
        &ws,
        n,
        ctx.seed,
        &ctx.label("smooth"),
    )?;
    let bad = held_out(
        &g,
        D,
        std::slice::from_ref(&control),
        &ws,
        n,
        ctx.seed,
        &ctx.label("control"),
    )?;
    let mut details = Vec::new();
    record(&mut details, "smooth", &fit, &smooth);
    record(&mut details, "control", &bad, &control);
    let mut out = Outcome::new(
        Check::new(fall_ratio(&fit, &smooth, ctx.delta)?, 1.0, Relation::AtLeast),
        ctx.delta,
        ctx.label(""),
    )
    .with_control(
        Check::new(fall_ratio(&bad, &control, ctx.delta)?, 1.0, Relation::AtLeast),
        "cos(π x_a) + x_b² with x_b inactive: its error must not fall by 8 (LCB first / (8 UCB last))",
    );
    out.details = details;
    Ok(out)
}

/// The held-out errors over variance at each width, one fit per replicate.
fn replicates(
    ctx: &ClaimContext,
    d: usize,
    k: usize,
    ws: &[usize],
    n: usize,
) -> Result<Vec<Vec<f64>>, Error> {
    let t = Target::SinProduct(bands(&(0..k).collect::<Vec<_>>(), d)?);
    (0..UAT3_REPLICATES)
        .into_par_iter()
        .map(|r| {
            let fit = held_out(
                &block(ACTIVE_BANDS),
                d,
                std::slice::from_ref(&t),
                ws,
                n,
                ctx.seed,
                &ctx.label(&format!("d={d}/k={k}/rep={r}")),
            )?;
            Ok(fit.errors[0].iter().map(|e| e / t.variance()).collect())
        })
        .collect()
}

fn column(reps: &[Vec<f64>], w: usize) -> Vec<f64> {
    reps.iter().map(|r| r[w]).collect()
}

fn uat_3(ctx: &ClaimContext) -> Result<Outcome, Error> {
    let (ws, n) = (widths(ctx, &UAT3_WIDTHS), ctx.scaled(SAMPLES));
    let small = replicates(ctx, D, 2, &ws, n)?;
    let large = replicates(ctx, D_LARGE, 2, &ws, n)?;
    let delta = ctx.delta / ws.len() as f64;
    let mut details = Vec::new();
    let mut worst = f64::INFINITY;
    for (w, &width) in ws.iter().enumerate() {
        let (a, b) = (column(&small, w), column(&large, w));
        let (c, _) = two_sample_counts(&a, &b)?;
        let p = two_sample_sf(UAT3_REPLICATES, c, false)?;
        worst = worst.min(p / delta);
        details.push((format!("n={width}/mean_d{D}"), mean(&a)));
        details.push((format!("n={width}/mean_d{D_LARGE}"), mean(&b)));
        details.push((format!("n={width}/ks_count"), c as f64));
        details.push((format!("n={width}/p_value"), p));
    }
    // Control: k = 3 against k = 2 at one width, one-sided (k = 2's errors the smaller).
    let wc = ws
        .iter()
        .position(|&w| w == ctx.scaled(UAT3_CONTROL_WIDTH))
        .unwrap_or(0);
    let harder = replicates(ctx, D, 3, &ws[..=wc], n)?;
    let (_, plus) = two_sample_counts(&column(&small, wc), &column(&harder, wc))?;
    let p_control = two_sample_sf(UAT3_REPLICATES, plus, true)?;
    details.push(("control/mean_k3".into(), mean(&column(&harder, wc))));
    details.push(("control/p_value".into(), p_control));
    let mut out = Outcome::new(Check::new(worst, 1.0, Relation::AtLeast), ctx.delta, ctx.label(""))
        .with_control(
            Check::new(p_control / ctx.delta, 1.0, Relation::AtLeast),
            format!("k = 3 against k = 2 at width {}: one-sided exact KS p-value over δ (larger k, larger error)", ws[wc]),
        );
    out.details = details;
    Ok(out)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// The smallest `UCB(e_n) / floor` over the widths (δ split over them), and the same at the
/// largest width for the control fit.
fn floor_ratios(fit: &Fit, t: &Target, floor: f64, delta: f64) -> Result<Vec<f64>, Error> {
    let r = squared_range(t);
    let each = delta / fit.widths.len() as f64;
    fit.errors[0]
        .iter()
        .map(|&e| Ok(tol::nonnegative_mean_upper(e, r, fit.samples, each)? / floor))
        .collect()
}

/// UAT-4 and UAT-5: the target on `graphon`, whose networks compute the functions of `reach`,
/// never goes below its exact floor; on `control` (which gives the network the missing
/// access) it does at the largest width.
fn floor_claim(
    ctx: &ClaimContext,
    target: &Target,
    graphon: &WiringGraphon,
    reach: &Reach,
    control: &WiringGraphon,
    note: &str,
) -> Result<Outcome, Error> {
    let (ws, n) = (widths(ctx, &WIDTHS), ctx.scaled(SAMPLES));
    let floor = target.floor(reach);
    let ts = std::slice::from_ref(target);
    let fit = held_out(graphon, D, ts, &ws, n, ctx.seed, &ctx.label("check"))?;
    let good = held_out(control, D, ts, &ws, n, ctx.seed, &ctx.label("control"))?;
    let ratios = floor_ratios(&fit, target, floor, ctx.delta)?;
    let control_ratio = *floor_ratios(&good, target, floor, ctx.delta)?
        .last()
        .unwrap_or(&f64::NAN);
    let mut details = vec![("floor".to_string(), floor)];
    for ((w, e), (r, g)) in fit
        .widths
        .iter()
        .zip(&fit.errors[0])
        .zip(ratios.iter().zip(&good.errors[0]))
    {
        details.push((format!("n={w}/error"), *e));
        details.push((format!("n={w}/ucb_over_floor"), *r));
        // The least-squares leakage scale floor·(n + 1)/N (stated in theory, not asserted).
        details.push((
            format!("n={w}/leakage_scale"),
            floor * (*w + 1) as f64 / n as f64,
        ));
        details.push((format!("n={w}/control_error"), *g));
    }
    let worst = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let mut out = Outcome::new(
        Check::new(worst, 1.0, Relation::AtLeast),
        ctx.delta,
        ctx.label(""),
    )
    .with_control(Check::new(control_ratio, 1.0, Relation::AtLeast), note);
    out.details = details;
    Ok(out)
}

fn uat_4(ctx: &ClaimContext) -> Result<Outcome, Error> {
    let j = bands(&[0, INACTIVE_BAND], D)?;
    let target = Target::CosPlusSquare(j[0], j[1]);
    floor_claim(
        ctx,
        &target,
        &block(ACTIVE_BANDS),
        &Reach::Joint(vec![j[0]]),
        &block(INACTIVE_BAND + 1),
        "the same target with x_b's band made active (W = p on bands 0–6): UCB of the error at the largest width over the floor 4/45",
    )
}

fn uat_5(ctx: &ClaimContext) -> Result<Outcome, Error> {
    let j = bands(&[0, 1], D)?;
    let target = Target::Product(j[0], j[1]);
    floor_claim(
        ctx,
        &target,
        &WiringGraphon::Checkerboard { q: P },
        &Reach::Separate(j.clone()),
        &block(2),
        "the block graphon W = p on bands 0–1 (an edge floor on both): UCB of the error at the largest width over the floor 1/9",
    )
}
