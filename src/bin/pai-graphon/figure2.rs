//! `pai-graphon figure2`: the complexity yᵀK⁻¹y (raw and scale-corrected) against the fraction
//! of randomised labels, homogeneous against SNIP-type graphon, one panel per density; images,
//! CSV and JSON with `--out`.

use crate::{write_outputs, CommandFailure as Failure};
use pai_graphon::net::data::{load, DataSpec};
use pai_graphon::ntk::figure2::{
    digit_pair, figure2, figure2_synthetic, synthetic_task, BinaryTask, Curve, Figure2,
    Figure2Config, ProfileLabels,
};
use pai_graphon::plot::{lines_grid, LineSpec, Rendered, Series, SeriesStyle};
use pai_graphon::report::sig;
use pai_graphon::seed::MasterSeed;
use std::io::IsTerminal;
use std::path::Path;

/// Rows of the synthetic task when `--samples` is not given.
const SYNTHETIC_SAMPLES: usize = 1000;
/// Stream label of the synthetic data set.
const DATA_LABEL: &str = "figure2/data";

pub struct Args<'a> {
    pub data: &'a str,
    pub pair: &'a [u8],
    pub samples: Option<usize>,
}

/// The task of `--data`, `--pair` and `--samples`.
pub(crate) fn task(args: &Args<'_>, seed: MasterSeed) -> Result<BinaryTask, Failure> {
    if args.samples == Some(0) {
        return Err(Failure::Message("--samples must be at least 1".into()));
    }
    let spec = match args.data {
        "mnist" => DataSpec::Mnist,
        "digits" => DataSpec::Digits { side: 8 },
        "synthetic" => {
            let spec = figure2_synthetic(args.samples.unwrap_or(SYNTHETIC_SAMPLES));
            return Ok(synthetic_task(&spec, seed, DATA_LABEL)?);
        }
        other => {
            return Err(Failure::Message(format!(
                "--data {other:?}: expected mnist, digits or synthetic"
            )))
        }
    };
    let &[a, b] = args.pair else {
        return Err(Failure::Message(format!(
            "--pair needs two digits a,b, got {} values",
            args.pair.len()
        )));
    };
    let set = load(&spec, seed, DATA_LABEL)?;
    Ok(digit_pair(&set, a, b, args.samples, seed)?)
}

pub fn run(
    args: &Args<'_>,
    config: &Figure2Config,
    seed: MasterSeed,
    out: Option<&Path>,
) -> Result<(), Failure> {
    let task = task(args, seed)?;
    // The N × N kernel's copies (params::KERNEL_SAMPLES), before anything N × N is allocated.
    let rows = task.y.len();
    pai_graphon::params::fits_budget("kernel entries", &[rows, rows], 64)?;
    let tty = std::io::stderr().is_terminal();
    let mut progress = |done: usize, total: usize| {
        if tty {
            crate::note(&format!("\r\x1b[2Kfigure 2: {done}/{total} densities"));
        }
    };
    let fig = figure2(config, &task, seed, &mut progress)?;
    if tty {
        crate::note("\r\x1b[2K");
    }
    if let Some(dir) = out {
        let json = serde_json::to_string_pretty(&fig).map_err(|e| e.to_string())?;
        let files = [("figure2.json", json), ("figure2.csv", csv(&fig))];
        write_outputs(dir, &files, &[("figure2", &plot(&fig)?)])?;
    }
    crate::output::emit(&table(&fig))
}

fn profile_note(fig: &Figure2) -> &'static str {
    match fig.config.profile {
        ProfileLabels::Clean => "SNIP profile |cov(x_j, y)| on the clean labels",
        ProfileLabels::Noisy => "SNIP profile |cov(x_j, y)| on the noisy labels",
    }
}

fn csv(fig: &Figure2) -> String {
    let mut s = String::from(
        "density,graphon,noise,seeds,raw_mean,raw_sd,corrected_mean,corrected_sd,scale_mean\n",
    );
    for c in &fig.curves {
        for p in &c.points {
            let scale = p.scale.iter().sum::<f64>() / p.scale.len() as f64;
            s += &format!(
                "{},{},{},{},{:e},{:e},{:e},{:e},{:e}\n",
                c.density,
                c.graphon.name(),
                p.noise,
                p.raw.len(),
                p.raw_mean,
                p.raw_sd,
                p.corrected_mean,
                p.corrected_sd,
                scale
            );
        }
    }
    s
}

fn table(fig: &Figure2) -> String {
    let pair = fig
        .task
        .pair
        .map(|(a, b)| format!(" (digit {a} → +1, {b} → −1)"))
        .unwrap_or_default();
    let mut s = format!(
        "Figure 2: {}{pair}, N = {} (duplicates removed: {}), d = {}, {} seeds, {}\n",
        fig.task.name,
        fig.samples,
        fig.task.duplicates_removed,
        fig.d,
        fig.config.seeds,
        profile_note(fig)
    );
    let (first, last) = (0, fig.config.noise_levels.len() - 1);
    let (f0, f1) = (
        fig.config.noise_levels[first],
        fig.config.noise_levels[last],
    );
    s += &format!(
        "density  graphon      scale       raw f={f0:<5} raw f={f1:<5} corrected f={f0:<5} corrected f={f1}\n"
    );
    for c in &fig.curves {
        let (p0, p1) = (&c.points[first], &c.points[last]);
        let mark = if c.saturated { " (saturated)" } else { "" };
        s += &format!(
            "{:<8} {:<12} {:<11} {:<11} {:<11} {:<17} {}{mark}\n",
            c.density,
            c.graphon.name(),
            sig(p0.scale[0], 4),
            sig(p0.raw_mean, 4),
            sig(p1.raw_mean, 4),
            sig(p0.corrected_mean, 4),
            sig(p1.corrected_mean, 4)
        );
    }
    s
}

/// One series per graphon with ±1 sample standard deviation bars over the seeds.
fn series(curve: &Curve, corrected: bool) -> Series {
    let xs: Vec<f64> = curve.points.iter().map(|p| p.noise).collect();
    let (ys, sd): (Vec<f64>, Vec<f64>) = curve
        .points
        .iter()
        .map(|p| {
            if corrected {
                (p.corrected_mean, p.corrected_sd)
            } else {
                (p.raw_mean, p.raw_sd)
            }
        })
        .unzip();
    let lo = ys.iter().zip(&sd).map(|(y, e)| y - e).collect();
    let hi = ys.iter().zip(&sd).map(|(y, e)| y + e).collect();
    let name = match (curve.graphon.name(), curve.saturated) {
        ("snip", true) => "SNIP-type (saturated)".to_string(),
        ("snip", false) => "SNIP-type".to_string(),
        _ => "homogeneous".to_string(),
    };
    Series::new(&name, xs, ys, SeriesStyle::LineMarkers).with_error_bars(lo, hi)
}

pub(crate) fn plot(fig: &Figure2) -> Result<Rendered, Failure> {
    let densities = &fig.config.densities;
    let mut panels = Vec::new();
    for corrected in [false, true] {
        for pair in fig.curves.chunks(2) {
            let what = if corrected {
                "s·yᵀK⁻¹y"
            } else {
                "yᵀK⁻¹y"
            };
            panels.push((
                format!("{what}, ρ = {}", pair[0].density),
                pair.iter().map(|c| series(c, corrected)).collect(),
            ));
        }
    }
    let mut spec = LineSpec::new(
        &format!(
            "Figure 2: {}, N = {}: complexity vs randomised labels (mean ± sd over {} seeds; {})",
            fig.task.name,
            fig.samples,
            fig.config.seeds,
            profile_note(fig)
        ),
        "fraction of randomised labels f",
        "complexity",
    );
    spec.claim_id = Some("NTK-10".into());
    spec.width = (420 * densities.len() as u32).clamp(840, 4000);
    spec.height = 1000;
    Ok(lines_grid(&panels, densities.len(), &spec)?)
}
