//! Discounted, margin-adjusted customer lifetime value over a finite horizon.
//!
//! CLV = Σ_{k=1..K} (E[purchases by t_k] − E[purchases by t_{k−1}]) × spend × margin × v(t_k),
//! with period ends t_k = min(k·L, H) (L the length of one discounting period and H the horizon,
//! both in model time units; the last period is partial when H is not a whole number of periods)
//! and v(t) = (1+d)^(−t/L), d the discount rate per period. Purchases are discounted at their
//! period's end, the usual convention of the CLV literature and of `lifetimes`.
//!
//! Discount rates given by users are ANNUAL effective rates everywhere (CLI, Python, report); the
//! conversions to a model's period live here, once: a year is the Julian year of
//! [`DAYS_PER_YEAR`] = 365.25 days, so an annual rate a is the per-period rate
//! (1+a)^(days per period / 365.25) − 1 of the discrete sums above, and the continuous rate
//! δ = ln(1+a) · (days per model unit / 365.25) per model time unit of Pareto/NBD's DERT. Both
//! discount one year by exactly 1/(1+a).

use serde::{Deserialize, Serialize};

use crate::error::{ClvError, Result};
use crate::models::TransactionModel;

/// Days in the year that annual discount rates refer to (the Julian year; a month is 1/12 of
/// it, 30.4375 days).
pub const DAYS_PER_YEAR: f64 = 365.25;

/// Checks an annual effective discount rate: a finite number > −1 (`strictly_positive` for
/// DERT, whose sum over an infinite lifetime needs a positive rate).
fn check_annual_rate(annual_rate: f64, strictly_positive: bool) -> Result<()> {
    let ok = annual_rate.is_finite() && annual_rate > if strictly_positive { 0.0 } else { -1.0 };
    if ok {
        Ok(())
    } else {
        Err(ClvError::InvalidParameter(format!(
            "the annual discount rate (--discount-rate) must be a number {}, got {annual_rate}",
            if strictly_positive { "> 0" } else { "> -1" }
        )))
    }
}

/// The discount rate per period of `period_days` days equivalent to the annual effective rate
/// `annual_rate`: (1 + annual)^(period_days / 365.25) − 1.
pub fn per_period_discount_rate(annual_rate: f64, period_days: f64) -> Result<f64> {
    check_annual_rate(annual_rate, false)?;
    check_period_days(period_days)?;
    Ok((period_days / DAYS_PER_YEAR * annual_rate.ln_1p()).exp_m1())
}

/// The continuous discount rate per model time unit of `unit_days` days equivalent to the
/// annual effective rate `annual_rate`: δ = ln(1 + annual) · unit_days / 365.25 (so that
/// e^(−δ · one year) = 1/(1 + annual)). Pareto/NBD's DERT takes it.
pub fn continuous_discount_rate(annual_rate: f64, unit_days: f64) -> Result<f64> {
    check_annual_rate(annual_rate, true)?;
    check_period_days(unit_days)?;
    Ok(annual_rate.ln_1p() * unit_days / DAYS_PER_YEAR)
}

fn check_period_days(days: f64) -> Result<()> {
    if days.is_finite() && days > 0.0 {
        Ok(())
    } else {
        Err(ClvError::InvalidParameter(format!(
            "the length of a period must be > 0 days, got {days}"
        )))
    }
}

/// Most discounting periods a CLV sums.
const MAX_PERIODS: f64 = 100_000.0;

/// Horizon, discounting and margin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClvSettings {
    /// Horizon H in model time units; need not be a whole number of periods (12 months on a
    /// weekly model are 52.18 weeks): the last period is then partial.
    pub horizon: f64,
    /// Length of one discounting period in model time units (1 for the model's own unit).
    pub period_length: f64,
    /// Discount rate per period d.
    pub discount_per_period: f64,
    /// Profit margin applied to revenue (1 = the CLV is revenue).
    pub margin: f64,
}

impl ClvSettings {
    /// Settings over `horizon` model time units of `unit_days` days each, discounted per model
    /// unit at the rate equivalent to the annual effective `annual_rate`.
    pub fn from_annual_rate(
        horizon: f64,
        unit_days: f64,
        annual_rate: f64,
        margin: f64,
    ) -> Result<Self> {
        let s = ClvSettings {
            horizon,
            period_length: 1.0,
            discount_per_period: per_period_discount_rate(annual_rate, unit_days)?,
            margin,
        };
        s.validate()?;
        Ok(s)
    }

    pub fn validate(&self) -> Result<()> {
        if !(self.period_length.is_finite() && self.period_length > 0.0) {
            return Err(ClvError::InvalidParameter(format!(
                "the period length must be > 0, got {}",
                self.period_length
            )));
        }
        let periods = self.horizon / self.period_length;
        if !(periods.is_finite() && periods > 0.0 && periods <= MAX_PERIODS) {
            return Err(ClvError::InvalidParameter(format!(
                "the horizon (--horizon) must be more than 0 and at most {MAX_PERIODS} periods, got {}",
                self.horizon
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
                "the margin (--margin) must be >= 0, got {}",
                self.margin
            )));
        }
        Ok(())
    }

    /// The annual effective rate of the per-period rate, periods of `period_days` days (the
    /// inverse of [`per_period_discount_rate`]; for the assumptions stated with outputs).
    pub fn annual_discount_rate(&self, unit_days: f64) -> f64 {
        (DAYS_PER_YEAR / (unit_days * self.period_length) * self.discount_per_period.ln_1p())
            .exp_m1()
    }

    /// Total horizon in model time units.
    pub fn horizon(&self) -> f64 {
        self.horizon
    }

    /// Period ends t_k = min(k·L, H), k = 1..K. A horizon within rounding of a whole number of
    /// periods (52.000000001) has no sliver of a last period.
    fn period_ends(&self) -> impl Iterator<Item = f64> + '_ {
        let periods = (self.horizon / self.period_length * (1.0 - 1e-12)).ceil() as usize;
        (1..=periods).map(|k| (k as f64 * self.period_length).min(self.horizon))
    }

    /// Discount factors (1+d)^(−t_k/L) at the period ends.
    fn discount_factors(&self) -> impl Iterator<Item = f64> + '_ {
        let log_v = -self.discount_per_period.ln_1p();
        self.period_ends()
            .map(move |t| (log_v * t / self.period_length).exp())
    }
}

/// Expected purchases in each period k = 1..K, from a cumulative expectation `cumulative(t)`.
fn per_period(settings: &ClvSettings, cumulative: impl Fn(f64) -> f64) -> Vec<f64> {
    let mut prev = 0.0;
    settings
        .period_ends()
        .map(|end| {
            let now = cumulative(end);
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
            horizon: 12.0 * 4.345,
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
        // A month is 1/12 of the 365.25-day year: (1.01)^12 − 1 a year is 1% a month.
        let monthly_days = DAYS_PER_YEAR / 12.0;
        let s =
            ClvSettings::from_annual_rate(12.0, monthly_days, 1.01f64.powi(12) - 1.0, 1.0).unwrap();
        assert!((s.discount_per_period - 0.01).abs() < 1e-12);
        assert!(ClvSettings::from_annual_rate(0.0, 1.0, 0.1, 1.0).is_err());
        assert!(ClvSettings::from_annual_rate(12.0, 1.0, -1.5, 1.0).is_err());
        assert!(ClvSettings::from_annual_rate(f64::NAN, 1.0, 0.1, 1.0).is_err());
    }

    #[test]
    fn one_year_discounts_by_one_over_one_plus_the_annual_rate() {
        for annual in [0.0001, 0.05, 0.1, 0.5, 3.0] {
            for days in [1.0 / 24.0, 1.0, 7.0, DAYS_PER_YEAR / 12.0] {
                let units_per_year = DAYS_PER_YEAR / days;
                let d = per_period_discount_rate(annual, days).unwrap();
                let discrete = (1.0 + d).powf(-units_per_year);
                let delta = continuous_discount_rate(annual, days).unwrap();
                let continuous = (-delta * units_per_year).exp();
                let want = 1.0 / (1.0 + annual);
                assert!(
                    (discrete - want).abs() < 1e-12,
                    "{annual} {days}: {discrete}"
                );
                assert!(
                    (continuous - want).abs() < 1e-12,
                    "{annual} {days}: {continuous}"
                );
            }
        }
        assert!(continuous_discount_rate(0.0, 7.0).is_err());
        assert!(continuous_discount_rate(f64::INFINITY, 7.0).is_err());
    }

    #[test]
    fn a_partial_last_period_is_valued_for_its_length() {
        // 2.5 periods of a steady customer at no discount = 2.5 periods' purchases.
        let s = ClvSettings {
            horizon: 2.5,
            period_length: 1.0,
            discount_per_period: 0.0,
            margin: 1.0,
        };
        let clv = new_customer_clv(&Steady(2.0), 10.0, &s);
        assert!((clv - 2.0 * 2.5 * 10.0).abs() < 1e-9, "{clv}");
        // A horizon a rounding error above a whole number has no extra period.
        let whole = ClvSettings {
            horizon: 12.0 * (1.0 + 1e-15),
            ..s
        };
        assert_eq!(whole.period_ends().count(), 12);
    }
}
