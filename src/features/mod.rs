//! Features: per-customer recency / frequency / monetary summaries and what is built on them.
//!
//! - [`summarize_path`] / [`summarize_reader`] (in `builder`): transactions to one
//!   [`CustomerSummary`] per customer, optionally split into calibration and holdout;
//! - `summary_csv`: writing summaries and reading them back ([`read_summary_csv`]);
//!   `summary_parquet`: the same from Parquet ([`read_summary_file`] takes either);
//! - [`metrics`]: history-based CLV metrics (`clv describe`);
//! - [`rfm`]: RFM quintile scores, named segments and the high-value flag;
//! - [`cohort`]: the monthly acquisition-cohort retention table.
//!
//! Conventions (those of Fader, Hardie & Lee and of `lifetimes`): purchases on the same calendar
//! day are one purchase (amounts summed); frequency `x` is the number of distinct purchase days
//! minus one; recency `t_x` is last minus first purchase day and age `T` is the end of
//! calibration minus the first purchase day, both divided by the unit's length in days; the
//! monetary value is the mean of the repeat purchases (first day excluded), zero when `x = 0`.
//! The calibration end is inclusive: purchases on that day count, and `T` is measured up to
//! it, so a customer first buying on 1997-01-01 with calibration end 1997-09-30 has
//! `T = 272 / 7 = 38.86` weeks.

pub mod builder;
pub mod cohort;
pub mod covariates;
pub mod discrete;
pub mod hash;
pub mod metrics;
pub mod rfm;
pub mod summary_csv;
pub mod summary_parquet;
pub mod summary_table;
#[cfg(test)]
pub(crate) mod test_support;

use std::str::FromStr;

use chrono::NaiveDate;
use serde::Serialize;

use crate::error::{ClvError, Result};

pub use builder::{
    SummaryOptions, TextColumn, TransactionTable, summarize_path, summarize_reader, summarize_table,
};
pub use summary_csv::{SummaryTable, read_summary_csv};
pub use summary_parquet::{read_summary_file, read_summary_parquet};

/// The unit that recency, age and holdout length are expressed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    /// A twenty-fourth of a day. Purchases are still counted by calendar day (the input's
    /// dates), so times in hours are the days' times times 24: pandas' freq="h" on daily
    /// data.
    Hour,
    Day,
    #[default]
    Week,
    /// An average month: 365.25 / 12 days.
    Month,
}

impl TimeUnit {
    /// Length of one unit in days.
    pub fn days_per_unit(self) -> f64 {
        match self {
            TimeUnit::Hour => 1.0 / 24.0,
            TimeUnit::Day => 1.0,
            TimeUnit::Week => 7.0,
            TimeUnit::Month => 365.25 / 12.0,
        }
    }

    /// `value` of this unit expressed in unit `to` (12 months = 52.18 weeks).
    pub fn convert(self, value: f64, to: TimeUnit) -> f64 {
        if self == to {
            value
        } else {
            value * self.days_per_unit() / to.days_per_unit()
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Hour => "hour",
            TimeUnit::Day => "day",
            TimeUnit::Week => "week",
            TimeUnit::Month => "month",
        }
    }
}

impl std::fmt::Display for TimeUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TimeUnit {
    type Err = ClvError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hour" | "hours" => Ok(TimeUnit::Hour),
            "day" | "days" => Ok(TimeUnit::Day),
            "week" | "weeks" => Ok(TimeUnit::Week),
            "month" | "months" => Ok(TimeUnit::Month),
            other => Err(ClvError::InvalidParameter(format!(
                "unknown time unit '{other}' (use hour, day, week or month)"
            ))),
        }
    }
}

/// Holdout-period statistics of one customer.
#[derive(Debug, Clone, PartialEq)]
pub struct Holdout {
    /// Distinct purchase days in the holdout.
    pub frequency: f64,
    /// Mean spend per holdout purchase day (zero without purchases).
    pub monetary_value: f64,
    /// Holdout length in units.
    pub duration: f64,
    /// Total holdout spend.
    pub spend: f64,
    /// Last holdout purchase day, in units after the calibration end (0 without holdout
    /// purchases): with it the full-history recency is known (training refits on it).
    pub last_purchase_after_calibration: f64,
}

/// One customer's calibration-period summary.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerSummary {
    pub customer_id: String,
    /// Repeat purchases `x`: distinct purchase days minus one.
    pub frequency: f64,
    /// `t_x`: last minus first purchase, in units.
    pub recency: f64,
    /// `T`: end of calibration minus first purchase, in units.
    pub t: f64,
    /// Mean amount of the repeat purchase days; zero when `x = 0`.
    pub monetary_value: f64,
    pub first_purchase: NaiveDate,
    pub last_purchase: NaiveDate,
    /// Transaction rows (several on one day count separately).
    pub orders: u64,
    pub total_spend: f64,
    /// Amount of the first purchase day.
    pub first_order_value: f64,
    pub holdout: Option<Holdout>,
    /// Values of the extra columns on the customer's earliest row (first in file among ties).
    pub extras: Vec<String>,
    /// Distinct calibration purchase days in units since the first purchase, ascending,
    /// starting with 0; filled only with `keep_purchase_times`.
    pub purchase_times: Vec<f64>,
}

/// Per-customer summaries and the settings they were built with.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub unit: TimeUnit,
    pub observation_end: NaiveDate,
    pub calibration_end: Option<NaiveDate>,
    pub extra_columns: Vec<String>,
    /// Sorted by customer id, numeric ids numerically and before the others.
    pub customers: Vec<CustomerSummary>,
    /// Customers whose first purchase is after the calibration end, left out of `customers`.
    pub customers_after_calibration: u64,
}

impl Summary {
    /// The end of the period `T` is measured to: the calibration end, else the observation end.
    pub fn calibration_period_end(&self) -> NaiveDate {
        self.calibration_end.unwrap_or(self.observation_end)
    }

    /// One row per customer: frequency, recency, T, monetary value.
    pub fn rfm_matrix(&self) -> ndarray::Array2<f64> {
        let mut m = ndarray::Array2::zeros((self.customers.len(), 4));
        for (i, c) in self.customers.iter().enumerate() {
            m[[i, 0]] = c.frequency;
            m[[i, 1]] = c.recency;
            m[[i, 2]] = c.t;
            m[[i, 3]] = c.monetary_value;
        }
        m
    }
}

/// Orders customer ids: all-digit ids numerically (and first), the others as text.
pub fn compare_ids(a: &str, b: &str) -> std::cmp::Ordering {
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    match (numeric(a), numeric(b)) {
        (true, true) => {
            let (ta, tb) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
            ta.len()
                .cmp(&tb.len())
                .then_with(|| ta.cmp(tb))
                .then_with(|| a.len().cmp(&b.len()))
        }
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

/// A number with up to 8 significant digits, trailing zeros dropped (`2`, `30.428571`,
/// `1234.56`): enough for times in days/weeks and money, short enough to read.
pub fn format_number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_finite() {
            "0".into()
        } else {
            v.to_string()
        };
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (7 - magnitude).clamp(0, 15) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_numerically_then_as_text() {
        let mut ids = vec!["10", "b", "9", "a", "010", "100", "2"];
        ids.sort_by(|a, b| compare_ids(a, b));
        assert_eq!(ids, vec!["2", "9", "10", "010", "100", "a", "b"]);
    }

    #[test]
    fn numbers_print_short_and_exact_enough() {
        assert_eq!(format_number(2.0), "2");
        assert_eq!(format_number(213.0 / 7.0), "30.428571");
        assert_eq!(format_number(1234.56), "1234.56");
        assert_eq!(format_number(0.1 + 0.2), "0.3");
        assert_eq!(format_number(-1e-20), "0");
        assert_eq!(format_number(0.000123456789), "0.00012345679");
        assert_eq!(format_number(123456789.4), "123456789");
        assert_eq!("30.428571".parse::<f64>().unwrap(), 30.428571);
        assert!((format_number(272.0 / 7.0).parse::<f64>().unwrap() - 38.857143).abs() < 1e-12);
        assert_eq!(TimeUnit::from_str("Month").unwrap(), TimeUnit::Month);
        assert!(TimeUnit::from_str("year").is_err());
        let hour = TimeUnit::from_str("hours").unwrap();
        assert_eq!((hour, hour.name()), (TimeUnit::Hour, "hour"));
        assert_eq!(hour.days_per_unit() * 24.0, 1.0);
    }
}
