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

/// The report's new-customer values (what `clv report` shows per channel) and `clv score-new
/// --intervals` give the same prospect the same CLV interval and conservative maximum CAC:
/// one implementation, the same seed and draws.
#[test]
fn the_report_and_score_new_give_a_prospect_the_same_interval() {
    use clv::features::covariates::ColumnEncoding;
    use clv::predict::Bundle;
    use clv::predict::intervals::IntervalSettings;
    use clv::predict::new_customers::new_customer_values;
    let bundle = Bundle::load(std::path::Path::new(&demo_bundle())).unwrap();
    let encoding = &bundle.covariates.as_ref().unwrap().encoding;
    // The report's rows: each channel, numeric attributes at their training mean.
    let (mut names, mut levels, mut row) = (vec![], vec![], vec![]);
    for c in &encoding.columns {
        names.push(c.name().to_string());
        match c {
            ColumnEncoding::Numeric { mean, .. } => row.push(format!("{mean}")),
            ColumnEncoding::Categorical {
                baseline,
                levels: rest,
                ..
            } => {
                levels = std::iter::once(baseline).chain(rest).cloned().collect();
                row.push(String::new());
            }
        }
    }
    let channel = names.iter().position(|n| n == "channel").unwrap();
    let mut text = names.join(",") + "\n";
    for level in &levels {
        row[channel] = level.clone();
        text += &(row.join(",") + "\n");
    }
    let dir = tempfile::tempdir().unwrap();
    let (file, out) = (dir.path().join("p.csv"), dir.path().join("scored.csv"));
    std::fs::write(&file, text).unwrap();
    let (f, o) = (file.display().to_string(), out.display().to_string());
    #[rustfmt::skip]
    let run = score_new(&f, &[
        "--horizon", "52", "--discount-rate", "0.1", "--target-ltv-cac", "3", "--intervals",
        "--interval-draws", "60", "--output", &o,
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let clv = bundle
        .clv_settings(52.0, bundle.unit().unwrap(), 0.1, 1.0)
        .unwrap();
    let draws = IntervalSettings {
        draws: 60,
        ..IntervalSettings::default()
    };
    let report = new_customer_values(&bundle, &clv, 3.0, &draws).unwrap();
    assert!(report.interval_note.is_none(), "{:?}", report.interval_note);
    let mut rdr = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let at = |n: &str| header.iter().position(|h| h == n).unwrap();
    let mut compared = 0;
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let v = |n: &str| rec[at(n)].parse::<f64>().unwrap();
        let value = report
            .values
            .iter()
            .find(|g| g.group == rec[channel])
            .unwrap();
        let interval = value.clv_interval.unwrap();
        let conservative = value.conservative_max_cac.unwrap();
        // The CSV's money is rounded to cents.
        let same = |a: f64, b: f64| (a - b).abs() <= 0.0051;
        assert!(interval.lower < interval.upper, "{interval:?}");
        assert!(same(v("clv_usd"), value.clv), "{rec:?} vs {value:?}");
        assert!(
            same(v("clv_low_usd"), interval.lower),
            "{rec:?} vs {value:?}"
        );
        assert!(
            same(v("clv_high_usd"), interval.upper),
            "{rec:?} vs {value:?}"
        );
        assert!(
            same(v("max_cac_conservative_usd"), conservative),
            "{rec:?} vs {value:?}"
        );
        compared += 1;
    }
    assert_eq!(compared, levels.len());
    assert!(compared >= 2);
}
