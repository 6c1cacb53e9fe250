//! Training: from a calibration summary to a [`Bundle`] — the transaction model (given, or
//! chosen on the holdout as [`super::selection`] explains, then refitted on the full history
//! for scoring), the Gamma-Gamma spend model overall and per attribute level, and the
//! covariate model that scores new customers.

use std::collections::BTreeMap;

use super::bundle::{
    BUNDLE_FORMAT, BUNDLE_VERSION, Bundle, Candidate, CovariateSection, GroupSpend, NotScored,
    Selection, TrainingData,
};
use super::holdout::{
    HoldoutCustomer, OrderValue, evaluate_holdout, holdout_customers, predicted_holdout_purchases,
};
use super::selection::{HOLDOUT_RULE, HoldoutErrors, aggregate_error_warning, choose_on_holdout};
use crate::churn::ChurnSettings;
use crate::churn::from_summary::{covariate_specs, holdout_length};
use crate::churn::model_file::train_churn_model;
use crate::error::{ClvError, Result};
use crate::features::Summary;
use crate::features::covariates::{AttributeTable, ColumnEncoding, CovariateEncoding};
use crate::ingest::RowAccounting;
use crate::models::bgnbd::BgNbd;
use crate::models::covariates::{CovariateData, ScaleCovariates, fit_with_covariates};
use crate::models::gamma_gamma::GammaGamma;
use crate::models::pnbd::ParetoNbd;
use crate::models::registry;
use crate::models::saved::SavedModel;
use crate::models::{Family, FitData, FitOptions, ModelKind, RepeatSpendData, RfmData};
use crate::persist::fingerprint;

/// Fewest repeat buyers a group needs for its own Gamma-Gamma fit.
const MIN_GROUP_REPEAT_BUYERS: usize = 30;

/// Which transaction model to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelChoice {
    /// Fit every transaction model of the registry; keep the best holdout fit (or the highest
    /// likelihood without a holdout).
    Auto,
    /// This one (a kind of the transaction family).
    Given(ModelKind),
}

/// Settings of a training run.
#[derive(Debug, Clone)]
pub struct TrainSettings {
    pub model: ModelChoice,
    /// Attribute columns to use as covariates; `None` = every extra column of the data.
    pub covariates: Option<Vec<String>>,
    pub fit: FitOptions,
}

/// The per-customer attributes used for covariates and spend groups: from a separate
/// attribute table when given, else from the transactions' extra columns.
fn attributes(
    summary: &Summary,
    table: Option<&AttributeTable>,
    wanted: &Option<Vec<String>>,
) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let (names, values): (Vec<String>, Vec<Vec<String>>) = match table {
        Some(t) => {
            let rows = summary
                .customers
                .iter()
                .map(|c| {
                    t.rows.get(&c.customer_id).cloned().ok_or_else(|| {
                        ClvError::InvalidParameter(format!(
                            "customer '{}' has no row in the covariates file",
                            c.customer_id
                        ))
                    })
                })
                .collect::<Result<_>>()?;
            (t.names.clone(), rows)
        }
        None => (
            summary.extra_columns.clone(),
            summary.customers.iter().map(|c| c.extras.clone()).collect(),
        ),
    };
    let Some(wanted) = wanted else {
        return Ok((names, values));
    };
    let idx: Vec<usize> = wanted
        .iter()
        .map(|w| {
            names.iter().position(|n| n == w).ok_or_else(|| {
                ClvError::InvalidParameter(format!(
                    "covariate '{w}' is not a column (columns: {}); --covariates names columns, a per-customer attributes file goes in --covariates-file",
                    names.join(", ")
                ))
            })
        })
        .collect::<Result<_>>()?;
    let values = values
        .iter()
        .map(|row| idx.iter().map(|&j| row[j].clone()).collect())
        .collect();
    Ok((wanted.clone(), values))
}

/// A fitted candidate with its predicted holdout purchases (empty without a holdout).
struct Fit {
    saved: SavedModel,
    candidate: Candidate,
    predicted: Vec<f64>,
}

/// Fits one transaction model and scores it on the holdout; an error says whether the fit
/// (`false`) or its scoring (`true`) failed.
fn candidate(
    kind: ModelKind,
    data: &RfmData,
    holdout: &[HoldoutCustomer],
    unit: &str,
    options: &FitOptions,
) -> std::result::Result<Fit, (bool, ClvError)> {
    let fitted =
        registry::fit(kind, FitData::Transaction(data), options, unit).map_err(|e| (false, e))?;
    let (eval, predicted) = if holdout.is_empty() {
        (None, Vec::new())
    } else {
        let model = fitted.model.transaction_model().map_err(|e| (true, e))?;
        let eval = evaluate_holdout(model, holdout, 7).map_err(|e| (true, e))?;
        (Some(eval), predicted_holdout_purchases(model, holdout))
    };
    let saved = fitted.saved;
    let candidate = Candidate {
        model: kind.name().to_string(),
        log_likelihood: saved.fit.log_likelihood,
        converged: saved.fit.converged,
        holdout_mae: eval.as_ref().map(|e| e.purchases_mae),
        holdout_aggregate_error_pct: eval.as_ref().map(|e| e.purchases_aggregate_error_pct),
        holdout_mse: None,
        holdout_mse_difference_se: None,
    };
    Ok(Fit {
        saved,
        candidate,
        predicted,
    })
}

/// The calibration customers' full history (calibration and holdout) as (x, t_x, T): the data
/// of the production fit. `None` without a holdout (the calibration is the full history).
/// Customers whose first purchase falls in the holdout are not in the calibration summary and
/// so are in neither fit.
fn full_history(summary: &Summary) -> Option<(Vec<f64>, Vec<f64>, Vec<f64>)> {
    summary.calibration_end?;
    let mut full = (Vec::new(), Vec::new(), Vec::new());
    for c in &summary.customers {
        let h = c.holdout.as_ref()?;
        full.0.push(c.frequency + h.frequency);
        full.1.push(if h.frequency > 0.0 {
            c.t + h.last_purchase_after_calibration
        } else {
            c.recency
        });
        full.2.push(c.t + h.duration);
    }
    Some(full)
}

/// Gamma-Gamma on the repeat buyers among `idx`; `None` when there are too few.
fn fit_spend(
    summary: &Summary,
    idx: &[usize],
    options: &FitOptions,
) -> Option<(GammaGamma, SavedModel)> {
    let x: Vec<f64> = idx
        .iter()
        .map(|&i| summary.customers[i].frequency)
        .collect();
    let m: Vec<f64> = idx
        .iter()
        .map(|&i| summary.customers[i].monetary_value)
        .collect();
    let (data, _) = RepeatSpendData::new(&x, &m, None).ok()?;
    let unit = summary.unit.name();
    let fitted = registry::fit(ModelKind::GammaGamma, FitData::Spend(&data), options, unit).ok()?;
    Some((*fitted.model.spend_model().ok()?, fitted.saved))
}

fn group_spend(
    summary: &Summary,
    idx: &[usize],
    gg: Option<&GammaGamma>,
    repeat_buyers: usize,
    fallback: f64,
) -> GroupSpend {
    let own = gg.and_then(|g| g.population_mean_spend().ok());
    GroupSpend {
        customers: idx.len(),
        repeat_buyers,
        mean_order_value: own.unwrap_or(fallback),
        mean_first_order_value: idx
            .iter()
            .map(|&i| summary.customers[i].first_order_value)
            .sum::<f64>()
            / idx.len().max(1) as f64,
        own_fit: own.is_some(),
    }
}

/// Trains a bundle on a (calibration) summary.
pub fn train(
    summary: &Summary,
    accounting: &RowAccounting,
    source: &str,
    attribute_table: Option<&AttributeTable>,
    settings: &TrainSettings,
) -> Result<Bundle> {
    let cs = &summary.customers;
    if cs.len() < 10 {
        return Err(ClvError::InvalidParameter(format!(
            "training needs at least 10 customers, got {}",
            cs.len()
        )));
    }
    let unit = summary.unit.name();
    let mut warnings = Vec::new();
    let x: Vec<f64> = cs.iter().map(|c| c.frequency).collect();
    let t_x: Vec<f64> = cs.iter().map(|c| c.recency).collect();
    let t: Vec<f64> = cs.iter().map(|c| c.t).collect();
    let data = RfmData::new(&x, &t_x, &t, None)?;
    // Only the purchases of the holdout choose the model, so no spend model is needed yet.
    let holdout: Vec<HoldoutCustomer> = holdout_customers(summary, OrderValue::HistoricalMean)?
        .into_iter()
        .filter(|h| h.holdout_duration > 0.0)
        .collect();

    // Transaction model: the one asked for, or the best of the registry's.
    let options = &settings.fit;
    let kinds: Vec<ModelKind> = match settings.model {
        ModelChoice::Auto => ModelKind::of_family(Family::Transaction).collect(),
        ModelChoice::Given(k) => vec![k],
    };
    let mut fits = Vec::new();
    let mut not_scored = Vec::new();
    for k in kinds {
        match candidate(k, &data, &holdout, unit, options) {
            Ok(f) => fits.push(f),
            Err((scoring, e)) if settings.model == ModelChoice::Auto => {
                let what = if scoring { "scored" } else { "fitted" };
                warnings.push(format!("{k} could not be {what}: {e}"));
                not_scored.push(NotScored {
                    model: k.name().to_string(),
                    reason: format!("could not be {what}: {e}"),
                });
            }
            Err((_, e)) => return Err(e),
        }
    }
    if fits.is_empty() {
        return Err(ClvError::Fit("no transaction model could be fitted".into()));
    }
    let mut candidates: Vec<Candidate> = fits.iter().map(|f| f.candidate.clone()).collect();
    let actual: Vec<f64> = holdout.iter().map(|h| h.holdout_purchases).collect();
    let (best, rule, reason) = if holdout.is_empty() {
        let best = (0..fits.len())
            .max_by(|&a, &b| {
                candidates[a]
                    .log_likelihood
                    .total_cmp(&candidates[b].log_likelihood)
            })
            .unwrap_or(0);
        let reason = match settings.model {
            ModelChoice::Given(_) => "given by --model".to_string(),
            ModelChoice::Auto => format!(
                "{} has the highest log-likelihood ({:.2}); there is no holdout to compare forecasts on",
                candidates[best].model, candidates[best].log_likelihood
            ),
        };
        (best, "highest log-likelihood", reason)
    } else {
        let errors: Vec<HoldoutErrors> = fits
            .iter()
            .map(|f| HoldoutErrors {
                predicted: &f.predicted,
                actual: &actual,
            })
            .collect();
        let (best, reason) = choose_on_holdout(&mut candidates, &errors)
            .ok_or_else(|| ClvError::Fit("no transaction model could be fitted".into()))?;
        (best, HOLDOUT_RULE, reason)
    };
    let (rule, reason) = match settings.model {
        ModelChoice::Given(_) => ("given by --model", "given by --model".to_string()),
        ModelChoice::Auto => (rule, reason),
    };
    let calibration_model = fits[best].saved.clone();
    warnings.extend(
        calibration_model
            .fit
            .warnings
            .iter()
            .map(|w| format!("{}: {w}", calibration_model.model)),
    );
    if let Some(w) = candidates[best]
        .holdout_aggregate_error_pct
        .and_then(|pct| aggregate_error_warning(&calibration_model.model, pct))
    {
        warnings.push(w);
    }
    // Production: the chosen model refitted on calibration + holdout, so the last period
    // informs the scores; the calibration fit stays for the holdout evaluation.
    let (transaction_model, calibration_model) = match full_history(summary) {
        Some((fx, ftx, ft)) => {
            let full = RfmData::new(&fx, &ftx, &ft, None)?;
            let kind = calibration_model.kind()?;
            let production = registry::fit(kind, FitData::Transaction(&full), options, unit)
                .map_err(|e| {
                    ClvError::Fit(format!(
                        "{kind} fitted on the calibration period but not on the full history: {e}"
                    ))
                })?
                .saved;
            warnings.extend(
                production
                    .fit
                    .warnings
                    .iter()
                    .map(|w| format!("{} (full history): {w}", production.model)),
            );
            (production, Some(calibration_model))
        }
        None => (calibration_model, None),
    };
    let selection = Selection {
        chosen: transaction_model.model.clone(),
        rule: rule.to_string(),
        reason,
        candidates,
        not_scored,
    };

    // Spend: overall, then per level of each categorical attribute.
    let all: Vec<usize> = (0..cs.len()).collect();
    let (gg, spend_model) = fit_spend(summary, &all, options).ok_or_else(|| {
        ClvError::Fit(
            "the Gamma-Gamma spend model could not be fitted (too few repeat buyers?)".into(),
        )
    })?;
    let repeat_buyers = spend_model.patterns;
    warnings.extend(
        spend_model
            .fit
            .warnings
            .iter()
            .map(|w| format!("gamma-gamma: {w}")),
    );
    let overall_spend = gg
        .population_mean_spend()
        .map_err(|e| ClvError::Fit(format!("the spend model has no finite mean (q <= 1): {e}")))?;
    let spend_overall = group_spend(summary, &all, Some(&gg), repeat_buyers, overall_spend);

    let (names, values) = attributes(summary, attribute_table, &settings.covariates)?;
    let (encoding, enc_warnings) = CovariateEncoding::fit(&names, &values, &|i| {
        format!("customer '{}'", cs[i].customer_id)
    })?;
    warnings.extend(enc_warnings);
    let mut spend_by_group = BTreeMap::new();
    for (j, col) in encoding.columns.iter().enumerate() {
        let ColumnEncoding::Categorical {
            name,
            baseline,
            levels,
            ..
        } = col
        else {
            continue;
        };
        let col_idx = names.iter().position(|n| n == name).unwrap_or(j);
        for level in std::iter::once(baseline).chain(levels) {
            let idx: Vec<usize> = (0..cs.len())
                .filter(|&i| &values[i][col_idx] == level)
                .collect();
            let fit = fit_spend(summary, &idx, options)
                .filter(|f| f.1.patterns >= MIN_GROUP_REPEAT_BUYERS);
            let rb = idx.iter().filter(|&&i| cs[i].frequency > 0.0).count();
            let g = group_spend(summary, &idx, fit.as_ref().map(|f| &f.0), rb, overall_spend);
            spend_by_group.insert(format!("{name}={level}"), g);
        }
    }

    // Covariate model for new customers, on the chosen model's family.
    let covariates = if encoding.columns.is_empty() {
        None
    } else {
        let z: Vec<Vec<f64>> = values
            .iter()
            .map(|row| {
                encoding.encode(|c| names.iter().position(|n| n == c).map(|j| row[j].clone()))
            })
            .collect::<Result<_>>()?;
        let cdata = CovariateData::new(encoding.feature_names(), &x, &t_x, &t, &z)?;
        let chosen = transaction_model.kind()?;
        let section = if chosen == ModelKind::ParetoNbd {
            covariate_section::<ParetoNbd>(&cdata, &data, &encoding, options)
        } else {
            if chosen != ModelKind::BgNbd {
                warnings.push(format!(
                    "covariates use BG/NBD (the {} has no covariate form here)",
                    chosen.label()
                ));
            }
            covariate_section::<BgNbd>(&cdata, &data, &encoding, options)
        };
        match section {
            Ok(s) => {
                warnings.extend(
                    s.fit
                        .warnings
                        .iter()
                        .map(|w| format!("covariate model: {w}")),
                );
                Some(s)
            }
            Err(e) => {
                warnings.push(format!("the covariate model could not be fitted: {e}"));
                None
            }
        }
    };

    // Churn classifier: labels come from the holdout, so only with a calibration end.
    let churn = if summary.calibration_end.is_none() {
        None
    } else {
        let used: Vec<String> = if attribute_table.is_none() {
            encoding
                .columns
                .iter()
                .map(|c| c.name().to_string())
                .collect()
        } else {
            Vec::new()
        };
        let trained = holdout_length(summary).and_then(|window| {
            let covariates = covariate_specs(summary, &used)?;
            train_churn_model(
                summary,
                calibration_model.as_ref().unwrap_or(&transaction_model),
                ChurnSettings {
                    covariates,
                    ..ChurnSettings::new(window)
                },
            )
        });
        match trained {
            Ok(f) => {
                warnings.extend(
                    f.training
                        .warnings
                        .iter()
                        .map(|w| format!("churn classifier: {w}")),
                );
                Some(f)
            }
            Err(e) => {
                warnings.push(format!("no churn classifier: {e}"));
                None
            }
        }
    };

    Ok(Bundle {
        format: BUNDLE_FORMAT.to_string(),
        version: BUNDLE_VERSION,
        clv_version: env!("CARGO_PKG_VERSION").to_string(),
        time_unit: unit.to_string(),
        training: TrainingData {
            source: source.to_string(),
            data_fingerprint: fingerprint([x.as_slice(), &t_x, &t]),
            rows_read: accounting.rows_read,
            rows_used: accounting.rows_used,
            rows_rejected: accounting.rows_rejected,
            rejected_by_reason: accounting.rejected_by_reason.clone(),
            customers: cs.len(),
            calibration_end: summary.calibration_end.map(|d| d.to_string()),
            observation_end: summary.observation_end.to_string(),
        },
        selection,
        transaction_model,
        calibration_model,
        spend_model,
        spend_overall,
        spend_by_group,
        covariates,
        churn,
        warnings,
    })
}

fn covariate_section<M: ScaleCovariates>(
    cdata: &CovariateData,
    data: &RfmData,
    encoding: &CovariateEncoding,
    options: &FitOptions,
) -> Result<CovariateSection> {
    let plain = M::fit(data, options)?;
    let (model, fit) = fit_with_covariates::<M>(cdata, &plain.model, options)?;
    Ok(CovariateSection {
        base_model: M::NAME.to_string(),
        encoding: encoding.clone(),
        model,
        fit,
    })
}
