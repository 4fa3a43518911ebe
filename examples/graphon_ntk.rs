//! Compute a graphon NTK on real data: the kernel K_W of the constant graphon and of a
//! SNIP-type graphon on 300 UCI digits, its certified smallest eigenvalue and the complexity
//! yᵀK⁻¹y that enters the generalisation bound.
//!
//! `cargo run --release --example graphon_ntk`

use pai_graphon::linalg::certified_lambda_min;
use pai_graphon::net::data::{load, DataSpec};
use pai_graphon::ntk::bound::complexity;
use pai_graphon::ntk::kernel::{graphon_ntk, unit_rows, KernelGraphon, Layers};
use pai_graphon::ntk::path::bounded_graphon_ntk;
use pai_graphon::ntk::reality::snip_type_graphon;
use pai_graphon::seed::MasterSeed;

fn main() -> Result<(), pai_graphon::Error> {
    let (samples, rho, seed) = (300, 0.2, MasterSeed::default());
    // A seeded stratified subset (30 rows per digit), not the file's first rows.
    let set = load(&DataSpec::parse("digits")?, seed, "example/data")?
        .stratified_subset(samples, seed)?;
    let raw = faer::Mat::from_fn(samples, set.d, |b, j| set.row(b)[j]);
    let x = unit_rows(raw.as_ref())?;
    let y = &set.y;
    let graphons = [
        ("constant", KernelGraphon::constant(rho, set.d)?),
        ("snip-type", snip_type_graphon(x.as_ref(), y, rho, 1.0)?),
    ];
    for (name, g) in graphons {
        let k = graphon_ntk(x.as_ref(), &g, Layers::First)?;
        let bounded = bounded_graphon_ntk(x.as_ref(), &g, Layers::First)?;
        let lambda = certified_lambda_min(bounded.k.as_ref(), bounded.error)?;
        let c = complexity(k.k.as_ref(), y)?;
        let p = g.path_density();
        let zero = p.iter().filter(|&&v| v == 0.0).count();
        println!(
            "{name:>9}: λ_min ≥ {lambda:.4e} (certified), yᵀK⁻¹y = {:.1}, path density zero on {zero} of {} pixels",
            c.raw,
            p.len()
        );
    }
    Ok(())
}
