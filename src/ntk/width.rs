//! (placeholder: filled in by the work on issue #5.)

use crate::claims::Claim;

/// This module's NTK claims.
pub(crate) fn claims() -> Vec<Claim> {
    Vec::new()
}
