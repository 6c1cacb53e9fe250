//! The history-based metrics of `clv describe` and `clv segment`'s cohort table as text.

use super::table;
use crate::features::cohort::CohortTable;
use crate::features::format_number;
use crate::features::metrics::{HistoryMetrics, LifespanSource};

pub fn history_metrics_text(m: &HistoryMetrics) -> String {
    let n = |v: f64| format_number((v * 100.0).round() / 100.0);
    let opt = |v: Option<f64>| v.map_or("-".to_string(), n);
    let source = match m.lifespan_source {
        LifespanSource::Given => "given",
        LifespanSource::OneOverChurnRate => "1 / annual churn rate",
        LifespanSource::Observed => "observed first-to-last purchase span",
    };
    let rows: Vec<Vec<String>> = [
        ("customers", m.customers.to_string()),
        ("orders", n(m.orders)),
        ("revenue", n(m.revenue)),
        ("observed window (years)", n(m.window_years)),
        (
            "average purchase value (revenue / orders)",
            n(m.apv_revenue_per_order),
        ),
        (
            "average purchase value (mean of customer averages)",
            n(m.apv_mean_of_customer_averages),
        ),
        ("average purchase frequency (orders / customers)", n(m.apf)),
        (
            "customer value, window (mean of spend x visits)",
            n(m.customer_value_mean_of_spend_x_visits),
        ),
        (
            "customer value, window (APV x APF)",
            n(m.customer_value_apv_x_apf),
        ),
        (
            "customer value per year (mean of spend x visits)",
            n(m.annual_value_mean_of_spend_x_visits),
        ),
        (
            "customer value per year (APV x APF)",
            n(m.annual_value_apv_x_apf),
        ),
        ("annual churn rate", opt(m.annual_churn_rate)),
        ("observed lifespan (years)", opt(m.lifespan_years_observed)),
        (
            "lifespan used (years)",
            format!("{} ({source})", n(m.lifespan_years)),
        ),
        (
            "historical CLV (mean of spend x visits)",
            n(m.historical_clv_mean_of_spend_x_visits),
        ),
        ("historical CLV (APV x APF)", n(m.historical_clv_apv_x_apf)),
        ("acquisition cost", opt(m.cac)),
        (
            "LTV:CAC (target 3:1)",
            match (m.ltv_to_cac, m.ltv_to_cac_meets_3_to_1) {
                (Some(r), Some(ok)) => {
                    format!(
                        "{}:1 ({})",
                        n(r),
                        if ok { "meets target" } else { "below target" }
                    )
                }
                _ => "- (give --cac)".into(),
            },
        ),
    ]
    .into_iter()
    .map(|(k, v)| vec![k.to_string(), v])
    .collect();
    table(&["metric", "value"], &rows)
}

/// The cohort table for the terminal: retention in percent, at most 12 months shown.
pub fn cohort_text(t: &CohortTable) -> String {
    const SHOWN: usize = 12;
    let width = t
        .cohorts
        .iter()
        .map(|c| c.retention.len())
        .max()
        .unwrap_or(0)
        .min(SHOWN);
    let mut headers = vec!["cohort".to_string(), "size".to_string()];
    headers.extend((0..width).map(|k| format!("m{k}")));
    let rows: Vec<Vec<String>> = t
        .cohorts
        .iter()
        .map(|c| {
            let mut row = vec![c.cohort.clone(), c.size.to_string()];
            row.extend(
                c.retention
                    .iter()
                    .take(SHOWN)
                    .map(|r| format_number((r * 1000.0).round() / 10.0) + "%"),
            );
            row
        })
        .collect();
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let more = if t.cohorts.iter().any(|c| c.retention.len() > SHOWN) {
        format!(" (first {SHOWN} months; --cohorts FILE has all)")
    } else {
        String::new()
    };
    format!(
        "Monthly cohort retention, share of each cohort buying in month k{more}:\n{}",
        table(&header_refs, &rows)
    )
}
