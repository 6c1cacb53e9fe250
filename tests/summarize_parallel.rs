//! The parallel chunked summarizer against the sequential CSV reader: identical summaries,
//! row accounting and rejections on a shuffled simulated file with bad rows, identical first
//! errors in fail mode, the fallback for quoted files, and the fast CSV writer against
//! an independent reference writer.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::Path;

use chrono::NaiveDate;
use clv::features::builder::{Chunking, summarize_file_parallel, write_summary_csv};
use clv::features::{
    Summary, SummaryOptions, TimeUnit, format_number, summarize_path, summarize_reader,
};
use clv::ingest::{OnError, ReadOptions};
use clv::models::AnyModel;
use clv::models::bgnbd::BgNbd;
use clv::simulate::{SimulationSpec, SpendProcess, simulate};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng, rngs::StdRng};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A shuffled transaction file of `customers` simulated BG/NBD customers, with a channel
/// column, amounts with up to four decimals, CRLF and blank lines here and there, and the
/// given bad lines spliced in at random places.
fn simulated_file(path: &Path, customers: usize, bad: &[&str], seed: u64) {
    let spec = SimulationSpec {
        process: AnyModel::BgNbd(BgNbd::new(0.6, 6.0, 0.5, 3.0).unwrap()),
        spend: SpendProcess {
            p: 6.0,
            q: 4.0,
            gamma: 15.0,
        },
        customers,
        acquisition_periods: 13.0,
        horizon_periods: 78.0,
        covariates: None,
        seed,
    };
    let start = date("2024-01-01");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut lines: Vec<String> = Vec::new();
    for c in simulate(&spec).unwrap() {
        // Some ids are not numbers, some have leading zeros (distinct from the plain ones),
        // some are longer than the 16 bytes the parallel reader carries between its phases.
        let id = match c.index % 7 {
            0 => format!("cust-{}", c.index),
            1 => format!("0{}", c.index),
            2 => format!("customer-with-a-long-id-{}", c.index),
            3 => format!("long-id-{:08}", c.index),
            _ => c.index.to_string(),
        };
        for (t, a) in c.purchase_times.iter().zip(&c.amounts) {
            let day = start + chrono::Duration::days((t * 7.0).floor() as i64);
            let amount = match rng.random_range(0..4) {
                0 => format!("{:.4}", a),
                1 => format!("{:.1}", a),
                2 => format!("{}", (a * 100.0).round() / 100.0),
                _ => format!("{:.2}", a / 3.0),
            };
            let channel = ["web", "shop", "app"][rng.random_range(0..3)];
            lines.push(format!("{id},{day},{amount},{channel}"));
        }
    }
    lines.shuffle(&mut rng);
    for b in bad {
        let at = rng.random_range(0..lines.len());
        lines.insert(at, b.to_string());
    }
    let mut f = std::io::BufWriter::new(File::create(path).unwrap());
    f.write_all(b"customer_id,date,amount,channel\n").unwrap();
    for (i, l) in lines.iter().enumerate() {
        let end = match i % 997 {
            5 => "\r\n",
            9 => "\n\n",
            _ => "\n",
        };
        write!(f, "{l}{end}").unwrap();
    }
    f.flush().unwrap();
}

const BAD: [&str; 6] = [
    "77,2024-02-30,5,web",
    ",2024-02-01,5,web",
    "78,2024-02-01,-5,web",
    "79,2024-02-01,abc,web",
    "80,2024-02-01,5",
    "81,2030-01-01,5,web",
];

fn sequential(
    path: &Path,
    read: &ReadOptions,
    opts: &SummaryOptions,
) -> clv::Result<(clv::features::Summary, clv::ingest::RowAccounting)> {
    let name = path.display().to_string();
    summarize_reader(BufReader::new(File::open(path)?), &name, read, opts)
}

fn small_chunks(threads: usize) -> Chunking {
    Chunking {
        threads,
        chunk_bytes: 64 << 10,
        partitions: 7,
    }
}

#[test]
fn parallel_and_sequential_agree_in_skip_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tx.csv");
    simulated_file(&path, 3000, &BAD, 11);
    let read = ReadOptions {
        on_error: OnError::Skip,
        ..Default::default()
    };
    for opts in [
        SummaryOptions {
            unit: TimeUnit::Week,
            observation_end: Some(date("2025-06-30")),
            keep_purchase_times: true,
            ..Default::default()
        },
        SummaryOptions {
            unit: TimeUnit::Day,
            observation_end: Some(date("2025-06-30")),
            calibration_end: Some(date("2024-09-30")),
            ..Default::default()
        },
    ] {
        let (seq, seq_acc) = sequential(&path, &read, &opts).unwrap();
        assert_eq!(seq_acc.rows_rejected, BAD.len() as u64);
        assert!(seq.customers.len() > 2500, "{}", seq.customers.len());
        for chunking in [
            small_chunks(1),
            small_chunks(2),
            small_chunks(5),
            Chunking::default(),
        ] {
            let (par, par_acc) =
                summarize_file_parallel(&path, &read, &opts, &chunking, &mut |_| {})
                    .unwrap()
                    .expect("a plain file takes the parallel path");
            assert_eq!(par_acc, seq_acc, "{chunking:?}");
            assert_eq!(par, seq, "{chunking:?}");
        }
        let (via_path, _) = summarize_path(&path, &read, &opts, |_| {}).unwrap();
        assert_eq!(via_path, seq);
    }
}

#[test]
fn parallel_and_sequential_fail_on_the_same_row() {
    let dir = tempfile::tempdir().unwrap();
    let opts = SummaryOptions {
        observation_end: Some(date("2025-06-30")),
        ..Default::default()
    };
    for (k, bad) in BAD.iter().enumerate() {
        let path = dir.path().join(format!("bad{k}.csv"));
        // Two bad rows: the error must name the first one in the file.
        simulated_file(&path, 800, &[bad, "99,2024-13-01,1,web"], 20 + k as u64);
        let seq = sequential(&path, &ReadOptions::default(), &opts)
            .unwrap_err()
            .to_string();
        for threads in [1, 2, 4] {
            let par = summarize_file_parallel(
                &path,
                &ReadOptions::default(),
                &opts,
                &small_chunks(threads),
                &mut |_| {},
            )
            .map(|_| ())
            .unwrap_err()
            .to_string();
            assert_eq!(par, seq);
        }
    }
    let path = dir.path().join("latin1.csv");
    std::fs::write(
        &path,
        b"customer_id,date,amount\n1,2024-01-01,5\n2,2024-01-02,5\xe9\n",
    )
    .unwrap();
    let seq = sequential(&path, &ReadOptions::default(), &opts).unwrap_err();
    let par = summarize_file_parallel(
        &path,
        &ReadOptions::default(),
        &opts,
        &small_chunks(2),
        &mut |_| {},
    )
    .map(|_| ())
    .unwrap_err();
    assert!(seq.to_string().contains("line 3: not valid UTF-8"), "{seq}");
    assert_eq!(par.to_string(), seq.to_string());
}

#[test]
fn quoted_files_fall_back_to_the_csv_reader() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.csv");
    std::fs::write(
        &path,
        "customer_id,date,amount,note\n1,2024-01-01,5,plain\n2,2024-01-02,7,\"two\nlines, quoted\"\n1,2024-01-09,3,x\n",
    )
    .unwrap();
    let read = ReadOptions::default();
    let opts = SummaryOptions::default();
    let par = summarize_file_parallel(&path, &read, &opts, &small_chunks(2), &mut |_| {}).unwrap();
    assert!(par.is_none());
    let (s, acc) = summarize_path(&path, &read, &opts, |_| {}).unwrap();
    assert_eq!(acc.rows_read, 3);
    assert_eq!(
        s.customers[1].extras,
        vec!["two\nlines, quoted".to_string()]
    );
    assert_eq!(
        (s.customers[0].frequency, s.customers[0].total_spend),
        (1.0, 8.0)
    );
}

#[test]
fn fast_writer_matches_a_reference_writer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tx.csv");
    simulated_file(&path, 2000, &[], 5);
    let read = ReadOptions::default();
    for opts in [
        SummaryOptions {
            unit: TimeUnit::Month,
            observation_end: Some(date("2025-06-30")),
            ..Default::default()
        },
        SummaryOptions {
            unit: TimeUnit::Week,
            observation_end: Some(date("2025-06-30")),
            calibration_end: Some(date("2024-09-30")),
            ..Default::default()
        },
    ] {
        let (mut s, _) = summarize_path(&path, &read, &opts, |_| {}).unwrap();
        // Ids and extras that need quoting.
        s.customers[0].customer_id = "a,\"b\"".into();
        s.customers[1].extras = vec!["x\ny".into()];
        let mut theirs = Vec::new();
        reference_csv(&s, &mut theirs).unwrap();
        let mut ours = Vec::new();
        write_summary_csv(&s, &mut ours).unwrap();
        assert!(theirs.len() > 50_000);
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(theirs).unwrap()
        );
    }
}

/// An independent reference: the summary written field by field with the `csv` crate.
fn reference_csv<W: std::io::Write>(s: &Summary, w: W) -> clv::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let mut header: Vec<&str> = vec![
        "customer_id",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "first_purchase",
        "orders",
        "total_spend",
    ];
    let holdout = s.calibration_end.is_some();
    if holdout {
        header.extend([
            "frequency_holdout",
            "monetary_value_holdout",
            "duration_holdout",
        ]);
    }
    header.extend(s.extra_columns.iter().map(String::as_str));
    out.write_record(&header)?;
    let mut row: Vec<String> = Vec::with_capacity(header.len());
    for c in &s.customers {
        row.clear();
        row.push(c.customer_id.clone());
        for v in [c.frequency, c.recency, c.t, c.monetary_value] {
            row.push(format_number(v));
        }
        row.push(c.first_purchase.to_string());
        row.push(c.orders.to_string());
        row.push(format_number(c.total_spend));
        if holdout {
            let h = c.holdout.as_ref();
            row.push(format_number(h.map_or(0.0, |h| h.frequency)));
            row.push(format_number(h.map_or(0.0, |h| h.monetary_value)));
            row.push(format_number(h.map_or(0.0, |h| h.duration)));
        }
        row.extend(c.extras.iter().cloned());
        out.write_record(&row)?;
    }
    out.flush()?;
    Ok(())
}
