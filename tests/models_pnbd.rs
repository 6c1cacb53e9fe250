//! Pareto/NBD against the published CDNOW estimates and `lifetimes` predictions, plus
//! gradient, probability and DERT checks that need no data.

mod common;

use clv::models::pnbd::ParetoNbd;
use clv::models::{FitOptions, Model, RfmData, TransactionModel};
use common::rel;

#[test]
#[cfg_attr(
    not(clv_datasets),
    ignore = "needs the reference datasets: set CLV_DATASETS"
)]
fn cdnow_fit_matches_published_estimates_and_standard_errors() {
    let Some(s) = common::cdnow_summary() else {
        return;
    };
    let data = RfmData::new(&s.x, &s.t_x, &s.t, None).unwrap();
    let fit = ParetoNbd::fit(&data, &FitOptions::default()).unwrap();
    let e = &fit.report.estimates;
    eprintln!(
        "Pareto/NBD on CDNOW: {e:?} LL {} SE {:?}",
        fit.report.log_likelihood, fit.report.std_errors
    );
    assert!(
        (fit.report.log_likelihood - -9594.98).abs() < 0.01,
        "{}",
        fit.report.log_likelihood
    );
    for (got, want) in e.iter().zip([0.5532, 10.5763, 0.6063]) {
        assert!(rel(*got, want) < 1e-3, "{e:?}");
    }
    assert!(rel(e[3], 11.67) < 1e-2, "{e:?}");
    for (se, want) in fit.report.std_errors.iter().zip([0.048, 0.84, 0.19, 6.2]) {
        assert!(rel(se.unwrap(), want) < 0.05, "{:?}", fit.report.std_errors);
    }
}

#[test]
#[cfg_attr(
    not(clv_datasets),
    ignore = "needs the reference datasets: set CLV_DATASETS"
)]
fn cdnow_predictions_match_lifetimes() {
    let (Some(s), Some(json)) = (common::cdnow_summary(), common::reference_predictions()) else {
        return;
    };
    let p = &json["pnbd"]["params"];
    let params: Vec<f64> = ["r", "alpha", "s", "beta"]
        .iter()
        .map(|n| p[*n].as_f64().unwrap())
        .collect();
    let m = ParetoNbd::from_params(&params).unwrap();
    for (id, want) in json["pnbd"]["p_alive"].as_object().unwrap() {
        let i = s.ids.iter().position(|v| v == id).unwrap();
        let got = m.p_alive(s.x[i], s.t_x[i], s.t[i]);
        assert!(
            rel(got, want.as_f64().unwrap()) < 1e-4,
            "p_alive {id}: {got} vs {want}"
        );
    }
    for (id, want) in json["pnbd"]["expected_purchases_next_39wk"]
        .as_object()
        .unwrap()
    {
        let i = s.ids.iter().position(|v| v == id).unwrap();
        let got = m.expected_purchases(39.0, s.x[i], s.t_x[i], s.t[i]);
        assert!(
            rel(got, want.as_f64().unwrap()) < 1e-4,
            "E {id}: {got} vs {want}"
        );
    }
}

fn synthetic() -> RfmData {
    let x = [0.0, 1.0, 2.0, 5.0, 30.0, 0.0, 3.0, 1.0, 400.0];
    let t_x = [0.0, 3.5, 20.0, 30.1, 38.0, 0.0, 10.0, 38.0, 35.0];
    let t = [38.0, 38.0, 38.0, 38.0, 38.5, 10.0, 12.0, 38.0, 39.0];
    RfmData::new(
        &x,
        &t_x,
        &t,
        Some(&[5.0, 1.0, 2.0, 1.0, 1.0, 3.0, 1.0, 1.0, 1.0]),
    )
    .unwrap()
}

#[test]
fn gradient_matches_central_differences() {
    let d = synthetic();
    // α < β, α > β, α ≈ β, and a far-away point.
    let points = [
        [0.5533, 10.5774, 0.6061, 11.6646],
        [1.3, 20.0, 2.5, 3.0],
        [0.8, 7.0, 0.4, 7.000001],
        [0.05, 0.5, 8.0, 90.0],
    ];
    for p in points {
        let g = ParetoNbd::from_params(&p).unwrap().gradient(&d);
        for k in 0..4 {
            let h = 1e-6 * p[k];
            let (mut up, mut dn) = (p, p);
            up[k] += h;
            dn[k] -= h;
            let fd = (ParetoNbd::from_params(&up).unwrap().log_likelihood(&d)
                - ParetoNbd::from_params(&dn).unwrap().log_likelihood(&d))
                / (2.0 * h);
            assert!(
                (g[k] - fd).abs() <= 1e-5 * g[k].abs().max(1.0),
                "{p:?} #{k}: {} vs {fd}",
                g[k]
            );
        }
    }
}

#[test]
fn likelihood_is_continuous_across_alpha_equal_beta() {
    // The two branches of A₀ must agree where they meet.
    let d = synthetic();
    let ll = |b: f64| ParetoNbd::new(0.7, 9.0, 0.9, b).unwrap().log_likelihood(&d);
    let (lo, at, hi) = (ll(9.0 - 1e-9), ll(9.0), ll(9.0 + 1e-9));
    assert!(
        (lo - at).abs() < 1e-8 && (hi - at).abs() < 1e-8,
        "{lo} {at} {hi}"
    );
}

#[test]
fn probabilities_sum_to_one_and_match_expectations() {
    let m = ParetoNbd::new(0.5533, 10.5774, 0.6061, 11.6646).unwrap();
    let histories = [
        (0.0, 0.0, 0.0),
        (0.0, 0.0, 30.0),
        (4.0, 20.0, 39.0),
        (60.0, 38.0, 39.0),
    ];
    common::assert_purchase_distribution(&m, &histories, 26.0, 400, 1e-7);
    assert_eq!(
        m.prob_n_purchases_new(1, 10.0),
        m.prob_n_purchases(1, 10.0, 0.0, 0.0, 0.0)
    );
}

#[test]
fn expected_purchases_is_continuous_at_s_equal_one() {
    let at = |s: f64| {
        ParetoNbd::new(0.5, 5.0, s, 8.0)
            .unwrap()
            .expected_purchases(39.0, 3.0, 20.0, 39.0)
    };
    let (lo, mid, hi) = (at(1.0 - 1e-7), at(1.0), at(1.0 + 1e-7));
    assert!(mid.is_finite() && (lo - mid).abs() < 1e-6 * mid && (hi - mid).abs() < 1e-6 * mid);
}

/// ∫_0^∞ e^{−δτ} f(τ) dτ by the substitution τ = u/(1−u) and composite Simpson on [0, 1).
fn discounted_integral(delta: f64, f: impl Fn(f64) -> f64) -> f64 {
    let n = 2_000_000;
    let h = 1.0 / n as f64;
    let g = |u: f64| {
        if u >= 1.0 {
            return 0.0;
        }
        let tau = u / (1.0 - u);
        (-delta * tau).exp() * f(tau) / ((1.0 - u) * (1.0 - u))
    };
    let mut s = g(0.0) + g(1.0);
    for i in 1..n {
        s += g(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

#[test]
fn dert_matches_numeric_integration() {
    // DERT = ∫ e^{−δτ} dE[Y(τ)]/dτ dτ, and dE[Y(τ)]/dτ = P(alive) (r+x)/(α+T) ((β+T)/(β+T+τ))^s.
    for (m, delta) in [
        (
            ParetoNbd::new(0.5533, 10.5774, 0.6061, 11.6646).unwrap(),
            0.15 / 52.0 * 10.0,
        ),
        (ParetoNbd::new(1.2, 4.0, 2.5, 30.0).unwrap(), 0.01),
        (ParetoNbd::new(0.3, 2.0, 1.0, 5.0).unwrap(), 0.05),
    ] {
        for &(x, t_x, t) in &[(2.0, 30.43, 38.86), (0.0, 0.0, 38.86)] {
            let pa = m.p_alive(x, t_x, t);
            let rate = |tau: f64| {
                pa * (m.r() + x) / (m.alpha() + t)
                    * ((m.beta() + t) / (m.beta() + t + tau)).powf(m.s())
            };
            let want = discounted_integral(delta, rate);
            let got = m.dert(delta, x, t_x, t);
            assert!(rel(got, want) < 1e-7, "{m:?} δ={delta}: {got} vs {want}");
        }
    }
    assert!(
        ParetoNbd::new(1.0, 1.0, 1.0, 1.0)
            .unwrap()
            .dert(0.0, 1.0, 1.0, 2.0)
            .is_nan()
    );
}
