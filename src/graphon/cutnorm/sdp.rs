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
//! of the computed matrix. Today it is the crate's Gram + shifted-Cholesky certificate
//! (shorter side ≤ [`crate::linalg::MAX_DENSE_ORDER`]); a matrix-free certificate can replace
//! it without touching the rest.

use super::{spectral_certificate, CutNormOptions};
use crate::linalg::{inflate, matmul, next_up, sum_of_squares_upper, ETA, MAX_DENSE_ORDER};
use crate::seed::uniform_open01;
use crate::tol;
use faer::{Accum, Mat, MatRef};
use rand::Rng;

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
    /// Whether the relative increase of the objective fell below the tolerance.
    pub converged: bool,
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
    let point = solve(
        bordered.as_ref(),
        rank,
        opts.sdp_max_iterations,
        opts.sdp_tolerance,
        rng,
    );
    let (rows, cols) = hyperplane_cuts(&point, opts.sdp_roundings, rng);
    let mn = (m * n) as f64;
    let primal = point.objective / (4.0 * mn);
    let (upper, sigma) = if (m + 1).min(n + 1) <= MAX_DENSE_ORDER {
        certified_upper(bordered.as_ref(), &point, border_error, opts, rng)
    } else {
        (f64::INFINITY, f64::INFINITY)
    };
    // NaN (an overflow met on the way) certifies nothing: +∞.
    let or_infinite = |x: f64| if x >= 0.0 { x } else { f64::INFINITY };
    SdpBound {
        upper: or_infinite(next_up(upper / mn)),
        primal,
        sigma: or_infinite(sigma),
        iterations: point.iterations,
        converged: point.converged,
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
/// `tolerance` relatively, or after `max_iterations` (then `converged` is false).
fn solve<R: Rng + ?Sized>(
    a: MatRef<'_, f64>,
    rank: usize,
    max_iterations: usize,
    tolerance: f64,
    rng: &mut R,
) -> Point {
    let (m1, n1) = (a.nrows(), a.ncols());
    let mut v = Mat::<f64>::zeros(n1, rank);
    set_normalised_rows(&mut v, &gaussian_matrix(n1, rank, rng));
    let mut u = Mat::<f64>::zeros(m1, rank);
    let mut p = Mat::<f64>::zeros(m1, rank);
    let mut q = Mat::<f64>::zeros(n1, rank);
    let (mut objective, mut iterations, mut converged) = (0.0f64, 0, false);
    while iterations < max_iterations {
        iterations += 1;
        matmul(p.as_mut(), Accum::Replace, a, v.as_ref(), 1.0);
        set_normalised_rows(&mut u, &p);
        matmul(q.as_mut(), Accum::Replace, a.transpose(), u.as_ref(), 1.0);
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

/// `x_i = p_i / ‖p_i‖` for every row with `‖p_i‖ > 0` (other rows keep their value, or become
/// e₁ if they are zero); returns `Σ_i ‖p_i‖`.
fn set_normalised_rows(x: &mut Mat<f64>, p: &Mat<f64>) -> f64 {
    let norms = row_norms(p.as_ref());
    for (i, &norm) in norms.iter().enumerate() {
        if norm > 0.0 && norm.is_finite() {
            for k in 0..p.ncols() {
                x[(i, k)] = p[(i, k)] / norm;
            }
        } else if (0..x.ncols()).all(|k| x[(i, k)] == 0.0) {
            x[(i, 0)] = 1.0;
        }
    }
    norms.iter().sum()
}

/// The Euclidean norm of every row.
fn row_norms(p: MatRef<'_, f64>) -> Vec<f64> {
    let mut sq = vec![0.0; p.nrows()];
    for k in 0..p.ncols() {
        for (s, x) in sq.iter_mut().zip(p.col(k).iter()) {
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

/// `↑( σ sqrt(Σ s_i⁻² Σ t_j⁻²) + e ) / 4`, the certified bound on `Σ_{S×T}` (not normalised),
/// and σ. The scalings come from the point; `B̂ = fl(fl(s_i Â'_ij) t_j)` differs from
/// `B = diag(s) Â' diag(t)` by at most `γ_2 |B_ij| + η (1 + t_j)` per entry, so
/// `‖B − B̂‖₂ ≤ ‖B − B̂‖_F ≤ (γ_2 ‖B̂‖_F + η (1 + max t) sqrt(m'n')) / (1 − γ_2)`.
fn certified_upper<R: Rng + ?Sized>(
    a: MatRef<'_, f64>,
    point: &Point,
    border_error: f64,
    opts: &CutNormOptions,
    rng: &mut R,
) -> (f64, f64) {
    let (m1, n1) = (a.nrows(), a.ncols());
    let rank = point.u.ncols();
    let mut p = Mat::<f64>::zeros(m1, rank);
    matmul(p.as_mut(), Accum::Replace, a, point.v.as_ref(), 1.0);
    let mut q = Mat::<f64>::zeros(n1, rank);
    matmul(
        q.as_mut(),
        Accum::Replace,
        a.transpose(),
        point.u.as_ref(),
        1.0,
    );
    let s = scalings(&row_norms(p.as_ref()));
    let t = scalings(&row_norms(q.as_ref()));
    let b = Mat::from_fn(m1, n1, |i, j| s[i] * a[(i, j)] * t[j]);
    let t_max = t.iter().copied().fold(0.0, f64::max);
    let fro = sum_of_squares_upper((0..n1).flat_map(|j| b.col_as_slice(j).iter()), m1 * n1);
    let gamma2 = tol::gamma(2).unwrap_or(f64::INFINITY);
    let entries = (m1 as f64 * n1 as f64).sqrt();
    let rounding = inflate(
        (gamma2 * next_up(fro.sqrt()) + ETA * (1.0 + t_max) * entries) / (1.0 - gamma2),
        8,
    );
    let sigma = next_up(sigma_max_upper(b.as_ref(), opts.lanczos_steps, rng) + rounding);
    let inverse_square_sum =
        |x: &[f64]| -> f64 { inflate(x.iter().map(|&w| 1.0 / (w * w)).sum::<f64>(), x.len() + 2) };
    let weights = next_up(inverse_square_sum(&s) * inverse_square_sum(&t));
    let sdp = next_up(next_up(sigma * next_up(weights.sqrt())) + border_error);
    (next_up(sdp / 4.0), sigma)
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

/// A certified upper bound on `‖B‖₂` of the stored matrix `b` (`+∞` when the certificate
/// fails). The one spectral step of the SDP bound: the Gram + shifted-Cholesky certificate
/// of [`super::spectral_certificate`] today; a matrix-free certificate can take its place.
pub(crate) fn sigma_max_upper<R: Rng + ?Sized>(
    b: MatRef<'_, f64>,
    lanczos_steps: usize,
    rng: &mut R,
) -> f64 {
    spectral_certificate(&b.to_owned(), lanczos_steps, rng).op_upper
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
            let p = solve(a.as_ref(), 6, iterations, 0.0, &mut r);
            assert!(p.objective >= last, "{} < {last}", p.objective);
            last = p.objective;
        }
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
