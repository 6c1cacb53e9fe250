//! Every money-writing output carries its assumptions: the sidecar `OUTPUT.meta.json` states
//! the horizon, annual discount rate, margin, currency, model and the columns with their
//! units, and its numbers are the flags'. Column names carry units and currency; money is
//! rounded to cents.

mod common;

use std::path::Path;

use serde_json::Value;

fn root_file(rel: &str) -> String {
    common::workspace_root().join(rel).display().to_string()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Runs clv, failing the test when it fails; returns stderr.
fn clv_ok(args: &[&str]) -> String {
    let out = common::run_clv(args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "clv {args:?} failed:\n{stderr}");
    stderr
}

fn sidecar(output: &Path) -> Value {
    let mut name = output.as_os_str().to_owned();
    name.push(".meta.json");
    let text = std::fs::read_to_string(&name)
        .unwrap_or_else(|e| panic!("no sidecar {}: {e}", Path::new(&name).display()));
    serde_json::from_str(&text).unwrap()
}

fn header(csv: &Path) -> Vec<String> {
    let mut rdr = csv::Reader::from_path(csv).unwrap();
    rdr.headers().unwrap().iter().map(String::from).collect()
}

/// The flags every money command here gets: 12 months at 7% a year, 25% margin, in euros.
const MONEY: [&str; 10] = [
    "--horizon",
    "12",
    "--unit",
    "month",
    "--discount-rate",
    "0.07",
    "--margin",
    "0.25",
    "--currency",
    "eur",
];

/// The sidecar states the flags' assumptions, the model and the output's columns.
fn check_assumptions(meta: &Value, command: &str, output: &Path) {
    assert_eq!(meta["command"], command);
    assert_eq!(meta["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(meta["currency"], "EUR");
    assert_eq!(meta["horizon"]["value"], 12.0);
    assert_eq!(meta["horizon"]["unit"], "month");
    assert_eq!(meta["horizon"]["model_unit"], "week");
    let weeks = meta["horizon"]["in_model_units"].as_f64().unwrap();
    assert!((weeks - 365.25 / 7.0).abs() < 1e-9, "{weeks}");
    assert_eq!(meta["annual_discount_rate"], 0.07);
    assert_eq!(meta["margin"], 0.25);
    assert_eq!(meta["model"]["name"], "pnbd");
    assert_eq!(meta["model"]["file"], root_file("models/demo_bundle.json"));
    check_columns(meta, output);
}

/// The names of the sidecar's columns, in order.
fn column_names(meta: &Value) -> Vec<&str> {
    meta["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect()
}

/// The sidecar lists the file's columns, in order, each with a unit, and the command line.
fn check_columns(meta: &Value, output: &Path) {
    assert_eq!(
        column_names(meta),
        header(output),
        "the sidecar's columns are the file's"
    );
    for c in meta["columns"].as_array().unwrap() {
        assert!(!c["unit"].as_str().unwrap().is_empty(), "{c}");
    }
    let line: Vec<&str> = meta["command_line"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(line.contains(&output.to_str().unwrap()), "{line:?}");
}

/// The stderr lines with `needle` state their money in euros and the CLV's assumptions: 12
/// months (52.178571 weeks), 7% a year, margin 0.25.
fn states_currency_and_assumptions(stderr: &str, needle: &str) {
    states_assumptions(stderr, needle, &["EUR"]);
}

/// The stderr lines with `needle` state the CLV's assumptions and each of `also`.
fn states_assumptions(stderr: &str, needle: &str, also: &[&str]) {
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(needle)).collect();
    assert!(!lines.is_empty(), "no {needle:?} in:\n{stderr}");
    for line in lines {
        let assumptions = ["margin 0.25", "discount 7% a year", "over 52.178571 weeks"];
        for part in assumptions.iter().chain(also) {
            assert!(line.contains(part), "{part:?} missing from {line:?}");
        }
    }
}

/// The unit the sidecar gives a column.
fn unit_of<'a>(meta: &'a Value, column: &str) -> &'a str {
    meta["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == column)
        .unwrap_or_else(|| panic!("no column {column}"))["unit"]
        .as_str()
        .unwrap()
}

/// Every value of the money columns (named `_eur`) has at most two decimals.
fn money_in_cents(csv: &Path) {
    let mut rdr = csv::Reader::from_path(csv).unwrap();
    let names = header(csv);
    let money: Vec<usize> = (0..names.len())
        .filter(|&j| names[j].ends_with("_eur"))
        .collect();
    assert!(!money.is_empty(), "{names:?}");
    for rec in rdr.records() {
        let rec = rec.unwrap();
        for &j in &money {
            let v = &rec[j];
            let decimals = v.split_once('.').map_or(0, |(_, d)| d.len());
            assert!(decimals <= 2, "{}: {v}", names[j]);
        }
    }
}

#[test]
fn score_states_its_assumptions_units_and_totals() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scores.csv");
    let mut args = vec!["score", "--model", "", "--transactions", "", "--output", ""];
    let (model, tx, o) = (
        root_file("models/demo_bundle.json"),
        root_file("data/demo_transactions.csv"),
        s(&out),
    );
    (args[2], args[4], args[6]) = (&model, &tx, &o);
    args.extend(MONEY);
    let stderr = clv_ok(&args);
    states_currency_and_assumptions(&stderr, "CLV: ");
    let at_risk = stderr.lines().find(|l| l.starts_with("at risk:")).unwrap();
    assert!(at_risk.contains(" EUR "), "{at_risk}");
    let meta = sidecar(&out);
    check_assumptions(&meta, "clv score", &out);
    assert_eq!(unit_of(&meta, "recency_weeks"), "week");
    assert_eq!(unit_of(&meta, "T_weeks"), "week");
    assert_eq!(unit_of(&meta, "clv_eur"), "EUR");
    assert_eq!(unit_of(&meta, "p_alive"), "probability");
    money_in_cents(&out);
    // The totals are the sums of the rows (to the cents the rows are rounded to).
    let mut rdr = csv::Reader::from_path(&out).unwrap();
    let at = header(&out).iter().position(|h| h == "clv_eur").unwrap();
    let (mut sum, mut n) = (0.0, 0.0);
    for rec in rdr.records() {
        sum += rec.unwrap()[at].parse::<f64>().unwrap();
        n += 1.0;
    }
    let total = meta["totals"]["clv_eur"].as_f64().unwrap();
    assert!((total - sum).abs() <= 0.005 * n + 0.01, "{total} vs {sum}");
    assert_eq!(meta["totals"]["customers"], n);
    assert!(meta.get("intervals").is_none(), "intervals are opt-in");
}

#[test]
fn at_risk_and_segment_state_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let (model, tx) = (
        root_file("models/demo_bundle.json"),
        root_file("data/demo_transactions.csv"),
    );
    let out = dir.path().join("at_risk.csv");
    let o = s(&out);
    let mut args = vec![
        "at-risk",
        "--model",
        &model,
        "--transactions",
        &tx,
        "--output",
        &o,
    ];
    args.extend(MONEY);
    let stderr = clv_ok(&args);
    states_currency_and_assumptions(&stderr, "total value at risk");
    let meta = sidecar(&out);
    check_assumptions(&meta, "clv at-risk", &out);
    assert_eq!(unit_of(&meta, "value_at_risk_eur"), "EUR");
    assert_eq!(meta["totals"]["at_risk_customers"], 100.0);
    money_in_cents(&out);

    let seg = dir.path().join("segments.csv");
    let o = s(&seg);
    clv_ok(&[
        "segment",
        "--input",
        &tx,
        "--output",
        &o,
        "--currency",
        "EUR",
    ]);
    let meta = sidecar(&seg);
    assert_eq!(meta["command"], "clv segment");
    assert_eq!(meta["currency"], "EUR");
    assert_eq!(unit_of(&meta, "days_since_last_purchase"), "day");
    assert_eq!(unit_of(&meta, "total_spend_eur"), "EUR");
    money_in_cents(&seg);
}

/// Two prospect segments of the demo bundle's channels, written to `dir/prospects.csv`.
fn write_prospects(dir: &std::path::Path) -> std::path::PathBuf {
    let prospects = dir.join("prospects.csv");
    std::fs::write(
        &prospects,
        "channel,score,count\npaid,0.5,100\norganic,0.1,300\n",
    )
    .unwrap();
    prospects
}

#[test]
fn score_new_states_its_assumptions_and_writes_the_budget_table() {
    let dir = tempfile::tempdir().unwrap();
    let prospects = write_prospects(dir.path());
    let (out, budget) = (dir.path().join("scored.csv"), dir.path().join("budget.csv"));
    let (model, p, o, b) = (
        root_file("models/demo_bundle.json"),
        s(&prospects),
        s(&out),
        s(&budget),
    );
    let mut args = vec![
        "score-new",
        "--model",
        &model,
        "--prospects",
        &p,
        "--target-ltv-cac",
        "4",
        "--output",
        &o,
        "--budget-output",
        &b,
    ];
    args.extend(MONEY);
    let stderr = clv_ok(&args);
    // The money is in the table below the line, its columns named with the currency.
    states_assumptions(&stderr, "new-customer CLV", &[]);
    assert!(
        stderr.contains("max CAC (EUR)") && !stderr.contains("conservative"),
        "{stderr}"
    );
    for file in [&out, &budget] {
        let meta = sidecar(file);
        check_assumptions(&meta, "clv score-new", file);
        assert_eq!(meta["settings"]["target_ltv_cac"], 4.0);
        money_in_cents(file);
    }
    let names = header(&out);
    assert_eq!(
        names
            .iter()
            .filter(|h| h.starts_with("first_order_value"))
            .count(),
        1
    );
    // The budget table: overall, then per channel; budget = prospects x max CAC.
    let mut rdr = csv::Reader::from_path(&budget).unwrap();
    assert_eq!(
        header(&budget),
        [
            "group",
            "prospects",
            "mean_clv_eur",
            "max_cac_eur",
            "budget_eur"
        ]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let groups: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(groups, ["all", "channel=organic", "channel=paid"]);
    for r in &rows {
        let v = |j: usize| r[j].parse::<f64>().unwrap();
        assert!((v(3) * 4.0 - v(2)).abs() <= 0.03, "{r:?}");
        assert!((v(1) * v(3) - v(4)).abs() <= 0.005 * v(1) + 0.01, "{r:?}");
    }
    assert_eq!(&rows[0][1], "400");
}

#[test]
fn a_currency_is_a_three_letter_code() {
    let out = common::run_clv(&[
        "segment",
        "--input",
        &root_file("data/demo_transactions.csv"),
        "--currency",
        "$",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("three-letter ISO 4217 code"), "{err}");
}

/// `clv score --intervals` on the demo data with `model`: stderr and the output file.
fn score_with_intervals(model: &str, out: &Path) -> String {
    let (tx, o) = (root_file("data/demo_transactions.csv"), s(out));
    let mut args = vec![
        "score",
        "--model",
        model,
        "--transactions",
        &tx,
        "--output",
        &o,
        "--intervals",
    ];
    args.extend(MONEY);
    clv_ok(&args)
}

#[test]
fn score_intervals_bracket_the_clv_per_customer_and_in_total() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scores.csv");
    let stderr = score_with_intervals(&root_file("models/demo_bundle.json"), &out);
    assert!(stderr.contains("90% interval of the total CLV"), "{stderr}");
    let meta = sidecar(&out);
    check_assumptions(&meta, "clv score", &out);
    assert_eq!(meta["intervals"]["available"], true);
    assert_eq!(meta["intervals"]["level"], 0.9);
    let total = |k: &str| meta["totals"][k].as_f64().unwrap();
    assert!(total("clv_low_eur") < total("clv_eur") && total("clv_eur") < total("clv_high_eur"));
    let names = header(&out);
    let at = |n: &str| names.iter().position(|h| h == n).unwrap();
    let (clv, low, high) = (at("clv_eur"), at("clv_eur") + 1, at("clv_eur") + 2);
    assert_eq!(
        (&names[low][..], &names[high][..]),
        ("clv_low_eur", "clv_high_eur")
    );
    let mut rdr = csv::Reader::from_path(&out).unwrap();
    let (mut inside, mut n) = (0, 0);
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let v = |j: usize| rec[j].parse::<f64>().unwrap();
        assert!(v(low) <= v(high), "{rec:?}");
        inside += usize::from(v(low) <= v(clv) && v(clv) <= v(high));
        n += 1;
    }
    // The point estimate sits inside its own parameter interval for nearly everyone.
    assert!(inside as f64 >= 0.95 * n as f64, "{inside} of {n}");
    money_in_cents(&out);
}

#[test]
fn a_fit_without_covariance_gives_a_warning_not_point_values_as_intervals() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root_file("models/demo_bundle.json")).unwrap();
    let mut bundle: Value = serde_json::from_str(&text).unwrap();
    bundle["transaction_model"]["fit"]["covariance"] = Value::Null;
    let model = dir.path().join("no_covariance.json");
    std::fs::write(&model, bundle.to_string()).unwrap();
    let out = dir.path().join("scores.csv");
    let stderr = score_with_intervals(&s(&model), &out);
    assert!(
        stderr.contains("warning: no CLV intervals") && stderr.contains("no covariance"),
        "{stderr}"
    );
    let meta = sidecar(&out);
    assert_eq!(meta["intervals"]["available"], false);
    assert!(
        meta["intervals"]["reason"]
            .as_str()
            .unwrap()
            .contains("no covariance")
    );
    assert!(!header(&out).iter().any(|h| h.starts_with("clv_low")));
}

#[test]
fn score_new_intervals_give_a_conservative_maximum_cac() {
    let dir = tempfile::tempdir().unwrap();
    let prospects = write_prospects(dir.path());
    let out = dir.path().join("scored.csv");
    let (model, p, o) = (root_file("models/demo_bundle.json"), s(&prospects), s(&out));
    let mut args = vec![
        "score-new",
        "--model",
        &model,
        "--prospects",
        &p,
        "--output",
        &o,
        "--intervals",
    ];
    args.extend(MONEY);
    let stderr = clv_ok(&args);
    // The budget table adds the report's conservative bound per group.
    assert!(stderr.contains("conservative max CAC (EUR)"), "{stderr}");
    let meta = sidecar(&out);
    check_assumptions(&meta, "clv score-new", &out);
    assert_eq!(meta["intervals"]["available"], true);
    // The "all" line's bound is the prospects' mean, as in the sidecar.
    let all: Vec<&str> = stderr
        .lines()
        .find(|l| l.starts_with("all "))
        .unwrap()
        .split_whitespace()
        .collect();
    let mean = meta["totals"]["mean_max_cac_conservative_eur"]
        .as_f64()
        .unwrap();
    assert!(
        (all[4].parse::<f64>().unwrap() - mean).abs() <= 0.01,
        "{all:?} vs {mean}"
    );
    let names = header(&out);
    let at = |n: &str| names.iter().position(|h| h == n).unwrap();
    let mut rdr = csv::Reader::from_path(&out).unwrap();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let v = |n: &str| rec[at(n)].parse::<f64>().unwrap();
        let (clv, low, high) = (v("clv_eur"), v("clv_low_eur"), v("clv_high_eur"));
        assert!(low < clv && clv < high, "{rec:?}");
        let conservative = v("max_cac_conservative_eur");
        assert!((conservative - low / 3.0).abs() <= 0.01, "{rec:?}");
        assert!(conservative < v("max_cac_eur"), "{rec:?}");
    }
    money_in_cents(&out);
}

/// The demo bundle's `part` (`transaction_model`, `spend_model`, `churn`) as its own file.
fn bundle_part(dir: &Path, part: &str) -> String {
    let text = std::fs::read_to_string(root_file("models/demo_bundle.json")).unwrap();
    let bundle: Value = serde_json::from_str(&text).unwrap();
    let path = dir.join(format!("{part}.json"));
    std::fs::write(&path, bundle[part].to_string()).unwrap();
    s(&path)
}

/// The sum of a CSV column.
fn column_sum(csv: &Path, name: &str) -> f64 {
    let at = header(csv).iter().position(|h| h == name).unwrap();
    let mut rdr = csv::Reader::from_path(csv).unwrap();
    rdr.records()
        .map(|r| r.unwrap()[at].parse::<f64>().unwrap())
        .sum()
}

#[test]
fn predict_states_its_horizon_discount_model_and_revenue_currency() {
    let dir = tempfile::tempdir().unwrap();
    let (model, spend) = (
        bundle_part(dir.path(), "transaction_model"),
        bundle_part(dir.path(), "spend_model"),
    );
    let summary = dir.path().join("summary.csv");
    std::fs::write(
        &summary,
        "customer_id,frequency,recency,T,monetary_value\n1,2,30.4,38.9,22.4\n2,0,0,38.9,0\n3,9,38,38.9,40\n",
    )
    .unwrap();
    let out = dir.path().join("p.csv");
    let (sm, o) = (s(&summary), s(&out));
    #[rustfmt::skip]
    let stderr = clv_ok(&[
        "predict", "--model", &model, "--spend-model", &spend, "--summary", &sm, "--horizon",
        "26", "--discount-rate", "0.07", "--currency", "eur", "--output", &o,
    ]);
    assert!(
        stderr.contains("predicted revenue") && stderr.contains("EUR"),
        "{stderr}"
    );
    let meta = sidecar(&out);
    assert_eq!(meta["command"], "clv predict");
    check_columns(&meta, &out);
    assert_eq!(meta["currency"], "EUR");
    assert_eq!(meta["model"]["name"], "pnbd");
    assert_eq!(meta["model"]["file"], model);
    assert_eq!(meta["settings"]["spend_model"], spend);
    assert_eq!(meta["horizon"]["value"], 26.0);
    assert_eq!(meta["horizon"]["unit"], "week");
    assert_eq!(meta["annual_discount_rate"], 0.07);
    assert_eq!(meta["margin"], 1.0, "revenue: no margin applied");
    assert_eq!(unit_of(&meta, "recency"), "week");
    assert_eq!(unit_of(&meta, "p_alive"), "probability");
    assert_eq!(unit_of(&meta, "predicted_revenue"), "EUR");
    assert_eq!(unit_of(&meta, "dert"), "count");
    let total = meta["totals"]["predicted_revenue"].as_f64().unwrap();
    assert!((total - column_sum(&out, "predicted_revenue")).abs() < 0.01);

    // A new customer's purchase distribution: no money, so no currency.
    let nc = dir.path().join("new.csv");
    let o = s(&nc);
    #[rustfmt::skip]
    clv_ok(&[
        "predict", "--model", &model, "--new-customers", "--p-purchases", "0,1,2", "--output", &o,
    ]);
    let meta = sidecar(&nc);
    check_columns(&meta, &nc);
    assert!(meta.get("currency").is_none(), "{meta}");
    assert_eq!(meta["horizon"]["value"], 52.0);
    assert_eq!(unit_of(&meta, "probability"), "probability");
}

#[test]
fn churn_score_track_and_cohorts_state_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let tx = root_file("data/demo_transactions.csv");
    let churn = bundle_part(dir.path(), "churn");
    let out = dir.path().join("churn.csv");
    let o = s(&out);
    #[rustfmt::skip]
    clv_ok(&[
        "churn", "score", "--model", &churn, "--input", &tx, "--currency", "eur", "--output", &o,
    ]);
    let meta = sidecar(&out);
    assert_eq!(meta["command"], "clv churn score");
    check_columns(&meta, &out);
    assert_eq!(meta["currency"], "EUR");
    assert_eq!(unit_of(&meta, "total_spend"), "EUR");
    assert_eq!(unit_of(&meta, "churn_probability"), "probability");
    let window = meta["settings"]["churn_window"].as_f64().unwrap();
    assert!(window > 0.0);
    assert_eq!(meta["horizon"]["value"], window);
    assert_eq!(meta["horizon"]["unit"], "week");
    assert!(meta["settings"]["threshold"].as_f64().is_some());
    assert_eq!(meta["totals"]["customers"], 3000.0);

    let model = bundle_part(dir.path(), "transaction_model");
    let out = dir.path().join("tracking.csv");
    let o = s(&out);
    #[rustfmt::skip]
    clv_ok(&["track", "--model", &model, "--input", &tx, "--periods", "20", "--output", &o]);
    let meta = sidecar(&out);
    assert_eq!(meta["command"], "clv track");
    check_columns(&meta, &out);
    assert!(meta.get("currency").is_none(), "no money: {meta}");
    assert_eq!(meta["model"]["name"], "pnbd");
    assert_eq!(
        (&meta["settings"]["period"], &meta["settings"]["periods"]),
        (&"week".into(), &20.into())
    );
    assert_eq!(unit_of(&meta, "last_day"), "date");
    let actual: f64 = column_sum(&out, "actual_incremental");
    assert_eq!(meta["totals"]["actual"], actual);

    let cohorts = dir.path().join("cohorts.csv");
    let c = s(&cohorts);
    clv_ok(&["segment", "--input", &tx, "--cohorts", &c]);
    let meta = sidecar(&cohorts);
    assert_eq!(meta["command"], "clv segment");
    check_columns(&meta, &cohorts);
    assert_eq!(unit_of(&meta, "size"), "count");
    assert_eq!(unit_of(&meta, "month_0"), "probability");
    assert_eq!(meta["totals"]["customers"], 3000.0);
}

#[test]
fn summarize_states_its_unit_period_and_currency_in_memory_and_partitioned() {
    let dir = tempfile::tempdir().unwrap();
    let tx = root_file("data/demo_transactions.csv");
    for (name, extra) in [("in_memory", None), ("partitioned", Some("1KiB"))] {
        let out = dir.path().join(format!("{name}.csv"));
        let o = s(&out);
        let mut args = vec![
            "summarize",
            "--input",
            &tx,
            "--unit",
            "day",
            "--calibration-end",
            "2024-06-30",
            "--currency",
            "gbp",
            "--output",
            &o,
        ];
        if let Some(budget) = extra {
            args.extend(["--memory-budget", budget]);
        }
        clv_ok(&args);
        let meta = sidecar(&out);
        assert_eq!(meta["command"], "clv summarize");
        check_columns(&meta, &out);
        assert_eq!(meta["currency"], "GBP");
        assert_eq!(unit_of(&meta, "total_spend"), "GBP");
        assert_eq!(unit_of(&meta, "monetary_value_holdout"), "GBP");
        assert_eq!(unit_of(&meta, "frequency"), "count");
        assert_eq!(unit_of(&meta, "first_purchase"), "date");
        assert_ne!(unit_of(&meta, "T"), unit_of(&meta, "frequency"));
        assert_eq!(meta["settings"]["unit"], "day");
        assert_eq!(meta["settings"]["calibration_end"], "2024-06-30");
        let rows = std::fs::read_to_string(&out).unwrap().lines().count() - 1;
        assert_eq!(meta["settings"]["customers"], rows);
        assert!(meta["settings"]["observation_end"].as_str().unwrap() > "2024-06-30");
    }
}

#[test]
fn the_demo_states_the_assumptions_of_its_scores() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let tx = root_file("data/demo_transactions.csv");
    clv_ok(&["demo", "--input", &tx, "--out-dir", &s(&out)]);
    let scores = out.join("scores.csv");
    let meta = sidecar(&scores);
    assert_eq!(meta["command"], "clv demo");
    assert_eq!(column_names(&meta), header(&scores));
    assert_eq!(unit_of(&meta, "clv_usd"), "USD");
    assert_eq!(meta["margin"], 0.3);
    assert_eq!(meta["annual_discount_rate"], 0.1);
    assert_eq!(meta["horizon"]["value"], 52.0);
    assert_eq!(meta["currency"], "USD");
    let rows = std::fs::read_to_string(&scores).unwrap().lines().count() - 1;
    assert_eq!(meta["totals"]["customers"], rows as f64);
}
