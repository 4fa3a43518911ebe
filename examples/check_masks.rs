//! Sample masks from a Factorised Saliency Model and check them against limit graphons: their
//! own (all checks pass) and two wrong ones (a constant graphon; a constant column profile): each fails some.
//!
//! `cargo run --release --example check_masks`

use pai_graphon::claims::Status;
use pai_graphon::convergence::limit::Fsm;
use pai_graphon::convergence::mask::{sample_mask_for, MaskSpec};
use pai_graphon::external::check_masks;
use pai_graphon::seed::MasterSeed;

fn main() -> Result<(), pai_graphon::Error> {
    let (n, d, rho, delta) = (2000, 1000, 0.2, 1e-3);
    let fsm = Fsm::figure1();
    let spec = MaskSpec::new(n, d, rho, &fsm.row, &fsm.col)?;
    // Four masks over independent streams `example/seed=s` of the default master seed.
    let masks = (0..4)
        .map(|s| {
            sample_mask_for(
                &spec,
                &fsm.noise,
                MasterSeed::default(),
                &format!("example/seed={s}"),
                None,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    for limit_spec in [
        "exp:3;exp:3;gaussian:1",
        "const:1;const:1",
        "exp:3;const:1;gaussian:1",
    ] {
        let limit = Fsm::parse_spec(limit_spec)?.limit_graphon(rho)?;
        let verdicts = check_masks(&masks, &limit, delta)?;
        let failed: Vec<_> = verdicts
            .iter()
            .filter(|v| v.status != Status::Pass)
            .collect();
        println!(
            "against {limit_spec}: {} of {} checks pass",
            verdicts.len() - failed.len(),
            verdicts.len()
        );
        for v in failed.iter().take(4) {
            println!(
                "  mask {:?} {}: {:.4} against {:.4}, {}",
                v.mask, v.check, v.observed, v.threshold, v.status
            );
        }
    }
    Ok(())
}
