//! Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV";
//! Fader & Hardie 2013, "The Gamma-Gamma model of monetary value").
//!
//! A customer's transaction values are Gamma(p, nu) with a customer-specific scale `nu`, and
//! `nu ~ Gamma(q, gamma)` across customers. For a customer with `x` repeat transactions of mean
//! value `zbar`, `x * zbar ~ Gamma(p x, nu)`; integrating `nu` out gives the density of `zbar`
//! used in the likelihood, in full (the terms in `zbar` and `x` included, as in the published
//! log-likelihood -4055.92 on CDNOW).

use statrs::function::gamma::digamma;

use super::common::check_positive;
use super::data::RepeatSpendData;
use super::fit::fit_model;
use super::{FitOptions, Fitted, Model, SpendModel};
use crate::error::{ClvError, Result};
use crate::math::gamma::ln_beta;
use crate::optim::{Problem, maximise};

/// The Gamma-Gamma model: shape `p` of the spend distribution, shape `q` and scale `gamma` of
/// the Gamma heterogeneity in its rate `nu`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGamma {
    pub(crate) p: f64,
    pub(crate) q: f64,
    pub(crate) gamma: f64,
}

validated_parameters!(GammaGamma { p, q, gamma });

impl GammaGamma {
    fn check(&self) -> Result<()> {
        check_positive(&[("p", self.p), ("q", self.q), ("gamma", self.gamma)])
    }

    /// ln f(zbar | x): the density of the mean of `x` transaction values, written so that
    /// extreme ratios of `gamma` to `x * zbar` stay accurate:
    /// -ln B(px, q) + q ln gamma + px ln(x zbar) - (px + q) ln(gamma + x zbar) - ln zbar.
    fn ln_density(&self, x: f64, zbar: f64) -> f64 {
        let (p, q, g) = (self.p, self.q, self.gamma);
        let total = x * zbar;
        -ln_beta(p * x, q) - q * (total / g).ln_1p() - p * x * (g / total).ln_1p() - zbar.ln()
    }

    /// Posterior mean of a customer's expected transaction value, E[Z | x, zbar] =
    /// p (gamma + x zbar) / (p x + q - 1): a weighted average of the population mean and the
    /// customer's own mean. A customer with x = 0 has no spend history and gets the population
    /// mean p gamma / (q - 1) (whatever `zbar` is passed). Errors when p x + q <= 1, where the
    /// posterior mean does not exist.
    pub fn conditional_expected_average_spend(&self, x: f64, zbar: f64) -> Result<f64> {
        self.check()?;
        if !(x.is_finite() && x >= 0.0 && zbar.is_finite() && zbar >= 0.0) {
            return Err(ClvError::InvalidParameter(format!(
                "need finite x >= 0 and mean spend >= 0 (x={x}, zbar={zbar})"
            )));
        }
        let zbar = if x == 0.0 { 0.0 } else { zbar };
        let denom = self.p * x + self.q - 1.0;
        if denom <= 0.0 {
            return Err(ClvError::InvalidParameter(format!(
                "the expected spend does not exist for p x + q <= 1 (p={}, q={}, x={x})",
                self.p, self.q
            )));
        }
        Ok(self.p * (self.gamma + x * zbar) / denom)
    }

    /// Population mean transaction value, E[Z] = E[p / nu] = p gamma / (q - 1). Errors when
    /// q <= 1: the Gamma heterogeneity then puts so much mass near nu = 0 that the mean spend
    /// is infinite.
    pub fn population_mean_spend(&self) -> Result<f64> {
        self.check()?;
        if self.q <= 1.0 {
            return Err(ClvError::InvalidParameter(format!(
                "the mean spend does not exist for q <= 1 (q={})",
                self.q
            )));
        }
        Ok(self.p * self.gamma / (self.q - 1.0))
    }

    /// Expected average transaction value of a new customer (no spend history): the population
    /// mean p gamma / (q - 1); errors when q <= 1.
    pub fn expected_average_spend_new(&self) -> Result<f64> {
        self.population_mean_spend()
    }
}

impl SpendModel for GammaGamma {
    fn expected_average_spend(&self, x: f64, mean_spend: f64) -> Result<f64> {
        self.conditional_expected_average_spend(x, mean_spend)
    }

    fn expected_average_spend_new(&self) -> Result<f64> {
        GammaGamma::expected_average_spend_new(self)
    }
}

/// The smallest q a fit may return. At q <= 1 the model has no mean spend (the posterior
/// mean of a customer with x = 0, and of any customer with p x + q <= 1, does not exist), so
/// a saved model could not predict; heavy-tailed spend pushes the unconstrained maximum
/// there. Half a unit above 1 keeps the population mean p gamma / (q - 1) at most 2 p gamma.
pub const Q_MIN: f64 = 1.5;

/// The fit with q held at [`Q_MIN`] (the constrained maximum when the unconstrained one has
/// q <= Q_MIN, the likelihood being unimodal in q): p and gamma by the shared optimiser, q
/// reported at the boundary with a warning and no standard error.
fn fit_with_q_floor(
    data: &RepeatSpendData,
    options: &FitOptions,
    free: &Fitted<GammaGamma>,
) -> Result<Fitted<GammaGamma>> {
    let log_likelihood = |v: &[f64]| -> Option<(f64, Vec<f64>)> {
        let m = GammaGamma::from_params(&[v[0], Q_MIN, v[1]]).ok()?;
        let (ll, g) = m.log_likelihood_and_gradient(data);
        Some((ll, vec![g[0], g[2]]))
    };
    let mut starts: Vec<Vec<f64>> = GammaGamma::initial_guesses(data)
        .into_iter()
        .map(|s| vec![s[0], s[2] * (Q_MIN - 1.0) / (s[1] - 1.0).abs().max(0.1)])
        .collect();
    starts.push(vec![free.model.p, free.model.gamma]);
    let problem = Problem {
        model: GammaGamma::NAME.to_string(),
        names: vec!["p".into(), "gamma".into()],
        positive: vec![true, true],
        starts,
        log_likelihood: &log_likelihood,
        stop_on_flat_boundary: false,
        coarse: None,
    };
    let mut report = maximise(&problem, options)?;
    let (p, gamma) = (report.estimates[0], report.estimates[1]);
    report.param_names = GammaGamma::PARAM_NAMES
        .iter()
        .map(|n| n.to_string())
        .collect();
    report.estimates = vec![p, Q_MIN, gamma];
    report.std_errors.insert(1, None);
    report.ci95.insert(1, None);
    // The 2x2 information of (p, gamma) says nothing about q: no joint covariance.
    report.covariance = None;
    report.at_boundary.insert(0, "q".into());
    report.warnings.insert(
        0,
        format!(
            "q constrained to >= {Q_MIN}: the unconstrained maximum has q = {:.4} (heavy-tailed \
             spend, for which the model's mean spend {}); p and gamma fitted with q = {Q_MIN}",
            free.model.q,
            if free.model.q <= 1.0 {
                "does not exist"
            } else {
                "is barely finite"
            }
        ),
    );
    Ok(Fitted {
        model: GammaGamma::from_params(&report.estimates)?,
        report,
    })
}

/// The (x, zbar, weight) rows of the data.
fn rows(data: &RepeatSpendData) -> impl Iterator<Item = (f64, f64, f64)> + '_ {
    data.x
        .iter()
        .zip(&data.mean_spend)
        .zip(&data.weights)
        .map(|((x, z), w)| (*x, *z, *w))
}

impl Model for GammaGamma {
    type Data = RepeatSpendData;
    const NAME: &'static str = "gamma-gamma";
    const PARAM_NAMES: &'static [&'static str] = &["p", "q", "gamma"];

    fn from_params(params: &[f64]) -> Result<Self> {
        if params.len() != 3 {
            return Err(ClvError::InvalidParameter(format!(
                "gamma-gamma takes 3 parameters (p, q, gamma), got {}",
                params.len()
            )));
        }
        let m = GammaGamma {
            p: params[0],
            q: params[1],
            gamma: params[2],
        };
        m.check()?;
        Ok(m)
    }

    fn params(&self) -> Vec<f64> {
        vec![self.p, self.q, self.gamma]
    }

    fn log_likelihood(&self, data: &RepeatSpendData) -> f64 {
        if self.check().is_err() {
            return f64::NAN;
        }
        rows(data)
            .map(|(x, zbar, w)| w * self.ln_density(x, zbar))
            .sum()
    }

    fn gradient(&self, data: &RepeatSpendData) -> Vec<f64> {
        if self.check().is_err() {
            return vec![f64::NAN; 3];
        }
        let (p, q, g) = (self.p, self.q, self.gamma);
        let mut grad = [0.0; 3];
        for (x, zbar, w) in rows(data) {
            let total = x * zbar;
            let psi_sum = digamma(p * x + q);
            grad[0] += w * x * (psi_sum - digamma(p * x) - (g / total).ln_1p());
            grad[1] += w * (psi_sum - digamma(q) - (total / g).ln_1p());
            grad[2] += w * (q / g - (p * x + q) / (g + total));
        }
        grad.to_vec()
    }

    /// As the shared optimiser, but refuses data whose mean spends are all equal (one repeat
    /// buyer included): the likelihood then grows without bound as p and q go to infinity
    /// (the spend distribution collapsing onto that one value), so there is no estimate.
    fn fit(data: &RepeatSpendData, options: &FitOptions) -> Result<Fitted<Self>> {
        let Some(&first) = data.mean_spend.first() else {
            return Err(ClvError::Fit(
                "gamma-gamma: no repeat buyers to fit on".into(),
            ));
        };
        if data.mean_spend.iter().all(|z| *z == first) {
            return Err(ClvError::Fit(format!(
                "gamma-gamma: every repeat buyer has the same mean spend ({first}), so the \
                 likelihood has no maximum; use the mean spend itself as the prediction"
            )));
        }
        let fitted = fit_model::<Self>(data, options)?;
        if fitted.model.q > Q_MIN {
            return Ok(fitted);
        }
        fit_with_q_floor(data, options, &fitted)
    }

    fn initial_guesses(data: &RepeatSpendData) -> Vec<Vec<f64>> {
        // For many transactions zbar ~ p / nu, an inverse-gamma variable with mean
        // p gamma / (q - 1) and squared coefficient of variation 1 / (q - 2): match the
        // weighted moments of zbar, then spread p (not identified by these two moments).
        let wsum: f64 = data.weights.iter().sum();
        let mean = data
            .mean_spend
            .iter()
            .zip(&data.weights)
            .map(|(z, w)| z * w)
            .sum::<f64>()
            / wsum;
        let var = data
            .mean_spend
            .iter()
            .zip(&data.weights)
            .map(|(z, w)| w * (z - mean).powi(2))
            .sum::<f64>()
            / wsum;
        let mut starts = Vec::new();
        let q_moment = if var > 0.0 {
            2.0 + mean * mean / var
        } else {
            10.0
        };
        for q in [q_moment, 3.0] {
            for p in [1.0, 5.0] {
                starts.push(vec![p, q, mean * (q - 1.0) / p]);
            }
        }
        starts.push(vec![1.0, 1.0, 1.0]);
        starts
    }
}
