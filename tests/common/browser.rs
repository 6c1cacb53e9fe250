//! Headless Chromium for the report tests: offline, quiet, a fresh profile per run, killed
//! after 90 s. A screenshot is checked for size and console messages; a probe script copied
//! into a page measures every figure's SVG after layout and collects load errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const NAMES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

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

pub fn find_browser() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| NAMES.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// The browser, or `None` with a message so that the test can skip. Under CI (env `CI` set)
/// a missing browser fails instead: the real-browser check must not silently vanish there.
pub fn browser_or_skip() -> Option<PathBuf> {
    let found = find_browser();
    if found.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!("CI is set but no Chromium was found on PATH (looked for {NAMES:?})");
        }
        eprintln!("skipped: no Chromium on PATH, so the real-browser report test did not run");
    }
    found
}

/// Runs the browser on `page`; returns (stdout, stderr), panicking on failure.
/// Output goes to files (a DOM dump would fill a pipe nobody reads while we wait).
fn run(browser: &Path, extra: &[String], page: &Path) -> (String, String) {
    let work = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (work.path().join("stdout"), work.path().join("stderr"));
    let mut child = Command::new(browser)
        .args([
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
        .arg(format!(
            "--user-data-dir={}",
            work.path().join("profile").display()
        ))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::from(
            std::fs::File::create(&out_path).expect("stdout file"),
        ))
        .stderr(Stdio::from(
            std::fs::File::create(&err_path).expect("stderr file"),
        ))
        .spawn()
        .expect("start the browser");
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
    let (stdout, stderr) = (read(&out_path), read(&err_path));
    assert!(status.success(), "browser failed: {stderr}");
    (stdout, stderr)
}

/// Width and height from a PNG header.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" {
        return None;
    }
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    Some((be(16), be(20)))
}

/// A screenshot of `page` in a window of `width` × `height`: a PNG of that size, far larger
/// than a blank page's, and no console messages at all (the report has no scripts and loads
/// nothing).
pub fn screenshot(browser: &Path, page: &Path, png: &Path, (width, height): (u32, u32)) {
    let _ = std::fs::remove_file(png);
    let (_, stderr) = run(
        browser,
        &[
            format!("--screenshot={}", png.display()),
            format!("--window-size={width},{height}"),
            "--enable-logging=stderr".to_string(),
            "--v=0".to_string(),
        ],
        page,
    );
    let console: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE(") || l.contains("Uncaught"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    let bytes = std::fs::read(png).expect("screenshot written");
    assert_eq!(png_size(&bytes), Some((width, height)));
    // A blank page compresses to a few kilobytes; charts and text take far more.
    assert!(
        bytes.len() > 100_000,
        "screenshot looks empty ({} bytes)",
        bytes.len()
    );
}

/// Writes `html` with the probe scripts to `path`, loads it, returns the probe's findings:
/// `figures`, `drawn` (figures whose SVG is laid out and non-empty), `bad` (ids of the
/// others) and `errors`.
pub fn probe(browser: &Path, path: &Path, html: &str) -> serde_json::Value {
    let probed = html
        .replacen("<head>", &format!("<head>{PROBE_HEAD}"), 1)
        .replacen("</body>", &format!("{PROBE_BODY}</body>"), 1);
    std::fs::write(path, probed).unwrap();
    let (stdout, _) = run(browser, &["--dump-dom".to_string()], path);
    let probe = stdout
        .split("<pre id=\"probe\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .expect("probe output in the dumped DOM")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&probe).expect("probe JSON")
}
