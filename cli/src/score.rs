//! `clv score`: scores existing customers with a model bundle — P(alive), churn probability,
//! expected purchases and spend, discounted CLV, RFM segment, at-risk flag — sorted by CLV.

use std::path::PathBuf;

use clv::features::SummaryOptions;
use clv::io::{scores_table, write_scores_csv};
use clv::predict::score::score_bundle;
use clv::report::text::portfolio_text;

use crate::common::{self, BundleScoringArgs, Ui};

/// Score existing customers: CLV, churn probability, value at risk, at-risk flag.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  clv score --model models/demo.json --transactions data/demo_transactions.csv --horizon 52 \\
      --unit week --discount-rate 0.10 --margin 0.30 --output scores.csv

CLV = sum over the horizon's periods of expected purchases in the period x expected order
value x margin / (1 + d)^k, d the per-period rate derived from the annual --discount-rate.
Value at risk = (1 - P(alive)) x CLV if alive, the future value churn would cost. at_risk is
true for exactly the customers `clv at-risk` lists with the same flags (--risk-threshold,
--top / --all, --min-value-at-risk). p_no_purchase_if_alive = P(no purchase in the churn
window | alive): why a customer surely alive can have a high churn probability.
Columns: customer_id,frequency,recency,T,total_spend,p_alive,churn_probability,
p_no_purchase_if_alive,expected_purchases,expected_avg_spend,predicted_revenue,clv,
value_at_risk,segment,at_risk.")]
pub struct Args {
    #[command(flatten)]
    pub scoring: BundleScoringArgs,
    /// Output file, Parquet when it ends in `.parquet`, else CSV (default: CSV on stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    args.scoring.check_paths(args.output.as_deref())?;
    let (bundle, unit, clv) = args.scoring.load()?;
    let opts = SummaryOptions {
        unit,
        keep_purchase_times: true,
        ..Default::default()
    };
    let summary = common::load_summary(&args.scoring.input, opts, args.output.as_deref(), ui)?;
    let scored = score_bundle(
        &bundle,
        &summary,
        clv,
        args.scoring.churn_window,
        args.scoring.at_risk.rule()?,
    )?;
    if let Some(asked) = scored.ignored_churn_window {
        ui.warn(format!(
            "the bundle's churn classifier predicts a {}-{}s window; --churn-window {asked} is ignored",
            scored.settings.churn_window, bundle.time_unit
        ));
    }
    let (rows, totals, settings) = (&scored.rows, &scored.totals, &scored.settings);
    crate::common::write_result(
        args.output.as_deref(),
        |out| write_scores_csv(out, rows),
        || scores_table(rows),
    )?;
    if args.output.is_some() || ui.quiet {
        ui.info(portfolio_text(totals, &bundle, settings));
    } else {
        ui.text(portfolio_text(totals, &bundle, settings));
    }
    Ok(())
}
