use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::super::{ParetoNbd, fresh_prob_n_by_quadrature};
use super::prob_none_by_series;

/// A log-uniform draw in [lo, hi].
fn log_uniform(rng: &mut StdRng, lo: f64, hi: f64) -> f64 {
    (lo.ln() + rng.random::<f64>() * (hi / lo).ln()).exp()
}

/// Random parameters over the ranges fits report (and some way past them), and a possible
/// history under them: x repeat purchases, 0 < t_x ≤ T when x > 0.
fn draw(rng: &mut StdRng) -> (ParetoNbd, f64, f64, f64) {
    let p = ParetoNbd {
        r: log_uniform(rng, 0.02, 20.0),
        alpha: log_uniform(rng, 0.1, 500.0),
        s: log_uniform(rng, 0.02, 20.0),
        beta: log_uniform(rng, 0.1, 500.0),
    };
    let t = log_uniform(rng, 0.05, 300.0);
    let x = if rng.random::<f64>() < 0.3 {
        0.0
    } else {
        rng.random_range(1..200) as f64
    };
    let t_x = match (x > 0.0, rng.random::<f64>()) {
        (false, _) => 0.0,
        // Some who bought at the end of observation.
        (true, u) if u < 0.05 => t,
        (true, u) => t * u.max(1e-6),
    };
    (p, x, t_x, t)
}

fn rel(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs()
}

/// The value-only series against the fit's pieces (derivatives and all) on 20,000 random
/// histories: P(alive) and the log-likelihood agree to 1e-12 relative wherever the series
/// answers, and it answers exactly where the pieces use the series.
#[test]
fn p_alive_and_likelihood_by_series_agree_with_the_pieces() {
    let mut rng = StdRng::seed_from_u64(14);
    let mut in_region = 0;
    for _ in 0..20_000 {
        let (p, x, t_x, t) = draw(&mut rng);
        let careful = p.pieces(x, t_x, t, false).expect("finite pieces");
        let Some((p_alive, rest)) = p.scored_by_series(x, t_x, t) else {
            assert!(t_x < t && p.needs_quadrature(t_x), "{p:?} {x} {t_x} {t}");
            continue;
        };
        in_region += 1;
        let label = format!("{p:?} x={x} t_x={t_x} T={t}");
        assert!(
            rel(p_alive, careful.p_alive) < 1e-12,
            "{label}: P(alive) {p_alive} vs {}",
            careful.p_alive
        );
        let ll = p.x_front(x).base + rest;
        assert!(
            (ll - careful.ll).abs() <= 1e-12 * careful.ll.abs().max(1.0),
            "{label}: ll {ll} vs {}",
            careful.ll
        );
    }
    assert!(
        in_region > 12_000,
        "{in_region} histories in the series' region"
    );
}

/// P(X(h) = 0) of the posterior process of random customers (r + x, α + T, s, β + T) by the
/// series against the quadrature, over horizons from 0.1 to 500 periods: 1e-12 relative (an
/// absolute floor of 1e-16, the quadrature's own accuracy, for probabilities near 0).
#[test]
fn prob_none_by_series_agrees_with_the_quadrature() {
    let mut rng = StdRng::seed_from_u64(39);
    let mut in_region = 0;
    let mut worst: f64 = 0.0;
    for _ in 0..5_000 {
        let (p, x, _, t) = draw(&mut rng);
        let h = log_uniform(&mut rng, 0.1, 500.0);
        let (r, alpha, s, beta) = (p.r + x, p.alpha + t, p.s, p.beta + t);
        let careful = fresh_prob_n_by_quadrature(0, h, r, alpha, s, beta);
        let Some(fast) = prob_none_by_series(h, r, alpha, s, beta) else {
            assert!((alpha - beta).abs() / alpha.max(beta) > super::super::SERIES_MAX_Z);
            continue;
        };
        in_region += 1;
        let err = (fast - careful).abs();
        worst = worst.max(err / careful);
        assert!(
            err <= 1e-12 * careful + 1e-16,
            "r={r} alpha={alpha} s={s} beta={beta} h={h}: {fast} vs {careful}"
        );
    }
    assert!(in_region > 4_000, "{in_region} cases in the series' region");
    assert!(worst < 1e-12, "worst relative difference {worst:e}");
}

/// The series declines where α and β are far apart (z near 1), leaving those to the careful
/// paths, and answers the boundary cases t_x = T and h tiny.
#[test]
fn series_region_and_limits() {
    let far = ParetoNbd {
        r: 0.5,
        alpha: 1000.0,
        s: 0.5,
        beta: 1.0,
    };
    assert!(far.scored_by_series(3.0, 1.0, 10.0).is_none());
    assert!(prob_none_by_series(39.0, 0.5, 1000.0, 0.5, 1.0).is_none());
    // Bought at the end of observation: alive for sure.
    assert_eq!(
        far.scored_by_series(3.0, 10.0, 10.0).map(|v| v.0),
        Some(1.0)
    );
    let p = ParetoNbd {
        r: 0.55,
        alpha: 10.58,
        s: 0.61,
        beta: 11.67,
    };
    let tiny = prob_none_by_series(1e-9, p.r, p.alpha, p.s, p.beta).unwrap();
    assert!((tiny - 1.0).abs() < 1e-9 && tiny <= 1.0, "{tiny}");
}
