//! `clv evaluate` end to end: the JSON contract (classifier / probabilistic metrics, split
//! sizes, the transaction model's holdout evaluation) checked against counts recomputed from
//! the transactions, and the acceptance bar on the full CDNOW cohort.

mod common;
use common::run_clv as clv;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use serde_json::Value;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn num(v: &Value, path: &str) -> f64 {
    let mut cur = v;
    for key in path.split('.') {
        cur = &cur[key];
    }
    cur.as_f64()
        .unwrap_or_else(|| panic!("{path} is not a number: {cur}"))
}

fn run_evaluate(args: &[&str], json: &Path) -> (Output, Value) {
    let mut all = vec!["evaluate"];
    all.extend_from_slice(args);
    let json_s = json.to_string_lossy().into_owned();
    all.extend_from_slice(&["--output", &json_s]);
    let out = clv(&all);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    (out, v)
}

/// The contract fields every consumer relies on, each a probability-scale number.
fn check_contract(v: &Value) {
    for scorer in ["classifier", "probabilistic", "baseline"] {
        for metric in [
            "roc_auc", "pr_auc", "brier", "log_loss", "lift_10", "gains_20",
        ] {
            let x = num(v, &format!("{scorer}.{metric}"));
            assert!(x.is_finite() && x >= 0.0, "{scorer}.{metric} = {x}");
        }
        let auc = num(v, &format!("{scorer}.roc_auc"));
        assert!((0.0..=1.0).contains(&auc));
        assert_eq!(v[scorer]["calibration"].as_array().unwrap().len(), 10);
    }
    assert!(num(v, "n_train") > 0.0 && num(v, "n_test") > 0.0);
}

#[test]
fn evaluate_json_matches_counts_from_the_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let tx = dir.path().join("tx.csv");
    let tx_s = tx.to_string_lossy().into_owned();
    let sim = clv(&[
        "simulate",
        "--customers",
        "1500",
        "--seed",
        "11",
        "--output",
        &tx_s,
    ]);
    assert!(sim.status.success(), "{}", text(&sim.stderr));
    let cal_end = "2024-09-30";
    #[rustfmt::skip]
    let (out, v) = run_evaluate(
        &["--input", &tx_s, "--unit", "week", "--calibration-end", cal_end,
          "--observation-end", "2025-06-30", "--test-fraction", "0.25", "--seed", "3"],
        &dir.path().join("eval.json"),
    );
    check_contract(&v);

    // Recount from the file: holdout purchase days and spend, labels, frequency bins.
    let mut days: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    let mut rdr = csv::Reader::from_path(&tx).unwrap();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        *days
            .entry(rec[0].to_string())
            .or_default()
            .entry(rec[1].to_string())
            .or_default() += rec[2].parse::<f64>().unwrap();
    }
    let (mut churners, mut active) = (0usize, 0usize);
    let (mut holdout_days, mut holdout_spend) = (0usize, 0.0);
    let mut bins = [0usize; 8];
    for d in days.values() {
        let cal = d.keys().filter(|k| k.as_str() <= cal_end).count();
        let hold: Vec<f64> = d
            .iter()
            .filter(|(k, _)| k.as_str() > cal_end)
            .map(|(_, a)| *a)
            .collect();
        holdout_days += hold.len();
        holdout_spend += hold.iter().sum::<f64>();
        if hold.is_empty() {
            churners += 1;
        } else {
            active += 1;
        }
        bins[(cal - 1).min(7)] += 1;
    }
    let n = days.len();
    assert_eq!(num(&v, "customers") as usize, n);
    let round = |k: usize| (0.25 * k as f64).round() as usize;
    assert_eq!(num(&v, "n_test") as usize, round(churners) + round(active));
    assert_eq!(num(&v, "n_train") as usize + num(&v, "n_test") as usize, n);
    let rate = churners as f64 / n as f64;
    assert!((num(&v, "churn_rate_train") - rate).abs() < 0.01);

    let h = &v["holdout"];
    assert_eq!(num(h, "duration"), 39.0);
    assert_eq!(num(h, "customers") as usize, n);
    assert_eq!(num(h, "total_actual_purchases") as usize, holdout_days);
    assert!((num(h, "total_actual_spend") - holdout_spend).abs() < 1e-6 * holdout_spend);
    assert_eq!(h["spend_model"], "gamma-gamma");
    assert_eq!(h["gamma_gamma"]["model"], "gamma-gamma");
    let table = h["by_frequency"].as_array().unwrap();
    let labels: Vec<&str> = table
        .iter()
        .map(|b| b["frequency"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["0", "1", "2", "3", "4", "5", "6", "7+"]);
    for (b, want) in table.iter().zip(bins) {
        assert_eq!(num(b, "customers") as usize, want, "bin {}", b["frequency"]);
    }
    // Aggregate error is (predicted - actual) / actual, in percent.
    let pct =
        100.0 * (num(h, "total_predicted_purchases") - holdout_days as f64) / holdout_days as f64;
    assert!((num(h, "purchases_aggregate_error_pct") - pct).abs() < 1e-9);
    assert!(num(h, "purchases_rmse") >= num(h, "purchases_mae"));

    let report = text(&out.stdout);
    for needle in [
        "classifier",
        "probabilistic",
        "baseline",
        "PR AUC",
        "lift @10%",
        "decile",
        "7+",
    ] {
        assert!(
            report.contains(needle),
            "report lacks '{needle}':\n{report}"
        );
    }
}

#[test]
fn evaluate_rejects_a_window_longer_than_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let tx = dir.path().join("tx.csv");
    let tx_s = tx.to_string_lossy().into_owned();
    assert!(
        clv(&["simulate", "--customers", "300", "--output", &tx_s])
            .status
            .success()
    );
    #[rustfmt::skip]
    let out = clv(&[
        "evaluate", "--input", &tx_s, "--calibration-end", "2024-09-30", "--observation-end",
        "2025-06-30", "--window", "52",
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("window of 52") && err.contains("longer than"),
        "{err}"
    );
    #[rustfmt::skip]
    let out = clv(&[
        "evaluate", "--input", &tx_s, "--calibration-end", "2024-09-30", "--observation-end",
        "2025-06-30", "--test-fraction", "1.5",
    ]);
    assert!(
        text(&out.stderr).contains("test fraction"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
#[cfg_attr(
    not(clv_datasets),
    ignore = "needs the reference datasets: set CLV_DATASETS"
)]
fn cdnow_full_cohort_meets_the_acceptance_bar() {
    let Some(input) = common::dataset("cdnow_master.csv") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let input = input.to_string_lossy().into_owned();
    #[rustfmt::skip]
    let (_, v) = run_evaluate(
        &["--input", &input, "--unit", "week", "--calibration-end", "1997-09-30",
          "--window", "39", "--test-fraction", "0.3", "--seed", "42",
          "--transaction-model", "bgnbd"],
        &dir.path().join("cdnow.json"),
    );
    check_contract(&v);
    for scorer in ["classifier", "probabilistic", "baseline"] {
        eprintln!(
            "{scorer}: ROC AUC {:.4}, PR AUC {:.4}, Brier {:.4}, log loss {:.4}, lift@10 {:.3}",
            num(&v, &format!("{scorer}.roc_auc")),
            num(&v, &format!("{scorer}.pr_auc")),
            num(&v, &format!("{scorer}.brier")),
            num(&v, &format!("{scorer}.log_loss")),
            num(&v, &format!("{scorer}.lift_10")),
        );
    }
    let h = &v["holdout"];
    eprintln!(
        "holdout: purchases MAE {:.4} RMSE {:.4} aggregate {:+.2}%; spend MAE {:.2} aggregate {:+.2}%",
        num(h, "purchases_mae"),
        num(h, "purchases_rmse"),
        num(h, "purchases_aggregate_error_pct"),
        num(h, "spend_mae"),
        num(h, "spend_aggregate_error_pct"),
    );
    assert_eq!(
        num(&v, "n_train") as usize + num(&v, "n_test") as usize,
        23_570
    );
    assert!((num(&v, "n_test") - 7_071.0).abs() <= 1.0);
    let auc = num(&v, "classifier.roc_auc");
    let brier = num(&v, "classifier.brier");
    assert!(auc >= 0.76, "classifier AUC {auc}");
    assert!(brier <= 0.162, "classifier Brier {brier}");
    let p_auc = num(&v, "probabilistic.roc_auc");
    assert!(
        p_auc > 0.5 && p_auc < auc + 0.05,
        "probabilistic AUC {p_auc}"
    );
    // Holdout purchases recounted from the file: distinct (customer, day) after the split.
    let mut rdr = csv::Reader::from_path(&input).unwrap();
    let mut holdout = std::collections::BTreeSet::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        if &rec[1] > "1997-09-30" {
            holdout.insert((rec[0].to_string(), rec[1].to_string()));
        }
    }
    assert_eq!(num(h, "customers") as usize, 23_570);
    assert_eq!(num(h, "total_actual_purchases") as usize, holdout.len());
    assert!(num(h, "purchases_aggregate_error_pct").abs() < 30.0);
}
