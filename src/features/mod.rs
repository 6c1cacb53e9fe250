//! Features: per-customer summaries (being written).
