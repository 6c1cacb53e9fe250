//! The churn classifier: standardisation, an L2-regularised logistic regression fitted with
//! `linfa-logistic`, scoring with the stored coefficients, and JSON save / load.
//!
//! Scoring never calls `linfa`: it evaluates sigmoid(b + Σ w_j z_j) from the stored numbers in
//! a fixed order, so a loaded classifier gives bit-identical probabilities to the one just
//! trained.

use linfa::Dataset;
use linfa::traits::Fit;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::data::{
    ChurnCustomer, ChurnSettings, ClassWeights, check_classes, check_unique_ids, churn_labels,
};
use super::exact;
use super::features::{FeatureEncoder, FeatureSet};
use crate::error::{ClvError, Result};
use crate::models::TransactionModel;

/// Identifies the JSON layout of a saved classifier.
pub const FORMAT: &str = "clv-churn-classifier/1";

/// A standard deviation below this (relative to the mean's size) counts as a constant column,
/// which is centred but not scaled.
const MIN_SCALE: f64 = 1e-12;

/// A trained churn classifier: everything scoring needs, nothing it has to refit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChurnClassifier {
    format: String,
    encoder: FeatureEncoder,
    feature_names: Vec<String>,
    #[serde(with = "exact::list")]
    means: Vec<f64>,
    #[serde(with = "exact::list")]
    scales: Vec<f64>,
    /// Coefficients of the standardised features; positive = raises churn probability.
    #[serde(with = "exact::list")]
    coefficients: Vec<f64>,
    #[serde(with = "exact::scalar")]
    intercept: f64,
    #[serde(with = "exact::scalar")]
    l2_alpha: f64,
    class_weights: ClassWeights,
    n_train: usize,
    #[serde(with = "exact::scalar")]
    train_churn_rate: f64,
}

/// One feature's push on a customer's score: standardised value × coefficient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    pub feature: String,
    /// The raw feature value.
    pub value: f64,
    /// The standardised value z.
    pub standardised: f64,
    /// z × coefficient, on the log-odds scale.
    pub contribution: f64,
}

/// Trains the full classifier on all `customers` (labels from their holdout columns or
/// cancellation flags). Returns the classifier and warnings (dropped covariates, a holdout
/// longer than the window).
pub fn train(
    customers: &[ChurnCustomer],
    model: &dyn TransactionModel,
    settings: &ChurnSettings,
) -> Result<(ChurnClassifier, Vec<String>)> {
    settings.validate()?;
    check_unique_ids(customers)?;
    let (labels, mut warnings) = churn_labels(customers, settings.window)?;
    let (clf, more) = ChurnClassifier::fit(
        FeatureSet::Interpretable,
        customers,
        &labels,
        model,
        settings,
    )?;
    warnings.extend(more);
    Ok((clf, warnings))
}

impl ChurnClassifier {
    /// Fits a classifier with the given feature set on labelled customers.
    pub fn fit(
        feature_set: FeatureSet,
        customers: &[ChurnCustomer],
        labels: &[bool],
        model: &dyn TransactionModel,
        settings: &ChurnSettings,
    ) -> Result<(Self, Vec<String>)> {
        settings.validate()?;
        if customers.len() != labels.len() {
            return Err(ClvError::InvalidParameter(format!(
                "{} customers but {} labels",
                customers.len(),
                labels.len()
            )));
        }
        check_classes(labels, "training data")?;
        let (encoder, warnings) = FeatureEncoder::learn(
            feature_set,
            settings.window,
            settings.recent_horizon(),
            &settings.covariates,
            customers,
        )?;
        let raw = encoder.matrix(customers, model)?;
        let (means, scales) = standardisation(&raw);
        let z = standardise(&raw, &means, &scales);
        let weights = class_weight_pair(settings.class_weights, labels);
        let (z, y) = replicate_for_weights(z, labels, weights, settings.seed);

        let fitted = LogisticRegression::default()
            .alpha(settings.l2_alpha)
            .max_iterations(settings.max_iterations)
            .fit(&Dataset::new(z, y))
            .map_err(|e| ClvError::Fit(format!("logistic regression: {e}")))?;
        // linfa models P(labels().pos.class); turn it into P(churn).
        let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
        let coefficients: Vec<f64> = fitted.params().iter().map(|w| sign * w).collect();
        let intercept = sign * fitted.intercept();
        if !(intercept.is_finite() && coefficients.iter().all(|w| w.is_finite())) {
            return Err(ClvError::Fit(
                "logistic regression gave non-finite coefficients".into(),
            ));
        }
        let churners = labels.iter().filter(|&&y| y).count();
        let clf = ChurnClassifier {
            format: FORMAT.to_string(),
            feature_names: encoder.feature_names(),
            encoder,
            means,
            scales,
            coefficients,
            intercept,
            l2_alpha: settings.l2_alpha,
            class_weights: settings.class_weights,
            n_train: labels.len(),
            train_churn_rate: churners as f64 / labels.len() as f64,
        };
        Ok((clf, warnings))
    }

    /// Column names of the feature matrix, in order (see [`super::features`]).
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Coefficients of the standardised features, in [`Self::feature_names`] order.
    pub fn coefficients(&self) -> &[f64] {
        &self.coefficients
    }

    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// Training means and scales (standard deviations; 1 for constant columns).
    pub fn scaling(&self) -> (&[f64], &[f64]) {
        (&self.means, &self.scales)
    }

    pub fn encoder(&self) -> &FeatureEncoder {
        &self.encoder
    }

    pub fn n_train(&self) -> usize {
        self.n_train
    }

    pub fn train_churn_rate(&self) -> f64 {
        self.train_churn_rate
    }

    /// The raw feature matrix of `customers`.
    pub fn features(
        &self,
        customers: &[ChurnCustomer],
        model: &dyn TransactionModel,
    ) -> Result<Array2<f64>> {
        self.encoder.matrix(customers, model)
    }

    /// Churn probability of each customer, from the stored coefficients. `model` must be the
    /// transaction model the classifier was trained with.
    pub fn predict_proba(
        &self,
        customers: &[ChurnCustomer],
        model: &dyn TransactionModel,
    ) -> Result<Vec<f64>> {
        let raw = self.features(customers, model)?;
        Ok((0..raw.nrows())
            .map(|i| sigmoid(self.log_odds(raw.row(i).iter().copied())))
            .collect())
    }

    fn log_odds(&self, row: impl Iterator<Item = f64>) -> f64 {
        let mut s = self.intercept;
        for (j, v) in row.enumerate() {
            s += self.coefficients[j] * ((v - self.means[j]) / self.scales[j]);
        }
        s
    }

    /// Per-feature contributions to each customer's log-odds (rows follow `raw`).
    pub fn contributions(&self, raw: &Array2<f64>) -> Vec<Vec<Contribution>> {
        raw.rows()
            .into_iter()
            .map(|row| {
                row.iter()
                    .enumerate()
                    .map(|(j, &v)| {
                        let z = (v - self.means[j]) / self.scales[j];
                        Contribution {
                            feature: self.feature_names[j].clone(),
                            value: v,
                            standardised: z,
                            contribution: z * self.coefficients[j],
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// Probabilities from a raw feature matrix built by [`Self::features`].
    pub fn proba_from_features(&self, raw: &Array2<f64>) -> Vec<f64> {
        (0..raw.nrows())
            .map(|i| sigmoid(self.log_odds(raw.row(i).iter().copied())))
            .collect()
    }

    /// The classifier as a JSON string (numbers that matter are exact decimal strings).
    pub fn save(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    /// Reads a classifier saved by [`Self::save`], checking that its parts fit together.
    pub fn load(json: &str) -> Result<Self> {
        let clf: ChurnClassifier = serde_json::from_str(json)?;
        let bad = |m: String| Err(ClvError::InvalidParameter(format!("churn classifier: {m}")));
        if clf.format != FORMAT {
            return bad(format!("format '{}', expected '{FORMAT}'", clf.format));
        }
        let k = clf.encoder.feature_names().len();
        if clf.feature_names != clf.encoder.feature_names()
            || clf.means.len() != k
            || clf.scales.len() != k
            || clf.coefficients.len() != k
        {
            return bad("feature list, scaling and coefficients do not match".into());
        }
        if clf.scales.iter().any(|s| *s <= 0.0) {
            return bad("scales must be positive".into());
        }
        Ok(clf)
    }
}

/// Logistic function without overflow for large |s|.
pub fn sigmoid(s: f64) -> f64 {
    if s >= 0.0 {
        1.0 / (1.0 + (-s).exp())
    } else {
        let e = s.exp();
        e / (1.0 + e)
    }
}

/// Column means and population standard deviations; constant columns get scale 1.
fn standardisation(raw: &Array2<f64>) -> (Vec<f64>, Vec<f64>) {
    let n = raw.nrows() as f64;
    let mut means = Vec::with_capacity(raw.ncols());
    let mut scales = Vec::with_capacity(raw.ncols());
    for col in raw.columns() {
        let mean = col.sum() / n;
        let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        let sd = var.sqrt();
        means.push(mean);
        scales.push(if sd > MIN_SCALE * mean.abs().max(1.0) {
            sd
        } else {
            1.0
        });
    }
    (means, scales)
}

fn standardise(raw: &Array2<f64>, means: &[f64], scales: &[f64]) -> Array2<f64> {
    let mut z = raw.clone();
    for (j, mut col) in z.columns_mut().into_iter().enumerate() {
        col.mapv_inplace(|v| (v - means[j]) / scales[j]);
    }
    z
}

/// Per-row weights (churn, active) implied by the setting.
fn class_weight_pair(weights: ClassWeights, labels: &[bool]) -> (f64, f64) {
    let n = labels.len() as f64;
    let churners = labels.iter().filter(|&&y| y).count() as f64;
    match weights {
        ClassWeights::None => (1.0, 1.0),
        ClassWeights::Balanced => (n / (2.0 * churners), n / (2.0 * (n - churners))),
        ClassWeights::Custom { churn, active } => (churn, active),
    }
}

/// Applies class weights by replication (see [`ClassWeights`]): the lighter class keeps one
/// copy per row, rows of the heavier class get ratio r copies in expectation.
fn replicate_for_weights(
    z: Array2<f64>,
    labels: &[bool],
    (w_churn, w_active): (f64, f64),
    seed: u64,
) -> (Array2<f64>, Array1<bool>) {
    let y = Array1::from(labels.to_vec());
    if w_churn == w_active {
        return (z, y);
    }
    let (heavy, ratio) = if w_churn > w_active {
        (true, w_churn / w_active)
    } else {
        (false, w_active / w_churn)
    };
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_c1a5);
    let whole = ratio.floor() as usize;
    let frac = ratio - ratio.floor();
    let mut rows: Vec<usize> = Vec::new();
    for (i, &label) in labels.iter().enumerate() {
        let copies = if label == heavy {
            whole + usize::from(rng.random::<f64>() < frac)
        } else {
            1
        };
        rows.extend(std::iter::repeat_n(i, copies));
    }
    let z = z.select(ndarray::Axis(0), &rows);
    let y = rows.iter().map(|&i| labels[i]).collect();
    (z, y)
}
