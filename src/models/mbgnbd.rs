//! MBG/NBD (Batislam, Denizel & Filiztekin 2007): the BG/NBD with a dropout chance at every
//! purchase, the first included, so customers without repeat purchases can be inactive too.
//!
//! L(λ,p | x,t_x,T) = (1−p)^{x+1} λ^x e^{−λT} + p(1−p)^x λ^x e^{−λ t_x}; the likelihood
//! integrated over λ ~ Gamma(r, α) and p ~ Beta(a, b) is in [`super::bg_process`]. Given the
//! history and being alive at T, the future is a BG/NBD-type process (dropout only after
//! purchases) with parameters (r+x, α+T, a, b+x+1).

use super::bg_process::BgProcess;
use super::common::{data_scale, positive_params};
use super::data::RfmData;
use super::{Model, TransactionModel};
use crate::error::Result;

/// MBG/NBD parameters: purchase rates ~ Gamma(r, alpha), dropout probability ~ Beta(a, b).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MbgNbd {
    pub(crate) r: f64,
    pub(crate) alpha: f64,
    pub(crate) a: f64,
    pub(crate) b: f64,
}

validated_parameters!(MbgNbd { r, alpha, a, b });

impl MbgNbd {
    /// The likelihood's form: dropout possible at every purchase, the first included.
    fn process(&self) -> BgProcess {
        BgProcess::new([self.r, self.alpha, self.a, self.b], true)
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
        [(1.0, 1.0, 1.0), (0.3, 1.0, 3.0), (2.0, 0.5, 0.5)]
            .iter()
            .map(|&(r, a, b)| vec![r, r * mt / mx, a, b])
            .collect()
    }
}

// Every prediction is the shared BG process's (with dropout at the first purchase).
transaction_model_via_bg_process!(MbgNbd);
