//! The toolbox claims TOOL-1 to TOOL-8 (`theory/toolbox.md`): the Kolmogorov distribution
//! ([`kolmogorov`]), the KS statistic ([`ks`]), step graphons ([`step`]), cut-norm intervals
//! ([`cutnorm`]) and the normal tail ([`normal`]). Each submodule checks the kernel module of
//! the same name.
//!
//! ```
//! use pai_graphon::claims::toolbox;
//! assert_eq!(toolbox::ks::claims()[0].id, "TOOL-3");
//! assert_eq!(toolbox::claims().len(), 8);
//! ```

use super::Claim;

pub mod cutnorm;
pub mod kolmogorov;
pub mod ks;
pub mod normal;
pub mod step;

/// The toolbox claims, in id order.
///
/// ```
/// let ids: Vec<&str> = pai_graphon::claims::toolbox::claims().iter().map(|c| c.id).collect();
/// assert_eq!(ids, ["TOOL-1", "TOOL-2", "TOOL-3", "TOOL-4", "TOOL-5", "TOOL-6", "TOOL-7", "TOOL-8"]);
/// ```
pub fn claims() -> Vec<Claim> {
    let mut all = kolmogorov::claims();
    all.extend(ks::claims());
    all.extend(step::claims());
    all.extend(cutnorm::claims());
    all.extend(normal::claims());
    // cutnorm holds TOOL-8 too: order by the number after "TOOL-".
    all.sort_by_key(|c| c.id[5..].parse::<u32>().unwrap_or(u32::MAX));
    all
}
