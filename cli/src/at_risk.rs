//! `clv at-risk`: the customers at risk, ranked by value at risk ((1 − P(alive)) × CLV if
//! alive), each with reasons from their history. The list is the library's one at-risk
//! definition (`clv::churn::at_risk`), computed by the same scoring run as `clv score`, so
//! its customers are exactly those `clv score` flags `at_risk` with the same flags.

use std::io::Write;
use std::path::PathBuf;

use clv::features::SummaryOptions;
use clv::io::units::round_to_cents;
use clv::io::{OutputUnits, at_risk_columns, write_at_risk_csv};
use clv::predict::score::score_bundle;
use clv::report::text::{at_risk_table, clv_assumptions};

use crate::assumptions::record_churn_settings;
use crate::common::{self, BundleScoringArgs, CurrencyArgs, Ui, output};

/// Rows shown on the terminal when the full list goes to a file.
const TERMINAL_ROWS: usize = 20;
/// Reason columns of the output.
const REASONS: usize = clv::churn::at_risk::MAX_REASONS;

/// List the customers at risk of churning, by value at risk.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  clv at-risk --model models/demo.json --input data/demo_transactions.csv --margin 0.3 \\
      --output at_risk.csv
  clv at-risk --model models/demo.json --input data/demo_transactions.csv --all \\
      --risk-threshold 0.7 --min-value-at-risk 5

Value at risk = (1 - P(alive)) x CLV if alive = CLV if alive - CLV: the future value churn
would cost (not past spend). At risk: churn probability >= --risk-threshold and value at
risk > 0 (and >= --min-value-at-risk), the --top N (default 100) by value at risk, ties by
customer id, or --all. The same flags give the same customers as `clv score`'s at_risk
column. Reasons come from each customer's history: time since the last purchase against
their usual gap (against the repeat buyers' median gap for one-time buyers), fewer purchases
in the second half of their history than in the first. Columns (--currency USD): rank,
customer_id,churn_probability,p_alive,clv_usd,clv_if_alive_usd,value_at_risk_usd,reason_1,
reason_2; money rounded to cents. With --output FILE the sidecar FILE.meta.json states the
assumptions (horizon, discount rate, margin, currency, model) and the columns' units.")]
pub struct Args {
    #[command(flatten)]
    pub scoring: BundleScoringArgs,
    #[command(flatten)]
    pub currency: CurrencyArgs,
    /// Output file, Parquet when it ends in `.parquet`, else CSV (default: a table on stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    args.scoring.check_paths(args.output.as_deref())?;
    let rule = args.scoring.at_risk.rule()?;
    let (bundle, unit, clv) = args.scoring.load()?;
    let opts = SummaryOptions {
        unit,
        keep_purchase_times: true,
        ..Default::default()
    };
    let summary = common::load_summary(&args.scoring.input, opts, args.output.as_deref(), ui)?;
    let scored = score_bundle(&bundle, &summary, clv, args.scoring.churn_window, rule)?;
    if let Some(asked) = scored.ignored_churn_window {
        ui.warn(format!(
            "the bundle's churn classifier predicts a {}-{}s window; --churn-window {asked} is ignored",
            scored.settings.churn_window, bundle.time_unit
        ));
    }
    let rows = &scored.at_risk;
    let units = OutputUnits {
        time: unit,
        currency: args.currency.currency.clone(),
    };
    if let Some(path) = &args.output {
        common::write_result(
            Some(path),
            |out| write_at_risk_csv(out, rows, REASONS, &units),
            || clv::io::at_risk_table(rows, REASONS, &units),
        )?;
        let totals = &scored.totals;
        let mut meta = args.scoring.clv.meta(
            "clv at-risk",
            &bundle,
            &args.scoring.model,
            &clv,
            &units,
            &at_risk_columns(&units, REASONS),
        );
        record_churn_settings(&mut meta, scored.settings.churn_window, totals);
        meta.totals
            .insert("at_risk_customers".into(), rows.len() as f64);
        meta.totals.insert(
            units.money_column("value_at_risk"),
            round_to_cents(totals.at_risk_value),
        );
        common::write_sidecar(Some(path), &meta)?;
        out!(
            "{}",
            at_risk_table(rows, TERMINAL_ROWS, units.currency.code())
        );
        ui.info(format!(
            "{} customers at risk written to {}",
            rows.len(),
            path.display()
        ));
    } else {
        let mut out = output(None)?;
        write!(
            out,
            "{}",
            at_risk_table(rows, rows.len(), units.currency.code())
        )?;
        out.finish()?;
    }
    ui.info(format!(
        "{} of {} customers at risk; total value at risk {:.2} {} (CLV {}; {})",
        rows.len(),
        scored.rows.len(),
        scored.totals.at_risk_value,
        units.currency,
        clv_assumptions(&clv, &bundle),
        scored.totals.at_risk_rule
    ));
    Ok(())
}
