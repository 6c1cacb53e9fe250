//! `clv summarize --memory-budget`: a budget below the input's estimated state summarizes
//! through temporary partition files, with the same output file and rejects file as the
//! in-memory run, the temporary files removed, and a bad budget or Parquet output refused.

mod common;
use common::run_clv_in as clv;

use std::path::Path;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Transactions of 300 customers with bad rows, quoted ids on odd `quoted`, a channel column.
fn transactions(dir: &Path, quoted: bool) -> String {
    let mut s = String::from("customer_id,date,amount,channel\n");
    for i in 0..3000u32 {
        let c = (i * 7919) % 300;
        let id = if quoted && c % 5 == 0 {
            format!("\"x,{c}\"")
        } else {
            format!("{c}")
        };
        let day = 1 + (i * 31) % 28;
        let month = 1 + (i * 13) % 12;
        match i % 211 {
            7 => s.push_str(&format!("{id},2020-{month:02}-{day:02},-1,web\n")),
            8 => s.push_str(&format!(",2020-{month:02}-{day:02},3,web\n")),
            _ => s.push_str(&format!(
                "{id},2020-{month:02}-{day:02},{}.{:02},{}\n",
                i % 97,
                i % 100,
                ["web", "shop"][(i % 2) as usize]
            )),
        }
    }
    let p = dir.join(if quoted { "q.csv" } else { "t.csv" });
    std::fs::write(&p, s).unwrap();
    p.to_string_lossy().into_owned()
}

fn summarize(dir: &Path, input: &str, output: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "summarize",
        "--input",
        input,
        "--calibration-end",
        "2020-09-30",
        "--on-error",
        "skip",
        "--output",
        output,
    ];
    args.extend_from_slice(extra);
    clv(&args, dir)
}

#[test]
fn a_small_budget_gives_the_in_memory_files() {
    for quoted in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let temp = dir.path().join("scratch");
        std::fs::create_dir(&temp).unwrap();
        let input = transactions(dir.path(), quoted);
        let mem = summarize(dir.path(), &input, "mem.csv", &[]);
        assert!(mem.status.success(), "{}", text(&mem.stderr));
        assert!(
            !text(&mem.stderr).contains("partitions"),
            "{}",
            text(&mem.stderr)
        );
        let temp_arg = temp.to_string_lossy().into_owned();
        let part = summarize(
            dir.path(),
            &input,
            "part.csv",
            &["--memory-budget", "1MiB", "--temp-dir", &temp_arg],
        );
        assert!(part.status.success(), "{}", text(&part.stderr));
        assert!(
            text(&part.stderr).contains("partitions"),
            "{}",
            text(&part.stderr)
        );
        let read = |n: &str| std::fs::read(dir.path().join(n)).unwrap();
        assert!(read("mem.csv").len() > 1000);
        assert_eq!(read("mem.csv"), read("part.csv"), "quoted {quoted}");
        assert_eq!(
            read("mem.rejects.csv"),
            read("part.rejects.csv"),
            "quoted {quoted}"
        );
        assert_eq!(std::fs::read_dir(&temp).unwrap().count(), 0);
        // Without --temp-dir the scratch folder is beside the output, and removed too.
        let beside = summarize(
            dir.path(),
            &input,
            "beside.csv",
            &["--memory-budget", "1MB"],
        );
        assert!(beside.status.success(), "{}", text(&beside.stderr));
        assert_eq!(read("mem.csv"), read("beside.csv"));
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".clv"))
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }
}

#[test]
fn stdin_with_a_budget_is_partitioned_and_identical() {
    let dir = tempfile::tempdir().unwrap();
    let input = transactions(dir.path(), false);
    let mem = clv(
        &["summarize", "--input", &input, "--on-error", "skip"],
        dir.path(),
    );
    assert!(mem.status.success(), "{}", text(&mem.stderr));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clv"))
        .args(["summarize", "--input", "-", "--memory-budget", "2MiB"])
        .args(["--on-error", "skip"])
        .current_dir(dir.path())
        .args(["--temp-dir", &dir.path().to_string_lossy()])
        .stdin(std::fs::File::open(&input).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("partitions"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(mem.stdout, out.stdout);
}

#[test]
fn a_bad_row_fails_with_its_line_and_leaves_no_files() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.csv");
    std::fs::write(
        &input,
        "customer_id,date,amount\n1,2020-01-01,3\n2,2020-13-01,4\n",
    )
    .unwrap();
    let out = clv(
        &[
            "summarize",
            "--input",
            &input.to_string_lossy(),
            "--memory-budget",
            "1KiB",
            "--output",
            "s.csv",
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("bad.csv:3:"), "{err}");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("bad.csv")]);
}

#[test]
fn bad_budgets_and_parquet_output_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = transactions(dir.path(), false);
    for bad in ["lots", "2XB", "0"] {
        let out = clv(
            &["summarize", "--input", &input, "--memory-budget", bad],
            dir.path(),
        );
        assert!(!out.status.success(), "{bad}");
        assert!(text(&out.stderr).contains(bad), "{}", text(&out.stderr));
    }
    let out = summarize(
        dir.path(),
        &input,
        "s.parquet",
        &["--memory-budget", "1KiB"],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("CSV only"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.path().join("s.parquet").exists());
}
