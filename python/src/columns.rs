//! Columns across the boundary: Python hands over each column as one `bytes` of native
//! float64 (or int64 day numbers, or a list of str), and gets result columns back the same
//! way, so no Python code runs per row.

use clv::features::{SummaryTable, TextColumn};
use clv::persist::table::{Table, Values};
use clv::predict::table::Columns;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::errors::IntoPy;

/// Native-endian float64 values from the bytes of a numpy array.
pub fn f64s(bytes: &[u8]) -> Vec<f64> {
    bytes
        .chunks_exact(8)
        .map(|c| f64::from_ne_bytes(c.try_into().expect("chunks of 8")))
        .collect()
}

/// Native-endian int64 values from the bytes of a numpy array.
pub fn i64s(bytes: &[u8]) -> Vec<i64> {
    bytes
        .chunks_exact(8)
        .map(|c| i64::from_ne_bytes(c.try_into().expect("chunks of 8")))
        .collect()
}

/// Float64 values as the bytes numpy reads back with `frombuffer`.
pub fn f64_bytes<'py>(py: Python<'py>, values: &[f64]) -> Bound<'py, PyBytes> {
    PyBytes::new_with(py, values.len() * 8, |out| {
        for (chunk, v) in out.chunks_exact_mut(8).zip(values) {
            chunk.copy_from_slice(&v.to_ne_bytes());
        }
        Ok(())
    })
    .expect("a bytes object of the right size")
}

/// Int64 values as the bytes numpy reads back with `frombuffer`.
pub fn i64_bytes<'py>(py: Python<'py>, values: &[i64]) -> Bound<'py, PyBytes> {
    PyBytes::new_with(py, values.len() * 8, |out| {
        for (chunk, v) in out.chunks_exact_mut(8).zip(values) {
            chunk.copy_from_slice(&v.to_ne_bytes());
        }
        Ok(())
    })
    .expect("a bytes object of the right size")
}

/// An optional float column of a dict of bytes.
pub fn optional(columns: &Bound<'_, PyDict>, name: &str) -> PyResult<Option<Vec<f64>>> {
    match columns.get_item(name)? {
        Some(v) => Ok(Some(f64s(v.cast::<PyBytes>()?.as_bytes()))),
        None => Ok(None),
    }
}

/// A float column that must be there (the Python side has checked the names).
pub fn required(columns: &Bound<'_, PyDict>, name: &str) -> PyResult<Vec<f64>> {
    optional(columns, name)?
        .ok_or_else(|| pyo3::exceptions::PyKeyError::new_err(format!("column '{name}' not passed")))
}

/// A summary table from columns (frequency, recency, T, monetary_value; weights optional;
/// recency and T may be left out for a spend model),
/// checked as a summary file's rows are; `source` names it in messages.
pub fn summary_table(
    ids: Vec<String>,
    columns: &Bound<'_, PyDict>,
    source: &str,
) -> PyResult<SummaryTable> {
    checked_table(columns, source, |n| {
        // Without ids (predictions whose messages need none), rows are named by number.
        if ids.is_empty() && n > 0 {
            (1..=n).map(|i| i.to_string()).collect()
        } else {
            ids
        }
    })
}

/// A summary table for a fit, which names no customer (the checks name rows by position): its
/// ids are empty strings, which allocate nothing, where numbering 1M rows took ~0.05 s.
pub fn fit_table(columns: &Bound<'_, PyDict>, source: &str) -> PyResult<SummaryTable> {
    checked_table(columns, source, |n| vec![String::new(); n])
}

/// The checked table, its ids made by `ids` from the number of rows.
fn checked_table(
    columns: &Bound<'_, PyDict>,
    source: &str,
    ids: impl FnOnce(usize) -> Vec<String>,
) -> PyResult<SummaryTable> {
    let frequency = required(columns, "frequency")?;
    let n = frequency.len();
    let mut table = SummaryTable {
        customer_id: ids(n),
        recency: optional(columns, "recency")?.unwrap_or_default(),
        t: optional(columns, "T")?.unwrap_or_default(),
        monetary_value: optional(columns, "monetary_value")?.unwrap_or_else(|| vec![0.0; n]),
        weights: optional(columns, "weights")?,
        frequency,
        ..Default::default()
    };
    table.check(source).py_err()?;
    // A spend-only table (Gamma-Gamma's): times that the spend model does not read.
    if table.recency.is_empty() {
        table.recency = vec![0.0; n];
        table.t = vec![0.0; n];
    }
    Ok(table)
}

/// Result columns as `(names, list of float64 bytes)`.
pub fn to_python<'py>(
    py: Python<'py>,
    columns: &Columns,
) -> PyResult<(Vec<String>, Bound<'py, PyList>)> {
    let values = PyList::empty(py);
    for v in &columns.values {
        values.append(f64_bytes(py, v))?;
    }
    Ok((columns.names.clone(), values))
}

/// Customer ids from a Python list (a column's `tolist()`): str as is, integers in decimal, and
/// None or NaN as an empty id, which the core refuses or rejects naming the row.
pub fn ids(list: &Bound<'_, PyList>) -> PyResult<Vec<String>> {
    list.iter().map(|v| id_text(&v)).collect()
}

/// One id of a Python list (see [`ids`]).
fn id_text(v: &Bound<'_, PyAny>) -> PyResult<String> {
    if v.is_none() {
        return Ok(String::new());
    }
    if let Ok(s) = v.cast::<pyo3::types::PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    if let Ok(f) = v.cast::<pyo3::types::PyFloat>() {
        let f = f.value();
        if f.is_nan() {
            return Ok(String::new());
        }
        if f.fract() == 0.0 && f.abs() < 1e15 {
            return Ok(format!("{}", f as i64));
        }
    }
    Ok(v.str()?.to_cow()?.into_owned())
}

/// A text column (ids, attributes) as Python hands it over: an Arrow stream capsule of a
/// one-column table (no Python object per value; see `arrow::text_column`) or a list, read as
/// [`ids`] reads it.
pub fn text_column(value: &Bound<'_, PyAny>, source: &str) -> PyResult<TextColumn> {
    if let Ok(capsule) = value.cast::<pyo3::types::PyCapsule>() {
        return crate::arrow::text_column(capsule, source);
    }
    let list = value.cast::<PyList>()?;
    let mut column = TextColumn::with_capacity(list.len(), 0);
    for v in list.iter() {
        column.push(&id_text(&v)?);
    }
    Ok(column)
}

/// A result table of the core (the typed table behind its Parquet output) as `(name, kind,
/// data)` columns: kind `str` (a list), `f64` (float64 bytes; counts too, as the frames have
/// them), `date` (int64 day bytes) or `bool` (a list).
pub fn table_to_python<'py>(py: Python<'py>, table: &Table<'_>) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for (name, values) in &table.columns {
        let (kind, data): (&str, Bound<'py, PyAny>) = match values {
            Values::Text(v) => (
                "str",
                PyList::new(py, v.iter().map(|s| s.as_ref()))?.into_any(),
            ),
            Values::Float(v) => ("f64", f64_bytes(py, v).into_any()),
            Values::Int(v) => {
                let floats: Vec<f64> = v.iter().map(|&i| i as f64).collect();
                ("f64", f64_bytes(py, &floats).into_any())
            }
            Values::Date(v) => {
                let days: Vec<i64> = v.iter().map(|&d| i64::from(d)).collect();
                ("date", i64_bytes(py, &days).into_any())
            }
            Values::Bool(v) => ("bool", PyList::new(py, v)?.into_any()),
        };
        out.append((name.as_str(), kind, data))?;
    }
    Ok(out)
}
