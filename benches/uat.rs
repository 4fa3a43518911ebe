//! The full UAT check at the target scale (harness = false; timed with `std::time::Instant`).
//!
//! `cargo bench --bench uat` runs claims UAT-1 … UAT-5 at scale 1 (widths up to 1024 for the
//! fits, N = 20 000 training and 20 000 held-out points) one after another, then the default
//! `pai-graphon uat` computation (d = 32 and 256, widths 16 … 1024, two targets each). The
//! target is < 10 s on 2 cores for the claims together.

use pai_graphon::approximation::fit::{held_out, Target};
use pai_graphon::approximation::wiring::WiringGraphon;
use pai_graphon::claims;
use pai_graphon::claims::approximation::{SAMPLES, WIDTHS};
use pai_graphon::seed::MasterSeed;
use std::time::Instant;

mod common;
use common::cpu_seconds;

const TARGET_SECONDS: f64 = 10.0;

fn main() {
    println!("{} rayon threads", rayon::current_num_threads());
    let (start, cpu0) = (Instant::now(), cpu_seconds());
    for id in ["UAT-1", "UAT-2", "UAT-3", "UAT-4", "UAT-5"] {
        let claim = claims::find(id).expect("registered");
        let (t, cpu) = (Instant::now(), cpu_seconds());
        let row = claims::run(&claim, MasterSeed::default(), 1.0).expect("runs");
        println!(
            "{id}: {} in {:.2} s wall, {:.2} s cpu",
            row.status,
            t.elapsed().as_secs_f64(),
            cpu_seconds() - cpu
        );
    }
    let wall = start.elapsed().as_secs_f64();
    println!(
        "all UAT claims: {wall:.2} s wall, {:.2} s cpu (target < {TARGET_SECONDS} s)  {}",
        cpu_seconds() - cpu0,
        if wall < TARGET_SECONDS { "ok" } else { "SLOW" }
    );
    let (t, cpu) = (Instant::now(), cpu_seconds());
    let g = WiringGraphon::Block { p: 0.5, bands: 4 };
    for d in [32, 256] {
        let targets = [
            Target::SinProduct(vec![0, d / 8]),
            Target::CosPlusSquare(0, 6 * d / 8),
        ];
        held_out(
            &g,
            d,
            &targets,
            &WIDTHS,
            SAMPLES,
            MasterSeed::default(),
            "bench/uat",
        )
        .expect("fits");
    }
    println!(
        "default `uat` computation: {:.2} s wall, {:.2} s cpu",
        t.elapsed().as_secs_f64(),
        cpu_seconds() - cpu
    );
}
