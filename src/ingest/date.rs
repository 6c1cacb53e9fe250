//! Date parsing for transaction files, to day numbers (days since 1970-01-01).
//!
//! The automatic mode accepts an ISO date (`2024-03-09`), an ISO datetime (`T` or space between
//! date and time, optional seconds, fractional seconds and zone) and `%Y%m%d`. Only the calendar
//! date as written counts: a zone suffix is validated but not applied, because the purchase day
//! in the customer's own zone is what the features need. Any other layout needs an explicit
//! strftime pattern, parsed by chrono. The ISO fast path reads digits directly and caches the
//! last date seen, since transaction files repeat the same date on many consecutive rows.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// Errors unless `format` is a valid strftime pattern, so that a mistyped pattern is reported
/// as such, not as every row's unparsable date.
pub fn check_date_format(format: &str) -> crate::error::Result<()> {
    use chrono::format::{Item, StrftimeItems};
    let items: Vec<Item> = StrftimeItems::new(format).collect();
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return Err(crate::error::ClvError::InvalidParameter(format!(
            "date format '{format}' is not a valid strftime pattern (e.g. %d/%m/%Y)"
        )));
    }
    Ok(())
}

/// Day number of 1970-01-01 in chrono's days-from-CE count.
const UNIX_EPOCH_FROM_CE: i32 = 719_163;

/// Days since 1970-01-01 of a calendar date.
pub fn date_to_day(date: NaiveDate) -> i32 {
    use chrono::Datelike;
    date.num_days_from_ce() - UNIX_EPOCH_FROM_CE
}

/// The calendar date of a day number (saturating at chrono's range, which valid input never
/// leaves).
pub fn day_to_date(day: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day.saturating_add(UNIX_EPOCH_FROM_CE))
        .unwrap_or(NaiveDate::MIN)
}

/// Days since 1970-01-01 from a validated civil date (Hinnant's algorithm), avoiding chrono on
/// the hot path.
fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = ((153 * mp + 2) / 5 + d - 1) as i32;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

fn ymd(y: u32, m: u32, d: u32) -> Option<i32> {
    let y = i32::try_from(y).ok()?;
    if y == 0 || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// `YYYY-MM-DD` exactly.
fn iso_date(b: &[u8]) -> Option<i32> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    ymd(digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?)
}

/// `HH:MM[:SS[.fff]][Z|±HH[:MM]]`, checked for range only.
fn valid_time(b: &[u8]) -> bool {
    let two = |s: &[u8], max: u32| s.len() == 2 && digits(s).is_some_and(|v| v <= max);
    if b.len() < 5 || !two(&b[0..2], 23) || b[2] != b':' || !two(&b[3..5], 59) {
        return false;
    }
    let mut rest = &b[5..];
    if rest.first() == Some(&b':') {
        if rest.len() < 3 || !two(&rest[1..3], 60) {
            return false;
        }
        rest = &rest[3..];
        if rest.first() == Some(&b'.') {
            let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return false;
            }
            rest = &rest[1 + n..];
        }
    }
    match rest {
        [] | [b'Z'] => true,
        [b'+' | b'-', zone @ ..] => match zone.len() {
            2 => two(zone, 23),
            4 => two(&zone[0..2], 23) && two(&zone[2..4], 59),
            5 => two(&zone[0..2], 23) && zone[2] == b':' && two(&zone[3..5], 59),
            _ => false,
        },
        _ => false,
    }
}

/// Any of the automatic layouts.
fn auto(b: &[u8]) -> Option<i32> {
    match b.len() {
        10 => iso_date(b),
        8 => ymd(digits(&b[0..4])?, digits(&b[4..6])?, digits(&b[6..8])?),
        n if n > 11 && (b[10] == b'T' || b[10] == b' ') => {
            let day = iso_date(&b[..10])?;
            valid_time(&b[11..]).then_some(day)
        }
        _ => None,
    }
}

fn with_format(s: &str, format: &str) -> Option<i32> {
    if let Ok(d) = NaiveDate::parse_from_str(s, format) {
        return Some(date_to_day(d));
    }
    if let Ok(dt) = NaiveDateTime::parse_from_str(s, format) {
        return Some(date_to_day(dt.date()));
    }
    DateTime::parse_from_str(s, format)
        .ok()
        .map(|dt| date_to_day(dt.naive_local().date()))
}

/// A date parser with a one-entry cache of the last date text seen.
#[derive(Debug, Clone)]
pub struct DateParser {
    format: Option<String>,
    last_text: Vec<u8>,
    last_day: i32,
}

impl DateParser {
    /// `format`: a strftime pattern, or `None` for the automatic layouts.
    pub fn new(format: Option<&str>) -> Self {
        DateParser {
            format: format.map(str::to_string),
            last_text: Vec::new(),
            last_day: 0,
        }
    }

    /// Day number of a date field (surrounding spaces ignored), or `None` if it is not a date
    /// in the expected layout.
    pub fn parse(&mut self, field: &[u8]) -> Option<i32> {
        let field = field.trim_ascii();
        if !self.last_text.is_empty() && field == self.last_text.as_slice() {
            return Some(self.last_day);
        }
        let day = match &self.format {
            None => auto(field)?,
            Some(f) => with_format(std::str::from_utf8(field).ok()?, f)?,
        };
        self.last_text.clear();
        self.last_text.extend_from_slice(field);
        self.last_day = day;
        Some(day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> i32 {
        date_to_day(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
    }

    #[test]
    fn civil_days_agree_with_chrono_over_centuries() {
        let mut date = NaiveDate::from_ymd_opt(1890, 1, 1).unwrap();
        let end = NaiveDate::from_ymd_opt(2110, 12, 31).unwrap();
        while date <= end {
            use chrono::Datelike;
            assert_eq!(
                days_from_civil(date.year(), date.month(), date.day()),
                date_to_day(date)
            );
            assert_eq!(day_to_date(date_to_day(date)), date);
            date = date.succ_opt().unwrap();
        }
    }

    #[test]
    fn automatic_layouts() {
        let mut p = DateParser::new(None);
        let want = d("1997-09-30");
        for s in [
            "1997-09-30",
            " 1997-09-30 ",
            "19970930",
            "1997-09-30T23:59",
            "1997-09-30 23:59:59",
            "1997-09-30T23:59:59.123456Z",
            "1997-09-30T08:00:00+02:00",
            "1997-09-30T08:00:00-0500",
        ] {
            assert_eq!(p.parse(s.as_bytes()), Some(want), "{s}");
        }
        assert_eq!(p.parse(b"2000-02-29"), Some(d("2000-02-29")));
        for bad in [
            "",
            "1997-02-29",
            "1900-02-29",
            "1997-13-01",
            "1997-00-10",
            "1997-9-30",
            "30/09/1997",
            "1997-09-30T25:00",
            "1997-09-30Tfoo",
            "19971330",
            "1997-09-30 12:00 PM",
            "abc",
        ] {
            assert_eq!(p.parse(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn explicit_formats() {
        assert!(check_date_format("%d/%m/%Y").is_ok());
        let e = check_date_format("%d/%Q/%Y").unwrap_err().to_string();
        assert!(e.contains("'%d/%Q/%Y'") && e.contains("strftime"), "{e}");
        let mut p = DateParser::new(Some("%d/%m/%Y"));
        assert_eq!(p.parse(b"30/09/1997"), Some(d("1997-09-30")));
        assert_eq!(p.parse(b"1997-09-30"), None);
        let mut p = DateParser::new(Some("%m/%d/%Y %H:%M"));
        assert_eq!(p.parse(b"09/30/1997 14:05"), Some(d("1997-09-30")));
        let mut p = DateParser::new(Some("%Y-%m-%dT%H:%M:%S%z"));
        assert_eq!(p.parse(b"1997-09-30T14:05:00+0200"), Some(d("1997-09-30")));
    }
}
