//! `pai-graphon figure1`: the seed-averaged masks beside the limit graphon, and the errors
//! against n, as images, CSV and JSON.

use crate::SeedOpt;
use crate::{limited, write_outputs, CommandFailure as Failure};
use pai_graphon::convergence::figure1::{figure1, Figure1, Figure1Config};
use pai_graphon::params::{self, Density};
use pai_graphon::plot::{heatmap_grid, loglog, HeatmapSpec, LineSpec, Series, SeriesStyle};
use pai_graphon::report::sig;
use std::io::IsTerminal;
use std::path::PathBuf;

/// `figure1`'s options (the command's doc is in main.rs).
#[derive(clap::Args)]
pub struct Args {
    /// Widths n = d, comma separated (each a multiple of --blocks; at most 16384).
    #[arg(long, value_delimiter = ',', default_values_t = [200, 500, 1000, 2000, 4000],
          value_parser = limited(params::SQUARE_WIDTH))]
    pub widths: Vec<usize>,
    /// Seeds averaged at each width (at most 10000).
    #[arg(long, default_value_t = 100, value_parser = limited(params::SEEDS))]
    pub seeds: usize,
    /// Density ρ in (0, 1).
    #[arg(long, default_value = "0.2", allow_negative_numbers = true)]
    pub density: Density,
    /// Display blocks per axis (at most 181; 2 × blocks² × widths at most 65536).
    #[arg(long, default_value_t = 50, value_parser = limited(params::BLOCKS))]
    pub blocks: usize,
    #[command(flatten)]
    pub seed: SeedOpt,
    /// Output folder.
    #[arg(long, default_value = "figure1")]
    pub out: PathBuf,
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let out = args.out.as_path();
    crate::plan_dir(
        Some(out),
        &[
            "figure1.json",
            "figure1.csv",
            "figure1_panels.png",
            "figure1_panels.svg",
            "figure1_errors.png",
            "figure1_errors.svg",
        ],
    )?;
    let seed = args.seed.master()?;
    let config = &Figure1Config {
        widths: args.widths.clone(),
        seeds: args.seeds,
        density: args.density,
        blocks: args.blocks,
    };
    // The panels figure draws two blocks × blocks panels per width: refused now rather than
    // after every mask is drawn.
    let cells = (config.blocks * config.blocks).saturating_mul(2 * config.widths.len());
    if cells > pai_graphon::plot::MAX_CELLS {
        return Err(Failure::Message(format!(
            "--blocks {} with {} widths: the panels would draw {cells} heat-map cells, more \
             than a figure's {} (2 × blocks² per width)",
            config.blocks,
            config.widths.len(),
            pai_graphon::plot::MAX_CELLS
        )));
    }
    let tty = std::io::stderr().is_terminal();
    let mut progress = |done: usize, total: usize| {
        if tty {
            crate::note(&format!("\r\x1b[2Kfigure 1: {done}/{total} masks"));
        }
    };
    let fig = figure1(config, seed, &mut progress)?;
    if tty {
        crate::note("\r\x1b[2K");
    }
    let json = serde_json::to_string_pretty(&fig).map_err(|e| e.to_string())?;
    let files = [("figure1.json", json), ("figure1.csv", csv(&fig))];
    let figures = [
        ("figure1_panels", &panels(&fig)?),
        ("figure1_errors", &errors(&fig)?),
    ];
    write_outputs(out, &files, &figures)?;
    crate::output::emit(&table(&fig))
}

fn csv(fig: &Figure1) -> String {
    let mut s = String::from("n,block_l2,block_linf,cut_lower,cut_upper\n");
    for p in &fig.panels {
        s += &format!(
            "{},{:e},{:e},{:e},{:e}\n",
            p.n, p.l2, p.linf, p.cut_lower, p.cut_upper
        );
    }
    s
}

fn table(fig: &Figure1) -> String {
    let mut s = format!(
        "Figure 1: φ = ψ = e^(3u), gaussian noise, ρ = {}, {} seeds, τ* = {}\n",
        fig.config.density,
        fig.config.seeds,
        sig(fig.tau_star, 10)
    );
    s += "n       block L2   block L∞   cut lower  cut upper\n";
    for p in &fig.panels {
        s += &format!(
            "{:<7} {:<10} {:<10} {:<10} {}\n",
            p.n,
            sig(p.l2, 4),
            sig(p.linf, 4),
            sig(p.cut_lower, 4),
            sig(p.cut_upper, 4)
        );
    }
    for sl in &fig.slopes {
        s += &format!(
            "slope of {:<15} {} ± {}\n",
            sl.error,
            sig(sl.slope, 3),
            sig(sl.standard_error, 2)
        );
    }
    s
}

pub(crate) fn panels(fig: &Figure1) -> Result<pai_graphon::plot::Rendered, Failure> {
    let mut list = Vec::new();
    for p in &fig.panels {
        list.push((format!("masks, n = {}", p.n), p.mask_blocks.clone()));
        list.push((format!("graphon W, n = {}", p.n), p.graphon_blocks.clone()));
    }
    let mut spec = HeatmapSpec::new(
        &format!(
            "Figure 1: seed-averaged masks ({} seeds) beside W, ρ = {}",
            fig.config.seeds, fig.config.density
        ),
        0.0,
        1.0,
    );
    spec.claim_id = Some("CONV-3".into());
    spec.colorbar_label = "kept fraction".into();
    spec.width = 1400;
    spec.height = 420 * fig.panels.len().div_ceil(2).max(1) as u32;
    Ok(heatmap_grid(&list, 4, &spec)?)
}

pub(crate) fn errors(fig: &Figure1) -> Result<pai_graphon::plot::Rendered, Failure> {
    let xs: Vec<f64> = fig.panels.iter().map(|p| p.n as f64).collect();
    let pick = |f: fn(&pai_graphon::convergence::figure1::Panel) -> f64| -> Vec<f64> {
        fig.panels.iter().map(f).collect()
    };
    let series = vec![
        Series::new(
            "block-averaged L2",
            xs.clone(),
            pick(|p| p.l2),
            SeriesStyle::LineMarkers,
        ),
        Series::new(
            "block-averaged L∞",
            xs.clone(),
            pick(|p| p.linf),
            SeriesStyle::LineMarkers,
        ),
        Series::new(
            "cut norm, certified upper",
            xs.clone(),
            pick(|p| p.cut_upper),
            SeriesStyle::LineMarkers,
        ),
        Series::new(
            "cut norm, certified lower",
            xs.clone(),
            pick(|p| p.cut_lower),
            SeriesStyle::Dashed,
        ),
    ];
    let mut spec = LineSpec::new(
        "Figure 1: distance of the seed-averaged mask to the limit, against width",
        "width n = d (log scale)",
        "distance (fraction of entries, log scale)",
    );
    spec.claim_id = Some("CONV-3".into());
    Ok(loglog(&series, &spec)?)
}
