//! The self-contained HTML report: [`ReportData`] (plain numbers and labels, every section
//! optional) in, one HTML page with inline CSS and inline SVG charts out ([`render_html`]).
//!
//! No scripts, no external assets, no network. Every user string is escaped, every number
//! formatted for people, and non-finite values never reach a chart (they are dropped and the
//! section says so). A section whose input is absent is replaced by a short note.

pub mod build;
mod build_decision;
mod build_groups;
mod charts;
mod example;
mod heatmap;
pub mod html;
pub mod inputs;
pub mod metrics;
mod names;
mod sections;
pub mod sections_decision;
mod sections_model;
pub mod text;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::churn::AtRiskRow;
use crate::error::Result;
use crate::models::FitReport;
use crate::predict::bundle::{Candidate, NotScored};
use crate::predict::holdout::FrequencyBin;
use crate::predict::intervals::Interval;
use crate::predict::new_customers::NewCustomerValues;

pub use names::model_name;

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
    /// What the money figures assume and where the model came from.
    #[serde(default)]
    pub assumptions: Option<Assumptions>,
    /// The at-risk list with reasons (the library's one definition, as `clv at-risk`).
    #[serde(default)]
    pub at_risk: Option<AtRiskList>,
    /// New-customer CLV and maximum acquisition cost, overall and by channel.
    #[serde(default)]
    pub new_customers: Option<NewCustomerValues>,
    /// The candidate transaction models on the holdout and why one was chosen.
    #[serde(default)]
    pub model_comparison: Option<ModelComparison>,
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
    /// Why a section's input is absent, by section id ("calibration-holdout": "no holdout");
    /// a section without input is left out and listed with this reason.
    #[serde(default)]
    pub absent: BTreeMap<String, String>,
}

/// The assumptions behind every money figure and the model, shown in a box near the top.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assumptions {
    /// Annual discount rate (0.10 = 10% a year).
    pub annual_discount_rate: f64,
    /// Share of revenue kept as margin, in (0, 1]; 1 means CLV figures are revenue.
    pub margin: f64,
    /// Full name of the transaction model ("BG/NBD (beta-geometric / NBD)").
    pub model: String,
    /// How the model was chosen (the rule) and why it won, as the bundle records it.
    pub selection_rule: String,
    #[serde(default)]
    pub selection_reason: String,
    /// Dates of the data (YYYY-MM-DD): first purchase, end of the calibration period (when
    /// there was a holdout) and end of the data.
    #[serde(default)]
    pub data_start: Option<String>,
    #[serde(default)]
    pub calibration_end: Option<String>,
    pub observation_end: String,
    /// Window of the churn probability in `time_unit`s, and where the probability comes from.
    pub churn_window: f64,
    #[serde(default)]
    pub churn_source: String,
    /// Level and draws of the intervals; `None`: no intervals.
    #[serde(default)]
    pub interval_level: Option<f64>,
    #[serde(default)]
    pub interval_draws: Option<usize>,
}

/// The at-risk list, ranked by value at risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtRiskList {
    /// The rule in words.
    pub rule: String,
    /// The ranked rows (possibly only the first of a longer list).
    pub rows: Vec<AtRiskRow>,
    /// Customers at risk in all.
    pub customers_at_risk: u64,
}

/// The candidate transaction models compared on the holdout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelComparison {
    /// Code of the chosen model (`bgnbd`).
    pub chosen: String,
    pub rule: String,
    #[serde(default)]
    pub reason: String,
    pub candidates: Vec<Candidate>,
    #[serde(default)]
    pub not_scored: Vec<NotScored>,
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
    /// Parameter-uncertainty interval of the total CLV, when computed.
    #[serde(default)]
    pub total_clv_interval: Option<Interval>,
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
    /// Calendar date of time 0 (YYYY-MM-DD) and days per time unit: the axis then shows
    /// dates; without them it shows time since the start.
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub days_per_unit: Option<f64>,
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
/// Sections whose input is absent are left out and listed at the end with the reason
/// ([`ReportData::absent`], or "not supplied"). Errors (`InvalidParameter`) only for
/// inconsistent input, e.g. lists of different lengths or a grid whose shape does not match
/// its axes.
pub fn render_html(data: &ReportData) -> Result<String> {
    let nonempty = |v: Option<usize>| v.is_some_and(|n| n > 0);
    let clv_present = nonempty(data.clv.as_ref().map(|c| c.values.len()))
        || nonempty(data.segments.as_ref().map(|g| g.names.len()))
        || nonempty(data.channels.as_ref().map(|g| g.names.len()));
    type Render<'a> = Box<dyn Fn() -> Result<String> + 'a>;
    // (id, heading, spans both columns, input present, body)
    let sections: Vec<(&str, &str, bool, bool, Render)> = vec![
        (
            "headline",
            "What to do",
            true,
            data.headline.is_some(),
            Box::new(|| Ok(sections_decision::headline(data))),
        ),
        (
            "assumptions",
            "Assumptions",
            false,
            data.assumptions.is_some(),
            Box::new(|| Ok(sections_decision::assumptions(data))),
        ),
        (
            "model-comparison",
            "Model comparison",
            false,
            nonempty(data.model_comparison.as_ref().map(|m| m.candidates.len())),
            Box::new(|| Ok(sections_decision::model_comparison(data))),
        ),
        (
            "at-risk",
            "Customers at risk",
            true,
            data.at_risk.is_some(),
            Box::new(|| Ok(sections_decision::at_risk(data))),
        ),
        (
            "new-customers",
            "New customers: value and maximum acquisition cost",
            true,
            nonempty(data.new_customers.as_ref().map(|n| n.values.len())),
            Box::new(|| Ok(sections_decision::new_customers(data))),
        ),
        (
            "clv",
            "Customer lifetime value",
            false,
            clv_present,
            Box::new(|| sections::clv(data)),
        ),
        (
            "tracking",
            "Tracking: actual vs expected purchases",
            false,
            data.tracking.is_some(),
            Box::new(|| sections::tracking(data)),
        ),
        (
            "calibration-holdout",
            "Calibration vs holdout",
            false,
            nonempty(data.calibration_holdout.as_ref().map(Vec::len)),
            Box::new(|| sections::calibration_holdout(data)),
        ),
        (
            "frequency-recency",
            "Frequency–recency",
            false,
            data.frequency_recency.is_some(),
            Box::new(|| sections::frequency_recency(data)),
        ),
        (
            "churn",
            "Churn model",
            false,
            nonempty(data.churn.as_ref().map(|c| c.predicted.len())),
            Box::new(|| sections_model::churn(data)),
        ),
        (
            "cohorts",
            "Acquisition-cohort retention",
            false,
            nonempty(data.cohorts.as_ref().map(|c| c.cohorts.len())),
            Box::new(|| sections_model::cohorts(data)),
        ),
        (
            "fit",
            "Model fit",
            false,
            !data.fits.is_empty(),
            Box::new(|| Ok(sections_model::fit(data))),
        ),
    ];
    let mut body = String::new();
    let mut nav = Vec::new();
    let mut left_out = Vec::new();
    for (id, heading, wide, present, render) in sections {
        if !present {
            let why = data
                .absent
                .get(id)
                .map_or("its input was not supplied", String::as_str);
            left_out.push(format!("{heading}: {why}."));
            continue;
        }
        body.push_str(&html::section(id, heading, wide, &render()?));
        nav.push((id.to_string(), heading.to_string()));
    }
    if !left_out.is_empty() {
        let items: String = left_out
            .iter()
            .map(|l| format!("<li>{}</li>\n", html::escape(l)))
            .collect();
        let heading = "Not in this report";
        body.push_str(&html::section(
            "not-shown",
            heading,
            true,
            &format!("<ul class=\"not-shown\">\n{items}</ul>\n"),
        ));
        nav.push(("not-shown".to_string(), heading.to_string()));
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
