//! The graphon NTK at the target scale (harness = false; timed with `std::time::Instant`).
//!
//! `cargo bench --bench ntk` times K_W on N = 1000 unit-normalised MNIST inputs (d = 784) for
//! the Figure-1 FSM graphon (exponential profiles, density 0.2) with 64 Gauss–Legendre nodes,
//! first layer trained, with and without the quadrature error bound; the target is < 2 s on
//! 2 cores. `-- small` uses N = 200.

use pai_graphon::convergence::limit::{Fsm, FIGURE1_DENSITY};
use pai_graphon::net::data::{load, DataSpec};
use pai_graphon::ntk::kernel::{graphon_ntk, unit_rows, KernelGraphon, Layers};
use pai_graphon::seed::MasterSeed;
use std::time::Instant;

mod common;
use common::cpu_seconds;

const TARGET_SECONDS: f64 = 2.0;
const NODES: usize = 64;

fn main() {
    let small = std::env::args().any(|a| a == "small");
    let samples = if small { 200 } else { 1000 };
    let set = load(&DataSpec::Mnist, MasterSeed::default(), "BENCH-NTK").expect("mnist loads");
    let x = faer::Mat::from_fn(samples, set.d, |b, j| set.row(b)[j]);
    let x = unit_rows(x.as_ref()).expect("MNIST rows are non-zero");
    let limit = Fsm::figure1()
        .limit_graphon(FIGURE1_DENSITY)
        .expect("the Figure-1 model is valid");
    let graphon = KernelGraphon::monotone_in_u(set.d, NODES, |u, v| limit.w(u, v))
        .expect("the FSM limit is monotone in u");
    println!(
        "N = {samples}, d = {}, {NODES} nodes, density {:.4}, {} rayon threads",
        set.d,
        graphon.density(),
        rayon::current_num_threads()
    );
    // Reference: one full Gram matrix X Xᵀ (2 N² d flops) by faer, sequential, for the
    // machine's matrix-multiply rate.
    let (t, cpu) = (Instant::now(), cpu_seconds());
    let mut gram = faer::Mat::<f64>::zeros(samples, samples);
    pai_graphon::linalg::matmul(
        gram.as_mut(),
        faer::Accum::Replace,
        x.as_ref(),
        x.as_ref().transpose(),
        1.0,
    );
    let (wall, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    let flops = 2.0 * (samples * samples * set.d) as f64;
    println!(
        "one sequential Gram X Xᵀ: wall {wall:.3} s, cpu {cpu:.2} s, {:.1} GFLOP/s (64 nodes need {:.1e} flops on the lower triangle)",
        flops / wall / 1e9,
        NODES as f64 * flops / 2.0
    );
    // The same nodes without the Markov–Stieltjes brackets: the kernel alone (no error bound is
    // computed; `KernelGraphon::new` would call these nodes exact cells, so none is printed).
    let unbracketed = KernelGraphon::new(
        graphon.nodes().to_vec(),
        graphon.weights().to_vec(),
        graphon.w().to_owned(),
    )
    .expect("same graphon");
    for (layers, g, what) in [
        (Layers::First, &unbracketed, "kernel only"),
        (Layers::First, &graphon, "with bound"),
        (Layers::Both, &graphon, "with bound"),
    ] {
        let (t, cpu) = (Instant::now(), cpu_seconds());
        let k = graphon_ntk(x.as_ref(), g, layers).expect("valid inputs");
        let (wall, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu);
        println!(
            "{layers:?}, {what}: wall {wall:.3} s, cpu {cpu:.2} s, quadrature bound {}, K_00 {:.6}  {}",
            match (what, k.quadrature_bound) {
                ("with bound", Some(b)) => format!("{b:.2e}"),
                _ => "—".to_string(),
            },
            k.k[(0, 0)],
            if wall < TARGET_SECONDS { "ok" } else { "SLOW" }
        );
    }
}
