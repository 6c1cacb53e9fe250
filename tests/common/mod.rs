//! Helpers shared by the integration tests of every crate of the workspace (the CLI's tests
//! include this file): locating the reference datasets, and headless
//! Chromium for the report tests ([`browser`]).
//!
//! Reference-data tests read the folder from `CLV_DATASETS`. The build script (`build.rs`)
//! compiles them `#[ignore]`d, with the reason, when the variable is unset, so `cargo test`
//! lists them as ignored; under `CI=true` they always run and a missing folder or file fails.
#![allow(dead_code)]

pub mod browser;
pub mod demo_report;

use std::path::PathBuf;

/// Path of a reference dataset, or `None` (with a message) when `CLV_DATASETS` is unset.
/// Panics when the variable is set but the file is not there.
pub fn dataset(name: &str) -> Option<PathBuf> {
    match std::env::var_os("CLV_DATASETS") {
        None if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0") => {
            panic!("CI is set but CLV_DATASETS is not: the reference-data test on {name} must run")
        }
        None => {
            // Reached only when the build saw the variable and this run does not.
            eprintln!(
                "skipped: CLV_DATASETS is not set, so the reference-data test on {name} did not run"
            );
            None
        }
        Some(dir) => {
            // Relative to the workspace root (where `cargo test` runs), so that tests of every
            // crate, and child processes with another working directory, get a path that works.
            let dir = PathBuf::from(dir);
            let dir = if dir.is_relative() {
                workspace_root().join(dir)
            } else {
                dir
            };
            let path = dir.join(name);
            assert!(
                path.is_file(),
                "CLV_DATASETS is set but {} does not exist",
                path.display()
            );
            Some(path)
        }
    }
}

/// The workspace root: the nearest folder above the testing crate that holds `Cargo.lock`.
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .find(|d| d.join("Cargo.lock").is_file())
        .unwrap_or(&manifest)
        .to_path_buf()
}

/// The CDNOW 39-week summary as columns: ids, x, t_x, T, monetary value.
pub struct CdnowSummary {
    pub ids: Vec<String>,
    pub x: Vec<f64>,
    pub t_x: Vec<f64>,
    pub t: Vec<f64>,
    pub monetary: Vec<f64>,
}

pub fn cdnow_summary() -> Option<CdnowSummary> {
    let path = dataset("cdnow_sample_summary_39wk.csv")?;
    let mut rdr = csv::Reader::from_path(&path).expect("open summary");
    let mut s = CdnowSummary {
        ids: vec![],
        x: vec![],
        t_x: vec![],
        t: vec![],
        monetary: vec![],
    };
    for rec in rdr.records() {
        let rec = rec.expect("summary row");
        s.ids.push(rec[0].to_string());
        s.x.push(rec[1].parse().unwrap());
        s.t_x.push(rec[2].parse().unwrap());
        s.t.push(rec[3].parse().unwrap());
        s.monetary.push(rec[4].parse().unwrap());
    }
    Some(s)
}

/// `reference_lifetimes_cdnow.json` parsed.
pub fn reference_predictions() -> Option<serde_json::Value> {
    let path = dataset("reference_lifetimes_cdnow.json")?;
    Some(serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
}

/// Relative difference, safe at zero.
pub fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-12)
}

/// The report's figures, by element id, in page order (checked by the report tests).
/// Every section of a full report, in page order.
pub const SECTION_IDS: [&str; 12] = [
    "headline",
    "assumptions",
    "model-comparison",
    "at-risk",
    "new-customers",
    "clv",
    "tracking",
    "calibration-holdout",
    "frequency-recency",
    "churn",
    "cohorts",
    "fit",
];

pub const FIGURE_IDS: [&str; 12] = [
    "fig-clv-concentration",
    "fig-clv-segments",
    "fig-clv-channels",
    "fig-tracking-cumulative",
    "fig-tracking-incremental",
    "fig-calibration-holdout",
    "fig-heatmap-expected",
    "fig-heatmap-palive",
    "fig-churn-roc",
    "fig-churn-calibration",
    "fig-churn-lift",
    "fig-cohort-retention",
];

/// Checks that a transaction model's P(n purchases in `horizon`) over n < `n_max` is a
/// distribution (each in [0, 1], summing to 1 within 1e-9) whose mean is the model's expected
/// purchases (relative `mean_tol`), for each (x, t_x, T) of `histories`.
pub fn assert_purchase_distribution(
    m: &dyn clv::models::TransactionModel,
    histories: &[(f64, f64, f64)],
    horizon: f64,
    n_max: u32,
    mean_tol: f64,
) {
    for &(x, t_x, t) in histories {
        let (mut total, mut mean) = (0.0, 0.0);
        for n in 0..n_max {
            let p = m.prob_n_purchases(n, horizon, x, t_x, t);
            assert!(
                (0.0..=1.0 + 1e-12).contains(&p),
                "({x},{t_x},{t}): P({n}) = {p}"
            );
            total += p;
            mean += f64::from(n) * p;
        }
        assert!((total - 1.0).abs() < 1e-9, "({x},{t_x},{t}): total {total}");
        let e = m.expected_purchases(horizon, x, t_x, t);
        assert!(
            rel(mean, e) < mean_tol,
            "({x},{t_x},{t}): mean {mean} vs {e}"
        );
    }
}

/// R BTYD's example BG/NBD parameters (r, alpha, a, b), as its manual and lifetimes' tests use them.
pub const BTYD_BGNBD_PARAMS: [f64; 4] = [0.243, 4.414, 0.793, 2.426];

/// BTYD's `bgnbd.pmf` at [`BTYD_BGNBD_PARAMS`]: P(X(30) = n) of a new customer for n = 11..=20
/// (quoted by lifetimes' test_probability_of_n_purchases_up_to_time_same_as_R_BTYD).
pub const BTYD_BGNBD_PMF_T30_N11_20: [f64; 10] = [
    0.0019995214,
    0.0015170236,
    0.0011633150,
    0.0009003148,
    0.0007023638,
    0.0005517902,
    0.0004361913,
    0.0003467171,
    0.0002769613,
    0.0002222260,
];
