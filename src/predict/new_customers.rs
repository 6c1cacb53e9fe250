//! The value of a new customer with its parameter-uncertainty interval, and the most one can
//! pay to acquire one: overall and per level of the first categorical acquisition attribute
//! (a channel), each computed exactly as `clv score-new` scores a prospect.
//!
//! The interval is [`super::prospect_intervals`]'s, the one `clv score-new --intervals` gives
//! the same prospect: parameter draws of the whole bundle (purchase model and Gamma-Gamma
//! spend), the groups' prospects scored with each drawn bundle; the value of all new customers
//! is, per draw, the customer-weighted mean of the groups'. The conservative maximum
//! acquisition cost is the lower interval end divided by the target LTV:CAC ratio.

use serde::{Deserialize, Serialize};

use super::bundle::Bundle;
use super::clv::ClvSettings;
use super::intervals::{Interval, IntervalSettings};
use super::prospect_intervals::{prospect_clv_draws, prospect_interval_unavailable, row_interval};
use super::prospects::{Prospects, score_prospects};
use crate::error::{ClvError, Result};
use crate::features::covariates::ColumnEncoding;

/// The value of one kind of new customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewCustomerValue {
    /// "all new customers", or the attribute level ("paid").
    pub group: String,
    /// The attribute the group is a level of (`channel`); `None` for all new customers.
    pub attribute: Option<String>,
    /// Training customers in the group (the weights of "all new customers").
    pub training_customers: usize,
    /// Expected CLV of a just-acquired customer: first order × margin + discounted repeat
    /// purchases × expected order value × margin.
    pub clv: f64,
    /// Parameter-uncertainty interval of the CLV; `None` when the fits have no covariance.
    pub clv_interval: Option<Interval>,
    /// CLV / target LTV:CAC.
    pub max_cac: f64,
    /// Lower interval end / target LTV:CAC: what one can pay when the model is pessimistic.
    pub conservative_max_cac: Option<f64>,
}

/// New-customer values, overall first, then per level; `interval_note` says why there are no
/// intervals when there are none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewCustomerValues {
    pub target_ltv_cac: f64,
    pub intervals: IntervalSettings,
    pub values: Vec<NewCustomerValue>,
    pub interval_note: Option<String>,
}

/// The groups scored: one prospect row per level of the first categorical attribute (numeric
/// attributes at their training mean, other categorical ones at their baseline), or a single
/// row without attributes when the bundle has no covariates.
fn group_prospects(bundle: &Bundle) -> (Prospects, Option<String>, Vec<(String, usize)>) {
    let Some(cov) = &bundle.covariates else {
        let prospects = Prospects {
            columns: vec![],
            rows: vec![vec![]],
            source: None,
        };
        return (prospects, None, vec![]);
    };
    let columns: Vec<String> = cov
        .encoding
        .columns
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let first = cov.encoding.columns.iter().find_map(|c| match c {
        ColumnEncoding::Categorical {
            name,
            baseline,
            levels,
            ..
        } => Some((name.clone(), baseline.clone(), levels.clone())),
        ColumnEncoding::Numeric { .. } => None,
    });
    let default_row = |attribute: Option<(&str, &str)>| -> Vec<String> {
        cov.encoding
            .columns
            .iter()
            .map(|c| match c {
                ColumnEncoding::Numeric { mean, .. } => format!("{mean}"),
                ColumnEncoding::Categorical { name, baseline, .. } => match attribute {
                    Some((a, level)) if a == name => level.to_string(),
                    _ => baseline.clone(),
                },
            })
            .collect()
    };
    let Some((name, baseline, levels)) = first else {
        let prospects = Prospects {
            columns,
            rows: vec![default_row(None)],
            source: None,
        };
        return (prospects, None, vec![]);
    };
    let mut all_levels = vec![baseline];
    all_levels.extend(levels);
    let groups: Vec<(String, usize)> = all_levels
        .iter()
        .map(|level| {
            let n = bundle
                .spend_by_group
                .get(&format!("{name}={level}"))
                .map_or(0, |g| g.customers);
            (level.clone(), n)
        })
        .collect();
    let rows = all_levels
        .iter()
        .map(|level| default_row(Some((&name, level))))
        .collect();
    let prospects = Prospects {
        columns,
        rows,
        source: None,
    };
    (prospects, Some(name), groups)
}

/// CLV per prospect row of `bundle`'s groups.
fn group_clv(bundle: &Bundle, prospects: &Prospects, clv: &ClvSettings) -> Result<Vec<f64>> {
    Ok(score_prospects(bundle, prospects, clv, 1.0)?
        .into_iter()
        .map(|s| s.clv)
        .collect())
}

/// The customer-weighted mean of per-level values (plain mean when no level has customers).
fn weighted_mean(values: &[f64], groups: &[(String, usize)]) -> f64 {
    let total: usize = groups.iter().map(|g| g.1).sum();
    if total == 0 {
        return values.iter().sum::<f64>() / values.len().max(1) as f64;
    }
    values
        .iter()
        .zip(groups)
        .map(|(v, g)| v * g.1 as f64)
        .sum::<f64>()
        / total as f64
}

/// New-customer CLV and maximum acquisition cost, overall and per level of the first
/// categorical attribute, with parameter-uncertainty intervals.
pub fn new_customer_values(
    bundle: &Bundle,
    clv: &ClvSettings,
    target_ltv_cac: f64,
    intervals: &IntervalSettings,
) -> Result<NewCustomerValues> {
    clv.validate()?;
    intervals.validate()?;
    if !(target_ltv_cac.is_finite() && target_ltv_cac > 0.0) {
        return Err(ClvError::InvalidParameter(format!(
            "the target LTV:CAC ratio must be > 0, got {target_ltv_cac}"
        )));
    }
    let (prospects, attribute, groups) = group_prospects(bundle);
    let point = group_clv(bundle, &prospects, clv)?;
    // Per draw: the value of every group, then of all new customers.
    let with_all = |values: Vec<f64>| -> Vec<f64> {
        let mut v = values;
        let all = if groups.is_empty() {
            v[0]
        } else {
            weighted_mean(&v, &groups)
        };
        v.insert(0, all);
        v
    };
    let point = if groups.is_empty() {
        point
    } else {
        with_all(point)
    };
    // The groups' draws are those `clv score-new --intervals` makes for the same prospects.
    let draws = match prospect_interval_unavailable(bundle) {
        Some(why) => Err(why),
        None => prospect_clv_draws(bundle, &prospects, clv, intervals)
            .map(|draws| {
                draws
                    .into_iter()
                    .map(|v| if groups.is_empty() { v } else { with_all(v) })
                    .collect::<Vec<Vec<f64>>>()
            })
            .map_err(|e| e.to_string()),
    };
    let (bounds, interval_note) = match draws {
        Ok(draws) => {
            let bounds: Vec<Interval> = (0..point.len())
                .map(|i| row_interval(&draws, i, intervals.level))
                .collect();
            (Some(bounds), None)
        }
        Err(why) => (None, Some(why)),
    };
    let total: usize = groups.iter().map(|g| g.1).sum();
    let names = std::iter::once(("all new customers".to_string(), None, total)).chain(
        groups
            .iter()
            .map(|(level, n)| (level.clone(), attribute.clone(), *n)),
    );
    let values = names
        .zip(point)
        .enumerate()
        .map(|(i, ((group, attribute, training_customers), clv))| {
            let clv_interval = bounds.as_ref().map(|b| b[i]);
            NewCustomerValue {
                group,
                attribute,
                training_customers: if i == 0 && groups.is_empty() {
                    bundle.training.customers
                } else {
                    training_customers
                },
                clv,
                clv_interval,
                max_cac: clv / target_ltv_cac,
                conservative_max_cac: clv_interval.map(|b| b.lower / target_ltv_cac),
            }
        })
        .collect();
    Ok(NewCustomerValues {
        target_ltv_cac,
        intervals: *intervals,
        values,
        interval_note,
    })
}
