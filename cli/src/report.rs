//! `clv report`: the self-contained HTML report of a model bundle on a transaction file —
//! headline, tracking, calibration vs holdout, frequency–recency maps, CLV by segment and
//! channel, churn evaluation, cohorts and model fits.

use std::path::PathBuf;

use clv::features::SummaryOptions;
use clv::report::build::{BuildSettings, build_report};
use clv::report::inputs::report_summaries;
use clv::report::render_html;

use crate::common::{self, BundleScoringArgs, Ui};

/// Write the HTML report of a model bundle on historical orders.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  clv report --model models/demo.json --transactions data/demo_transactions.csv --horizon 52 \\
      --discount-rate 0.10 --margin 0.30 --currency '$' --output report.html

The transactions are summarized in the bundle's time unit, once over the whole history (scores,
segments, channels, cohorts, tracking) and once split at the bundle's calibration end (calibration
vs holdout, churn evaluation). The page has no scripts and loads nothing: one file to send.")]
pub struct Args {
    #[command(flatten)]
    pub scoring: BundleScoringArgs,
    /// Currency: a symbol ("$") is shown before amounts, a code ("EUR") after.
    #[arg(long, default_value = "$")]
    pub currency: String,
    /// Page title.
    #[arg(long, default_value = "Customer value report")]
    pub title: String,
    /// HTML file to write.
    #[arg(long, short = 'o', value_name = "FILE.html")]
    pub output: PathBuf,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    args.scoring.check_paths(Some(&args.output))?;
    let (bundle, _, clv) = args.scoring.load()?;
    let summaries = report_summaries(&bundle, |opts: SummaryOptions| {
        common::load_summary(&args.scoring.input, opts, Some(&args.output), ui)
    })?;
    for w in &summaries.warnings {
        ui.warn(w);
    }
    let (history, calibration) = (summaries.history, summaries.calibration);
    let settings = BuildSettings {
        churn_window: args.scoring.churn_window,
        at_risk: args.scoring.at_risk.rule()?,
        currency: args.currency.clone(),
        title: args.title.clone(),
        ..BuildSettings::new(clv)
    };
    let data = build_report(&bundle, &history, calibration.as_ref(), &settings)?;
    let html = render_html(&data)?;
    clv::persist::write_atomic(&args.output, html.as_bytes())?;
    ui.info(format!("report written to {}", args.output.display()));
    ui.info(clv::report::text::report_summary_line(&data));
    Ok(())
}
