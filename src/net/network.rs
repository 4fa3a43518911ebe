//! The one-hidden-layer ReLU network in NTK scaling and its closed-form derivatives.
//!
//! `f(x) = n^(−1/2) Σ_i a_i relu(z_i)`, `z_i = d^(−1/2) Σ_j M_ij w_ij x_j`, with `w_ij`, `a_i`
//! i.i.d. N(0, 1) (rand_distr's `StandardNormal`; stream `{label}/w` for the n·d first-layer
//! weights in row-major order, stream `{label}/a` for the n output weights). Only the first
//! layer `w` is a parameter: gradients and Hessians are with respect to `w`; `a` is fixed and not
//! prunable. The mask M (all ones when absent) multiplies `w` entrywise.
//!
//! Over a batch `x_1..x_B` with targets `y_b`, the squared loss `L = (1/(2B)) Σ_b (f(x_b) − y_b)²`
//! has, with `r_b = f(x_b) − y_b` and the gates `g_ib = 1{z_ib > 0}`,
//! `∂L/∂w_ij = (1/B) Σ_b r_b ∂f_b/∂w_ij`, `∂f_b/∂w_ij = (nd)^(−1/2) a_i g_ib M_ij x_bj`.
//! Since `f` is piecewise linear in `w` (relu'' = 0 off the gate boundaries), the Hessian is
//! exactly the Gauss–Newton matrix: `H v = (1/B) Σ_b ∇f_b (∇f_b · v)`.
//!
//! Everything is a matrix product, computed neuron-major: `Zᵀ = (M⊙W) Xᵀ / √d` (n × B), the
//! gradient `(P X) / (B √(nd)) ⊙ M` with `P_ib = a_i g_ib r_b` (n × B). Products run with faer on
//! fixed chunks of [`ROW_CHUNK`] output rows in parallel (each chunk single-threaded), and every
//! sum over neurons runs in index order, so results are bit-identical for any number of rayon
//! threads (on one machine: faer picks its SIMD kernel by CPU).
//!
//! ```
//! use pai_graphon::net::network::Network;
//! // n = 1, d = 4: z = w·x / 2 = 3, f = 3 relu(z) = 9; with y = 1, r = 8.
//! let net = Network::from_weights(1, 4, vec![1.0, 2.0, 0.0, -1.0], vec![3.0]).unwrap();
//! let (x, y) = ([2.0, 1.0, 5.0, -2.0], [1.0]);
//! assert_eq!(net.forward(None, &x).unwrap(), vec![9.0]);
//! // The gradient is r ∇f; the Hessian is Gauss–Newton, so H ∇f = ∇f |∇f|² (one sample).
//! let g = net.gradient(None, &x, &y).unwrap();
//! let grad_f: Vec<f64> = g.iter().map(|v| v / 8.0).collect();
//! let hv = net.hessian_vector(None, &x, &grad_f).unwrap();
//! let norm2: f64 = grad_f.iter().map(|v| v * v).sum();
//! assert!(hv.iter().zip(&grad_f).all(|(h, v)| *h == v * norm2));
//! ```

use super::NetError;
use crate::linalg::matmul;
use crate::mask::Mask;
use crate::seed::MasterSeed;
use faer::{Accum, MatMut, MatRef};
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

/// Output rows per parallel matrix-product task (a fixed split: results do not depend on the
/// number of threads).
///
/// ```
/// use pai_graphon::net::network::{Network, ROW_CHUNK};
/// use pai_graphon::seed::MasterSeed;
/// // A width over two chunks: the outputs are bit-identical on 1 and 3 threads.
/// let net = Network::init(2 * ROW_CHUNK + 1, 3, MasterSeed::default(), "DOC").unwrap();
/// let x = [0.5, -1.0, 2.0, 1.0, 1.0, 1.0];
/// let on = |threads| {
///     let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
///     pool.install(|| net.forward(None, &x).unwrap())
/// };
/// assert_eq!(on(1), on(3));
/// ```
pub const ROW_CHUNK: usize = 64;

/// Batch columns per parallel task of the sums over neurons.
const BATCH_CHUNK: usize = 256;

/// The network: width n, input dimension d, first-layer weights w (n × d row-major), output
/// weights a (n).
///
/// ```
/// use pai_graphon::mask::Mask;
/// use pai_graphon::net::network::Network;
/// use pai_graphon::tol::gamma;
/// let net = Network::from_weights(2, 2, vec![1.0, 1.0, -1.0, 2.0], vec![1.0, -1.0]).unwrap();
/// let x = [1.0, 1.0];
/// // f = (relu(2/√2) − relu(1/√2)) / √2 = 1/2. The integer sums and 2z − z are exact; 1/√2
/// // is two roundings (sqrt, quotient), taken in z and in the output scale, and their product
/// // one more: five.
/// assert!((net.forward(None, &x).unwrap()[0] - 0.5).abs() <= gamma(5).unwrap() * 0.5);
/// // Masking out neuron 0's weights leaves f = −relu(1/√2)/√2 = −1/2, the same five roundings.
/// let mask = Mask::from_entries(2, 2, &[0, 0, 1, 1]).unwrap();
/// assert!((net.forward(Some(&mask), &x).unwrap()[0] + 0.5).abs() <= gamma(5).unwrap() * 0.5);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    n: usize,
    d: usize,
    w: Vec<f64>,
    a: Vec<f64>,
}

/// The forward pass of a batch: the gates `g_ib` (n × B, neuron-major) and the outputs `f_b`.
#[derive(Clone, Debug)]
pub(crate) struct Activations {
    batch: usize,
    gates: Vec<bool>,
    /// `f(x_b)` for each row of the batch.
    pub(crate) out: Vec<f64>,
}

impl Network {
    /// A network with i.i.d. N(0, 1) weights from the streams `{label}/w` and `{label}/a`.
    ///
    /// ```
    /// use pai_graphon::net::network::Network;
    /// use pai_graphon::seed::MasterSeed;
    /// let net = Network::init(3, 2, MasterSeed::default(), "DOC").unwrap();
    /// assert_eq!((net.width(), net.input_dim(), net.weights().len()), (3, 2, 6));
    /// assert_eq!(net, Network::init(3, 2, MasterSeed::default(), "DOC").unwrap());
    /// assert!(Network::init(0, 2, MasterSeed::default(), "DOC").is_err());
    /// ```
    pub fn init(n: usize, d: usize, seed: MasterSeed, label: &str) -> Result<Self, NetError> {
        check_shape(n, d)?;
        let normals = |stream: &str, count: usize| {
            let mut rng = seed.stream(&format!("{label}/{stream}"));
            (0..count)
                .map(|_| StandardNormal.sample(&mut rng))
                .collect::<Vec<f64>>()
        };
        Ok(Network {
            n,
            d,
            w: normals("w", n * d),
            a: normals("a", n),
        })
    }

    /// A network from explicit weights (finite; `w` n × d row-major, `a` of length n).
    ///
    /// ```
    /// use pai_graphon::net::network::Network;
    /// let net = Network::from_weights(1, 2, vec![1.0, -1.0], vec![2.0]).unwrap();
    /// assert_eq!(net.output_weights(), &[2.0]);
    /// assert!(Network::from_weights(1, 2, vec![1.0], vec![2.0]).is_err());
    /// ```
    pub fn from_weights(n: usize, d: usize, w: Vec<f64>, a: Vec<f64>) -> Result<Self, NetError> {
        check_shape(n, d)?;
        if w.len() != n * d {
            return Err(NetError::Mismatch {
                what: "first-layer weights",
                expected: n * d,
                found: w.len(),
            });
        }
        if a.len() != n {
            return Err(NetError::Mismatch {
                what: "output weights",
                expected: n,
                found: a.len(),
            });
        }
        check_finite("weights", w.iter().chain(&a))?;
        Ok(Network { n, d, w, a })
    }

    /// The width n.
    ///
    /// ```
    /// use pai_graphon::net::network::Network;
    /// let net = Network::from_weights(2, 1, vec![1.0, 2.0], vec![1.0, 1.0]).unwrap();
    /// assert_eq!(net.width(), 2);
    /// ```
    pub fn width(&self) -> usize {
        self.n
    }

    /// The input dimension d.
    ///
    /// ```
    /// use pai_graphon::net::network::Network;
    /// let net = Network::from_weights(1, 3, vec![1.0, 2.0, 3.0], vec![1.0]).unwrap();
    /// assert_eq!(net.input_dim(), 3);
    /// ```
    pub fn input_dim(&self) -> usize {
        self.d
    }

    /// The first-layer weights w, n × d row-major.
    ///
    /// ```
    /// use pai_graphon::net::network::Network;
    /// let net = Network::from_weights(2, 2, vec![1.0, 2.0, 3.0, 4.0], vec![1.0, 1.0]).unwrap();
    /// assert_eq!(net.weights()[1 * 2 + 0], 3.0); // w_10
    /// ```
    pub fn weights(&self) -> &[f64] {
        &self.w
    }

    /// The output weights a.
    ///
    /// ```
    /// use pai_graphon::net::network::Network;
    /// use pai_graphon::seed::MasterSeed;
    /// let net = Network::init(5, 2, MasterSeed::default(), "DOC").unwrap();
    /// assert_eq!(net.output_weights().len(), 5);
    /// ```
    pub fn output_weights(&self) -> &[f64] {
        &self.a
    }

    /// The outputs `f(x_b)` of a batch (x: B × d row-major, B ≥ 1) under the mask.
    ///
    /// ```
    /// use pai_graphon::net::network::Network;
    /// // n = 1, d = 4: f(x) = a relu(w·x / 2); here w·x = 6.
    /// let net = Network::from_weights(1, 4, vec![1.0, 2.0, 0.0, -1.0], vec![3.0]).unwrap();
    /// assert_eq!(net.forward(None, &[2.0, 1.0, 5.0, -2.0]).unwrap(), vec![9.0]);
    /// ```
    pub fn forward(&self, mask: Option<&Mask>, x: &[f64]) -> Result<Vec<f64>, NetError> {
        let batch = self.check_batch(mask, x)?;
        Ok(self.activations(&self.masked(&self.w, mask), x, batch).out)
    }

    /// The squared loss `(1/(2B)) Σ_b (f(x_b) − y_b)²`.
    ///
    /// ```
    /// use pai_graphon::net::network::Network;
    /// let net = Network::from_weights(1, 4, vec![1.0, 2.0, 0.0, -1.0], vec![3.0]).unwrap();
    /// assert_eq!(net.loss(None, &[2.0, 1.0, 5.0, -2.0], &[1.0]).unwrap(), 32.0);
    /// ```
    pub fn loss(&self, mask: Option<&Mask>, x: &[f64], y: &[f64]) -> Result<f64, NetError> {
        let out = self.forward(mask, x)?;
        self.check_targets(y, out.len())?;
        let sum: f64 = out.iter().zip(y).map(|(f, t)| (f - t) * (f - t)).sum();
        Ok(sum / (2.0 * out.len() as f64))
    }

    /// `∂L/∂w` (n × d row-major) from the closed form in the module doc.
    ///
    /// ```
    /// use pai_graphon::net::network::Network;
    /// // f = 9, y = 1, r = 8: ∂L/∂w_j = r a x_j / 2 = 12 x_j.
    /// let net = Network::from_weights(1, 4, vec![1.0, 2.0, 0.0, -1.0], vec![3.0]).unwrap();
    /// let g = net.gradient(None, &[2.0, 1.0, 5.0, -2.0], &[1.0]).unwrap();
    /// assert_eq!(g, vec![24.0, 12.0, 60.0, -24.0]);
    /// ```
    pub fn gradient(
        &self,
        mask: Option<&Mask>,
        x: &[f64],
        y: &[f64],
    ) -> Result<Vec<f64>, NetError> {
        let batch = self.check_batch(mask, x)?;
        self.check_targets(y, batch)?;
        let act = self.activations(&self.masked(&self.w, mask), x, batch);
        let residual: Vec<f64> = act.out.iter().zip(y).map(|(f, t)| f - t).collect();
        Ok(self.pullback(&act, &residual, x, mask))
    }

    /// The Hessian-vector product `H v = (1/B) Σ_b ∇f_b (∇f_b · v)` (v and the result n × d).
    ///
    /// ```
    /// use pai_graphon::net::network::Network;
    /// // ∇f = (a/2) x = (3, 1.5, 7.5, −3); v = e_0: H v = ∇f · 3.
    /// let net = Network::from_weights(1, 4, vec![1.0, 2.0, 0.0, -1.0], vec![3.0]).unwrap();
    /// let hv = net.hessian_vector(None, &[2.0, 1.0, 5.0, -2.0], &[1.0, 0.0, 0.0, 0.0]).unwrap();
    /// assert_eq!(hv, vec![9.0, 4.5, 22.5, -9.0]);
    /// ```
    pub fn hessian_vector(
        &self,
        mask: Option<&Mask>,
        x: &[f64],
        v: &[f64],
    ) -> Result<Vec<f64>, NetError> {
        let batch = self.check_batch(mask, x)?;
        if v.len() != self.n * self.d {
            return Err(NetError::Mismatch {
                what: "direction entries",
                expected: self.n * self.d,
                found: v.len(),
            });
        }
        check_finite("direction", v)?;
        let act = self.activations(&self.masked(&self.w, mask), x, batch);
        let jvp = self.push_forward(&act, &self.masked(v, mask), x);
        Ok(self.pullback(&act, &jvp, x, mask))
    }

    /// Checks the mask's shape and that x is a non-empty finite B × d batch; returns B.
    pub(crate) fn check_batch(&self, mask: Option<&Mask>, x: &[f64]) -> Result<usize, NetError> {
        if let Some(m) = mask {
            if (m.rows(), m.cols()) != (self.n, self.d) {
                return Err(NetError::LayerShape {
                    rows: m.rows(),
                    cols: m.cols(),
                    n: self.n,
                    d: self.d,
                });
            }
        }
        if x.is_empty() || x.len() % self.d != 0 {
            return Err(NetError::Size {
                what: "input values",
                value: x.len(),
                why: "must form a non-empty batch of the input dimension",
            });
        }
        check_finite("inputs", x)?;
        Ok(x.len() / self.d)
    }

    fn check_targets(&self, y: &[f64], batch: usize) -> Result<(), NetError> {
        if y.len() != batch {
            return Err(NetError::Mismatch {
                what: "targets",
                expected: batch,
                found: y.len(),
            });
        }
        check_finite("targets", y)
    }

    /// `M ⊙ values` (n × d), or `values` itself without a mask.
    pub(crate) fn masked(&self, values: &[f64], mask: Option<&Mask>) -> Vec<f64> {
        let mut out = values.to_vec();
        if let Some(m) = mask {
            apply_mask(&mut out, m);
        }
        out
    }

    /// The forward pass with first-layer weights `masked_w` (= M ⊙ w).
    pub(crate) fn activations(&self, masked_w: &[f64], x: &[f64], batch: usize) -> Activations {
        let z = self.neuron_major(masked_w, x, batch);
        let gates: Vec<bool> = z.iter().map(|&v| v > 0.0).collect();
        let out = self.gated_sum(&gates, &z, batch);
        Activations { batch, gates, out }
    }

    /// `∇f_b · v = (nd)^(−1/2) Σ_i a_i g_ib Σ_j v_ij x_bj` for each b, with `masked_v` = M ⊙ v:
    /// the forward pass of v with the gates held fixed.
    pub(crate) fn push_forward(&self, act: &Activations, masked_v: &[f64], x: &[f64]) -> Vec<f64> {
        let u = self.neuron_major(masked_v, x, act.batch);
        self.gated_sum(&act.gates, &u, act.batch)
    }

    /// `(1/B) Σ_b c_b ∇f_b` (n × d): `(P X) / (B √(nd)) ⊙ M` with `P_ib = a_i g_ib c_b`.
    pub(crate) fn pullback(
        &self,
        act: &Activations,
        coeff: &[f64],
        x: &[f64],
        mask: Option<&Mask>,
    ) -> Vec<f64> {
        let batch = act.batch;
        let mut p = vec![0.0; self.n * batch];
        p.par_chunks_mut(batch)
            .zip(act.gates.par_chunks(batch))
            .zip(&self.a)
            .for_each(|((row, gates), &a_i)| {
                for ((p_ib, &g), &c) in row.iter_mut().zip(gates).zip(coeff) {
                    *p_ib = if g { a_i * c } else { 0.0 };
                }
            });
        let x_view = MatRef::from_row_major_slice(x, batch, self.d);
        let scale = inv_sqrt(self.n) * inv_sqrt(self.d) / batch as f64;
        let mut out = chunked_product(&p, self.n, batch, x_view, scale);
        if let Some(m) = mask {
            apply_mask(&mut out, m);
        }
        out
    }

    /// `values · Xᵀ / √d` (n × B, neuron-major) for an n × d `values`.
    fn neuron_major(&self, values: &[f64], x: &[f64], batch: usize) -> Vec<f64> {
        let x_t = MatRef::from_row_major_slice(x, batch, self.d).transpose();
        chunked_product(values, self.n, self.d, x_t, inv_sqrt(self.d))
    }

    /// `n^(−1/2) Σ_i a_i g_ib v_ib` for each b (v n × B neuron-major), summed in neuron order.
    fn gated_sum(&self, gates: &[bool], v: &[f64], batch: usize) -> Vec<f64> {
        let scale = inv_sqrt(self.n);
        let mut out = vec![0.0; batch];
        out.par_chunks_mut(BATCH_CHUNK)
            .enumerate()
            .for_each(|(c, sums)| {
                let start = c * BATCH_CHUNK;
                for (i, &a_i) in self.a.iter().enumerate() {
                    let row = i * batch + start;
                    let (g, vals) = (&gates[row..row + sums.len()], &v[row..row + sums.len()]);
                    for ((s, &gate), &value) in sums.iter_mut().zip(g).zip(vals) {
                        if gate {
                            *s += a_i * value;
                        }
                    }
                }
                sums.iter_mut().for_each(|s| *s *= scale);
            });
        out
    }
}

fn check_shape(n: usize, d: usize) -> Result<(), NetError> {
    for (what, value) in [("width", n), ("input dimension", d)] {
        if value == 0 {
            return Err(NetError::Size {
                what,
                value,
                why: "must be at least 1",
            });
        }
    }
    n.checked_mul(d)
        .filter(|&cells| cells <= crate::mask::IN_MEMORY_LIMIT)
        .map(|_| ())
        .ok_or(NetError::Range {
            what: "layer weights n·d",
            value: n.saturating_mul(d),
            min: 1,
            max: crate::mask::IN_MEMORY_LIMIT,
        })
}

fn check_finite<'a>(
    what: &'static str,
    values: impl IntoIterator<Item = &'a f64>,
) -> Result<(), NetError> {
    match values.into_iter().position(|v| !v.is_finite()) {
        Some(index) => Err(NetError::NonFinite { what, index }),
        None => Ok(()),
    }
}

/// `1/√m` in f64.
fn inv_sqrt(m: usize) -> f64 {
    1.0 / (m as f64).sqrt()
}

/// Sets the pruned entries of an n × d row-major matrix to 0.
fn apply_mask(values: &mut [f64], mask: &Mask) {
    let d = mask.cols();
    values.par_chunks_mut(d).enumerate().for_each(|(i, row)| {
        let words = mask.row_words(i).unwrap_or(&[]);
        for (j, v) in row.iter_mut().enumerate() {
            if words[j / 64] >> (j % 64) & 1 == 0 {
                *v = 0.0;
            }
        }
    });
}

/// `scale · L R` with L `rows × inner` row-major and R `inner × cols`, into a row-major
/// `rows × cols` buffer; the rows are split in fixed chunks of [`ROW_CHUNK`], each a
/// single-threaded faer product, so the result does not depend on the thread count.
fn chunked_product(
    lhs: &[f64],
    rows: usize,
    inner: usize,
    rhs: MatRef<'_, f64>,
    scale: f64,
) -> Vec<f64> {
    let cols = rhs.ncols();
    let mut out = vec![0.0; rows * cols];
    if cols == 0 {
        return out;
    }
    out.par_chunks_mut(ROW_CHUNK * cols)
        .zip(lhs.par_chunks(ROW_CHUNK * inner))
        .for_each(|(dst, src)| {
            let r = dst.len() / cols;
            let dst = MatMut::from_row_major_slice_mut(dst, r, cols);
            let src = MatRef::from_row_major_slice(src, r, inner);
            matmul(dst, Accum::Replace, src, rhs, scale);
        });
    out
}
