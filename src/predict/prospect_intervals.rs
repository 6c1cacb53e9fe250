//! Parameter-uncertainty intervals of new customers' CLV and the conservative maximum
//! acquisition cost from their lower end: the one implementation behind `clv score-new
//! --intervals` (and Python's `Bundle.score_new(intervals=True)`) and the report's
//! new-customer values ([`super::new_customers`]), so that a prospect gets the same bounds in
//! both.
//!
//! Each parameter draw (see [`super::intervals`]) replaces the whole bundle's estimates: the
//! transaction model's (without covariates) or the covariate model's (base parameters on the
//! log scale, coefficients on their own scale), and scales every expected order value by the
//! drawn Gamma-Gamma mean over the estimated one. The prospects are then scored with the drawn
//! bundle exactly as [`score_prospects`] scores them. The first order value is an observed
//! mean (or the prospect's own) and is not drawn.

use std::collections::HashMap;

use rayon::prelude::*;

use super::bundle::Bundle;
use super::clv::ClvSettings;
use super::intervals::{
    Interval, IntervalSettings, draw_factor, drawn_params, no_interval_reason, parameter_draws,
};
use super::prospects::{ProspectScore, Prospects, score_prospects};
use crate::error::{ClvError, Result};
use crate::models::FitReport;
use crate::models::covariates::CovariateModel;

/// Why the bundle's new-customer CLV has no parameter interval (a fit it draws from has no
/// usable covariance); `None` when it has one.
pub fn prospect_interval_unavailable(bundle: &Bundle) -> Option<String> {
    let purchases = match &bundle.covariates {
        None => no_interval_reason(&bundle.transaction_model),
        Some(c) => covariate_factor(&c.model, &c.fit).err(),
    };
    purchases.or_else(|| no_interval_reason(&bundle.spend_model))
}

/// The covariate fit's draw factor, or why there is none.
fn covariate_factor(
    model: &CovariateModel,
    fit: &FitReport,
) -> std::result::Result<Vec<Vec<f64>>, String> {
    let (nb, k) = (model.base.len(), model.names.len());
    if fit.estimates.len() != nb + 2 * k {
        return Err(format!(
            "the {} fit's parameters do not match its model",
            fit.model
        ));
    }
    draw_factor(fit, nb)
}

/// Covariate models with parameters drawn from the fit's sampling distribution (base
/// parameters on the log scale, coefficients as they are).
fn covariate_draws(
    model: &CovariateModel,
    fit: &FitReport,
    settings: &IntervalSettings,
) -> Result<Vec<CovariateModel>> {
    let (nb, k) = (model.base.len(), model.names.len());
    let l = covariate_factor(model, fit)
        .map_err(|why| ClvError::numerical("the parameter-uncertainty interval", why))?;
    // Its own stream (seed + 2): independent of the transaction and spend draws.
    let seed = settings.seed.wrapping_add(2);
    Ok((0..settings.draws)
        .map(|d| {
            let theta = drawn_params(fit, nb, &l, seed, d);
            CovariateModel {
                base: theta[..nb].to_vec(),
                names: model.names.clone(),
                purchase: theta[nb..nb + k].to_vec(),
                dropout: theta[nb + k..].to_vec(),
            }
        })
        .collect())
}

/// One drawn bundle per parameter draw: the purchase model's parameters (the transaction
/// model's without covariates, seed; the covariate model's with them, seed + 2) and the
/// expected order values scaled by the drawn Gamma-Gamma mean (seed + 1).
fn drawn_bundles(bundle: &Bundle, settings: &IntervalSettings) -> Result<Vec<Bundle>> {
    let saved = &bundle.transaction_model;
    // With covariates the prospects' purchases come from the covariate model alone.
    let transaction = match &bundle.covariates {
        None => Some(parameter_draws(saved, settings.draws, settings.seed)?),
        Some(_) => None,
    };
    let spend_point = bundle.spend()?.expected_average_spend_new()?;
    let spend: Vec<f64> = parameter_draws(
        &bundle.spend_model,
        settings.draws,
        settings.seed.wrapping_add(1),
    )?
    .into_iter()
    .map(|m| Ok(m.spend_model()?.expected_average_spend_new()? / spend_point))
    .collect::<Result<_>>()?;
    let covariates = match &bundle.covariates {
        Some(c) => Some(covariate_draws(&c.model, &c.fit, settings)?),
        None => None,
    };
    let names = &saved.fit.param_names;
    Ok((0..settings.draws)
        .map(|d| {
            let mut drawn = bundle.clone();
            if let Some(models) = &transaction {
                drawn.transaction_model.params =
                    names.iter().cloned().zip(models[d].params()).collect();
            }
            let ratio = spend[d];
            drawn.spend_overall.mean_order_value *= ratio;
            drawn
                .spend_by_group
                .values_mut()
                .for_each(|g| g.mean_order_value *= ratio);
            if let (Some(section), Some(models)) = (drawn.covariates.as_mut(), &covariates) {
                section.model = models[d].clone();
            }
            drawn
        })
        .collect())
}

/// The distinct prospect rows (a `count` column does not change the value) and, per row, the
/// index of its distinct row: a file of many identical prospects is scored once per draw.
fn distinct_rows(prospects: &Prospects) -> (Prospects, Vec<usize>) {
    let count = prospects.columns.iter().position(|c| c == "count");
    let mut seen: HashMap<Vec<&str>, usize> = HashMap::new();
    let (mut rows, mut lines, mut index) = (Vec::new(), Vec::new(), Vec::new());
    for (i, row) in prospects.rows.iter().enumerate() {
        let key: Vec<&str> = row
            .iter()
            .enumerate()
            .filter(|(j, _)| Some(*j) != count)
            .map(|(_, v)| v.as_str())
            .collect();
        let next = rows.len();
        let at = *seen.entry(key).or_insert(next);
        if at == next {
            rows.push(row.clone());
            if let Some((_, l)) = &prospects.source {
                lines.push(l[i]);
            }
        }
        index.push(at);
    }
    let source = prospects
        .source
        .as_ref()
        .map(|(file, _)| (file.clone(), lines));
    let distinct = Prospects {
        columns: prospects.columns.clone(),
        rows,
        source,
    };
    (distinct, index)
}

/// Per parameter draw, the CLV of every prospect row scored with the drawn bundle. Errors
/// when a fit has no covariance ([`prospect_interval_unavailable`] says so first) or a draw
/// gives a CLV that is not a number >= 0.
pub fn prospect_clv_draws(
    bundle: &Bundle,
    prospects: &Prospects,
    clv: &ClvSettings,
    settings: &IntervalSettings,
) -> Result<Vec<Vec<f64>>> {
    settings.validate()?;
    let (distinct, index) = distinct_rows(prospects);
    drawn_bundles(bundle, settings)?
        .par_iter()
        .map(|b| {
            let scores = score_prospects(b, &distinct, clv, 1.0)?;
            Ok(index.iter().map(|&u| scores[u].clv).collect())
        })
        .collect()
}

/// The interval of row `i` over the draws.
pub(super) fn row_interval(draws: &[Vec<f64>], i: usize, level: f64) -> Interval {
    let mut values: Vec<f64> = draws.iter().map(|d| d[i]).collect();
    Interval::of(&mut values, level)
}

/// Adds to every prospect's score its CLV interval and the maximum CAC from the interval's
/// lower end. Returns why there are none when a fit has no usable covariance (the scores are
/// then left without intervals).
pub fn attach_prospect_intervals(
    bundle: &Bundle,
    prospects: &Prospects,
    scores: &mut [ProspectScore],
    clv: &ClvSettings,
    target_ltv_cac: f64,
    settings: &IntervalSettings,
) -> Result<Option<String>> {
    settings.validate()?;
    if let Some(why) = prospect_interval_unavailable(bundle) {
        return Ok(Some(why));
    }
    let draws = prospect_clv_draws(bundle, prospects, clv, settings)?;
    for (i, s) in scores.iter_mut().enumerate() {
        let interval = row_interval(&draws, i, settings.level);
        s.clv_interval = Some(interval);
        s.max_cac_conservative = Some(interval.lower / target_ltv_cac);
    }
    Ok(None)
}
