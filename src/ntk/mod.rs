//! Graphon NTK and the generalisation bound (NTK): the one-hidden-layer graphon NTK K_W and its
//! selection-bias correction, the empirical NTK of finite masked networks, the deep graphon NTK,
//! the complexity yᵀK⁻¹y and the bound built on it, path density and kernel alignment, and
//! Figure 2. Claims NTK-* (`theory/ntk.md`).

pub mod bound;
pub mod deep;
pub mod empirical;
pub mod figure2;
pub mod kernel;
pub mod path;
pub mod reality;
pub mod selection;
pub mod width;

use crate::claims::Claim;
use std::fmt;

/// The NTK claims, in id order.
pub fn claims() -> Vec<Claim> {
    let mut all = Vec::new();
    all.extend(deep::claims());
    all.extend(width::claims());
    all.extend(selection::claims());
    all.extend(path::claims());
    all.extend(figure2::claims());
    all.extend(reality::claims());
    all.sort_by_key(|c| id_number(c.id));
    all
}

/// The number in `NTK-n` (ids sort numerically, not as strings).
fn id_number(id: &str) -> u32 {
    id.rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(u32::MAX)
}

/// Invalid input to the NTK module.
#[derive(Clone, Debug, PartialEq)]
pub enum NtkError {
    /// Inputs or labels the kernels cannot take: empty, non-finite, zero-norm rows, labels not
    /// in {−1, +1}, shapes that disagree.
    Data(String),
    /// A graphon that is not a kernel graphon: values outside [0, 1], no mass, bad nodes.
    Graphon(String),
    /// A size or parameter out of range (widths, depths, densities, node counts).
    Size(String),
    /// A kernel matrix that is not (certifiably) positive definite.
    Indefinite(String),
}

impl fmt::Display for NtkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NtkError::Data(m) => write!(f, "invalid data: {m}"),
            NtkError::Graphon(m) => write!(f, "invalid graphon: {m}"),
            NtkError::Size(m) => write!(f, "invalid size: {m}"),
            NtkError::Indefinite(m) => write!(f, "kernel not positive definite: {m}"),
        }
    }
}

impl std::error::Error for NtkError {}
