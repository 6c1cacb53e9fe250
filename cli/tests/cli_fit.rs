//! `clv fit` and `clv predict` end to end: the model file's contents against the published
//! estimates, predictions against `lifetimes`' reference values, and clear errors for model
//! files that cannot be used.

mod common;
use common::run_clv as clv;

use std::path::Path;

use common::{dataset, reference_predictions, rel};

fn fit(summary: &Path, model: &str, out: &Path) -> serde_json::Value {
    let o = clv(&[
        "fit",
        "--summary",
        summary.to_str().unwrap(),
        "--model",
        model,
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

#[test]
#[cfg_attr(
    not(clv_datasets),
    ignore = "needs the reference datasets: set CLV_DATASETS"
)]
fn fit_writes_the_published_estimates_and_predict_matches_the_reference() {
    let (Some(summary), Some(reference)) = (
        dataset("cdnow_sample_summary_39wk.csv"),
        reference_predictions(),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let bg_path = dir.path().join("bgnbd.json");
    let bg = fit(&summary, "bgnbd", &bg_path);
    assert_eq!(bg["format"], "clv-model");
    assert_eq!(bg["version"], 1);
    assert_eq!(bg["time_unit"], "week");
    assert!((bg["log_likelihood"].as_f64().unwrap() + 9582.43).abs() < 0.01);
    for (name, want) in [
        ("r", 0.2426),
        ("alpha", 4.4136),
        ("a", 0.7929),
        ("b", 2.4259),
    ] {
        let got = bg["params"][name].as_f64().unwrap();
        assert!(rel(got, want) < 1e-3, "{name}: {got} vs {want}");
        assert!(bg["std_errors"][name].as_f64().unwrap() > 0.0);
    }
    let gg_path = dir.path().join("gg.json");
    let gg = fit(&summary, "gamma-gamma", &gg_path);
    assert!((gg["log_likelihood"].as_f64().unwrap() + 4055.92).abs() < 0.01);

    let out = dir.path().join("pred.csv");
    let o = clv(&[
        "predict",
        "--model",
        bg_path.to_str().unwrap(),
        "--spend-model",
        gg_path.to_str().unwrap(),
        "--summary",
        summary.to_str().unwrap(),
        "--horizon",
        "39",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut rdr = csv::Reader::from_path(&out).unwrap();
    let header = rdr.headers().unwrap().clone();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2357);
    let expected = &reference["bgnbd"]["expected_purchases_next_39wk"];
    let spend = &reference["gamma_gamma"]["conditional_expected_average_spend"];
    for (id, want) in expected.as_object().unwrap() {
        let row = rows.iter().find(|r| &r[0] == id).unwrap();
        let got: f64 = row[col("expected_purchases")].parse().unwrap();
        // The reference is at lifetimes' parameters; ours are our own fit, equal to ~1e-5.
        assert!(
            rel(got, want.as_f64().unwrap()) < 1e-3,
            "customer {id}: {got} vs {want}"
        );
        let s: f64 = row[col("expected_avg_spend")].parse().unwrap();
        assert!(
            rel(s, spend[id].as_f64().unwrap()) < 1e-3,
            "customer {id} spend: {s}"
        );
    }
}

#[test]
fn unusable_model_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("s.csv");
    std::fs::write(&summary, "customer_id,frequency,recency,T,monetary_value\n1,2,5,10,20\n2,0,0,10,0\n3,1,2,8,15\n4,3,9,10,12\n").unwrap();
    let path = dir.path().join("m.json");
    let o = clv(&[
        "fit",
        "--model",
        "sbg",
        "--survivors",
        "1000,869,743,653,593,551,517,491",
        "--output",
        path.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&path).unwrap();

    let predict = |p: &Path| {
        clv(&[
            "predict",
            "--model",
            p.to_str().unwrap(),
            "--summary",
            summary.to_str().unwrap(),
        ])
    };
    // An sBG model makes no per-customer predictions.
    let o = predict(&path);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no per-customer predictions"));

    let edited = dir.path().join("v2.json");
    std::fs::write(&edited, text.replace("\"version\": 1", "\"version\": 2")).unwrap();
    let err = String::from_utf8_lossy(&predict(&edited).stderr).to_string();
    assert!(
        err.contains("schema version 2") && err.lines().count() == 1,
        "{err}"
    );

    let truncated = dir.path().join("cut.json");
    std::fs::write(&truncated, &text[..text.len() / 2]).unwrap();
    let err = String::from_utf8_lossy(&predict(&truncated).stderr).to_string();
    assert!(err.contains("truncated"), "{err}");

    let bad_param = dir.path().join("neg.json");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let alpha = v["params"]["alpha"].to_string();
    std::fs::write(
        &bad_param,
        text.replacen(&format!("\"alpha\": {alpha}"), "\"alpha\": -1.0", 1),
    )
    .unwrap();
    let err = String::from_utf8_lossy(&predict(&bad_param).stderr).to_string();
    assert!(err.contains("must be finite and > 0"), "{err}");
}

/// `clv fit --at-params`: the last line's log-likelihood, in full precision.
fn log_likelihood_at(args: &[&str]) -> f64 {
    let out = common::run_clv(args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap();
    let full = last.split('(').nth(1).unwrap().trim_end_matches(')');
    full.parse().unwrap()
}

#[test]
#[cfg_attr(
    not(clv_datasets),
    ignore = "needs the reference datasets: set CLV_DATASETS"
)]
fn log_likelihood_at_published_parameters_is_the_published_value() {
    // The papers' estimates, rounded as published, give their log-likelihoods (README of the
    // datasets): BG/NBD -9582.43, Pareto/NBD -9594.98, Gamma-Gamma -4055.92.
    let Some(summary) = common::dataset("cdnow_sample_summary_39wk.csv") else {
        return;
    };
    let summary = summary.to_str().unwrap();
    for (model, params, published) in [
        ("bgnbd", "0.2426,4.4136,0.7929,2.4259", -9582.43),
        ("pnbd", "0.5532,10.5763,0.6063,11.6715", -9594.98),
        ("gamma-gamma", "6.25,3.74,15.44", -4055.92),
    ] {
        let args = [
            "fit",
            "--summary",
            summary,
            "--model",
            model,
            "--at-params",
            params,
        ];
        let ll = log_likelihood_at(&args);
        assert!(
            (ll - published).abs() < 0.02,
            "{model}: {ll} vs {published}"
        );
    }
}

#[test]
fn log_likelihood_at_parameters_of_the_retention_model() {
    // Fader & Hardie (2007): the "high end" and "regular" segments at their estimates.
    for (survivors, params, published) in [
        ("1000,869,743,653,593,551,517,491", "0.668,3.806", -1611.16),
        ("1000,631,468,382,326,289,262,241", "0.704,1.182", -1680.27),
    ] {
        let args = [
            "fit",
            "--model",
            "sbg",
            "--survivors",
            survivors,
            "--at-params",
            params,
        ];
        let ll = log_likelihood_at(&args);
        assert!((ll - published).abs() < 0.01, "{ll} vs {published}");
    }
    // A parameter out of range is named; a wrong count refused.
    for (params, named) in [("0.7,-1", "beta"), ("0.7", "")] {
        let args = [
            "fit",
            "--model",
            "sbg",
            "--survivors",
            "1000,631",
            "--at-params",
            params,
        ];
        let out = common::run_clv(&args);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains(named));
    }
}

#[test]
fn bgbb_simulate_then_fit_recovers_the_parameters() {
    // clv simulate --model bgbb writes a pattern file clv fit reads; 30,000 donors at the
    // donations estimates give them back to within a few standard errors.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sim.csv");
    let file = file.to_str().unwrap();
    let params = "1.204,0.750,0.657,2.783";
    let sim = common::run_clv(&[
        "simulate",
        "--model",
        "bgbb",
        "--params",
        params,
        "--customers",
        "30000",
        "--horizon",
        "6",
        "--seed",
        "5",
        "--output",
        file,
    ]);
    assert!(
        sim.status.success(),
        "{}",
        String::from_utf8_lossy(&sim.stderr)
    );
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.starts_with("frequency,recency,periods,weights\n"));
    let model = dir.path().join("bgbb.json");
    let model = model.to_str().unwrap();
    let fit = common::run_clv(&[
        "fit",
        "--summary",
        file,
        "--model",
        "bgbb",
        "--output",
        model,
    ]);
    assert!(
        fit.status.success(),
        "{}",
        String::from_utf8_lossy(&fit.stderr)
    );
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(model).unwrap()).unwrap();
    assert_eq!(saved["n"], 30000.0);
    for (name, want) in ["alpha", "beta", "gamma", "delta"]
        .iter()
        .zip([1.204, 0.750, 0.657, 2.783])
    {
        let got = saved["params"][name].as_f64().unwrap();
        let se = saved["std_errors"][name].as_f64().unwrap();
        assert!(
            (got - want).abs() < 4.0 * se,
            "{name}: {got} ± {se} vs {want}"
        );
    }
    let bad = common::run_clv(&[
        "simulate",
        "--model",
        "bgbb",
        "--params",
        params,
        "--horizon",
        "6.5",
    ]);
    assert!(!bad.status.success());
}

/// `clv train` on heavy-tailed spend (order values with q = 0.6, where the Gamma-Gamma mean
/// does not exist) used to fail ("the spend model has no finite mean"); it now trains with q
/// held at its floor, says so, and the bundle scores every customer.
#[test]
fn train_on_heavy_tailed_spend_holds_q_and_the_bundle_scores() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let o = clv(&[
        "simulate",
        "--model",
        "bgnbd",
        "--params",
        "0.5,5,0.8,2.5",
        "--spend",
        "2,0.6,10",
        "--customers",
        "3000",
        "--seed",
        "5",
        "--output",
        &p("tx.csv"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = clv(&[
        "train",
        "--transactions",
        &p("tx.csv"),
        "--unit",
        "week",
        "--calibration-end",
        "2024-09-30",
        "--model",
        "bgnbd",
        "--output",
        &p("b.json"),
    ]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{text}");
    assert!(text.contains("q constrained to >= 1.5"), "{text}");
    let o = clv(&[
        "score",
        "--margin",
        "1",
        "--model",
        &p("b.json"),
        "--transactions",
        &p("tx.csv"),
        "--horizon",
        "52",
        "--unit",
        "week",
        "--output",
        &p("s.csv"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let scores = std::fs::read_to_string(p("s.csv")).unwrap();
    assert_eq!(scores.lines().count(), 3001);
    assert!(!scores.contains("NaN") && !scores.contains("inf"));
}
