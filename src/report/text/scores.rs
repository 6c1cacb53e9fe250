//! Scores as text: the portfolio summary of `clv score`, the at-risk table, the report's
//! one-line summary.

use super::table;
use crate::churn::AtRiskRow;
use crate::features::format_number;
use crate::predict::Bundle;
use crate::predict::clv::ClvSettings;
use crate::predict::prospects::BudgetRow;
use crate::predict::score::{ScoreSettings, ScoreSummary};
use crate::report::ReportData;
use crate::report::html::money;

/// The assumptions of a CLV figure in words: "over 52 weeks, discount 10% a year (0.1834% per
/// week), margin 0.3", with ": CLV is revenue" at margin 1.
pub fn clv_assumptions(clv: &ClvSettings, bundle: &Bundle) -> String {
    let unit = &bundle.time_unit;
    format!(
        "over {} {unit}s, discount {}% a year ({:.4}% per {unit}), margin {}{}",
        format_number(clv.horizon),
        format_number(
            100.0 * clv.annual_discount_rate(bundle.unit().map_or(1.0, |u| u.days_per_unit()))
        ),
        100.0 * clv.discount_per_period,
        clv.margin,
        if clv.margin == 1.0 {
            ": CLV is revenue"
        } else {
            ""
        },
    )
}

/// The portfolio summary a marketer reads first, money in `currency` (a code: `USD`).
pub fn portfolio_text(
    t: &ScoreSummary,
    bundle: &Bundle,
    s: &ScoreSettings,
    currency: &str,
) -> String {
    let unit = &bundle.time_unit;
    let mut text = format!(
        "{} customers scored with {} + gamma-gamma over {} {unit}s\n\
         active share (mean P(alive)): {:.1}%\n\
         predicted revenue: {:.2} {currency}   CLV: {:.2} {currency} ({})\n\
         at risk: {} customers, value at risk {:.2} {currency} ({})\n\
         churn probability from: {}\n\n",
        t.customers,
        bundle.transaction_model.model,
        format_number(s.clv.horizon),
        100.0 * t.mean_p_alive,
        t.total_predicted_revenue,
        t.total_clv,
        clv_assumptions(&s.clv, bundle),
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
        &[
            "CLV decile",
            "customers",
            &format!("mean CLV ({currency})"),
            "share of CLV",
        ],
        &rows,
    ));
    text
}

/// `clv score-new`'s budget table for the terminal, money in `currency` (a code: `USD`); with
/// the conservative maximum CAC (the report's bound) when every row has one.
pub fn budget_text(budget: &[BudgetRow], currency: &str) -> String {
    let conservative =
        !budget.is_empty() && budget.iter().all(|b| b.max_cac_conservative.is_some());
    let rows: Vec<Vec<String>> = budget
        .iter()
        .map(|b| {
            let mut row = vec![
                b.group.clone(),
                format_number(b.prospects),
                format!("{:.2}", b.mean_clv),
                format!("{:.2}", b.max_cac),
            ];
            if conservative {
                row.push(format!("{:.2}", b.max_cac_conservative.unwrap_or(f64::NAN)));
            }
            row.push(format!("{:.2}", b.total_budget));
            row
        })
        .collect();
    let mut header = vec![
        "group".to_string(),
        "prospects".to_string(),
        format!("expected CLV ({currency})"),
        format!("max CAC ({currency})"),
    ];
    if conservative {
        header.push(format!("conservative max CAC ({currency})"));
    }
    header.push(format!("budget ({currency})"));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    table(&header, &rows)
}

/// What the conservative maximum CAC of [`budget_text`] is, in one line.
pub fn conservative_cac_note(level: f64, draws: usize, target_ltv_cac: f64) -> String {
    format!(
        "conservative max CAC: the lower end of the {:.0}% CLV interval ({draws} parameter draws of \
         the whole bundle, as in the report) / {}\n",
        100.0 * level,
        format_number(target_ltv_cac)
    )
}

/// The first `limit` rows as a readable table, money in `currency` (a code: `USD`).
pub fn at_risk_table(rows: &[AtRiskRow], limit: usize, currency: &str) -> String {
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
            &format!("CLV if alive ({currency})"),
            &format!("value at risk ({currency})"),
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
