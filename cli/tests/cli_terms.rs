//! One meaning per term across subcommands: the annual discount rate of `clv predict` and
//! `clv score`, horizons in any unit, the required margin, covariates only when asked for and
//! their errors.

mod common;

use std::collections::HashMap;
use std::path::Path;

fn demo_transactions() -> String {
    common::workspace_root()
        .join("data/demo_transactions.csv")
        .display()
        .to_string()
}

fn demo_bundle() -> String {
    common::workspace_root()
        .join("models/demo_bundle.json")
        .display()
        .to_string()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Runs clv and returns stderr, failing the test when it fails.
fn clv_ok<S: AsRef<str> + std::fmt::Debug>(args: &[S]) -> String {
    let strs: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let out = common::run_clv(&strs);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "clv {args:?} failed:\n{stderr}");
    stderr
}

/// Runs clv expecting failure; returns stderr.
fn clv_fails<S: AsRef<str> + std::fmt::Debug>(args: &[S]) -> String {
    let strs: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let out = common::run_clv(&strs);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "clv {args:?} succeeded:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// The rows of a CSV keyed by customer_id, each a column → value map.
fn rows_by_id(path: &Path) -> HashMap<String, HashMap<String, f64>> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            let values = header
                .iter()
                .zip(r.iter())
                .filter_map(|(h, v)| Some((h.clone(), v.parse::<f64>().ok()?)))
                .collect();
            (r[0].to_string(), values)
        })
        .collect()
}

#[test]
fn predict_and_score_read_the_same_annual_discount_rate() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle.json");
    let tx = demo_transactions();
    clv_ok(&[
        "train",
        "--transactions",
        &tx,
        "--unit",
        "day",
        "--model",
        "pnbd",
        "--output",
        &s(&bundle),
    ]);
    // The bundle's transaction model as a model file for `clv predict`.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&bundle).unwrap()).unwrap();
    let model = dir.path().join("pnbd.json");
    std::fs::write(&model, json["transaction_model"].to_string()).unwrap();
    let summary = dir.path().join("summary.csv");
    clv_ok(&[
        "summarize",
        "--input",
        &tx,
        "--unit",
        "day",
        "--output",
        &s(&summary),
    ]);
    let annual = 4.0;
    let predictions = dir.path().join("predictions.csv");
    clv_ok(&[
        "predict",
        "--model",
        &s(&model),
        "--summary",
        &s(&summary),
        "--discount-rate",
        "4",
        "--output",
        &s(&predictions),
    ]);
    // 15 years at 400% a year: the discount weight left after the horizon is 5^-15.
    let scores = dir.path().join("scores.csv");
    clv_ok(&[
        "score",
        "--model",
        &s(&bundle),
        "--transactions",
        &tx,
        "--horizon",
        "180",
        "--unit",
        "month",
        "--discount-rate",
        "4",
        "--margin",
        "1",
        "--output",
        &s(&scores),
    ]);
    let dert = rows_by_id(&predictions);
    let scored = rows_by_id(&scores);
    assert_eq!(dert.len(), 3000);
    assert_eq!(scored.len(), 3000);
    // Score sums daily purchases discounted at each day's end, DERT integrates continuously:
    // with δ = ln(1 + annual) / 365.25 per day, a steady stream's ratio is δe^−δ / (1 − e^−δ).
    let delta = f64::ln(1.0 + annual) / 365.25;
    let end_of_day = delta * (-delta).exp() / (1.0 - (-delta).exp());
    for (id, p) in &dert {
        let sc = &scored[id];
        // `score` rounds money to cents: CLV and order value are each within half a cent.
        let (clv, spend) = (sc["clv_usd"], sc["expected_avg_spend_usd"]);
        let per_unit_spend = clv / spend;
        let rounding = 0.005 * (1.0 + per_unit_spend) / (spend - 0.005);
        let want = p["dert"] * end_of_day;
        assert!(
            (per_unit_spend - want).abs() <= 2e-4 * want + rounding,
            "customer {id}: score's CLV per unit spend {per_unit_spend}, predict's DERT {} (x {end_of_day})",
            p["dert"]
        );
    }
}

/// `clv score` of the demo bundle (weekly) over `horizon` `unit`s: CLV per customer.
fn demo_clv(dir: &Path, horizon: &str, unit: &str) -> HashMap<String, f64> {
    let out = dir.join(format!("scores_{horizon}_{unit}.csv"));
    clv_ok(&[
        "score",
        "--model",
        &demo_bundle(),
        "--transactions",
        &demo_transactions(),
        "--horizon",
        horizon,
        "--unit",
        unit,
        "--margin",
        "0.3",
        "--output",
        &s(&out),
    ]);
    rows_by_id(&out)
        .into_iter()
        .map(|(id, r)| (id, r["clv_usd"]))
        .collect()
}

#[test]
fn a_horizon_in_months_is_converted_to_the_bundles_weeks() {
    let dir = tempfile::tempdir().unwrap();
    let months = demo_clv(dir.path(), "12", "month");
    // 12 months = 365.25 days = 365.25 / 7 = 52.178571428571… weeks, exactly.
    let weeks = demo_clv(dir.path(), &format!("{}", 365.25 / 7.0), "week");
    let rounded = demo_clv(dir.path(), "52.18", "week");
    let whole_year = demo_clv(dir.path(), "52", "week");
    assert_eq!(months.len(), 3000);
    let mut differs_from_52 = 0;
    for (id, clv) in &months {
        // CSV money is rounded to cents: the same value may round a cent apart.
        assert!(
            (clv - weeks[id]).abs() <= 0.0101,
            "{id}: {clv} vs {}",
            weeks[id]
        );
        // 52.18 weeks is 0.0014 weeks more than 12 months: a relative change below 1e-4.
        assert!(
            (clv - rounded[id]).abs() <= 1e-4 * clv.abs() + 0.0101,
            "{id}: {clv} vs {}",
            rounded[id]
        );
        assert!(whole_year[id] <= *clv);
        differs_from_52 += usize::from(whole_year[id] < clv * (1.0 - 1e-6));
    }
    // The 0.18-week partial period is valued, not dropped.
    assert!(differs_from_52 > 1000, "{differs_from_52}");
}

#[test]
fn money_outputs_require_a_margin() {
    let dir = tempfile::tempdir().unwrap();
    let prospects = dir.path().join("prospects.csv");
    std::fs::write(&prospects, "channel,score\npaid,0.5\n").unwrap();
    let tx = demo_transactions();
    let bundle = demo_bundle();
    for args in [
        vec!["score", "--model", &bundle, "--transactions", &tx],
        vec![
            "score-new",
            "--model",
            &bundle,
            "--prospects",
            &s(&prospects),
        ],
        vec![
            "report",
            "--model",
            &bundle,
            "--transactions",
            &tx,
            "--output",
            "r.html",
        ],
    ] {
        let err = clv_fails(&args);
        assert!(err.contains("--margin"), "{args:?}: {err}");
    }
}

#[test]
fn extra_columns_become_covariates_only_when_named() {
    let dir = tempfile::tempdir().unwrap();
    let tx = demo_transactions();
    let train = |name: &str, extra: &[&str]| -> serde_json::Value {
        let out = dir.path().join(name);
        let mut args = vec![
            "train",
            "--transactions",
            &tx,
            "--model",
            "bgnbd",
            "--calibration-end",
            "2025-01-26",
        ];
        args.extend_from_slice(extra);
        let out_s = s(&out);
        args.extend_from_slice(&["--output", &out_s]);
        clv_ok(&args);
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
    };
    let plain = train("plain.json", &[]);
    assert!(plain["covariates"].is_null(), "{}", plain["covariates"]);
    let named = train("named.json", &["--covariates", "channel"]);
    let columns = named["covariates"]["encoding"]["columns"]
        .as_array()
        .unwrap();
    let names: Vec<&str> = columns
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["channel"]);
    // A column that is not there names the flag for a per-customer file.
    let err = clv_fails(&[
        "train",
        "--transactions",
        &tx,
        "--covariates",
        "attributes.csv",
        "--output",
        &s(&dir.path().join("x.json")),
    ]);
    assert!(
        err.contains("'attributes.csv'") && err.contains("--covariates-file"),
        "{err}"
    );
}

/// The arguments of `clv score-new` with the demo bundle at a 30% margin, then `extra`.
fn score_new_args<'a>(prospects: &'a str, extra: &[&'a str]) -> Vec<String> {
    let mut args = vec![
        "score-new".to_string(),
        "--model".into(),
        demo_bundle(),
        "--prospects".into(),
        prospects.into(),
        "--margin".into(),
        "0.3".into(),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    args
}

#[test]
fn an_unseen_level_at_scoring_names_the_column_level_and_line() {
    let dir = tempfile::tempdir().unwrap();
    for (level, line) in [("Paid", 3), ("tv", 3), ("", 3)] {
        let prospects = dir.path().join("prospects.csv");
        std::fs::write(
            &prospects,
            format!("channel,score\npaid,0.5\n{level},0.1\norganic,0.2\n"),
        )
        .unwrap();
        let err = clv_fails(&score_new_args(&s(&prospects), &[]));
        for part in [
            "prospects.csv".to_string(),
            format!("line {line}"),
            "'channel'".to_string(),
            format!("'{level}'"),
            "--covariates".to_string(),
        ] {
            assert!(err.contains(&part), "{part} missing from: {err}");
        }
    }
}

#[test]
fn a_malformed_numeric_covariate_is_an_error_not_a_category() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(demo_transactions()).unwrap();
    for bad in ["NaN", "n/a", ""] {
        // The score of the first order of customer 7 replaced.
        let mut done = false;
        let edited: String = text
            .lines()
            .map(|l| {
                let mut cells: Vec<&str> = l.split(',').collect();
                if !done && cells[0] == "7" {
                    done = true;
                    cells[4] = bad;
                }
                cells.join(",") + "\n"
            })
            .collect();
        assert!(done);
        let tx = dir.path().join("orders.csv");
        std::fs::write(&tx, edited).unwrap();
        let err = clv_fails(&[
            "train",
            "--transactions",
            &s(&tx),
            "--model",
            "bgnbd",
            "--covariates",
            "channel,score",
            "--output",
            &s(&dir.path().join("b.json")),
        ]);
        for part in [
            "'score'",
            "customer '7'",
            &format!("'{bad}'"),
            "--covariates",
        ] {
            assert!(err.contains(part), "{bad}: {part} missing from: {err}");
        }
    }
}

#[test]
fn score_new_writes_first_order_value_once() {
    let dir = tempfile::tempdir().unwrap();
    let prospects = dir.path().join("prospects.csv");
    std::fs::write(
        &prospects,
        "channel,first_order_value,score\npaid,80,0.5\norganic,20,0.1\n",
    )
    .unwrap();
    let out = dir.path().join("scored.csv");
    clv_ok(&score_new_args(&s(&prospects), &["--output", &s(&out)]));
    let mut rdr = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let at = |name: &str| header.iter().position(|h| h == name);
    assert_eq!(
        header
            .iter()
            .filter(|h| h.starts_with("first_order_value"))
            .count(),
        1,
        "{header:?}"
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    // The given first orders are the values used; the other columns stay aligned.
    let (first, channel) = (at("first_order_value_usd").unwrap(), at("channel").unwrap());
    assert_eq!((&rows[0][channel], &rows[0][first]), ("paid", "80"));
    assert_eq!((&rows[1][channel], &rows[1][first]), ("organic", "20"));
    assert_eq!(&rows[1][at("score").unwrap()], "0.1");
}
