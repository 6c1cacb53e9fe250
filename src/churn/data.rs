//! Inputs of the churn classifier: per-customer rows, settings, churn labels and the seeded,
//! stratified train / test split.

use std::collections::HashSet;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::error::{ClvError, Result};

/// One customer as the churn classifier sees it: the calibration-period summary (time in the
/// unit of the transaction model), the distinct purchase times, the optional holdout columns
/// that give the label, and covariate values in the order of [`ChurnSettings::covariates`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChurnCustomer {
    pub customer_id: String,
    /// Repeat purchases x.
    pub frequency: f64,
    /// Time of the last repeat purchase t_x (0 when x = 0).
    pub recency: f64,
    /// Age T: end of calibration minus first purchase.
    pub t: f64,
    /// Mean repeat-purchase amount (0 when x = 0).
    pub monetary_value: f64,
    /// All calibration spend, first purchase included.
    pub total_spend: f64,
    /// Distinct purchase times since the first purchase, ascending, first one 0 (x + 1 values).
    pub purchase_times: Vec<f64>,
    /// Purchases in the holdout period after the calibration end.
    pub holdout_frequency: Option<f64>,
    /// Length of the holdout period.
    pub holdout_duration: Option<f64>,
    /// Covariate values, one per entry of [`ChurnSettings::covariates`].
    pub covariates: Vec<String>,
    /// Subscription data: a cancellation inside the window. Overrides the holdout columns.
    pub cancelled_within_window: Option<bool>,
}

/// How a covariate column enters the feature matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CovariateKind {
    /// Parsed as a number and used as is (then standardised).
    Numeric,
    /// One indicator column per category seen in training; unseen categories score all zeros.
    Categorical,
}

/// A user covariate: its name and kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CovariateSpec {
    pub name: String,
    pub kind: CovariateKind,
}

/// Class weights of the training loss.
///
/// `linfa-logistic` 0.8 has no sample weights, so a weight is applied by replicating the rows of
/// the heavier class: with weight ratio r ≥ 1 every row is repeated ⌊r⌋ times and a seeded
/// random share r − ⌊r⌋ of the rows once more, which gives each row weight r in expectation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClassWeights {
    /// Every customer counts once.
    None,
    /// Each class gets total weight n / 2 (weight n / (2 n_class) per row).
    Balanced,
    /// Explicit per-row weights of churners and non-churners (both > 0).
    Custom { churn: f64, active: f64 },
}

/// Everything that controls labels, features, fitting and evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChurnSettings {
    /// Churn window after the calibration end, in model time units.
    pub window: f64,
    /// "Recent" purchases are those in the last `recent_periods` of the calibration period;
    /// `None` = a quarter of the window.
    pub recent_periods: Option<f64>,
    /// Covariate columns, matching [`ChurnCustomer::covariates`].
    pub covariates: Vec<CovariateSpec>,
    /// L2 penalty on the coefficients of the standardised features; `linfa-logistic` adds
    /// `alpha / 2 · |w|²` to the summed (not averaged) log loss. The intercept is not penalised.
    pub l2_alpha: f64,
    /// Iteration limit of the L-BFGS solver.
    pub max_iterations: u64,
    pub class_weights: ClassWeights,
    /// Share of customers held out for evaluation, per class.
    pub test_fraction: f64,
    /// Seed of the split and of the class-weight replication.
    pub seed: u64,
    /// Probability at or above which a customer is predicted to churn (confusion matrix).
    pub threshold: f64,
}

impl ChurnSettings {
    /// Defaults for a churn window of `window` periods: recent = window / 4, alpha 1, no class
    /// weights, 30% test split, seed 42, threshold 0.5, no covariates.
    pub fn new(window: f64) -> Self {
        ChurnSettings {
            window,
            recent_periods: None,
            covariates: Vec::new(),
            l2_alpha: 1.0,
            max_iterations: 500,
            class_weights: ClassWeights::None,
            test_fraction: 0.3,
            seed: 42,
            threshold: 0.5,
        }
    }

    /// Checks every numeric setting.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(ClvError::InvalidParameter(m));
        if !(self.window.is_finite() && self.window > 0.0) {
            return bad(format!(
                "churn window must be positive, got {}",
                self.window
            ));
        }
        if let Some(k) = self.recent_periods
            && !(k.is_finite() && k > 0.0)
        {
            return bad(format!("recent periods must be positive, got {k}"));
        }
        if !(self.l2_alpha.is_finite() && self.l2_alpha >= 0.0) {
            return bad(format!("L2 alpha must be >= 0, got {}", self.l2_alpha));
        }
        if self.max_iterations == 0 {
            return bad("max iterations must be at least 1".into());
        }
        if let ClassWeights::Custom { churn, active } = self.class_weights
            && !(churn.is_finite() && churn > 0.0 && active.is_finite() && active > 0.0)
        {
            return bad(format!(
                "class weights must be positive, got churn={churn}, active={active}"
            ));
        }
        if !(self.test_fraction > 0.0 && self.test_fraction < 1.0) {
            return bad(format!(
                "test fraction must be in (0, 1), got {}",
                self.test_fraction
            ));
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return bad(format!(
                "threshold must be in [0, 1], got {}",
                self.threshold
            ));
        }
        let mut names = HashSet::new();
        for c in &self.covariates {
            if !names.insert(c.name.as_str()) {
                return bad(format!("covariate '{}' is listed twice", c.name));
            }
        }
        Ok(())
    }

    /// The recent-purchase horizon k.
    pub fn recent_horizon(&self) -> f64 {
        self.recent_periods.unwrap_or(self.window / 4.0)
    }
}

/// Relative tolerance when comparing the holdout length to the window.
const WINDOW_TOLERANCE: f64 = 1e-6;

/// Churn labels (`true` = churned) and warnings.
///
/// A customer churned when `cancelled_within_window` says so, otherwise when they made no
/// purchase in the holdout and the holdout covers the window. A holdout shorter than the
/// window is an error (the window is longer than the data); a longer one gives a warning,
/// because a purchase after the window then counts as "not churned".
pub fn churn_labels(customers: &[ChurnCustomer], window: f64) -> Result<(Vec<bool>, Vec<String>)> {
    let tol = WINDOW_TOLERANCE * window.max(1.0);
    let mut longest_excess: Option<f64> = None;
    let mut labels = Vec::with_capacity(customers.len());
    for c in customers {
        if let Some(cancelled) = c.cancelled_within_window {
            labels.push(cancelled);
            continue;
        }
        let (Some(freq), Some(duration)) = (c.holdout_frequency, c.holdout_duration) else {
            return Err(ClvError::InvalidParameter(format!(
                "customer '{}': no holdout columns and no cancellation flag, so no churn label \
                 (summarize with a calibration end)",
                c.customer_id
            )));
        };
        if !(freq.is_finite() && freq >= 0.0 && duration.is_finite() && duration >= 0.0) {
            return Err(ClvError::InvalidParameter(format!(
                "customer '{}': invalid holdout columns (frequency {freq}, duration {duration})",
                c.customer_id
            )));
        }
        if duration < window - tol {
            return Err(ClvError::InvalidParameter(format!(
                "churn window of {window} periods is longer than the holdout data \
                 ({duration} periods after the calibration end, customer '{}')",
                c.customer_id
            )));
        }
        if duration > window + tol {
            longest_excess = Some(longest_excess.map_or(duration, |d: f64| d.max(duration)));
        }
        labels.push(freq == 0.0);
    }
    let warnings = longest_excess
        .map(|d| {
            vec![format!(
                "the holdout ({d} periods) is longer than the churn window ({window}); a purchase \
                 anywhere in the holdout counts as not churned (set the observation end to the \
                 calibration end plus the window)"
            )]
        })
        .unwrap_or_default();
    Ok((labels, warnings))
}

/// Fewest customers of each class needed on each side of a split (and for training).
pub const MIN_PER_CLASS: usize = 5;

/// Errors unless there are at least [`MIN_PER_CLASS`] churners and non-churners.
pub fn check_classes(labels: &[bool], what: &str) -> Result<()> {
    let churners = labels.iter().filter(|&&y| y).count();
    let active = labels.len() - churners;
    if churners == 0 || active == 0 {
        return Err(ClvError::InvalidParameter(format!(
            "{what}: {churners} churners and {active} non-churners; the classifier needs both"
        )));
    }
    if churners < MIN_PER_CLASS || active < MIN_PER_CLASS {
        return Err(ClvError::InvalidParameter(format!(
            "{what}: too few customers ({churners} churners, {active} non-churners; need at least \
             {MIN_PER_CLASS} of each)"
        )));
    }
    Ok(())
}

/// Errors on a repeated customer id (ties in rankings are broken by id).
pub fn check_unique_ids(customers: &[ChurnCustomer]) -> Result<()> {
    let mut seen = HashSet::with_capacity(customers.len());
    for c in customers {
        if !seen.insert(c.customer_id.as_str()) {
            return Err(ClvError::InvalidParameter(format!(
                "customer id '{}' appears more than once",
                c.customer_id
            )));
        }
    }
    Ok(())
}

/// Seeded split stratified on the label: within each class customers are ordered by id (so the
/// split does not depend on input order), shuffled, and `round(fraction × n_class)` go to the
/// test side. Returns (train indices, test indices), each ascending.
pub fn stratified_split(
    ids: &[&str],
    labels: &[bool],
    test_fraction: f64,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for class in [true, false] {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        members.sort_by(|&a, &b| ids[a].cmp(ids[b]).then(a.cmp(&b)));
        members.shuffle(&mut rng);
        let n_test = (test_fraction * members.len() as f64).round() as usize;
        test.extend_from_slice(&members[..n_test]);
        train.extend_from_slice(&members[n_test..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}
