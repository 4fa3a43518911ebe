//! Pruning at the target scale (harness = false; timed with `std::time::Instant`).
//!
//! `cargo bench --bench prune` times scores + mask for every criterion on a width-4096 network
//! over MNIST-5k (d = 784, the whole set as the pruning batch, ρ = 0.2), single shot, and
//! iterative SynFlow (100 rounds); the target is < 5 s per method on 2 cores. It also reports
//! the data-loading time and the number of constant MNIST pixels. `-- small` uses width 512.

use pai_graphon::net::criteria::{prune, Method, PruneSpec};
use pai_graphon::net::{data, Network};
use pai_graphon::seed::MasterSeed;
use std::time::Instant;

mod common;
use common::cpu_seconds;

const TARGET_SECONDS: f64 = 5.0;
const DENSITY: f64 = 0.2;
const RHO: pai_graphon::params::Density = pai_graphon::params::Density::constant(DENSITY);

fn main() {
    let small = std::env::args().any(|a| a == "small");
    let width = if small { 512 } else { 4096 };
    let seed = MasterSeed::default();
    let t = Instant::now();
    let set = data::load(&data::DataSpec::Mnist, seed, "BENCH-PRUNE").expect("mnist loads");
    println!(
        "mnist: {} × {} loaded in {:.3} s; {} constant pixels; {} rayon threads",
        set.samples,
        set.d,
        t.elapsed().as_secs_f64(),
        set.constant_columns().len(),
        rayon::current_num_threads()
    );
    let net = Network::init(width, set.d, seed, "BENCH-PRUNE/net").expect("valid width");
    let mut specs: Vec<PruneSpec> = Method::ALL
        .iter()
        .map(|&m| PruneSpec::new(m, RHO))
        .collect();
    specs.push(PruneSpec::iterative_synflow(RHO));
    println!(
        "n = {width}, d = {}, batch = all {} samples, rho = {DENSITY}",
        set.d, set.samples
    );
    println!(
        "method            rounds   wall s    cpu s   kept      verdict (< {TARGET_SECONDS} s)"
    );
    for spec in specs {
        let (t, cpu) = (Instant::now(), cpu_seconds());
        let pruned = prune(&net, &set, &spec, seed, "BENCH-PRUNE").expect("valid spec");
        let (wall, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu);
        println!(
            "{:<17} {:>6} {:>8.3} {:>8.2} {:>9}   {}",
            spec.method.name(),
            spec.rounds,
            wall,
            cpu,
            pruned.mask.kept(),
            if wall < TARGET_SECONDS { "ok" } else { "SLOW" }
        );
    }
}
