//! The churn jobs on data in memory: preparing a training run (labels, covariates, the fitted
//! transaction model) and scoring every customer of a summary with a churn model file. The CLI's
//! `churn train`, `churn score` and `evaluate` call these.

use super::at_risk::no_purchase_if_alive;
use super::data::{ChurnCustomer, ChurnSettings, ClassWeights, check_classes, churn_labels};
use super::from_summary::{check_window, churn_customers, covariate_specs, holdout_length};
use super::model_file::ChurnModelFile;
use crate::error::{ClvError, Result};
use crate::features::Summary;
use crate::models::saved::SavedModel;
use crate::models::{AnyModel, FitData, FitOptions, ModelKind, RfmData, registry};

/// What a churn training run is asked for, beyond the calibration / holdout summary.
#[derive(Debug, Clone)]
pub struct TrainingRequest {
    /// Transaction model whose predictions are classifier features.
    pub transaction_model: ModelKind,
    /// Churn window after the calibration end (default: the whole holdout).
    pub window: Option<f64>,
    /// Extra columns to use as covariates: `NAME`, `NAME:numeric` or `NAME:categorical`.
    pub covariates: Vec<String>,
    pub class_weights: ClassWeights,
    /// L2 penalty on the standardised coefficients.
    pub l2: f64,
    /// Seed of the split and of class-weight replication.
    pub seed: u64,
}

/// Everything training and evaluation start from.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub customers: Vec<ChurnCustomer>,
    pub settings: ChurnSettings,
    /// The fitted transaction model as saved (what a model file holds).
    pub saved_model: SavedModel,
    /// The same model, rebuilt from `saved_model` so that scoring after a reload is identical.
    pub model: AnyModel,
}

/// Checks the window, builds the classifier inputs and fits the transaction model on the
/// calibration part of `summary` (which must have a holdout).
pub fn prepare(summary: &Summary, request: &TrainingRequest) -> Result<Prepared> {
    let holdout = holdout_length(summary)?;
    let window = request.window.unwrap_or(holdout);
    check_window(window, holdout, summary.unit.name())?;
    if !(request.l2.is_finite() && request.l2 >= 0.0) {
        return Err(ClvError::InvalidParameter(format!(
            "the L2 penalty must be a number >= 0, got {}",
            request.l2
        )));
    }
    let covariates = covariate_specs(summary, &request.covariates)?;
    let customers = churn_customers(summary, &covariates)?;
    // Labels are checked before the (slower) model fit, so bad data fails fast.
    let (labels, _) = churn_labels(&customers, window)?;
    check_classes(&labels, "training data")?;
    let settings = ChurnSettings {
        covariates,
        l2_alpha: request.l2,
        class_weights: request.class_weights,
        seed: request.seed,
        ..ChurnSettings::new(window)
    };
    settings.validate()?;
    let data = RfmData::from_summary(summary)?;
    let kind = request.transaction_model;
    let saved_model = registry::fit(
        kind,
        FitData::Transaction(&data),
        &FitOptions::default(),
        summary.unit.name(),
    )?
    .saved;
    let model = saved_model.reloaded_model()?;
    Ok(Prepared {
        customers,
        settings,
        saved_model,
        model,
    })
}

/// One customer's churn score.
#[derive(Debug, Clone, PartialEq)]
pub struct ChurnScore {
    pub customer_id: String,
    pub churn_probability: f64,
    pub p_alive: f64,
    /// Expected purchases in the model's churn window.
    pub expected_purchases_window: f64,
    /// P(no purchase in the churn window | alive now), from the transaction model: why a
    /// customer surely alive can still be likely to churn (no purchase in the window) when
    /// they buy rarely. The model's own churn probability is 1 − P(alive) + P(alive) × this.
    pub p_no_purchase_if_alive: f64,
    pub total_spend: f64,
}

/// Scores the customers of `customers` (built from a summary with the file's covariates) with
/// a churn model file: highest churn probability first, ties by customer id.
pub fn score_churn(file: &ChurnModelFile, customers: &[ChurnCustomer]) -> Result<Vec<ChurnScore>> {
    let any = file.transaction_model()?;
    let model = any.transaction_model()?;
    let probs = file.classifier.predict_proba(customers, model)?;
    let window = file.settings.window;
    let mut order: Vec<usize> = (0..customers.len()).collect();
    // Ties by id, in the same (plain text) order as the at-risk list.
    order.sort_by(|&a, &b| {
        probs[b]
            .total_cmp(&probs[a])
            .then_with(|| customers[a].customer_id.cmp(&customers[b].customer_id))
    });
    order
        .into_iter()
        .map(|i| {
            let c = &customers[i];
            let p_alive = model.p_alive(c.frequency, c.recency, c.t);
            let expected = model.expected_purchases(window, c.frequency, c.recency, c.t);
            let quiet = no_purchase_if_alive(model, window, c.frequency, c.t);
            let (true, true, Some(quiet)) = (p_alive.is_finite(), expected.is_finite(), quiet)
            else {
                return Err(ClvError::Fit(format!(
                    "customer '{}': the transaction model gave P(alive) {p_alive}, expected \
                     purchases {expected}, P(no purchase if alive) {quiet:?}",
                    c.customer_id
                )));
            };
            Ok(ChurnScore {
                customer_id: c.customer_id.clone(),
                churn_probability: probs[i],
                p_alive,
                expected_purchases_window: expected,
                p_no_purchase_if_alive: quiet,
                total_spend: c.total_spend,
            })
        })
        .collect()
}
