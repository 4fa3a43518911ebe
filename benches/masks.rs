//! Mask sampling at scale (harness = false; timed with `std::time::Instant`).
//!
//! `cargo bench --bench masks` runs the Figure-1 sweep (n = d ∈ {200, 500, 1000, 2000, 4000},
//! 100 seeds each, ρ = 0.2, profiles exp:3/exp:3, gaussian:1 noise): the uniform floor (merely
//! drawing the masks' 16-bit primary uniforms), then the masks with the threshold-window hint and
//! the accumulated seed counts; then, when `$PAI_BENCH_PYTHON` (default `python3`) imports NumPy,
//! the same sweep by `benches/masks_numpy.py` (single-threaded), and the ratio.
//! `cargo bench --bench masks -- big` adds one exact 32768 × 32768 mask with its uniform floor,
//! reporting time and the peak resident set (VmHWM); `-- big-only` runs only that.

use pai_graphon::convergence::noise::HalfNormal;
use pai_graphon::convergence::profile::Profile;
use pai_graphon::convergence::sampler::{
    draw_uniforms, sample_mask, threshold_window, MaskSpec, Window,
};
use pai_graphon::mask::accumulate;
use pai_graphon::params::Density;
use pai_graphon::seed::MasterSeed;
use std::process::Command;
use std::time::Instant;

mod common;
use common::cpu_seconds;

const WIDTHS: [usize; 5] = [200, 500, 1000, 2000, 4000];
const SEEDS: usize = 100;
const DENSITY: Density = Density::constant(0.2);
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

/// The NumPy sweep's wall seconds, if the interpreter has NumPy.
fn numpy_sweep() -> Option<f64> {
    let python = std::env::var("PAI_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/masks_numpy.py");
    let out = Command::new(&python)
        .args([script, &SEEDS.to_string()])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("numpy-sweep-seconds"))?;
    line.split_whitespace().nth(1)?.parse().ok()
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
            checksum ^= draw_uniforms(&spec, seed, &label(n, rep));
        }
    }
    let floor = start.elapsed().as_secs_f64();
    let floor_cpu = cpu_seconds() - cpu0;
    println!(
        "  uniform floor          {floor:8.3} s   (CPU {floor_cpu:.2} s, 2 bytes per score, \
         checksum {checksum:#x})"
    );
    let (start, cpu1) = (Instant::now(), cpu_seconds());
    let (mut mask_time, mut accumulate_time, mut window_time) = (0.0, 0.0, 0.0);
    let mut extra_passes = 0;
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
            extra_passes += mask.passes() - 1;
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
    let total = start.elapsed().as_secs_f64();
    let total_cpu = cpu_seconds() - cpu1;
    println!("  window hints           {window_time:8.3} s");
    println!("  masks (sample_mask)    {mask_time:8.3} s   ({extra_passes} extra passes: missed windows)");
    println!("  accumulate counts      {accumulate_time:8.3} s");
    println!("  sweep total            {total:8.3} s   (CPU {total_cpu:.2} s; target <= 3 s wall)");
    println!(
        "  ratio total / floor    {:8.3}     (CPU ratio {:.3})",
        total / floor,
        total_cpu / floor_cpu
    );
    match numpy_sweep() {
        Some(numpy) => println!(
            "  NumPy sweep (1 thread) {numpy:8.3} s   (benches/masks_numpy.py; ratio NumPy / ours \
             {:.1}, target >= 10)",
            numpy / total
        ),
        None => {
            println!("  NumPy sweep            skipped (no NumPy in $PAI_BENCH_PYTHON or python3)")
        }
    }
}

fn big(law: &HalfNormal, seed: MasterSeed) {
    let n = 32768;
    let spec = spec(n);
    println!(
        "Big mask {n} x {n} ({} scores), rho {DENSITY}, exp:3/exp:3, gaussian:1",
        n * n
    );
    let (start, cpu0) = (Instant::now(), cpu_seconds());
    let checksum = draw_uniforms(&spec, seed, "BENCH-MASKS/big");
    let floor = start.elapsed().as_secs_f64();
    println!(
        "  uniform floor          {floor:8.3} s   (CPU {:.2} s, checksum {checksum:#x})",
        cpu_seconds() - cpu0
    );
    let (start, cpu0) = (Instant::now(), cpu_seconds());
    let window = threshold_window(&spec, law, WINDOW_DELTA).expect("window");
    let window_time = start.elapsed().as_secs_f64();
    let mask = sample_mask(&spec, law, seed, "BENCH-MASKS/big", Some(window)).expect("mask");
    let total = start.elapsed().as_secs_f64();
    println!(
        "  exact mask             {total:8.3} s   (CPU {:.2} s, window {window_time:.3} s, {} passes, \
         tau {:.6}, kept {}; target <= 5 s), ratio to floor {:.2}, VmHWM {:.0} MiB (target <= 156)",
        cpu_seconds() - cpu0,
        mask.passes(),
        mask.threshold(),
        mask.kept(),
        total / floor,
        peak_rss_mib().unwrap_or(f64::NAN)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let law = HalfNormal { sigma: 1.0 };
    let seed = MasterSeed::default();
    if args.iter().any(|a| a == "big" || a == "big-only") {
        big(&law, seed);
    }
    if !args.iter().any(|a| a == "big-only") {
        sweep(&law, seed);
    }
}
