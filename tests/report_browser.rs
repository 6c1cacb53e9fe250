//! The example report in a real browser: headless Chromium loads it, takes a screenshot
//! (`target/report-test/report.png`) and reports, through a probe script added to a copy of
//! the page, that every chart's SVG is laid out and non-empty and that nothing raised an error.
//!
//! Without Chromium the test is skipped, except under CI (env `CI` set), where it fails.

mod common;

use std::path::Path;

use clv::report::{ReportData, render_html};
use common::browser;

const FIGURE_COUNT: usize = 12;

#[test]
#[cfg_attr(not(clv_browser), ignore = "needs Chromium on PATH")]
fn example_report_renders_in_headless_chromium() {
    let Some(chromium) = browser::browser_or_skip() else {
        return;
    };
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .join("report-test");
    std::fs::create_dir_all(&out_dir).unwrap();
    let html = render_html(&ReportData::example()).unwrap();
    let report = out_dir.join("report.html");
    std::fs::write(&report, &html).unwrap();

    // Screenshot of the page as delivered, with no console messages at all.
    browser::screenshot(
        &chromium,
        &report,
        &out_dir.join("report.png"),
        (1280, 4000),
    );

    // The probe copy: same page plus two scripts, DOM dumped after load.
    let result = browser::probe(&chromium, &out_dir.join("report-probe.html"), &html);
    assert_eq!(result["figures"], FIGURE_COUNT, "{result}");
    assert_eq!(
        result["drawn"], FIGURE_COUNT,
        "charts not drawn: {}",
        result["bad"]
    );
    assert_eq!(
        result["errors"],
        serde_json::json!([]),
        "page errors: {}",
        result["errors"]
    );

    // Control: the probe does see an empty chart and a failed load.
    let broken = "<!DOCTYPE html><html><head></head><body><figure id=\"fig-empty\">\
<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"360\"></svg></figure>\
<img src=\"missing-image.png\" alt=\"\"></body></html>";
    let result = browser::probe(&chromium, &out_dir.join("control-probe.html"), broken);
    assert_eq!(result["figures"], 1, "{result}");
    assert_eq!(result["drawn"], 0, "{result}");
    assert_eq!(result["bad"], serde_json::json!(["fig-empty"]), "{result}");
    assert_eq!(
        result["errors"].as_array().map(Vec::len),
        Some(1),
        "{result}"
    );
}
