//! NTK-13 (the bound against held-out error) and NTK-18 (over-concentration; NTK-14 retired).

use crate::common;

use pai_graphon::claims;
use pai_graphon::seed::MasterSeed;

#[test]
fn ntk_13_bound_against_held_out_error() {
    common::check_claim("NTK-13");
}

#[test]
fn ntk_18_over_concentration() {
    common::check_claim("NTK-18");
}

/// Prints every number of a claim (for reading, not checking).
#[test]
#[ignore = "slow: prints the claims' numbers"]
fn explore() {
    for id in ["NTK-13", "NTK-18"] {
        let claim = claims::find(id).unwrap();
        let t = std::time::Instant::now();
        match claims::run(&claim, MasterSeed::default(), 1.0) {
            Ok(row) => {
                println!(
                    "{id}: {} observed {} threshold {} control {:?} ({:?})",
                    row.status,
                    row.observed,
                    row.threshold,
                    row.control,
                    t.elapsed()
                );
                for (k, v) in row.details {
                    println!("  {k} = {v}");
                }
            }
            Err(e) => println!("{id}: error {e}"),
        }
    }
}
