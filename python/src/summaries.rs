//! Transactions to per-customer summaries: `features::summarize_table` on columns.

use chrono::NaiveDate;
use clv::ClvError;
use clv::features::{Summary, SummaryOptions, TimeUnit, TransactionTable, summarize_table};
use clv::ingest::{OnError, ReadOptions, RowAccounting, reason};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::columns::{i64s, table_to_python, text_column};
use crate::errors::IntoPy;

/// A date argument (`YYYY-MM-DD`), or an invalid-parameter error naming it.
pub fn parse_date(what: &str, text: Option<&str>) -> PyResult<Option<NaiveDate>> {
    text.map(|t| {
        NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").map_err(|_| {
            ClvError::InvalidParameter(format!("{what}: '{t}' is not a date (YYYY-MM-DD)"))
        })
    })
    .transpose()
    .py_err()
}

/// Day numbers since 1970-01-01 to dates; NaT (the smallest int64) and dates out of range are
/// a bad row naming its position.
fn dates(days: &[i64], source: &str) -> clv::Result<Vec<NaiveDate>> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
    days.iter()
        .enumerate()
        .map(|(i, &d)| {
            let date = (d != i64::MIN)
                .then(|| epoch.checked_add_signed(chrono::TimeDelta::try_days(d)?))
                .flatten();
            date.ok_or_else(|| ClvError::BadRow {
                file: source.into(),
                line: i as u64 + 1,
                column: "date".into(),
                value: if d == i64::MIN {
                    "NaT".into()
                } else {
                    d.to_string()
                },
                reason: reason::BAD_DATE.into(),
            })
        })
        .collect()
}

/// Transactions as columns, from a dict: `customer_id` (an Arrow stream capsule or a list),
/// `day` (int64 day bytes), `amount` (float64 bytes), `extra_names` and `extras` (one capsule
/// or list per extra column).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct TransactionColumns<'py> {
    customer_id: Bound<'py, PyAny>,
    day: Bound<'py, PyBytes>,
    amount: Bound<'py, PyBytes>,
    extra_names: Vec<String>,
    extras: Vec<Bound<'py, PyAny>>,
}

/// How to summarize, from a dict: unit, calibration_end, observation_end, skip_bad_rows and
/// source (the table's name in messages).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct SummarySettings {
    unit: String,
    calibration_end: Option<String>,
    observation_end: Option<String>,
    skip_bad_rows: bool,
    source: String,
}

impl SummarySettings {
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn unit(&self) -> PyResult<TimeUnit> {
        self.unit.parse::<TimeUnit>().py_err()
    }
}

/// Transactions in memory with how to read them: what `summarize_table` takes.
pub struct Source {
    pub table: TransactionTable,
    pub read: ReadOptions,
    pub name: String,
}

impl Source {
    pub fn new(tx: &TransactionColumns<'_>, settings: &SummarySettings) -> PyResult<Self> {
        let name = settings.source.clone();
        let table = TransactionTable {
            customer_id: text_column(&tx.customer_id, &name)?,
            date: dates(&i64s(tx.day.as_bytes()), &name).py_err()?,
            amount: crate::columns::f64s(tx.amount.as_bytes()),
            extra_names: tx.extra_names.clone(),
            extras: (tx.extras.iter())
                .map(|c| text_column(c, &name))
                .collect::<PyResult<_>>()?,
        };
        let read = ReadOptions {
            on_error: if settings.skip_bad_rows {
                OnError::Skip
            } else {
                OnError::Fail
            },
            ..Default::default()
        };
        Ok(Source { table, read, name })
    }

    /// The summary with `opts` (no GIL needed).
    pub fn summarize(&self, opts: &SummaryOptions) -> clv::Result<(Summary, RowAccounting)> {
        summarize_table(&self.table, &self.name, &self.read, opts)
    }
}

/// The summary options of the settings.
pub fn summary_options(
    settings: &SummarySettings,
    keep_purchase_times: bool,
) -> PyResult<SummaryOptions> {
    Ok(SummaryOptions {
        unit: settings.unit()?,
        calibration_end: parse_date("calibration_end", settings.calibration_end.as_deref())?,
        observation_end: parse_date("observation_end", settings.observation_end.as_deref())?,
        keep_purchase_times,
    })
}

/// The summary of transactions given as columns, the GIL released while the core works.
pub fn summary_of(
    py: Python<'_>,
    tx: &TransactionColumns<'_>,
    settings: &SummarySettings,
    keep_purchase_times: bool,
) -> PyResult<(Summary, RowAccounting)> {
    let source = Source::new(tx, settings)?;
    let opts = summary_options(settings, keep_purchase_times)?;
    py.detach(|| source.summarize(&opts)).py_err()
}

/// Summarizes transactions given as columns. Returns `(columns, accounting)`: columns as
/// `(name, kind, data)` with kind `str` (a list), `f64` (bytes) or `date` (int64 day bytes),
/// in the order of `clv summarize`'s CSV; the accounting as a dict.
#[pyfunction]
pub fn summarize<'py>(
    py: Python<'py>,
    tx: TransactionColumns<'py>,
    settings: SummarySettings,
) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyDict>)> {
    let (summary, accounting) = summary_of(py, &tx, &settings, false)?;
    let out = table_to_python(py, &summary.to_table())?;
    Ok((out, accounting_dict(py, &summary, &accounting)?))
}

/// Where every row went, as a dict.
pub fn accounting_dict<'py>(
    py: Python<'py>,
    summary: &Summary,
    accounting: &RowAccounting,
) -> PyResult<Bound<'py, PyDict>> {
    let acc = PyDict::new(py);
    acc.set_item("rows_read", accounting.rows_read)?;
    acc.set_item("rows_used", accounting.rows_used)?;
    acc.set_item("rows_rejected", accounting.rows_rejected)?;
    acc.set_item("rejected_by_reason", accounting.rejected_by_reason.clone())?;
    acc.set_item("description", accounting.describe())?;
    let rejections = PyList::empty(py);
    for r in &accounting.rejections {
        rejections.append((
            r.line,
            r.column.as_str(),
            r.value.as_str(),
            r.reason.as_str(),
        ))?;
    }
    acc.set_item("rejections", rejections)?;
    acc.set_item(
        "customers_after_calibration",
        summary.customers_after_calibration,
    )?;
    Ok(acc)
}
