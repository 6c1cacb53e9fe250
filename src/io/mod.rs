//! The I/O layer beside the computation: the library's result tables written as CSV, each in
//! one place so that every front end writes the same bytes, and described as typed columns
//! (`typed`, for Parquet through `persist::table::write_parquet`). The computations above return
//! plain tables in memory; this layer only turns them into text. (The readers of transaction,
//! summary, pattern, attribute and prospect files live with the stage that parses them:
//! `ingest`, `features`, `models::data`, `predict::prospects`.)

mod columns;
pub mod meta;
pub mod number;
mod tables;
mod typed;
pub mod units;

pub use columns::{
    alive_path_columns, at_risk_columns, budget_columns, churn_score_columns, cohort_columns,
    predict_columns, prospect_columns, score_columns, segment_columns, summary_columns,
    tracking_columns,
};
pub use meta::{OutputMeta, meta_path, write_meta};
pub use units::{ColumnKind, ColumnSpec, Currency, OutputUnits};

pub use tables::{
    write_alive_path_csv, write_at_risk_csv, write_budget_csv, write_churn_scores_csv,
    write_columns_csv, write_orders_csv, write_patterns_csv, write_prospect_scores_csv,
    write_scores_csv, write_segments_csv, write_simulated_summary_csv, write_tracking_csv,
};
pub use typed::{
    at_risk_table, churn_scores_table, columns_table, prospect_scores_table, scores_table,
};
