//! The empirical NTK of a finite masked one-hidden-layer network at initialisation: the Gram
//! matrix of its parameter gradients (`theory/ntk.md`, "The empirical NTK"). With unit-norm
//! inputs and `z_i(x) = ρ^(−1/2) Σ_j M_ij w_ij x_j`, `f(x) = n^(−1/2) Σ_i a_i relu(z_i(x))`:
//!
//! ```text
//! Θ(x, x') = (nρ)^(−1) Σ_i a_i² g_i(x) g_i(x') Σ_j M_ij x_j x'_j   [+ n^(−1) Σ_i relu(z_i(x)) relu(z_i(x'))]
//! ```
//!
//! (g_i = 1{z_i > 0}; the bracket when the output layer is trained too). The sum over neurons
//! runs in fixed chunks of [`NEURON_CHUNK`] whose partial sums are added in order, so the result
//! does not depend on the thread count.

use super::kernel::Layers;
use super::NtkError;
use crate::linalg::matmul;
use crate::mask::Mask;
use faer::{Accum, Mat, MatRef};
use rayon::prelude::*;

/// Neurons per parallel task.
///
/// ```
/// use pai_graphon::ntk::empirical::{empirical_ntk, MaskedNet, NEURON_CHUNK};
/// use pai_graphon::ntk::kernel::Layers;
/// // Three chunks of neurons: the kernel is bit-identical on 1 and 3 threads.
/// let n = 2 * NEURON_CHUNK + 1;
/// let w = faer::Mat::from_fn(n, 2, |i, j| ((i * 7 + j * 3) % 11) as f64 - 5.0);
/// let a: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { 1.0 } else { -1.0 }).collect();
/// let net = MaskedNet { w: w.as_ref(), a: &a, mask: None, rho: 1.0 };
/// let x = faer::mat![[1.0, 0.0], [0.6, 0.8]];
/// let on = |threads| {
///     let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
///     pool.install(|| empirical_ntk(x.as_ref(), &net, Layers::Both).unwrap())
/// };
/// assert_eq!(on(1), on(3));
/// ```
pub const NEURON_CHUNK: usize = 32;

/// A finite masked network as the empirical NTK sees it: first-layer weights w (n × d), output
/// weights a (n), an optional mask (n × d; all kept when absent) and the density ρ used in z.
///
/// ```
/// use pai_graphon::mask::Mask;
/// use pai_graphon::ntk::empirical::{empirical_ntk, MaskedNet};
/// use pai_graphon::ntk::kernel::Layers;
/// // One neuron, w = (1, 1), a = 1; the mask keeps coordinate 0 only, ρ = ½.
/// let w = faer::mat![[1.0, 1.0]];
/// let mask = Mask::from_entries(1, 2, &[1, 0]).unwrap();
/// let net = MaskedNet { w: w.as_ref(), a: &[1.0], mask: Some(&mask), rho: 0.5 };
/// let x = faer::mat![[0.6, 0.8]];
/// // Θ(x, x) = ρ⁻¹ g(x)² Σ_kept x_j² = 2 · 0.36. Roundings: 0.6 and 0.72 as decimals (one
/// // each, 0.6 squared: two), ρ^(−1/2) (sqrt, reciprocal), the feature x_0 ρ^(−1/2) (one,
/// // squared: two) and the product: 2 + 1 + 2·3 + 1 = 10.
/// let theta = empirical_ntk(x.as_ref(), &net, Layers::First).unwrap()[(0, 0)];
/// assert!((theta - 0.72).abs() <= pai_graphon::tol::gamma(10).unwrap() * 0.72);
/// // Weights and output weights must agree in n.
/// let bad = MaskedNet { a: &[1.0, 1.0], ..net };
/// assert!(empirical_ntk(x.as_ref(), &bad, Layers::First).is_err());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct MaskedNet<'a> {
    /// First-layer weights, n × d.
    pub w: MatRef<'a, f64>,
    /// Output weights, length n.
    pub a: &'a [f64],
    /// The mask (n × d), or all kept.
    pub mask: Option<&'a Mask>,
    /// The density ρ in `z = ρ^(−1/2) Σ M w x` (the mask's kept fraction, 1 without a mask).
    pub rho: f64,
}

impl MaskedNet<'_> {
    fn validate(&self, d: usize) -> Result<(), NtkError> {
        let n = self.w.nrows();
        if n == 0 || self.w.ncols() != d || self.a.len() != n {
            return Err(NtkError::Shape {
                what: "first-layer weights",
                found: (n, self.w.ncols()),
                expected: (self.a.len().max(1), d),
            });
        }
        if let Some(m) = self.mask {
            if m.rows() != n || m.cols() != d {
                return Err(NtkError::Shape {
                    what: "mask",
                    found: (m.rows(), m.cols()),
                    expected: (n, d),
                });
            }
        }
        if !(self.rho > 0.0 && self.rho <= 1.0) {
            return Err(NtkError::Size {
                what: "density",
                value: self.rho,
                why: "must lie in (0, 1]",
            });
        }
        Ok(())
    }

    /// The masked weight `M_ij w_ij`.
    fn weight(&self, i: usize, j: usize) -> f64 {
        match self.mask {
            Some(m) if !m.get(i, j).unwrap_or(false) => 0.0,
            _ => self.w[(i, j)],
        }
    }

    fn kept(&self, i: usize, j: usize) -> f64 {
        match self.mask {
            Some(m) => f64::from(u8::from(m.get(i, j).unwrap_or(false))),
            None => 1.0,
        }
    }
}

/// The empirical NTK `Θ` (N × N) of the rows of `x` (unit norm; see
/// [`super::kernel::unit_rows`]).
///
/// ```
/// use pai_graphon::ntk::empirical::{empirical_ntk, MaskedNet};
/// use pai_graphon::ntk::kernel::Layers;
/// // One neuron, w = (1, 0), a = 2: Θ(x, x') = 4 g(x) g(x') x·x'.
/// let w = faer::mat![[1.0, 0.0]];
/// let net = MaskedNet { w: w.as_ref(), a: &[2.0], mask: None, rho: 1.0 };
/// let x = faer::mat![[1.0, 0.0], [0.6, 0.8], [-1.0, 0.0]];
/// let k = empirical_ntk(x.as_ref(), &net, Layers::First).unwrap();
/// // ρ = 1 and powers of two: Θ(x_0, x_1) = 4 · fl(0.6), which is fl(2.4) exactly.
/// assert_eq!(k[(0, 1)], 2.4);
/// assert_eq!(k[(2, 2)], 0.0);
/// ```
pub fn empirical_ntk(
    x: MatRef<'_, f64>,
    net: &MaskedNet<'_>,
    layers: Layers,
) -> Result<Mat<f64>, NtkError> {
    let (samples, d) = (x.nrows(), x.ncols());
    if samples == 0 {
        return Err(NtkError::Empty { what: "inputs" });
    }
    net.validate(d)?;
    let n = net.w.nrows();
    let chunks: Vec<Mat<f64>> = (0..n.div_ceil(NEURON_CHUNK))
        .into_par_iter()
        .map(|c| {
            chunk_ntk(
                x,
                net,
                c * NEURON_CHUNK..((c + 1) * NEURON_CHUNK).min(n),
                layers,
            )
        })
        .collect();
    let mut total = Mat::<f64>::zeros(samples, samples);
    for c in &chunks {
        total += c;
    }
    Ok(total * faer::Scale(1.0 / n as f64))
}

/// `Σ_{i in rows} [ρ^(−1) a_i² (g_i g_iᵀ) ∘ (X diag(M_i) Xᵀ) (+ relu(z_i) relu(z_i)ᵀ)]` as one
/// product: the gradient features `φ_(b,(i,j)) = ρ^(−1/2) a_i g_i(x_b) M_ij x_bj` stacked.
fn chunk_ntk(
    x: MatRef<'_, f64>,
    net: &MaskedNet<'_>,
    rows: std::ops::Range<usize>,
    layers: Layers,
) -> Mat<f64> {
    let (samples, d) = (x.nrows(), x.ncols());
    let width = rows.len();
    let scale = net.rho.sqrt().recip();
    // Column by column, each row's sum over j = 0..d from −0.0 (as `sum` does): bit-identical
    // to the row-by-row sum, reading x's contiguous columns.
    let mut z = Mat::<f64>::zeros(samples, width);
    for r in 0..width {
        let i = rows.start + r;
        let out = z.col_as_slice_mut(r);
        out.fill(-0.0);
        for j in 0..d {
            let wij = net.weight(i, j);
            for (o, &v) in out.iter_mut().zip(x.col(j).iter()) {
                *o += wij * v;
            }
        }
        out.iter_mut().for_each(|o| *o *= scale);
    }
    // Column by column; `(a_i M_ij) x_bj ρ^(−1/2)` multiplied in the same order as before.
    let mut features = Mat::<f64>::zeros(samples, width * d);
    for col in 0..width * d {
        let (r, j) = (col / d, col % d);
        let i = rows.start + r;
        let factor = net.a[i] * net.kept(i, j);
        let gates = z.col_as_slice(r);
        let out = features.col_as_slice_mut(col);
        for ((o, &v), &g) in out.iter_mut().zip(x.col(j).iter()).zip(gates) {
            *o = if g > 0.0 { factor * v * scale } else { 0.0 };
        }
    }
    let mut out = Mat::<f64>::zeros(samples, samples);
    matmul(
        out.as_mut(),
        Accum::Replace,
        features.as_ref(),
        features.as_ref().transpose(),
        1.0,
    );
    if layers == Layers::Both {
        let act = Mat::from_fn(samples, width, |b, r| z[(b, r)].max(0.0));
        matmul(
            out.as_mut(),
            Accum::Add,
            act.as_ref(),
            act.as_ref().transpose(),
            1.0,
        );
    }
    out
}
