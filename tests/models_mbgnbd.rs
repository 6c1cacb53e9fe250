//! MBG/NBD: CDNOW fit against `lifetimes`, the paper's closed forms, gradient and probability
//! checks.

mod common;

use clv::math::special::hyp2f1;
use clv::models::mbgnbd::MbgNbd;
use clv::models::{FitOptions, Model, RfmData, TransactionModel};
use common::rel;

#[test]
#[cfg_attr(
    not(clv_datasets),
    ignore = "needs the reference datasets: set CLV_DATASETS"
)]
fn cdnow_fit_is_near_lifetimes_and_at_least_as_likely() {
    let (Some(s), Some(json)) = (common::cdnow_summary(), common::reference_predictions()) else {
        return;
    };
    let data = RfmData::new(&s.x, &s.t_x, &s.t, None).unwrap();
    let fit = MbgNbd::fit(&data, &FitOptions::default()).unwrap();
    let p = &json["mbgnbd"]["params"];
    let theirs: Vec<f64> = ["r", "alpha", "a", "b"]
        .iter()
        .map(|n| p[*n].as_f64().unwrap())
        .collect();
    let ll_theirs = MbgNbd::from_params(&theirs).unwrap().log_likelihood(&data);
    eprintln!(
        "MBG/NBD on CDNOW: ours {:?} LL {:.4}; lifetimes {:?} LL {:.4}",
        fit.report.estimates, fit.report.log_likelihood, theirs, ll_theirs
    );
    assert!(fit.report.log_likelihood >= ll_theirs - 1e-6);
    for (got, want) in fit.report.estimates.iter().zip(&theirs) {
        assert!(
            rel(*got, *want) < 1e-2,
            "{:?} vs {theirs:?}",
            fit.report.estimates
        );
    }
}

#[test]
fn expectations_match_batislam_closed_forms() {
    let m = MbgNbd::new(0.5248, 6.183, 0.8914, 1.614).unwrap();
    let (r, alpha, a, b) = (m.r(), m.alpha(), m.a(), m.b());
    for &t in &[1.0, 39.0, 200.0] {
        // E[X(t)] = b/(a−1) [1 − (α/(α+t))^r 2F1(r, b+1; a+b; t/(α+t))]
        let z = t / (alpha + t);
        let want = b / (a - 1.0)
            * (1.0 - (alpha / (alpha + t)).powf(r) * hyp2f1(r, b + 1.0, a + b, z).unwrap());
        assert!(rel(m.expected_purchases_new(t), want) < 1e-9, "t={t}");
        // Conditional: (a+b+x)/(a−1) [1 − ((α+T)/(α+T+t))^{r+x} 2F1(r+x, b+x+1; a+b+x; ·)] P(alive)
        let (x, t_x, big_t) = (3.0, 25.0, 39.0);
        let z = t / (alpha + big_t + t);
        let f = hyp2f1(r + x, b + x + 1.0, a + b + x, z).unwrap();
        let want = (a + b + x) / (a - 1.0)
            * (1.0 - ((alpha + big_t) / (alpha + big_t + t)).powf(r + x) * f)
            * m.p_alive(x, t_x, big_t);
        assert!(
            rel(m.expected_purchases(t, x, t_x, big_t), want) < 1e-9,
            "t={t}"
        );
    }
    // Unlike the BG/NBD, a customer without repeat purchases may be inactive.
    assert!(rel(m.p_alive(0.0, 0.0, 0.0), b / (a + b)) < 1e-14);
}

#[test]
fn gradient_matches_central_differences() {
    let x = [0.0, 1.0, 2.0, 5.0, 30.0, 0.0, 3.0];
    let t_x = [0.0, 3.5, 20.0, 30.1, 38.0, 0.0, 10.0];
    let t = [38.0, 38.0, 38.0, 38.0, 38.5, 10.0, 12.0];
    let d = RfmData::new(&x, &t_x, &t, Some(&[5.0, 1.0, 2.0, 1.0, 1.0, 3.0, 1.0])).unwrap();
    for p in [
        [0.5248, 6.183, 0.8914, 1.614],
        [2.0, 0.7, 4.0, 0.3],
        [0.05, 30.0, 1.0, 20.0],
    ] {
        let g = MbgNbd::from_params(&p).unwrap().gradient(&d);
        for k in 0..4 {
            let h = 1e-6 * p[k];
            let (mut up, mut dn) = (p, p);
            up[k] += h;
            dn[k] -= h;
            let fd = (MbgNbd::from_params(&up).unwrap().log_likelihood(&d)
                - MbgNbd::from_params(&dn).unwrap().log_likelihood(&d))
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
fn probabilities_sum_to_one_and_match_expectations() {
    let m = MbgNbd::new(0.5248, 6.183, 0.8914, 1.614).unwrap();
    let histories = [(0.0, 0.0, 0.0), (0.0, 0.0, 30.0), (4.0, 20.0, 39.0)];
    common::assert_purchase_distribution(&m, &histories, 26.0, 3000, 1e-7);
    assert_eq!(
        m.prob_n_purchases_new(2, 10.0),
        m.prob_n_purchases(2, 10.0, 0.0, 0.0, 0.0)
    );
}

/// lifetimes' MBG/NBD check of P(X(t) = n) for a new customer against BTYD's BG/NBD values at
/// the same parameters (tests/test_estimation.py, ModifiedBetaGeoFitter,
/// test_probability_of_n_purchases_up_to_time_same_as_R_BTYD): to 1e-4 absolute at t = 2 and
/// within a relative 0.5 at t = 30, as there (the models differ by the dropout at the first
/// purchase, which makes MBG/NBD's new customers buy less).
#[test]
fn new_customer_pmf_within_lifetimes_bounds() {
    let [r, alpha, a, b] = common::BTYD_BGNBD_PARAMS;
    let m = MbgNbd::new(r, alpha, a, b).unwrap();
    let tm: &dyn TransactionModel = &m;
    assert!((tm.prob_n_purchases_new(10, 2.0) - 1.07869e-07).abs() < 1e-4);
    let btyd_bgnbd = common::BTYD_BGNBD_PMF_T30_N11_20;
    for (n, bg) in (11..21).zip(btyd_bgnbd) {
        let got = tm.prob_n_purchases_new(n, 30.0);
        assert!(
            (got - bg).abs() <= 0.5 * bg,
            "P(X(30) = {n}) = {got}, BG/NBD {bg}"
        );
        assert!(got < bg, "{n}: {got} vs {bg}");
    }
}
