//! `clv describe` and `clv segment` end to end.

mod common;
use common::run_clv_in as clv;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Two customers over 2020-01-01 ..= 2020-12-30 (365 days = 365/365.25 years):
/// a spends 10 x 4 orders, b spends 30 once.
const ORDERS: &str = "customer_id,date,amount\n\
    a,2020-01-01,10\na,2020-04-01,10\na,2020-08-01,10\na,2020-12-30,10\nb,2020-06-01,30\n";

#[test]
fn describe_json_matches_hand_computation() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("o.csv");
    std::fs::write(&input, ORDERS).unwrap();
    let out = clv(
        &[
            "describe",
            "--input",
            &input.to_string_lossy(),
            "--cac",
            "10",
            "--lifespan-years",
            "2",
            "--json",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{k} missing: {v}"));
    let years = 365.0 / 365.25;
    assert_eq!(f("customers"), 2.0);
    assert!((f("apv_revenue_per_order") - 70.0 / 5.0).abs() < 1e-9);
    assert!((f("apv_mean_of_customer_averages") - 20.0).abs() < 1e-9);
    assert!((f("apf") - 2.5).abs() < 1e-9);
    assert!((f("customer_value_mean_of_spend_x_visits") - 35.0).abs() < 1e-9);
    assert!((f("customer_value_apv_x_apf") - 50.0).abs() < 1e-9);
    assert!((f("historical_clv_mean_of_spend_x_visits") - 35.0 / years * 2.0).abs() < 1e-9);
    assert!((f("ltv_to_cac") - 35.0 / years * 2.0 / 10.0).abs() < 1e-9);
    assert_eq!(v["ltv_to_cac_meets_3_to_1"], serde_json::json!(true));
    assert_eq!(v["lifespan_source"], "given");

    // The table names both customer values.
    let out = clv(
        &["describe", "--input", &input.to_string_lossy()],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.contains("mean of spend x visits") && table.contains("APV x APF"),
        "{table}"
    );
    assert!(table.contains("give --cac"), "{table}");
}

#[test]
fn segment_writes_scores_and_cohorts() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("o.csv");
    std::fs::write(&input, ORDERS).unwrap();
    let seg = dir.path().join("seg.csv");
    let coh = dir.path().join("coh.csv");
    let out = clv(
        &[
            "segment",
            "--input",
            &input.to_string_lossy(),
            "--output",
            &seg.to_string_lossy(),
            "--cohorts",
            &coh.to_string_lossy(),
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let seg = std::fs::read_to_string(seg).unwrap();
    let mut lines = seg.lines();
    assert_eq!(
        lines.next().unwrap(),
        "customer_id,days_since_last_purchase,expected_gap_days,orders,total_spend_usd,average_order_value_usd,r,f,m,\
         segment,high_value"
    );
    // a: last purchase on the end day, 4 orders, more spend; with two customers the better
    // one is ahead of half the others: 1 + floor(5 x 1/2) = 3 on each score. Neither is high
    // value: b's order value (30) is above the median (20) but b is no repeat buyer.
    // a's expected gap: 364 days over 3 repeat purchases; b, a one-time buyer, is measured
    // against the repeat buyers' median (a's), and 212 days is within twice it: no cap.
    // 364 / 3 to 8 significant digits; money rounded to cents.
    let gap = "121.33333";
    assert_eq!(
        lines.next().unwrap(),
        format!("a,0,{gap},4,40,10,3,3,3,loyal,false")
    );
    assert_eq!(
        lines.next().unwrap(),
        format!("b,212,{gap},1,30,30,1,1,1,lost,false")
    );
    let coh = std::fs::read_to_string(coh).unwrap();
    let mut rows = coh.lines();
    assert!(
        rows.next()
            .unwrap()
            .starts_with("cohort,size,month_0,month_1,")
    );
    // a (January cohort) buys in months 0, 3, 7 and 11.
    assert_eq!(rows.next().unwrap(), "2020-01,1,1,0,0,1,0,0,0,1,0,0,0,1");
    assert_eq!(rows.next().unwrap(), "2020-06,1,1,0,0,0,0,0,0,,,,,");
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("champions") && stdout.contains("2020-06"),
        "{stdout}"
    );
}

#[test]
fn help_has_examples() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in ["summarize", "describe", "segment"] {
        let out = clv(&[cmd, "--help"], dir.path());
        assert!(out.status.success());
        assert!(
            text(&out.stdout).contains(&format!("clv {cmd} --input")),
            "{cmd}"
        );
    }
}
