//! Log-gamma differences that stay accurate for huge arguments: ln B(a, b), ln Γ(x + h) −
//! ln Γ(x), ratios of Beta functions B(a + x, b + m)/B(a, b), ψ(a + h) − ψ(a) and the
//! Stirling correction they are built on. For parameters in the millions a plain sum of
//! log-gamma values loses most of its digits (at 1e10 about six of them); these do not.

use statrs::function::gamma::{digamma, ln_gamma};

/// Below this, log-gamma and digamma are evaluated directly; above, by Stirling series whose
/// differences can be formed without cancellation.
const ASYMPTOTIC_FROM: f64 = 10.0;

/// ln Gamma(x) - [(x - 1/2) ln x - x + ln(2 pi) / 2] for x >= 10 (Stirling correction).
pub(crate) fn stirling_correction(x: f64) -> f64 {
    let z = 1.0 / (x * x);
    (1.0 / 12.0 - z * (1.0 / 360.0 - z * (1.0 / 1260.0 - z * (1.0 / 1680.0 - z / 1188.0)))) / x
}

/// ln B(a, b) for a, b > 0, accurate also when one or both arguments are huge (there the
/// naive ln Gamma(a) + ln Gamma(b) - ln Gamma(a + b) cancels away most digits).
pub fn ln_beta(a: f64, b: f64) -> f64 {
    let (small, large) = if a <= b { (a, b) } else { (b, a) };
    if large < ASYMPTOTIC_FROM {
        return ln_gamma(small) + ln_gamma(large) - ln_gamma(small + large);
    }
    let sum = small + large;
    let corr = stirling_correction(large) - stirling_correction(sum);
    if small < ASYMPTOTIC_FROM {
        // ln Gamma(large) - ln Gamma(sum) by Stirling, the ratio through ln_1p.
        ln_gamma(small) - (large - 0.5) * (small / large).ln_1p() - small * sum.ln() + small + corr
    } else {
        0.5 * (2.0 * std::f64::consts::PI).ln() - 0.5 * large.ln()
            + (small - 0.5) * (small / sum).ln()
            - large * (small / large).ln_1p()
            + stirling_correction(small)
            + corr
    }
}

/// ln Gamma(x + h) - ln Gamma(x) for x > 0, x + h > 0. For large arguments Stirling's series
/// is differenced analytically, so a small shift of a huge argument keeps its digits.
pub fn ln_gamma_shift(x: f64, h: f64) -> f64 {
    let y = x + h;
    if h == 0.0 {
        return 0.0;
    }
    if x.min(y) < ASYMPTOTIC_FROM {
        return ln_gamma(y) - ln_gamma(x);
    }
    // (y - 1/2) ln y - (x - 1/2) ln x - h, plus the difference of the Stirling corrections.
    (x - 0.5) * (h / x).ln_1p() + h * y.ln() - h + (stirling_correction(y) - stirling_correction(x))
}

/// ln[B(a + x, b + m) / B(a, b)] for a, b > 0 and shifts x, m >= 0, as three log-gamma shifts:
/// each is of the size of the shift times ln of the argument, so the ratio keeps its digits
/// when a and b are huge (a difference of two ln B values near 1e10 keeps about ten).
pub fn ln_beta_ratio(a: f64, b: f64, x: f64, m: f64) -> f64 {
    ln_gamma_shift(a, x) + ln_gamma_shift(b, m) - ln_gamma_shift(a + b, x + m)
}

/// psi(x) - ln x for x >= 10 (asymptotic series).
fn digamma_minus_ln(x: f64) -> f64 {
    let z = 1.0 / (x * x);
    -0.5 / x
        - z * (1.0 / 12.0 - z * (1.0 / 120.0 - z * (1.0 / 252.0 - z * (1.0 / 240.0 - z / 132.0))))
}

/// psi(a + h) - psi(a) for a > 0, h >= 0, without the cancellation of the plain difference
/// when `a` is large.
pub(crate) fn digamma_diff(a: f64, h: f64) -> f64 {
    if h == 0.0 {
        return 0.0;
    }
    if a < ASYMPTOTIC_FROM {
        return digamma(a + h) - digamma(a);
    }
    (h / a).ln_1p() + digamma_minus_ln(a + h) - digamma_minus_ln(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_beta_matches_direct_sum_and_stays_accurate_for_large_arguments() {
        for &(a, b) in &[
            (0.5, 3.0),
            (12.0, 0.7),
            (15.0, 40.0),
            (2.5, 1e3),
            (300.0, 500.5),
        ] {
            let direct = ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
            assert!(
                (ln_beta(a, b) - direct).abs() < 1e-11 * direct.abs().max(1.0),
                "{a} {b}"
            );
        }
        // B(1, b) = 1 / b exactly; B(2, b) = 1 / (b (b + 1)).
        for &b in &[10.0, 1e6, 1e12] {
            assert!((ln_beta(1.0, b) + b.ln()).abs() < 1e-13 * b.ln());
            assert!((ln_beta(2.0, b) + b.ln() + (b + 1.0).ln()).abs() < 1e-13 * b.ln());
        }
    }

    #[test]
    fn ln_gamma_shift_matches_recurrence() {
        // Gamma(x + 1) / Gamma(x) = x; Gamma(x + 2) / Gamma(x) = x (x + 1); shifts may be negative.
        for &x in &[0.4, 9.5, 10.0, 123.25, 4e6, 1e12] {
            assert!(
                (ln_gamma_shift(x, 1.0) - x.ln()).abs() < 1e-13 * x.ln().abs().max(1.0),
                "{x}"
            );
            let two = x.ln() + (x + 1.0).ln();
            assert!(
                (ln_gamma_shift(x, 2.0) - two).abs() < 1e-13 * two.abs().max(1.0),
                "{x}"
            );
            assert!((ln_gamma_shift(x + 1.0, -1.0) + x.ln()).abs() < 1e-13 * x.ln().abs().max(1.0));
        }
    }

    #[test]
    fn ln_beta_ratio_matches_products_of_ratios() {
        // B(a + 1, b)/B(a, b) = a/(a + b); B(a, b + 2)/B(a, b) = b(b + 1)/((a + b)(a + b + 1)).
        for &(a, b) in &[(0.3f64, 2.0f64), (12.0, 7.5), (1.2e10, 7.5e9), (1e-6, 3e9)] {
            let one = (a / (a + b)).ln();
            assert!((ln_beta_ratio(a, b, 1.0, 0.0) - one).abs() < 1e-13 * one.abs().max(1.0));
            let two = (b * (b + 1.0) / ((a + b) * (a + b + 1.0))).ln();
            assert!(
                (ln_beta_ratio(a, b, 0.0, 2.0) - two).abs() < 1e-13 * two.abs().max(1.0),
                "{a} {b}: {} vs {two}",
                ln_beta_ratio(a, b, 0.0, 2.0)
            );
        }
    }

    #[test]
    fn digamma_diff_matches_recurrence() {
        // psi(a + 3) - psi(a) = 1/a + 1/(a+1) + 1/(a+2).
        for &a in &[0.3, 9.9, 10.0, 55.0, 1e8] {
            let exact = 1.0 / a + 1.0 / (a + 1.0) + 1.0 / (a + 2.0);
            assert!((digamma_diff(a, 3.0) - exact).abs() < 1e-12 * exact, "{a}");
        }
    }

    #[test]
    fn ln_beta_agrees_with_the_plain_log_gamma_sum_where_that_is_accurate() {
        // The plain sum, the previous `ln_beta` of the special functions, is accurate while
        // the arguments are moderate; the two must agree there.
        for &a in &[0.05, 0.3, 1.0, 2.5, 7.0, 9.99, 10.0, 12.0, 40.0, 150.0] {
            for &b in &[0.05, 0.7, 1.0, 3.5, 9.5, 10.0, 11.0, 33.0, 200.0] {
                let direct = ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
                assert!(
                    (ln_beta(a, b) - direct).abs() < 1e-11 * direct.abs().max(1.0),
                    "{a} {b}: {} vs {direct}",
                    ln_beta(a, b)
                );
            }
        }
    }
}
