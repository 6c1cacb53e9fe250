//! The feature builder: streams transactions into one small state per customer, then turns
//! each state into a [`CustomerSummary`].
//!
//! Memory is a fixed few dozen bytes per customer plus 4 bytes per distinct purchase day
//! (needed because the input may be in any order, and repeat purchases are counted by distinct
//! day). Days are appended unless equal to the last one appended, and the list is sorted and
//! deduplicated only when it would grow, so sorted input costs no sorting at all. Amounts are
//! never stored: the first day's amount is tracked as the running minimum day changes.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use chrono::NaiveDate;

use super::hash::FastBuildHasher;
use super::{CustomerSummary, Holdout, Summary, TimeUnit, compare_ids};
use crate::error::{ClvError, Result};
use crate::ingest::{
    Header, ReadOptions, Row, RowAccounting, date_to_day, day_to_date, read_transactions,
};

/// What to summarize and how.
#[derive(Debug, Clone, Default)]
pub struct SummaryOptions {
    pub unit: TimeUnit,
    /// Last day of observation (inclusive); `None`: the last date in the data. Rows after it
    /// are rejected. Overrides [`ReadOptions::observation_end`] when both are given.
    pub observation_end: Option<NaiveDate>,
    /// Last day of the calibration period (inclusive); later purchases form the holdout,
    /// which runs to the observation end.
    pub calibration_end: Option<NaiveDate>,
    /// Fill [`CustomerSummary::purchase_times`].
    pub keep_purchase_times: bool,
}

/// Distinct days, deduplicated lazily.
#[derive(Debug, Default)]
struct DaySet(Vec<i32>);

impl DaySet {
    #[inline]
    fn insert(&mut self, day: i32) {
        if self.0.last() == Some(&day) {
            return;
        }
        if self.0.len() == self.0.capacity() && self.0.len() >= 4 {
            self.compact();
            // Grow only if compaction freed little; amortised O(1) per insert either way.
            if self.0.len() * 2 > self.0.capacity() {
                self.0.reserve(self.0.len());
            }
        }
        self.0.push(day);
    }

    fn compact(&mut self) {
        self.0.sort_unstable();
        self.0.dedup();
    }

    fn into_sorted(mut self) -> Vec<i32> {
        self.compact();
        self.0
    }
}

#[derive(Debug)]
struct CustomerState {
    /// Earliest calibration day; `i32::MAX` while the customer has only holdout rows.
    first_day: i32,
    last_day: i32,
    first_day_amount: f64,
    spend: f64,
    orders: u64,
    days: DaySet,
    holdout_days: DaySet,
    holdout_spend: f64,
    /// Day of the row the extras were taken from.
    extras_day: i32,
    extras: Box<[Box<str>]>,
}

impl CustomerState {
    fn new() -> Self {
        CustomerState {
            first_day: i32::MAX,
            last_day: i32::MIN,
            first_day_amount: 0.0,
            spend: 0.0,
            orders: 0,
            days: DaySet::default(),
            holdout_days: DaySet::default(),
            holdout_spend: 0.0,
            extras_day: i32::MAX,
            extras: Box::new([]),
        }
    }

    fn add_row(&mut self, row: &Row<'_>, cal_day: Option<i32>) {
        if cal_day.is_some_and(|c| row.day > c) {
            self.holdout_days.insert(row.day);
            self.holdout_spend += row.amount;
        } else {
            self.add_calibration(row.day, row.amount);
        }
        if row.day < self.extras_day && row.extra_count() > 0 {
            self.extras_day = row.day;
            self.extras = (0..row.extra_count())
                .map(|j| row.extra(j).into())
                .collect();
        }
    }

    fn add_calibration(&mut self, day: i32, amount: f64) {
        if day < self.first_day {
            self.first_day = day;
            self.first_day_amount = amount;
        } else if day == self.first_day {
            self.first_day_amount += amount;
        }
        self.last_day = self.last_day.max(day);
        self.spend += amount;
        self.orders += 1;
        self.days.insert(day);
    }
}

/// Summarizes a transaction file (`-` reads stdin). `progress` is called with the number of
/// bytes read so far, about every megabyte.
pub fn summarize_path(
    path: &Path,
    read: &ReadOptions,
    opts: &SummaryOptions,
    progress: impl FnMut(u64),
) -> Result<(Summary, RowAccounting)> {
    if path.as_os_str() == "-" {
        let stdin = io::stdin().lock();
        return summarize_reader(ProgressReader::new(stdin, progress), "<stdin>", read, opts);
    }
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| ClvError::input(&name, format!("cannot open: {e}")))?;
    let reader = BufReader::with_capacity(1 << 20, file);
    summarize_reader(ProgressReader::new(reader, progress), &name, read, opts)
}

/// Summarizes transactions from any reader; `source_name` names it in messages.
pub fn summarize_reader<R: Read>(
    r: R,
    source_name: &str,
    read: &ReadOptions,
    opts: &SummaryOptions,
) -> Result<(Summary, RowAccounting)> {
    let observation_end = opts.observation_end.or(read.observation_end);
    if let (Some(cal), Some(obs)) = (opts.calibration_end, observation_end)
        && cal > obs
    {
        return Err(ClvError::InvalidParameter(format!(
            "calibration end {cal} is after the observation end {obs}"
        )));
    }
    let read = ReadOptions {
        observation_end,
        ..read.clone()
    };
    let cal_day = opts.calibration_end.map(date_to_day);
    // States live in the map itself: one random memory access per row, not two.
    let mut states: HashMap<IdKey, CustomerState, FastBuildHasher> = HashMap::default();
    let mut extra_columns = Vec::new();
    let mut max_day = i32::MIN;

    let accounting = read_transactions(
        r,
        source_name,
        &read,
        |h: &Header| extra_columns = h.extra_columns.clone(),
        |row| {
            max_day = max_day.max(row.day);
            let key = row.customer.as_bytes();
            match states.get_mut(key) {
                Some(s) => s.add_row(row, cal_day),
                None => {
                    let mut s = CustomerState::new();
                    s.add_row(row, cal_day);
                    states.insert(IdKey::new(key), s);
                }
            }
        },
    )?;

    let end = match observation_end {
        Some(d) => d,
        None if max_day == i32::MIN => opts.calibration_end.unwrap_or(NaiveDate::MIN),
        None => day_to_date(max_day),
    };
    if let Some(cal) = opts.calibration_end
        && cal > end
    {
        return Err(ClvError::InvalidParameter(format!(
            "calibration end {cal} is after the last date in the data ({end}); \
             give --observation-end to set the holdout end"
        )));
    }
    let cal_end_day = cal_day.unwrap_or_else(|| date_to_day(end));
    let holdout_duration = cal_day.map(|c| f64::from(date_to_day(end) - c));

    let dpu = opts.unit.days_per_unit();
    let mut customers = Vec::with_capacity(states.len());
    let mut after_calibration = 0u64;
    for (id, s) in states {
        if s.first_day == i32::MAX {
            after_calibration += 1;
            continue;
        }
        customers.push(finish_customer(
            id,
            s,
            cal_end_day,
            holdout_duration,
            dpu,
            opts,
        ));
    }
    customers.sort_unstable_by(|a, b| compare_ids(&a.customer_id, &b.customer_id));
    Ok((
        Summary {
            unit: opts.unit,
            observation_end: end,
            calibration_end: opts.calibration_end,
            extra_columns,
            customers,
            customers_after_calibration: after_calibration,
        },
        accounting,
    ))
}

fn finish_customer(
    id: IdKey,
    s: CustomerState,
    cal_end_day: i32,
    holdout_days: Option<f64>,
    dpu: f64,
    opts: &SummaryOptions,
) -> CustomerSummary {
    let days = s.days.into_sorted();
    let x = days.len().saturating_sub(1) as f64;
    let monetary_value = if x > 0.0 {
        ((s.spend - s.first_day_amount) / x).max(0.0)
    } else {
        0.0
    };
    let holdout = holdout_days.map(|duration| {
        let n = s.holdout_days.into_sorted().len() as f64;
        Holdout {
            frequency: n,
            monetary_value: if n > 0.0 { s.holdout_spend / n } else { 0.0 },
            duration: duration / dpu,
            spend: s.holdout_spend,
        }
    });
    let purchase_times = if opts.keep_purchase_times {
        days.iter()
            .map(|&d| f64::from(d - s.first_day) / dpu)
            .collect()
    } else {
        Vec::new()
    };
    CustomerSummary {
        // Ids come from validated UTF-8 text.
        customer_id: String::from_utf8_lossy(id.as_bytes()).into_owned(),
        frequency: x,
        recency: f64::from(s.last_day - s.first_day) / dpu,
        t: f64::from(cal_end_day - s.first_day) / dpu,
        monetary_value,
        first_purchase: day_to_date(s.first_day),
        last_purchase: day_to_date(s.last_day),
        orders: s.orders,
        total_spend: s.spend,
        first_order_value: s.first_day_amount,
        holdout,
        extras: s.extras.iter().map(|e| e.to_string()).collect(),
        purchase_times,
    }
}

/// A customer id as a map key: ids up to 22 bytes (nearly all) are stored inline, saving a
/// pointer chase per lookup; longer ones on the heap.
#[derive(Debug)]
enum IdKey {
    Inline { len: u8, bytes: [u8; 22] },
    Heap(Box<[u8]>),
}

impl IdKey {
    fn new(id: &[u8]) -> Self {
        if id.len() <= 22 {
            let mut bytes = [0u8; 22];
            bytes[..id.len()].copy_from_slice(id);
            IdKey::Inline {
                len: id.len() as u8,
                bytes,
            }
        } else {
            IdKey::Heap(id.into())
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            IdKey::Inline { len, bytes } => &bytes[..usize::from(*len)],
            IdKey::Heap(b) => b,
        }
    }
}

// Hash and equality are those of the byte slice, so `&[u8]` can look keys up (Borrow).
impl std::hash::Hash for IdKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl PartialEq for IdKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for IdKey {}

impl std::borrow::Borrow<[u8]> for IdKey {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// Counts bytes read and reports them about every megabyte.
struct ProgressReader<R, F> {
    inner: R,
    progress: F,
    bytes: u64,
    reported: u64,
}

impl<R, F: FnMut(u64)> ProgressReader<R, F> {
    fn new(inner: R, progress: F) -> Self {
        ProgressReader {
            inner,
            progress,
            bytes: 0,
            reported: 0,
        }
    }
}

impl<R: Read, F: FnMut(u64)> Read for ProgressReader<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        if n == 0 || self.bytes - self.reported >= 1 << 20 {
            self.reported = self.bytes;
            (self.progress)(self.bytes);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn day_set_counts_distinct_days_in_any_order() {
        let mut s = DaySet::default();
        let days = [5, 3, 5, 5, 9, 3, 1, 9, 2, 2, 7, 5, 1, 8, 8, 8, 4, 6, 0, 3];
        for d in days {
            s.insert(d);
        }
        assert_eq!(s.into_sorted(), (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn shuffled_rows_give_the_same_summary_as_sorted_rows() {
        let sorted = "customer_id,date,amount\n\
            a,2020-01-01,10\na,2020-01-01,5\na,2020-01-08,20\na,2020-01-15,30\nb,2020-01-10,7\n";
        let shuffled = "customer_id,date,amount\n\
            a,2020-01-15,30\nb,2020-01-10,7\na,2020-01-01,5\na,2020-01-08,20\na,2020-01-01,10\n";
        let opts = SummaryOptions {
            unit: TimeUnit::Week,
            observation_end: Some(date("2020-01-29")),
            keep_purchase_times: true,
            ..Default::default()
        };
        let read = ReadOptions::default();
        let (s1, a1) = summarize_reader(sorted.as_bytes(), "s", &read, &opts).unwrap();
        let (s2, _) = summarize_reader(shuffled.as_bytes(), "s", &read, &opts).unwrap();
        assert_eq!(s1, s2);
        assert_eq!(a1.rows_used, 5);
        let a = &s1.customers[0];
        assert_eq!(a.frequency, 2.0);
        assert_eq!(a.recency, 2.0);
        assert_eq!(a.t, 4.0);
        assert_eq!(a.monetary_value, 25.0);
        assert_eq!(a.first_order_value, 15.0);
        assert_eq!((a.orders, a.total_spend), (4, 65.0));
        assert_eq!(a.purchase_times, vec![0.0, 1.0, 2.0]);
        let b = &s1.customers[1];
        assert_eq!((b.frequency, b.recency, b.monetary_value), (0.0, 0.0, 0.0));
        assert!((b.t - 19.0 / 7.0).abs() < 1e-12);
    }
}
