//! Fitting any model of the registry on columns, model files both ways, and the predictions of
//! `predict::table` and the family traits.

use std::path::PathBuf;

use clv::ClvError;
use clv::models::saved::SavedModel;
use clv::models::{
    AnyModel, BgBbData, Family, FitData, FitOptions, ModelKind, RepeatSpendData, RfmData,
    SurvivorData, registry,
};
use clv::predict::ClvSettings;
use clv::predict::table::{clv_table, new_customer_distribution, predict_discrete, predict_table};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::columns::{self, f64_bytes, f64s, optional, required, summary_table};
use crate::errors::IntoPy;

/// A fitted (or loaded) model with its model file.
#[pyclass(module = "clv._core", name = "FittedModel", frozen)]
pub struct PyModel {
    pub saved: SavedModel,
    pub model: AnyModel,
    /// Gamma-Gamma: customers left out of the fit (no repeat purchase or no spend).
    left_out: Option<usize>,
}

impl PyModel {
    pub fn from_saved(saved: SavedModel) -> PyResult<Self> {
        let model = saved.reloaded_model().py_err()?;
        Ok(PyModel {
            saved,
            model,
            left_out: None,
        })
    }

    fn transaction(&self) -> PyResult<&dyn clv::models::TransactionModel> {
        self.model.transaction_model().py_err()
    }
}

fn family_name(f: Family) -> &'static str {
    match f {
        Family::Transaction => "transaction",
        Family::Discrete => "discrete",
        Family::Spend => "spend",
        Family::Retention => "retention",
    }
}

/// Fits a model of `kind` on columns (dict of float64 bytes): frequency, recency, T (and
/// monetary_value for gamma-gamma, weights optional) for the transaction and spend models,
/// frequency, recency, periods for bgbb, survivors for sbg.
#[pyfunction]
#[pyo3(signature = (kind, columns, unit, penalty, source))]
pub fn fit(
    py: Python<'_>,
    kind: &str,
    columns: &Bound<'_, PyDict>,
    unit: &str,
    penalty: f64,
    source: &str,
) -> PyResult<PyModel> {
    let kind: ModelKind = kind.parse().py_err()?;
    let options = FitOptions {
        penalty,
        ..Default::default()
    };
    let weights = optional(columns, "weights")?;
    let mut left_out = None;
    let fitted = match kind.family() {
        Family::Transaction | Family::Spend => {
            // No ids: the fit's messages name rows by position.
            let table = columns::fit_table(columns, source)?;
            if kind.family() == Family::Spend {
                let (data, out) = RepeatSpendData::new(
                    &table.frequency,
                    &table.monetary_value,
                    weights.as_deref(),
                )
                .py_err()?;
                left_out = Some(out);
                py.detach(|| registry::fit(kind, FitData::Spend(&data), &options, unit))
            } else {
                let data = RfmData::from_summary_table(&table).py_err()?;
                py.detach(|| registry::fit(kind, FitData::Transaction(&data), &options, unit))
            }
        }
        Family::Discrete => {
            let data = bgbb_data(columns)?;
            py.detach(|| registry::fit(kind, FitData::Discrete(&data), &options, "period"))
        }
        Family::Retention => {
            let data = SurvivorData::new(&required(columns, "survivors")?).py_err()?;
            py.detach(|| registry::fit(kind, FitData::Retention(&data), &options, "period"))
        }
    }
    .py_err()?;
    // The model as a reader of its file rebuilds it, so predictions agree before and after a
    // save and load.
    let model = fitted.saved.reloaded_model().py_err()?;
    Ok(PyModel {
        saved: fitted.saved,
        model,
        left_out,
    })
}

/// Reads a model file written by `clv fit` or `FittedModel.save`.
#[pyfunction]
pub fn load_model(path: PathBuf) -> PyResult<PyModel> {
    PyModel::from_saved(SavedModel::load(&path).py_err()?)
}

/// Every model kind: `(name, label, family, parameter names, description)`.
#[pyfunction]
pub fn model_kinds() -> Vec<(
    &'static str,
    &'static str,
    &'static str,
    Vec<&'static str>,
    &'static str,
)> {
    ModelKind::ALL
        .iter()
        .map(|k| {
            (
                k.name(),
                k.label(),
                family_name(k.family()),
                k.param_names().to_vec(),
                k.about(),
            )
        })
        .collect()
}

/// BG/BB patterns from columns frequency, recency, periods (weights optional).
fn bgbb_data(columns: &Bound<'_, PyDict>) -> PyResult<BgBbData> {
    BgBbData::new(
        &required(columns, "frequency")?,
        &required(columns, "recency")?,
        &required(columns, "periods")?,
        optional(columns, "weights")?.as_deref(),
    )
    .py_err()
}

type ColumnsOut<'py> = (Vec<String>, Bound<'py, PyList>);

#[pymethods]
impl PyModel {
    /// The model's short name (`bgnbd`, `pnbd`, ...).
    #[getter]
    fn kind(&self) -> &str {
        self.model.kind().name()
    }

    #[getter]
    fn family(&self) -> &'static str {
        family_name(self.model.kind().family())
    }

    /// The model file as JSON text (the same bytes `save` writes).
    fn json(&self) -> PyResult<String> {
        serde_json::to_string_pretty(&self.saved)
            .map_err(ClvError::from)
            .py_err()
    }

    /// The customers a Gamma-Gamma fit left out (no repeat purchase or no spend).
    #[getter]
    fn left_out(&self) -> Option<usize> {
        self.left_out
    }

    /// Writes the model file atomically.
    fn save(&self, path: PathBuf) -> PyResult<()> {
        self.saved.save(&path).py_err()
    }

    /// The prediction table of `clv predict` over `horizon` (columns of a summary, float64
    /// bytes), with a Gamma-Gamma `spend` model's columns and Pareto/NBD's DERT on request.
    /// `p_purchases` adds P(exactly N purchases in the horizon) per count N, `alive_ahead`
    /// (BG/BB) P(alive) M periods ahead per M, as `clv predict`'s flags of those names.
    #[pyo3(signature = (customer_id, columns, horizon, spend=None, discount_rate=None, p_purchases=Vec::new(), alive_ahead=Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        customer_id: &Bound<'py, PyList>,
        columns: &Bound<'py, PyDict>,
        horizon: f64,
        spend: Option<PyRef<'py, PyModel>>,
        discount_rate: Option<f64>,
        p_purchases: Vec<u32>,
        alive_ahead: Vec<u32>,
    ) -> PyResult<ColumnsOut<'py>> {
        if let AnyModel::BgBb(m) = &self.model {
            if !p_purchases.is_empty() {
                return Err(ClvError::InvalidParameter(
                    "bgbb: purchase-count probabilities are for new customers only \
                     (prob_n_purchases_new)"
                        .into(),
                ))
                .py_err();
            }
            let data = bgbb_data(columns)?;
            let out = py
                .detach(|| predict_discrete(m, &data, horizon, &alive_ahead))
                .py_err()?;
            return columns::to_python(py, &out);
        }
        let table = summary_table(columns::ids(customer_id)?, columns, "customers")?;
        let spend = match &spend {
            Some(s) => Some(s.model.spend_model().py_err()?),
            None => None,
        };
        // The model's unit matters only to convert a discount rate.
        let unit_days = match discount_rate {
            Some(_) => self
                .saved
                .time_unit
                .parse::<clv::features::TimeUnit>()
                .py_err()?
                .days_per_unit(),
            None => 1.0,
        };
        let out = py
            .detach(|| {
                predict_table(
                    &self.model,
                    spend,
                    &table,
                    horizon,
                    discount_rate,
                    unit_days,
                    &p_purchases,
                )
            })
            .py_err()?;
        columns::to_python(py, &out)
    }

    /// Discounted CLV of each customer (columns p_alive, expected_avg_spend, clv) with this
    /// transaction model and a Gamma-Gamma `spend` model.
    #[pyo3(signature = (customer_id, columns, spend, periods, period_length, discount_per_period, margin))]
    #[allow(clippy::too_many_arguments)]
    fn clv<'py>(
        &self,
        py: Python<'py>,
        customer_id: &Bound<'py, PyList>,
        columns: &Bound<'py, PyDict>,
        spend: PyRef<'py, PyModel>,
        periods: usize,
        period_length: f64,
        discount_per_period: f64,
        margin: f64,
    ) -> PyResult<ColumnsOut<'py>> {
        let table = summary_table(columns::ids(customer_id)?, columns, "customers")?;
        let g = spend.model.spend_model().py_err()?;
        let settings = ClvSettings {
            horizon: periods as f64 * period_length,
            period_length,
            discount_per_period,
            margin,
        };
        let out = py
            .detach(|| clv_table(&self.model, g, &table, &settings))
            .py_err()?;
        columns::to_python(py, &out)
    }

    /// P(exactly N repeat purchases in the first `horizon`) of a just-acquired customer, per
    /// count N (columns purchases, probability), as `clv predict --new-customers`.
    fn new_customer_distribution<'py>(
        &self,
        py: Python<'py>,
        horizon: f64,
        counts: Vec<u32>,
    ) -> PyResult<ColumnsOut<'py>> {
        let out = py
            .detach(|| new_customer_distribution(&self.model, horizon, &counts))
            .py_err()?;
        columns::to_python(py, &out)
    }

    /// Expected repeat purchases of a new customer by each horizon (float64 bytes).
    fn expected_purchases_new<'py>(
        &self,
        py: Python<'py>,
        horizons: &Bound<'py, PyBytes>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let m = self.transaction()?;
        let values: Vec<f64> = f64s(horizons.as_bytes())
            .iter()
            .map(|&h| m.expected_purchases_new(h))
            .collect();
        Ok(f64_bytes(py, &values))
    }

    /// Gamma-Gamma: the expected order value of a new customer.
    fn expected_spend_new(&self) -> PyResult<f64> {
        self.model
            .spend_model()
            .py_err()?
            .expected_average_spend_new()
            .py_err()
    }

    /// BG/BB: expected transactions of a new customer in `n` opportunities.
    fn expected_transactions_new(&self, n: u32) -> PyResult<f64> {
        match &self.model {
            AnyModel::BgBb(m) => m.expected_transactions_new(n).py_err(),
            other => Err(ClvError::InvalidParameter(format!(
                "'{}' is not a bgbb model",
                other.kind()
            )))
            .py_err(),
        }
    }

    /// sBG: `(survival, retention rate, churn probability)` at each period in `periods`.
    fn retention(&self, periods: Vec<u32>) -> PyResult<Vec<(f64, f64, f64)>> {
        let m = self
            .model
            .as_retention_model()
            .ok_or_else(|| {
                ClvError::InvalidParameter(format!("'{}' is not a retention model", self.kind()))
            })
            .py_err()?;
        periods
            .iter()
            .map(|&t| {
                Ok((
                    m.survival(t)?,
                    m.retention_rate(t)?,
                    m.churn_probability(t)?,
                ))
            })
            .collect::<clv::Result<_>>()
            .py_err()
    }
}
