//! The columns of the result tables (`clv score`, `at-risk`, `score-new`, its budget table,
//! `segment` and its cohorts, `predict`, `churn score`, `track`), each listed once with its
//! kind, so that the CSV writers, the Parquet tables and the sidecar agree on names, order and
//! units.

use super::units::{ColumnKind, ColumnSpec, OutputUnits};
use crate::churn::AtRiskRow;
use crate::features::rfm::RfmScore;
use crate::predict::prospects::{BudgetRow, ProspectScore};
use crate::predict::score::CustomerScore;

/// A number column: its name without the unit, its kind and its value in a row.
pub(super) type Field<T> = (&'static str, ColumnKind, fn(&T) -> f64);

/// A column's name with its unit: times in the table's unit, money in its currency.
pub(super) fn named(base: &str, kind: ColumnKind, units: &OutputUnits) -> String {
    match kind {
        ColumnKind::Time => units.time_column(base),
        ColumnKind::Money => units.money_column(base),
        _ => base.to_string(),
    }
}

fn spec(base: &str, kind: ColumnKind, units: &OutputUnits) -> ColumnSpec {
    ColumnSpec {
        name: named(base, kind, units),
        kind,
    }
}

fn specs<T>(fields: &[Field<T>], units: &OutputUnits) -> Vec<ColumnSpec> {
    fields.iter().map(|(b, k, _)| spec(b, *k, units)).collect()
}

/// The interval bound of a row, NaN (an empty cell) where there is none.
fn bound(i: Option<crate::predict::intervals::Interval>, upper: bool) -> f64 {
    i.map_or(f64::NAN, |i| if upper { i.upper } else { i.lower })
}

/// `clv score`'s number columns (between customer_id and segment, at_risk); with `intervals`
/// the CLV's lower and upper bounds follow it.
pub(super) fn score_fields(intervals: bool) -> Vec<Field<CustomerScore>> {
    use ColumnKind::*;
    let mut f: Vec<Field<CustomerScore>> = vec![
        ("frequency", Count, |r| r.frequency),
        ("recency", Time, |r| r.recency),
        ("T", Time, |r| r.t),
        ("total_spend", Money, |r| r.total_spend),
        ("p_alive", Probability, |r| r.p_alive),
        ("churn_probability", Probability, |r| r.churn_probability),
        ("p_no_purchase_if_alive", Probability, |r| {
            r.p_no_purchase_if_alive
        }),
        ("expected_purchases", Count, |r| r.expected_purchases),
        ("expected_avg_spend", Money, |r| r.expected_avg_spend),
        ("predicted_revenue", Money, |r| r.predicted_revenue),
        ("clv", Money, |r| r.clv),
    ];
    if intervals {
        f.push(("clv_low", Money, |r| bound(r.clv_interval, false)));
        f.push(("clv_high", Money, |r| bound(r.clv_interval, true)));
    }
    f.push(("value_at_risk", Money, |r| r.value_at_risk));
    f
}

/// `clv score`'s columns, in order.
pub fn score_columns(units: &OutputUnits, intervals: bool) -> Vec<ColumnSpec> {
    let mut out = vec![spec("customer_id", ColumnKind::Text, units)];
    out.extend(specs(&score_fields(intervals), units));
    out.push(spec("segment", ColumnKind::Text, units));
    out.push(spec("at_risk", ColumnKind::Text, units));
    out
}

/// The at-risk list's number columns (after rank and customer_id).
pub(super) fn at_risk_fields() -> [Field<AtRiskRow>; 5] {
    use ColumnKind::*;
    [
        ("churn_probability", Probability, |r| r.churn_probability),
        ("p_alive", Probability, |r| r.p_alive),
        ("clv", Money, |r| r.clv),
        ("clv_if_alive", Money, |r| r.clv_if_alive),
        ("value_at_risk", Money, |r| r.value_at_risk),
    ]
}

/// The at-risk list's columns with `reasons` reason columns.
pub fn at_risk_columns(units: &OutputUnits, reasons: usize) -> Vec<ColumnSpec> {
    let mut out = vec![
        spec("rank", ColumnKind::Score, units),
        spec("customer_id", ColumnKind::Text, units),
    ];
    out.extend(specs(&at_risk_fields(), units));
    out.extend((1..=reasons).map(|k| ColumnSpec {
        name: format!("reason_{k}"),
        kind: ColumnKind::Text,
    }));
    out
}

/// `clv score-new`'s number columns (after the prospects' attribute columns); with
/// `intervals` the CLV's bounds and the maximum CAC from the lower bound.
pub(super) fn prospect_fields(intervals: bool) -> Vec<Field<ProspectScore>> {
    use ColumnKind::*;
    let mut f: Vec<Field<ProspectScore>> = vec![
        ("expected_repeat_purchases", Count, |s| {
            s.expected_repeat_purchases
        }),
        ("expected_order_value", Money, |s| s.expected_order_value),
        ("first_order_value", Money, |s| s.first_order_value),
        ("clv", Money, |s| s.clv),
    ];
    if intervals {
        f.push(("clv_low", Money, |s| bound(s.clv_interval, false)));
        f.push(("clv_high", Money, |s| bound(s.clv_interval, true)));
    }
    f.push(("max_cac", Money, |s| s.max_cac));
    if intervals {
        f.push(("max_cac_conservative", Money, |s| {
            s.max_cac_conservative.unwrap_or(f64::NAN)
        }));
    }
    f
}

/// `clv score-new`'s columns: the attribute columns `attributes`, then the values.
pub fn prospect_columns(
    attributes: &[&str],
    units: &OutputUnits,
    intervals: bool,
) -> Vec<ColumnSpec> {
    let mut out: Vec<ColumnSpec> = attributes
        .iter()
        .map(|a| spec(a, ColumnKind::Text, units))
        .collect();
    out.extend(specs(&prospect_fields(intervals), units));
    out
}

/// The budget table's number columns (after `group`).
pub(super) fn budget_fields() -> [Field<BudgetRow>; 4] {
    use ColumnKind::*;
    [
        ("prospects", Count, |b| b.prospects),
        ("mean_clv", Money, |b| b.mean_clv),
        ("max_cac", Money, |b| b.max_cac),
        ("budget", Money, |b| b.total_budget),
    ]
}

/// The budget table's columns (`clv score-new --budget-output`).
pub fn budget_columns(units: &OutputUnits) -> Vec<ColumnSpec> {
    let mut out = vec![spec("group", ColumnKind::Text, units)];
    out.extend(specs(&budget_fields(), units));
    out
}

/// `clv segment`'s number columns (after customer_id; r, f, m, segment, high_value follow).
pub(super) fn segment_fields() -> [Field<RfmScore>; 5] {
    use ColumnKind::*;
    [
        ("days_since_last_purchase", Days, |s| s.recency_days as f64),
        ("expected_gap_days", Days, |s| {
            s.expected_gap_days.unwrap_or(f64::NAN)
        }),
        ("orders", Count, |s| s.orders as f64),
        ("total_spend", Money, |s| s.total_spend),
        ("average_order_value", Money, |s| s.average_order_value),
    ]
}

/// `clv segment`'s columns.
pub fn segment_columns(units: &OutputUnits) -> Vec<ColumnSpec> {
    let mut out = vec![spec("customer_id", ColumnKind::Text, units)];
    out.extend(specs(&segment_fields(), units));
    for s in ["r", "f", "m"] {
        out.push(spec(s, ColumnKind::Score, units));
    }
    out.push(spec("segment", ColumnKind::Text, units));
    out.push(spec("high_value", ColumnKind::Text, units));
    out
}

/// The kind of a `clv predict` column, from its name ([`crate::predict::table`]'s names):
/// times in the model's unit, spend and revenue money, P(...) probabilities, the rest counts.
/// `discrete` (a BG/BB pattern table): recency and periods count opportunities.
fn predict_kind(name: &str, discrete: bool) -> ColumnKind {
    use ColumnKind::*;
    match name {
        "recency" | "T" if !discrete => Time,
        "expected_avg_spend" | "predicted_revenue" | "clv" => Money,
        "probability" => Probability,
        n if n == "p_alive" || n.starts_with("p_alive_") || n.starts_with("p_no_purchase") => {
            Probability
        }
        n if n.starts_with("p_purchases_") => Probability,
        _ => Count,
    }
}

/// `clv predict`'s columns: `customer_id` when there are ids, then `names` (the prediction
/// table's, in order); `discrete` for a BG/BB pattern table.
pub fn predict_columns(ids: bool, names: &[String], discrete: bool) -> Vec<ColumnSpec> {
    let mut out: Vec<ColumnSpec> = Vec::new();
    if ids {
        out.push(ColumnSpec {
            name: "customer_id".into(),
            kind: ColumnKind::Text,
        });
    }
    out.extend(names.iter().map(|n| ColumnSpec {
        name: n.clone(),
        kind: predict_kind(n, discrete),
    }));
    out
}

fn plain(columns: &[(&str, ColumnKind)]) -> Vec<ColumnSpec> {
    columns
        .iter()
        .map(|(name, kind)| ColumnSpec {
            name: (*name).to_string(),
            kind: *kind,
        })
        .collect()
}

/// `clv summarize`'s columns (lifetimes' names, kept for compatibility: the units are in the
/// sidecar): times in the summary's unit, money in the currency of the input's amounts, the
/// holdout columns when `holdout`, then the input's extra columns as text.
pub fn summary_columns(holdout: bool, extra_columns: &[String]) -> Vec<ColumnSpec> {
    use ColumnKind::*;
    let mut out = plain(&[
        ("customer_id", Text),
        ("frequency", Count),
        ("recency", Time),
        ("T", Time),
        ("monetary_value", Money),
        ("first_purchase", Date),
        ("orders", Count),
        ("total_spend", Money),
    ]);
    if holdout {
        out.extend(plain(&[
            ("frequency_holdout", Count),
            ("monetary_value_holdout", Money),
            ("duration_holdout", Time),
        ]));
    }
    out.extend(extra_columns.iter().map(|name| ColumnSpec {
        name: name.clone(),
        kind: Text,
    }));
    out
}

/// `clv churn score`'s columns (total_spend in the currency of the input's amounts).
pub fn churn_score_columns() -> Vec<ColumnSpec> {
    use ColumnKind::*;
    plain(&[
        ("customer_id", Text),
        ("churn_probability", Probability),
        ("p_alive", Probability),
        ("p_no_purchase_if_alive", Probability),
        ("expected_purchases_window", Count),
        ("total_spend", Money),
    ])
}

/// `clv track`'s columns: the period number, its last day, cumulative and per-period actual
/// and expected repeat transactions.
pub fn tracking_columns() -> Vec<ColumnSpec> {
    use ColumnKind::*;
    plain(&[
        ("period", Count),
        ("last_day", Date),
        ("actual", Count),
        ("expected", Count),
        ("actual_incremental", Count),
        ("expected_incremental", Count),
    ])
}

/// `clv track --customer`'s columns: age in the model's unit and P(alive).
pub fn alive_path_columns() -> Vec<ColumnSpec> {
    plain(&[
        ("age", ColumnKind::Time),
        ("p_alive", ColumnKind::Probability),
    ])
}

/// `clv segment --cohorts`' columns: the cohort's month, its size, and the share of it still
/// buying in each of `months` months since acquisition.
pub fn cohort_columns(months: usize) -> Vec<ColumnSpec> {
    let mut out = plain(&[("cohort", ColumnKind::Date), ("size", ColumnKind::Count)]);
    out.extend((0..months).map(|k| ColumnSpec {
        name: format!("month_{k}"),
        kind: ColumnKind::Probability,
    }));
    out
}
