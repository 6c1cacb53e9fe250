//! `clv report` end to end on a simulated file: `clv simulate`, `clv train`, `clv report`.
//! The page has every figure with real data, no non-finite numbers and nothing external; its
//! headline agrees with `clv score`; the tracking, calibration-vs-holdout and churn numbers
//! agree with counts made here straight from the transaction file; holdout sections are
//! skipped without a calibration end; and the page renders in headless Chromium.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use chrono::NaiveDate;
use clv::features::{Summary, SummaryOptions, TimeUnit, summarize_path};
use clv::ingest::ReadOptions;
use clv::predict::Bundle;
use clv::predict::clv::ClvSettings;
use clv::report::ReportData;
use clv::report::build::{BuildSettings, build_report};
use clv::report::html::money;
use common::{FIGURE_IDS, browser};

const CALIBRATION_END: &str = "2024-12-31";

fn clv(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_clv"))
        .args(args)
        .output()
        .expect("run clv");
    assert!(
        out.status.success(),
        "clv {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// The simulated file, the bundle trained on it and the report, made once per test run.
struct Fixture {
    dir: PathBuf,
    transactions: PathBuf,
    bundle: PathBuf,
    html: String,
    stderr: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-report");
        std::fs::create_dir_all(&dir).unwrap();
        let transactions = dir.join("transactions.csv");
        let bundle = dir.join("bundle.json");
        let report = dir.join("report.html");
        let _ = std::fs::remove_file(&report);
        clv(&[
            "simulate",
            "--customers",
            "1500",
            "--covariate-effects",
            "0.4,0.2,0.5,-0.2",
            "--seed",
            "5",
            "--output",
            &s(&transactions),
        ]);
        clv(&[
            "train",
            "--covariates",
            "channel,score",
            "--transactions",
            &s(&transactions),
            "--calibration-end",
            CALIBRATION_END,
            "--output",
            &s(&bundle),
        ]);
        let out = clv(&[
            "report",
            "--margin",
            "1",
            "--model",
            &s(&bundle),
            "--transactions",
            &s(&transactions),
            "--output",
            &s(&report),
        ]);
        Fixture {
            html: std::fs::read_to_string(&report).expect("report written"),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            dir,
            transactions,
            bundle,
        }
    })
}

fn summarize(path: &Path, calibration_end: Option<NaiveDate>, times: bool) -> Summary {
    let opts = SummaryOptions {
        unit: TimeUnit::Week,
        calibration_end,
        keep_purchase_times: times,
        ..Default::default()
    };
    summarize_path(path, &ReadOptions::default(), &opts, |_| {})
        .expect("summarize")
        .0
}

fn cal_end() -> NaiveDate {
    NaiveDate::parse_from_str(CALIBRATION_END, "%Y-%m-%d").unwrap()
}

/// The report data `clv report` builds with its defaults, built here through the library.
fn library_report(bundle: &Bundle, history: &Summary, cal: Option<&Summary>) -> ReportData {
    let clv = ClvSettings::from_annual_rate(52.0, 7.0, 0.10, 1.0).unwrap();
    build_report(bundle, history, cal, &BuildSettings::new(clv)).expect("build the report")
}

/// Distinct purchase days per customer, straight from the simulated CSV (no quotes in it).
fn purchase_days(path: &Path) -> BTreeMap<String, BTreeSet<NaiveDate>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut days: BTreeMap<String, BTreeSet<NaiveDate>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let mut fields = line.split(',');
        let id = fields.next().unwrap().to_string();
        let date = NaiveDate::parse_from_str(fields.next().unwrap(), "%Y-%m-%d").unwrap();
        days.entry(id).or_default().insert(date);
    }
    days
}

fn figure_ids(html: &str) -> Vec<String> {
    html.split("<figure id=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect()
}

fn assert_no_non_finite(html: &str) {
    assert!(!html.contains("NaN"), "NaN in the report");
    let lower = html.to_lowercase();
    let bytes = lower.as_bytes();
    for (i, _) in lower.match_indices("inf") {
        let before = i.checked_sub(1).map_or(b' ', |j| bytes[j]);
        let after = bytes.get(i + 3).copied().unwrap_or(b' ');
        assert!(
            before.is_ascii_alphabetic() || after.is_ascii_alphabetic(),
            "'inf' as a number near: {}",
            &lower[i.saturating_sub(40)..(i + 40).min(lower.len())]
        );
    }
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
}

#[test]
fn report_has_every_figure_and_is_self_contained() {
    let f = fixture();
    assert_eq!(figure_ids(&f.html), FIGURE_IDS);
    assert!(
        !f.html.contains("class=\"note\""),
        "a section was skipped or trimmed although its data exist: {:?}",
        f.html
            .split("class=\"note\">")
            .skip(1)
            .map(|n| n.split('<').next().unwrap_or(""))
            .collect::<Vec<_>>()
    );
    assert_no_non_finite(&f.html);
    let without_xmlns = f.html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for external in ["http://", "https://", "<script", "<link", " src="] {
        assert!(!without_xmlns.contains(external), "found {external}");
    }
    assert!(f.html.contains("<style>"));
    // Channels come from the simulated `channel` column; the fits of all three models.
    assert!(f.html.contains("organic") && f.html.contains("paid"));
    assert!(f.html.contains("Gamma-Gamma spend model") && f.html.contains("with covariates"));
    assert!(f.stderr.contains("report written to"), "{}", f.stderr);
    assert!(f.stderr.contains("1500 customers"), "{}", f.stderr);
}

#[test]
fn headline_agrees_with_clv_score() {
    let f = fixture();
    let scores = f.dir.join("scores.csv");
    clv(&[
        "score",
        "--margin",
        "1",
        "--model",
        &s(&f.bundle),
        "--transactions",
        &s(&f.transactions),
        "--output",
        &s(&scores),
    ]);
    let text = std::fs::read_to_string(&scores).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (clv_i, rev_i, alive_i, risk_i) = (
        col("clv_usd"),
        col("predicted_revenue_usd"),
        col("p_alive"),
        col("at_risk"),
    );
    let (mut total, mut revenue, mut alive, mut at_risk, mut n) = (0.0, 0.0, 0.0, 0u64, 0u64);
    for line in text.lines().skip(1) {
        let v: Vec<&str> = line.split(',').collect();
        total += v[clv_i].parse::<f64>().unwrap();
        revenue += v[rev_i].parse::<f64>().unwrap();
        alive += v[alive_i].parse::<f64>().unwrap();
        at_risk += u64::from(v[risk_i] == "true");
        n += 1;
    }

    let bundle = Bundle::load(&f.bundle).unwrap();
    let history = summarize(&f.transactions, None, true);
    let cal = summarize(&f.transactions, Some(cal_end()), true);
    let data = library_report(&bundle, &history, Some(&cal));
    let h = data.headline.as_ref().expect("headline");
    assert_eq!(h.customers, n);
    // `score` rounds money to cents: each row is within half a cent.
    let cents = 0.005 * n as f64;
    assert!(
        (h.total_clv - total).abs() <= cents,
        "{} vs {total}",
        h.total_clv
    );
    assert!((h.predicted_revenue - revenue).abs() <= cents);
    assert!(close(h.mean_p_alive, alive / n as f64, 1e-6));
    assert_eq!(h.at_risk_customers, at_risk);
    // The page the CLI wrote shows the same totals.
    for shown in [money(h.total_clv, "USD"), money(h.predicted_revenue, "USD")] {
        assert!(f.html.contains(&shown), "{shown} not on the page");
    }
    let clv_values = &data.clv.as_ref().expect("clv").values;
    assert!((clv_values.iter().sum::<f64>() - total).abs() <= cents);
}

#[test]
fn tracking_adds_up_to_the_repeat_purchases_in_the_file() {
    let f = fixture();
    let days = purchase_days(&f.transactions);
    let repeat: usize = days.values().map(|d| d.len() - 1).sum();
    let bundle = Bundle::load(&f.bundle).unwrap();
    let history = summarize(&f.transactions, None, true);
    let data = library_report(&bundle, &history, None);
    let t = data.tracking.as_ref().expect("tracking");
    assert_eq!(t.actual.iter().sum::<f64>(), repeat as f64);
    assert!(t.actual.iter().chain(&t.expected).all(|v| v.is_finite()));

    // Expected in total: each customer's E[X(end − birth)], customer by customer.
    let start = days.values().map(|d| *d.first().unwrap()).min().unwrap();
    let end = *days.values().map(|d| d.last().unwrap()).max().unwrap();
    let week = |d: NaiveDate| (d - start).num_days() as f64 / 7.0;
    assert_eq!(*t.period_end.last().unwrap(), week(end));
    // Tracking shows the calibration fit (the production fit has seen the holdout).
    let model = bundle.calibration_transaction().unwrap();
    let want: f64 = days
        .values()
        .map(|d| model.expected_purchases_new(week(end) - week(*d.first().unwrap())))
        .sum();
    let got: f64 = t.expected.iter().sum();
    assert!(close(got, want, 1e-9), "{got} vs {want}");
    // The bundle has a calibration end: it is marked even without a calibration summary.
    assert!((t.calibration_end - week(cal_end())).abs() < 1e-12);
}

#[test]
fn holdout_sections_match_counts_from_the_file() {
    let f = fixture();
    let end = cal_end();
    // Calibration repeat purchases and holdout purchase days per customer.
    let rows: Vec<(usize, usize)> = purchase_days(&f.transactions)
        .values()
        .filter(|d| *d.first().unwrap() <= end)
        .map(|d| {
            let cal = d.iter().filter(|x| **x <= end).count();
            (cal - 1, d.len() - cal)
        })
        .collect();
    let bundle = Bundle::load(&f.bundle).unwrap();
    let history = summarize(&f.transactions, None, true);
    let cal = summarize(&f.transactions, Some(end), true);
    let data = library_report(&bundle, &history, Some(&cal));

    let bins = data.calibration_holdout.as_ref().expect("holdout bins");
    for b in bins {
        let lo: usize = b.frequency.trim_end_matches('+').parse().unwrap();
        let plus = b.frequency.ends_with('+');
        let members: Vec<usize> = rows
            .iter()
            .filter(|(x, _)| *x == lo || (plus && *x > lo))
            .map(|r| r.1)
            .collect();
        assert_eq!(b.customers, members.len(), "bin {}", b.frequency);
        let mean = members.iter().sum::<usize>() as f64 / members.len() as f64;
        assert!(close(b.mean_actual, mean, 1e-12), "bin {}", b.frequency);
        assert!(b.mean_predicted.is_finite() && b.mean_predicted >= 0.0);
    }
    assert_eq!(bins.iter().map(|b| b.customers).sum::<usize>(), rows.len());

    let churn = data.churn.as_ref().expect("churn");
    assert_eq!(churn.predicted.len(), rows.len());
    let churned = churn.churned.iter().filter(|c| **c).count();
    assert_eq!(churned, rows.iter().filter(|r| r.1 == 0).count());
    assert!(churn.predicted.iter().all(|p| (0.0..=1.0).contains(p)));
    // The classifier separates churners from the others better than chance.
    let mean = |want: bool| {
        let v: Vec<f64> = churn
            .predicted
            .iter()
            .zip(&churn.churned)
            .filter(|(_, c)| **c == want)
            .map(|(p, _)| *p)
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    assert!(mean(true) > mean(false));

    let grid = data.frequency_recency.as_ref().expect("grid");
    assert!(grid.frequency.len() >= 2 && grid.frequency.len() <= 21);
    for row in grid.p_alive.iter().chain(&grid.expected_purchases) {
        assert!(row.iter().all(|v| v.is_finite() && *v >= 0.0));
    }
    // A repeat buyer's prospects improve with a more recent last purchase.
    for row in &grid.expected_purchases[1..] {
        assert!(row.windows(2).all(|w| w[1] >= w[0] - 1e-12), "{row:?}");
    }
    // Cohorts hold every customer once.
    let cohorts = data.cohorts.as_ref().expect("cohorts");
    assert_eq!(
        cohorts.sizes.iter().sum::<u64>(),
        history.customers.len() as u64
    );
}

#[test]
fn without_a_calibration_end_the_holdout_sections_are_skipped() {
    let f = fixture();
    let bundle_path = f.dir.join("bundle-no-holdout.json");
    let report = f.dir.join("report-no-holdout.html");
    clv(&[
        "train",
        "--transactions",
        &s(&f.transactions),
        "--model",
        "bgnbd",
        "--no-covariates",
        "--output",
        &s(&bundle_path),
    ]);
    clv(&[
        "report",
        "--margin",
        "1",
        "--model",
        &s(&bundle_path),
        "--transactions",
        &s(&f.transactions),
        "--currency",
        "EUR",
        "--output",
        &s(&report),
    ]);
    let html = std::fs::read_to_string(&report).unwrap();
    let ids = figure_ids(&html);
    for id in FIGURE_IDS {
        let holdout = id.starts_with("fig-churn") || id == "fig-calibration-holdout";
        assert_eq!(ids.iter().any(|i| i == id), !holdout, "{id}");
    }
    // The holdout sections are listed as left out, with the reason.
    let holdout = "the bundle was trained without a holdout inside these data";
    assert!(html.contains(&format!("<li>Calibration vs holdout: {holdout}")));
    assert!(html.contains(&format!("<li>Churn model: {holdout}")));
    assert!(!html.contains("<section id=\"churn\""));
    assert!(html.contains(" EUR"));
    assert_no_non_finite(&html);

    // Summaries without purchase times: no tracking, no cohorts, the rest still there.
    let bundle = Bundle::load(&bundle_path).unwrap();
    let bare = summarize(&f.transactions, None, false);
    let data = library_report(&bundle, &bare, None);
    assert!(data.tracking.is_none() && data.cohorts.is_none());
    assert!(data.headline.is_some() && data.frequency_recency.is_some());
    // A history in another unit than the bundle's is an error, not a wrong report.
    let days = SummaryOptions {
        unit: TimeUnit::Day,
        keep_purchase_times: true,
        ..Default::default()
    };
    let (in_days, _) =
        summarize_path(&f.transactions, &ReadOptions::default(), &days, |_| {}).unwrap();
    let clv_settings = ClvSettings::from_annual_rate(52.0, 1.0, 0.1, 1.0).unwrap();
    assert!(build_report(&bundle, &in_days, None, &BuildSettings::new(clv_settings)).is_err());
}

#[test]
#[cfg_attr(not(clv_browser), ignore = "needs Chromium on PATH")]
fn report_renders_in_headless_chromium() {
    let Some(chromium) = browser::browser_or_skip() else {
        return;
    };
    let f = fixture();
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .join("report-test");
    std::fs::create_dir_all(&out_dir).unwrap();
    let page = out_dir.join("cli-report.html");
    std::fs::write(&page, &f.html).unwrap();
    // Screenshots at both widths (CI artifacts), then the layout: two columns at 1400 px, one
    // at 800 px, every chart with data, no overlapping, clipped or small text.
    for (width, columns, height) in [(1400, 2, 6000), (800, 1, 11000)] {
        let screenshot = out_dir.join(format!("cli-report-{width}.png"));
        browser::screenshot(&chromium, &page, &screenshot, (width, height));
        let probe = out_dir.join(format!("cli-report-probe-{width}.html"));
        let result = browser::probe(&chromium, &probe, &f.html, width);
        browser::check_layout(&result, FIGURE_IDS.len(), columns);
    }
}

#[test]
fn the_currency_is_a_three_letter_code_and_the_target_ratio_positive() {
    let f = fixture();
    let report = f.dir.join("report-bad-flags.html");
    for (flag, value, message) in [
        ("--currency", "$", "three-letter ISO 4217 code"),
        (
            "--target-ltv-cac",
            "0",
            "--target-ltv-cac must be a number > 0",
        ),
        ("--interval-draws", "5", "at least 20 parameter draws"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_clv"))
            .args(["report", "--margin", "0.3", "--model", &s(&f.bundle)])
            .args([
                "--transactions",
                &s(&f.transactions),
                "--output",
                &s(&report),
            ])
            .args([flag, value])
            .output()
            .expect("run clv");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{flag} {value} accepted");
        assert!(stderr.contains(message), "{flag} {value}: {stderr}");
        assert!(!report.exists(), "a report was written with {flag} {value}");
    }
}
