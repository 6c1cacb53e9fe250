//! The churn feature matrix: the customer's history on an interpretable, non-collinear scale
//! and encoded user covariates.
//!
//! Columns of the interpretable feature set ([`INTERPRETABLE_FEATURES`], the one `train`
//! uses), in order:
//!
//! | # | name | meaning |
//! |---|------|---------|
//! | 0 | `log1p_frequency` | ln(1 + x), x the repeat purchases |
//! | 1 | `log1p_tenure` | ln(1 + T), T the periods since the first purchase |
//! | 2 | `log1p_time_since_last` | ln(1 + T − t_x), the silence since the last purchase |
//! | 3 | `log1p_gap_ratio` | ln(1 + (T − t_x) / mean gap), the silence against the customer's usual gap (mean gap t_x / x; T without a repeat purchase) |
//! | 4 | `recent_purchases` | distinct purchase times in the last k periods, (T − k, T] |
//! | 5 | `log1p_monetary_value` | ln(1 + mean repeat-purchase amount) |
//!
//! Each quantity enters once, on one scale (no raw and log frequency together), and the
//! transaction model's predictions (P(alive), expected purchases) are not features: they are
//! functions of the same (x, t_x, T), so beside them they would only blur the coefficients.
//!
//! The older full set ([`FULL_FEATURES`]), which classifiers saved before it still use:
//!
//! | # | name | meaning |
//! |---|------|---------|
//! | 0 | `frequency` | repeat purchases x |
//! | 1 | `recency` | time of last repeat purchase t_x |
//! | 2 | `tenure` | age T, periods since the first purchase |
//! | 3 | `time_since_last` | T − t_x |
//! | 4 | `monetary_value` | mean repeat-purchase amount |
//! | 5 | `log1p_frequency` | ln(1 + x) |
//! | 6 | `log1p_recency` | ln(1 + t_x) |
//! | 7 | `log1p_tenure` | ln(1 + T) |
//! | 8 | `log1p_time_since_last` | ln(1 + T − t_x) |
//! | 9 | `log1p_monetary_value` | ln(1 + monetary value) |
//! | 10 | `log1p_total_spend` | ln(1 + all calibration spend) |
//! | 11 | `mean_gap` | t_x / x for x ≥ 1; T for x = 0 (no repeat in T periods: the gap is at least T) |
//! | 12 | `log1p_gap_ratio` | ln(1 + (T − t_x) / mean gap); 0 when the mean gap is 0 |
//! | 13 | `recent_purchases` | distinct purchase times in the last k periods, (T − k, T] |
//! | 14 | `p_alive` | model P(alive) at the calibration end |
//! | 15 | `expected_purchases` | model expected purchases in the window |
//! | 16 | `log1p_expected_purchases` | ln(1 + expected purchases) |
//! | 17 | `p_no_purchase` | model P(zero purchases in the window) |
//!
//! then one column per numeric covariate (`NAME`) and one indicator per category of each
//! categorical covariate (`NAME=VALUE`). The baseline set ([`BASELINE_FEATURES`]) is
//! `frequency, recency, tenure, monetary_value`.

use std::collections::BTreeSet;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::data::{ChurnCustomer, CovariateKind, CovariateSpec};
use super::exact;
use crate::error::{ClvError, Result};
use crate::models::TransactionModel;

/// Names of the always-present columns of the full feature set.
pub const FULL_FEATURES: &[&str] = &[
    "frequency",
    "recency",
    "tenure",
    "time_since_last",
    "monetary_value",
    "log1p_frequency",
    "log1p_recency",
    "log1p_tenure",
    "log1p_time_since_last",
    "log1p_monetary_value",
    "log1p_total_spend",
    "mean_gap",
    "log1p_gap_ratio",
    "recent_purchases",
    "p_alive",
    "expected_purchases",
    "log1p_expected_purchases",
    "p_no_purchase",
];

/// Names of the always-present columns of the interpretable feature set.
pub const INTERPRETABLE_FEATURES: &[&str] = &[
    "log1p_frequency",
    "log1p_tenure",
    "log1p_time_since_last",
    "log1p_gap_ratio",
    "recent_purchases",
    "log1p_monetary_value",
];

/// Columns of the baseline logistic regression.
pub const BASELINE_FEATURES: &[&str] = &["frequency", "recency", "tenure", "monetary_value"];

/// Which columns a classifier uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeatureSet {
    /// [`INTERPRETABLE_FEATURES`] plus covariates: what training uses.
    Interpretable,
    /// [`FULL_FEATURES`] plus covariates (classifiers saved before the interpretable set).
    Full,
    /// [`BASELINE_FEATURES`] only.
    Baseline,
}

/// A covariate as encoded at training time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovariateEncoding {
    pub name: String,
    /// Position in [`ChurnCustomer::covariates`].
    pub position: usize,
    pub kind: CovariateKind,
    /// Categories seen in training, sorted (categorical only).
    pub categories: Vec<String>,
}

/// Turns customers into the feature matrix; learnt once on the training customers and stored
/// in the saved classifier so that scoring builds exactly the same columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureEncoder {
    pub feature_set: FeatureSet,
    #[serde(with = "exact::scalar")]
    pub window: f64,
    #[serde(with = "exact::scalar")]
    pub recent_periods: f64,
    /// Number of covariate values each customer must carry.
    pub n_covariates: usize,
    pub covariates: Vec<CovariateEncoding>,
}

impl FeatureSet {
    /// Whether the set has the history columns and covariates (all but the baseline).
    pub fn with_covariates(self) -> bool {
        self != FeatureSet::Baseline
    }
}

impl FeatureEncoder {
    /// Learns the covariate encodings from the training customers. A covariate with a single
    /// value in training is dropped and reported in the returned warnings.
    pub fn learn(
        feature_set: FeatureSet,
        window: f64,
        recent_periods: f64,
        specs: &[CovariateSpec],
        customers: &[ChurnCustomer],
    ) -> Result<(Self, Vec<String>)> {
        let mut warnings = Vec::new();
        let mut covariates = Vec::new();
        if feature_set.with_covariates() {
            for c in customers {
                check_covariate_count(c, specs.len())?;
            }
            for (position, spec) in specs.iter().enumerate() {
                let enc = match spec.kind {
                    CovariateKind::Numeric => {
                        let mut distinct = BTreeSet::new();
                        for c in customers {
                            distinct.insert(parse_numeric(c, position, &spec.name)?.to_bits());
                        }
                        (distinct.len() > 1).then(|| CovariateEncoding {
                            name: spec.name.clone(),
                            position,
                            kind: spec.kind,
                            categories: Vec::new(),
                        })
                    }
                    CovariateKind::Categorical => {
                        let categories: BTreeSet<&str> = customers
                            .iter()
                            .map(|c| c.covariates[position].as_str())
                            .collect();
                        (categories.len() > 1).then(|| CovariateEncoding {
                            name: spec.name.clone(),
                            position,
                            kind: spec.kind,
                            categories: categories.into_iter().map(String::from).collect(),
                        })
                    }
                };
                match enc {
                    Some(e) => covariates.push(e),
                    None => warnings.push(format!(
                        "covariate '{}' has a single value in the training data and was dropped",
                        spec.name
                    )),
                }
            }
        }
        let encoder = FeatureEncoder {
            feature_set,
            window,
            recent_periods,
            n_covariates: if feature_set.with_covariates() {
                specs.len()
            } else {
                0
            },
            covariates,
        };
        Ok((encoder, warnings))
    }

    /// Names of the columns before the covariates.
    pub(super) fn base_features(&self) -> &'static [&'static str] {
        match self.feature_set {
            FeatureSet::Interpretable => INTERPRETABLE_FEATURES,
            FeatureSet::Full => FULL_FEATURES,
            FeatureSet::Baseline => BASELINE_FEATURES,
        }
    }

    /// Column names, in matrix order.
    pub fn feature_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.base_features().iter().map(|s| s.to_string()).collect();
        for cov in &self.covariates {
            match cov.kind {
                CovariateKind::Numeric => names.push(cov.name.clone()),
                CovariateKind::Categorical => {
                    names.extend(cov.categories.iter().map(|v| format!("{}={v}", cov.name)))
                }
            }
        }
        names
    }

    /// The feature matrix, one row per customer. Errors name the customer and the value.
    pub fn matrix(
        &self,
        customers: &[ChurnCustomer],
        model: &dyn TransactionModel,
    ) -> Result<Array2<f64>> {
        let n_cols = self.feature_names().len();
        let mut out = Array2::zeros((customers.len(), n_cols));
        let mut row = Vec::with_capacity(n_cols);
        for (i, c) in customers.iter().enumerate() {
            row.clear();
            self.fill_row(c, model, &mut row)?;
            if let Some(j) = row.iter().position(|v| !v.is_finite()) {
                return Err(ClvError::InvalidParameter(format!(
                    "customer '{}': feature '{}' is not finite ({})",
                    c.customer_id,
                    self.feature_names()[j],
                    row[j]
                )));
            }
            for (j, v) in row.iter().enumerate() {
                out[[i, j]] = *v;
            }
        }
        Ok(out)
    }

    /// Distinct purchase times in the last `recent_periods`, (T − k, T].
    pub(super) fn recent_purchases(&self, c: &ChurnCustomer) -> f64 {
        let horizon_start = c.t - self.recent_periods;
        c.purchase_times
            .iter()
            .filter(|&&s| s > horizon_start)
            .count() as f64
    }

    fn fill_row(
        &self,
        c: &ChurnCustomer,
        model: &dyn TransactionModel,
        row: &mut Vec<f64>,
    ) -> Result<()> {
        let full = self.feature_set.with_covariates();
        check_customer(c, full)?;
        let (x, t_x, t, m) = (c.frequency, c.recency, c.t, c.monetary_value);
        let since_last = t - t_x;
        if !full {
            row.extend_from_slice(&[x, t_x, t, m]);
            return Ok(());
        }
        check_covariate_count(c, self.n_covariates)?;
        let (mean_gap, gap_ratio) = gaps(c);
        let recent = self.recent_purchases(c);
        if self.feature_set == FeatureSet::Interpretable {
            row.extend_from_slice(&[
                x.ln_1p(),
                t.ln_1p(),
                since_last.ln_1p(),
                gap_ratio.ln_1p(),
                recent,
                m.ln_1p(),
            ]);
            self.push_covariates(c, row)?;
            return Ok(());
        }

        let p_alive = model.p_alive(x, t_x, t);
        let expected = model.expected_purchases(self.window, x, t_x, t);
        let p_zero = model.prob_n_purchases(0, self.window, x, t_x, t);
        for (what, v) in [
            ("P(alive)", p_alive),
            ("P(no purchase in the window)", p_zero),
        ] {
            if !(v.is_finite() && (-1e-9..=1.0 + 1e-9).contains(&v)) {
                return Err(model_error(c, what, v));
            }
        }
        if !(expected.is_finite() && expected >= 0.0) {
            return Err(model_error(c, "expected purchases", expected));
        }
        row.extend_from_slice(&[
            x,
            t_x,
            t,
            since_last,
            m,
            x.ln_1p(),
            t_x.ln_1p(),
            t.ln_1p(),
            since_last.ln_1p(),
            m.ln_1p(),
            c.total_spend.ln_1p(),
            mean_gap,
            gap_ratio.ln_1p(),
            recent,
            p_alive.clamp(0.0, 1.0),
            expected,
            expected.ln_1p(),
            p_zero.clamp(0.0, 1.0),
        ]);
        self.push_covariates(c, row)
    }

    fn push_covariates(&self, c: &ChurnCustomer, row: &mut Vec<f64>) -> Result<()> {
        for cov in &self.covariates {
            match cov.kind {
                CovariateKind::Numeric => row.push(parse_numeric(c, cov.position, &cov.name)?),
                CovariateKind::Categorical => {
                    let value = &c.covariates[cov.position];
                    row.extend(
                        cov.categories
                            .iter()
                            .map(|k| if k == value { 1.0 } else { 0.0 }),
                    );
                }
            }
        }
        Ok(())
    }
}

/// The mean gap between purchases (t_x / x; T when there was no repeat purchase) and the time
/// since the last purchase relative to it (0 when the mean gap is 0).
pub(super) fn gaps(c: &ChurnCustomer) -> (f64, f64) {
    let mean_gap = if c.frequency >= 1.0 {
        c.recency / c.frequency
    } else {
        c.t
    };
    let ratio = if mean_gap > 0.0 {
        (c.t - c.recency) / mean_gap
    } else {
        0.0
    };
    (mean_gap, ratio)
}

fn model_error(c: &ChurnCustomer, what: &str, v: f64) -> ClvError {
    ClvError::InvalidParameter(format!(
        "customer '{}': the transaction model gave {what} = {v} (x={}, t_x={}, T={})",
        c.customer_id, c.frequency, c.recency, c.t
    ))
}

fn check_covariate_count(c: &ChurnCustomer, expected: usize) -> Result<()> {
    if c.covariates.len() != expected {
        return Err(ClvError::InvalidParameter(format!(
            "customer '{}': {} covariate values, expected {expected}",
            c.customer_id,
            c.covariates.len()
        )));
    }
    Ok(())
}

fn parse_numeric(c: &ChurnCustomer, position: usize, name: &str) -> Result<f64> {
    let raw = &c.covariates[position];
    match raw.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(ClvError::InvalidParameter(format!(
            "customer '{}': covariate '{name}' is not a finite number (value '{raw}')",
            c.customer_id
        ))),
    }
}

/// Validates the summary columns of one customer, and the purchase times when `with_times`.
pub fn check_customer(c: &ChurnCustomer, with_times: bool) -> Result<()> {
    let (x, t_x, t, m, s) = (c.frequency, c.recency, c.t, c.monetary_value, c.total_spend);
    let all_finite = [x, t_x, t, m, s].iter().all(|v| v.is_finite());
    let consistent = x >= 0.0 && t_x >= 0.0 && t_x <= t + 1e-9 && m >= 0.0 && s >= 0.0;
    if !(all_finite && consistent) || (x == 0.0 && t_x != 0.0) {
        return Err(ClvError::InvalidParameter(format!(
            "customer '{}': need finite x >= 0, 0 <= t_x <= T (t_x = 0 when x = 0), monetary \
             value and spend >= 0 (x={x}, t_x={t_x}, T={t}, monetary={m}, spend={s})",
            c.customer_id
        )));
    }
    if !with_times {
        return Ok(());
    }
    let expected_times = x.round() as usize + 1;
    if c.purchase_times.len() != expected_times {
        return Err(ClvError::InvalidParameter(format!(
            "customer '{}': {} purchase times, expected x + 1 = {expected_times} (the distinct \
             purchase times since the first purchase)",
            c.customer_id,
            c.purchase_times.len()
        )));
    }
    if let Some(bad) = c
        .purchase_times
        .iter()
        .find(|v| !(v.is_finite() && **v >= 0.0))
    {
        return Err(ClvError::InvalidParameter(format!(
            "customer '{}': invalid purchase time {bad}",
            c.customer_id
        )));
    }
    Ok(())
}
