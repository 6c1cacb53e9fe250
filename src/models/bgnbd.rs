//! BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): Poisson
//! purchasing with gamma-distributed rates, dropout with beta-distributed probability after
//! each repeat purchase.
//!
//! The log-likelihood (shared with MBG/NBD, in [`super::bg_process`]) is the numerically
//! stable form of Hardie's note on the BG/NBD.
//! Conditional predictions use the fact that, given the history and being alive at T, the
//! future is a fresh BG/NBD process with parameters (r+x, α+T, a, b+x).

use super::Model;
use super::bg_process::{BgProcess, bg_prob_n};
use super::common::{data_scale, positive_params};
use super::data::RfmData;
use crate::error::Result;

/// BG/NBD parameters: purchase rates ~ Gamma(r, alpha), dropout probability ~ Beta(a, b).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgNbd {
    pub(crate) r: f64,
    pub(crate) alpha: f64,
    pub(crate) a: f64,
    pub(crate) b: f64,
}

validated_parameters!(BgNbd { r, alpha, a, b });

impl Model for BgNbd {
    type Data = RfmData;
    const NAME: &'static str = "bgnbd";
    const PARAM_NAMES: &'static [&'static str] = &["r", "alpha", "a", "b"];
    /// On: its boundary fits (a, b → 1e43 on huge ages) predict finitely since the Beta
    /// point-mass limit in `bg_expected`; the property test stays clean with it.
    const STOP_ON_FLAT_BOUNDARY: bool = true;

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

    fn coarse_data(d: &RfmData) -> Option<RfmData> {
        d.coarse_copy()
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

// Every prediction is the shared BG process's.
transaction_model_via_bg_process!(BgNbd);
