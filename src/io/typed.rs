//! The result tables as typed columns (the CSV writers' columns, in their order), for
//! Parquet output: ids and labels as text, counts and ranks as integers, the rest as floats.

use std::borrow::Cow;

use crate::churn::AtRiskRow;
use crate::churn::jobs::ChurnScore;
use crate::persist::table::{Table, Values};
use crate::predict::prospects::{ProspectScore, Prospects};
use crate::predict::score::CustomerScore;
use crate::predict::table::Columns;

use super::columns::{Field, at_risk_fields, named, prospect_fields, score_fields};
use super::units::OutputUnits;

fn text<'a, T>(rows: &'a [T], f: impl Fn(&'a T) -> &'a str) -> Values<'a> {
    Values::Text(rows.iter().map(|r| Cow::Borrowed(f(r))).collect())
}

fn floats<T>(rows: &[T], f: impl Fn(&T) -> f64) -> Values<'static> {
    Values::Float(Cow::Owned(rows.iter().map(f).collect()))
}

/// Float columns of `fields`, named with their units.
fn push_fields<T>(t: &mut Table<'_>, rows: &[T], fields: &[Field<T>], units: &OutputUnits) {
    for (base, kind, f) in fields {
        t.push(named(base, *kind, units), floats(rows, f));
    }
}

/// `clv score`'s table ([`super::write_scores_csv`]'s columns; frequency as integers).
pub fn scores_table<'a>(
    rows: &'a [CustomerScore],
    units: &OutputUnits,
    intervals: bool,
) -> Table<'a> {
    let mut t = Table::default();
    t.push("customer_id", text(rows, |r| r.customer_id.as_str()));
    t.push(
        "frequency",
        Values::Int(rows.iter().map(|r| r.frequency as i64).collect()),
    );
    push_fields(&mut t, rows, &score_fields(intervals)[1..], units);
    t.push("segment", text(rows, |r| r.segment.as_str()));
    t.push(
        "at_risk",
        Values::Bool(rows.iter().map(|r| r.at_risk).collect()),
    );
    t
}

/// `clv predict`'s table ([`super::write_columns_csv`]'s columns), borrowing the values.
pub fn columns_table<'a>(ids: Option<&'a [String]>, columns: &'a Columns) -> Table<'a> {
    let mut t = Table::default();
    if let Some(ids) = ids {
        t.push("customer_id", text(ids, String::as_str));
    }
    for (name, values) in columns.names.iter().zip(&columns.values) {
        t.push(name.as_str(), Values::Float(Cow::Borrowed(values)));
    }
    t
}

/// `clv churn score`'s table ([`super::write_churn_scores_csv`]'s columns).
pub fn churn_scores_table(scores: &[ChurnScore]) -> Table<'_> {
    let mut t = Table::default();
    t.push("customer_id", text(scores, |c| c.customer_id.as_str()));
    t.push("churn_probability", floats(scores, |c| c.churn_probability));
    t.push("p_alive", floats(scores, |c| c.p_alive));
    t.push(
        "p_no_purchase_if_alive",
        floats(scores, |c| c.p_no_purchase_if_alive),
    );
    t.push(
        "expected_purchases_window",
        floats(scores, |c| c.expected_purchases_window),
    );
    t.push("total_spend", floats(scores, |c| c.total_spend));
    t
}

/// The at-risk list with `reasons` reason columns ([`super::write_at_risk_csv`]'s columns).
pub fn at_risk_table<'a>(rows: &'a [AtRiskRow], reasons: usize, units: &OutputUnits) -> Table<'a> {
    let mut t = Table::default();
    t.push(
        "rank",
        Values::Int(rows.iter().map(|r| r.rank as i64).collect()),
    );
    t.push("customer_id", text(rows, |r| r.customer_id.as_str()));
    push_fields(&mut t, rows, &at_risk_fields(), units);
    for k in 0..reasons {
        let values = text(rows, move |r| {
            r.reasons.get(k).map_or("", |x| x.description.as_str())
        });
        t.push(format!("reason_{}", k + 1), values);
    }
    t
}

/// The prospects' columns carried to the output: all but `first_order_value`, which the
/// output has as the value used.
pub(super) fn attribute_columns(prospects: &Prospects) -> Vec<usize> {
    (0..prospects.columns.len())
        .filter(|&j| prospects.columns[j] != "first_order_value")
        .collect()
}

/// `clv score-new`'s table ([`super::write_prospect_scores_csv`]'s columns).
pub fn prospect_scores_table<'a>(
    prospects: &'a Prospects,
    scores: &'a [ProspectScore],
    units: &OutputUnits,
    intervals: bool,
) -> Table<'a> {
    let mut t = Table::default();
    for j in attribute_columns(prospects) {
        let name = &prospects.columns[j];
        t.push(
            name.clone(),
            text(scores, move |s| {
                s.attributes.get(j).map_or("", String::as_str)
            }),
        );
    }
    push_fields(&mut t, scores, &prospect_fields(intervals), units);
    t
}
