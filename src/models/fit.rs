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

/// [`fit_model`] with the coarse data given (or none).
pub(crate) fn fit_with_coarse<M: Model>(
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
    use crate::models::RfmData;

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

    /// The coarse search must end where the search on the data themselves ends: the same
    /// estimates and log-likelihood (up to the optimiser's tolerance) and standard errors, on
    /// continuous-time data where rounding merges most patterns.
    fn coarse_and_direct_fits_agree<M: Model<Data = RfmData>>(process: crate::models::AnyModel) {
        use crate::simulate::{SimulationSpec, SpendProcess, simulate};
        let spec = SimulationSpec {
            process,
            spend: SpendProcess {
                p: 6.25,
                q: 3.74,
                gamma: 15.44,
            },
            customers: 60_000,
            acquisition_periods: 13.0,
            horizon_periods: 52.0,
            covariates: None,
            seed: 11,
        };
        let sims = simulate(&spec).unwrap();
        let cols: Vec<(f64, f64, f64, f64)> = sims.iter().map(|c| c.summary_at(52.0)).collect();
        let col = |f: fn(&(f64, f64, f64, f64)) -> f64| cols.iter().map(f).collect::<Vec<_>>();
        let data = RfmData::new(&col(|c| c.0), &col(|c| c.1), &col(|c| c.2), None).unwrap();
        let coarse = M::coarse_data(&data).expect("continuous data of 60,000 customers coarsen");
        assert!(coarse.patterns() * 4 <= data.patterns());
        let options = FitOptions::default();
        let direct = fit_with_coarse::<M>(&data, None, &options).unwrap().report;
        let fast = fit_with_coarse::<M>(&data, Some(&coarse), &options)
            .unwrap()
            .report;
        assert!(
            direct.converged && fast.converged,
            "{:?} {:?}",
            direct,
            fast
        );
        for i in 0..direct.estimates.len() {
            let (a, b) = (direct.estimates[i], fast.estimates[i]);
            assert!(
                (a - b).abs() <= 1e-7 * a,
                "{}: {a} vs {b}",
                direct.param_names[i]
            );
            let (sa, sb) = (direct.std_errors[i].unwrap(), fast.std_errors[i].unwrap());
            // The direct fit's information may be taken one Newton step before its end, the
            // refined one's at its end: they differ by a few parts in 1e5.
            assert!(
                (sa - sb).abs() <= 1e-4 * sa,
                "se {}: {sa} vs {sb}",
                direct.param_names[i]
            );
        }
        let gap = (direct.log_likelihood - fast.log_likelihood).abs();
        assert!(gap <= 1e-9 * direct.log_likelihood.abs(), "{gap}");
    }

    #[test]
    fn bgnbd_coarse_search_ends_at_the_direct_maximum() {
        let m = crate::models::bgnbd::BgNbd::new(0.25, 4.0, 0.8, 2.5).unwrap();
        coarse_and_direct_fits_agree::<crate::models::bgnbd::BgNbd>(
            crate::models::AnyModel::BgNbd(m),
        );
    }

    #[test]
    fn pareto_nbd_coarse_search_ends_at_the_direct_maximum() {
        let m = crate::models::pnbd::ParetoNbd::new(0.55, 10.6, 0.61, 11.7).unwrap();
        coarse_and_direct_fits_agree::<crate::models::pnbd::ParetoNbd>(
            crate::models::AnyModel::ParetoNbd(m),
        );
    }
}
