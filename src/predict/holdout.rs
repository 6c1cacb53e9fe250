//! How well a fitted model predicted the holdout period: per-customer errors, the aggregate
//! error, and the calibration-vs-holdout table by calibration frequency that analysts use to
//! judge these models.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::checks::{Range, check};
use crate::error::{ClvError, Result};
use crate::features::Summary;
use crate::models::TransactionModel;
use crate::models::gamma_gamma::GammaGamma;

/// One customer's calibration history and what they did in the holdout.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoldoutCustomer {
    pub x: f64,
    pub t_x: f64,
    pub t: f64,
    /// Purchases in the holdout.
    pub holdout_purchases: f64,
    /// Length of the holdout, in model time units.
    pub holdout_duration: f64,
    /// Spend in the holdout.
    pub holdout_spend: f64,
    /// Predicted value of one order (e.g. Gamma-Gamma conditional expectation).
    pub expected_order_value: f64,
}

/// Mean actual and predicted holdout purchases of customers with the same calibration
/// frequency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrequencyBin {
    /// "0", "1", …, "7+".
    pub frequency: String,
    pub customers: usize,
    pub mean_actual: f64,
    pub mean_predicted: f64,
}

/// Errors of the holdout predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutEvaluation {
    pub customers: usize,
    pub purchases_mae: f64,
    pub purchases_rmse: f64,
    pub total_actual_purchases: f64,
    pub total_predicted_purchases: f64,
    /// (predicted − actual) / actual, in percent.
    pub purchases_aggregate_error_pct: f64,
    pub spend_mae: f64,
    pub spend_rmse: f64,
    pub total_actual_spend: f64,
    pub total_predicted_spend: f64,
    pub spend_aggregate_error_pct: f64,
    pub by_frequency: Vec<FrequencyBin>,
}

/// Predicted holdout purchases per customer, in the order given.
pub fn predicted_holdout_purchases(
    model: &dyn TransactionModel,
    customers: &[HoldoutCustomer],
) -> Vec<f64> {
    customers
        .par_iter()
        .map(|c| model.expected_purchases(c.holdout_duration, c.x, c.t_x, c.t))
        .collect()
}

/// Compares predictions with the holdout. `max_bin` is the last frequency bin ("7+" for 7).
pub fn evaluate_holdout(
    model: &dyn TransactionModel,
    customers: &[HoldoutCustomer],
    max_bin: usize,
) -> Result<HoldoutEvaluation> {
    if customers.is_empty() {
        return Err(ClvError::InvalidParameter(
            "no customers with a holdout period to evaluate".into(),
        ));
    }
    let predicted = predicted_holdout_purchases(model, customers);
    if let Some(i) = predicted.iter().position(|&p| !Range::NonNegative.holds(p)) {
        let c = &customers[i];
        check(
            predicted[i],
            Range::NonNegative,
            &format!(
                "the expected purchases over the {} holdout",
                c.holdout_duration
            ),
            || {
                format!(
                    "the customer with frequency {}, recency {}, T {}",
                    c.x, c.t_x, c.t
                )
            },
        )?;
    }
    let n = customers.len() as f64;
    let pct = |pred: f64, act: f64| {
        if act > 0.0 {
            100.0 * (pred - act) / act
        } else {
            0.0
        }
    };
    let (mut abs_p, mut sq_p, mut abs_s, mut sq_s) = (0.0, 0.0, 0.0, 0.0);
    let (mut act_p, mut pred_p, mut act_s, mut pred_s) = (0.0, 0.0, 0.0, 0.0);
    let mut bins = vec![(0usize, 0.0, 0.0); max_bin + 1];
    for (c, &p) in customers.iter().zip(&predicted) {
        let ps = p * c.expected_order_value;
        abs_p += (p - c.holdout_purchases).abs();
        sq_p += (p - c.holdout_purchases).powi(2);
        abs_s += (ps - c.holdout_spend).abs();
        sq_s += (ps - c.holdout_spend).powi(2);
        act_p += c.holdout_purchases;
        pred_p += p;
        act_s += c.holdout_spend;
        pred_s += ps;
        let b = (c.x.max(0.0) as usize).min(max_bin);
        bins[b].0 += 1;
        bins[b].1 += c.holdout_purchases;
        bins[b].2 += p;
    }
    let by_frequency = bins
        .iter()
        .enumerate()
        .filter(|(_, b)| b.0 > 0)
        .map(|(i, b)| FrequencyBin {
            frequency: if i == max_bin {
                format!("{i}+")
            } else {
                i.to_string()
            },
            customers: b.0,
            mean_actual: b.1 / b.0 as f64,
            mean_predicted: b.2 / b.0 as f64,
        })
        .collect();
    Ok(HoldoutEvaluation {
        customers: customers.len(),
        purchases_mae: abs_p / n,
        purchases_rmse: (sq_p / n).sqrt(),
        total_actual_purchases: act_p,
        total_predicted_purchases: pred_p,
        purchases_aggregate_error_pct: pct(pred_p, act_p),
        spend_mae: abs_s / n,
        spend_rmse: (sq_s / n).sqrt(),
        total_actual_spend: act_s,
        total_predicted_spend: pred_s,
        spend_aggregate_error_pct: pct(pred_s, act_s),
        by_frequency,
    })
}

/// Where the predicted value of one holdout order comes from.
#[derive(Debug, Clone, Copy)]
pub enum OrderValue<'a> {
    /// Gamma-Gamma conditional expected average spend.
    GammaGamma(&'a GammaGamma),
    /// The customer's own mean spend per calibration purchase day (first one included).
    HistoricalMean,
}

/// Holdout rows for [`evaluate_holdout`]: customers with a holdout,
/// each with the predicted value of one order.
pub fn holdout_customers(summary: &Summary, value: OrderValue<'_>) -> Result<Vec<HoldoutCustomer>> {
    summary
        .customers
        .iter()
        .filter_map(|c| c.holdout.as_ref().map(|h| (c, h)))
        .map(|(c, h)| {
            let expected_order_value = match value {
                OrderValue::GammaGamma(gg) => gg
                    .conditional_expected_average_spend(c.frequency, c.monetary_value)
                    .map_err(|e| {
                        ClvError::InvalidParameter(format!("customer '{}': {e}", c.customer_id))
                    })?,
                OrderValue::HistoricalMean => c.total_spend / (c.frequency + 1.0),
            };
            Ok(HoldoutCustomer {
                x: c.frequency,
                t_x: c.recency,
                t: c.t,
                holdout_purchases: h.frequency,
                holdout_duration: h.duration,
                holdout_spend: h.spend,
                expected_order_value,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::test_support;

    /// Predicts x/t_x · horizon purchases: easy to compute by hand.
    struct RateModel;
    impl TransactionModel for RateModel {
        fn p_alive(&self, _: f64, _: f64, _: f64) -> f64 {
            1.0
        }
        fn expected_purchases(&self, h: f64, x: f64, _: f64, t: f64) -> f64 {
            x / t * h
        }
        fn expected_purchases_new(&self, _: f64) -> f64 {
            0.0
        }
        fn prob_n_purchases(&self, _: u32, _: f64, _: f64, _: f64, _: f64) -> f64 {
            0.0
        }
    }

    fn customer(x: f64, actual: f64) -> HoldoutCustomer {
        HoldoutCustomer {
            x,
            t_x: 5.0,
            t: 10.0,
            holdout_purchases: actual,
            holdout_duration: 10.0,
            holdout_spend: actual * 2.0,
            expected_order_value: 2.0,
        }
    }

    #[test]
    fn errors_and_bins_by_hand() {
        // Predictions are x (t = horizon = 10): 0, 1, 9.
        let cs = [customer(0.0, 1.0), customer(1.0, 1.0), customer(9.0, 6.0)];
        let e = evaluate_holdout(&RateModel, &cs, 7).unwrap();
        assert!((e.purchases_mae - (1.0 + 0.0 + 3.0) / 3.0).abs() < 1e-12);
        assert!((e.purchases_rmse - ((1.0 + 0.0 + 9.0) / 3.0f64).sqrt()).abs() < 1e-12);
        assert!((e.purchases_aggregate_error_pct - 100.0 * (10.0 - 8.0) / 8.0).abs() < 1e-12);
        assert!((e.spend_mae - 2.0 * e.purchases_mae).abs() < 1e-12);
        let labels: Vec<_> = e
            .by_frequency
            .iter()
            .map(|b| b.frequency.as_str())
            .collect();
        assert_eq!(labels, ["0", "1", "7+"]);
        assert_eq!(e.by_frequency[2].mean_predicted, 9.0);
        assert!(evaluate_holdout(&RateModel, &[], 7).is_err());
    }

    #[test]
    fn holdout_rows_use_the_chosen_order_value() {
        let s = test_support::summary(vec![
            test_support::customer("1", 0.0, &["a", "1"], Some(0.0)),
            test_support::customer("2", 2.0, &["b", "2"], Some(3.0)),
        ]);
        let gg = GammaGamma {
            p: 6.25,
            q: 3.74,
            gamma: 15.44,
        };
        let rows = holdout_customers(&s, OrderValue::GammaGamma(&gg)).unwrap();
        // x = 0: the population mean p gamma / (q - 1).
        assert!((rows[0].expected_order_value - 6.25 * 15.44 / 2.74).abs() < 1e-12);
        let want = 6.25 * (15.44 + 2.0 * 5.0) / (6.25 * 2.0 + 3.74 - 1.0);
        assert!((rows[1].expected_order_value - want).abs() < 1e-12);
        let hist = holdout_customers(&s, OrderValue::HistoricalMean).unwrap();
        assert_eq!(hist[1].expected_order_value, 5.0);
        assert_eq!(hist[1].holdout_purchases, 3.0);
    }
}
