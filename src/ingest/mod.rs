//! Ingestion: transaction CSVs to typed rows (being written).
