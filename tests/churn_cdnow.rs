//! Acceptance check on the full CDNOW cohort (23,570 customers): calibration to 1997-09-30,
//! a 39-week churn window, seeded 30% stratified test split. The transaction model is BG/NBD at
//! the published CDNOW-sample estimates (Fader, Hardie & Lee 2005), evaluated from the paper's
//! closed forms here so that the test does not depend on the model code.

mod common;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use clv::churn::{ChurnCustomer, ChurnSettings, evaluate};
use clv::models::TransactionModel;

/// BG/NBD at fixed parameters (r, alpha, a, b).
struct BgNbd {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
}

impl BgNbd {
    /// The P(alive) denominator term: a/(b+x-1) · ((alpha+T)/(alpha+t_x))^(r+x) for x > 0.
    fn odds_dead(&self, x: f64, t_x: f64, t: f64) -> f64 {
        if x == 0.0 {
            return 0.0;
        }
        let log = (self.a / (self.b + x - 1.0)).ln()
            + (self.r + x) * ((self.alpha + t).ln() - (self.alpha + t_x).ln());
        log.exp()
    }
}

/// Gauss hypergeometric series, |z| < 1.
fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let (mut term, mut sum) = (1.0, 1.0);
    for k in 0..10_000 {
        let k = k as f64;
        term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        sum += term;
        if term.abs() < 1e-15 * sum.abs() {
            break;
        }
    }
    sum
}

impl TransactionModel for BgNbd {
    fn p_alive(&self, x: f64, t_x: f64, t: f64) -> f64 {
        1.0 / (1.0 + self.odds_dead(x, t_x, t))
    }
    fn expected_purchases(&self, h: f64, x: f64, t_x: f64, t: f64) -> f64 {
        let (r, al, a, b) = (self.r, self.alpha, self.a, self.b);
        let ratio = ((al + t) / (al + t + h)).powf(r + x);
        let f = hyp2f1(r + x, b + x, a + b + x - 1.0, h / (al + t + h));
        (a + b + x - 1.0) / (a - 1.0) * (1.0 - ratio * f) / (1.0 + self.odds_dead(x, t_x, t))
    }
    fn expected_purchases_new(&self, h: f64) -> f64 {
        let (r, al, a, b) = (self.r, self.alpha, self.a, self.b);
        let z = h / (al + h);
        (a + b - 1.0) / (a - 1.0) * (1.0 - (al / (al + h)).powf(r) * hyp2f1(r, b, a + b - 1.0, z))
    }
    fn prob_n_purchases(&self, n: u32, h: f64, x: f64, t_x: f64, t: f64) -> f64 {
        // Only n = 0 is used by the classifier: alive customers make no purchase with
        // probability E[exp(-lambda h)], lambda ~ Gamma(r + x, alpha + T); they cannot drop
        // out without purchasing.
        assert_eq!(n, 0, "this test model only gives P(N = 0)");
        let p = self.p_alive(x, t_x, t);
        1.0 - p + p * ((self.alpha + t) / (self.alpha + t + h)).powf(self.r + x)
    }
}

/// Builds per-customer inputs from the transactions: same-day purchases merged, weeks = days/7.
fn cdnow_customers() -> Option<Vec<ChurnCustomer>> {
    let path = common::dataset("cdnow_master.csv")?;
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
    let cal_end = day("1997-09-30");
    let obs_end = day("1998-06-30");
    let mut by_customer: BTreeMap<String, BTreeMap<NaiveDate, f64>> = BTreeMap::new();
    let mut rdr = csv::Reader::from_path(path).expect("open cdnow_master.csv");
    for rec in rdr.records() {
        let rec = rec.expect("row");
        let amount: f64 = rec[3].parse().expect("amount");
        *by_customer
            .entry(rec[0].to_string())
            .or_default()
            .entry(day(&rec[1]))
            .or_default() += amount;
    }
    let weeks = |a: NaiveDate, b: NaiveDate| (b - a).num_days() as f64 / 7.0;
    let customers = by_customer
        .into_iter()
        .map(|(id, days)| {
            let first = *days.keys().next().expect("a purchase");
            let cal: Vec<(&NaiveDate, &f64)> =
                days.iter().filter(|(d, _)| **d <= cal_end).collect();
            let x = (cal.len() - 1) as f64;
            let repeat_spend: f64 = cal.iter().skip(1).map(|(_, a)| **a).sum();
            ChurnCustomer {
                frequency: x,
                recency: weeks(first, *cal[cal.len() - 1].0),
                t: weeks(first, cal_end),
                monetary_value: if x > 0.0 { repeat_spend / x } else { 0.0 },
                total_spend: cal.iter().map(|(_, a)| **a).sum(),
                purchase_times: cal.iter().map(|(d, _)| weeks(first, **d)).collect(),
                holdout_frequency: Some(days.keys().filter(|d| **d > cal_end).count() as f64),
                holdout_duration: Some(weeks(cal_end, obs_end)),
                covariates: Vec::new(),
                cancelled_within_window: None,
                customer_id: id,
            }
        })
        .collect();
    Some(customers)
}

#[test]
#[cfg_attr(
    not(clv_datasets),
    ignore = "needs the reference datasets: set CLV_DATASETS"
)]
fn cdnow_full_cohort_meets_the_acceptance_bar() {
    let Some(customers) = cdnow_customers() else {
        return;
    };
    assert_eq!(customers.len(), 23_570);
    let model = BgNbd {
        r: 0.2426,
        alpha: 4.4136,
        a: 0.7929,
        b: 2.4259,
    };
    let settings = ChurnSettings::new(39.0);
    let report = evaluate(&customers, &model, &settings).expect("evaluate");
    for (name, m) in [
        ("classifier", &report.classifier),
        ("probabilistic", &report.probabilistic),
        ("baseline", &report.baseline),
    ] {
        eprintln!(
            "{name}: AUC {:.4} PR-AUC {:.4} Brier {:.4} log loss {:.4} lift10 {:.3} lift20 {:.3}",
            m.roc_auc, m.pr_auc, m.brier, m.log_loss, m.lift_10, m.lift_20
        );
    }
    eprintln!(
        "n_train {} n_test {} churn rates {:.4} / {:.4}",
        report.n_train, report.n_test, report.churn_rate_train, report.churn_rate_test
    );
    assert_eq!(report.n_train + report.n_test, 23_570);
    assert!(
        report.n_test.abs_diff(7_071) <= 1,
        "n_test {}",
        report.n_test
    );
    assert!((report.churn_rate_train - report.churn_rate_test).abs() < 1e-3);
    assert!(
        report.classifier.roc_auc >= 0.76,
        "AUC {}",
        report.classifier.roc_auc
    );
    assert!(
        report.classifier.brier <= 0.162,
        "Brier {}",
        report.classifier.brier
    );
    // The classifier must not be worse than either reference it is reported beside.
    assert!(report.classifier.roc_auc >= report.baseline.roc_auc - 1e-3);
    assert!(report.classifier.brier <= report.baseline.brier + 1e-3);
    assert!(report.classifier.brier <= report.probabilistic.brier + 1e-3);
}
