//! `clv churn train` and `clv churn score` end to end on a simulated file: the train → score
//! round trip reproduces the training metrics, model-file checks (version, time unit) and bad
//! input. The at-risk list is tested in `cli_at_risk.rs`.

mod common;
use common::run_clv as clv;

use std::collections::BTreeMap;
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

/// `clv churn score` output rows: id, churn probability, P(alive), expected, spend, P(no
/// purchase in the window if alive).
fn read_scores(path: &str) -> Vec<(String, f64, f64, f64, f64, f64)> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "customer_id",
            "churn_probability",
            "p_alive",
            "p_no_purchase_if_alive",
            "expected_purchases_window",
            "total_spend"
        ]
    );
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            let f = |i: usize| r[i].parse::<f64>().unwrap();
            (r[0].to_string(), f(1), f(2), f(4), f(5), f(3))
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
    for (id, churn, alive, expected, spend, quiet) in &rows {
        assert!(
            (0.0..=1.0).contains(churn) && (0.0..=1.0).contains(alive),
            "{id}"
        );
        // What explains a high churn probability beside a high P(alive).
        assert!((0.0..=1.0).contains(quiet), "{id}");
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
    // The at-risk list needs a CLV, so a bundle: a churn model file is refused by name.
    let out = clv(&[
        "at-risk", "--model", &f.model, "--input", &f.tx, "--margin", "0.3",
    ]);
    fails_with(&out, &["churn.json", "clv-bundle", "clv-churn"]);
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
