//! `clv track` on the CDNOW sample against BTYD's walkthrough, as lifetimes' test suite quotes
//! it (tests/test_utils.py): Pareto/NBD in weeks, cumulative and incremental transactions of
//! weeks 20-25 (test_expected_cumulative_transactions_equals_r_btyd_walktrough,
//! test_incremental_transactions_equals_r_btyd_walktrough), and BG/NBD in days, days 11-14
//! (test_expected_cumulative_transactions_date_index).

mod common;
use common::{dataset, run_clv};

use std::path::Path;

fn ok(args: &[&str]) -> String {
    let out = run_clv(args);
    assert!(
        out.status.success(),
        "clv {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Fits `model` in `unit` on the 39-week calibration period and tracks `periods` of `period`:
/// the rows, split into fields.
fn track(
    dir: &Path,
    sample: &str,
    model: &str,
    unit: &str,
    period: &str,
    periods: &str,
) -> Vec<Vec<String>> {
    let file = dir.join(format!("{model}.json"));
    let file = file.to_str().unwrap();
    let fit = ["fit", "--model", model, "--output", file];
    ok(&[&fit[..], &common::cdnow_calibration(sample, unit)].concat());
    let csv = ok(&[
        "track",
        "--model",
        file,
        "--input",
        sample,
        "--period",
        period,
        "--periods",
        periods,
    ]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "period,last_day,actual,expected,actual_incremental,expected_incremental"
    );
    lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

fn column(rows: &[Vec<String>], i: usize) -> Vec<f64> {
    rows.iter().map(|r| r[i].parse().unwrap()).collect()
}

#[test]
#[cfg_attr(
    not(clv_datasets),
    ignore = "needs the reference datasets: set CLV_DATASETS"
)]
fn tracking_matches_the_btyd_walkthrough() {
    let Some(sample) = dataset("cdnow_sample.csv") else {
        return;
    };
    let sample = sample.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();

    let weeks = track(dir.path(), sample, "pnbd", "week", "week", "25");
    assert_eq!(weeks.len(), 25);
    let last6 = &weeks[19..25];
    assert_eq!(
        column(last6, 2),
        [1359.0, 1414.0, 1484.0, 1517.0, 1573.0, 1672.0]
    );
    let expected: Vec<f64> = column(last6, 3).iter().map(|v| v.round()).collect();
    assert_eq!(expected, [1309.0, 1385.0, 1460.0, 1533.0, 1604.0, 1674.0]);
    assert_eq!(column(last6, 4), [73.0, 55.0, 70.0, 33.0, 56.0, 99.0]);
    let btyd_inc = [78.31, 76.42, 74.65, 72.98, 71.41, 69.93];
    for (got, want) in column(last6, 5).iter().zip(btyd_inc) {
        assert!((got - want).abs() < 1e-2, "{got} vs {want}");
    }

    let days = track(dir.path(), sample, "bgnbd", "day", "day", "14");
    let last4 = &days[10..14];
    let dates: Vec<&str> = last4.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        dates,
        ["1997-01-11", "1997-01-12", "1997-01-13", "1997-01-14"]
    );
    assert_eq!(column(last4, 2), [11.0, 12.0, 15.0, 19.0]);
    let btyd = [10.67, 12.67, 14.87, 17.24];
    for (got, want) in column(last4, 3).iter().zip(btyd) {
        assert!((got - want).abs() < 5e-3, "{got} vs {want}");
    }
}

/// Nine days of orders of two customers (customer 1 on days 0 and 8) and the CDNOW BG/NBD
/// model file (in weeks): the input and model paths.
fn small_data(dir: &Path) -> (String, String) {
    let input = dir.join("t.csv");
    std::fs::write(
        &input,
        "customer_id,date,amount\n1,2020-01-01,5\n1,2020-01-09,5\n2,2020-01-03,1\n",
    )
    .unwrap();
    let model = common::workspace_root().join("models/cdnow_sample_bgnbd.json");
    let path = |p: &Path| p.to_str().unwrap().to_string();
    (path(&input), path(&model))
}

#[test]
fn tracking_past_the_data_or_in_months_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (input, model) = small_data(dir.path());
    let (input, model) = (input.as_str(), model.as_str());
    let run = |extra: &[&str]| {
        let mut args = vec!["track", "--model", model, "--input", input];
        args.extend_from_slice(extra);
        run_clv(&args)
    };
    let out = run(&["--period", "week", "--periods", "2"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("past the data's end"));
    let out = run(&["--period", "month", "--periods", "1"]);
    assert!(!out.status.success());
    // Nine days: the first customer's repeat on day 9 is in the second period only.
    let out = run(&["--period", "day", "--periods", "9"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert!(rows[8].starts_with("8,2020-01-08,0,"), "{text}");
    assert!(rows[9].starts_with("9,2020-01-09,1,"), "{text}");
}

#[test]
fn alive_path_of_one_customer() {
    // Customer 1 buys on days 0 and 8: P(alive) is 1 until the repeat purchase (BG/NBD),
    // jumps below 1 with it, then falls day by day; the library's path gives the same numbers.
    let dir = tempfile::tempdir().unwrap();
    let (input, model) = small_data(dir.path());
    let (input, model) = (input.as_str(), model.as_str());
    let track = |extra: &[&str]| {
        run_clv(&[&["track", "--model", model, "--input", input][..], extra].concat())
    };
    let out = track(&["--customer", "1", "--period", "day", "--periods", "8"]);
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<(f64, f64)> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let (a, p) = l.split_once(',').unwrap();
            (a.parse().unwrap(), p.parse().unwrap())
        })
        .collect();
    let saved = clv::models::saved::SavedModel::load(Path::new(model)).unwrap();
    let m = saved.to_model().unwrap();
    let tm = m.as_transaction_model().unwrap();
    let want = clv::predict::tracking::alive_path(tm, &[0.0, 8.0 / 7.0], 1.0 / 7.0, 8).unwrap();
    assert_eq!(rows, want);
    assert!(rows[..8].iter().all(|r| r.1 == 1.0));
    assert!(rows[8].1 < 1.0);
    let out = track(&["--customer", "9", "--periods", "3"]);
    assert!(!out.status.success());
}
