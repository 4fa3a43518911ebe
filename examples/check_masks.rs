//! Sample a stack of masks from the Figure-1 Factorised Saliency Model and check it with the sharp
//! check against limit graphons: its own (every verdict passes) and two wrong ones (a constant
//! graphon; a constant column profile), each of which fails.
//!
//! `cargo run --release --example check_masks`

use pai_graphon::claims::Status;
use pai_graphon::convergence::limit::Fsm;
use pai_graphon::external::sharp::{Options, Sharp};
use pai_graphon::external::simulate::{Draw, Model};
use pai_graphon::external::Null;
use pai_graphon::seed::MasterSeed;

fn main() -> Result<(), pai_graphon::Error> {
    let (n, stack, rho, delta) = (128, 4, 0.2, 1e-3);
    let seed = MasterSeed::default();
    // Four top-k masks over the streams `example/masks/s` of the default master seed.
    let data = Model::from_fsm(&Fsm::figure1(), n, n, rho)?;
    let masks = data.draw_stack(Draw::TopK, stack, seed, "example/masks")?;
    for limit_spec in [
        "exp:3;exp:3;gaussian:1",
        "const:1;const:1",
        "exp:3;const:1;gaussian:1",
    ] {
        let limit = Model::from_fsm(&Fsm::parse_spec(limit_spec)?, n, n, rho)?;
        let options = Options {
            null: Null::Limit,
            unordered: false,
            delta: pai_graphon::params::Probability::new(delta)?,
            replicates: None,
            seed,
            test_density: true,
        };
        let verdicts = Sharp::new(limit, stack, options)?.verdicts(&masks)?;
        let fails = verdicts.iter().filter(|v| v.status == Status::Fail).count();
        println!(
            "against {limit_spec}: {fails} of {} verdicts fail",
            verdicts.len()
        );
        for v in &verdicts {
            println!(
                "  {:<40} {:>10.4} against {:>10.4}  {}",
                v.check, v.observed, v.threshold, v.status
            );
        }
        let expected = limit_spec == "exp:3;exp:3;gaussian:1";
        assert_eq!(fails == 0, expected, "against {limit_spec}");
    }
    Ok(())
}
