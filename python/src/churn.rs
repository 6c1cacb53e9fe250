//! The churn side, as thin wrappers over the core's jobs (`churn::jobs`,
//! `predict::evaluation`, `features::metrics`): train a churn classifier, score customers with
//! it, evaluate it on a held-out split, and the history metrics of `clv describe`. Results
//! cross as JSON (the files and reports the CLI writes) or as typed columns.

use std::path::PathBuf;

use clv::ClvError;
use clv::churn::data::ClassWeights;
use clv::churn::from_summary::churn_customers;
use clv::churn::jobs::{TrainingRequest, prepare, score_churn};
use clv::churn::model_file::{ChurnModelFile, train_churn_model};
use clv::features::metrics::describe_summary;
use clv::io::churn_scores_table;
use clv::models::ModelKind;
use clv::predict::evaluation::evaluate_split;
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::columns::table_to_python;
use crate::errors::IntoPy;
use crate::summaries::{SummarySettings, TransactionColumns, summary_of};

fn json<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value)
        .map_err(ClvError::from)
        .py_err()
}

/// What a churn training run is asked for, from a dict: transaction_model, window (None: the
/// whole holdout), covariates (`NAME`, `NAME:numeric`, `NAME:categorical`), class_weights
/// (`none` or `balanced`), l2, seed.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct Request {
    transaction_model: String,
    window: Option<f64>,
    covariates: Vec<String>,
    class_weights: String,
    l2: f64,
    seed: u64,
}

impl Request {
    fn core(&self) -> PyResult<TrainingRequest> {
        let class_weights = match self.class_weights.as_str() {
            "none" => ClassWeights::None,
            "balanced" => ClassWeights::Balanced,
            other => {
                return Err(ClvError::InvalidParameter(format!(
                    "class_weights must be 'none' or 'balanced', got '{other}'"
                )))
                .py_err();
            }
        };
        Ok(TrainingRequest {
            transaction_model: self.transaction_model.parse::<ModelKind>().py_err()?,
            window: self.window,
            covariates: self.covariates.clone(),
            class_weights,
            l2: self.l2,
            seed: self.seed,
        })
    }
}

/// A churn model file (`clv churn train`'s output), in memory.
#[pyclass(module = "clv._core", name = "ChurnModel", frozen)]
pub struct PyChurnModel {
    file: ChurnModelFile,
}

/// Trains the churn classifier on a calibration / holdout split of transactions, as
/// `clv churn train` does.
#[pyfunction]
pub fn churn_train(
    py: Python<'_>,
    tx: TransactionColumns<'_>,
    settings: SummarySettings,
    request: Request,
) -> PyResult<PyChurnModel> {
    let request = request.core()?;
    let (summary, _) = summary_of(py, &tx, &settings, true)?;
    let file = py
        .detach(|| {
            let prepared = prepare(&summary, &request)?;
            train_churn_model(&summary, &prepared.saved_model, prepared.settings)
        })
        .py_err()?;
    Ok(PyChurnModel { file })
}

/// The held-out evaluation of `clv evaluate --output` as JSON, and its warnings.
#[pyfunction]
pub fn churn_evaluate(
    py: Python<'_>,
    tx: TransactionColumns<'_>,
    settings: SummarySettings,
    request: Request,
    test_fraction: f64,
    threshold: f64,
) -> PyResult<(String, Vec<String>)> {
    let request = request.core()?;
    let (summary, _) = summary_of(py, &tx, &settings, true)?;
    let (file, warnings) = py
        .detach(|| {
            let prepared = prepare(&summary, &request)?;
            evaluate_split(&summary, prepared, test_fraction, threshold)
        })
        .py_err()?;
    Ok((json(&file)?, warnings))
}

/// The history metrics of `clv describe --json` as JSON.
#[pyfunction]
#[pyo3(signature = (tx, settings, lifespan_years=None, cac=None))]
pub fn describe(
    py: Python<'_>,
    tx: TransactionColumns<'_>,
    settings: SummarySettings,
    lifespan_years: Option<f64>,
    cac: Option<f64>,
) -> PyResult<String> {
    let (summary, _) = summary_of(py, &tx, &settings, false)?;
    let metrics = py
        .detach(|| describe_summary(&summary, lifespan_years, cac))
        .py_err()?;
    json(&metrics)
}

/// Reads a churn model file written by `clv churn train` or `ChurnModel.save`.
#[pyfunction]
pub fn load_churn_model(path: PathBuf) -> PyResult<PyChurnModel> {
    Ok(PyChurnModel {
        file: ChurnModelFile::load(&path, None).py_err()?,
    })
}

#[pymethods]
impl PyChurnModel {
    /// The churn model file as JSON text.
    fn json(&self) -> PyResult<String> {
        serde_json::to_string_pretty(&self.file)
            .map_err(ClvError::from)
            .py_err()
    }

    /// Writes the churn model file atomically.
    fn save(&self, path: PathBuf) -> PyResult<()> {
        self.file.save(&path).py_err()
    }

    #[getter]
    fn time_unit(&self) -> &str {
        &self.file.time_unit
    }

    /// Scores every customer of the transactions (summarized in the model's unit) as
    /// `clv churn score` does: columns `(name, kind, data)`, highest churn probability first.
    fn score<'py>(
        &self,
        py: Python<'py>,
        tx: TransactionColumns<'py>,
        settings: SummarySettings,
    ) -> PyResult<Bound<'py, PyList>> {
        if settings.unit()?.name() != self.file.time_unit {
            return Err(ClvError::InvalidParameter(format!(
                "the churn model is in {}s, the transactions were asked in {}s",
                self.file.time_unit,
                settings.unit()?.name()
            )))
            .py_err();
        }
        let (summary, _) = summary_of(py, &tx, &settings, true)?;
        let file = &self.file;
        let scores = py
            .detach(|| {
                let customers = churn_customers(&summary, &file.settings.covariates)?;
                score_churn(file, &customers)
            })
            .py_err()?;
        table_to_python(py, &churn_scores_table(&scores))
    }
}
