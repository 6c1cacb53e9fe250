//! Reports in a real browser at 1400 px and 800 px: headless Chromium loads the example
//! report and one built from a bundle trained on the demo data, takes screenshots
//! (`target/report-test/*-1400.png`, `*-800.png`, kept as CI artifacts) and checks, through a
//! probe script added to a copy of the page, that every chart has data, that no text overlaps,
//! overflows or is under 11 px, that the page has two columns at 1400 px and one at 800 px,
//! and that nothing raised an error.
//!
//! Without Chromium the test is skipped, except under CI (env `CI` set), where it fails.

mod common;

use std::path::{Path, PathBuf};

use clv::report::{ReportData, render_html};
use common::browser;

/// Window widths and the columns expected at each.
const WIDTHS: [(u32, u64); 2] = [(1400, 2), (800, 1)];

fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .join("report-test");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Screenshots and layout checks of `html` at both widths, files named after `name`.
fn check_in_browser(chromium: &Path, name: &str, html: &str, figures: usize) {
    let dir = out_dir();
    let page = dir.join(format!("{name}.html"));
    std::fs::write(&page, html).unwrap();
    for (width, columns) in WIDTHS {
        // The page as delivered, with no console messages at all.
        let height = if width >= 1400 { 6000 } else { 11000 };
        browser::screenshot(
            chromium,
            &page,
            &dir.join(format!("{name}-{width}.png")),
            (width, height),
        );
        let probe = dir.join(format!("{name}-probe-{width}.html"));
        let result = browser::probe(chromium, &probe, html, width);
        browser::check_layout(&result, figures, columns);
    }
}

#[test]
#[cfg_attr(not(clv_browser), ignore = "needs Chromium on PATH")]
fn example_report_lays_out_at_both_widths() {
    let Some(chromium) = browser::browser_or_skip() else {
        return;
    };
    let html = render_html(&ReportData::example()).unwrap();
    check_in_browser(&chromium, "report", &html, common::FIGURE_IDS.len());
}

#[test]
#[cfg_attr(not(clv_browser), ignore = "needs Chromium on PATH")]
fn demo_bundle_report_lays_out_at_both_widths() {
    let Some(chromium) = browser::browser_or_skip() else {
        return;
    };
    let data = common::demo_report::demo_report();
    let html = render_html(&data).unwrap();
    check_in_browser(&chromium, "demo-report", &html, common::FIGURE_IDS.len());
}

#[test]
#[cfg_attr(not(clv_browser), ignore = "needs Chromium on PATH")]
fn the_probe_sees_empty_charts_overlaps_small_text_and_errors() {
    let Some(chromium) = browser::browser_or_skip() else {
        return;
    };
    // Controls: an empty chart, a failed load, two overlapping labels, tiny and clipped text.
    let broken = "<!DOCTYPE html><html><head></head><body><main><section id=\"s\">\
<figure id=\"fig-empty\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"360\">\
</svg></figure>\
<p style=\"position:absolute;top:0;left:0\">first label</p>\
<p style=\"position:absolute;top:0;left:10px\">second label</p>\
<p style=\"font-size:9px\">tiny</p>\
<div style=\"width:40px;overflow:hidden;white-space:nowrap\">clipped text that does not fit</div>\
</section></main><img src=\"missing-image.png\" alt=\"\"></body></html>";
    let result = browser::probe(
        &chromium,
        &out_dir().join("control-probe.html"),
        broken,
        1400,
    );
    assert_eq!(result["figures"], 1, "{result}");
    assert_eq!(result["drawn"], 0, "{result}");
    assert_eq!(result["bad"], serde_json::json!(["fig-empty"]), "{result}");
    let count = |key: &str| result[key].as_array().map_or(0, Vec::len);
    assert_eq!(count("errors"), 1, "{result}");
    assert_eq!(count("overlaps"), 1, "{result}");
    assert_eq!(count("small"), 1, "{result}");
    let overflows = result["overflows"].as_array().unwrap();
    assert!(
        overflows.iter().any(|o| o
            .as_str()
            .is_some_and(|o| o.contains("clipped text") && o.contains("wider than its box"))),
        "{result}"
    );
}
