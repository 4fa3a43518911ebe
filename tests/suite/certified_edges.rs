//! Issue #17, items 1 and 2 (linear-algebra side): the certified routines over the whole domain
//! their APIs accept, not only typical values. Strategies reach the edges (subnormal and huge
//! entries, zero and constant matrices, rank one, 1 × n, λ_min ≈ 0 or negative); every result
//! is checked against exact rational arithmetic (every finite f64 is a dyadic rational):
//!
//! * the cut-norm interval contains the exact cut norm (`cut_norm_exact_rational`, itself checked
//!   against the definition), or the call is refused;
//! * `certify_lambda_min_above` / `certified_lambda_min`: `A − ℓI ⪰ 0` exactly (a rational
//!   symmetric elimination that tests positive semidefiniteness);
//! * `certify_lambda_max_below`: `μI − A ⪰ 0` exactly;
//! * `certified_quadratic_inverse`: the exact `yᵀA⁻¹y` lies in the enclosure;
//! * step graphons: f64 density and t(C4) within their stated error of the exact values;
//! * the graphon NTK: finite kernels with the Cauchy–Schwarz shape of a Gram matrix.
//!
//! Each finding of the hostile run is a named regression test at the end of the file.

use faer::Mat;
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Signed, Zero};
use pai_graphon::graphon::cutnorm::{cut_norm, cut_norm_exact_rational, CutNormOptions};
use pai_graphon::graphon::step::{
    c4_roundings, c4_underflow, degree_roundings, degree_underflow, density_roundings,
    density_underflow, StepGraphon,
};
use pai_graphon::linalg::{
    certified_lambda_min, certified_quadratic_inverse, certify_lambda_max_below,
    certify_lambda_min_above,
};
use pai_graphon::ntk::kernel::{graphon_ntk, unit_rows, KernelGraphon, Layers};
use pai_graphon::seed::MasterSeed;
use pai_graphon::tol::gamma;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Exact arithmetic.

fn q(x: f64) -> BigRational {
    BigRational::from_float(x).expect("finite")
}

/// Whether the symmetric rational matrix is positive semidefinite: symmetric Gaussian
/// elimination; a negative pivot refutes, a zero pivot must have a zero row (else a 2 × 2 minor
/// `[[0, b], [b, c]]` with b ≠ 0 is indefinite).
fn is_psd(mut a: Vec<Vec<BigRational>>) -> bool {
    let n = a.len();
    for k in 0..n {
        let p = a[k][k].clone();
        if p.is_negative() {
            return false;
        }
        if p.is_zero() {
            if (k + 1..n).any(|j| !a[k][j].is_zero()) {
                return false;
            }
            continue;
        }
        let (done, rest) = a.split_at_mut(k + 1);
        let pivot_row = &done[k];
        for row in rest {
            let f = &row[k] / &p;
            for (x, pk) in row.iter_mut().zip(pivot_row).skip(k + 1) {
                *x -= &f * pk;
            }
        }
    }
    true
}

/// `σ (A − s I)` as rationals.
fn shifted(a: &Mat<f64>, sigma: i32, s: f64) -> Vec<Vec<BigRational>> {
    shifted_exact(a, sigma, &q(s))
}

/// `σ (A − s I)` for a rational shift.
fn shifted_exact(a: &Mat<f64>, sigma: i32, s: &BigRational) -> Vec<Vec<BigRational>> {
    let n = a.nrows();
    let sig = BigRational::from_integer(BigInt::from(sigma));
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    let d = if i == j {
                        s.clone()
                    } else {
                        BigRational::zero()
                    };
                    &sig * (q(a[(i, j)]) - d)
                })
                .collect()
        })
        .collect()
}

/// `yᵀA⁻¹y` exactly (A positive definite), by rational elimination.
fn exact_quadratic_inverse(a: &Mat<f64>, y: &[f64]) -> BigRational {
    let n = a.nrows();
    let mut m: Vec<Vec<BigRational>> = (0..n)
        .map(|i| (0..n).map(|j| q(a[(i, j)])).collect())
        .collect();
    let mut b: Vec<BigRational> = y.iter().map(|&v| q(v)).collect();
    for k in 0..n {
        let (done, rest) = m.split_at_mut(k + 1);
        let pivot_row = &done[k];
        for (i, row) in (k + 1..n).zip(rest) {
            let f = &row[k] / &pivot_row[k];
            for (x, pk) in row.iter_mut().zip(pivot_row).skip(k) {
                *x -= &f * pk;
            }
            let t = &f * &b[k];
            b[i] -= t;
        }
    }
    let mut x = vec![BigRational::zero(); n];
    for k in (0..n).rev() {
        let mut s = b[k].clone();
        for j in k + 1..n {
            s -= &m[k][j] * &x[j];
        }
        x[k] = s / &m[k][k];
    }
    y.iter().zip(&x).map(|(&v, xi)| q(v) * xi).sum()
}

// ---------------------------------------------------------------------------------------------
// Strategies reaching the edges.

/// One entry: ordinary, subnormal, tiny normal, huge, zero, with either sign.
fn edge_entry() -> impl Strategy<Value = f64> {
    let magnitude = prop_oneof![
        4 => -4.0f64..4.0,
        1 => (1u64..1 << 20).prop_map(f64::from_bits),
        1 => (-1020i32..-1000).prop_map(|e| 2f64.powi(e) * 1.5),
        1 => (1000i32..1023).prop_map(|e| 2f64.powi(e) * 1.25),
        1 => Just(0.0),
        1 => Just(f64::MAX / 4.0),
    ];
    (magnitude, any::<bool>()).prop_map(|(x, neg)| if neg { -x } else { x })
}

/// A matrix family: arbitrary edge entries, a constant, rank one, or an edge matrix scaled by a
/// power of two from the subnormal to the huge range.
fn edge_matrix(max_m: usize, max_n: usize) -> impl Strategy<Value = Mat<f64>> {
    (1..=max_m, 1..=max_n).prop_flat_map(|(m, n)| {
        let arbitrary = proptest::collection::vec(edge_entry(), m * n)
            .prop_map(move |v| Mat::from_fn(m, n, |i, j| v[j * m + i]));
        let constant = edge_entry().prop_map(move |c| Mat::from_fn(m, n, |_, _| c));
        let rank_one = (
            proptest::collection::vec(-2.0f64..2.0, m),
            proptest::collection::vec(-2.0f64..2.0, n),
            -1070i32..1000,
        )
            .prop_map(move |(u, v, e)| {
                let s = 2f64.powi(e);
                Mat::from_fn(m, n, |i, j| u[i] * v[j] * s)
            });
        let scaled = (
            proptest::collection::vec(-1.0f64..1.0, m * n),
            -1074i32..1023,
        )
            .prop_map(move |(v, e)| Mat::from_fn(m, n, |i, j| v[j * m + i] * 2f64.powi(e)));
        prop_oneof![arbitrary, constant, rank_one, scaled]
    })
}

/// A symmetric matrix from an edge matrix: its lower triangle mirrored.
fn edge_symmetric(max_n: usize) -> impl Strategy<Value = Mat<f64>> {
    (1..=max_n)
        .prop_flat_map(|n| {
            edge_matrix(n, n).prop_map(move |a| {
                let k = a.nrows().min(a.ncols());
                Mat::from_fn(k, k, |i, j| if i >= j { a[(i, j)] } else { a[(j, i)] })
            })
        })
        .prop_filter("non-empty", |a| a.nrows() > 0)
}

/// A symmetric positive definite matrix: `B Bᵀ + c I` at scale `2^e` (exact f64 products would
/// not be; the matrix is what it is, PD or not, and the exact oracle decides).
fn near_spd(max_n: usize) -> impl Strategy<Value = Mat<f64>> {
    (1..=max_n).prop_flat_map(|n| {
        (
            proptest::collection::vec(-1.0f64..1.0, n * n),
            prop_oneof![Just(0.0), 1e-12f64..1e-6, 1e-3f64..2.0],
            -1000i32..1000,
        )
            .prop_map(move |(b, c, e)| {
                let s = 2f64.powi(e);
                let mut g = Mat::from_fn(n, n, |i, j| {
                    (0..n).map(|l| b[i * n + l] * b[j * n + l]).sum::<f64>()
                        + if i == j { c } else { 0.0 }
                });
                for i in 0..n {
                    for j in 0..i {
                        g[(j, i)] = g[(i, j)];
                    }
                }
                Mat::from_fn(n, n, |i, j| g[(i, j)] * s)
            })
    })
}

fn stream(label: &str) -> rand_chacha::ChaCha20Rng {
    MasterSeed::default().stream(&format!("test/certified_edges/{label}"))
}

// ---------------------------------------------------------------------------------------------
// Properties.

/// The cut-norm interval of `a` contains the exact cut norm, is ordered, and is finite; or the
/// call is refused.
fn check_cut_norm(a: &Mat<f64>) -> Result<(), TestCaseError> {
    let Ok(c) = cut_norm(a.as_ref(), &CutNormOptions::default(), &mut stream("cut")) else {
        return Ok(());
    };
    prop_assert!(
        c.lower.is_finite() && c.upper.is_finite(),
        "not finite: {c:?} for {a:?}"
    );
    prop_assert!(0.0 <= c.lower && c.lower <= c.upper, "disordered: {c:?}");
    let exact = cut_norm_exact_rational(a.as_ref()).unwrap();
    prop_assert!(
        q(c.lower) <= exact,
        "lower {} above the exact {exact} for {a:?}",
        c.lower
    );
    prop_assert!(
        exact <= q(c.upper),
        "upper {} below the exact {exact} for {a:?}",
        c.upper
    );
    Ok(())
}

/// `ℓ ≤ λ_min(A)` exactly whenever a λ_min certificate is returned, and `λ_max(A) ≤ μ`.
fn check_eigen_certificates(a: &Mat<f64>, shift: f64) -> Result<(), TestCaseError> {
    if let Some(l) = certify_lambda_min_above(a.as_ref(), shift, 0.0) {
        prop_assert!(l.is_finite());
        prop_assert!(is_psd(shifted(a, 1, l)), "λ_min ≥ {l} is wrong for {a:?}");
    }
    if let Some(mu) = certify_lambda_max_below(a.as_ref(), shift, 0.0) {
        prop_assert!(mu.is_finite());
        prop_assert!(
            is_psd(shifted(a, -1, mu)),
            "λ_max ≤ {mu} is wrong for {a:?}"
        );
    }
    if let Ok(l) = certified_lambda_min(a.as_ref(), 0.0) {
        prop_assert!(l > 0.0 && l.is_finite());
        prop_assert!(
            is_psd(shifted(a, 1, l)),
            "certified λ_min ≥ {l} is wrong for {a:?}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn cut_norm_interval_contains_the_exact_value(a in edge_matrix(4, 5)) {
        check_cut_norm(&a)?;
    }

    #[test]
    fn eigenvalue_certificates_hold_exactly(a in edge_symmetric(4), pick in 0usize..4, t in -2.0f64..2.0) {
        // Shifts near the scale of the matrix, at 0, and arbitrary.
        let scale = (0..a.nrows()).map(|i| a[(i, i)].abs()).fold(0.0, f64::max);
        let shift = [0.0, t, t * scale, -scale][pick];
        check_eigen_certificates(&a, shift)?;
    }

    #[test]
    fn eigenvalue_certificates_hold_near_singular(a in near_spd(5), t in 0.0f64..1.5) {
        let trace: f64 = (0..a.nrows()).map(|i| a[(i, i)]).sum();
        check_eigen_certificates(&a, t * trace / a.nrows() as f64)?;
    }

    /// With a stated input error e the certificate covers every `A + E`, `‖E‖₂ ≤ e`: exactly,
    /// `λ_min(A) ≥ ℓ + e` (E = −eI is the worst case).
    #[test]
    fn lambda_min_certificate_covers_the_input_error(a in near_spd(5), rel in prop_oneof![Just(0.0), 1e-12f64..1e-2]) {
        let trace: f64 = (0..a.nrows()).map(|i| a[(i, i)]).sum();
        let e = rel * trace;
        if let Ok(l) = certified_lambda_min(a.as_ref(), e) {
            prop_assert!(is_psd(shifted_exact(&a, 1, &(q(l) + q(e)))), "ℓ = {l}, e = {e}, {a:?}");
        }
    }

    #[test]
    fn quadratic_inverse_encloses_the_exact_value(a in near_spd(5), y in proptest::collection::vec(edge_entry(), 5)) {
        let y = &y[..a.nrows()];
        if let Ok(e) = certified_quadratic_inverse(a.as_ref(), y, 0.0) {
            prop_assert!(e.lower.is_finite() && e.upper.is_finite(), "{e:?}");
            let exact = exact_quadratic_inverse(&a, y);
            prop_assert!(q(e.lower) <= exact && exact <= q(e.upper), "{e:?} misses {exact} for {a:?}, {y:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Step graphons: f64 density and t(C4) against their exact values.

/// Uniform step graphons with values in [0, 1] from the edges: 0, 1, subnormal, tiny, ordinary;
/// power-of-two shapes keep the widths exact.
fn edge_graphon() -> impl Strategy<Value = Vec<Vec<f64>>> {
    let value = prop_oneof![
        Just(0.0),
        Just(1.0),
        (1u64..1 << 30).prop_map(f64::from_bits),
        (-1070i32..-900).prop_map(|e| 2f64.powi(e)),
        0.0f64..=1.0,
    ];
    (
        prop_oneof![Just(1usize), Just(2), Just(4)],
        prop_oneof![Just(1usize), Just(2), Just(4)],
    )
        .prop_flat_map(move |(m, n)| {
            proptest::collection::vec(proptest::collection::vec(value.clone(), n), m)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn step_density_and_c4_within_their_stated_error(values in edge_graphon()) {
        // Power-of-two shapes keep the widths exact, so f64 and rational graphons agree.
        let (m, n) = (values.len(), values[0].len());
        let f = StepGraphon::uniform(values).unwrap();
        let r = StepGraphon::<BigRational>::from_f64(&f).unwrap();
        let (d, c4) = (r.density(), r.c4_density());
        let within = |got: f64, exact: &BigRational, k: usize, floor: f64, what: &str| -> Result<(), TestCaseError> {
            let err = (q(got) - exact).abs();
            let allowance = q(gamma(k).unwrap()) * exact + q(floor);
            prop_assert!(err <= allowance, "{what}: {got} against {exact}");
            Ok(())
        };
        within(f.density(), &d, density_roundings(m, n), density_underflow(m, n), "density")?;
        within(f.c4_density(), &c4, c4_roundings(m, n), c4_underflow(m, n), "c4")?;
        for (got, exact) in f.row_degrees().into_iter().zip(r.row_degrees()) {
            within(got, &exact, degree_roundings(n), degree_underflow(n), "row degree")?;
        }
        for (got, exact) in f.col_degrees().into_iter().zip(r.col_degrees()) {
            within(got, &exact, degree_roundings(m), degree_underflow(m), "column degree")?;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The graphon NTK at the edges of its domain.

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn graphon_ntk_is_finite_with_gram_shape(
        w in proptest::collection::vec(prop_oneof![Just(0.0), Just(1.0), (1u64..1 << 40).prop_map(f64::from_bits), 0.0f64..=1.0], 6),
        tiny_weight in prop_oneof![Just(0.5), (1u64..1 << 50).prop_map(f64::from_bits), 1e-300f64..1e-200],
        both in any::<bool>(),
        raw in proptest::collection::vec(-1.0f64..1.0, 12),
    ) {
        // Two nodes over d = 3 coordinates; the first weight can be tiny.
        let weights = vec![tiny_weight, 1.0 - tiny_weight];
        let g = Mat::from_fn(2, 3, |k, j| w[k * 3 + j]);
        let Ok(graphon) = KernelGraphon::new(vec![0.25, 0.75], weights, g) else {
            return Ok(());
        };
        let Ok(x) = unit_rows(Mat::from_fn(4, 3, |i, j| raw[i * 3 + j]).as_ref()) else {
            return Ok(());
        };
        let layers = if both { Layers::Both } else { Layers::First };
        let Ok(k) = graphon_ntk(x.as_ref(), &graphon, layers) else {
            return Ok(());
        };
        let k = k.k;
        let d = 3.0;
        for i in 0..4 {
            // K_ii ≤ (1 + [both]) · max_j p_W(v_j)/ρ · 1/2 ≤ d (the path density is at most dρ).
            prop_assert!(k[(i, i)].is_finite() && k[(i, i)] >= 0.0 && k[(i, i)] <= d, "{k:?}");
            for j in 0..4 {
                let kij = k[(i, j)];
                prop_assert!(kij.is_finite() && kij == k[(j, i)], "{k:?}");
                prop_assert!(kij.abs() <= (k[(i, i)] * k[(j, j)]).sqrt() * (1.0 + 1e-12) + 1e-300, "{k:?}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Regressions: each input below was found by the properties above and failed before its fix.

/// A 4 × 1 column near f64::MAX: Σ|A| rounded up overflowed, and the interval was [0, +∞]
/// (valid, certifying nothing). Now rescaled by a power of two: finite and tight.
#[test]
fn regression_cut_norm_near_f64_max_is_finite_and_tight() {
    let a = Mat::from_fn(4, 1, |_, _| 4.4942328371557893e307);
    let c = cut_norm(a.as_ref(), &CutNormOptions::default(), &mut stream("huge")).unwrap();
    let exact = cut_norm_exact_rational(a.as_ref()).unwrap();
    assert!(q(c.lower) <= exact && exact <= q(c.upper), "{c:?}");
    assert!(
        c.upper.is_finite() && c.lower >= 0.999 * 4.4942328371557893e307,
        "{c:?}"
    );
    // The same in the subnormal range: rescaled up, still tight.
    let tiny = Mat::from_fn(3, 2, |i, j| f64::from_bits(1 + (i * 2 + j) as u64));
    let c = cut_norm(
        tiny.as_ref(),
        &CutNormOptions::default(),
        &mut stream("tiny"),
    )
    .unwrap();
    let exact = cut_norm_exact_rational(tiny.as_ref()).unwrap();
    assert!(q(c.lower) <= exact && exact <= q(c.upper), "{c:?}");
    // The exact 3.5 η is not representable: the interval is a few subnormal steps wide.
    assert!(c.upper - c.lower <= 4.0 * f64::from_bits(1), "{c:?}");
}

/// `yᵀA⁻¹y` beyond f64: the enclosure was `[1.8e308, +∞]` with an infinite estimate; now a
/// typed refusal.
#[test]
fn regression_quadratic_inverse_overflow_is_refused() {
    let a = faer::mat![[0.5328849276800111]];
    let r = certified_quadratic_inverse(a.as_ref(), &[1.3393857589828342e301], 0.0);
    assert!(
        matches!(r, Err(pai_graphon::linalg::LinalgError::Overflow { .. })),
        "{r:?}"
    );
}

/// A node of subnormal weight carrying all of W: ρ = 5e-324, W/ρ = ∞ and the kernel was
/// inf/NaN. Now refused as outside the kernel's domain.
#[test]
fn regression_kernel_graphon_with_subnormal_density_is_refused() {
    let w = faer::mat![[0.0, 0.0, 1.0], [0.0, 5e-324, 5e-324]];
    let g = KernelGraphon::new(vec![0.25, 0.75], vec![5e-324, 1.0], w);
    assert!(
        matches!(g, Err(pai_graphon::ntk::NtkError::OutOfDomain { .. })),
        "{g:?}"
    );
}

/// A node whose W is subnormal while ρ is normal: its row norms q are subnormal, `q_i q_j`
/// underflowed to 0 and `t = p/sqrt(q_i q_j)` became 0/0 = NaN or ±∞. The node's contribution
/// is below 1e-300, so the kernel equals the dense one of the other node.
#[test]
fn regression_graphon_ntk_subnormal_row_norms_stay_finite() {
    let x =
        unit_rows(faer::mat![[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.6, 0.8]].as_ref()).unwrap();
    for tiny in [5e-324, 2e-323, 1e-320, 1e-310] {
        let w = faer::mat![[tiny, tiny, tiny], [1.0, 1.0, 1.0]];
        let g = KernelGraphon::new(vec![0.25, 0.75], vec![0.5, 0.5], w).unwrap();
        let dense = KernelGraphon::constant(1.0, 3).unwrap();
        for layers in [Layers::First, Layers::Both] {
            let k = graphon_ntk(x.as_ref(), &g, layers).unwrap().k;
            let want = graphon_ntk(x.as_ref(), &dense, layers).unwrap().k;
            for i in 0..3 {
                for j in 0..3 {
                    // ω ρ⁻¹ = 0.5 / (0.5 (1 + tiny)): the dense kernel up to a few roundings.
                    let err = (k[(i, j)] - want[(i, j)]).abs();
                    assert!(
                        err <= 16.0 * f64::EPSILON,
                        "{tiny:e} {layers:?} ({i}, {j}): {k:?}"
                    );
                }
            }
        }
    }
}

/// A 1 × 1 graphon of value 5e-324: t(C4) = η⁴ and t(K2) = η are computed as 0 and η, the
/// first outside the relative `γ_K t(C4)` the docs stated; the absolute underflow allowance
/// (`c4_underflow`) now covers it.
#[test]
fn regression_step_c4_of_a_subnormal_graphon() {
    let f = StepGraphon::uniform(vec![vec![5e-324]]).unwrap();
    let r = StepGraphon::<BigRational>::from_f64(&f).unwrap();
    let err = (q(f.c4_density()) - r.c4_density()).abs();
    let relative = q(gamma(c4_roundings(1, 1)).unwrap()) * r.c4_density();
    assert!(
        err > relative,
        "the finding: relative error alone was exceeded"
    );
    assert!(err <= relative + q(c4_underflow(1, 1)));
}

/// The symmetrisation `(A + Aᵀ)/2` overflowed for entries near f64::MAX and the factorisation
/// refused a positive definite matrix as `NonFinite(inf)`.
#[test]
fn regression_cholesky_symmetrises_huge_entries_without_overflow() {
    let m = f64::MAX;
    let a = faer::mat![[m, m / 4.0], [m / 4.0, m]];
    let c = pai_graphon::linalg::Cholesky::factor(a.as_ref()).unwrap();
    let exact_pd = is_psd(shifted(&a, 1, m / 2.0));
    assert!(exact_pd && c.diagonal()[0] == m.sqrt());
}

/// The exact oracle can fail: [[2, 1], [1, 2]] has λ_min = 1 and λ_max = 3, exactly at the edge.
#[test]
fn exact_semidefiniteness_oracle_is_sharp() {
    let a = faer::mat![[2.0, 1.0], [1.0, 2.0]];
    let just_above = |x: f64| f64::from_bits(x.to_bits() + 1);
    assert!(is_psd(shifted(&a, 1, 1.0)) && !is_psd(shifted(&a, 1, just_above(1.0))));
    assert!(
        is_psd(shifted(&a, -1, 3.0))
            && !is_psd(shifted(&a, -1, f64::from_bits(3f64.to_bits() - 1)))
    );
    // A zero pivot with a non-zero row: [[0, 1], [1, 0]] is indefinite.
    let z = faer::mat![[0.0, 1.0], [1.0, 0.0]];
    assert!(!is_psd(shifted(&z, 1, 0.0)));
}
