//! `clv evaluate`'s job on data in memory: held-out churn metrics of the classifier beside
//! the transaction model alone and a baseline, and the holdout evaluation of the transaction
//! model's purchase and spend predictions.
//!
//! [`EvaluationFile`] is a contract outside scripts rely on: the fields of
//! [`EvaluationReport`] at the top level (`classifier.roc_auc`, `n_train`, ...) and the
//! transaction model's holdout evaluation under `holdout`.

use serde::Serialize;

use super::holdout::{HoldoutEvaluation, OrderValue, evaluate_holdout, holdout_customers};
use crate::churn::from_summary::{holdout_length, repeat_spend_data};
use crate::churn::jobs::Prepared;
use crate::churn::{EvaluationReport, evaluate};
use crate::error::Result;
use crate::features::Summary;
use crate::models::gamma_gamma::GammaGamma;
use crate::models::saved::SavedModel;
use crate::models::{FitData, FitOptions, ModelKind, registry};

/// Last calibration-frequency bin of the holdout table ("7+").
pub const MAX_FREQUENCY_BIN: usize = 7;

/// The transaction model's holdout evaluation, with the models behind it.
#[derive(Debug, Clone, Serialize)]
pub struct HoldoutSection {
    /// Holdout length, in the time unit.
    pub duration: f64,
    /// `gamma-gamma`, or `historical-mean` when Gamma-Gamma could not be used.
    pub spend_model: String,
    #[serde(flatten)]
    pub evaluation: HoldoutEvaluation,
    pub gamma_gamma: Option<SavedModel>,
}

/// Everything `clv evaluate --output` writes.
#[derive(Debug, Clone, Serialize)]
pub struct EvaluationFile {
    #[serde(flatten)]
    pub report: EvaluationReport,
    pub time_unit: String,
    pub calibration_end: String,
    pub observation_end: String,
    pub customers: usize,
    pub transaction_model: SavedModel,
    pub holdout: HoldoutSection,
}

/// Evaluates a prepared training run (see [`crate::churn::jobs::prepare`]) on the
/// calibration / holdout `summary` it was prepared from, holding out `test_fraction` of the
/// customers for the churn metrics and counting churn at `threshold`. Returns the file and
/// the warnings, in the order they arose.
pub fn evaluate_split(
    summary: &Summary,
    mut prepared: Prepared,
    test_fraction: f64,
    threshold: f64,
) -> Result<(EvaluationFile, Vec<String>)> {
    prepared.settings.test_fraction = test_fraction;
    prepared.settings.threshold = threshold;
    prepared.settings.validate()?;
    let model = prepared.model.transaction_model()?;
    let report = evaluate(&prepared.customers, model, &prepared.settings)?;
    let mut warnings = report.warnings.clone();

    // Spend: Gamma-Gamma on the calibration repeat buyers; if it cannot be fitted or has no
    // finite mean, each customer's own mean order value stands in.
    let (gg_saved, gg) = match fit_spend(summary) {
        Ok((saved, gg)) => (Some(saved), Some(gg)),
        Err(e) => {
            warnings.push(format!(
                "Gamma-Gamma not used for holdout spend ({e}); using each customer's mean order value"
            ));
            (None, None)
        }
    };
    let value = gg
        .as_ref()
        .map_or(OrderValue::HistoricalMean, OrderValue::GammaGamma);
    let rows = holdout_customers(summary, value)?;
    let evaluation = evaluate_holdout(model, &rows, MAX_FREQUENCY_BIN)?;
    let holdout = HoldoutSection {
        duration: holdout_length(summary)?,
        spend_model: match gg {
            Some(_) => ModelKind::GammaGamma.name().to_string(),
            None => "historical-mean".to_string(),
        },
        evaluation,
        gamma_gamma: gg_saved,
    };
    let file = EvaluationFile {
        report,
        time_unit: summary.unit.name().to_string(),
        calibration_end: summary
            .calibration_end
            .map(|d| d.to_string())
            .unwrap_or_default(),
        observation_end: summary.observation_end.to_string(),
        customers: prepared.customers.len(),
        transaction_model: prepared.saved_model,
        holdout,
    };
    Ok((file, warnings))
}

/// Gamma-Gamma on the calibration repeat buyers, checked to have a finite mean spend.
fn fit_spend(summary: &Summary) -> Result<(SavedModel, GammaGamma)> {
    let (data, _) = repeat_spend_data(summary)?;
    let unit = summary.unit.name();
    let fitted = registry::fit(
        ModelKind::GammaGamma,
        FitData::Spend(&data),
        &FitOptions::default(),
        unit,
    )?;
    let gg = *fitted.model.spend_model()?;
    gg.population_mean_spend()?;
    Ok((fitted.saved, gg))
}
