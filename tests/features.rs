//! Feature builder against the published CDNOW summary and against hand-computed cases.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use clv::features::cohort::cohort_retention;
use clv::features::metrics::describe_summary;
use clv::features::rfm::rfm_scores;
use clv::features::{SummaryOptions, TimeUnit, read_summary_csv, summarize_path, summarize_reader};
use clv::ingest::ReadOptions;
use clv::models::RfmData;

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Acceptance: the CDNOW sample with calibration end 1997-09-30 (inclusive) in weeks gives
/// the published 39-week summary for all 2,357 customers.
#[test]
#[cfg_attr(
    not(clv_datasets),
    ignore = "needs the reference datasets: set CLV_DATASETS"
)]
fn cdnow_sample_reproduces_39_week_summary() {
    let (Some(path), Some(reference)) =
        (common::dataset("cdnow_sample.csv"), common::cdnow_summary())
    else {
        return;
    };
    let opts = SummaryOptions {
        unit: TimeUnit::Week,
        calibration_end: Some(date("1997-09-30")),
        ..Default::default()
    };
    let (summary, acc) = summarize_path(&path, &ReadOptions::default(), &opts, |_| {}).unwrap();
    assert_eq!(acc.rows_read, 6919);
    assert_eq!(acc.rows_used, 6919);
    assert_eq!(summary.customers.len(), 2357);
    assert_eq!(summary.customers_after_calibration, 0);
    assert_eq!(summary.observation_end, date("1998-06-30"));
    assert_eq!(summary.extra_columns, vec!["cds".to_string()]);
    for (i, c) in summary.customers.iter().enumerate() {
        assert_eq!(c.customer_id, reference.ids[i]);
        let pairs = [
            ("x", c.frequency, reference.x[i]),
            ("t_x", c.recency, reference.t_x[i]),
            ("T", c.t, reference.t[i]),
            ("zbar", c.monetary_value, reference.monetary[i]),
        ];
        for (what, got, want) in pairs {
            assert!(
                (got - want).abs() <= 0.01 + 1e-9,
                "customer {}: {what} = {got}, reference {want}",
                c.customer_id
            );
        }
        let h = c.holdout.as_ref().unwrap();
        assert!((h.duration - 39.0).abs() < 1e-12);
    }

    // Holdout counts against a naive recomputation from the raw rows.
    let mut holdout: BTreeMap<String, (BTreeSet<String>, f64)> = BTreeMap::new();
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        if &rec[1] > "1997-09-30" {
            let e = holdout.entry(rec[0].to_string()).or_default();
            e.0.insert(rec[1].to_string());
            e.1 += rec[3].parse::<f64>().unwrap();
        }
    }
    for c in &summary.customers {
        let h = c.holdout.as_ref().unwrap();
        let (days, spend) = holdout
            .get(&c.customer_id)
            .map_or((0, 0.0), |(d, s)| (d.len(), *s));
        assert_eq!(h.frequency, days as f64, "customer {}", c.customer_id);
        assert!((h.spend - spend).abs() < 1e-6);
        if days > 0 {
            assert!((h.monetary_value - spend / days as f64).abs() < 1e-9);
        }
    }
    let data = RfmData::from_summary(&summary).unwrap();
    assert_eq!(data.customers(), 2357.0);
    assert_eq!(summary.rfm_matrix().dim(), (2357, 4));
}

/// Writing a summary and reading it back gives the same numbers (to the printed precision).
#[test]
fn summary_csv_round_trip() {
    let text = "customer_id,date,amount,channel\n\
        7,2021-01-01,10,web\n7,2021-01-03,20,shop\n7,2021-02-01,5,web\n\
        12,2021-01-10,3,shop\n12,2021-03-01,4,web\n9,2021-03-05,1,web\n";
    let opts = SummaryOptions {
        unit: TimeUnit::Day,
        calibration_end: Some(date("2021-01-31")),
        observation_end: Some(date("2021-03-31")),
        ..Default::default()
    };
    let (s, acc) = summarize_reader(text.as_bytes(), "t", &ReadOptions::default(), &opts).unwrap();
    assert_eq!(acc.rows_used, 6);
    // Customer 9 first bought after the calibration end.
    assert_eq!(s.customers_after_calibration, 1);
    let ids: Vec<&str> = s.customers.iter().map(|c| c.customer_id.as_str()).collect();
    assert_eq!(ids, vec!["7", "12"]);
    let c7 = &s.customers[0];
    assert_eq!(
        (c7.frequency, c7.recency, c7.t, c7.monetary_value),
        (1.0, 2.0, 30.0, 20.0)
    );
    assert_eq!(c7.extras, vec!["web".to_string()]);
    let h = c7.holdout.as_ref().unwrap();
    assert_eq!(
        (h.frequency, h.spend, h.monetary_value, h.duration),
        (1.0, 5.0, 5.0, 59.0)
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("summary.csv");
    s.write_csv(std::fs::File::create(&file).unwrap()).unwrap();
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.starts_with(
        "customer_id,frequency,recency,T,monetary_value,first_purchase,orders,total_spend,\
         frequency_holdout,monetary_value_holdout,duration_holdout,channel\n"
    ));
    assert!(
        written.contains("\n7,1,2,30,20,2021-01-01,2,30,1,5,59,web\n"),
        "{written}"
    );
    let back = read_summary_csv(&file).unwrap();
    assert_eq!(back.customer_id, vec!["7", "12"]);
    assert_eq!(back.frequency, vec![1.0, 0.0]);
    assert_eq!(back.t, vec![30.0, 21.0]);
    assert_eq!(back.holdout_frequency, Some(vec![1.0, 1.0]));
    assert_eq!(back.holdout_duration, Some(vec![59.0, 59.0]));
    assert_eq!(RfmData::from_summary_table(&back).unwrap().customers(), 2.0);
}

/// Months are 365.25/12 days; the observation end defaults to the last date in the data.
#[test]
fn month_unit_and_default_observation_end() {
    let text = "id,when,value\na,2020-01-01,1\na,2020-03-01,2\nb,2020-12-31,4\n";
    let read = ReadOptions {
        customer_col: "id".into(),
        date_col: "when".into(),
        amount_col: "value".into(),
        ..Default::default()
    };
    let opts = SummaryOptions {
        unit: TimeUnit::Month,
        ..Default::default()
    };
    let (s, _) = summarize_reader(text.as_bytes(), "t", &read, &opts).unwrap();
    assert_eq!(s.observation_end, date("2020-12-31"));
    let a = &s.customers[0];
    assert!((a.recency - 60.0 / (365.25 / 12.0)).abs() < 1e-12);
    assert!((a.t - 365.0 / (365.25 / 12.0)).abs() < 1e-12);
    assert_eq!(s.customers[1].t, 0.0);
}

/// Large histories stay finite: thousands of purchase days, t_x = T.
#[test]
fn heavy_buyer_is_finite() {
    let mut text = String::from("customer_id,date,amount\n");
    let start = date("2000-01-01");
    for k in 0..3000u64 {
        let d = start + chrono::Days::new(k);
        text.push_str(&format!("big,{d},1.5\nbig,{d},0.5\n"));
    }
    let opts = SummaryOptions {
        unit: TimeUnit::Week,
        keep_purchase_times: true,
        ..Default::default()
    };
    let (s, _) = summarize_reader(text.as_bytes(), "t", &ReadOptions::default(), &opts).unwrap();
    let c = &s.customers[0];
    assert_eq!(c.frequency, 2999.0);
    assert_eq!(c.recency, c.t);
    assert_eq!(c.monetary_value, 2.0);
    assert_eq!(c.orders, 6000);
    assert_eq!(c.purchase_times.len(), 3000);
    assert!(RfmData::from_summary(&s).is_ok());
}

/// Segments, the high-value flag and the cohort table on a small hand-checked history.
#[test]
fn rfm_high_value_and_cohorts() {
    // a: repeat buyer, big orders; b: repeat buyer, small orders; c, d, e: one-time buyers.
    let text = "customer_id,date,amount\n\
        a,2021-01-05,100\na,2021-02-10,100\na,2021-03-20,100\n\
        b,2021-01-20,5\nb,2021-03-01,5\n\
        c,2021-02-03,50\nd,2021-03-30,1\ne,2021-01-02,20\n";
    let opts = SummaryOptions {
        unit: TimeUnit::Day,
        observation_end: Some(date("2021-03-31")),
        keep_purchase_times: true,
        ..Default::default()
    };
    let (s, _) = summarize_reader(text.as_bytes(), "t", &ReadOptions::default(), &opts).unwrap();
    let scores = rfm_scores(&s);
    let by_id: BTreeMap<&str, _> = scores.iter().map(|r| (r.customer_id.as_str(), r)).collect();
    // Average order values 100, 5, 50, 1, 20: median 20; only repeat buyer a is above.
    assert!(by_id["a"].high_value);
    for id in ["b", "c", "d", "e"] {
        assert!(!by_id[id].high_value, "{id}");
    }
    // Recency days: e 88, c 56, b 30, a 11, d 1 -> scores 1..=5.
    let r: Vec<u8> = ["e", "c", "b", "a", "d"]
        .iter()
        .map(|id| by_id[id].r)
        .collect();
    assert_eq!(r, vec![1, 2, 3, 4, 5]);
    // Orders 3, 2, 1, 1, 1: the three tied one-time buyers share score 1.
    let f: Vec<u8> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|id| by_id[id].f)
        .collect();
    assert_eq!(f, vec![5, 4, 1, 1, 1]);
    let seg: Vec<&str> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|id| by_id[id].segment)
        .collect();
    assert_eq!(
        seg,
        vec!["champions", "loyal", "hibernating", "new", "lost"]
    );

    let table = cohort_retention(&s).unwrap();
    let rows: Vec<(&str, u64, &[u64])> = table
        .cohorts
        .iter()
        .map(|c| (c.cohort.as_str(), c.size, c.active.as_slice()))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("2021-01", 3, &[3, 1, 2][..]),
            ("2021-02", 1, &[1, 0][..]),
            ("2021-03", 1, &[1][..])
        ]
    );
    assert_eq!(table.cohorts[0].retention, vec![1.0, 1.0 / 3.0, 2.0 / 3.0]);

    let m = describe_summary(&s, Some(2.0), Some(100.0)).unwrap();
    assert_eq!(m.customers, 5);
    assert_eq!(m.orders, 8.0);
    assert!((m.revenue - 381.0).abs() < 1e-9);
    // Window 2021-01-02 ..= 2021-03-31 is 89 days.
    assert!((m.window_years - 89.0 / 365.25).abs() < 1e-12);
    let clv = 381.0 / 5.0 / (89.0 / 365.25) * 2.0;
    assert!((m.historical_clv_mean_of_spend_x_visits - clv).abs() < 1e-6);
}

#[test]
fn amounts_whose_sum_overflows_are_an_error_naming_the_customer() {
    // Each amount is finite; customer 7's two days sum past f64::MAX.
    let text =
        "customer_id,date,amount\n1,2020-01-01,5\n7,2020-01-01,1e308\n7,2020-01-02,1.5e308\n";
    let opts = SummaryOptions::default();
    let err = summarize_reader(
        text.as_bytes(),
        "orders.csv",
        &ReadOptions::default(),
        &opts,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("orders.csv"), "{err}");
    assert!(err.contains("customer '7'"), "{err}");
    assert!(err.contains("column 'amount'"), "{err}");
    assert!(!err.contains("customer '1'"), "{err}");
    // On one day: the day's amount (and so the total) overflows.
    let same_day = "customer_id,date,amount\n7,2020-01-01,1e308\n7,2020-01-01,1e308\n";
    let err = summarize_reader(same_day.as_bytes(), "t", &ReadOptions::default(), &opts)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("customer '7'") && err.contains("infinite"),
        "{err}"
    );
}

#[test]
fn describe_refuses_revenue_beyond_the_largest_number() {
    // Two customers, each finite, whose revenue together is not: an error, not inf or null.
    let text = "customer_id,date,amount\n1,2020-01-01,1e308\n2,2020-01-01,1e308\n";
    let (s, _) = summarize_reader(
        text.as_bytes(),
        "t",
        &ReadOptions::default(),
        &SummaryOptions::default(),
    )
    .unwrap();
    assert!(s.customers.iter().all(|c| c.total_spend.is_finite()));
    let err = describe_summary(&s, Some(2.0), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("revenue"), "{err}");
}
