//! [`ReportData::example`]: realistic synthetic content for every section, seeded so it is
//! the same on every run. The numbers are illustrative, not the output of a fitted model,
//! except the frequency–recency grid, which is the BG/NBD with the published CDNOW estimates.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, LogNormal, Normal};

use super::{
    Assumptions, AtRiskList, ChurnEvaluation, ClvDistribution, CohortRetention, FrequencyRecency,
    GroupValues, Headline, ModelComparison, ReportData, Tracking,
};
use crate::churn::at_risk::{AtRiskRow, Reason, ReasonKind};
use crate::models::FitReport;
use crate::predict::bundle::Candidate;
use crate::predict::holdout::FrequencyBin;
use crate::predict::intervals::{Interval, IntervalSettings};
use crate::predict::new_customers::{NewCustomerValue, NewCustomerValues};

/// BG/NBD on CDNOW (Fader, Hardie & Lee 2005): r, alpha, a, b.
const BGNBD: [f64; 4] = [0.243, 4.414, 0.793, 2.426];

const SEGMENTS: [&str; 7] = [
    "Champions",
    "Loyal",
    "Potential loyalists",
    "Need attention",
    "Can't lose them",
    "At risk",
    "Hibernating",
];
const CHANNELS: [&str; 6] = [
    "Organic search",
    "Paid search",
    "Paid social",
    "Email",
    "Referral",
    "Marketplace",
];

impl ReportData {
    /// A complete report of 2,000 synthetic customers, weekly data, a 52-week horizon.
    pub fn example() -> ReportData {
        let mut rng = StdRng::seed_from_u64(20_240_601);
        let n = 2000;
        let p_alive_dist = Beta::new(2.0, 1.2).expect("constant parameters");
        let value_dist = LogNormal::new(4.2, 1.0).expect("constant parameters");
        let p_alive: Vec<f64> = (0..n).map(|_| p_alive_dist.sample(&mut rng)).collect();
        let clv: Vec<f64> = p_alive
            .iter()
            .map(|p| p * value_dist.sample(&mut rng))
            .collect();
        let ids: Vec<String> = (1..=n).map(|i| format!("C{i:05}")).collect();

        // At risk: the 100 with the most value at risk, (1 - P(alive)) x CLV if alive, among
        // those with P(alive) below 50%.
        let mut at_risk: Vec<usize> = (0..n).filter(|i| p_alive[*i] < 0.5).collect();
        let value_at_risk = |i: usize| (1.0 - p_alive[i]) * clv[i] / p_alive[i];
        at_risk.sort_by(|a, b| value_at_risk(*b).total_cmp(&value_at_risk(*a)));
        at_risk.truncate(100);
        let at_risk_rule = "the top 100 by value at risk among customers with churn probability \
                            >= 0.5 and value at risk > 0; value at risk = (1 - P(alive)) x CLV \
                            if alive";
        let at_risk_rows: Vec<AtRiskRow> = at_risk
            .iter()
            .enumerate()
            .map(|(rank, &i)| at_risk_row(rank + 1, &ids[i], p_alive[i], clv[i]))
            .collect();
        let total_clv: f64 = clv.iter().sum();
        let headline = Headline {
            customers: n as u64,
            mean_p_alive: p_alive.iter().sum::<f64>() / n as f64,
            predicted_revenue: total_clv / 0.3 / 0.91,
            total_clv,
            at_risk_customers: at_risk.len() as u64,
            at_risk_value: at_risk.iter().map(|i| value_at_risk(*i)).sum(),
            at_risk_rule: at_risk_rule.into(),
            total_clv_interval: Some(Interval {
                lower: total_clv * 0.93,
                upper: total_clv * 1.08,
            }),
        };

        // Segments from P(alive) and value rank; channels at random.
        let mut ranked = clv.clone();
        ranked.sort_by(|a, b| b.total_cmp(a));
        let top30 = ranked[(n * 3) / 10];
        let segment_of = |p: f64, v: f64| match (p, v >= top30) {
            (p, true) if p > 0.7 => 0,
            (p, false) if p > 0.7 => 1,
            (p, true) if p > 0.4 => 2,
            (p, false) if p > 0.4 => 3,
            (_, true) => 4,
            (p, false) if p > 0.2 => 5,
            _ => 6,
        };
        let mut segments = groups(&SEGMENTS);
        let mut channels = groups(&CHANNELS);
        for i in 0..n {
            let s = segment_of(p_alive[i], clv[i]);
            segments.customers[s] += 1;
            segments.total_clv[s] += clv[i];
            let c = (rng.random::<f64>().powf(1.6) * CHANNELS.len() as f64) as usize;
            channels.customers[c] += 1;
            channels.total_clv[c] += clv[i] * (1.0 + 0.15 * c as f64);
        }

        // Churn outcomes drawn from the (noisy) complement of P(alive).
        let noise = Normal::new(0.0, 0.12).expect("constant parameters");
        let predicted: Vec<f64> = p_alive
            .iter()
            .map(|p| (1.0 - p + noise.sample(&mut rng)).clamp(0.01, 0.99))
            .collect();
        let churned: Vec<bool> = p_alive
            .iter()
            .map(|p| rng.random::<f64>() < 1.0 - p)
            .collect();

        ReportData {
            title: "Customer value report — example shop".into(),
            subtitle: "Synthetic example: 2,000 customers, weekly periods, BG/NBD + Gamma-Gamma"
                .into(),
            time_unit: "weeks".into(),
            currency: "USD".into(),
            horizon: 52.0,
            headline: Some(headline),
            assumptions: Some(assumptions()),
            at_risk: Some(AtRiskList {
                rule: at_risk_rule.into(),
                rows: at_risk_rows,
                customers_at_risk: at_risk.len() as u64,
            }),
            new_customers: Some(new_customers()),
            model_comparison: Some(model_comparison()),
            tracking: Some(tracking(&mut rng)),
            calibration_holdout: Some(calibration_bins(&mut rng)),
            frequency_recency: Some(frequency_recency(39.0, 52.0)),
            clv: Some(ClvDistribution {
                values: clv,
                customer_ids: ids,
            }),
            segments: Some(segments),
            channels: Some(channels),
            churn: Some(ChurnEvaluation {
                predicted,
                churned,
                definition: "no purchase in the 26-week holdout".into(),
            }),
            cohorts: Some(cohorts(&mut rng)),
            fits: fits(),
            absent: Default::default(),
        }
    }
}

fn assumptions() -> Assumptions {
    Assumptions {
        annual_discount_rate: 0.10,
        margin: 0.30,
        model: super::model_name("bgnbd"),
        selection_rule: "holdout MSE, then aggregate error".into(),
        selection_reason: "lowest holdout MSE (0.912 vs 0.947 for pnbd), aggregate error within \
                           10%"
        .into(),
        data_start: Some("2024-01-01".into()),
        calibration_end: Some("2024-09-30".into()),
        observation_end: "2025-06-30".into(),
        churn_window: 26.0,
        churn_source: "the churn classifier (26-week window)".into(),
        interval_level: Some(0.9),
        interval_draws: Some(200),
    }
}

/// A synthetic at-risk row with the library's kinds of reasons.
fn at_risk_row(rank: usize, id: &str, p_alive: f64, clv: f64) -> AtRiskRow {
    let gap = 4.0 + (rank % 7) as f64 * 1.3;
    let silence = gap * (2.0 + (rank % 5) as f64 * 0.7);
    let mut reasons = vec![Reason {
        kind: ReasonKind::SilenceVsOwnGap,
        description: format!(
            "no purchase for {silence:.0} weeks, {:.1} times their usual gap of {gap:.1} weeks",
            silence / gap
        ),
    }];
    if rank.is_multiple_of(3) {
        reasons.push(Reason {
            kind: ReasonKind::FrequencyDrop,
            description: "2 purchases in the second half of their history against 6 in the first"
                .into(),
        });
    }
    AtRiskRow {
        rank,
        customer_id: id.to_string(),
        churn_probability: (1.0 - p_alive * 0.8).clamp(0.0, 1.0),
        p_alive,
        clv,
        clv_if_alive: clv / p_alive,
        value_at_risk: (1.0 - p_alive) * clv / p_alive,
        reasons,
    }
}

fn new_customers() -> NewCustomerValues {
    let value = |group: &str, attribute: Option<&str>, customers: usize, clv: f64| {
        let interval = Interval {
            lower: clv * 0.82,
            upper: clv * 1.21,
        };
        NewCustomerValue {
            group: group.into(),
            attribute: attribute.map(str::to_string),
            training_customers: customers,
            clv,
            clv_interval: Some(interval),
            max_cac: clv / 3.0,
            conservative_max_cac: Some(interval.lower / 3.0),
        }
    };
    NewCustomerValues {
        target_ltv_cac: 3.0,
        intervals: IntervalSettings::default(),
        values: vec![
            value("all new customers", None, 2000, 41.30),
            value("Organic search", Some("channel"), 1100, 44.80),
            value("Paid search", Some("channel"), 600, 37.10),
            value("Paid social", Some("channel"), 300, 35.90),
        ],
        interval_note: None,
    }
}

fn model_comparison() -> ModelComparison {
    let candidate = |model: &str, ll: f64, mse: f64, mae: f64, aggregate: f64| Candidate {
        model: model.into(),
        log_likelihood: ll,
        converged: true,
        holdout_mae: Some(mae),
        holdout_aggregate_error_pct: Some(aggregate),
        holdout_mse: Some(mse),
        holdout_mse_difference_se: Some(0.01),
    };
    ModelComparison {
        chosen: "bgnbd".into(),
        rule: "holdout MSE, then aggregate error".into(),
        reason: "lowest holdout MSE (0.912 vs 0.947 for pnbd), aggregate error within 10%".into(),
        candidates: vec![
            candidate("bgnbd", -9582.4, 0.912, 0.611, 3.1),
            candidate("pnbd", -9590.2, 0.947, 0.602, -8.4),
            candidate("mbgnbd", -9585.0, 0.931, 0.615, 4.0),
        ],
        not_scored: vec![],
    }
}

fn groups(names: &[&str]) -> GroupValues {
    GroupValues {
        names: names.iter().map(|s| s.to_string()).collect(),
        customers: vec![0; names.len()],
        total_clv: vec![0.0; names.len()],
    }
}

/// 78 weeks: a cohort acquired over the first 12 weeks, calibration ends at week 39.
fn tracking(rng: &mut StdRng) -> Tracking {
    let period_end: Vec<f64> = (1..=78).map(f64::from).collect();
    let expected: Vec<f64> = period_end
        .iter()
        .map(|t| 95.0 * (1.0 - (-t / 6.0).exp()) * (0.992f64).powf(*t))
        .collect();
    let actual = expected
        .iter()
        .map(|e| {
            let sd = e.sqrt() * 1.2;
            (e + Normal::new(0.0, sd).map(|d| d.sample(rng)).unwrap_or(0.0))
                .round()
                .max(0.0)
        })
        .collect();
    Tracking {
        start_date: Some("2024-01-01".into()),
        days_per_unit: Some(7.0),
        period_end,
        actual,
        expected,
        calibration_end: 39.0,
    }
}

fn calibration_bins(rng: &mut StdRng) -> Vec<FrequencyBin> {
    let customers = [1411, 439, 214, 100, 62, 38, 29, 64];
    (0..8)
        .map(|f| {
            let predicted = 0.24 + 0.52 * f as f64 + if f == 7 { 1.6 } else { 0.0 };
            FrequencyBin {
                frequency: if f == 7 { "7+".into() } else { f.to_string() },
                customers: customers[f],
                mean_actual: predicted * (1.0 + 0.16 * (rng.random::<f64>() - 0.5)),
                mean_predicted: predicted,
            }
        })
        .collect()
}

/// BG/NBD P(alive) (Fader, Hardie & Lee 2005), with the large power taken in log space.
fn bgnbd_p_alive(x: f64, t_x: f64, t: f64) -> f64 {
    let [r, alpha, a, b] = BGNBD;
    if x == 0.0 {
        return 1.0;
    }
    let ln_odds = (a / (b + x - 1.0)).ln() + (r + x) * ((alpha + t) / (alpha + t_x)).ln();
    1.0 / (1.0 + ln_odds.exp())
}

/// Gauss hypergeometric 2F1(a, b; c; z) for 0 <= z < 1 by its series.
fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let (mut term, mut sum) = (1.0, 1.0);
    for k in 0..2000 {
        let k = k as f64;
        term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        sum += term;
        if term.abs() < 1e-14 * sum.abs() {
            break;
        }
    }
    sum
}

/// BG/NBD conditional expected purchases in the next `horizon` periods (same paper).
fn bgnbd_expected(horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
    let [r, alpha, a, b] = BGNBD;
    let z = horizon / (alpha + t + horizon);
    let ratio = ((alpha + t) / (alpha + t + horizon)).powf(r + x);
    let bracket = 1.0 - ratio * hyp2f1(r + x, b + x, a + b + x - 1.0, z);
    (a + b + x - 1.0) / (a - 1.0) * bracket * bgnbd_p_alive(x, t_x, t)
}

fn frequency_recency(age: f64, horizon: f64) -> FrequencyRecency {
    let frequency: Vec<f64> = (0..=20).map(f64::from).collect();
    let recency: Vec<f64> = (0..=age as i32).map(f64::from).collect();
    let grid = |f: &dyn Fn(f64, f64) -> f64| -> Vec<Vec<f64>> {
        frequency
            .iter()
            .map(|x| recency.iter().map(|t_x| f(*x, *t_x)).collect())
            .collect()
    };
    FrequencyRecency {
        expected_purchases: grid(&|x, t_x| bgnbd_expected(horizon, x, t_x, age)),
        p_alive: grid(&|x, t_x| bgnbd_p_alive(x, t_x, age)),
        frequency,
        recency,
        age,
    }
}

/// 18 monthly cohorts; the youngest has the fewest months observed.
fn cohorts(rng: &mut StdRng) -> CohortRetention {
    let count = 18;
    let cohorts = (0..count)
        .map(|i| format!("{}-{:02}", 2023 + (6 + i) / 12, (6 + i) % 12 + 1))
        .collect();
    let sizes = (0..count).map(|i| 180 + (i as u64 * 37) % 90).collect();
    let share_active = (0..count)
        .map(|i| {
            (0..count - i)
                .map(|m| {
                    if m == 0 {
                        1.0
                    } else {
                        let base = 0.42 * (-0.13 * m as f64).exp() + 0.11 - 0.004 * i as f64;
                        (base + 0.03 * (rng.random::<f64>() - 0.5)).clamp(0.0, 1.0)
                    }
                })
                .collect()
        })
        .collect();
    CohortRetention {
        cohorts,
        sizes,
        share_active,
    }
}

fn fit_report(
    model: &str,
    names: &[&str],
    estimates: &[f64],
    se: &[f64],
    ll: f64,
    warnings: &[&str],
) -> FitReport {
    FitReport {
        model: model.into(),
        param_names: names.iter().map(|s| s.to_string()).collect(),
        estimates: estimates.to_vec(),
        std_errors: se.iter().map(|s| Some(*s)).collect(),
        ci95: estimates
            .iter()
            .zip(se)
            .map(|(e, s)| Some(((e - 1.96 * s).max(0.0), e + 1.96 * s)))
            .collect(),
        covariance: None,
        log_likelihood: ll,
        gradient_norm: 3.1e-9,
        iterations: 41,
        converged: true,
        at_boundary: vec![],
        warnings: warnings.iter().map(|s| s.to_string()).collect(),
        starts_tried: 4,
        penalty: 0.0,
    }
}

fn fits() -> Vec<FitReport> {
    vec![
        fit_report(
            "bgnbd",
            &["r", "alpha", "a", "b"],
            &BGNBD,
            &[0.0125, 0.3038, 0.1850, 0.7057],
            -9582.43,
            &[],
        ),
        fit_report(
            "gamma-gamma",
            &["p", "q", "gamma"],
            &[6.25, 3.74, 15.44],
            &[1.19, 0.31, 4.15],
            -4063.92,
            &[
                "spend and purchase frequency are correlated (r = 0.11); Gamma-Gamma assumes independence",
            ],
        ),
    ]
}
