//! The model bundle: training on transactions (`predict::train`), scoring existing customers
//! (`predict::score::score_bundle`) and bundle files both ways.

use std::collections::HashMap;
use std::path::PathBuf;

use clv::ClvError;
use clv::features::covariates::AttributeTable;
use clv::models::ModelKind;
use clv::predict::Bundle;
use clv::predict::prospects::{Prospects, score_prospects};
use clv::predict::score::score_bundle;
use clv::predict::train::{ModelChoice, TrainSettings, train};
use clv::report::build::{BuildSettings, build_report};
use clv::report::inputs::report_summaries;
use clv::report::render_html;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::columns::{f64_bytes, table_to_python};
use crate::errors::IntoPy;
use crate::summaries::{
    Source, SummarySettings, TransactionColumns, accounting_dict, summary_of, summary_options,
};
use clv::churn::AtRiskRule;
use clv::io::{Currency, OutputUnits, at_risk_table, scores_table};
use clv::predict::intervals::{IntervalOutcome, IntervalSettings, attach_score_intervals};
use clv::predict::prospect_intervals::attach_prospect_intervals;

/// The at-risk rule from Python's (churn threshold, top N or None, minimum value at risk).
fn at_risk_rule(
    (churn_threshold, top, min_value_at_risk): (f64, Option<usize>, f64),
) -> PyResult<AtRiskRule> {
    let rule = AtRiskRule {
        churn_threshold,
        min_value_at_risk,
        top,
    };
    rule.validate().py_err()?;
    Ok(rule)
}

/// A trained (or loaded) bundle: transaction model, spend model, covariate model for new
/// customers, churn settings.
#[pyclass(module = "clv._core", name = "Bundle", frozen)]
pub struct PyBundle {
    bundle: Bundle,
}

/// Trains a bundle on transactions, as `clv train` does: `model` is `auto` (every transaction
/// model of the registry, the best kept) or a kind; `covariates` the attribute columns to use
/// (`None`: every extra column); `attributes` a per-customer table instead of the transactions'
/// extra columns (`clv train --covariates FILE`). Returns the bundle and the row accounting.
#[pyfunction]
#[pyo3(signature = (tx, settings, model, covariates, penalty, attributes=None))]
pub fn train_bundle<'py>(
    py: Python<'py>,
    tx: TransactionColumns<'py>,
    settings: SummarySettings,
    model: &str,
    covariates: Option<Vec<String>>,
    penalty: f64,
    attributes: Option<AttributeColumns<'py>>,
) -> PyResult<(PyBundle, Bound<'py, PyDict>)> {
    let attributes = attributes.map(|a| a.table()).transpose()?;
    let choice = match model {
        "auto" => ModelChoice::Auto,
        kind => ModelChoice::Given(kind.parse::<ModelKind>().py_err()?),
    };
    let (summary, accounting) = summary_of(py, &tx, &settings, true)?;
    let train_settings = TrainSettings {
        model: choice,
        covariates,
        fit: clv::models::FitOptions {
            penalty,
            ..Default::default()
        },
    };
    let source = settings.source().to_string();
    let bundle = py
        .detach(|| {
            train(
                &summary,
                &accounting,
                &source,
                attributes.as_ref(),
                &train_settings,
            )
        })
        .py_err()?;
    let acc = accounting_dict(py, &summary, &accounting)?;
    Ok((PyBundle { bundle }, acc))
}

/// A per-customer attribute table, from a dict: `customer_id` (a list), `names` and `values`
/// (one list per attribute column), `source` (its name in messages).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct AttributeColumns<'py> {
    customer_id: Bound<'py, PyList>,
    names: Vec<String>,
    values: Vec<Bound<'py, PyList>>,
    source: String,
}

impl AttributeColumns<'_> {
    /// The table the core's training reads, as from an attribute file: one row per customer,
    /// a duplicate id is an error naming its row.
    fn table(&self) -> PyResult<AttributeTable> {
        let ids = crate::columns::ids(&self.customer_id)?;
        let values: Vec<Vec<String>> = self
            .values
            .iter()
            .map(crate::columns::ids)
            .collect::<PyResult<_>>()?;
        let mut rows = HashMap::with_capacity(ids.len());
        for (i, id) in ids.into_iter().enumerate() {
            let row = values.iter().map(|column| column[i].clone()).collect();
            if rows.insert(id.clone(), row).is_some() {
                return Err(ClvError::BadRow {
                    file: self.source.clone(),
                    line: i as u64 + 1,
                    column: "customer_id".into(),
                    value: id,
                    reason: "duplicate customer id".into(),
                })
                .py_err();
            }
        }
        Ok(AttributeTable {
            names: self.names.clone(),
            rows,
        })
    }
}

/// Reads a bundle file written by `clv train` or `Bundle.save`.
#[pyfunction]
pub fn load_bundle(path: PathBuf) -> PyResult<PyBundle> {
    Ok(PyBundle {
        bundle: Bundle::load(&path).py_err()?,
    })
}

#[pymethods]
impl PyBundle {
    /// The bundle file as JSON text.
    fn json(&self) -> PyResult<String> {
        serde_json::to_string_pretty(&self.bundle)
            .map_err(ClvError::from)
            .py_err()
    }

    /// Writes the bundle file atomically.
    fn save(&self, path: PathBuf) -> PyResult<()> {
        self.bundle.save(&path).py_err()
    }

    #[getter]
    fn time_unit(&self) -> &str {
        &self.bundle.time_unit
    }

    /// Scores the customers of transactions as `clv score` does: `(columns, at-risk columns,
    /// totals JSON, accounting)`, the columns as `(name, kind, data)` like `summarize`'s, rows
    /// sorted by CLV; the at-risk list (the rows flagged `at_risk`, ranked by value at risk) as
    /// `clv at-risk` writes it. `at_risk` is (churn threshold, top N or None for all, minimum
    /// value at risk).
    /// Money columns are named in `currency` (`clv_usd`), times in the bundle's unit
    /// (`recency_weeks`), as the CLI names them.
    /// With `intervals`, the CLV's 90% parameter-uncertainty bounds follow it (`clv_low_usd`,
    /// `clv_high_usd`) and the totals JSON has `intervals` (the outcome: the totals' bounds, or
    /// why there are none).
    #[pyo3(signature = (tx, settings, horizon, horizon_unit, discount_rate, margin, churn_window, at_risk, currency, intervals=false))]
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    fn score<'py>(
        &self,
        py: Python<'py>,
        tx: TransactionColumns<'py>,
        settings: SummarySettings,
        horizon: f64,
        horizon_unit: Option<String>,
        discount_rate: f64,
        margin: f64,
        churn_window: Option<f64>,
        at_risk: (f64, Option<usize>, f64),
        currency: &str,
        intervals: bool,
    ) -> PyResult<(
        Bound<'py, PyList>,
        Bound<'py, PyList>,
        String,
        Bound<'py, PyDict>,
    )> {
        let rule = at_risk_rule(at_risk)?;
        if settings.unit()?.name() != self.bundle.time_unit {
            return Err(ClvError::InvalidParameter(format!(
                "the bundle is in {}s, the transactions were asked in {}s",
                self.bundle.time_unit,
                settings.unit()?.name()
            )))
            .py_err();
        }
        let (summary, accounting) = summary_of(py, &tx, &settings, true)?;
        let clv = self
            .bundle
            .clv_settings(
                horizon,
                horizon_time_unit(&self.bundle, horizon_unit.as_deref())?,
                discount_rate,
                margin,
            )
            .py_err()?;
        let (scored, outcome) = py
            .detach(|| {
                let mut scored = score_bundle(&self.bundle, &summary, clv, churn_window, rule)?;
                let outcome = intervals
                    .then(|| {
                        let s = IntervalSettings::default();
                        attach_score_intervals(&self.bundle, &summary, &mut scored, &s)
                    })
                    .transpose()?;
                Ok::<_, ClvError>((scored, outcome))
            })
            .py_err()?;
        let with_bounds = matches!(outcome, Some(IntervalOutcome::Computed { .. }));
        let units = OutputUnits {
            time: self.bundle.unit().py_err()?,
            currency: currency.parse::<Currency>().py_err()?,
        };
        let out = table_to_python(py, &scores_table(&scored.rows, &units, with_bounds))?;
        let listed = table_to_python(
            py,
            &at_risk_table(&scored.at_risk, clv::churn::at_risk::MAX_REASONS, &units),
        )?;
        let mut totals = serde_json::to_value(&scored.totals)
            .map_err(ClvError::from)
            .py_err()?;
        if let (Some(outcome), Some(map)) = (&outcome, totals.as_object_mut()) {
            let value = serde_json::to_value(outcome)
                .map_err(ClvError::from)
                .py_err()?;
            map.insert("intervals".into(), value);
        }
        let totals = totals.to_string();
        Ok((
            out,
            listed,
            totals,
            accounting_dict(py, &summary, &accounting)?,
        ))
    }

    /// Scores prospects (new customers) as `clv score-new` does: one row per prospect with its
    /// attribute columns (`names`, one list of values each; a `count` column counts the
    /// customers a row stands for). Returns the column names and float64 bytes of count,
    /// expected_repeat_purchases, expected_order_value, first_order_value, clv, max_cac, the
    /// money columns named in `currency` as the CLI names them (`clv_usd`).
    /// With `intervals`, also clv_low, clv_high and max_cac_conservative (the maximum CAC
    /// from the CLV's lower bound); the third value returned says why there are none, if so.
    #[pyo3(signature = (names, columns, horizon, horizon_unit, discount_rate, margin, target_ltv_cac, currency, intervals=false))]
    #[allow(clippy::too_many_arguments)]
    fn score_new<'py>(
        &self,
        py: Python<'py>,
        names: Vec<String>,
        columns: Vec<Bound<'py, PyList>>,
        horizon: f64,
        horizon_unit: Option<String>,
        discount_rate: f64,
        margin: f64,
        target_ltv_cac: f64,
        currency: &str,
        intervals: bool,
    ) -> PyResult<(Vec<String>, Bound<'py, PyList>, Option<String>)> {
        let currency = currency.parse::<Currency>().py_err()?;
        let values: Vec<Vec<String>> = columns
            .iter()
            .map(crate::columns::ids)
            .collect::<PyResult<_>>()?;
        let n = values.first().map_or(0, Vec::len);
        let prospects = Prospects {
            columns: names,
            rows: (0..n)
                .map(|i| values.iter().map(|c| c[i].clone()).collect())
                .collect(),
            source: None,
        };
        let settings = self
            .bundle
            .clv_settings(
                horizon,
                horizon_time_unit(&self.bundle, horizon_unit.as_deref())?,
                discount_rate,
                margin,
            )
            .py_err()?;
        let (scores, unavailable) = py
            .detach(|| {
                let mut scores =
                    score_prospects(&self.bundle, &prospects, &settings, target_ltv_cac)?;
                let unavailable = if intervals {
                    attach_prospect_intervals(
                        &self.bundle,
                        &prospects,
                        &mut scores,
                        &settings,
                        target_ltv_cac,
                        &IntervalSettings::default(),
                    )?
                } else {
                    None
                };
                Ok::<_, ClvError>((scores, unavailable))
            })
            .py_err()?;
        let with_bounds = intervals && unavailable.is_none();
        type Field = fn(&clv::predict::prospects::ProspectScore) -> f64;
        // (name, whether it is money, value)
        let mut fields: Vec<(&'static str, bool, Field)> = vec![
            ("count", false, |s| s.count),
            ("expected_repeat_purchases", false, |s| {
                s.expected_repeat_purchases
            }),
            ("expected_order_value", true, |s| s.expected_order_value),
            ("first_order_value", true, |s| s.first_order_value),
            ("clv", true, |s| s.clv),
        ];
        if with_bounds {
            fields.push(("clv_low", true, |s| {
                s.clv_interval.map_or(f64::NAN, |i| i.lower)
            }));
            fields.push(("clv_high", true, |s| {
                s.clv_interval.map_or(f64::NAN, |i| i.upper)
            }));
        }
        fields.push(("max_cac", true, |s| s.max_cac));
        if with_bounds {
            fields.push(("max_cac_conservative", true, |s| {
                s.max_cac_conservative.unwrap_or(f64::NAN)
            }));
        }
        let out = PyList::empty(py);
        for (_, _, f) in &fields {
            out.append(f64_bytes(py, &scores.iter().map(f).collect::<Vec<f64>>()))?;
        }
        let names = fields
            .iter()
            .map(|(name, money, _)| {
                if *money {
                    currency.column(name)
                } else {
                    name.to_string()
                }
            })
            .collect();
        Ok((names, out, unavailable))
    }

    /// Writes the HTML report of `clv report` for the transactions to `path` (atomically), and
    /// returns its one-line summary and the warnings (a missing holdout section ...).
    #[pyo3(signature = (tx, settings, path, horizon, horizon_unit, discount_rate, margin, churn_window, at_risk, currency, target_ltv_cac, interval_draws, title))]
    #[allow(clippy::too_many_arguments)]
    fn report(
        &self,
        py: Python<'_>,
        tx: TransactionColumns<'_>,
        settings: SummarySettings,
        path: PathBuf,
        horizon: f64,
        horizon_unit: Option<String>,
        discount_rate: f64,
        margin: f64,
        churn_window: Option<f64>,
        at_risk: (f64, Option<usize>, f64),
        currency: String,
        target_ltv_cac: f64,
        interval_draws: usize,
        title: String,
    ) -> PyResult<(String, Vec<String>)> {
        let rule = at_risk_rule(at_risk)?;
        // As `clv report --interval-draws`: 0 means no intervals.
        let intervals = match interval_draws {
            0 => None,
            draws => {
                let settings = IntervalSettings {
                    draws,
                    ..IntervalSettings::default()
                };
                settings.validate().py_err()?;
                Some(settings)
            }
        };
        let source = Source::new(&tx, &settings)?;
        let observation_end = summary_options(&settings, true)?.observation_end;
        let clv = self
            .bundle
            .clv_settings(
                horizon,
                horizon_time_unit(&self.bundle, horizon_unit.as_deref())?,
                discount_rate,
                margin,
            )
            .py_err()?;
        let bundle = &self.bundle;
        py.detach(|| {
            let summaries = report_summaries(bundle, |mut opts| {
                opts.observation_end = observation_end;
                source.summarize(&opts).map(|(summary, _)| summary)
            })?;
            let build = BuildSettings {
                churn_window,
                at_risk: rule,
                currency,
                target_ltv_cac,
                intervals,
                title,
                ..BuildSettings::new(clv)
            };
            let data = build_report(
                bundle,
                &summaries.history,
                summaries.calibration.as_ref(),
                &build,
            )?;
            let html = render_html(&data)?;
            clv::persist::write_atomic(&path, html.as_bytes())?;
            Ok((
                clv::report::text::report_summary_line(&data),
                summaries.warnings,
            ))
        })
        .py_err()
    }
}

/// The unit of a horizon: the one named (hour, day, week, month), else the bundle's own.
fn horizon_time_unit(bundle: &Bundle, unit: Option<&str>) -> PyResult<clv::features::TimeUnit> {
    match unit {
        Some(u) => u.parse().py_err(),
        None => bundle.unit().py_err(),
    }
}
