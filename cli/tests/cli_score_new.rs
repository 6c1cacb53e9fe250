//! `clv score-new`: prospects scored with the committed demo bundle; bad values are reported
//! with file, line, column and value.

mod common;

fn demo_bundle() -> String {
    common::workspace_root()
        .join("models/demo_bundle.json")
        .display()
        .to_string()
}

/// `clv score-new` of the demo bundle at margin 1 on `prospects`, with `extra` flags.
fn score_new(prospects: &str, extra: &[&str]) -> std::process::Output {
    let bundle = demo_bundle();
    let mut args = vec![
        "score-new",
        "--margin",
        "1",
        "--model",
        &bundle,
        "--prospects",
        prospects,
    ];
    args.extend_from_slice(extra);
    common::run_clv(&args)
}

#[test]
fn scores_each_channel_and_a_budget() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prospects.csv");
    std::fs::write(
        &file,
        "channel,score,count\npaid,0.5,100\norganic,0.1,300\n",
    )
    .unwrap();
    let out = score_new(&file.display().to_string(), &["--target-ltv-cac", "3"]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    // The budget table (on stderr) has one line per channel and the total.
    for group in ["all", "channel=paid", "channel=organic"] {
        assert!(stderr.contains(group), "{group} missing from:\n{stderr}");
    }
    // The CSV (on stdout): one row per prospect line, max CAC = CLV / 3.
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 2, "{stdout}");
    for row in rows {
        let (clv, max_cac): (f64, f64) = (row[6].parse().unwrap(), row[7].parse().unwrap());
        // Both rounded to cents.
        assert!(
            clv > 0.0 && (max_cac - clv / 3.0).abs() <= 0.0051,
            "{row:?}"
        );
    }
}

#[test]
fn a_bad_count_names_file_line_column_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prospects.csv");
    // The bad value sits on line 4, after a blank line.
    std::fs::write(
        &file,
        "channel,score,count\npaid,0.5,100\n\norganic,0.1,x5\n",
    )
    .unwrap();
    let path = file.display().to_string();
    let out = score_new(&path, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("{path}:4")) && stderr.contains("count") && stderr.contains("x5"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}
