//! Audit reports (being written).
