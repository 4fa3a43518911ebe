//! `pai-graphon figure2`: the complexity yᵀK⁻¹y (raw and scale-corrected) against the fraction
//! of randomised labels, homogeneous against SNIP-type graphon, one panel per density; images,
//! CSV and JSON with `--out`.

use crate::SeedOpt;
use crate::{limited, write_outputs, CommandFailure as Failure, ProfileArg};
use pai_graphon::net::data::{load, DataSpec};
use pai_graphon::ntk::figure2::{
    digit_pair, figure2, figure2_synthetic, synthetic_task, BinaryTask, Curve, Figure2,
    Figure2Config, ProfileLabels,
};
use pai_graphon::params::{self, Density};
use pai_graphon::plot::{lines_grid, LineSpec, Rendered, Series, SeriesStyle};
use pai_graphon::report::sig;
use pai_graphon::seed::MasterSeed;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Rows of the synthetic task when `--samples` is not given.
const SYNTHETIC_SAMPLES: usize = 1000;
/// Stream label of the synthetic data set.
const DATA_LABEL: &str = "figure2/data";

/// `figure2`'s options (the command's doc is in main.rs).
#[derive(clap::Args)]
pub struct Args {
    /// mnist or digits (a digit pair, see --pair) or synthetic (8 of 64 coordinates carry the label).
    #[arg(long, default_value = "mnist")]
    pub data: String,
    /// The digit pair a,b (a → +1, b → −1) for mnist and digits.
    #[arg(long, value_delimiter = ',', default_values_t = [3, 8])]
    pub pair: Vec<u8>,
    /// Rows per digit, a seeded draw from each digit (streams data/subset/SET/label=D/n=N;
    /// default: all rows), or rows of the synthetic task (default 1000); at most 8192.
    #[arg(long, value_parser = limited(params::KERNEL_SAMPLES))]
    pub samples: Option<usize>,
    /// Densities ρ in (0, 1), one panel each, comma separated.
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true,
          default_values_t = Figure2Config::default().densities)]
    pub densities: Vec<Density>,
    /// Fractions of randomised labels in [0, 1], comma separated (default 0, 0.1, …, 1).
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    pub noise_levels: Option<Vec<f64>>,
    /// Label seeds per noise level (at most 10000).
    #[arg(long, default_value_t = 10, value_parser = limited(params::SEEDS))]
    pub seeds: usize,
    /// Labels the SNIP profile |cov(x_j, y)| is computed on.
    #[arg(long, value_enum, default_value_t = ProfileArg::Clean)]
    pub profile_labels: ProfileArg,
    #[command(flatten)]
    pub seed: SeedOpt,
    /// Write figure2.png/svg, figure2.csv and figure2.json into this folder.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// The task of `--data`, `--pair` and `--samples`.
pub(crate) fn task(
    data: &str,
    pair: &[u8],
    samples: Option<usize>,
    seed: MasterSeed,
) -> Result<BinaryTask, Failure> {
    if samples == Some(0) {
        return Err(Failure::Message("--samples must be at least 1".into()));
    }
    let spec = match data {
        "mnist" => DataSpec::Mnist,
        "digits" => DataSpec::Digits { side: 8 },
        "synthetic" => {
            let spec = figure2_synthetic(samples.unwrap_or(SYNTHETIC_SAMPLES));
            return Ok(synthetic_task(&spec, seed, DATA_LABEL)?);
        }
        other => {
            return Err(Failure::Message(format!(
                "--data {other:?}: expected mnist, digits or synthetic"
            )))
        }
    };
    let &[a, b] = pair else {
        return Err(Failure::Message(format!(
            "--pair needs two digits a,b, got {} values",
            pair.len()
        )));
    };
    let set = load(&spec, seed, DATA_LABEL)?;
    Ok(digit_pair(&set, a, b, samples, seed)?)
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let out = args.out.as_deref();
    crate::plan_dir(
        out,
        &["figure2.json", "figure2.csv", "figure2.png", "figure2.svg"],
    )?;
    let seed = args.seed.master()?;
    let mut config = Figure2Config {
        densities: args.densities.clone(),
        seeds: args.seeds,
        profile: match args.profile_labels {
            ProfileArg::Clean => ProfileLabels::Clean,
            ProfileArg::Noisy => ProfileLabels::Noisy,
        },
        ..Default::default()
    };
    if let Some(levels) = &args.noise_levels {
        config.noise_levels = levels.clone();
    }
    let config = &config;
    let task = task(&args.data, &args.pair, args.samples, seed)?;
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
