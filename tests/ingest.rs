//! Ingestion: every row used or rejected with the right reason, errors that name the row.

use chrono::NaiveDate;
use clv::ClvError;
use clv::ingest::{Header, OnError, ReadOptions, date_to_day, read_transactions, reason};

fn skip() -> ReadOptions {
    ReadOptions {
        on_error: OnError::Skip,
        ..Default::default()
    }
}

type UsedRow = (String, i32, f64, String);

/// Reads `text`, returning the used rows as (customer, day, amount, extra 0) and the accounting.
fn read(
    text: &[u8],
    opts: &ReadOptions,
) -> clv::Result<(Vec<UsedRow>, clv::ingest::RowAccounting, Header)> {
    let mut rows = Vec::new();
    let mut header = None;
    let acc = read_transactions(
        text,
        "in.csv",
        opts,
        |h| header = Some(h.clone()),
        |r| {
            rows.push((
                r.customer.to_string(),
                r.day,
                r.amount,
                r.extra(0).to_string(),
            ))
        },
    )?;
    Ok((rows, acc, header.unwrap()))
}

fn day(s: &str) -> i32 {
    date_to_day(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
}

#[test]
fn every_row_is_used_or_rejected_with_its_reason() {
    let text = "customer_id,date,amount,channel\n\
        a,2020-01-01,10.5,web\n\
        ,2020-01-02,1,web\n\
        b,2020-13-01,1,web\n\
        c,2020-01-03,abc,web\n\
        d,2020-01-03,NaN,web\n\
        e,2020-01-03,-4,web\n\
        f,2020-01-03,1\n\
        g,2021-01-01,1,web\n\
        h,2020-01-04T10:00:00Z,2,shop\n\
        i,20200105,3,shop\n";
    let opts = ReadOptions {
        observation_end: NaiveDate::from_ymd_opt(2020, 12, 31),
        ..skip()
    };
    let (rows, acc, header) = read(text.as_bytes(), &opts).unwrap();
    assert_eq!(header.extra_columns, vec!["channel".to_string()]);
    assert_eq!(acc.rows_read, 10);
    assert_eq!(acc.rows_used, 3);
    assert_eq!(acc.rows_rejected, 7);
    assert_eq!(acc.rows_read, acc.rows_used + acc.rows_rejected);
    for r in [
        reason::EMPTY_ID,
        reason::BAD_DATE,
        reason::BAD_AMOUNT,
        reason::NON_FINITE_AMOUNT,
        reason::NEGATIVE_AMOUNT,
        reason::COLUMN_COUNT,
        reason::AFTER_END,
    ] {
        assert_eq!(acc.rejected_by_reason.get(r), Some(&1), "{r}");
    }
    assert_eq!(
        rows,
        vec![
            ("a".into(), day("2020-01-01"), 10.5, "web".into()),
            ("h".into(), day("2020-01-04"), 2.0, "shop".into()),
            ("i".into(), day("2020-01-05"), 3.0, "shop".into()),
        ]
    );
    let bad_date = &acc.rejections[1];
    assert_eq!(
        (
            bad_date.line,
            bad_date.column.as_str(),
            bad_date.value.as_str()
        ),
        (4, "date", "2020-13-01")
    );
    assert_eq!(bad_date.raw, "b,2020-13-01,1,web");

    let mut csv_out = Vec::new();
    acc.write_rejections_csv(&mut csv_out).unwrap();
    let csv_out = String::from_utf8(csv_out).unwrap();
    assert_eq!(csv_out.lines().count(), 8);
    assert!(csv_out.contains("4,date,2020-13-01,unparsable date,\"b,2020-13-01,1,web\""));
    assert!(
        acc.describe()
            .starts_with("read 10 rows: 3 used, 7 rejected (")
    );
}

#[test]
fn fail_mode_names_file_line_column_value() {
    let text = "customer_id,date,amount\na,2020-01-01,1\nb,01/02/2020,1\n";
    let err = read(text.as_bytes(), &ReadOptions::default()).unwrap_err();
    match &err {
        ClvError::BadRow {
            file,
            line,
            column,
            value,
            ..
        } => assert_eq!(
            (file.as_str(), *line, column.as_str(), value.as_str()),
            ("in.csv", 3, "date", "01/02/2020")
        ),
        other => panic!("expected BadRow, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.starts_with("in.csv:3: column 'date'") && !msg.contains('\n'),
        "{msg}"
    );
}

#[test]
fn whole_input_errors() {
    let cases: [(&[u8], &str); 5] = [
        (b"", "empty input"),
        (b"customer_id,date,amount\n", "no rows"),
        (
            b"customer_id,day,amount\na,2020-01-01,1\n",
            "missing column 'date'",
        ),
        (
            b"customer_id,date,amount\na\xff,2020-01-01,1\n",
            "line 2: not valid UTF-8",
        ),
        (b"customer_id,d\xe9te,amount\n", "not valid UTF-8"),
    ];
    for (text, want) in cases {
        let err = read(text, &skip()).unwrap_err().to_string();
        assert!(err.contains(want), "{want}: {err}");
        assert!(err.starts_with("in.csv"), "{err}");
    }
}

#[test]
fn custom_columns_formats_bom_and_quoting() {
    let text = "\u{feff}client;when;total\n\"x;1\";03/02/2021; 7.25 \n";
    let opts = ReadOptions {
        customer_col: "client".into(),
        date_col: "when".into(),
        amount_col: "total".into(),
        date_format: Some("%d/%m/%Y".into()),
        ..Default::default()
    };
    // The reader is comma-separated: a semicolon file is one column and misses the others.
    let err = read(text.as_bytes(), &opts).unwrap_err().to_string();
    assert!(err.contains("missing column 'client'"), "{err}");
    let text = text.replace(';', ",").replace("\"x,1\"", "\"x;1\"");
    let (rows, acc, _) = read(text.as_bytes(), &opts).unwrap();
    assert_eq!(acc.rows_used, 1);
    assert_eq!(rows[0].0, "x;1");
    assert_eq!(rows[0].1, day("2021-02-03"));
    assert_eq!(rows[0].2, 7.25);
}
