//! `clv evaluate`: held-out churn metrics of the classifier beside the transaction model alone
//! and a baseline logistic regression, plus the holdout evaluation of the transaction model's
//! purchase and spend predictions; a report on stdout and, optionally, JSON.
//!
//! The JSON is a contract relied on by outside scripts: the fields of
//! [`clv::churn::EvaluationReport`] at the top level (`classifier.roc_auc`, `n_train`, ...) and
//! the transaction-model evaluation under `holdout`.

use std::path::PathBuf;

use anyhow::Context;
use clv::churn::from_summary;
use clv::churn::{EvaluationReport, Metrics, evaluate};
use clv::models::gamma_gamma::GammaGamma;
use clv::models::saved::SavedModel;
use clv::models::{FitOptions, Model};
use clv::persist::fingerprint;
use clv::predict::holdout::{HoldoutEvaluation, evaluate_holdout};
use clv::predict::holdout::{OrderValue, holdout_customers};
use serde::Serialize;

use crate::churn::{Prepared, TrainingArgs, coefficient_rows, describe_params, prepare};
use crate::common::{self, Ui};

/// Last calibration-frequency bin of the holdout table ("7+").
const MAX_FREQUENCY_BIN: usize = 7;

/// Evaluate the churn classifier and the transaction model on a calibration / holdout split.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  clv evaluate --input cdnow_master.csv --unit week --calibration-end 1997-09-30 --window 39 \\
      --test-fraction 0.3 --seed 42 --transaction-model bgnbd --output evaluation.json

The JSON holds classifier, probabilistic and baseline metrics (roc_auc, pr_auc, brier,
log_loss, lift, gains, calibration, confusion), n_train, n_test, and under `holdout` the
transaction model's predicted vs actual holdout purchases and spend.")]
pub struct Args {
    #[command(flatten)]
    pub training: TrainingArgs,
    /// Share of customers held out for testing (stratified on the churn label).
    #[arg(long, default_value_t = 0.3)]
    pub test_fraction: f64,
    /// Churn probability at or above which a customer counts as predicted to churn.
    #[arg(long, default_value_t = 0.5)]
    pub threshold: f64,
    /// JSON file to write.
    #[arg(long, short = 'o', value_name = "FILE.json")]
    pub output: Option<PathBuf>,
}

/// The transaction model's holdout evaluation, with the models behind it.
#[derive(Debug, Serialize)]
struct HoldoutSection {
    /// Holdout length, in the time unit.
    duration: f64,
    /// `gamma-gamma`, or `historical-mean` when Gamma-Gamma could not be used.
    spend_model: String,
    #[serde(flatten)]
    evaluation: HoldoutEvaluation,
    gamma_gamma: Option<SavedModel>,
}

/// Everything written to the JSON file.
#[derive(Debug, Serialize)]
struct EvaluationFile {
    #[serde(flatten)]
    report: EvaluationReport,
    time_unit: String,
    calibration_end: String,
    observation_end: String,
    customers: usize,
    transaction_model: SavedModel,
    holdout: HoldoutSection,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    let Prepared { summary, prepared } = prepare(&args.training, args.output.as_deref(), ui)?;
    let mut p = prepared;
    p.settings.test_fraction = args.test_fraction;
    p.settings.threshold = args.threshold;
    p.settings.validate()?;
    let model = p.transaction_model()?;
    let report = evaluate(&p.customers, model, &p.settings)?;
    for w in &report.warnings {
        ui.warn(w);
    }

    // Spend: Gamma-Gamma on the calibration repeat buyers; if it cannot be fitted or has no
    // finite mean, each customer's own mean order value stands in.
    let (gg_saved, gg) = match fit_gamma_gamma(&summary) {
        Ok(v) => (Some(v.0), Some(v.1)),
        Err(e) => {
            ui.warn(format!(
                "Gamma-Gamma not used for holdout spend ({e:#}); using each customer's mean order value"
            ));
            (None, None)
        }
    };
    let rows = match &gg {
        Some(g) => holdout_customers(&summary, OrderValue::GammaGamma(g)),
        None => holdout_customers(&summary, OrderValue::HistoricalMean),
    }?;
    let evaluation = evaluate_holdout(model, &rows, MAX_FREQUENCY_BIN)?;
    let holdout = HoldoutSection {
        duration: from_summary::holdout_length(&summary)?,
        spend_model: if gg.is_some() {
            GammaGamma::NAME.to_string()
        } else {
            "historical-mean".to_string()
        },
        evaluation,
        gamma_gamma: gg_saved,
    };

    let unit = summary.unit;
    print!(
        "{}",
        render(
            &report,
            &holdout,
            &describe_params(&p.saved_model),
            unit.name()
        )
    );

    if let Some(path) = &args.output {
        let file = EvaluationFile {
            report,
            time_unit: unit.name().to_string(),
            calibration_end: args.training.calibration_end.to_string(),
            observation_end: summary.observation_end.to_string(),
            customers: p.customers.len(),
            transaction_model: p.saved_model,
            holdout,
        };
        clv::persist::save_json(path, &file)
            .with_context(|| format!("writing {}", path.display()))?;
        ui.info(format!("evaluation written to {}", path.display()));
    }
    Ok(())
}

/// Gamma-Gamma on the calibration repeat buyers, checked to have a finite mean spend.
fn fit_gamma_gamma(summary: &clv::features::Summary) -> anyhow::Result<(SavedModel, GammaGamma)> {
    let (data, _) = from_summary::repeat_spend_data(summary)?;
    let start = std::time::Instant::now();
    let fitted = GammaGamma::fit(&data, &FitOptions::default())?;
    fitted.model.population_mean_spend()?;
    let saved = SavedModel::new(
        &fitted.report,
        data.weights.iter().sum(),
        data.x.len(),
        summary.unit.name(),
        fingerprint([data.x.as_slice(), &data.mean_spend, &data.weights]),
        start.elapsed().as_secs_f64(),
    );
    Ok((saved, fitted.model))
}

fn f4(v: f64) -> String {
    format!("{v:.4}")
}

/// The printed report: the three scorers side by side, the calibration table, the holdout
/// evaluation of the transaction model.
fn render(r: &EvaluationReport, h: &HoldoutSection, model_line: &str, unit: &str) -> String {
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
    out.push_str(&common::table(
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
    out.push_str(&common::table(
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
    out.push_str(&common::table(
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
    out.push_str(&common::table(
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
    out.push_str(&common::table(
        &["repeat purchases", "customers", "actual", "predicted"],
        &bins,
    ));
    out
}
