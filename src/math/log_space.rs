//! Sums in log space: ln(e^a ± e^b), ln Σ e^{t_i} (plain and signed), and a running
//! accumulator for long sums that need no buffer.

/// ln(e^a + e^b) without overflow.
pub fn log_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    if lo == f64::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// ln(e^a − e^b) for a ≥ b (−∞ when equal, NaN when a < b).
pub fn log_sub_exp(a: f64, b: f64) -> f64 {
    if b == f64::NEG_INFINITY {
        return a;
    }
    if a < b {
        return f64::NAN;
    }
    a + (-(b - a).exp_m1()).ln()
}

/// ln Σ e^{t_i}; −∞ for an empty slice.
pub fn log_sum_exp(terms: &[f64]) -> f64 {
    let m = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + terms.iter().map(|t| (t - m).exp()).sum::<f64>().ln()
}

/// Signed log-sum-exp: terms are `(ln|v_i|, sign_i)`; returns `(ln|Σ v_i|, sign)` with sign
/// +1, −1, or 0 for an exact zero (then the log is −∞).
pub fn log_sum_exp_signed(terms: &[(f64, f64)]) -> (f64, f64) {
    let m = terms
        .iter()
        .filter(|(_, s)| *s != 0.0)
        .map(|(l, _)| *l)
        .fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return (m, if m.is_nan() { f64::NAN } else { 0.0 });
    }
    let s: f64 = terms
        .iter()
        .filter(|(_, sg)| *sg != 0.0)
        .map(|(l, sg)| sg.signum() * (l - m).exp())
        .sum();
    if s == 0.0 {
        (f64::NEG_INFINITY, 0.0)
    } else {
        (m + s.abs().ln(), s.signum())
    }
}

/// Running ln sum exp(v_i), one value at a time, so long sums need no buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LogSumExp {
    max: f64,
    /// Sum of exp(v_i - max).
    scaled: f64,
}

impl LogSumExp {
    pub(crate) fn new() -> Self {
        LogSumExp {
            max: f64::NEG_INFINITY,
            scaled: 0.0,
        }
    }

    pub(crate) fn push(&mut self, v: f64) {
        if v == f64::NEG_INFINITY {
            // A zero term adds nothing (and -inf - -inf must not be formed).
        } else if v <= self.max {
            self.scaled += (v - self.max).exp();
        } else if v.is_finite() {
            // A new maximum rescales what has been summed so far.
            self.scaled = self.scaled * (self.max - v).exp() + 1.0;
            self.max = v;
        } else if v.is_nan() {
            self.max = f64::NAN;
        }
    }

    /// The log of the sum; -inf when nothing (or only -inf) was pushed.
    pub(crate) fn value(&self) -> f64 {
        if self.scaled == 0.0 || self.max.is_nan() {
            return self.max;
        }
        self.max + self.scaled.ln()
    }
}

/// ln(e^u − 1) for u ≥ 0 (−∞ at 0), without overflow.
pub fn ln_expm1(u: f64) -> f64 {
    if u <= 0.0 {
        f64::NEG_INFINITY
    } else if u > 36.0 {
        u + (-(-u).exp()).ln_1p()
    } else {
        u.exp_m1().ln()
    }
}

/// ln(1 + e^z), without overflow or loss for very negative z.
pub fn softplus(z: f64) -> f64 {
    if z > 36.0 {
        z + (-z).exp()
    } else {
        z.exp().ln_1p()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lse(values: &[f64]) -> f64 {
        let mut acc = LogSumExp::new();
        values.iter().for_each(|v| acc.push(*v));
        acc.value()
    }

    #[test]
    fn log_sum_exp_handles_extremes() {
        assert!((lse(&[-1000.0, -1000.0]) - (-1000.0 + 2f64.ln())).abs() < 1e-12);
        assert!((lse(&[-2000.0, 3.0, -1.0]) - (3.0 + (-4f64).exp().ln_1p())).abs() < 1e-12);
        assert!(
            (lse(&[1.0, 2.0, 3.0]) - (1f64.exp() + 2f64.exp() + 3f64.exp()).ln()).abs() < 1e-12
        );
        assert_eq!(lse(&[]), f64::NEG_INFINITY);
        assert_eq!(
            lse(&[f64::NEG_INFINITY, f64::NEG_INFINITY]),
            f64::NEG_INFINITY
        );
        assert!(lse(&[1.0, f64::NAN]).is_nan());
    }
}
