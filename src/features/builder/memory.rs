//! Summaries of transactions already in memory, as columns (a DataFrame's, an Arrow batch's):
//! the same customer states, the same rules and the same row accounting as the file readers,
//! so that a front end holding its data gets exactly the summaries `clv summarize` writes.

use chrono::NaiveDate;

use super::state::{CustomerMap, update_customer};
use super::{SummaryOptions, effective_options, finish};
use crate::error::{ClvError, Result};
use crate::features::Summary;
use crate::ingest::{OnError, ReadOptions, Rejection, RowAccounting, date_to_day, reason};

/// Transactions as columns: one entry per order in `customer_id`, `date` and `amount`, and in
/// each extra column (channel, campaign ...), which is carried along as a customer attribute.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TransactionTable {
    pub customer_id: Vec<String>,
    pub date: Vec<NaiveDate>,
    pub amount: Vec<f64>,
    /// Names of the extra columns, in order.
    pub extra_names: Vec<String>,
    /// The extra columns' values, one vector per column.
    pub extras: Vec<Vec<String>>,
}

impl TransactionTable {
    fn check_shape(&self, source_name: &str) -> Result<()> {
        let n = self.customer_id.len();
        let lengths = [self.date.len(), self.amount.len()]
            .into_iter()
            .chain(self.extras.iter().map(Vec::len));
        if lengths.into_iter().any(|l| l != n) || self.extras.len() != self.extra_names.len() {
            return Err(ClvError::input(
                source_name,
                "columns of different lengths (every column needs one value per order)",
            ));
        }
        Ok(())
    }
}

/// Summarizes `table`; `source_name` names it in messages, and a row's "line" is its 1-based
/// position. Rows are checked as a file's are (empty id, non-finite or negative amount, date
/// after the observation end) and fail the call or are rejected per `read.on_error`.
pub fn summarize_table(
    table: &TransactionTable,
    source_name: &str,
    read: &ReadOptions,
    opts: &SummaryOptions,
) -> Result<(Summary, RowAccounting)> {
    table.check_shape(source_name)?;
    let (read, cal_day) = effective_options(read, opts)?;
    let end_day = read.observation_end.map(date_to_day);
    let mut states = CustomerMap::default();
    let mut max_day = i32::MIN;
    let mut acc = RowAccounting::default();
    for i in 0..table.customer_id.len() {
        acc.rows_read += 1;
        let id = table.customer_id[i].trim_ascii();
        let day = date_to_day(table.date[i]);
        let amount = table.amount[i];
        let problem = if id.is_empty() {
            Some((
                "customer_id",
                table.customer_id[i].clone(),
                reason::EMPTY_ID,
            ))
        } else if !amount.is_finite() {
            Some(("amount", amount.to_string(), reason::NON_FINITE_AMOUNT))
        } else if amount < 0.0 {
            Some(("amount", amount.to_string(), reason::NEGATIVE_AMOUNT))
        } else if end_day.is_some_and(|e| day > e) {
            Some(("date", table.date[i].to_string(), reason::AFTER_END))
        } else {
            None
        };
        if let Some((column, value, why)) = problem {
            if read.on_error == OnError::Fail {
                return Err(ClvError::BadRow {
                    file: source_name.to_string(),
                    line: i as u64 + 1,
                    column: column.to_string(),
                    value,
                    reason: why.to_string(),
                });
            }
            acc.rows_rejected += 1;
            *acc.rejected_by_reason.entry(why.to_string()).or_insert(0) += 1;
            acc.rejections.push(Rejection {
                line: i as u64 + 1,
                column: column.to_string(),
                value,
                reason: why.to_string(),
                raw: format!("{},{},{}", table.customer_id[i], table.date[i], amount),
                location: None,
            });
            continue;
        }
        acc.rows_used += 1;
        max_day = max_day.max(day);
        update_customer(&mut states, id.as_bytes(), |s| {
            s.add(day, amount, cal_day);
            if !table.extras.is_empty() && s.wants_extras(day) {
                let extras = table.extras.iter().map(|column| column[i].as_str().into());
                s.set_extras(day, extras.collect());
            }
        });
    }
    if acc.rows_read == 0 {
        return Err(ClvError::input(source_name, "empty input (no rows)"));
    }
    let summary = finish(
        source_name,
        vec![states],
        table.extra_names.clone(),
        max_day,
        &read,
        opts,
    )?;
    Ok((summary, acc))
}
