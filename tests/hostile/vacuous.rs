//! Probes: vacuous (issue #17).

#[allow(unused_imports)]
use crate::probe::*;
