//! Never a silent non-finite number: every prediction a job hands out is checked here, and
//! one that could not be computed (NaN, an infinity, a probability outside [0, 1], a negative
//! expectation) becomes a [`ClvError::Numerical`] naming the quantity and the customer, not a
//! `NaN` in a file or a 0 in its place.

use super::batch::{PatternScore, Patterns};
use crate::error::{ClvError, Result};

/// Rounding slack allowed around a range's ends (probabilities summed from terms).
const SLACK: f64 = 1e-9;

/// What a value must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// A probability: in [0, 1].
    Probability,
    /// An expectation of counts or money: finite and >= 0.
    NonNegative,
}

impl Range {
    /// Whether `v` is a valid value of this range.
    pub fn holds(self, v: f64) -> bool {
        match self {
            Range::Probability => v.is_finite() && (-SLACK..=1.0 + SLACK).contains(&v),
            Range::NonNegative => v.is_finite() && v >= -SLACK * v.abs().max(1.0),
        }
    }
}

/// `Ok` when `v` is in `range`, else the error "cannot compute {what} (got v) for {whom}".
pub fn check(v: f64, range: Range, what: &str, whom: impl FnOnce() -> String) -> Result<()> {
    if range.holds(v) {
        Ok(())
    } else {
        Err(ClvError::numerical(format!("{what} (got {v})"), whom()))
    }
}

/// Checks one value per pattern; a failure names the first customer with that pattern
/// (`customer(i)` describes customer `i`).
pub fn check_patterns(
    values: &[f64],
    range: Range,
    what: &str,
    patterns: &Patterns,
    customer: &dyn Fn(usize) -> String,
) -> Result<()> {
    match values.iter().position(|&v| !range.holds(v)) {
        None => Ok(()),
        Some(p) => check(values[p], range, what, || describe(patterns, p, customer)),
    }
}

/// P(alive), expected purchases and P(no purchase) of each pattern, checked (`horizon` and
/// `unit` name the window in the message).
pub fn check_pattern_scores(
    scores: &[PatternScore],
    horizon: f64,
    unit: &str,
    patterns: &Patterns,
    customer: &dyn Fn(usize) -> String,
) -> Result<()> {
    let column = |f: fn(&PatternScore) -> f64| scores.iter().map(f).collect::<Vec<f64>>();
    check_patterns(
        &column(|s| s.p_alive),
        Range::Probability,
        "P(alive)",
        patterns,
        customer,
    )?;
    check_patterns(
        &column(|s| s.expected_purchases),
        Range::NonNegative,
        &format!("the expected purchases over {horizon} {unit}s"),
        patterns,
        customer,
    )?;
    check_patterns(
        &column(|s| s.p_no_purchase),
        Range::Probability,
        &format!("P(no purchase in {horizon} {unit}s)"),
        patterns,
        customer,
    )
}

/// The first customer with pattern `p`, and the pattern.
fn describe(patterns: &Patterns, p: usize, customer: &dyn Fn(usize) -> String) -> String {
    let who = patterns
        .of_customer
        .iter()
        .position(|&q| q as usize == p)
        .map_or_else(|| "a customer".to_string(), customer);
    format!(
        "{who} (frequency {}, recency {}, T {})",
        patterns.x[p], patterns.t_x[p], patterns.t[p]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_and_out_of_range_values_name_the_customer_and_quantity() {
        let patterns = Patterns::of(&[0.0, 2.0, 2.0], &[0.0, 5.0, 5.0], &[10.0, 10.0, 10.0]);
        let ids = ["a", "b", "c"];
        let name = |i: usize| format!("customer '{}'", ids[i]);
        assert!(check_patterns(&[0.5, 1.0], Range::Probability, "P", &patterns, &name).is_ok());
        for bad in [f64::NAN, f64::INFINITY, 1.5, -0.1] {
            let e = check_patterns(
                &[0.5, bad],
                Range::Probability,
                "P(alive)",
                &patterns,
                &name,
            )
            .unwrap_err();
            let text = e.to_string();
            assert!(matches!(e, ClvError::Numerical { .. }), "{text}");
            assert!(
                text.contains("P(alive)") && text.contains("customer 'b'"),
                "{text}"
            );
        }
        assert!(!Range::NonNegative.holds(-9.4e150));
        assert!(!Range::NonNegative.holds(f64::NEG_INFINITY));
        assert!(Range::NonNegative.holds(6.7e53));
        assert!(Range::NonNegative.holds(0.0));
    }
}
