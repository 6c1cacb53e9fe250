//! `clv demo`: the whole pipeline on the generated example data in `data/` — train, score
//! existing customers, flag the ones at risk, value new customers by channel — printing what a
//! marketer reads first and leaving every output file in one folder.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::NaiveDate;
use clv::churn::AtRiskRule;
use clv::features::metrics::describe_summary;
use clv::features::{SummaryOptions, TimeUnit, summarize_path};
use clv::ingest::{OnError, ReadOptions};
use clv::models::FitOptions;
use clv::predict::prospects::{Prospects, budget_table, score_prospects};
use clv::predict::score::score_bundle;
use clv::predict::train::{ModelChoice, TrainSettings, train};

use clv::report::build::{BuildSettings, build_report};
use clv::report::render_html;

use crate::common::{Ui, table};
use clv::io::write_scores_csv;
use clv::report::text::{at_risk_table, candidates_table, portfolio_text};

/// Run the whole pipeline on the demo data and print a readable summary.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  clv demo                      (reads data/demo_transactions.csv, writes target/clv-demo/)

The demo data was generated with:
  clv simulate --model bgnbd --params 0.55,6.0,0.7,2.5 --spend 6.25,3.74,15.44 --customers 3000 \\
      --acquisition 13 --horizon 78 --start 2024-01-01 --covariate-effects 0.4,0.2,0.5,-0.2 \\
      --seed 2024 --output data/demo_transactions.csv")]
pub struct Args {
    /// Transactions to run on.
    #[arg(long, default_value = "data/demo_transactions.csv")]
    pub input: PathBuf,
    /// Last day of the calibration period of the demo data.
    #[arg(long, default_value = "2024-12-31")]
    pub calibration_end: NaiveDate,
    /// Folder for the bundle, the scores and the HTML report.
    #[arg(long, default_value = "target/clv-demo")]
    pub out_dir: PathBuf,
}

fn heading(title: &str) -> anyhow::Result<()> {
    outln!(
        "\n== {title} {}",
        "=".repeat(70usize.saturating_sub(title.len()))
    );
    Ok(())
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    if !args.input.is_file() {
        anyhow::bail!(
            "{} not found: run the demo from the repository root, or regenerate the data with the \
             command in `clv demo --help`",
            args.input.display()
        );
    }
    fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("creating {}", args.out_dir.display()))?;
    let read = ReadOptions {
        on_error: OnError::Fail,
        ..Default::default()
    };
    let unit = TimeUnit::Week;

    heading("1. The order history")?;
    let whole = SummaryOptions {
        unit,
        keep_purchase_times: true,
        ..Default::default()
    };
    let (history, accounting) = summarize_path(&args.input, &read, &whole, |_| {})?;
    outln!("{}", accounting.describe());
    let m = describe_summary(&history, None, None)?;
    outln!("{}", serde_json::to_string_pretty(&m)?);

    heading("2. Train: transaction model chosen on the holdout, spend and covariates")?;
    let calibration = SummaryOptions {
        calibration_end: Some(args.calibration_end),
        ..whole
    };
    let (cal, cal_accounting) = summarize_path(&args.input, &read, &calibration, |_| {})?;
    let settings = TrainSettings {
        model: ModelChoice::Auto,
        covariates: None,
        fit: FitOptions::default(),
    };
    let bundle = train(
        &cal,
        &cal_accounting,
        &args.input.display().to_string(),
        None,
        &settings,
    )?;
    outln!(
        "calibration to {}, holdout to {}",
        args.calibration_end,
        cal.observation_end
    );
    outln!("{}", candidates_table(&bundle.selection));
    outln!(
        "chosen: {} ({})",
        bundle.selection.chosen,
        bundle.selection.rule
    );
    let bundle_path = args.out_dir.join("demo_bundle.json");
    bundle.save(&bundle_path)?;
    for w in &bundle.warnings {
        ui.warn(w);
    }

    heading("3. Existing customers: 52-week CLV at 10% a year, 30% margin")?;
    let clv = bundle.clv_settings(52.0, bundle.unit()?, 0.10, 0.30)?;
    // The classifier's own window, else 26 weeks.
    let scored = score_bundle(&bundle, &history, clv, Some(26.0), AtRiskRule::default())?;
    let (scores, totals, score_settings) = (&scored.rows, &scored.totals, &scored.settings);
    let scores_path = args.out_dir.join("scores.csv");
    let mut file = clv::persist::AtomicFile::create(&scores_path)?;
    let units = clv::io::OutputUnits {
        time: bundle.unit()?,
        currency: clv::io::Currency::default(),
    };
    write_scores_csv(&mut file, scores, &units, false)?;
    file.commit()?;
    // The scores' assumptions beside them, as `clv score` writes them.
    let columns = clv::io::score_columns(&units, false);
    let model = Some((
        bundle.transaction_model.model.as_str(),
        bundle_path.as_path(),
    ));
    let mut meta = crate::assumptions::table_meta("clv demo", &units, &columns, model);
    meta.horizon = Some(crate::assumptions::horizon_in_model_units(
        52.0,
        units.time.name(),
    ));
    meta.annual_discount_rate = Some(0.10);
    meta.margin = Some(0.30);
    crate::assumptions::record_churn_settings(&mut meta, score_settings.churn_window, totals);
    crate::common::write_sidecar(Some(&scores_path), &meta)?;
    outln!(
        "{}",
        portfolio_text(totals, &bundle, score_settings, units.currency.code())
    );
    let report = build_report(
        &bundle,
        &history,
        Some(&cal),
        &BuildSettings {
            churn_window: Some(score_settings.churn_window),
            ..BuildSettings::new(clv)
        },
    )?;
    let report_path = args.out_dir.join("report.html");
    clv::persist::write_atomic(&report_path, render_html(&report)?.as_bytes())?;

    heading("4. At risk: valuable customers likely to leave, by value at risk")?;
    // The library's at-risk list: the rows `clv score` flags and `clv at-risk` lists.
    outln!(
        "{}",
        at_risk_table(&scored.at_risk, 10, units.currency.code())
    );

    heading("5. New customers: what each channel is worth, and what to pay for it")?;
    let prospects = Prospects {
        columns: vec!["channel".into(), "score".into()],
        rows: vec![
            vec!["organic".into(), "0".into()],
            vec!["paid".into(), "0".into()],
        ],
        source: None,
    };
    let new_scores = score_prospects(&bundle, &prospects, &clv, 3.0)?;
    let rows: Vec<Vec<String>> = budget_table(&prospects, &new_scores, &["channel".to_string()])
        .iter()
        .skip(1)
        .map(|b| {
            vec![
                b.group.clone(),
                format!("{:.2}", b.mean_clv),
                format!("{:.2}", b.max_cac),
            ]
        })
        .collect();
    outln!(
        "{}",
        table(
            &[
                "acquisition",
                "expected 52-week CLV",
                "max CAC at LTV:CAC 3:1"
            ],
            &rows
        )
    );

    heading("Files")?;
    let scores_meta_path = clv::io::meta_path(&scores_path);
    for p in [&bundle_path, &scores_path, &scores_meta_path, &report_path] {
        outln!("{}", display(p));
    }
    Ok(())
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
