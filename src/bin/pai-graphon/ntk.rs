//! `pai-graphon ntk`: the graphon NTK of a graphon or of a pruned network's mask on a data set,
//! with its certified smallest eigenvalue, the complexity yᵀK⁻¹y, the generalisation bound and
//! the path density. The bound is reported as vacuous (exit 3) when it is ≥ 1 (it bounds a loss
//! in [0, 1]), when λ_min is not certified (no bound), or when the samples carry one label (no
//! task to learn: the bound is then not given).

use crate::Progress;
use crate::{limited, write_outputs, CommandFailure as Failure, LayersArg};
use crate::{FormatOpt, SeedOpt};
use pai_graphon::claims::Status;
use pai_graphon::limit_spec::GraphonSpec;
use pai_graphon::linalg::certified_lambda_min;
use pai_graphon::net::criteria::{prune, Method, PruneSpec};
use pai_graphon::net::data::{load, DataSet, DataSpec};
use pai_graphon::net::network::Network;
use pai_graphon::net::NetError;
use pai_graphon::ntk::bound::{complexity, complexity_upper};
use pai_graphon::ntk::kernel::{graphon_ntk, unit_rows, KernelGraphon, Layers};
use pai_graphon::ntk::path::{bounded_graphon_ntk, check_distinct};
use pai_graphon::ntk::reality::{generalisation_bound, lambda_min_bounds, Bound};
use pai_graphon::ntk::selection::mask_graphon;
use pai_graphon::params::{self, Density, Probability};
use pai_graphon::report::{sig, Format};
use pai_graphon::seed::MasterSeed;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The stream label prefix of the data, the network and the pruning.
const LABEL: &str = "ntk";

/// `ntk`'s options (the command's doc is in main.rs).
#[derive(clap::Args)]
pub struct Args {
    /// constant, snip[:POWER] (column profile |cov(x_j, y)|^POWER) or fsm:ROW;COL[;NOISE]
    /// (an FSM limit graphon; its row profile must be monotone).
    #[arg(long, conflicts_with = "method", required_unless_present = "method")]
    pub graphon: Option<GraphonSpec>,
    /// Prune a network of --width at the density with this method and use its mask as the
    /// graphon: random, magnitude, snip, snip-centred, grasp, grasp-magnitude or synflow.
    #[arg(long)]
    pub method: Option<String>,
    /// digits, digits16, digits24, digits32, mnist, synthetic or synthetic:key=value,...
    #[arg(long)]
    pub data: String,
    /// N inputs (unit-normalised; at most 8192): a seeded stratified subset, as many rows of
    /// each class as possible (the remainder to the smallest labels), drawn from the streams
    /// data/subset/SET/n=N/label=L, in file order; N = all rows takes the whole set.
    #[arg(long, default_value_t = 500, value_parser = limited(params::KERNEL_SAMPLES))]
    pub samples: usize,
    /// Kept fraction ρ in (0, 1].
    #[arg(long, allow_negative_numbers = true)]
    pub density: f64,
    /// Which layers are trained.
    #[arg(long, value_enum, default_value_t = LayersArg::First)]
    pub layers: LayersArg,
    /// Gauss–Legendre nodes over u (fsm graphons; at most 4096).
    #[arg(long, default_value_t = 64, value_parser = limited(params::NODES))]
    pub nodes: usize,
    /// Hidden width of the pruned network (--method; at most 2^20).
    #[arg(long, default_value_t = 256, value_parser = limited(params::WIDTH))]
    pub width: usize,
    /// Failure probability δ of the generalisation bound.
    #[arg(long, default_value = "1e-3", allow_negative_numbers = true)]
    pub delta: Probability,
    #[command(flatten)]
    pub seed: SeedOpt,
    #[command(flatten)]
    pub format: FormatOpt,
    /// Write ntk.json and path_density.csv into this folder.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Serialize)]
struct Summary {
    graphon: String,
    data: String,
    samples: usize,
    dims: usize,
    density: f64,
    layers: &'static str,
    quadrature_nodes: usize,
    quadrature_bound: Option<f64>,
    /// A bound on ‖K̂ − K‖₂ (rounding, and N × the quadrature bound).
    kernel_error: f64,
    /// Certified λ_min of the exact kernel (None when the kernel error is too large to certify).
    lambda_min_lower: Option<f64>,
    lambda_min_upper: f64,
    lambda_min_estimate: f64,
    lambda_max_estimate: f64,
    complexity: f64,
    scale: f64,
    scale_corrected: f64,
    delta: f64,
    bound_main: Option<f64>,
    bound_o_term: Option<f64>,
    bound_total: Option<f64>,
    /// `pass` when the bound is below 1, else `vacuous`.
    status: Status,
    /// Why the bound says nothing (null when it passes).
    vacuous_because: Option<String>,
    path_density_min: f64,
    path_density_mean: f64,
    path_density_max: f64,
    path_density_zero: usize,
    path_density: Vec<f64>,
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let (format, out) = (args.format.get(), args.out.as_deref());
    crate::plan_dir(out, &["ntk.json", "path_density.csv"])?;
    let seed = args.seed.master()?;
    let layers = match args.layers {
        LayersArg::First => Layers::First,
        LayersArg::Both => Layers::Both,
    };
    let progress = Progress::on_terminal();
    progress.say("loading data");
    let set = load(
        &DataSpec::parse(&args.data)?,
        seed,
        &format!("{LABEL}/data"),
    )?;
    let (x, y) = inputs(&set, args.samples, seed)?;
    progress.say("building the graphon");
    let (name, graphon) = graphon(args, &set, x.as_ref(), &y, seed)?;
    check_distinct(x.as_ref())?;
    progress.say("computing the kernel");
    let kernel = graphon_ntk(x.as_ref(), &graphon, layers)?;
    let bounded = bounded_graphon_ntk(x.as_ref(), &graphon, layers)?;
    progress.say("certifying λ_min");
    let spectrum = lambda_min_bounds(kernel.k.as_ref())?;
    // λ_min of the exact kernel: rounding and quadrature error enter as the input error.
    let certified = certified_lambda_min(bounded.k.as_ref(), bounded.error).ok();
    let c = complexity(kernel.k.as_ref(), &y)?;
    // The bound is fed upper bounds for the exact kernel, not the f64 estimate `c`.
    let bound = match (one_label(&y), certified) {
        // No enclosure of yᵀK⁻¹y (λ_min too close to the kernel's error): no bound, as below.
        (None, Some(l)) => complexity_upper(bounded.k.as_ref(), &y, bounded.error)
            .ok()
            .map(|c_up| generalisation_bound(&c_up, y.len(), l, args.delta))
            .transpose()?,
        _ => None,
    };
    let vacuous_because = vacuity(&y, bound.as_ref());
    progress.done();
    let p = graphon.path_density();
    let summary = Summary {
        graphon: name,
        data: set.name.clone(),
        samples: y.len(),
        dims: set.d,
        density: graphon.density(),
        layers: match layers {
            Layers::First => "first layer",
            Layers::Both => "both layers",
        },
        quadrature_nodes: graphon.nodes().len(),
        quadrature_bound: kernel.quadrature_bound,
        kernel_error: bounded.error,
        lambda_min_lower: certified,
        lambda_min_upper: spectrum.upper,
        lambda_min_estimate: spectrum.estimate,
        lambda_max_estimate: spectrum.largest,
        complexity: c.raw,
        scale: c.scale,
        scale_corrected: c.corrected,
        delta: args.delta.get(),
        bound_main: bound.map(|b| b.main),
        bound_o_term: bound.map(|b| b.o_term),
        bound_total: bound.map(|b| b.total),
        status: match vacuous_because {
            Some(_) => Status::Vacuous,
            None => Status::Pass,
        },
        vacuous_because,
        path_density_min: p.iter().copied().fold(f64::INFINITY, f64::min),
        path_density_mean: p.iter().sum::<f64>() / p.len() as f64,
        path_density_max: p.iter().copied().fold(0.0, f64::max),
        path_density_zero: p.iter().filter(|&&v| v == 0.0).count(),
        path_density: p,
    };
    let json = serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?;
    if let Some(dir) = out {
        write_out(dir, &json, &summary.path_density)?;
    }
    let printed = match format {
        Format::Json => crate::output::emit(&format!("{json}\n")),
        _ => crate::output::emit(&table(&summary)),
    };
    crate::output::with_verdict(printed, summary.status)
}

/// The one label all samples carry, if they carry only one.
fn one_label(y: &[f64]) -> Option<f64> {
    let first = *y.first()?;
    y.iter().all(|&l| l == first).then_some(first)
}

/// Why the bound says nothing about the task, or None when it is informative: the samples carry
/// one label (the bound is then not computed), λ_min was not certified (no bound), or the bound
/// is ≥ 1 while the ramp loss it bounds lies in [0, 1].
fn vacuity(y: &[f64], bound: Option<&Bound>) -> Option<String> {
    if let Some(label) = one_label(y) {
        return Some(format!(
            "every sample (N = {}) carries the label {label:+}: there is no task to bound",
            y.len()
        ));
    }
    match bound {
        None => Some("λ_min is not certified, so there is no bound".into()),
        Some(b) if b.total >= 1.0 || b.total.is_nan() => {
            Some("≥ 1, and the ramp loss it bounds lies in [0, 1]".into())
        }
        Some(_) => None,
    }
}

/// The seeded stratified subset of N rows (`net::data::stratified_rows`: MNIST-5k is stored
/// sorted by class), unit-normalised, and their ±1 labels.
fn inputs(
    set: &DataSet,
    samples: usize,
    seed: MasterSeed,
) -> Result<(faer::Mat<f64>, Vec<f64>), Failure> {
    let subset = set.stratified_subset(samples, seed).map_err(|e| match e {
        NetError::Subset { set, available, .. } => {
            format!("--samples {samples} must lie in 1..={available} for {set}")
        }
        e => e.to_string(),
    })?;
    let raw = faer::Mat::from_fn(subset.samples, set.d, |b, j| subset.row(b)[j]);
    Ok((unit_rows(raw.as_ref())?, subset.y))
}

/// The graphon and its description.
fn graphon(
    args: &Args,
    set: &DataSet,
    x: faer::MatRef<'_, f64>,
    y: &[f64],
    seed: MasterSeed,
) -> Result<(String, KernelGraphon), Failure> {
    let rho = args.density;
    match (&args.graphon, &args.method) {
        (Some(spec), _) => Ok((
            spec.text.clone(),
            spec.kernel_graphon(x, y, rho, args.nodes)?,
        )),
        (None, Some(name)) => {
            let method = Method::parse(name)?;
            let net = Network::init(args.width, set.d, seed, LABEL)?;
            let pruned = prune(
                &net,
                set,
                &PruneSpec::new(method, Density::new(rho)?),
                seed,
                LABEL,
            )?;
            let g = mask_graphon(&pruned.mask, None)?;
            Ok((format!("mask of {} (n = {})", method.name(), args.width), g))
        }
        (None, None) => Err("give --graphon or --method".to_string().into()),
    }
}

fn table(s: &Summary) -> String {
    let opt = |v: Option<f64>| v.map_or("—".to_string(), |v| sig(v, 6));
    let mut t = String::new();
    t += &format!(
        "graphon NTK of {} on {} (N = {}, d = {}), density {}, {} trained\n",
        s.graphon,
        s.data,
        s.samples,
        s.dims,
        sig(s.density, 6),
        s.layers
    );
    t += &format!(
        "quadrature        {} nodes, error bound {}\n",
        s.quadrature_nodes,
        opt(s.quadrature_bound)
    );
    t += &format!(
        "λ_min             certified ≥ {}, ≤ {} (estimate {}; kernel error ‖K̂ − K‖₂ ≤ {})\n",
        s.lambda_min_lower.map_or(
            "— (not certified: the kernel error exceeds it)".to_string(),
            |v| sig(v, 6)
        ),
        sig(s.lambda_min_upper, 6),
        sig(s.lambda_min_estimate, 6),
        sig(s.kernel_error, 3)
    );
    t += &format!(
        "λ_max             {} (estimate)\n",
        sig(s.lambda_max_estimate, 6)
    );
    t += &format!(
        "yᵀK⁻¹y            {} (scale s = {}, s·yᵀK⁻¹y = {})\n",
        sig(s.complexity, 6),
        sig(s.scale, 6),
        sig(s.scale_corrected, 6)
    );
    let bound = match s.bound_total {
        Some(_) => format!(
            "{} = {} + {}",
            opt(s.bound_total),
            opt(s.bound_main),
            opt(s.bound_o_term)
        ),
        None => "—".into(),
    };
    t += &format!(
        "bound (δ = {})  {bound}{}\n",
        s.delta,
        match &s.vacuous_because {
            Some(why) => format!(" (vacuous: {why})"),
            None => String::new(),
        }
    );
    t += &format!(
        "path density p_W min {}, mean {}, max {}, {} of {} inputs cut off\n",
        sig(s.path_density_min, 6),
        sig(s.path_density_mean, 6),
        sig(s.path_density_max, 6),
        s.path_density_zero,
        s.dims
    );
    t
}

/// ntk.json and path_density.csv.
fn write_out(dir: &Path, json: &str, p: &[f64]) -> Result<(), Failure> {
    let mut csv = String::from("coordinate,path_density\n");
    for (j, v) in p.iter().enumerate() {
        csv += &format!("{j},{v:e}\n");
    }
    write_outputs(
        dir,
        &[("ntk.json", format!("{json}\n")), ("path_density.csv", csv)],
        &[],
    )
}
