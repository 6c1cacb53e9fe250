//! `clv`: a churn and customer-lifetime-value engine.
//!
//! The pipeline, one module per stage:
//! - [`math`]: the shared numerics (special functions, log-space sums, quadrature), and
//!   [`optim`], the model-agnostic maximum-likelihood optimiser;
//! - [`ingest`]: transaction CSVs to typed rows, every row used or rejected with a reason;
//! - [`features`]: rows to per-customer recency / frequency / monetary summaries, RFM segments,
//!   cohort tables and the history-based CLV metrics;
//! - [`models`]: the "buy till you die" models (BG/NBD, Pareto/NBD, MBG/NBD, BG/BB),
//!   Gamma-Gamma spend and shifted-beta-geometric retention, behind one trait, all listed once
//!   in [`models::registry`];
//! - [`simulate`]: synthetic order histories from known parameters;
//! - [`churn`]: the logistic churn classifier and its evaluation;
//! - [`predict`]: discounted CLV, model bundles, scoring of existing and new customers;
//! - [`report`]: the HTML report and the terminal text;
//! - [`io`]: the result tables written as CSV, the same bytes for every front end.
//!
//! Each stage imports only from the stages above it in this list (`tests/layering.rs` checks).
//! The library never prints and never exits; the `clv` binary (the `cli/` crate of the
//! workspace) is a thin front end on top, and other front ends call the same functions.

pub mod churn;
pub mod error;
pub mod features;
pub mod ingest;
pub mod io;
pub mod math;
pub mod models;
pub mod optim;
pub mod persist;
pub mod predict;
pub mod report;
pub mod simulate;

pub use error::{ClvError, ErrorKind, Result};
