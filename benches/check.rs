//! `pai-graphon check` end to end (harness = false): a stack of the Figure-1 model written as
//! `.npy`, checked by the release binary with the default null (`limit`) and δ = 1e-3, timed with
//! `std::time::Instant`; the child's peak resident set from `getrusage(RUSAGE_CHILDREN)`.
//!
//! `PAI_BENCH_VERBOSE=1` prints each check's table and keeps the stacks in the temporary directory.
//!
//! `cargo bench --bench check` runs 8 × 512 × 512 stacks (top-k and frozen-threshold masks, which
//! pass; a top-k stack at ρ(1 + 1 %), rejected after the frozen null's full replicate set (its
//! kept counts are impossible under top-k); a top-k stack with profiles exp:2.94, rejected after
//! the top-k null's full replicate set (its exact kept counts name that law alone)); `cargo bench --bench check -- big` adds 8 × 4096 × 4096 (top-k, passes).

use pai_graphon::convergence::limit::Fsm;
use pai_graphon::external::simulate::{Draw, Model};
use pai_graphon::npy::encode_u8;
use pai_graphon::seed::MasterSeed;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const DENSITY: f64 = 0.2;
/// The Figure-1 profiles' exponent.
const EXPONENT: f64 = 3.0;
const STACK: usize = 8;

/// Writes `STACK` masks of the Figure-1 model with profiles `exp:exponent` at density `rho` drawn
/// by `draw` to `path`.
fn write_stack(
    path: &Path,
    n: usize,
    (exponent, rho): (f64, f64),
    draw: Draw,
) -> Result<(), pai_graphon::Error> {
    let profile = format!("exp:{exponent}");
    let fsm = Fsm::parse(&profile, &profile, "gaussian:1")?;
    let model = Model::from_fsm(&fsm, n, n, rho)?;
    let masks = model.draw_stack(draw, STACK, MasterSeed::new(2026), "BENCH-CHECK")?;
    let mut entries = Vec::with_capacity(STACK * n * n);
    for m in &masks {
        for i in 0..n {
            entries.extend((0..n).map(|j| u8::from(m.get(i, j) == Some(true))));
        }
    }
    let bytes = encode_u8(&[STACK, n, n], &entries)?;
    std::fs::write(path, bytes).expect("the bench writes to a temporary directory");
    Ok(())
}

/// Peak resident set of the largest child so far, MiB (the cases run in increasing size, so the
/// last one's is its own).
fn children_peak_mib() -> f64 {
    children_usage().ru_maxrss as f64 / 1024.0
}

/// CPU seconds (user + system) of all children so far: with the wall time, it shows whether a
/// slow run was slow or only waiting for a busy machine.
fn children_cpu_s() -> f64 {
    let u = children_usage();
    let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    s(u.ru_utime) + s(u.ru_stime)
}

fn children_usage() -> libc::rusage {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage
}

fn run(dir: &Path, name: &str, n: usize, model: (f64, f64), draw: Draw, target: f64) {
    let path = dir.join(format!("{name}.npy"));
    write_stack(&path, n, model, draw).expect("the stack is drawn");
    let stack_mib = (STACK * n * n) as f64 / (1 << 20) as f64;
    let (start, cpu) = (Instant::now(), children_cpu_s());
    let out = Command::new(env!("CARGO_BIN_EXE_pai-graphon"))
        .args(["check", "--masks"])
        .arg(&path)
        .args([
            "--against",
            "fsm:exp:3;exp:3;gaussian:1",
            "--density",
            "0.2",
        ])
        .output()
        .expect("the binary runs");
    let wall = start.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let row = |what: &str| {
        stdout
            .lines()
            .find(|l| l.contains(what))
            .unwrap_or("")
            .trim()
            .to_string()
    };
    let verdict = stdout.lines().last().unwrap_or("").to_string();
    if std::env::var_os("PAI_BENCH_VERBOSE").is_some() {
        println!("{stdout}");
    }
    println!(
        "  {name:<34} {wall:7.2} s (target {target} s; CPU {:.2} s)  peak {:.0} MiB (stack {stack_mib:.0} MiB; \
         limit 2×stack + 200)  exit {}  {verdict}\n      {}",
        children_cpu_s() - cpu,
        children_peak_mib(),
        out.status.code().unwrap_or(-1),
        row("p-value"),
    );
}

fn main() {
    let big = std::env::args().any(|a| a == "big");
    let dir = std::env::temp_dir().join(format!("pai-graphon-bench-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    println!(
        "check --against fsm:exp:3;exp:3;gaussian:1 --density 0.2 (null limit, δ = 1e-3), {STACK} masks"
    );
    let right = (EXPONENT, DENSITY);
    run(&dir, "512, top-k (passes)", 512, right, Draw::TopK, 3.0);
    run(&dir, "512, frozen (passes)", 512, right, Draw::Frozen, 3.0);
    let dense = (EXPONENT, DENSITY * 1.01);
    run(
        &dir,
        "512, top-k at ρ·1.01 (rejected)",
        512,
        dense,
        Draw::TopK,
        3.0,
    );
    // Exact kept counts: rejected only after the top-k null's full replicate set.
    let flat = (EXPONENT * 0.98, DENSITY);
    run(
        &dir,
        "512, top-k at exp:2.94 (rejected)",
        512,
        flat,
        Draw::TopK,
        3.0,
    );
    if big {
        run(&dir, "4096, top-k (passes)", 4096, right, Draw::TopK, 60.0);
    }
    if std::env::var_os("PAI_BENCH_VERBOSE").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
