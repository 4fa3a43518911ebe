//! `pai-graphon limit`: print the limit graphon's numbers; optionally write W on a grid.

use crate::{write_outputs, CommandFailure as Failure};
use crate::{FormatOpt, FsmOpt};
use pai_graphon::convergence::limit::{Bracketed, LimitGraphon, GRID_MAX};
use pai_graphon::params::Density;
use pai_graphon::plot::{heatmap, HeatmapSpec};
use pai_graphon::report::{sig, Format};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Cells per axis of the monotone bracket of t(C4) (its cost grows like the cube); `--grid`
/// raises it up to its maximum `GRID_MAX`.
const C4_BRACKET_CELLS: usize = 256;

/// `limit`'s options (the command's doc is in main.rs).
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub fsm: FsmOpt,
    /// Density ρ in (0, 1).
    #[arg(long, allow_negative_numbers = true)]
    pub density: Density,
    /// Also solve τ* with MPFR at this precision (feature `mpfr`).
    #[arg(long)]
    pub prec: Option<u32>,
    /// Grid cells per axis for the degree functions, t(C4) and the CSV/heat map.
    #[arg(long, default_value_t = 16)]
    pub grid: usize,
    #[command(flatten)]
    pub format: FormatOpt,
    /// Write W on the grid (w.csv) and a heat map (w.png, w.svg) into this folder.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Serialize)]
struct Interval {
    value: f64,
    lo: f64,
    hi: f64,
}

impl From<Bracketed> for Interval {
    fn from(b: Bracketed) -> Self {
        Interval {
            value: b.value,
            lo: b.lo,
            hi: b.hi,
        }
    }
}

#[derive(Serialize)]
struct Summary {
    row_profile: String,
    col_profile: String,
    noise: String,
    density: f64,
    tau_star: f64,
    tau_star_interval: (f64, f64),
    tau_star_mpfr: Option<String>,
    density_check: Interval,
    c4_density: Interval,
    c4_minus_rho4: Interval,
    grid_positions: Vec<f64>,
    row_degrees: Vec<Interval>,
    col_degrees: Vec<Interval>,
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let (format, out) = (args.format.get(), args.out.as_deref());
    crate::plan_dir(out, &["w.csv", "w.png", "w.svg"])?;
    if args.grid == 0 {
        return Err(Failure::Message("--grid must be at least 1".into()));
    }
    if args.grid > GRID_MAX {
        return Err(Failure::Message(format!(
            "--grid {} exceeds its maximum {GRID_MAX} (a k×k grid holds 8 k² bytes, its CSV about 25 k², and the t(C4) bracket costs O(k³))",
            args.grid
        )));
    }
    let fsm = args.fsm.parse()?;
    let limit = fsm.limit_graphon(args.density)?;
    let summary = summarise(args, &limit)?;
    if let Some(dir) = out {
        write_grid(&limit, args.grid, dir)?;
    }
    match format {
        Format::Json => crate::output::emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?
        )),
        _ => crate::output::emit(&table(&summary)),
    }
}

fn summarise(args: &Args, limit: &LimitGraphon) -> Result<Summary, Failure> {
    let rho4 = args.density.get().powi(4);
    // The t(C4) bracket comes from a grid of its own, fine enough to be informative.
    let c4 = limit.c4_density(args.grid.max(C4_BRACKET_CELLS))?;
    let k = args.grid;
    let positions: Vec<f64> = (0..k).map(|i| (i as f64 + 0.5) / k as f64).collect();
    let rows = positions
        .iter()
        .map(|&u| limit.row_degree(u).map(Interval::from))
        .collect::<Result<Vec<_>, _>>()?;
    let cols = positions
        .iter()
        .map(|&v| limit.col_degree(v).map(Interval::from))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Summary {
        row_profile: args.fsm.row_profile.clone(),
        col_profile: args.fsm.col_profile.clone(),
        noise: args.fsm.noise.clone(),
        density: args.density.get(),
        tau_star: limit.tau.value,
        tau_star_interval: limit.tau.interval,
        tau_star_mpfr: mpfr_tau(args)?,
        density_check: limit.density_check().into(),
        // t(C4) ≥ ρ⁴ is proved (t(C4) ≥ t(K2)⁴), so the lower end is at least 0
        c4_minus_rho4: Interval {
            value: (c4.value - rho4).max(0.0),
            lo: (c4.lo - rho4).max(0.0),
            hi: (c4.hi - rho4).max(0.0),
        },
        c4_density: c4.into(),
        grid_positions: positions,
        row_degrees: rows,
        col_degrees: cols,
    })
}

#[cfg(feature = "mpfr")]
fn mpfr_tau(args: &Args) -> Result<Option<String>, Failure> {
    let Some(prec) = args.prec else {
        return Ok(None);
    };
    let fsm = args.fsm.parse()?;
    // ρ enters the MPFR solve as the decimal the user typed (shortest round-trip of the f64).
    let tau = pai_graphon::mp::limit::tau_star_mp(&fsm, &args.density.get().to_string(), prec)?;
    Ok(Some(format!(
        "{:.45} (agreement with {} bits and {} nodes: {:.2e})",
        tau.value,
        tau.prec + 64,
        tau.nodes.1,
        tau.error_estimate.to_f64()
    )))
}

#[cfg(not(feature = "mpfr"))]
fn mpfr_tau(args: &Args) -> Result<Option<String>, Failure> {
    match args.prec {
        None => Ok(None),
        Some(_) => Err(Failure::Message(
            "--prec needs MPFR: rebuild with --features mpfr (needs m4)".into(),
        )),
    }
}

fn interval(b: &Interval) -> String {
    format!(
        "{} [{}, {}]",
        sig(b.value, 10),
        sig(b.lo, 10),
        sig(b.hi, 10)
    )
}

fn table(s: &Summary) -> String {
    let mut t = format!(
        "model      φ = {}, ψ = {}, noise {}, ρ = {}\n",
        s.row_profile, s.col_profile, s.noise, s.density
    );
    t += &format!(
        "tau_star   {} certified in [{}, {}]\n",
        sig(s.tau_star, 15),
        sig(s.tau_star_interval.0, 15),
        sig(s.tau_star_interval.1, 15)
    );
    if let Some(m) = &s.tau_star_mpfr {
        t += &format!("tau_star (MPFR) {m}\n");
    }
    t += &format!(
        "∫∫W        {}  (must contain ρ)\n",
        interval(&s.density_check)
    );
    t += &format!("t(C4)      {}\n", interval(&s.c4_density));
    t += &format!(
        "t(C4) − ρ⁴ {}  (0 iff W is constant)\n",
        interval(&s.c4_minus_rho4)
    );
    t += "\nposition   q(u) = ∫W(u,v)dv   p(v) = ∫W(u,v)du\n";
    for ((x, q), p) in s
        .grid_positions
        .iter()
        .zip(&s.row_degrees)
        .zip(&s.col_degrees)
    {
        t += &format!(
            "{:<10} {:<18} {}\n",
            sig(*x, 4),
            sig(q.value, 6),
            sig(p.value, 6)
        );
    }
    t
}

fn write_grid(limit: &LimitGraphon, k: usize, dir: &Path) -> Result<(), Failure> {
    let w = limit.w_grid(k)?;
    let mut csv = String::from(
        "# W(u_i, v_j) at cell midpoints; rows i: u = (i + 1/2)/k, columns j: v = (j + 1/2)/k\n",
    );
    for i in 0..k {
        let row: Vec<String> = (0..k).map(|j| format!("{:.17e}", w[(i, j)])).collect();
        csv += &row.join(",");
        csv += "\n";
    }
    let mut spec = HeatmapSpec::new(
        &format!("limit graphon W(u, v), ρ = {}", limit.rho),
        0.0,
        1.0,
    );
    spec.colorbar_label = "W = P(edge kept)".into();
    spec.claim_id = Some("CONV-3".into());
    let map = heatmap(w.as_ref(), &spec)?;
    write_outputs(dir, &[("w.csv", csv)], &[("w", &map)])
}
