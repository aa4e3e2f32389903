//! Sequence diagrams.
