//! `clv score`: scores existing customers with a model bundle — P(alive), churn probability,
//! expected purchases and spend, discounted CLV, RFM segment, at-risk flag — sorted by CLV.

use std::path::PathBuf;

use clv::features::SummaryOptions;
use clv::io::units::round_to_cents;
use clv::io::{OutputUnits, score_columns, scores_table, write_scores_csv};
use clv::predict::score::score_bundle;
use clv::report::text::portfolio_text;

use crate::assumptions::record_churn_settings;
use crate::common::{self, BundleScoringArgs, CurrencyArgs, IntervalArgs, Ui};
use clv::io::meta::IntervalMeta;
use clv::predict::intervals::{IntervalOutcome, attach_score_intervals};

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
Columns (a weekly bundle, --currency USD): customer_id,frequency,recency_weeks,T_weeks,
total_spend_usd,p_alive,churn_probability,p_no_purchase_if_alive,expected_purchases,
expected_avg_spend_usd,predicted_revenue_usd,clv_usd,value_at_risk_usd,segment,at_risk;
money rounded to cents. recency = last - first purchase, T = now - first purchase. With
--output FILE the sidecar FILE.meta.json states the horizon, discount rate, margin, currency,
model and the columns' units.")]
pub struct Args {
    #[command(flatten)]
    pub scoring: BundleScoringArgs,
    #[command(flatten)]
    pub currency: CurrencyArgs,
    #[command(flatten)]
    pub intervals: IntervalArgs,
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
    let mut scored = score_bundle(
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
    let interval_settings = args.intervals.settings()?;
    let outcome = interval_settings
        .map(|s| attach_score_intervals(&bundle, &summary, &mut scored, &s))
        .transpose()?;
    if let Some(IntervalOutcome::Unavailable(why)) = &outcome {
        ui.warn(format!(
            "no CLV intervals: {why}; the scores are point estimates only"
        ));
    }
    let intervals = matches!(outcome, Some(IntervalOutcome::Computed { .. }));
    let (rows, totals, settings) = (&scored.rows, &scored.totals, &scored.settings);
    let units = OutputUnits {
        time: unit,
        currency: args.currency.currency.clone(),
    };
    crate::common::write_result(
        args.output.as_deref(),
        |out| write_scores_csv(out, rows, &units, intervals),
        || scores_table(rows, &units, intervals),
    )?;
    let mut meta = args.scoring.clv.meta(
        "clv score",
        &bundle,
        &args.scoring.model,
        &clv,
        &units,
        &score_columns(&units, intervals),
    );
    record_churn_settings(&mut meta, settings.churn_window, totals);
    meta.totals.insert(
        units.money_column("predicted_revenue"),
        round_to_cents(totals.total_predicted_revenue),
    );
    meta.totals
        .insert(units.money_column("clv"), round_to_cents(totals.total_clv));
    meta.totals
        .insert("at_risk_customers".into(), totals.at_risk_customers as f64);
    meta.totals.insert(
        units.money_column("at_risk_value"),
        round_to_cents(totals.at_risk_value),
    );
    let mut interval_line = None;
    if let (Some(s), Some(outcome)) = (interval_settings, &outcome) {
        let mut im = IntervalMeta {
            level: s.level,
            method: "parametric draws from the fits' covariance".into(),
            draws: s.draws,
            seed: s.seed,
            available: true,
            reason: None,
        };
        match outcome {
            IntervalOutcome::Computed {
                total_predicted_revenue: revenue,
                total_clv: clv,
                ..
            } => {
                for (name, i) in [("predicted_revenue", revenue), ("clv", clv)] {
                    let (low, high) = (format!("{name}_low"), format!("{name}_high"));
                    meta.totals
                        .insert(units.money_column(&low), round_to_cents(i.lower));
                    meta.totals
                        .insert(units.money_column(&high), round_to_cents(i.upper));
                }
                interval_line = Some(format!(
                    "{:.0}% interval of the total CLV (parameter uncertainty, {} draws): \
                     {:.2} to {:.2} {}; predicted revenue {:.2} to {:.2} {}",
                    100.0 * s.level,
                    s.draws,
                    clv.lower,
                    clv.upper,
                    units.currency,
                    revenue.lower,
                    revenue.upper,
                    units.currency
                ));
            }
            IntervalOutcome::Unavailable(why) => {
                im.available = false;
                im.reason = Some(why.clone());
                meta.warnings.push(format!("no CLV intervals: {why}"));
            }
        }
        meta.intervals = Some(im);
    }
    common::write_sidecar(args.output.as_deref(), &meta)?;
    let text = portfolio_text(totals, &bundle, settings, units.currency.code());
    if args.output.is_some() || ui.quiet {
        ui.info(&text);
        interval_line.iter().for_each(|l| ui.info(l));
    } else {
        ui.text(&text);
        interval_line.iter().for_each(|l| ui.text(l));
    }
    Ok(())
}
