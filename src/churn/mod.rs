//! The logistic churn classifier, its evaluation and the at-risk definition.
//!
//! A customer churned when they make no purchase in the window after the calibration end
//! ([`churn_labels`]), or, for subscriptions, when they cancel inside it. The classifier is an
//! L2-regularised logistic regression (`linfa-logistic`) on standardised features built from
//! each customer's summary, purchase times and optional covariates ([`features`] documents every column). It is saved as JSON and scores from the
//! stored coefficients, so a loaded classifier reproduces training-time predictions exactly.
//!
//! Entry points: [`train`], [`evaluate`] (held-out metrics beside the transaction model alone
//! and a baseline logistic regression), [`ChurnClassifier::predict_proba`],
//! [`ChurnClassifier::save`] / [`ChurnClassifier::load`]; [`at_risk`] holds the one at-risk
//! definition (value at risk, the rule, the reasons).

pub mod at_risk;
pub mod classifier;
pub mod data;
pub mod evaluate;
mod exact;
pub mod features;
pub mod from_summary;
pub mod jobs;
pub mod metrics;
pub mod model_file;

pub use at_risk::{
    AtRiskAssessment, AtRiskRow, AtRiskRule, Reason, ReasonKind, RiskInput, assess_at_risk,
    no_purchase_if_alive, value_at_risk,
};
pub use classifier::{ChurnClassifier, Contribution, train};
pub use data::{
    ChurnCustomer, ChurnSettings, ClassWeights, CovariateKind, CovariateSpec, churn_labels,
    stratified_split,
};
pub use evaluate::{EvaluationReport, evaluate, model_churn_probability};
pub use features::{
    BASELINE_FEATURES, FULL_FEATURES, FeatureEncoder, FeatureSet, INTERPRETABLE_FEATURES,
};
pub use metrics::{CalibrationBin, Confusion, Metrics, compute_metrics};
