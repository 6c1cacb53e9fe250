//! The probabilistic models and what they share.
//!
//! Every model implements [`Model`]: parameters as a plain validated struct, the full
//! log-likelihood (as the papers report it) and its analytic gradient with respect to the
//! natural parameters. [`Model::fit`] hands both to the model-agnostic optimiser in
//! [`crate::optim`],
//! which knows nothing of the model. Each model also implements its family's prediction
//! vocabulary: transaction models (BG/NBD, Pareto/NBD, MBG/NBD, GGom/NBD) [`TransactionModel`],
//! the per-customer predictions the predictor and the churn classifier consume; the spend
//! model (Gamma-Gamma) [`SpendModel`]; the retention model (sBG) [`RetentionModel`]; the
//! discrete-time model (BG/BB) [`DiscreteTransactionModel`]. [`AnyModel`] hands out each as a
//! trait object, and [`registry::log_likelihood_at`] evaluates any kind's log-likelihood at
//! given parameters.

/// Validated parameters, linfa-style: a model's fields are private to the crate; outside it a
/// model is built by `new` (the same checks as [`Model::from_params`]) and read through one
/// accessor per parameter.
macro_rules! validated_parameters {
    ($model:ident { $($field:ident),+ }) => {
        impl $model {
            /// The model with these parameters, checked (all finite and > 0).
            pub fn new($($field: f64),+) -> $crate::error::Result<Self> {
                <Self as $crate::models::Model>::from_params(&[$($field),+])
            }

            $(
                #[doc = concat!("The parameter `", stringify!($field), "`.")]
                pub fn $field(&self) -> f64 {
                    self.$field
                }
            )+
        }
    };
}

/// BG/NBD and MBG/NBD predict through one process ([`bg_process`]): the delegation, once.
macro_rules! transaction_model_via_bg_process {
    ($model:ident) => {
        impl $crate::models::TransactionModel for $model {
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

            fn prob_n_purchases_new(&self, n: u32, t: f64) -> f64 {
                $model::prob_n_purchases_new(self, n, t)
            }

            fn draw_repeat_purchases(
                &self,
                rng: &mut dyn rand::RngCore,
                w: $crate::models::DrawWindow,
            ) -> $crate::error::Result<Vec<f64>> {
                self.process().draw_repeat_purchases(rng, w)
            }
        }
    };
}

/// The three likelihood methods of [`Model`] for a model whose inherent
/// `evaluate(&self, data, want_gradient) -> (f64, [f64; N])` does one pass for both.
macro_rules! likelihood_via_evaluate {
    () => {
        fn log_likelihood(&self, d: &Self::Data) -> f64 {
            self.evaluate(d, false).0
        }

        fn gradient(&self, d: &Self::Data) -> Vec<f64> {
            self.evaluate(d, true).1.to_vec()
        }

        fn log_likelihood_and_gradient(&self, d: &Self::Data) -> (f64, Vec<f64>) {
            let (ll, g) = self.evaluate(d, true);
            (ll, g.to_vec())
        }
    };
}

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
pub use fit::{Fitted, fit_with_coarse};
pub use registry::{AnyModel, Family, FitData, FittedModel, ModelKind, log_likelihood_at};

use rand::RngCore;

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
    /// Whether the fit stops a search on the boundary that gains nothing (see
    /// `crate::optim::Problem::stop_on_flat_boundary`).
    const STOP_ON_FLAT_BOUNDARY: bool = false;

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
    /// A much smaller copy of large data with nearly the same likelihood (times rounded to a
    /// grid), on which the optimiser searches before finishing on `data` itself; `None` (the
    /// default) searches on `data`.
    fn coarse_data(_data: &Self::Data) -> Option<Self::Data> {
        None
    }

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

/// What one simulated customer's draw covers: repeat purchases after the first one at
/// `birth`, up to `end`, under the covariate `shift`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DrawWindow {
    pub birth: f64,
    pub end: f64,
    pub shift: CovariateShift,
}

/// Per-customer predictions of a continuous-time transaction model, for a customer with
/// `x` repeat purchases, the last at `t_x`, observed for `t` periods since the first purchase.
pub trait TransactionModel: Send + Sync {
    /// Probability that the customer is still active at the end of observation.
    fn p_alive(&self, x: f64, t_x: f64, t: f64) -> f64;
    /// Expected number of purchases in the next `horizon` periods: by default P(alive) times
    /// [`TransactionModel::expected_purchases_if_alive`], so a model implements one of the two
    /// (NaN from a model that implements neither, a programming error the registry's tests
    /// would catch).
    fn expected_purchases(&self, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        self.expected_purchases_if_alive(horizon, x, t)
            .map_or(f64::NAN, |e| self.p_alive(x, t_x, t) * e)
    }
    /// Expected number of repeat purchases of a just-acquired customer in `horizon` periods.
    fn expected_purchases_new(&self, horizon: f64) -> f64;
    /// Probability of exactly `n` purchases in the next `horizon` periods.
    fn prob_n_purchases(&self, n: u32, horizon: f64, x: f64, t_x: f64, t: f64) -> f64;
    /// P(X(t) = n): probability that a just-acquired customer makes exactly `n` repeat
    /// purchases in its first `t` periods. By default the conditional probability of a
    /// customer seen at T = 0 with no repeat purchase, which is that customer; models
    /// override it with their closed forms.
    fn prob_n_purchases_new(&self, n: u32, t: f64) -> f64 {
        self.prob_n_purchases(n, t, 0.0, 0.0, 0.0)
    }
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
    /// Draws the repeat purchase times of one customer in `w`, in ascending order: the model's generative story, for `clv simulate`. Every
    /// model of the registry tells it (checked by the registry's tests); stand-ins need not.
    fn draw_repeat_purchases(&self, _rng: &mut dyn RngCore, _w: DrawWindow) -> Result<Vec<f64>> {
        Err(crate::error::ClvError::InvalidParameter(
            "this model has no generative story to simulate".into(),
        ))
    }
}

/// Predictions of a spend model, for a customer with `x` repeat transactions of mean value
/// `mean_spend`.
pub trait SpendModel: Send + Sync {
    /// Expected average transaction value of this customer (the posterior mean); a customer
    /// with x = 0 gets the population mean.
    fn expected_average_spend(&self, x: f64, mean_spend: f64) -> Result<f64>;
    /// Expected average transaction value of a new customer (no spend history).
    fn expected_average_spend_new(&self) -> Result<f64>;
}

/// Predictions of a contractual retention model for a cohort acquired at t = 0, periods
/// counted from 1.
pub trait RetentionModel: Send + Sync {
    /// S(t): probability that a new customer is still active after `t` periods.
    fn survival(&self, t: u32) -> Result<f64>;
    /// r(t) = S(t) / S(t - 1), t >= 1: the share of period t - 1's survivors who renew.
    fn retention_rate(&self, t: u32) -> Result<f64>;
    /// P(T = t): probability that a new customer churns at the end of period `t` (t >= 1).
    fn churn_probability(&self, t: u32) -> Result<f64>;
    /// Discounted expected lifetime of a new customer at per-period discount rate `discount`
    /// (the first period undiscounted).
    fn discounted_expected_lifetime(&self, discount: f64) -> Result<f64>;
    /// Discounted expected residual lifetime of a customer who has made `renewals` renewals
    /// (the next renewal undiscounted).
    fn discounted_expected_residual_lifetime(&self, discount: f64, renewals: u32) -> Result<f64>;
}

/// Per-customer predictions of a discrete-time transaction model, for a customer with `x`
/// transactions in `n` purchase opportunities, the last at opportunity `t_x`.
pub trait DiscreteTransactionModel: Send + Sync {
    /// P(alive at opportunity n + 1 | x, t_x, n).
    fn p_alive(&self, x: u32, t_x: u32, n: u32) -> Result<f64>;
    /// Expected transactions in the next `horizon` opportunities, n + 1 ..= n + horizon.
    fn expected_transactions(&self, horizon: u32, x: u32, t_x: u32, n: u32) -> Result<f64>;
    /// Expected transactions of a just-acquired customer in the first `n` opportunities.
    fn expected_transactions_new(&self, n: u32) -> Result<f64>;
    /// P(X(n) = x): probability that a just-acquired customer makes exactly `x` transactions
    /// in the first `n` opportunities.
    fn prob_transactions_new(&self, x: u32, n: u32) -> Result<f64>;
}

/// A distribution-construction error of a simulation, as the library's error.
pub fn draw_error(e: impl std::fmt::Display) -> crate::error::ClvError {
    crate::error::ClvError::InvalidParameter(format!("simulation distribution: {e}"))
}
