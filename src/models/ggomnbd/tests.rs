//! Unit tests: the gradient against central differences, the Pareto/NBD limit of the
//! likelihood, the y ↔ τ change of variables, and the simulator against S(t).

use super::*;
use crate::models::pnbd::ParetoNbd;
use rand::Rng;

fn synthetic() -> RfmData {
    let x = [0.0, 1.0, 2.0, 5.0, 30.0, 0.0, 3.0, 1.0, 400.0, 2.0];
    let t_x = [0.0, 3.5, 20.0, 30.1, 38.0, 0.0, 10.0, 38.0, 35.0, 0.5];
    let t = [38.0, 38.0, 38.0, 38.0, 38.5, 10.0, 12.0, 38.0, 39.0, 60.0];
    RfmData::new(
        &x,
        &t_x,
        &t,
        Some(&[5.0, 1.0, 2.0, 1.0, 1.0, 3.0, 1.0, 1.0, 1.0, 1.0]),
    )
    .unwrap()
}

#[test]
fn gradient_matches_central_differences() {
    let d = synthetic();
    let points = [
        [0.55, 10.6, 1e-6, 0.6, 1.2e-5],
        [0.8, 7.0, 0.1, 0.6, 4.0],
        [1.3, 20.0, 0.02, 2.5, 0.3],
        [0.3, 2.0, 1.5, 0.2, 50.0],
        [2.0, 40.0, 0.5, 1.0, 1e-3],
    ];
    for p in points {
        let m = GgomNbd::from_params(&p).unwrap();
        let (ll, g) = m.log_likelihood_and_gradient(&d);
        assert!(ll.is_finite());
        assert!((ll - m.log_likelihood(&d)).abs() < 1e-9 * ll.abs());
        for k in 0..5 {
            let h = 1e-5 * p[k];
            let (mut up, mut dn) = (p, p);
            up[k] += h;
            dn[k] -= h;
            let f = |q: [f64; 5]| GgomNbd::from_params(&q).unwrap().log_likelihood(&d);
            let fd = (f(up) - f(dn)) / (2.0 * h);
            // Compared in ln p: p ∂LL/∂p, relative to the size of the terms.
            let (ga, fa) = (g[k] * p[k], fd * p[k]);
            assert!(
                (ga - fa).abs() <= 1e-6 * ga.abs().max(1.0),
                "{p:?} #{k}: {ga} vs {fa}"
            );
        }
    }
}

#[test]
fn y_and_tau_are_inverse() {
    for &(b, beta) in &[
        (1e-9, 1e-8),
        (0.1, 4.0),
        (10.0, 0.01),
        (1e-6, 1e6),
        (3.0, 1e-12),
    ] {
        let m = GgomNbd {
            r: 1.0,
            alpha: 1.0,
            b,
            s: 0.7,
            beta,
        };
        for &t in &[0.0, 1e-8, 0.3, 10.0, 39.0, 500.0] {
            let (y, _, _) = m.y_of(t);
            let (tau, _) = m.tau_of(y);
            assert!(
                (tau - t).abs() <= 1e-12 * t.max(1e-300) + 1e-300,
                "{b} {beta} {t}: {tau}"
            );
        }
    }
}

#[test]
fn tiny_b_gives_pareto_nbd_likelihood() {
    let d = synthetic();
    let p = ParetoNbd {
        r: 0.55,
        alpha: 10.6,
        s: 0.6,
        beta: 11.7,
    };
    let b = 1e-10;
    let g = GgomNbd {
        r: p.r,
        alpha: p.alpha,
        b,
        s: p.s,
        beta: b * p.beta,
    };
    let (lp, lg) = (p.log_likelihood(&d), g.log_likelihood(&d));
    assert!((lp - lg).abs() < 1e-7 * lp.abs(), "{lp} vs {lg}");
}

#[test]
fn simulated_lifetimes_follow_the_survival_function() {
    let m = GgomNbd {
        r: 1.0,
        alpha: 1.0,
        b: 0.1,
        s: 0.6,
        beta: 4.0,
    };
    let mut rng = StdRng::seed_from_u64(7);
    let n = 100_000;
    let draws: Vec<f64> = (0..n)
        .map(|_| m.simulate_lifetime(1.0 - rng.random::<f64>()))
        .collect();
    for &t in &[1.0, 10.0, 30.0, 60.0] {
        let emp = draws.iter().filter(|&&v| v > t).count() as f64 / n as f64;
        let want = (m.beta / (m.beta + (m.b * t).exp() - 1.0)).powf(m.s);
        assert!((emp - want).abs() < 0.005, "S({t}): {emp} vs {want}");
    }
    let sim = m.simulate(1000, 52.0, 3).unwrap();
    assert_eq!(sim, m.simulate(1000, 52.0, 3).unwrap());
    assert!(
        sim.iter()
            .all(|&(x, tx, t)| x >= 0.0 && tx <= t && (x > 0.0 || tx == 0.0))
    );
}
