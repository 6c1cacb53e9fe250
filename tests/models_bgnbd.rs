//! BG/NBD against the published CDNOW estimates and the `lifetimes` reference predictions,
//! plus gradient, probability and simulation checks that need no data.

mod common;

use clv::models::bgnbd::BgNbd;
use clv::models::{FitOptions, Model, RfmData, TransactionModel};
use common::rel;

fn reference_model(json: &serde_json::Value, key: &str) -> Vec<f64> {
    let p = &json[key]["params"];
    let names: &[&str] = if key == "pnbd" {
        &["r", "alpha", "s", "beta"]
    } else {
        &["r", "alpha", "a", "b"]
    };
    names.iter().map(|n| p[*n].as_f64().unwrap()).collect()
}

#[test]
#[cfg_attr(
    not(clv_datasets),
    ignore = "needs the reference datasets: set CLV_DATASETS"
)]
fn cdnow_fit_matches_published_estimates() {
    let Some(s) = common::cdnow_summary() else {
        return;
    };
    let data = RfmData::new(&s.x, &s.t_x, &s.t, None).unwrap();
    let fit = BgNbd::fit(&data, &FitOptions::default()).unwrap();
    let want = [0.2426, 4.4136, 0.7929, 2.4259];
    for (got, want) in fit.report.estimates.iter().zip(want) {
        assert!(rel(*got, want) < 1e-3, "{:?}", fit.report.estimates);
    }
    assert!(
        (fit.report.log_likelihood - -9582.43).abs() < 0.01,
        "{}",
        fit.report.log_likelihood
    );
    assert!(fit.report.converged && fit.report.at_boundary.is_empty());
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
    let m = BgNbd::from_params(&reference_model(&json, "bgnbd")).unwrap();
    let refs = &json["bgnbd"];
    for (id, want) in refs["p_alive"].as_object().unwrap() {
        let i = s.ids.iter().position(|v| v == id).unwrap();
        let got = m.p_alive(s.x[i], s.t_x[i], s.t[i]);
        assert!(
            rel(got, want.as_f64().unwrap()) < 1e-4,
            "p_alive {id}: {got} vs {want}"
        );
    }
    for (id, want) in refs["expected_purchases_next_39wk"].as_object().unwrap() {
        let i = s.ids.iter().position(|v| v == id).unwrap();
        let got = m.expected_purchases(39.0, s.x[i], s.t_x[i], s.t[i]);
        assert!(
            rel(got, want.as_f64().unwrap()) < 1e-4,
            "E {id}: {got} vs {want}"
        );
    }
    let got = m.expected_purchases_new(78.0);
    let want = refs["unconditional_expected_purchases_by_week_78"]
        .as_f64()
        .unwrap();
    assert!(rel(got, want) < 1e-4, "{got} vs {want}");
    // The paper's worked example: customer 1 expects 1.226 purchases in the next 39 weeks.
    let published = BgNbd::new(0.2426, 4.4136, 0.7929, 2.4259).unwrap();
    assert!((published.expected_purchases(39.0, 2.0, 30.43, 38.86) - 1.226).abs() < 5e-4);
}

fn points() -> Vec<BgNbd> {
    vec![
        BgNbd::new(0.2426, 4.4136, 0.7929, 2.4259).unwrap(),
        BgNbd::new(1.7, 0.8, 3.2, 0.6).unwrap(),
        BgNbd::new(0.05, 40.0, 1.0, 12.0).unwrap(),
    ]
}

fn synthetic() -> RfmData {
    let x = [0.0, 1.0, 2.0, 5.0, 30.0, 0.0, 3.0, 1.0];
    let t_x = [0.0, 3.5, 20.0, 30.1, 38.0, 0.0, 10.0, 38.0];
    let t = [38.0, 38.0, 38.0, 38.0, 38.5, 10.0, 12.0, 38.0];
    RfmData::new(
        &x,
        &t_x,
        &t,
        Some(&[5.0, 1.0, 2.0, 1.0, 1.0, 3.0, 1.0, 1.0]),
    )
    .unwrap()
}

#[test]
fn gradient_matches_central_differences() {
    let d = synthetic();
    for m in points() {
        let g = m.gradient(&d);
        let p = m.params();
        for k in 0..4 {
            let h = 1e-6 * p[k];
            let mut up = p.clone();
            let mut dn = p.clone();
            up[k] += h;
            dn[k] -= h;
            let fd = (BgNbd::from_params(&up).unwrap().log_likelihood(&d)
                - BgNbd::from_params(&dn).unwrap().log_likelihood(&d))
                / (2.0 * h);
            assert!(
                (g[k] - fd).abs() <= 1e-5 * g[k].abs().max(1.0),
                "{m:?} #{k}: {} vs {fd}",
                g[k]
            );
        }
    }
}

#[test]
fn probabilities_sum_to_one_and_match_expectations() {
    for m in points() {
        for &(x, t_x, t) in &[(0.0, 0.0, 0.0), (0.0, 0.0, 30.0), (4.0, 20.0, 39.0)] {
            let h = 26.0;
            let (mut total, mut mean) = (0.0, 0.0);
            for n in 0..3000 {
                let p = if t == 0.0 {
                    m.prob_n_purchases_new(n, h)
                } else {
                    m.prob_n_purchases(n, h, x, t_x, t)
                };
                assert!((0.0..=1.0 + 1e-12).contains(&p));
                total += p;
                mean += n as f64 * p;
            }
            let e = if t == 0.0 {
                m.expected_purchases_new(h)
            } else {
                m.expected_purchases(h, x, t_x, t)
            };
            assert!((total - 1.0).abs() < 1e-9, "{m:?}: total {total}");
            assert!(rel(mean, e) < 1e-7, "{m:?} ({x},{t_x},{t}): {mean} vs {e}");
        }
    }
}

#[test]
fn p_alive_is_one_without_repeat_purchases() {
    for m in points() {
        assert_eq!(m.p_alive(0.0, 0.0, 38.0), 1.0);
        assert!(m.p_alive(3.0, 1.0, 38.0) < m.p_alive(3.0, 37.0, 38.0));
    }
}

#[test]
fn expected_purchases_is_continuous_at_a_equal_one() {
    let at = |a: f64| {
        BgNbd::new(0.5, 5.0, a, 2.0)
            .unwrap()
            .expected_purchases(39.0, 3.0, 20.0, 39.0)
    };
    let (lo, mid, hi) = (at(1.0 - 1e-7), at(1.0), at(1.0 + 1e-7));
    assert!(mid.is_finite() && (lo - mid).abs() < 1e-6 * mid && (hi - mid).abs() < 1e-6 * mid);
}

#[test]
fn refits_simulated_data_near_the_truth() {
    // A seeded simulation of the model itself, so the test is deterministic.
    use rand::{Rng, SeedableRng};
    use rand_distr::{Beta, Distribution, Gamma};
    let truth = BgNbd::new(0.8, 5.0, 1.2, 3.0).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let gam = Gamma::new(truth.r(), 1.0 / truth.alpha()).unwrap();
    let bet = Beta::new(truth.a(), truth.b()).unwrap();
    let (mut xs, mut txs, mut ts) = (vec![], vec![], vec![]);
    for _ in 0..20_000 {
        let lambda: f64 = gam.sample(&mut rng);
        let p: f64 = bet.sample(&mut rng);
        let t_end = 52.0;
        let (mut now, mut x, mut t_x) = (0.0, 0.0, 0.0);
        loop {
            now += -(1.0 - rng.random::<f64>()).ln() / lambda;
            if now > t_end {
                break;
            }
            x += 1.0;
            t_x = now;
            if rng.random::<f64>() < p {
                break;
            }
        }
        xs.push(x);
        txs.push(t_x);
        ts.push(t_end);
    }
    let d = RfmData::new(&xs, &txs, &ts, None).unwrap();
    let fit = BgNbd::fit(&d, &FitOptions::default()).unwrap();
    for (got, want) in fit.report.estimates.iter().zip(truth.params()) {
        assert!(rel(*got, want) < 0.15, "{:?}", fit.report.estimates);
    }
}

/// P(X(t) = n) of a new customer at R BTYD's parameters, the values BTYD's `bgnbd.pmf` gives
/// and lifetimes' `probability_of_n_purchases_up_to_time` test reproduces
/// (tests/test_estimation.py, test_probability_of_n_purchases_up_to_time_same_as_R_BTYD).
#[test]
fn new_customer_pmf_matches_r_btyd() {
    let [r, alpha, a, b] = common::BTYD_BGNBD_PARAMS;
    let m = BgNbd::new(r, alpha, a, b).unwrap();
    let tm: &dyn TransactionModel = &m;
    assert!(rel(tm.prob_n_purchases_new(10, 2.0), 1.07869e-07) < 1e-5);
    assert!(rel(tm.prob_n_purchases_new(0, 39.0), 0.5737864) < 1e-6);
    let btyd = common::BTYD_BGNBD_PMF_T30_N11_20;
    for (n, want) in (11..21).zip(btyd) {
        let got = tm.prob_n_purchases_new(n, 30.0);
        assert!(rel(got, want) < 1e-6, "P(X(30) = {n}) = {got}, BTYD {want}");
    }
}

/// 20 customers with a common dropout probability (homogeneous dropout): the fit runs a and
/// b off to infinity with a/(a+b) finite, where every prediction used to be NaN. The
/// predictions must be those of the limit, dropout with the fixed probability
/// p = a/(a+b): E[X(h) | alive at T] = (1 − ((α+T)/(α+T+ph))^{r+x})/p, and P(alive) from
/// the likelihood with p fixed, 1/(1 + p/(1−p) ((α+T)/(α+t_x))^{r+x}).
#[test]
fn homogeneous_dropout_fit_predicts_the_limit() {
    use rand::{Rng, SeedableRng};
    use rand_distr::{Distribution, Exp, Gamma};
    let mut found = None;
    for seed in 0..200u64 {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let (mut x, mut t_x, mut t) = (vec![], vec![], vec![]);
        for _ in 0..20 {
            let lambda: f64 = Gamma::new(2.0, 1.0 / 8.0).unwrap().sample(&mut rng);
            let age = 39.0;
            let (mut n, mut last, mut now) = (0.0, 0.0, 0.0);
            loop {
                now += Exp::new(lambda).unwrap().sample(&mut rng);
                if now > age {
                    break;
                }
                n += 1.0;
                last = now;
                if rng.random::<f64>() < 0.3 {
                    break;
                }
            }
            x.push(n);
            t_x.push(last);
            t.push(age);
        }
        let data = RfmData::new(&x, &t_x, &t, None).unwrap();
        let fit = BgNbd::fit(&data, &FitOptions::default()).unwrap();
        if fit.model.a() > 1e6 && fit.model.b() > 1e6 {
            found = Some((fit, x, t_x, t));
            break;
        }
    }
    let (fit, x, t_x, t) = found.expect("some seed gives a fit with a, b -> infinity");
    let m = fit.model;
    let (r, alpha) = (m.r(), m.alpha());
    let p = m.a() / (m.a() + m.b());
    assert!(!fit.report.at_boundary.is_empty(), "{:?}", fit.report);
    for i in 0..x.len() {
        let k = r + x[i];
        let pa = m.p_alive(x[i], t_x[i], t[i]);
        let ratio = ((alpha + t[i]) / (alpha + t_x[i])).powf(k);
        let pa_limit = if x[i] > 0.0 {
            1.0 / (1.0 + p / (1.0 - p) * ratio)
        } else {
            1.0
        };
        // a/(b+x−1) differs from p/(1−p) by O(x/b) at finite b.
        assert!((pa - pa_limit).abs() < 1e-5, "{pa} vs {pa_limit}");
        for h in [1.0, 39.0, 520.0] {
            let e = m.expected_purchases(h, x[i], t_x[i], t[i]);
            let e_alive = -(-k * (p * h / (alpha + t[i])).ln_1p()).exp_m1() / p;
            let limit = pa_limit * e_alive;
            assert!(
                e.is_finite() && rel(e, limit) < 1e-4,
                "h={h}: {e} vs {limit}"
            );
        }
    }
}

/// Everyone with T = 0: the likelihood is flat (identically 0), the optimiser never leaves
/// its start, and the fit must say so rather than claim convergence.
#[test]
fn a_fit_on_all_t_zero_says_it_stopped_at_its_start() {
    use clv::models::registry::{self, ModelKind};
    use clv::optim::Termination;
    let zeros = [0.0; 5];
    let data = RfmData::new(&zeros, &zeros, &zeros, None).unwrap();
    for kind in [ModelKind::BgNbd, ModelKind::MbgNbd, ModelKind::ParetoNbd] {
        let fit = registry::fit(
            kind,
            clv::models::FitData::Transaction(&data),
            &FitOptions::default(),
            "week",
        )
        .unwrap();
        let report = &fit.saved.fit;
        assert_eq!(report.iterations, 0, "{kind}");
        assert!(!report.converged, "{kind}");
        assert_eq!(report.termination(), Termination::AtStart, "{kind}");
        let text = clv::report::text::describe_fit(&fit.saved);
        assert!(
            text.contains("converged: no (stopped at the starting point)"),
            "{text}"
        );
    }
}

/// Property dataset #99 (huge ages) with the boundary stop on: the fit ends at a, b ~ 1e43,
/// where the Beta quadrature's weight underflowed and a new customer's E[X(h)] was NaN.
/// Beta(a, b) is then a point mass at a/(a+b); with a, b scaled down to ~1e13 (the quadrature
/// path, variance still ~1e-14 of the mean's square) the value must agree.
#[test]
fn new_customer_expectation_is_finite_at_a_and_b_near_1e43() {
    let (r, alpha, a, b) = (
        0.1417397117534937,
        76004.26648134895,
        4.332317500856275e42,
        8.21683933174737e43,
    );
    let huge = BgNbd::new(r, alpha, a, b).unwrap();
    let large = BgNbd::new(r, alpha, a * 1e-30, b * 1e-30).unwrap();
    for h in [1.0, 39.0, 520.0] {
        let (got, near) = (
            huge.expected_purchases_new(h),
            large.expected_purchases_new(h),
        );
        assert!(got.is_finite() && got > 0.0, "E[X({h})] = {got}");
        assert!((got / near - 1.0).abs() < 1e-9, "h={h}: {got} vs {near}");
    }
}
