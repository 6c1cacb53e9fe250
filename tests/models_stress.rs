//! Extreme inputs for the three transaction models: thousands of purchases, t_x = T, long
//! ages, and data from which no dropout can be detected. Fits must succeed and every
//! prediction must be a finite number.

use std::time::Instant;

use clv::models::bgnbd::BgNbd;
use clv::models::mbgnbd::MbgNbd;
use clv::models::pnbd::ParetoNbd;
use clv::models::{FitOptions, Fitted, Model, RfmData, TransactionModel};

/// Heavy buyers (x up to 5,000, many with t_x = T, T up to 500) mixed with ordinary ones.
fn heavy_summary() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (mut x, mut t_x, mut t) = (vec![], vec![], vec![]);
    for i in 0..300usize {
        let age = 10.0 + (i % 50) as f64 * 9.8; // up to 490.2
        let (xi, txi) = match i % 6 {
            0 => (0.0, 0.0),
            1 => (1.0, age * 0.3),
            2 => (3.0, age * 0.9),
            3 => ((5000.0 * (i as f64 / 300.0)).round().max(1.0), age),
            4 => (5000.0, age),
            _ => (40.0, age * 0.5),
        };
        x.push(xi);
        t_x.push(txi);
        t.push(if i % 6 == 4 { 500.0 } else { age });
    }
    (x, t_x, t)
}

/// Everyone buys every week until the end of observation: no dropout is detectable.
fn no_dropout_summary() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (mut x, mut t_x, mut t) = (vec![], vec![], vec![]);
    for i in 0..500usize {
        let age = 20.0 + (i % 30) as f64;
        let every = 1.0 + (i % 3) as f64; // a purchase every 1, 2 or 3 weeks
        let n = (age / every).floor();
        x.push(n);
        t_x.push(n * every);
        t.push(age);
    }
    (x, t_x, t)
}

fn check_predictions<M: TransactionModel + std::fmt::Debug>(
    m: &M,
    x: &[f64],
    t_x: &[f64],
    t: &[f64],
) {
    for i in 0..x.len() {
        let vals = [
            m.p_alive(x[i], t_x[i], t[i]),
            m.expected_purchases(52.0, x[i], t_x[i], t[i]),
            m.expected_purchases(1000.0, x[i], t_x[i], t[i]),
            m.prob_n_purchases(0, 52.0, x[i], t_x[i], t[i]),
            m.prob_n_purchases(3, 52.0, x[i], t_x[i], t[i]),
        ];
        assert!(
            vals.iter().all(|v| v.is_finite() && *v >= 0.0),
            "{m:?} at ({}, {}, {}): {vals:?}",
            x[i],
            t_x[i],
            t[i]
        );
        assert!(vals[0] <= 1.0 && vals[3] <= 1.0 + 1e-12 && vals[4] <= 1.0 + 1e-12);
    }
    assert!(m.expected_purchases_new(52.0).is_finite());
}

fn fit<M: Model<Data = RfmData>>(x: &[f64], t_x: &[f64], t: &[f64]) -> Fitted<M> {
    let d = RfmData::new(x, t_x, t, None).unwrap();
    let fit = M::fit(&d, &FitOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", M::NAME));
    assert!(fit.report.log_likelihood.is_finite());
    assert!(
        fit.report
            .estimates
            .iter()
            .all(|v| v.is_finite() && *v > 0.0)
    );
    fit
}

#[test]
fn heavy_buyers_fit_and_predict_finitely() {
    let (x, t_x, t) = heavy_summary();
    let m = fit::<BgNbd>(&x, &t_x, &t).model;
    check_predictions(&m, &x, &t_x, &t);
    let m = fit::<MbgNbd>(&x, &t_x, &t).model;
    check_predictions(&m, &x, &t_x, &t);
    let m = fit::<ParetoNbd>(&x, &t_x, &t).model;
    check_predictions(&m, &x, &t_x, &t);
    for i in 0..x.len() {
        assert!(m.dert(0.001, x[i], t_x[i], t[i]).is_finite());
    }
}

#[test]
fn undetectable_dropout_is_reported_not_an_error() {
    let (x, t_x, t) = no_dropout_summary();
    let f = fit::<BgNbd>(&x, &t_x, &t);
    assert!(
        !f.report.at_boundary.is_empty() || !f.report.warnings.is_empty(),
        "{:?}",
        f.report
    );
    check_predictions(&f.model, &x, &t_x, &t);
    let f = fit::<MbgNbd>(&x, &t_x, &t);
    assert!(
        !f.report.at_boundary.is_empty() || !f.report.warnings.is_empty(),
        "{:?}",
        f.report
    );
    check_predictions(&f.model, &x, &t_x, &t);
    let f = fit::<ParetoNbd>(&x, &t_x, &t);
    assert!(
        !f.report.at_boundary.is_empty() || !f.report.warnings.is_empty(),
        "{:?}",
        f.report
    );
    check_predictions(&f.model, &x, &t_x, &t);
}

#[test]
fn extreme_parameters_give_finite_values() {
    let cases = [
        (5000.0, 500.0, 500.0),
        (5000.0, 1.0, 500.0),
        (0.0, 0.0, 500.0),
        (1.0, 1e-3, 1e3),
    ];
    for p in [
        [1e-4, 1e-4, 1e-4, 1e-4],
        [1e4, 1e4, 1e4, 1e4],
        [0.3, 1e6, 1e-3, 1e7],
        [50.0, 0.01, 0.02, 1e3],
    ] {
        let b = BgNbd::from_params(&p).unwrap();
        let m = MbgNbd::from_params(&p).unwrap();
        let pn = ParetoNbd::from_params(&p).unwrap();
        for &(x, t_x, t) in &cases {
            for v in [
                b.p_alive(x, t_x, t),
                b.expected_purchases(52.0, x, t_x, t),
                m.p_alive(x, t_x, t),
                m.expected_purchases(52.0, x, t_x, t),
                pn.p_alive(x, t_x, t),
                pn.expected_purchases(52.0, x, t_x, t),
            ] {
                assert!(v.is_finite() && v >= 0.0, "{p:?} ({x},{t_x},{t}): {v}");
            }
        }
    }
}

#[test]
fn many_patterns_use_the_parallel_path_consistently() {
    // 200,000 distinct patterns: the parallel sum must equal the sequential one over chunks.
    let n = 200_000;
    let x: Vec<f64> = (0..n).map(|i| (i % 37) as f64).collect();
    let t: Vec<f64> = (0..n).map(|i| 30.0 + (i % 1000) as f64 * 0.01).collect();
    let t_x: Vec<f64> = (0..n)
        .map(|i| {
            if x[i] == 0.0 {
                0.0
            } else {
                t[i] * ((i * 7919) % 1000) as f64 / 1000.0
            }
        })
        .collect();
    let all = RfmData::new(&x, &t_x, &t, None).unwrap();
    assert!(all.patterns() > 5_000);
    let m = ParetoNbd::new(0.55, 10.6, 0.61, 11.7).unwrap();
    let start = Instant::now();
    let ll = m.log_likelihood(&all);
    let g = m.gradient(&all);
    eprintln!(
        "Pareto/NBD LL + gradient over {} patterns: {:?}",
        all.patterns(),
        start.elapsed()
    );
    let mut ll_chunks = 0.0;
    let mut g_chunks = [0.0; 4];
    for c in 0..(n / 4000) {
        let r = c * 4000..(c + 1) * 4000;
        let d = RfmData::new(&x[r.clone()], &t_x[r.clone()], &t[r], None).unwrap();
        ll_chunks += m.log_likelihood(&d);
        for (k, v) in m.gradient(&d).iter().enumerate() {
            g_chunks[k] += v;
        }
    }
    assert!((ll - ll_chunks).abs() < 1e-9 * ll.abs());
    for k in 0..4 {
        assert!((g[k] - g_chunks[k]).abs() < 1e-8 * g[k].abs().max(1.0));
    }
}

/// Homogeneous customers (everyone buys at rate 1 a week and leaves at rate 0.1): the fit runs
/// off to the boundary (r, α → ∞ with r/α the common rate). It used to take minutes, summing
/// 2F1 series of millions of terms that no pattern read; it must stop on the boundary, say so,
/// and predict what the homogeneous process implies.
#[test]
fn homogeneous_customers_fit_on_the_boundary_and_predict_the_common_rates() {
    use clv::models::AnyModel;
    use clv::simulate::{SimulationSpec, SpendProcess, simulate};
    let process =
        AnyModel::from_params(clv::models::ModelKind::ParetoNbd, &[1e4, 1e4, 1e4, 1e5]).unwrap();
    let spec = SimulationSpec {
        process,
        spend: SpendProcess {
            p: 6.0,
            q: 4.0,
            gamma: 15.0,
        },
        customers: 1500,
        acquisition_periods: 12.0,
        horizon_periods: 78.0,
        covariates: None,
        seed: 4,
    };
    let customers = simulate(&spec).unwrap();
    let (mut x, mut t_x, mut t) = (vec![], vec![], vec![]);
    for c in &customers {
        // Whole days, as a summary of dated orders has them.
        let (xi, txi, ti, _) = c.summary_at(78.0);
        x.push(xi);
        t_x.push((txi * 7.0).round() / 7.0);
        t.push((ti * 7.0).round() / 7.0);
    }
    let data = RfmData::new(&x, &t_x, &t, None).unwrap();
    let start = Instant::now();
    let fitted = ParetoNbd::fit(&data, &FitOptions::default()).unwrap();
    let seconds = start.elapsed().as_secs_f64();
    let r = &fitted.report;
    assert!(r.log_likelihood.is_finite());
    assert!(
        r.at_boundary.iter().any(|p| p == "r" || p == "alpha"),
        "a homogeneous purchase rate must be reported on the boundary: {:?}",
        r.at_boundary
    );
    let m = &fitted.model;
    assert!(
        ((m.r() / m.alpha()) - 1.0).abs() < 0.05,
        "rate {}",
        m.r() / m.alpha()
    );
    // An alive customer of the common process buys about 1 a week.
    let e = m.expected_purchases(1.0, 10.0, 10.0, 10.0);
    assert!(e > 0.7 && e < 1.05, "expected purchases in a week {e}");
    // Reported, not asserted: timings are benchmarks (it took minutes before, < 1 s after).
    eprintln!("homogeneous Pareto/NBD fit: {seconds:.2} s");

    // GGom/NBD nests Pareto/NBD and runs to the same place. Its integrals used to lose all
    // precision there (k·ln(α+τ) ~ 1e8 minus its value at the lower limit), so the panel
    // quadrature refined to its cap on every pair: minutes per fit.
    let start = Instant::now();
    let g = clv::models::ggomnbd::GgomNbd::fit(&data, &FitOptions::default()).unwrap();
    eprintln!(
        "homogeneous GGom/NBD fit: {:.2} s",
        start.elapsed().as_secs_f64()
    );
    assert!(
        g.report.log_likelihood >= r.log_likelihood - 0.05,
        "GGom/NBD {} below the nested Pareto/NBD {}",
        g.report.log_likelihood,
        r.log_likelihood
    );
    assert!(!g.report.at_boundary.is_empty());
    let e = g.model.expected_purchases(1.0, 10.0, 10.0, 10.0);
    assert!(
        e > 0.7 && e < 1.05,
        "GGom/NBD expected purchases in a week {e}"
    );
}

/// The Pareto/NBD gradient at the parameters fits run off to (s, β → ∞; r, α → ∞; α > β with
/// a large s; heavy buyers), where the likelihood's terms are relative to τ = 0 and A₀ comes
/// from the Euler-transformed series or the quadrature: it must match central differences.
#[test]
fn pareto_nbd_gradient_matches_central_differences_at_extreme_parameters() {
    let (x, t_x, t) = heavy_summary();
    let mut xs = vec![0.0, 1.0, 2.0, 7.0, 0.0];
    let mut txs = vec![0.0, 20.0, 30.4, 5.0, 0.0];
    let mut ts = vec![38.9, 38.9, 38.9, 52.0, 10.0];
    // A few heavy buyers from the stress summary (x up to 5,000).
    for i in (0..x.len()).step_by(23) {
        xs.push(x[i]);
        txs.push(t_x[i]);
        ts.push(t[i]);
    }
    let d = RfmData::new(&xs, &txs, &ts, None).unwrap();
    for p in [
        [0.55, 10.5, 1e6, 2e7],
        [0.55, 10.5, 1e9, 2e10],
        [2.5e5, 4e6, 0.6, 11.7],
        [0.9, 3e5, 2e4, 1e5],
        [1.3, 2.0, 3.5, 0.4],
    ] {
        let m = ParetoNbd::from_params(&p).unwrap();
        let g = m.gradient(&d);
        for k in 0..4 {
            // Central differences in ln θ_k: their truncation error is relative to θ_k.
            let h: f64 = 1e-5;
            let (mut up, mut dn) = (p, p);
            up[k] *= h.exp();
            dn[k] *= (-h).exp();
            let ll = |q: [f64; 4]| ParetoNbd::from_params(&q).unwrap().log_likelihood(&d);
            let fd = (ll(up) - ll(dn)) / (2.0 * h);
            let analytic = g[k] * p[k];
            assert!(
                (analytic - fd).abs() <= 1e-5 * analytic.abs().max(1.0),
                "{p:?} d/d ln θ{k}: {analytic} vs {fd}"
            );
        }
    }
}
