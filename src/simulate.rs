//! Synthetic order histories (being written).
