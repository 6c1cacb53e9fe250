//! The example report in a real browser: headless Chromium loads it, takes a screenshot
//! (`target/report-test/report.png`) and reports, through a probe script added to a copy of
//! the page, that every chart's SVG is laid out and non-empty and that nothing raised an error.
//!
//! Without Chromium the test is skipped, except under CI (env `CI` set), where it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clv::report::{ReportData, render_html};

const FIGURE_COUNT: usize = 12;
const BROWSER_NAMES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

/// Collects errors before anything else runs.
const PROBE_HEAD: &str = "<script>window.__errors=[];\
window.addEventListener('error',function(e){window.__errors.push(String(e.message||\
(e.target&&e.target.outerHTML)||'error'));},true);</script>";

/// Once everything has loaded (or failed to), measures every figure's SVG after layout and
/// writes the result into the DOM.
const PROBE_BODY: &str = r#"<script>
window.addEventListener('load', function(){
  var res = {figures: 0, drawn: 0, bad: [], errors: window.__errors};
  document.querySelectorAll('figure').forEach(function(f){
    res.figures++;
    var s = f.querySelector('svg');
    var r = s ? s.getBoundingClientRect() : null;
    var shapes = s ? s.querySelectorAll('rect,path,polyline,polygon,line,circle,text').length : 0;
    if (s && r.width > 100 && r.height > 100 && shapes > 10) res.drawn++; else res.bad.push(f.id);
  });
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(res);
  document.body.appendChild(pre);
});
</script>"#;

fn find_browser() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| BROWSER_NAMES.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// What the browser printed.
struct Output {
    success: bool,
    stdout: String,
    stderr: String,
}

/// Runs the browser with the flags that keep it offline and quiet, killing it after 90 s.
/// Output goes to files (a DOM dump would fill a pipe nobody reads while we wait).
/// `work` is a fresh temporary folder for the profile and the output files.
fn run_browser(browser: &Path, work: &Path, extra: &[String], page: &Path) -> Output {
    let profile = work.join("profile");
    let out_path = work.join("stdout");
    let err_path = work.join("stderr");
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(format!("file://{}", page.display()))
    .stdin(Stdio::null())
    .stdout(Stdio::from(
        std::fs::File::create(&out_path).expect("stdout file"),
    ))
    .stderr(Stdio::from(
        std::fs::File::create(&err_path).expect("stderr file"),
    ));
    let mut child = cmd.spawn().expect("start the browser");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll the browser") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("the browser did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    Output {
        success: status.success(),
        stdout: read(&out_path),
        stderr: read(&err_path),
    }
}

/// Width and height from a PNG header.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" {
        return None;
    }
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    Some((be(16), be(20)))
}

#[test]
fn example_report_renders_in_headless_chromium() {
    let Some(browser) = find_browser() else {
        if std::env::var_os("CI").is_some() {
            panic!("CI is set but no Chromium was found on PATH (looked for {BROWSER_NAMES:?})");
        }
        eprintln!("skipped: no Chromium on PATH, so the real-browser report test did not run");
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

    // Screenshot of the page as delivered; the log must show no console messages at all, as
    // the page has no scripts and loads nothing.
    let screenshot = out_dir.join("report.png");
    let _ = std::fs::remove_file(&screenshot);
    let work = tempfile::tempdir().unwrap();
    let out = run_browser(
        &browser,
        work.path(),
        &[
            format!("--screenshot={}", screenshot.display()),
            "--window-size=1280,4000".to_string(),
            "--enable-logging=stderr".to_string(),
            "--v=0".to_string(),
        ],
        &report,
    );
    assert!(out.success, "browser failed: {}", out.stderr);
    let console: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE(") || l.contains("Uncaught"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    let png = std::fs::read(&screenshot).expect("screenshot written");
    assert_eq!(png_size(&png), Some((1280, 4000)));
    // A blank page compresses to a few kilobytes; charts and text take far more.
    assert!(
        png.len() > 100_000,
        "screenshot looks empty ({} bytes)",
        png.len()
    );

    // The probe copy: same page plus two scripts, DOM dumped after load.
    let result = probe(&browser, &out_dir.join("report-probe.html"), &html);
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
    let result = probe(&browser, &out_dir.join("control-probe.html"), broken);
    assert_eq!(result["figures"], 1, "{result}");
    assert_eq!(result["drawn"], 0, "{result}");
    assert_eq!(result["bad"], serde_json::json!(["fig-empty"]), "{result}");
    assert_eq!(
        result["errors"].as_array().map(Vec::len),
        Some(1),
        "{result}"
    );
}

/// Writes `html` with the probe scripts to `path`, loads it, returns the probe's findings.
fn probe(browser: &Path, path: &Path, html: &str) -> serde_json::Value {
    let probed = html
        .replacen("<head>", &format!("<head>{PROBE_HEAD}"), 1)
        .replacen("</body>", &format!("{PROBE_BODY}</body>"), 1);
    std::fs::write(path, probed).unwrap();
    let work = tempfile::tempdir().unwrap();
    let out = run_browser(browser, work.path(), &["--dump-dom".to_string()], path);
    assert!(out.success, "browser failed: {}", out.stderr);
    let probe = out
        .stdout
        .split("<pre id=\"probe\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .expect("probe output in the dumped DOM");
    let probe = probe
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&probe).expect("probe JSON")
}
