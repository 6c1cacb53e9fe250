//! Scores as text: the portfolio summary of `clv score`, the at-risk table, the report's
//! one-line summary.

use super::table;
use crate::churn::AtRiskRow;
use crate::predict::Bundle;
use crate::predict::score::{ScoreSettings, ScoreSummary};
use crate::report::ReportData;
use crate::report::html::money;

/// The portfolio summary a marketer reads first.
pub fn portfolio_text(t: &ScoreSummary, bundle: &Bundle, s: &ScoreSettings) -> String {
    let unit = &bundle.time_unit;
    let mut text = format!(
        "{} customers scored with {} + gamma-gamma over {} {unit}s (discount {}% a year = {:.4}% per {unit}, margin {}{})\n\
         active share (mean P(alive)): {:.1}%\n\
         predicted revenue: {:.2}   CLV: {:.2}\n\
         at risk: {} customers, value at risk {:.2} ({})\n\
         churn probability from: {}\n\n",
        t.customers,
        bundle.transaction_model.model,
        crate::features::format_number(s.clv.horizon),
        crate::features::format_number(
            100.0
                * s.clv
                    .annual_discount_rate(bundle.unit().map_or(1.0, |u| u.days_per_unit()))
        ),
        100.0 * s.clv.discount_per_period,
        s.clv.margin,
        if s.clv.margin == 1.0 {
            ": CLV figures are revenue"
        } else {
            ""
        },
        100.0 * t.mean_p_alive,
        t.total_predicted_revenue,
        t.total_clv,
        t.at_risk_customers,
        t.at_risk_value,
        t.at_risk_rule,
        t.churn_source,
    );
    let rows: Vec<Vec<String>> = t
        .deciles
        .iter()
        .map(|d| {
            vec![
                d.decile.to_string(),
                d.customers.to_string(),
                format!("{:.2}", d.mean_clv),
                format!("{:.1}%", 100.0 * d.share_of_clv),
            ]
        })
        .collect();
    text.push_str(&table(
        &["CLV decile", "customers", "mean CLV", "share of CLV"],
        &rows,
    ));
    text
}

/// The first `limit` rows as a readable table.
pub fn at_risk_table(rows: &[AtRiskRow], limit: usize) -> String {
    if rows.is_empty() {
        return "no customer is at risk with these settings\n".to_string();
    }
    let shown: Vec<Vec<String>> = rows
        .iter()
        .take(limit)
        .map(|r| {
            vec![
                r.rank.to_string(),
                r.customer_id.clone(),
                format!("{:.3}", r.churn_probability),
                format!("{:.3}", r.p_alive),
                format!("{:.2}", r.clv_if_alive),
                format!("{:.2}", r.value_at_risk),
                r.reasons
                    .iter()
                    .map(|x| x.description.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "rank",
            "customer",
            "churn p",
            "P(alive)",
            "CLV if alive",
            "value at risk",
            "reasons",
        ],
        &shown,
    );
    if rows.len() > limit {
        out.push_str(&format!(
            "... {} more customers at risk\n",
            rows.len() - limit
        ));
    }
    out
}

/// Customers, CLV and the sections that had data, in one line.
pub fn report_summary_line(data: &ReportData) -> String {
    let present = [
        ("tracking", data.tracking.is_some()),
        ("calibration-holdout", data.calibration_holdout.is_some()),
        ("frequency-recency", data.frequency_recency.is_some()),
        ("segments", data.segments.is_some()),
        ("channels", data.channels.is_some()),
        ("churn", data.churn.is_some()),
        ("cohorts", data.cohorts.is_some()),
    ];
    let sections: Vec<&str> = present.iter().filter(|p| p.1).map(|p| p.0).collect();
    match &data.headline {
        Some(h) => format!(
            "{} customers, total CLV {} over {} {}, {} at risk; sections: {}",
            h.customers,
            money(h.total_clv, &data.currency),
            data.horizon,
            data.time_unit,
            h.at_risk_customers,
            sections.join(", ")
        ),
        None => format!("sections: {}", sections.join(", ")),
    }
}
