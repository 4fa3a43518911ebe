//! `pai-graphon uat`: the constructive approximation on the active subspace at several widths
//! and ambient dimensions: wired counts with their Chernoff bound, held-out errors of a smooth
//! target of k active coordinates and of a target on an inactive coordinate (with its exact
//! floor); the table, and with `--out` a log-log error-vs-width plot, CSV and JSON.

use crate::SeedOpt;
use crate::{limited, write_outputs, CommandFailure as Failure, Progress};
use pai_graphon::approximation::curves::{curves, CurveSpec, Curves};
use pai_graphon::params;
use pai_graphon::plot::{loglog, LineSpec, Series, SeriesStyle};
use pai_graphon::report::sig;
use pai_graphon::seed::MasterSeed;
use std::path::PathBuf;

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

impl Args {
    /// The options as the library's validated spec.
    fn spec(&self) -> Result<CurveSpec, Failure> {
        let spec = CurveSpec::new(
            self.dims.clone(),
            self.k,
            self.widths.clone(),
            self.samples,
            self.p,
        )?;
        let entries = usize::try_from(spec.working_set()).unwrap_or(usize::MAX);
        params::fits_budget(
            "f64 entries of the fit (2 N d + N (n + 1) + 3 (n + 1)²)",
            &[entries],
            8,
        )?;
        Ok(spec)
    }
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let out = args.out.as_deref();
    crate::plan_dir(out, &["uat.json", "uat.csv", "uat.png", "uat.svg"])?;
    let report = compute(&args.spec()?, args.seed.master()?)?;
    if let Some(dir) = out {
        let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        let files = [("uat.json", json), ("uat.csv", csv(&report))];
        write_outputs(dir, &files, &[("uat", &plot(&report)?)])?;
    }
    crate::output::emit(&table(&report))
}

/// The curves of `spec`, with a progress line per dimension on a terminal.
pub(crate) fn compute(spec: &CurveSpec, seed: MasterSeed) -> Result<Curves, Failure> {
    let progress = Progress::on_terminal();
    let report = curves(spec, seed, &mut |line| progress.say(line))?;
    progress.done();
    Ok(report)
}

fn csv(r: &Curves) -> String {
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

fn table(r: &Curves) -> String {
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

pub(crate) fn plot(r: &Curves) -> Result<pai_graphon::plot::Rendered, Failure> {
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
