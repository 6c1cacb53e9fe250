//! The at-risk list: customers likely to churn and worth saving, ranked by value at risk
//! (churn probability × value), each with the features that push its score up most.

use serde::{Deserialize, Serialize};

use super::classifier::{ChurnClassifier, Contribution};
use super::features::describe_feature;
use super::readable::Readable;
use crate::error::{ClvError, Result};
use crate::features::TimeUnit;
use crate::models::TransactionModel;

use super::data::ChurnCustomer;

/// Which customers count as likely to churn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskSelection {
    /// Churn probability at or above this.
    Threshold(f64),
    /// The top share (0, 1] of customers by churn probability: ⌈share × n⌉ customers, ties
    /// broken by customer id.
    TopFraction(f64),
}

/// Settings of [`ChurnClassifier::at_risk`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtRiskOptions {
    pub selection: RiskSelection,
    /// Only customers whose value is at or above this floor.
    pub value_floor: f64,
    /// Keep at most this many rows (after ranking).
    pub max_rows: Option<usize>,
    /// Reasons per row (features with the largest positive contribution).
    pub reasons: usize,
}

impl Default for AtRiskOptions {
    fn default() -> Self {
        AtRiskOptions {
            selection: RiskSelection::Threshold(0.5),
            value_floor: 0.0,
            max_rows: None,
            reasons: 3,
        }
    }
}

/// Where a row's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueSource {
    PredictedClv,
    HistoricalSpend,
}

/// One feature that raises the customer's churn score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub feature: String,
    /// The customer's own value with its unit and whether the model sees it as high or low,
    /// e.g. "no purchase for 27 weeks (high)" for `log1p_time_since_last`.
    pub description: String,
    /// The value the description shows, before any transform (27 in the example).
    pub value: f64,
    /// The feature as the model takes it, before standardisation (ln(1 + 27) in the example).
    pub feature_value: f64,
    /// Standardised value × coefficient (log-odds).
    pub contribution: f64,
}

/// One customer of the at-risk list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtRiskRow {
    /// 1 = most value at risk.
    pub rank: usize,
    pub customer_id: String,
    pub churn_probability: f64,
    pub value: f64,
    pub value_source: ValueSource,
    /// churn probability × value.
    pub value_at_risk: f64,
    pub reasons: Vec<Reason>,
}

impl ChurnClassifier {
    /// Ranks the customers at risk. `clv` (one per customer, e.g. predicted CLV) is the value
    /// when given, otherwise each customer's historical spend. Rows are ordered by value at risk
    /// (descending), ties by customer id. `unit` is the unit of the customers' times (the
    /// classifier's), for the reasons' text.
    pub fn at_risk(
        &self,
        customers: &[ChurnCustomer],
        model: &dyn TransactionModel,
        clv: Option<&[f64]>,
        unit: TimeUnit,
        options: &AtRiskOptions,
    ) -> Result<Vec<AtRiskRow>> {
        let bad = |m: String| Err(ClvError::InvalidParameter(m));
        if let Some(v) = clv {
            if v.len() != customers.len() {
                return bad(format!(
                    "{} CLV values for {} customers",
                    v.len(),
                    customers.len()
                ));
            }
            if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                return bad(format!(
                    "customer '{}': CLV is not finite ({})",
                    customers[i].customer_id, v[i]
                ));
            }
        }
        if !options.value_floor.is_finite() {
            return bad(format!(
                "value floor must be finite, got {}",
                options.value_floor
            ));
        }
        let raw = self.features(customers, model)?;
        let probs = self.proba_from_features(&raw);
        let contributions = self.contributions(&raw);

        let selected: Vec<usize> = match options.selection {
            RiskSelection::Threshold(t) => {
                if !(0.0..=1.0).contains(&t) {
                    return bad(format!("churn threshold must be in [0, 1], got {t}"));
                }
                (0..customers.len()).filter(|&i| probs[i] >= t).collect()
            }
            RiskSelection::TopFraction(f) => {
                if !(f > 0.0 && f <= 1.0) {
                    return bad(format!("top fraction must be in (0, 1], got {f}"));
                }
                let mut order: Vec<usize> = (0..customers.len()).collect();
                order.sort_by(|&a, &b| {
                    probs[b]
                        .total_cmp(&probs[a])
                        .then_with(|| customers[a].customer_id.cmp(&customers[b].customer_id))
                });
                let keep = (f * customers.len() as f64).ceil() as usize;
                order.truncate(keep.min(customers.len()));
                order
            }
        };

        let (source, value_of): (ValueSource, Box<dyn Fn(usize) -> f64>) = match clv {
            Some(v) => (ValueSource::PredictedClv, Box::new(move |i| v[i])),
            None => (
                ValueSource::HistoricalSpend,
                Box::new(|i| customers[i].total_spend),
            ),
        };
        let mut rows: Vec<AtRiskRow> = selected
            .into_iter()
            .filter(|&i| value_of(i) >= options.value_floor)
            .map(|i| {
                let row = raw.row(i).to_vec();
                let reasons = top_reasons(&contributions[i], options.reasons)
                    .into_iter()
                    .map(|(j, c)| {
                        let readable = self.encoder().readable(j, &customers[i], &row, unit)?;
                        Ok(reason(c, readable))
                    })
                    .collect::<Result<Vec<Reason>>>()?;
                Ok(AtRiskRow {
                    rank: 0,
                    customer_id: customers[i].customer_id.clone(),
                    churn_probability: probs[i],
                    value: value_of(i),
                    value_source: source,
                    value_at_risk: probs[i] * value_of(i),
                    reasons,
                })
            })
            .collect::<Result<_>>()?;
        rows.sort_by(|a, b| {
            b.value_at_risk
                .total_cmp(&a.value_at_risk)
                .then_with(|| a.customer_id.cmp(&b.customer_id))
        });
        if let Some(max) = options.max_rows {
            rows.truncate(max);
        }
        for (k, row) in rows.iter_mut().enumerate() {
            row.rank = k + 1;
        }
        Ok(rows)
    }
}

/// The `k` features with the largest positive contributions, largest first (ties by name),
/// with their column numbers; one per feature family (a frequency and its logarithm, or two
/// levels of one category, say the same thing), so that the reasons are different things.
fn top_reasons(contributions: &[Contribution], k: usize) -> Vec<(usize, &Contribution)> {
    let mut up: Vec<(usize, &Contribution)> = contributions
        .iter()
        .enumerate()
        .filter(|(_, c)| c.contribution > 0.0)
        .collect();
    up.sort_by(|(_, a), (_, b)| {
        b.contribution
            .total_cmp(&a.contribution)
            .then_with(|| a.feature.cmp(&b.feature))
    });
    let mut families = Vec::new();
    up.retain(|(_, c)| {
        let family = describe_feature(c.feature.split('=').next().unwrap_or(&c.feature));
        let fresh = !families.contains(&family);
        families.push(family);
        fresh
    });
    up.truncate(k);
    up
}

/// The reason shows the customer's own value; the model's transformed feature only decides
/// the ranking and the high / low word.
fn reason(c: &Contribution, readable: Readable) -> Reason {
    // A category's text already says which side of it the customer is on.
    let description = if c.feature.contains('=') {
        readable.text
    } else {
        let level = if c.standardised > 0.0 { "high" } else { "low" };
        format!("{} ({level})", readable.text)
    };
    Reason {
        feature: c.feature.clone(),
        description,
        value: readable.value,
        feature_value: c.value,
        contribution: c.contribution,
    }
}
