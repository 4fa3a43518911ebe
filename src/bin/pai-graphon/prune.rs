//! `pai-graphon prune`: prune the one-hidden-layer network at initialisation and print the mask's
//! statistics; optionally write the degree-sorted mask, the kept-input map and stats.json.

use crate::output::{commit, emit, Plan};
use crate::Progress;
use crate::{limited, output_files, CommandFailure as Failure, FormatArg};
use crate::{FormatOpt, SeedOpt};
use pai_graphon::mask::{KeptCount, Mask};
use pai_graphon::net::criteria::{prune, Method, PruneSpec, Pruned, Residual};
use pai_graphon::net::data::{load, DataSet, DataSpec};
use pai_graphon::net::network::Network;
use pai_graphon::npy::{encode_f32, encode_f64, encode_u8, read_f64};
use pai_graphon::params::{self, Density};
use pai_graphon::plot::{degree_sorted_blocks, heatmap, HeatmapSpec, Rendered};
use pai_graphon::report::{sig, Format};
use pai_graphon::seed::MasterSeed;
use pai_graphon::taxonomy::summary::{summarise, Degrees, Summary};
use std::path::{Path, PathBuf};

/// Most display blocks per axis of the mask heat map.
const MAX_DISPLAY_BLOCKS: usize = 256;

use pai_graphon::net::criteria::{PRUNE_DATA_LABEL as DATA_LABEL, PRUNE_LABEL as LABEL};

/// `prune`'s options (the command's doc is in main.rs).
#[derive(clap::Args)]
pub struct Args {
    /// random, magnitude, snip, snip-centred, grasp, grasp-magnitude or synflow.
    #[arg(long)]
    pub method: String,
    /// digits, digits16, digits24, digits32, mnist, synthetic or synthetic:key=value,...
    #[arg(long)]
    pub data: String,
    /// Hidden width n (at most 2^20).
    #[arg(long, value_parser = limited(params::WIDTH))]
    pub width: usize,
    /// Kept fraction ρ in (0, 1).
    #[arg(long, allow_negative_numbers = true)]
    pub density: Density,
    /// Pruning batch size (default: the whole data set).
    #[arg(long, value_parser = limited(params::BATCH))]
    pub batch: Option<usize>,
    #[command(flatten)]
    pub seed: SeedOpt,
    /// SNIP's residual: plain (f(x) − y) or centred (−y, the initial output removed).
    #[arg(long, value_enum)]
    pub snip_residual: Option<ResidualArg>,
    /// Pruning rounds (1 = single shot; synflow with 100 = iterative SynFlow; at most 10000).
    #[arg(long, default_value_t = 1, value_parser = limited(params::ROUNDS))]
    pub rounds: usize,
    /// Kept count: round (round(ρnd), ties to the smaller index) or synaptic-flow
    /// (N − int((1 − ρ)N), every tie at the threshold pruned).
    #[arg(long, default_value = "round", value_parser = KeptCount::parse)]
    pub kept_count: KeptCount,
    #[command(flatten)]
    pub format: FormatOpt,
    /// Write mask.png/svg, inputs.png/svg (image data) and stats.json into this folder.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub files: Files,
}

/// The `.npy` files to read the initial weights from and to write arrays to.
#[derive(clap::Args, Default)]
pub struct Files {
    /// Write the first-layer mask (n × d, uint8 0/1) to this .npy file.
    #[arg(long)]
    pub save_mask: Option<PathBuf>,
    /// Write the last round's scores (n × d) to this .npy file.
    #[arg(long)]
    pub save_scores: Option<PathBuf>,
    /// Element type of --save-scores.
    #[arg(long, value_enum, default_value_t = ScoresDtype::Float64)]
    pub scores_dtype: ScoresDtype,
    /// Write the initial first-layer weights (n × d, float64) to this .npy file.
    #[arg(long)]
    pub save_weights: Option<PathBuf>,
    /// Write the initial readout weights (n, float64) to this .npy file.
    #[arg(long)]
    pub save_readout: Option<PathBuf>,
    /// Take the initial first-layer weights from this .npy file (n × d, float32 or float64)
    /// instead of drawing them.
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// Take the initial readout weights from this .npy file (n or 1 × n, float32 or
    /// float64) instead of drawing them.
    #[arg(long)]
    pub readout: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ResidualArg {
    /// r = f(x) − y.
    Plain,
    /// r = −y.
    Centred,
}

#[derive(Clone, Copy, Default, clap::ValueEnum)]
pub enum ScoresDtype {
    /// float32 (the scores rounded to nearest).
    Float32,
    /// float64 (the scores exactly).
    #[default]
    Float64,
}

/// Progress lines on stderr, only on a terminal.
pub fn run(args: &Args) -> Result<(), Failure> {
    let seed = args.seed.master()?;
    let (format, out) = (args.format.get(), args.out.as_deref());
    plan(args, out)?;
    let progress = Progress::on_terminal();
    let Pruning {
        data,
        net,
        pruned,
        summary,
    } = pruning(args, seed, &progress)?;
    let json = serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?;
    let figures = match out {
        Some(_) => {
            progress.say("drawing");
            Some(figures(&summary, &data, &pruned.mask)?)
        }
        None => None,
    };
    let mut files = match (out, figures) {
        (Some(dir), Some(figures)) => {
            let figures: Vec<(&str, &Rendered)> = figures.iter().map(|(s, f)| (*s, f)).collect();
            output_files(dir, &[("stats.json", format!("{json}\n"))], &figures)
        }
        _ => Vec::new(),
    };
    for (path, bytes) in arrays(&args.files, &net, &pruned)? {
        files.push((path.to_path_buf(), bytes));
    }
    progress.done();
    // Everything computed and encoded: the whole set is written at once, or nothing.
    commit(&files)?;
    match format {
        Format::Json => emit(&format!("{json}\n")),
        _ => emit(&table(&summary)),
    }
}

/// Validates every output path (and that no input is also an output) before computing.
fn plan(args: &Args, out: Option<&Path>) -> Result<(), Failure> {
    let mut plan = Plan::default();
    if let Some(dir) = out {
        let names = [
            "stats.json",
            "mask.png",
            "mask.svg",
            "inputs.png",
            "inputs.svg",
        ];
        plan.dir("--out", dir, &names)?;
    }
    let f = &args.files;
    let saved = [
        ("--save-mask", f.save_mask.as_deref()),
        ("--save-scores", f.save_scores.as_deref()),
        ("--save-weights", f.save_weights.as_deref()),
        ("--save-readout", f.save_readout.as_deref()),
    ];
    for (flag, path) in saved {
        if let Some(path) = path {
            plan.file(flag, path)?;
        }
    }
    for (flag, path) in [
        ("--weights", f.weights.as_deref()),
        ("--readout", f.readout.as_deref()),
    ] {
        if let Some(path) = path {
            plan.input(flag, path)?;
        }
    }
    Ok(())
}

/// The report's taxonomy figures: `method`'s mask on `data` (degree-sorted heat map and, for
/// image data, the kept-input map), streams and defaults as `prune`.
pub(crate) fn mask_figures(
    method: &str,
    data: &str,
    width: usize,
    density: Density,
    seed: MasterSeed,
) -> Result<Vec<(&'static str, Rendered)>, Failure> {
    // The defaults of `prune` (seed, format and out are the command line's, unused here).
    let args = Args {
        method: method.into(),
        data: data.into(),
        width,
        density,
        batch: None,
        seed: crate::SeedOpt {
            seed: String::new(),
        },
        snip_residual: None,
        rounds: 1,
        kept_count: KeptCount::Round,
        format: crate::FormatOpt {
            format: FormatArg::Table,
        },
        out: None,
        files: Files::default(),
    };
    // Silent: the audit that draws the report shows its own progress.
    let p = pruning(&args, seed, &Progress(false))?;
    figures(&p.summary, &p.data, &p.pruned.mask)
}

/// One pruning as the command runs it: the data, the network, the mask and its summary.
struct Pruning {
    data: DataSet,
    net: Network,
    pruned: Pruned,
    summary: Summary,
}

fn pruning(args: &Args, seed: MasterSeed, progress: &Progress) -> Result<Pruning, Failure> {
    let method = method(&args.method, args.snip_residual)?;
    let data_spec = DataSpec::parse(&args.data)?;
    progress.say("loading data");
    let data = load(&data_spec, seed, DATA_LABEL)?;
    progress.say("initialising the network");
    let net = network(args, data.d, seed)?;
    let spec = PruneSpec {
        batch: args.batch,
        rounds: args.rounds,
        kept_count: args.kept_count,
        ..PruneSpec::new(method, args.density)
    };
    spec.validate(&net, &data)?;
    progress.say("scoring");
    let pruned = prune(&net, &data, &spec, seed, LABEL)?;
    progress.say("statistics");
    let summary = summarise(&spec, &data, &pruned, seed, args.width);
    Ok(Pruning {
        data,
        net,
        pruned,
        summary,
    })
}

fn network(args: &Args, d: usize, seed: MasterSeed) -> Result<Network, Failure> {
    let drawn = Network::init(args.width, d, seed, LABEL)?;
    let (n, files) = (args.width, &args.files);
    if files.weights.is_none() && files.readout.is_none() {
        return Ok(drawn);
    }
    let w = match files.weights.as_deref() {
        Some(path) => loaded(
            path,
            &[&[n, d]],
            "--weights",
            &format!("{n} × {d} (width × inputs)"),
        )?,
        None => drawn.weights().to_vec(),
    };
    let a = match files.readout.as_deref() {
        Some(path) => loaded(
            path,
            &[&[n], &[1, n]],
            "--readout",
            &format!("{n} or 1 × {n} (width)"),
        )?,
        None => drawn.output_weights().to_vec(),
    };
    Ok(Network::from_weights(n, d, w, a)?)
}

/// A float array of one of the `shapes` from an `.npy` file.
fn loaded(
    path: &Path,
    shapes: &[&[usize]],
    flag: &str,
    expected: &str,
) -> Result<Vec<f64>, Failure> {
    let a = read_f64(path)?;
    if !shapes.iter().any(|s| a.shape == *s) {
        return Err(Failure::Message(format!(
            "{flag} {} has shape {:?}, expected {expected}",
            path.display(),
            a.shape
        )));
    }
    Ok(a.data)
}

/// The `.npy` files to write and their bytes, all encoded before any is written.
fn arrays<'a>(
    files: &'a Files,
    net: &Network,
    pruned: &Pruned,
) -> Result<Vec<(&'a Path, Vec<u8>)>, Failure> {
    let (n, d) = (net.width(), net.input_dim());
    let mut out = Vec::new();
    if let Some(path) = files.save_mask.as_deref() {
        out.push((path, encode_u8(&[n, d], &pruned.mask.entries())?));
    }
    if let Some(path) = files.save_scores.as_deref() {
        let encode = if matches!(files.scores_dtype, ScoresDtype::Float32) {
            encode_f32
        } else {
            encode_f64
        };
        out.push((path, encode(&[n, d], &pruned.scores)?));
    }
    if let Some(path) = files.save_weights.as_deref() {
        out.push((path, encode_f64(&[n, d], net.weights())?));
    }
    if let Some(path) = files.save_readout.as_deref() {
        out.push((path, encode_f64(&[n], net.output_weights())?));
    }
    Ok(out)
}

/// The method, with `--snip-residual` applied (only meaningful for SNIP).
fn method(name: &str, residual: Option<ResidualArg>) -> Result<Method, Failure> {
    let method = Method::parse(name)?;
    let centred = residual.map(|r| matches!(r, ResidualArg::Centred));
    match (method, centred) {
        (_, None) => Ok(method),
        (Method::Snip(r), Some(c)) if r == Residual::Plain || c => Ok(Method::Snip(if c {
            Residual::Centred
        } else {
            Residual::Plain
        })),
        (Method::Snip(_), Some(_)) => Err(Failure::Message(
            "--snip-residual plain contradicts --method snip-centred".into(),
        )),
        _ => Err(Failure::Message(format!(
            "--snip-residual applies to snip only, not to {method}"
        ))),
    }
}

fn degrees(s: &Degrees) -> String {
    format!(
        "min {}  max {}  mean {}  variance {}",
        sig(s.min, 6),
        sig(s.max, 6),
        sig(s.mean, 6),
        sig(s.variance, 6)
    )
}

fn verdict(accepts: bool) -> &'static str {
    if accepts {
        "accepts"
    } else {
        "rejects"
    }
}

fn table(s: &Summary) -> String {
    let batch = s.batch.map_or("all".to_string(), |b| b.to_string());
    let mut t = format!(
        "pruned      {} on {} (N = {}, d = {}), width n = {}, ρ = {}, batch {}, rounds {}, seed {}\n",
        s.method, s.data, s.samples, s.input_dim, s.width, s.requested_density, batch, s.rounds, s.seed
    );
    t += &format!(
        "kept        {} of {} (density {})\n",
        s.kept,
        s.width * s.input_dim,
        sig(s.density, 10)
    );
    t += &format!(
        "row deg     {}  (fractions deg/d)\n",
        degrees(&s.row_degrees)
    );
    t += &format!(
        "col deg     {}  (fractions deg/n)\n",
        degrees(&s.col_degrees)
    );
    t += &format!(
        "zero rows   {}\nzero cols   {}  (constant in the data: {} columns, {} of them cut off)\n",
        s.row_degrees.zeros, s.col_degrees.zeros, s.constant_columns, s.zero_columns_constant
    );
    t += &format!(
        "t(C4) − ρ⁴  {}  (exact rational, rounded once; t(C4) = {})\n",
        sig(s.heterogeneity, 10),
        sig(s.c4, 10)
    );
    if let Some(h) = &s.heterogeneity_lcb {
        t += &format!(
            "LCB         {}  (heterogeneity of the limit ≥ this with prob. ≥ 1 − {}; rows {}, columns {})\n",
            sig(h.lcb, 6),
            h.delta,
            sig(h.row, 6),
            sig(h.col, 6)
        );
    }
    if let Some(a) = &s.fsm_anova {
        t += &format!(
            "FSM fit     residual variance {} = {} × π²/8  (block {} × {}, {} zeros excluded)\n",
            sig(a.residual_variance, 6),
            sig(a.gaussian_ratio, 6),
            a.block_rows,
            a.block_cols,
            a.zeros_excluded
        );
    }
    if let Some(c) = &s.fsm_contrasts {
        t += &format!(
            "FSM test    {} contrasts ({} skipped) vs the {} law, δ = {}: {}\n",
            c.count,
            c.skipped,
            c.law,
            c.delta,
            if c.accepted { "accepted" } else { "rejected" }
        );
        t += &format!(
            "            KS {} vs threshold {} ({}); variance ratio {} vs band [{}, {}] ({})\n",
            sig(c.ks_statistic, 4),
            sig(c.ks_threshold, 4),
            verdict(c.ks_accepts),
            sig(c.variance_ratio, 4),
            sig(c.ratio_low, 4),
            sig(c.ratio_high, 4),
            verdict(c.variance_accepts)
        );
    }
    for u in &s.unavailable {
        t += &format!("unavailable {u}\n");
    }
    t
}

/// The figures of --out: the degree-sorted mask, and the kept-input map for image data.
fn figures(
    s: &Summary,
    data: &DataSet,
    mask: &Mask,
) -> Result<Vec<(&'static str, Rendered)>, Failure> {
    let blocks = degree_sorted_blocks(mask, MAX_DISPLAY_BLOCKS)?;
    let mut spec = HeatmapSpec::new(
        &format!(
            "{} mask on {}, n = {}, ρ = {} (degree-sorted)",
            s.method, s.data, s.width, s.requested_density
        ),
        0.0,
        1.0,
    );
    spec.x_label = "inputs by decreasing degree".into();
    spec.y_label = "hidden neurons by decreasing degree".into();
    spec.colorbar_label = "kept fraction of the block".into();
    spec.claim_id = Some("TAX-2".into());
    let mut out = vec![("mask", heatmap(blocks.as_ref(), &spec)?)];
    if let Some(side) = data.image_side {
        out.push(("inputs", inputs(s, mask, side)?));
    }
    Ok(out)
}

/// Pixel (r, c) coloured by the column degree fraction of input r·side + c.
fn inputs(s: &Summary, mask: &Mask, side: usize) -> Result<Rendered, Failure> {
    let col_deg = mask.column_degrees();
    let n = mask.rows() as f64;
    let image = faer::Mat::from_fn(side, side, |r, c| col_deg[r * side + c] as f64 / n);
    let mut spec = HeatmapSpec::new(
        &format!(
            "{} on {}: {} of {} pixels cut off, {} constant in the data",
            s.method,
            s.data,
            s.col_degrees.zeros,
            side * side,
            s.constant_columns
        ),
        0.0,
        1.0,
    );
    spec.x_label = "pixel column".into();
    spec.y_label = "pixel row".into();
    spec.colorbar_label = "kept fraction of the pixel's weights".into();
    spec.claim_id = Some("TAX-8".into());
    Ok(heatmap(image.as_ref(), &spec)?)
}
