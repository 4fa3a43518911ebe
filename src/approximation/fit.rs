//! The constructive approximation (`theory/approximation.md`, "Construction"): random features
//! on the kept edges into the construction's columns J, the output layer fitted by ridge least
//! squares on N training points, the error measured on N held-out points; and targets whose
//! error floors are known exactly.
//!
//! Neuron i computes `relu(Σ_(j ∈ J) M_ij w_ij x_j + b_i)` with `w_ij ~ N(0, 2²)` and
//! `b_i ~ U[−2, 2]`; edges outside J get weight 0 (the theorem's construction), so the
//! network sees only `x_J` and its law does not involve d. The output layer solves
//! `(ΦᵀΦ + λ I) c = Φᵀ y` with `λ = 10⁻⁶ N`. Widths are nested: the network of width n is the
//! first n neurons of the widest one.
//!
//! ```
//! use pai_graphon::approximation::fit::{uniform_inputs, Target};
//! use pai_graphon::seed::MasterSeed;
//! // The exact variance of sin(π x_0) against a sample mean of g² (g has mean 0).
//! let g = Target::SinProduct(vec![0]);
//! let x = uniform_inputs(4000, 1, MasterSeed::default(), "DOC");
//! let mean_sq = x.iter().map(|&x0| g.eval(&[x0]).powi(2)).sum::<f64>() / 4000.0;
//! assert_eq!(g.variance(), 0.5);
//! assert!((mean_sq - 0.5).abs() < 0.05);
//! ```

use super::wiring::{sample_columns, wired_count, WiringGraphon};
use super::UatError;
use crate::linalg::{matmul, matmul_lower, Cholesky};
use crate::seed::MasterSeed;
use crate::Error;
use faer::{Accum, Mat, MatRef};
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use std::f64::consts::PI;

/// Standard deviation of the first-layer weights on kept edges.
pub(crate) const WEIGHT_SCALE: f64 = 2.0;
/// Biases are uniform on `[−BIAS, BIAS]`.
pub(crate) const BIAS: f64 = 2.0;
/// The ridge: `(ΦᵀΦ + λ I) c = Φᵀ y` with `λ = RIDGE · N` (features are O(1), so ΦᵀΦ ~ N).
pub(crate) const RIDGE: f64 = 1e-6;
/// Rows per parallel task of the Gram matrix (a fixed split: partial sums are added in chunk
/// order, so results do not depend on the thread count).
const ROW_CHUNK: usize = 4096;

/// A target function of the inputs, uniform on `[−1, 1]^d`.
///
/// ```
/// use pai_graphon::approximation::fit::Target;
/// assert_eq!(Target::SinProduct(vec![0, 1]).eval(&[0.5, 0.5]), 1.0); // sin(π/2)²
/// assert_eq!(Target::CosPlusSquare(0, 1).eval(&[0.0, 0.5]), 1.25);
/// assert_eq!(Target::Product(0, 1).eval(&[0.5, -0.5]), -0.25);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// `g(x) = Π_(j ∈ C) sin(π x_j)`: smooth, mean 0, variance `2^(−|C|)`.
    SinProduct(Vec<usize>),
    /// `g(x) = cos(π x_a) + x_b²`: additive, variance `1/2 + 4/45`.
    CosPlusSquare(usize, usize),
    /// `g(x) = x_a x_b`: a pure interaction, variance 1/9.
    Product(usize, usize),
}

/// What the construction's networks can compute from the inputs.
///
/// ```
/// use pai_graphon::approximation::fit::{Reach, Target};
/// // A product needs a neuron that sees both of its coordinates.
/// let g = Target::SinProduct(vec![1, 2]);
/// assert_eq!(g.floor(&Reach::Joint(vec![1, 2])), 0.0);
/// assert_eq!(g.floor(&Reach::Separate(vec![1, 2])), 0.25);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Reach {
    /// Any function of these coordinates (some neurons are wired to all of them).
    Joint(Vec<usize>),
    /// Sums of functions of one of these coordinates each (no neuron is wired to two).
    Separate(Vec<usize>),
}

impl Target {
    /// The coordinates the target depends on, in order.
    ///
    /// ```
    /// use pai_graphon::approximation::fit::Target;
    /// assert_eq!(Target::CosPlusSquare(3, 1).coords(), vec![3, 1]);
    /// ```
    pub fn coords(&self) -> Vec<usize> {
        match self {
            Target::SinProduct(c) => c.clone(),
            Target::CosPlusSquare(a, b) | Target::Product(a, b) => vec![*a, *b],
        }
    }

    /// Coordinates below d, distinct, at least one.
    ///
    /// ```
    /// use pai_graphon::approximation::fit::Target;
    /// assert!(Target::Product(0, 7).validate(8).is_ok());
    /// assert!(Target::Product(0, 8).validate(8).is_err());
    /// assert!(Target::Product(2, 2).validate(8).is_err());
    /// assert!(Target::SinProduct(vec![]).validate(8).is_err());
    /// ```
    pub fn validate(&self, d: usize) -> Result<(), UatError> {
        let mut c = self.coords();
        let k = c.len();
        c.sort_unstable();
        c.dedup();
        if k == 0 || c.len() != k || c.iter().any(|&j| j >= d) {
            return Err(UatError::Coordinates { count: k, d });
        }
        Ok(())
    }

    /// `g(x)` for one input row.
    ///
    /// ```
    /// use pai_graphon::approximation::fit::Target;
    /// // Only x_2 and x_0 matter, in that order.
    /// assert_eq!(Target::CosPlusSquare(2, 0).eval(&[3.0, 9.9, 0.0]), 10.0); // cos 0 + 3²
    /// ```
    pub fn eval(&self, x: &[f64]) -> f64 {
        match self {
            Target::SinProduct(c) => c.iter().map(|&j| (PI * x[j]).sin()).product(),
            Target::CosPlusSquare(a, b) => (PI * x[*a]).cos() + x[*b] * x[*b],
            Target::Product(a, b) => x[*a] * x[*b],
        }
    }

    /// An interval containing every value of g.
    ///
    /// ```
    /// use pai_graphon::approximation::fit::{uniform_inputs, Target};
    /// use pai_graphon::seed::MasterSeed;
    /// let g = Target::CosPlusSquare(0, 1);
    /// let (lo, hi) = g.range();
    /// let x = uniform_inputs(100, 2, MasterSeed::default(), "DOC");
    /// assert!(x.chunks(2).all(|row| (lo..=hi).contains(&g.eval(row))));
    /// ```
    pub fn range(&self) -> (f64, f64) {
        match self {
            Target::SinProduct(_) | Target::Product(..) => (-1.0, 1.0),
            Target::CosPlusSquare(..) => (-1.0, 2.0),
        }
    }

    /// `Var g(x)`, exactly (E sin(πx) = E cos(πx) = E x = 0, E sin² = E cos² = 1/2,
    /// E x² = 1/3, E x⁴ = 1/5 on U[−1, 1]).
    ///
    /// ```
    /// use pai_graphon::approximation::fit::{Reach, Target};
    /// let g = Target::SinProduct(vec![0, 1, 2]);
    /// assert_eq!(g.variance(), 0.125);
    /// // Nothing in reach: the floor is all of the variance.
    /// assert_eq!(g.floor(&Reach::Joint(vec![])), g.variance());
    /// ```
    pub fn variance(&self) -> f64 {
        match self {
            Target::SinProduct(c) => 0.5f64.powi(c.len() as i32),
            Target::CosPlusSquare(..) => 0.5 + 4.0 / 45.0,
            Target::Product(..) => 1.0 / 9.0,
        }
    }

    /// The exact error floor `inf_f E(f(x) − g(x))²` over the functions f of `reach`
    /// (`theory/approximation.md`, "Error floors"): the variance of g left after projecting on
    /// them. A product of mean-zero factors is orthogonal to every function that misses one of
    /// its coordinates, so it keeps all its variance unless some neuron sees all of them; the
    /// additive target loses exactly the variance of each term it cannot see.
    ///
    /// ```
    /// use pai_graphon::approximation::fit::{Reach, Target};
    /// let g = Target::CosPlusSquare(0, 24);
    /// assert_eq!(g.floor(&Reach::Joint(vec![0, 8])), 4.0 / 45.0);
    /// assert_eq!(Target::Product(0, 4).floor(&Reach::Separate(vec![0, 4])), 1.0 / 9.0);
    /// assert_eq!(Target::Product(0, 4).floor(&Reach::Joint(vec![0, 4])), 0.0);
    /// ```
    pub fn floor(&self, reach: &Reach) -> f64 {
        let (set, joint) = match reach {
            Reach::Joint(s) => (s, true),
            Reach::Separate(s) => (s, false),
        };
        let sees = |j: &usize| set.contains(j);
        match self {
            Target::SinProduct(c) => {
                let all = c.iter().all(sees);
                if all && (joint || c.len() == 1) {
                    0.0
                } else {
                    self.variance()
                }
            }
            Target::CosPlusSquare(a, b) => {
                let missing_a = if sees(a) { 0.0 } else { 0.5 };
                let missing_b = if sees(b) { 0.0 } else { 4.0 / 45.0 };
                missing_a + missing_b
            }
            Target::Product(a, b) => {
                if joint && sees(a) && sees(b) {
                    0.0
                } else {
                    self.variance()
                }
            }
        }
    }
}

/// `samples` inputs uniform on `[−1, 1]^d`, row-major, from the stream `label`.
///
/// ```
/// use pai_graphon::approximation::fit::uniform_inputs;
/// use pai_graphon::seed::MasterSeed;
/// let seed = MasterSeed::default();
/// let x = uniform_inputs(10, 3, seed, "DOC/train");
/// assert_eq!(x.len(), 30);
/// assert!(x.iter().all(|v| (-1.0..1.0).contains(v)));
/// assert_eq!(x, uniform_inputs(10, 3, seed, "DOC/train"));
/// assert_ne!(x, uniform_inputs(10, 3, seed, "DOC/test"));
/// ```
pub fn uniform_inputs(samples: usize, d: usize, seed: MasterSeed, label: &str) -> Vec<f64> {
    let mut rng = seed.stream(label);
    (0..samples * d)
        .map(|_| 2.0 * rng.random::<f64>() - 1.0)
        .collect()
}

/// The first layer of the widest network: mask, weights and biases on the columns J.
struct Layer {
    cols: Vec<usize>,
    /// n × |J|, row-major; weights are 0 where the mask is.
    w: Vec<f64>,
    b: Vec<f64>,
    wired: Vec<bool>,
}

impl Layer {
    fn draw(
        g: &WiringGraphon,
        n: usize,
        d: usize,
        cols: &[usize],
        seed: MasterSeed,
        label: &str,
    ) -> Result<Self, UatError> {
        let mask = sample_columns(g, n, d, cols, seed, &format!("{label}/mask"))?;
        let mut rng = seed.stream(&format!("{label}/w"));
        let w = mask
            .iter()
            .map(|&m| {
                let v: f64 = StandardNormal.sample(&mut rng);
                if m {
                    WEIGHT_SCALE * v
                } else {
                    0.0
                }
            })
            .collect();
        let mut rng = seed.stream(&format!("{label}/b"));
        let b = (0..n)
            .map(|_| BIAS * (2.0 * rng.random::<f64>() - 1.0))
            .collect();
        Ok(Layer {
            cols: cols.to_vec(),
            w,
            b,
            wired: mask,
        })
    }

    /// Per width, the neurons among the first `w` wired to every coordinate of `coords` (all
    /// in J).
    fn wired_counts(&self, coords: &[usize], widths: &[usize]) -> Vec<usize> {
        let k = self.cols.len();
        let picked: Vec<usize> = coords
            .iter()
            .filter_map(|c| self.cols.iter().position(|j| j == c))
            .collect();
        let rows: Vec<bool> = self
            .wired
            .chunks(k)
            .flat_map(|row| picked.iter().map(move |&t| row[t]))
            .collect();
        widths
            .iter()
            .map(|&w| wired_count(&rows[..w * picked.len()], picked.len()))
            .collect()
    }

    /// The design matrix `Φ` (N × (n + 1), column-major): column 0 is the intercept, column
    /// i + 1 neuron i; columns are filled in parallel (each by one task).
    fn design(&self, x: &[f64], d: usize) -> Design {
        let rows = x.len() / d;
        // The columns J of x, each contiguous (x itself is row-major and wide).
        let xj: Vec<Vec<f64>> = self
            .cols
            .iter()
            .map(|&j| (0..rows).map(|r| x[r * d + j]).collect())
            .collect();
        let k = self.cols.len();
        let mut values = vec![1.0; rows * (self.b.len() + 1)];
        values[rows..]
            .par_chunks_mut(rows)
            .enumerate()
            .for_each(|(i, column)| {
                column.fill(self.b[i]);
                for (t, xt) in xj.iter().enumerate() {
                    let w = self.w[i * k + t];
                    if w != 0.0 {
                        column.iter_mut().zip(xt).for_each(|(v, x)| *v += w * x);
                    }
                }
                column.iter_mut().for_each(|v| *v = v.max(0.0));
            });
        Design { values, rows }
    }
}

/// A column-major design matrix.
struct Design {
    values: Vec<f64>,
    rows: usize,
}

impl Design {
    fn view(&self) -> MatRef<'_, f64> {
        MatRef::from_column_major_slice(&self.values, self.rows, self.values.len() / self.rows)
    }
}

/// `ΦᵀΦ` (its lower triangle, mirrored: exactly symmetric) and `Φᵀ y` for each target column of `y`, summed over fixed row
/// chunks in order.
fn normal_equations(phi: MatRef<'_, f64>, y: MatRef<'_, f64>) -> (Mat<f64>, Mat<f64>) {
    let (rows, p, t) = (phi.nrows(), phi.ncols(), y.ncols());
    let parts: Vec<(Mat<f64>, Mat<f64>)> = (0..rows.div_ceil(ROW_CHUNK))
        .into_par_iter()
        .map(|c| {
            let (r0, r1) = (c * ROW_CHUNK, ((c + 1) * ROW_CHUNK).min(rows));
            let block = phi.subrows(r0, r1 - r0);
            let (mut g, mut h) = (Mat::zeros(p, p), Mat::zeros(p, t));
            matmul_lower(g.as_mut(), Accum::Replace, block.transpose(), block, 1.0);
            matmul(
                h.as_mut(),
                Accum::Replace,
                block.transpose(),
                y.subrows(r0, r1 - r0),
                1.0,
            );
            (g, h)
        })
        .collect();
    let (mut g, mut h) = (Mat::<f64>::zeros(p, p), Mat::<f64>::zeros(p, t));
    for (pg, ph) in &parts {
        g += pg;
        h += ph;
    }
    for i in 0..p {
        for j in 0..i {
            g[(j, i)] = g[(i, j)];
        }
    }
    (g, h)
}

/// Held-out errors of the construction at nested widths, for several targets on one network.
///
/// ```
/// use pai_graphon::approximation::fit::{held_out, Target};
/// use pai_graphon::approximation::wiring::WiringGraphon;
/// use pai_graphon::seed::MasterSeed;
/// let g = WiringGraphon::Block { p: 1.0, bands: 8 }; // every edge kept
/// let targets = [Target::SinProduct(vec![0]), Target::Product(0, 1)];
/// let fit = held_out(&g, 8, &targets, &[2, 4, 8], 50, MasterSeed::default(), "DOC").unwrap();
/// assert_eq!((fit.errors.len(), fit.errors[1].len(), fit.samples), (2, 3, 50));
/// assert_eq!(fit.wired[1], vec![2, 4, 8]); // all neurons see both coordinates
/// assert!(fit.errors[1].iter().all(|&e| (0.0..=4.0).contains(&e))); // clipped to [−1, 1]
/// ```
#[derive(Clone, Debug)]
pub struct Fit {
    /// The widths, increasing.
    pub widths: Vec<usize>,
    /// `errors[t][w]`: mean over the held-out points of `(clip f − g_t)²`, f clipped to g_t's
    /// range (which never increases the error).
    pub errors: Vec<Vec<f64>>,
    /// `wired[t][w]`: the neurons wired to every coordinate of target t.
    pub wired: Vec<Vec<usize>>,
    /// The number of held-out points.
    pub samples: usize,
}

/// Fit the construction on a graphon: columns J = the targets' coordinates (all of them), N
/// training and N held-out inputs in dimension d. Streams `label/train`, `label/test`,
/// `label/mask`, `label/w`, `label/b`.
///
/// ```
/// use pai_graphon::approximation::fit::{held_out, Target};
/// use pai_graphon::approximation::wiring::WiringGraphon;
/// use pai_graphon::seed::MasterSeed;
/// let (g, t) = (WiringGraphon::Block { p: 1.0, bands: 1 }, [Target::SinProduct(vec![0])]);
/// let seed = MasterSeed::default();
/// let fit = held_out(&g, 8, &t, &[1, 32], 400, seed, "DOC").unwrap();
/// assert!(fit.errors[0][1] < 0.5 * fit.errors[0][0]); // wider fits better
/// assert!(held_out(&g, 8, &t, &[32, 1], 400, seed, "DOC").is_err()); // widths must increase
/// ```
pub fn held_out(
    g: &WiringGraphon,
    d: usize,
    targets: &[Target],
    widths: &[usize],
    samples: usize,
    seed: MasterSeed,
    label: &str,
) -> Result<Fit, Error> {
    let size = |what, value, why| Err(UatError::Size { what, value, why }.into());
    if targets.is_empty() {
        return size("targets", 0, "must be at least 1");
    }
    if widths.is_empty() || widths.windows(2).any(|w| w[0] >= w[1]) {
        return size(
            "widths",
            widths.len(),
            "must be at least 1 and strictly increasing",
        );
    }
    if samples < 2 {
        return size("samples", samples, "must be at least 2");
    }
    if d == 0 {
        return size("d", 0, "must be at least 1");
    }
    let mut cols: Vec<usize> = Vec::new();
    for t in targets {
        t.validate(d)?;
        cols.extend(t.coords());
    }
    cols.sort_unstable();
    cols.dedup();
    let n = *widths.last().unwrap_or(&1);
    let layer = Layer::draw(g, n, d, &cols, seed, label)?;
    let fit_x = uniform_inputs(samples, d, seed, &format!("{label}/train"));
    let test_x = uniform_inputs(samples, d, seed, &format!("{label}/test"));
    let values = |x: &[f64]| {
        Mat::from_fn(samples, targets.len(), |r, t| {
            targets[t].eval(&x[r * d..(r + 1) * d])
        })
    };
    let phi = layer.design(&fit_x, d);
    let (gram, rhs) = normal_equations(phi.view(), values(&fit_x).as_ref());
    drop(phi);
    let test_phi = layer.design(&test_x, d);
    let test_y = values(&test_x);
    let lambda = RIDGE * samples as f64;
    let mut errors = vec![Vec::with_capacity(widths.len()); targets.len()];
    for &w in widths {
        let p = w + 1;
        let a = Mat::from_fn(p, p, |i, j| {
            gram[(i, j)] + if i == j { lambda } else { 0.0 }
        });
        let chol = Cholesky::factor(a.as_ref())?;
        for (t, target) in targets.iter().enumerate() {
            let c = chol.solve(&(0..p).map(|i| rhs[(i, t)]).collect::<Vec<_>>())?;
            let coef = MatRef::from_column_major_slice(&c, p, 1);
            let mut pred = Mat::<f64>::zeros(samples, 1);
            matmul(
                pred.as_mut(),
                Accum::Replace,
                test_phi.view().subcols(0, p),
                coef,
                1.0,
            );
            let (lo, hi) = target.range();
            let sse: f64 = (0..samples)
                .map(|r| (pred[(r, 0)].clamp(lo, hi) - test_y[(r, t)]).powi(2))
                .sum();
            errors[t].push(sse / samples as f64);
        }
    }
    let wired = targets
        .iter()
        .map(|t| layer.wired_counts(&t.coords(), widths))
        .collect();
    Ok(Fit {
        widths: widths.to_vec(),
        errors,
        wired,
        samples,
    })
}
