//! The Kolmogorov distribution (placeholder: being written).
use crate::claims::Claim;

/// Claims of this file.
pub fn claims() -> Vec<Claim> {
    Vec::new()
}
