//! The whole default Figure 2 (harness = false; timed with `std::time::Instant`).
//!
//! `cargo bench --bench figure2` times `pai-graphon figure2` with its defaults: the MNIST pair
//! (3, 8) with all its rows (N ≈ 1000, d = 784), densities {0.05, 0.1, 0.2, 0.5, 0.8}, noise
//! levels 0, 0.1, …, 1, 10 label seeds, clean SNIP profile, without drawing. Target: < 60 s on
//! 2 cores. It also times the synthetic task (N = 1000, d = 64). `-- small` uses 200 rows per
//! digit.

use pai_graphon::net::data::{load, DataSpec};
use pai_graphon::ntk::figure2::{
    digit_pair, figure2, figure2_synthetic, synthetic_task, BinaryTask, Figure2Config,
};
use pai_graphon::seed::MasterSeed;
use std::time::Instant;

mod common;
use common::cpu_seconds;

const TARGET_SECONDS: f64 = 60.0;

fn time(name: &str, task: &BinaryTask, seed: MasterSeed) {
    let config = Figure2Config::default();
    let (t, cpu) = (Instant::now(), cpu_seconds());
    let fig = figure2(&config, task, seed, &mut |_, _| {}).expect("figure 2 computes");
    let (wall, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    println!(
        "{name:<22} N = {:<5} d = {:<4} curves = {:<3} wall {wall:>7.2} s  cpu {cpu:>7.2} s  {}",
        fig.samples,
        fig.d,
        fig.curves.len(),
        if wall < TARGET_SECONDS { "ok" } else { "SLOW" }
    );
}

fn main() {
    let small = std::env::args().any(|a| a == "small");
    let per_class = if small { Some(200) } else { None };
    let seed = MasterSeed::default();
    println!("{} rayon threads", rayon::current_num_threads());
    let (t, cpu) = (Instant::now(), cpu_seconds());
    let set = load(&DataSpec::Mnist, seed, "figure2/data").expect("mnist loads");
    let task = digit_pair(&set, 3, 8, per_class, seed).expect("the pair exists");
    println!(
        "load + pair: {:.3} s wall, {:.3} s cpu; duplicates removed: {}",
        t.elapsed().as_secs_f64(),
        cpu_seconds() - cpu,
        task.duplicates_removed
    );
    time("mnist 3-8 (default)", &task, seed);
    let spec = figure2_synthetic(if small { 400 } else { 1000 });
    let synthetic = synthetic_task(&spec, seed, "figure2/data").expect("synthetic task");
    time("synthetic", &synthetic, seed);
}
