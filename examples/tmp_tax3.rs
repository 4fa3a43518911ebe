use pai_graphon::net::{criteria::*, data::*, network::Network};
use pai_graphon::seed::MasterSeed;
fn main() {
    let seed = MasterSeed::default();
    for signal in [0.1, 0.15] {
        for samples in [500usize, 1000] {
        let spec = DataSpec::Synthetic(SyntheticSpec { signal, samples, ..SyntheticSpec::default() });
        let data = load(&spec, seed, "X/data").unwrap();
        let n = 4096;
        for m in ["snip", "grasp", "grasp-magnitude", "snip-centred"] {
            let net = Network::init(n, data.d, seed, &format!("X/{m}")).unwrap();
            let p = prune(&net, &data, &PruneSpec::new(Method::parse(m).unwrap(), 0.2), seed, &format!("X/{m}")).unwrap();
            let c = p.mask.column_degrees();
            let f = |r: std::ops::Range<usize>| { let v: Vec<f64> = r.map(|j| c[j] as f64 / n as f64).collect(); (v.iter().cloned().fold(1.0, f64::min), v.iter().sum::<f64>() / v.len() as f64) };
            println!("signal {signal} B {samples} {m:16} inf(min,mean) {:?} noise {:?} zero {:?}", f(0..32), f(32..64), f(64..96));
        }}
    }
}
