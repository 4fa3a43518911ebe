//! Selection bias of the NTK (`theory/ntk.md`, "Selection bias"): when a mask selects on the
//! weights themselves (Magnitude, any FSM with ξ = w, SNIP), the kept weights are larger than
//! typical, and the empirical NTK converges to the kernel whose activation covariance uses the
//! second moment `S = E[w² 1{kept}]` instead of W. For an FSM with score `φ(u) ψ(v) |w|`,
//! `w ~ N(0, 1)` and threshold τ, with `c = τ / (φ ψ)` and φ_N the normal density:
//!
//! ```text
//! W(u, v) = P(|w| > c) = 2 Φ̄(c),    S(u, v) = E[w² 1{|w| > c}] = W + 2 c φ_N(c).
//! ```
//!
//! Also the tools of claims NTK-3 (finite networks with selection masks converge to `K_{W,S}`,
//! not to `K_W`) and NTK-5 (a network actually pruned by SNIP keeps a gap to the graphon NTK of
//! its own mask): the mask as a graphon, per-neuron Gram norms and Pinelis' Bernstein bound in
//! Frobenius norm.

use super::kernel::KernelGraphon;
use super::width::frobenius;
use super::NtkError;
use crate::linalg::matmul;
use crate::mask::{kept_count, top_k_mask, Mask};
use crate::normal::normal_sf;
use crate::params::Density;
use faer::{Accum, Mat, MatRef};
use rayon::prelude::*;
use std::f64::consts::PI;

/// Rows per parallel task of the per-neuron Gram computations (a fixed split).
pub(crate) const ROW_CHUNK: usize = 64;

/// `(W, S)` for the threshold ratio `c = τ/(φψ) ≥ 0` of a standard normal weight:
/// `W = P(|w| > c) = 2 Φ̄(c)` and `S = E[w² 1{|w| > c}] = W + 2 c φ_N(c)` (integrate
/// `w² φ_N(w)` by parts: `∫_c^∞ w² φ_N = c φ_N(c) + Φ̄(c)`). `c = ∞` (a zero profile) gives
/// `(0, 0)`. Errors: c negative or NaN.
///
/// ```
/// use pai_graphon::ntk::selection::selection_moments;
/// assert_eq!(selection_moments(0.0).unwrap(), (1.0, 1.0)); // nothing pruned: E w² = 1
/// let (w, s) = selection_moments(1.0).unwrap();
/// // The f64s nearest 2Φ̄(1) and 2Φ̄(1) + 2φ(1) (mpmath, 40 digits), each within u. W is
/// // 2 normal_sf(1), to SF_RELATIVE_BOUND; φ(1) takes exp (two roundings), π, sqrt and the
/// // quotient (one each), and the sum one more.
/// let (sf, g) = (pai_graphon::normal::SF_RELATIVE_BOUND, |n| pai_graphon::tol::gamma(n).unwrap());
/// let (rw, rs) = (0.3173105078629141, 0.8012519569012008);
/// assert!((w - rw).abs() <= (sf + g(1)) * rw);
/// assert!((s - rs).abs() <= (sf + g(7)) * rs);
/// assert!(selection_moments(-1.0).is_err());
/// ```
pub fn selection_moments(c: f64) -> Result<(f64, f64), NtkError> {
    if c.is_nan() || c < 0.0 {
        return Err(NtkError::Graphon {
            what: "threshold ratio",
            value: c,
            why: "must be non-negative",
        });
    }
    if c == f64::INFINITY {
        return Ok((0.0, 0.0));
    }
    let w = 2.0 * normal_sf(c)?;
    let density = (-0.5 * c * c).exp() / (2.0 * PI).sqrt();
    Ok((w, w + 2.0 * c * density))
}

/// The kernel graphon of an FSM selection mask with Gaussian weights, W and S (see
/// [`selection_moments`]) on the row grid `u_i = (i + ½)/m` (one node per row, weight 1/m: the
/// row profile values `phi`, length m) and the columns `v_j` (the column profile values `psi`,
/// length d), at the threshold `tau`. With `phi` the finite network's own row grid this is the
/// exact mean of its rows under a frozen threshold; as m grows it is the midpoint rule of the
/// u-integral. Errors: empty or non-finite profiles, negative values, τ ≤ 0.
///
/// ```
/// use pai_graphon::ntk::selection::{second_moment_graphon, selection_moments};
/// let g = second_moment_graphon(&[1.0, 2.0], &[1.0], 1.0).unwrap();
/// let (w1, s1) = selection_moments(1.0).unwrap();
/// let (w2, s2) = selection_moments(0.5).unwrap();
/// assert_eq!((g.w()[(0, 0)], g.s()[(0, 0)], g.w()[(1, 0)], g.s()[(1, 0)]), (w1, s1, w2, s2));
/// assert_eq!(g.weights(), &[0.5, 0.5]);
/// ```
pub fn second_moment_graphon(
    phi: &[f64],
    psi: &[f64],
    tau: f64,
) -> Result<KernelGraphon, NtkError> {
    check_profile("row profile value", phi)?;
    check_profile("column profile value", psi)?;
    if !(tau > 0.0 && tau.is_finite()) {
        return Err(NtkError::Size {
            what: "threshold τ",
            value: tau,
            why: "must be positive",
        });
    }
    let (m, d) = (phi.len(), psi.len());
    let mut w = Mat::<f64>::zeros(m, d);
    let mut s = Mat::<f64>::zeros(m, d);
    // Column by column (faer's contiguous order). Every entry is computed on its own, so the
    // order changes no value; c ∈ [0, ∞] here, so selection_moments cannot fail and the order
    // cannot change which error is returned either.
    for (j, &psi) in psi.iter().enumerate() {
        let (wj, sj) = (w.col_as_slice_mut(j), s.col_as_slice_mut(j));
        for ((wv, sv), &phi) in wj.iter_mut().zip(sj.iter_mut()).zip(phi) {
            let level = phi * psi;
            let c = if level > 0.0 {
                tau / level
            } else {
                f64::INFINITY
            };
            (*wv, *sv) = selection_moments(c)?;
        }
    }
    let nodes = (0..m).map(|i| (i as f64 + 0.5) / m as f64).collect();
    KernelGraphon::new(nodes, vec![1.0 / m as f64; m], w)?.with_second_moment(s)
}

fn check_profile(side: &'static str, values: &[f64]) -> Result<(), NtkError> {
    if values.is_empty() {
        return Err(NtkError::Empty { what: side });
    }
    match values.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        Some(v) => Err(NtkError::Graphon {
            what: side,
            value: *v,
            why: "is not finite and non-negative",
        }),
        None => Ok(()),
    }
}

/// The FSM selection mask of weights `w` (n × d): the top `k = ⌊ρnd + ½⌋` of the scores
/// `(φ_i ψ_j) |w_ij|` (exactly k kept, ties to the smaller index; [`top_k_mask`]).
///
/// ```
/// use pai_graphon::ntk::selection::selection_mask;
/// let w = faer::mat![[1.0, -3.0], [2.0, 0.5]];
/// let m = selection_mask(w.as_ref(), &[1.0, 1.0], &[1.0, 1.0], 0.5).unwrap(); // Magnitude
/// assert_eq!((m.get(0, 1), m.get(1, 0), m.get(0, 0)), (Some(true), Some(true), Some(false)));
/// // A column profile can outweigh the magnitude.
/// let m = selection_mask(w.as_ref(), &[1.0, 1.0], &[10.0, 1.0], 0.25).unwrap();
/// assert_eq!(m.get(1, 0), Some(true));
/// ```
pub fn selection_mask(
    w: MatRef<'_, f64>,
    phi: &[f64],
    psi: &[f64],
    rho: f64,
) -> Result<Mask, NtkError> {
    let (n, d) = (w.nrows(), w.ncols());
    if phi.len() != n || psi.len() != d {
        return Err(NtkError::Shape {
            what: "profiles (φ, ψ)",
            found: (phi.len(), psi.len()),
            expected: (n, d),
        });
    }
    check_profile("row profile value", phi)?;
    check_profile("column profile value", psi)?;
    let k = kept_count(n, d, Density::new(rho)?)?;
    // Row-major scores from the columns of wᵀ (w's rows, contiguous).
    let wt = w.transpose().to_owned();
    let mut scores = Vec::with_capacity(n * d);
    for (i, &phi) in phi.iter().enumerate() {
        let row = wt.col_as_slice(i);
        scores.extend(psi.iter().zip(row).map(|(&psi, v)| (phi * psi) * v.abs()));
    }
    Ok(top_k_mask(n, d, &scores, k)?)
}

/// A mask as a kernel graphon: one node per row (weight 1/n) whose W row is the mask's 0/1
/// row, optionally with the second moment `S_ij = M_ij w_ij²` of the kept weights. Given the
/// mask, a network whose weights are independent of it has exactly this graphon NTK as the
/// mean of its empirical NTK (the pre-activations are then Gaussian given M).
///
/// ```
/// use pai_graphon::mask::top_k_mask;
/// use pai_graphon::ntk::selection::mask_graphon;
/// let m = top_k_mask(2, 2, &[1.0, 0.0, 0.0, 1.0], 2).unwrap();
/// let g = mask_graphon(&m, None).unwrap();
/// assert_eq!((g.density(), g.w()[(0, 0)], g.w()[(0, 1)]), (0.5, 1.0, 0.0));
/// let w = faer::mat![[3.0, 1.0], [1.0, -2.0]];
/// let gs = mask_graphon(&m, Some(w.as_ref())).unwrap();
/// assert_eq!((gs.s()[(0, 0)], gs.s()[(0, 1)], gs.s()[(1, 1)]), (9.0, 0.0, 4.0));
/// ```
pub fn mask_graphon(mask: &Mask, w: Option<MatRef<'_, f64>>) -> Result<KernelGraphon, NtkError> {
    let (n, d) = (mask.rows(), mask.cols());
    let kept = |i: usize, j: usize| f64::from(u8::from(mask.get(i, j).unwrap_or(false)));
    let m = Mat::from_fn(n, d, kept);
    let nodes = (0..n).map(|i| (i as f64 + 0.5) / n as f64).collect();
    let g = KernelGraphon::new(nodes, vec![1.0 / n as f64; n], m)?;
    match w {
        None => Ok(g),
        Some(w) if w.nrows() == n && w.ncols() == d => {
            g.with_second_moment(Mat::from_fn(n, d, |i, j| kept(i, j) * w[(i, j)].powi(2)))
        }
        Some(w) => Err(NtkError::Shape {
            what: "weights",
            found: (w.nrows(), w.ncols()),
            expected: (n, d),
        }),
    }
}

/// `B = ‖X Xᵀ‖_F / ρ`: a bound on the Frobenius norm of every neuron's gradient Gram
/// `G_i = ρ^(−1) X diag(M_i) Xᵀ` and of its summand in the first-layer NTK, because
/// `0 ⪯ X diag(M_i) Xᵀ ⪯ X Xᵀ` (M_i ∈ [0, 1]) and the Frobenius norm is monotone on PSD
/// matrices; the gates and `a_i² = 1` only shrink entries.
///
/// ```
/// use pai_graphon::ntk::selection::gram_bound;
/// let x = faer::mat![[1.0, 0.0], [0.0, 1.0]];
/// assert_eq!(gram_bound(x.as_ref(), 0.5), 2.0 * 2f64.sqrt());
/// ```
pub fn gram_bound(x: MatRef<'_, f64>, rho: f64) -> f64 {
    let mut g = Mat::<f64>::zeros(x.nrows(), x.nrows());
    matmul(g.as_mut(), Accum::Replace, x, x.transpose(), 1.0);
    frobenius(g.as_ref()) / rho
}

/// `‖A − B‖_F / ‖B‖_F`.
///
/// ```
/// use pai_graphon::ntk::selection::relative_error;
/// let (a, b) = (faer::mat![[1.0, 0.0]], faer::mat![[0.0, 1.0]]);
/// assert_eq!(relative_error(a.as_ref(), b.as_ref()), 2f64.sqrt());
/// ```
pub fn relative_error(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
    frobenius((a.to_owned() - b.to_owned()).as_ref()) / frobenius(b)
}

/// Per graphon node k, `E‖G_k‖_F²` for the Gram `G_k = ρ^(−1) X diag(M_k) Xᵀ` of a mask row
/// with independent entries `M_kj ~ Bernoulli(W(u_k, v_j))` (ρ the graphon's density):
/// `ρ^(−2) Σ_bc [(Σ_j W x_bj x_cj)² + Σ_j W(1 − W) x_bj² x_cj²]`. Computed in fixed row
/// chunks (the result does not depend on the thread count).
///
/// ```
/// use pai_graphon::ntk::kernel::KernelGraphon;
/// use pai_graphon::ntk::selection::expected_gram_norms;
/// let g = KernelGraphon::column_profile(&[0.5]).unwrap();
/// // One input x = 1: G = M/ρ with M ~ Bernoulli(½): E G² = ½ · 4 = 2.
/// assert_eq!(expected_gram_norms(faer::mat![[1.0]].as_ref(), &g), vec![2.0]);
/// ```
pub fn expected_gram_norms(x: MatRef<'_, f64>, g: &KernelGraphon) -> Vec<f64> {
    let rho = g.density();
    let w = g.w();
    let x2 = Mat::from_fn(x.nrows(), x.ncols(), |b, j| x[(b, j)] * x[(b, j)]);
    per_row(w.nrows(), |k| {
        let row = w.row(k);
        let mean = weighted_gram(x, |j| row[j]);
        let var = weighted_gram(x2.as_ref(), |j| row[j] * (1.0 - row[j]));
        let total: f64 = mean.iter().map(|v| v * v).sum::<f64>() + var.iter().sum::<f64>();
        total / (rho * rho)
    })
}

/// Per mask row i, `‖G_i‖_F²` with `G_i = ρ^(−1) X diag(M_i) Xᵀ` (ρ the mask's density).
///
/// ```
/// use pai_graphon::mask::top_k_mask;
/// use pai_graphon::ntk::selection::row_gram_norms;
/// let m = top_k_mask(2, 2, &[1.0, 1.0, 0.0, 1.0], 3).unwrap();
/// let x = faer::mat![[1.0, 0.0], [0.0, 1.0]];
/// // ρ = 3/4: row 0 keeps both (G = I/ρ), row 1 keeps one.
/// let v = row_gram_norms(x.as_ref(), &m).unwrap();
/// // ρ = 3/4, ρ², the 0/1 Gram entries and their squares' sum are exact: one quotient remains.
/// assert_eq!((v[0], v[1]), (2.0 / 0.5625, 1.0 / 0.5625));
/// ```
pub fn row_gram_norms(x: MatRef<'_, f64>, mask: &Mask) -> Result<Vec<f64>, NtkError> {
    if mask.cols() != x.ncols() {
        return Err(NtkError::Mismatch {
            what: "mask columns for the inputs' coordinates",
            expected: x.ncols(),
            found: mask.cols(),
        });
    }
    let rho = mask.kept() as f64 / (mask.rows() * mask.cols()) as f64;
    if rho <= 0.0 {
        return Err(NtkError::Empty {
            what: "kept entries in the mask",
        });
    }
    Ok(per_row(mask.rows(), |i| {
        let kept = |j: usize| f64::from(u8::from(mask.get(i, j).unwrap_or(false)));
        let g = weighted_gram(x, kept);
        g.iter().map(|v| v * v).sum::<f64>() / (rho * rho)
    }))
}

/// `f(i)` for i < n, in fixed chunks of [`ROW_CHUNK`] (deterministic in the thread count).
fn per_row(n: usize, f: impl Fn(usize) -> f64 + Sync) -> Vec<f64> {
    (0..n.div_ceil(ROW_CHUNK))
        .into_par_iter()
        .map(|c| {
            (c * ROW_CHUNK..((c + 1) * ROW_CHUNK).min(n))
                .map(&f)
                .collect::<Vec<f64>>()
        })
        .collect::<Vec<_>>()
        .concat()
}

/// The full N × N matrix `X diag(weight) Xᵀ`, column-major entries (sequential product).
pub(crate) fn weighted_gram(x: MatRef<'_, f64>, weight: impl Fn(usize) -> f64) -> Vec<f64> {
    // One weight per column, not per entry: the same products, without N-fold re-evaluation.
    let w: Vec<f64> = (0..x.ncols()).map(weight).collect();
    let mut scaled = Mat::<f64>::zeros(x.nrows(), x.ncols());
    for (j, &w) in w.iter().enumerate() {
        for (o, &v) in scaled.col_as_slice_mut(j).iter_mut().zip(x.col(j).iter()) {
            *o = v * w;
        }
    }
    let mut g = Mat::<f64>::zeros(x.nrows(), x.nrows());
    matmul(
        g.as_mut(),
        Accum::Replace,
        scaled.as_ref(),
        x.transpose(),
        1.0,
    );
    (0..g.ncols())
        .flat_map(|j| g.col_as_slice(j))
        .copied()
        .collect()
}
