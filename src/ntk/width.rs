//! Finite-width convergence of the empirical NTK (claims NTK-2 and NTK-17, which replaced NTK-4; `theory/ntk.md`,
//! region `width`).
//!
//! A masked one-hidden-layer network with output weights `a_i ∈ {±1}` (Arora et al.'s
//! convention: every neuron's contribution is then bounded), Gaussian first-layer weights and a
//! mask drawn independently of the weights has, conditionally on the inputs,
//! `Θ̂ = (1/n) Σ_i Θ_i` with independent PSD rows `Θ_i = ρ^(−1) (g_i g_iᵀ) ∘ (X diag(M_i) Xᵀ)`
//! (first layer trained). Its mean is `(1/n) Σ_i F(u_i)` with the exact per-row expectation
//!
//! ```text
//! F(u) = E_m[ p_m κ0(t_m) ],  m_j ~ Bernoulli(W(u, v_j)) independent,
//! p_m(x, x') = ρ^(−1) Σ_j m_j x_j x'_j,  t_m = p_m(x, x') / sqrt(p_m(x, x) p_m(x', x'))
//! ```
//!
//! (contribution 0 when `p_m(x, x) = 0`, as in `kernel.rs`). This module gives the pieces of the
//! check: smooth inputs that make sense as d grows ([`smooth_inputs`]), row positions and
//! Bernoulli masks ([`row_nodes`], [`bernoulli_mask`]), the exact fixed-d limit
//! `K_d = ∫ F(u) du` by enumerating the 2^d row masks ([`fixed_d_limit`]), the finite-d bias
//! bound `‖F(u) − h_u‖_F` against the integrand of K_W ([`finite_d_bias_bound`]) and Pinelis'
//! Hilbert-space Bernstein bound on `‖Θ̂ − EΘ̂‖_F` ([`concentration_bound`]).

use super::kernel::{kappa0, kappa1, unit_rows, KernelGraphon, Layers};
use super::NtkError;
use crate::mask::{top_k_mask, Mask};
use crate::seed::{uniform_open01, MasterSeed};
use crate::tol;
use faer::{Mat, MatRef};
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, StandardNormal};
use std::f64::consts::PI;

/// Cosine modes of [`smooth_inputs`]: `x_b(v) = Σ_(k < SMOOTH_MODES) c_bk cos(π k v)`.
///
/// ```
/// use pai_graphon::ntk::width::{smooth_inputs, SMOOTH_MODES};
/// use pai_graphon::seed::MasterSeed;
/// // Seven inputs span at most six dimensions: their Gram matrix is singular.
/// let x = smooth_inputs(SMOOTH_MODES + 1, 32, MasterSeed::default(), "DOC/x").unwrap();
/// let gram = x.as_ref() * x.as_ref().transpose();
/// let eig = gram.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
/// assert!(eig.iter().fold(f64::INFINITY, |m, &e| m.min(e.abs())) < 1e-12);
/// ```
pub const SMOOTH_MODES: usize = 6;

/// The largest d whose 2^d row masks [`fixed_d_limit`] enumerates.
///
/// ```
/// use pai_graphon::ntk::kernel::{KernelGraphon, Layers};
/// use pai_graphon::ntk::width::{fixed_d_limit, MAX_ENUMERATED_DIMS};
/// let d = MAX_ENUMERATED_DIMS + 1;
/// let g = KernelGraphon::constant(0.5, d).unwrap();
/// let x = faer::Mat::from_fn(1, d, |_, j| if j == 0 { 1.0 } else { 0.0 });
/// assert!(fixed_d_limit(x.as_ref(), &g, Layers::First).is_err()); // 2^17 masks: refused
/// ```
pub const MAX_ENUMERATED_DIMS: usize = 16;

/// `N` unit inputs on d coordinates that are samples of smooth functions of v:
/// `x_b(v_j) = Σ_k c_bk cos(π k v_j)` at `v_j = (j + ½)/d`, normalised to unit norm, with
/// `c_bk ~ N(0, 1)/(k + 1)` drawn from the stream `label` in the order (b, k). The coefficients
/// do not depend on d, so the inputs are the same functions at every d.
///
/// ```
/// use pai_graphon::ntk::width::smooth_inputs;
/// use pai_graphon::seed::MasterSeed;
/// let x = smooth_inputs(3, 64, MasterSeed::default(), "DOC/x").unwrap();
/// let norm2: f64 = (0..64).map(|j| x[(1, j)] * x[(1, j)]).sum();
/// // unit_rows: Σ v² (a term: one product, ≤ 63 additions, all positive: γ_64), its sqrt
/// // (γ_65, the halving not claimed) and reciprocal (γ_66), times v (γ_67); here each square
/// // (γ_135) and ≤ 63 additions: γ_198.
/// assert!((norm2 - 1.0).abs() <= pai_graphon::tol::gamma(198).unwrap());
/// // The same functions on a finer grid: the first coordinate barely moves.
/// let y = smooth_inputs(3, 65, MasterSeed::default(), "DOC/x").unwrap();
/// assert!((x[(0, 0)] * 8.0 - y[(0, 0)] * 65f64.sqrt()).abs() < 0.2);
/// assert!(smooth_inputs(0, 4, MasterSeed::default(), "DOC/x").is_err());
/// ```
pub fn smooth_inputs(
    samples: usize,
    d: usize,
    seed: MasterSeed,
    label: &str,
) -> Result<Mat<f64>, NtkError> {
    if samples == 0 || d == 0 {
        return Err(NtkError::Empty {
            what: "inputs or coordinates",
        });
    }
    let mut rng = seed.stream(label);
    let c: Vec<f64> = (0..samples * SMOOTH_MODES)
        .map(|bk| {
            let z: f64 = StandardNormal.sample(&mut rng);
            z / ((bk % SMOOTH_MODES) as f64 + 1.0)
        })
        .collect();
    let x = Mat::from_fn(samples, d, |b, j| {
        let v = (j as f64 + 0.5) / d as f64;
        (0..SMOOTH_MODES)
            .map(|k| c[b * SMOOTH_MODES + k] * (PI * k as f64 * v).cos())
            .sum()
    });
    unit_rows(x.as_ref())
}

/// The node of each row `u_i = (i + ½)/n`: node k owns the cell `[c_(k−1), c_k)` with c_k the
/// partial sums of the quadrature weights. For [`KernelGraphon::step`] these are the step
/// graphon's row cells, so `W(u_i, ·)` is exactly node k's row; for one-node graphons every row
/// is node 0.
///
/// ```
/// use pai_graphon::graphon::step::StepGraphon;
/// use pai_graphon::ntk::kernel::KernelGraphon;
/// use pai_graphon::ntk::width::row_nodes;
/// let s = StepGraphon::uniform(vec![vec![1.0, 0.0], vec![0.0, 1.0]]).unwrap();
/// let g = KernelGraphon::step(&s, 4).unwrap();
/// assert_eq!(row_nodes(&g, 4).unwrap(), vec![0, 0, 1, 1]);
/// assert!(row_nodes(&g, 0).is_err());
/// ```
pub fn row_nodes(g: &KernelGraphon, n: usize) -> Result<Vec<usize>, NtkError> {
    if n == 0 {
        return Err(NtkError::Empty { what: "neurons" });
    }
    let mut ends = Vec::with_capacity(g.weights().len());
    let mut acc = 0.0;
    for w in g.weights() {
        acc += w;
        ends.push(acc);
    }
    let last = ends.len() - 1;
    Ok((0..n)
        .map(|i| {
            let u = (i as f64 + 0.5) / n as f64;
            ends.iter().position(|&c| u < c).unwrap_or(last)
        })
        .collect())
}

/// How many rows each node owns (see [`row_nodes`]).
pub(crate) fn node_counts(g: &KernelGraphon, nodes: &[usize]) -> Vec<usize> {
    let mut counts = vec![0; g.weights().len()];
    for &k in nodes {
        counts[k] += 1;
    }
    counts
}

/// An n × d Bernoulli mask: `M_ij = 1{U_ij < W(u_i, v_j)}` with `U_ij` uniform on (0, 1) drawn
/// row-major from `rng` (so `P(M_ij = 1) = W` exactly), row i on the node of [`row_nodes`].
/// Errors when no entry is kept (a mask keeps at least one).
///
/// ```
/// use pai_graphon::ntk::kernel::KernelGraphon;
/// use pai_graphon::ntk::width::bernoulli_mask;
/// use pai_graphon::seed::MasterSeed;
/// let g = KernelGraphon::column_profile(&[1.0, 0.0, 0.5]).unwrap();
/// let m = bernoulli_mask(&g, 100, &mut MasterSeed::default().stream("DOC/mask")).unwrap();
/// let cols = m.column_degrees();
/// assert_eq!((cols[0], cols[1]), (100, 0));
/// assert!(cols[2] > 20 && cols[2] < 80);
/// ```
pub fn bernoulli_mask(
    g: &KernelGraphon,
    n: usize,
    rng: &mut ChaCha20Rng,
) -> Result<Mask, NtkError> {
    let nodes = row_nodes(g, n)?;
    let (d, w) = (g.dims(), g.w());
    let mut kept = 0u64;
    let mut scores = Vec::with_capacity(n * d);
    for &k in &nodes {
        for j in 0..d {
            let keep = uniform_open01(rng) < w[(k, j)];
            kept += u64::from(keep);
            scores.push(if keep { 1.0 } else { 0.0 });
        }
    }
    if kept == 0 {
        return Err(NtkError::Empty {
            what: "kept entries in the mask",
        });
    }
    // The kept entries are exactly the top `kept` scores.
    Ok(top_k_mask(n, d, &scores, kept)?)
}

/// `ρ^(−1) Σ_j m_j x_bj x_b'j` for all pairs (full matrix), m given by the 0/1 weights `keep`.
pub(crate) fn masked_gram(x: MatRef<'_, f64>, keep: &[f64], rho: f64) -> Mat<f64> {
    let samples = x.nrows();
    Mat::from_fn(samples, samples, |b, c| {
        (0..x.ncols())
            .map(|j| keep[j] * x[(b, j)] * x[(c, j)])
            .sum::<f64>()
            / rho
    })
}

/// The per-row kernel `p κ0(t) [+ sqrt(q q') κ1(t)]` from a Gram matrix p (t = 1 on the
/// diagonal; 0 when q = 0, the z ≡ 0 convention of `kernel.rs`).
pub(crate) fn row_kernel(p: &Mat<f64>, layers: Layers) -> Mat<f64> {
    Mat::from_fn(p.nrows(), p.nrows(), |b, c| {
        let (q, r) = (p[(b, b)], p[(c, c)]);
        if q <= 0.0 || r <= 0.0 {
            return 0.0;
        }
        let norm = (q * r).sqrt();
        let t = if b == c { 1.0 } else { p[(b, c)] / norm };
        let mut v = p[(b, c)] * kappa0(t);
        if layers == Layers::Both {
            v += norm * kappa1(t);
        }
        v
    })
}

/// The exact fixed-d limit of the empirical NTK of Bernoulli-masked networks,
/// `K_d = Σ_k ω_k Σ_m P_k(m) [p_m κ0(t_m) (+ sqrt(q_m q'_m) κ1(t_m))]`, summing over all 2^d row
/// masks m with `P_k(m) = Π_j W_kj^(m_j) (1 − W_kj)^(1 − m_j)` and ρ the graphon's density (the
/// normalisation of the network). Exact in u for step and u-independent graphons. `x` must have
/// unit rows and d ≤ [`MAX_ENUMERATED_DIMS`]. The second moment S of `g` is not used: the masks
/// here do not look at the weights.
///
/// ```
/// use pai_graphon::ntk::kernel::{graphon_ntk, kappa0, KernelGraphon, Layers};
/// use pai_graphon::ntk::width::fixed_d_limit;
/// // d = 1, W = ½: the only input is kept with probability ½, p = 1/ρ = 2 then.
/// let g = KernelGraphon::column_profile(&[0.5]).unwrap();
/// let x = faer::mat![[1.0], [-1.0]];
/// let k = fixed_d_limit(x.as_ref(), &g, Layers::First).unwrap();
/// assert_eq!(k[(0, 0)], 0.5);           // ½ · 2 · κ0(1)
/// assert_eq!(k[(0, 1)], 0.0);           // κ0(−1) = 0
/// // Without masking noise (W ∈ {0, 1}) K_d is K_W.
/// let h = KernelGraphon::column_profile(&[1.0, 1.0, 0.0]).unwrap();
/// let y = faer::mat![[0.6, 0.48, 0.64], [0.48, 0.6, 0.64]];
/// let kd = fixed_d_limit(y.as_ref(), &h, Layers::Both).unwrap();
/// let kw = graphon_ntk(y.as_ref(), &h, Layers::Both).unwrap().k;
/// // One mask has probability 1: K_d forms the Gram entries ρ⁻¹ Σ_j W_j x_j x'_j with d + 1
/// // roundings per term (at most the d + 5 that graphon_ntk_bound allows) and then the
/// // kernel's own operations, so that bound covers both against the exact kernel.
/// let b = pai_graphon::ntk::deep::graphon_ntk_bound(y.as_ref(), &h, Layers::Both).unwrap();
/// assert!((kd[(0, 1)] - kw[(0, 1)]).abs() <= 2.0 * b[(0, 1)]);
/// ```
pub fn fixed_d_limit(
    x: MatRef<'_, f64>,
    g: &KernelGraphon,
    layers: Layers,
) -> Result<Mat<f64>, NtkError> {
    let d = g.dims();
    check_inputs(x, g)?;
    if d > MAX_ENUMERATED_DIMS {
        return Err(NtkError::TooLarge {
            quantity: "enumerated dimensions d",
            size: d,
            max: MAX_ENUMERATED_DIMS,
        });
    }
    let rho = g.density();
    let samples = x.nrows();
    let mut total = Mat::<f64>::zeros(samples, samples);
    for (k, &omega) in g.weights().iter().enumerate() {
        total += row_expectation(x, g.w().row(k), rho, layers) * faer::Scale(omega);
    }
    Ok(total)
}

/// `F = E_m[p_m κ0(t_m) (+ ...)]` for one row of W, by enumerating the 2^d masks.
pub(crate) fn row_expectation(
    x: MatRef<'_, f64>,
    w: faer::RowRef<'_, f64>,
    rho: f64,
    layers: Layers,
) -> Mat<f64> {
    let (samples, d) = (x.nrows(), x.ncols());
    let mut total = Mat::<f64>::zeros(samples, samples);
    for bits in 0u32..(1 << d) {
        let keep: Vec<f64> = (0..d).map(|j| f64::from((bits >> j) & 1)).collect();
        let prob: f64 = (0..d)
            .map(|j| if keep[j] == 1.0 { w[j] } else { 1.0 - w[j] })
            .product();
        if prob > 0.0 {
            total += row_kernel(&masked_gram(x, &keep, rho), layers) * faer::Scale(prob);
        }
    }
    total
}

fn check_inputs(x: MatRef<'_, f64>, g: &KernelGraphon) -> Result<(), NtkError> {
    if x.nrows() == 0 || x.ncols() != g.dims() {
        return Err(NtkError::Mismatch {
            what: "input coordinates (and ≥ 1 input) for the graphon",
            expected: g.dims(),
            found: x.ncols(),
        });
    }
    super::kernel::check_unit_rows(x)
}

/// The 1/2-Hölder constant of κ0: `|κ0(s) − κ0(t)| ≤ sqrt|s − t| / (2 sqrt 2)`, from
/// `|arcsin s − arcsin t| ≤ (π/√2) sqrt|s − t|` (`theory/ntk.md`, Lemma W1).
const KAPPA0_HOLDER: f64 = 0.353_553_390_593_273_8; // 1/(2√2)

/// A bound on `E|κ0(t_m) − κ0(t)|` on the good event, given `m1 ≥ E D` and `m1 ≥ sqrt(E D²)`
/// for the random `D ≥ |t_m − t|`: the smaller of the Hölder bound `c sqrt(m1)` and, for a few
/// `η < 1 − |t|`, `ℓ_η m1 + c m1²/η^(3/2)` with `ℓ_η = 1/(2π sqrt(1 − (|t| + η)²))` (Lemma W2).
fn kappa0_deviation(t: f64, m1: f64) -> f64 {
    let holder = KAPPA0_HOLDER * m1.sqrt();
    let gap = 1.0 - t.abs();
    [0.125, 0.25, 0.5, 0.75]
        .iter()
        .map(|f| {
            let eta = f * gap;
            if eta <= 0.0 {
                return f64::INFINITY;
            }
            let s = t.abs() + eta;
            let lip = 1.0 / (2.0 * PI * (1.0 - s * s).sqrt());
            lip * m1 + KAPPA0_HOLDER * m1 * m1 / eta.powf(1.5)
        })
        .fold(holder, f64::min)
}

/// The radii ε of the good events `G_ε = {|Δq| < ε q, |Δq'| < ε q'}` of Proposition W3 (the
/// bound is the smallest over them; each is valid).
const GOOD_EVENT_RADII: [f64; 5] = [0.5, 0.25, 0.125, 0.0625, 0.03125];

/// Bernstein's inequality for the sum Δq = Σ_j (m_j − W_j) x_j²/ρ:
/// `P(|Δq| ≥ s) ≤ 2 exp(−s²/(2v + 2βs/3))` (capped at 1).
fn deviation_probability(s: f64, variance: f64, range: f64) -> f64 {
    let denom = 2.0 * variance + 2.0 * range * s / 3.0;
    if denom <= 0.0 {
        return 0.0;
    }
    (2.0 * (-s * s / denom).exp()).min(1.0)
}

/// Per node k, a bound on `‖F(u_k) − h_(u_k)‖_F`, the finite-d bias of the row expectation
/// `F = E_m[p_m κ0(t_m)]` (m_j ~ Bernoulli(W(u_k, v_j))) against the integrand of K_W,
/// `h = p_W κ0(t_W)` (first layer trained; `theory/ntk.md`, Proposition W3). The diagonal is
/// exactly unbiased; off the diagonal, with v_p, v_q the variances of Δp, Δq, β the largest
/// random term of Δq, `P_ε` the Bernstein bound on `{|Δq| ≥ εq or |Δq'| ≥ εq'}` and
/// `m_ε = sqrt(v_p)/((1 − ε) sqrt(q q')) + |t| (sqrt(v_q)/q + sqrt(v_q')/q') / (2(1 − ε)²)`:
/// `|B| ≤ min_ε [sqrt(v_p) sqrt(c² m_ε + P_ε/4) + |p| (e(t, m_ε) + P_ε/2)]`, e from Lemma W2.
///
/// ```
/// use pai_graphon::ntk::kernel::KernelGraphon;
/// use pai_graphon::ntk::width::finite_d_bias_bound;
/// let x = faer::mat![[0.6, 0.8], [0.8, 0.6]];
/// // W ∈ {0, 1}: no masking noise, no bias.
/// let exact = KernelGraphon::column_profile(&[1.0, 0.0]).unwrap();
/// assert_eq!(finite_d_bias_bound(x.as_ref(), &exact).unwrap(), vec![0.0]);
/// let noisy = KernelGraphon::column_profile(&[0.5, 0.5]).unwrap();
/// assert!(finite_d_bias_bound(x.as_ref(), &noisy).unwrap()[0] > 0.0);
/// ```
pub fn finite_d_bias_bound(x: MatRef<'_, f64>, g: &KernelGraphon) -> Result<Vec<f64>, NtkError> {
    check_inputs(x, g)?;
    let rho = g.density();
    Ok((0..g.weights().len())
        .map(|k| frobenius(node_entries(x, g.w().row(k), rho).0.as_ref()))
        .collect())
}

/// Per pair: the bias bound of Proposition W3 and the bound on `E|k_m − κ0(t)|` (0 on the
/// diagonal and where q = 0).
fn node_entries(x: MatRef<'_, f64>, w: faer::RowRef<'_, f64>, rho: f64) -> (Mat<f64>, Mat<f64>) {
    let (samples, d) = (x.nrows(), x.ncols());
    let p = masked_gram(x, &(0..d).map(|j| w[j]).collect::<Vec<_>>(), rho);
    let noise: Vec<f64> = (0..d).map(|j| w[j] * (1.0 - w[j])).collect();
    let var = |b: usize, c: usize| {
        (0..d)
            .map(|j| noise[j] * (x[(b, j)] * x[(c, j)]).powi(2))
            .sum::<f64>()
            / (rho * rho)
    };
    // Per input: v_q and the largest random term β of Δq.
    let tails: Vec<(f64, f64)> = (0..samples)
        .map(|b| {
            let vq = var(b, b);
            let beta = (0..d)
                .filter(|&j| noise[j] > 0.0)
                .map(|j| x[(b, j)] * x[(b, j)] / rho)
                .fold(0.0, f64::max);
            (vq, beta)
        })
        .collect();
    let mut bias = Mat::<f64>::zeros(samples, samples);
    let mut deviation = Mat::<f64>::zeros(samples, samples);
    for b in 0..samples {
        for c in 0..samples {
            let (q, r) = (p[(b, b)], p[(c, c)]);
            if b == c || q <= 0.0 || r <= 0.0 {
                continue;
            }
            let vp = var(b, c);
            let t = (p[(b, c)] / (q * r).sqrt()).clamp(-1.0, 1.0);
            let per_radius: Vec<(f64, f64)> = GOOD_EVENT_RADII
                .iter()
                .map(|&eps| {
                    let pg = (deviation_probability(eps * q, tails[b].0, tails[b].1)
                        + deviation_probability(eps * r, tails[c].0, tails[c].1))
                    .min(1.0);
                    // On G_ε: r ≤ 1/(1 − ε) and |r − 1| ≤ (|a| + |a'|)/(2(1 − ε)²).
                    let m1 = vp.sqrt() / ((1.0 - eps) * (q * r).sqrt())
                        + t.abs() / (2.0 * (1.0 - eps).powi(2))
                            * (tails[b].0.sqrt() / q + tails[c].0.sqrt() / r);
                    let second = (KAPPA0_HOLDER.powi(2) * m1 + pg / 4.0).min(0.25);
                    let first = (kappa0_deviation(t, m1) + pg / 2.0).min(0.5);
                    (vp.sqrt() * second.sqrt() + p[(b, c)].abs() * first, first)
                })
                .collect();
            bias[(b, c)] = per_radius.iter().map(|v| v.0).fold(f64::INFINITY, f64::min);
            deviation[(b, c)] = per_radius.iter().map(|v| v.1).fold(0.5, f64::min);
        }
    }
    (bias, deviation)
}

/// A bound on `E(Θ_bc − F_bc)²` for one row (Proposition W4): on the diagonal exactly
/// `E q_m²/2 − q²/4`; off it `min(½, κ0(t)) E p_m² + P_max² ē − (|h| − B)₊²` with
/// `E p_m² = second`, `P_max² = Q_b Q_c ≥ p_m²`, ē the bound on `E|k_m − κ0(t)|` and B the bias
/// bound (so `|F| ≥ |h| − B`); never below 0.
fn entry_variance(
    p: &Mat<f64>,
    (b, c): (usize, usize),
    second: f64,
    p_max2: f64,
    deviation: f64,
    bias: f64,
) -> f64 {
    let (q, r) = (p[(b, b)], p[(c, c)]);
    if q <= 0.0 || r <= 0.0 {
        return 0.0;
    }
    if b == c {
        return (second / 2.0 - q * q / 4.0).max(0.0);
    }
    let t = (p[(b, c)] / (q * r).sqrt()).clamp(-1.0, 1.0);
    let k = kappa0(t);
    let raw = (0.5 * second).min(k * second + p_max2 * deviation);
    let mean = (p[(b, c)] * k).abs() - bias;
    (raw - mean.max(0.0).powi(2)).max(0.0)
}

/// The two constants of Pinelis' inequality for `Θ̂ = (1/n) Σ_i Θ_i` (first layer trained,
/// `a_i ∈ {±1}`): the average variance bound `σ² ≥ (1/n) Σ_i E‖Θ_i − EΘ_i‖_F²`, summing
/// `entry_variance` over the pairs (`theory/ntk.md`, Proposition W4: from
/// `E p_m² = p_W² + ρ^(−2) Σ_j W_j (1 − W_j) x_bj² x_b'j²`, the gate probability κ0(t_m) ≤ ½ and the
/// bias bound of Proposition W3), and the range
/// `‖Θ_i − EΘ_i‖_F ≤ √2 max_i ρ^(−1) Σ_b Σ_(j: W_ij > 0) x_bj²` (both PSD; ‖A‖_F ≤ tr A).
///
/// ```
/// use pai_graphon::ntk::kernel::KernelGraphon;
/// use pai_graphon::ntk::width::{concentration_bound, row_moments};
/// let g = KernelGraphon::constant(0.5, 2).unwrap();
/// let m = row_moments(faer::mat![[1.0, 0.0], [0.6, 0.8]].as_ref(), &g, &[0, 0, 0]).unwrap();
/// assert!(m.variance > 0.0 && m.range > 0.0);
/// // Four times the width at least halves the deviation bound.
/// let r = |n| concentration_bound(n, m, 1e-3).unwrap();
/// assert!(r(4000) <= r(1000) / 2.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RowMoments {
    /// σ², the average of the bounds on `E‖Θ_i − EΘ_i‖_F²`.
    pub variance: f64,
    /// b, the bound on `‖Θ_i − EΘ_i‖_F`.
    pub range: f64,
}

/// [`RowMoments`] of the rows placed by `nodes` (one node index per neuron, see [`row_nodes`]).
///
/// ```
/// use pai_graphon::ntk::kernel::KernelGraphon;
/// use pai_graphon::ntk::width::row_moments;
/// // d = 1, W ≡ 1, one input: Θ_i = g ∈ {0, 1} with mean ½, variance ¼; range √2.
/// let g = KernelGraphon::constant(1.0, 1).unwrap();
/// let m = row_moments(faer::mat![[1.0]].as_ref(), &g, &[0, 0]).unwrap();
/// assert_eq!(m.variance, 0.25);
/// assert_eq!(m.range, 2f64.sqrt());
/// ```
pub fn row_moments(
    x: MatRef<'_, f64>,
    g: &KernelGraphon,
    nodes: &[usize],
) -> Result<RowMoments, NtkError> {
    check_inputs(x, g)?;
    if nodes.is_empty() || nodes.iter().any(|&k| k >= g.weights().len()) {
        return Err(NtkError::Mismatch {
            what: "row nodes",
            expected: g.weights().len(),
            found: nodes.len(),
        });
    }
    let (samples, d, rho) = (x.nrows(), x.ncols(), g.density());
    let per_node: Vec<(f64, f64)> = (0..g.weights().len())
        .map(|k| {
            let w = g.w().row(k);
            let p = masked_gram(x, &(0..d).map(|j| w[j]).collect::<Vec<_>>(), rho);
            let (bias, deviation) = node_entries(x, w, rho);
            let kept_mass: Vec<f64> = (0..samples)
                .map(|b| {
                    (0..d)
                        .filter(|&j| w[j] > 0.0)
                        .map(|j| x[(b, j)] * x[(b, j)])
                        .sum::<f64>()
                        / rho
                })
                .collect();
            let mut variance = 0.0;
            for b in 0..samples {
                for c in 0..samples {
                    let noise: f64 = (0..d)
                        .map(|j| w[j] * (1.0 - w[j]) * (x[(b, j)] * x[(c, j)]).powi(2))
                        .sum();
                    let second = p[(b, c)].powi(2) + noise / (rho * rho);
                    variance += entry_variance(
                        &p,
                        (b, c),
                        second,
                        kept_mass[b] * kept_mass[c],
                        deviation[(b, c)],
                        bias[(b, c)],
                    );
                }
            }
            let trace: f64 = kept_mass.iter().sum();
            (variance, trace)
        })
        .collect();
    let counts = node_counts(g, nodes);
    let variance = counts
        .iter()
        .zip(&per_node)
        .map(|(&c, v)| c as f64 * v.0)
        .sum::<f64>()
        / nodes.len() as f64;
    let range = counts
        .iter()
        .zip(&per_node)
        .filter(|&(&c, _)| c > 0)
        .map(|(_, v)| v.1)
        .fold(0.0, f64::max)
        * 2f64.sqrt();
    Ok(RowMoments { variance, range })
}

/// Pinelis' Bernstein inequality for sums of independent centred vectors in a Hilbert space
/// (Pinelis 1994, *Ann. Probab.* 22, Thm 3.4), in the Frobenius norm:
/// `P(‖Θ̂ − EΘ̂‖_F ≥ r) ≤ 2 exp(−n r²/(2σ² + 2br/3))`, the scalar Bernstein form with the same
/// constants ([`tol::bernstein`], two tails). Returns the r exceeded with probability ≤ δ.
///
/// ```
/// use pai_graphon::ntk::width::{concentration_bound, RowMoments};
/// use pai_graphon::tol::{bernstein, Tail};
/// let m = RowMoments { variance: 0.5, range: 2f64.sqrt() };
/// let r = concentration_bound(1000, m, 1e-4).unwrap();
/// assert_eq!(r, bernstein(1000, 0.5, 2f64.sqrt(), 1e-4, Tail::Two).unwrap());
/// assert!(concentration_bound(0, m, 1e-4).is_err());
/// ```
pub fn concentration_bound(n: usize, moments: RowMoments, delta: f64) -> Result<f64, NtkError> {
    Ok(tol::pinelis(n, moments.variance, moments.range, delta)?)
}

/// The Frobenius norm.
///
/// ```
/// assert_eq!(pai_graphon::ntk::width::frobenius(faer::mat![[3.0, 0.0], [0.0, 4.0]].as_ref()), 5.0);
/// ```
pub fn frobenius(a: MatRef<'_, f64>) -> f64 {
    let mut s = 0.0;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            s += a[(i, j)] * a[(i, j)];
        }
    }
    s.sqrt()
}
