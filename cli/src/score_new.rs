//! `clv score-new`: expected CLV of new or prospective customers from their acquisition
//! attributes, the maximum affordable acquisition cost at a target LTV:CAC ratio, and the
//! budget table by attribute.

use std::path::PathBuf;

use clv::features::format_number;
use clv::io::units::round_to_cents;
use clv::io::{
    OutputUnits, budget_columns, prospect_columns, prospect_scores_table, write_budget_csv,
    write_prospect_scores_csv,
};
use clv::predict::Bundle;
use clv::predict::prospects::{bundle_budget_table, read_prospects_csv, score_prospects};

use crate::common::{self, ClvArgs, CurrencyArgs, Ui, table};

/// Score new customers by acquisition attributes, for ad budgets.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  clv score-new --model models/demo.json --prospects prospects.csv --target-ltv-cac 3 \\
      --horizon 52 --margin 0.30 --output prospects_scored.csv

The prospects file has one row per prospect (or per segment, with a `count` column), with the
attribute columns the bundle's covariates use (e.g. channel, score) and optionally
first_order_value. CLV = first order x margin + discounted repeat purchases x expected order
value x margin; max CAC = CLV / target LTV:CAC. Columns (--currency USD): the attribute
columns, expected_repeat_purchases,expected_order_value_usd,first_order_value_usd,clv_usd,
max_cac_usd; money rounded to cents. --budget-output FILE writes the budget table
(group,prospects,mean_clv_usd,max_cac_usd,budget_usd). Each output file gets a sidecar
FILE.meta.json with the assumptions (horizon, discount rate, margin, currency, model, target
LTV:CAC) and the columns' units.")]
pub struct Args {
    /// Model bundle written by `clv train`.
    #[arg(long, value_name = "BUNDLE.json")]
    pub model: PathBuf,
    /// Prospects CSV.
    #[arg(long, value_name = "FILE")]
    pub prospects: PathBuf,
    /// Target ratio of lifetime value to acquisition cost (3:1 is the usual target).
    #[arg(long, default_value_t = 3.0)]
    pub target_ltv_cac: f64,
    #[command(flatten)]
    pub clv: ClvArgs,
    #[command(flatten)]
    pub currency: CurrencyArgs,
    /// Output per prospect, Parquet when it ends in `.parquet`, else CSV (default: stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The budget table (overall and per attribute level) as CSV.
    #[arg(long, value_name = "FILE")]
    pub budget_output: Option<PathBuf>,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    crate::common::distinct_paths(&[
        ("--model", Some(args.model.as_path())),
        ("--prospects", Some(args.prospects.as_path())),
        ("--output", args.output.as_deref()),
        ("--budget-output", args.budget_output.as_deref()),
    ])?;
    let bundle = Bundle::load(&args.model)?;
    let (unit, settings) = args.clv.settings(&bundle, &args.model)?;
    let prospects = read_prospects_csv(&args.prospects)?;
    let scores = score_prospects(&bundle, &prospects, &settings, args.target_ltv_cac)?;
    let units = OutputUnits {
        time: unit,
        currency: args.currency.currency.clone(),
    };
    let intervals = false;
    crate::common::write_result(
        args.output.as_deref(),
        |out| write_prospect_scores_csv(out, &prospects, &scores, &units, intervals),
        || prospect_scores_table(&prospects, &scores, &units, intervals),
    )?;
    let budget = bundle_budget_table(&bundle, &prospects, &scores);
    let meta = |columns: &[clv::io::ColumnSpec]| {
        let mut meta = args.clv.meta(
            "clv score-new",
            &bundle,
            &args.model,
            &settings,
            &units,
            columns,
        );
        meta.settings
            .insert("target_ltv_cac".into(), args.target_ltv_cac.into());
        meta.settings
            .insert("covariates".into(), bundle.covariates.is_some().into());
        let all = &budget[0];
        meta.totals.insert("prospects".into(), all.prospects);
        meta.totals
            .insert(units.money_column("mean_clv"), round_to_cents(all.mean_clv));
        meta.totals.insert(
            units.money_column("budget"),
            round_to_cents(all.total_budget),
        );
        meta
    };
    if let Some(path) = &args.output {
        let names: Vec<&str> = prospects
            .columns
            .iter()
            .map(String::as_str)
            .filter(|c| *c != "first_order_value")
            .collect();
        common::write_sidecar(
            Some(path),
            &meta(&prospect_columns(&names, &units, intervals)),
        )?;
    }
    if let Some(path) = &args.budget_output {
        let mut out = common::output(Some(path))?;
        write_budget_csv(&mut out, &budget, &units)?;
        out.finish()?;
        common::write_sidecar(Some(path), &meta(&budget_columns(&units)))?;
    }
    let rows: Vec<Vec<String>> = budget
        .iter()
        .map(|b| {
            vec![
                b.group.clone(),
                format_number(b.prospects),
                format!("{:.2}", b.mean_clv),
                format!("{:.2}", b.max_cac),
                format!("{:.2}", b.total_budget),
            ]
        })
        .collect();
    let text = format!(
        "new-customer CLV over {} {}s at LTV:CAC {}:1, margin {}{} ({})\n{}",
        format_number(settings.horizon),
        bundle.time_unit,
        args.target_ltv_cac,
        settings.margin,
        if settings.margin == 1.0 {
            " (CLV is revenue)"
        } else {
            ""
        },
        if bundle.covariates.is_some() {
            "by acquisition attributes, covariate model"
        } else {
            "no covariates in the bundle: one value for everyone"
        },
        table(
            &[
                "group",
                "prospects",
                &format!("expected CLV ({})", units.currency),
                &format!("max CAC ({})", units.currency),
                &format!("budget ({})", units.currency),
            ],
            &rows
        )
    );
    if args.output.is_some() {
        ui.info(text);
    } else {
        ui.text(text);
    }
    Ok(())
}
