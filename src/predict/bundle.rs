//! The model bundle: everything `clv train` learns, in one versioned, atomically written file
//! that `clv score`, `clv score-new`, `clv at-risk` and `clv report` read.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::clv::ClvSettings;
use crate::churn::model_file::ChurnModelFile;
use crate::error::{ClvError, Result};
use crate::features::TimeUnit;
use crate::features::covariates::CovariateEncoding;
use crate::models::FitReport;
use crate::models::TransactionModel;
use crate::models::covariates::CovariateModel;
use crate::models::gamma_gamma::GammaGamma;
use crate::models::saved::SavedModel;
use crate::persist;

pub const BUNDLE_FORMAT: &str = "clv-bundle";
pub const BUNDLE_VERSION: u32 = 1;

/// Where the training data came from and what happened to its rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingData {
    pub source: String,
    pub data_fingerprint: String,
    pub rows_read: u64,
    pub rows_used: u64,
    pub rows_rejected: u64,
    pub rejected_by_reason: BTreeMap<String, u64>,
    pub customers: usize,
    pub calibration_end: Option<String>,
    pub observation_end: String,
}

/// One transaction model tried during training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub model: String,
    pub log_likelihood: f64,
    pub converged: bool,
    /// Mean absolute error of holdout purchases per customer, when there is a holdout.
    pub holdout_mae: Option<f64>,
    /// (predicted − actual) / actual of total holdout purchases, in percent.
    pub holdout_aggregate_error_pct: Option<f64>,
    /// Mean squared error of holdout purchases per customer: the selection criterion (absent
    /// in older bundles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout_mse: Option<f64>,
    /// Standard error of this candidate's mean squared error minus the lowest one (paired
    /// over customers; 0 for the lowest itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout_mse_difference_se: Option<f64>,
}

/// How the transaction model was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    pub chosen: String,
    /// The rule: "given by --model", "holdout MSE, then aggregate error" (see
    /// [`super::train`]), "highest log-likelihood", or in older bundles "lowest holdout MAE".
    pub rule: String,
    /// Why the chosen model won, in a sentence with its numbers (absent in older bundles).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    pub candidates: Vec<Candidate>,
    /// Candidates that could not be fitted or scored, with why (absent in older bundles).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_scored: Vec<NotScored>,
}

/// A candidate of training that was left out, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotScored {
    pub model: String,
    pub reason: String,
}

/// The covariate model for new customers, with the encoding of the attributes it uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovariateSection {
    /// The base model (`bgnbd` or `pnbd`).
    pub base_model: String,
    pub encoding: CovariateEncoding,
    pub model: CovariateModel,
    pub fit: FitReport,
}

/// Spend and first order of a group of customers (one level of a categorical attribute).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSpend {
    pub customers: usize,
    pub repeat_buyers: usize,
    /// Expected value of a repeat order of a new customer in the group.
    pub mean_order_value: f64,
    /// Mean value of the first order.
    pub mean_first_order_value: f64,
    /// Whether the group has its own Gamma-Gamma fit (else the overall one is used).
    pub own_fit: bool,
}

/// What `clv train` writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    pub format: String,
    pub version: u32,
    pub clv_version: String,
    pub time_unit: String,
    pub training: TrainingData,
    pub selection: Selection,
    /// The chosen transaction model as scoring uses it: refitted on the full history
    /// (calibration and holdout) when there was a holdout.
    pub transaction_model: SavedModel,
    /// The same model fitted on the calibration period only, which the holdout evaluation
    /// uses; absent without a holdout (the two fits are then one) and in older bundles (whose
    /// `transaction_model` is the calibration fit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration_model: Option<SavedModel>,
    pub spend_model: SavedModel,
    /// Overall spend of new customers and per attribute level (`channel=paid`).
    pub spend_overall: GroupSpend,
    pub spend_by_group: BTreeMap<String, GroupSpend>,
    pub covariates: Option<CovariateSection>,
    /// The churn classifier (trained when there is a holdout to label churn with).
    pub churn: Option<ChurnModelFile>,
    pub warnings: Vec<String>,
}

impl Bundle {
    /// Writes the bundle atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        persist::save_json(path, self)
    }

    /// Reads a bundle, checking format, version and that its models load.
    pub fn load(path: &Path) -> Result<Self> {
        let b: Bundle = persist::load_json(path, BUNDLE_FORMAT, BUNDLE_VERSION)?;
        let err = |message: String| ClvError::ModelFile {
            path: path.display().to_string(),
            message,
        };
        b.transaction().map_err(|e| err(e.to_string()))?;
        b.calibration_transaction()
            .map_err(|e| err(e.to_string()))?;
        b.spend().map_err(|e| err(e.to_string()))?;
        Ok(b)
    }

    /// Checks that the bundle was trained with `unit`, naming both when not.
    pub fn check_unit(&self, unit: &str, path: &Path) -> Result<()> {
        if self.time_unit != unit {
            return Err(ClvError::ModelFile {
                path: path.display().to_string(),
                message: format!(
                    "trained with time unit '{}' but '{unit}' was asked for; use --unit {} or retrain",
                    self.time_unit, self.time_unit
                ),
            });
        }
        Ok(())
    }

    /// The bundle's time unit.
    pub fn unit(&self) -> Result<TimeUnit> {
        self.time_unit.parse()
    }

    /// The CLV settings of a horizon of `horizon` `horizon_unit`s (any unit: 12 months on a
    /// weekly bundle are 12 × 30.4375 / 7 = 52.18 weeks), discounted per bundle time unit at the
    /// rate equivalent to the annual effective `annual_discount_rate` (see
    /// [`crate::predict::clv`] for the conversions).
    pub fn clv_settings(
        &self,
        horizon: f64,
        horizon_unit: TimeUnit,
        annual_discount_rate: f64,
        margin: f64,
    ) -> Result<ClvSettings> {
        let unit = self.unit()?;
        ClvSettings::from_annual_rate(
            horizon_unit.convert(horizon, unit),
            unit.days_per_unit(),
            annual_discount_rate,
            margin,
        )
    }

    /// The transaction model.
    pub fn transaction(&self) -> Result<Box<dyn TransactionModel>> {
        self.transaction_model
            .to_model()?
            .into_transaction_model()
            .ok_or_else(|| {
                ClvError::InvalidParameter(format!(
                    "'{}' is not a transaction model",
                    self.transaction_model.model
                ))
            })
    }

    /// The calibration-period fit of the transaction model, for evaluating it on the holdout.
    pub fn calibration_transaction(&self) -> Result<Box<dyn TransactionModel>> {
        let saved = self
            .calibration_model
            .as_ref()
            .unwrap_or(&self.transaction_model);
        saved.to_model()?.into_transaction_model().ok_or_else(|| {
            ClvError::InvalidParameter(format!("'{}' is not a transaction model", saved.model))
        })
    }

    /// Churn probabilities of the summary's customers from the bundle's classifier (`None`
    /// without one), and the window they refer to.
    pub fn churn_probabilities(
        &self,
        summary: &crate::features::Summary,
    ) -> Result<Option<(Vec<f64>, f64)>> {
        let Some(churn) = &self.churn else {
            return Ok(None);
        };
        let customers =
            crate::churn::from_summary::churn_customers(summary, &churn.settings.covariates)?;
        let any = churn.transaction_model()?;
        let model = any.transaction_model()?;
        Ok(Some((
            churn.classifier.predict_proba(&customers, model)?,
            churn.settings.window,
        )))
    }

    /// The Gamma-Gamma spend model.
    pub fn spend(&self) -> Result<GammaGamma> {
        Ok(*self.spend_model.to_model()?.spend_model()?)
    }
}

/// A churn model from a churn model file (`clv churn train`) or from a bundle (`clv train`),
/// told apart by the file's format tag; with `unit`, the model's time unit must be it.
pub fn load_churn_model(path: &Path, unit: Option<TimeUnit>) -> Result<ChurnModelFile> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ClvError::input(path.display().to_string(), format!("cannot read: {e}")))?;
    let is_bundle = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("format")
                .and_then(|f| f.as_str())
                .map(|f| f == BUNDLE_FORMAT)
        })
        .unwrap_or(false);
    if !is_bundle {
        return ChurnModelFile::load(path, unit);
    }
    let bundle = Bundle::load(path)?;
    if let Some(u) = unit {
        bundle.check_unit(u.name(), path)?;
    }
    bundle.churn.ok_or_else(|| ClvError::ModelFile {
        path: path.display().to_string(),
        message: "this bundle has no churn classifier (train it with --calibration-end so that churn can be labelled)".into(),
    })
}
