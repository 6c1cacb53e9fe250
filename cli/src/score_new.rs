//! `clv score-new`: expected CLV of new or prospective customers from their acquisition
//! attributes, the maximum affordable acquisition cost at a target LTV:CAC ratio, and the
//! budget table by attribute.

use std::path::PathBuf;

use clv::features::covariates::ColumnEncoding;
use clv::features::format_number;
use clv::io::{prospect_scores_table, write_prospect_scores_csv};
use clv::predict::Bundle;
use clv::predict::prospects::{budget_table, read_prospects_csv, score_prospects};

use crate::common::{ClvArgs, Ui, table};

/// Score new customers by acquisition attributes, for ad budgets.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  clv score-new --model models/demo.json --prospects prospects.csv --target-ltv-cac 3 \\
      --horizon 52 --margin 0.30 --output prospects_scored.csv

The prospects file has one row per prospect (or per segment, with a `count` column), with the
attribute columns the bundle's covariates use (e.g. channel, score) and optionally
first_order_value. CLV = first order x margin + discounted repeat purchases x expected order
value x margin; max CAC = CLV / target LTV:CAC.")]
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
    /// Output per prospect, Parquet when it ends in `.parquet`, else CSV (default: stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    crate::common::distinct_paths(&[
        ("--model", Some(args.model.as_path())),
        ("--prospects", Some(args.prospects.as_path())),
        ("--output", args.output.as_deref()),
    ])?;
    let bundle = Bundle::load(&args.model)?;
    let (_, settings) = args.clv.settings(&bundle, &args.model)?;
    let prospects = read_prospects_csv(&args.prospects)?;
    let scores = score_prospects(&bundle, &prospects, &settings, args.target_ltv_cac)?;
    crate::common::write_result(
        args.output.as_deref(),
        |out| write_prospect_scores_csv(out, &prospects, &scores),
        || prospect_scores_table(&prospects, &scores),
    )?;
    let categorical: Vec<String> = bundle
        .covariates
        .iter()
        .flat_map(|c| &c.encoding.columns)
        .filter_map(|c| match c {
            ColumnEncoding::Categorical { name, .. } => Some(name.clone()),
            ColumnEncoding::Numeric { .. } => None,
        })
        .collect();
    let rows: Vec<Vec<String>> = budget_table(&prospects, &scores, &categorical)
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
            &["group", "prospects", "expected CLV", "max CAC", "budget"],
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
