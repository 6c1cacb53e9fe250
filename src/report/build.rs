//! Builds [`ReportData`] from a model bundle and transaction summaries: the same scores and
//! at-risk list as `clv score` / `clv at-risk` for the headline, CLV, segments and channels;
//! the new-customer values as `clv score-new`; the assumptions and the model comparison from
//! the bundle; the tracking plot and the frequency–recency grids from the transaction model;
//! the calibration-vs-holdout table and the churn evaluation from the holdout; the cohort
//! table and the models' fit reports.
//!
//! Each section is left out (`None`, with the reason in [`ReportData::absent`]) when its data
//! is missing, e.g. no calibration end (no holdout sections) or summaries without purchase
//! times (no tracking, no cohorts).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rayon::prelude::*;

use super::build_decision::{
    absent_reasons, assumptions, at_risk_list, model_comparison, subtitle,
};
use super::build_groups::{channels, segments};
use super::metrics::quantile;
use super::{
    ChurnEvaluation, ClvDistribution, CohortRetention, FrequencyRecency, Headline, ReportData,
    Tracking, model_name,
};
use crate::churn::AtRiskRule;
use crate::error::{ClvError, Result};
use crate::features::Summary;
use crate::features::cohort::cohort_retention;
use crate::models::TransactionModel;
use crate::predict::Bundle;
use crate::predict::clv::ClvSettings;
use crate::predict::holdout::{FrequencyBin, evaluate_holdout};
use crate::predict::holdout::{OrderValue, holdout_customers};
use crate::predict::intervals::{IntervalSettings, score_intervals};
use crate::predict::new_customers::new_customer_values;
use crate::predict::score::{BundleScores, score_bundle};

/// Most periods on the tracking plot; longer histories get periods of several units.
const MAX_TRACKING_PERIODS: f64 = 200.0;
/// Highest frequency row of the frequency–recency grid.
const MAX_GRID_FREQUENCY: f64 = 20.0;
/// About this many recency columns at most.
const MAX_GRID_COLUMNS: f64 = 40.0;
/// Last calibration-vs-holdout bin ("7+").
const MAX_FREQUENCY_BIN: usize = 7;
/// The target LTV:CAC ratio unless told otherwise (3:1, the usual target).
pub const DEFAULT_TARGET_LTV_CAC: f64 = 3.0;

/// What the report shows and how values are computed.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildSettings {
    /// Horizon, discounting and margin of the CLV (as for `clv score`).
    pub clv: ClvSettings,
    /// Churn window when the bundle has no churn classifier (the classifier has its own);
    /// `None`: the CLV horizon.
    pub churn_window: Option<f64>,
    /// Who is at risk (as for `clv score` and `clv at-risk`).
    pub at_risk: AtRiskRule,
    /// ISO 4217 currency code of the money figures ("USD"), see [`currency_code`].
    pub currency: String,
    /// Target ratio of a new customer's CLV to its acquisition cost (as for `clv score-new`).
    pub target_ltv_cac: f64,
    /// Parameter-uncertainty intervals of the total CLV and the new-customer values; `None`:
    /// none.
    pub intervals: Option<IntervalSettings>,
    pub title: String,
    /// One line under the title; `None`: customers, dates and models.
    pub subtitle: Option<String>,
}

impl BuildSettings {
    /// `clv report`'s defaults around the given CLV settings.
    pub fn new(clv: ClvSettings) -> Self {
        BuildSettings {
            clv,
            churn_window: None,
            at_risk: AtRiskRule::default(),
            currency: "USD".into(),
            target_ltv_cac: DEFAULT_TARGET_LTV_CAC,
            intervals: Some(IntervalSettings::default()),
            title: "Customer value report".into(),
            subtitle: None,
        }
    }
}

/// A currency code as the report shows it: three ASCII letters (ISO 4217), upper-cased.
pub fn currency_code(code: &str) -> Result<String> {
    let code = code.trim();
    if code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(code.to_ascii_uppercase())
    } else {
        Err(ClvError::InvalidParameter(format!(
            "the currency must be a three-letter ISO 4217 code such as USD or EUR, got '{code}'"
        )))
    }
}

/// Builds the report. `history` is the whole history in the bundle's unit, with purchase
/// times kept (scores, segments, channels, cohorts, tracking); `calibration` the same data
/// split at the bundle's calibration end, with purchase times kept (calibration vs holdout,
/// churn evaluation, the frequency–recency grid's customers).
pub fn build_report(
    bundle: &Bundle,
    history: &Summary,
    calibration: Option<&Summary>,
    settings: &BuildSettings,
) -> Result<ReportData> {
    let currency = currency_code(&settings.currency)?;
    if history.unit.name() != bundle.time_unit {
        return Err(ClvError::InvalidParameter(format!(
            "the bundle was trained in {}s but the history is summarized in {}s",
            bundle.time_unit,
            history.unit.name()
        )));
    }
    if history.customers.is_empty() {
        return Err(ClvError::InvalidParameter(
            "the report needs at least one customer".into(),
        ));
    }
    if let Some(i) = &settings.intervals {
        i.validate()?;
    }
    if !(settings.target_ltv_cac.is_finite() && settings.target_ltv_cac > 0.0) {
        return Err(ClvError::InvalidParameter(format!(
            "the target LTV:CAC ratio must be > 0, got {}",
            settings.target_ltv_cac
        )));
    }
    let calibration = calibration.filter(|c| c.calibration_end.is_some());
    // The holdout comparison judges the fit that did not see the holdout.
    let model = bundle.calibration_transaction()?;
    let horizon = settings.clv.horizon();

    // Scores and the at-risk list exactly as `clv score` and `clv at-risk` compute them.
    let scored = score_bundle(
        bundle,
        history,
        settings.clv,
        settings.churn_window,
        settings.at_risk,
    )?;
    let total_clv_interval = match &settings.intervals {
        // Without a covariance there is no interval; the assumptions box says "none".
        Some(i) => score_intervals(bundle, history, &settings.clv, i)
            .ok()
            .map(|s| s.total_clv),
        None => None,
    };
    let new_customers = new_customer_values(
        bundle,
        &settings.clv,
        settings.target_ltv_cac,
        &settings.intervals.unwrap_or_default(),
    )
    .map(|mut n| {
        if settings.intervals.is_none() {
            n.values.iter_mut().for_each(|v| {
                v.clv_interval = None;
                v.conservative_max_cac = None;
            });
            n.interval_note = Some("intervals were not asked for".into());
        }
        n
    });
    let BundleScores {
        rows: scores,
        totals,
        at_risk,
        settings: score_settings,
        ..
    } = scored;

    let calibration_end = calibration
        .and_then(|c| c.calibration_end)
        .or_else(|| calibration_end_of(bundle));
    let calibration_holdout = match calibration {
        Some(cal) => holdout_bins(model.as_ref(), bundle, cal)?,
        None => None,
    };
    let fits = std::iter::once(bundle.transaction_model.fit.clone())
        .chain(std::iter::once(bundle.spend_model.fit.clone()))
        .chain(bundle.covariates.as_ref().map(|c| c.fit.clone()))
        .collect();
    let mut data = ReportData {
        title: settings.title.clone(),
        subtitle: settings
            .subtitle
            .clone()
            .unwrap_or_else(|| subtitle(bundle, history, calibration_end)),
        time_unit: format!("{}s", bundle.time_unit),
        currency,
        horizon,
        headline: Some(Headline {
            customers: totals.customers as u64,
            mean_p_alive: totals.mean_p_alive,
            predicted_revenue: totals.total_predicted_revenue,
            total_clv: totals.total_clv,
            at_risk_customers: totals.at_risk_customers as u64,
            at_risk_value: totals.at_risk_value,
            at_risk_rule: totals.at_risk_rule.clone(),
            total_clv_interval,
        }),
        assumptions: Some(assumptions(
            bundle,
            history,
            calibration_end,
            &score_settings,
            &totals.churn_source,
            settings
                .intervals
                .as_ref()
                .filter(|_| total_clv_interval.is_some()),
        )),
        at_risk: Some(at_risk_list(&totals, at_risk)),
        new_customers: new_customers.as_ref().ok().cloned(),
        model_comparison: model_comparison(bundle),
        tracking: tracking(model.as_ref(), history, calibration_end),
        calibration_holdout,
        frequency_recency: frequency_recency(
            model.as_ref(),
            calibration.unwrap_or(history),
            horizon,
        ),
        clv: Some(ClvDistribution {
            values: scores.iter().map(|s| s.clv).collect(),
            customer_ids: scores.iter().map(|s| s.customer_id.clone()).collect(),
        }),
        segments: Some(segments(&scores)),
        channels: channels(history, &scores),
        churn: match calibration {
            Some(cal) => churn(model.as_ref(), bundle, cal)?,
            None => None,
        },
        cohorts: cohort_retention(history).ok().map(|t| CohortRetention {
            cohorts: t.cohorts.iter().map(|c| c.cohort.clone()).collect(),
            sizes: t.cohorts.iter().map(|c| c.size).collect(),
            share_active: t.cohorts.into_iter().map(|c| c.retention).collect(),
        }),
        fits,
        absent: BTreeMap::new(),
    };
    data.absent = absent_reasons(
        &data,
        calibration.is_some(),
        new_customers.err().map(|e| e.to_string()),
    );
    Ok(data)
}

/// The bundle's calibration end, when it has a readable one.
fn calibration_end_of(bundle: &Bundle) -> Option<NaiveDate> {
    let text = bundle.training.calibration_end.as_deref()?;
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Actual and expected repeat purchases per period over the whole history.
///
/// Time runs from the earliest first purchase (0) to the observation end, in the summary's
/// unit; a purchase on day `d` happens at `d / days per unit` and belongs to the period whose
/// end is the first at or after it. The expected count is the sum over customers of the
/// model's unconditional expectation for a customer acquired at their first purchase,
/// `E[X(τ − birth)]`, differenced per period. `None` without purchase times.
pub fn tracking(
    model: &dyn TransactionModel,
    history: &Summary,
    calibration_end: Option<NaiveDate>,
) -> Option<Tracking> {
    let dpu = history.unit.days_per_unit();
    let start = history.customers.iter().map(|c| c.first_purchase).min()?;
    let span_days = (history.observation_end - start).num_days();
    if span_days <= 0 {
        return None;
    }
    let span = span_days as f64 / dpu;
    let period = (span / MAX_TRACKING_PERIODS).ceil().max(1.0);
    let periods = ((span / period).ceil() as usize).max(1);
    let period_end: Vec<f64> = (1..=periods)
        .map(|k| (k as f64 * period).min(span))
        .collect();
    let mut actual = vec![0.0; periods];
    // Customers by first-purchase day: the expectation only depends on it.
    let mut births: BTreeMap<i64, f64> = BTreeMap::new();
    for c in &history.customers {
        if c.purchase_times.len() != c.frequency.round() as usize + 1 {
            return None;
        }
        let birth = (c.first_purchase - start).num_days();
        *births.entry(birth).or_default() += 1.0;
        for &t in c.purchase_times.iter().skip(1) {
            let day = birth as f64 + (t * dpu).round();
            let k = ((day / dpu / period).ceil() as usize).clamp(1, periods);
            actual[k - 1] += 1.0;
        }
    }
    let births: Vec<(f64, f64)> = births
        .into_iter()
        .map(|(day, n)| (day as f64 / dpu, n))
        .collect();
    let expected = births
        .par_iter()
        .map(|&(birth, n)| {
            let mut previous = 0.0;
            period_end
                .iter()
                .map(|&end| {
                    let cumulative = if end > birth {
                        model.expected_purchases_new(end - birth)
                    } else {
                        0.0
                    };
                    let increment = n * (cumulative - previous);
                    previous = cumulative;
                    increment
                })
                .collect::<Vec<f64>>()
        })
        .reduce(
            || vec![0.0; periods],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let calibration_end = calibration_end
        .map(|d| ((d - start).num_days() as f64 / dpu).clamp(0.0, span))
        .unwrap_or(span);
    Some(Tracking {
        period_end,
        actual,
        expected,
        calibration_end,
        start_date: Some(start.format("%Y-%m-%d").to_string()),
        days_per_unit: Some(dpu),
    })
}

/// Calibration-vs-holdout bins of the calibration customers, `None` without a holdout.
fn holdout_bins(
    model: &dyn TransactionModel,
    bundle: &Bundle,
    calibration: &Summary,
) -> Result<Option<Vec<FrequencyBin>>> {
    let spend = bundle.spend()?;
    let rows: Vec<_> = holdout_customers(calibration, OrderValue::GammaGamma(&spend))?
        .into_iter()
        .filter(|r| r.holdout_duration > 0.0)
        .collect();
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        evaluate_holdout(model, &rows, MAX_FREQUENCY_BIN)?.by_frequency,
    ))
}

/// A step of 1, 2 or 5 times a power of ten giving at most about `MAX_GRID_COLUMNS` columns.
fn nice_step(span: f64) -> f64 {
    let raw = (span / MAX_GRID_COLUMNS).max(1.0);
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power)
}

/// Expected purchases over the horizon and P(alive) on a frequency × recency grid, at the
/// median age of `customers` (the longest age when the median is 0). Frequencies run to the
/// 99th percentile of the data (at most 20). Without repeat purchases recency is undefined,
/// so the x = 0 row shows the t_x = 0 value in every column.
pub fn frequency_recency(
    model: &dyn TransactionModel,
    customers: &Summary,
    horizon: f64,
) -> Option<FrequencyRecency> {
    let x: Vec<f64> = customers.customers.iter().map(|c| c.frequency).collect();
    let ages: Vec<f64> = customers.customers.iter().map(|c| c.t).collect();
    let median = quantile(&ages, 0.5);
    let age = if median > 0.0 {
        median
    } else {
        ages.iter()
            .copied()
            .filter(|a| a.is_finite())
            .fold(0.0, f64::max)
    };
    if !(age > 0.0 && horizon > 0.0) {
        return None;
    }
    let top = quantile(&x, 0.99);
    let top = if top.is_finite() { top.ceil() } else { 1.0 };
    let frequency: Vec<f64> = (0..=top.clamp(1.0, MAX_GRID_FREQUENCY) as usize)
        .map(|f| f as f64)
        .collect();
    let step = nice_step(age);
    let recency: Vec<f64> = (0..)
        .map(|k| k as f64 * step)
        .take_while(|r| *r <= age + 1e-9)
        .collect();
    let grid = |f: &(dyn Fn(f64, f64) -> f64 + Sync)| -> Vec<Vec<f64>> {
        frequency
            .par_iter()
            .map(|&x| {
                recency
                    .iter()
                    .map(|&t_x| f(x, if x == 0.0 { 0.0 } else { t_x }))
                    .collect()
            })
            .collect()
    };
    Some(FrequencyRecency {
        expected_purchases: grid(&|x, t_x| model.expected_purchases(horizon, x, t_x, age)),
        p_alive: grid(&|x, t_x| model.p_alive(x, t_x, age)),
        frequency,
        recency,
        age,
    })
}

/// A length for prose: whole numbers as such, others to one decimal.
fn short_number(v: f64) -> String {
    if (v - v.round()).abs() < 1e-6 {
        format!("{}", v.round())
    } else {
        format!("{v:.1}")
    }
}

/// Churn predictions for the calibration customers against what they did in the holdout:
/// the bundle's classifier when it has one, else the transaction model's P(no purchase in the
/// holdout). `None` without holdout customers.
fn churn(
    model: &dyn TransactionModel,
    bundle: &Bundle,
    calibration: &Summary,
) -> Result<Option<ChurnEvaluation>> {
    let unit = &bundle.time_unit;
    let holdout: Vec<Option<(f64, f64)>> = calibration
        .customers
        .iter()
        .map(|c| {
            c.holdout
                .as_ref()
                .filter(|h| h.duration > 0.0)
                .map(|h| (h.frequency, h.duration))
        })
        .collect();
    let Some(length) = holdout.iter().flatten().map(|h| h.1).reduce(f64::max) else {
        return Ok(None);
    };
    let length_text = short_number(length);
    let (predicted, definition) = match bundle.churn_probabilities(calibration)? {
        Some((p, window)) => {
            let same = (window - length).abs() <= 1e-6 * length.max(1.0);
            let window_text = if same {
                String::new()
            } else {
                format!(
                    "; the classifier predicts a {}-{unit} window",
                    short_number(window)
                )
            };
            (
                p,
                format!(
                    "no purchase in the {length_text}-{unit} holdout{window_text} (the classifier \
                     was trained on these customers, so this is an in-sample check)"
                ),
            )
        }
        None => (
            calibration
                .customers
                .iter()
                .zip(&holdout)
                .map(|(c, h)| {
                    let window = h.map_or(length, |h| h.1);
                    model.prob_n_purchases(0, window, c.frequency, c.recency, c.t)
                })
                .collect(),
            format!(
                "no purchase in the {length_text}-{unit} holdout; probability from the {}: \
                 P(no purchase in the holdout)",
                model_name(&bundle.transaction_model.model)
            ),
        ),
    };
    let (predicted, churned): (Vec<f64>, Vec<bool>) = predicted
        .into_iter()
        .zip(&holdout)
        .filter_map(|(p, h)| h.map(|h| (p, h.0 == 0.0)))
        .unzip();
    Ok(Some(ChurnEvaluation {
        predicted,
        churned,
        definition,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{CustomerSummary, TimeUnit};

    /// A Poisson process that never dies: E[X(t)] = 0.5 t, easy to sum by hand.
    struct Linear;
    impl TransactionModel for Linear {
        fn p_alive(&self, _: f64, _: f64, _: f64) -> f64 {
            1.0
        }
        fn expected_purchases(&self, h: f64, _: f64, _: f64, _: f64) -> f64 {
            0.5 * h
        }
        fn expected_purchases_new(&self, h: f64) -> f64 {
            0.5 * h
        }
        fn prob_n_purchases(&self, _: u32, _: f64, _: f64, _: f64, _: f64) -> f64 {
            0.0
        }
    }

    fn day(offset: u64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default() + chrono::Days::new(offset)
    }

    /// A customer whose distinct purchase days are `days` (offsets from 2024-01-01).
    fn customer(id: &str, days: &[u64]) -> CustomerSummary {
        let first = days[0];
        let last = days[days.len() - 1];
        CustomerSummary {
            customer_id: id.into(),
            frequency: (days.len() - 1) as f64,
            recency: (last - first) as f64 / 7.0,
            t: (21 - first) as f64 / 7.0,
            monetary_value: 1.0,
            first_purchase: day(first),
            last_purchase: day(last),
            orders: days.len() as u64,
            total_spend: days.len() as f64,
            first_order_value: 1.0,
            holdout: None,
            extras: vec![],
            purchase_times: days.iter().map(|d| (d - first) as f64 / 7.0).collect(),
        }
    }

    #[test]
    fn tracking_counts_and_expectations_by_hand() {
        let summary = Summary {
            unit: TimeUnit::Week,
            observation_end: day(21),
            calibration_end: None,
            extra_columns: vec![],
            customers: vec![customer("a", &[0, 7, 10]), customer("b", &[3, 21])],
            customers_after_calibration: 0,
        };
        let t = tracking(&Linear, &summary, Some(day(14))).unwrap();
        assert_eq!(t.period_end, vec![1.0, 2.0, 3.0]);
        // Day 7 ends week 1, day 10 is in week 2, day 21 ends week 3.
        assert_eq!(t.actual, vec![1.0, 1.0, 1.0]);
        // a (born at 0): 0.5 a week; b (born at 3/7): 0.5 (1 - 3/7), then 0.5, 0.5.
        let want = [0.5 + 0.5 * 4.0 / 7.0, 1.0, 1.0];
        for (e, w) in t.expected.iter().zip(want) {
            assert!((e - w).abs() < 1e-12, "{:?}", t.expected);
        }
        assert!((t.calibration_end - 2.0).abs() < 1e-12);
        // Without a calibration end the whole history is the calibration.
        let whole = tracking(&Linear, &summary, None).unwrap();
        assert!((whole.calibration_end - 3.0).abs() < 1e-12);

        let mut no_times = summary;
        no_times.customers[0].purchase_times.clear();
        assert!(tracking(&Linear, &no_times, None).is_none());
    }

    #[test]
    fn grid_steps_are_round_and_few() {
        assert_eq!(nice_step(10.0), 1.0);
        assert_eq!(nice_step(46.1), 2.0);
        assert_eq!(nice_step(365.0), 10.0);
        assert_eq!(nice_step(1500.0), 50.0);
        assert_eq!(short_number(26.0), "26");
        assert_eq!(short_number(25.714286), "25.7");
    }
}
