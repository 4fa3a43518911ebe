//! Probes: certified_limit (issue #17).

#[allow(unused_imports)]
use crate::probe::*;
