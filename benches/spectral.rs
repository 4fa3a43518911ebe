//! The matrix-free spectral-norm bound (`linalg::spectral_norm_upper`, issue #22) on dense ±1
//! matrices (harness = false): wall and CPU time, products used, the bound ÷ the Lanczos
//! estimate, and the matrix's memory. Default options (δ = 1e-9, degree 150, 40 Lanczos steps).
//!
//! `cargo bench --bench spectral` runs 4096²; `cargo bench --bench spectral -- big` adds 16384²
//! (2 GiB of f64). `-- n=<n>` runs one size.

#[path = "common/mod.rs"]
mod common;

use pai_graphon::linalg::{spectral_norm_upper, DenseOperator, SpectralOptions};
use pai_graphon::seed::MasterSeed;
use rand::Rng;
use std::time::Instant;

fn run(n: usize) {
    let mut rng = MasterSeed::new(2026).stream(&format!("BENCH-SPECTRAL/n={n}"));
    let mut data = Vec::with_capacity(n * n);
    let mut bits = 0u64;
    for k in 0..n * n {
        if k % 64 == 0 {
            bits = rng.next_u64();
        }
        data.push(if (bits >> (k % 64)) & 1 == 1 {
            1.0
        } else {
            -1.0
        });
    }
    let op = DenseOperator::from_column_major(n, n, data).expect("finite ±1 matrix");
    let options = SpectralOptions::default();
    let (wall, cpu) = (Instant::now(), common::cpu_seconds());
    let b = spectral_norm_upper(&op, &options, &mut rng).expect("bound");
    let (wall, cpu) = (wall.elapsed().as_secs_f64(), common::cpu_seconds() - cpu);
    println!(
        "n = {n:>6}: {wall:7.2} s wall, {cpu:7.2} s CPU, {} products ({:.3} s wall each), \
         upper = {:.6e}, upper/estimate = {:.5}, upper/(2√n) = {:.4}, matrix {:.0} MiB",
        b.products,
        wall / b.products as f64,
        b.upper,
        b.upper / b.estimate,
        b.upper / (2.0 * (n as f64).sqrt()),
        (n * n * 8) as f64 / (1u64 << 20) as f64,
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(n) = args.iter().find_map(|a| a.strip_prefix("n=")) {
        run(n.parse().expect("n=<size>"));
        return;
    }
    run(4096);
    if args.iter().any(|a| a == "big") {
        run(16384);
    }
}
