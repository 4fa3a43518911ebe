//! The Alon–Naor semidefinite bound on the cut norm, certified (TOOL-5, TOOL-8;
//! `theory/toolbox.md`, "The SDP certificate").
//!
//! 1. **Border.** A (m×n) becomes A' ((m+1)×(n+1)): last column −(row sums), last row
//!    −(column sums), corner the total, so every row and column of A' sums to zero and
//!    `Σ_{S×T} A_ij = ¼ max_{x,y ∈ {±1}} xᵀA'y` over the pairs (Alon & Naor 2006, §3).
//! 2. **Burer–Monteiro.** Unit rows `u_i`, `v_j` in R^r maximise `Σ A'_ij ⟨u_i, v_j⟩` by the
//!    alternating ("mixing") update `U ← rows of A'V normalised`, `V ← rows of A'ᵀU normalised`,
//!    which never decreases the objective; only products with A' (no Gram matrix).
//! 3. **Certificate.** For any positive scalings `s`, `t` (f64 numbers), with
//!    `B = diag(s) A' diag(t)`: `Σ A'_ij⟨u_i, v_j⟩ = tr(Xᵀ B Y)` with `X_i = u_i / s_i`,
//!    `Y_j = v_j / t_j`, so the SDP value is at most `‖B‖₂ sqrt(Σ s_i⁻² Σ t_j⁻²)`. The solver's
//!    point gives `s_i = ‖(A'V)_i‖^(−1/2)`, `t_j = ‖(A'ᵀU)_j‖^(−1/2)`, for which `‖B‖₂ ≈ 1` at
//!    the optimum (the dual certificate); every rounding is bounded, so the bound holds at any
//!    point, converged or not.
//!
//! The spectral step is one function, [`sigma_max_upper`]: a certified upper bound on `‖B̂‖₂`
//! of the computed matrix. Up to a shorter side of [`crate::linalg::MAX_DENSE_ORDER`] it is the
//! crate's deterministic Gram + shifted-Cholesky certificate (the cheaper one there: `k²L`
//! flops at gemm speed against the matrix-free route's 380 compensated products); above, where
//! the Gram matrix would not fit, the matrix-free [`crate::linalg::spectral_norm_upper`]
//! (probabilistic: the bound holds with probability ≥ 1 − δ, δ = 10⁻⁹, over its seeded start
//! vector; reported as the interval's `sdp_failure_probability`).
//!
//! From a shorter side of [`LARGE_ORDER`] on, the solver takes its large-scale route (below it
//! nothing changes, bit for bit): the ascent runs in single precision on a power-of-two-scaled
//! f32 copy of A' (the point needs no rigour; one last f64 iteration gives it and its objective
//! in full precision), the products run in parallel over fixed row blocks (the partition does
//! not depend on the thread count, so the bits do not either), so do the certificate's Gram
//! matrix and its Lanczos products, and the ascent stops once its *estimated* duality gap `σ̃ sqrt(Σ s⁻² Σ t⁻²) / objective − 1` is below
//! [`GAP_TOLERANCE`] (σ̃ from a few warm-started Lanczos steps on BᵀB; an estimate that only decides
//! when to stop: the certificate afterwards is rigorous whatever it says).

use super::{spectral_certificate, CutNormOptions};
use crate::linalg::{inflate, matmul, next_up, sum_of_squares_upper, ETA, MAX_DENSE_ORDER};
use crate::linalg::{spectral_norm_upper, DenseOperator, SpectralOptions};
use crate::seed::uniform_open01;
use crate::tol;
use faer::{Accum, Mat, MatRef};
use rand::Rng;
use rayon::prelude::*;

/// The shorter side of A from which the solver takes its large-scale route (parallel blocked
/// products, the stop on the estimated gap). Every width of today's claims (CONV-2 ends at
/// 4000) stays below it, so their outputs are unchanged.
pub(crate) const LARGE_ORDER: usize = 4096;
/// The large-scale route stops when the estimated gap falls below this (relative): the
/// certified bound then exceeds the feasible value by about this much plus the certificate's
/// own overhead (≈ 10⁻⁴).
pub(crate) const GAP_TOLERANCE: f64 = 0.005;
/// Iterations between two estimates of the gap (each costs [`LANCZOS_STEPS`] pairs of
/// matrix-vector products, about half of one rank-32 iteration's block products).
const GAP_CHECK_EVERY: usize = 10;
/// Lanczos steps on `BᵀB` per estimate of σ (warm-started from the last Ritz vector).
const LANCZOS_STEPS: usize = 12;
/// Rows of A' (or of A'ᵀ) per parallel task of the large-scale products.
const PRODUCT_ROWS: usize = 512;
/// Rows of the certificate's Gram matrix per parallel task on the large-scale route.
pub(super) const GRAM_ROWS: usize = 256;

/// What the SDP route found: a certified upper bound, the solver's state, and the cuts of A
/// read off by random-hyperplane rounding (starts for the lower bound).
pub(super) struct SdpBound {
    /// Certified `≥ ‖A‖_□` (normalised by m n), rounded up; `+∞` when not certified.
    pub upper: f64,
    /// The Burer–Monteiro objective `Σ A'_ij⟨u_i, v_j⟩ / (4 m n)` at the final point: a feasible
    /// value of the SDP, not a bound on the cut norm either way.
    pub primal: f64,
    /// The certified `σ ≥ ‖B‖₂` (≈ 1 at the SDP optimum); `+∞` when not certified.
    pub sigma: f64,
    /// Alternating iterations run.
    pub iterations: usize,
    /// Whether the relative increase of the objective fell below the tolerance (or, on the
    /// large-scale route, the estimated gap below [`GAP_TOLERANCE`]).
    pub converged: bool,
    /// `P(upper is not a bound)`: 0 for the deterministic certificate, δ for the matrix-free one.
    pub failure_probability: f64,
    /// Row sets of A from the roundings.
    pub rows: Vec<Vec<bool>>,
    /// Column sets of A from the roundings.
    pub cols: Vec<Vec<bool>>,
}

impl SdpBound {
    pub(super) fn skipped() -> Self {
        SdpBound {
            upper: f64::INFINITY,
            primal: f64::NAN,
            sigma: f64::INFINITY,
            iterations: 0,
            converged: false,
            failure_probability: 0.0,
            rows: Vec::new(),
            cols: Vec::new(),
        }
    }
}

/// The SDP route for a validated, in-range matrix `a` with `abs_sum ≥ Σ|A_ij|`.
pub(super) fn sdp_bound<R: Rng + ?Sized>(
    a: &Mat<f64>,
    abs_sum: f64,
    opts: &CutNormOptions,
    rng: &mut R,
) -> SdpBound {
    let (m, n) = (a.nrows(), a.ncols());
    let (bordered, border_error) = bordered(a, abs_sum);
    let rank = burer_monteiro_rank(m + 1, n + 1, opts.sdp_rank);
    let large = m.min(n) >= LARGE_ORDER;
    let point = solve(
        bordered.as_ref(),
        rank,
        opts.sdp_max_iterations,
        opts.sdp_tolerance,
        large,
        rng,
    );
    let (rows, cols) = hyperplane_cuts(&point, opts.sdp_roundings, rng);
    let mn = (m * n) as f64;
    let primal = point.objective / (4.0 * mn);
    let matrix_free = (m + 1).min(n + 1) > MAX_DENSE_ORDER;
    let cert = certified_upper(
        bordered.as_ref(),
        &point,
        border_error,
        opts,
        matrix_free,
        large,
        rng,
    );
    let (upper, sigma) = (cert.upper, cert.sigma);
    // NaN (an overflow met on the way) certifies nothing: +∞.
    let or_infinite = |x: f64| if x >= 0.0 { x } else { f64::INFINITY };
    SdpBound {
        upper: or_infinite(next_up(upper / mn)),
        primal,
        sigma: or_infinite(sigma),
        iterations: point.iterations,
        converged: point.converged,
        failure_probability: cert.failure_probability,
        rows,
        cols,
    }
}

/// `ceil(sqrt(2 (m' + n')))` capped by `cap` (at least 1): past this rank the Burer–Monteiro
/// problem has no spurious local maxima for generic data (Boumal, Voroninski & Bandeira 2016).
fn burer_monteiro_rank(m1: usize, n1: usize, cap: usize) -> usize {
    let r = (2.0 * (m1 + n1) as f64).sqrt().ceil() as usize;
    r.min(cap).max(1)
}

/// A' and `e ≥ Σ_ij |A'_ij − Â'_ij|`: the row sums, column sums and total are sequential
/// sums (row and column: `γ_(n−1)`, `γ_(m−1)` of their absolute sums; the total, a sum of
/// column sums, `γ_(m+n−2) Σ|A|`; Higham eq. 4.4), so `e ≤ (γ_(n−1) + γ_(m−1) + γ_(m+n−2)) Σ|A|`.
fn bordered(a: &Mat<f64>, abs_sum: f64) -> (Mat<f64>, f64) {
    let (m, n) = (a.nrows(), a.ncols());
    let mut b = Mat::<f64>::zeros(m + 1, n + 1);
    let mut row_sums = vec![0.0; m];
    let mut total = 0.0;
    for j in 0..n {
        let col = a.col_as_slice(j);
        let mut s = 0.0;
        for (i, &x) in col.iter().enumerate() {
            b[(i, j)] = x;
            row_sums[i] += x;
            s += x;
        }
        b[(m, j)] = -s;
        total += s;
    }
    for (i, s) in row_sums.iter().enumerate() {
        b[(i, n)] = -s;
    }
    b[(m, n)] = total;
    let gammas = [n.saturating_sub(1), m.saturating_sub(1), m + n - 2]
        .map(|k| tol::gamma(k).unwrap_or(f64::INFINITY));
    let error = inflate((gammas[0] + gammas[1] + gammas[2]) * abs_sum, 4);
    (b, error)
}

/// A point of the Burer–Monteiro problem: unit rows `U` ((m+1)×r), `V` ((n+1)×r).
struct Point {
    u: Mat<f64>,
    v: Mat<f64>,
    objective: f64,
    iterations: usize,
    converged: bool,
}

/// The alternating ascent from a random V (Gaussian rows, normalised, from `rng`). Each
/// iteration sets `U = rownorm(A'V)` then `V = rownorm(A'ᵀU)`; the objective after it,
/// `Σ_j ‖(A'ᵀU)_j‖`, never decreases in exact arithmetic. Stops when it rises by less than
/// `tolerance` relatively, or after `max_iterations` (then `converged` is false); on the
/// `large` route also when the estimated gap ([`estimated_gap`]) is below [`GAP_TOLERANCE`].
fn solve<R: Rng + ?Sized>(
    a: MatRef<'_, f64>,
    rank: usize,
    max_iterations: usize,
    tolerance: f64,
    large: bool,
    rng: &mut R,
) -> Point {
    let (m1, n1) = (a.nrows(), a.ncols());
    let mut v = Mat::<f64>::zeros(n1, rank);
    set_normalised_rows(&mut v, &gaussian_matrix(n1, rank, rng));
    if large {
        let top = (0..n1).map(|_| gaussian(rng)).collect();
        return ascend_single(a, v, max_iterations, tolerance, top);
    }
    let mut u = Mat::<f64>::zeros(m1, rank);
    let mut p = Mat::<f64>::zeros(m1, rank);
    let mut q = Mat::<f64>::zeros(n1, rank);
    let (mut objective, mut iterations, mut converged) = (0.0f64, 0, false);
    while iterations < max_iterations {
        iterations += 1;
        product(&mut p, a, v.as_ref(), false);
        set_normalised_rows(&mut u, &p);
        product(&mut q, a.transpose(), u.as_ref(), false);
        let next = set_normalised_rows(&mut v, &q);
        if !next.is_finite() {
            break; // an overflowing product: the certificate below reports +∞
        }
        let rise = next - objective;
        objective = objective.max(next);
        if rise <= tolerance * objective.abs() {
            converged = true;
            break;
        }
    }
    Point {
        u,
        v,
        objective,
        iterations,
        converged,
    }
}

/// The large-scale ascent from `v`: the same alternating updates in single precision (the
/// point needs no rigour: the certificate is rigorous at any point; f32 products run at twice
/// the speed and move half the bytes) on `2^−e A'` (e the exponent of `max|A'_ij|`; the update
/// is scale-free, and f32 then neither overflows nor loses the large entries), parallel over
/// fixed row blocks. Stops when the objective rises by less than `tolerance` relatively or
/// when the estimated gap ([`estimated_gap`], every [`GAP_CHECK_EVERY`] iterations, warm-started
/// from `top`) is below [`GAP_TOLERANCE`]; then one f64 iteration on A' itself gives the point
/// and its objective in full precision.
fn ascend_single(
    a: MatRef<'_, f64>,
    v: Mat<f64>,
    max_iterations: usize,
    tolerance: f64,
    mut top: Vec<f64>,
) -> Point {
    let (m1, n1, rank) = (a.nrows(), a.ncols(), v.ncols());
    let a32 = scaled_single(a);
    let mut v32 = Mat::from_fn(n1, rank, |j, k| v[(j, k)] as f32);
    let mut u32 = Mat::<f32>::zeros(m1, rank);
    let mut p = Mat::<f32>::zeros(m1, rank);
    let mut q = Mat::<f32>::zeros(n1, rank);
    let (mut objective, mut iterations, mut converged) = (0.0f64, 0, false);
    while iterations < max_iterations.saturating_sub(1) {
        iterations += 1;
        product(&mut p, a32.as_ref(), v32.as_ref(), true);
        set_normalised_rows(&mut u32, &p);
        product(&mut q, a32.transpose(), u32.as_ref(), true);
        let next = set_normalised_rows(&mut v32, &q);
        if !next.is_finite() {
            break;
        }
        let rise = next - objective;
        objective = objective.max(next);
        let small_gap = iterations % GAP_CHECK_EVERY == 0
            && estimated_gap(a32.as_ref(), &p, &q, next, &mut top) <= GAP_TOLERANCE;
        if rise <= tolerance * objective.abs() || small_gap {
            converged = true;
            break;
        }
    }
    drop(a32);
    // The last iteration in f64 on A': the point and its objective `Σ_j ‖(A'ᵀU)_j‖`.
    let mut v = Mat::from_fn(n1, rank, |j, k| f64::from(v32[(j, k)]));
    let (mut u, mut p, mut q) = (
        Mat::<f64>::zeros(m1, rank),
        Mat::<f64>::zeros(m1, rank),
        Mat::<f64>::zeros(n1, rank),
    );
    product(&mut p, a, v.as_ref(), true);
    set_normalised_rows(&mut u, &p);
    product(&mut q, a.transpose(), u.as_ref(), true);
    let objective = set_normalised_rows(&mut v, &q);
    Point {
        u,
        v,
        objective,
        iterations: iterations + 1,
        converged,
    }
}

/// `2^−e A'` in f32, with `2^e ≤ max|A'_ij| < 2^(e+1)` (entries far below the largest may
/// underflow: the copy only steers the ascent).
fn scaled_single(a: MatRef<'_, f64>) -> Mat<f32> {
    let largest = (0..a.ncols())
        .flat_map(|j| (0..a.nrows()).map(move |i| a[(i, j)].abs()))
        .fold(0.0, f64::max);
    let scale = if largest > 0.0 && largest.is_finite() {
        2f64.powi(-largest.log2().floor() as i32)
    } else {
        1.0
    };
    Mat::from_fn(a.nrows(), a.ncols(), |i, j| (a[(i, j)] * scale) as f32)
}

/// The two precisions of the solver's products (f64, and f32 on the large-scale route).
pub(super) trait Real: faer::traits::ComplexField + Copy + Into<f64> + Send + Sync {
    /// The nearest value of this type.
    fn of(x: f64) -> Self;
}

impl Real for f64 {
    fn of(x: f64) -> Self {
        x
    }
}

impl Real for f32 {
    fn of(x: f64) -> Self {
        x as f32
    }
}

/// `dst = a b`: one sequential faer product, or (`parallel`) one per block of
/// [`PRODUCT_ROWS`] rows of `a` on rayon's pool. The blocks do not depend on the thread count,
/// so neither do the bits.
pub(super) fn product<T: Real>(
    dst: &mut Mat<T>,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    parallel: bool,
) {
    let rows = a.nrows();
    if !parallel || rows <= PRODUCT_ROWS {
        matmul(dst.as_mut(), Accum::Replace, a, b, T::of(1.0));
        return;
    }
    let blocks: Vec<Mat<T>> = (0..rows.div_ceil(PRODUCT_ROWS))
        .into_par_iter()
        .map(|block| {
            let r0 = block * PRODUCT_ROWS;
            let len = PRODUCT_ROWS.min(rows - r0);
            let mut out = Mat::<T>::zeros(len, b.ncols());
            matmul(
                out.as_mut(),
                Accum::Replace,
                a.subrows(r0, len),
                b,
                T::of(1.0),
            );
            out
        })
        .collect();
    for (block, out) in blocks.iter().enumerate() {
        dst.as_mut()
            .subrows_mut(block * PRODUCT_ROWS, out.nrows())
            .copy_from(out);
    }
}

/// `σ̃ sqrt(Σ‖p_i‖ Σ‖q_j‖) / objective − 1`: the gap the certificate would show at scalings
/// `s_i = ‖p_i‖^(−1/2)`, `t_j = ‖q_j‖^(−1/2)` ([`scalings`]; `Σ s⁻² = Σ‖p_i‖` up to the floor),
/// with `σ̃² ≤ ‖B‖₂²` the top Ritz value of [`LANCZOS_STEPS`] Lanczos steps on `BᵀB`
/// (`B = diag(s) A' diag(t)`, full reorthogonalisation) from `top`, which is replaced by the
/// Ritz vector (a warm start for the next estimate). Not a bound (σ̃ is from below): it only
/// decides when the solver stops.
fn estimated_gap<T: Real>(
    a: MatRef<'_, T>,
    p: &Mat<T>,
    q: &Mat<T>,
    objective: f64,
    top: &mut Vec<f64>,
) -> f64 {
    let s = scalings(&row_norms(p.as_ref()));
    let t = scalings(&row_norms(q.as_ref()));
    let (m1, n1) = (a.nrows(), a.ncols());
    let (mut y, mut z) = (Mat::<T>::zeros(m1, 1), Mat::<T>::zeros(n1, 1));
    let mut gram = |x: &[f64]| -> Vec<f64> {
        let tx = Mat::from_fn(n1, 1, |j, _| T::of(t[j] * x[j]));
        product(&mut y, a, tx.as_ref(), true);
        let ssy = Mat::from_fn(m1, 1, |i, _| T::of(s[i] * s[i] * y[(i, 0)].into()));
        product(&mut z, a.transpose(), ssy.as_ref(), true);
        (0..n1).map(|j| t[j] * z[(j, 0)].into()).collect()
    };
    let Some((sigma2, ritz)) = lanczos(&mut gram, top, LANCZOS_STEPS) else {
        return f64::INFINITY;
    };
    *top = ritz;
    let inverse_squares = |w: &[f64]| w.iter().map(|&x| 1.0 / (x * x)).sum::<f64>();
    sigma2.max(0.0).sqrt() * (inverse_squares(&s) * inverse_squares(&t)).sqrt() / objective - 1.0
}

/// The top Ritz pair of `steps` Lanczos steps on the symmetric operator `apply` from `start`,
/// with full reorthogonalisation (twice); `None` for a zero or non-finite start.
fn lanczos(
    apply: &mut dyn FnMut(&[f64]) -> Vec<f64>,
    start: &[f64],
    steps: usize,
) -> Option<(f64, Vec<f64>)> {
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>();
    let norm = dot(start, start).sqrt();
    if !(norm > 0.0 && norm.is_finite()) {
        return None;
    }
    let mut basis = vec![start.iter().map(|x| x / norm).collect::<Vec<f64>>()];
    let (mut alphas, mut betas) = (Vec::new(), Vec::new());
    for _ in 0..steps {
        let mut w = apply(basis.last()?);
        alphas.push(dot(basis.last()?, &w));
        for _ in 0..2 {
            for b in &basis {
                let c = dot(b, &w);
                w.iter_mut().zip(b).for_each(|(wi, bi)| *wi -= c * bi);
            }
        }
        let beta = dot(&w, &w).sqrt();
        if beta.is_nan() || beta <= 1e-12 * alphas.last()?.abs() || !beta.is_finite() {
            break;
        }
        betas.push(beta);
        basis.push(w.iter().map(|x| x / beta).collect());
    }
    let (theta, y) = super::ritz_top(&alphas, &betas)?;
    let mut ritz = vec![0.0; start.len()];
    for (yi, b) in y.iter().zip(&basis) {
        ritz.iter_mut().zip(b).for_each(|(r, bi)| *r += yi * bi);
    }
    Some((theta, ritz))
}

/// `x_i = p_i / ‖p_i‖` for every row with `‖p_i‖ > 0` (other rows keep their value, or become
/// e₁ if they are zero); returns `Σ_i ‖p_i‖`.
fn set_normalised_rows<T: Real>(x: &mut Mat<T>, p: &Mat<T>) -> f64 {
    let norms = row_norms(p.as_ref());
    for (i, &norm) in norms.iter().enumerate() {
        if norm > 0.0 && norm.is_finite() {
            for k in 0..p.ncols() {
                x[(i, k)] = T::of(p[(i, k)].into() / norm);
            }
        } else if (0..x.ncols()).all(|k| x[(i, k)].into() == 0.0) {
            x[(i, 0)] = T::of(1.0);
        }
    }
    norms.iter().sum()
}

/// The Euclidean norm of every row (in f64).
fn row_norms<T: Real>(p: MatRef<'_, T>) -> Vec<f64> {
    let mut sq = vec![0.0; p.nrows()];
    for k in 0..p.ncols() {
        for (s, &x) in sq.iter_mut().zip(p.col(k).iter()) {
            let x: f64 = x.into();
            *s += x * x;
        }
    }
    sq.into_iter().map(f64::sqrt).collect()
}

/// A standard normal draw (Box–Muller from two open uniforms).
fn gaussian<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let (u1, u2) = (uniform_open01(rng), uniform_open01(rng));
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// An r×c matrix of standard normal draws, filled column by column.
fn gaussian_matrix<R: Rng + ?Sized>(r: usize, c: usize, rng: &mut R) -> Mat<f64> {
    let values: Vec<f64> = (0..r * c).map(|_| gaussian(rng)).collect();
    Mat::from_fn(r, c, |i, k| values[k * r + i])
}

/// Goemans–Williamson rounding: for each of `count` Gaussian directions g, `x = sign(U g)`,
/// `y = sign(V g)`; the pair of A is `S = {i ≤ m : x_i ≠ x_(m+1)}`, `T = {j ≤ n : y_j ≠ y_(n+1)}`
/// (complementing a side of A' flips the sign of its sum, so the border row and column can be
/// taken out of the sets).
fn hyperplane_cuts<R: Rng + ?Sized>(
    point: &Point,
    count: usize,
    rng: &mut R,
) -> (Vec<Vec<bool>>, Vec<Vec<bool>>) {
    let rank = point.u.ncols();
    let g = gaussian_matrix(rank, count, rng);
    let sides = |x: &Mat<f64>| -> Vec<Vec<bool>> {
        let mut proj = Mat::<f64>::zeros(x.nrows(), count);
        matmul(proj.as_mut(), Accum::Replace, x.as_ref(), g.as_ref(), 1.0);
        let last = x.nrows() - 1;
        (0..count)
            .map(|h| {
                let pivot = proj[(last, h)] > 0.0;
                (0..last).map(|i| (proj[(i, h)] > 0.0) != pivot).collect()
            })
            .collect()
    };
    (sides(&point.u), sides(&point.v))
}

/// What [`certified_upper`] certifies.
struct Certificate {
    /// `↑( σ sqrt(Σ s_i⁻² Σ t_j⁻²) + e ) / 4`, the bound on `Σ_{S×T}` (not normalised).
    upper: f64,
    /// The certified `σ ≥ ‖B‖₂`.
    sigma: f64,
    /// 0 (Gram + Cholesky) or δ (matrix-free).
    failure_probability: f64,
}

/// `↑( σ sqrt(Σ s_i⁻² Σ t_j⁻²) + e ) / 4`, the certified bound on `Σ_{S×T}` (not normalised),
/// and σ (matrix-free when `matrix_free`; products in parallel blocks when `parallel`). The
/// scalings come from the point; `B̂ = fl(fl(s_i Â'_ij) t_j)` differs from
/// `B = diag(s) Â' diag(t)` by at most `γ_2 |B_ij| + η (1 + t_j)` per entry, so
/// `‖B − B̂‖₂ ≤ ‖B − B̂‖_F ≤ (γ_2 ‖B̂‖_F + η (1 + max t) sqrt(m'n')) / (1 − γ_2)`.
fn certified_upper<R: Rng + ?Sized>(
    a: MatRef<'_, f64>,
    point: &Point,
    border_error: f64,
    opts: &CutNormOptions,
    matrix_free: bool,
    parallel: bool,
    rng: &mut R,
) -> Certificate {
    let (m1, n1) = (a.nrows(), a.ncols());
    let rank = point.u.ncols();
    let mut p = Mat::<f64>::zeros(m1, rank);
    product(&mut p, a, point.v.as_ref(), parallel);
    let mut q = Mat::<f64>::zeros(n1, rank);
    product(&mut q, a.transpose(), point.u.as_ref(), parallel);
    let s = scalings(&row_norms(p.as_ref()));
    let t = scalings(&row_norms(q.as_ref()));
    // B̂ column-major, built once (the operator of the matrix-free route takes it without a copy).
    let b: Vec<f64> = (0..n1)
        .flat_map(|j| (0..m1).map(move |i| (i, j)))
        .map(|(i, j)| s[i] * a[(i, j)] * t[j])
        .collect();
    let t_max = t.iter().copied().fold(0.0, f64::max);
    let fro = sum_of_squares_upper(b.iter(), m1 * n1);
    let gamma2 = tol::gamma(2).unwrap_or(f64::INFINITY);
    let entries = (m1 as f64 * n1 as f64).sqrt();
    let rounding = inflate(
        (gamma2 * next_up(fro.sqrt()) + ETA * (1.0 + t_max) * entries) / (1.0 - gamma2),
        8,
    );
    let (sigma_b, failure_probability) =
        sigma_max_upper(m1, n1, b, opts.lanczos_steps, matrix_free, parallel, rng);
    let sigma = next_up(sigma_b + rounding);
    let inverse_square_sum =
        |x: &[f64]| -> f64 { inflate(x.iter().map(|&w| 1.0 / (w * w)).sum::<f64>(), x.len() + 2) };
    let weights = next_up(inverse_square_sum(&s) * inverse_square_sum(&t));
    let sdp = next_up(next_up(sigma * next_up(weights.sqrt())) + border_error);
    Certificate {
        upper: next_up(sdp / 4.0),
        sigma,
        failure_probability,
    }
}

/// `s_i = 1 / sqrt(max(w_i, floor))`, `floor = 10⁻⁹ · mean(w)` (or 1 if every w is 0): any
/// positive values are valid, these make the certificate tight at a stationary point.
fn scalings(w: &[f64]) -> Vec<f64> {
    let mean = w.iter().sum::<f64>() / w.len() as f64;
    let floor = if mean > 0.0 && mean.is_finite() {
        SCALING_FLOOR * mean
    } else {
        1.0
    };
    w.iter().map(|&x| 1.0 / x.max(floor).sqrt()).collect()
}

/// Relative floor of the weights α, β (rows that the point barely uses).
const SCALING_FLOOR: f64 = 1e-9;

/// A certified upper bound on `‖B‖₂` of the stored `rows × cols` column-major matrix `b`
/// (`+∞` when the certificate fails) and its failure probability; with `parallel`, the Gram
/// certificate's products run over fixed blocks on rayon's pool (same bound, bits independent
/// of the thread count). The one spectral step of the SDP bound: the
/// deterministic Gram + shifted-Cholesky certificate of [`super::spectral_certificate`]
/// (probability 0), or with `matrix_free` [`spectral_norm_upper`] on `b` (compensated
/// products, every rounding bounded; holds with probability ≥ 1 − δ over its start vector
/// drawn from `rng`, δ = [`SpectralOptions`]' default 10⁻⁹). `b` is moved into the operator, not
/// copied.
pub(crate) fn sigma_max_upper<R: Rng + ?Sized>(
    rows: usize,
    cols: usize,
    b: Vec<f64>,
    lanczos_steps: usize,
    matrix_free: bool,
    parallel: bool,
    rng: &mut R,
) -> (f64, f64) {
    if !matrix_free {
        let mat = Mat::from_fn(rows, cols, |i, j| b[j * rows + i]);
        drop(b);
        return (
            spectral_certificate(&mat, lanczos_steps, parallel, rng).op_upper,
            0.0,
        );
    }
    let options = SpectralOptions::default();
    let bound = DenseOperator::from_column_major(rows, cols, b)
        .and_then(|op| spectral_norm_upper(&op, &options, rng));
    match bound {
        Ok(bound) => (bound.upper, bound.failure_probability),
        // No certificate: +∞, which is a bound with probability 1.
        Err(_) => (f64::INFINITY, 0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::MasterSeed;

    #[test]
    fn border_sums_to_zero_and_keeps_the_cut_norm() {
        let a = faer::mat![[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]];
        let (b, e) = bordered(&a, 7.75);
        for i in 0..3 {
            assert_eq!((0..4).map(|j| b[(i, j)]).sum::<f64>(), 0.0);
        }
        for j in 0..4 {
            assert_eq!((0..3).map(|i| b[(i, j)]).sum::<f64>(), 0.0);
        }
        assert!(e > 0.0 && e < 1e-14);
        let exact = super::super::cut_norm_exact(a.as_ref()).unwrap();
        let exact_b = super::super::cut_norm_exact(b.as_ref()).unwrap();
        assert_eq!(exact * 6.0, exact_b * 12.0);
    }

    #[test]
    fn objective_never_decreases_and_rank_is_capped() {
        assert_eq!(burer_monteiro_rank(1001, 1001, 64), 64);
        assert_eq!(burer_monteiro_rank(3, 4, 64), 4);
        let mut rng = MasterSeed::default().stream("test/sdp/ascent");
        let a = Mat::from_fn(30, 20, |_, _| uniform_open01(&mut rng) - 0.5);
        let mut last = f64::NEG_INFINITY;
        for iterations in 1..12 {
            let mut r = MasterSeed::default().stream("test/sdp/ascent/start");
            let p = solve(a.as_ref(), 6, iterations, 0.0, false, &mut r);
            assert!(p.objective >= last, "{} < {last}", p.objective);
            last = p.objective;
        }
    }

    /// The matrix-free certificate (used above MAX_DENSE_ORDER) forced on small matrices: it
    /// certifies the exact cut norm (as rationals) and reports δ = 10⁻⁹; the deterministic one
    /// reports 0. (Its tightness is the krylov module's concern; here σ is printed beside the
    /// Gram + Cholesky σ of the same point.)
    #[test]
    fn matrix_free_certificate_certifies() {
        let mut rng = MasterSeed::default().stream("test/sdp/matrix-free");
        let opts = CutNormOptions::default();
        for case in 0..12 {
            let (m, n) = (2 + case % 9, 3 + (case * 7) % 13);
            let a = Mat::from_fn(m, n, |_, _| 2.0 * uniform_open01(&mut rng) - 1.0);
            let exact = super::super::cut_norm_exact_rational(a.as_ref()).unwrap();
            let abs_sum = super::super::abs_sum_upper(&a).unwrap();
            let (b, e) = bordered(&a, abs_sum);
            let rank = burer_monteiro_rank(m + 1, n + 1, opts.sdp_rank);
            let point = solve(b.as_ref(), rank, 1000, opts.sdp_tolerance, false, &mut rng);
            let mut certify = |matrix_free| {
                certified_upper(b.as_ref(), &point, e, &opts, matrix_free, false, &mut rng)
            };
            let (gram, free) = (certify(false), certify(true));
            assert_eq!(
                (gram.failure_probability, free.failure_probability),
                (0.0, 1e-9)
            );
            let mn = (m * n) as f64;
            let upper = num_rational::BigRational::from_float(next_up(free.upper / mn)).unwrap();
            assert!(upper >= exact, "case {case}: {} < {exact}", free.upper / mn);
            println!(
                "case {case}: σ matrix-free {} / Gram {}",
                free.sigma, gram.sigma
            );
        }
    }

    /// The large-scale route (parallel blocked products, the stop on the estimated gap) on a
    /// 700 × 600 matrix: the same bits with 1 and 2 threads, a stop on the gap well before the
    /// rise tolerance 0 would stop, and a certificate that contains the feasible value, also
    /// from a point stopped after two iterations (then not converged).
    #[test]
    fn large_route_is_thread_independent_and_certifies() {
        let mut rng = MasterSeed::default().stream("test/sdp/large");
        let a = Mat::from_fn(700, 600, |i, j| {
            let p = 0.1 + 0.8 * (i + j) as f64 / 1300.0;
            f64::from(u8::from(uniform_open01(&mut rng) < p)) - p
        });
        let abs_sum = super::super::abs_sum_upper(&a).unwrap();
        let (b, e) = bordered(&a, abs_sum);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let mut r = MasterSeed::default().stream("test/sdp/large/start");
                let point = solve(b.as_ref(), 32, 1000, 0.0, true, &mut r);
                let opts = CutNormOptions::default();
                let cert = certified_upper(b.as_ref(), &point, e, &opts, false, true, &mut r);
                (point, cert)
            })
        };
        let ((p1, c1), (p2, c2)) = (run(1), run(2));
        assert_eq!(p1.u, p2.u);
        assert_eq!(p1.v, p2.v);
        assert_eq!((c1.upper, c1.sigma), (c2.upper, c2.sigma));
        assert!(p1.converged && p1.iterations < 1000, "{}", p1.iterations);
        assert!(c1.upper >= p1.objective / 4.0);
        // Stopped after two iterations: not converged, and still a bound on the SDP value,
        // hence above the converged point's feasible value (looser than c1).
        let mut r = MasterSeed::default().stream("test/sdp/large/start");
        let early = solve(b.as_ref(), 32, 2, 0.0, true, &mut r);
        let opts = CutNormOptions::default();
        let loose = certified_upper(b.as_ref(), &early, e, &opts, false, true, &mut r);
        assert!(!early.converged && early.iterations == 2);
        assert!(loose.upper >= p1.objective / 4.0 && loose.upper > c1.upper);
    }

    /// The single-precision ascent works on `2^−e A'`: scaling A' by 2^200 (far beyond f32's
    /// range) gives the same point bit for bit and the objective times 2^200 exactly.
    #[test]
    fn single_precision_ascent_is_scale_free() {
        let mut rng = MasterSeed::default().stream("test/sdp/scale-free");
        let a = Mat::from_fn(300, 200, |_, _| uniform_open01(&mut rng) - 0.5);
        let big = Mat::from_fn(300, 200, |i, j| a[(i, j)] * 2f64.powi(200));
        let run = |a: &Mat<f64>| {
            let (b, _) = bordered(a, f64::INFINITY);
            let mut r = MasterSeed::default().stream("test/sdp/scale-free/start");
            solve(b.as_ref(), 16, 40, 0.0, true, &mut r)
        };
        let (small, large) = (run(&a), run(&big));
        assert_eq!((small.u, small.v), (large.u, large.v));
        assert_eq!(small.objective * 2f64.powi(200), large.objective);
        assert!(small.objective.is_finite() && small.objective > 0.0);
    }

    /// The certificate holds at any point: from one alternating step at rank 1 or 2, and from
    /// a converged point, the certified bound is at least the exact cut norm (as rationals).
    #[test]
    fn any_point_certifies() {
        let mut rng = MasterSeed::default().stream("test/sdp/any-point");
        for case in 0..40 {
            let (m, n) = (1 + case % 7, 1 + (case * 5) % 9);
            let a = Mat::from_fn(m, n, |_, _| 2.0 * uniform_open01(&mut rng) - 1.0);
            let exact = super::super::cut_norm_exact_rational(a.as_ref()).unwrap();
            let abs_sum = super::super::abs_sum_upper(&a).unwrap();
            for (rank, iterations) in [(1, 1), (2, 1), (8, 1000)] {
                let opts = CutNormOptions {
                    sdp_rank: rank,
                    sdp_max_iterations: iterations,
                    ..CutNormOptions::default()
                };
                let b = sdp_bound(&a, abs_sum, &opts, &mut rng);
                let upper = num_rational::BigRational::from_float(b.upper).unwrap();
                assert!(
                    upper >= exact,
                    "case {case} rank {rank}: {} < {exact}",
                    b.upper
                );
                assert!(
                    b.primal <= b.upper,
                    "case {case}: feasible value above the bound"
                );
            }
        }
    }
}
