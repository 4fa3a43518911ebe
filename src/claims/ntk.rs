//! The NTK claims NTK-* (`theory/ntk.md`). Each submodule checks the kernel module of the same
//! name in [`crate::ntk`].
//!
//! ```
//! use pai_graphon::claims::ntk;
//! assert_eq!(ntk::claims().len(), 15);
//! assert_eq!(ntk::deep::claims()[0].id, "NTK-1");
//! ```

use super::Claim;

pub mod deep;
pub mod figure2;
pub mod path;
pub mod reality;
pub mod selection;
pub mod width;

/// The NTK claims, in id order (numerically: NTK-2 before NTK-10).
///
/// ```
/// let ids: Vec<&str> = pai_graphon::claims::ntk::claims().iter().map(|c| c.id).collect();
/// assert_eq!(ids, [
///     "NTK-1", "NTK-2", "NTK-5", "NTK-6", "NTK-7", "NTK-8", "NTK-9", "NTK-10", "NTK-11",
///     "NTK-12", "NTK-13", "NTK-15", "NTK-16", "NTK-17", "NTK-18",
/// ]);
/// ```
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
