//! `clv predict`'s purchase distribution: P(exactly N purchases) for existing customers
//! (`--p-purchases`) and for a new customer (`--new-customers`), checked against R BTYD's
//! published BG/NBD values (as lifetimes' test suite quotes them) and the library.

mod common;
use common::{rel, run_clv, workspace_root};

use std::path::{Path, PathBuf};

use clv::models::TransactionModel;
use clv::models::bgnbd::BgNbd;

/// A BG/NBD model file with BTYD's example parameters (r, alpha, a, b) = (0.243, 4.414,
/// 0.793, 2.426): the repository's CDNOW model file with its parameters replaced.
fn btyd_model(dir: &Path) -> PathBuf {
    let src = workspace_root().join("models/cdnow_sample_bgnbd.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(src).unwrap()).unwrap();
    let [r, alpha, a, b] = common::BTYD_BGNBD_PARAMS;
    v["params"] = serde_json::json!({"r": r, "alpha": alpha, "a": a, "b": b});
    let path = dir.join("btyd.json");
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    path
}

fn csv_rows(out: &std::process::Output) -> (Vec<String>, Vec<Vec<String>>) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

/// `clv predict --new-customers` at `horizon` for `counts`: header and rows.
fn new_customer(model: &str, horizon: &str, counts: &str) -> (Vec<String>, Vec<Vec<String>>) {
    csv_rows(&run_clv(&[
        "predict",
        "--model",
        model,
        "--new-customers",
        "--horizon",
        horizon,
        "--p-purchases",
        counts,
    ]))
}

#[test]
fn new_customer_distribution_matches_r_btyd() {
    let dir = tempfile::tempdir().unwrap();
    let model = btyd_model(dir.path());
    let model = model.to_str().unwrap();
    let (header, rows) = new_customer(model, "30", "11,12,13,14,15,16,17,18,19,20");
    assert_eq!(header, ["purchases", "probability"]);
    let btyd = common::BTYD_BGNBD_PMF_T30_N11_20;
    assert_eq!(rows.len(), btyd.len());
    for (row, want) in rows.iter().zip(btyd) {
        let got: f64 = row[1].parse().unwrap();
        assert!(rel(got, want) < 1e-6, "{row:?} vs {want}");
    }
    let (_, rows) = new_customer(model, "39", "0");
    let p0: f64 = rows[0][1].parse().unwrap();
    assert!(rel(p0, 0.5737864) < 1e-6, "{p0}");
}

#[test]
fn existing_customers_get_one_column_per_count() {
    let dir = tempfile::tempdir().unwrap();
    let model = btyd_model(dir.path());
    let summary = dir.path().join("summary.csv");
    std::fs::write(
        &summary,
        "customer_id,frequency,recency,T,monetary_value\n1,2,30.43,38.86,22.35\n2,0,0,38.86,0\n3,14,38,38.86,40\n",
    )
    .unwrap();
    let out = run_clv(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        "--summary",
        summary.to_str().unwrap(),
        "--horizon",
        "39",
        "--p-purchases",
        "0,1,4",
    ]);
    let (header, rows) = csv_rows(&out);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let [r, alpha, a, b] = common::BTYD_BGNBD_PARAMS;
    let m = BgNbd::new(r, alpha, a, b).unwrap();
    for row in &rows {
        let v = |name: &str| row[col(name)].parse::<f64>().unwrap();
        let (x, t_x, t) = (v("frequency"), v("recency"), v("T"));
        // P(0 purchases) is the existing column's number, by another route.
        assert!(
            rel(v("p_purchases_0"), v("p_no_purchases")) < 1e-12,
            "{row:?}"
        );
        for n in [1, 4] {
            let got = v(&format!("p_purchases_{n}"));
            assert!(rel(got, m.prob_n_purchases(n, 39.0, x, t_x, t)) < 1e-12);
            assert!((0.0..=1.0).contains(&got));
        }
    }
}

#[test]
fn new_customers_need_counts_and_no_summary() {
    let dir = tempfile::tempdir().unwrap();
    let model = btyd_model(dir.path());
    let model = model.to_str().unwrap();
    let out = run_clv(&["predict", "--model", model, "--new-customers"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--p-purchases"));
    let out = run_clv(&["predict", "--model", model]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--summary"));
}

#[test]
#[cfg_attr(
    not(clv_datasets),
    ignore = "needs the reference datasets: set CLV_DATASETS"
)]
fn bgbb_alive_ahead_columns() {
    // Fader, Hardie & Shang's Table 6 (as lifetimes checks it): P(alive in 2002) of donors with
    // 6 repeat donations by 2001 is 0.93; later years can only be lower.
    let Some(donations) = common::dataset("donations_bgbb.csv") else {
        return;
    };
    let donations = donations.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("bgbb.json");
    let model = model.to_str().unwrap();
    let fit = run_clv(&[
        "fit",
        "--summary",
        donations,
        "--model",
        "bgbb",
        "--output",
        model,
    ]);
    assert!(fit.status.success());
    let args = [
        "predict",
        "--model",
        model,
        "--summary",
        donations,
        "--horizon",
        "5",
    ];
    let (header, rows) = csv_rows(&run_clv(&[&args[..], &["--alive-ahead", "1,3"]].concat()));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for row in &rows {
        let v = |name: &str| row[col(name)].parse::<f64>().unwrap();
        assert_eq!(v("p_alive_1"), v("p_alive"));
        assert!(v("p_alive_3") < v("p_alive_1"));
        if (v("frequency"), v("recency")) == (6.0, 6.0) {
            assert!((v("p_alive_1") - 0.93).abs() < 0.005, "{row:?}");
        }
    }
}

#[test]
#[cfg_attr(
    not(clv_datasets),
    ignore = "needs the reference datasets: set CLV_DATASETS"
)]
fn hourly_and_daily_units_predict_the_same() {
    // lifetimes' test_purchase_predictions_do_not_differ_much_if_looking_at_hourly_or_daily_
    // frequencies: MBG/NBD fitted on a daily and on an hourly summary predicts the same 30
    // days (720 hours).
    let Some(sample) = common::dataset("cdnow_sample.csv") else {
        return;
    };
    let sample = sample.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut expected = Vec::new();
    for (unit, horizon) in [("day", "30"), ("hour", "720")] {
        let model = dir.path().join(format!("{unit}.json"));
        let summary = dir.path().join(format!("{unit}.csv"));
        let (model, summary) = (model.to_str().unwrap(), summary.to_str().unwrap());
        let cal = common::cdnow_calibration(sample, unit);
        let fit = [&["fit", "--model", "mbgnbd", "--output", model][..], &cal].concat();
        assert!(run_clv(&fit).status.success());
        let sum = [&["summarize", "--output", summary][..], &cal].concat();
        assert!(run_clv(&sum).status.success());
        let out = run_clv(&[
            "predict",
            "--model",
            model,
            "--summary",
            summary,
            "--horizon",
            horizon,
        ]);
        let (header, rows) = csv_rows(&out);
        let col = header
            .iter()
            .position(|h| h == "expected_purchases")
            .unwrap();
        expected.push(
            rows.iter()
                .map(|r| r[col].parse::<f64>().unwrap())
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(expected[0].len(), 2357);
    for (d, h) in expected[0].iter().zip(&expected[1]) {
        assert!(rel(*h, *d) < 1e-6, "{d} vs {h}");
    }
    let total = |v: &[f64]| v.iter().sum::<f64>();
    assert!((total(&expected[0]) - total(&expected[1])).abs() < 1e-4);
}
