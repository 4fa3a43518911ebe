//! The work of `python/bench.py`'s cases through the library directly, with no Python: the
//! baseline the package's calls are compared with (the binding's overhead is the difference).
//! Prints one line per case: its name, then the median wall time and the median process CPU
//! time in milliseconds over `REPEATS` runs (after one warm-up run).
//!
//! `cargo bench --bench binding` (python/bench.py runs it and prints both sides)

use pai_graphon::convergence::limit::Fsm;
use pai_graphon::convergence::sampler::{sample_mask_for, MaskSpec, MASKS_LABEL};
use pai_graphon::external::check::{check_masks, CheckSpec};
use pai_graphon::mask::{KeptCount, Mask};
use pai_graphon::net::criteria::{prune, Method, PruneSpec, PRUNE_DATA_LABEL, PRUNE_LABEL};
use pai_graphon::net::data::{load, DataSpec};
use pai_graphon::net::network::Network;
use pai_graphon::params::Density;
use pai_graphon::seed::MasterSeed;
use std::time::Instant;

mod common;
use common::cpu_seconds;

/// Timed runs per case (the median is printed).
const REPEATS: usize = 5;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// A stack of FSM masks as `reference_masks` draws it: (seeds × n × d) 0/1 bytes.
fn fsm_stack(side: usize, seeds: u64, rule: KeptCount) -> Result<Vec<u8>> {
    let fsm = Fsm::parse("exp:3", "exp:3", "gaussian:1")?;
    let spec = MaskSpec::new(side, side, Density::constant(0.2), &fsm.row, &fsm.col)?
        .with_kept_count(rule)?;
    let mut out = Vec::with_capacity(seeds as usize * side * side);
    for s in 0..seeds {
        let m = sample_mask_for(&spec, &fsm.noise, MasterSeed::new(s), MASKS_LABEL, None)?;
        out.extend(m.entries());
    }
    Ok(out)
}

/// `check`'s work on a stack: the masks from their bytes, the verdicts, their JSON.
fn check(bits: &[u8], side: usize) -> Result<String> {
    let masks = (bits.chunks(side * side))
        .map(|m| Mask::from_entries(side, side, m))
        .collect::<std::result::Result<Vec<Mask>, _>>()?;
    let spec = CheckSpec {
        density: Some(Density::new(0.2)?),
        ..CheckSpec::new("fsm:exp:3;exp:3".parse()?)
    };
    let o = check_masks(&masks, None, &spec, |_, _| {})?;
    Ok(serde_json::to_string(&o.rows)?)
}

/// `prune`'s work: the data set, the drawn network, the scores and the mask's bytes.
fn snip(width: usize) -> Result<Vec<u8>> {
    let seed = MasterSeed::default();
    let set = load(&DataSpec::parse("digits")?, seed, PRUNE_DATA_LABEL)?;
    let net = Network::init(width, set.d, seed, PRUNE_LABEL)?;
    let spec = PruneSpec::new(Method::parse("snip")?, Density::new(0.2)?);
    Ok(prune(&net, &set, &spec, seed, PRUNE_LABEL)?.mask.entries())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time<T>(name: &str, mut work: impl FnMut() -> Result<T>) -> Result<()> {
    work()?;
    let (mut walls, mut cpus) = (Vec::new(), Vec::new());
    for _ in 0..REPEATS {
        let (t, c) = (Instant::now(), cpu_seconds());
        std::hint::black_box(work()?);
        walls.push(t.elapsed().as_secs_f64());
        cpus.push(cpu_seconds() - c);
    }
    println!(
        "{name}\t{:.2}\t{:.2}",
        median(walls) * 1e3,
        median(cpus) * 1e3
    );
    Ok(())
}

fn main() -> Result<()> {
    let fsm = Fsm::parse("exp:3", "exp:3", "gaussian:1")?;
    let rho = Density::new(0.2)?;
    time("tau_star", || Ok(fsm.tau_star(rho)?))?;
    time("reference_masks round", || {
        fsm_stack(1024, 8, KeptCount::Round)
    })?;
    time("reference_masks synaptic-flow", || {
        fsm_stack(1024, 8, KeptCount::SynapticFlow)
    })?;
    let stack = fsm_stack(512, 8, KeptCount::Round)?;
    time("check", || check(&stack, 512))?;
    time("prune", || snip(256))?;
    Ok(())
}
