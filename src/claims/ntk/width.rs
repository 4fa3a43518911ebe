//! The claims on [`crate::ntk::width`]: their checks and negative controls.
//!
//! ```
//! let ids: Vec<&str> = pai_graphon::claims::ntk::width::claims().iter().map(|c| c.id).collect();
//! assert_eq!(ids, ["NTK-2", "NTK-17"]);
//! ```

use crate::claims::{
    Check, Claim, ClaimContext, Kind, Outcome, Relation, Source, STATISTICAL_DELTA,
};
use crate::convergence::figure1::loglog_slope;
use crate::convergence::limit::Fsm;
use crate::convergence::sampler::{sample_mask_in_memory, MaskSpec};
use crate::graphon::step::StepGraphon;
use crate::mask::Mask;
use crate::ntk::empirical::{empirical_ntk, MaskedNet};
use crate::ntk::kernel::{graphon_ntk, KernelGraphon, Layers};
use crate::ntk::width::*;
use crate::ntk::NtkError;
use crate::params::Density;
use crate::seed::MasterSeed;
use crate::tol;
use crate::Error;
use faer::{Mat, MatRef};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

// ---------------------------------------------------------------------------------------------
// Claims NTK-2 and NTK-17.

/// Inputs in the convergence studies (the empirical NTK costs N² n d).
const SAMPLES: usize = 16;
/// NTK-2: widths n (times `--scale`), with d = n / NTK2_N_PER_D.
const NTK2_WIDTHS: [usize; 5] = [128, 256, 512, 1024, 2048];
const NTK2_N_PER_D: usize = 2;
/// NTK-2's Bernoulli graphon: a non-constant 2 × 2 step graphon.
const NTK2_STEP: [[f64; 2]; 2] = [[0.95, 0.05], [0.8, 0.2]];
/// NTK-2's FSM (step profiles, so that its limit graphon is a step graphon: exact in u) and
/// density.
const NTK2_FSM: (&str, &str, &str) = ("step:0.5;1,3", "step:0.5;1,2", "gaussian:1");
const NTK2_FSM_DENSITY: Density = Density::constant(0.3);
/// NTK-17 (as the retired NTK-4): fixed d, widths n (times `--scale`), and its step graphon.
const NTK4_D: usize = 10;
const NTK4_WIDTHS: [usize; 5] = [1024, 4096, 16384, 65536, 262_144];
const NTK4_STEP: [[f64; 2]; 2] = [[0.7, 0.3], [0.4, 0.5]];

/// NTK-2 and NTK-17.
///
/// ```
/// let c = pai_graphon::claims::ntk::width::claims();
/// assert!(c.iter().all(|c| c.id.starts_with("NTK-") && c.delta <= pai_graphon::claims::STATISTICAL_DELTA));
/// ```
pub fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "NTK-2",
            title: "The empirical NTK of Bernoulli and FSM-masked networks converges to K_W as n and d = n/2 grow, within Pinelis' bound plus the finite-d bias bound",
            source: Source::Reconstructed,
            kind: Kind::Statistical,
            delta: STATISTICAL_DELTA,
            run: ntk_2 as fn(&ClaimContext) -> Result<Outcome, Error>,
        },
        Claim {
            id: "NTK-17",
            title: "At fixed d the empirical NTK converges to the exact fixed-d limit K_d (2^d row masks), not to K_W; fixed inputs, the control's separation guaranteed",
            source: Source::Reconstructed,
            kind: Kind::Statistical,
            delta: STATISTICAL_DELTA,
            run: ntk_17,
        },
    ]
}

fn step_graphon(values: [[f64; 2]; 2], d: usize) -> Result<KernelGraphon, Error> {
    let s = StepGraphon::uniform(values.iter().map(|r| r.to_vec()).collect())?;
    Ok(KernelGraphon::step(&s, d)?)
}

/// The FSM's limit graphon on d coordinates: its row profile is a step at ½, so the two nodes
/// ¼, ¾ with weights ½ are exact in u.
fn fsm_graphon(fsm: &Fsm, d: usize) -> Result<KernelGraphon, Error> {
    let limit = fsm.limit_graphon(NTK2_FSM_DENSITY)?;
    let nodes = vec![0.25, 0.75];
    let w = Mat::from_fn(2, d, |k, j| limit.w(nodes[k], (j as f64 + 0.5) / d as f64));
    Ok(KernelGraphon::new(nodes, vec![0.5, 0.5], w)?)
}

/// The mask family of one NTK-2 run.
#[derive(Clone, Copy, PartialEq)]
enum Family {
    Bernoulli,
    Fsm,
}

/// One width of a convergence study: the empirical NTK, its distance to the target, the
/// threshold and its parts.
struct WidthRun {
    n: usize,
    theta: Mat<f64>,
    error: f64,
    relative: f64,
    threshold: f64,
    concentration: f64,
    bias: f64,
    riemann: f64,
}

/// A network of width n on the mask: weights N(0, 1) from `{prefix}/w`, output weights ±1
/// from `{prefix}/a`, ρ the graphon's density; its empirical NTK (first layer trained).
fn network_ntk(
    ctx: &ClaimContext,
    prefix: &str,
    x: MatRef<'_, f64>,
    mask: &Mask,
    rho: f64,
) -> Result<Mat<f64>, Error> {
    let (n, d) = (mask.rows(), mask.cols());
    let mut rng = ctx.stream(&format!("{prefix}/w"));
    let w = Mat::from_fn(n, d, |_, _| StandardNormal.sample(&mut rng));
    let mut rng = ctx.stream(&format!("{prefix}/a"));
    let a: Vec<f64> = (0..n)
        .map(|_| if rng.next_u64() >> 63 == 1 { 1.0 } else { -1.0 })
        .collect();
    let net = MaskedNet {
        w: w.as_ref(),
        a: &a,
        mask: Some(mask),
        rho,
    };
    Ok(empirical_ntk(x, &net, Layers::First)?)
}

/// `Σ_k |n_k/n − ω_k| ‖H_k‖_F`: the Riemann error of the rows `u_i = (i + ½)/n` against the
/// u-integral, for per-node integrands H_k.
fn riemann_error(g: &KernelGraphon, nodes: &[usize], per_node: &[Mat<f64>]) -> f64 {
    let counts = node_counts(g, nodes);
    let n = nodes.len() as f64;
    g.weights()
        .iter()
        .zip(&counts)
        .zip(per_node)
        .map(|((w, &c), h)| (c as f64 / n - w).abs() * frobenius(h.as_ref()))
        .sum()
}

/// Floating-point allowance for ‖Θ̂ − K‖_F: each entry of Θ̂ is a sum of n d products whose
/// absolute values sum to at most n/ρ before the division by n (unit inputs, Cauchy–Schwarz),
/// each kernel entry a sum of at most 2^d d terms with absolute sum ≤ 1/ρ; N² entries.
fn float_allowance(n: usize, terms: usize, rho: f64) -> Result<f64, Error> {
    let per_entry = (tol::gamma(n * terms + 4)? + tol::gamma(terms + 4)?) / rho;
    Ok(SAMPLES as f64 * per_entry)
}

fn ntk2_run(
    ctx: &ClaimContext,
    family: Family,
    n: usize,
    delta: f64,
) -> Result<(WidthRun, KernelGraphon, Mat<f64>), Error> {
    let d = n / NTK2_N_PER_D;
    let x = smooth_inputs(SAMPLES, d, ctx.seed, &ctx.label("x"))?;
    let (g, mask, prefix) = match family {
        Family::Bernoulli => {
            let g = step_graphon(NTK2_STEP, d)?;
            let prefix = format!("n={n}/bernoulli");
            let mask = bernoulli_mask(&g, n, &mut ctx.stream(&format!("{prefix}/mask")))?;
            (g, mask, prefix)
        }
        Family::Fsm => {
            let fsm = Fsm::parse(NTK2_FSM.0, NTK2_FSM.1, NTK2_FSM.2)?;
            let g = fsm_graphon(&fsm, d)?;
            let prefix = format!("n={n}/fsm");
            let spec = MaskSpec::new(n, d, NTK2_FSM_DENSITY, &fsm.row, &fsm.col)?;
            let mask = sample_mask_in_memory(
                &spec,
                fsm.noise.law(),
                ctx.seed,
                &ctx.label(&format!("{prefix}/mask")),
            )?;
            (g, mask, prefix)
        }
    };
    let rho = g.density();
    let theta = network_ntk(ctx, &prefix, x.as_ref(), &mask, rho)?;
    let target = graphon_ntk(x.as_ref(), &g, Layers::First)?.k;
    let nodes = row_nodes(&g, n)?;
    let per_node: Vec<Mat<f64>> = (0..g.weights().len())
        .map(|k| row_kernel(&masked_gram(x.as_ref(), &row_of(&g, k), rho), Layers::First))
        .collect();
    let riemann = riemann_error(&g, &nodes, &per_node);
    let counts = node_counts(&g, &nodes);
    let bias = finite_d_bias_bound(x.as_ref(), &g)?
        .iter()
        .zip(&counts)
        .map(|(b, &c)| b * c as f64 / n as f64)
        .sum::<f64>();
    let concentration = concentration_bound(n, row_moments(x.as_ref(), &g, &nodes)?, delta)?;
    let threshold = concentration + bias + riemann + float_allowance(n, d, rho)?;
    let error = frobenius((&theta - &target).as_ref());
    let run = WidthRun {
        n,
        relative: error / frobenius(target.as_ref()),
        theta,
        error,
        threshold,
        concentration,
        bias,
        riemann,
    };
    Ok((run, g, x))
}

/// The column-reversed graphon `W'(u, v_j) = W(u, v_(d−1−j))` (same nodes, weights, density).
fn reversed(g: &KernelGraphon) -> Result<KernelGraphon, NtkError> {
    let d = g.dims();
    let w = Mat::from_fn(g.nodes().len(), d, |k, j| g.w()[(k, d - 1 - j)]);
    KernelGraphon::new(g.nodes().to_vec(), g.weights().to_vec(), w)
}

fn row_of(g: &KernelGraphon, k: usize) -> Vec<f64> {
    (0..g.dims()).map(|j| g.w()[(k, j)]).collect()
}

fn ntk_2(ctx: &ClaimContext) -> Result<Outcome, Error> {
    let widths: Vec<usize> = NTK2_WIDTHS
        .iter()
        .map(|&n| ctx.scaled(n).max(64 * NTK2_N_PER_D))
        .collect();
    // One Pinelis event per (family, width); the control reuses the Bernoulli events.
    let delta = ctx.delta / (2 * widths.len()) as f64;
    let mut outcome_parts = Vec::new();
    let mut worst = 0.0f64;
    let mut control = None;
    for family in [Family::Bernoulli, Family::Fsm] {
        let mut runs = Vec::new();
        for &n in &widths {
            let (run, g, x) = ntk2_run(ctx, family, n, delta)?;
            worst = worst.max(run.error / run.threshold);
            if family == Family::Bernoulli && n == *widths.last().unwrap_or(&n) {
                let wrong = graphon_ntk(x.as_ref(), &reversed(&g)?, Layers::First)?.k;
                let target = graphon_ntk(x.as_ref(), &g, Layers::First)?.k;
                control = Some((
                    frobenius((&run.theta - &wrong).as_ref()) / run.threshold,
                    frobenius((&target - &wrong).as_ref()) / (2.0 * run.threshold),
                ));
            }
            runs.push(run);
        }
        outcome_parts.push((family, runs));
    }
    let (control_ratio, separation) = control.unwrap_or((f64::NAN, f64::NAN));
    let mut outcome = Outcome::new(
        Check::new(worst, 1.0, Relation::AtMost),
        ctx.delta,
        ctx.label(""),
    )
    .with_control(
        Check::new(control_ratio, 1.0, Relation::AtMost),
        "K_W' of the column-reversed graphon W'(u, v) = W(u, 1 − v) against the Bernoulli-masked empirical NTK at the largest width",
    )
    .detail("control_separation", separation);
    for (family, runs) in &outcome_parts {
        outcome = width_details(outcome, family_name(*family), runs);
    }
    Ok(outcome)
}

fn family_name(family: Family) -> &'static str {
    match family {
        Family::Bernoulli => "bernoulli",
        Family::Fsm => "fsm",
    }
}

/// Per width: the relative error and the error/threshold ratio; the fitted slope of the
/// relative error against n with its standard error; the threshold's parts at the largest
/// width.
fn width_details(mut outcome: Outcome, name: &str, runs: &[WidthRun]) -> Outcome {
    for r in runs {
        outcome = outcome
            .detail(format!("{name}_n={}_relative_error", r.n), r.relative)
            .detail(format!("{name}_n={}_ratio", r.n), r.error / r.threshold);
    }
    let ns: Vec<f64> = runs.iter().map(|r| r.n as f64).collect();
    let rel: Vec<f64> = runs.iter().map(|r| r.relative).collect();
    let (slope, se) = loglog_slope(&ns, &rel);
    if let Some(last) = runs.last() {
        outcome = outcome
            .detail(format!("{name}_concentration_last"), last.concentration)
            .detail(format!("{name}_bias_last"), last.bias)
            .detail(format!("{name}_riemann_last"), last.riemann);
    }
    outcome
        .detail(format!("{name}_slope"), slope)
        .detail(format!("{name}_slope_se"), se)
}

/// NTK-17 (NTK-4 retired: its control's power depended on inputs drawn from the run's seed).
/// The inputs are part of the design: the stream `NTK-17/x` of the default master seed.
fn ntk_17(ctx: &ClaimContext) -> Result<Outcome, Error> {
    let d = NTK4_D;
    let g = step_graphon(NTK4_STEP, d)?;
    let x = smooth_inputs(SAMPLES, d, MasterSeed::default(), "NTK-17/x")?;
    let rho = g.density();
    let per_node: Vec<Mat<f64>> = (0..g.weights().len())
        .map(|k| row_expectation(x.as_ref(), g.w().row(k), rho, Layers::First))
        .collect();
    let kd = fixed_d_limit(x.as_ref(), &g, Layers::First)?;
    let kw = graphon_ntk(x.as_ref(), &g, Layers::First)?.k;
    let gap = frobenius((&kd - &kw).as_ref());
    // Proposition W3 at fixed d, checked deterministically against the exact K_d.
    let bias_bound: f64 = finite_d_bias_bound(x.as_ref(), &g)?
        .iter()
        .zip(g.weights())
        .map(|(b, w)| b * w)
        .sum();
    let enumerated = (1 << d) * d;
    let bias_ratio = gap / (bias_bound + float_allowance(1, enumerated, rho)?);
    let widths: Vec<usize> = NTK4_WIDTHS.iter().map(|&n| ctx.scaled(n).max(2)).collect();
    let delta = ctx.delta / widths.len() as f64;
    let mut runs = Vec::new();
    let mut worst = bias_ratio;
    for &n in &widths {
        let prefix = format!("n={n}");
        let mask = bernoulli_mask(&g, n, &mut ctx.stream(&format!("{prefix}/mask")))?;
        let theta = network_ntk(ctx, &prefix, x.as_ref(), &mask, rho)?;
        let nodes = row_nodes(&g, n)?;
        let riemann = riemann_error(&g, &nodes, &per_node);
        let concentration = concentration_bound(n, row_moments(x.as_ref(), &g, &nodes)?, delta)?;
        let threshold = concentration + riemann + float_allowance(n, enumerated, rho)?;
        let error = frobenius((&theta - &kd).as_ref());
        worst = worst.max(error / threshold);
        runs.push(WidthRun {
            n,
            relative: error / frobenius(kd.as_ref()),
            theta,
            error,
            threshold,
            concentration,
            bias: 0.0,
            riemann,
        });
    }
    let last = runs.last().ok_or(NtkError::Empty { what: "widths" })?;
    let separation = gap / (2.0 * last.threshold);
    if separation < 1.0 {
        // The control's rejection is implied by the check's event only at separation ≥ 1.
        return Err(NtkError::Size {
 what: "NTK-17 separation ‖K_d − K_W‖_F / (2 · threshold)",
 value: separation,
 why: "is below 1: the design is broken at this scale, the control has no guaranteed power",
 }
        .into());
    }
    let control_ratio = frobenius((&last.theta - &kw).as_ref()) / last.threshold;
    let outcome = Outcome::new(
        Check::new(worst, 1.0, Relation::AtMost),
        ctx.delta,
        ctx.label(""),
    )
    .with_control(
        Check::new(control_ratio, 1.0, Relation::AtMost),
        "K_W (no finite-d bias) against the empirical NTK at the largest width (separation ≥ 1 required)",
    )
    .detail("d", d as f64)
    .detail("kd_minus_kw_frobenius", gap)
    .detail("kd_minus_kw_relative", gap / frobenius(kw.as_ref()))
    .detail("bias_bound", bias_bound)
    .detail("control_separation", separation);
    Ok(width_details(outcome, "bernoulli", &runs))
}
