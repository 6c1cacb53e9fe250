//! Scoring new or prospective customers for ad budgets: the expected CLV of a just-acquired
//! customer from their acquisition attributes, the most one can pay to acquire them at a
//! target LTV:CAC ratio, and the budget table by attribute.
//!
//! CLV of a new customer = first order × margin + the discounted, margin-adjusted value of the
//! repeat purchases over the horizon (the covariate model's expectation for the customer's
//! attributes, or the plain model's without covariates), each repeat order worth the expected
//! order value of the customer's group. The group is the level of the first categorical
//! attribute that has its own Gamma-Gamma fit; otherwise the overall spend model is used.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::bundle::Bundle;
use super::checks::{Range, check};
use super::clv::{ClvSettings, new_customer_clv};
use crate::error::{ClvError, Result};
use crate::features::covariates::ColumnEncoding;
use crate::ingest::lines::line_of;
use crate::models::TransactionModel;
use crate::models::bgnbd::BgNbd;
use crate::models::pnbd::ParetoNbd;

/// Prospects as read from a CSV: one row per prospect (or per segment, with a `count`).
#[derive(Debug, Clone, PartialEq)]
pub struct Prospects {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// The file read and the line of each row, for messages; `None` for prospects built in
    /// memory.
    pub source: Option<(String, Vec<u64>)>,
}

/// Reads a prospects CSV (any columns; those the bundle's covariates use must be there).
pub fn read_prospects_csv(path: &Path) -> Result<Prospects> {
    let file = path.display().to_string();
    // Read whole (a prospects file is small) so that messages can name exact lines.
    let bytes =
        std::fs::read(path).map_err(|e| ClvError::input(&file, format!("cannot open: {e}")))?;
    let mut rdr = csv::Reader::from_reader(bytes.as_slice());
    let columns: Vec<String> = rdr
        .headers()
        .map_err(|e| ClvError::input(&file, e.to_string()))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let (mut rows, mut lines) = (Vec::new(), Vec::new());
    for rec in rdr.records() {
        let rec = rec.map_err(|e| ClvError::input(&file, e.to_string()))?;
        lines.push(line_of(&bytes, rec.position().map_or(0, |p| p.byte())));
        rows.push(rec.iter().map(|v| v.trim().to_string()).collect());
    }
    if rows.is_empty() {
        return Err(ClvError::input(
            &file,
            "no prospects (the file has a header but no rows)",
        ));
    }
    Ok(Prospects {
        columns,
        rows,
        source: Some((file, lines)),
    })
}

/// One scored prospect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProspectScore {
    /// The prospect's attribute values, in the file's column order.
    pub attributes: Vec<String>,
    /// How many customers the row stands for (the `count` column, else 1).
    pub count: f64,
    pub expected_repeat_purchases: f64,
    pub expected_order_value: f64,
    pub first_order_value: f64,
    pub clv: f64,
    pub max_cac: f64,
    /// The CLV's parameter-uncertainty interval, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clv_interval: Option<super::intervals::Interval>,
    /// The maximum CAC from the interval's lower end: what one can pay and still meet the
    /// target LTV:CAC ratio unless the parameters are worse than the interval allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_cac_conservative: Option<f64>,
}

/// One line of the budget table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetRow {
    /// `all`, or `column=value`.
    pub group: String,
    pub prospects: f64,
    pub mean_clv: f64,
    pub max_cac: f64,
    pub total_budget: f64,
    /// The prospects' mean conservative maximum CAC (from the CLV interval's lower end), when
    /// every prospect of the group has one (`--intervals`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_cac_conservative: Option<f64>,
}

/// Scores every prospect row.
pub fn score_prospects(
    bundle: &Bundle,
    prospects: &Prospects,
    settings: &ClvSettings,
    target_ltv_cac: f64,
) -> Result<Vec<ProspectScore>> {
    settings.validate()?;
    if !(target_ltv_cac.is_finite() && target_ltv_cac > 0.0) {
        return Err(ClvError::InvalidParameter(format!(
            "the target LTV:CAC ratio must be > 0, got {target_ltv_cac}"
        )));
    }
    let col = |name: &str| prospects.columns.iter().position(|c| c == name);
    if let Some(cov) = &bundle.covariates {
        let missing: Vec<&str> = cov
            .encoding
            .columns
            .iter()
            .map(|c| c.name())
            .filter(|n| col(n).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(ClvError::InvalidParameter(format!(
                "the prospects file lacks the attribute column(s) the bundle's covariate model uses: {} (add them, or score with a bundle trained without covariates: clv train --no-covariates)",
                missing.join(", ")
            )));
        }
    }
    let plain = bundle.transaction()?;
    let count_col = col("count");
    let first_col = col("first_order_value");
    prospects
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let value_of = |name: &str| col(name).and_then(|j| row.get(j).cloned());
            // A number >= 0 from column `j` (named `name` in the message).
            let non_negative = |j: usize, name: &str| {
                let value = &row[j];
                value
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .ok_or_else(|| match &prospects.source {
                        Some((file, lines)) => ClvError::BadRow {
                            file: file.clone(),
                            line: lines[i],
                            column: name.to_string(),
                            value: value.clone(),
                            reason: "not a number >= 0".into(),
                        },
                        None => ClvError::InvalidParameter(format!(
                            "prospect row {}: {name} '{value}' is not a number >= 0",
                            i + 1
                        )),
                    })
            };
            let count = match count_col {
                Some(j) => non_negative(j, "count")?,
                None => 1.0,
            };
            let individual: Option<Box<dyn TransactionModel>> = match &bundle.covariates {
                Some(cov) => {
                    let z = cov
                        .encoding
                        .encode(value_of)
                        .map_err(|e| match &prospects.source {
                            Some((file, lines)) => {
                                ClvError::input(file, format!("line {}: {e}", lines[i]))
                            }
                            None => {
                                ClvError::InvalidParameter(format!("prospect row {}: {e}", i + 1))
                            }
                        })?;
                    Some(
                        if cov.base_model == <ParetoNbd as crate::models::Model>::NAME {
                            Box::new(cov.model.individual::<ParetoNbd>(&z)?)
                        } else {
                            Box::new(cov.model.individual::<BgNbd>(&z)?)
                        },
                    )
                }
                None => None,
            };
            let model: &dyn TransactionModel = individual.as_deref().unwrap_or(plain.as_ref());
            let group = spend_group(bundle, &value_of);
            let spend = group.map_or(bundle.spend_overall.mean_order_value, |g| {
                g.mean_order_value
            });
            let first_order_value = match first_col {
                Some(j) => non_negative(j, "first_order_value")?,
                None => group.map_or(bundle.spend_overall.mean_first_order_value, |g| {
                    g.mean_first_order_value
                }),
            };
            let clv =
                first_order_value * settings.margin + new_customer_clv(model, spend, settings);
            let expected_repeat_purchases = model.expected_purchases_new(settings.horizon());
            let whom = || match &prospects.source {
                Some((file, lines)) => format!("the prospect on {file}:{}", lines[i]),
                None => format!("prospect row {}", i + 1),
            };
            check(
                expected_repeat_purchases,
                Range::NonNegative,
                &format!(
                    "the expected repeat purchases of a new customer over {}",
                    settings.horizon()
                ),
                whom,
            )?;
            check(clv, Range::NonNegative, "the new-customer CLV", whom)?;
            Ok(ProspectScore {
                attributes: row.clone(),
                count,
                expected_repeat_purchases,
                expected_order_value: spend,
                first_order_value,
                clv,
                max_cac: clv / target_ltv_cac,
                clv_interval: None,
                max_cac_conservative: None,
            })
        })
        .collect()
}

/// The spend group of a prospect: the first categorical attribute level with its own fit.
fn spend_group<'a>(
    bundle: &'a Bundle,
    value_of: &dyn Fn(&str) -> Option<String>,
) -> Option<&'a super::bundle::GroupSpend> {
    let cov = bundle.covariates.as_ref()?;
    cov.encoding.columns.iter().find_map(|c| match c {
        ColumnEncoding::Categorical { name, .. } => {
            let v = value_of(name)?;
            bundle
                .spend_by_group
                .get(&format!("{name}={v}"))
                .filter(|g| g.own_fit)
        }
        ColumnEncoding::Numeric { .. } => None,
    })
}

/// The budget table of prospects scored with `bundle`: overall and per level of every
/// categorical covariate of the bundle ([`budget_table`]).
pub fn bundle_budget_table(
    bundle: &Bundle,
    prospects: &Prospects,
    scores: &[ProspectScore],
) -> Vec<BudgetRow> {
    let categorical: Vec<String> = bundle
        .covariates
        .iter()
        .flat_map(|c| &c.encoding.columns)
        .filter_map(|c| match c {
            ColumnEncoding::Categorical { name, .. } => Some(name.clone()),
            ColumnEncoding::Numeric { .. } => None,
        })
        .collect();
    budget_table(prospects, scores, &categorical)
}

/// The budget table: overall and per level of every categorical column of the prospects
/// file, weighted by `count`.
pub fn budget_table(
    prospects: &Prospects,
    scores: &[ProspectScore],
    categorical: &[String],
) -> Vec<BudgetRow> {
    let row = |group: String, items: &[&ProspectScore]| {
        let n: f64 = items.iter().map(|s| s.count).sum();
        let clv: f64 = items.iter().map(|s| s.clv * s.count).sum();
        let cac: f64 = items.iter().map(|s| s.max_cac * s.count).sum();
        let conservative: Option<f64> = items
            .iter()
            .map(|s| s.max_cac_conservative.map(|c| c * s.count))
            .sum();
        let mean = |total: f64| if n > 0.0 { total / n } else { 0.0 };
        BudgetRow {
            group,
            prospects: n,
            mean_clv: mean(clv),
            max_cac: mean(cac),
            total_budget: cac,
            max_cac_conservative: conservative.map(mean),
        }
    };
    let mut out = vec![row("all".into(), &scores.iter().collect::<Vec<_>>())];
    for name in categorical {
        let Some(j) = prospects.columns.iter().position(|c| c == name) else {
            continue;
        };
        let mut groups: BTreeMap<&str, Vec<&ProspectScore>> = BTreeMap::new();
        for s in scores {
            groups.entry(s.attributes[j].as_str()).or_default().push(s);
        }
        for (level, items) in groups {
            out.push(row(format!("{name}={level}"), &items));
        }
    }
    out
}
