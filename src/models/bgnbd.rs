//! BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): Poisson
//! purchasing with gamma-distributed rates, dropout with beta-distributed probability after
//! each repeat purchase.
//!
//! The log-likelihood (shared with MBG/NBD, in [`super::bg_process`]) is the numerically
//! stable form of Hardie's note on the BG/NBD.
//! Conditional predictions use the fact that, given the history and being alive at T, the
//! future is a fresh BG/NBD process with parameters (r+x, α+T, a, b+x).

use statrs::function::beta::checked_beta_reg;
use statrs::function::gamma::ln_gamma;

use super::bg_process::BgProcess;
use super::data::RfmData;
use super::special::ln_beta;
use super::{CovariateShift, Model, TransactionModel};
use crate::error::{ClvError, Result};

/// BG/NBD parameters: purchase rates ~ Gamma(r, alpha), dropout probability ~ Beta(a, b).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgNbd {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

/// Checks that `params` has `N` finite positive values.
pub(crate) fn positive_params<const N: usize>(model: &str, params: &[f64]) -> Result<[f64; N]> {
    let p: [f64; N] = params.try_into().map_err(|_| {
        ClvError::InvalidParameter(format!(
            "{model}: expected {N} parameters, got {}",
            params.len()
        ))
    })?;
    if let Some(v) = p.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
        return Err(ClvError::InvalidParameter(format!(
            "{model}: parameters must be finite and > 0, got {v}"
        )));
    }
    Ok(p)
}

/// Weighted mean number of repeat purchases and mean age, for scale-aware starting points.
pub(crate) fn data_scale(data: &RfmData) -> (f64, f64) {
    let w: f64 = data.weights.iter().sum();
    let mx = data
        .x
        .iter()
        .zip(&data.weights)
        .map(|(x, w)| x * w)
        .sum::<f64>()
        / w;
    let mt = data
        .t
        .iter()
        .zip(&data.weights)
        .map(|(t, w)| t * w)
        .sum::<f64>()
        / w;
    (mx.max(1e-3), mt.max(1e-3))
}

impl Model for BgNbd {
    type Data = RfmData;
    const NAME: &'static str = "bgnbd";
    const PARAM_NAMES: &'static [&'static str] = &["r", "alpha", "a", "b"];

    fn from_params(params: &[f64]) -> Result<Self> {
        let [r, alpha, a, b] = positive_params::<4>(Self::NAME, params)?;
        Ok(BgNbd { r, alpha, a, b })
    }

    fn params(&self) -> Vec<f64> {
        vec![self.r, self.alpha, self.a, self.b]
    }

    fn log_likelihood(&self, d: &RfmData) -> f64 {
        self.process().evaluate(d).0
    }

    fn gradient(&self, d: &RfmData) -> Vec<f64> {
        self.process().evaluate(d).1.to_vec()
    }

    fn log_likelihood_and_gradient(&self, d: &RfmData) -> (f64, Vec<f64>) {
        let (ll, g) = self.process().evaluate(d);
        (ll, g.to_vec())
    }

    fn initial_guesses(d: &RfmData) -> Vec<Vec<f64>> {
        let (mx, mt) = data_scale(d);
        // E[X(T)] ≈ rT/α before dropout: match the mean purchase count at a few shapes r.
        [(1.0, 1.0, 1.0), (0.3, 1.0, 3.0), (2.0, 0.5, 0.5)]
            .iter()
            .map(|&(r, a, b)| vec![r, r * mt / mx, a, b])
            .collect()
    }
}

/// E[X(t)] for a customer alive at time 0 who can drop out only after purchases, in a
/// BG/NBD process with parameters (r, α, a, b):
/// (a+b−1)/(a−1) · [1 − (α/(α+t))^r 2F1(r, b; a+b−1; z)], z = t/(α+t).
///
/// Euler's transformation turns (α/(α+t))^r 2F1(r,b;a+b−1;z) into
/// (1−z)^{a−1} 2F1(a+b−1−r, a−1; a+b−1; z), whose series has the factor (a−1) in every term
/// after the first; dividing it out removes the 0/0 at a = 1 and the cancellation near it.
pub(crate) fn bg_expected(t: f64, r: f64, alpha: f64, a: f64, b: f64) -> f64 {
    if t <= 0.0 {
        return 0.0;
    }
    let l1z = -(t / alpha).ln_1p(); // ln(1 − z)
    let z = t / (alpha + t);
    let c = a + b - 1.0;
    let big_a = c - r;
    let am1 = a - 1.0;
    let first = if am1.abs() < 1e-12 {
        -l1z
    } else {
        -(am1 * l1z).exp_m1() / am1
    };
    // Σ_{n≥1} (A)_n (a)_{n−1} / ((c)_n n!) z^n
    let mut term = big_a * z / c;
    let mut sum = term;
    let mut n = 1.0;
    while n < 1e7 {
        term *= (big_a + n) * (a + n - 1.0) * z / ((c + n) * (n + 1.0));
        sum += term;
        n += 1.0;
        let ratio = ((big_a + n) * (a + n - 1.0) / ((c + n) * (n + 1.0))).abs() * z;
        let r_bound = ratio.max(z);
        if n > (-big_a).max(1.0 - a).max(0.0) + 1.0
            && r_bound < 1.0
            && term.abs() * r_bound / (1.0 - r_bound) <= 1e-17 * sum.abs()
        {
            break;
        }
    }
    c * (first - (am1 * l1z).exp() * sum)
}

/// P(X(t) = n) for a customer alive at time 0 who can drop out only after purchases
/// (FHL 2005 eq. 8); the NBD tail 1 − Σ_{j<n} P_NBD(j) is the regularised incomplete beta
/// I_q(n, r), which avoids the cancellation of the finite sum.
pub(crate) fn bg_prob_n(n: u32, t: f64, r: f64, alpha: f64, a: f64, b: f64) -> f64 {
    if t <= 0.0 {
        return if n == 0 { 1.0 } else { 0.0 };
    }
    let nf = n as f64;
    let q = t / (alpha + t);
    let ln_p = -(t / alpha).ln_1p();
    let ln_q = (t / alpha).ln() + ln_p;
    let alive =
        ln_beta(a, b + nf) - ln_beta(a, b) + ln_gamma(r + nf) - ln_gamma(r) - ln_gamma(nf + 1.0)
            + r * ln_p
            + nf * ln_q;
    let mut p = alive.exp();
    if n > 0 {
        let tail = checked_beta_reg(nf, r, q).unwrap_or(f64::NAN);
        p += (ln_beta(a + 1.0, b + nf - 1.0) - ln_beta(a, b)).exp() * tail;
    }
    p
}

impl BgNbd {
    /// The likelihood's form: dropout possible after each repeat purchase.
    fn process(&self) -> BgProcess {
        BgProcess::new([self.r, self.alpha, self.a, self.b], false)
    }

    /// Unconditional P(X(t) = n) for a just-acquired customer.
    pub fn prob_n_purchases_new(&self, n: u32, t: f64) -> f64 {
        bg_prob_n(n, t, self.r, self.alpha, self.a, self.b)
    }
}

impl TransactionModel for BgNbd {
    fn p_alive(&self, x: f64, t_x: f64, t: f64) -> f64 {
        self.process().p_alive(x, t_x, t)
    }

    fn expected_purchases(&self, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        self.process().expected_purchases(horizon, x, t_x, t)
    }

    fn expected_purchases_if_alive(&self, horizon: f64, x: f64, t: f64) -> Option<f64> {
        self.process().expected_purchases_if_alive(horizon, x, t)
    }

    fn prob_no_purchase_if_alive(&self, horizon: f64, x: f64, t: f64) -> Option<f64> {
        self.process().prob_no_purchase_if_alive(horizon, x, t)
    }

    fn expected_purchases_new(&self, horizon: f64) -> f64 {
        self.process().expected_purchases_new(horizon)
    }

    fn prob_n_purchases(&self, n: u32, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        self.process().prob_n_purchases(n, horizon, x, t_x, t)
    }

    fn draw_repeat_purchases(
        &self,
        rng: &mut dyn rand::RngCore,
        birth: f64,
        end: f64,
        shift: CovariateShift,
    ) -> Result<Vec<f64>> {
        self.process().draw_repeat_purchases(rng, birth, end, shift)
    }
}
