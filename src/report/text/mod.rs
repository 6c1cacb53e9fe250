//! The terminal text of every job: plain-text tables, fit summaries, portfolio summaries,
//! evaluation reports. Front ends print these strings; the CLI and a notebook show the same.

mod evaluation;
mod history;
mod models;
mod scores;

pub use evaluation::evaluation_text;
pub use history::{cohort_text, history_metrics_text};
pub use models::{
    candidates_table, coefficient_rows, describe_fit, describe_log_likelihood, describe_params,
};
pub use scores::{
    at_risk_table, budget_text, clv_assumptions, conservative_cac_note, portfolio_text,
    report_summary_line,
};

/// A plain-text table: first column left-aligned, the others right-aligned.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    // Numbers line up on the right; the first column and columns of words on the left.
    let numeric: Vec<bool> = (0..widths.len())
        .map(|i| {
            i > 0
                && rows.iter().all(|row| {
                    row.get(i).is_none_or(|c| {
                        c.is_empty()
                            || c.starts_with(|ch: char| ch.is_ascii_digit() || "-+.".contains(ch))
                    })
                })
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, &w))| {
                if numeric[i] {
                    format!("{c:>w$}")
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect();
        parts.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::table;

    #[test]
    fn numbers_align_right_and_words_left() {
        let rows = vec![
            vec!["a".to_string(), "1.5".to_string(), "short".to_string()],
            vec![
                "bb".to_string(),
                "-10.25".to_string(),
                "a longer reason".to_string(),
            ],
        ];
        let text = table(&["id", "value", "reason"], &rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "id   value  reason");
        assert_eq!(lines[1], "a      1.5  short");
        assert_eq!(lines[2], "bb  -10.25  a longer reason");
    }
}
