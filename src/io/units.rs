//! Units of output columns: the currency of money columns, the time unit of time columns, and
//! money rounded to cents. Column names carry their unit (`recency_weeks`, `clv_usd`) so that a
//! file read without its sidecar still says what its numbers are.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{ClvError, Result};
use crate::features::TimeUnit;

/// A currency code: three ASCII letters, kept upper case (ISO 4217 style: USD, EUR, JPY). Not
/// checked against the ISO list, so that a local or future code still works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    /// The code as given, upper case (`USD`).
    pub fn code(&self) -> &str {
        &self.0
    }

    /// The suffix of money column names (`usd`).
    pub fn suffix(&self) -> String {
        self.0.to_ascii_lowercase()
    }

    /// `name` with the currency suffix: `clv` → `clv_usd`.
    pub fn column(&self, name: &str) -> String {
        format!("{name}_{}", self.suffix())
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency("USD".into())
    }
}

impl FromStr for Currency {
    type Err = ClvError;

    /// The report's rule ([`crate::report::build::currency_code`]), so that every subcommand
    /// accepts the same codes.
    fn from_str(s: &str) -> Result<Self> {
        crate::report::build::currency_code(s).map(Currency)
    }
}

impl TryFrom<String> for Currency {
    type Error = ClvError;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The units of a table's columns: its money's currency and the time unit of its times.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputUnits {
    pub time: TimeUnit,
    pub currency: Currency,
}

impl OutputUnits {
    /// `name` with the time unit in the plural: `recency` → `recency_weeks`.
    pub fn time_column(&self, name: &str) -> String {
        format!("{name}_{}s", self.time.name())
    }

    /// `name` with the currency: `clv` → `clv_usd`.
    pub fn money_column(&self, name: &str) -> String {
        self.currency.column(name)
    }
}

/// What the numbers of a column are, for the sidecar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Text (ids, labels) or a flag.
    Text,
    /// A count (purchases, orders, customers).
    Count,
    /// A probability in [0, 1].
    Probability,
    /// A time in the table's time unit.
    Time,
    /// Days.
    Days,
    /// Money in the table's currency, rounded to cents in CSV.
    Money,
    /// A score or rank without a unit.
    Score,
    /// A calendar date (YYYY-MM-DD) or month (YYYY-MM).
    Date,
}

/// One column of a result table: its name (with the unit) and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSpec {
    pub name: String,
    pub kind: ColumnKind,
}

impl ColumnSpec {
    /// The unit in words, for the sidecar (`week`, `USD`, `probability` ...).
    pub fn unit(&self, units: &OutputUnits) -> String {
        match self.kind {
            ColumnKind::Text => "text".into(),
            ColumnKind::Count => "count".into(),
            ColumnKind::Probability => "probability".into(),
            ColumnKind::Time => units.time.name().into(),
            ColumnKind::Days => "day".into(),
            ColumnKind::Money => units.currency.code().into(),
            ColumnKind::Score => "score".into(),
            ColumnKind::Date => "date".into(),
        }
    }
}

/// Money rounded to cents (half away from zero), for CSV: `100.50000000000001` → `100.5`.
pub fn round_to_cents(v: f64) -> f64 {
    if v.is_finite() {
        (v * 100.0).round() / 100.0
    } else {
        v
    }
}

/// Money as CSV text: rounded to cents, without trailing zeros (`100.5`, `3`, `0.07`).
pub fn format_money(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let s = format!("{:.2}", round_to_cents(v));
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_codes_are_three_letters_kept_upper_case() {
        let eur: Currency = " eur ".parse().unwrap();
        assert_eq!((eur.code(), eur.column("clv").as_str()), ("EUR", "clv_eur"));
        for bad in ["", "$", "US", "USDD", "U$D", "12 "] {
            assert!(bad.parse::<Currency>().is_err(), "{bad:?}");
        }
        assert_eq!(Currency::default().code(), "USD");
    }

    #[test]
    fn money_is_rounded_to_cents() {
        assert_eq!(format_money(100.50000000000001), "100.5");
        assert_eq!(format_money(435070.5199999995), "435070.52");
        assert_eq!(format_money(3.0), "3");
        assert_eq!(format_money(0.004), "0");
        assert_eq!(format_money(-0.001), "0");
        assert_eq!(format_money(0.125), "0.13");
        assert_eq!(round_to_cents(-2.125), -2.13);
    }

    #[test]
    fn columns_name_their_units() {
        let units = OutputUnits {
            time: TimeUnit::Week,
            currency: Currency::default(),
        };
        assert_eq!(units.time_column("T"), "T_weeks");
        assert_eq!(units.money_column("value_at_risk"), "value_at_risk_usd");
    }
}
