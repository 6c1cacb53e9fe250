//! `clv evaluate`'s report as text: the three churn scorers side by side, the classifier's
//! calibration, its strongest features, and the transaction model on the holdout.

use super::{coefficient_rows, table};
use crate::churn::{EvaluationReport, Metrics};
use crate::predict::evaluation::HoldoutSection;

fn f4(v: f64) -> String {
    format!("{v:.4}")
}

/// The printed report: the three scorers side by side, the calibration table, the holdout
/// evaluation of the transaction model.
pub fn evaluation_text(
    r: &EvaluationReport,
    h: &HoldoutSection,
    model_line: &str,
    unit: &str,
) -> String {
    let mut out = format!(
        "churn evaluation: {} training and {} test customers (churn rates {:.1}% / {:.1}%), \
         window {} {unit}s, seed {}\ntransaction model: {model_line}\n\n",
        r.n_train,
        r.n_test,
        100.0 * r.churn_rate_train,
        100.0 * r.churn_rate_test,
        r.settings.window,
        r.settings.seed
    );
    let scorers: [(&str, &Metrics); 3] = [
        ("classifier", &r.classifier),
        ("probabilistic", &r.probabilistic),
        ("baseline", &r.baseline),
    ];
    type Pick = fn(&Metrics) -> String;
    let lines: [(&str, Pick); 14] = [
        ("ROC AUC", |m| f4(m.roc_auc)),
        ("PR AUC", |m| f4(m.pr_auc)),
        ("log loss", |m| f4(m.log_loss)),
        ("Brier", |m| f4(m.brier)),
        ("lift @10%", |m| f4(m.lift_10)),
        ("lift @20%", |m| f4(m.lift_20)),
        ("gains @10%", |m| f4(m.gains_10)),
        ("gains @20%", |m| f4(m.gains_20)),
        ("precision", |m| f4(m.confusion.precision)),
        ("recall", |m| f4(m.confusion.recall)),
        ("accuracy", |m| f4(m.confusion.accuracy)),
        ("true pos / false pos", |m| {
            format!(
                "{} / {}",
                m.confusion.true_positives, m.confusion.false_positives
            )
        }),
        ("true neg / false neg", |m| {
            format!(
                "{} / {}",
                m.confusion.true_negatives, m.confusion.false_negatives
            )
        }),
        ("mean predicted", |m| f4(m.mean_predicted)),
    ];
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|(name, pick)| {
            let mut row = vec![name.to_string()];
            row.extend(scorers.iter().map(|(_, m)| pick(m)));
            row
        })
        .collect();
    out.push_str(&format!(
        "test split (confusion at threshold {}):\n",
        r.settings.threshold
    ));
    out.push_str(&table(
        &["metric", "classifier", "probabilistic", "baseline"],
        &rows,
    ));

    out.push_str("\nclassifier calibration by decile of predicted churn probability:\n");
    let cal: Vec<Vec<String>> = r
        .classifier
        .calibration
        .iter()
        .map(|b| {
            vec![
                b.bin.to_string(),
                b.n.to_string(),
                format!("{:.3}-{:.3}", b.min_predicted, b.max_predicted),
                f4(b.mean_predicted),
                f4(b.observed_rate),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "decile",
            "customers",
            "range",
            "mean predicted",
            "observed churn",
        ],
        &cal,
    ));

    out.push_str("\nstrongest classifier features:\n");
    out.push_str(&table(
        &["feature", "coefficient", "effect"],
        &coefficient_rows(&r.feature_names, &r.coefficients, 8),
    ));

    let e = &h.evaluation;
    out.push_str(&format!(
        "\ntransaction model on the {} {unit} holdout ({} customers; spend per order: {}):\n",
        h.duration, e.customers, h.spend_model
    ));
    let agg = [
        vec![
            "purchases".to_string(),
            f4(e.purchases_mae),
            f4(e.purchases_rmse),
            format!("{:.1}", e.total_actual_purchases),
            format!("{:.1}", e.total_predicted_purchases),
            format!("{:+.2}%", e.purchases_aggregate_error_pct),
        ],
        vec![
            "spend".to_string(),
            format!("{:.2}", e.spend_mae),
            format!("{:.2}", e.spend_rmse),
            format!("{:.2}", e.total_actual_spend),
            format!("{:.2}", e.total_predicted_spend),
            format!("{:+.2}%", e.spend_aggregate_error_pct),
        ],
    ];
    out.push_str(&table(
        &[
            "per customer",
            "MAE",
            "RMSE",
            "actual total",
            "predicted total",
            "aggregate error",
        ],
        &agg,
    ));
    out.push_str("\nmean holdout purchases by calibration frequency:\n");
    let bins: Vec<Vec<String>> = e
        .by_frequency
        .iter()
        .map(|b| {
            vec![
                b.frequency.clone(),
                b.customers.to_string(),
                f4(b.mean_actual),
                f4(b.mean_predicted),
            ]
        })
        .collect();
    out.push_str(&table(
        &["repeat purchases", "customers", "actual", "predicted"],
        &bins,
    ));
    out
}
