//! The hostile probe list of issue #17: the CLI and the certified routines driven as an
//! adversary would — extreme values, absurd sizes, special files, closed pipes, interrupts.
//! Each module owns one class of probes; every finding stays here as a regression test.
//!
//! What every probe asserts: no panic, no abort, no hang (a wall-clock guard), no wrong
//! certificate, no silent vacuous pass, no partial output.

mod probe;

mod certified_limit;
mod certified_linalg;
mod data_order;
mod io;
mod vacuous;
