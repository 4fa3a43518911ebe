//! One test per path claim (theory/ntk.md, region "path": NTK-6 to NTK-9), each running the
//! registry's check at the default seed and snapshotting it; plus the typed errors of bad input
//! and the certificates against known spectra.

use crate::common;
use common::check_claim;
use pai_graphon::claims::ntk::path::COUNTEREXAMPLE;
use pai_graphon::linalg::{certified_lambda_min, certified_quadratic_inverse, LinalgError};
use pai_graphon::ntk::kernel::{unit_rows, KernelGraphon};
use pai_graphon::ntk::path::{
    certify_positive_definite, check_distinct, damped_informative_kernel, dedup_rows,
    informative_kernel, path_density,
};
use pai_graphon::ntk::NtkError;

#[test]
fn ntk_6_certified_positive_definite() {
    check_claim("NTK-6");
}

#[test]
fn ntk_7_linear_alignment() {
    check_claim("NTK-7");
}

#[test]
fn ntk_8_relu_alignment_counterexample() {
    check_claim("NTK-8");
}

#[test]
fn ntk_9_corrected_alignment() {
    check_claim("NTK-9");
}

#[test]
fn duplicates_and_singular_kernels_give_typed_errors() {
    let g = KernelGraphon::constant(0.2, 3).unwrap();
    let x =
        unit_rows(faer::mat![[1.0, 2.0, 0.0], [0.0, 1.0, 1.0], [2.0, 4.0, 0.0]].as_ref()).unwrap();
    assert!(matches!(
        check_distinct(x.as_ref()),
        Err(NtkError::Duplicate {
            first: 0,
            second: 2
        })
    ));
    assert!(matches!(
        certify_positive_definite(x.as_ref(), &g),
        Err(NtkError::Duplicate { .. })
    ));
    let d = dedup_rows(x.as_ref(), &[1.0, -1.0, 1.0]).unwrap();
    assert_eq!((d.kept.clone(), d.conflicting), (vec![0, 1], 0));
    assert!(certify_positive_definite(d.x.as_ref(), &g).is_ok());
    // A graphon blind to coordinate 2 and inputs equal up to scale on coordinates 0 and 1.
    let blind = KernelGraphon::column_profile(&[0.3, 0.3, 0.0]).unwrap();
    let y = unit_rows(faer::mat![[1.0, 1.0, 0.0], [1.0, 1.0, 3.0]].as_ref()).unwrap();
    assert!(matches!(
        certify_positive_definite(y.as_ref(), &blind),
        Err(NtkError::Indefinite { .. })
    ));
    // Bad labels and shapes.
    assert!(dedup_rows(x.as_ref(), &[1.0, 0.0, 1.0]).is_err());
    assert!(
        certify_positive_definite(x.as_ref(), &KernelGraphon::constant(0.2, 2).unwrap()).is_err()
    );
    let not_unit = faer::mat![[1.0, 1.0, 0.0]];
    assert!(certify_positive_definite(not_unit.as_ref(), &g).is_err());
}

#[test]
fn certificates_bracket_known_spectra() {
    // tridiag(−1, 2, −1) of order n: λ_min = 2 − 2 cos(π/(n+1)).
    let n = 80;
    let a = faer::Mat::from_fn(n, n, |i, j| match i.abs_diff(j) {
        0 => 2.0,
        1 => -1.0,
        _ => 0.0,
    });
    let exact = 2.0 - 2.0 * (std::f64::consts::PI / (n as f64 + 1.0)).cos();
    let lower = certified_lambda_min(a.as_ref(), 0.0).unwrap();
    assert!(
        lower <= exact && lower >= exact * (1.0 - 1e-2),
        "{lower} vs {exact}"
    );
    // An input error of λ_min itself cannot be certified.
    assert!(matches!(
        certified_lambda_min(a.as_ref(), exact),
        Err(LinalgError::Uncertified { .. })
    ));
    // yᵀA⁻¹y for y = e_1: (A⁻¹)_11 = n/(n+1).
    let mut y = vec![0.0; n];
    y[0] = 1.0;
    let q = certified_quadratic_inverse(a.as_ref(), &y, 0.0).unwrap();
    let exact_q = n as f64 / (n as f64 + 1.0);
    assert!(q.lower <= exact_q && exact_q <= q.upper && q.upper - q.lower < 1e-7);
    // Not symmetric: rejected.
    let b = faer::mat![[1.0, 0.1], [0.0, 1.0]];
    assert!(matches!(
        certified_lambda_min(b.as_ref(), 0.0),
        Err(LinalgError::Asymmetric { row: 1, col: 0 })
    ));
}

#[test]
fn damped_kernel_needs_the_pointwise_hypothesis_and_path_density_is_reported() {
    let x = unit_rows(faer::Mat::from_fn(2, 3, |b, j| COUNTEREXAMPLE[b][j]).as_ref()).unwrap();
    // Column profile 0.1 on I = {0, 1}, 0.4 off it: ρ = 0.2, c = 0.5 at most.
    let g = KernelGraphon::column_profile(&[0.1, 0.1, 0.4]).unwrap();
    assert!(damped_informative_kernel(x.as_ref(), &g, &[0, 1], 0.49).is_ok());
    assert!(damped_informative_kernel(x.as_ref(), &g, &[0, 1], 0.51).is_err());
    assert!(damped_informative_kernel(x.as_ref(), &g, &[0, 3], 0.1).is_err());
    let p = path_density(&g);
    assert!((p.max_ratio - 2.0).abs() < 1e-15 && (p.min_ratio - 0.5).abs() < 1e-15);
    // K_I of the counterexample: diagonal G_I/2 = 65/162.
    let k = informative_kernel(x.as_ref(), &[0, 1]).unwrap();
    assert!((k.k[(0, 0)] - 65.0 / 162.0).abs() < 1e-15);
}
