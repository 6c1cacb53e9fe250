//! Property test (#11 acceptance): every transaction model of the registry, and BG/BB, fits
//! or refuses with an error on thousands of seeded random small and degenerate datasets
//! (homogeneous customers, everyone with frequency 0, 1, 2 or 5 customers, all T = 0, huge
//! ages), each fit within a generous time bound, and every prediction of a fitted model is
//! finite and in range: probabilities in [0, 1], expectations >= 0.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use clv::models::registry;
use clv::models::{BgBbData, Family, FitData, FitOptions, ModelKind, RfmData};

// Fit times are reported (the slowest per model, in the summary line), never asserted: the
// guide keeps timings out of tests because these machines are noisy (a 1 s bound failed
// under a load of 17 on 2 cores). Speed belongs to benches/.

/// Datasets per model: GGom/NBD's fits cost far more than the others' (quadrature on every
/// pattern), so it gets fewer; ~6,150 fits in all. Pareto/NBD's 1,500 took 45.8 s for 300
/// (slowest 10.3 s) before its series were Euler-transformed; now 1,500 take ~8 s.
fn datasets_for(kind: ModelKind) -> usize {
    match kind.name() {
        "ggomnbd" => 150,
        _ => 1500,
    }
}

/// One random history (x, t_x, T) with T <= `max_t`.
fn history(rng: &mut StdRng, max_t: f64) -> (f64, f64, f64) {
    let t: f64 = rng.random_range(0.0..=max_t);
    let x = if t == 0.0 || rng.random_bool(0.4) {
        0.0
    } else {
        rng.random_range(0..30) as f64
    };
    let t_x = if x == 0.0 {
        0.0
    } else {
        rng.random_range(0.0..=t).max(1e-3 * t)
    };
    (x, t_x, t)
}

/// A random dataset of one of the degenerate shapes, or a plain random one.
fn dataset(rng: &mut StdRng, i: usize) -> (String, Vec<(f64, f64, f64)>) {
    let n = [1, 2, 5, 12, 40][rng.random_range(0..5)];
    let max_t = [1.0, 52.0, 500.0][rng.random_range(0..3)];
    let rows: (String, Vec<(f64, f64, f64)>) = match i % 6 {
        0 => {
            let h = history(rng, max_t);
            ("homogeneous".into(), vec![h; n])
        }
        1 => (
            "frequency 0".into(),
            (0..n)
                .map(|_| (0.0, 0.0, rng.random_range(0.0..=max_t)))
                .collect(),
        ),
        2 => ("all T = 0".into(), vec![(0.0, 0.0, 0.0); n]),
        3 => (
            "huge ages".into(),
            (0..n)
                .map(|_| {
                    let (x, t_x, t) = history(rng, 1.0);
                    (x, t_x * 1e9, t * 1e9)
                })
                .collect(),
        ),
        _ => (
            "random".into(),
            (0..n).map(|_| history(rng, max_t)).collect(),
        ),
    };
    let name = format!("{} ({} customers)", rows.0, rows.1.len());
    (name, rows.1)
}

fn in_unit(v: f64) -> bool {
    v.is_finite() && (-1e-9..=1.0 + 1e-9).contains(&v)
}

fn non_negative(v: f64) -> bool {
    v.is_finite() && v >= -1e-9
}

#[test]
fn transaction_models_fit_or_refuse_and_predict_in_range_on_random_degenerate_data() {
    let options = FitOptions::default();
    let mut report = Vec::new();
    for kind in ModelKind::of_family(Family::Transaction) {
        let mut rng = StdRng::seed_from_u64(20261202);
        let (mut fitted, mut refused, mut slowest) = (0, 0, Duration::ZERO);
        // Fits slower than the one-second bound, named so they can be looked into.
        let mut slow = Vec::new();
        let all = Instant::now();
        for i in 0..datasets_for(kind) {
            let (shape, rows) = dataset(&mut rng, i);
            let x: Vec<f64> = rows.iter().map(|r| r.0).collect();
            let t_x: Vec<f64> = rows.iter().map(|r| r.1).collect();
            let t: Vec<f64> = rows.iter().map(|r| r.2).collect();
            let data = RfmData::new(&x, &t_x, &t, None).unwrap();
            let start = Instant::now();
            let result = registry::fit(kind, FitData::Transaction(&data), &options, "week");
            let took = start.elapsed();
            slowest = slowest.max(took);
            if took > Duration::from_secs(1) {
                slow.push(format!("{shape} #{i} {took:?}"));
            }
            let fit = match result {
                Ok(f) => f,
                Err(e) => {
                    // A refusal is a readable one-line error, never a panic.
                    assert!(!e.to_string().is_empty() && !e.to_string().contains('\n'));
                    refused += 1;
                    continue;
                }
            };
            fitted += 1;
            let m = fit.model.transaction_model().unwrap();
            for h in [1.0, 39.0, 520.0] {
                let new = m.expected_purchases_new(h);
                assert!(
                    non_negative(new),
                    "{kind} {shape} #{i} at {:?}: new E[X({h})] = {new}",
                    fit.model.params()
                );
                for &(x, t_x, t) in rows.iter().take(3) {
                    let whom = format!(
                        "{kind} {shape} #{i} at {:?}, h={h}, ({x}, {t_x}, {t})",
                        fit.model.params()
                    );
                    let pa = m.p_alive(x, t_x, t);
                    assert!(in_unit(pa), "{whom}: P(alive) = {pa}");
                    let e = m.expected_purchases(h, x, t_x, t);
                    assert!(non_negative(e), "{whom}: E = {e}");
                    for n in [0, 2] {
                        let p = m.prob_n_purchases(n, h, x, t_x, t);
                        assert!(in_unit(p), "{whom}: P(n={n}) = {p}");
                    }
                }
            }
        }
        report.push(format!(
            "{kind}: {fitted} fitted, {refused} refused in {:?}, slowest fit {slowest:?}, \
             over 1 s: [{}]",
            all.elapsed(),
            slow.join(", ")
        ));
    }
    eprintln!("{}", report.join("\n"));
}

#[test]
fn bgbb_fits_or_refuses_and_predicts_in_range_on_random_small_data() {
    let options = FitOptions::default();
    let mut rng = StdRng::seed_from_u64(7);
    for i in 0..1000 {
        let periods = rng.random_range(0..=8u32);
        let customers = [1, 2, 5, 20][i % 4];
        let (mut x, mut t_x, mut n) = (vec![], vec![], vec![]);
        for _ in 0..customers {
            let xi = if i % 5 == 0 {
                0
            } else {
                rng.random_range(0..=periods)
            };
            let txi = if xi == 0 {
                0
            } else {
                rng.random_range(xi..=periods)
            };
            x.push(xi as f64);
            t_x.push(txi as f64);
            n.push(periods as f64);
        }
        let Ok(data) = BgBbData::new(&x, &t_x, &n, None) else {
            continue;
        };
        let result = registry::fit(
            ModelKind::BgBb,
            FitData::Discrete(&data),
            &options,
            "period",
        );
        let Ok(fit) = result else { continue };
        let m = fit.model.as_discrete_model().unwrap();
        for j in 0..customers {
            let (xj, tj, nj) = (x[j] as u32, t_x[j] as u32, n[j] as u32);
            if let Ok(p) = m.p_alive(xj, tj, nj) {
                assert!(in_unit(p), "bgbb #{i}: P(alive) = {p}");
            }
            if let Ok(e) = m.expected_transactions(5, xj, tj, nj) {
                assert!(non_negative(e), "bgbb #{i}: E = {e}");
            }
        }
    }
}
