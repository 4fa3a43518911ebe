//! The complexity `yᵀK⁻¹y`, its scale-corrected form `s · yᵀK⁻¹y` with `s = (2/N) tr K`
//! (`theory/ntk.md`, "Kernel scale"), by Cholesky on the symmetrised kernel.
//!
//! ```
//! use pai_graphon::ntk::bound::complexity;
//! use pai_graphon::ntk::kernel::{graphon_ntk, unit_rows, KernelGraphon, Layers};
//! let x = unit_rows(faer::mat![[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]].as_ref()).unwrap();
//! let k = graphon_ntk(x.as_ref(), &KernelGraphon::constant(0.5, 2).unwrap(), Layers::First).unwrap().k;
//! // Labels that follow the input geometry are cheaper than labels against it.
//! let smooth = complexity(k.as_ref(), &[1.0, 1.0, -1.0]).unwrap();
//! let rough = complexity(k.as_ref(), &[1.0, -1.0, 1.0]).unwrap();
//! assert!(smooth.raw < rough.raw);
//! assert_eq!(smooth.scale, 1.0); // the dense first-layer kernel: diagonal ½
//! ```

use super::kernel::check_labels;
use super::NtkError;
use crate::linalg::{certified_quadratic_inverse, Cholesky, LinalgError};
use crate::tol::{sum_allowance, UNIT_ROUNDOFF};
use faer::MatRef;

/// The complexity of labels y under a kernel K.
///
/// ```
/// use pai_graphon::ntk::bound::complexity;
/// let k = faer::mat![[0.5, 0.2], [0.2, 0.5]];
/// let k4 = faer::mat![[2.0, 0.8], [0.8, 2.0]];
/// let (c, c4) = (complexity(k.as_ref(), &[1.0, -1.0]).unwrap(), complexity(k4.as_ref(), &[1.0, -1.0]).unwrap());
/// // Scaling K by 4 divides yᵀK⁻¹y by 4 and multiplies s by 4: the corrected value stays.
/// // A power of two (fl(0.8) = 4 fl(0.2)) scales every rounding with it, so exactly.
/// assert!(c.raw == 4.0 * c4.raw && c4.scale == 4.0 * c.scale);
/// assert_eq!(c.corrected, c4.corrected);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Complexity {
    /// `yᵀK⁻¹y`.
    pub raw: f64,
    /// `s = (2/N) tr K` (1 for the dense first-layer kernel on unit inputs, whose diagonal is ½).
    pub scale: f64,
    /// `s · yᵀK⁻¹y`.
    pub corrected: f64,
}

/// `yᵀK⁻¹y` and its scale-corrected form. Errors on labels not in {−1, +1}, shapes that
/// disagree, and kernels whose Cholesky factorisation fails (not positive definite in f64).
///
/// ```
/// use pai_graphon::ntk::bound::complexity;
/// let k = faer::mat![[0.5, 0.0], [0.0, 0.5]];
/// let c = complexity(k.as_ref(), &[1.0, -1.0]).unwrap();
/// assert_eq!(c.scale, 1.0);
/// // L = √½ (one rounding), z = y / L (one), Σ z² (two per square, one addition): γ_6.
/// // The off-diagonal zeros make every other operation exact, and s = 1 exactly.
/// let g6 = pai_graphon::tol::gamma(6).unwrap();
/// assert!((c.raw - 4.0).abs() <= g6 * 4.0 && (c.corrected - 4.0).abs() <= g6 * 4.0);
/// assert!(complexity(faer::mat![[0.5, 1.0], [1.0, 0.5]].as_ref(), &[1.0, 1.0]).is_err());
/// ```
pub fn complexity(k: MatRef<'_, f64>, y: &[f64]) -> Result<Complexity, NtkError> {
    check_labels(y, k.nrows())?;
    let chol = Cholesky::factor(k).map_err(indefinite)?;
    let raw = chol.quadratic_inverse(y).map_err(indefinite)?;
    let n = k.nrows();
    let scale = 2.0 * (0..n).map(|i| k[(i, i)]).sum::<f64>() / n as f64;
    Ok(Complexity {
        raw,
        scale,
        corrected: scale * raw,
    })
}

/// Upper bounds on `yᵀK⁻¹y`, `s = (2/N) tr K` and `s · yᵀK⁻¹y` for the exact kernel
/// `K = K̂ + E`, `‖E‖₂ ≤ input_error` (K̂ the computed kernel, `input_error` its certified
/// distance): what a bound increasing in both may be fed. `yᵀK⁻¹y` comes from
/// [`certified_quadratic_inverse`]; `tr K ≤ fl(Σ K̂_ii) + γ_(N−1) Σ |K̂_ii| + N · input_error`
/// (each `|E_ii| ≤ ‖E‖₂`); the two products after it are rounded up by a factor `1 + 4u`, which
/// covers their two and one roundings. Errors as [`complexity`], and on a kernel whose λ_min
/// cannot be certified above the input error.
///
/// ```
/// use pai_graphon::ntk::bound::{complexity, complexity_upper};
/// let k = faer::mat![[0.5, 0.1], [0.1, 0.5]];
/// let c = complexity(k.as_ref(), &[1.0, -1.0]).unwrap();
/// let up = complexity_upper(k.as_ref(), &[1.0, -1.0], 1e-9).unwrap();
/// // yᵀK⁻¹y = 2 / (0.5 − 0.1) = 5 exactly: the upper bounds cover it and stay tight.
/// assert!(5.0 <= up.raw && up.raw < 5.0 * (1.0 + 1e-7));
/// assert!(c.scale <= up.scale && up.scale < c.scale * (1.0 + 1e-7));
/// assert!(c.corrected <= up.corrected);
/// ```
pub fn complexity_upper(
    k: MatRef<'_, f64>,
    y: &[f64],
    input_error: f64,
) -> Result<Complexity, NtkError> {
    check_labels(y, k.nrows())?;
    let q = certified_quadratic_inverse(k, y, input_error).map_err(indefinite)?;
    let n = k.nrows();
    let diagonal = (0..n).map(|i| k[(i, i)]);
    let trace = diagonal.clone().sum::<f64>();
    let abs = diagonal.map(f64::abs).sum::<f64>();
    // γ_(N−1) exists for every N a dense kernel may have (MAX_DENSE_ORDER ≪ 1/u).
    let rounding = sum_allowance(n, abs).map_err(|_| NtkError::TooLarge {
        quantity: "inputs",
        size: n,
        max: crate::linalg::MAX_DENSE_ORDER,
    })?;
    let trace_up = trace + rounding + n as f64 * input_error;
    let up = 1.0 + 4.0 * UNIT_ROUNDOFF;
    let scale = 2.0 * trace_up / n as f64 * up;
    Ok(Complexity {
        raw: q.upper,
        scale,
        corrected: scale * q.upper * up,
    })
}

/// A factorisation failure as an NTK error.
pub(crate) fn indefinite(e: LinalgError) -> NtkError {
    match e {
        LinalgError::TooLarge { order, max } => NtkError::TooLarge {
            quantity: "inputs",
            size: order,
            max,
        },
        e => NtkError::Indefinite {
            what: "kernel factorisation",
            cause: Some(e),
        },
    }
}
