//! Churn inputs from a transaction summary: one [`ChurnCustomer`] per summarized customer (the
//! extra columns as covariates, the holdout columns as the label), the covariate choice and
//! its default kinds, and the model inputs (RFM, repeat spend, holdout rows) of the same
//! customers.

use crate::error::{ClvError, Result};
use crate::features::{CustomerSummary, Summary};
use crate::models::{RepeatSpendData, RfmData};

use super::data::{ChurnCustomer, CovariateKind, CovariateSpec};

/// Position of an extra column in the summary, or an error listing the columns there are.
fn column_index(summary: &Summary, name: &str) -> Result<usize> {
    summary
        .extra_columns
        .iter()
        .position(|c| c == name)
        .ok_or_else(|| {
            let available = if summary.extra_columns.is_empty() {
                "the data has no extra columns".to_string()
            } else {
                format!("extra columns: {}", summary.extra_columns.join(", "))
            };
            ClvError::InvalidParameter(format!(
                "covariate column '{name}' is not in the data ({available})"
            ))
        })
}

fn extra<'a>(c: &'a CustomerSummary, index: usize, name: &str) -> Result<&'a str> {
    c.extras.get(index).map(String::as_str).ok_or_else(|| {
        ClvError::InvalidParameter(format!(
            "customer '{}': no value for covariate column '{name}'",
            c.customer_id
        ))
    })
}

/// The default kind of an extra column: numeric when every customer's value parses as a
/// finite number, categorical otherwise.
pub fn infer_covariate_kind(summary: &Summary, name: &str) -> Result<CovariateKind> {
    let index = column_index(summary, name)?;
    for c in &summary.customers {
        let v = extra(c, index, name)?;
        if !v.trim().parse::<f64>().is_ok_and(f64::is_finite) {
            return Ok(CovariateKind::Categorical);
        }
    }
    Ok(CovariateKind::Numeric)
}

/// Covariate specs from the user's choice. Each entry is `NAME` (kind inferred with
/// [`infer_covariate_kind`]) or `NAME:numeric` / `NAME:categorical`. A column forced to
/// numeric must parse as a number for every customer.
pub fn covariate_specs(summary: &Summary, chosen: &[String]) -> Result<Vec<CovariateSpec>> {
    let mut specs: Vec<CovariateSpec> = Vec::with_capacity(chosen.len());
    for entry in chosen {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let (name, forced) = match entry.rsplit_once(':') {
            Some((name, "numeric")) => (name, Some(CovariateKind::Numeric)),
            Some((name, "categorical")) => (name, Some(CovariateKind::Categorical)),
            Some((_, other)) => {
                return Err(ClvError::InvalidParameter(format!(
                    "covariate '{entry}': unknown kind '{other}' (use NAME, NAME:numeric or \
                     NAME:categorical)"
                )));
            }
            None => (entry, None),
        };
        if specs.iter().any(|s| s.name == name) {
            return Err(ClvError::InvalidParameter(format!(
                "covariate '{name}' is listed twice"
            )));
        }
        let inferred = infer_covariate_kind(summary, name)?;
        let kind = match forced {
            Some(CovariateKind::Numeric) if inferred == CovariateKind::Categorical => {
                return Err(ClvError::InvalidParameter(format!(
                    "covariate '{name}' was asked to be numeric but has values that are not \
                     numbers"
                )));
            }
            Some(k) => k,
            None => inferred,
        };
        specs.push(CovariateSpec {
            name: name.to_string(),
            kind,
        });
    }
    Ok(specs)
}

/// One [`ChurnCustomer`] per summarized customer, in the summary's order. The summary must be
/// built with `keep_purchase_times`; its holdout (when present) gives the labels. Covariate
/// values are taken from the extra columns named in `covariates`.
pub fn churn_customers(
    summary: &Summary,
    covariates: &[CovariateSpec],
) -> Result<Vec<ChurnCustomer>> {
    let indices: Vec<usize> = covariates
        .iter()
        .map(|spec| column_index(summary, &spec.name))
        .collect::<Result<_>>()?;
    summary
        .customers
        .iter()
        .map(|c| {
            let expected_times = c.frequency.round() as usize + 1;
            if c.purchase_times.len() != expected_times {
                return Err(ClvError::InvalidParameter(format!(
                    "customer '{}': {} purchase times for {} repeat purchases; summarize with \
                     purchase times kept",
                    c.customer_id,
                    c.purchase_times.len(),
                    c.frequency
                )));
            }
            let values = covariates
                .iter()
                .zip(&indices)
                .map(|(spec, &i)| extra(c, i, &spec.name).map(str::to_string))
                .collect::<Result<Vec<String>>>()?;
            Ok(ChurnCustomer {
                customer_id: c.customer_id.clone(),
                frequency: c.frequency,
                recency: c.recency,
                t: c.t,
                monetary_value: c.monetary_value,
                total_spend: c.total_spend,
                purchase_times: c.purchase_times.clone(),
                holdout_frequency: c.holdout.as_ref().map(|h| h.frequency),
                holdout_duration: c.holdout.as_ref().map(|h| h.duration),
                covariates: values,
                cancelled_within_window: None,
            })
        })
        .collect()
}

/// The holdout length shared by every customer (the observation end minus the calibration
/// end), or an error when the summary has no holdout.
pub fn holdout_length(summary: &Summary) -> Result<f64> {
    let longest = summary
        .customers
        .iter()
        .filter_map(|c| c.holdout.as_ref().map(|h| h.duration))
        .fold(None, |acc: Option<f64>, d| {
            Some(acc.map_or(d, |a| a.max(d)))
        });
    match longest {
        Some(d) if d > 0.0 => Ok(d),
        _ => Err(ClvError::InvalidParameter(
            "no holdout period after the calibration end: the churn labels need purchases \
             observed after it (set the calibration end before the last date, or a later \
             observation end)"
                .into(),
        )),
    }
}

/// Checks that a churn window fits in the holdout, before any model is fitted.
pub fn check_window(window: f64, holdout: f64, unit: &str) -> Result<()> {
    if !(window.is_finite() && window > 0.0) {
        return Err(ClvError::InvalidParameter(format!(
            "the churn window must be a positive number of {unit}s, got {window}"
        )));
    }
    if window > holdout * (1.0 + 1e-9) {
        return Err(ClvError::InvalidParameter(format!(
            "the churn window of {window} {unit}s is longer than the data after the calibration \
             end ({holdout} {unit}s); shorten --window or move the calibration end earlier"
        )));
    }
    Ok(())
}

/// The transaction-model input (x, t_x, T) of the summary.
pub fn rfm_data(summary: &Summary) -> Result<RfmData> {
    RfmData::from_summary(summary)
}

/// The Gamma-Gamma input: repeat buyers with their mean repeat-purchase value. Returns the data
/// and the number of customers left out.
pub fn repeat_spend_data(summary: &Summary) -> Result<(RepeatSpendData, usize)> {
    let x: Vec<f64> = summary.customers.iter().map(|c| c.frequency).collect();
    let m: Vec<f64> = summary.customers.iter().map(|c| c.monetary_value).collect();
    RepeatSpendData::new(&x, &m, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::test_support::{customer, summary};

    #[test]
    fn kinds_are_inferred_and_can_be_forced() {
        let s = summary(vec![
            customer("1", 0.0, &["paid", "1.5"], Some(0.0)),
            customer("2", 2.0, &["organic", "-2"], Some(3.0)),
        ]);
        assert_eq!(
            infer_covariate_kind(&s, "channel").unwrap(),
            CovariateKind::Categorical
        );
        assert_eq!(
            infer_covariate_kind(&s, "score").unwrap(),
            CovariateKind::Numeric
        );
        let specs = covariate_specs(&s, &["score:categorical".into(), "channel".into()]).unwrap();
        assert_eq!(specs[0].kind, CovariateKind::Categorical);
        assert_eq!(specs[1].kind, CovariateKind::Categorical);
        assert!(covariate_specs(&s, &["channel:numeric".into()]).is_err());
        assert!(covariate_specs(&s, &["score".into(), "score".into()]).is_err());
        let e = covariate_specs(&s, &["age".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("'age'") && e.contains("channel, score"), "{e}");
    }

    #[test]
    fn customers_carry_labels_and_covariates() {
        let s = summary(vec![
            customer("1", 0.0, &["paid", "1.5"], Some(0.0)),
            customer("2", 2.0, &["organic", "-2"], Some(3.0)),
        ]);
        let specs = covariate_specs(&s, &["score".into()]).unwrap();
        let cs = churn_customers(&s, &specs).unwrap();
        assert_eq!(cs[1].covariates, vec!["-2".to_string()]);
        assert_eq!(cs[1].purchase_times, vec![0.0, 2.0, 4.0]);
        assert_eq!(cs[0].holdout_frequency, Some(0.0));
        assert_eq!(cs[1].holdout_duration, Some(8.0));
        assert_eq!(holdout_length(&s).unwrap(), 8.0);
        assert!(check_window(8.0, 8.0, "week").is_ok());
        assert!(check_window(9.0, 8.0, "week").is_err());
        assert!(check_window(f64::NAN, 8.0, "week").is_err());

        let mut no_times = s.clone();
        no_times.customers[1].purchase_times.clear();
        assert!(churn_customers(&no_times, &[]).is_err());
        let mut no_holdout = s;
        for c in &mut no_holdout.customers {
            c.holdout = None;
        }
        assert!(holdout_length(&no_holdout).is_err());
    }
}
