use pai_graphon::convergence::limit::Fsm;
use pai_graphon::external::sharp::{Options, Sharp};
use pai_graphon::external::simulate::{Draw, Model};
use pai_graphon::external::Null;
use pai_graphon::seed::MasterSeed;
use std::time::Instant;

fn main() -> Result<(), pai_graphon::Error> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(512, |s| s.parse().unwrap());
    let s: usize = args.get(2).map_or(8, |s| s.parse().unwrap());
    let unordered = args.get(3).is_some_and(|a| a == "u");
    let rho = 0.2;
    let fsm = Fsm::figure1();
    let t0 = Instant::now();
    let opts = Options {
        null: Null::Limit,
        unordered,
        delta: 1e-3,
        replicates: None,
        seed: MasterSeed::default(),
        test_density: true,
    };
    let sharp = Sharp::new(Model::from_fsm(&fsm, n, n, rho)?, s, opts)?;
    eprintln!("prepare {:?}", t0.elapsed());
    let seed = MasterSeed::new(7);
    let cases: Vec<(&str, Model, Draw)> = vec![
        ("topk", Model::from_fsm(&fsm, n, n, rho)?, Draw::TopK),
        ("frozen", Model::from_fsm(&fsm, n, n, rho)?, Draw::Frozen),
        (
            "rho*1.01",
            Model::from_fsm(&fsm, n, n, rho * 1.01)?,
            Draw::TopK,
        ),
        (
            "exp2.94",
            Model::from_fsm(&Fsm::parse_spec("exp:2.94;exp:2.94;gaussian:1")?, n, n, rho)?,
            Draw::TopK,
        ),
        (
            "exp2.9",
            Model::from_fsm(&Fsm::parse_spec("exp:2.9;exp:2.9;gaussian:1")?, n, n, rho)?,
            Draw::TopK,
        ),
    ];
    for (name, model, draw) in cases {
        for rep in 0..3 {
            let masks = model.draw_stack(draw, s, seed, &format!("probe/{name}/{rep}"))?;
            let t = Instant::now();
            let v = sharp.verdicts(&masks)?;
            let z: Vec<String> = v
                .iter()
                .map(|v| {
                    format!(
                        "{}={:.3}/{:.3}:{:?}",
                        &v.check[..6.min(v.check.len())],
                        v.observed,
                        v.threshold,
                        v.status
                    )
                })
                .collect();
            println!("{name} rep {rep} {:?}: {}", t.elapsed(), z.join(" "));
        }
    }
    Ok(())
}
