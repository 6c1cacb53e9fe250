//! `clv._core`: the Python extension of the `clv` package. Thin wrappers over the core
//! library, one file per area; the pure-Python package (`python/clv/`) turns DataFrames into
//! columns and results back into DataFrames.

mod arrow;
mod bundle;
mod churn;
mod columns;
mod errors;
mod models;
mod simulate;
mod summaries;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<models::PyModel>()?;
    m.add_class::<bundle::PyBundle>()?;
    m.add_function(wrap_pyfunction!(arrow::read_arrow, m)?)?;
    m.add_class::<churn::PyChurnModel>()?;
    m.add_function(wrap_pyfunction!(churn::churn_train, m)?)?;
    m.add_function(wrap_pyfunction!(churn::churn_evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(churn::load_churn_model, m)?)?;
    m.add_function(wrap_pyfunction!(churn::describe, m)?)?;
    m.add_function(wrap_pyfunction!(bundle::train_bundle, m)?)?;
    m.add_function(wrap_pyfunction!(bundle::load_bundle, m)?)?;
    m.add_function(wrap_pyfunction!(summaries::summarize, m)?)?;
    m.add_function(wrap_pyfunction!(models::fit, m)?)?;
    m.add_function(wrap_pyfunction!(models::load_model, m)?)?;
    m.add_function(wrap_pyfunction!(models::model_kinds, m)?)?;
    m.add_function(wrap_pyfunction!(simulate::simulate_summary, m)?)?;
    m.add_function(wrap_pyfunction!(simulate::simulate_orders, m)?)?;
    Ok(())
}
