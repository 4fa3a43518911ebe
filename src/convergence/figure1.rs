//! Figure 1 of the paper, reproduced: seed-averaged masks of the Figure-1 model at several widths
//! beside the limit graphon, and their distance to it against n.
//!
//! Every mask is an exact top-k mask drawn from the streams `FIG1/n=…/d=…/rep=r/rows=b`. Display
//! blocks: each n × n average is averaged over a `blocks × blocks` grid of equal blocks (n must
//! be a multiple of `blocks`); the graphon's block averages come from W at the midpoints of a grid
//! [`GRAPHON_SUBCELLS`] times finer, block-averaged the same way.
//!
//! ```
//! use pai_graphon::convergence::figure1::{figure1, Figure1Config};
//! use pai_graphon::seed::MasterSeed;
//! let config = Figure1Config { widths: vec![8], seeds: 3, density: pai_graphon::params::Density::constant(0.2), blocks: 2 };
//! let fig = figure1(&config, MasterSeed::default(), &mut |_, _| {}).unwrap();
//! // Every mask keeps k = round(0.2 · 64) = 13 entries, so the blocks average to 13/64.
//! // Each block is an integer count over 48 (one rounding), three additions, an exact /4.
//! let m = &fig.panels[0].mask_blocks;
//! let mean = (m[(0, 0)] + m[(0, 1)] + m[(1, 0)] + m[(1, 1)]) / 4.0;
//! assert!((mean - 13.0 / 64.0).abs() <= pai_graphon::tol::gamma(4).unwrap() * (13.0 / 64.0));
//! ```

use super::limit::{Fsm, LimitGraphon, FIGURE1_DENSITY};
use super::ConvergenceError;
use crate::convergence::sampler::{sample_mask_for, threshold_window, MaskSpec};
use crate::graphon::cutnorm::{cut_norm, CutNormOptions};
use crate::mask::{accumulate, accumulate_blocks};
use crate::params::Density;
use crate::seed::MasterSeed;
use crate::Error;
use faer::Mat;
use serde::Serialize;

/// Sub-cells per display block used to average the limit graphon.
///
/// ```
/// use pai_graphon::convergence::figure1::{figure1, Figure1Config, GRAPHON_SUBCELLS};
/// use pai_graphon::convergence::limit::Fsm;
/// use pai_graphon::seed::MasterSeed;
/// let config = Figure1Config { widths: vec![4], seeds: 1, density: pai_graphon::params::Density::constant(0.2), blocks: 2 };
/// let fig = figure1(&config, MasterSeed::default(), &mut |_, _| {}).unwrap();
/// // Block (0, 0) averages W over the first 16 × 16 midpoints of a 32 × 32 grid, summed in
/// // the same order and divided by the same power of two: the same f64.
/// let s = GRAPHON_SUBCELLS;
/// let fine = Fsm::figure1().limit_graphon(pai_graphon::params::Density::constant(0.2)).unwrap().w_grid(2 * s).unwrap();
/// let mean = (0..s).flat_map(|a| (0..s).map(move |b| (a, b))).map(|ab| fine[ab]).sum::<f64>() / (s * s) as f64;
/// assert_eq!(fig.panels[0].graphon_blocks[(0, 0)], mean);
/// ```
pub const GRAPHON_SUBCELLS: usize = 16;

/// What to draw.
///
/// ```
/// use pai_graphon::convergence::figure1::{figure1, Figure1Config};
/// use pai_graphon::seed::MasterSeed;
/// let paper = Figure1Config::default();
/// assert_eq!((paper.widths.len(), paper.seeds, paper.blocks), (5, 100, 50));
/// assert!(paper.widths.iter().all(|n| n % paper.blocks == 0));
/// // Widths must be multiples of the display blocks (checked before any sampling).
/// let bad = Figure1Config { widths: vec![10], seeds: 1, density: pai_graphon::params::Density::constant(0.2), blocks: 4 };
/// assert!(figure1(&bad, MasterSeed::default(), &mut |_, _| {}).is_err());
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct Figure1Config {
    /// Widths n = d.
    pub widths: Vec<usize>,
    /// Seeds (independent masks) averaged at each width.
    pub seeds: usize,
    /// The density ρ.
    pub density: Density,
    /// Display blocks per axis.
    pub blocks: usize,
}

impl Default for Figure1Config {
    /// The paper's: widths 200 … 4000, 100 seeds, ρ = 0.2, 50 × 50 display blocks.
    fn default() -> Self {
        Figure1Config {
            widths: vec![200, 500, 1000, 2000, 4000],
            seeds: 100,
            density: FIGURE1_DENSITY,
            blocks: 50,
        }
    }
}

/// One width of the figure.
///
/// ```
/// use pai_graphon::convergence::figure1::{figure1, Figure1Config};
/// use pai_graphon::seed::MasterSeed;
/// let config = Figure1Config { widths: vec![8], seeds: 2, density: pai_graphon::params::Density::constant(0.2), blocks: 4 };
/// let p = &figure1(&config, MasterSeed::default(), &mut |_, _| {}).unwrap().panels[0];
/// assert_eq!((p.n, p.mask_blocks.nrows(), p.graphon_blocks.ncols()), (8, 4, 4));
/// assert!(p.l2 <= p.linf && p.cut_lower <= p.cut_upper); // a mean is at most the max
/// // The cut norm is a norm and W_avg − W_P ≠ 0 (W_P's values are not multiples of ½).
/// assert!(p.cut_upper > 0.0);
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct Panel {
    /// n = d.
    pub n: usize,
    /// The seed-averaged mask, block-averaged (`blocks × blocks`, row 0 = u near 0).
    #[serde(skip)]
    pub mask_blocks: Mat<f64>,
    /// The limit graphon, block-averaged the same way.
    #[serde(skip)]
    pub graphon_blocks: Mat<f64>,
    /// Block-averaged L² distance, sqrt(mean of squared block differences).
    pub l2: f64,
    /// Block-averaged L∞ distance.
    pub linf: f64,
    /// Certified lower bound of ‖W_avg − W_P‖_□ (seed-averaged mask against the grid's P).
    pub cut_lower: f64,
    /// Certified upper bound of the same.
    pub cut_upper: f64,
}

/// A fitted log-log slope of one error against n.
///
/// ```
/// use pai_graphon::convergence::figure1::{figure1, Figure1Config};
/// use pai_graphon::seed::MasterSeed;
/// let config = Figure1Config { widths: vec![4, 8], seeds: 1, density: pai_graphon::params::Density::constant(0.2), blocks: 2 };
/// let fig = figure1(&config, MasterSeed::default(), &mut |_, _| {}).unwrap();
/// let s = &fig.slopes[0];
/// assert_eq!(s.error, "block L2");
/// assert!(s.slope.is_finite() && s.standard_error.is_nan()); // two widths: no residual
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct Slope {
    /// Which error.
    pub error: &'static str,
    /// Least-squares slope of log(error) against log(n).
    pub slope: f64,
    /// Its standard error.
    pub standard_error: f64,
}

/// The whole figure.
///
/// ```
/// use pai_graphon::convergence::figure1::{figure1, Figure1Config};
/// use pai_graphon::convergence::limit::Fsm;
/// use pai_graphon::seed::MasterSeed;
/// let config = Figure1Config { widths: vec![4, 8], seeds: 1, density: pai_graphon::params::Density::constant(0.2), blocks: 2 };
/// let fig = figure1(&config, MasterSeed::default(), &mut |_, _| {}).unwrap();
/// assert_eq!(fig.panels.iter().map(|p| p.n).collect::<Vec<_>>(), config.widths);
/// assert_eq!(fig.tau_star, Fsm::figure1().tau_star(pai_graphon::params::Density::constant(0.2)).unwrap().value);
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct Figure1 {
    /// What was drawn.
    pub config: Figure1Config,
    /// The limit threshold τ*.
    pub tau_star: f64,
    /// One panel per width.
    pub panels: Vec<Panel>,
    /// The fitted slopes (empty with fewer than two widths).
    pub slopes: Vec<Slope>,
}

/// Compute Figure 1 for the Figure-1 model; `progress(done, total)` is called after each mask.
///
/// ```
/// use pai_graphon::convergence::figure1::{figure1, Figure1Config};
/// use pai_graphon::seed::MasterSeed;
/// let config = Figure1Config { widths: vec![4, 8], seeds: 2, density: pai_graphon::params::Density::constant(0.2), blocks: 2 };
/// let mut calls = Vec::new();
/// let fig = figure1(&config, MasterSeed::default(), &mut |done, total| calls.push((done, total))).unwrap();
/// assert_eq!(calls, [(1, 4), (2, 4), (3, 4), (4, 4)]);
/// assert_eq!(fig.panels.len(), 2);
/// ```
pub fn figure1(
    config: &Figure1Config,
    seed: MasterSeed,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Figure1, Error> {
    validate(config)?;
    let fsm = Fsm::figure1();
    let limit = fsm.limit_graphon(config.density)?;
    let total = config.widths.len() * config.seeds;
    let mut panels = Vec::with_capacity(config.widths.len());
    for (w, &n) in config.widths.iter().enumerate() {
        let mut done = |r| progress(w * config.seeds + r, total);
        panels.push(panel(config, &fsm, &limit, n, seed, &mut done)?);
    }
    let xs: Vec<f64> = panels.iter().map(|p| p.n as f64).collect();
    let series: [(&'static str, Vec<f64>); 4] = [
        ("block L2", panels.iter().map(|p| p.l2).collect()),
        ("block Linf", panels.iter().map(|p| p.linf).collect()),
        (
            "cut norm lower",
            panels.iter().map(|p| p.cut_lower).collect(),
        ),
        (
            "cut norm upper",
            panels.iter().map(|p| p.cut_upper).collect(),
        ),
    ];
    let slopes = if xs.len() >= 2 {
        series
            .into_iter()
            .filter(|(_, ys)| ys.iter().all(|y| *y > 0.0))
            .map(|(error, ys)| {
                let (slope, standard_error) = loglog_slope(&xs, &ys);
                Slope {
                    error,
                    slope,
                    standard_error,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Figure1 {
        config: config.clone(),
        tau_star: limit.tau.value,
        panels,
        slopes,
    })
}

fn validate(c: &Figure1Config) -> Result<(), ConvergenceError> {
    if c.widths.is_empty() || c.seeds == 0 || c.blocks == 0 {
        return Err(ConvergenceError::Size {
            what: "the least of the widths, seeds and blocks",
            value: 0,
            why: "must be at least 1",
        });
    }
    match c.widths.iter().find(|&&n| n == 0 || n % c.blocks != 0) {
        Some(&n) => Err(ConvergenceError::Size {
            what: "width",
            value: n,
            why: "is not a positive multiple of the display blocks",
        }),
        None => Ok(()),
    }
}

fn panel(
    config: &Figure1Config,
    fsm: &Fsm,
    limit: &LimitGraphon,
    n: usize,
    seed: MasterSeed,
    progress: &mut dyn FnMut(usize),
) -> Result<Panel, Error> {
    let spec = MaskSpec::new(n, n, config.density, &fsm.row, &fsm.col)?;
    let hint = Some(threshold_window(&spec, fsm.noise.law(), 1e-9)?);
    let k = config.blocks;
    let side = n / k;
    let mut block_sums = vec![0u64; k * k];
    let mut counts = vec![0u32; n * n];
    for r in 0..config.seeds {
        let prefix = format!("FIG1/n={n}/d={n}/rep={r}");
        let mask = sample_mask_for(&spec, &fsm.noise, seed, &prefix, hint)?;
        accumulate_blocks(&mut block_sums, &mask, side, side)?;
        accumulate(&mut counts, &mask)?;
        progress(r + 1);
    }
    let per_block = (config.seeds * side * side) as f64;
    let mask_blocks = Mat::from_fn(k, k, |i, j| block_sums[i * k + j] as f64 / per_block);
    let graphon_blocks = graphon_blocks(limit, k)?;
    let diff = &mask_blocks - &graphon_blocks;
    let sq: f64 = (0..k)
        .flat_map(|i| (0..k).map(move |j| (i, j)))
        .map(|(i, j)| diff[(i, j)].powi(2))
        .sum();
    let linf = (0..k)
        .flat_map(|i| (0..k).map(move |j| (i, j)))
        .map(|(i, j)| diff[(i, j)].abs())
        .fold(0.0, f64::max);
    let (cut_lower, cut_upper) = cut_to_p(&spec, limit, &counts, config.seeds, seed, n)?;
    Ok(Panel {
        n,
        mask_blocks,
        graphon_blocks,
        l2: (sq / (k * k) as f64).sqrt(),
        linf,
        cut_lower,
        cut_upper,
    })
}

/// Block averages of W from its values at the midpoints of a finer grid.
fn graphon_blocks(limit: &LimitGraphon, k: usize) -> Result<Mat<f64>, Error> {
    let s = GRAPHON_SUBCELLS;
    let fine = limit.w_grid(k * s)?;
    Ok(Mat::from_fn(k, k, |i, j| {
        let mut sum = 0.0;
        for a in 0..s {
            for b in 0..s {
                sum += fine[(i * s + a, j * s + b)];
            }
        }
        sum / (s * s) as f64
    }))
}

/// The certified cut-norm interval of (seed-averaged mask − P) at width n.
fn cut_to_p(
    spec: &MaskSpec,
    limit: &LimitGraphon,
    counts: &[u32],
    seeds: usize,
    seed: MasterSeed,
    n: usize,
) -> Result<(f64, f64), Error> {
    let law = limit.fsm.noise.law();
    let tau = limit.tau.value;
    let a = Mat::from_fn(n, n, |i, j| {
        let scale = spec.phi()[i] * spec.psi()[j];
        let p = if scale > 0.0 {
            law.tail(tau / scale)
        } else {
            0.0
        };
        counts[i * n + j] as f64 / seeds as f64 - p
    });
    let mut rng = seed.stream(&format!("FIG1/n={n}/d={n}/cut-norm"));
    let cut = cut_norm(a.as_ref(), &CutNormOptions::default(), &mut rng)?;
    Ok((cut.lower, cut.upper))
}
/// Least-squares slope of log y against log x, with its standard error.
///
/// ```
/// use pai_graphon::convergence::figure1::loglog_slope;
/// let xs = [1.0, 4.0, 16.0];
/// let ys: Vec<f64> = xs.iter().map(|x: &f64| 3.0 / x.sqrt()).collect();
/// let (slope, se) = loglog_slope(&xs, &ys);
/// // ys are exact (3, 1.5, 0.75); each ln errs by one ulp (ln 1 = 0 exactly). In units of u:
/// // those errors move the exact fit's slope by < 3.9 and its residuals by < 4.6 in norm
/// // (the residuals are a projection of the perturbation); the means' errors leave the centred
/// // sums unchanged to first order but shift each residual by < 2.8; the slope's ten
/// // roundings (sxy: two deviations, a product, two additions; sxx: a deviation, a square, two
/// // additions; the quotient) cost 5, or 6.9 in a residual at |x − x̄| = 2 ln 2; each
/// // residual's own three roundings 2.1. So |slope + ½| < 9, the residuals' norm is below
/// // 4.6 + √3 (2.8 + 6.9 + 2.1) < 25, and se < 25/sqrt(sxx) < 12.7 with sxx = 8 ln² 2.
/// let gamma = |n| pai_graphon::tol::gamma(n).unwrap();
/// assert!((slope + 0.5).abs() <= gamma(20) * 0.5 && se <= gamma(14));
/// assert!(loglog_slope(&xs[..2], &ys[..2]).1.is_nan()); // two points leave no residual
/// ```
pub fn loglog_slope(xs: &[f64], ys: &[f64]) -> (f64, f64) {
    let lx: Vec<f64> = xs.iter().map(|x| x.ln()).collect();
    let ly: Vec<f64> = ys.iter().map(|y| y.ln()).collect();
    let k = lx.len() as f64;
    let (mx, my) = (lx.iter().sum::<f64>() / k, ly.iter().sum::<f64>() / k);
    let sxx: f64 = lx.iter().map(|x| (x - mx).powi(2)).sum();
    let sxy: f64 = lx.iter().zip(&ly).map(|(x, y)| (x - mx) * (y - my)).sum();
    let slope = sxy / sxx;
    let rss: f64 = lx
        .iter()
        .zip(&ly)
        .map(|(x, y)| (y - my - slope * (x - mx)).powi(2))
        .sum();
    let se = if k > 2.0 {
        (rss / (k - 2.0) / sxx).sqrt()
    } else {
        f64::NAN
    };
    (slope, se)
}
