//! The churn classifier on simulated customers with a Poisson-exponential toy model: fit
//! optimality, exact save / load, labels, bad input, evaluation and the at-risk list.

use clv::churn::{
    AtRiskOptions, ChurnClassifier, ChurnCustomer, ChurnSettings, ClassWeights, CovariateKind,
    CovariateSpec, RiskSelection, evaluate, train,
};
use clv::features::TimeUnit;
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
/// The unit of the simulated customers' times.
const WEEK: TimeUnit = TimeUnit::Week;

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
fn at_risk_rows_counts_and_ordering() {
    let customers = simulate(500, 8);
    let (clf, _) = train(&customers, &TOY, &settings()).unwrap();
    let probs = clf.predict_proba(&customers, &TOY).unwrap();
    let opts = AtRiskOptions {
        selection: RiskSelection::Threshold(0.6),
        value_floor: 100.0,
        max_rows: None,
        reasons: 3,
    };
    let rows = clf.at_risk(&customers, &TOY, None, WEEK, &opts).unwrap();
    let expected = (0..customers.len())
        .filter(|&i| probs[i] >= 0.6 && customers[i].total_spend >= 100.0)
        .count();
    assert!(expected > 5);
    assert_eq!(rows.len(), expected);
    for pair in rows.windows(2) {
        assert!(pair[0].value_at_risk >= pair[1].value_at_risk);
    }
    for (k, row) in rows.iter().enumerate() {
        assert_eq!(row.rank, k + 1);
        assert!((row.value_at_risk - row.churn_probability * row.value).abs() < 1e-9);
        assert!(row.reasons.len() <= 3 && !row.reasons.is_empty());
        assert!(
            row.reasons
                .windows(2)
                .all(|r| r[0].contribution >= r[1].contribution)
        );
        assert!(
            row.reasons
                .iter()
                .all(|r| r.contribution > 0.0 && !r.description.is_empty())
        );
    }
    // Equal value at risk: ties broken by customer id.
    let clv = vec![50.0; customers.len()];
    let mut twins = vec![customers[0].clone(), customers[0].clone()];
    twins[0].customer_id = "zz".into();
    twins[1].customer_id = "aa".into();
    let all = AtRiskOptions {
        selection: RiskSelection::Threshold(0.0),
        value_floor: 0.0,
        ..opts.clone()
    };
    let tied = clf
        .at_risk(&twins, &TOY, Some(&clv[..2]), WEEK, &all)
        .unwrap();
    assert_eq!(
        tied.iter()
            .map(|r| r.customer_id.as_str())
            .collect::<Vec<_>>(),
        ["aa", "zz"]
    );
    // Top 10% by probability, then the floor on the given CLV.
    let top = AtRiskOptions {
        selection: RiskSelection::TopFraction(0.1),
        value_floor: 0.0,
        ..opts
    };
    assert_eq!(
        clf.at_risk(&customers, &TOY, Some(&clv), WEEK, &top)
            .unwrap()
            .len(),
        50
    );
    let floor = AtRiskOptions {
        value_floor: 60.0,
        ..top.clone()
    };
    assert!(
        clf.at_risk(&customers, &TOY, Some(&clv), WEEK, &floor)
            .unwrap()
            .is_empty()
    );
    assert!(
        clf.at_risk(&customers, &TOY, Some(&clv[..3]), WEEK, &top)
            .is_err()
    );
}

/// The customer's own value behind a reason, computed here from the customer's columns and
/// the toy model: what the reason must show instead of the transformed feature.
fn own_value(feature: &str, c: &ChurnCustomer) -> f64 {
    let (x, t_x, t) = (c.frequency, c.recency, c.t);
    let mean_gap = if x >= 1.0 { t_x / x } else { t };
    match feature {
        "frequency" | "log1p_frequency" => x,
        "recency" | "log1p_recency" => t_x,
        "tenure" | "log1p_tenure" => t,
        "time_since_last" | "log1p_time_since_last" => t - t_x,
        "monetary_value" | "log1p_monetary_value" => c.monetary_value,
        "log1p_total_spend" => c.total_spend,
        "mean_gap" => mean_gap,
        "log1p_gap_ratio" if mean_gap > 0.0 => (t - t_x) / mean_gap,
        "log1p_gap_ratio" => 0.0,
        // Default horizon: a quarter of the window.
        "recent_purchases" => {
            let start = t - WINDOW / 4.0;
            c.purchase_times.iter().filter(|&&s| s > start).count() as f64
        }
        "p_alive" => TOY.p_alive(x, t_x, t),
        "expected_purchases" | "log1p_expected_purchases" => {
            TOY.expected_purchases(WINDOW, x, t_x, t)
        }
        "p_no_purchase" => TOY.prob_n_purchases(0, WINDOW, x, t_x, t),
        "age" => c.covariates[1].parse().unwrap(),
        other => panic!("unexpected reason feature {other}"),
    }
}

/// The first number in a reason's text ("no purchase for 13.29 weeks (high)" → 13.29).
fn first_number(text: &str) -> f64 {
    text.split_whitespace()
        .find_map(|w| w.trim_matches(['(', ')', '%', '×']).parse().ok())
        .unwrap_or_else(|| panic!("no number in '{text}'"))
}

#[test]
fn at_risk_reasons_show_the_customers_own_values() {
    let customers = simulate(500, 8);
    let (clf, _) = train(&customers, &TOY, &settings()).unwrap();
    // Every customer, every feature raising their score: each kind of reason shows up.
    let opts = AtRiskOptions {
        selection: RiskSelection::Threshold(0.0),
        value_floor: 0.0,
        max_rows: None,
        reasons: clf.feature_names().len(),
    };
    let rows = clf.at_risk(&customers, &TOY, None, WEEK, &opts).unwrap();
    assert_eq!(rows.len(), customers.len());
    let mut seen = std::collections::BTreeSet::new();
    for row in &rows {
        let c = customers
            .iter()
            .find(|c| c.customer_id == row.customer_id)
            .unwrap();
        for r in &row.reasons {
            let text = &r.description;
            seen.insert(r.feature.clone());
            if let Some(category) = r.feature.strip_prefix("channel=") {
                let own = &c.covariates[0];
                let want = if own == category {
                    format!("channel is {own}")
                } else {
                    format!("channel is {own} rather than {category}")
                };
                assert_eq!(*text, want);
                continue;
            }
            let want = own_value(&r.feature, c);
            assert!(
                (r.value - want).abs() <= 1e-9 * want.abs().max(1.0),
                "{r:?}: {want}"
            );
            // Shown to two decimals, or two significant digits below 1; probabilities in %.
            // Recency without a repeat purchase is 0 and says so in words.
            let no_repeat = text.starts_with("no repeat purchase (");
            let shown = if no_repeat { 0.0 } else { first_number(text) };
            let want = if text.contains('%') {
                100.0 * want
            } else {
                want
            };
            let tolerance = if want.abs() >= 1.0 {
                0.005
            } else {
                0.05 * want.abs()
            };
            assert!((shown - want).abs() <= tolerance + 1e-12, "{r:?}: {want}");
            // Times carry their unit.
            let times = ["recency", "tenure", "time_since_last", "mean_gap"];
            if times.iter().any(|f| r.feature.ends_with(f)) && !no_repeat {
                assert!(text.contains(" week"), "{text}");
            }
            // The model's own input stays in `feature_value` and sets the high / low word.
            let model_input = if r.feature.starts_with("log1p_") {
                r.value.ln_1p()
            } else {
                r.value
            };
            assert!((r.feature_value - model_input).abs() <= 1e-9, "{r:?}");
            let j = clf.feature_names().iter().position(|f| *f == r.feature);
            let mean = clf.scaling().0[j.unwrap()];
            let level = if r.feature_value > mean {
                "(high)"
            } else {
                "(low)"
            };
            assert!(text.ends_with(level), "{text}: mean {mean}");
        }
    }
    // The transformed features are among them, so the old log-scale values would fail above.
    for feature in [
        "log1p_frequency",
        "log1p_tenure",
        "log1p_time_since_last",
        "log1p_monetary_value",
        "age",
    ] {
        assert!(seen.contains(feature), "no reason from {feature}: {seen:?}");
    }
}
