//! Model files: a fitted model with its estimates, standard errors, covariance and fit
//! diagnostics, as versioned JSON (see [`crate::persist`]); the registry
//! ([`super::registry`]) turns a file back into a model of the right kind.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::FitReport;
use crate::error::{ClvError, Result};
use crate::persist;

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
}
