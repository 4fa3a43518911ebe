//! The certified cut norm (`graphon::cutnorm::cut_norm`, issue #22 point 2) on the Figure-1
//! model's `M − P` (harness = false): M one exact mask (n = d, ρ = 0.2, profiles exp:3/exp:3,
//! gaussian:1 noise, `sample_mask`), `P_ij = P(|ξ| > τ/(φ_i ψ_j))` at the mask's threshold τ.
//! Default options. Each width runs in a child process (this binary with `case=<n>`), which
//! reports wall and CPU seconds, its peak resident set (VmHWM), lower, upper, upper ÷ lower,
//! the SDP solver's iterations and whether it converged, and the SDP certificate's failure
//! probability.
//!
//! `cargo bench --bench cutnorm` runs n = 1000, 2000, 4096; `-- big` adds 16384 (dense: A and its
//! bordered copy take 2 GiB each; the certificate is then matrix-free) and `-- n=<n>` runs one
//! width. When `$PAI_BENCH_PYTHON` names an interpreter that imports the `cutnorm` package
//! (uncertified; Alon–Naor via a low-rank Wen–Yin solve), its time on the same matrix (written to
//! a temporary raw f64 file; after a 64 × 64 warm-up call, so numba's compilation is not timed) is
//! printed beside ours.

#[path = "common/mod.rs"]
mod common;

use faer::Mat;
use pai_graphon::convergence::noise::{HalfNormal, NoiseLaw};
use pai_graphon::convergence::profile::Profile;
use pai_graphon::convergence::sampler::{sample_mask, MaskSpec};
use pai_graphon::graphon::cutnorm::{cut_norm, CutNormOptions};
use pai_graphon::params::Density;
use pai_graphon::seed::MasterSeed;
use std::process::Command;
use std::time::Instant;

const WIDTHS: [usize; 3] = [1000, 2000, 4096];

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// The Figure-1 model's `M − P` at width n (one mask).
fn matrix(n: usize) -> Mat<f64> {
    let exp3 = Profile::parse("exp:3").expect("valid profile");
    let spec = MaskSpec::new(n, n, Density::constant(0.2), &exp3, &exp3).expect("valid spec");
    let law = HalfNormal { sigma: 1.0 };
    let label = format!("BENCH-CUTNORM/n={n}/mask");
    let mask = sample_mask(&spec, &law, MasterSeed::default(), &label, None).expect("mask");
    let tau = mask.threshold();
    let (phi, psi) = (spec.phi(), spec.psi());
    Mat::from_fn(n, n, |i, j| {
        let m = f64::from(u8::from(mask.get(i, j).expect("in range")));
        let scale = phi[i] * psi[j];
        m - if scale > 0.0 {
            law.tail(tau / scale)
        } else {
            0.0
        }
    })
}

/// The `cutnorm` package's seconds on `a`, when `$PAI_BENCH_PYTHON` has it.
fn python_seconds(a: &Mat<f64>) -> Option<f64> {
    let python = std::env::var("PAI_BENCH_PYTHON").ok()?;
    let n = a.nrows();
    let path = std::env::temp_dir().join(format!("pai-bench-cutnorm-{n}.f64"));
    let bytes: Vec<u8> = (0..n)
        .flat_map(|i| (0..a.ncols()).map(move |j| (i, j)))
        .flat_map(|(i, j)| a[(i, j)].to_le_bytes())
        .collect();
    std::fs::write(&path, bytes).ok()?;
    let script = "import sys, time, numpy as np\n\
                  from cutnorm import compute_cutnorm\n\
                  n = int(sys.argv[2]); a = np.fromfile(sys.argv[1], dtype='<f8').reshape(n, n)\n\
                  w = np.random.default_rng(0).random((64, 64)); compute_cutnorm(w, np.zeros_like(w))\n\
                  t = time.time(); r = compute_cutnorm(a, np.zeros_like(a))\n\
                  print('python-cutnorm', time.time() - t, r[0], r[1])";
    let out = Command::new(python)
        .args(["-c", script, path.to_str()?, &n.to_string()])
        .output()
        .ok()?;
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("python-cutnorm"))?;
    println!("           {line} (seconds, rounded value, SDP value; neither certified)");
    line.split_whitespace().nth(1)?.parse().ok()
}

/// One width, in this process.
fn case(n: usize) {
    let a = matrix(n);
    let mut rng = MasterSeed::default().stream(&format!("BENCH-CUTNORM/n={n}/cut-norm"));
    let (wall, cpu) = (Instant::now(), common::cpu_seconds());
    let c = cut_norm(a.as_ref(), &CutNormOptions::default(), &mut rng).expect("cut norm");
    let (wall, cpu) = (wall.elapsed().as_secs_f64(), common::cpu_seconds() - cpu);
    println!(
        "n = {n:>6}: {wall:8.2} s wall, {cpu:8.2} s CPU, VmHWM {:7.0} MiB, lower {:.5e}, \
         upper {:.5e}, upper/lower {:.4}, SDP iterations {} (converged {}), σ − 1 = {:.2e}, \
         failure probability {:e}",
        peak_rss_mib(),
        c.lower,
        c.upper,
        c.upper / c.lower,
        c.sdp_iterations,
        c.sdp_converged,
        c.sdp_sigma - 1.0,
        c.sdp_failure_probability,
    );
    python_seconds(&a);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(n) = args.iter().find_map(|a| a.strip_prefix("case=")) {
        case(n.parse().expect("case=<n>"));
        return;
    }
    let mut widths: Vec<usize> = match args.iter().find_map(|a| a.strip_prefix("n=")) {
        Some(n) => vec![n.parse().expect("n=<n>")],
        None => WIDTHS.to_vec(),
    };
    if args.iter().any(|a| a == "big") {
        widths.push(16384);
    }
    println!("Certified cut norm of the Figure-1 model's M − P (one mask, default options):");
    let exe = std::env::current_exe().expect("own path");
    for n in widths {
        let status = Command::new(&exe)
            .arg(format!("case={n}"))
            .status()
            .expect("child process");
        assert!(status.success(), "width {n} failed");
    }
}
