//! The probabilistic models and what they share.
//!
//! Every model implements [`Model`]: parameters as a plain validated struct, the full
//! log-likelihood (as the papers report it) and its analytic gradient with respect to the
//! natural parameters. [`Model::fit`] hands both to the model-agnostic optimiser in
//! [`crate::optim`],
//! which knows nothing of the model. Transaction models (BG/NBD, Pareto/NBD, MBG/NBD) also
//! implement [`TransactionModel`], the per-customer predictions the predictor and the churn
//! classifier consume.

mod bg_process;
pub mod bgbb;
pub mod bgnbd;
mod common;
pub mod covariates;
pub mod data;
mod fit;
pub mod gamma_gamma;
pub mod ggomnbd;
pub mod mbgnbd;
mod pattern_sum;
pub mod pnbd;
pub mod registry;
pub mod saved;
pub mod sbg;

pub use crate::optim::{FitOptions, FitReport};
pub use data::{BgBbData, RepeatSpendData, RfmData, SurvivorData};
pub use fit::Fitted;
pub use registry::{AnyModel, Family, FitData, FittedModel, ModelKind};

use crate::error::Result;

/// A model fitted by maximum likelihood.
///
/// Parameters are strictly positive in every model of this family, so the optimiser works on
/// their logarithms; the model only ever sees natural parameters.
pub trait Model: Sized + Clone {
    /// The data the likelihood is evaluated on.
    type Data: Sync;
    /// Short name used on the CLI and in model files (`bgnbd`, `pnbd`, ...).
    const NAME: &'static str;
    /// The literature's parameter names, in the order of [`Model::params`].
    const PARAM_NAMES: &'static [&'static str];

    /// Builds the model from natural parameters, validating them (all finite and > 0).
    fn from_params(params: &[f64]) -> Result<Self>;
    /// The natural parameters in the order of [`Model::PARAM_NAMES`].
    fn params(&self) -> Vec<f64>;
    /// Full log-likelihood of the data (weights count identical rows).
    fn log_likelihood(&self, data: &Self::Data) -> f64;
    /// Gradient of [`Model::log_likelihood`] with respect to the natural parameters.
    fn gradient(&self, data: &Self::Data) -> Vec<f64>;
    /// Both at once; models override it to share the work of one pass over the data.
    fn log_likelihood_and_gradient(&self, data: &Self::Data) -> (f64, Vec<f64>) {
        (self.log_likelihood(data), self.gradient(data))
    }
    /// Starting points for the optimiser (natural parameters); several are tried.
    fn initial_guesses(data: &Self::Data) -> Vec<Vec<f64>>;

    /// Maximum-likelihood fit from several starting points.
    fn fit(data: &Self::Data, options: &FitOptions) -> Result<Fitted<Self>> {
        fit::fit_model::<Self>(data, options)
    }
}

/// Time-invariant covariate effects on one simulated customer: the purchase scale (α) and the
/// dropout scale (the model's second scale parameter) are multiplied by exp(−shift).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CovariateShift {
    pub purchase: f64,
    pub dropout: f64,
}

/// Per-customer predictions of a continuous-time transaction model, for a customer with
/// `x` repeat purchases, the last at `t_x`, observed for `t` periods since the first purchase.
pub trait TransactionModel: Send + Sync {
    /// Probability that the customer is still active at the end of observation.
    fn p_alive(&self, x: f64, t_x: f64, t: f64) -> f64;
    /// Expected number of purchases in the next `horizon` periods.
    fn expected_purchases(&self, horizon: f64, x: f64, t_x: f64, t: f64) -> f64;
    /// Expected number of repeat purchases of a just-acquired customer in `horizon` periods.
    fn expected_purchases_new(&self, horizon: f64) -> f64;
    /// Probability of exactly `n` purchases in the next `horizon` periods.
    fn prob_n_purchases(&self, n: u32, horizon: f64, x: f64, t_x: f64, t: f64) -> f64;
    /// Expected purchases in the next `horizon` periods of a customer known to be alive at T.
    /// It depends on x and T alone, and times P(alive) gives `expected_purchases`, so
    /// scoring many customers computes it once per (x, T). `None` where a model does not
    /// factor so; callers then use the per-customer methods.
    fn expected_purchases_if_alive(&self, _horizon: f64, _x: f64, _t: f64) -> Option<f64> {
        None
    }
    /// P(no purchase in the next `horizon` periods) of a customer known to be alive at T;
    /// `prob_n_purchases(0, ..)` is P(alive) times it plus 1 − P(alive). As above.
    fn prob_no_purchase_if_alive(&self, _horizon: f64, _x: f64, _t: f64) -> Option<f64> {
        None
    }
    /// Draws the repeat purchase times of one customer whose first purchase is at `birth`, up
    /// to `end`, in ascending order: the model's generative story, for `clv simulate`. Every
    /// model of the registry tells it (checked by the registry's tests); stand-ins need not.
    fn draw_repeat_purchases(
        &self,
        _rng: &mut dyn rand::RngCore,
        _birth: f64,
        _end: f64,
        _shift: CovariateShift,
    ) -> Result<Vec<f64>> {
        Err(crate::error::ClvError::InvalidParameter(
            "this model has no generative story to simulate".into(),
        ))
    }
}

/// A distribution-construction error of a simulation, as the library's error.
pub fn draw_error(e: impl std::fmt::Display) -> crate::error::ClvError {
    crate::error::ClvError::InvalidParameter(format!("simulation distribution: {e}"))
}
