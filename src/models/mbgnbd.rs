//! MBG/NBD (Batislam, Denizel & Filiztekin 2007): the BG/NBD with a dropout chance at every
//! purchase, the first included, so customers without repeat purchases can be inactive too.
//!
//! L(λ,p | x,t_x,T) = (1−p)^{x+1} λ^x e^{−λT} + p(1−p)^x λ^x e^{−λ t_x}; integrating over
//! λ ~ Gamma(r, α) and p ~ Beta(a, b) gives two terms combined by log-sum-exp. Given the
//! history and being alive at T, the future is a BG/NBD-type process (dropout only after
//! purchases) with parameters (r+x, α+T, a, b+x+1).

use statrs::function::gamma::{digamma, ln_gamma};

use super::bgnbd::{bg_expected, bg_prob_n, data_scale, positive_params};
use super::data::RfmData;
use super::pattern_sum::pattern_sum;
use super::special::log_add_exp;
use super::{Model, TransactionModel};
use crate::error::Result;

/// MBG/NBD parameters: purchase rates ~ Gamma(r, alpha), dropout probability ~ Beta(a, b).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MbgNbd {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

impl MbgNbd {
    /// Log-likelihood of one pattern and its gradient.
    fn pattern(&self, x: f64, t_x: f64, t: f64) -> ([f64; 4], f64) {
        let MbgNbd { r, alpha, a, b } = *self;
        let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
        // ln B(a, b+x+1) − ln B(a, b)
        let a2 = ln_gamma(a + b) + ln_gamma(b + x + 1.0) - ln_gamma(b) - ln_gamma(a + b + x + 1.0);
        let (l_t, l_tx) = ((alpha + t).ln(), (alpha + t_x).ln());
        let a3 = -(r + x) * l_t;
        // B(a+1, b+x) = B(a, b+x+1) a/(b+x)
        let a4 = a.ln() - (b + x).ln() - (r + x) * l_tx;
        let lse = log_add_exp(a3, a4);
        let w4 = (a4 - lse).exp();
        let w3 = 1.0 - w4;
        let psi_ab = digamma(a + b);
        let psi_abx = digamma(a + b + x + 1.0);
        let g = [
            digamma(r + x) - digamma(r) + alpha.ln() - w3 * l_t - w4 * l_tx,
            r / alpha - (r + x) * (w3 / (alpha + t) + w4 / (alpha + t_x)),
            psi_ab - psi_abx + w4 / a,
            psi_ab + digamma(b + x + 1.0) - digamma(b) - psi_abx - w4 / (b + x),
        ];
        (g, a1 + a2 + lse)
    }

    /// Unconditional P(X(t) = n) for a just-acquired customer (who may drop out at once).
    pub fn prob_n_purchases_new(&self, n: u32, t: f64) -> f64 {
        self.prob_n_purchases(n, t, 0.0, 0.0, 0.0)
    }
}

impl Model for MbgNbd {
    type Data = RfmData;
    const NAME: &'static str = "mbgnbd";
    const PARAM_NAMES: &'static [&'static str] = &["r", "alpha", "a", "b"];

    fn from_params(params: &[f64]) -> Result<Self> {
        let [r, alpha, a, b] = positive_params::<4>(Self::NAME, params)?;
        Ok(MbgNbd { r, alpha, a, b })
    }

    fn params(&self) -> Vec<f64> {
        vec![self.r, self.alpha, self.a, self.b]
    }

    fn log_likelihood(&self, d: &RfmData) -> f64 {
        pattern_sum::<1, _>(d.patterns(), |i| {
            [d.weights[i] * self.pattern(d.x[i], d.t_x[i], d.t[i]).1]
        })[0]
    }

    fn gradient(&self, d: &RfmData) -> Vec<f64> {
        pattern_sum::<4, _>(d.patterns(), |i| {
            let (g, _) = self.pattern(d.x[i], d.t_x[i], d.t[i]);
            g.map(|v| v * d.weights[i])
        })
        .to_vec()
    }

    fn initial_guesses(d: &RfmData) -> Vec<Vec<f64>> {
        let (mx, mt) = data_scale(d);
        [(1.0, 1.0, 1.0), (0.3, 1.0, 3.0), (2.0, 0.5, 0.5)]
            .iter()
            .map(|&(r, a, b)| vec![r, r * mt / mx, a, b])
            .collect()
    }
}

impl TransactionModel for MbgNbd {
    fn p_alive(&self, x: f64, t_x: f64, t: f64) -> f64 {
        // 1 / (1 + (a/(b+x)) ((α+T)/(α+t_x))^{r+x})
        let l = self.a.ln() - (self.b + x).ln()
            + (self.r + x) * ((self.alpha + t).ln() - (self.alpha + t_x).ln());
        if l > 0.0 {
            (-l).exp() / (1.0 + (-l).exp())
        } else {
            1.0 / (1.0 + l.exp())
        }
    }

    fn expected_purchases(&self, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        self.p_alive(x, t_x, t)
            * bg_expected(
                horizon,
                self.r + x,
                self.alpha + t,
                self.a,
                self.b + x + 1.0,
            )
    }

    fn expected_purchases_new(&self, horizon: f64) -> f64 {
        self.expected_purchases(horizon, 0.0, 0.0, 0.0)
    }

    fn prob_n_purchases(&self, n: u32, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        let pa = self.p_alive(x, t_x, t);
        let future = bg_prob_n(
            n,
            horizon,
            self.r + x,
            self.alpha + t,
            self.a,
            self.b + x + 1.0,
        );
        pa * future + if n == 0 { 1.0 - pa } else { 0.0 }
    }
}
