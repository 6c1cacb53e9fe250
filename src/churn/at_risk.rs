//! The one at-risk definition, used by `clv score` (its `at_risk` flag), `clv at-risk`, the
//! report and the Python package.
//!
//! **Value at risk** is the future value churn would cost: the CLV the customer would have if
//! they are still a customer now, minus their expected CLV,
//!
//! ```text
//! value at risk = CLV if alive − CLV = (1 − P(alive)) × CLV if alive
//! ```
//!
//! where the expected CLV is P(alive) × CLV if alive (the models' factorisation). It is never
//! negative, zero for a customer surely alive, and does not count past (sunk) spend.
//!
//! A customer is **at risk** under an [`AtRiskRule`] when their churn probability (no purchase
//! in the churn window) is at least `churn_threshold`, their value at risk is positive and at
//! least `min_value_at_risk`, and they are among the `top` customers by value at risk (ties by
//! customer id); `top = None` keeps all.
//!
//! **Reasons** come from the customer's own history and say what lowers P(alive) in the
//! model: a silence long against the customer's own usual gap between purchases (against the
//! repeat buyers' median gap when the customer bought once), and a drop in purchase frequency
//! (second half of their history against the first). A reason never cites a high P(alive),
//! many purchases or high spend; a ratio above 10 reads "more than 10 times".

use serde::{Deserialize, Serialize};

use crate::error::{ClvError, Result};
use crate::features::{TimeUnit, compare_ids};
use crate::models::TransactionModel;

/// Churn probability from which a customer can be at risk, unless told otherwise.
pub const DEFAULT_CHURN_THRESHOLD: f64 = 0.5;
/// Length of the at-risk list unless told otherwise.
pub const DEFAULT_TOP: usize = 100;
/// Most reasons a customer gets (a silence, a frequency drop): the reason columns of the
/// at-risk tables.
pub const MAX_REASONS: usize = 2;
/// A silence counts as a reason from this multiple of the usual gap.
const SILENCE_FACTOR: f64 = 1.5;
/// Ratios above this read "more than 10 times".
const RATIO_CAP: f64 = 10.0;

/// Who is at risk (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AtRiskRule {
    /// Churn probability (no purchase in the churn window) at or above this, in [0, 1].
    pub churn_threshold: f64,
    /// Value at risk at or above this (money, >= 0); only positive values count anyway.
    pub min_value_at_risk: f64,
    /// The top N by value at risk; `None`: every customer the other conditions select.
    pub top: Option<usize>,
}

impl Default for AtRiskRule {
    fn default() -> Self {
        AtRiskRule {
            churn_threshold: DEFAULT_CHURN_THRESHOLD,
            min_value_at_risk: 0.0,
            top: Some(DEFAULT_TOP),
        }
    }
}

impl AtRiskRule {
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(ClvError::InvalidParameter(m));
        if !(0.0..=1.0).contains(&self.churn_threshold) {
            return bad(format!(
                "the at-risk churn threshold must be in [0, 1], got {}",
                self.churn_threshold
            ));
        }
        if !(self.min_value_at_risk.is_finite() && self.min_value_at_risk >= 0.0) {
            return bad(format!(
                "the minimum value at risk must be a number >= 0, got {}",
                self.min_value_at_risk
            ));
        }
        if self.top == Some(0) {
            return bad("the at-risk list length (top) must be at least 1".into());
        }
        Ok(())
    }

    /// The rule in words, for the outputs that state it.
    pub fn describe(&self) -> String {
        let top = match self.top {
            Some(n) => format!("the top {n} by value at risk"),
            None => "all, by value at risk".into(),
        };
        let floor = if self.min_value_at_risk > 0.0 {
            format!(" >= {}", self.min_value_at_risk)
        } else {
            " > 0".into()
        };
        format!(
            "{top} among customers with churn probability >= {} and value at risk{floor}; \
             value at risk = (1 - P(alive)) x CLV if alive",
            self.churn_threshold
        )
    }
}

/// The value churn would cost: (1 − P(alive)) × CLV if alive. An error names the customer
/// when an input is outside its range.
pub fn value_at_risk(customer_id: &str, p_alive: f64, clv_if_alive: f64) -> Result<f64> {
    if !(p_alive.is_finite() && (-1e-9..=1.0 + 1e-9).contains(&p_alive)) {
        return Err(ClvError::InvalidParameter(format!(
            "customer '{customer_id}': P(alive) {p_alive} is not a probability"
        )));
    }
    if !(clv_if_alive.is_finite() && clv_if_alive >= 0.0) {
        return Err(ClvError::InvalidParameter(format!(
            "customer '{customer_id}': the CLV if alive ({clv_if_alive}) is not a number >= 0"
        )));
    }
    Ok((1.0 - p_alive.clamp(0.0, 1.0)) * clv_if_alive)
}

/// P(no purchase in the next `window` periods) of a customer with `x` repeat purchases in `t`
/// periods who is alive at `t`: what separates a churn probability (no purchase in the window)
/// from 1 − P(alive), as churn probability = 1 − P(alive) + P(alive) × this. `None` when the
/// model cannot give it.
pub fn no_purchase_if_alive(
    model: &dyn TransactionModel,
    window: f64,
    x: f64,
    t: f64,
) -> Option<f64> {
    let q = match model.prob_no_purchase_if_alive(window, x, t) {
        Some(q) => q,
        None => {
            // Given alive at T the likelihood does not involve t_x, so the outlook is that of
            // the history with its last purchase at T (at 0 without a repeat purchase), whose
            // P(alive) is far from 0.
            let t_x = if x > 0.0 { t } else { 0.0 };
            let alive = model.p_alive(x, t_x, t);
            let none = model.prob_n_purchases(0, window, x, t_x, t);
            if alive.is_nan() || alive <= 1e-9 {
                return None;
            }
            (none - (1.0 - alive)) / alive
        }
    };
    (q.is_finite() && (-1e-9..=1.0 + 1e-9).contains(&q)).then(|| q.clamp(0.0, 1.0))
}

/// What the rule needs of one customer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskInput<'a> {
    pub customer_id: &'a str,
    /// Repeat purchases x.
    pub frequency: f64,
    /// t_x: last minus first purchase.
    pub recency: f64,
    /// T: end of the history minus first purchase.
    pub t: f64,
    /// Distinct purchase times since the first (0 first); empty when not kept (no frequency
    /// drop reason then).
    pub purchase_times: &'a [f64],
    pub p_alive: f64,
    /// P(no purchase in the churn window).
    pub churn_probability: f64,
    pub clv: f64,
    pub clv_if_alive: f64,
}

/// What a reason is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    /// Time since the last purchase long against the customer's own usual gap.
    SilenceVsOwnGap,
    /// A one-time buyer silent for long against the repeat buyers' median gap.
    SilenceVsPopulationGap,
    /// Fewer purchases in the second half of the customer's history than in the first.
    FrequencyDrop,
    /// The time since the last purchase, when nothing above applies.
    Silence,
}

/// One reason a customer is at risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub kind: ReasonKind,
    /// For a marketer, e.g. "no purchase for 27 weeks, 3.2 times their usual gap of 8.4 weeks".
    pub description: String,
}

/// One customer of the at-risk list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtRiskRow {
    /// 1 = most value at risk.
    pub rank: usize,
    pub customer_id: String,
    pub churn_probability: f64,
    pub p_alive: f64,
    pub clv: f64,
    pub clv_if_alive: f64,
    pub value_at_risk: f64,
    pub reasons: Vec<Reason>,
}

/// The rule applied to a set of customers.
#[derive(Debug, Clone, PartialEq)]
pub struct AtRiskAssessment {
    /// Per input customer, in input order.
    pub value_at_risk: Vec<f64>,
    /// Per input customer: their rank in the list, `None` when not at risk.
    pub rank: Vec<Option<usize>>,
    /// The list, ranked.
    pub rows: Vec<AtRiskRow>,
}

/// Applies `rule` to `customers`: value at risk for all, the ranked list with reasons for
/// those at risk. `unit` is the unit of the customers' times.
pub fn assess_at_risk(
    rule: &AtRiskRule,
    customers: &[RiskInput],
    unit: TimeUnit,
) -> Result<AtRiskAssessment> {
    rule.validate()?;
    let mut var = Vec::with_capacity(customers.len());
    for c in customers {
        if !(c.churn_probability.is_finite() && (0.0..=1.0).contains(&c.churn_probability)) {
            return Err(ClvError::InvalidParameter(format!(
                "customer '{}': churn probability {} is not a probability",
                c.customer_id, c.churn_probability
            )));
        }
        var.push(value_at_risk(c.customer_id, c.p_alive, c.clv_if_alive)?);
    }
    let mut selected: Vec<usize> = (0..customers.len())
        .filter(|&i| {
            customers[i].churn_probability >= rule.churn_threshold
                && var[i] > 0.0
                && var[i] >= rule.min_value_at_risk
        })
        .collect();
    selected.sort_by(|&a, &b| {
        var[b]
            .total_cmp(&var[a])
            .then_with(|| compare_ids(customers[a].customer_id, customers[b].customer_id))
    });
    if let Some(top) = rule.top {
        selected.truncate(top);
    }
    let population_gap = median_gap(customers);
    let mut rank = vec![None; customers.len()];
    let rows = selected
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            rank[i] = Some(k + 1);
            let c = &customers[i];
            AtRiskRow {
                rank: k + 1,
                customer_id: c.customer_id.to_string(),
                churn_probability: c.churn_probability,
                p_alive: c.p_alive,
                clv: c.clv,
                clv_if_alive: c.clv_if_alive,
                value_at_risk: var[i],
                reasons: reasons(c, population_gap, unit),
            }
        })
        .collect();
    Ok(AtRiskAssessment {
        value_at_risk: var,
        rank,
        rows,
    })
}

/// The median of the repeat buyers' usual gaps t_x / x (`None` without a repeat buyer).
fn median_gap(customers: &[RiskInput]) -> Option<f64> {
    let mut gaps: Vec<f64> = customers
        .iter()
        .filter(|c| c.frequency >= 1.0 && c.recency > 0.0)
        .map(|c| c.recency / c.frequency)
        .collect();
    if gaps.is_empty() {
        return None;
    }
    gaps.sort_by(f64::total_cmp);
    let n = gaps.len();
    Some(if n % 2 == 1 {
        gaps[n / 2]
    } else {
        (gaps[n / 2 - 1] + gaps[n / 2]) / 2.0
    })
}

/// The reasons of one customer (one to [`MAX_REASONS`]), strongest kind first.
pub fn reasons(c: &RiskInput, population_gap: Option<f64>, unit: TimeUnit) -> Vec<Reason> {
    let span = |v: f64| counted(v, unit.name());
    let silence = (c.t - c.recency).max(0.0);
    let mut out = Vec::new();
    if c.frequency >= 1.0 && c.recency > 0.0 {
        let gap = c.recency / c.frequency;
        let ratio = silence / gap;
        if ratio >= SILENCE_FACTOR {
            out.push(Reason {
                kind: ReasonKind::SilenceVsOwnGap,
                description: format!(
                    "no purchase for {}, {} their usual gap of {}",
                    span(silence),
                    times(ratio),
                    span(gap)
                ),
            });
        }
    } else if c.frequency == 0.0
        && let Some(gap) = population_gap.filter(|g| *g > 0.0)
        && silence / gap >= SILENCE_FACTOR
    {
        out.push(Reason {
            kind: ReasonKind::SilenceVsPopulationGap,
            description: format!(
                "one purchase only, {} ago; {} the usual gap of repeat buyers ({})",
                span(silence),
                times(silence / gap),
                span(gap)
            ),
        });
    }
    if let Some((first, second, half)) = frequency_drop(c) {
        out.push(Reason {
            kind: ReasonKind::FrequencyDrop,
            description: format!(
                "{} in the first {} of their history, {} in the last {}",
                counted(first, "purchase"),
                span(half),
                number(second),
                span(half)
            ),
        });
    }
    if out.is_empty() {
        out.push(Reason {
            kind: ReasonKind::Silence,
            description: format!("last purchase {} ago", span(silence)),
        });
    }
    out
}

/// Purchases after the first in the first and the second half of (0, T], when the second half
/// has at most half as many and the first at least two; and the half's length.
fn frequency_drop(c: &RiskInput) -> Option<(f64, f64, f64)> {
    if c.purchase_times.len() < 3 || c.t.is_nan() || c.t <= 0.0 {
        return None;
    }
    let half = c.t / 2.0;
    let repeat = c.purchase_times.iter().filter(|&&s| s > 0.0);
    let first = repeat.clone().filter(|&&s| s <= half).count() as f64;
    let second = repeat.filter(|&&s| s > half).count() as f64;
    (first >= 2.0 && 2.0 * second <= first).then_some((first, second, half))
}

/// "3.2 times", "more than 10 times".
fn times(ratio: f64) -> String {
    if ratio > RATIO_CAP {
        format!("more than {} times", number(RATIO_CAP))
    } else {
        format!("{:.1} times", ratio)
    }
}

/// A value for reading: whole numbers without decimals, others to one decimal.
fn number(v: f64) -> String {
    let text = format!("{v:.1}");
    text.strip_suffix(".0").map_or(text.clone(), String::from)
}

/// "1 week", "27.4 weeks".
fn counted(v: f64, what: &str) -> String {
    let shown = number(v);
    let s = if shown == "1" { "" } else { "s" };
    format!("{shown} {what}{s}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(x: f64, t_x: f64, t: f64, times: &'a [f64]) -> RiskInput<'a> {
        RiskInput {
            customer_id: "a",
            frequency: x,
            recency: t_x,
            t,
            purchase_times: times,
            p_alive: 0.2,
            churn_probability: 0.9,
            clv: 10.0,
            clv_if_alive: 50.0,
        }
    }

    #[test]
    fn silence_against_the_customers_own_gap_is_capped_in_words() {
        // Two purchases a day apart, silent for 40 weeks: no "283 times".
        let r = reasons(&input(1.0, 1.0 / 7.0, 40.0, &[]), None, TimeUnit::Week);
        assert_eq!(r[0].kind, ReasonKind::SilenceVsOwnGap);
        assert!(r[0].description.contains("more than 10 times"), "{r:?}");
        let r = reasons(&input(2.0, 10.0, 25.0, &[]), None, TimeUnit::Week);
        assert_eq!(
            r[0].description,
            "no purchase for 15 weeks, 3.0 times their usual gap of 5 weeks"
        );
    }

    #[test]
    fn one_time_buyers_compare_with_the_repeat_buyers_and_drops_are_counted() {
        let r = reasons(&input(0.0, 0.0, 30.0, &[]), Some(5.0), TimeUnit::Week);
        assert_eq!(r[0].kind, ReasonKind::SilenceVsPopulationGap);
        assert!(r[0].description.contains("5 weeks"), "{r:?}");
        let times = [0.0, 2.0, 4.0, 6.0, 8.0, 30.0];
        let r = reasons(&input(5.0, 30.0, 40.0, &times), None, TimeUnit::Day);
        let drop = r.iter().find(|r| r.kind == ReasonKind::FrequencyDrop);
        assert_eq!(
            drop.map(|d| d.description.as_str()),
            Some("4 purchases in the first 20 days of their history, 1 in the last 20 days")
        );
        // Nothing unusual: the plain silence.
        let r = reasons(&input(2.0, 20.0, 22.0, &[]), None, TimeUnit::Week);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].kind, ReasonKind::Silence);
    }

    #[test]
    fn bad_rules_and_inputs_are_errors() {
        for rule in [
            AtRiskRule {
                churn_threshold: 1.5,
                ..Default::default()
            },
            AtRiskRule {
                min_value_at_risk: f64::NAN,
                ..Default::default()
            },
            AtRiskRule {
                top: Some(0),
                ..Default::default()
            },
        ] {
            assert!(rule.validate().is_err(), "{rule:?}");
        }
        assert!(value_at_risk("a", f64::NAN, 1.0).is_err());
        assert!(value_at_risk("a", 0.5, -1.0).is_err());
        assert_eq!(value_at_risk("a", 1.0, 7.0).unwrap(), 0.0);
        assert_eq!(value_at_risk("a", 0.25, 8.0).unwrap(), 6.0);
    }
}
