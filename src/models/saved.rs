//! Model files: a fitted model with its estimates, standard errors, covariance and fit
//! diagnostics, as versioned JSON (see [`crate::persist`]), and [`AnyModel`], the one enum that
//! turns a file back into a model of the right kind.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::bgbb::BgBb;
use super::bgnbd::BgNbd;
use super::gamma_gamma::GammaGamma;
use super::mbgnbd::MbgNbd;
use super::pnbd::ParetoNbd;
use super::sbg::ShiftedBetaGeometric;
use super::{FitOptions, FitReport, Fitted};
use super::{Model, RfmData, TransactionModel};
use crate::error::{ClvError, Result};
use crate::persist::{self, fingerprint};

pub const MODEL_FORMAT: &str = "clv-model";
pub const MODEL_VERSION: u32 = 1;

/// What a model file holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedModel {
    pub format: String,
    pub version: u32,
    /// Version of `clv` that wrote the file.
    pub clv_version: String,
    /// `bgnbd`, `pnbd`, `mbgnbd`, `bgbb`, `gamma-gamma` or `sbg`.
    pub model: String,
    /// Estimates by the literature's parameter names.
    pub params: BTreeMap<String, f64>,
    /// Standard errors by parameter name (`null` where the information is singular).
    pub std_errors: BTreeMap<String, Option<f64>>,
    /// Full log-likelihood, as the papers report it.
    pub log_likelihood: f64,
    /// Number of customers (or cohort size) fitted on.
    pub n: f64,
    /// Number of distinct data patterns after compression.
    pub patterns: usize,
    /// Time unit of the data (`day`, `week`, `month`, `period`).
    pub time_unit: String,
    /// Fingerprint of the data fitted on.
    pub data_fingerprint: String,
    /// Wall time of the fit itself, in seconds.
    pub fit_seconds: f64,
    /// Everything the optimiser reported: intervals, covariance, convergence, warnings.
    pub fit: FitReport,
}

impl SavedModel {
    pub fn new(
        report: &FitReport,
        n: f64,
        patterns: usize,
        time_unit: &str,
        data_fingerprint: String,
        fit_seconds: f64,
    ) -> Self {
        let names = &report.param_names;
        SavedModel {
            format: MODEL_FORMAT.to_string(),
            version: MODEL_VERSION,
            clv_version: env!("CARGO_PKG_VERSION").to_string(),
            model: report.model.clone(),
            params: names
                .iter()
                .cloned()
                .zip(report.estimates.iter().copied())
                .collect(),
            std_errors: names
                .iter()
                .cloned()
                .zip(report.std_errors.iter().copied())
                .collect(),
            log_likelihood: report.log_likelihood,
            n,
            patterns,
            time_unit: time_unit.to_string(),
            data_fingerprint,
            fit_seconds,
            fit: report.clone(),
        }
    }

    /// Writes the file atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        persist::save_json(path, self)
    }

    /// Reads and checks a model file: format, version, a known model, every parameter
    /// present, finite and positive.
    pub fn load(path: &Path) -> Result<Self> {
        let saved: SavedModel = persist::load_json(path, MODEL_FORMAT, MODEL_VERSION)?;
        saved.to_model().map_err(|e| ClvError::ModelFile {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Ok(saved)
    }

    /// Estimates in the order of the model's parameter names.
    fn ordered<M: Model>(&self) -> Result<Vec<f64>> {
        M::PARAM_NAMES
            .iter()
            .map(|name| {
                self.params.get(*name).copied().ok_or_else(|| {
                    ClvError::InvalidParameter(format!(
                        "{} model without parameter '{name}'",
                        self.model
                    ))
                })
            })
            .collect()
    }

    /// The model this file describes.
    pub fn to_model(&self) -> Result<AnyModel> {
        Ok(match self.model.as_str() {
            BgNbd::NAME => AnyModel::BgNbd(BgNbd::from_params(&self.ordered::<BgNbd>()?)?),
            ParetoNbd::NAME => {
                AnyModel::ParetoNbd(ParetoNbd::from_params(&self.ordered::<ParetoNbd>()?)?)
            }
            MbgNbd::NAME => AnyModel::MbgNbd(MbgNbd::from_params(&self.ordered::<MbgNbd>()?)?),
            BgBb::NAME => AnyModel::BgBb(BgBb::from_params(&self.ordered::<BgBb>()?)?),
            GammaGamma::NAME => {
                AnyModel::GammaGamma(GammaGamma::from_params(&self.ordered::<GammaGamma>()?)?)
            }
            ShiftedBetaGeometric::NAME => AnyModel::Sbg(ShiftedBetaGeometric::from_params(
                &self.ordered::<ShiftedBetaGeometric>()?,
            )?),
            other => {
                return Err(ClvError::InvalidParameter(format!(
                    "unknown model kind '{other}'"
                )));
            }
        })
    }
}

/// Fits a model of continuous-time histories on `data` and packs it, with the fit's wall
/// time and the data's size and fingerprint, as a model file in time unit `unit`.
pub fn fit_rfm<M: Model<Data = RfmData>>(
    data: &RfmData,
    options: &FitOptions,
    unit: &str,
) -> Result<(Fitted<M>, SavedModel)> {
    let start = Instant::now();
    let fitted = M::fit(data, options)?;
    let saved = SavedModel::new(
        &fitted.report,
        data.customers(),
        data.patterns(),
        unit,
        fingerprint([data.x.as_slice(), &data.t_x, &data.t, &data.weights]),
        start.elapsed().as_secs_f64(),
    );
    Ok((fitted, saved))
}

/// A model of any kind, as read from a file.
#[derive(Debug, Clone)]
pub enum AnyModel {
    BgNbd(BgNbd),
    ParetoNbd(ParetoNbd),
    MbgNbd(MbgNbd),
    BgBb(BgBb),
    GammaGamma(GammaGamma),
    Sbg(ShiftedBetaGeometric),
}

impl AnyModel {
    /// The continuous-time transaction model, for the kinds that are one.
    pub fn as_transaction_model(&self) -> Option<&dyn TransactionModel> {
        match self {
            AnyModel::BgNbd(m) => Some(m),
            AnyModel::ParetoNbd(m) => Some(m),
            AnyModel::MbgNbd(m) => Some(m),
            _ => None,
        }
    }
}

/// Names of the transaction models a user can choose.
pub const TRANSACTION_MODELS: [&str; 3] = [BgNbd::NAME, ParetoNbd::NAME, MbgNbd::NAME];
