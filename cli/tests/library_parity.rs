//! Every job of the CLI, done again by calling the library on data in memory, gives the same
//! numbers (the same bytes where the CLI writes a file): the proof that a front end other than
//! the CLI (Python, Spark) gets what `clv` gets. The transactions are the demo data, read into
//! a columnar table by this test, not by the library's file readers.

mod common;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clv::churn::at_risk::MAX_REASONS;
use clv::churn::from_summary::churn_customers;
use clv::churn::jobs::{TrainingRequest, prepare, score_churn};
use clv::churn::model_file::{ChurnModelFile, train_churn_model};
use clv::churn::{AtRiskRule, ClassWeights};
use clv::features::builder::write_summary_csv;
use clv::features::metrics::describe_summary;
use clv::features::{
    Summary, SummaryOptions, TextColumn, TimeUnit, TransactionTable, read_summary_csv,
    summarize_table,
};
use clv::ingest::{ReadOptions, RowAccounting};
use clv::io;
use clv::models::saved::SavedModel;
use clv::models::{FitData, FitOptions, ModelKind, RepeatSpendData, RfmData, registry};
use clv::predict::Bundle;
use clv::predict::evaluation::evaluate_split;
use clv::predict::prospects::{read_prospects_csv, score_prospects};
use clv::predict::score::score_bundle;
use clv::predict::table::predict_table;
use clv::predict::train::{ModelChoice, TrainSettings, train};
use clv::report::build::{BuildSettings, build_report};
use clv::report::inputs::report_summaries;
use clv::report::render_html;
use clv::report::text::history_metrics_text;
use clv::simulate::{SimulationSpec, SpendProcess, orders, simulate};
use common::run_clv;

const CALIBRATION_END: &str = "2024-12-31";

fn demo_path() -> PathBuf {
    common::workspace_root().join("data/demo_transactions.csv")
}

fn demo() -> String {
    demo_path().display().to_string()
}

/// The demo transactions as columns, parsed here (as a DataFrame library would hand them over).
fn demo_table() -> TransactionTable {
    let mut rdr = csv::Reader::from_path(demo_path()).expect("demo data");
    let headers = rdr.headers().expect("header").clone();
    let extra_names: Vec<String> = headers.iter().skip(3).map(String::from).collect();
    let mut t = TransactionTable {
        extras: vec![TextColumn::default(); extra_names.len()],
        extra_names,
        ..Default::default()
    };
    for rec in rdr.records() {
        let rec = rec.expect("row");
        t.customer_id.push(&rec[0]);
        t.date
            .push(NaiveDate::parse_from_str(&rec[1], "%Y-%m-%d").expect("date"));
        t.amount.push(rec[2].parse().expect("amount"));
        for (j, column) in t.extras.iter_mut().enumerate() {
            column.push(&rec[3 + j]);
        }
    }
    t
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The demo summarized in memory, in weeks, whole history or split at the calibration end.
fn summary(calibration: bool) -> (Summary, RowAccounting) {
    let opts = SummaryOptions {
        unit: TimeUnit::Week,
        calibration_end: calibration.then(|| date(CALIBRATION_END)),
        keep_purchase_times: true,
        ..Default::default()
    };
    summarize_table(&demo_table(), "demo", &ReadOptions::default(), &opts).unwrap()
}

fn clv_ok(args: &[&str]) -> std::process::Output {
    let out = run_clv(args);
    assert!(
        out.status.success(),
        "clv {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

/// `value` as its JSON file would read back: serde_json's default float parser is not
/// correctly rounded, so values are compared after the same text-and-back trip as the file's.
fn as_read_back<T: serde::Serialize>(value: &T) -> serde_json::Value {
    let text = serde_json::to_string(value).unwrap();
    without_timings(serde_json::from_str(&text).unwrap())
}

/// JSON without the wall times, which differ between any two runs.
fn without_timings(mut v: serde_json::Value) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                map.remove("fit_seconds");
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

fn json_file(path: &Path) -> serde_json::Value {
    without_timings(serde_json::from_slice(&read(path)).unwrap())
}

/// `clv <command> <flags> --output <output>` on the demo's calibration period, in weeks.
fn on_calibration(command: &str, input_flag: &str, extra: &[&str], output: &str) {
    let mut args = vec![
        command,
        input_flag,
        "DEMO",
        "--unit",
        "week",
        "--calibration-end",
        CALIBRATION_END,
    ];
    args.extend(extra);
    args.extend(["--output", output]);
    let demo = demo();
    let args: Vec<&str> = args
        .into_iter()
        .map(|a| if a == "DEMO" { demo.as_str() } else { a })
        .collect();
    clv_ok(&args);
}

/// `clv fit` of the demo's calibration period, from the transactions (a summary file would
/// round recency and T to its digits).
fn fit_cli(model: &str, output: &str) {
    on_calibration("fit", "--input", &["--model", model], output);
}

#[test]
fn summarize_fit_and_predict() {
    let dir = tempfile::tempdir().unwrap();
    let summary_file = p(dir.path(), "summary.csv");
    on_calibration("summarize", "--input", &[], &summary_file);
    let (cal, _) = summary(true);
    let mut mine = Vec::new();
    write_summary_csv(&cal, &mut mine).unwrap();
    assert!(
        mine == read(Path::new(&summary_file)),
        "the in-memory summary differs from clv summarize's file"
    );

    let data = RfmData::from_summary(&cal).unwrap();
    for kind in [ModelKind::BgNbd, ModelKind::ParetoNbd, ModelKind::MbgNbd] {
        let model_file = p(dir.path(), &format!("{kind}.json"));
        fit_cli(kind.name(), &model_file);
        let fitted = registry::fit(
            kind,
            FitData::Transaction(&data),
            &FitOptions::default(),
            "week",
        )
        .unwrap();
        assert_eq!(
            as_read_back(&fitted.saved),
            json_file(Path::new(&model_file)),
            "{kind}"
        );
    }
    let x: Vec<f64> = cal.customers.iter().map(|c| c.frequency).collect();
    let m: Vec<f64> = cal.customers.iter().map(|c| c.monetary_value).collect();
    let (spend, _) = RepeatSpendData::new(&x, &m, None).unwrap();
    let gg = registry::fit(
        ModelKind::GammaGamma,
        FitData::Spend(&spend),
        &FitOptions::default(),
        "week",
    )
    .unwrap();
    let gg_file = p(dir.path(), "gg.json");
    fit_cli("gamma-gamma", &gg_file);
    assert_eq!(as_read_back(&gg.saved), json_file(Path::new(&gg_file)));

    // Predictions of the CLI's model files on the CLI's summary file, both ways.
    let predictions = p(dir.path(), "predictions.csv");
    clv_ok(&[
        "predict",
        "--model",
        &p(dir.path(), "pnbd.json"),
        "--spend-model",
        &gg_file,
        "--summary",
        &summary_file,
        "--horizon",
        "26",
        "--discount-rate",
        "0.002",
        "--p-purchases",
        "1,3",
        "--output",
        &predictions,
    ]);
    let model = SavedModel::load(&dir.path().join("pnbd.json"))
        .unwrap()
        .to_model()
        .unwrap();
    let spend_model = SavedModel::load(Path::new(&gg_file))
        .unwrap()
        .to_model()
        .unwrap();
    let table = read_summary_csv(Path::new(&summary_file)).unwrap();
    let columns = predict_table(
        &model,
        Some(spend_model.spend_model().unwrap()),
        &table,
        26.0,
        Some(0.002),
        7.0,
        &[1, 3],
    )
    .unwrap();
    let mut mine = Vec::new();
    io::write_columns_csv(&mut mine, Some(&table.customer_id), &columns).unwrap();
    assert!(mine == read(Path::new(&predictions)), "predictions differ");
}

#[test]
fn train_score_score_new_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let bundle_file = p(dir.path(), "bundle.json");
    on_calibration(
        "train",
        "--transactions",
        &["--no-covariates"],
        &bundle_file,
    );
    let (cal, accounting) = summary(true);
    let settings = TrainSettings {
        model: ModelChoice::Auto,
        covariates: Some(vec![]),
        fit: FitOptions::default(),
    };
    let bundle = train(&cal, &accounting, &demo(), None, &settings).unwrap();
    assert_eq!(
        as_read_back(&bundle),
        json_file(Path::new(&bundle_file)),
        "the bundles differ"
    );

    // Scoring with the CLI's bundle, on the whole history.
    let bundle = Bundle::load(Path::new(&bundle_file)).unwrap();
    let scores_file = p(dir.path(), "scores.csv");
    clv_ok(&[
        "score",
        "--model",
        &bundle_file,
        "--transactions",
        &demo(),
        "--horizon",
        "52",
        "--margin",
        "0.3",
        "--output",
        &scores_file,
    ]);
    let (history, _) = summary(false);
    let clv = bundle
        .clv_settings(52.0, clv::features::TimeUnit::Week, 0.10, 0.3)
        .unwrap();
    let scored = score_bundle(&bundle, &history, clv, None, AtRiskRule::default()).unwrap();
    let units = io::OutputUnits {
        time: clv::features::TimeUnit::Week,
        currency: io::Currency::default(),
    };
    let mut mine = Vec::new();
    io::write_scores_csv(&mut mine, &scored.rows, &units, false).unwrap();
    assert!(mine == read(Path::new(&scores_file)), "scores differ");
    // `clv at-risk` with the same flags: the library's list of the same scoring run.
    let at_risk_file = p(dir.path(), "at_risk.csv");
    clv_ok(&[
        "at-risk",
        "--model",
        &bundle_file,
        "--transactions",
        &demo(),
        "--horizon",
        "52",
        "--margin",
        "0.3",
        "--output",
        &at_risk_file,
    ]);
    assert!(!scored.at_risk.is_empty());
    let mut mine = Vec::new();
    io::write_at_risk_csv(&mut mine, &scored.at_risk, MAX_REASONS, &units).unwrap();
    assert!(
        mine == read(Path::new(&at_risk_file)),
        "at-risk lists differ"
    );

    let prospects_file = dir.path().join("prospects.csv");
    std::fs::write(
        &prospects_file,
        "channel,score,count\norganic,0,10\npaid,1,5\n",
    )
    .unwrap();
    let scored_file = p(dir.path(), "prospects_scored.csv");
    clv_ok(&[
        "score-new",
        "--model",
        &bundle_file,
        "--prospects",
        &prospects_file.display().to_string(),
        "--margin",
        "0.3",
        "--output",
        &scored_file,
    ]);
    let prospects = read_prospects_csv(&prospects_file).unwrap();
    let new_scores = score_prospects(&bundle, &prospects, &clv, 3.0).unwrap();
    let mut mine = Vec::new();
    io::write_prospect_scores_csv(&mut mine, &prospects, &new_scores, &units, false).unwrap();
    assert!(
        mine == read(Path::new(&scored_file)),
        "prospect scores differ"
    );

    let report_file = p(dir.path(), "report.html");
    clv_ok(&[
        "report",
        "--margin",
        "1",
        "--model",
        &bundle_file,
        "--transactions",
        &demo(),
        "--output",
        &report_file,
    ]);
    let report_settings = BuildSettings {
        currency: "USD".into(),
        title: "Customer value report".into(),
        ..BuildSettings::new(
            bundle
                .clv_settings(52.0, clv::features::TimeUnit::Week, 0.10, 1.0)
                .unwrap(),
        )
    };
    let table = demo_table();
    let summaries = report_summaries(&bundle, |opts: SummaryOptions| {
        summarize_table(&table, "demo", &ReadOptions::default(), &opts).map(|(s, _)| s)
    })
    .unwrap();
    let data = build_report(
        &bundle,
        &summaries.history,
        summaries.calibration.as_ref(),
        &report_settings,
    )
    .unwrap();
    let html = render_html(&data).unwrap();
    assert!(
        html.as_bytes() == read(Path::new(&report_file)).as_slice(),
        "report HTML differs"
    );
}

#[test]
fn churn_train_score_and_evaluate() {
    let dir = tempfile::tempdir().unwrap();
    let churn_file = p(dir.path(), "churn.json");
    let training = [
        "--input",
        &demo(),
        "--unit",
        "week",
        "--calibration-end",
        CALIBRATION_END,
        "--window",
        "20",
        "--covariates",
        "channel",
    ]
    .map(String::from);
    let training: Vec<&str> = training.iter().map(String::as_str).collect();
    let mut args = vec!["churn", "train"];
    args.extend(&training);
    args.extend(["--output", &churn_file]);
    clv_ok(&args);
    let request = TrainingRequest {
        transaction_model: ModelKind::BgNbd,
        window: Some(20.0),
        covariates: vec!["channel".into()],
        class_weights: ClassWeights::None,
        l2: 1.0,
        seed: 42,
    };
    let (cal, _) = summary(true);
    let prepared = prepare(&cal, &request).unwrap();
    let mine = train_churn_model(&cal, &prepared.saved_model, prepared.settings.clone()).unwrap();
    let cli = ChurnModelFile::load(Path::new(&churn_file), None).unwrap();
    assert_eq!(
        mine.classifier.coefficients(),
        cli.classifier.coefficients()
    );
    assert_eq!(mine.transaction_model.params, cli.transaction_model.params);

    // Scoring with the CLI's churn file, on the whole history.
    let (history, _) = summary(false);
    let customers = churn_customers(&history, &cli.settings.covariates).unwrap();
    let scores_file = p(dir.path(), "churn_scores.csv");
    clv_ok(&[
        "churn",
        "score",
        "--model",
        &churn_file,
        "--input",
        &demo(),
        "--output",
        &scores_file,
    ]);
    let scores = score_churn(&cli, &customers).unwrap();
    let mut text = Vec::new();
    io::write_churn_scores_csv(&mut text, &scores).unwrap();
    assert!(text == read(Path::new(&scores_file)), "churn scores differ");

    let evaluation_file = p(dir.path(), "evaluation.json");
    let mut args = vec!["evaluate"];
    args.extend(&training);
    args.extend(["--output", &evaluation_file]);
    clv_ok(&args);
    let (file, _) = evaluate_split(&cal, prepared, 0.3, 0.5).unwrap();
    assert_eq!(
        as_read_back(&file),
        json_file(Path::new(&evaluation_file)),
        "evaluations differ"
    );
}

#[test]
fn describe_and_simulate() {
    let out = clv_ok(&["describe", "--input", &demo(), "--cac", "20"]);
    let opts = SummaryOptions {
        unit: TimeUnit::Day,
        ..Default::default()
    };
    let (history, _) =
        summarize_table(&demo_table(), "demo", &ReadOptions::default(), &opts).unwrap();
    let metrics = describe_summary(&history, None, Some(20.0)).unwrap();
    assert_eq!(
        history_metrics_text(&metrics),
        String::from_utf8(out.stdout).unwrap()
    );

    let dir = tempfile::tempdir().unwrap();
    let sim_file = p(dir.path(), "sim.csv");
    clv_ok(&[
        "simulate",
        "--model",
        "pnbd",
        "--params",
        "0.55,10.6,0.61,11.7",
        "--customers",
        "700",
        "--seed",
        "9",
        "--shuffle",
        "--output",
        &sim_file,
    ]);
    let spec = SimulationSpec {
        process: clv::models::AnyModel::from_params(
            ModelKind::ParetoNbd,
            &[0.55, 10.6, 0.61, 11.7],
        )
        .unwrap(),
        spend: SpendProcess {
            p: 6.25,
            q: 3.74,
            gamma: 15.44,
        },
        customers: 700,
        acquisition_periods: 12.0,
        horizon_periods: 78.0,
        covariates: None,
        seed: 9,
    };
    let customers = simulate(&spec).unwrap();
    let rows = orders(&customers, 7.0, 78 * 7, Some(9 ^ 0x5eed));
    let mut text = Vec::new();
    io::write_orders_csv(&mut text, &rows, &customers, date("2024-01-01"), false).unwrap();
    assert!(text == read(Path::new(&sim_file)), "simulated files differ");
}
