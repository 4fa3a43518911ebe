//! MPFR paths (placeholder: being written).
