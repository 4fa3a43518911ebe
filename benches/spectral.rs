//! The matrix-free spectral-norm bound (`linalg::spectral_norm_upper`, issue #22) on dense ±1
//! matrices (harness = false): wall and CPU time, products used, the bound ÷ the Lanczos
//! estimate, and the matrix's memory. Default options (δ = 1e-9, degree 150, 40 Lanczos steps).
//!
//! Also a bit-packed 0/1 mask (density 0.2) minus its density `0.2·11ᵀ`
//! (`MaskMinusRankOne`: n²/8 bytes).
//!
//! `cargo bench --bench spectral` runs 4096² (dense and mask); `-- big` adds 16384² (dense: 2 GiB
//! of f64; mask: 32 MiB) and the 32768² mask (128 MiB). `-- n=<n>` runs one dense size,
//! `-- mask=<n>` one mask size.

#[path = "common/mod.rs"]
mod common;

use pai_graphon::linalg::{
    spectral_norm_upper, DenseOperator, LinearOperator, MaskMinusRankOne, SpectralOptions,
};
use pai_graphon::seed::MasterSeed;
use rand::Rng;
use std::time::Instant;

/// Times the bound on `op` and prints one line.
fn time_bound(
    label: &str,
    op: &dyn LinearOperator,
    n: usize,
    memory: usize,
    rng: &mut rand_chacha::ChaCha20Rng,
) {
    let options = SpectralOptions::default();
    let (wall, cpu) = (Instant::now(), common::cpu_seconds());
    let b = spectral_norm_upper(op, &options, rng).expect("bound");
    let (wall, cpu) = (wall.elapsed().as_secs_f64(), common::cpu_seconds() - cpu);
    println!(
        "{label} n = {n:>6}: {wall:7.2} s wall, {cpu:7.2} s CPU, {} products ({:.4} s wall each), \
         upper = {:.6e}, upper/estimate = {:.5}, operator {:.0} MiB",
        b.products,
        wall / b.products as f64,
        b.upper,
        b.upper / b.estimate,
        memory as f64 / (1u64 << 20) as f64,
    );
}

fn run_mask(n: usize) {
    const P: f64 = 0.2;
    let mut rng = MasterSeed::new(2026).stream(&format!("BENCH-SPECTRAL/mask/n={n}"));
    // 16-bit uniforms from the stream, column by column: P(k < 13107) = 0.19999.
    let draws = std::cell::RefCell::new(
        MasterSeed::new(2026).stream(&format!("BENCH-SPECTRAL/mask/n={n}/A")),
    );
    let op = MaskMinusRankOne::from_fn(
        n,
        n,
        |_, _| (draws.borrow_mut().next_u32() & 0xffff) < 13107,
        vec![P; n],
        vec![1.0; n],
    )
    .expect("finite vectors");
    time_bound("mask ", &op, n, n * n / 8, &mut rng);
}

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
    time_bound("dense", &op, n, n * n * 8, &mut rng);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(n) = args.iter().find_map(|a| a.strip_prefix("n=")) {
        run(n.parse().expect("n=<size>"));
        return;
    }
    if let Some(n) = args.iter().find_map(|a| a.strip_prefix("mask=")) {
        run_mask(n.parse().expect("mask=<size>"));
        return;
    }
    run(4096);
    run_mask(4096);
    if args.iter().any(|a| a == "big") {
        run_mask(16384);
        run_mask(32768);
        run(16384);
    }
}
