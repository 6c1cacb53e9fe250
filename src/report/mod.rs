//! The self-contained HTML report: [`ReportData`] (plain numbers and labels, every section
//! optional) in, one HTML page with inline CSS and inline SVG charts out ([`render_html`]).
//!
//! No scripts, no external assets, no network. Every user string is escaped, every number
//! formatted for people, and non-finite values never reach a chart (they are dropped and the
//! section says so). A section whose input is absent is replaced by a short note.

pub mod build;
mod charts;
mod example;
mod heatmap;
pub mod html;
pub mod inputs;
pub mod metrics;
mod sections;
mod sections_model;
pub mod text;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::models::FitReport;
use crate::predict::holdout::FrequencyBin;

/// Everything the report shows. Built by the caller from the fitted models and predictions;
/// each `Option` section (or empty list) that is absent is skipped with a note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    /// Page title, e.g. "Customer value report — Acme".
    pub title: String,
    /// One line under the title: data source, dates, model used.
    #[serde(default)]
    pub subtitle: String,
    /// Plural name of the model's time unit, used on axes ("weeks", "days").
    pub time_unit: String,
    /// Currency shown with money: a symbol ("$") is a prefix, a code ("EUR") a suffix.
    pub currency: String,
    /// Length of the prediction horizon in `time_unit`s (for labels: "next 52 weeks").
    pub horizon: f64,
    /// Headline figures.
    #[serde(default)]
    pub headline: Option<Headline>,
    /// Actual vs expected repeat purchases per period.
    #[serde(default)]
    pub tracking: Option<Tracking>,
    /// Mean holdout purchases by calibration frequency ("0", "1", …, "7+"), actual vs predicted.
    #[serde(default)]
    pub calibration_holdout: Option<Vec<FrequencyBin>>,
    /// Expected purchases and P(alive) over a frequency × recency grid.
    #[serde(default)]
    pub frequency_recency: Option<FrequencyRecency>,
    /// Predicted CLV per customer.
    #[serde(default)]
    pub clv: Option<ClvDistribution>,
    /// CLV by RFM segment.
    #[serde(default)]
    pub segments: Option<GroupValues>,
    /// CLV by acquisition channel.
    #[serde(default)]
    pub channels: Option<GroupValues>,
    /// Churn classifier predictions and outcomes on held-out customers.
    #[serde(default)]
    pub churn: Option<ChurnEvaluation>,
    /// Share of each acquisition cohort still active, by months since acquisition.
    #[serde(default)]
    pub cohorts: Option<CohortRetention>,
    /// Fit reports of the models used (transaction model, spend model …); empty = skipped.
    #[serde(default)]
    pub fits: Vec<FitReport>,
}

/// The numbers at the top of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Headline {
    /// Number of customers scored.
    pub customers: u64,
    /// Mean probability of being alive over all customers (the active share), in [0, 1].
    pub mean_p_alive: f64,
    /// Total predicted revenue over the horizon, in `currency`.
    pub predicted_revenue: f64,
    /// Total predicted (discounted) CLV over the horizon, in `currency`.
    pub total_clv: f64,
    /// Customers counted as at risk.
    pub at_risk_customers: u64,
    /// Total value at risk of the customers at risk ((1 − P(alive)) × CLV if alive, the
    /// future value churn would cost), in `currency`.
    pub at_risk_value: f64,
    /// How "at risk" was defined, shown with the figure (e.g. "P(alive) below 30%").
    #[serde(default)]
    pub at_risk_rule: String,
}

/// Repeat purchases per period across calibration and holdout (the tracking plot).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tracking {
    /// End of each period, in `time_unit`s since the start of the calibration period.
    pub period_end: Vec<f64>,
    /// Actual repeat purchases of the cohort in each period (not cumulative).
    pub actual: Vec<f64>,
    /// Model-expected repeat purchases in each period (not cumulative).
    pub expected: Vec<f64>,
    /// End of the calibration period, in `time_unit`s since its start.
    pub calibration_end: f64,
}

/// A frequency × recency grid computed by the caller with the fitted model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrequencyRecency {
    /// Repeat-purchase counts, one per matrix row (e.g. 0..=20).
    pub frequency: Vec<f64>,
    /// Recency values (time of last purchase since the first, in `time_unit`s), one per column.
    pub recency: Vec<f64>,
    /// Customer age T used for every cell, in `time_unit`s.
    pub age: f64,
    /// Expected purchases over the horizon, `[row = frequency][column = recency]`.
    pub expected_purchases: Vec<Vec<f64>>,
    /// P(alive), `[row = frequency][column = recency]`, in [0, 1].
    pub p_alive: Vec<Vec<f64>>,
}

/// Predicted CLV per customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClvDistribution {
    /// Predicted CLV of each customer over the horizon, in `currency`.
    pub values: Vec<f64>,
    /// Customer ids in the same order (optional: enables the top-customers table).
    #[serde(default)]
    pub customer_ids: Vec<String>,
}

/// CLV totals of named groups of customers (segments, channels).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupValues {
    /// Group names, in display order.
    pub names: Vec<String>,
    /// Customers in each group.
    pub customers: Vec<u64>,
    /// Total predicted CLV of each group, in `currency`.
    pub total_clv: Vec<f64>,
}

/// Churn classifier scores on customers whose outcome is known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChurnEvaluation {
    /// Predicted probability of churning, per customer, in [0, 1].
    pub predicted: Vec<f64>,
    /// Whether each customer actually churned.
    pub churned: Vec<bool>,
    /// How churn was defined (e.g. "no purchase in the 26-week holdout").
    #[serde(default)]
    pub definition: String,
}

/// Retention of acquisition cohorts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortRetention {
    /// Cohort labels, oldest first (e.g. "2024-01").
    pub cohorts: Vec<String>,
    /// Customers acquired in each cohort.
    pub sizes: Vec<u64>,
    /// Share active, `[cohort][months since acquisition]`, in [0, 1]; rows may be shorter
    /// for young cohorts.
    pub share_active: Vec<Vec<f64>>,
}

/// Renders the report as one self-contained HTML page.
///
/// Errors (`InvalidParameter`) only for inconsistent input, e.g. lists of different lengths
/// or a grid whose shape does not match its axes; absent sections are not errors.
pub fn render_html(data: &ReportData) -> Result<String> {
    let sections: Vec<(&str, &str, String)> = vec![
        ("headline", "Headline", sections::headline(data)),
        (
            "tracking",
            "Tracking: actual vs expected purchases",
            sections::tracking(data)?,
        ),
        (
            "calibration-holdout",
            "Calibration vs holdout",
            sections::calibration_holdout(data)?,
        ),
        (
            "frequency-recency",
            "Frequency–recency",
            sections::frequency_recency(data)?,
        ),
        ("clv", "Customer lifetime value", sections::clv(data)?),
        ("churn", "Churn model", sections_model::churn(data)?),
        (
            "cohorts",
            "Acquisition-cohort retention",
            sections_model::cohorts(data)?,
        ),
        ("fit", "Model fit", sections_model::fit(data)),
    ];
    let mut body = String::new();
    let mut nav = Vec::new();
    for (id, heading, content) in sections {
        body.push_str(&html::section(id, heading, &content));
        nav.push((id.to_string(), heading.to_string()));
    }
    Ok(html::page(&data.title, &data.subtitle, &nav, &body))
}

/// Checks that `len` matches `expected`, naming the field otherwise.
fn same_len(field: &str, len: usize, expected: usize) -> Result<()> {
    if len == expected {
        Ok(())
    } else {
        Err(crate::error::ClvError::InvalidParameter(format!(
            "report: {field} has {len} entries, expected {expected}"
        )))
    }
}
