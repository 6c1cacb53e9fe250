//! Unit tests of the special functions: closed forms, high-precision reference values
//! (computed with mpmath at 40 digits), finite differences.

use super::*;
use crate::math::gamma::ln_beta;
use crate::math::log_space::{log_add_exp, log_sub_exp, log_sum_exp, log_sum_exp_signed};
use statrs::function::erf::erfc;

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

#[test]
fn log_sum_exp_variants() {
    assert!(rel(log_add_exp(1000.0, 1000.0), 1000.0 + 2f64.ln()) < 1e-15);
    assert!(
        rel(log_add_exp(-1e4, 0.0), 0.0 + (-1e4f64).exp().ln_1p()) < 1e-15
            || log_add_exp(-1e4, 0.0) == 0.0
    );
    assert!(rel(log_sub_exp(2.0, 1.0), (2f64.exp() - 1f64.exp()).ln()) < 1e-14);
    assert_eq!(log_sub_exp(3.0, 3.0), f64::NEG_INFINITY);
    assert!(log_sub_exp(1.0, 2.0).is_nan());
    let l = log_sum_exp(&[1.0, 2.0, 3.0]);
    assert!(rel(l, (1f64.exp() + 2f64.exp() + 3f64.exp()).ln()) < 1e-15);
    assert_eq!(log_sum_exp(&[]), f64::NEG_INFINITY);
    let (l, s) = log_sum_exp_signed(&[(2.0, 1.0), (3.0, -1.0)]);
    assert_eq!(s, -1.0);
    assert!(rel(l, (3f64.exp() - 2f64.exp()).ln()) < 1e-14);
    let (l, s) = log_sum_exp_signed(&[(2.0, 1.0), (2.0, -1.0)]);
    assert_eq!((l, s), (f64::NEG_INFINITY, 0.0));
    assert!(
        rel(
            ln_beta(2.5, 3.5),
            (1.5f64
                * 0.5
                * std::f64::consts::PI.sqrt()
                * 2.5
                * 1.5
                * 0.5
                * std::f64::consts::PI.sqrt()
                / 120.0)
                .ln()
        ) < 1e-13
    );
}

#[test]
fn hyp2f1_closed_forms() {
    for &z in &[-0.9f64, -0.3, 0.0, 1e-8, 0.2, 0.6, 0.95, 0.999] {
        // 2F1(1,1;2;z) = −ln(1−z)/z.
        let want = if z == 0.0 { 1.0 } else { -(-z).ln_1p() / z };
        assert!(
            rel(hyp2f1(1.0, 1.0, 2.0, z).unwrap(), want) < 1e-13,
            "z={z}"
        );
        // 2F1(a,b;b;z) = (1−z)^{−a}.
        for &a in &[0.3, 2.7, 40.0] {
            let got = ln_hyp2f1(a, 1.3, 1.3, z).unwrap();
            assert!(
                (got.ln_abs - (-a * (-z).ln_1p())).abs() < 1e-12 * (1.0 + got.ln_abs.abs()),
                "a={a} z={z}"
            );
        }
    }
    // 2F1(1/2, 1/2; 3/2; z²) = arcsin(z)/z.
    let z = 0.8f64;
    assert!(rel(hyp2f1(0.5, 0.5, 1.5, z * z).unwrap(), z.asin() / z) < 1e-13);
    // Terminating series: 2F1(−2, b; c; z) = 1 − 2bz/c + b(b+1)z²/(c(c+1)).
    let (b, c, z) = (1.7, 2.3, 0.6);
    let want = 1.0 - 2.0 * b * z / c + b * (b + 1.0) * z * z / (c * (c + 1.0));
    assert!(rel(hyp2f1(-2.0, b, c, z).unwrap(), want) < 1e-14);
}

#[test]
fn hyp2f1_reference_values() {
    let cases = [
        (0.5, 1.5, 2.2, 0.7, 0.367_625_136_015_777_8),
        (3.3, -2.5, 1.7, -0.8, 2.222_100_635_863_489),
        (5000.6, 4999.2, 5001.6, 0.5, 3_464.488_477_850_714),
        (0.2, 0.3, 0.1, 0.95, 1.510_885_667_319_016),
        (2.5, 3.5, 1.5, 0.3, 1.941_509_484_345_508_6),
    ];
    for (a, b, c, z, ln_want) in cases {
        let got = ln_hyp2f1(a, b, c, z).unwrap();
        assert!(
            (got.ln_abs - ln_want).abs() < 1e-11 * ln_want.abs().max(1.0),
            "{a},{b},{c},{z}: {} vs {ln_want}",
            got.ln_abs
        );
        assert_eq!(got.sign, 1.0);
    }
}

#[test]
fn hyp2f1_derivatives_match_finite_differences() {
    let points = [
        (0.5, 1.5, 2.2, 0.7),
        (3.3, 2.5, 1.7, -0.8),
        (40.2, 1.5, 41.2, 0.3),
        (0.7, 3.1, 1.9, 0.9),
        (120.0, 119.0, 121.0, 0.4),
    ];
    for (a, b, c, z) in points {
        let h = ln_hyp2f1(a, b, c, z).unwrap();
        let f = |a: f64, b: f64, c: f64, z: f64| ln_hyp2f1(a, b, c, z).unwrap().ln_abs;
        let d = |x: f64| 1e-6 * x.abs().max(0.1);
        let fd = [
            (f(a + d(a), b, c, z) - f(a - d(a), b, c, z)) / (2.0 * d(a)),
            (f(a, b + d(b), c, z) - f(a, b - d(b), c, z)) / (2.0 * d(b)),
            (f(a, b, c + d(c), z) - f(a, b, c - d(c), z)) / (2.0 * d(c)),
            (f(a, b, c, z + 1e-7) - f(a, b, c, z - 1e-7)) / 2e-7,
        ];
        let an = [h.d_a, h.d_b, h.d_c, h.d_z];
        for i in 0..4 {
            assert!(
                (an[i] - fd[i]).abs() < 1e-6 * an[i].abs().max(1.0),
                "{a},{b},{c},{z} #{i}: {} vs {}",
                an[i],
                fd[i]
            );
        }
    }
}

#[test]
fn hyp2f1_rejects_bad_arguments() {
    assert!(hyp2f1(1.0, 1.0, 2.0, 1.0).is_err());
    assert!(hyp2f1(1.0, 1.0, -2.0, 0.5).is_err());
    assert!(hyp2f1(f64::NAN, 1.0, 2.0, 0.5).is_err());
}

#[test]
fn hyperu_closed_forms_and_reference_values() {
    // U(½,½,z) = e^z Γ(½, z) = e^z √π erfc(√z); statrs' erfc is good to ~1e-10 relative.
    for &z in &[1e-4, 0.15, 1.0, 7.0, 30.0] {
        let want = z + std::f64::consts::PI.sqrt().ln() + erfc(z.sqrt()).ln();
        assert!((ln_hyperu_aa(0.5, z).unwrap() - want).abs() < 1e-9, "z={z}");
    }
    let cases = [
        (0.6063, 0.15, 0.245_197_345_923_535_34),
        (2.5, 0.01, 6.485_324_928_788_18),
        (0.01, 3.0, -0.013_604_614_263_002_656),
        (40.0, 2.0, -30.747_527_775_032_484),
        (1.0, 1e-6, 2.583_114_833_241_954_7),
    ];
    for (a, z, want) in cases {
        let got = ln_hyperu_aa(a, z).unwrap();
        assert!(
            (got - want).abs() < 1e-11 * want.abs().max(1.0),
            "U({a},{a},{z}) = {got} vs {want}"
        );
    }
    assert!(ln_hyperu_aa(0.0, 1.0).is_err());
    assert!(ln_hyperu_aa(1.0, 0.0).is_err());
}

#[test]
fn gauss_legendre_integrates_polynomials_exactly() {
    let rule = gauss_legendre_20();
    let weight_sum: f64 = rule.iter().map(|(_, w)| w).sum();
    assert!((weight_sum - 2.0).abs() < 1e-14);
    // ∫_{−1}^{1} x^38 dx = 2/39 (degree 2n−1 = 39 is exact).
    let got: f64 = rule.iter().map(|(x, w)| w * x.powi(38)).sum();
    assert!(rel(got, 2.0 / 39.0) < 1e-13);
}
