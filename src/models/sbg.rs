//! Shifted-beta-geometric (sBG) retention model for contractual settings (Fader & Hardie 2007,
//! "How to project customer retention"), with the discounted lifetime measures of Fader &
//! Hardie (2010, "Customer-base valuation in a contractual setting").
//!
//! Each customer renews at the end of every period with a fixed probability `1 - theta`;
//! `theta` varies across customers as Beta(alpha, beta). From a cohort's survivor counts the
//! likelihood counts the churners of each period, `P(T = t)`, and the customers still active at
//! the end, `S(T)`.
//!
//! This file also holds the small numeric helpers shared by the discrete models of this family
//! (`ln_beta`, `digamma_diff`, `LogSumExp`), written to stay accurate for parameters in the
//! millions, where a plain sum of log-gamma values loses digits.

use statrs::function::gamma::{digamma, ln_gamma};

use super::data::SurvivorData;
use super::{FitOptions, Fitted, Model, optim};
use crate::error::{ClvError, Result};

/// Terms after which a discounted sum that has not met its tolerance is declared divergent.
const MAX_SUM_TERMS: usize = 10_000_000;
/// Relative tolerance of the discounted sums (bound on the neglected tail).
const SUM_TOLERANCE: f64 = 1e-13;

/// The sBG model: `theta ~ Beta(alpha, beta)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShiftedBetaGeometric {
    pub alpha: f64,
    pub beta: f64,
}

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
        let mut fitted = optim::fit_model::<Self>(data, options)?;
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

/// Marks a fit whose data put the maximum on the boundary of the parameter space: the named
/// parameters are listed as at the boundary, a warning says why, and the fit is not reported
/// as converged (the estimates are not identified; predictions remain usable).
pub(super) fn flag_boundary<M>(fitted: &mut Fitted<M>, params: &[&str], why: &str) {
    let report = &mut fitted.report;
    for p in params {
        if !report.at_boundary.iter().any(|b| b == p) {
            report.at_boundary.push((*p).to_string());
        }
    }
    report.converged = false;
    report.warnings.push(format!(
        "the maximum lies on the boundary: {why}; {} are not identified (estimates {}), \
         predictions remain usable",
        params.join(", "),
        report
            .param_names
            .iter()
            .zip(&report.estimates)
            .map(|(n, v)| format!("{n}={v:.3e}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
}

/// `1 / (1 + d)` for a per-period discount rate `d > 0`.
pub(super) fn discount_factor(discount: f64) -> Result<f64> {
    if !(discount.is_finite() && discount > 0.0) {
        return Err(ClvError::InvalidParameter(format!(
            "discount rate must be finite and > 0, got {discount}"
        )));
    }
    Ok(1.0 / (1.0 + discount))
}

/// Sum over k >= 0 of `first * prod_{j<k} ratio(j) * r^k` where every `ratio(j)` lies in
/// (0, 1]: the neglected tail after a term `u` is then below `u r / (1 - r)`, which is the
/// stopping rule. Errors if the tolerance is not met within the term cap.
pub(super) fn discounted_sum(first: f64, r: f64, ratio: impl Fn(usize) -> f64) -> Result<f64> {
    let mut term = first;
    let mut sum = 0.0;
    for k in 0..MAX_SUM_TERMS {
        sum += term;
        if term * r / (1.0 - r) <= SUM_TOLERANCE * sum {
            return Ok(sum);
        }
        term *= ratio(k) * r;
    }
    Err(ClvError::InvalidParameter(format!(
        "the discounted sum did not converge within {MAX_SUM_TERMS} terms; the discount rate \
         {:.3e} is too small",
        1.0 / r - 1.0
    )))
}

/// Errors unless every named value is finite and > 0.
pub(super) fn check_positive(values: &[(&str, f64)]) -> Result<()> {
    for (name, v) in values {
        if !(v.is_finite() && *v > 0.0) {
            return Err(ClvError::InvalidParameter(format!(
                "{name} must be finite and > 0, got {v}"
            )));
        }
    }
    Ok(())
}

/// Below this, log-gamma and digamma are evaluated directly; above, by Stirling series whose
/// differences can be formed without cancellation.
const ASYMPTOTIC_FROM: f64 = 10.0;

/// ln Gamma(x) - [(x - 1/2) ln x - x + ln(2 pi) / 2] for x >= 10 (Stirling correction).
pub(super) fn stirling_correction(x: f64) -> f64 {
    let z = 1.0 / (x * x);
    (1.0 / 12.0 - z * (1.0 / 360.0 - z * (1.0 / 1260.0 - z * (1.0 / 1680.0 - z / 1188.0)))) / x
}

/// ln B(a, b) for a, b > 0, accurate also when one or both arguments are huge (there the
/// naive ln Gamma(a) + ln Gamma(b) - ln Gamma(a + b) cancels away most digits).
pub(super) fn ln_beta(a: f64, b: f64) -> f64 {
    let (small, large) = if a <= b { (a, b) } else { (b, a) };
    if large < ASYMPTOTIC_FROM {
        return ln_gamma(small) + ln_gamma(large) - ln_gamma(small + large);
    }
    let sum = small + large;
    let corr = stirling_correction(large) - stirling_correction(sum);
    if small < ASYMPTOTIC_FROM {
        // ln Gamma(large) - ln Gamma(sum) by Stirling, the ratio through ln_1p.
        ln_gamma(small) - (large - 0.5) * (small / large).ln_1p() - small * sum.ln() + small + corr
    } else {
        0.5 * (2.0 * std::f64::consts::PI).ln() - 0.5 * large.ln()
            + (small - 0.5) * (small / sum).ln()
            - large * (small / large).ln_1p()
            + stirling_correction(small)
            + corr
    }
}

/// psi(x) - ln x for x >= 10 (asymptotic series).
fn digamma_minus_ln(x: f64) -> f64 {
    let z = 1.0 / (x * x);
    -0.5 / x
        - z * (1.0 / 12.0 - z * (1.0 / 120.0 - z * (1.0 / 252.0 - z * (1.0 / 240.0 - z / 132.0))))
}

/// psi(a + h) - psi(a) for a > 0, h >= 0, without the cancellation of the plain difference
/// when `a` is large.
pub(super) fn digamma_diff(a: f64, h: f64) -> f64 {
    if h == 0.0 {
        return 0.0;
    }
    if a < ASYMPTOTIC_FROM {
        return digamma(a + h) - digamma(a);
    }
    (h / a).ln_1p() + digamma_minus_ln(a + h) - digamma_minus_ln(a)
}

/// Running ln sum exp(v_i), one value at a time, so long sums need no buffer.
#[derive(Debug, Clone, Copy)]
pub(super) struct LogSumExp {
    max: f64,
    /// Sum of exp(v_i - max).
    scaled: f64,
}

impl LogSumExp {
    pub(super) fn new() -> Self {
        LogSumExp {
            max: f64::NEG_INFINITY,
            scaled: 0.0,
        }
    }

    pub(super) fn push(&mut self, v: f64) {
        if v == f64::NEG_INFINITY {
            // A zero term adds nothing (and -inf - -inf must not be formed).
        } else if v <= self.max {
            self.scaled += (v - self.max).exp();
        } else if v.is_finite() {
            // A new maximum rescales what has been summed so far.
            self.scaled = self.scaled * (self.max - v).exp() + 1.0;
            self.max = v;
        } else if v.is_nan() {
            self.max = f64::NAN;
        }
    }

    /// The log of the sum; -inf when nothing (or only -inf) was pushed.
    pub(super) fn value(&self) -> f64 {
        if self.scaled == 0.0 || self.max.is_nan() {
            return self.max;
        }
        self.max + self.scaled.ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_beta_matches_direct_sum_and_stays_accurate_for_large_arguments() {
        for &(a, b) in &[
            (0.5, 3.0),
            (12.0, 0.7),
            (15.0, 40.0),
            (2.5, 1e3),
            (300.0, 500.5),
        ] {
            let direct = ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
            assert!(
                (ln_beta(a, b) - direct).abs() < 1e-11 * direct.abs().max(1.0),
                "{a} {b}"
            );
        }
        // B(1, b) = 1 / b exactly; B(2, b) = 1 / (b (b + 1)).
        for &b in &[10.0, 1e6, 1e12] {
            assert!((ln_beta(1.0, b) + b.ln()).abs() < 1e-13 * b.ln());
            assert!((ln_beta(2.0, b) + b.ln() + (b + 1.0).ln()).abs() < 1e-13 * b.ln());
        }
    }

    #[test]
    fn digamma_diff_matches_recurrence() {
        // psi(a + 3) - psi(a) = 1/a + 1/(a+1) + 1/(a+2).
        for &a in &[0.3, 9.9, 10.0, 55.0, 1e8] {
            let exact = 1.0 / a + 1.0 / (a + 1.0) + 1.0 / (a + 2.0);
            assert!((digamma_diff(a, 3.0) - exact).abs() < 1e-12 * exact, "{a}");
        }
    }

    fn lse(values: &[f64]) -> f64 {
        let mut acc = LogSumExp::new();
        values.iter().for_each(|v| acc.push(*v));
        acc.value()
    }

    #[test]
    fn log_sum_exp_handles_extremes() {
        assert!((lse(&[-1000.0, -1000.0]) - (-1000.0 + 2f64.ln())).abs() < 1e-12);
        assert!((lse(&[-2000.0, 3.0, -1.0]) - (3.0 + (-4f64).exp().ln_1p())).abs() < 1e-12);
        assert!(
            (lse(&[1.0, 2.0, 3.0]) - (1f64.exp() + 2f64.exp() + 3f64.exp()).ln()).abs() < 1e-12
        );
        assert_eq!(lse(&[]), f64::NEG_INFINITY);
        assert_eq!(
            lse(&[f64::NEG_INFINITY, f64::NEG_INFINITY]),
            f64::NEG_INFINITY
        );
        assert!(lse(&[1.0, f64::NAN]).is_nan());
    }
}
