//! `clv train`: fits the transaction model (given or chosen by the best holdout fit), the
//! Gamma-Gamma spend model and the covariate model for new customers in one go, and writes the
//! model bundle.

use std::path::PathBuf;

use anyhow::Context;
use clv::features::covariates::read_attributes_csv;
use clv::features::{SummaryOptions, TimeUnit};
use clv::models::FitOptions;
use clv::predict::train::{ModelChoice, TrainSettings, train};

use crate::common::{self, TransactionArgs, Ui, table};
use clv::report::text::{candidates_table, describe_fit};

/// Train the model bundle on historical orders.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  clv train --transactions data/demo_transactions.csv --unit week --calibration-end 2025-01-26 \\
      --output models/demo.json

With --calibration-end the models are fitted on the calibration period and the holdout picks
the transaction model (--model auto). Extra columns of the transactions (channel, campaign …)
become covariates for scoring new customers only when --covariates COL,COL names them; or give
them per customer with --covariates-file FILE.")]
pub struct Args {
    #[command(flatten)]
    pub input: TransactionArgs,
    /// Time unit of the models.
    #[arg(long, default_value = "week")]
    pub unit: TimeUnit,
    /// Last day of the calibration period (inclusive); the rest is the holdout.
    #[arg(long, value_parser = common::date_arg, value_name = "DATE")]
    pub calibration_end: Option<common::DateArg>,
    /// Transaction model.
    #[arg(long, default_value = "auto", value_parser = common::model_choice_parser())]
    pub model: ModelChoice,
    /// Per-customer attributes CSV (customer_id plus one column per attribute), instead of the
    /// transactions' extra columns; all its columns are covariates unless --covariates names
    /// some.
    #[arg(long, value_name = "FILE")]
    pub covariates_file: Option<PathBuf>,
    /// Attribute columns to use as covariates (as `clv churn train --covariates`). Without it
    /// (and without --covariates-file) the bundle has no covariates: extra columns of the
    /// transactions are never used unless named here.
    #[arg(
        long,
        alias = "covariate-columns",
        value_delimiter = ',',
        value_name = "COL,COL"
    )]
    pub covariates: Option<Vec<String>>,
    /// No covariates at all (the default unless --covariates or --covariates-file is given).
    #[arg(long, conflicts_with_all = ["covariates", "covariates_file"])]
    pub no_covariates: bool,
    /// L2 penalty on the parameters.
    #[arg(long, default_value_t = 0.0)]
    pub penalty: f64,
    /// Bundle file to write.
    #[arg(long, short = 'o', value_name = "FILE.json")]
    pub output: PathBuf,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    args.input.check_paths(
        Some(&args.output),
        &[("--covariates-file", args.covariates_file.as_deref())],
    )?;
    let opts = SummaryOptions {
        unit: args.unit,
        calibration_end: args
            .input
            .optional_date("--calibration-end", args.calibration_end.as_ref())?,
        keep_purchase_times: true,
        ..Default::default()
    };
    let (summary, accounting) =
        common::load_summary_with_accounting(&args.input, opts, Some(&args.output), ui)?;
    let attributes = args
        .covariates_file
        .as_deref()
        .map(read_attributes_csv)
        .transpose()?;
    let settings = TrainSettings {
        model: args.model,
        // Covariates only when asked for: named columns, or every column of an attributes file.
        covariates: match (&args.covariates, &args.covariates_file) {
            _ if args.no_covariates => Some(vec![]),
            (Some(cols), _) => Some(cols.clone()),
            (None, Some(_)) => None,
            (None, None) => Some(vec![]),
        },
        fit: FitOptions {
            penalty: args.penalty,
            ..Default::default()
        },
    };
    let source = args
        .input
        .input
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let bundle = train(
        &summary,
        &accounting,
        &source,
        attributes.as_ref(),
        &settings,
    )?;

    let s = &bundle.selection;
    outln!(
        "trained on {} customers (time unit: {}; calibration to {}{})\n",
        bundle.training.customers,
        bundle.time_unit,
        summary.calibration_period_end(),
        if summary.calibration_end.is_some() {
            format!(", holdout to {}", summary.observation_end)
        } else {
            String::new()
        }
    );
    outln!("{}", candidates_table(s));
    outln!("chosen: {} ({})", s.chosen, s.rule);
    if !s.reason.is_empty() && s.reason != s.rule {
        outln!("why: {}", s.reason);
    }
    if bundle.calibration_model.is_some() {
        outln!(
            "scoring uses {} refitted on the full history (calibration + holdout)",
            s.chosen
        );
    }
    outln!();
    outln!("{}\n", describe_fit(&bundle.transaction_model));
    outln!("{}\n", describe_fit(&bundle.spend_model));
    if let Some(cov) = &bundle.covariates {
        let r = &cov.fit;
        let rows: Vec<Vec<String>> = (0..r.param_names.len())
            .map(|i| {
                vec![
                    r.param_names[i].clone(),
                    format!("{:.4}", r.estimates[i]),
                    r.std_errors[i].map_or("n/a".into(), |v| format!("{v:.4}")),
                ]
            })
            .collect();
        outln!(
            "covariate model ({} base; positive purchase:* = buys more often, positive dropout:* = leaves sooner)",
            cov.base_model
        );
        outln!(
            "{}\n",
            table(&["parameter", "estimate", "std. error"], &rows)
        );
    }
    if !bundle.spend_by_group.is_empty() {
        let rows: Vec<Vec<String>> = bundle
            .spend_by_group
            .iter()
            .map(|(g, v)| {
                vec![
                    g.clone(),
                    v.customers.to_string(),
                    format!("{:.2}", v.mean_order_value),
                    format!("{:.2}", v.mean_first_order_value),
                    if v.own_fit { "own" } else { "overall" }.into(),
                ]
            })
            .collect();
        outln!(
            "{}\n",
            table(
                &[
                    "group",
                    "customers",
                    "repeat order value",
                    "first order value",
                    "spend fit"
                ],
                &rows
            )
        );
    }
    for w in &bundle.warnings {
        ui.warn(w);
    }
    bundle
        .save(&args.output)
        .with_context(|| format!("saving {}", args.output.display()))?;
    ui.info(format!("bundle written to {}", args.output.display()));
    Ok(())
}
