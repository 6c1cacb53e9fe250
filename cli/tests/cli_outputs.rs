//! Outputs are safe: written to a temporary file and renamed into place (a killed run leaves
//! the old file whole), never over one of the command's own inputs, and a full or closed
//! stdout / stderr is an error exit, never a panic.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{run_clv, run_clv_in};

fn demo() -> String {
    common::workspace_root()
        .join("data/demo_transactions.csv")
        .display()
        .to_string()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn refused(out: &std::process::Output, flags: &[&str]) {
    assert_eq!(out.status.code(), Some(1), "{}", stderr(out));
    let e = stderr(out);
    assert!(e.contains("same file"), "{e}");
    for f in flags {
        assert!(e.contains(f), "{e} lacks {f}");
    }
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn an_output_over_an_input_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("orders.csv");
    std::fs::copy(demo(), &input).unwrap();
    let before = std::fs::read(&input).unwrap();
    let i = input.display().to_string();

    refused(
        &run_clv(&["summarize", "--input", &i, "--output", &i]),
        &["--input", "--output"],
    );
    // The same file by another name.
    let other = dir
        .path()
        .join(".")
        .join("orders.csv")
        .display()
        .to_string();
    refused(
        &run_clv(&["summarize", "--input", &i, "--output", &other]),
        &["--input", "--output"],
    );
    refused(
        &run_clv(&[
            "summarize",
            "--input",
            &i,
            "--on-error",
            "skip",
            "--rejects",
            &i,
        ]),
        &["--input", "--rejects"],
    );
    let out_file = dir.path().join("seg.csv").display().to_string();
    refused(
        &run_clv(&[
            "segment",
            "--input",
            &i,
            "--output",
            &out_file,
            "--cohorts",
            &out_file,
        ]),
        &["--output", "--cohorts"],
    );
    // Relative paths in another working directory.
    refused(
        &run_clv_in(
            &[
                "summarize",
                "--input",
                "orders.csv",
                "--output",
                "./orders.csv",
            ],
            dir.path(),
        ),
        &["--input", "--output"],
    );
    assert_eq!(
        std::fs::read(&input).unwrap(),
        before,
        "the input was touched"
    );
    assert!(!Path::new(&out_file).exists());
}

#[test]
fn a_full_stdout_or_stderr_is_an_error_exit_not_a_panic() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    let Ok(full) = full else {
        panic!("this test needs /dev/full (Linux)");
    };
    for args in [
        vec!["describe", "--input", &demo()],
        vec!["summarize", "--input", &demo(), "--unit", "week"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_clv"))
            .args(&args)
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let e = stderr(&out);
        assert!(e.starts_with("error:") || e.contains("\nerror:"), "{e}");
        assert!(!e.contains("panicked"), "{e}");
    }
    // stderr full: the run cannot report, but it must not look clean or panic (exit 101).
    let out = Command::new(env!("CARGO_BIN_EXE_clv"))
        .args(["describe", "--input", &demo()])
        .stdout(Stdio::null())
        .stderr(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_killed_write_leaves_the_old_file_or_the_whole_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("orders.csv");
    let t = target.display().to_string();
    let sim = |seed: &str| {
        vec![
            "simulate".to_string(),
            "--customers".into(),
            "60000".into(),
            "--seed".into(),
            seed.into(),
            "--output".into(),
            t.clone(),
        ]
    };
    // The complete outputs of both seeds, for comparison.
    let complete = |seed: &str| {
        let out = run_clv(&sim(seed).iter().map(String::as_str).collect::<Vec<_>>());
        assert!(out.status.success(), "{}", stderr(&out));
        std::fs::read(&target).unwrap()
    };
    let new = complete("2");
    let old = complete("1");
    assert_ne!(old, new);
    let mut killed_midway = 0;
    for k in 0..12u64 {
        std::fs::write(&target, &old).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_clv"))
            .args(sim("2"))
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Spread the kills over the run (a run takes a few hundred milliseconds).
        std::thread::sleep(Duration::from_millis(15 * k * k % 400));
        let _ = child.kill();
        let status = child.wait().unwrap();
        let now = std::fs::read(&target).unwrap();
        assert!(
            now == old || now == new,
            "kill {k}: the file is neither the old one nor the complete new one ({} bytes)",
            now.len()
        );
        if !status.success() && now == old {
            killed_midway += 1;
        }
    }
    assert!(
        killed_midway > 0,
        "no kill landed before the rename; the test proved nothing"
    );
    // A finished run leaves the complete new file (killed runs may leave their temporary
    // files, hidden next to it, but never a half-written target).
    let out = run_clv(&sim("2").iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success());
    assert_eq!(std::fs::read(&target).unwrap(), new);
}
