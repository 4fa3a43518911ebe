//! `pai-graphon check` end to end (harness = false): a stack of the Figure-1 model written as
//! `.npy`, checked by the release binary with the default null (`limit`) and δ = 1e-3, timed with
//! `std::time::Instant`; the child's peak resident set from `getrusage(RUSAGE_CHILDREN)`.
//!
//! `cargo bench --bench check` runs 8 × 512 × 512 stacks (top-k and frozen-threshold masks, which
//! pass, and a top-k stack at ρ(1 + 1 %), which is rejected only after both nulls' full replicate
//! sets); `cargo bench --bench check -- big` adds 8 × 4096 × 4096 (top-k, passes).

use pai_graphon::convergence::limit::Fsm;
use pai_graphon::external::simulate::{Draw, Model};
use pai_graphon::npy::encode_u8;
use pai_graphon::seed::MasterSeed;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const DENSITY: f64 = 0.2;
const STACK: usize = 8;

/// Writes `STACK` masks of the Figure-1 model at density `rho` drawn by `draw` to `path`.
fn write_stack(path: &Path, n: usize, rho: f64, draw: Draw) -> Result<(), pai_graphon::Error> {
    let model = Model::from_fsm(&Fsm::figure1(), n, n, rho)?;
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
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage.ru_maxrss as f64 / 1024.0
}

fn run(dir: &Path, name: &str, n: usize, rho: f64, draw: Draw, target: f64) {
    let path = dir.join(format!("{name}.npy"));
    write_stack(&path, n, rho, draw).expect("the stack is drawn");
    let stack_mib = (STACK * n * n) as f64 / (1 << 20) as f64;
    let start = Instant::now();
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
    let verdict = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or("")
        .to_string();
    println!(
        "  {name:<34} {wall:7.2} s (target {target} s)  peak {:.0} MiB (stack {stack_mib:.0} MiB; \
         limit 2×stack + 200)  exit {}  {verdict}",
        children_peak_mib(),
        out.status.code().unwrap_or(-1)
    );
}

fn main() {
    let big = std::env::args().any(|a| a == "big");
    let dir = std::env::temp_dir().join(format!("pai-graphon-bench-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    println!(
        "check --against fsm:exp:3;exp:3;gaussian:1 --density 0.2 (null limit, δ = 1e-3), {STACK} masks"
    );
    run(&dir, "512, top-k (passes)", 512, DENSITY, Draw::TopK, 3.0);
    run(
        &dir,
        "512, frozen threshold (passes)",
        512,
        DENSITY,
        Draw::Frozen,
        3.0,
    );
    run(
        &dir,
        "512, top-k at ρ·1.01 (rejected)",
        512,
        DENSITY * 1.01,
        Draw::TopK,
        3.0,
    );
    if big {
        run(
            &dir,
            "4096, top-k (passes)",
            4096,
            DENSITY,
            Draw::TopK,
            60.0,
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
