//! `clv fit`: fits one model by maximum likelihood, prints the parameter table and
//! diagnostics, and writes a versioned model file.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clv::features::{SummaryOptions, SummaryTable, TimeUnit, read_summary_file};
use clv::models::data::read_bgbb_csv;
use clv::models::{
    Family, FitData, FitOptions, FittedModel, ModelKind, RepeatSpendData, SurvivorData,
    log_likelihood_at, registry,
};
use clv::report::text::{describe_fit, describe_log_likelihood};

use crate::common::{self, TransactionArgs, Ui};

/// Fit a model by maximum likelihood and save it.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  clv fit --summary summary.csv --model bgnbd --output models/bgnbd.json
  clv fit --input orders.csv --unit week --calibration-end 1997-09-30 --model pnbd
  clv fit --summary donations.csv --model bgbb        (columns frequency,recency,periods,weights)
  clv fit --model sbg --survivors 1000,869,743,653,593,551,517,491
  clv fit --summary summary.csv --model bgnbd --at-params 0.2426,4.4136,0.7929,2.4259
      (the log-likelihood at given parameters, no fit)")]
pub struct Args {
    /// Model to fit.
    #[arg(long, value_parser = common::model_kind_parser(ALL_FAMILIES))]
    pub model: ModelKind,
    /// Summary CSV as written by `clv summarize` (frequency,recency,T,monetary_value; an
    /// optional `weights` column counts identical customers).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["input", "survivors"])]
    pub summary: Option<PathBuf>,
    /// Or a transaction file, summarized on the way (same flags as `clv summarize`).
    #[command(flatten)]
    pub transactions: TransactionArgs,
    /// Time unit: of the summary file (recorded in the model), or to summarize transactions in.
    #[arg(long, default_value = "week")]
    pub unit: TimeUnit,
    /// With transactions: fit on the calibration period ending on this date (inclusive).
    #[arg(long, value_parser = common::date_arg, value_name = "DATE")]
    pub calibration_end: Option<common::DateArg>,
    /// sBG: customers still active at the start of each period, cohort size first.
    #[arg(long, value_delimiter = ',', value_name = "N,N,...")]
    pub survivors: Option<Vec<f64>>,
    /// Instead of fitting: the log-likelihood of the data at these parameters (in the order
    /// of the fit's table, e.g. r,alpha,a,b for bgnbd); nothing is written.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "P,P,...",
        allow_hyphen_values = true,
        conflicts_with = "output"
    )]
    pub at_params: Option<Vec<f64>>,
    /// L2 penalty on the parameters (0 = plain maximum likelihood).
    #[arg(long, default_value_t = 0.0)]
    pub penalty: f64,
    /// Model file to write (JSON).
    #[arg(long, short = 'o', value_name = "FILE.json")]
    pub output: Option<PathBuf>,
}

/// Every family: `clv fit` fits any model of the registry.
const ALL_FAMILIES: &[Family] = &[
    Family::Transaction,
    Family::Discrete,
    Family::Spend,
    Family::Retention,
];

fn summary_table(args: &Args, ui: &Ui) -> anyhow::Result<(SummaryTable, String)> {
    if let Some(path) = &args.summary {
        let table = read_summary_file(path)?;
        ui.info(format!(
            "read {} customers from {}",
            table.len(),
            path.display()
        ));
        return Ok((table, args.unit.name().to_string()));
    }
    let tx = &args.transactions;
    if tx.input.is_none() {
        bail!("give --summary FILE or --input TRANSACTIONS (or --survivors for sbg)");
    }
    let opts = SummaryOptions {
        unit: args.unit,
        calibration_end: args
            .transactions
            .optional_date("--calibration-end", args.calibration_end.as_ref())?,
        ..Default::default()
    };
    let summary = common::load_summary(tx, opts, None, ui)?;
    let c = &summary.customers;
    let table = SummaryTable {
        customer_id: c.iter().map(|c| c.customer_id.clone()).collect(),
        frequency: c.iter().map(|c| c.frequency).collect(),
        recency: c.iter().map(|c| c.recency).collect(),
        t: c.iter().map(|c| c.t).collect(),
        monetary_value: c.iter().map(|c| c.monetary_value).collect(),
        ..Default::default()
    };
    Ok((table, summary.unit.name().to_string()))
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    args.transactions.check_paths(
        args.output.as_deref(),
        &[("--summary", args.summary.as_deref())],
    )?;
    let options = FitOptions {
        penalty: args.penalty,
        ..Default::default()
    };
    let kind = args.model;
    // Fits, or with --at-params evaluates the log-likelihood and prints it (None).
    let fit_or_evaluate = |data: FitData<'_>, unit: &str| -> anyhow::Result<Option<FittedModel>> {
        let Some(params) = &args.at_params else {
            return Ok(Some(registry::fit(kind, data, &options, unit)?));
        };
        let ll = log_likelihood_at(kind, params, data)?;
        outln!(
            "{}",
            describe_log_likelihood(
                kind.name(),
                kind.param_names(),
                params,
                data.customers(),
                ll
            )
        );
        Ok(None)
    };
    let fitted = match kind.family() {
        Family::Retention => {
            let Some(s) = &args.survivors else {
                bail!(
                    "{kind} needs --survivors N,N,... (customers active at the start of each period)"
                );
            };
            let data = SurvivorData::new(s)?;
            fit_or_evaluate(FitData::Retention(&data), "period")?
        }
        Family::Discrete => {
            let Some(path) = &args.summary else {
                bail!(
                    "{kind} needs --summary FILE with columns frequency,recency,periods[,weights]"
                );
            };
            let data = read_bgbb_csv(path)?;
            fit_or_evaluate(FitData::Discrete(&data), "period")?
        }
        Family::Transaction => {
            let (table, unit) = summary_table(&args, ui)?;
            let data = clv::models::RfmData::from_summary_table(&table)?;
            fit_or_evaluate(FitData::Transaction(&data), &unit)?
        }
        Family::Spend => {
            let (table, unit) = summary_table(&args, ui)?;
            let (data, left_out) = RepeatSpendData::new(
                &table.frequency,
                &table.monetary_value,
                table.weights.as_deref(),
            )?;
            ui.info(format!(
                "{kind}: {} repeat buyers used, {left_out} customers without repeat spend left out",
                data.x.len()
            ));
            fit_or_evaluate(FitData::Spend(&data), &unit)?
        }
    };
    let Some(fitted) = fitted else {
        return Ok(());
    };
    let saved = fitted.saved;
    outln!("{}", describe_fit(&saved));
    for w in &saved.fit.warnings {
        ui.warn(w);
    }
    match &args.output {
        Some(path) => {
            saved
                .save(path)
                .with_context(|| format!("saving {}", path.display()))?;
            ui.info(format!("model written to {}", path.display()));
        }
        None => ui.info("model not saved (use --output FILE.json)"),
    }
    Ok(())
}
