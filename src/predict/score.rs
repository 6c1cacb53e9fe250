//! Scoring existing customers with a bundle: P(alive), churn probability, expected purchases
//! and spend, discounted CLV, value at risk, RFM segment and the at-risk flag and list (the
//! one definition of [`crate::churn::at_risk`]), plus the portfolio summary a marketer reads
//! first.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::batch::{Patterns, clv_per_unit_spend, score_patterns};
use super::bundle::Bundle;
use super::checks::{Range, check, check_pattern_scores, check_patterns};
use super::clv::{ClvSettings, clv_if_alive, customer_clv};
use crate::churn::at_risk::{
    AtRiskRow, AtRiskRule, RiskInput, assess_at_risk, no_purchase_if_alive,
};
use crate::error::{ClvError, Result};
use crate::features::rfm::rfm_scores;
use crate::features::{CustomerSummary, Summary};
use crate::models::TransactionModel;

/// Settings of a scoring run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoreSettings {
    pub clv: ClvSettings,
    /// Window of the churn probability, in time units (no purchase within it = churned).
    pub churn_window: f64,
    /// Who is at risk.
    pub at_risk: AtRiskRule,
}

/// One scored customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerScore {
    pub customer_id: String,
    pub frequency: f64,
    pub recency: f64,
    #[serde(rename = "T")]
    pub t: f64,
    pub total_spend: f64,
    pub p_alive: f64,
    /// P(no purchase in the churn window).
    pub churn_probability: f64,
    /// P(no purchase in the churn window | alive now), from the transaction model: a customer
    /// surely alive who buys rarely has a high churn probability for this reason. The model's
    /// churn probability is 1 − P(alive) + P(alive) × this.
    pub p_no_purchase_if_alive: f64,
    pub expected_purchases: f64,
    pub expected_avg_spend: f64,
    pub predicted_revenue: f64,
    pub clv: f64,
    /// CLV if alive now (the CLV is P(alive) times it).
    pub clv_if_alive: f64,
    /// (1 − P(alive)) × CLV if alive: the future value churn would cost.
    pub value_at_risk: f64,
    pub segment: String,
    /// In the at-risk list ([`BundleScores::at_risk`]).
    pub at_risk: bool,
    /// The CLV's parameter-uncertainty interval, when asked for
    /// ([`super::intervals::attach_score_intervals`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clv_interval: Option<super::intervals::Interval>,
}

/// A tenth of the customers, by predicted CLV (decile 1 = the most valuable).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClvDecile {
    pub decile: usize,
    pub customers: usize,
    pub mean_clv: f64,
    pub share_of_clv: f64,
}

/// The portfolio view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreSummary {
    pub customers: usize,
    pub total_predicted_revenue: f64,
    pub total_clv: f64,
    pub mean_p_alive: f64,
    pub deciles: Vec<ClvDecile>,
    pub at_risk_customers: usize,
    /// Total value at risk of the at-risk customers.
    pub at_risk_value: f64,
    pub at_risk_rule: String,
    /// Where the churn probability came from.
    pub churn_source: String,
}

/// A scoring run of a bundle: the scores, their portfolio summary and the settings used.
#[derive(Debug, Clone)]
pub struct BundleScores {
    pub rows: Vec<CustomerScore>,
    pub totals: ScoreSummary,
    /// The at-risk list, ranked by value at risk: exactly the rows flagged `at_risk`.
    pub at_risk: Vec<AtRiskRow>,
    pub settings: ScoreSettings,
    /// The churn window asked for, when the bundle's classifier has a window of its own and
    /// the asked one was therefore not used.
    pub ignored_churn_window: Option<f64>,
}

/// Scores every customer of `summary` with `bundle`, as `clv score` does. Churn probabilities
/// come from the bundle's classifier when it has one (for the window it was trained on),
/// else from the transaction model over `churn_window` (default: the CLV horizon). `at_risk`
/// selects the at-risk list.
pub fn score_bundle(
    bundle: &Bundle,
    summary: &Summary,
    clv: ClvSettings,
    churn_window: Option<f64>,
    at_risk: AtRiskRule,
) -> Result<BundleScores> {
    let classifier = bundle.churn_probabilities(summary)?;
    let ignored_churn_window = match (&classifier, churn_window) {
        (Some((_, own)), Some(asked)) if *own != asked => Some(asked),
        _ => None,
    };
    let settings = ScoreSettings {
        clv,
        churn_window: classifier
            .as_ref()
            .map(|c| c.1)
            .or(churn_window)
            .unwrap_or(clv.horizon()),
        at_risk,
    };
    let probs = classifier.as_ref().map(|c| c.0.as_slice());
    let (rows, totals, at_risk) = score_customers(bundle, summary, probs, &settings)?;
    Ok(BundleScores {
        rows,
        totals,
        at_risk,
        settings,
        ignored_churn_window,
    })
}

/// Scores every customer of `summary` (their whole history up to its end). `churn` gives the
/// classifier's churn probabilities in the summary's order; without it the transaction model's
/// P(no purchase in the window) is used. Rows come back sorted by CLV, highest first, with
/// the portfolio summary and the at-risk list.
pub fn score_customers(
    bundle: &Bundle,
    summary: &Summary,
    churn: Option<&[f64]>,
    settings: &ScoreSettings,
) -> Result<(Vec<CustomerScore>, ScoreSummary, Vec<AtRiskRow>)> {
    settings.clv.validate()?;
    settings.at_risk.validate()?;
    if !(settings.churn_window.is_finite() && settings.churn_window > 0.0) {
        return Err(ClvError::InvalidParameter(format!(
            "the churn window must be > 0, got {}",
            settings.churn_window
        )));
    }
    let cs = &summary.customers;
    if churn.is_some_and(|c| c.len() != cs.len()) {
        return Err(ClvError::InvalidParameter(
            "one churn probability per customer is needed".into(),
        ));
    }
    let model = bundle.transaction()?;
    let spend = bundle.spend()?;
    let rfm = rfm_scores(summary);
    // Predictions per distinct (x, t_x, T), their (x, T) parts once per pair.
    let column = |f: fn(&CustomerSummary) -> f64| cs.iter().map(f).collect::<Vec<f64>>();
    let patterns = Patterns::of(
        &column(|c| c.frequency),
        &column(|c| c.recency),
        &column(|c| c.t),
    );
    let unit = bundle.time_unit.as_str();
    let customer = |i: usize| format!("customer '{}'", cs[i].customer_id);
    let over_horizon = score_patterns(model.as_ref(), settings.clv.horizon(), &patterns);
    check_pattern_scores(
        &over_horizon,
        settings.clv.horizon(),
        unit,
        &patterns,
        &customer,
    )?;
    let p_alive: Vec<f64> = over_horizon.iter().map(|s| s.p_alive).collect();
    let outlook = outlook_if_alive(model.as_ref(), settings, &patterns);
    let churn_probabilities: Vec<f64> = match churn {
        Some(probabilities) => probabilities.to_vec(),
        None => {
            let window = score_patterns(model.as_ref(), settings.churn_window, &patterns);
            check_pattern_scores(&window, settings.churn_window, unit, &patterns, &customer)?;
            let of = &patterns.of_customer;
            of.iter()
                .map(|&p| window[p as usize].p_no_purchase)
                .collect()
        }
    };
    let clv_per_spend = clv_per_unit_spend(model.as_ref(), &settings.clv, &patterns, &p_alive);
    check_patterns(
        &clv_per_spend,
        Range::NonNegative,
        "the discounted expected purchases (CLV per unit of spend)",
        &patterns,
        &customer,
    )?;
    let mut rows: Vec<CustomerScore> = (0..cs.len())
        .into_par_iter()
        .map(|i| {
            let c = &cs[i];
            let p = patterns.of_customer[i] as usize;
            let m = spend.conditional_expected_average_spend(c.frequency, c.monetary_value)?;
            check(m, Range::NonNegative, "the expected average spend", || {
                customer(i)
            })?;
            let purchases = over_horizon[p].expected_purchases;
            let churn_probability = churn_probabilities[i];
            let pair = patterns.x_t_of_pattern[p] as usize;
            let Some((clv_if_alive_per_spend, p_no_purchase_if_alive)) = outlook[pair] else {
                return Err(ClvError::InvalidParameter(format!(
                    "{}: the transaction model gives no finite CLV or P(no purchase) if alive \
                     (x={}, T={})",
                    customer(i),
                    c.frequency,
                    c.t
                )));
            };
            Ok(CustomerScore {
                customer_id: c.customer_id.clone(),
                frequency: c.frequency,
                recency: c.recency,
                t: c.t,
                total_spend: c.total_spend,
                p_alive: p_alive[p],
                churn_probability,
                p_no_purchase_if_alive,
                expected_purchases: purchases,
                expected_avg_spend: m,
                predicted_revenue: purchases * m,
                clv: clv_per_spend[p] * m,
                clv_if_alive: clv_if_alive_per_spend * m,
                value_at_risk: 0.0,
                segment: rfm[i].segment.to_string(),
                at_risk: false,
                clv_interval: None,
            })
        })
        .collect::<Result<_>>()?;
    let at_risk = flag_at_risk(&mut rows, cs, settings, summary.unit)?;
    rows.sort_by(|a, b| {
        b.clv
            .total_cmp(&a.clv)
            .then_with(|| crate::features::compare_ids(&a.customer_id, &b.customer_id))
    });
    let n = rows.len();
    let total_clv: f64 = rows.iter().map(|r| r.clv).sum();
    let deciles = (0..10.min(n))
        .map(|d| {
            let (lo, hi) = (d * n / 10.min(n), (d + 1) * n / 10.min(n));
            let slice = &rows[lo..hi];
            let sum: f64 = slice.iter().map(|r| r.clv).sum();
            ClvDecile {
                decile: d + 1,
                customers: slice.len(),
                mean_clv: sum / slice.len().max(1) as f64,
                share_of_clv: if total_clv > 0.0 {
                    sum / total_clv
                } else {
                    0.0
                },
            }
        })
        .collect();
    let summary_out = ScoreSummary {
        customers: n,
        total_predicted_revenue: rows.iter().map(|r| r.predicted_revenue).sum(),
        total_clv,
        mean_p_alive: rows.iter().map(|r| r.p_alive).sum::<f64>() / n.max(1) as f64,
        deciles,
        at_risk_customers: at_risk.len(),
        at_risk_value: at_risk.iter().map(|r| r.value_at_risk).sum(),
        at_risk_rule: settings.at_risk.describe(),
        churn_source: if churn.is_some() {
            format!(
                "churn classifier (no purchase in {:.1} {}s)",
                settings.churn_window, bundle.time_unit
            )
        } else {
            format!(
                "{}: P(no purchase in {} {}s)",
                bundle.transaction_model.model, settings.churn_window, bundle.time_unit
            )
        },
    };
    Ok((rows, summary_out, at_risk))
}

/// Per distinct (x, T): the CLV per unit of spend if alive and P(no purchase in the churn
/// window) if alive; `None` where the model gives no finite value.
fn outlook_if_alive(
    model: &dyn TransactionModel,
    settings: &ScoreSettings,
    patterns: &Patterns,
) -> Vec<Option<(f64, f64)>> {
    patterns
        .x_t
        .par_iter()
        .map(|&[x, t]| {
            let clv = clv_if_alive(model, x, t, 1.0, &settings.clv).or_else(|| {
                // Given alive at T the likelihood does not involve t_x: the outlook is that of
                // the history with its last purchase at T (at 0 without a repeat purchase).
                let t_x = if x > 0.0 { t } else { 0.0 };
                let alive = model.p_alive(x, t_x, t);
                (alive > 1e-9).then(|| customer_clv(model, x, t_x, t, 1.0, &settings.clv) / alive)
            })?;
            let quiet = no_purchase_if_alive(model, settings.churn_window, x, t)?;
            (clv.is_finite() && clv >= 0.0).then_some((clv, quiet))
        })
        .collect()
}

/// Applies the at-risk rule to the scored rows (in `summary` order as `customers`, whose
/// purchase times give the reasons) and flags the listed ones.
fn flag_at_risk(
    rows: &mut [CustomerScore],
    customers: &[CustomerSummary],
    settings: &ScoreSettings,
    unit: crate::features::TimeUnit,
) -> Result<Vec<AtRiskRow>> {
    let inputs: Vec<RiskInput> = rows
        .iter()
        .zip(customers)
        .map(|(r, c)| RiskInput {
            customer_id: &r.customer_id,
            frequency: r.frequency,
            recency: r.recency,
            t: r.t,
            purchase_times: &c.purchase_times,
            p_alive: r.p_alive,
            churn_probability: r.churn_probability,
            clv: r.clv,
            clv_if_alive: r.clv_if_alive,
        })
        .collect();
    let assessed = assess_at_risk(&settings.at_risk, &inputs, unit)?;
    for (i, r) in rows.iter_mut().enumerate() {
        r.value_at_risk = assessed.value_at_risk[i];
        r.at_risk = assessed.rank[i].is_some();
    }
    Ok(assessed.rows)
}
