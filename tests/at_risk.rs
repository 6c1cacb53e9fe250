//! The at-risk definition (`clv::churn::at_risk`): property tests over many random and
//! degenerate customers (value at risk never negative, never NaN, zero when P(alive) = 1; the
//! list is exactly the customers the rule selects, ranked; no reason cites a high P(alive),
//! many purchases or high spend; ratios capped), and on the demo bundle the scores' P(alive),
//! churn probability and CLV fit together.

mod common;

use std::path::Path;

use clv::churn::at_risk::{
    AtRiskRule, MAX_REASONS, ReasonKind, RiskInput, assess_at_risk, value_at_risk,
};
use clv::features::{SummaryOptions, TimeUnit, summarize_path};
use clv::ingest::ReadOptions;
use clv::predict::Bundle;
use clv::predict::score::score_bundle;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One random customer history: x, t_x, T, purchase times.
fn history(rng: &mut StdRng) -> (f64, f64, f64, Vec<f64>) {
    let t = match rng.random_range(0..6) {
        0 => 0.0,
        1 => rng.random_range(0.0..0.01),
        _ => rng.random_range(0.0..200.0),
    };
    let x = if rng.random_bool(0.4) {
        0
    } else {
        rng.random_range(1..40)
    };
    let mut times: Vec<f64> = (0..x).map(|_| rng.random_range(0.0..=t)).collect();
    times.sort_by(f64::total_cmp);
    times.insert(0, 0.0);
    let t_x = if x == 0 { 0.0 } else { times[x] };
    (x as f64, t_x, t, times)
}

/// Probabilities with their edges: 0, 1, tiny, nearly 1.
fn probability(rng: &mut StdRng) -> f64 {
    match rng.random_range(0..6) {
        0 => 0.0,
        1 => 1.0,
        2 => 1e-300,
        3 => 1.0 - 1e-16,
        _ => rng.random_range(0.0..=1.0),
    }
}

fn money(rng: &mut StdRng) -> f64 {
    match rng.random_range(0..5) {
        0 => 0.0,
        1 => 1e12,
        _ => rng.random_range(0.0..500.0),
    }
}

/// Words that would cite a high P(alive), many purchases or high spend as a churn reason.
const FORBIDDEN: [&str; 7] = [
    "chance",
    "active",
    "(high)",
    "repeat purchases",
    "spend",
    "order",
    "alive",
];

#[test]
fn value_at_risk_is_never_negative_or_nan_and_zero_when_surely_alive() {
    let mut rng = StdRng::seed_from_u64(11);
    for _ in 0..20_000 {
        let (p, clv) = (probability(&mut rng), money(&mut rng));
        let v = value_at_risk("c", p, clv).unwrap();
        assert!(v.is_finite() && v >= 0.0, "p {p}, clv {clv}: {v}");
        assert!(v <= clv, "p {p}, clv {clv}: {v}");
        if p == 1.0 || clv == 0.0 {
            assert_eq!(v, 0.0);
        }
        assert!((v - (1.0 - p) * clv).abs() <= 1e-12 * clv.max(1.0));
    }
    for (p, clv) in [
        (f64::NAN, 1.0),
        (1.5, 1.0),
        (-0.1, 1.0),
        (0.5, f64::NAN),
        (0.5, f64::INFINITY),
        (0.5, -1.0),
    ] {
        let err = value_at_risk("c-17", p, clv).unwrap_err().to_string();
        assert!(err.contains("c-17"), "{err}");
    }
}

#[test]
fn the_list_is_the_rule_ranked_and_its_reasons_argue_for_churn() {
    let mut rng = StdRng::seed_from_u64(12);
    let mut kinds = std::collections::BTreeSet::new();
    for round in 0..300 {
        let n = match round % 10 {
            0 => 0,
            1 => 1,
            _ => rng.random_range(2..300),
        };
        let histories: Vec<_> = (0..n).map(|_| history(&mut rng)).collect();
        let ids: Vec<String> = (0..n).map(|i| format!("c{}", i % 97)).collect();
        let inputs: Vec<RiskInput> = histories
            .iter()
            .zip(&ids)
            .map(|((x, t_x, t, times), id)| {
                let p_alive = probability(&mut rng);
                let clv_if_alive = money(&mut rng);
                RiskInput {
                    customer_id: id,
                    frequency: *x,
                    recency: *t_x,
                    t: *t,
                    purchase_times: if rng.random_bool(0.8) { times } else { &[] },
                    p_alive,
                    churn_probability: probability(&mut rng),
                    clv: p_alive * clv_if_alive,
                    clv_if_alive,
                }
            })
            .collect();
        let rule = AtRiskRule {
            churn_threshold: rng.random_range(0.0..=1.0),
            min_value_at_risk: if rng.random_bool(0.5) {
                0.0
            } else {
                rng.random_range(0.0..100.0)
            },
            top: if rng.random_bool(0.5) {
                None
            } else {
                Some(rng.random_range(1..50))
            },
        };
        let unit = [TimeUnit::Day, TimeUnit::Week, TimeUnit::Month][round % 3];
        let a = assess_at_risk(&rule, &inputs, unit).unwrap();
        assert_eq!(a.value_at_risk.len(), n);
        assert_eq!(a.rank.len(), n);
        let selected: Vec<usize> = (0..n)
            .filter(|&i| {
                inputs[i].churn_probability >= rule.churn_threshold
                    && a.value_at_risk[i] > 0.0
                    && a.value_at_risk[i] >= rule.min_value_at_risk
            })
            .collect();
        let want = rule.top.map_or(selected.len(), |t| t.min(selected.len()));
        assert_eq!(a.rows.len(), want);
        assert_eq!(a.rank.iter().flatten().count(), want);
        // Nobody outside the list has more value at risk than its last row, among the selected.
        let last = a.rows.last().map_or(f64::INFINITY, |r| r.value_at_risk);
        for &i in &selected {
            if a.rank[i].is_none() {
                assert!(a.value_at_risk[i] <= last);
            }
        }
        for (i, v) in a.value_at_risk.iter().enumerate() {
            assert!(v.is_finite() && *v >= 0.0);
            if inputs[i].p_alive == 1.0 {
                assert_eq!(*v, 0.0);
                assert!(a.rank[i].is_none());
            }
        }
        for (k, row) in a.rows.iter().enumerate() {
            assert_eq!(row.rank, k + 1);
            if k > 0 {
                assert!(row.value_at_risk <= a.rows[k - 1].value_at_risk);
            }
            let i = (0..n).find(|&i| a.rank[i] == Some(k + 1)).unwrap();
            let c = &inputs[i];
            assert_eq!(row.customer_id, c.customer_id);
            assert!(!row.reasons.is_empty() && row.reasons.len() <= MAX_REASONS);
            for r in &row.reasons {
                kinds.insert(format!("{:?}", r.kind));
                for word in FORBIDDEN {
                    assert!(!r.description.contains(word), "{:?}", r);
                }
                assert!(
                    r.description.contains(unit.name()) || r.kind == ReasonKind::FrequencyDrop,
                    "{r:?}"
                );
                let words: Vec<&str> = r.description.split_whitespace().collect();
                for w in words.windows(2).filter(|w| w[1] == "times") {
                    let ratio: f64 = w[0].parse().unwrap_or(0.0);
                    assert!(ratio <= 10.0, "{r:?}");
                }
                // Each kind says what it is about and is true of the history.
                let silence = c.t - c.recency;
                match r.kind {
                    ReasonKind::SilenceVsOwnGap => {
                        assert!(c.frequency >= 1.0);
                        assert!(silence >= 1.5 * c.recency / c.frequency, "{r:?}");
                    }
                    ReasonKind::SilenceVsPopulationGap => assert_eq!(c.frequency, 0.0),
                    ReasonKind::FrequencyDrop => {
                        let half = c.t / 2.0;
                        let first = c
                            .purchase_times
                            .iter()
                            .filter(|&&s| s > 0.0 && s <= half)
                            .count();
                        let second = c.purchase_times.iter().filter(|&&s| s > half).count();
                        assert!(first >= 2 && 2 * second <= first, "{r:?}");
                    }
                    ReasonKind::Silence => assert_eq!(row.reasons.len(), 1),
                }
            }
        }
    }
    assert_eq!(
        kinds.len(),
        4,
        "every kind of reason was exercised: {kinds:?}"
    );
}

#[test]
fn bad_rules_and_inputs_are_errors_naming_the_customer() {
    let times = [0.0];
    let input = RiskInput {
        customer_id: "who",
        frequency: 0.0,
        recency: 0.0,
        t: 5.0,
        purchase_times: &times,
        p_alive: 0.5,
        churn_probability: f64::NAN,
        clv: 1.0,
        clv_if_alive: 2.0,
    };
    let err = assess_at_risk(&AtRiskRule::default(), &[input], TimeUnit::Week).unwrap_err();
    assert!(err.to_string().contains("who"), "{err}");
    let rule = AtRiskRule {
        top: Some(0),
        ..Default::default()
    };
    assert!(assess_at_risk(&rule, &[], TimeUnit::Week).is_err());
}

/// The demo data summarized over their whole history, in weeks, with purchase times.
fn demo_history() -> clv::features::Summary {
    let path = common::workspace_root().join("data/demo_transactions.csv");
    let opts = SummaryOptions {
        unit: TimeUnit::Week,
        keep_purchase_times: true,
        ..Default::default()
    };
    summarize_path(Path::new(&path), &ReadOptions::default(), &opts, |_| {})
        .unwrap()
        .0
}

#[test]
fn p_alive_churn_probability_and_clv_fit_together_on_the_demo_bundle() {
    let root = common::workspace_root();
    let mut bundle = Bundle::load(&root.join("models/demo_bundle.json")).unwrap();
    let history = demo_history();
    let clv = bundle
        .clv_settings(52.0, clv::features::TimeUnit::Week, 0.10, 0.3)
        .unwrap();
    // Without a classifier the churn probability is the model's P(no purchase in the window):
    // 1 − P(alive) + P(alive) × P(no purchase | alive), never below 1 − P(alive).
    bundle.churn = None;
    let all = AtRiskRule {
        top: None,
        ..Default::default()
    };
    let scored = score_bundle(&bundle, &history, clv, Some(26.0), all).unwrap();
    let mut explained = 0;
    for r in &scored.rows {
        let (p, q, churn) = (r.p_alive, r.p_no_purchase_if_alive, r.churn_probability);
        let model = 1.0 - p + p * q;
        assert!(
            (churn - model).abs() < 1e-9,
            "{}: {churn} vs {model}",
            r.customer_id
        );
        assert!(churn >= 1.0 - p - 1e-12);
        // The CLV is P(alive) times the CLV if alive; value at risk is the difference.
        assert!((r.clv - p * r.clv_if_alive).abs() <= 1e-9 * r.clv_if_alive.max(1.0));
        assert!(
            (r.value_at_risk - (r.clv_if_alive - r.clv)).abs() <= 1e-9 * r.clv_if_alive.max(1.0)
        );
        assert!(r.value_at_risk >= 0.0);
        if p > 0.9 && churn > 0.6 {
            // The contradiction the issue saw, explained: alive but a rare buyer.
            assert!(
                q > 0.5,
                "{}: p_alive {p}, churn {churn}, q {q}",
                r.customer_id
            );
            explained += 1;
        }
    }
    assert!(
        explained > 0,
        "no customer alive but likely silent in the demo data"
    );
    // The flags are the list, and the list is ranked.
    let flagged: Vec<&str> = scored
        .rows
        .iter()
        .filter(|r| r.at_risk)
        .map(|r| r.customer_id.as_str())
        .collect();
    assert_eq!(flagged.len(), scored.at_risk.len());
    assert_eq!(scored.totals.at_risk_customers, flagged.len());
    for row in &scored.at_risk {
        assert!(flagged.contains(&row.customer_id.as_str()));
    }
    let total: f64 = scored.at_risk.iter().map(|r| r.value_at_risk).sum();
    assert!((scored.totals.at_risk_value - total).abs() <= 1e-9 * total.max(1.0));
}
