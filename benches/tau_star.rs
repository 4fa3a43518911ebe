//! Timing of τ*: the f64 certified solve of Figure 1's instance and, with `--features mpfr`,
//! the MPFR solve at 256 bits. `cargo bench --bench tau_star [--features mpfr]`; prints the
//! median of repeated runs.

use pai_graphon::convergence::limit::{Fsm, FIGURE1_DENSITY};
use std::time::{Duration, Instant};

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn time<T>(reps: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..reps)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(f());
                start.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let fsm = Fsm::figure1();
    let t = fsm.tau_star(FIGURE1_DENSITY).unwrap();
    let d = time(201, || fsm.tau_star(FIGURE1_DENSITY).unwrap());
    println!(
        "f64 tau_star  exp:3 x exp:3, gaussian:1, rho 0.2: median {:?} over 201 runs; tau = {:.16e}, certified width {:.2e}, {} evaluations",
        d,
        t.value,
        t.interval.1 - t.interval.0,
        t.evaluations
    );
    #[cfg(feature = "mpfr")]
    {
        use pai_graphon::mp::limit::{solve_mp, tau_star_mp, DEFAULT_NODES};
        let rho = rug::Float::with_val(256, rug::Float::parse("0.2").unwrap());
        let d = time(5, || solve_mp(&fsm, &rho, 256, DEFAULT_NODES).unwrap());
        println!("mpfr solve_mp  256 bits, {DEFAULT_NODES} nodes: median {d:?} over 5 runs");
        let d = time(3, || tau_star_mp(&fsm, "0.2", 256).unwrap());
        let t = tau_star_mp(&fsm, "0.2", 256).unwrap();
        println!(
            "mpfr tau_star_mp (3 solves: 256/320 bits, {}/{} nodes): median {d:?}; tau = {:.45e}, agreement {:.1e}",
            t.nodes.0, t.nodes.1, t.value, t.error_estimate
        );
    }
}
