//! Timing of the null simulator (`external::simulate`) against the crate's sampler:
//! `cargo run --release --example simulate_speed [n] [masks] [reps]` (defaults 512 8 20).
//! Prints, for each draw, ns per entry of CPU time (user + system time of the process from
//! /proc/self/stat, so other processes sharing the cores do not count) and of wall time.

use pai_graphon::convergence::limit::Fsm;
use pai_graphon::convergence::sampler::{sample_mask_for, threshold_window, MaskSpec};
use pai_graphon::external::simulate::{Draw, Model};
use pai_graphon::params::Density;
use pai_graphon::seed::MasterSeed;
use rand::Rng;
use std::time::Instant;

/// CPU seconds (user + system) this process has used so far.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let after = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0 // USER_HZ
}

/// Runs `f` and prints ns per entry of CPU and wall time.
fn timed(what: &str, entries: f64, f: impl FnOnce() -> String) {
    let (c, t) = (cpu_seconds(), Instant::now());
    let note = f();
    let (cpu, wall) = (cpu_seconds() - c, t.elapsed().as_secs_f64());
    println!(
        "{what}: {:.2} ns/entry CPU, {:.2} ns/entry wall ({wall:.2} s) {note}",
        cpu * 1e9 / entries,
        wall * 1e9 / entries
    );
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("a number"))
        .collect();
    let n = args.first().copied().unwrap_or(512);
    let masks = args.get(1).copied().unwrap_or(8);
    let reps = args.get(2).copied().unwrap_or(20);
    let fsm = Fsm::figure1();
    let t0 = Instant::now();
    let model = Model::from_fsm(&fsm, n, n, 0.2).expect("model");
    println!(
        "model {n} × {n}: built in {:.1} ms",
        t0.elapsed().as_secs_f64() * 1e3
    );
    let entries = (n * n * masks * reps) as f64;
    let seed = MasterSeed::default();
    for how in [Draw::TopK, Draw::Frozen] {
        // the first draw of each law builds its window and per-entry cuts: timed apart
        timed(
            &format!("{how:?} first draw (builds the cuts)"),
            (n * n) as f64,
            || {
                model.draw(how, seed, "SPEED/warm").expect("draw");
                String::new()
            },
        );
    }
    for how in [Draw::TopK, Draw::Frozen] {
        timed(
            &format!("{how:?} {reps} × {masks} × {n}²"),
            entries,
            || {
                let mut passes = 0;
                for r in 0..reps {
                    let label = format!("SPEED/rep={r}");
                    let stack = model.draw_stack(how, masks, seed, &label).expect("draw");
                    passes += stack.iter().map(|m| m.passes()).sum::<u32>();
                }
                format!("({} masks redrawn)", passes as usize - masks * reps)
            },
        );
    }
    timed("ChaCha20 alone, 4 bytes per entry", entries, || {
        let mut buf = vec![0u8; 4 * n];
        let mut rng = seed.stream("SPEED/chacha");
        for _ in 0..n * masks * reps {
            rng.fill_bytes(&mut buf);
        }
        format!("(one thread, {})", buf[0])
    });
    let spec = MaskSpec::new(n, n, Density::constant(0.2), &fsm.row, &fsm.col).expect("spec");
    let hint = threshold_window(&spec, fsm.noise.law(), 1e-6).expect("window");
    let reps_ref = reps.div_ceil(4);
    timed("sample_mask_for", (n * n * masks * reps_ref) as f64, || {
        for r in 0..reps_ref {
            for s in 0..masks {
                let label = format!("SPEED/{r}/{s}");
                sample_mask_for(&spec, &fsm.noise, seed, &label, Some(hint)).expect("mask");
            }
        }
        String::new()
    });
}
