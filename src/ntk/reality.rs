//! The bound against reality (NTK-13) and over-concentration (NTK-18; NTK-14 retired), `theory/ntk.md`,
//! region "reality".
//!
//! * [`generalisation_bound`]: the reconstructed Arora et al. (2019) bound
//!   `sqrt(2 s·yᵀK⁻¹y / N)` plus an explicit O-term (module [`Bound`]).
//! * [`lambda_min_bounds`]: an estimate of λ_min(K̂) with a rigorous upper bound (a Rayleigh
//!   quotient) and a certified lower bound (a shifted Cholesky factorisation with Demmel's
//!   backward-error bound), both for the f64 matrix K̂.
//! * [`kernel_regression`] and [`held_out`]: predictions `K(x*, X) K⁻¹ y` and their held-out
//!   0-1, ramp and squared losses.
//! * [`train_masked_network`]: a finite masked network trained by full-batch gradient descent on
//!   its first layer.
//! * [`snip_type_graphon`]: the data-driven (SNIP-type) graphon with column profile
//!   `|cov(x_j, y)|^p`.
//!
//! ```
//! use pai_graphon::ntk::bound::complexity;
//! use pai_graphon::ntk::kernel::{graphon_ntk, unit_rows, KernelGraphon, Layers};
//! use pai_graphon::ntk::reality::{generalisation_bound, held_out, kernel_regression, lambda_min_bounds};
//! let x = unit_rows(faer::mat![[1.0, 0.1], [0.9, 0.4], [0.1, 1.0]].as_ref()).unwrap();
//! let y = [1.0, 1.0, -1.0];
//! let k = graphon_ntk(x.as_ref(), &KernelGraphon::constant(0.5, 2).unwrap(), Layers::First).unwrap().k;
//! // Kernel regression interpolates its training labels: no training loss.
//! let f = kernel_regression(k.as_ref(), k.as_ref(), &y).unwrap();
//! assert_eq!(held_out(&f, &y).unwrap().zero_one, 0.0);
//! // The bound needs a certified λ_min; with three points it is vacuous (above 1).
//! let lambda = lambda_min_bounds(k.as_ref()).unwrap().lower.unwrap();
//! let delta = pai_graphon::params::Probability::new(0.05).unwrap();
//! let b = generalisation_bound(&complexity(k.as_ref(), &y).unwrap(), 3, lambda, delta).unwrap();
//! assert!(b.total > 1.0);
//! ```

use super::bound::{indefinite, Complexity};
use super::figure2::{column_covariance, snip_graphon};
use super::kernel::{unit_rows, KernelGraphon};
use super::NtkError;
use crate::linalg::{certify_lambda_min_above, Cholesky};
use crate::mask::{top_k_mask, Mask};
use crate::net::network::Network;
use crate::params::{Density, Probability};
use crate::seed::{uniform_open01, MasterSeed};
use crate::tol::gamma;
use crate::Error;
use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{self_adjoint_evd, self_adjoint_evd_scratch, ComputeEigenvectors};
use faer::{Mat, MatRef, Par};

/// The constant C of the O-term in its stated form `C · sqrt(ln(N/(λ0 δ)) / N)`: for a kernel of
/// scale s = 1, `N/λ0 ≥ 4` and `ln(N/(λ0 δ)) ≥ 1`, the explicit O-term of [`generalisation_bound`]
/// is at most `(3/√2 + √2) · sqrt(ln(N/(λ0 δ)) / N) = (5/√2) · sqrt(…)` (`theory/ntk.md`,
/// "The bound, reconstructed").
///
/// ```
/// use pai_graphon::ntk::bound::Complexity;
/// use pai_graphon::params::Probability;
/// use pai_graphon::ntk::reality::{generalisation_bound, BOUND_CONSTANT};
/// // s = 1, N/λ0 = 100 ≥ 4, ln(N/(λ0 δ)) ≈ 9.2 ≥ 1: the explicit O-term stays below the stated form.
/// let c = Complexity { raw: 1.0, scale: 1.0, corrected: 1.0 };
/// let (n, lambda0, delta) = (100, 1.0, 0.01);
/// let b = generalisation_bound(&c, n, lambda0, Probability::new(delta).unwrap()).unwrap();
/// let n = n as f64;
/// assert!(b.o_term <= BOUND_CONSTANT * ((n / (lambda0 * delta)).ln() / n).sqrt());
/// ```
pub const BOUND_CONSTANT: f64 = 5.0 / std::f64::consts::SQRT_2;

/// The reconstructed generalisation bound, its two parts kept apart.
///
/// ```
/// use pai_graphon::ntk::bound::complexity;
/// use pai_graphon::ntk::reality::generalisation_bound;
/// // Orthogonal inputs (the dense kernel ½ I): yᵀK⁻¹y = 2N, so main = sqrt(2 · 2N / N) = 2.
/// let k = faer::Mat::from_fn(50, 50, |i, j| if i == j { 0.5 } else { 0.0 });
/// let y: Vec<f64> = (0..50).map(|i| if i % 2 == 0 { 1.0 } else { -1.0 }).collect();
/// let delta = pai_graphon::params::Probability::new(0.05).unwrap();
/// let b = generalisation_bound(&complexity(k.as_ref(), &y).unwrap(), 50, 0.5, delta).unwrap();
/// // yᵀK⁻¹y: L = √½ (one rounding), z = y/L (one), z² (γ_5), 50 equal terms summed (γ_54); s = 1
/// // exactly; main: the quotient by N and the sqrt (its halving not claimed): γ_56.
/// assert!((b.main - 2.0).abs() <= pai_graphon::tol::gamma(56).unwrap() * 2.0);
/// assert_eq!(b.total, b.main + b.o_term); // vacuous: nothing is learned from orthogonal inputs
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bound {
    /// `sqrt(2 s·yᵀK⁻¹y / N)` (s = (2/N) tr K; s = 1 for the dense kernel on unit inputs).
    pub main: f64,
    /// `sqrt(2s/N) + 3 sqrt(ln(2I/δ) / (2N))`, `I = ⌈sqrt(s N / λ0)⌉`: the O(·) term made
    /// explicit.
    pub o_term: f64,
    /// `main + o_term`: a bound on the population ramp loss (hence on the 0-1 error); vacuous
    /// above 1.
    pub total: f64,
}

/// The bound on the population ramp loss of the kernel-regression interpolant (and, in the
/// lazy regime, of the trained network) for N i.i.d. samples with ‖x‖ = 1 and labels ±1, with
/// probability 1 − δ (`theory/ntk.md`, "The bound, reconstructed"): Rademacher complexity of the
/// RKHS ball (Bartlett–Mendelson), Talagrand's contraction for the 1-Lipschitz ramp loss, the
/// Mohri et al. concentration term, and a union bound over the radii `B = 1..I`. Uses the
/// scale-corrected complexity `c.corrected = s · yᵀK⁻¹y` and the scale `c.scale` (for the dense
/// kernel s = 1 and this is Arora et al.'s `sqrt(2 yᵀH⁻¹y/N) + O(sqrt(ln(N/(λ0 δ))/N))`).
/// `lambda_min` must be a lower bound on λ_min(K) (a smaller value only enlarges the bound).
///
/// ```
/// use pai_graphon::ntk::bound::Complexity;
/// use pai_graphon::params::Probability;
/// use pai_graphon::ntk::reality::generalisation_bound;
/// let c = Complexity { raw: 50.0, scale: 1.0, corrected: 50.0 };
/// let delta = Probability::new(0.01).unwrap();
/// let b = generalisation_bound(&c, 100, 0.01, delta).unwrap();
/// assert_eq!(b.main, 1.0); // sqrt(2 · 50 / 100)
/// // I = ⌈sqrt(100 / 0.01)⌉ = 100: sqrt(0.02) + 3 sqrt(ln(2 · 100 / 0.01) / 200).
/// let o = 0.02f64.sqrt() + 3.0 * (20_000f64.ln() / 200.0).sqrt();
/// // sqrt(0.02) is the same f64 on both sides. The second term: 200/fl(0.01) is 20 000 within
/// // γ_2, which moves ln by less than one rounding of it; ln (two), the quotient, sqrt (halving
/// // not claimed) and ×3: γ_6 here, γ_5 in `o`; with the final sum, γ_7 + γ_6 ≤ γ_13 of o.
/// // total = 1 + o_term rounds once more, on 1 + o.
/// use pai_graphon::tol::gamma;
/// assert!((b.o_term - o).abs() <= gamma(13).unwrap() * o);
/// assert!((b.total - 1.0 - o).abs() <= gamma(14).unwrap() * (1.0 + o));
/// assert!(generalisation_bound(&c, 100, 0.0, delta).is_err());
/// ```
pub fn generalisation_bound(
    c: &Complexity,
    n: usize,
    lambda_min: f64,
    delta: Probability,
) -> Result<Bound, NtkError> {
    let delta = delta.get();
    let finite_nonneg = |v: f64| v.is_finite() && v >= 0.0;
    if !(finite_nonneg(c.corrected) && c.scale.is_finite() && c.scale > 0.0) {
        return Err(NtkError::Size {
            what: "complexity or scale",
            value: if c.scale.is_finite() && c.scale > 0.0 {
                c.corrected
            } else {
                c.scale
            },
            why: "must be finite (the complexity non-negative, the scale positive)",
        });
    }
    if n == 0 || !(lambda_min.is_finite() && lambda_min > 0.0) {
        return Err(NtkError::Size {
            what: "N or λ0",
            value: if n == 0 { 0.0 } else { lambda_min },
            why: "must be positive (N an integer ≥ 1, λ0 finite)",
        });
    }
    let nf = n as f64;
    let radii = (c.scale * nf / lambda_min).sqrt().ceil();
    let main = (2.0 * c.corrected / nf).sqrt();
    let o_term =
        (2.0 * c.scale / nf).sqrt() + 3.0 * ((2.0 * radii / delta).ln() / (2.0 * nf)).sqrt();
    Ok(Bound {
        main,
        o_term,
        total: main + o_term,
    })
}

/// What is known about λ_min of a symmetric f64 matrix K̂.
///
/// ```
/// use pai_graphon::ntk::reality::lambda_min_bounds;
/// let s = lambda_min_bounds(faer::mat![[3.0, 0.0], [0.0, 0.5]].as_ref()).unwrap();
/// assert!(s.lower.unwrap() <= 0.5 && 0.5 <= s.upper && (s.largest - 3.0).abs() < 1e-14);
/// // A singular matrix has no positive lower bound.
/// let singular = lambda_min_bounds(faer::mat![[1.0, 1.0], [1.0, 1.0]].as_ref()).unwrap();
/// assert_eq!(singular.lower, None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spectrum {
    /// The smallest eigenvalue from faer's self-adjoint eigensolver (an estimate).
    pub estimate: f64,
    /// A rigorous upper bound: the Rayleigh quotient of the estimated eigenvector with its
    /// rounding allowance ([`rayleigh_upper`]).
    pub upper: f64,
    /// A certified positive lower bound ([`certify_lambda_min_above`], Rump–Demmel shifted Cholesky), when one was found.
    pub lower: Option<f64>,
    /// The largest eigenvalue from the same eigensolver (an estimate).
    pub largest: f64,
}

/// The smallest eigenvalue of K̂ with an eigenvector, by faer's self-adjoint eigensolver run
/// sequentially (so the result does not depend on the thread count).
fn smallest_eigenpair(k: MatRef<'_, f64>) -> Result<(f64, Vec<f64>, f64), NtkError> {
    let n = k.nrows();
    let mut s = Diag::<f64>::zeros(n);
    let mut u = Mat::<f64>::zeros(n, n);
    let scratch =
        self_adjoint_evd_scratch::<f64>(n, ComputeEigenvectors::Yes, Par::Seq, Default::default());
    self_adjoint_evd(
        k,
        s.as_mut(),
        Some(u.as_mut()),
        Par::Seq,
        MemStack::new(&mut MemBuffer::new(scratch)),
        Default::default(),
    )
    .map_err(|_| NtkError::Indefinite {
        what: "the symmetric eigensolver did not converge",
        cause: None,
    })?;
    let sv = s.column_vector();
    let first = (0..n).min_by(|&a, &b| sv[a].total_cmp(&sv[b])).unwrap_or(0);
    let largest = (0..n).map(|i| sv[i]).fold(f64::NEG_INFINITY, f64::max);
    Ok((sv[first], (0..n).map(|i| u[(i, first)]).collect(), largest))
}

fn check_square(k: MatRef<'_, f64>) -> Result<(), NtkError> {
    if k.nrows() == 0 || k.nrows() != k.ncols() {
        return Err(NtkError::Shape {
            what: "kernel matrix (non-empty, square)",
            found: (k.nrows(), k.ncols()),
            expected: (k.nrows().max(1), k.nrows().max(1)),
        });
    }
    if (0..k.nrows()).any(|i| (0..k.ncols()).any(|j| !k[(i, j)].is_finite())) {
        return Err(NtkError::NonFinite { what: "the matrix" });
    }
    Ok(())
}

/// A rigorous upper bound on λ_min(K̂) from any non-zero v: `λ_min ≤ vᵀK̂v / vᵀv` (Courant–
/// Fischer), evaluated in f64 with the rounding allowance of the two dot-product levels
/// (`|fl(vᵀK̂v) − vᵀK̂v| ≤ γ_(2N) Σ_ij |v_i||K̂_ij||v_j|`, `fl(vᵀv) ≥ vᵀv (1 − γ_N)`) and γ_3 for the
/// final operations.
///
/// ```
/// use pai_graphon::ntk::reality::rayleigh_upper;
/// let k = faer::mat![[2.0, 0.0], [0.0, 3.0]];
/// let u = rayleigh_upper(k.as_ref(), &[1.0, 0.0]).unwrap();
/// assert!(u >= 2.0 && u < 2.0 + 1e-14);
/// assert!(rayleigh_upper(k.as_ref(), &[0.0, 0.0]).is_err());
/// let wide = faer::mat![[2.0, 0.0, 1.0], [0.0, 3.0, 1.0]]; // not square
/// assert!(rayleigh_upper(wide.as_ref(), &[1.0, 0.0]).is_err());
/// ```
pub fn rayleigh_upper(k: MatRef<'_, f64>, v: &[f64]) -> Result<f64, NtkError> {
    check_square(k)?;
    let n = k.nrows();
    if v.len() != n || v.iter().any(|x| !x.is_finite()) || v.iter().all(|&x| x == 0.0) {
        return Err(NtkError::Mismatch {
            what: "finite non-zero vector entries",
            expected: n,
            found: v.len(),
        });
    }
    let (mut num, mut abs) = (0.0, 0.0);
    for i in 0..n {
        let (mut row, mut row_abs) = (0.0, 0.0);
        for j in 0..n {
            row += k[(i, j)] * v[j];
            row_abs += (k[(i, j)] * v[j]).abs();
        }
        num += v[i] * row;
        abs += v[i].abs() * row_abs;
    }
    let den: f64 = v.iter().map(|x| x * x).sum();
    let g = |m: usize| gamma(m).map_err(NtkError::Tol);
    // The allowance itself is computed in f64: inflate it by γ_(2N) once more.
    let top = num + g(2 * n)? * abs * (1.0 + g(2 * n)?);
    let (g_n, g_3) = (g(n)?, g(3)?);
    Ok(if top >= 0.0 {
        top * (1.0 + g_n) / den * (1.0 + g_3)
    } else {
        top * (1.0 - g_n) / den * (1.0 - g_3)
    })
}

/// λ_min of K̂: the eigensolver's estimate, its Rayleigh upper bound and a certified lower bound
/// from the shifts `(1 − 2⁻⁶) λ̂`, then `λ̂/2`, then `λ̂/16` ([`certify_lambda_min_above`], Rump–Demmel shifted Cholesky).
///
/// ```
/// use pai_graphon::ntk::reality::lambda_min_bounds;
/// let k = faer::mat![[2.0, 1.0], [1.0, 2.0]]; // eigenvalues 1 and 3
/// let s = lambda_min_bounds(k.as_ref()).unwrap();
/// assert!((s.estimate - 1.0).abs() < 1e-14);
/// assert!(s.upper >= 1.0 && s.upper < 1.0 + 1e-13);
/// assert!(s.lower.unwrap() <= 1.0 && s.lower.unwrap() >= 0.98);
/// ```
pub fn lambda_min_bounds(k: MatRef<'_, f64>) -> Result<Spectrum, NtkError> {
    check_square(k)?;
    let (estimate, v, largest) = smallest_eigenpair(k)?;
    let upper = rayleigh_upper(k, &v)?;
    let mut lower = None;
    if estimate > 0.0 {
        for divisor in [64.0 / 63.0, 2.0, 16.0] {
            lower = certify_lambda_min_above(k, estimate / divisor, 0.0).filter(|&l| l > 0.0);
            if lower.is_some() {
                break;
            }
        }
    }
    Ok(Spectrum {
        estimate,
        upper,
        lower,
        largest,
    })
}

/// Kernel regression `f(x*) = K(x*, X) K⁻¹ y`: `k_train` is K on the N training inputs,
/// `k_cross` the M × N cross-kernel (test rows, training columns); one Cholesky factorisation.
///
/// ```
/// use pai_graphon::ntk::reality::kernel_regression;
/// let k = faer::mat![[1.0, 0.0], [0.0, 4.0]]; // K⁻¹y = (1, −1/4), exactly
/// let cross = faer::mat![[0.5, 2.0]];
/// assert_eq!(kernel_regression(k.as_ref(), cross.as_ref(), &[1.0, -1.0]).unwrap(), vec![0.0]);
/// ```
pub fn kernel_regression(
    k_train: MatRef<'_, f64>,
    k_cross: MatRef<'_, f64>,
    y: &[f64],
) -> Result<Vec<f64>, NtkError> {
    if k_cross.ncols() != k_train.nrows() {
        return Err(NtkError::Mismatch {
            what: "cross-kernel columns",
            expected: k_train.nrows(),
            found: k_cross.ncols(),
        });
    }
    let alpha = Cholesky::factor(k_train)
        .and_then(|c| c.solve(y))
        .map_err(indefinite)?;
    Ok((0..k_cross.nrows())
        .map(|i| (0..alpha.len()).map(|j| k_cross[(i, j)] * alpha[j]).sum())
        .collect())
}

/// Mean losses of predictions f against labels ±1.
///
/// ```
/// use pai_graphon::ntk::reality::held_out;
/// // Right sign but small margin: no 0-1 loss, some ramp loss.
/// let l = held_out(&[0.5, -0.25], &[1.0, -1.0]).unwrap();
/// assert_eq!((l.zero_one, l.ramp, l.squared), (0.0, 0.625, 0.40625));
/// assert!(l.ramp >= l.zero_one);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Losses {
    /// `mean 1{y f ≤ 0}`.
    pub zero_one: f64,
    /// `mean clamp(1 − y f, 0, 1)`: 1-Lipschitz, in [0, 1], and at least the 0-1 loss.
    pub ramp: f64,
    /// `mean (f − y)²`.
    pub squared: f64,
}

/// The 0-1, ramp and squared losses of predictions against labels.
///
/// ```
/// use pai_graphon::ntk::reality::held_out;
/// let l = held_out(&[0.5, -2.0, 1.0], &[1.0, 1.0, 1.0]).unwrap();
/// assert_eq!((l.zero_one, l.ramp, l.squared), (1.0 / 3.0, 1.5 / 3.0, 9.25 / 3.0));
/// assert!(held_out(&[0.5], &[1.0, 1.0]).is_err());
/// ```
pub fn held_out(f: &[f64], y: &[f64]) -> Result<Losses, NtkError> {
    super::kernel::check_labels(y, f.len())?;
    if f.is_empty() || f.iter().any(|v| !v.is_finite()) {
        return Err(NtkError::NonFinite {
            what: "predictions (or there are none)",
        });
    }
    let m = f.len() as f64;
    let mean = |loss: &dyn Fn(f64, f64) -> f64| {
        f.iter().zip(y).map(|(&a, &b)| loss(a, b)).sum::<f64>() / m
    };
    Ok(Losses {
        zero_one: mean(&|f, y| if y * f <= 0.0 { 1.0 } else { 0.0 }),
        ramp: mean(&|f, y| (1.0 - y * f).clamp(0.0, 1.0)),
        squared: mean(&|f, y| (f - y) * (f - y)),
    })
}

/// The SNIP-type data-driven graphon with its column profile sharpened: `ψ_j^p` with
/// `ψ_j = |cov(x_j, y)|` ([`column_covariance`]) in [`snip_graphon`] (Figure 2's graphon; p = 1
/// is that graphon itself).
///
/// ```
/// use pai_graphon::ntk::reality::snip_type_graphon;
/// let x = faer::mat![[1.0, 0.0, 0.5], [0.0, 1.0, 0.5]];
/// let g = snip_type_graphon(x.as_ref(), &[1.0, -1.0], 0.3, 1.0).unwrap();
/// assert!((g.density() - 0.3).abs() < 1e-9);
/// assert_eq!(g.w()[(0, 2)], 0.0); // coordinate 2 does not see the label
/// // |cov(x_j, y)| is ½ for both coordinates, exactly: equal profile values give equal W.
/// assert_eq!(g.w()[(0, 0)], g.w()[(0, 1)]);
/// ```
pub fn snip_type_graphon(
    x_unit: MatRef<'_, f64>,
    y: &[f64],
    rho: f64,
    power: f64,
) -> Result<KernelGraphon, Error> {
    if !(power.is_finite() && power > 0.0) {
        return Err(NtkError::Size {
            what: "power",
            value: power,
            why: "must be positive",
        }
        .into());
    }
    let psi: Vec<f64> = column_covariance(x_unit, y)?
        .iter()
        .map(|p| p.powf(power))
        .collect();
    Ok(snip_graphon(&psi, Density::new(rho)?)?.graphon)
}

/// How the finite network is trained.
///
/// ```
/// use pai_graphon::ntk::kernel::KernelGraphon;
/// use pai_graphon::ntk::reality::{train_masked_network, Training};
/// use pai_graphon::seed::MasterSeed;
/// let x = faer::mat![[1.0, 0.0], [0.0, 1.0]];
/// let g = KernelGraphon::constant(0.5, 2).unwrap();
/// let train = |t: Training| train_masked_network(x.as_ref(), &[1.0, -1.0], x.as_ref(), &g, &t,
///     MasterSeed::default(), "DOC");
/// // The width must be even: the network is built from twin pairs.
/// assert!(train(Training { width: 3, steps: 1, step_size: 1.0 }).is_err());
/// assert!(train(Training { width: 4, steps: 1, step_size: 1.0 }).is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Training {
    /// Width n (even: the network is built from n/2 twin pairs).
    pub width: usize,
    /// Full-batch gradient-descent steps.
    pub steps: usize,
    /// The step size η.
    pub step_size: f64,
}

/// A trained network's outputs: on the training inputs and on the test inputs.
///
/// ```
/// use pai_graphon::ntk::kernel::KernelGraphon;
/// use pai_graphon::ntk::reality::{train_masked_network, Training};
/// use pai_graphon::seed::MasterSeed;
/// let (x, test) = (faer::mat![[1.0, 0.0], [0.0, 1.0]], faer::mat![[0.6, 0.8]]);
/// let g = KernelGraphon::constant(0.5, 2).unwrap();
/// // No steps: the outputs are the initial ones, which the twins cancel.
/// let t = Training { width: 8, steps: 0, step_size: 1.0 };
/// let out = train_masked_network(x.as_ref(), &[1.0, -1.0], test.as_ref(), &g, &t,
///     MasterSeed::default(), "DOC").unwrap();
/// assert_eq!((out.train.len(), out.test.len()), (2, 1));
/// assert!(out.initial_output < 1e-12 && out.train.iter().all(|f| f.abs() < 1e-12));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Trained {
    /// `f(x_b)` on the training rows after training.
    pub train: Vec<f64>,
    /// `f(x*)` on the test rows after training.
    pub test: Vec<f64>,
    /// `max_b |f_0(x_b)|` at initialisation (0 up to rounding: the twins cancel).
    pub initial_output: f64,
}

/// A Bernoulli mask from a column-profile graphon: `M_ij ~ Bernoulli(W(v_j))` independently for
/// the first n/2 rows (stream `{label}/mask`, one uniform per cell, row-major), the second half a
/// copy of the first (twin rows).
fn twin_bernoulli_mask(
    w: &[f64],
    width: usize,
    seed: MasterSeed,
    label: &str,
) -> Result<Mask, Error> {
    let d = w.len();
    let half = width / 2;
    let mut rng = seed.stream(&format!("{label}/mask"));
    let first: Vec<f64> = (0..half * d)
        .map(|c| f64::from(u8::from(uniform_open01(&mut rng) < w[c % d])))
        .collect();
    let mut scores = first.clone();
    scores.extend_from_slice(&first);
    let kept = scores.iter().filter(|&&s| s > 0.0).count() as u64;
    Ok(top_k_mask(width, d, &scores, kept)?)
}

/// Train a finite masked network (`net::network::Network`, first layer only) by full-batch
/// gradient descent on the squared loss, and return its outputs.
///
/// The mask is Bernoulli from the column-profile graphon `g` (one node; twin rows). The network is
/// antisymmetrically initialised: n/2 neurons `(w_i, a_i)` from `Network::init` (streams
/// `{label}/half/w`, `{label}/half/a`) and their twins `(w_i, −a_i)` with the same mask row, so
/// f_0 ≡ 0 up to rounding while the tangent kernel keeps its law (the usual way to remove the
/// random initial output in lazy training). `Network` computes `z = d^(−1/2) Σ M w x`; it is fed
/// `x = sqrt(d/ρ) · x_unit` so that `z = ρ^(−1/2) Σ M w x_unit`, the graphon-NTK normalisation:
/// its NTK at initialisation converges to K_W (first layer).
///
/// ```
/// use pai_graphon::ntk::kernel::{unit_rows, KernelGraphon};
/// use pai_graphon::ntk::reality::{train_masked_network, Training};
/// use pai_graphon::seed::MasterSeed;
/// let x = unit_rows(faer::mat![[1.0, 0.2], [0.1, 1.0]].as_ref()).unwrap();
/// let g = KernelGraphon::constant(0.5, 2).unwrap();
/// let t = Training { width: 64, steps: 200, step_size: 1.0 };
/// let out = train_masked_network(x.as_ref(), &[1.0, -1.0], x.as_ref(), &g, &t,
///     MasterSeed::default(), "DOC").unwrap();
/// assert!(out.initial_output < 1e-12);
/// assert!(out.train[0] > 0.5 && out.train[1] < -0.5);
/// ```
pub fn train_masked_network(
    x_train: MatRef<'_, f64>,
    y: &[f64],
    x_test: MatRef<'_, f64>,
    g: &KernelGraphon,
    training: &Training,
    seed: MasterSeed,
    label: &str,
) -> Result<Trained, Error> {
    let d = g.dims();
    if g.nodes().len() != 1 || x_train.ncols() != d || x_test.ncols() != d {
        return Err(NtkError::Mismatch {
            what: "input coordinates for a one-node (column-profile) graphon",
            expected: d,
            found: if x_train.ncols() != d {
                x_train.ncols()
            } else {
                x_test.ncols()
            },
        }
        .into());
    }
    if training.width < 2 || training.width % 2 != 0 || training.step_size <= 0.0 {
        return Err(NtkError::Size {
            what: "width",
            value: training.width as f64,
            why: "must be even and ≥ 2, the step size positive",
        }
        .into());
    }
    let w_col: Vec<f64> = (0..d).map(|j| g.w()[(0, j)]).collect();
    let rho = g.density();
    let mask = twin_bernoulli_mask(&w_col, training.width, seed, label)?;
    let half = Network::init(training.width / 2, d, seed, &format!("{label}/half"))?;
    let mut w = half.weights().to_vec();
    w.extend_from_slice(half.weights());
    let mut a = half.output_weights().to_vec();
    a.extend(half.output_weights().iter().map(|v| -v));
    let scale = (d as f64 / rho).sqrt();
    let flat = |x: MatRef<'_, f64>| -> Vec<f64> {
        (0..x.nrows())
            .flat_map(|b| (0..d).map(move |j| x[(b, j)] * scale))
            .collect()
    };
    let (xt, xs) = (
        flat(unit_rows(x_train)?.as_ref()),
        flat(unit_rows(x_test)?.as_ref()),
    );
    let mut net = Network::from_weights(training.width, d, w, a.clone())?;
    let initial_output = net
        .forward(Some(&mask), &xt)?
        .iter()
        .fold(0.0f64, |m, v| m.max(v.abs()));
    for _ in 0..training.steps {
        let grad = net.gradient(Some(&mask), &xt, y)?;
        let w: Vec<f64> = net
            .weights()
            .iter()
            .zip(&grad)
            .map(|(w, g)| w - training.step_size * g)
            .collect();
        net = Network::from_weights(training.width, d, w, a.clone())?;
    }
    Ok(Trained {
        train: net.forward(Some(&mask), &xt)?,
        test: net.forward(Some(&mask), &xs)?,
        initial_output,
    })
}
