//! `clv summarize` end to end: output columns, errors, skip mode and its rejects file.

mod common;
use common::run_clv_in as clv;

use std::path::Path;
use std::process::Command;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write(dir: &Path, name: &str, content: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.to_string_lossy().into_owned()
}

const GOOD: &str = "customer_id,date,amount\n\
    1,2020-01-01,10\n1,2020-01-15,20\n2,2020-01-08,5\n1,2020-01-15,2\n";

#[test]
fn summarize_writes_lifetimes_columns() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "t.csv", GOOD.as_bytes());
    let out = clv(
        &[
            "summarize",
            "--input",
            &input,
            "--unit",
            "week",
            "--observation-end",
            "2020-01-29",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "customer_id,frequency,recency,T,monetary_value,first_purchase,orders,total_spend\n\
         1,1,2,4,22,2020-01-01,3,32\n\
         2,0,0,3,0,2020-01-08,1,5\n"
    );
    assert!(text(&out.stderr).contains("read 4 rows: 4 used, 0 rejected"));
}

#[test]
fn bad_date_fails_naming_file_line_column_value() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "bad.csv",
        b"customer_id,date,amount\n1,2020-01-01,10\n2,2020-02-30,5\n",
    );
    let out = clv(&["summarize", "--input", &input], dir.path());
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("bad.csv:3") && err.contains("'date'") && err.contains("2020-02-30"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn skip_mode_counts_and_writes_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "mixed.csv",
        b"customer_id,date,amount\n1,2020-01-01,10\n2,nope,5\n3,2020-01-02,-1\n4,2020-01-03,x\n1,2020-01-05,3\n",
    );
    let out_file = dir.path().join("summary.csv");
    let out = clv(
        &[
            "summarize",
            "--input",
            &input,
            "--unit",
            "day",
            "--on-error",
            "skip",
            "--output",
            &out_file.to_string_lossy(),
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("read 5 rows: 2 used, 3 rejected"), "{err}");
    assert!(
        err.contains("unparsable date: 1") && err.contains("negative amount (refund): 1"),
        "{err}"
    );
    let rejects = std::fs::read_to_string(dir.path().join("summary.rejects.csv")).unwrap();
    assert_eq!(rejects.lines().count(), 4, "{rejects}");
    assert!(
        rejects.contains("3,date,nope,unparsable date,\"2,nope,5\""),
        "{rejects}"
    );
    let summary = std::fs::read_to_string(&out_file).unwrap();
    assert_eq!(summary.lines().count(), 2);
    assert!(
        summary.contains("\n1,1,4,4,3,2020-01-01,2,13\n"),
        "{summary}"
    );

    // Without --output the rejects go to clv.rejects.csv in the working directory.
    let out = clv(
        &[
            "summarize",
            "--input",
            &input,
            "--on-error",
            "skip",
            "--quiet",
        ],
        dir.path(),
    );
    assert!(out.status.success());
    assert!(dir.path().join("clv.rejects.csv").is_file());
    // Rejections are a warning, shown even with --quiet.
    assert!(text(&out.stderr).contains("3 rejected"));
}

#[test]
fn empty_missing_column_and_non_utf8_inputs_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 4] = [
        ("empty.csv", b"", "empty input"),
        ("header_only.csv", b"customer_id,date,amount\n", "no rows"),
        (
            "nocol.csv",
            b"customer_id,date,price\n1,2020-01-01,3\n",
            "missing column 'amount'",
        ),
        (
            "latin1.csv",
            b"customer_id,date,amount\nJos\xe9,2020-01-01,3\n",
            "not valid UTF-8",
        ),
    ];
    for (name, content, want) in cases {
        let input = write(dir.path(), name, content);
        for mode in ["fail", "skip"] {
            let out = clv(
                &["summarize", "--input", &input, "--on-error", mode],
                dir.path(),
            );
            assert_eq!(out.status.code(), Some(1), "{name}");
            let err = text(&out.stderr);
            assert!(err.contains(want) && err.contains(name), "{name}: {err}");
            assert_eq!(
                err.trim_end()
                    .lines()
                    .filter(|l| l.starts_with("error"))
                    .count(),
                1
            );
            assert!(!err.contains("panicked"), "{err}");
        }
    }
    let out = clv(&["summarize", "--input", "does-not-exist.csv"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("does-not-exist.csv"));
}

#[test]
fn stdin_and_calibration_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_clv"))
        .args([
            "summarize",
            "--input",
            "-",
            "--unit",
            "day",
            "--calibration-end",
            "2020-01-10",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .current_dir(dir.path())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(GOOD.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    let mut lines = s.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .ends_with("frequency_holdout,monetary_value_holdout,duration_holdout")
    );
    // Customer 1: calibration only 2020-01-01; holdout one day (01-15) with 22 spent, 5 days long.
    assert_eq!(lines.next().unwrap(), "1,0,0,9,0,2020-01-01,1,10,1,22,5");
}

#[test]
#[cfg_attr(
    not(clv_datasets),
    ignore = "needs the reference datasets: set CLV_DATASETS"
)]
fn cdnow_summary_matches_reference_through_the_cli() {
    let (Some(path), Some(reference)) =
        (common::dataset("cdnow_sample.csv"), common::cdnow_summary())
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("s.csv");
    let out = clv(
        &[
            "summarize",
            "--input",
            &path.to_string_lossy(),
            "--unit",
            "week",
            "--calibration-end",
            "1997-09-30",
            "--output",
            &out_file.to_string_lossy(),
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = clv::features::read_summary_csv(&out_file).unwrap();
    assert_eq!(table.customer_id, reference.ids);
    for (i, x) in table.frequency.iter().enumerate() {
        assert!((table.recency[i] - reference.t_x[i]).abs() <= 0.01);
        assert!((table.t[i] - reference.t[i]).abs() <= 0.01);
        assert!((table.monetary_value[i] - reference.monetary[i]).abs() <= 0.01);
        assert_eq!(*x, reference.x[i]);
    }
}

#[test]
fn overflowing_amounts_fail_in_summarize_and_describe() {
    // Customer 7's amounts sum past the largest number: summarize names it; describe over two
    // customers whose revenue together overflows fails instead of printing inf or null.
    let dir = tempfile::tempdir().unwrap();
    let one = write(
        dir.path(),
        "one.csv",
        b"customer_id,date,amount\n1,2020-01-01,5\n7,2020-01-01,1e308\n7,2020-01-09,1e308\n",
    );
    for cmd in ["summarize", "describe"] {
        let out = clv(&[cmd, "--input", &one], dir.path());
        let err = text(&out.stderr);
        assert!(!out.status.success(), "{cmd}: {err}");
        assert!(
            err.contains("customer '7'") && err.contains("one.csv"),
            "{cmd}: {err}"
        );
    }
    let two = write(
        dir.path(),
        "two.csv",
        b"customer_id,date,amount\n1,2020-01-01,1e308\n2,2020-01-01,1e308\n",
    );
    let out = clv(&["describe", "--input", &two, "--json"], dir.path());
    let (err, stdout) = (text(&out.stderr), text(&out.stdout));
    assert!(!out.status.success(), "{stdout}");
    assert!(err.contains("revenue"), "{err}");
    assert!(
        !stdout.contains("null") && !stdout.contains("inf"),
        "{stdout}"
    );
}

#[test]
fn end_dates_are_read_with_the_date_format() {
    // Dates in day/month/year: --calibration-end and --observation-end in the same layout
    // (as lifetimes reads observation_period_end with datetime_format), or as YYYY-MM-DD.
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "dmy.csv",
        b"customer_id,date,amount\n1,01/01/2020,10\n1,15/01/2020,20\n1,20/02/2020,5\n2,08/01/2020,5\n",
    );
    let run = |cal: &str, end: &str| {
        clv(
            &[
                "summarize",
                "--input",
                &input,
                "--unit",
                "day",
                "--date-format",
                "%d/%m/%Y",
                "--calibration-end",
                cal,
                "--observation-end",
                end,
            ],
            dir.path(),
        )
    };
    let custom = run("31/01/2020", "29/02/2020");
    assert!(custom.status.success(), "{}", text(&custom.stderr));
    let iso = run("2020-01-31", "2020-02-29");
    assert_eq!(text(&custom.stdout), text(&iso.stdout));
    // Customer 1: T = 30 days to the calibration end, one holdout purchase in 29 days.
    assert!(
        text(&custom.stdout).contains("\n1,1,14,30,20,2020-01-01,2,30,1,5,29\n"),
        "{}",
        text(&custom.stdout)
    );
    let bad = run("31.01.2020", "29/02/2020");
    assert!(!bad.status.success());
    let err = text(&bad.stderr);
    assert!(
        err.contains("--calibration-end '31.01.2020'") && err.contains("%d/%m/%Y"),
        "{err}"
    );
}
