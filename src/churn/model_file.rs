//! The churn model file (format `clv-churn`, version 1): the trained classifier, the fitted
//! transaction model whose predictions are among its features, the settings (window, time
//! unit, covariates), the training metrics and a fingerprint of the training data, written and
//! read as versioned JSON through [`crate::persist`].

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::classifier::{ChurnClassifier, train};
use super::data::{ChurnSettings, churn_labels};
use super::from_summary::churn_customers;
use super::metrics::{Metrics, compute_metrics};
use crate::error::{ClvError, Result};
use crate::features::{Summary, TimeUnit};
use crate::models::saved::SavedModel;
use crate::models::{AnyModel, Family, ModelKind};
use crate::persist;
use crate::persist::fingerprint;

pub const CHURN_MODEL_FORMAT: &str = "clv-churn";
pub const CHURN_MODEL_VERSION: u32 = 1;

/// Training-time facts kept with the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    /// Customers trained on.
    pub customers: usize,
    /// Observed churn rate among them.
    pub churn_rate: f64,
    /// Last day of the calibration period (YYYY-MM-DD).
    pub calibration_end: String,
    /// Last day observed (YYYY-MM-DD); the holdout runs from the calibration end to here.
    pub observation_end: String,
    /// In-sample metrics of the classifier on the training customers (optimistic: the
    /// held-out numbers come from `clv evaluate`).
    pub metrics: Metrics,
    /// Warnings raised while training.
    pub warnings: Vec<String>,
}

/// Everything `clv churn score` and `clv at-risk` need, as stored on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChurnModelFile {
    pub format: String,
    pub version: u32,
    /// Version of `clv` that wrote the file.
    pub clv_version: String,
    /// Unit of every time in the model (`day`, `week`, `month`).
    pub time_unit: String,
    pub settings: ChurnSettings,
    pub classifier: ChurnClassifier,
    pub transaction_model: SavedModel,
    pub training: TrainingInfo,
    /// Fingerprint of the training data (x, t_x, T and holdout purchases of every customer).
    pub data_fingerprint: String,
}

/// Trains the classifier on every customer of a calibration summary (labels from its
/// holdout) with `transaction_model`'s predictions among the features, and packs it with its
/// in-sample metrics into a model file. Returns the file and the training warnings.
pub fn train_churn_model(
    summary: &Summary,
    transaction_model: &SavedModel,
    settings: ChurnSettings,
) -> Result<ChurnModelFile> {
    let customers = churn_customers(summary, &settings.covariates)?;
    let calibration_end = summary.calibration_end.ok_or_else(|| {
        ClvError::InvalidParameter(
            "churn training needs a calibration end (labels come from the holdout)".into(),
        )
    })?;
    let any = transaction_model.to_model()?;
    let model = any.transaction_model()?;
    let (classifier, warnings) = train(&customers, model, &settings)?;
    let (labels, _) = churn_labels(&customers, settings.window)?;
    let probs = classifier.predict_proba(&customers, model)?;
    let metrics = compute_metrics(&probs, &labels, settings.threshold)?;
    let holdout_x: Vec<f64> = customers
        .iter()
        .map(|c| c.holdout_frequency.unwrap_or(0.0))
        .collect();
    let rfm = summary.rfm_matrix();
    let columns: Vec<Vec<f64>> = rfm.columns().into_iter().map(|c| c.to_vec()).collect();
    let data_fingerprint = fingerprint(
        columns
            .iter()
            .map(Vec::as_slice)
            .chain(std::iter::once(holdout_x.as_slice())),
    );
    let training = TrainingInfo {
        customers: customers.len(),
        churn_rate: metrics.churn_rate,
        calibration_end: calibration_end.to_string(),
        observation_end: summary.observation_end.to_string(),
        metrics,
        warnings,
    };
    Ok(ChurnModelFile::new(
        summary.unit,
        settings,
        classifier,
        transaction_model.clone(),
        training,
        data_fingerprint,
    ))
}

impl ChurnModelFile {
    /// Bundles a trained classifier with its transaction model.
    pub fn new(
        unit: TimeUnit,
        settings: ChurnSettings,
        classifier: ChurnClassifier,
        transaction_model: SavedModel,
        training: TrainingInfo,
        data_fingerprint: String,
    ) -> Self {
        ChurnModelFile {
            format: CHURN_MODEL_FORMAT.to_string(),
            version: CHURN_MODEL_VERSION,
            clv_version: env!("CARGO_PKG_VERSION").to_string(),
            time_unit: unit.name().to_string(),
            settings,
            classifier,
            transaction_model,
            training,
            data_fingerprint,
        }
    }

    /// Writes the file atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        persist::save_json(path, self)
    }

    /// Reads and checks a churn model file: format and version, the classifier's internal
    /// consistency, a transaction model in the same time unit, and, when `unit` is given, that
    /// it is the unit the model was trained in.
    pub fn load(path: &Path, unit: Option<TimeUnit>) -> Result<Self> {
        let file: ChurnModelFile =
            persist::load_json(path, CHURN_MODEL_FORMAT, CHURN_MODEL_VERSION)?;
        let err = |message: String| ClvError::ModelFile {
            path: path.display().to_string(),
            message,
        };
        // Re-read the classifier through its own loader, which checks that its parts fit.
        ChurnClassifier::load(&file.classifier.save()?).map_err(|e| err(e.to_string()))?;
        let trained_unit = file.unit().map_err(|e| err(e.to_string()))?;
        if file.transaction_model.time_unit != file.time_unit {
            return Err(err(format!(
                "the transaction model is in {}s but the classifier in {}s",
                file.transaction_model.time_unit, file.time_unit
            )));
        }
        file.transaction_model().map_err(|e| err(e.to_string()))?;
        file.settings.validate().map_err(|e| err(e.to_string()))?;
        if let Some(asked) = unit
            && asked != trained_unit
        {
            return Err(err(format!(
                "time unit mismatch: the model was trained in {trained_unit}s but {asked}s were \
                 asked for (drop --unit or use --unit {trained_unit})"
            )));
        }
        Ok(file)
    }

    /// The time unit the model was trained in.
    pub fn unit(&self) -> Result<TimeUnit> {
        self.time_unit.parse()
    }

    /// The transaction model, checked to be a continuous-time one; call
    /// [`AnyModel::transaction_model`] on it.
    pub fn transaction_model(&self) -> Result<AnyModel> {
        let model = self.transaction_model.to_model()?;
        if model.as_transaction_model().is_none() {
            let names: Vec<&str> = ModelKind::of_family(Family::Transaction)
                .map(ModelKind::name)
                .collect();
            return Err(ClvError::InvalidParameter(format!(
                "a {} model is not a transaction model (use {})",
                self.transaction_model.model,
                names.join(", ")
            )));
        }
        Ok(model)
    }
}
