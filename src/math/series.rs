//! Discounted infinite sums: the discount factor of a per-period rate and a series summed to
//! a relative tolerance with a bound on its neglected tail.

use crate::error::{ClvError, Result};

/// Terms after which a discounted sum that has not met its tolerance is declared divergent.
const MAX_SUM_TERMS: usize = 10_000_000;
/// Relative tolerance of the discounted sums (bound on the neglected tail).
const SUM_TOLERANCE: f64 = 1e-13;

/// `1 / (1 + d)` for a per-period discount rate `d > 0`.
pub(crate) fn discount_factor(discount: f64) -> Result<f64> {
    if !(discount.is_finite() && discount > 0.0) {
        return Err(ClvError::InvalidParameter(format!(
            "discount rate must be finite and > 0, got {discount}"
        )));
    }
    Ok(1.0 / (1.0 + discount))
}

/// Sum over k >= 0 of `first * prod_{j<k} ratio(j) * r^k` where every `ratio(j)` lies in
/// (0, 1]: the neglected tail after a term `u` is then below `u r / (1 - r)`, which is the
/// stopping rule. Errors if the tolerance is not met within the term cap.
pub(crate) fn discounted_sum(first: f64, r: f64, ratio: impl Fn(usize) -> f64) -> Result<f64> {
    let mut term = first;
    let mut sum = 0.0;
    for k in 0..MAX_SUM_TERMS {
        sum += term;
        if term * r / (1.0 - r) <= SUM_TOLERANCE * sum {
            return Ok(sum);
        }
        term *= ratio(k) * r;
    }
    Err(ClvError::InvalidParameter(format!(
        "the discounted sum did not converge within {MAX_SUM_TERMS} terms; the discount rate \
         {:.3e} is too small",
        1.0 / r - 1.0
    )))
}
