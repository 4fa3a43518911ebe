//! Path density, certified positive definiteness and kernel alignment (`theory/ntk.md`,
//! region "path"; claims NTK-6 to NTK-9).
//!
//! With `κ0(t) = ¼ + arcsin(t)/(2π)` the first-layer graphon NTK splits as
//!
//! ```text
//! K_W = ¼ K_lin + (1/2π) Σ_k ω_k P_k ∘ arcsin(T_k),   K_lin = ρ⁻¹ X diag(p_W) Xᵀ,
//! ```
//!
//! with `P_k = ρ⁻¹ X diag(W(u_k, ·)) Xᵀ`, `T_k` its correlation matrix and `p_W(v) = ∫ W(u, v) du`
//! the path density. The arcsine part is positive semidefinite (its Taylor series has
//! non-negative coefficients and Schur products of PSD matrices are PSD), which gives the
//! corrected alignment inequality of NTK-9; the uncorrected one (NTK-8) fails already for two
//! points.
//!
//! Every matrix here comes with an operator-norm bound on its distance to the exact matrix
//! ([`BoundedKernel`]), so eigenvalue bounds and quadratic forms `yᵀK⁻¹y` are certified by
//! [`crate::linalg`]. The bounds assume IEEE double arithmetic and a libm `acos` with an
//! error of at most one ulp (glibc documents this).

use super::deep::graphon_ntk_bound;
use super::kernel::{check_unit_rows, graphon_ntk, kappa0, kappa0_modulus, KernelGraphon, Layers};
use super::NtkError;
use crate::linalg::matmul;
use crate::linalg::{
    certified_lambda_min, certified_quadratic_inverse, inflate, next_down, LinalgError,
    QuadraticEnclosure,
};
use crate::tol::{self, UNIT_ROUNDOFF};
use faer::{Accum, Mat, MatRef};
use std::collections::HashMap;

/// The density of the graphons of the NTK-6, 7 and 9 checks.
///
/// ```
/// use pai_graphon::ntk::kernel::{unit_rows, KernelGraphon};
/// use pai_graphon::ntk::path::{certify_positive_definite, DENSITY};
/// // NTK-6's constant graphon at this density: the kernel of three distinct inputs is
/// // certified positive definite.
/// let x = unit_rows(faer::mat![[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 1.0]].as_ref()).unwrap();
/// let g = KernelGraphon::constant(DENSITY, 3).unwrap();
/// assert!(certify_positive_definite(x.as_ref(), &g).unwrap().lambda_min_lower > 0.0);
/// ```
pub const DENSITY: f64 = 0.2;

// ---------------------------------------------------------------------------------------------
// Path density.

/// The path density `p_W(v_j) = ∫ W(u, v_j) du` of a graphon and its summary.
///
/// ```
/// use pai_graphon::ntk::kernel::KernelGraphon;
/// use pai_graphon::ntk::path::path_density;
/// // u-independent: p_W is the column profile itself.
/// let p = path_density(&KernelGraphon::column_profile(&[0.5, 0.25, 0.0, 0.25]).unwrap());
/// assert_eq!((p.p.clone(), p.density), (vec![0.5, 0.25, 0.0, 0.25], 0.25));
/// assert_eq!((p.min_ratio, p.max_ratio, p.dead), (0.0, 2.0, 1));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PathDensity {
    /// `p_W(v_j)` for each coordinate.
    pub p: Vec<f64>,
    /// The density `ρ` (the mean of `p_W`).
    pub density: f64,
    /// `min_j p_W(v_j) / ρ`.
    pub min_ratio: f64,
    /// `max_j p_W(v_j) / ρ`.
    pub max_ratio: f64,
    /// How many coordinates have `p_W(v_j) = 0` (no path through them: the kernel ignores them).
    pub dead: usize,
}

/// The path density of `g` (by its quadrature, exact for step and u-independent graphons).
///
/// ```
/// use pai_graphon::ntk::kernel::KernelGraphon;
/// use pai_graphon::ntk::path::path_density;
/// let g = KernelGraphon::new(vec![0.25, 0.75], vec![0.5, 0.5],
///     faer::mat![[0.4, 0.0, 0.2], [0.2, 0.0, 0.4]]).unwrap();
/// let p = path_density(&g);
/// assert_eq!(p.p, vec![0.30000000000000004, 0.0, 0.30000000000000004]);
/// assert_eq!((p.min_ratio, p.dead), (0.0, 1));
/// // ρ = 2p/3 (the doubling exact, the quotient one rounding), then p/ρ one more: γ_2.
/// assert!((p.max_ratio - 1.5).abs() <= pai_graphon::tol::gamma(2).unwrap() * 1.5);
/// ```
pub fn path_density(g: &KernelGraphon) -> PathDensity {
    let p = g.path_density();
    let density = g.density();
    let ratios = p.iter().map(|v| v / density);
    PathDensity {
        min_ratio: ratios.clone().fold(f64::INFINITY, f64::min),
        max_ratio: ratios.fold(0.0, f64::max),
        dead: p.iter().filter(|&&v| v == 0.0).count(),
        p,
        density,
    }
}

/// Check a set of informative coordinates: non-empty, in range, no repeats.
fn check_informative(informative: &[usize], d: usize) -> Result<(), NtkError> {
    if informative.is_empty() {
        return Err(NtkError::Empty {
            what: "informative coordinates",
        });
    }
    let mut seen = vec![false; d];
    for &j in informative {
        if j >= d || seen[j] {
            return Err(NtkError::Data {
                what: "informative coordinate",
                value: j as f64,
                why: "is out of range or repeated",
            });
        }
        seen[j] = true;
    }
    Ok(())
}

/// Relative rounding of `W/ρ̂` against the exact `W/ρ` (ρ̂ is a sum of `m d` terms, then a
/// division): `γ_(m+d+4)`.
fn ratio_rounding(g: &KernelGraphon) -> f64 {
    gamma_or_inf(g.nodes().len() + g.dims() + 4)
}

/// The alignment constant `c = min_{v ∈ I} p_W(v) / ρ` (NTK-7), rounded down past the rounding
/// of `p_W` and `ρ` so that it never exceeds the exact value.
///
/// ```
/// use pai_graphon::ntk::kernel::KernelGraphon;
/// use pai_graphon::ntk::path::alignment_constant;
/// let g = KernelGraphon::column_profile(&[0.1, 0.3]).unwrap(); // ρ = 0.2
/// let c = alignment_constant(&g, &[0, 1]).unwrap();
/// assert!(c <= 0.5 && c > 0.5 * (1.0 - 1e-13));
/// assert!(alignment_constant(&g, &[2]).is_err());
/// ```
pub fn alignment_constant(g: &KernelGraphon, informative: &[usize]) -> Result<f64, NtkError> {
    check_informative(informative, g.dims())?;
    let p = g.path_density();
    let rho = g.density();
    let min = informative
        .iter()
        .map(|&j| p[j] / rho)
        .fold(f64::INFINITY, f64::min);
    Ok(next_down(min * (1.0 - 4.0 * ratio_rounding(g))).max(0.0))
}

/// The pointwise constant `c = min_k min_{v ∈ I} W(u_k, v) / ρ` (NTK-9's hypothesis
/// `W(u, v) ≥ c ρ` on I for every u), rounded down like [`alignment_constant`]. It never exceeds
/// the alignment constant.
///
/// ```
/// use pai_graphon::ntk::kernel::KernelGraphon;
/// use pai_graphon::ntk::path::{alignment_constant, pointwise_constant};
/// let g = KernelGraphon::new(vec![0.25, 0.75], vec![0.5, 0.5],
///     faer::mat![[0.1, 0.3], [0.3, 0.1]]).unwrap(); // ρ = 0.2, p_W ≡ 0.2
/// let c = pointwise_constant(&g, &[0, 1]).unwrap();
/// assert!(c <= 0.5 && c > 0.5 * (1.0 - 1e-13));
/// assert!(alignment_constant(&g, &[0, 1]).unwrap() > 0.99);
/// ```
pub fn pointwise_constant(g: &KernelGraphon, informative: &[usize]) -> Result<f64, NtkError> {
    check_informative(informative, g.dims())?;
    let rho = g.density();
    let w = g.w();
    let min = (0..w.nrows())
        .flat_map(|k| informative.iter().map(move |&j| w[(k, j)] / rho))
        .fold(f64::INFINITY, f64::min);
    Ok(next_down(min * (1.0 - 4.0 * ratio_rounding(g))).max(0.0))
}

// ---------------------------------------------------------------------------------------------
// Duplicate inputs.

/// Inputs with exact duplicates removed.
///
/// ```
/// use pai_graphon::ntk::path::{check_distinct, dedup_rows};
/// // (1, 1) and (2, 2) coincide at unit norm; their labels agree, so nothing conflicts.
/// let x = faer::mat![[1.0, 1.0], [1.0, 0.0], [2.0, 2.0]];
/// let d = dedup_rows(x.as_ref(), &[-1.0, 1.0, -1.0]).unwrap();
/// assert_eq!((d.kept.clone(), d.y.clone(), d.conflicting), (vec![0, 1], vec![-1.0, 1.0], 0));
/// assert!(check_distinct(d.x.as_ref()).is_ok());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Deduplicated {
    /// The distinct unit-norm inputs, in their original order.
    pub x: Mat<f64>,
    /// Their labels.
    pub y: Vec<f64>,
    /// The original row index of each kept input.
    pub kept: Vec<usize>,
    /// Removed duplicates whose label differs from the kept copy's (no kernel machine can fit
    /// both; the kept label wins).
    pub conflicting: usize,
}

/// The first row equal (bit for bit) to an earlier row: `Some((earlier, later))`.
fn first_duplicate(x: MatRef<'_, f64>) -> Option<(usize, usize)> {
    let mut seen: HashMap<Vec<u64>, usize> = HashMap::new();
    for b in 0..x.nrows() {
        let key: Vec<u64> = (0..x.ncols()).map(|j| x[(b, j)].to_bits()).collect();
        if let Some(&a) = seen.get(&key) {
            return Some((a, b));
        }
        seen.insert(key, b);
    }
    None
}

/// Reject unit-norm inputs that repeat: two identical inputs give two identical kernel rows, so
/// K is singular for every graphon and `yᵀK⁻¹y` is undefined. (Distinct inputs that coincide
/// on the support of W, up to scale, make K singular too; the certificate of
/// [`certify_positive_definite`] catches those.)
///
/// ```
/// use pai_graphon::ntk::path::check_distinct;
/// assert!(check_distinct(faer::mat![[1.0, 0.0], [0.0, 1.0]].as_ref()).is_ok());
/// let e = check_distinct(faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]].as_ref()).unwrap_err();
/// assert!(e.to_string().contains("inputs 0 and 2 are identical"));
/// ```
pub fn check_distinct(x_unit: MatRef<'_, f64>) -> Result<(), NtkError> {
    match first_duplicate(x_unit) {
        Some((a, b)) => Err(NtkError::Duplicate {
            first: a,
            second: b,
        }),
        None => Ok(()),
    }
}

/// Scale rows to unit norm (rejecting empty, non-finite and zero rows, as
/// [`super::kernel::unit_rows`]) and drop every row identical to an earlier one (bit for bit
/// after scaling), keeping the first copy and its label; labels must be ±1.
///
/// ```
/// use pai_graphon::ntk::path::dedup_rows;
/// let x = faer::mat![[3.0, 4.0], [0.0, 1.0], [6.0, 8.0]];
/// let d = dedup_rows(x.as_ref(), &[1.0, 1.0, -1.0]).unwrap();
/// assert_eq!((d.kept.clone(), d.y.clone(), d.conflicting), (vec![0, 1], vec![1.0, 1.0], 1));
/// // ‖(3, 4)‖ = 5 exactly, 1/5 one rounding; 3/5 one more (with 0.6's own: γ_3), while
/// // 4 fl(0.2) is fl(0.8) exactly.
/// assert!((d.x[(0, 0)] - 0.6).abs() <= pai_graphon::tol::gamma(3).unwrap() * 0.6);
/// assert_eq!(d.x[(0, 1)], 0.8);
/// ```
pub fn dedup_rows(x: MatRef<'_, f64>, y: &[f64]) -> Result<Deduplicated, NtkError> {
    super::kernel::check_labels(y, x.nrows())?;
    let unit = super::kernel::unit_rows(x)?;
    let mut first: HashMap<Vec<u64>, usize> = HashMap::new();
    let mut kept = Vec::new();
    let mut conflicting = 0;
    for b in 0..unit.nrows() {
        let key: Vec<u64> = (0..unit.ncols()).map(|j| unit[(b, j)].to_bits()).collect();
        match first.get(&key) {
            Some(&a) => conflicting += usize::from(y[a] != y[b]),
            None => {
                first.insert(key, b);
                kept.push(b);
            }
        }
    }
    Ok(Deduplicated {
        x: Mat::from_fn(kept.len(), unit.ncols(), |i, j| unit[(kept[i], j)]),
        y: kept.iter().map(|&b| y[b]).collect(),
        kept,
        conflicting,
    })
}

// ---------------------------------------------------------------------------------------------
// Kernels with error bounds.

/// A computed symmetric matrix and a bound on its distance to the exact one.
///
/// ```
/// use pai_graphon::ntk::path::{certify_bounded, BoundedKernel};
/// let k = faer::mat![[0.5, 0.0], [0.0, 0.5]];
/// // λ_min(K̂) = ½: certified when the error bound is smaller, not when it could reach it.
/// assert!(certify_bounded(&BoundedKernel { k: k.clone(), error: 0.1 }).is_ok());
/// assert!(certify_bounded(&BoundedKernel { k, error: 0.6 }).is_err());
/// ```
#[derive(Clone, Debug)]
pub struct BoundedKernel {
    /// The computed matrix (exactly symmetric).
    pub k: Mat<f64>,
    /// An upper bound on `‖K̂ − K‖₂` (rounding, plus the quadrature bound when there is one).
    pub error: f64,
}

/// γ_n, or +∞ when undefined (every bound then fails safe).
fn gamma_or_inf(n: usize) -> f64 {
    tol::gamma(n).unwrap_or(f64::INFINITY)
}

/// `‖E‖₂ ≤ max_i Σ_j e_ij` for a symmetric E with `|E_ij| ≤ e_ij` (the spectral norm of a
/// symmetric matrix is at most its largest absolute row sum), rounded up.
fn operator_bound(e: &Mat<f64>) -> f64 {
    let n = e.nrows();
    let worst = (0..n)
        .map(|i| (0..n).map(|j| e[(i, j)]).sum::<f64>())
        .fold(0.0, f64::max);
    inflate(worst, n + 1)
}

/// What is known of the argument t of a computed `a κ0(t)` term.
#[derive(Clone, Copy)]
enum Argument {
    /// Exactly 1 (the diagonal of a kernel with t = 1 set there).
    One,
    /// The computed value t̂: the Lipschitz bound on the neighbourhood applies when it stays
    /// away from ±1.
    Computed(f64),
}

/// Entry error of a computed `a κ0(a / s)` term whose numerator was computed with absolute
/// error at most `rel · s` (s = the product of the two norms, `|a| ≤ s`) and whose argument is
/// therefore off by at most `δ = 3 rel + 3u`: `|Δ(a κ0)| ≤ s (rel + ω + 6u)` (the 6u for acos
/// (one ulp), the subtraction, the division by 2π and the product), with ω the smaller of the
/// Hölder bound [`kappa0_modulus`]`(δ, 1)` and, when `|t̂| + δ < 1`, the Lipschitz bound
/// `δ / (2π sqrt(1 − (|t̂| + δ)²))` (κ0' = 1/(2π sqrt(1 − t²)) grows with |t|). On the diagonal
/// the argument is exactly 1 and only the numerator errs.
fn relu_entry_error(s: f64, rel: f64, argument: Argument) -> f64 {
    let delta = 3.0 * rel + 3.0 * UNIT_ROUNDOFF;
    // The Hölder part of the modulus (|t| = 1 admits no Lipschitz bound).
    let holder = kappa0_modulus(delta, 1.0);
    let kappa = match argument {
        Argument::One => 0.0,
        Argument::Computed(t) => {
            let reach = t.abs().min(1.0) + delta;
            if reach < 1.0 {
                let slope = 1.0 / (2.0 * std::f64::consts::PI * (1.0 - reach * reach).sqrt());
                holder.min(inflate(delta * slope, 8))
            } else {
                holder
            }
        }
    };
    inflate(s * (rel + kappa + 6.0 * UNIT_ROUNDOFF), 4)
}

/// The lower triangle of `X diag(w) Xᵀ` (w ≥ 0 per coordinate) by one sequential faer product on
/// `X diag(sqrt(w))`, mirrored: exactly symmetric. Each entry errs by at most
/// `γ_(d+4) Σ_j w_j |x_ij x_i'j|` (the scaling costs two roundings per factor).
fn weighted_gram(x: MatRef<'_, f64>, w: &[f64]) -> Mat<f64> {
    let n = x.nrows();
    let scaled = Mat::from_fn(n, x.ncols(), |b, j| x[(b, j)] * w[j].sqrt());
    let mut out = Mat::<f64>::zeros(n, n);
    matmul(
        out.as_mut(),
        Accum::Replace,
        scaled.as_ref(),
        scaled.as_ref().transpose(),
        1.0,
    );
    for i in 0..n {
        for j in 0..i {
            out[(j, i)] = out[(i, j)];
        }
    }
    out
}

/// `q_k(x_i) = ρ⁻¹ Σ_j W(u_k, v_j) x_ij²` for every node k and input i (nodes × N).
fn node_norms(x: MatRef<'_, f64>, g: &KernelGraphon) -> Mat<f64> {
    let rho = g.density();
    let w = g.w();
    Mat::from_fn(w.nrows(), x.nrows(), |k, i| {
        (0..x.ncols())
            .map(|j| w[(k, j)] * x[(i, j)] * x[(i, j)])
            .sum::<f64>()
            / rho
    })
}

/// Check that x has d columns and rows of unit norm (to 1e-12), as the kernels expect.
fn check_inputs(x: MatRef<'_, f64>, d: usize) -> Result<(), NtkError> {
    if x.nrows() == 0 || x.ncols() != d {
        return Err(NtkError::Mismatch {
            what: "input coordinates (and ≥ 1 input)",
            expected: d,
            found: x.ncols(),
        });
    }
    check_unit_rows(x)
}

/// The graphon NTK `K_W` of [`graphon_ntk`] with an operator-norm bound on its
/// error: the per-entry rounding bound of [`graphon_ntk_bound`] (the one error analysis of
/// `graphon_ntk`), turned into an operator-norm bound by the largest row sum, plus `N ×` the
/// kernel's quadrature bound (0 for graphons constant in u on cells). A Gauss rule without a
/// quadrature bound is an error: its exact kernel is not enclosed.
///
/// ```
/// use pai_graphon::ntk::kernel::{unit_rows, KernelGraphon, Layers};
/// use pai_graphon::ntk::path::bounded_graphon_ntk;
/// let x = unit_rows(faer::mat![[1.0, 0.0], [0.6, 0.8]].as_ref()).unwrap();
/// let g = KernelGraphon::constant(0.3, 2).unwrap();
/// let k = bounded_graphon_ntk(x.as_ref(), &g, Layers::First).unwrap();
/// assert_eq!(k.k[(0, 0)], 0.5);
/// assert!(k.error > 0.0 && k.error < 1e-6);
/// ```
pub fn bounded_graphon_ntk(
    x_unit: MatRef<'_, f64>,
    g: &KernelGraphon,
    layers: Layers,
) -> Result<BoundedKernel, NtkError> {
    check_inputs(x_unit, g.dims())?;
    let kernel = graphon_ntk(x_unit, g, layers)?;
    let quadrature = kernel.quadrature_bound.ok_or(NtkError::Empty {
        what: "error bound for this quadrature: the exact kernel cannot be enclosed",
    })?;
    let rounding = graphon_ntk_bound(x_unit, g, layers)?;
    let n = x_unit.nrows();
    Ok(BoundedKernel {
        error: inflate(operator_bound(&rounding) + quadrature * n as f64, 4),
        k: kernel.k,
    })
}

/// The linear part of K_W (up to its factor ¼): `K_lin = ρ⁻¹ X diag(p_W) Xᵀ`, i.e.
/// `K_lin(x, x') = ρ⁻¹ Σ_j p_W(v_j) x_j x'_j`, with its error bound (`γ_(2d+m+8)` times
/// `sqrt(K_lin(x,x) K_lin(x',x'))` per entry, by Cauchy–Schwarz).
///
/// ```
/// use pai_graphon::ntk::kernel::{unit_rows, KernelGraphon};
/// use pai_graphon::ntk::path::linear_part;
/// let x = unit_rows(faer::mat![[1.0, 0.0], [0.6, 0.8]].as_ref()).unwrap();
/// let g = KernelGraphon::column_profile(&[0.1, 0.3]).unwrap(); // p/ρ = (0.5, 1.5)
/// let k = linear_part(x.as_ref(), &g).unwrap();
/// // k.error bounds every entry's distance to the exact kernel of these f64 inputs (unit_rows
/// // returns 0.6 and 0.8 unchanged); that kernel is off the closed forms by the literals'
/// // roundings: p/ρ by two, 0.6² and 0.8² by two, a literal by one, their sum by one.
/// let g6 = pai_graphon::tol::gamma(6).unwrap();
/// assert!((k.k[(0, 1)] - 0.3).abs() <= k.error + g6 * 0.3);
/// assert!((k.k[(1, 1)] - (0.18 + 0.96)).abs() <= k.error + g6 * 1.14);
/// ```
pub fn linear_part(x_unit: MatRef<'_, f64>, g: &KernelGraphon) -> Result<BoundedKernel, NtkError> {
    check_inputs(x_unit, g.dims())?;
    let rho = g.density();
    let w: Vec<f64> = g.path_density().iter().map(|p| p / rho).collect();
    let rel = gamma_or_inf(2 * g.dims() + g.nodes().len() + 8);
    Ok(linear_with_error(weighted_gram(x_unit, &w), rel))
}

/// The informative linear kernel `G_I = X_I X_Iᵀ`, `G_I(x, x') = Σ_{j ∈ I} x_j x'_j` (dense
/// weights on I, no renormalisation of the restricted inputs), with its error bound.
///
/// ```
/// use pai_graphon::ntk::path::informative_linear;
/// let x = faer::mat![[0.6, 0.8], [0.0, 1.0]];
/// let k = informative_linear(x.as_ref(), &[0]).unwrap();
/// assert_eq!((k.k[(0, 0)], k.k[(0, 1)], k.k[(1, 1)]), (0.36, 0.0, 0.0));
/// ```
pub fn informative_linear(
    x_unit: MatRef<'_, f64>,
    informative: &[usize],
) -> Result<BoundedKernel, NtkError> {
    check_inputs(x_unit, x_unit.ncols())?;
    check_informative(informative, x_unit.ncols())?;
    let w = indicator(informative, x_unit.ncols());
    let rel = gamma_or_inf(x_unit.ncols() + 4);
    Ok(linear_with_error(weighted_gram(x_unit, &w), rel))
}

fn indicator(informative: &[usize], d: usize) -> Vec<f64> {
    let mut w = vec![0.0; d];
    for &j in informative {
        w[j] = 1.0;
    }
    w
}

/// A Gram matrix with the entrywise bound `rel sqrt(K_ii K_jj)` turned into an operator bound.
fn linear_with_error(k: Mat<f64>, rel: f64) -> BoundedKernel {
    let n = k.nrows();
    let diag: Vec<f64> = (0..n)
        .map(|i| k[(i, i)].max(0.0) * (1.0 + 2.0 * rel))
        .collect();
    let e = Mat::from_fn(n, n, |i, j| inflate(rel * (diag[i] * diag[j]).sqrt(), 4));
    BoundedKernel {
        error: operator_bound(&e),
        k,
    }
}

/// `Σ_k ω_k A ∘ κ0(A ⊘ sqrt(d_k d_kᵀ))` for one numerator A and per-node normalisers d_k
/// (rows of `norms`), with `t = 1` on the diagonal when `exact_diagonal`; a pair with a zero
/// normaliser contributes 0 (as in K_W). Entry errors per [`relu_entry_error`] with
/// `s = sqrt(d_k d_k')` and the numerator's relative error `rel`.
fn relu_sum(
    a: &Mat<f64>,
    norms: &Mat<f64>,
    weights: &[f64],
    rel: f64,
    exact_diagonal: bool,
) -> BoundedKernel {
    let n = a.nrows();
    let mut k = Mat::<f64>::zeros(n, n);
    let mut e = Mat::<f64>::zeros(n, n);
    for (node, &omega) in weights.iter().enumerate() {
        for i in 0..n {
            for j in 0..=i {
                let (di, dj) = (norms[(node, i)], norms[(node, j)]);
                if di <= 0.0 || dj <= 0.0 {
                    continue;
                }
                let s = (di * dj).sqrt();
                let diagonal = exact_diagonal && i == j;
                let t = if diagonal { 1.0 } else { a[(i, j)] / s };
                k[(i, j)] += omega * a[(i, j)] * kappa0(t);
                let argument = if diagonal {
                    Argument::One
                } else {
                    Argument::Computed(t)
                };
                let bound = relu_entry_error(inflate(s * (1.0 + 2.0 * rel), 4), rel, argument);
                e[(i, j)] += omega * bound;
                e[(j, i)] = e[(i, j)];
            }
        }
    }
    for i in 0..n {
        for j in 0..i {
            k[(j, i)] = k[(i, j)];
        }
    }
    let node_sum = 1.0 + 2.0 * gamma_or_inf(weights.len() + 2);
    BoundedKernel {
        error: inflate(operator_bound(&e) * node_sum, 2),
        k,
    }
}

/// The informative kernel `K_I(x, x') = G_I(x, x') κ0(t_I)`, `t_I = G_I(x, x') /
/// sqrt(G_I(x, x) G_I(x', x'))`: the dense first-layer kernel of the inputs restricted to I
/// (not renormalised), with its error bound. An input with no mass on I gives a zero row.
///
/// ```
/// use pai_graphon::ntk::kernel::kappa0;
/// use pai_graphon::ntk::path::informative_kernel;
/// let x = faer::mat![[0.6, 0.0, 0.8], [0.0, 0.6, 0.8]];
/// let k = informative_kernel(x.as_ref(), &[1, 2]).unwrap();
/// // k.error bounds the distance to the exact kernel of these f64 inputs; the closed forms
/// // differ from it by their own roundings. 0.32 = fl(0.8)²/2 to three (the square, the
/// // literal). For (0, 1): G = fl(0.8)² against 0.64 (three), the argument fl(0.8)/sqrt(G₁₁)
/// // against fl(0.64/0.8) (five, G₁₁ = fl(0.6)² + fl(0.8)² rounding to 1; κ0's relative
/// // condition t κ0'/κ0 is 0.53 at 0.8, so three), κ0 (four) and the product: eleven.
/// let gamma = |n| pai_graphon::tol::gamma(n).unwrap();
/// assert!((k.k[(0, 0)] - 0.32).abs() <= k.error + gamma(3) * 0.32);
/// let r = 0.64 * kappa0(0.64 / 0.8);
/// assert!((k.k[(0, 1)] - r).abs() <= k.error + gamma(11) * r);
/// ```
pub fn informative_kernel(
    x_unit: MatRef<'_, f64>,
    informative: &[usize],
) -> Result<BoundedKernel, NtkError> {
    let gram = informative_linear(x_unit, informative)?.k;
    let n = gram.nrows();
    let norms = Mat::from_fn(1, n, |_, i| gram[(i, i)]);
    let rel = gamma_or_inf(x_unit.ncols() + 16);
    Ok(relu_sum(&gram, &norms, &[1.0], rel, true))
}

/// The damped informative kernel `c K_I^damp` of NTK-9:
///
/// ```text
/// c K_I^damp(x, x') = Σ_k ω_k c G_I(x, x') κ0( c G_I(x, x') / sqrt(q_k(x) q_k(x')) ),
/// ```
///
/// `q_k(x) = ρ⁻¹ Σ_j W(u_k, v_j) x_j²`. It is K_I with each arcsine argument `t_I` shrunk by the
/// factor `τ_k = c sqrt(G_I(x,x) G_I(x',x')) / sqrt(q_k(x) q_k(x')) ∈ [0, 1]` (equivalently the
/// arcsine series with its m-th weight multiplied by `τ_k^(2m+1)`). Requires
/// `0 < c ≤` [`pointwise_constant`]`(g, I)` (then `q_k ≥ c G_I` on the diagonal, so `|τ_k t_I| ≤ 1`);
/// NTK-9 proves `K_W ⪰ c K_I^damp`.
///
/// ```
/// use pai_graphon::ntk::kernel::{kappa0, KernelGraphon};
/// use pai_graphon::ntk::path::{damped_informative_kernel, pointwise_constant};
/// let x = faer::mat![[0.6, 0.8], [0.8, 0.6]];
/// let g = KernelGraphon::constant(0.5, 2).unwrap(); // q ≡ 1, c just below 1
/// let c = pointwise_constant(&g, &[0]).unwrap();
/// let k = damped_informative_kernel(x.as_ref(), &g, &[0], c).unwrap();
/// // G_I = 0.36, 0.48, 0.64; the argument is c G_I (q = 1). k.error bounds the distance to
/// // the exact kernel of these f64 inputs; each closed form differs from it by G against its
/// // literal (three roundings), c G (one), q = fl(0.6)² + fl(0.8)² against 1 (two; these six
/// // pass through κ0 with relative condition t κ0'/κ0 < 0.3 below 0.5: two), κ0 (four) and
/// // the last product: eleven.
/// let g11 = pai_graphon::tol::gamma(11).unwrap();
/// let (r00, r01) = (c * 0.36 * kappa0(c * 0.36), c * 0.48 * kappa0(c * 0.48));
/// assert!((k.k[(0, 0)] - r00).abs() <= k.error + g11 * r00);
/// assert!((k.k[(0, 1)] - r01).abs() <= k.error + g11 * r01);
/// assert!(damped_informative_kernel(x.as_ref(), &g, &[0], 1.5).is_err());
/// ```
pub fn damped_informative_kernel(
    x_unit: MatRef<'_, f64>,
    g: &KernelGraphon,
    informative: &[usize],
    c: f64,
) -> Result<BoundedKernel, NtkError> {
    check_inputs(x_unit, g.dims())?;
    let c_max = pointwise_constant(g, informative)?;
    if !(c > 0.0 && c <= c_max) {
        return Err(NtkError::Size {
            what: "damping constant",
            value: c,
            why: "must lie in (0, min_k min_(v∈I) W(u_k, v)/ρ]",
        });
    }
    let gram = informative_linear(x_unit, informative)?.k;
    let a = Mat::from_fn(gram.nrows(), gram.ncols(), |i, j| c * gram[(i, j)]);
    // Clamp the normalisers from below by c G_I (true in exact arithmetic by hypothesis): the
    // rounding of either side cannot push an argument past 1.
    let mut q = node_norms(x_unit, g);
    for k in 0..q.nrows() {
        for i in 0..q.ncols() {
            q[(k, i)] = q[(k, i)].max(a[(i, i)]);
        }
    }
    let rel = gamma_or_inf(2 * g.dims() + g.nodes().len() + 16);
    Ok(relu_sum(&a, &q, g.weights(), rel, false))
}

// ---------------------------------------------------------------------------------------------
// Certificates.

/// A certified lower bound on `λ_min` of an exact kernel.
///
/// ```
/// use pai_graphon::ntk::path::{certify_bounded, BoundedKernel};
/// // Eigenvalues 0.4 and 0.6 of K̂; the exact K is within 0.01 of it.
/// let d = certify_bounded(&BoundedKernel { k: faer::mat![[0.5, 0.1], [0.1, 0.5]], error: 0.01 }).unwrap();
/// assert_eq!(d.input_error, 0.01);
/// assert!(d.lambda_min_lower <= 0.4 - 0.01 && d.lambda_min_lower > 0.38);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Definiteness {
    /// `λ_min(K) ≥ lambda_min_lower > 0` for the exact kernel K.
    pub lambda_min_lower: f64,
    /// The operator-norm bound on `‖K̂ − K‖₂` it allows for.
    pub input_error: f64,
}

/// Identical inputs, or inputs that coincide up to scale on the support of the graphon, make
/// the kernel singular.
fn indefinite(what: &'static str, e: LinalgError) -> NtkError {
    NtkError::Indefinite {
        what,
        cause: Some(e),
    }
}

/// Certify `λ_min(K) > 0` for the exact matrix behind a [`BoundedKernel`] (Rump–Demmel shifted
/// Cholesky, [`certified_lambda_min`], with the kernel's error bound as input error).
///
/// ```
/// use pai_graphon::ntk::path::{certify_bounded, BoundedKernel};
/// let k = BoundedKernel { k: faer::mat![[0.5, 0.1], [0.1, 0.5]], error: 1e-9 };
/// let c = certify_bounded(&k).unwrap();
/// assert!(c.lambda_min_lower <= 0.4 && c.lambda_min_lower > 0.399);
/// let singular = BoundedKernel { k: faer::mat![[0.5, 0.5], [0.5, 0.5]], error: 0.0 };
/// assert!(certify_bounded(&singular).is_err());
/// ```
pub fn certify_bounded(k: &BoundedKernel) -> Result<Definiteness, NtkError> {
    let lambda_min_lower =
        certified_lambda_min(k.k.as_ref(), k.error).map_err(|e| indefinite("kernel", e))?;
    Ok(Definiteness {
        lambda_min_lower,
        input_error: k.error,
    })
}

/// Certify that the first-layer graphon NTK of the (unit-norm) inputs is positive definite:
/// `λ_min(K_W) ≥ lambda_min_lower > 0` for the exact kernel (rounding and quadrature included,
/// [`bounded_graphon_ntk`]). Identical inputs are rejected first with a [`NtkError::Data`]
/// naming them ([`check_distinct`]); any other singular or indefinite case gives
/// [`NtkError::Indefinite`].
///
/// ```
/// use pai_graphon::ntk::kernel::{unit_rows, KernelGraphon};
/// use pai_graphon::ntk::path::certify_positive_definite;
/// let x = unit_rows(faer::mat![[1.0, 0.0], [0.6, 0.8]].as_ref()).unwrap();
/// let g = KernelGraphon::constant(0.3, 2).unwrap();
/// let c = certify_positive_definite(x.as_ref(), &g).unwrap();
/// // K = [[0.5, 0.6 κ0(0.6)], [·, 0.5]]: λ_min = 0.5 − 0.6 κ0(0.6) ≈ 0.2886.
/// assert!(c.lambda_min_lower < 0.2886 && c.lambda_min_lower > 0.288);
/// let dup = unit_rows(faer::mat![[1.0, 0.0], [1.0, 0.0]].as_ref()).unwrap();
/// assert!(certify_positive_definite(dup.as_ref(), &g).is_err());
/// ```
pub fn certify_positive_definite(
    x_unit: MatRef<'_, f64>,
    g: &KernelGraphon,
) -> Result<Definiteness, NtkError> {
    check_distinct(x_unit)?;
    let k = bounded_graphon_ntk(x_unit, g, Layers::First)?;
    certify_bounded(&k)
}

/// Enclose `yᵀK⁻¹y` for the exact matrix behind a [`BoundedKernel`]
/// ([`certified_quadratic_inverse`]).
///
/// ```
/// use pai_graphon::ntk::path::{complexity_enclosure, BoundedKernel};
/// let k = BoundedKernel { k: faer::mat![[0.5, 0.0], [0.0, 0.5]], error: 1e-12 };
/// let q = complexity_enclosure(&k, &[1.0, -1.0]).unwrap();
/// assert!(q.lower <= 4.0 && 4.0 <= q.upper && q.upper - q.lower < 1e-9);
/// ```
pub fn complexity_enclosure(k: &BoundedKernel, y: &[f64]) -> Result<QuadraticEnclosure, NtkError> {
    super::kernel::check_labels(y, k.k.nrows())?;
    certified_quadratic_inverse(k.k.as_ref(), y, k.error).map_err(|e| indefinite("kernel", e))
}
