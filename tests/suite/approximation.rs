//! Claims UAT-1 … UAT-5 (theory/approximation.md) and the pieces they stand on.

use crate::common;
use common::{check_claim, on_threads};
use pai_graphon::approximation::fit::{held_out, Reach, Target};
use pai_graphon::approximation::wiring::{band_coordinate, sample_columns, WiringGraphon};
use pai_graphon::seed::MasterSeed;

#[test]
fn uat_1_wired_count_above_chernoff_bound() {
    check_claim("UAT-1");
}

#[test]
fn uat_2_error_falls_on_the_active_subspace() {
    check_claim("UAT-2");
}

#[test]
fn uat_3_error_curves_do_not_depend_on_d() {
    check_claim("UAT-3");
}

#[test]
fn uat_4_inactive_coordinate_error_floor() {
    check_claim("UAT-4");
}

#[test]
fn uat_5_no_edge_floor_no_approximation() {
    check_claim("UAT-5");
}

/// The floors are the variances the reach cannot see: by Monte Carlo on 200 000 uniform
/// points, the variance of g minus its best additive / partial fit agrees with the closed form
/// to within a Hoeffding bound (range 9 for the square, δ = 1e-6 each).
#[test]
fn floors_match_a_direct_computation() {
    let n = 200_000usize;
    let x =
        pai_graphon::approximation::fit::uniform_inputs(n, 2, MasterSeed::default(), "test/floors");
    // x_b² is independent of x_a: E[(x_b² − 1/3)²] is the floor of cos(π x_a) + x_b² without x_b.
    let z: Vec<f64> = (0..n)
        .map(|r| (x[2 * r + 1].powi(2) - 1.0 / 3.0).powi(2))
        .collect();
    let mean = z.iter().sum::<f64>() / n as f64;
    let t = pai_graphon::tol::hoeffding(n, 1.0, 1e-6, pai_graphon::tol::Tail::Two).unwrap();
    assert!((mean - Target::CosPlusSquare(0, 1).floor(&Reach::Joint(vec![0]))).abs() <= t);
    let z: Vec<f64> = (0..n).map(|r| (x[2 * r] * x[2 * r + 1]).powi(2)).collect();
    let mean = z.iter().sum::<f64>() / n as f64;
    assert!((mean - Target::Product(0, 1).floor(&Reach::Separate(vec![0, 1]))).abs() <= t);
}

/// Bands: the first coordinate of band r sits in band r for every d divisible by 8; bad d or
/// r is an error.
#[test]
fn band_coordinates() {
    for d in [8, 32, 256] {
        for r in 0..8 {
            let j = band_coordinate(r, d).unwrap();
            assert_eq!((((j as f64 + 0.5) / d as f64) * 8.0) as usize, r);
        }
    }
    assert!(band_coordinate(0, 30).is_err());
    assert!(band_coordinate(8, 32).is_err());
}

/// Same streams, same masks; the checkerboard never wires one neuron to both bands.
#[test]
fn masks_are_reproducible_and_respect_the_graphon() {
    let g = WiringGraphon::Checkerboard { q: 0.9 };
    let a = sample_columns(&g, 64, 32, &[0, 4], MasterSeed::default(), "test/m").unwrap();
    let b = sample_columns(&g, 64, 32, &[0, 4], MasterSeed::default(), "test/m").unwrap();
    assert_eq!(a, b);
    assert!(a.chunks(2).all(|row| !(row[0] && row[1])));
    assert!(a.iter().any(|&m| m));
    assert!(sample_columns(
        &WiringGraphon::Block { p: 1.5, bands: 2 },
        4,
        32,
        &[0],
        MasterSeed::default(),
        "x"
    )
    .is_err());
    assert!(sample_columns(&g, 4, 32, &[32], MasterSeed::default(), "x").is_err());
}

/// Bad input: decreasing widths, repeated or out-of-range coordinates, too few samples.
#[test]
fn held_out_rejects_bad_input() {
    let g = WiringGraphon::Block { p: 0.5, bands: 2 };
    let t = Target::SinProduct(vec![0, 4]);
    let seed = MasterSeed::default();
    assert!(held_out(&g, 32, std::slice::from_ref(&t), &[8, 4], 100, seed, "x").is_err());
    assert!(held_out(&g, 32, &[Target::Product(3, 3)], &[4], 100, seed, "x").is_err());
    assert!(held_out(&g, 32, &[Target::Product(3, 40)], &[4], 100, seed, "x").is_err());
    assert!(held_out(&g, 32, std::slice::from_ref(&t), &[4], 1, seed, "x").is_err());
    assert!(held_out(&g, 32, &[], &[4], 100, seed, "x").is_err());
}

/// The fit is bit-identical on one thread and on three (fixed chunks, columns filled
/// independently, partial Gram matrices added in chunk order).
#[test]
fn held_out_does_not_depend_on_the_thread_count() {
    let g = WiringGraphon::Block { p: 0.5, bands: 4 };
    let targets = [Target::SinProduct(vec![0, 4]), Target::CosPlusSquare(0, 24)];
    let run = |threads: usize| {
        on_threads(threads, || {
            held_out(
                &g,
                32,
                &targets,
                &[8, 64],
                9000,
                MasterSeed::default(),
                "test/threads",
            )
            .unwrap()
        })
    };
    let (a, b) = (run(1), run(3));
    for (x, y) in a.errors.iter().flatten().zip(b.errors.iter().flatten()) {
        assert_eq!(x.to_bits(), y.to_bits());
    }
    assert_eq!(a.wired, b.wired);
}
