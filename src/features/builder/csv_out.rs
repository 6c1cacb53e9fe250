//! Fast writing of a summary CSV: byte for byte what [`Summary::write_csv`] writes, formatted
//! in parallel blocks into reused buffers instead of one `String` per number.
//!
//! Numbers follow [`format_number`] exactly: 8 significant digits, trailing zeros dropped.
//! The common cases are formatted here with integer arithmetic; a value whose rounding is too
//! close to a tie to be decided safely in floating point goes through `format!` as there.

use std::io::Write;

use chrono::Datelike;
use rayon::prelude::*;

use crate::error::Result;
use crate::features::{CustomerSummary, Summary, format_number};

/// Customers formatted per parallel task, and per batch written before formatting more.
const BLOCK: usize = 1 << 14;
const BATCH: usize = 1 << 18;

/// Writes `summary` as [`Summary::write_csv`] does (same header, rows and quoting).
pub fn write_summary_csv<W: Write>(summary: &Summary, mut w: W) -> Result<()> {
    let holdout = summary.calibration_end.is_some();
    w.write_all(&header_line(holdout, &summary.extra_columns))?;
    for batch in summary.customers.chunks(BATCH) {
        let blocks: Vec<Vec<u8>> = batch
            .par_chunks(BLOCK)
            .map(|block| {
                let mut out = Vec::with_capacity(block.len() * 64);
                for c in block {
                    push_row(&mut out, c, holdout);
                }
                out
            })
            .collect();
        for b in blocks {
            w.write_all(&b)?;
        }
    }
    w.flush()?;
    Ok(())
}

/// The header line of a summary CSV, with the holdout columns when `holdout`.
pub(super) fn header_line(holdout: bool, extra_columns: &[String]) -> Vec<u8> {
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
    if holdout {
        header.extend([
            "frequency_holdout",
            "monetary_value_holdout",
            "duration_holdout",
        ]);
    }
    header.extend(extra_columns.iter().map(String::as_str));
    let mut line = Vec::new();
    for (i, h) in header.iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        push_field(&mut line, h.as_bytes());
    }
    line.push(b'\n');
    line
}

/// One customer's line of a summary CSV.
pub(super) fn push_row(out: &mut Vec<u8>, c: &CustomerSummary, holdout: bool) {
    push_field(out, c.customer_id.as_bytes());
    for v in [c.frequency, c.recency, c.t, c.monetary_value] {
        out.push(b',');
        push_number(out, v);
    }
    out.push(b',');
    push_date(out, c.first_purchase);
    out.push(b',');
    push_u64(out, c.orders);
    out.push(b',');
    push_number(out, c.total_spend);
    if holdout {
        let h = c.holdout.as_ref();
        for v in [
            h.map_or(0.0, |h| h.frequency),
            h.map_or(0.0, |h| h.monetary_value),
            h.map_or(0.0, |h| h.duration),
        ] {
            out.push(b',');
            push_number(out, v);
        }
    }
    for e in &c.extras {
        out.push(b',');
        push_field(out, e.as_bytes());
    }
    out.push(b'\n');
}

/// A text field, quoted (quotes doubled) when it holds a comma, quote or line break, as the
/// `csv` writer does.
fn push_field(out: &mut Vec<u8>, f: &[u8]) {
    if f.iter().any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.push(b'"');
        for &b in f {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(f);
    }
}

fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn push_date(out: &mut Vec<u8>, d: chrono::NaiveDate) {
    let y = d.year();
    if !(0..=9999).contains(&y) {
        out.extend_from_slice(d.to_string().as_bytes());
        return;
    }
    let two = |out: &mut Vec<u8>, v: u32| {
        out.extend_from_slice(&[b'0' + (v / 10) as u8, b'0' + (v % 10) as u8])
    };
    let y = y as u32;
    two(out, y / 100);
    two(out, y % 100);
    out.push(b'-');
    two(out, d.month());
    out.push(b'-');
    two(out, d.day());
}

/// [`format_number`] into `out`, without allocating in the common cases.
fn push_number(out: &mut Vec<u8>, v: f64) {
    if v == 0.0 || !v.is_finite() {
        out.extend_from_slice(format_number(v).as_bytes());
        return;
    }
    let a = v.abs();
    // Integers print as integers at any precision.
    if a.fract() == 0.0 && a < 1e15 {
        if v < 0.0 {
            out.push(b'-');
        }
        push_u64(out, a as u64);
        return;
    }
    let magnitude = a.log10().floor() as i32;
    let decimals = (7 - magnitude).clamp(0, 15) as usize;
    let scaled = a * 10f64.powi(decimals as i32);
    // `scaled` is within a relative 2^-53 of the exact product: far enough from a tie, its
    // rounding is that of the exact decimal expansion `format!` rounds.
    let floor = scaled.floor();
    if scaled >= 1e15 || (scaled - floor - 0.5).abs() < 1e-6 {
        out.extend_from_slice(format_number(v).as_bytes());
        return;
    }
    let r = if scaled - floor > 0.5 {
        floor + 1.0
    } else {
        floor
    } as u64;
    if r == 0 {
        out.push(b'0');
        return;
    }
    let mut digits = Vec::with_capacity(24);
    push_u64(&mut digits, r);
    if digits.len() <= decimals {
        let mut padded = vec![b'0'; decimals + 1 - digits.len()];
        padded.extend_from_slice(&digits);
        digits = padded;
    }
    let point = digits.len() - decimals;
    let mut frac = &digits[point..];
    while let [rest @ .., b'0'] = frac {
        frac = rest;
    }
    if v < 0.0 {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[..point]);
    if !frac.is_empty() {
        out.push(b'.');
        out.extend_from_slice(frac);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    fn fast(v: f64) -> String {
        let mut out = Vec::new();
        push_number(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn numbers_match_format_number() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut values = vec![
            2.0,
            213.0 / 7.0,
            1234.56,
            0.1 + 0.2,
            -1e-20,
            0.000123456789,
            123456789.4,
            272.0 / 7.0,
            9.99999999,
            99999999.5,
            0.5,
            1.5e-9,
            1e15,
            3e17,
            -2.5,
            12.345678949999,
            0.125,
            1.0000000500000001,
            5e-324,
            1e300,
        ];
        for _ in 0..200_000 {
            let cents: u32 = rng.random_range(0..10_000_000);
            values.push(f64::from(cents) / 100.0);
            let days: u32 = rng.random_range(0..2000);
            values.push(f64::from(days) / 7.0);
            values.push(f64::from(days) / (365.25 / 12.0));
            let x: u32 = rng.random_range(1..50);
            values.push(f64::from(cents) / 100.0 / f64::from(x));
            values.push(rng.random::<f64>() * 10f64.powi(rng.random_range(-12..14)));
        }
        for v in values {
            assert_eq!(fast(v), format_number(v), "{v:e}");
        }
    }

    #[test]
    fn fields_are_quoted_like_the_csv_writer() {
        for f in [
            "plain",
            "a,b",
            "say \"hi\"",
            "two\nlines",
            "cr\r",
            "",
            " spaced ",
        ] {
            let mut ours = Vec::new();
            push_field(&mut ours, f.as_bytes());
            ours.extend_from_slice(b",x\n");
            let mut theirs = csv::Writer::from_writer(Vec::new());
            theirs.write_record([f, "x"]).unwrap();
            assert_eq!(ours, theirs.into_inner().unwrap(), "{f:?}");
        }
    }
}
