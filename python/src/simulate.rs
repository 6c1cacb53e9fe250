//! Synthetic customers from known parameters (`clv::simulate`): their summaries, or their
//! orders as a transaction table.

use chrono::NaiveDate;
use clv::models::{AnyModel, ModelKind};
use clv::simulate::{
    CovariateEffects, SimulatedCustomer, SimulationSpec, SpendProcess, orders, simulate,
};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::columns::{f64_bytes, i64_bytes};
use crate::errors::IntoPy;
use crate::summaries::parse_date;

/// What to simulate, from a dict: kind, params (in the kind's order), spend (p, q, gamma),
/// customers, acquisition_periods, horizon_periods, seed, covariate_effects (None, or the
/// purchase and dropout effects of `channel` and `score`: p1, p2, d1, d2).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct Spec {
    kind: String,
    params: Vec<f64>,
    spend: (f64, f64, f64),
    customers: usize,
    acquisition_periods: f64,
    horizon_periods: f64,
    seed: u64,
    covariate_effects: Option<(f64, f64, f64, f64)>,
}

fn draw(py: Python<'_>, spec: &Spec) -> PyResult<(SimulationSpec, Vec<SimulatedCustomer>)> {
    let kind: ModelKind = spec.kind.parse().py_err()?;
    let (p, q, gamma) = spec.spend;
    let spec = SimulationSpec {
        process: AnyModel::from_params(kind, &spec.params).py_err()?,
        spend: SpendProcess { p, q, gamma },
        customers: spec.customers,
        acquisition_periods: spec.acquisition_periods,
        horizon_periods: spec.horizon_periods,
        covariates: spec
            .covariate_effects
            .map(|(p1, p2, d1, d2)| CovariateEffects {
                purchase: [p1, p2],
                dropout: [d1, d2],
            }),
        seed: spec.seed,
    };
    spec.validate().py_err()?;
    let customers = py.detach(|| simulate(&spec)).py_err()?;
    Ok((spec, customers))
}

/// Simulated customers summarized at `end` (periods from the start; default: the horizon):
/// float64 bytes of frequency, recency, T, monetary_value, channel and score (zeros without
/// covariate effects), of those born by then.
#[pyfunction]
#[pyo3(signature = (spec, end=None))]
pub fn simulate_summary<'py>(
    py: Python<'py>,
    spec: Spec,
    end: Option<f64>,
) -> PyResult<(Vec<usize>, [Bound<'py, PyBytes>; 6])> {
    let (spec, customers) = draw(py, &spec)?;
    let end = end.unwrap_or(spec.horizon_periods);
    let born: Vec<&SimulatedCustomer> = customers.iter().filter(|c| c.birth <= end).collect();
    let stats: Vec<(f64, f64, f64, f64)> = born.iter().map(|c| c.summary_at(end)).collect();
    let column = |f: fn(&(f64, f64, f64, f64)) -> f64| {
        f64_bytes(py, &stats.iter().map(f).collect::<Vec<f64>>())
    };
    Ok((
        born.iter().map(|c| c.index + 1).collect(),
        [
            column(|s| s.0),
            column(|s| s.1),
            column(|s| s.2),
            column(|s| s.3),
            covariate(py, &born, 0),
            covariate(py, &born, 1),
        ],
    ))
}

/// Customer numbers, days and amounts of the orders; channel and score of the customers.
type OrderColumns<'py> = (
    Vec<u32>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
);

/// Covariate `index` (0 channel, 1 score) of each customer, as float64 bytes.
fn covariate<'py>(
    py: Python<'py>,
    customers: &[&SimulatedCustomer],
    index: usize,
) -> Bound<'py, PyBytes> {
    let values: Vec<f64> = customers.iter().map(|c| c.covariates[index]).collect();
    f64_bytes(py, &values)
}

/// The simulated customers' orders on calendar days from `start`, `days_per_unit` days a
/// period: (customer number, int64 day numbers since 1970-01-01, float64 amounts), then the
/// channel and score of every customer by number (zeros without covariate effects).
#[pyfunction]
pub fn simulate_orders<'py>(
    py: Python<'py>,
    spec: Spec,
    start: &str,
    days_per_unit: f64,
) -> PyResult<OrderColumns<'py>> {
    let start = parse_date("start", Some(start))?.expect("a date was given");
    let (spec, customers) = draw(py, &spec)?;
    let horizon_days = (spec.horizon_periods * days_per_unit).floor() as u32;
    let rows = py.detach(|| orders(&customers, days_per_unit, horizon_days, None));
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
    let offset = (start - epoch).num_days();
    let days: Vec<i64> = rows.iter().map(|r| offset + i64::from(r.day)).collect();
    let amounts: Vec<f64> = rows.iter().map(|r| r.cents as f64 / 100.0).collect();
    let everyone: Vec<&SimulatedCustomer> = customers.iter().collect();
    Ok((
        rows.iter().map(|r| r.customer + 1).collect(),
        i64_bytes(py, &days),
        f64_bytes(py, &amounts),
        covariate(py, &everyone, 0),
        covariate(py, &everyone, 1),
    ))
}
