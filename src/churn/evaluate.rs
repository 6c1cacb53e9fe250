//! Held-out evaluation: train on a seeded stratified split, then score the test customers with
//! the classifier, with the transaction model alone and with the baseline logistic regression.

use serde::{Deserialize, Serialize};

use super::classifier::ChurnClassifier;
use super::data::{
    ChurnCustomer, ChurnSettings, ClassWeights, check_classes, check_unique_ids, churn_labels,
    stratified_split,
};
use super::features::FeatureSet;
use super::metrics::{Metrics, compute_metrics};
use crate::error::{ClvError, Result};
use crate::models::TransactionModel;

/// Test-split metrics of the classifier and of the two references, with the split sizes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationReport {
    /// The full churn classifier.
    pub classifier: Metrics,
    /// The transaction model alone: P(zero purchases in the window) as the churn probability.
    pub probabilistic: Metrics,
    /// Plain (unweighted) logistic regression on x, t_x, T and monetary value, same alpha.
    pub baseline: Metrics,
    pub n_train: usize,
    pub n_test: usize,
    pub churn_rate_train: f64,
    pub churn_rate_test: f64,
    /// The classifier's columns and coefficients (on standardised features).
    pub feature_names: Vec<String>,
    pub coefficients: Vec<f64>,
    pub intercept: f64,
    pub settings: ChurnSettings,
    /// Dropped covariates, label caveats.
    pub warnings: Vec<String>,
}

/// Splits `customers` (seeded, stratified on the churn label), trains the classifier and the
/// baseline on the training side and reports metrics of all three scores on the test side.
pub fn evaluate(
    customers: &[ChurnCustomer],
    model: &dyn TransactionModel,
    settings: &ChurnSettings,
) -> Result<EvaluationReport> {
    settings.validate()?;
    check_unique_ids(customers)?;
    let (labels, mut warnings) = churn_labels(customers, settings.window)?;
    check_classes(&labels, "all customers")?;
    let ids: Vec<&str> = customers.iter().map(|c| c.customer_id.as_str()).collect();
    let (train_idx, test_idx) =
        stratified_split(&ids, &labels, settings.test_fraction, settings.seed);
    let pick = |idx: &[usize]| -> (Vec<ChurnCustomer>, Vec<bool>) {
        (
            idx.iter().map(|&i| customers[i].clone()).collect(),
            idx.iter().map(|&i| labels[i]).collect(),
        )
    };
    let (train_c, train_y) = pick(&train_idx);
    let (test_c, test_y) = pick(&test_idx);
    check_classes(&train_y, "training split")?;
    check_classes(&test_y, "test split")?;

    let (clf, more) = ChurnClassifier::fit(
        FeatureSet::Interpretable,
        &train_c,
        &train_y,
        model,
        settings,
    )?;
    warnings.extend(more);
    let baseline_settings = ChurnSettings {
        class_weights: ClassWeights::None,
        covariates: Vec::new(),
        ..settings.clone()
    };
    let (baseline, _) = ChurnClassifier::fit(
        FeatureSet::Baseline,
        &train_c,
        &train_y,
        model,
        &baseline_settings,
    )?;

    let p_clf = clf.predict_proba(&test_c, model)?;
    let p_base = baseline.predict_proba(&test_c, model)?;
    let p_model = model_churn_probability(&test_c, model, settings.window)?;
    let rate = |y: &[bool]| y.iter().filter(|&&v| v).count() as f64 / y.len() as f64;
    Ok(EvaluationReport {
        classifier: compute_metrics(&p_clf, &test_y, settings.threshold)?,
        probabilistic: compute_metrics(&p_model, &test_y, settings.threshold)?,
        baseline: compute_metrics(&p_base, &test_y, settings.threshold)?,
        n_train: train_y.len(),
        n_test: test_y.len(),
        churn_rate_train: rate(&train_y),
        churn_rate_test: rate(&test_y),
        feature_names: clf.feature_names().to_vec(),
        coefficients: clf.coefficients().to_vec(),
        intercept: clf.intercept(),
        settings: settings.clone(),
        warnings,
    })
}

/// The transaction model's churn probability: P(zero purchases in the next `window` periods).
pub fn model_churn_probability(
    customers: &[ChurnCustomer],
    model: &dyn TransactionModel,
    window: f64,
) -> Result<Vec<f64>> {
    customers
        .iter()
        .map(|c| {
            let p = model.prob_n_purchases(0, window, c.frequency, c.recency, c.t);
            if p.is_finite() && (-1e-9..=1.0 + 1e-9).contains(&p) {
                Ok(p.clamp(0.0, 1.0))
            } else {
                Err(ClvError::InvalidParameter(format!(
                    "customer '{}': the transaction model gave P(no purchase in the window) = {p}",
                    c.customer_id
                )))
            }
        })
        .collect()
}
