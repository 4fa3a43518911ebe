//! Mask sampling at scale (harness = false; timed with `std::time::Instant`).
//!
//! `cargo bench --bench masks` runs the Figure-1 sweep (n = d ∈ {200, 500, 1000, 2000, 4000},
//! 100 seeds each, ρ = 0.2, profiles exp:3/exp:3, gaussian:1 noise) three ways on the same
//! streams: merely drawing the n·d normals, sampling the masks with the threshold-window hint,
//! and sampling plus accumulating the seed counts. `cargo bench --bench masks -- big` adds one
//! 32768 × 32768 mask by the exact multi-pass path (no hint), and one with the hint, reporting
//! time and the peak resident set (VmHWM).

use pai_graphon::convergence::noise::HalfNormal;
use pai_graphon::convergence::profile::Profile;
use pai_graphon::convergence::sampler::{
    draw_noise, sample_mask, threshold_window, MaskSpec, Window,
};
use pai_graphon::mask::accumulate;
use pai_graphon::seed::MasterSeed;
use std::time::Instant;

mod common;
use common::cpu_seconds;

const WIDTHS: [usize; 5] = [200, 500, 1000, 2000, 4000];
const SEEDS: usize = 100;
const DENSITY: f64 = 0.2;
/// Failure probability of each width's threshold window (a miss costs time, never correctness).
const WINDOW_DELTA: f64 = 1e-6;

fn label(n: usize, rep: usize) -> String {
    format!("BENCH-MASKS/n={n}/d={n}/rep={rep}")
}

fn spec(n: usize) -> MaskSpec {
    let exp3 = Profile::parse("exp:3").expect("valid profile");
    MaskSpec::new(n, n, DENSITY, &exp3, &exp3).expect("valid spec")
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn sweep(law: &HalfNormal, seed: MasterSeed) {
    let scores: usize = WIDTHS.iter().map(|n| n * n * SEEDS).sum();
    println!(
        "Figure-1 sweep: widths {WIDTHS:?}, {SEEDS} seeds, rho {DENSITY}, exp:3/exp:3, gaussian:1, \
         {scores} scores, {} rayon threads",
        rayon::current_num_threads()
    );

    let (start, cpu0) = (Instant::now(), cpu_seconds());
    let mut checksum = 0u64;
    for n in WIDTHS {
        let spec = spec(n);
        for rep in 0..SEEDS {
            checksum ^= draw_noise(&spec, law, seed, &label(n, rep));
        }
    }
    let draw_time = start.elapsed().as_secs_f64();
    let draw_cpu = cpu_seconds() - cpu0;
    println!(
        "  draw normals only      {draw_time:8.3} s   (CPU {draw_cpu:.2} s, checksum {checksum:#x})"
    );
    let cpu1 = cpu_seconds();

    let mut mask_time = 0.0;
    let mut accumulate_time = 0.0;
    let mut window_time = 0.0;
    let mut fallbacks = 0;
    for n in WIDTHS {
        let spec = spec(n);
        let t = Instant::now();
        let window: Window = threshold_window(&spec, law, WINDOW_DELTA).expect("window");
        window_time += t.elapsed().as_secs_f64();
        let mut counts = vec![0u32; n * n];
        let (mut width_masks, mut width_acc) = (0.0, 0.0);
        let mut last_tau = 0.0;
        for rep in 0..SEEDS {
            let t = Instant::now();
            let mask = sample_mask(&spec, law, seed, &label(n, rep), Some(window)).expect("mask");
            width_masks += t.elapsed().as_secs_f64();
            fallbacks += usize::from(mask.passes() > 1);
            let t = Instant::now();
            accumulate(&mut counts, &mask).expect("counts");
            width_acc += t.elapsed().as_secs_f64();
            last_tau = mask.threshold();
        }
        let kept_mean = counts.iter().map(|c| *c as f64).sum::<f64>() / (SEEDS * n * n) as f64;
        println!(
            "  n = d = {n:5}: masks {width_masks:7.3} s, accumulate {width_acc:6.3} s, \
             window [{:.5}, {:.5}], last tau {last_tau:.5}, mean density {kept_mean:.6}",
            window.lo, window.hi
        );
        mask_time += width_masks;
        accumulate_time += width_acc;
    }
    let total = mask_time + accumulate_time + window_time;
    let total_cpu = cpu_seconds() - cpu1;
    println!("  window hints           {window_time:8.3} s");
    println!(
        "  masks (sample_mask)    {mask_time:8.3} s   ({fallbacks} fallbacks to the exact path)"
    );
    println!("  accumulate counts      {accumulate_time:8.3} s");
    println!(
        "  sweep total            {total:8.3} s   (CPU {total_cpu:.2} s; target <= 15 s wall)"
    );
    println!(
        "  ratio masks / draws    {:8.3}     (target <= 1.5)",
        mask_time / draw_time
    );
    println!(
        "  ratio total / draws    {:8.3}     (windows + masks + accumulate; CPU ratio {:.3})",
        total / draw_time,
        total_cpu / draw_cpu
    );
}

fn big(law: &HalfNormal, seed: MasterSeed) {
    let n = 32768;
    let spec = spec(n);
    println!(
        "Big mask {n} x {n} ({} scores), rho {DENSITY}, exp:3/exp:3, gaussian:1",
        n * n
    );
    let (start, cpu0) = (Instant::now(), cpu_seconds());
    let checksum = draw_noise(&spec, law, seed, "BENCH-MASKS/big");
    println!(
        "  draw normals only      {:8.3} s   (CPU {:.2} s, checksum {checksum:#x})",
        start.elapsed().as_secs_f64(),
        cpu_seconds() - cpu0
    );
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    let exact = sample_mask(&spec, law, seed, "BENCH-MASKS/big", None).expect("mask");
    println!(
        "  exact passes (no hint) {:8.3} s   (CPU {:.2} s, {} passes, tau {:.6}, kept {}), VmHWM {:.0} MiB",
        start.elapsed().as_secs_f64(),
        cpu_seconds() - cpu0,
        exact.passes(),
        exact.threshold(),
        exact.kept(),
        peak_rss_mib().unwrap_or(f64::NAN)
    );
    let (start, cpu0) = (Instant::now(), cpu_seconds());
    let window = threshold_window(&spec, law, WINDOW_DELTA).expect("window");
    let hinted = sample_mask(&spec, law, seed, "BENCH-MASKS/big", Some(window)).expect("mask");
    println!(
        "  with window hint       {:8.3} s   (CPU {:.2} s, {} passes, identical: {}), VmHWM {:.0} MiB \
         (includes the exact mask still held)",
        start.elapsed().as_secs_f64(),
        cpu_seconds() - cpu0,
        hinted.passes(),
        hinted == exact,
        peak_rss_mib().unwrap_or(f64::NAN)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let law = HalfNormal { sigma: 1.0 };
    let seed = MasterSeed::default();
    if args.iter().any(|a| a == "big") {
        big(&law, seed);
    }
    if !args.iter().any(|a| a == "big-only") {
        sweep(&law, seed);
    }
}
