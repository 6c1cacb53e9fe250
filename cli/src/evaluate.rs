//! `clv evaluate`: held-out churn metrics of the classifier beside the transaction model alone
//! and a baseline logistic regression, plus the holdout evaluation of the transaction model's
//! purchase and spend predictions; a report on stdout and, optionally, JSON.
//!
//! The JSON is [`clv::predict::evaluation::EvaluationFile`], a contract outside scripts rely
//! on.

use std::path::PathBuf;

use anyhow::Context;
use clv::predict::evaluation::evaluate_split;
use clv::report::text::{describe_params, evaluation_text};

use crate::churn::{Prepared, TrainingArgs, prepare};
use crate::common::Ui;

/// Evaluate the churn classifier and the transaction model on a calibration / holdout split.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  clv evaluate --input cdnow_master.csv --unit week --calibration-end 1997-09-30 --churn-window 39 \\
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
    #[arg(long, alias = "threshold", default_value_t = 0.5)]
    pub risk_threshold: f64,
    /// JSON file to write.
    #[arg(long, short = 'o', value_name = "FILE.json")]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    args.training
        .transactions
        .check_paths(args.output.as_deref(), &[])?;
    let Prepared { summary, prepared } = prepare(&args.training, args.output.as_deref(), ui)?;
    let model_line = describe_params(&prepared.saved_model);
    let (file, warnings) =
        evaluate_split(&summary, prepared, args.test_fraction, args.risk_threshold)?;
    for w in &warnings {
        ui.warn(w);
    }
    out!(
        "{}",
        evaluation_text(
            &file.report,
            &file.holdout,
            &model_line,
            summary.unit.name()
        )
    );
    if let Some(path) = &args.output {
        clv::persist::save_json(path, &file)
            .with_context(|| format!("writing {}", path.display()))?;
        ui.info(format!("evaluation written to {}", path.display()));
    }
    Ok(())
}
