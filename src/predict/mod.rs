//! Forward-looking predictions: discounted CLV for existing and new customers.

pub mod clv;
pub mod holdout;

pub use clv::{ClvSettings, customer_clv, new_customer_clv};
