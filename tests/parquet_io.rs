//! Parquet in and out: transactions read from Parquet (one file, a folder) give byte-identical
//! summaries to the same rows read from CSV; Parquet summaries give the models the same
//! numbers as CSV ones; bad values are named by file, row group, row and column; outputs have
//! the CSV's columns with Parquet types.

mod common;
#[path = "common/parquet.rs"]
mod parquet_files;

use std::fs::File;
use std::path::Path;

use arrow_schema::DataType;
use chrono::NaiveDate;
use clv::features::builder::write_summary_csv;
use clv::features::{
    SummaryOptions, TimeUnit, read_summary_csv, read_summary_file, summarize_path,
};
use clv::ingest::{OnError, ReadOptions};
use clv::models::{FitData, FitOptions, ModelKind, RfmData, registry};
use clv::persist::table::write_parquet;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet_files::{Col, as_refs, csv_columns, write, write_folder};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn demo() -> std::path::PathBuf {
    common::workspace_root().join("data/demo_transactions.csv")
}

fn summary_bytes(path: &Path, read: &ReadOptions, opts: &SummaryOptions) -> (Vec<u8>, String) {
    let (summary, acc) = summarize_path(path, read, opts, |_| {}).unwrap();
    let mut out = Vec::new();
    write_summary_csv(&summary, &mut out).unwrap();
    (out, acc.describe())
}

/// Attributes kept as text: typed as numbers they would be written in Rust's shortest form
/// (`0.183` for the CSV's `0.1830`), a deliberate difference the byte comparison leaves out.
const TEXT: &[&str] = &["score"];

/// The first line where two outputs differ, for a readable failure.
fn first_difference(a: &[u8], b: &[u8]) -> Option<(usize, String, String)> {
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    let mut la = a.lines();
    let mut lb = b.lines();
    for i in 1.. {
        match (la.next(), lb.next()) {
            (None, None) => return None,
            (x, y) if x != y => {
                return Some((i, x.unwrap_or("").into(), y.unwrap_or("").into()));
            }
            _ => {}
        }
    }
    None
}

fn calibrated() -> SummaryOptions {
    SummaryOptions {
        unit: TimeUnit::Week,
        calibration_end: Some(date("2024-09-30")),
        ..Default::default()
    }
}

#[test]
fn parquet_transactions_give_the_csv_summary_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let cols = csv_columns(&demo(), TEXT);
    // Many small row groups, so that rounds, partitions and file order are all exercised.
    let one = dir.path().join("orders.parquet");
    write(&one, &as_refs(&cols), 700);
    let folder = dir.path().join("parts");
    write_folder(&folder, &as_refs(&cols), 3, 1000);
    let read = ReadOptions::default();
    for opts in [SummaryOptions::default(), calibrated()] {
        let (csv, csv_acc) = summary_bytes(&demo(), &read, &opts);
        assert!(csv.len() > 50_000);
        for input in [&one, &folder] {
            let (pq, pq_acc) = summary_bytes(input, &read, &opts);
            assert_eq!(pq_acc, csv_acc);
            assert_eq!(first_difference(&pq, &csv), None, "{}", input.display());
        }
    }
}

#[test]
fn parquet_columns_are_mapped_by_the_same_names_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("renamed.csv");
    let text = std::fs::read_to_string(demo()).unwrap();
    let renamed = text.replacen("customer_id,date,amount", "client,day,spend", 1);
    std::fs::write(&csv, renamed).unwrap();
    let cols = csv_columns(&csv, TEXT);
    let pq = dir.path().join("renamed.parquet");
    write(&pq, &as_refs(&cols), 4096);
    let read = ReadOptions {
        customer_col: "client".into(),
        date_col: "day".into(),
        amount_col: "spend".into(),
        ..Default::default()
    };
    let (a, b) = (
        summary_bytes(&pq, &read, &calibrated()),
        summary_bytes(&csv, &read, &calibrated()),
    );
    assert_eq!(first_difference(&a.0, &b.0), None);
    assert_eq!(a.1, b.1);
    let e = summarize_path(&pq, &ReadOptions::default(), &calibrated(), |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("renamed.parquet") && e.contains("missing column 'customer_id'"),
        "{e}"
    );
}

/// Five transactions in two row groups of three and two rows, with `bad` put in at row 1 of
/// row group 1 (the file's fifth row).
fn small_file(dir: &Path, bad: (&str, Col)) -> std::path::PathBuf {
    let ids = Col::Text(
        ["a", "a", "b", "c", "c"]
            .map(|s| Some(s.to_string()))
            .to_vec(),
    );
    let dates = Col::Text(
        [
            "2020-01-01",
            "2020-01-08",
            "2020-01-03",
            "2020-01-05",
            "2020-01-09",
        ]
        .map(|s| Some(s.to_string()))
        .to_vec(),
    );
    let amounts = Col::Float(vec![Some(10.0), Some(5.0), Some(7.5), Some(3.0), Some(4.0)]);
    let mut cols = vec![("customer_id", ids), ("date", dates), ("amount", amounts)];
    let slot = cols.iter_mut().find(|(n, _)| *n == bad.0).unwrap();
    slot.1 = bad.1;
    let path = dir.join(format!("bad_{}.parquet", bad.0));
    write(&path, &cols, 3);
    path
}

#[test]
fn bad_values_name_file_row_group_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let text = |v: [Option<&str>; 5]| Col::Text(v.map(|s| s.map(String::from)).to_vec());
    let cases = [
        (
            small_file(
                dir.path(),
                (
                    "customer_id",
                    text([Some("a"), Some("a"), Some("b"), Some("c"), None]),
                ),
            ),
            "customer_id",
            "empty customer id",
            "null",
        ),
        (
            small_file(
                dir.path(),
                (
                    "date",
                    text([
                        Some("2020-01-01"),
                        Some("2020-01-08"),
                        Some("2020-01-03"),
                        Some("2020-01-05"),
                        Some("2020-13-09"),
                    ]),
                ),
            ),
            "date",
            "unparsable date",
            "2020-13-09",
        ),
        (
            small_file(
                dir.path(),
                (
                    "amount",
                    Col::Float(vec![Some(1.0), Some(2.0), Some(3.0), Some(4.0), Some(-2.5)]),
                ),
            ),
            "amount",
            "negative amount (refund)",
            "-2.5",
        ),
    ];
    for (path, column, reason, value) in &cases {
        let e = summarize_path(
            path,
            &ReadOptions::default(),
            &SummaryOptions::default(),
            |_| {},
        )
        .unwrap_err()
        .to_string();
        let want = format!(
            "{}: row group 1, row 1: column '{column}': {reason} (value '{value}')",
            path.display()
        );
        assert_eq!(e, want);
        // Skipped instead: four rows used, the fifth rejected with its place.
        let skip = ReadOptions {
            on_error: OnError::Skip,
            ..Default::default()
        };
        let (summary, acc) =
            summarize_path(path, &skip, &SummaryOptions::default(), |_| {}).unwrap();
        assert_eq!((acc.rows_read, acc.rows_used, acc.rows_rejected), (5, 4, 1));
        assert_eq!(acc.rejected_by_reason.get(*reason), Some(&1));
        let r = &acc.rejections[0];
        assert_eq!(
            (r.line, r.column.as_str(), r.value.as_str()),
            (5, *column, *value)
        );
        assert!(
            r.location
                .as_deref()
                .unwrap()
                .ends_with("row group 1, row 1")
        );
        assert_eq!(summary.customers.len(), 3);
        let mut rejects = Vec::new();
        acc.write_rejections_csv(&mut rejects).unwrap();
        let rejects = String::from_utf8(rejects).unwrap();
        assert!(
            rejects.starts_with("line,column,value,reason,raw,location\n5,"),
            "{rejects}"
        );
    }
    // A column of a type that cannot hold amounts is refused before any row is read.
    let path = small_file(
        dir.path(),
        ("amount", Col::Date(vec![Some(date("2020-01-01")); 5])),
    );
    let e = summarize_path(
        &path,
        &ReadOptions::default(),
        &SummaryOptions::default(),
        |_| {},
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("bad_amount.parquet") && e.contains("column 'amount' has type Date32"),
        "{e}"
    );
}

/// The CDNOW sample's 39-week summary as a table, and the same written as Parquet.
fn cdnow_summaries(dir: &Path) -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let csv = common::dataset("cdnow_sample_summary_39wk.csv")?;
    let cols = csv_columns(&csv, TEXT);
    let pq = dir.join("summary.parquet");
    write(&pq, &as_refs(&cols), 500);
    Some((csv, pq))
}

#[test]
#[cfg_attr(
    not(clv_datasets),
    ignore = "needs the reference datasets: set CLV_DATASETS"
)]
fn parquet_summary_fits_and_predicts_as_the_csv_summary() {
    let dir = tempfile::tempdir().unwrap();
    let Some((csv, pq)) = cdnow_summaries(dir.path()) else {
        return;
    };
    let from_csv = read_summary_csv(&csv).unwrap();
    let from_pq = read_summary_file(&pq).unwrap();
    assert_eq!(from_csv, from_pq);
    let fit = |t| {
        let data = RfmData::from_summary_table(t).unwrap();
        registry::fit(
            ModelKind::BgNbd,
            FitData::Transaction(&data),
            &FitOptions::default(),
            "week",
        )
        .unwrap()
    };
    let (a, b) = (fit(&from_csv), fit(&from_pq));
    assert!(
        (a.saved.log_likelihood + 9582.43).abs() < 0.01,
        "{}",
        a.saved.log_likelihood
    );
    assert_eq!(a.saved.params, b.saved.params);
    // A bad value in a Parquet summary is named where it is.
    let mut cols = csv_columns(&csv, TEXT);
    let Col::Float(v) = &mut cols[2].1 else {
        panic!("recency is not a float column")
    };
    {
        v[1203] = Some(-1.0);
    }
    write(&pq, &as_refs(&cols), 500);
    let e = read_summary_file(&pq).unwrap_err().to_string();
    assert!(
        e.contains("row group 2, row 203: column 'recency'") && e.contains("'-1'"),
        "{e}"
    );
}

#[test]
fn summary_output_has_the_csv_columns_typed() {
    let dir = tempfile::tempdir().unwrap();
    let (summary, _) =
        summarize_path(&demo(), &ReadOptions::default(), &calibrated(), |_| {}).unwrap();
    let out = dir.path().join("summary.parquet");
    write_parquet(&summary.to_table(), &out).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&out).unwrap()).unwrap();
    let schema = reader.schema().clone();
    let mut csv = Vec::new();
    write_summary_csv(&summary, &mut csv).unwrap();
    let header = String::from_utf8(csv)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names.join(","), header);
    let ty = |n: &str| schema.field_with_name(n).unwrap().data_type().clone();
    assert_eq!(ty("customer_id"), DataType::Utf8);
    assert_eq!(ty("first_purchase"), DataType::Date32);
    assert_eq!(ty("orders"), DataType::Int64);
    assert_eq!(ty("recency"), DataType::Float64);
    assert_eq!(ty("channel"), DataType::Utf8);
    // Read back as a summary: the exact values, not the CSV's 8 digits.
    let table = read_summary_file(&out).unwrap();
    assert_eq!(table.len(), summary.customers.len());
    for (i, c) in summary.customers.iter().enumerate() {
        assert_eq!(table.customer_id[i], c.customer_id);
        assert_eq!(
            (
                table.frequency[i],
                table.recency[i],
                table.t[i],
                table.monetary_value[i]
            ),
            (c.frequency, c.recency, c.t, c.monetary_value)
        );
    }
    assert!(table.holdout_frequency.is_some());
}
