//! The check's own guarantees as claims (theory/external.md, "Claims"): CHECK-1 and CHECK-2
//! (false rejections at most δ under the limit and sampler nulls), CHECK-3 (power on the
//! issue's Figure-1 perturbations) and CHECK-4 (second-order dependence caught by the pairs).
//!
//! Every stack is drawn from a stream labelled under the claim id, and every check of a stack
//! simulates its own null replicates under a master seed drawn from its own stream, so the
//! verdicts of different stacks are independent and their rejection count is a sum of
//! independent Bernoulli variables (Chernoff).
//!
//! ```
//! let ids: Vec<&str> = pai_graphon::claims::check::claims().iter().map(|c| c.id).collect();
//! assert_eq!(ids, ["CHECK-1", "CHECK-2", "CHECK-3", "CHECK-4"]);
//! ```

use crate::claims::{
    Check, Claim, ClaimContext, Kind, Outcome, Relation, Source, Status, STATISTICAL_DELTA,
};
use crate::convergence::limit::Fsm;
use crate::external::sharp::{Options, Sharp};
use crate::external::simulate::{Draw, Model};
use crate::external::Null;
use crate::mask::Mask;
use crate::seed::{uniform_open01, MasterSeed};
use crate::tol::chernoff_upper;
use crate::Error;
use rand::Rng;
use rayon::prelude::*;

/// The issue's Figure-1 model: profiles exp:3 on rows and columns, Gaussian noise, ρ = 0.2.
const FIGURE1: (&str, &str, &str, f64) = ("exp:3", "exp:3", "gaussian:1", 0.2);

/// The Figure-1 model at n × d with both profile exponents and the density as given.
fn model(exponent: f64, rho: f64, n: usize, d: usize) -> Result<Model, Error> {
    let profile = format!("exp:{exponent}");
    let fsm = Fsm::parse(&profile, &profile, FIGURE1.2)?;
    Model::from_fsm(&fsm, n, d, rho)
}

/// A master seed for one check's simulations, from the claim's stream `label`.
fn seed_of(ctx: &ClaimContext, label: &str) -> MasterSeed {
    MasterSeed::new(ctx.stream(label).next_u64())
}

/// One stack to check: which model (exponent, ρ), which draw, and its stream suffix.
struct Case {
    exponent: f64,
    rho: f64,
    draw: Draw,
    label: String,
}

/// Whether the full sharp check (`Sharp::verdicts`, as `pai-graphon check` runs it) rejects one
/// stack of `stack` n × n masks drawn as `case` says, at level δ_c under `null`.
fn rejects(
    ctx: &ClaimContext,
    case: &Case,
    n: usize,
    stack: usize,
    null: Null,
    delta: f64,
) -> Result<bool, Error> {
    let data = model(case.exponent, case.rho, n, n)?;
    let masks = data.draw_stack(case.draw, stack, ctx.seed, &ctx.label(&case.label))?;
    let options = Options {
        null,
        unordered: false,
        delta: crate::params::Probability::new(delta)?,
        replicates: None,
        seed: seed_of(ctx, &format!("{}/null", case.label)),
        test_density: true,
    };
    let sharp = Sharp::new(model(3.0, FIGURE1.3, n, n)?, stack, options)?;
    let verdicts = sharp.verdicts(&masks)?;
    Ok(verdicts.iter().any(|v| v.status == Status::Fail))
}

/// How many of `cases` the check rejects (in parallel, collected in order).
fn rejections(
    ctx: &ClaimContext,
    cases: &[Case],
    n: usize,
    stack: usize,
    null: Null,
    delta: f64,
) -> Result<usize, Error> {
    let out: Vec<bool> = cases
        .par_iter()
        .map(|c| rejects(ctx, c, n, stack, null, delta))
        .collect::<Result<_, Error>>()?;
    Ok(out.into_iter().filter(|&r| r).count())
}

/// `count` cases of one model, alternating top-k and frozen-threshold draws when `both`.
fn cases(tag: &str, exponent: f64, rho: f64, count: usize, both: bool) -> Vec<Case> {
    (0..count)
        .map(|r| Case {
            exponent,
            rho,
            draw: match both && r % 2 == 1 {
                true => Draw::Frozen,
                false => Draw::TopK,
            },
            label: format!("{tag}/{r}"),
        })
        .collect()
}

/// Level of the checks in CHECK-1 and CHECK-2: large, so that the rate is measurable.
const LEVEL: f64 = 0.2;
/// Width, stack size and number of stacks of CHECK-1 and CHECK-2.
const VALIDITY: (usize, usize, usize) = (64, 4, 100);

/// CHECK-1 and CHECK-2: at most a Chernoff count of false rejections in R correct stacks; the
/// density-10 %-off (limit null) or frozen-threshold (sampler null) control must exceed it.
fn validity(ctx: &ClaimContext, null: Null) -> Result<Outcome, Error> {
    let (n, stack, r) = VALIDITY;
    let rho = FIGURE1.3;
    let (good, bad, note) = match null {
        Null::Limit => (
            cases("correct", 3.0, rho, r, true),
            cases("density+10%", 3.0, 1.1 * rho, r, true),
            "stacks whose density is 10 % off (ρ = 0.22)",
        ),
        Null::Sampler => (
            cases("correct", 3.0, rho, r, false),
            cases("frozen", 3.0, rho, r, false)
                .into_iter()
                .map(|c| Case {
                    draw: Draw::Frozen,
                    ..c
                })
                .collect(),
            "frozen-threshold stacks (correct limit, inexact kept count)",
        ),
    };
    let bound = chernoff_upper(r as f64 * LEVEL, ctx.delta / 2.0)?;
    let false_rejections = rejections(ctx, &good, n, stack, null, LEVEL)?;
    let control = rejections(ctx, &bad, n, stack, null, LEVEL)?;
    let range = (0.0, r as f64);
    Ok(Outcome::new(
        Check::new(false_rejections as f64, bound, Relation::AtMost).within(range.0, range.1),
        ctx.delta / 2.0,
        ctx.label(""),
    )
    .with_control(
        Check::new(control as f64, bound, Relation::AtMost).within(range.0, range.1),
        note,
    )
    .detail("n = d", n as f64)
    .detail("masks per stack S", stack as f64)
    .detail("stacks R", r as f64)
    .detail("level δ_c", LEVEL)
    .detail("expected false rejections ≤ R δ_c", r as f64 * LEVEL)
    .detail("control rejections", control as f64))
}

fn check_1(ctx: &ClaimContext) -> Result<Outcome, Error> {
    validity(ctx, Null::Limit)
}

fn check_2(ctx: &ClaimContext) -> Result<Outcome, Error> {
    validity(ctx, Null::Sampler)
}

/// Width, stack size, level and alternatives per family of CHECK-3 (the issue's "Done when").
const POWER: (usize, usize, f64, usize) = (512, 8, 1e-3, 40);
/// The power CHECK-3 asserts.
const POWER_GOAL: f64 = 0.9;

/// CHECK-3: the null replicates are simulated once (both laws), and each alternative stack is
/// decided, as `Sharp::check` decides it, by the critical values of the laws `Sharp::laws`
/// names for it (top-k stacks by the top-k one); conditionally on them the
/// rejections of R alternatives are independent, so fewer than R − Chernoff(0.1 R) rejections
/// mean a power below 0.9 except with the stated probability.
fn check_3(ctx: &ClaimContext) -> Result<Outcome, Error> {
    let (n, stack, delta, r) = POWER;
    let rho = FIGURE1.3;
    let options = Options {
        null: Null::Limit,
        unordered: false,
        delta: crate::params::Probability::new(delta)?,
        replicates: None,
        seed: seed_of(ctx, "null"),
        test_density: true,
    };
    let sharp = Sharp::new(model(3.0, rho, n, n)?, stack, options)?;
    let b = sharp.replicates();
    let mut frozen = sharp.simulate(Draw::Frozen, 0, b)?;
    let mut topk = sharp.simulate(Draw::TopK, 0, b)?;
    let critical = [
        sharp.critical_value(&mut frozen),
        sharp.critical_value(&mut topk),
    ];
    let count = |cs: Vec<Case>| -> Result<usize, Error> {
        let out: Vec<bool> = cs
            .par_iter()
            .map(|c| {
                let m = model(c.exponent, c.rho, n, n)?;
                let masks = m.draw_stack(c.draw, stack, ctx.seed, &ctx.label(&c.label))?;
                // T against the critical value of each law that decides this stack
                let against = sharp.laws(&masks)?.into_iter().map(|law| match law {
                    Draw::Frozen => critical[0],
                    Draw::TopK => critical[1],
                });
                Ok(sharp.combined(&masks) > against.fold(0.0, f64::max))
            })
            .collect::<Result<_, Error>>()?;
        Ok(out.into_iter().filter(|&x| x).count())
    };
    let density = count(cases("density+1%", 3.0, 1.01 * rho, r, true))?;
    let exponent = count(cases("exponent-2%", 3.0 * 0.98, rho, r, true))?;
    let correct = count(cases("correct", 3.0, rho, r, true))?;
    // Non-rejections: mean ≤ (1 − 0.9) R if the power is ≥ 0.9; Chernoff at δ/4 per family.
    let misses = chernoff_upper((1.0 - POWER_GOAL) * r as f64, ctx.delta / 4.0)?;
    let threshold = r as f64 - misses;
    let observed = density.min(exponent) as f64;
    Ok(Outcome::new(
        Check::new(observed, threshold, Relation::AtLeast).within(0.0, r as f64),
        ctx.delta / 2.0,
        ctx.label(""),
    )
    .with_control(
        Check::new(correct as f64, threshold, Relation::AtLeast).within(0.0, r as f64),
        "correct Figure-1 stacks (half top-k, half frozen-threshold)",
    )
    .detail("n = d", n as f64)
    .detail("masks per stack S", stack as f64)
    .detail("level δ", delta)
    .detail("null replicates B per law", b as f64)
    .detail(
        "critical value of T, frozen-threshold replicates",
        critical[0],
    )
    .detail("critical value of T, top-k replicates", critical[1])
    .detail("alternatives R per family", r as f64)
    .detail("rejected, density ρ(1 + 1 %)", density as f64)
    .detail("rejected, exponents 3(1 − 2 %)", exponent as f64)
    .detail("rejected, correct stacks", correct as f64))
}

/// Width, stack size, number of stacks and level of CHECK-4.
const SECOND_ORDER: (usize, usize, usize, f64) = (512, 4, 20, 0.2);
/// In CHECK-4's control, one row in this many reuses the previous row's noise.
const REUSE_EVERY: usize = 64;

/// A frozen-threshold mask of `data` in which row i draws its noise from row `source(i)`: the
/// uniform `U` of a cell is the noise's tail value, so reusing a row's uniforms reuses its noise.
fn reused_mask(
    data: &Model,
    source: impl Fn(usize) -> usize,
    seed: MasterSeed,
    label: &str,
) -> Result<Mask, Error> {
    let (n, d) = (data.phi.len(), data.psi.len());
    let mut rng = seed.stream(label);
    let u: Vec<f64> = (0..n * d).map(|_| uniform_open01(&mut rng)).collect();
    let e: Vec<u8> = (0..n * d)
        .map(|k| {
            let (i, j) = (k / d, k % d);
            u8::from(u[source(i) * d + j] < data.keep_probability(i, j))
        })
        .collect();
    Ok(Mask::from_entries(n, d, &e)?)
}

/// CHECK-4: the pair verdicts reject at most a Chernoff count of R correct stacks, and more than
/// that of stacks in which one row in 64 reuses the previous row's noise.
fn check_4(ctx: &ClaimContext) -> Result<Outcome, Error> {
    let (n, stack, r, level) = SECOND_ORDER;
    let rho = FIGURE1.3;
    let options = Options {
        null: Null::Limit,
        unordered: false,
        delta: crate::params::Probability::new(level)?,
        replicates: None,
        seed: seed_of(ctx, "null"),
        test_density: true,
    };
    // The pair bounds need no simulation: one Sharp serves every stack.
    let sharp = Sharp::new(model(3.0, rho, n, n)?, stack, options)?;
    let data = model(3.0, rho, n, n)?;
    let pair_rejects = |masks: &[Mask]| -> Result<bool, Error> {
        Ok(sharp.pairs(masks)?.iter().any(|v| v.status == Status::Fail))
    };
    let correct: Vec<bool> = cases("correct", 3.0, rho, r, true)
        .par_iter()
        .map(|c| pair_rejects(&data.draw_stack(c.draw, stack, ctx.seed, &ctx.label(&c.label))?))
        .collect::<Result<_, Error>>()?;
    let reuse = |i: usize| match i % REUSE_EVERY == REUSE_EVERY - 1 {
        true => i - 1,
        false => i,
    };
    let control: Vec<bool> = (0..r)
        .into_par_iter()
        .map(|t| {
            let masks: Vec<Mask> = (0..stack)
                .map(|s| {
                    reused_mask(
                        &data,
                        reuse,
                        ctx.seed,
                        &ctx.label(&format!("reuse/{t}/{s}")),
                    )
                })
                .collect::<Result<_, Error>>()?;
            pair_rejects(&masks)
        })
        .collect::<Result<_, Error>>()?;
    let count = |v: &[bool]| v.iter().filter(|&&x| x).count() as f64;
    // Each stack's pair verdicts reject a correct stack with probability ≤ δ_c · PAIR_SHARE.
    let mean = r as f64 * level * crate::external::sharp::PAIR_SHARE;
    let bound = chernoff_upper(mean, ctx.delta / 2.0)?;
    Ok(Outcome::new(
        Check::new(count(&correct), bound, Relation::AtMost).within(0.0, r as f64),
        ctx.delta / 2.0,
        ctx.label(""),
    )
    .with_control(
        Check::new(count(&control), bound, Relation::AtMost).within(0.0, r as f64),
        "stacks in which one row in 64 reuses the previous row's noise",
    )
    .detail("n = d", n as f64)
    .detail("masks per stack S", stack as f64)
    .detail("stacks R", r as f64)
    .detail(
        "pair level δ_c · PAIR_SHARE",
        level * crate::external::sharp::PAIR_SHARE,
    )
    .detail("control rejections", count(&control)))
}

/// The check's claims, for [`crate::claims::registry`].
///
/// ```
/// let ids: Vec<&str> = pai_graphon::claims::check::claims().iter().map(|c| c.id).collect();
/// assert!(ids.iter().all(|id| id.starts_with("CHECK-")));
/// ```
pub fn claims() -> Vec<Claim> {
    let claim = |id, title, delta, run| Claim {
        id,
        title,
        source: Source::Reconstructed,
        kind: Kind::Statistical,
        delta,
        run,
    };
    vec![
        claim(
            "CHECK-1",
            "check under the limit null rejects correct top-k and frozen-threshold stacks with probability at most δ",
            STATISTICAL_DELTA,
            check_1 as fn(&ClaimContext) -> Result<Outcome, Error>,
        ),
        claim(
            "CHECK-2",
            "check under the sampler null rejects correct top-k stacks with probability at most δ and rejects frozen-threshold stacks",
            STATISTICAL_DELTA,
            check_2,
        ),
        claim(
            "CHECK-3",
            "at 8 × 512 × 512 of the Figure-1 model, check rejects density errors of 1 % and profile-exponent errors of 2 % with probability ≥ 0.9 at δ = 1e-3",
            STATISTICAL_DELTA,
            check_3,
        ),
        claim(
            "CHECK-4",
            "the pair-overlap verdicts reject stacks in which rows reuse another row's noise, and correct stacks with probability at most their share of δ",
            STATISTICAL_DELTA,
            check_4,
        ),
    ]
}
