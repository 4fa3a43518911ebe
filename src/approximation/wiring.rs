//! Which hidden neurons are wired to the active coordinates (`theory/approximation.md`,
//! "Wiring"). A first-layer mask is drawn from a graphon on the columns that matter: Bernoulli
//! edges `M_ij ~ Bernoulli(W(u_i, v_j))` at `u_i = (i + ½)/n`, `v_j = (j + ½)/d`, or an FSM mask
//! at the frozen threshold τ*, `M_ij = 1{φ(u_i) ψ(v_j) |ξ_ij| > τ*}` (the same law, edge by
//! edge). The count of neurons wired to every coordinate of J has, when `W ≥ p` on `A × J`
//! with `|A| = α`, a Chernoff lower bound from its mean `α n p^k`.
//!
//! ```
//! use pai_graphon::approximation::wiring::{sample_columns, wired_count, WiringGraphon};
//! use pai_graphon::seed::MasterSeed;
//! // q = 1: rows u < ½ keep band 0 (coordinates 0, 1 of d = 16), rows u ≥ ½ band 1 (2, 3).
//! let g = WiringGraphon::Checkerboard { q: 1.0 };
//! let mask = sample_columns(&g, 8, 16, &[0, 2], MasterSeed::default(), "DOC").unwrap();
//! assert_eq!(mask.iter().filter(|&&m| m).count(), 8); // each column has 4 edges,
//! assert_eq!(wired_count(&mask, 2), 0); // but no neuron sees both
//! ```

use super::UatError;
use crate::convergence::limit::LimitGraphon;
use crate::seed::MasterSeed;
use crate::tol;
use crate::Error;
use rand::RngExt;

/// Column bands of the piecewise-constant wiring graphons: band r is `v ∈ [r/8, (r+1)/8)`.
///
/// ```
/// use pai_graphon::approximation::wiring::{band_coordinate, position, BANDS};
/// let d = 4 * BANDS;
/// for r in 0..BANDS {
///     let v = position(band_coordinate(r, d).unwrap(), d);
///     assert_eq!((v * BANDS as f64) as usize, r);
/// }
/// ```
pub const BANDS: usize = 8;
/// Active column bands of the block graphon of the UAT claims and of `uat` (band
/// [`INACTIVE_BAND`], the inactive coordinate's, is outside).
///
/// ```
/// use pai_graphon::approximation::wiring::{WiringGraphon, ACTIVE_BANDS, BANDS};
/// let g = WiringGraphon::Block { p: 0.5, bands: ACTIVE_BANDS };
/// let band_start = |r: usize| r as f64 / BANDS as f64;
/// assert_eq!((g.w(0.5, band_start(ACTIVE_BANDS - 1)), g.w(0.5, band_start(ACTIVE_BANDS))), (0.5, 0.0));
/// ```
pub const ACTIVE_BANDS: usize = 4;
/// The band of the inactive coordinate.
///
/// ```
/// use pai_graphon::approximation::wiring::{band_coordinate, position, WiringGraphon};
/// use pai_graphon::approximation::wiring::{ACTIVE_BANDS, INACTIVE_BAND};
/// let g = WiringGraphon::Block { p: 0.5, bands: ACTIVE_BANDS };
/// let b = band_coordinate(INACTIVE_BAND, 32).unwrap();
/// assert_eq!(g.w(1.0, position(b, 32)), 0.0); // no neuron ever sees it
/// ```
pub const INACTIVE_BAND: usize = 6;

/// A bipartite graphon over hidden positions u and input positions v, as the UAT claims use it.
///
/// ```
/// use pai_graphon::approximation::wiring::WiringGraphon;
/// use pai_graphon::convergence::limit::{Fsm, FIGURE1_DENSITY};
/// let block = WiringGraphon::Block { p: 0.5, bands: 2 };
/// assert_eq!((block.w(0.9, 0.2), block.w(0.9, 0.25)), (0.5, 0.0)); // band 2 starts at v = 1/4
/// let limit = Fsm::figure1().limit_graphon(FIGURE1_DENSITY).unwrap();
/// let fsm = WiringGraphon::Fsm(Box::new(limit.clone()));
/// assert_eq!(fsm.w(0.3, 0.7), limit.w(0.3, 0.7));
/// ```
#[derive(Clone, Debug)]
pub enum WiringGraphon {
    /// `W = p` on `[0, 1] × [0, bands/8)`, 0 elsewhere: the first `bands` column bands are
    /// active with edge floor p on the rectangle `A = [0, 1]`.
    Block {
        /// The edge probability on the active block.
        p: f64,
        /// How many column bands (from v = 0) are active.
        bands: usize,
    },
    /// `W = q` on `[0, ½) × band 0` and on `[½, 1] × band 1`, 0 elsewhere: both bands have path
    /// density q/2 > 0, but no rectangle of positive measure has an edge floor on both.
    Checkerboard {
        /// The edge probability where W is positive.
        q: f64,
    },
    /// The limit graphon of an FSM at a density (edges drawn at the frozen threshold τ*).
    Fsm(Box<LimitGraphon>),
}

impl WiringGraphon {
    /// Check the parameters: probabilities in (0, 1], `1 ≤ bands ≤ 8`.
    ///
    /// ```
    /// use pai_graphon::approximation::wiring::WiringGraphon;
    /// assert!(WiringGraphon::Block { p: 1.0, bands: 8 }.validate().is_ok());
    /// assert!(WiringGraphon::Block { p: 0.5, bands: 9 }.validate().is_err());
    /// assert!(WiringGraphon::Checkerboard { q: 0.0 }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), UatError> {
        let prob = |name, value: f64| {
            if value > 0.0 && value <= 1.0 {
                Ok(())
            } else {
                Err(UatError::Probability { name, value })
            }
        };
        match self {
            WiringGraphon::Block { p, bands } => {
                prob("p", *p)?;
                if !(1..=BANDS).contains(bands) {
                    return Err(UatError::Bands {
                        bands: *bands,
                        max: BANDS,
                    });
                }
                Ok(())
            }
            WiringGraphon::Checkerboard { q } => prob("q", *q),
            WiringGraphon::Fsm(_) => Ok(()),
        }
    }

    /// `W(u, v)`.
    ///
    /// ```
    /// use pai_graphon::approximation::wiring::WiringGraphon;
    /// let g = WiringGraphon::Checkerboard { q: 0.5 };
    /// assert_eq!((g.w(0.2, 0.05), g.w(0.7, 0.05), g.w(0.7, 0.2)), (0.5, 0.0, 0.5));
    /// assert_eq!(WiringGraphon::Block { p: 0.3, bands: 2 }.w(0.9, 0.3), 0.0);
    /// ```
    pub fn w(&self, u: f64, v: f64) -> f64 {
        let band = ((v * BANDS as f64) as usize).min(BANDS - 1);
        match self {
            WiringGraphon::Block { p, bands } => {
                if band < *bands {
                    *p
                } else {
                    0.0
                }
            }
            WiringGraphon::Checkerboard { q } => match (band, u < 0.5) {
                (0, true) | (1, false) => *q,
                _ => 0.0,
            },
            WiringGraphon::Fsm(g) => g.w(u, v),
        }
    }
}

/// The first coordinate of column band r at ambient dimension d (a multiple of [`BANDS`]):
/// `j = r d / 8`, at position `(j + ½)/d` inside band r for every such d.
///
/// ```
/// use pai_graphon::approximation::wiring::band_coordinate;
/// assert_eq!(band_coordinate(3, 64).unwrap(), 24);
/// assert!(band_coordinate(3, 60).is_err()); // 60 is not a multiple of 8
/// assert!(band_coordinate(8, 64).is_err());
/// ```
pub fn band_coordinate(r: usize, d: usize) -> Result<usize, UatError> {
    if d == 0 || d % BANDS != 0 || r >= BANDS {
        return Err(UatError::Band { r, d, bands: BANDS });
    }
    Ok(r * d / BANDS)
}

/// The position `v_j = (j + ½)/d` of input coordinate j.
///
/// ```
/// use pai_graphon::approximation::wiring::position;
/// assert_eq!((position(0, 4), position(3, 4)), (0.125, 0.875));
/// ```
pub fn position(j: usize, d: usize) -> f64 {
    (j as f64 + 0.5) / d as f64
}

/// The mask restricted to the columns `cols` (n × |cols|, row-major), drawn from the stream:
/// Bernoulli(W) edges from one uniform per entry, or for an FSM graphon one |ξ| per entry at
/// the frozen threshold. Entries are drawn row by row in the order of `cols`.
///
/// ```
/// use pai_graphon::approximation::wiring::{sample_columns, WiringGraphon};
/// use pai_graphon::seed::MasterSeed;
/// let g = WiringGraphon::Block { p: 0.5, bands: 1 };
/// let seed = MasterSeed::default();
/// let m = sample_columns(&g, 4, 16, &[0, 15], seed, "DOC").unwrap();
/// assert_eq!(m.len(), 8);
/// assert!(m.iter().skip(1).step_by(2).all(|&e| !e)); // column 15 is outside the block
/// assert_eq!(m, sample_columns(&g, 4, 16, &[0, 15], seed, "DOC").unwrap()); // replayable
/// assert!(sample_columns(&g, 4, 16, &[16], seed, "DOC").is_err());
/// ```
pub fn sample_columns(
    g: &WiringGraphon,
    n: usize,
    d: usize,
    cols: &[usize],
    seed: MasterSeed,
    label: &str,
) -> Result<Vec<bool>, UatError> {
    g.validate()?;
    let size = |what, value, why| Err(UatError::Size { what, value, why });
    if n == 0 {
        return size("width n", 0, "must be at least 1");
    }
    if cols.is_empty() {
        return size("columns", 0, "must be at least 1");
    }
    if let Some(&j) = cols.iter().find(|&&j| j >= d) {
        return size("column", j, "must lie below d");
    }
    let mut rng = seed.stream(label);
    let mut mask = Vec::with_capacity(n * cols.len());
    for i in 0..n {
        let u = position(i, n);
        for &j in cols {
            let v = position(j, d);
            let kept = match g {
                WiringGraphon::Fsm(limit) => {
                    let score = limit.fsm.row.value(u)
                        * limit.fsm.col.value(v)
                        * limit.fsm.noise.law().sample_abs(&mut rng);
                    score > limit.tau.value
                }
                _ => rng.random::<f64>() < g.w(u, v),
            };
            mask.push(kept);
        }
    }
    Ok(mask)
}

/// The number of rows of an n × k mask (row-major) whose k entries are all kept.
///
/// ```
/// use pai_graphon::approximation::wiring::wired_count;
/// assert_eq!(wired_count(&[true, true, true, false, false, true], 2), 1);
/// ```
pub fn wired_count(mask: &[bool], k: usize) -> usize {
    mask.chunks(k.max(1))
        .filter(|row| row.iter().all(|&m| m))
        .count()
}

/// Chernoff's lower bound on the wired count: the rows with `u_i ∈ A` number `|A ∩ grid|`, each
/// wired to all of J independently with probability `≥ p^k`, so the count dominates
/// `Bin(|A ∩ grid|, p^k)` and falls below `μ − sqrt(2 μ ln(1/δ))`, `μ = |A ∩ grid| p^k`, with
/// probability at most δ ([`tol::chernoff_lower`]). Returns `(μ, bound)`.
///
/// ```
/// use pai_graphon::approximation::wiring::wired_lower_bound;
/// use pai_graphon::tol::chernoff_lower;
/// let (mean, bound) = wired_lower_bound(200, 0.5, 2, 1e-4).unwrap();
/// assert_eq!(mean, 50.0); // 200 · 0.5²
/// assert_eq!(bound, chernoff_lower(50.0, 1e-4).unwrap());
/// assert!(0.0 < bound && bound < mean);
/// ```
pub fn wired_lower_bound(
    rows_in_a: usize,
    p: f64,
    k: usize,
    delta: f64,
) -> Result<(f64, f64), Error> {
    let mean = rows_in_a as f64 * p.powi(k as i32);
    Ok((mean, tol::chernoff_lower(mean, delta)?))
}
