//! Forward-looking predictions: discounted CLV for existing and new customers.

pub mod clv;

pub use clv::{ClvSettings, customer_clv, new_customer_clv};
