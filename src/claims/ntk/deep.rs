//! The claims on [`crate::ntk::deep`]: their checks and negative controls.
//!
//! ```
//! let ids: Vec<&str> = pai_graphon::claims::ntk::deep::claims().iter().map(|c| c.id).collect();
//! assert_eq!(ids, ["NTK-1", "NTK-15"]);
//! ```

use crate::claims::{Check, Claim, ClaimContext, Kind, Outcome, Relation, Source};
use crate::net::data::{load, DataSpec};
use crate::ntk::deep::*;
use crate::ntk::kernel::{KernelGraphon, Layers};
use crate::ntk::NtkError;
use crate::Error;
use faer::{Mat, MatRef};
use rand::RngExt;
use std::f64::consts::PI;

// ---------------------------------------------------------------------------------------------
// Claims.

/// This module's NTK claims: NTK-1 and NTK-15.
///
/// ```
/// let c = pai_graphon::claims::ntk::deep::claims();
/// assert!(c.iter().all(|c| c.id.starts_with("NTK-") && c.delta <= pai_graphon::claims::STATISTICAL_DELTA));
/// ```
pub fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "NTK-1",
            title: "Dense limit: K_W with W ≡ ρ equals Arora et al.'s two-layer NTK (first layer and both layers) within a derived rounding bound, for any ρ",
            source: Source::Reconstructed,
            kind: Kind::HighPrecision,
            delta: 0.0,
            run: ntk_1,
        },
        Claim {
            id: "NTK-15",
            title: "Deep graphon NTK: Θ = c^L Θ_dense for constant graphons, L = 1..4, within a running rounding bound",
            source: Source::Paper,
            kind: Kind::HighPrecision,
            delta: 0.0,
            run: ntk_15,
        },
    ]
}

/// The first `rows` rows of a bundled data set, scaled to unit norm.
pub(crate) fn data_rows(spec: &DataSpec, rows: usize) -> Result<Mat<f64>, Error> {
    let set = load(spec, crate::seed::MasterSeed::default(), "unused")?;
    let rows = rows.min(set.samples);
    let x = Mat::from_fn(rows, set.d, |b, j| set.x[b * set.d + j]);
    Ok(crate::ntk::kernel::unit_rows(x.as_ref())?)
}

fn max_entry(m: &Mat<f64>) -> f64 {
    (0..m.nrows())
        .flat_map(|i| (0..m.ncols()).map(move |j| m[(i, j)]))
        .fold(0.0, f64::max)
}

/// The largest `|a_ij − b_ij| / allowance_ij` (the computed difference's own rounding is
/// covered by multiplying the allowance by 1 + u).
fn worst_ratio(a: MatRef<'_, f64>, b: MatRef<'_, f64>, allowance: &Mat<f64>) -> f64 {
    let mut worst = 0.0f64;
    for i in 0..a.nrows() {
        for j in 0..a.ncols() {
            let diff = (a[(i, j)] - b[(i, j)]).abs();
            let allow = allowance[(i, j)] * (1.0 + U);
            let ratio = if diff == 0.0 { 0.0 } else { diff / allow };
            worst = worst.max(ratio);
        }
    }
    worst
}

/// NTK-1's allowance for `|graphon_ntk(W ≡ ρ) − dense_ntk|`: twice the graphon bound (it is a
/// radius about a replication), the dense bound, and `|ρ/ρ̂ − 1| |K|` when the computed density
/// ρ̂ is not ρ (`|ρ̂ − ρ| ≤ γ_d ρ`: d − 1 additions and one division).
///
/// ```
/// use pai_graphon::claims::ntk::deep::dense_limit_allowance;
/// use pai_graphon::ntk::deep::dense_ntk;
/// use pai_graphon::ntk::kernel::{graphon_ntk, KernelGraphon, Layers};
/// let x = faer::mat![[1.0, 0.0], [0.6, 0.8]];
/// let g = KernelGraphon::constant(0.3, 2).unwrap();
/// let k = graphon_ntk(x.as_ref(), &g, Layers::Both).unwrap().k;
/// let h = dense_ntk(x.as_ref(), Layers::Both).unwrap();
/// let a = dense_limit_allowance(x.as_ref(), &g, 0.3, Layers::Both, &h).unwrap();
/// assert!((k[(0, 1)] - h.k[(0, 1)]).abs() <= a[(0, 1)]);
/// ```
pub fn dense_limit_allowance(
    x: MatRef<'_, f64>,
    g: &KernelGraphon,
    rho: f64,
    layers: Layers,
    dense: &BoundedKernel,
) -> Result<Mat<f64>, NtkError> {
    let gb = graphon_ntk_bound(x, g, layers)?;
    let rel = if g.density() == rho {
        0.0
    } else {
        let gd = gamma_n(g.dims())?;
        gd / (1.0 - gd)
    };
    let n = x.nrows();
    Ok(Mat::from_fn(n, n, |i, j| {
        let scale = rel * (dense.k[(i, j)].abs() + dense.bound[(i, j)]);
        (2.0 * gb[(i, j)] + dense.bound[(i, j)] + scale) * (1.0 + 4.0 * U)
    }))
}

/// The second control of NTK-1: `t κ0_lin(t)` with arccos replaced by its first-order expansion
/// `π/2 − t`, i.e. `κ0_lin(t) = 1/4 + t/(2π)` (t = 1 on the diagonal).
fn linear_acos_kernel(x: MatRef<'_, f64>) -> Mat<f64> {
    Mat::from_fn(x.nrows(), x.nrows(), |i, j| {
        let t = if i == j {
            1.0
        } else {
            (0..x.ncols()).map(|l| x[(i, l)] * x[(j, l)]).sum::<f64>()
        };
        t * (0.25 + t / (2.0 * PI))
    })
}

/// The relative error of the negative control's density in NTK-1.
///
/// ```
/// use pai_graphon::claims::ntk::deep::{dense_limit_allowance, NTK1_CONTROL_DENSITY_ERROR};
/// use pai_graphon::ntk::deep::dense_ntk;
/// use pai_graphon::ntk::kernel::{graphon_ntk, KernelGraphon, Layers};
/// let x = faer::mat![[1.0, 0.0], [0.6, 0.8]];
/// let g = KernelGraphon::constant(0.3, 2).unwrap();
/// let k = graphon_ntk(x.as_ref(), &g, Layers::First).unwrap().k;
/// let h = dense_ntk(x.as_ref(), Layers::First).unwrap();
/// let allow = dense_limit_allowance(x.as_ref(), &g, 0.3, Layers::First, &h).unwrap();
/// // A density off by this relative error moves the kernel far outside NTK-1's allowance.
/// let wrong = k[(0, 0)] / (1.0 + NTK1_CONTROL_DENSITY_ERROR);
/// assert!((k[(0, 0)] - h.k[(0, 0)]).abs() <= allow[(0, 0)]);
/// assert!((wrong - h.k[(0, 0)]).abs() > 1e6 * allow[(0, 0)]);
/// ```
pub const NTK1_CONTROL_DENSITY_ERROR: f64 = 1e-6;

fn ntk_1(ctx: &ClaimContext) -> Result<Outcome, Error> {
    let mut rng = ctx.stream("rho");
    let random_rho = 1.0 - rng.random::<f64>();
    let rhos = [1.0, 0.5, 0.1, 0.01, random_rho];
    let sets = [
        (DataSpec::Digits { side: 8 }, ctx.scaled(48)),
        (DataSpec::Mnist, ctx.scaled(16)),
    ];
    let (mut worst, mut control, mut largest_bound) = (0.0f64, f64::INFINITY, 0.0f64);
    let (mut entries, mut linear_acos) = (0usize, f64::INFINITY);
    for (spec, rows) in &sets {
        let x = data_rows(spec, *rows)?;
        for layers in [Layers::First, Layers::Both] {
            let dense = dense_ntk(x.as_ref(), layers)?;
            for &rho in &rhos {
                let g = KernelGraphon::constant(rho, x.ncols())?;
                let k = crate::ntk::kernel::graphon_ntk(x.as_ref(), &g, layers)?.k;
                let allow = dense_limit_allowance(x.as_ref(), &g, rho, layers, &dense)?;
                worst = worst.max(worst_ratio(k.as_ref(), dense.k.as_ref(), &allow));
                // The same kernel normalised by ρ(1 + 1e-6): K scales by 1/(1 + 1e-6) exactly.
                let wrong = Mat::from_fn(k.nrows(), k.ncols(), |i, j| {
                    k[(i, j)] / (1.0 + NTK1_CONTROL_DENSITY_ERROR)
                });
                control = control.min(worst_ratio(wrong.as_ref(), dense.k.as_ref(), &allow));
                largest_bound = largest_bound.max(max_entry(&allow));
                entries += k.nrows() * k.ncols();
                if layers == Layers::First {
                    let lin = linear_acos_kernel(x.as_ref());
                    linear_acos =
                        linear_acos.min(worst_ratio(lin.as_ref(), dense.k.as_ref(), &allow));
                }
            }
        }
    }
    Ok(Outcome::new(
        Check::new(worst, 1.0, Relation::AtMost),
        0.0,
        ctx.label("rho"),
    )
    .with_control(
        Check::new(control, 1.0, Relation::AtMost),
        "the same kernels normalised by ρ(1 + 1e-6) instead of ρ (smallest ratio over all cases)",
    )
    .detail("linear_acos_control_ratio", linear_acos)
    .detail("random_rho", random_rho)
    .detail("entries", entries as f64)
    .detail("largest_allowance", largest_bound))
}

/// Nodes per hidden layer of NTK-15's control graphon.
///
/// ```
/// use pai_graphon::claims::ntk::deep::NTK15_NODES;
/// use pai_graphon::ntk::deep::{deep_ntk, DeepGraphon, Output};
/// let x = faer::mat![[1.0, 0.0], [0.6, 0.8]];
/// // The control W = 1/2 + (2u − 1)(2v − 1)/2 has density 1/2 but is not constant…
/// let bent = |u: f64, v: f64| 0.5 + 0.5 * (2.0 * u - 1.0) * (2.0 * v - 1.0);
/// let g = DeepGraphon::midpoint(2, 2, NTK15_NODES, bent, bent).unwrap();
/// assert_eq!(g.weights(1).len(), 16);
/// // …so its kernel is not 2^(−L) times the dense one.
/// let dense = deep_ntk(x.as_ref(), &DeepGraphon::constant(1.0, 2, 2).unwrap(), Output::Fixed).unwrap();
/// let th = deep_ntk(x.as_ref(), &g, Output::Fixed).unwrap();
/// let gap = (th.k[(0, 1)] - 0.25 * dense.k[(0, 1)]).abs();
/// assert!(gap > 1e-4 && gap > 1e6 * (th.bound[(0, 1)] + dense.bound[(0, 1)]));
/// ```
pub const NTK15_NODES: usize = 16;

/// `|Θ_c − fl(c^L) Θ_dense|` against its allowance: the two running bounds (the dense one times
/// c^L), the rounding of `c^L` (`γ_(L−1) c^L |Θ_dense|`) and of the product (u).
fn identity_ratio(
    theta: &BoundedKernel,
    dense: &BoundedKernel,
    c: f64,
    depth: usize,
) -> Result<f64, NtkError> {
    let cl = c.powi(depth as i32);
    let gl = gamma_n(depth.saturating_sub(1) + 1)?;
    let n = theta.k.nrows();
    let scaled = Mat::from_fn(n, n, |i, j| cl * dense.k[(i, j)]);
    let allow = Mat::from_fn(n, n, |i, j| {
        let d = dense.k[(i, j)].abs() + dense.bound[(i, j)];
        (theta.bound[(i, j)]
            + cl * (1.0 + gl) * dense.bound[(i, j)]
            + (gl + U) * cl * d * (1.0 + gl))
            * (1.0 + 4.0 * U)
    });
    Ok(worst_ratio(theta.k.as_ref(), scaled.as_ref(), &allow))
}

fn ntk_15(ctx: &ClaimContext) -> Result<Outcome, Error> {
    let mut rng = ctx.stream("c");
    let random_c = 1.0 - rng.random::<f64>();
    let x = data_rows(&DataSpec::Digits { side: 8 }, ctx.scaled(24))?;
    let d = x.ncols();
    let (mut worst, mut control) = (0.0f64, f64::INFINITY);
    let mut largest_bound = 0.0f64;
    for depth in 1..=4 {
        for output in [Output::Fixed, Output::Trained] {
            let dense = deep_ntk(x.as_ref(), &DeepGraphon::constant(1.0, d, depth)?, output)?;
            for c in [1.0, 0.5, 0.2, random_c] {
                let th = deep_ntk(x.as_ref(), &DeepGraphon::constant(c, d, depth)?, output)?;
                worst = worst.max(identity_ratio(&th, &dense, c, depth)?);
                largest_bound = largest_bound.max(max_entry(&th.bound));
            }
            // Same density 1/2, not constant: W = 1/2 + (2u − 1)(2v − 1)/2.
            let bent = |u: f64, v: f64| 0.5 + 0.5 * (2.0 * u - 1.0) * (2.0 * v - 1.0);
            let g = DeepGraphon::midpoint(d, depth, NTK15_NODES, bent, bent)?;
            let th = deep_ntk(x.as_ref(), &g, output)?;
            control = control.min(identity_ratio(&th, &dense, 0.5, depth)?);
        }
    }
    Ok(
        Outcome::new(Check::new(worst, 1.0, Relation::AtMost), 0.0, ctx.label("c"))
            .with_control(
                Check::new(control, 1.0, Relation::AtMost),
                "W = 1/2 + (2u − 1)(2v − 1)/2 (density 1/2, not constant) against 2^(−L) Θ_dense (smallest ratio over L and outputs)",
            )
            .detail("random_c", random_c)
            .detail("inputs", x.nrows() as f64)
            .detail("largest_bound", largest_bound),
    )
}
