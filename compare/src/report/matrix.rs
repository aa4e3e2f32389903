//! The status matrix.
