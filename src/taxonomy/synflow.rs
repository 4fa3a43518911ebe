//! SynFlow's limit graphon in the one-hidden-layer setting.
//!
//! With only the first layer prunable, SynFlow scores `|a_i| |w_ij|` (times a constant): an FSM
//! with row profile `|a|`, constant column profile and Gaussian edge noise `w`. Its limit depends
//! on the hidden position only: `W(u, v) = q(u) = P(|w| > τ*/Q(u))`, with `Q` the quantile function
//! of `|a|` (half-normal) and `∫ q = ρ`. So `t(C4) = (∫ q²)²` and the heterogeneity index is
//! `(∫ q²)² − ρ⁴` (TAX-2), and, given the realised `|a_i|`, the frozen-threshold keep
//! probabilities are `q_i = P(|w| > τ/|a_i|)` with `mean q_i = ρ` (TAX-1's control).
//!
//! ```
//! use pai_graphon::taxonomy::synflow::{keep_probabilities, synflow_limit};
//! let lim = synflow_limit(0.2, 512).unwrap();
//! // Heterogeneous: ∫q² > ρ², so (∫q²)² − ρ⁴ > 0.
//! assert!(lim.second_moment.lo > 0.04 && lim.c4_excess.lo > 0.0);
//! // Rows with larger |a_i| keep more.
//! let (_, q) = keep_probabilities(&[0.5, 1.0, 2.0], 0.2).unwrap();
//! assert!(q[0] < q[1] && q[1] < q[2]);
//! ```

use crate::normal::{half_normal_isf, half_normal_sf};
use crate::taxonomy::TaxonomyError;

/// Bisection steps for a threshold: far more than the 2^11 binades of f64 need.
const BISECTION_STEPS: usize = 200;

fn check_density(rho: f64) -> Result<f64, TaxonomyError> {
    if rho > 0.0 && rho < 1.0 {
        Ok(rho)
    } else {
        Err(TaxonomyError::Density { rho })
    }
}

/// `P(|w| > τ/s)` for standard Gaussian `w` and a row scale `s ≥ 0` (0 when `s = 0`).
fn keep_probability(tau: f64, scale: f64) -> f64 {
    if scale <= 0.0 {
        return 0.0;
    }
    half_normal_sf(tau / scale, 1.0).unwrap_or(0.0)
}

/// Bisection for the switch point of a predicate that holds on `[0, τ₀)` and fails beyond:
/// returns the final bracket `(lo, hi)` with `holds(lo)` and not `holds(hi)` (unless the
/// doubling search ran out of range). Used with `f(τ) ≥ target` (largest τ reaching the target)
/// and `f(τ) > target` (smallest τ at or below it) for a non-increasing f.
fn bisect(holds: impl Fn(f64) -> bool) -> (f64, f64) {
    let mut hi = 1.0;
    while holds(hi) && hi < f64::MAX / 4.0 {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    for _ in 0..BISECTION_STEPS {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if holds(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo, hi)
}

/// Given the realised output weights `a`, the frozen threshold τ with `mean_i q_i(τ) = ρ` and
/// the keep probabilities `q_i = P(|w| > τ/|a_i|)` of the rows.
///
/// ```
/// use pai_graphon::taxonomy::synflow::keep_probabilities;
/// // Equal |a|: every row keeps a fraction ρ. The bisection ends on adjacent floats τ < τ⁺
/// // (τ⁺ − τ ≤ ε τ) with mean(τ) ≥ ρ > mean(τ⁺); the mean of three equal tails is one of them
/// // to γ_2 (a sum, a quotient), each tail is within SF_RELATIVE_BOUND, and the tail's slope
/// // 2φ is at most sqrt(2/π) over the last step.
/// use pai_graphon::{normal::SF_RELATIVE_BOUND, tol::gamma};
/// let (tau, q) = keep_probabilities(&[1.0, -1.0, 1.0], 0.25).unwrap();
/// let slope = (2.0 / std::f64::consts::PI).sqrt();
/// let allowance = (2.0 * SF_RELATIVE_BOUND + gamma(4).unwrap()) * 0.25 + slope * f64::EPSILON * tau;
/// assert!(q.iter().all(|p| (p - 0.25).abs() <= allowance));
/// assert!(keep_probabilities(&[1.0], 1.5).is_err());
/// ```
pub fn keep_probabilities(a: &[f64], rho: f64) -> Result<(f64, Vec<f64>), TaxonomyError> {
    let rho = check_density(rho)?;
    if a.is_empty() || a.iter().any(|x| !x.is_finite()) {
        return Err(TaxonomyError::OutputWeights);
    }
    let mean = |tau: f64| {
        a.iter()
            .map(|&x| keep_probability(tau, x.abs()))
            .sum::<f64>()
            / a.len() as f64
    };
    if mean(0.0) < rho {
        return Err(TaxonomyError::ZeroOutputWeights { rho });
    }
    let tau = bisect(|t| mean(t) >= rho).0;
    Ok((
        tau,
        a.iter().map(|&x| keep_probability(tau, x.abs())).collect(),
    ))
}

/// A certified bracket `lo ≤ value ≤ hi` (up to f64 rounding of the normal tail, relative
/// ~1e-15, far inside the bracket's width).
///
/// ```
/// use pai_graphon::taxonomy::synflow::synflow_limit;
/// // Finer quadrature gives a narrower bracket that overlaps the coarser one.
/// let (coarse, fine) = (synflow_limit(0.2, 64).unwrap().tau, synflow_limit(0.2, 512).unwrap().tau);
/// assert!(coarse.lo <= coarse.hi && fine.lo <= fine.hi);
/// assert!(fine.hi - fine.lo < coarse.hi - coarse.lo);
/// assert!(coarse.lo <= fine.hi && fine.lo <= coarse.hi);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bracket {
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

/// SynFlow's population limit at density ρ: brackets for τ* and for `t(C4) − ρ⁴ = (∫q²)² − ρ⁴`.
///
/// ```
/// use pai_graphon::taxonomy::synflow::synflow_limit;
/// let lim = synflow_limit(0.2, 256).unwrap();
/// // The excess is computed from the second moment's ends.
/// assert_eq!(lim.c4_excess.lo, lim.second_moment.lo.powi(2) - 0.2f64.powi(4));
/// assert!(lim.tau.lo > 0.0 && lim.second_moment.hi <= 0.2); // q ≤ 1, so ∫q² ≤ ∫q
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SynflowLimit {
    /// The threshold τ* with `∫ q = ρ`.
    pub tau: Bracket,
    /// `∫ q(u)² du`, the second moment of the row degree.
    pub second_moment: Bracket,
    /// The heterogeneity index `(∫ q²)² − ρ⁴`.
    pub c4_excess: Bracket,
}

/// Lower and upper Riemann sums of `u ↦ h(q_τ(u))` over `cells` equal cells, exact brackets for a
/// non-decreasing integrand (q is non-decreasing in u because Q is).
fn riemann_sums(tau: f64, quantiles: &[f64], h: impl Fn(f64) -> f64) -> (f64, f64) {
    let values: Vec<f64> = quantiles
        .iter()
        .map(|&s| h(keep_probability(tau, s)))
        .collect();
    let cells = (values.len() - 1) as f64;
    let total: f64 = values.iter().sum();
    let lower = (total - values[values.len() - 1]) / cells;
    let upper = (total - values[0]) / cells;
    (lower, upper)
}

/// SynFlow's population limit (`|a|` half-normal, `w` standard Gaussian) at density ρ, by
/// monotone Riemann sums over `cells` cells of the hidden position (≥ 2; the bracket widths are
/// at most about `1/cells`).
///
/// ```
/// use pai_graphon::taxonomy::synflow::synflow_limit;
/// let lim = synflow_limit(0.2, 1 << 12).unwrap();
/// assert!(lim.c4_excess.lo > 0.0 && lim.c4_excess.lo <= lim.c4_excess.hi);
/// assert!(lim.second_moment.lo >= 0.2 * 0.2); // ∫q² ≥ (∫q)²
/// ```
pub fn synflow_limit(rho: f64, cells: usize) -> Result<SynflowLimit, TaxonomyError> {
    let rho = check_density(rho)?;
    if cells < 2 {
        return Err(TaxonomyError::QuadratureCells { cells });
    }
    // Q(u) = half-normal quantile at u = k/cells; Q(0) = 0, Q(1) = ∞.
    let quantiles: Vec<f64> = (0..=cells)
        .map(|k| match k {
            0 => 0.0,
            k if k == cells => f64::INFINITY,
            k => half_normal_isf(1.0 - k as f64 / cells as f64, 1.0).unwrap_or(f64::INFINITY),
        })
        .collect();
    let id = |q: f64| q;
    // τ_a: the lower sum of ∫q still reaches ρ, so G(τ_a) ≥ ρ and τ* ≥ τ_a.
    let tau_a = bisect(|t| riemann_sums(t, &quantiles, id).0 >= rho).0;
    // τ_b: the smallest τ whose upper sum is ≤ ρ, so G(τ_b) ≤ ρ and τ* ≤ τ_b.
    let tau_b = bisect(|t| riemann_sums(t, &quantiles, id).1 > rho).1;
    let sq = |q: f64| q * q;
    let m2 = Bracket {
        lo: riemann_sums(tau_b, &quantiles, sq).0,
        hi: riemann_sums(tau_a, &quantiles, sq).1,
    };
    let rho4 = rho.powi(4);
    Ok(SynflowLimit {
        tau: Bracket {
            lo: tau_a,
            hi: tau_b,
        },
        second_moment: m2,
        c4_excess: Bracket {
            lo: m2.lo * m2.lo - rho4,
            hi: m2.hi * m2.hi - rho4,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_nest_as_cells_double() {
        let coarse = synflow_limit(0.2, 1 << 10).unwrap();
        let fine = synflow_limit(0.2, 1 << 12).unwrap();
        assert!(
            coarse.c4_excess.lo <= fine.c4_excess.hi && fine.c4_excess.lo <= coarse.c4_excess.hi
        );
        assert!(fine.c4_excess.hi - fine.c4_excess.lo < coarse.c4_excess.hi - coarse.c4_excess.lo);
        assert!(coarse.tau.lo <= fine.tau.hi && fine.tau.lo <= coarse.tau.hi);
    }

    #[test]
    fn realised_keep_probabilities_average_to_rho() {
        let a: Vec<f64> = (1..=100).map(|k| k as f64 / 37.0).collect();
        let (_, q) = keep_probabilities(&a, 0.2).unwrap();
        let mean = q.iter().sum::<f64>() / q.len() as f64;
        assert!((mean - 0.2).abs() < 1e-12);
        assert!(q.windows(2).all(|p| p[0] <= p[1]));
    }
}
