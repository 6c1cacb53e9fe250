//! The decision-maker parts of the built report: the assumptions box, the at-risk list, the
//! model comparison from the bundle, and why a section's input is absent.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::{Assumptions, AtRiskList, ModelComparison, ReportData, model_name};
use crate::churn::AtRiskRow;
use crate::features::Summary;
use crate::predict::Bundle;
use crate::predict::intervals::IntervalSettings;
use crate::predict::score::{ScoreSettings, ScoreSummary};

/// The assumptions behind the report's money figures and model.
pub(super) fn assumptions(
    bundle: &Bundle,
    history: &Summary,
    calibration_end: Option<NaiveDate>,
    scoring: &ScoreSettings,
    churn_source: &str,
    intervals: Option<&IntervalSettings>,
) -> Assumptions {
    let first = history.customers.iter().map(|c| c.first_purchase).min();
    Assumptions {
        annual_discount_rate: scoring
            .clv
            .annual_discount_rate(history.unit.days_per_unit()),
        margin: scoring.clv.margin,
        model: model_name(&bundle.transaction_model.model),
        selection_rule: bundle.selection.rule.clone(),
        selection_reason: bundle.selection.reason.clone(),
        data_start: first.map(|d| d.to_string()),
        calibration_end: calibration_end.map(|d| d.to_string()),
        observation_end: history.observation_end.to_string(),
        churn_window: scoring.churn_window,
        churn_source: churn_source.to_string(),
        interval_level: intervals.map(|i| i.level),
        interval_draws: intervals.map(|i| i.draws),
    }
}

/// The at-risk list of a scoring run.
pub(super) fn at_risk_list(totals: &ScoreSummary, rows: Vec<AtRiskRow>) -> AtRiskList {
    AtRiskList {
        rule: totals.at_risk_rule.clone(),
        rows,
        customers_at_risk: totals.at_risk_customers as u64,
    }
}

/// The bundle's candidate models, `None` when it records none.
pub(super) fn model_comparison(bundle: &Bundle) -> Option<ModelComparison> {
    let s = &bundle.selection;
    (!s.candidates.is_empty()).then(|| ModelComparison {
        chosen: s.chosen.clone(),
        rule: s.rule.clone(),
        reason: s.reason.clone(),
        candidates: s.candidates.clone(),
        not_scored: s.not_scored.clone(),
    })
}

/// Why each absent section is absent, by section id.
pub(super) fn absent_reasons(
    data: &ReportData,
    has_holdout: bool,
    new_customer_error: Option<String>,
) -> BTreeMap<String, String> {
    let no_holdout = if has_holdout {
        "no customer has a holdout period to compare with"
    } else {
        "the bundle was trained without a holdout inside these data (no calibration end before \
         their last date)"
    };
    let mut out = BTreeMap::new();
    let mut absent = |id: &str, missing: bool, why: &str| {
        if missing {
            out.insert(id.to_string(), why.to_string());
        }
    };
    absent(
        "tracking",
        data.tracking.is_none(),
        "the summaries have no purchase times",
    );
    absent(
        "calibration-holdout",
        data.calibration_holdout.is_none(),
        no_holdout,
    );
    absent("churn", data.churn.is_none(), no_holdout);
    absent(
        "frequency-recency",
        data.frequency_recency.is_none(),
        "every customer was first seen at the end of the data, so there is no customer age",
    );
    absent(
        "cohorts",
        data.cohorts.is_none(),
        "the history has no acquisition cohorts to follow",
    );
    absent(
        "model-comparison",
        data.model_comparison.is_none(),
        "the bundle records no candidate models (the model was given, not chosen)",
    );
    if let Some(e) = new_customer_error.filter(|_| data.new_customers.is_none()) {
        out.insert(
            "new-customers".to_string(),
            format!("the new-customer value could not be computed ({e})"),
        );
    }
    out
}

/// The line under the title: customers, dates and models.
pub(super) fn subtitle(
    bundle: &Bundle,
    history: &Summary,
    calibration_end: Option<NaiveDate>,
) -> String {
    let first = history.customers.iter().map(|c| c.first_purchase).min();
    let dates = match first {
        Some(d) => format!("{d} to {}", history.observation_end),
        None => format!("to {}", history.observation_end),
    };
    let calibration = calibration_end.map_or_else(
        || "no holdout".to_string(),
        |d| format!("calibration to {d}"),
    );
    format!(
        "{} customers, {dates} ({calibration}); {} + {}",
        history.customers.len(),
        model_name(&bundle.transaction_model.model),
        model_name(&bundle.spend_model.model)
    )
}
