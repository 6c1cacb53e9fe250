//! The churn classifier on simulated customers with a Poisson-exponential toy model: fit
//! optimality, exact save / load, labels, bad input, evaluation and the at-risk list.

use clv::churn::{
    ChurnClassifier, ChurnCustomer, ChurnSettings, ClassWeights, CovariateKind, CovariateSpec,
    evaluate, train,
};
use clv::models::TransactionModel;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp, Gamma};

/// Every customer buys at Poisson rate `lambda` and drops out at exponential rate `mu`
/// (the Pareto/NBD without heterogeneity); all predictions in closed form.
struct PoissonExp {
    lambda: f64,
    mu: f64,
}

impl TransactionModel for PoissonExp {
    fn p_alive(&self, _x: f64, t_x: f64, t: f64) -> f64 {
        let s = self.lambda + self.mu;
        1.0 / (1.0 + self.mu / s * (s * (t - t_x)).exp_m1())
    }
    fn expected_purchases(&self, h: f64, x: f64, t_x: f64, t: f64) -> f64 {
        self.p_alive(x, t_x, t) * self.expected_purchases_new(h)
    }
    fn expected_purchases_new(&self, h: f64) -> f64 {
        self.lambda / self.mu * -(-self.mu * h).exp_m1()
    }
    fn prob_n_purchases(&self, n: u32, h: f64, x: f64, t_x: f64, t: f64) -> f64 {
        // Alive: n purchases before min(death, h); death at s < h gives Poisson(lambda s).
        let (l, m, s) = (self.lambda, self.mu, self.lambda + self.mu);
        let ln_fact: f64 = (1..=n).map(|k| (k as f64).ln()).sum();
        let poisson = (n as f64 * (l * h).ln() - l * h - ln_fact).exp();
        let mut head = 0.0; // P(Gamma(n + 1, s) <= h) = 1 - e^{-sh} sum_{k<=n} (sh)^k / k!
        let mut term = 1.0;
        for k in 0..=n {
            if k > 0 {
                term *= s * h / k as f64;
            }
            head += term;
        }
        let gamma_cdf = 1.0 - (-s * h).exp() * head;
        let given_alive =
            (-m * h).exp() * poisson + m * l.powi(n as i32) / s.powi(n as i32 + 1) * gamma_cdf;
        let p = self.p_alive(x, t_x, t);
        p * given_alive + if n == 0 { 1.0 - p } else { 0.0 }
    }
}

const TOY: PoissonExp = PoissonExp {
    lambda: 0.15,
    mu: 0.02,
};
const WINDOW: f64 = 26.0;

/// Customers with heterogeneous rates, born in weeks 0-12, calibration to week 39, a 26-week
/// holdout. Channel "b" customers drop out faster; "region" is a constant covariate.
fn simulate(n: usize, seed: u64) -> Vec<ChurnCustomer> {
    let mut rng = StdRng::seed_from_u64(seed);
    let lambda_dist = Gamma::new(2.0, 0.08).unwrap();
    let spend_dist = Gamma::new(4.0, 10.0).unwrap();
    (0..n)
        .map(|i| {
            let channel = if rng.random::<f64>() < 0.5 { "a" } else { "b" };
            let mu = if channel == "a" { 0.01 } else { 0.05 };
            let lambda = lambda_dist.sample(&mut rng);
            let birth = rng.random::<f64>() * 12.0;
            let death = birth + Exp::new(mu).unwrap().sample(&mut rng);
            let mut times = vec![birth];
            let mut now = birth;
            loop {
                now += Exp::new(lambda).unwrap().sample(&mut rng);
                if now > death.min(39.0 + WINDOW) {
                    break;
                }
                times.push(now);
            }
            let cal: Vec<f64> = times.iter().copied().filter(|&s| s <= 39.0).collect();
            let amounts: Vec<f64> = cal.iter().map(|_| spend_dist.sample(&mut rng)).collect();
            let x = (cal.len() - 1) as f64;
            ChurnCustomer {
                customer_id: format!("c{i:05}"),
                frequency: x,
                recency: cal[cal.len() - 1] - birth,
                t: 39.0 - birth,
                monetary_value: if x > 0.0 {
                    amounts[1..].iter().sum::<f64>() / x
                } else {
                    0.0
                },
                total_spend: amounts.iter().sum(),
                purchase_times: cal.iter().map(|s| s - birth).collect(),
                holdout_frequency: Some((times.len() - cal.len()) as f64),
                holdout_duration: Some(WINDOW),
                covariates: vec![
                    channel.to_string(),
                    format!("{:.1}", 20.0 + rng.random::<f64>() * 50.0),
                    "eu".to_string(),
                ],
                cancelled_within_window: None,
            }
        })
        .collect()
}

fn settings() -> ChurnSettings {
    let mut s = ChurnSettings::new(WINDOW);
    s.covariates = vec![
        CovariateSpec {
            name: "channel".into(),
            kind: CovariateKind::Categorical,
        },
        CovariateSpec {
            name: "age".into(),
            kind: CovariateKind::Numeric,
        },
        CovariateSpec {
            name: "region".into(),
            kind: CovariateKind::Categorical,
        },
    ];
    s
}

/// Gradient of the (weighted) penalised log loss at the stored coefficients.
fn penalised_gradient(
    clf: &ChurnClassifier,
    customers: &[ChurnCustomer],
    w: (f64, f64),
    alpha: f64,
) -> Vec<f64> {
    let raw = clf.features(customers, &TOY).unwrap();
    let probs = clf.predict_proba(customers, &TOY).unwrap();
    let (means, scales) = clf.scaling();
    let k = clf.coefficients().len();
    let mut grad: Vec<f64> = clf.coefficients().iter().map(|c| alpha * c).collect();
    grad.push(0.0); // intercept, not penalised
    for (i, c) in customers.iter().enumerate() {
        let y = c.holdout_frequency == Some(0.0);
        let weight = if y { w.0 } else { w.1 };
        let resid = weight * (probs[i] - if y { 1.0 } else { 0.0 });
        for j in 0..k {
            grad[j] += resid * (raw[[i, j]] - means[j]) / scales[j];
        }
        grad[k] += resid;
    }
    grad
}

#[test]
fn fitted_coefficients_are_the_penalised_optimum() {
    let customers = simulate(1500, 1);
    let mut s = settings();
    s.max_iterations = 2000;
    let (clf, warnings) = train(&customers, &TOY, &s).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("region"));
    let grad = penalised_gradient(&clf, &customers, (1.0, 1.0), s.l2_alpha);
    // A sign slip between linfa's class coding and P(churn) would give gradients of order n.
    assert!(grad.iter().all(|g| g.abs() < 0.05), "{grad:?}");
    // Faster drop-out in channel b must raise the churn score.
    let names = clf.feature_names();
    let b = names.iter().position(|n| n == "channel=b").unwrap();
    let a = names.iter().position(|n| n == "channel=a").unwrap();
    assert!(clf.coefficients()[b] > clf.coefficients()[a]);
    assert!(!names.iter().any(|n| n.starts_with("region")));
}

#[test]
fn integer_class_weights_replicate_exactly() {
    let customers = simulate(800, 2);
    let mut s = settings();
    s.max_iterations = 2000;
    s.class_weights = ClassWeights::Custom {
        churn: 3.0,
        active: 1.0,
    };
    let (clf, _) = train(&customers, &TOY, &s).unwrap();
    let grad = penalised_gradient(&clf, &customers, (3.0, 1.0), s.l2_alpha);
    assert!(grad.iter().all(|g| g.abs() < 0.05), "{grad:?}");
    let unweighted = train(&customers, &TOY, &settings()).unwrap().0;
    let mean = |c: &ChurnClassifier| {
        let p = c.predict_proba(&customers, &TOY).unwrap();
        p.iter().sum::<f64>() / p.len() as f64
    };
    assert!(mean(&clf) > mean(&unweighted) + 0.02);
}

#[test]
fn saved_classifier_scores_bit_identically() {
    let customers = simulate(600, 3);
    let (clf, _) = train(&customers, &TOY, &settings()).unwrap();
    let before = clf.predict_proba(&customers, &TOY).unwrap();
    let json = clf.save().unwrap();
    let loaded = ChurnClassifier::load(&json).unwrap();
    assert_eq!(loaded, clf);
    let after = loaded.predict_proba(&customers, &TOY).unwrap();
    assert!(
        before
            .iter()
            .zip(&after)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );
    assert_eq!(loaded.save().unwrap(), json);
    for key in [
        "feature_names",
        "means",
        "scales",
        "coefficients",
        "intercept",
        "categories",
    ] {
        assert!(json.contains(key), "saved JSON lacks {key}");
    }
    // A tampered file is refused, not mis-scored.
    let broken = json.replacen("\"coefficients\": [", "\"coefficients\": [\"1.0\", ", 1);
    assert!(ChurnClassifier::load(&broken).is_err());
    assert!(ChurnClassifier::load("{}").is_err());
}

#[test]
fn unseen_category_scores_as_all_zeros() {
    let customers = simulate(400, 4);
    let (clf, _) = train(&customers, &TOY, &settings()).unwrap();
    let mut newcomer = customers[0].clone();
    newcomer.covariates[0] = "never-seen".into();
    let raw = clf.features(&[newcomer.clone()], &TOY).unwrap();
    let names = clf.feature_names();
    for (j, name) in names.iter().enumerate() {
        if name.starts_with("channel=") {
            assert_eq!(raw[[0, j]], 0.0);
        }
    }
    let p = clf.predict_proba(&[newcomer], &TOY).unwrap()[0];
    assert!(p.is_finite() && (0.0..=1.0).contains(&p));
}

#[test]
fn labels_follow_holdout_window_and_cancellations() {
    let mut customers = simulate(300, 5);
    let churned = |c: &ChurnCustomer| c.holdout_frequency == Some(0.0);
    let n_churn = customers.iter().filter(|c| churned(c)).count();
    let (labels, w) = clv::churn::churn_labels(&customers, WINDOW).unwrap();
    assert!(w.is_empty());
    assert_eq!(labels.iter().filter(|&&y| y).count(), n_churn);
    // A cancellation overrides a purchase in the holdout.
    let i = customers.iter().position(|c| !churned(c)).unwrap();
    customers[i].cancelled_within_window = Some(true);
    let (labels, _) = clv::churn::churn_labels(&customers, WINDOW).unwrap();
    assert!(labels[i]);
    // Window longer than the holdout: error; shorter: warning.
    assert!(clv::churn::churn_labels(&customers, WINDOW + 1.0).is_err());
    let (_, w) = clv::churn::churn_labels(&customers, WINDOW - 1.0).unwrap();
    assert_eq!(w.len(), 1);
    // No holdout and no cancellation flag: no label.
    customers[0].holdout_frequency = None;
    customers[0].cancelled_within_window = None;
    assert!(clv::churn::churn_labels(&customers, WINDOW).is_err());
}

#[test]
fn bad_input_gives_errors_not_panics() {
    let customers = simulate(300, 6);
    let s = settings();
    let all_churn: Vec<ChurnCustomer> = customers
        .iter()
        .cloned()
        .map(|mut c| {
            c.holdout_frequency = Some(0.0);
            c
        })
        .collect();
    assert!(train(&all_churn, &TOY, &s).is_err());
    assert!(evaluate(&all_churn, &TOY, &s).is_err());
    assert!(train(&customers[..6], &TOY, &s).is_err());
    assert!(evaluate(&customers[..20], &TOY, &s).is_err());
    let mut long = s.clone();
    long.window = 52.0;
    assert!(evaluate(&customers, &TOY, &long).is_err());
    for bad in [f64::NAN, -1.0, 0.0] {
        let mut b = s.clone();
        b.window = bad;
        assert!(train(&customers, &TOY, &b).is_err());
    }
    let mut nan = customers.clone();
    nan[3].frequency = f64::NAN;
    assert!(train(&nan, &TOY, &s).is_err());
    let mut text = customers.clone();
    text[3].covariates[1] = "forty".into();
    assert!(train(&text, &TOY, &s).is_err());
    let mut short = customers.clone();
    short[3].covariates.pop();
    assert!(train(&short, &TOY, &s).is_err());
    let mut times = customers.clone();
    times[3].purchase_times.clear();
    assert!(train(&times, &TOY, &s).is_err());
    let mut dup = customers.clone();
    dup[1].customer_id = dup[0].customer_id.clone();
    assert!(train(&dup, &TOY, &s).is_err());
    // Extreme but valid histories stay finite.
    let mut heavy = customers.clone();
    heavy[0].frequency = 3000.0;
    heavy[0].recency = 300.0;
    heavy[0].t = 300.0;
    heavy[0].purchase_times = (0..=3000).map(|k| k as f64 * 0.1).collect();
    let (clf, _) = train(&heavy, &TOY, &s).unwrap();
    assert!(
        clf.predict_proba(&heavy, &TOY)
            .unwrap()
            .iter()
            .all(|p| p.is_finite())
    );
}

#[test]
fn evaluation_splits_stratified_and_beats_chance() {
    let customers = simulate(2000, 7);
    let report = evaluate(&customers, &TOY, &settings()).unwrap();
    assert_eq!(report.n_train + report.n_test, 2000);
    assert!((report.n_test as f64 - 600.0).abs() <= 1.0);
    assert!((report.churn_rate_train - report.churn_rate_test).abs() < 0.01);
    assert!(
        report.classifier.roc_auc > 0.7,
        "{}",
        report.classifier.roc_auc
    );
    // The channel covariate carries drop-out information the baseline does not see.
    assert!(report.classifier.roc_auc > report.baseline.roc_auc);
    assert!(report.classifier.brier < report.probabilistic.brier);
    // The split does not depend on the input order.
    let mut reversed = customers.clone();
    reversed.reverse();
    let again = evaluate(&reversed, &TOY, &settings()).unwrap();
    assert_eq!(again.n_test, report.n_test);
    assert!((again.classifier.roc_auc - report.classifier.roc_auc).abs() < 1e-6);
}

#[test]
fn the_classifier_uses_the_interpretable_non_collinear_feature_set() {
    let customers = simulate(400, 8);
    let (clf, _) = train(&customers, &TOY, &settings()).unwrap();
    let names = clf.feature_names();
    let base = &names[..clv::churn::INTERPRETABLE_FEATURES.len()];
    assert_eq!(base, clv::churn::INTERPRETABLE_FEATURES);
    // One scale per quantity, and no model prediction beside the history it comes from.
    for raw in ["frequency", "tenure", "time_since_last", "monetary_value"] {
        let log = format!("log1p_{raw}");
        assert!(
            !(names.iter().any(|n| n == raw) && names.contains(&log)),
            "{raw} on two scales: {names:?}"
        );
    }
    for prediction in ["p_alive", "expected_purchases", "p_no_purchase"] {
        assert!(!names.iter().any(|n| n.contains(prediction)), "{names:?}");
    }
    // The columns are not collinear on these data: every pair's correlation is below 0.95.
    let raw = clf.features(&customers, &TOY).unwrap();
    let k = base.len();
    for a in 0..k {
        for b in a + 1..k {
            let (x, y) = (raw.column(a), raw.column(b));
            let (mx, my) = (x.mean().unwrap(), y.mean().unwrap());
            let cov: f64 = x.iter().zip(&y).map(|(p, q)| (p - mx) * (q - my)).sum();
            let vx: f64 = x.iter().map(|p| (p - mx).powi(2)).sum();
            let vy: f64 = y.iter().map(|q| (q - my).powi(2)).sum();
            let r = cov / (vx * vy).sqrt();
            assert!(
                r.abs() < 0.95,
                "{} and {}: correlation {r}",
                base[a],
                base[b]
            );
        }
    }
}
