//! The README's tour is real (#12 item 8): every command block of its "Tour" section runs as
//! written (`sh -c`, the `clv` under test first on `PATH`, `CLV_DATASETS` set, in a scratch
//! copy of `data/` and `models/` so the repository is untouched), succeeds, and every output
//! block shown after it is found in what the commands printed (stdout, stderr) or wrote (the
//! files named by `--output`, `--cohorts`, `--rejects`, `--budget-output`).
//!
//! Shown blocks are excerpts: a block matches a text when its lines appear there as consecutive
//! lines, except that a line `…` skips any number of lines, a line ending in ` …` matches any
//! line starting with what precedes it, and `…` inside a line matches any text. So a README
//! shows stable figures exactly and abridges what varies (timings) with `…`.
//!
//! `README_TOUR_PRINT=1` prints every command's outputs, to update the README from.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// One command block of the tour and the output blocks shown after it.
struct Step {
    line: usize,
    script: String,
    shown: Vec<(usize, Vec<String>)>,
}

/// The tour's steps: fenced blocks between `## Tour` and the next `## ` heading. A ```sh block
/// is a command; plain ``` blocks after it are its shown outputs; other blocks (```bash, the
/// set-up) are not run.
fn tour_steps(readme: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut in_tour = false;
    let mut fence: Option<(String, usize, Vec<String>)> = None;
    for (i, line) in readme.lines().enumerate() {
        let number = i + 1;
        if let Some((lang, start, mut body)) = fence.take() {
            if line.trim_end() == "```" {
                match lang.as_str() {
                    "sh" => steps.push(Step {
                        line: start,
                        script: body.join("\n"),
                        shown: Vec::new(),
                    }),
                    "" => {
                        if let Some(step) = steps.last_mut() {
                            step.shown.push((start, body));
                        }
                    }
                    _ => {}
                }
            } else {
                body.push(line.to_string());
                fence = Some((lang, start, body));
            }
            continue;
        }
        if line.starts_with("## ") {
            in_tour = line.trim() == "## Tour";
            continue;
        }
        if in_tour && let Some(lang) = line.strip_prefix("```") {
            fence = Some((lang.trim().to_string(), number, Vec::new()));
        }
    }
    steps
}

/// Whether the shown line `pattern` matches the printed line `actual`.
fn line_matches(pattern: &str, actual: &str) -> bool {
    let actual = actual.trim_end();
    let pattern = pattern.trim_end();
    if !pattern.contains('…') {
        return pattern == actual;
    }
    let parts: Vec<&str> = pattern.split('…').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !actual.starts_with(first) || actual.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &actual[first.len()..];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// Whether `block` matches consecutive lines of `lines` from `start`, `…` lines skipping.
fn block_matches_at(block: &[String], lines: &[&str], start: usize) -> bool {
    let Some((head, tail)) = block.split_first() else {
        return true;
    };
    if head.trim() == "…" {
        // Skip any number of lines (none included), then the rest must match.
        return (start..=lines.len()).any(|s| block_matches_at(tail, lines, s));
    }
    start < lines.len()
        && line_matches(head, lines[start])
        && block_matches_at(tail, lines, start + 1)
}

fn block_matches(block: &[String], text: &str) -> bool {
    let lines: Vec<&str> = text.lines().collect();
    (0..lines.len().max(1)).any(|s| block_matches_at(block, &lines, s))
}

/// The files a command writes, as named by its flags.
fn written_files(script: &str) -> Vec<String> {
    let words: Vec<&str> = script.split_whitespace().collect();
    let flags = ["--output", "--cohorts", "--rejects", "--budget-output"];
    words
        .windows(2)
        .filter(|w| flags.contains(&w[0]))
        .map(|w| w[1].to_string())
        .collect()
}

/// The first `n` lines of `text`, for messages.
fn head(text: &str, n: usize) -> String {
    text.lines().take(n).collect::<Vec<_>>().join("\n")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
#[cfg_attr(
    not(clv_datasets),
    ignore = "needs CLV_DATASETS (the tour runs on the CDNOW files)"
)]
fn every_tour_command_runs_and_prints_what_the_readme_shows() {
    let Some(sample) = common::dataset("cdnow_sample.csv") else {
        return;
    };
    let datasets = sample.parent().unwrap().to_path_buf();
    let root = common::workspace_root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let steps = tour_steps(&readme);
    assert!(
        steps.len() >= 12,
        "only {} tour commands found in README.md",
        steps.len()
    );

    let scratch = tempfile::tempdir().unwrap();
    copy_dir(&root.join("data"), &scratch.path().join("data"));
    copy_dir(&root.join("models"), &scratch.path().join("models"));
    let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_clv"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let print = std::env::var_os("README_TOUR_PRINT").is_some();

    let mut failures = Vec::new();
    for step in &steps {
        let out = Command::new("sh")
            .arg("-c")
            .arg(&step.script)
            .current_dir(scratch.path())
            .env("PATH", &path)
            .env("CLV_DATASETS", &datasets)
            .output()
            .expect("run sh");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() {
            failures.push(format!(
                "README.md:{}: `{}` failed ({}):\n{stderr}",
                step.line, step.script, out.status
            ));
            continue;
        }
        let mut texts = vec![
            ("stdout".to_string(), stdout),
            ("stderr".to_string(), stderr),
        ];
        for file in written_files(&step.script) {
            if let Ok(text) = std::fs::read_to_string(scratch.path().join(&file)) {
                texts.push((file, text));
            }
        }
        if print {
            println!("=== README.md:{}: {}", step.line, step.script);
            for (name, text) in &texts {
                println!("--- {name}\n{}", head(text, 60));
            }
        }
        for (line, block) in &step.shown {
            if !texts.iter().any(|(_, text)| block_matches(block, text)) {
                let printed: Vec<String> = texts
                    .iter()
                    .map(|(name, text)| format!("--- {name}:\n{}", head(text, 25)))
                    .collect();
                failures.push(format!(
                    "README.md:{line}: the output shown after `{}` is not what it printed:\n{}\n{}",
                    step.script,
                    block.join("\n"),
                    printed.join("\n")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_matcher_matches_excerpts_and_rejects_other_text() {
    let text = "a 1\nb 2 in 0.12 s\nc 3\nd 4\n";
    let block = |lines: &[&str]| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(block_matches(&block(&["b 2 in … s", "c 3"]), text));
    assert!(block_matches(&block(&["a 1", "…", "d 4"]), text));
    assert!(block_matches(&block(&["b 2 …"]), text));
    assert!(!block_matches(&block(&["a 1", "c 3"]), text));
    assert!(!block_matches(&block(&["b 3 in … s"]), text));
    assert!(!block_matches(&block(&["d 4", "e 5"]), text));
    let readme = "# x\n## Tour\n```bash\nsetup\n```\n```sh\nclv a --output o.csv\n```\n```\nshown\n```\n## Python\n```sh\nnot run\n```\n";
    let steps = tour_steps(readme);
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].script, "clv a --output o.csv");
    assert_eq!(steps[0].shown, vec![(9, vec!["shown".to_string()])]);
    assert_eq!(written_files(&steps[0].script), vec!["o.csv".to_string()]);
}
