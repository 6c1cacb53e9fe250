//! `clv churn train`, `clv churn score` and `clv at-risk` end to end on a simulated file:
//! the train → score round trip reproduces the training metrics, model-file checks (version,
//! time unit), bad input, and the at-risk list (determinism, selection, ordering, CLV file).

mod common;
use common::run_clv as clv;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: &Output) {
    assert!(out.status.success(), "clv failed: {}", text(&out.stderr));
}

/// A clean failure: exit code 1, one `error:` line, no panic.
fn fails_with(out: &Output, needles: &[&str]) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "expected '{n}' in: {err}");
    }
}

const CAL_END: &str = "2024-09-30";
/// 78 weeks after the simulation start (2024-01-01): the holdout is exactly 39 weeks.
const OBS_END: &str = "2025-06-30";

struct Fixture {
    dir: PathBuf,
    tx: String,
    model: String,
}

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

/// Simulates 2,000 customers with covariates and trains one churn model, once per run.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli_churn");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let tx = p(&dir, "tx.csv");
        let model = p(&dir, "churn.json");
        ok(&clv(&[
            "simulate",
            "--customers",
            "2000",
            "--seed",
            "7",
            "--covariate-effects",
            "0.5,0.3,-0.5,0.2",
            "--output",
            &tx,
        ]));
        #[rustfmt::skip]
        let out = clv(&[
            "churn", "train", "--input", &tx, "--unit", "week", "--observation-end", OBS_END,
            "--calibration-end", CAL_END, "--covariates", "channel,score", "--seed", "42",
            "--output", &model,
        ]);
        ok(&out);
        assert!(text(&out.stdout).contains("strongest features"));
        Fixture { dir, tx, model }
    })
}

/// Per customer: distinct purchase days and summed amounts, from the transaction file.
fn purchases(tx: &str) -> BTreeMap<String, BTreeMap<String, f64>> {
    let mut out: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    let mut rdr = csv::Reader::from_path(tx).unwrap();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        *out.entry(rec[0].to_string())
            .or_default()
            .entry(rec[1].to_string())
            .or_default() += rec[2].parse::<f64>().unwrap();
    }
    out
}

/// `clv churn score` output rows: id, churn probability, P(alive), expected, spend.
fn read_scores(path: &str) -> Vec<(String, f64, f64, f64, f64)> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "customer_id",
            "churn_probability",
            "p_alive",
            "expected_purchases_window",
            "total_spend"
        ]
    );
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            let f = |i: usize| r[i].parse::<f64>().unwrap();
            (r[0].to_string(), f(1), f(2), f(3), f(4))
        })
        .collect()
}

/// ROC AUC by counting pairs (ties count one half).
fn auc(scores: &[f64], labels: &[bool]) -> f64 {
    let (mut wins, mut pairs) = (0.0, 0.0);
    for (i, &si) in scores.iter().enumerate() {
        if !labels[i] {
            continue;
        }
        for (j, &sj) in scores.iter().enumerate() {
            if labels[j] {
                continue;
            }
            pairs += 1.0;
            wins += if si > sj {
                1.0
            } else if si == sj {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / pairs
}

fn model_json(path: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn score_on_the_calibration_data_reproduces_the_training_metrics() {
    let f = fixture();
    let m = model_json(&f.model);
    assert_eq!(m["format"], "clv-churn");
    assert_eq!(m["version"], 1);
    assert_eq!(m["time_unit"], "week");
    assert_eq!(m["settings"]["window"], 39.0);
    assert_eq!(m["transaction_model"]["model"], "bgnbd");
    assert_eq!(m["settings"]["covariates"][0]["kind"], "categorical");
    assert_eq!(m["settings"]["covariates"][1]["kind"], "numeric");
    let names = m["classifier"]["feature_names"].as_array().unwrap();
    assert!(names.iter().any(|n| n == "channel=paid") && names.iter().any(|n| n == "score"));

    // Scoring only up to the calibration end rebuilds the training features exactly.
    let scores = p(&f.dir, "cal_scores.csv");
    #[rustfmt::skip]
    ok(&clv(&[
        "churn", "score", "--model", &f.model, "--input", &f.tx, "--observation-end", CAL_END,
        "--on-error", "skip", "--rejects", &p(&f.dir, "cal.rejects.csv"), "--output", &scores,
    ]));
    let rows = read_scores(&scores);
    let history = purchases(&f.tx);
    assert_eq!(rows.len(), history.len());
    let labels: Vec<bool> = rows
        .iter()
        .map(|r| history[&r.0].keys().all(|d| d.as_str() <= CAL_END))
        .collect();
    let probs: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let churn_rate = labels.iter().filter(|&&y| y).count() as f64 / labels.len() as f64;
    let mean = probs.iter().sum::<f64>() / probs.len() as f64;
    let trained = &m["training"]["metrics"];
    let close = |a: f64, b: &serde_json::Value| (a - b.as_f64().unwrap()).abs() < 1e-9;
    assert!(close(churn_rate, &trained["churn_rate"]));
    assert!(
        close(mean, &trained["mean_predicted"]),
        "{mean} vs {}",
        trained["mean_predicted"]
    );
    let a = auc(&probs, &labels);
    assert!(
        close(a, &trained["roc_auc"]),
        "{a} vs {}",
        trained["roc_auc"]
    );
    assert!(a > 0.7, "the classifier ranks churners first: AUC {a}");
}

#[test]
fn score_on_the_full_history_is_sorted_and_consistent() {
    let f = fixture();
    let out = clv(&["churn", "score", "--model", &f.model, "--input", &f.tx]);
    ok(&out);
    let path = p(&f.dir, "full_scores.csv");
    std::fs::write(&path, &out.stdout).unwrap();
    let rows = read_scores(&path);
    let history = purchases(&f.tx);
    assert_eq!(rows.len(), history.len());
    for w in rows.windows(2) {
        assert!(
            w[0].1 > w[1].1 || (w[0].1 == w[1].1 && w[0].0 < w[1].0),
            "order at {}",
            w[1].0
        );
    }
    for (id, churn, alive, expected, spend) in &rows {
        assert!(
            (0.0..=1.0).contains(churn) && (0.0..=1.0).contains(alive),
            "{id}"
        );
        assert!(expected.is_finite() && *expected >= 0.0, "{id}");
        let total: f64 = history[id].values().sum();
        assert!(
            (spend - total).abs() < 1e-6 * total.max(1.0),
            "{id}: {spend} vs {total}"
        );
    }
}

#[test]
fn model_file_version_and_time_unit_are_checked() {
    let f = fixture();
    let edited = p(&f.dir, "edited.json");
    let json = std::fs::read_to_string(&f.model).unwrap();
    assert!(json.contains("\"version\": 1,"));
    std::fs::write(
        &edited,
        json.replacen("\"version\": 1,", "\"version\": 2,", 1),
    )
    .unwrap();
    let out = clv(&["churn", "score", "--model", &edited, "--input", &f.tx]);
    fails_with(&out, &["edited.json", "schema version 2", "version 1"]);

    let out = clv(&[
        "churn", "score", "--model", &f.model, "--input", &f.tx, "--unit", "day",
    ]);
    fails_with(&out, &["trained in weeks", "days were asked"]);
    let out = clv(&[
        "at-risk", "--model", &f.model, "--input", &f.tx, "--unit", "month",
    ]);
    fails_with(&out, &["trained in weeks", "months were asked"]);
    let out = clv(&[
        "churn", "score", "--model", &f.model, "--input", &f.tx, "--unit", "week",
    ]);
    ok(&out);
}

#[test]
fn bad_training_input_gives_clear_errors() {
    let f = fixture();
    let out_model = p(&f.dir, "never.json");
    // 40-week window, 39 weeks of data after the calibration end.
    #[rustfmt::skip]
    let out = clv(&[
        "churn", "train", "--input", &f.tx, "--observation-end", OBS_END, "--calibration-end",
        CAL_END, "--window", "40", "--output", &out_model,
    ]);
    fails_with(&out, &["window of 40", "longer than", "39"]);
    assert!(!Path::new(&out_model).exists());

    // Everybody buys again after the calibration end: no churners.
    let mut rows = String::from("customer_id,date,amount\n");
    for c in 1..=30 {
        rows.push_str(&format!(
            "{c},2020-01-0{},10\n{c},2020-03-15,5\n",
            1 + c % 9
        ));
    }
    let all_active = p(&f.dir, "all_active.csv");
    std::fs::write(&all_active, rows).unwrap();
    #[rustfmt::skip]
    let out = clv(&[
        "churn", "train", "--input", &all_active, "--calibration-end", "2020-02-01",
        "--output", &out_model,
    ]);
    fails_with(&out, &["0 churners"]);

    // A covariate with one value is dropped with a warning; a missing one is an error.
    let text_in = std::fs::read_to_string(&f.tx).unwrap();
    let mut with_region = String::new();
    for (i, line) in text_in.lines().enumerate() {
        with_region.push_str(line);
        with_region.push_str(if i == 0 { ",region\n" } else { ",north\n" });
    }
    let region = p(&f.dir, "region.csv");
    std::fs::write(&region, with_region).unwrap();
    #[rustfmt::skip]
    let out = clv(&[
        "churn", "train", "--input", &region, "--observation-end", OBS_END, "--calibration-end",
        CAL_END, "--covariates", "region,score", "--output", &p(&f.dir, "region.json"),
    ]);
    ok(&out);
    assert!(text(&out.stderr).contains("covariate 'region' has a single value"));
    #[rustfmt::skip]
    let out = clv(&[
        "churn", "train", "--input", &f.tx, "--observation-end", OBS_END, "--calibration-end",
        CAL_END, "--covariates", "age", "--output", &out_model,
    ]);
    fails_with(&out, &["covariate column 'age'", "channel, score"]);
}

/// `clv at-risk` CSV rows: rank, id, churn probability, value, source, value at risk, reasons.
type RiskRow = (usize, String, f64, f64, String, f64, Vec<String>);

fn read_at_risk(path: &str) -> Vec<RiskRow> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            let reasons = (6..9).map(|i| r[i].to_string()).filter(|s| !s.is_empty());
            (
                r[0].parse().unwrap(),
                r[1].to_string(),
                r[2].parse().unwrap(),
                r[3].parse().unwrap(),
                r[4].to_string(),
                r[5].parse().unwrap(),
                reasons.collect(),
            )
        })
        .collect()
}

fn run_at_risk(extra: &[&str], name: &str) -> (Output, Vec<RiskRow>) {
    let f = fixture();
    let path = p(&f.dir, name);
    let mut args = vec![
        "at-risk", "--model", &f.model, "--input", &f.tx, "--output", &path,
    ];
    args.extend_from_slice(extra);
    let out = clv(&args);
    ok(&out);
    let rows = read_at_risk(&path);
    (out, rows)
}

fn check_ranked(rows: &[RiskRow]) {
    for (k, r) in rows.iter().enumerate() {
        assert_eq!(r.0, k + 1);
        assert!(
            (r.5 - r.2 * r.3).abs() <= 1e-9 * r.5.abs().max(1.0),
            "{}",
            r.1
        );
    }
    for w in rows.windows(2) {
        assert!(
            w[0].5 > w[1].5 || (w[0].5 == w[1].5 && w[0].1 < w[1].1),
            "order at {}",
            w[1].1
        );
    }
}

#[test]
fn at_risk_is_deterministic_selected_and_ranked() {
    let f = fixture();
    let (out1, rows) = run_at_risk(&["--threshold", "0.6", "--min-value", "50"], "risk1.csv");
    let (out2, _) = run_at_risk(&["--threshold", "0.6", "--min-value", "50"], "risk2.csv");
    assert_eq!(out1.stdout, out2.stdout);
    assert_eq!(
        std::fs::read(p(&f.dir, "risk1.csv")).unwrap(),
        std::fs::read(p(&f.dir, "risk2.csv")).unwrap()
    );
    // The same customers as `churn score` gives above the threshold and the value floor.
    let score = clv(&["churn", "score", "--model", &f.model, "--input", &f.tx]);
    ok(&score);
    let score_path = p(&f.dir, "risk_scores.csv");
    std::fs::write(&score_path, &score.stdout).unwrap();
    let scores = read_scores(&score_path);
    let expected: BTreeMap<&str, (f64, f64)> = scores
        .iter()
        .filter(|s| s.1 >= 0.6 && s.4 >= 50.0)
        .map(|s| (s.0.as_str(), (s.1, s.4)))
        .collect();
    assert!(expected.len() > 20, "{} customers at risk", expected.len());
    assert_eq!(rows.len(), expected.len());
    for r in &rows {
        let (prob, spend) = expected[r.1.as_str()];
        assert_eq!((r.2, r.3), (prob, spend), "{}", r.1);
        assert_eq!(r.4, "historical_spend");
        assert!(!r.6.is_empty() && r.6.len() <= 3, "{}", r.1);
    }
    check_ranked(&rows);
    // The terminal shows the first 20 rows when the list goes to a file.
    let shown = text(&out1.stdout);
    assert!(
        shown.contains("\n20 ") && !shown.contains("\n21 "),
        "{shown}"
    );
    assert!(shown.contains(&format!("{} more rows", rows.len() - 20)));
}

#[test]
fn at_risk_reasons_show_values_from_the_transaction_file() {
    let f = fixture();
    let (_, rows) = run_at_risk(&["--threshold", "0"], "all_risk.csv");
    let history = purchases(&f.tx);
    assert_eq!(rows.len(), history.len());
    // No --observation-end: the history ends on the last date in the file.
    let end = history.values().flat_map(|d| d.keys()).max().unwrap();
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let weeks = |from: &str, to: &str| (day(to) - day(from)).num_days() as f64 / 7.0;
    let mut checked: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &rows {
        let days = &history[&r.1];
        let first = days.keys().next().unwrap();
        let last = days.keys().next_back().unwrap();
        for reason in &r.6 {
            let text = reason.rsplit_once(" (").map_or(reason.as_str(), |t| t.0);
            let words: Vec<&str> = text.split_whitespace().collect();
            let (kind, shown, want) = match words[..] {
                [n, "repeat", "purchase" | "purchases"] => {
                    ("repeat purchases", n, (days.len() - 1) as f64)
                }
                ["first", "purchase", n, "week" | "weeks", "ago"] => {
                    ("first purchase ago", n, weeks(first, end))
                }
                ["no", "purchase", "for", n, "week" | "weeks"] => {
                    ("no purchase for", n, weeks(last, end))
                }
                [
                    "last",
                    "purchase",
                    n,
                    "week" | "weeks",
                    "after",
                    "the",
                    "first",
                ] => ("last after first", n, weeks(first, last)),
                _ => continue,
            };
            let shown: f64 = shown.parse().unwrap();
            // Two decimals at most.
            assert!(
                (shown - want).abs() <= 0.005 + 1e-9,
                "{}: '{reason}' vs {want}",
                r.1
            );
            *checked.entry(kind).or_default() += 1;
        }
    }
    // Each kind of reason is there, so the transformed values shown before would fail.
    for kind in ["repeat purchases", "first purchase ago", "no purchase for"] {
        assert!(checked.get(kind).is_some_and(|&n| n > 0), "{checked:?}");
    }
}

#[test]
fn at_risk_top_percent_limit_and_clv_file() {
    let f = fixture();
    let (_, top) = run_at_risk(&["--top-percent", "10"], "top.csv");
    assert_eq!(top.len(), 200);
    check_ranked(&top);
    let (_, limited) = run_at_risk(&["--top-percent", "10", "--limit", "5"], "top5.csv");
    assert_eq!(limited, top[..5].to_vec());

    // CLV for every third customer: only they are listed, valued at their CLV.
    let ids: BTreeSet<String> = purchases(&f.tx).into_keys().collect();
    let mut clv_csv = String::from("customer_id,other,clv\n");
    let mut given = BTreeMap::new();
    for (k, id) in ids.iter().enumerate().filter(|(k, _)| k % 3 == 0) {
        let v = 10.0 + (k % 7) as f64 * 25.0;
        clv_csv.push_str(&format!("{id},x,{v}\n"));
        given.insert(id.clone(), v);
    }
    let clv_path = p(&f.dir, "clv.csv");
    std::fs::write(&clv_path, clv_csv).unwrap();
    let (out, rows) = run_at_risk(
        &["--threshold", "0.5", "--clv-file", &clv_path],
        "clv_risk.csv",
    );
    assert!(text(&out.stderr).contains("have no CLV"));
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(r.3, given[&r.1], "{}", r.1);
        assert_eq!(r.4, "clv");
        assert!(r.2 >= 0.5);
    }
    check_ranked(&rows);
    // Equal CLVs and probabilities would tie; ties go by id, checked in check_ranked.

    let bad = p(&f.dir, "bad_clv.csv");
    std::fs::write(&bad, "customer_id,clv\n1,abc\n").unwrap();
    let out = clv(&[
        "at-risk",
        "--model",
        &f.model,
        "--input",
        &f.tx,
        "--clv-file",
        &bad,
    ]);
    fails_with(&out, &["line 2", "'abc'"]);
    let out = clv(&[
        "at-risk",
        "--model",
        &f.model,
        "--input",
        &f.tx,
        "--top-percent",
        "0",
    ]);
    fails_with(&out, &["--top-percent"]);
}
