//! The prediction table of `clv predict`: per-customer predictions of a saved model, as columns.
//!
//! Transaction models give P(alive), expected purchases and P(no purchase) over the horizon; a
//! Gamma-Gamma spend model adds the expected order value (and, with a transaction model, the
//! predicted revenue); Pareto/NBD with an annual discount rate adds DERT (at the equivalent
//! continuous rate per model unit, [`super::clv::continuous_discount_rate`]). BG/BB, whose
//! histories count discrete opportunities, has its own table ([`predict_discrete`]).

use rayon::prelude::*;

use super::batch::{Patterns, clv_per_unit_spend, dert_patterns, score_patterns};
use super::checks::{Range, check, check_pattern_scores, check_patterns};
use super::clv::{ClvSettings, continuous_discount_rate};
use crate::error::{ClvError, Result};
use crate::features::SummaryTable;
use crate::models::bgbb::BgBb;
use crate::models::gamma_gamma::GammaGamma;
use crate::models::{AnyModel, BgBbData};

/// Named columns of numbers, one value per customer (or pattern) in each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Columns {
    pub names: Vec<String>,
    pub values: Vec<Vec<f64>>,
    /// Set when the leading columns depend on a customer's (x, t_x, T) alone, so that a writer
    /// may format them once per pattern instead of once per customer (1M simulated customers
    /// have 153,632 patterns); `values` holds every value either way.
    pub shared: Option<SharedColumns>,
}

/// The leading columns of a [`Columns`] that customers of one pattern share.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SharedColumns {
    /// How many leading columns are the same for every customer of a pattern.
    pub columns: usize,
    /// Per customer, the index of its pattern (patterns numbered from 0 in order of first
    /// appearance).
    pub of_customer: Vec<u32>,
    /// The number of patterns.
    pub patterns: usize,
}

impl Columns {
    fn push(&mut self, name: impl Into<String>, values: Vec<f64>) {
        self.names.push(name.into());
        self.values.push(values);
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.values.first().map_or(0, Vec::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Predicts every customer of `table` over `horizon` periods: the columns frequency, recency,
/// T, then what `model` and `spend` can predict (see the module's documentation). With
/// `annual_discount_rate` (annual effective, as everywhere; converted to the continuous rate per
/// model time unit of `unit_days` days) the model must be Pareto/NBD. Each count `n` of
/// `p_purchases` adds the column `p_purchases_n`, P(exactly n purchases in the horizon).
pub fn predict_table(
    model: &AnyModel,
    spend: Option<&GammaGamma>,
    table: &SummaryTable,
    horizon: f64,
    annual_discount_rate: Option<f64>,
    unit_days: f64,
    p_purchases: &[u32],
) -> Result<Columns> {
    if !(horizon.is_finite() && horizon >= 0.0) {
        return Err(ClvError::InvalidParameter(format!(
            "the horizon must be a number >= 0, got {horizon}"
        )));
    }
    let spend = spend.or(match model {
        AnyModel::GammaGamma(g) => Some(g),
        _ => None,
    });
    let tm = model.as_transaction_model();
    if tm.is_none() && spend.is_none() {
        return Err(ClvError::InvalidParameter(format!(
            "a {} model makes no per-customer predictions from a summary",
            model.kind()
        )));
    }
    let dert = match (annual_discount_rate, model) {
        (Some(annual), AnyModel::ParetoNbd(m)) => {
            Some((continuous_discount_rate(annual, unit_days)?, m))
        }
        (Some(_), _) => {
            return Err(ClvError::InvalidParameter(
                "a discount rate (DERT) needs a Pareto/NBD model".into(),
            ));
        }
        (None, _) => None,
    };
    let mut out = Columns::default();
    out.push("frequency", table.frequency.clone());
    out.push("recency", table.recency.clone());
    out.push("T", table.t.clone());
    let patterns = Patterns::of(&table.frequency, &table.recency, &table.t);
    let per_customer = |per_pattern: &[f64]| spread(&patterns, per_pattern);
    let customer = |i: usize| format!("customer '{}'", table.customer_id[i]);
    let scores = tm.map(|m| score_patterns(m, horizon, &patterns));
    if let Some(s) = &scores {
        // The table does not know the unit; the horizon is in the model's.
        check_pattern_scores(s, horizon, "period", &patterns, &customer)?;
    }
    // Where the expected purchases are, for the revenue.
    let mut expected = None;
    if let Some(s) = &scores {
        let p_alive: Vec<f64> = s.iter().map(|s| s.p_alive).collect();
        let purchases: Vec<f64> = s.iter().map(|s| s.expected_purchases).collect();
        let none: Vec<f64> = s.iter().map(|s| s.p_no_purchase).collect();
        out.push("p_alive", per_customer(&p_alive));
        expected = Some(out.names.len());
        out.push("expected_purchases", per_customer(&purchases));
        out.push("p_no_purchases", per_customer(&none));
        for &n in p_purchases {
            let m = tm.expect("scores come from a transaction model");
            let per_pattern: Vec<f64> = (0..patterns.x.len())
                .into_par_iter()
                .map(|i| {
                    let (x, t_x, t) = (patterns.x[i], patterns.t_x[i], patterns.t[i]);
                    m.prob_n_purchases(n, horizon, x, t_x, t)
                })
                .collect();
            let what = format!("P({n} purchases in {horizon} periods)");
            check_patterns(
                &per_pattern,
                Range::Probability,
                &what,
                &patterns,
                &customer,
            )?;
            out.push(
                format!("p_purchases_{n}"),
                per_customer(&clamped(per_pattern)),
            );
        }
        if let Some((d, m)) = dert {
            let dert = dert_patterns(m, d, &patterns, &p_alive);
            check_patterns(&dert, Range::NonNegative, "DERT", &patterns, &customer)?;
            out.push("dert", per_customer(&dert));
        }
    }
    if let Some(g) = spend {
        let avg = expected_spend(g, table)?;
        if let Some(e) = expected {
            let revenue = avg.iter().zip(&out.values[e]).map(|(m, n)| m * n).collect();
            out.push("expected_avg_spend", avg);
            out.push("predicted_revenue", revenue);
        } else {
            out.push("expected_avg_spend", avg);
        }
    }
    // frequency, recency, T, then the scores per pattern (P(alive) ... p_purchases_N).
    let columns = 3 + scores.as_ref().map_or(0, |_| 3 + p_purchases.len());
    out.shared = Some(SharedColumns {
        columns,
        patterns: patterns.len(),
        of_customer: patterns.of_customer,
    });
    // The CLI's column order: spend columns before DERT.
    if let Some(i) = out.names.iter().position(|n| *n == "dert") {
        let name = out.names.remove(i);
        let values = out.values.remove(i);
        out.push(name, values);
    }
    Ok(out)
}

/// Per-pattern values spread to the customers of `patterns`, in parallel.
fn spread(patterns: &Patterns, per_pattern: &[f64]) -> Vec<f64> {
    patterns
        .of_customer
        .par_iter()
        .map(|&p| per_pattern[p as usize])
        .collect()
}

/// Each customer's expected order value under `g`, from their frequency and monetary value.
fn expected_spend(g: &GammaGamma, table: &SummaryTable) -> Result<Vec<f64>> {
    (0..table.len())
        .into_par_iter()
        .map(|i| {
            let m = g
                .conditional_expected_average_spend(table.frequency[i], table.monetary_value[i])
                .map_err(|e| {
                    ClvError::InvalidParameter(format!("customer {}: {e}", table.customer_id[i]))
                })?;
            check(m, Range::NonNegative, "the expected average spend", || {
                format!("customer '{}'", table.customer_id[i])
            })?;
            Ok(m)
        })
        .collect()
}

/// Discounted, margin-adjusted CLV of every customer of `table` (as `clv score` values them):
/// the transaction model's expected purchases per discounting period, each valued at the spend
/// model's expected order value. Columns p_alive, expected_avg_spend, clv.
pub fn clv_table(
    model: &AnyModel,
    spend: &GammaGamma,
    table: &SummaryTable,
    settings: &ClvSettings,
) -> Result<Columns> {
    settings.validate()?;
    let tm = model.transaction_model()?;
    let patterns = Patterns::of(&table.frequency, &table.recency, &table.t);
    let customer = |i: usize| format!("customer '{}'", table.customer_id[i]);
    let p_alive: Vec<f64> = score_patterns(tm, settings.horizon(), &patterns)
        .iter()
        .map(|s| s.p_alive)
        .collect();
    check_patterns(
        &p_alive,
        Range::Probability,
        "P(alive)",
        &patterns,
        &customer,
    )?;
    let per_unit = clv_per_unit_spend(tm, settings, &patterns, &p_alive);
    check_patterns(
        &per_unit,
        Range::NonNegative,
        "the discounted expected purchases",
        &patterns,
        &customer,
    )?;
    let avg = expected_spend(spend, table)?;
    let per_customer = |per_pattern: &[f64]| spread(&patterns, per_pattern);
    let value = per_customer(&per_unit)
        .iter()
        .zip(&avg)
        .map(|(v, m)| v * m)
        .collect();
    let mut out = Columns::default();
    out.push("p_alive", per_customer(&p_alive));
    out.push("expected_avg_spend", avg);
    out.push("clv", value);
    Ok(out)
}

/// BG/BB predictions per pattern over `horizon` whole periods: the pattern's columns
/// frequency, recency, periods, weights, then p_alive and expected_transactions, then
/// `p_alive_M` (P(alive M periods ahead)) for each M of `alive_ahead`.
pub fn predict_discrete(
    model: &BgBb,
    data: &BgBbData,
    horizon: f64,
    alive_ahead: &[u32],
) -> Result<Columns> {
    if !(horizon.is_finite() && horizon >= 0.0 && horizon.fract() == 0.0) {
        return Err(ClvError::InvalidParameter(format!(
            "bgbb counts whole periods: the horizon must be a whole number >= 0, got {horizon}"
        )));
    }
    let h = horizon as u32;
    let mut p_alive = Vec::with_capacity(data.x.len());
    let mut expected = Vec::with_capacity(data.x.len());
    for i in 0..data.x.len() {
        let (x, t_x, n) = (data.x[i] as u32, data.t_x[i] as u32, data.n[i] as u32);
        p_alive.push(model.p_alive(x, t_x, n)?);
        expected.push(model.conditional_expected_transactions(h, x, t_x, n)?);
    }
    let mut out = Columns::default();
    out.push("frequency", data.x.clone());
    out.push("recency", data.t_x.clone());
    out.push("periods", data.n.clone());
    out.push("weights", data.weights.clone());
    out.push("p_alive", p_alive);
    out.push("expected_transactions", expected);
    for &m in alive_ahead {
        let values = (0..data.x.len())
            .map(|i| {
                let (x, t_x, n) = (data.x[i] as u32, data.t_x[i] as u32, data.n[i] as u32);
                model.p_alive_ahead(m, x, t_x, n)
            })
            .collect::<Result<_>>()?;
        out.push(format!("p_alive_{m}"), values);
    }
    Ok(out)
}

/// Checked probabilities with the rounding just past [0, 1] clamped away.
fn clamped(mut values: Vec<f64>) -> Vec<f64> {
    values.iter_mut().for_each(|p| *p = p.clamp(0.0, 1.0));
    values
}

/// The distribution of repeat purchases of a just-acquired customer over its first `horizon`
/// periods: one row per count of `counts`, columns `purchases` and `probability`
/// (P(X(horizon) = n)), for a transaction model (repeat purchases after the first) or BG/BB
/// (transactions in `horizon` whole opportunities).
pub fn new_customer_distribution(
    model: &AnyModel,
    horizon: f64,
    counts: &[u32],
) -> Result<Columns> {
    if !(horizon.is_finite() && horizon >= 0.0) {
        return Err(ClvError::InvalidParameter(format!(
            "the horizon must be a number >= 0, got {horizon}"
        )));
    }
    let probability: Vec<f64> = if let AnyModel::BgBb(m) = model {
        if horizon.fract() != 0.0 {
            return Err(ClvError::InvalidParameter(format!(
                "bgbb counts whole periods: the horizon must be a whole number, got {horizon}"
            )));
        }
        counts
            .iter()
            .map(|&n| m.prob_transactions_new(n, horizon as u32))
            .collect::<Result<_>>()?
    } else {
        let tm = model.as_transaction_model().ok_or_else(|| {
            ClvError::InvalidParameter(format!(
                "a {} model has no distribution of purchases",
                model.kind()
            ))
        })?;
        counts
            .iter()
            .map(|&n| tm.prob_n_purchases_new(n, horizon))
            .collect()
    };
    for (p, n) in probability.iter().zip(counts) {
        let what = format!("P({n} purchases in {horizon} periods)");
        check(*p, Range::Probability, &what, || "a new customer".into())?;
    }
    let mut out = Columns::default();
    out.push("purchases", counts.iter().map(|&n| f64::from(n)).collect());
    out.push("probability", clamped(probability));
    Ok(out)
}
