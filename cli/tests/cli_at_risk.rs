//! The one at-risk definition end to end: `clv score`'s `at_risk` flag and `clv at-risk`'s list
//! select the same customers with the same numbers, on the simulated demo data (the shipped
//! demo bundle) and on the full CDNOW cohort (a bundle trained here); value at risk is
//! (1 − P(alive)) × CLV if alive, and no reason cites what argues against churn.

mod common;
use common::run_clv as clv;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: &Output) {
    assert!(out.status.success(), "clv failed: {}", text(&out.stderr));
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A CSV as rows of named fields.
fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

fn num(row: &BTreeMap<String, String>, col: &str) -> f64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col} = '{}'", row[col]))
}

/// Words that would cite a high P(alive), many purchases or high spend as a churn reason.
const FORBIDDEN: [&str; 8] = [
    "chance",
    "active",
    "(high)",
    "(low)",
    "repeat purchases",
    "spend",
    "order",
    "still",
];

/// Runs `score` and `at-risk` with the same flags and checks that they agree on every
/// customer; returns the number at risk.
fn agree(bundle: &str, tx: &str, flags: &[&str], out_dir: &Path, top: Option<usize>) -> usize {
    let scores = out_dir.join("scores.csv");
    let listed = out_dir.join("at_risk.csv");
    let mut score_args = vec!["score", "--model", bundle, "--input", tx];
    score_args.extend_from_slice(flags);
    let scores_s = s(&scores);
    score_args.extend(["--output", &scores_s]);
    ok(&clv(&score_args));
    let mut risk_args = vec!["at-risk", "--model", bundle, "--input", tx];
    risk_args.extend_from_slice(flags);
    let listed_s = s(&listed);
    risk_args.extend(["--output", &listed_s]);
    let out = clv(&risk_args);
    ok(&out);

    let scores = read_csv(&scores);
    let listed = read_csv(&listed);
    let threshold = flags
        .iter()
        .position(|f| *f == "--risk-threshold")
        .map_or(0.5, |k| flags[k + 1].parse().unwrap());
    let flagged: BTreeMap<&str, &BTreeMap<String, String>> = scores
        .iter()
        .filter(|r| r["at_risk"] == "true")
        .map(|r| (r["customer_id"].as_str(), r))
        .collect();
    assert_eq!(listed.len(), flagged.len(), "list and flags differ in size");
    if let Some(top) = top {
        assert!(listed.len() <= top);
    }
    let mut last = f64::INFINITY;
    for (k, row) in listed.iter().enumerate() {
        let id = row["customer_id"].as_str();
        assert_eq!(num(row, "rank"), (k + 1) as f64);
        let score = flagged
            .get(id)
            .unwrap_or_else(|| panic!("'{id}' is listed but score does not flag it"));
        let var = num(row, "value_at_risk_usd");
        // Both write money rounded to cents and other numbers to 8 significant digits.
        assert_eq!(row["value_at_risk_usd"], score["value_at_risk_usd"], "{id}");
        assert_eq!(row["clv_usd"], score["clv_usd"], "{id}");
        assert_eq!(row["p_alive"], score["p_alive"], "{id}");
        let alive = num(row, "p_alive");
        // Two roundings to cents: within a cent.
        let from_parts = (1.0 - alive) * num(row, "clv_if_alive_usd");
        assert!(
            (var - from_parts).abs() <= 0.0101,
            "{id}: {var} vs {from_parts}"
        );
        // A value at risk under half a cent shows as 0.
        assert!(
            var >= 0.0 && var <= last,
            "{id}: not ranked by value at risk"
        );
        last = var;
        assert!(num(row, "churn_probability") >= threshold, "{id}");
        let reasons: Vec<&str> = ["reason_1", "reason_2"]
            .iter()
            .map(|c| row[*c].as_str())
            .filter(|r| !r.is_empty())
            .collect();
        assert!(!reasons.is_empty(), "{id} has no reason");
        for r in reasons {
            for word in FORBIDDEN {
                assert!(!r.contains(word), "{id}: '{r}' cites '{word}'");
            }
            // Ratios are capped in words: no "283.2 times".
            let words: Vec<&str> = r.split_whitespace().collect();
            for w in words.windows(2).filter(|w| w[1] == "times") {
                let ratio: f64 = w[0].parse().unwrap_or(0.0);
                assert!(ratio <= 10.0, "{id}: '{r}'");
            }
        }
    }
    // Every score row: value at risk and the P(alive) / churn explanation are there and sane.
    for row in &scores {
        let var = num(row, "value_at_risk_usd");
        assert!(var.is_finite() && var >= 0.0, "{}", row["customer_id"]);
        if num(row, "p_alive") == 1.0 {
            assert_eq!(var, 0.0);
        }
        let quiet = num(row, "p_no_purchase_if_alive");
        assert!((0.0..=1.0).contains(&quiet));
    }
    listed.len()
}

#[test]
fn score_and_at_risk_agree_on_the_demo_data() {
    let root = common::workspace_root();
    let bundle = s(&root.join("models/demo_bundle.json"));
    let tx = s(&root.join("data/demo_transactions.csv"));
    let d = dir("cli_at_risk_demo");
    let n = agree(&bundle, &tx, &["--margin", "0.3"], &d, Some(100));
    assert_eq!(n, 100, "the default list is the top 100");
    let all = ["--margin", "0.3", "--all", "--risk-threshold", "0.3"];
    let n_all = agree(&bundle, &tx, &all, &d, None);
    assert!(n_all > 100, "{n_all} at risk with --all");
    let few = ["--margin", "0.3", "--top", "7", "--min-value-at-risk", "1"];
    assert!(agree(&bundle, &tx, &few, &d, Some(7)) <= 7);

    // Bad rules are one-line errors.
    for (flags, needle) in [
        (&["--top", "0"][..], "at least 1"),
        (&["--risk-threshold", "1.5"][..], "[0, 1]"),
        (&["--min-value-at-risk=-1"][..], ">= 0"),
    ] {
        let mut args = vec![
            "at-risk", "--model", &bundle, "--input", &tx, "--margin", "0.3",
        ];
        args.extend_from_slice(flags);
        let out = clv(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(needle) && !err.contains("panicked"), "{err}");
    }
}

#[test]
#[cfg_attr(
    not(clv_datasets),
    ignore = "needs the reference datasets: set CLV_DATASETS"
)]
fn score_and_at_risk_agree_on_cdnow() {
    let Some(master) = common::dataset("cdnow_master.csv") else {
        return;
    };
    let d = dir("cli_at_risk_cdnow");
    let bundle = s(&d.join("bundle.json"));
    #[rustfmt::skip]
    ok(&clv(&[
        "train", "--input", &s(&master), "--unit", "week", "--calibration-end", "1997-09-30",
        "--model", "bgnbd", "--no-covariates", "--output", &bundle,
    ]));
    let tx = s(&master);
    let n = agree(&bundle, &tx, &["--margin", "0.3"], &d, Some(100));
    assert_eq!(n, 100);
    let n_all = agree(&bundle, &tx, &["--margin", "0.3", "--all"], &d, None);
    assert!(n_all > 1000, "{n_all} at risk on CDNOW");
}
