//! `clv churn train` and `clv churn score`: train the churn classifier on a calibration /
//! holdout split of a transaction file and save it with its transaction model; score every
//! customer of a (possibly newer) transaction file with a saved churn model.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::ValueEnum;
use clv::churn::data::check_classes;
use clv::churn::from_summary::{self, check_window, holdout_length};
use clv::churn::model_file::{ChurnModelFile, train_churn_model};
use clv::churn::{ChurnCustomer, ChurnSettings, ClassWeights, churn_labels};
use clv::features::{Summary, SummaryOptions, TimeUnit};
use clv::models::saved::SavedModel;
use clv::models::{
    AnyModel, Family, FitData, FitOptions, ModelKind, RfmData, TransactionModel, registry,
};

use crate::common::{self, ChurnScoringArgs, TransactionArgs, Ui, output};

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
    #[arg(long, value_name = "N")]
    pub window: Option<f64>,
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
    /// L2 penalty on the standardised coefficients.
    #[arg(long = "l2", default_value_t = 1.0, value_name = "ALPHA")]
    pub l2: f64,
    /// Seed of the train / test split and of class-weight replication.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Train the churn classifier and save it with its transaction model.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  clv churn train --input orders.csv --unit week --calibration-end 1997-09-30 --window 39 \\
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
churn_probability, p_alive, expected_purchases_window, total_spend; highest churn
probability first, ties by customer id.")]
pub struct ScoreArgs {
    #[command(flatten)]
    pub scoring: ChurnScoringArgs,
    /// CSV output (default: stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(cmd: Command, ui: &Ui) -> anyhow::Result<()> {
    match cmd {
        Command::Train(a) => run_train(a, ui),
        Command::Score(a) => run_score(a, ui),
    }
}

/// Everything training and evaluation start from.
pub struct Prepared {
    pub summary: Summary,
    pub customers: Vec<ChurnCustomer>,
    pub settings: ChurnSettings,
    /// The fitted transaction model as saved (what a model file holds).
    pub saved_model: SavedModel,
    /// The same model, rebuilt from `saved_model` so that scoring after a reload is identical.
    pub model: AnyModel,
}

impl Prepared {
    pub fn transaction_model(&self) -> anyhow::Result<&dyn TransactionModel> {
        self.model
            .as_transaction_model()
            .ok_or_else(|| anyhow::anyhow!("{} is not a transaction model", self.saved_model.model))
    }
}

/// Summarizes the calibration / holdout split, checks the window, builds the classifier
/// inputs and fits the transaction model on the calibration summary.
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
    let holdout = holdout_length(&summary)?;
    let window = args.window.unwrap_or(holdout);
    check_window(window, holdout, args.unit.name())?;
    if !(args.l2.is_finite() && args.l2 >= 0.0) {
        anyhow::bail!("--l2 must be a number >= 0, got {}", args.l2);
    }
    let covariates = from_summary::covariate_specs(&summary, &args.covariates)?;
    let customers = from_summary::churn_customers(&summary, &covariates)?;
    // Labels are checked before the (slower) model fit, so bad data fails fast.
    let (labels, _) = churn_labels(&customers, window)?;
    check_classes(&labels, "training data")?;
    let settings = ChurnSettings {
        covariates,
        l2_alpha: args.l2,
        class_weights: match args.class_weights {
            ClassWeightsArg::None => ClassWeights::None,
            ClassWeightsArg::Balanced => ClassWeights::Balanced,
        },
        seed: args.seed,
        ..ChurnSettings::new(window)
    };
    settings.validate()?;
    let data = from_summary::rfm_data(&summary)?;
    let saved_model = fit_transaction_model(args.transaction_model, &data, summary.unit)?;
    for w in &saved_model.fit.warnings {
        ui.warn(format!("{}: {w}", saved_model.model));
    }
    let model = saved_model.reloaded_model()?;
    Ok(Prepared {
        summary,
        customers,
        settings,
        saved_model,
        model,
    })
}

/// Fits the chosen transaction model on calibration data.
pub fn fit_transaction_model(
    kind: ModelKind,
    data: &RfmData,
    unit: TimeUnit,
) -> anyhow::Result<SavedModel> {
    let fitted = registry::fit(
        kind,
        FitData::Transaction(data),
        &FitOptions::default(),
        unit.name(),
    )
    .with_context(|| format!("fitting {kind}"))?;
    Ok(fitted.saved)
}

/// The parameters of a fitted model on one line.
pub fn describe_params(saved: &SavedModel) -> String {
    let params: Vec<String> = saved
        .fit
        .param_names
        .iter()
        .zip(&saved.fit.estimates)
        .map(|(n, v)| format!("{n}={v:.4}"))
        .collect();
    format!(
        "{} on {} customers: {} (log-likelihood {:.2})",
        saved.model,
        saved.n,
        params.join(", "),
        saved.log_likelihood
    )
}

/// The strongest `k` coefficients, by absolute size, as table rows.
pub fn coefficient_rows(names: &[String], coefficients: &[f64], k: usize) -> Vec<Vec<String>> {
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|&a, &b| {
        coefficients[b]
            .abs()
            .total_cmp(&coefficients[a].abs())
            .then_with(|| names[a].cmp(&names[b]))
    });
    order
        .into_iter()
        .take(k)
        .map(|j| {
            let effect = if coefficients[j] > 0.0 {
                "raises churn"
            } else {
                "lowers churn"
            };
            vec![
                names[j].clone(),
                format!("{:+.4}", coefficients[j]),
                effect.to_string(),
            ]
        })
        .collect()
}

fn run_train(args: TrainArgs, ui: &Ui) -> anyhow::Result<()> {
    let p = prepare(&args.training, Some(&args.output), ui)?;
    let file = train_churn_model(&p.summary, &p.saved_model, p.settings)?;
    let metrics = &file.training.metrics;
    println!(
        "churn classifier trained on {} customers; churn rate {:.1}% (no purchase in the {} {}s after {})",
        file.training.customers,
        100.0 * metrics.churn_rate,
        file.settings.window,
        p.summary.unit,
        args.training.calibration_end
    );
    println!(
        "transaction model: {}",
        describe_params(&file.transaction_model)
    );
    println!(
        "in-sample: ROC AUC {:.4}, Brier {:.4}, log loss {:.4} (held-out numbers: clv evaluate)\n",
        metrics.roc_auc, metrics.brier, metrics.log_loss
    );
    println!("strongest features (coefficients of standardised features):");
    print!(
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
    pub model: AnyModel,
    pub summary: Summary,
    pub customers: Vec<ChurnCustomer>,
}

impl Scoring {
    pub fn transaction_model(&self) -> anyhow::Result<&dyn TransactionModel> {
        self.model.as_transaction_model().ok_or_else(|| {
            anyhow::anyhow!(
                "{} is not a transaction model",
                self.file.transaction_model.model
            )
        })
    }
}

/// A churn model from a churn model file or from a bundle written by `clv train`.
pub fn load_churn_model(
    path: &std::path::Path,
    unit: Option<TimeUnit>,
) -> anyhow::Result<ChurnModelFile> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let is_bundle = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("format")
                .and_then(|f| f.as_str())
                .map(|f| f == clv::predict::bundle::BUNDLE_FORMAT)
        })
        .unwrap_or(false);
    if !is_bundle {
        return Ok(ChurnModelFile::load(path, unit)?);
    }
    let bundle = clv::predict::Bundle::load(path)?;
    if let Some(u) = unit {
        bundle.check_unit(u.name(), path)?;
    }
    bundle.churn.ok_or_else(|| {
        anyhow::anyhow!(
            "{}: this bundle has no churn classifier (train it with --calibration-end so that churn can be labelled)",
            path.display()
        )
    })
}

/// Loads the churn model (checking the unit when one is asked for) and summarizes the whole
/// history of the transactions in the model's unit, with the model's covariates.
pub fn load_for_scoring(
    args: &ChurnScoringArgs,
    output_path: Option<&std::path::Path>,
    ui: &Ui,
) -> anyhow::Result<Scoring> {
    let file = load_churn_model(&args.model, args.unit)?;
    let model = file.transaction_model()?;
    let opts = SummaryOptions {
        unit: file.unit()?,
        keep_purchase_times: true,
        ..Default::default()
    };
    let summary = common::load_summary(&args.transactions, opts, output_path, ui)?;
    let customers = from_summary::churn_customers(&summary, &file.settings.covariates)?;
    Ok(Scoring {
        file,
        model,
        summary,
        customers,
    })
}

fn run_score(args: ScoreArgs, ui: &Ui) -> anyhow::Result<()> {
    let s = load_for_scoring(&args.scoring, args.output.as_deref(), ui)?;
    let model = s.transaction_model()?;
    let probs = s.file.classifier.predict_proba(&s.customers, model)?;
    let window = s.file.settings.window;
    let mut order: Vec<usize> = (0..s.customers.len()).collect();
    // Ties by id, in the same (plain text) order as the at-risk list.
    order.sort_by(|&a, &b| {
        probs[b]
            .total_cmp(&probs[a])
            .then_with(|| s.customers[a].customer_id.cmp(&s.customers[b].customer_id))
    });
    let mut out = output(args.output.as_deref())?;
    writeln!(
        out,
        "customer_id,churn_probability,p_alive,expected_purchases_window,total_spend"
    )?;
    for &i in &order {
        let c = &s.customers[i];
        let p_alive = model.p_alive(c.frequency, c.recency, c.t);
        let expected = model.expected_purchases(window, c.frequency, c.recency, c.t);
        if !(p_alive.is_finite() && expected.is_finite()) {
            anyhow::bail!(
                "customer '{}': the transaction model gave P(alive) {p_alive}, expected purchases {expected}",
                c.customer_id
            );
        }
        writeln!(
            out,
            "{},{},{},{},{}",
            c.customer_id, probs[i], p_alive, expected, c.total_spend
        )?;
    }
    out.flush()?;
    let likely = probs
        .iter()
        .filter(|&&p| p >= s.file.settings.threshold)
        .count();
    ui.info(format!(
        "scored {} customers up to {}: {likely} with churn probability >= {} in the next {} {}s",
        s.customers.len(),
        s.summary.observation_end,
        s.file.settings.threshold,
        window,
        s.file.time_unit
    ));
    Ok(())
}
