//! `pai-graphon uat`: the constructive approximation on the active subspace at several widths
//! and ambient dimensions: wired counts with their Chernoff bound, held-out errors of a smooth
//! target of k active coordinates and of a target on an inactive coordinate (with its exact
//! floor); the table, and with `--out` a log-log error-vs-width plot, CSV and JSON.

use crate::SeedOpt;
use crate::{limited, write_outputs, CommandFailure as Failure, Progress};
use pai_graphon::approximation::fit::{held_out, Reach, Target};
use pai_graphon::approximation::wiring::{
    band_coordinate, position, wired_lower_bound, WiringGraphon, ACTIVE_BANDS, INACTIVE_BAND,
};
use pai_graphon::params;
use pai_graphon::plot::{loglog, LineSpec, Series, SeriesStyle};
use pai_graphon::report::sig;
use pai_graphon::seed::MasterSeed;
use serde::Serialize;
use std::path::PathBuf;

/// Failure probability of the printed Chernoff bounds (per width).
const CHERNOFF_DELTA: f64 = 1e-4;

/// `uat`'s options (the command's doc is in main.rs).
#[derive(clap::Args)]
pub struct Args {
    /// Ambient dimensions (multiples of 8), comma separated.
    #[arg(long = "d", value_delimiter = ',', default_values_t = [32, 256],
          value_parser = limited(params::DIMENSION))]
    pub dims: Vec<usize>,
    /// Active coordinates of the smooth target (1 to 6).
    #[arg(long, default_value_t = 2)]
    pub k: usize,
    /// Widths, comma separated.
    #[arg(long, value_delimiter = ',', default_values_t = [16, 32, 64, 128, 256, 512, 1024],
          value_parser = limited(params::FEATURES))]
    pub widths: Vec<usize>,
    /// Training points (and as many held-out points).
    #[arg(long, default_value_t = 20_000, value_parser = limited(params::DATA_SAMPLES))]
    pub samples: usize,
    /// Edge probability p on the active block.
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    pub p: f64,
    #[command(flatten)]
    pub seed: SeedOpt,
    /// Write uat.png/svg, uat.csv and uat.json into this folder.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// One target at one ambient dimension.
#[derive(Serialize)]
struct Curve {
    d: usize,
    target: String,
    variance: f64,
    floor: f64,
    widths: Vec<usize>,
    errors: Vec<f64>,
    wired: Vec<usize>,
    chernoff: Vec<f64>,
}

#[derive(Serialize)]
pub(crate) struct Report {
    k: usize,
    p: f64,
    samples: usize,
    graphon: String,
    curves: Vec<Curve>,
}

fn check(args: &Args) -> Result<Vec<usize>, Failure> {
    let mut widths = args.widths.clone();
    widths.sort_unstable();
    widths.dedup();
    let bad = |m: String| Err(Failure::Message(m));
    if widths.is_empty() || widths[0] == 0 {
        return bad("--widths must be positive".into());
    }
    if args.dims.is_empty() || args.dims.iter().any(|&d| d == 0 || d % 8 != 0) {
        return bad(format!(
            "--d {:?}: each must be a positive multiple of 8",
            args.dims
        ));
    }
    if args.k == 0 || args.k > INACTIVE_BAND {
        return bad(format!("--k {}: need 1 to {INACTIVE_BAND}", args.k));
    }
    if args.samples < 2 {
        return bad(format!("--samples {}: need at least 2", args.samples));
    }
    if !(args.p > 0.0 && args.p <= 1.0) {
        return bad(format!("--p {}: need 0 < p ≤ 1", args.p));
    }
    // The working set of `held_out` at the largest d and width n, in f64: train and held-out
    // inputs 2 N d, the design N (n + 1), the Gram matrix, its shifted copy and its factor
    // 3 (n + 1)².
    let (n, d) = (
        widths[widths.len() - 1] as u64 + 1,
        *args.dims.iter().max().unwrap_or(&0) as u64,
    );
    let big = args.samples as u64;
    let entries = (2 * big * d)
        .saturating_add(big.saturating_mul(n))
        .saturating_add(3 * n * n);
    pai_graphon::params::fits_budget(
        "f64 entries of the fit (2 N d + N (n + 1) + 3 (n + 1)²)",
        &[usize::try_from(entries).unwrap_or(usize::MAX)],
        8,
    )?;
    Ok(widths)
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let out = args.out.as_deref();
    crate::plan_dir(out, &["uat.json", "uat.csv", "uat.png", "uat.svg"])?;
    let report = compute(args, args.seed.master()?)?;
    if let Some(dir) = out {
        let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        let files = [("uat.json", json), ("uat.csv", csv(&report))];
        write_outputs(dir, &files, &[("uat", &plot(&report)?)])?;
    }
    crate::output::emit(&table(&report))
}

/// The fits, wired counts and bounds of every curve.
pub(crate) fn compute(args: &Args, seed: MasterSeed) -> Result<Report, Failure> {
    let widths = check(args)?;
    let bands = args.k.max(ACTIVE_BANDS);
    let graphon = WiringGraphon::Block { p: args.p, bands };
    let progress = Progress::on_terminal();
    let mut curves = Vec::new();
    for &d in &args.dims {
        progress.say(&format!(
            "uat: d = {d}, widths up to {}",
            widths[widths.len() - 1]
        ));
        let j: Vec<usize> = (0..args.k)
            .map(|r| band_coordinate(r, d))
            .collect::<Result<_, _>>()?;
        let off = band_coordinate(INACTIVE_BAND, d)?;
        let targets = [
            Target::SinProduct(j.clone()),
            Target::CosPlusSquare(j[0], off),
        ];
        let fit = held_out(
            &graphon,
            d,
            &targets,
            &widths,
            args.samples,
            seed,
            &format!("uat/d={d}"),
        )?;
        for (t, target) in targets.iter().enumerate() {
            // The edge floor of the target's coordinates (0 on an inactive one: no bound).
            let coords = target.coords();
            let floor_p = coords
                .iter()
                .map(|&c| graphon.w(0.5, position(c, d)))
                .fold(1.0, f64::min);
            let chernoff = widths
                .iter()
                .map(|&n| Ok(wired_lower_bound(n, floor_p, coords.len(), CHERNOFF_DELTA)?.1))
                .collect::<Result<Vec<f64>, pai_graphon::Error>>()?;
            curves.push(Curve {
                d,
                target: name(target),
                variance: target.variance(),
                floor: target.floor(&Reach::Joint(j.clone())),
                widths: widths.clone(),
                errors: fit.errors[t].clone(),
                wired: fit.wired[t].clone(),
                chernoff,
            });
        }
    }
    progress.done();
    let report = Report {
        k: args.k,
        p: args.p,
        samples: args.samples,
        graphon: format!(
            "W = {} on bands 0–{} of 8 (v < {}/8), 0 elsewhere",
            args.p,
            bands - 1,
            bands
        ),
        curves,
    };
    Ok(report)
}

fn name(t: &Target) -> String {
    match t {
        Target::SinProduct(c) => format!("smooth: Π sin(π x_j), j ∈ {c:?}"),
        Target::CosPlusSquare(a, b) => format!("inactive: cos(π x_{a}) + x_{b}²"),
        Target::Product(a, b) => format!("x_{a} x_{b}"),
    }
}

fn csv(r: &Report) -> String {
    let mut s =
        String::from("d,target,width,error,error_over_variance,floor,wired,chernoff_bound\n");
    for c in &r.curves {
        for (w, ((e, n), b)) in c
            .widths
            .iter()
            .zip(c.errors.iter().zip(&c.wired).zip(&c.chernoff))
        {
            s += &format!(
                "{},\"{}\",{w},{e:e},{:e},{:e},{n},{b:e}\n",
                c.d,
                c.target,
                e / c.variance,
                c.floor
            );
        }
    }
    s
}

fn table(r: &Report) -> String {
    let mut s = format!(
        "UAT construction: k = {}, {}; N = {} training and {} held-out points\n",
        r.k, r.graphon, r.samples, r.samples
    );
    for c in &r.curves {
        s += &format!(
            "d = {}, {} (variance {}, exact floor {})\n  width  wired  chernoff  error       error/var\n",
            c.d,
            c.target,
            sig(c.variance, 4),
            sig(c.floor, 4)
        );
        for (w, ((e, n), b)) in c
            .widths
            .iter()
            .zip(c.errors.iter().zip(&c.wired).zip(&c.chernoff))
        {
            s += &format!(
                "  {w:<6} {n:<6} {:<9} {:<11} {}\n",
                sig(*b, 4),
                sig(*e, 4),
                sig(e / c.variance, 4)
            );
        }
    }
    s
}

pub(crate) fn plot(r: &Report) -> Result<pai_graphon::plot::Rendered, Failure> {
    let mut series: Vec<Series> = r
        .curves
        .iter()
        .map(|c| {
            let xs = c.widths.iter().map(|&w| w as f64).collect();
            let ys = c.errors.iter().map(|e| e / c.variance).collect();
            Series::new(
                &format!("d = {}, {}", c.d, c.target),
                xs,
                ys,
                SeriesStyle::LineMarkers,
            )
        })
        .collect();
    if let Some(c) = r.curves.iter().find(|c| c.floor > 0.0) {
        let xs: Vec<f64> = c.widths.iter().map(|&w| w as f64).collect();
        let ys = vec![c.floor / c.variance; xs.len()];
        series.push(Series::new(
            "exact floor of the inactive target",
            xs,
            ys,
            SeriesStyle::Line,
        ));
    }
    let mut spec = LineSpec::new(
        &format!(
            "held-out error / variance against width (k = {}, N = {})",
            r.k, r.samples
        ),
        "width n",
        "error / Var g",
    );
    spec.claim_id = Some("UAT-2".into());
    Ok(loglog(&series, &spec)?)
}
