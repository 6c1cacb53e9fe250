//! The glue between a [`Model`] and the model-agnostic optimiser in [`crate::optim`]: a model
//! type becomes a [`Problem`] (its log-likelihood and gradient as a function of the natural
//! parameters, its parameter names, its starting points), and the optimiser's estimates become
//! the model again.

use super::Model;
use crate::error::Result;
use crate::optim::{FitOptions, FitReport, LogLikelihoodFn, Problem, maximise};

/// A fitted model with its report.
#[derive(Debug, Clone)]
pub struct Fitted<M> {
    pub model: M,
    pub report: FitReport,
}

/// Fits `M` to `data`: multi-start L-BFGS (on the model's coarse copy of large data, see
/// [`Model::coarse_data`]), Newton polish, standard errors.
pub fn fit_model<M: Model>(data: &M::Data, options: &FitOptions) -> Result<Fitted<M>> {
    fit_with_coarse::<M>(data, M::coarse_data(data).as_ref(), options)
}

/// [`fit_model`] with the coarse data given (or none: the search runs on `data`), for
/// comparing the two (`tests/coarse_fit.rs`).
pub fn fit_with_coarse<M: Model>(
    data: &M::Data,
    coarse: Option<&M::Data>,
    options: &FitOptions,
) -> Result<Fitted<M>> {
    let k = M::PARAM_NAMES.len();
    let log_likelihood_of = |d: &M::Data, p: &[f64]| -> Option<(f64, Vec<f64>)> {
        let model = M::from_params(p).ok()?;
        Some(model.log_likelihood_and_gradient(d))
    };
    let log_likelihood = |p: &[f64]| log_likelihood_of(data, p);
    let coarse_log_likelihood = coarse.map(|c| move |p: &[f64]| log_likelihood_of(c, p));
    let problem = Problem {
        model: M::NAME.to_string(),
        names: M::PARAM_NAMES.iter().map(|s| s.to_string()).collect(),
        positive: vec![true; k],
        starts: M::initial_guesses(data),
        log_likelihood: &log_likelihood,
        stop_on_flat_boundary: M::STOP_ON_FLAT_BOUNDARY,
        coarse: coarse_log_likelihood
            .as_ref()
            .map(|f| f as &LogLikelihoodFn),
    };
    let report = maximise(&problem, options)?;
    let model = M::from_params(&report.estimates)?;
    Ok(Fitted { model, report })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exponential waiting times with rate `lambda`: the MLE is n / Σx and its standard
    /// error lambda / √n.
    #[derive(Clone)]
    struct Exponential(f64);
    impl Model for Exponential {
        type Data = Vec<f64>;
        const NAME: &'static str = "exponential";
        const PARAM_NAMES: &'static [&'static str] = &["lambda"];
        fn from_params(p: &[f64]) -> Result<Self> {
            Ok(Exponential(p[0]))
        }
        fn params(&self) -> Vec<f64> {
            vec![self.0]
        }
        fn log_likelihood(&self, d: &Vec<f64>) -> f64 {
            d.len() as f64 * self.0.ln() - self.0 * d.iter().sum::<f64>()
        }
        fn gradient(&self, d: &Vec<f64>) -> Vec<f64> {
            vec![d.len() as f64 / self.0 - d.iter().sum::<f64>()]
        }
        fn initial_guesses(_: &Vec<f64>) -> Vec<Vec<f64>> {
            vec![vec![1.0], vec![0.01]]
        }
    }

    #[test]
    fn fits_a_model_type_through_the_optimiser() {
        let data = vec![0.5, 1.5, 2.0, 4.0];
        let fit = Exponential::fit(&data, &FitOptions::default()).unwrap();
        let mle = 4.0 / 8.0;
        assert!((fit.model.0 - mle).abs() < 1e-7);
        assert_eq!(fit.report.model, "exponential");
        assert_eq!(fit.report.param_names, vec!["lambda".to_string()]);
        assert!((fit.report.std_errors[0].unwrap() - mle / 2.0).abs() < 1e-5);
        assert!(fit.report.converged);
    }
}
