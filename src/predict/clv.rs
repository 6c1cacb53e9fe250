//! Discounted, margin-adjusted customer lifetime value over a finite horizon.
//!
//! CLV = Σ_{k=1..H} (E[purchases by k·L] − E[purchases by (k−1)·L]) × spend × margin / (1+d)^k,
//! where L is the length of one discounting period in model time units (e.g. 4.345 weeks for a
//! month) and d the discount rate per period. Purchases in period k are discounted at its end,
//! the usual convention of the CLV literature and of `lifetimes`.

use serde::{Deserialize, Serialize};

use crate::error::{ClvError, Result};
use crate::models::TransactionModel;

/// Horizon, discounting and margin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClvSettings {
    /// Number of discounting periods H.
    pub periods: usize,
    /// Length of one period in model time units (4.345 weeks for a month on a weekly model).
    pub period_length: f64,
    /// Discount rate per period d.
    pub discount_per_period: f64,
    /// Profit margin applied to revenue (1 = revenue).
    pub margin: f64,
}

impl ClvSettings {
    /// Settings from an annual discount rate: d = (1 + annual)^(years per period) − 1.
    pub fn from_annual_rate(
        periods: usize,
        period_length: f64,
        periods_per_year: f64,
        annual_rate: f64,
        margin: f64,
    ) -> Result<Self> {
        if !(periods_per_year.is_finite() && periods_per_year > 0.0) {
            return Err(ClvError::InvalidParameter(format!(
                "periods per year must be > 0, got {periods_per_year}"
            )));
        }
        let s = ClvSettings {
            periods,
            period_length,
            discount_per_period: (1.0 + annual_rate).powf(1.0 / periods_per_year) - 1.0,
            margin,
        };
        s.validate()?;
        Ok(s)
    }

    pub fn validate(&self) -> Result<()> {
        if self.periods == 0 || self.periods > 100_000 {
            return Err(ClvError::InvalidParameter(format!(
                "the horizon must be 1 to 100000 periods, got {}",
                self.periods
            )));
        }
        if !(self.period_length.is_finite() && self.period_length > 0.0) {
            return Err(ClvError::InvalidParameter(format!(
                "the period length must be > 0, got {}",
                self.period_length
            )));
        }
        if !(self.discount_per_period.is_finite() && self.discount_per_period > -1.0) {
            return Err(ClvError::InvalidParameter(format!(
                "the discount rate must be > -1, got {}",
                self.discount_per_period
            )));
        }
        if !(self.margin.is_finite() && self.margin >= 0.0) {
            return Err(ClvError::InvalidParameter(format!(
                "the margin must be >= 0, got {}",
                self.margin
            )));
        }
        Ok(())
    }

    /// Total horizon in model time units.
    pub fn horizon(&self) -> f64 {
        self.periods as f64 * self.period_length
    }

    /// Discount factors 1/(1+d)^k for k = 1..H.
    fn discount_factors(&self) -> impl Iterator<Item = f64> + '_ {
        (1..=self.periods).map(|k| (1.0 + self.discount_per_period).powi(-(k as i32)))
    }
}

/// Expected purchases in each period k = 1..H, from a cumulative expectation `cumulative(t)`.
fn per_period(settings: &ClvSettings, cumulative: impl Fn(f64) -> f64) -> Vec<f64> {
    let mut prev = 0.0;
    (1..=settings.periods)
        .map(|k| {
            let now = cumulative(k as f64 * settings.period_length);
            // A cumulative expectation never decreases; clamp rounding noise at zero, but
            // keep a value that could not be computed visible (NaN.max(0) would be 0).
            let inc = if now.is_finite() {
                (now - prev).max(0.0)
            } else {
                f64::NAN
            };
            prev = now;
            inc
        })
        .collect()
}

/// Discounted CLV of an existing customer with history (x, t_x, T) and expected order value
/// `spend`.
pub fn customer_clv(
    model: &dyn TransactionModel,
    x: f64,
    t_x: f64,
    t: f64,
    spend: f64,
    settings: &ClvSettings,
) -> f64 {
    let purchases = per_period(settings, |h| model.expected_purchases(h, x, t_x, t));
    discounted_value(&purchases, spend, settings)
}

/// Discounted CLV of a customer with x repeat purchases known to be alive at T, which depends
/// on (x, T) alone: times P(alive) it is [`customer_clv`]. `None` where the model does not
/// factor so (see [`TransactionModel::expected_purchases_if_alive`]).
pub fn clv_if_alive(
    model: &dyn TransactionModel,
    x: f64,
    t: f64,
    spend: f64,
    settings: &ClvSettings,
) -> Option<f64> {
    model.expected_purchases_if_alive(settings.period_length, x, t)?;
    let purchases = per_period(settings, |h| {
        model
            .expected_purchases_if_alive(h, x, t)
            .unwrap_or(f64::NAN)
    });
    Some(discounted_value(&purchases, spend, settings))
}

/// Discounted CLV of a just-acquired customer's repeat purchases (the first order is not
/// included: it is known, or is the acquisition itself).
pub fn new_customer_clv(model: &dyn TransactionModel, spend: f64, settings: &ClvSettings) -> f64 {
    let purchases = per_period(settings, |h| model.expected_purchases_new(h));
    discounted_value(&purchases, spend, settings)
}

fn discounted_value(purchases: &[f64], spend: f64, settings: &ClvSettings) -> f64 {
    purchases
        .iter()
        .zip(settings.discount_factors())
        .map(|(n, f)| n * spend * settings.margin * f)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Purchases at a constant rate with no dropout: E[X(t)] = rate · t.
    struct Steady(f64);
    impl TransactionModel for Steady {
        fn p_alive(&self, _: f64, _: f64, _: f64) -> f64 {
            1.0
        }
        fn expected_purchases(&self, h: f64, _: f64, _: f64, _: f64) -> f64 {
            self.0 * h
        }
        fn expected_purchases_new(&self, h: f64) -> f64 {
            self.0 * h
        }
        fn prob_n_purchases(&self, _: u32, _: f64, _: f64, _: f64, _: f64) -> f64 {
            0.0
        }
    }

    #[test]
    fn steady_customer_is_a_discounted_annuity() {
        let s = ClvSettings {
            periods: 12,
            period_length: 4.345,
            discount_per_period: 0.01,
            margin: 0.3,
        };
        let rate = 0.5;
        let per_period = rate * 4.345 * 20.0 * 0.3;
        // Annuity: Σ_{k=1}^{12} v^k = (1 − v^12)/d with v = 1/1.01.
        let annuity = (1.0 - 1.01f64.powi(-12)) / 0.01;
        let clv = customer_clv(&Steady(rate), 1.0, 1.0, 2.0, 20.0, &s);
        assert!((clv - per_period * annuity).abs() < 1e-9, "{clv}");
        assert!((new_customer_clv(&Steady(rate), 20.0, &s) - clv).abs() < 1e-12);
    }

    #[test]
    fn annual_rate_converts_to_a_per_period_rate() {
        let s =
            ClvSettings::from_annual_rate(12, 4.345, 12.0, 1.01f64.powi(12) - 1.0, 1.0).unwrap();
        assert!((s.discount_per_period - 0.01).abs() < 1e-12);
        assert!(ClvSettings::from_annual_rate(0, 1.0, 12.0, 0.1, 1.0).is_err());
        assert!(ClvSettings::from_annual_rate(12, 1.0, 12.0, -1.5, 1.0).is_err());
    }
}
