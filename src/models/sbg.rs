//! Shifted-beta-geometric (sBG) retention model for contractual settings (Fader & Hardie 2007,
//! "How to project customer retention"), with the discounted lifetime measures of Fader &
//! Hardie (2010, "Customer-base valuation in a contractual setting").
//!
//! Each customer renews at the end of every period with a fixed probability `1 - theta`;
//! `theta` varies across customers as Beta(alpha, beta). From a cohort's survivor counts the
//! likelihood counts the churners of each period, `P(T = t)`, and the customers still active at
//! the end, `S(T)`.

use super::common::{check_positive, flag_boundary};
use super::data::SurvivorData;
use super::fit::fit_model;
use super::{FitOptions, Fitted, Model, RetentionModel};
use crate::error::{ClvError, Result};
use crate::math::gamma::{digamma_diff, ln_beta};
use crate::math::series::{discount_factor, discounted_sum};

/// The sBG model: `theta ~ Beta(alpha, beta)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShiftedBetaGeometric {
    pub(crate) alpha: f64,
    pub(crate) beta: f64,
}

validated_parameters!(ShiftedBetaGeometric { alpha, beta });

impl ShiftedBetaGeometric {
    fn check(&self) -> Result<()> {
        check_positive(&[("alpha", self.alpha), ("beta", self.beta)])
    }

    /// ln P(T = t) for t >= 1: B(alpha + 1, beta + t - 1) / B(alpha, beta).
    fn ln_churn_probability(&self, t: f64) -> f64 {
        ln_beta(self.alpha + 1.0, self.beta + t - 1.0) - ln_beta(self.alpha, self.beta)
    }

    /// ln S(t): B(alpha, beta + t) / B(alpha, beta).
    fn ln_survival(&self, t: f64) -> f64 {
        ln_beta(self.alpha, self.beta + t) - ln_beta(self.alpha, self.beta)
    }

    /// P(T = t): probability that a new customer churns at the end of period `t` (t >= 1).
    pub fn churn_probability(&self, t: u32) -> Result<f64> {
        self.check()?;
        if t == 0 {
            return Err(ClvError::InvalidParameter(
                "churn probability is defined for periods t >= 1".into(),
            ));
        }
        Ok(self.ln_churn_probability(f64::from(t)).exp())
    }

    /// S(t): probability that a new customer is still active after `t` periods.
    pub fn survival(&self, t: u32) -> Result<f64> {
        self.check()?;
        Ok(self.ln_survival(f64::from(t)).exp())
    }

    /// r(t) = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1), t >= 1: the share of
    /// period t - 1's survivors who renew; it rises with t as the churn-prone leave first.
    pub fn retention_rate(&self, t: u32) -> Result<f64> {
        self.check()?;
        if t == 0 {
            return Err(ClvError::InvalidParameter(
                "the retention rate is defined for periods t >= 1".into(),
            ));
        }
        let t = f64::from(t);
        Ok((self.beta + t - 1.0) / (self.alpha + self.beta + t - 1.0))
    }

    /// Churn rate of each period 1..=periods: 1 - r(t) = alpha / (alpha + beta + t - 1).
    pub fn churn_rate_by_period(&self, periods: u32) -> Result<Vec<f64>> {
        self.check()?;
        Ok((1..=periods)
            .map(|t| self.alpha / (self.alpha + self.beta + f64::from(t) - 1.0))
            .collect())
    }

    /// Expected survivors of a cohort of `cohort_size` at t = 0, 1, ..., periods.
    pub fn projected_survivors(&self, cohort_size: f64, periods: u32) -> Result<Vec<f64>> {
        self.check()?;
        if !(cohort_size.is_finite() && cohort_size >= 0.0) {
            return Err(ClvError::InvalidParameter(format!(
                "cohort size must be finite and >= 0, got {cohort_size}"
            )));
        }
        Ok((0..=periods)
            .map(|t| cohort_size * self.ln_survival(f64::from(t)).exp())
            .collect())
    }

    /// Discounted expected lifetime of a new customer, sum over t >= 0 of S(t) / (1 + d)^t
    /// (Fader & Hardie 2010; equals 2F1(1, beta; alpha + beta; 1 / (1 + d))). The first
    /// period counts undiscounted.
    pub fn discounted_expected_lifetime(&self, discount: f64) -> Result<f64> {
        self.check()?;
        let r = discount_factor(discount)?;
        // S(t + 1) / S(t) = (beta + t) / (alpha + beta + t).
        let (a, b) = (self.alpha, self.beta);
        discounted_sum(1.0, r, |t| (b + t as f64) / (a + b + t as f64))
    }

    /// Discounted expected residual lifetime of a customer who has made `renewals` renewals,
    /// sum over t > n of S(t) / S(n) / (1 + d)^(t - n - 1) (Fader & Hardie 2010; equals
    /// (beta + n) / (alpha + beta + n) * 2F1(1, beta + n + 1; alpha + beta + n + 1; 1/(1+d))).
    /// The next renewal counts undiscounted, each later one a period further discounted.
    pub fn discounted_expected_residual_lifetime(
        &self,
        discount: f64,
        renewals: u32,
    ) -> Result<f64> {
        self.check()?;
        let r = discount_factor(discount)?;
        let (a, b, n) = (self.alpha, self.beta, f64::from(renewals));
        let first = (b + n) / (a + b + n);
        discounted_sum(first, r, |k| {
            (b + n + 1.0 + k as f64) / (a + b + n + 1.0 + k as f64)
        })
    }
}

impl RetentionModel for ShiftedBetaGeometric {
    fn survival(&self, t: u32) -> Result<f64> {
        ShiftedBetaGeometric::survival(self, t)
    }

    fn retention_rate(&self, t: u32) -> Result<f64> {
        ShiftedBetaGeometric::retention_rate(self, t)
    }

    fn churn_probability(&self, t: u32) -> Result<f64> {
        ShiftedBetaGeometric::churn_probability(self, t)
    }

    fn discounted_expected_lifetime(&self, discount: f64) -> Result<f64> {
        ShiftedBetaGeometric::discounted_expected_lifetime(self, discount)
    }

    fn discounted_expected_residual_lifetime(&self, discount: f64, renewals: u32) -> Result<f64> {
        ShiftedBetaGeometric::discounted_expected_residual_lifetime(self, discount, renewals)
    }
}

impl Model for ShiftedBetaGeometric {
    type Data = SurvivorData;
    const NAME: &'static str = "sbg";
    const PARAM_NAMES: &'static [&'static str] = &["alpha", "beta"];

    fn from_params(params: &[f64]) -> Result<Self> {
        if params.len() != 2 {
            return Err(ClvError::InvalidParameter(format!(
                "sbg takes 2 parameters (alpha, beta), got {}",
                params.len()
            )));
        }
        let m = ShiftedBetaGeometric {
            alpha: params[0],
            beta: params[1],
        };
        m.check()?;
        Ok(m)
    }

    fn params(&self) -> Vec<f64> {
        vec![self.alpha, self.beta]
    }

    fn log_likelihood(&self, data: &SurvivorData) -> f64 {
        if self.check().is_err() || data.survivors.len() < 2 {
            return f64::NAN;
        }
        let s = &data.survivors;
        let mut ll = 0.0;
        for t in 1..s.len() {
            let churned = s[t - 1] - s[t];
            // A period without churners adds nothing (and 0 * ln P must not be evaluated).
            if churned > 0.0 {
                ll += churned * self.ln_churn_probability(t as f64);
            }
        }
        let (last, end) = (s.len() - 1, s[s.len() - 1]);
        if end > 0.0 {
            ll += end * self.ln_survival(last as f64);
        }
        ll
    }

    fn gradient(&self, data: &SurvivorData) -> Vec<f64> {
        if self.check().is_err() || data.survivors.len() < 2 {
            return vec![f64::NAN; 2];
        }
        let (a, b) = (self.alpha, self.beta);
        let s = &data.survivors;
        let (mut ga, mut gb) = (0.0, 0.0);
        for t in 1..s.len() {
            let churned = s[t - 1] - s[t];
            if churned > 0.0 {
                let t = t as f64;
                // d/dalpha ln P(T=t) = psi(a+1) - psi(a) - [psi(a+b+t) - psi(a+b)].
                ga += churned * (1.0 / a - digamma_diff(a + b, t));
                gb += churned * (digamma_diff(b, t - 1.0) - digamma_diff(a + b, t));
            }
        }
        let (last, end) = (s.len() - 1, s[s.len() - 1]);
        if end > 0.0 {
            let t = last as f64;
            ga += end * -digamma_diff(a + b, t);
            gb += end * (digamma_diff(b, t) - digamma_diff(a + b, t));
        }
        vec![ga, gb]
    }

    /// As the shared optimiser, but a cohort in which nobody churned is flagged: its maximum
    /// lies at churn probability 0 (alpha -> 0 or beta -> infinity), which the optimiser may
    /// approach without reaching the edge of its search space.
    fn fit(data: &SurvivorData, options: &FitOptions) -> Result<Fitted<Self>> {
        let mut fitted = fit_model::<Self>(data, options)?;
        let s = &data.survivors;
        if s.first() == s.last() {
            flag_boundary(
                &mut fitted,
                &["alpha", "beta"],
                "no customer churned, so the estimated churn probability is 0",
            );
        }
        Ok(fitted)
    }

    fn initial_guesses(data: &SurvivorData) -> Vec<Vec<f64>> {
        let mut starts = vec![vec![1.0, 1.0], vec![0.5, 3.0], vec![2.0, 10.0]];
        // The first period's churn rate is alpha / (alpha + beta): match it with alpha = 1.
        let s = &data.survivors;
        let c1 = if s.len() >= 2 {
            1.0 - s[1] / s[0]
        } else {
            f64::NAN
        };
        if c1 > 0.0 && c1 < 1.0 {
            starts.insert(0, vec![1.0, (1.0 - c1) / c1]);
        }
        starts
    }
}
