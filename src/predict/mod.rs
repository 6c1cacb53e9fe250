//! Forward-looking predictions: training the model bundle, discounted CLV for existing and new
//! customers, holdout evaluation.

pub mod batch;
pub mod bundle;
pub mod checks;
pub mod clv;
pub mod evaluation;
pub mod holdout;
pub mod intervals;
pub mod new_customers;
pub mod prospect_intervals;
pub mod prospects;
pub mod score;
pub mod selection;
pub mod table;
pub mod tracking;
pub mod train;

pub use bundle::Bundle;
pub use clv::{ClvSettings, customer_clv, new_customer_clv};
