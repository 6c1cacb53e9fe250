//! Headless Chromium for the report tests: offline, quiet, a fresh profile per run, killed
//! after 90 s. A screenshot is checked for size and console messages; a probe script copied
//! into a page measures the layout (charts with data, overlapping, clipped or small text,
//! columns) and collects load errors; [`check_layout`] asserts on its findings.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const NAMES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

/// Collects errors before anything else runs.
const PROBE_HEAD: &str = "<script>window.__errors=[];\
window.addEventListener('error',function(e){window.__errors.push(String(e.message||\
(e.target&&e.target.outerHTML)||'error'));},true);</script>";

/// Once everything has loaded (or failed to), measures the page after layout and writes the
/// result into the DOM:
/// - `figures`, `drawn`, `bad`: every figure's SVG is laid out, has shapes and data marks
///   (elements drawn in a colour that is not white, grey or black: lines, bars, cells);
/// - `small`: text rendered under 11 px (SVG text scaled by the SVG's on-screen size);
/// - `overlaps`: two text elements of one section whose boxes intersect (neither inside the
///   other);
/// - `overflows`: text wider than its box (scrolled or clipped), or outside its section, its
///   SVG or the window;
/// - `columns`: distinct left edges of the half-width sections; `fill`: the right edge of the
///   rightmost section over the window width; `page_width` vs `window_width`.
const PROBE_BODY: &str = r#"<script>
window.addEventListener('load', function(){
  var res = {figures: 0, drawn: 0, bad: [], errors: window.__errors, small: [], overlaps: [],
    overflows: [], columns: 0, fill: 0, texts: 0,
    window_width: window.innerWidth, page_width: document.documentElement.scrollWidth};
  // Data marks are drawn in colour; axes, grids and backgrounds in greys, black or white.
  function marked(e, attr) {
    var v = (e.getAttribute(attr) || '').trim().toLowerCase();
    if (!v || v === 'none' || v === 'transparent' || v === 'white' || v === 'black') return false;
    var m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/.exec(v);
    return !(m && m[1] === m[2] && m[2] === m[3]);
  }
  document.querySelectorAll('figure').forEach(function(f){
    res.figures++;
    var s = f.querySelector('svg');
    var r = s ? s.getBoundingClientRect() : null;
    var shapes = s ? s.querySelectorAll('rect,path,polyline,polygon,line,circle,text').length : 0;
    var marks = s ? Array.prototype.filter.call(s.querySelectorAll('rect,path,polyline,polygon,circle'),
      function(e){ return marked(e, 'fill') || marked(e, 'stroke'); }).length : 0;
    if (s && r.width > 100 && r.height > 100 && shapes > 10 && marks >= 2) res.drawn++;
    else res.bad.push(f.id);
  });
  function ownText(e) {
    for (var n = e.firstChild; n; n = n.nextSibling)
      if (n.nodeType === 3 && n.textContent.trim()) return true;
    return false;
  }
  function name(e) {
    var holder = e.closest('[id]');
    return (holder ? holder.id : '?') + ' ' + e.tagName.toLowerCase() + ' "' +
      e.textContent.trim().slice(0, 40) + '"';
  }
  var skip = {SCRIPT: 1, STYLE: 1, TITLE: 1, PRE: 1};
  var texts = Array.prototype.filter.call(document.body.querySelectorAll('*'), function(e){
    return !skip[e.tagName] && ownText(e);
  });
  res.texts = texts.length;
  var W = window.innerWidth;
  texts.forEach(function(e){
    var r = e.getBoundingClientRect();
    var size = parseFloat(getComputedStyle(e).fontSize);
    var svg = e.closest('svg');
    if (svg) {
      var vb = svg.viewBox && svg.viewBox.baseVal;
      var w = vb && vb.width ? vb.width : svg.width.baseVal.value;
      var sr = svg.getBoundingClientRect();
      size = size * sr.width / w;
      if (r.left < sr.left - 1 || r.right > sr.right + 1 || r.top < sr.top - 1 || r.bottom > sr.bottom + 1)
        res.overflows.push(name(e) + ' outside its chart');
    } else {
      var cs = getComputedStyle(e);
      if (cs.display !== 'inline' && e.scrollWidth > e.clientWidth + 1)
        res.overflows.push(name(e) + ' wider than its box (' + e.scrollWidth + ' > ' + e.clientWidth + ')');
      var sec = e.closest('section');
      if (sec) {
        var q = sec.getBoundingClientRect();
        if (r.left < q.left - 1 || r.right > q.right + 1)
          res.overflows.push(name(e) + ' outside its section');
      }
    }
    if (r.right > W + 1 || r.left < -1) res.overflows.push(name(e) + ' outside the window');
    if (size < 11 - 1e-6) res.small.push(name(e) + ' ' + size.toFixed(2) + 'px');
  });
  // Pairs of text boxes within a section (or a chart) must not intersect.
  var groups = new Map();
  texts.forEach(function(e){
    var g = e.closest('svg') || e.closest('section') || document.body;
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(e);
  });
  groups.forEach(function(list){
    var boxes = list.map(function(e){ return e.getBoundingClientRect(); });
    for (var i = 0; i < list.length; i++) for (var j = i + 1; j < list.length; j++) {
      if (list[i].contains(list[j]) || list[j].contains(list[i])) continue;
      var a = boxes[i], b = boxes[j];
      var w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      var h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 1 && h > 1 && a.width > 0 && b.width > 0)
        res.overlaps.push(name(list[i]) + ' overlaps ' + name(list[j]));
    }
  });
  var lefts = {};
  var right = 0;
  document.querySelectorAll('main > section').forEach(function(sec){
    var q = sec.getBoundingClientRect();
    if (!sec.classList.contains('wide')) lefts[Math.round(q.left)] = 1;
    right = Math.max(right, q.right);
  });
  res.columns = Object.keys(lefts).length;
  res.fill = right / W;
  res.overlaps = res.overlaps.slice(0, 50);
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

/// Writes `html` with the probe scripts to `path`, loads it in a window `width` px wide,
/// returns the probe's findings (see [`PROBE_BODY`]).
pub fn probe(browser: &Path, path: &Path, html: &str, width: u32) -> serde_json::Value {
    let probed = html
        .replacen("<head>", &format!("<head>{PROBE_HEAD}"), 1)
        .replacen("</body>", &format!("{PROBE_BODY}</body>"), 1);
    std::fs::write(path, probed).unwrap();
    let (stdout, _) = run(
        browser,
        &[
            "--dump-dom".to_string(),
            format!("--window-size={width},2000"),
        ],
        path,
    );
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

/// Asserts that the probe found a laid-out page: every figure drawn with data, no errors, no
/// text under 11 px, no overlapping or overflowing text, no horizontal scrolling, and
/// `columns` columns filling the window.
pub fn check_layout(result: &serde_json::Value, figures: usize, columns: u64) {
    assert_eq!(result["figures"], figures, "{result}");
    assert_eq!(
        result["drawn"], figures,
        "charts not drawn: {}",
        result["bad"]
    );
    let empty = serde_json::json!([]);
    for key in ["errors", "small", "overlaps", "overflows"] {
        assert_eq!(result[key], empty, "{key}: {:#}", result[key]);
    }
    assert!(result["texts"].as_u64().unwrap_or(0) > 100, "{result}");
    assert_eq!(
        result["page_width"], result["window_width"],
        "horizontal scrolling"
    );
    assert_eq!(result["columns"], columns, "{result}");
    let fill = result["fill"].as_f64().unwrap_or(0.0);
    assert!(
        fill > 0.95 && fill <= 1.0,
        "sections fill {fill} of the width"
    );
}
