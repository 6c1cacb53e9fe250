//! `clv score-new`: expected CLV of new or prospective customers from their acquisition
//! attributes, the maximum affordable acquisition cost at a target LTV:CAC ratio, and the
//! budget table by attribute.

use std::path::PathBuf;

use clv::io::units::round_to_cents;
use clv::io::{
    OutputUnits, budget_columns, prospect_columns, prospect_scores_table, write_budget_csv,
    write_prospect_scores_csv,
};
use clv::predict::Bundle;
use clv::predict::prospects::{bundle_budget_table, read_prospects_csv, score_prospects};
use clv::report::text::{budget_text, clv_assumptions, conservative_cac_note};

use crate::common::{self, ClvArgs, CurrencyArgs, IntervalArgs, Ui};
use clv::io::meta::IntervalMeta;
use clv::predict::prospect_intervals::attach_prospect_intervals;

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
max_cac_usd (with --intervals also clv_low_usd, clv_high_usd and max_cac_conservative_usd,
the maximum CAC from the interval's lower end); money rounded to cents. --budget-output FILE writes the budget table
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
    #[command(flatten)]
    pub intervals: IntervalArgs,
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
    let mut scores = score_prospects(&bundle, &prospects, &settings, args.target_ltv_cac)?;
    let interval_settings = args.intervals.settings()?;
    let unavailable = match &interval_settings {
        Some(s) => attach_prospect_intervals(
            &bundle,
            &prospects,
            &mut scores,
            &settings,
            args.target_ltv_cac,
            s,
        )?,
        None => None,
    };
    if let Some(why) = &unavailable {
        ui.warn(format!(
            "no CLV intervals: {why}; the values are point estimates only"
        ));
    }
    let units = OutputUnits {
        time: unit,
        currency: args.currency.currency.clone(),
    };
    let intervals = interval_settings.is_some() && unavailable.is_none();
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
        if let Some(s) = interval_settings {
            meta.intervals = Some(IntervalMeta {
                level: s.level,
                method: "parametric draws of the bundle's parameters (purchase model and \
                         Gamma-Gamma spend) from the fits' covariance, as the report's; first \
                         order values as observed"
                    .into(),
                draws: s.draws,
                seed: s.seed,
                available: unavailable.is_none(),
                reason: unavailable.clone(),
            });
            if intervals && all.prospects > 0.0 {
                let weighted: f64 = scores
                    .iter()
                    .map(|p| p.count * p.max_cac_conservative.unwrap_or(0.0))
                    .sum();
                meta.totals.insert(
                    units.money_column("mean_max_cac_conservative"),
                    round_to_cents(weighted / all.prospects),
                );
            }
        }
        if let Some(why) = &unavailable {
            meta.warnings.push(format!("no CLV intervals: {why}"));
        }
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
    let mut text = format!(
        "new-customer CLV {} at LTV:CAC {}:1 ({})\n{}",
        clv_assumptions(&settings, &bundle),
        args.target_ltv_cac,
        if bundle.covariates.is_some() {
            "by acquisition attributes, covariate model"
        } else {
            "no covariates in the bundle: one value for everyone"
        },
        budget_text(&budget, units.currency.code())
    );
    if let (Some(s), true) = (interval_settings, intervals) {
        text.push_str(&conservative_cac_note(
            s.level,
            s.draws,
            args.target_ltv_cac,
        ));
    }
    if args.output.is_some() {
        ui.info(text);
    } else {
        ui.text(text);
    }
    Ok(())
}
