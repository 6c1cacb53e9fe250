//! The report of a bundle trained through the library on the demo data
//! (`data/demo_transactions.csv`, weekly, calibration to 2024-12-31, covariates channel and
//! score), built as `clv report --margin 0.3 --discount-rate 0.1 --horizon 52` does.

use std::sync::OnceLock;

use chrono::NaiveDate;
use clv::features::{Summary, SummaryOptions, TimeUnit, summarize_path};
use clv::ingest::ReadOptions;
use clv::models::FitOptions;
use clv::predict::Bundle;
use clv::predict::train::{ModelChoice, TrainSettings, train};
use clv::report::ReportData;
use clv::report::build::{BuildSettings, build_report};

pub const CALIBRATION_END: &str = "2024-12-31";

/// The bundle, the whole history and the calibration split, made once per test binary.
pub struct Demo {
    pub bundle: Bundle,
    pub history: Summary,
    pub calibration: Summary,
}

pub fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let path = super::workspace_root().join("data/demo_transactions.csv");
        let whole = SummaryOptions {
            unit: TimeUnit::Week,
            keep_purchase_times: true,
            ..Default::default()
        };
        let read = ReadOptions::default();
        let (history, _) = summarize_path(&path, &read, &whole, |_| {}).expect("summarize");
        let end = NaiveDate::parse_from_str(CALIBRATION_END, "%Y-%m-%d").unwrap();
        let split = SummaryOptions {
            calibration_end: Some(end),
            ..whole
        };
        let (calibration, accounting) =
            summarize_path(&path, &read, &split, |_| {}).expect("summarize");
        let settings = TrainSettings {
            model: ModelChoice::Auto,
            covariates: Some(vec!["channel".into(), "score".into()]),
            fit: FitOptions::default(),
        };
        let bundle = train(&calibration, &accounting, "demo", None, &settings).expect("train");
        Demo {
            bundle,
            history,
            calibration,
        }
    })
}

/// The report settings: 52 weeks, 10% a year, 30% margin, USD, LTV:CAC 3.
pub fn demo_settings(bundle: &Bundle) -> BuildSettings {
    let clv = bundle
        .clv_settings(52.0, TimeUnit::Week, 0.10, 0.30)
        .expect("CLV settings");
    BuildSettings::new(clv)
}

pub fn demo_report() -> ReportData {
    let d = demo();
    build_report(
        &d.bundle,
        &d.history,
        Some(&d.calibration),
        &demo_settings(&d.bundle),
    )
    .expect("build the report")
}
