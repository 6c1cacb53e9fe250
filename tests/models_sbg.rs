//! Shifted-beta-geometric model: published fits (Fader & Hardie 2007), gradient against
//! finite differences, predictions against closed forms and numerical integration, and the
//! no-churn boundary case.

use clv::models::sbg::ShiftedBetaGeometric;
use clv::models::{FitOptions, Model, SurvivorData};

const HIGH_END: [f64; 8] = [1000.0, 869.0, 743.0, 653.0, 593.0, 551.0, 517.0, 491.0];
const REGULAR: [f64; 8] = [1000.0, 631.0, 468.0, 382.0, 326.0, 289.0, 262.0, 241.0];

fn fit(survivors: &[f64]) -> clv::models::Fitted<ShiftedBetaGeometric> {
    let data = SurvivorData::new(survivors).unwrap();
    ShiftedBetaGeometric::fit(&data, &FitOptions::default()).unwrap()
}

#[test]
fn high_end_segment_matches_fader_hardie_2007() {
    let f = fit(&HIGH_END);
    assert!(
        (f.model.alpha() - 0.668).abs() < 5e-4,
        "alpha {}",
        f.model.alpha()
    );
    assert!(
        (f.model.beta() - 3.806).abs() < 5e-4,
        "beta {}",
        f.model.beta()
    );
    assert!(
        (f.report.log_likelihood + 1611.16).abs() < 0.01,
        "LL {}",
        f.report.log_likelihood
    );
    assert!(f.report.converged && f.report.at_boundary.is_empty());
}

#[test]
fn regular_segment_matches_fader_hardie_2007() {
    let f = fit(&REGULAR);
    assert!(
        (f.model.alpha() - 0.704).abs() < 5e-4,
        "alpha {}",
        f.model.alpha()
    );
    assert!(
        (f.model.beta() - 1.182).abs() < 5e-4,
        "beta {}",
        f.model.beta()
    );
    assert!(
        (f.report.log_likelihood + 1680.27).abs() < 0.01,
        "LL {}",
        f.report.log_likelihood
    );
}

#[test]
fn gradient_matches_central_differences() {
    let data = SurvivorData::new(&REGULAR).unwrap();
    for params in [[0.704, 1.182], [2.5, 0.3], [0.05, 40.0]] {
        let m = ShiftedBetaGeometric::from_params(&params).unwrap();
        let g = m.gradient(&data);
        for j in 0..2 {
            let h = 1e-6 * params[j];
            let (mut up, mut down) = (params, params);
            up[j] += h;
            down[j] -= h;
            let fd = (ShiftedBetaGeometric::from_params(&up)
                .unwrap()
                .log_likelihood(&data)
                - ShiftedBetaGeometric::from_params(&down)
                    .unwrap()
                    .log_likelihood(&data))
                / (2.0 * h);
            assert!(
                (g[j] - fd).abs() <= 1e-5 * fd.abs().max(1.0),
                "{params:?} d{j}: {} vs {fd}",
                g[j]
            );
        }
    }
}

#[test]
fn probabilities_follow_the_recursion_and_sum_to_one() {
    let m = ShiftedBetaGeometric::from_params(&[0.704, 1.182]).unwrap();
    // P(T=1) = alpha / (alpha + beta); P(T=t) = (beta+t-2)/(alpha+beta+t-1) P(T=t-1).
    let mut p = 0.704 / (0.704 + 1.182);
    let mut s = 1.0;
    for t in 1..=60u32 {
        if t > 1 {
            let tf = f64::from(t);
            p *= (1.182 + tf - 2.0) / (0.704 + 1.182 + tf - 1.0);
        }
        s -= p;
        assert!((m.churn_probability(t).unwrap() - p).abs() < 1e-13);
        assert!((m.survival(t).unwrap() - s).abs() < 1e-12);
        let r = m.retention_rate(t).unwrap();
        let ratio = m.survival(t).unwrap() / m.survival(t - 1).unwrap();
        assert!((r - ratio).abs() < 1e-12);
    }
    let churn = m.churn_rate_by_period(7).unwrap();
    let proj = m.projected_survivors(1000.0, 7).unwrap();
    assert_eq!(proj.len(), 8);
    assert_eq!(proj[0], 1000.0);
    for t in 1..=7 {
        assert!((proj[t] - proj[t - 1] * (1.0 - churn[t - 1])).abs() < 1e-9);
    }
    assert!(m.churn_probability(0).is_err());
    assert!(m.retention_rate(0).is_err());
    assert!(m.projected_survivors(f64::NAN, 3).is_err());
}

/// E over theta ~ Beta(alpha, beta) of g(theta), by Simpson's rule after substituting
/// theta = u^(1/alpha) (which removes the singularity at 0) and theta = 1 - v^(1/beta) near 1.
fn beta_expectation(alpha: f64, beta: f64, g: impl Fn(f64) -> f64) -> f64 {
    // Split at 1/2; each half's endpoint singularity is removed by its own substitution.
    let lb = statrs::function::beta::ln_beta(alpha, beta);
    let n = 200_000;
    let simpson = |f: &dyn Fn(f64) -> f64, hi: f64| {
        let h = hi / n as f64;
        let mut s = f(0.0) + f(hi);
        for i in 1..n {
            s += f(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        s * h / 3.0
    };
    // Lower half: theta = u^(1/alpha), theta^(alpha-1) dtheta = du / alpha.
    let lower = |u: f64| {
        let th = u.powf(1.0 / alpha);
        (1.0 - th).powf(beta - 1.0) * g(th) / alpha
    };
    // Upper half: 1 - theta = v^(1/beta), (1-theta)^(beta-1) dtheta = dv / beta.
    let upper = |v: f64| {
        let om = v.powf(1.0 / beta);
        (1.0 - om).powf(alpha - 1.0) * g(1.0 - om) / beta
    };
    (simpson(&lower, 0.5f64.powf(alpha)) + simpson(&upper, 0.5f64.powf(beta))) / lb.exp()
}

#[test]
fn discounted_lifetimes_match_the_beta_integral() {
    // Given theta, sum_t (1-theta)^t z^t = 1 / (1 - (1-theta) z); DERL after n renewals
    // weights theta by the survivors' posterior Beta(alpha, beta + n).
    let (a, b, d) = (0.704, 1.182, 0.1);
    let z = 1.0 / (1.0 + d);
    let m = ShiftedBetaGeometric::from_params(&[a, b]).unwrap();
    let del = m.discounted_expected_lifetime(d).unwrap();
    let del_int = beta_expectation(a, b, |th| 1.0 / (1.0 - (1.0 - th) * z));
    assert!((del - del_int).abs() < 1e-7 * del_int, "{del} vs {del_int}");
    for n in [0u32, 4, 20] {
        let derl = m.discounted_expected_residual_lifetime(d, n).unwrap();
        let nf = f64::from(n);
        let derl_int = beta_expectation(a, b + nf, |th| (1.0 - th) / (1.0 - (1.0 - th) * z));
        assert!(
            (derl - derl_int).abs() < 1e-7 * derl_int,
            "n={n}: {derl} vs {derl_int}"
        );
    }
    // DEL = S(0) + z DERL(0): the first period plus the discounted residual.
    let derl0 = m.discounted_expected_residual_lifetime(d, 0).unwrap();
    assert!((del - (1.0 + z * derl0)).abs() < 1e-12 * del);
    assert!(m.discounted_expected_lifetime(0.0).is_err());
    assert!(m.discounted_expected_lifetime(-0.1).is_err());
}

#[test]
fn no_churn_is_a_boundary_fit_with_finite_predictions() {
    let data = SurvivorData::new(&[500.0; 6]).unwrap();
    let f = ShiftedBetaGeometric::fit(&data, &FitOptions::default()).unwrap();
    assert!(!f.report.at_boundary.is_empty(), "{:?}", f.report);
    assert!(!f.report.warnings.is_empty());
    assert!(f.report.log_likelihood.is_finite() && f.report.log_likelihood > -1e-3);
    let m = f.model;
    let s = m.survival(10).unwrap();
    assert!(s.is_finite() && s > 0.99, "S(10) = {s}");
    assert!(m.churn_probability(3).unwrap().is_finite());
    assert!(m.retention_rate(3).unwrap().is_finite());
    let del = m.discounted_expected_lifetime(0.1).unwrap();
    // Nobody churns: DEL approaches sum of 1.1^-t = 11.
    assert!(
        del.is_finite() && del > 10.9 && del <= 11.0 + 1e-9,
        "DEL {del}"
    );
    assert!(
        m.discounted_expected_residual_lifetime(0.1, 5)
            .unwrap()
            .is_finite()
    );
}

#[test]
fn extreme_parameters_stay_finite() {
    let m = ShiftedBetaGeometric::from_params(&[1e-9, 1e9]).unwrap();
    assert!(m.survival(1000).unwrap().is_finite());
    assert!(m.churn_probability(1000).unwrap() >= 0.0);
    assert!(ShiftedBetaGeometric::from_params(&[0.0, 1.0]).is_err());
    assert!(ShiftedBetaGeometric::from_params(&[1.0]).is_err());
    // Outside the crate an invalid model cannot be built at all.
    assert!(ShiftedBetaGeometric::new(-1.0, 1.0).is_err());
}
