//! `clv churn train` and `clv churn score`: train the churn classifier on a calibration /
//! holdout split of a transaction file and save it with its transaction model; score every
//! customer of a (possibly newer) transaction file with a saved churn model.

use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::ValueEnum;
use clv::churn::from_summary;
use clv::churn::jobs::{self, TrainingRequest, score_churn};
use clv::churn::model_file::{ChurnModelFile, train_churn_model};
use clv::churn::{ChurnCustomer, ClassWeights};
use clv::features::{Summary, SummaryOptions, TimeUnit};
use clv::io::{OutputUnits, churn_score_columns, churn_scores_table, write_churn_scores_csv};
use clv::models::{Family, ModelKind};
use clv::report::text::{coefficient_rows, describe_params};

use crate::assumptions::{horizon_in_model_units, table_meta};
use crate::common::{self, ChurnScoringArgs, CurrencyArgs, TransactionArgs, Ui};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Train(TrainArgs),
    Score(ScoreArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClassWeightsArg {
    /// Every customer counts once.
    None,
    /// Each class carries half the total weight.
    Balanced,
}

/// Settings shared by `churn train` and `evaluate`: data, split date, window and classifier.
#[derive(Debug, Clone, clap::Args)]
pub struct TrainingArgs {
    #[command(flatten)]
    pub transactions: TransactionArgs,
    /// Time unit of recency, age and the window.
    #[arg(long, default_value = "week")]
    pub unit: TimeUnit,
    /// Last day of the calibration period (inclusive); the churn labels come from the
    /// purchases after it.
    #[arg(long, value_parser = common::parse_date, value_name = "DATE")]
    pub calibration_end: NaiveDate,
    /// Churn window after the calibration end, in units (default: the whole holdout).
    #[arg(long, alias = "window", value_name = "N")]
    pub churn_window: Option<f64>,
    /// Transaction model whose predictions are classifier features.
    #[arg(long, default_value = "bgnbd", value_parser = common::model_kind_parser(&[Family::Transaction]))]
    pub transaction_model: ModelKind,
    /// Extra columns of the transaction file to use as covariates: NAME, NAME:numeric or
    /// NAME:categorical (default kind: numeric when every value is a number).
    #[arg(long, value_delimiter = ',', value_name = "COL,COL")]
    pub covariates: Vec<String>,
    /// Class weights of the training loss.
    #[arg(long, value_enum, default_value = "none")]
    pub class_weights: ClassWeightsArg,
    /// L2 penalty on the standardised coefficients (`--penalty`, as in `clv fit` and `clv train`).
    #[arg(long, alias = "l2", default_value_t = 1.0, value_name = "ALPHA")]
    pub penalty: f64,
    /// Seed of the train / test split and of class-weight replication.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Train the churn classifier and save it with its transaction model.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  clv churn train --input orders.csv --unit week --calibration-end 1997-09-30 --churn-window 39 \\
      --covariates channel,score --class-weights balanced --output churn.json

A customer churned when they made no purchase in the window after the calibration end. The
classifier is trained on every customer; `clv evaluate` reports held-out metrics.")]
pub struct TrainArgs {
    #[command(flatten)]
    pub training: TrainingArgs,
    /// Churn model file to write (JSON).
    #[arg(long, short = 'o', value_name = "FILE.json")]
    pub output: PathBuf,
}

/// Score every customer with a saved churn model.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  clv churn score --model churn.json --input orders.csv --observation-end 1998-06-30 \\
      --output churn_scores.csv

Summarizes the whole history up to the observation end. Columns: customer_id,
churn_probability, p_alive, p_no_purchase_if_alive, expected_purchases_window, total_spend;
highest churn probability first, ties by customer id. Churn = no purchase in the window, so a
customer surely alive who buys rarely can be likely to churn: p_no_purchase_if_alive is
P(no purchase in the window | alive), from the transaction model. With --output FILE the
sidecar FILE.meta.json states the window (the horizon), the threshold, the observation end,
the model, the currency of total_spend and every column's unit.")]
pub struct ScoreArgs {
    #[command(flatten)]
    pub scoring: ChurnScoringArgs,
    #[command(flatten)]
    pub currency: CurrencyArgs,
    /// Output file, Parquet when it ends in `.parquet`, else CSV (default: CSV on stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(cmd: Command, ui: &Ui) -> anyhow::Result<()> {
    match cmd {
        Command::Train(a) => run_train(a, ui),
        Command::Score(a) => run_score(a, ui),
    }
}

/// Everything training and evaluation start from: the summary and the library's preparation.
pub struct Prepared {
    pub summary: Summary,
    pub prepared: jobs::Prepared,
}

/// Summarizes the calibration / holdout split (printing the row counts) and prepares the
/// classifier's inputs and transaction model.
pub fn prepare(
    args: &TrainingArgs,
    output_path: Option<&std::path::Path>,
    ui: &Ui,
) -> anyhow::Result<Prepared> {
    let opts = SummaryOptions {
        unit: args.unit,
        calibration_end: Some(args.calibration_end),
        keep_purchase_times: true,
        ..Default::default()
    };
    let summary = common::load_summary(&args.transactions, opts, output_path, ui)?;
    let request = TrainingRequest {
        transaction_model: args.transaction_model,
        window: args.churn_window,
        covariates: args.covariates.clone(),
        class_weights: match args.class_weights {
            ClassWeightsArg::None => ClassWeights::None,
            ClassWeightsArg::Balanced => ClassWeights::Balanced,
        },
        l2: args.penalty,
        seed: args.seed,
    };
    let prepared = jobs::prepare(&summary, &request)?;
    for w in &prepared.saved_model.fit.warnings {
        ui.warn(format!("{}: {w}", prepared.saved_model.model));
    }
    Ok(Prepared { summary, prepared })
}

fn run_train(args: TrainArgs, ui: &Ui) -> anyhow::Result<()> {
    args.training
        .transactions
        .check_paths(Some(&args.output), &[])?;
    let Prepared { summary, prepared } = prepare(&args.training, Some(&args.output), ui)?;
    let file = train_churn_model(&summary, &prepared.saved_model, prepared.settings)?;
    let metrics = &file.training.metrics;
    outln!(
        "churn classifier trained on {} customers; churn rate {:.1}% (no purchase in the {} {}s after {})",
        file.training.customers,
        100.0 * metrics.churn_rate,
        file.settings.window,
        summary.unit,
        args.training.calibration_end
    );
    outln!(
        "transaction model: {}",
        describe_params(&file.transaction_model)
    );
    outln!(
        "in-sample: ROC AUC {:.4}, Brier {:.4}, log loss {:.4} (held-out numbers: clv evaluate)\n",
        metrics.roc_auc,
        metrics.brier,
        metrics.log_loss
    );
    outln!("strongest features (coefficients of standardised features):");
    out!(
        "{}",
        common::table(
            &["feature", "coefficient", "effect"],
            &coefficient_rows(
                file.classifier.feature_names(),
                file.classifier.coefficients(),
                10
            )
        )
    );
    for w in &file.training.warnings {
        ui.warn(w);
    }
    file.save(&args.output)
        .with_context(|| format!("saving {}", args.output.display()))?;
    ui.info(format!("churn model written to {}", args.output.display()));
    Ok(())
}

/// A loaded churn model with the customers of a transaction file summarized in its unit.
pub struct Scoring {
    pub file: ChurnModelFile,
    pub summary: Summary,
    pub customers: Vec<ChurnCustomer>,
}

/// Loads the churn model (checking the unit when one is asked for) and summarizes the whole
/// history of the transactions in the model's unit, with the model's covariates.
pub fn load_for_scoring(
    args: &ChurnScoringArgs,
    output_path: Option<&std::path::Path>,
    ui: &Ui,
) -> anyhow::Result<Scoring> {
    let file = clv::predict::bundle::load_churn_model(&args.model, args.unit)?;
    // A file whose model is not a transaction model fails before the data are read.
    file.transaction_model()?;
    let opts = SummaryOptions {
        unit: file.unit()?,
        keep_purchase_times: true,
        ..Default::default()
    };
    let summary = common::load_summary(&args.transactions, opts, output_path, ui)?;
    let customers = from_summary::churn_customers(&summary, &file.settings.covariates)?;
    Ok(Scoring {
        file,
        summary,
        customers,
    })
}

fn run_score(args: ScoreArgs, ui: &Ui) -> anyhow::Result<()> {
    args.scoring.check_paths(args.output.as_deref(), &[])?;
    let s = load_for_scoring(&args.scoring, args.output.as_deref(), ui)?;
    let scores = score_churn(&s.file, &s.customers)?;
    crate::common::write_result(
        args.output.as_deref(),
        |out| write_churn_scores_csv(out, &scores),
        || churn_scores_table(&scores),
    )?;
    let settings = &s.file.settings;
    let units = OutputUnits {
        time: s.summary.unit,
        currency: args.currency.currency.clone(),
    };
    let model = s.file.transaction_model.model.clone();
    let mut meta = table_meta(
        "clv churn score",
        &units,
        &churn_score_columns(),
        Some((&model, &args.scoring.model)),
    );
    meta.horizon = Some(horizon_in_model_units(settings.window, &s.file.time_unit));
    meta.settings
        .insert("churn_window".into(), settings.window.into());
    meta.settings
        .insert("threshold".into(), settings.threshold.into());
    meta.settings.insert(
        "observation_end".into(),
        s.summary.observation_end.to_string().into(),
    );
    meta.totals
        .insert("customers".into(), s.customers.len() as f64);
    let likely = scores
        .iter()
        .filter(|c| c.churn_probability >= s.file.settings.threshold)
        .count();
    meta.totals.insert("likely_to_churn".into(), likely as f64);
    common::write_sidecar(args.output.as_deref(), &meta)?;
    ui.info(format!(
        "scored {} customers up to {}: {likely} with churn probability >= {} in the next {} {}s",
        s.customers.len(),
        s.summary.observation_end,
        s.file.settings.threshold,
        s.file.settings.window,
        s.file.time_unit
    ));
    Ok(())
}
