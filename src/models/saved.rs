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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::registry::{self, ModelKind};
    use crate::models::{FitData, FitOptions, RfmData};

    /// serde_json's `float_roundtrip`: a model file reloads bit for bit, so a reloaded model
    /// predicts exactly what the fitted one did.
    #[test]
    fn model_files_reload_bit_exact() {
        let x = [0.0, 1.0, 3.0, 2.0, 7.0, 0.0, 1.0];
        let t_x = [0.0, 5.3, 20.1, 30.7, 36.2, 0.0, 1.9];
        let t = [38.0, 38.0, 39.0, 38.5, 39.0, 20.0, 30.0];
        let data = RfmData::new(&x, &t_x, &t, None).unwrap();
        let fitted = registry::fit(
            ModelKind::BgNbd,
            FitData::Transaction(&data),
            &FitOptions::default(),
            "week",
        )
        .unwrap();
        let mut saved = fitted.saved;
        // Doubles whose shortest decimal form is long, parsed wrongly by a fast float parser
        // at the last bit.
        let mut v: u64 = 0x3FF0_1234_5678_9ABC;
        for value in saved.params.values_mut() {
            v = v
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *value = f64::from_bits((v >> 12) | 0x3FF0_0000_0000_0000) * 0.7;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        saved.save(&path).unwrap();
        let back = SavedModel::load(&path).unwrap();
        for (name, value) in &saved.params {
            assert_eq!(back.params[name].to_bits(), value.to_bits(), "{name}");
        }
        for (a, b) in back.fit.estimates.iter().zip(&saved.fit.estimates) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
        for _ in 0..2000 {
            v = v
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let f = f64::from_bits(v >> 2);
            if f.is_finite() {
                let text = serde_json::to_string(&f).unwrap();
                let g: f64 = serde_json::from_str(&text).unwrap();
                assert_eq!(f.to_bits(), g.to_bits(), "{text}");
            }
        }
    }
}
