//! MPFR paths (placeholder: being written).

pub mod limit;
