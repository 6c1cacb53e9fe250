//! RFM quintile scores, named segments and the high-value flag (`clv segment`).
//!
//! Scores run from 1 (worst) to 5 (best). Recency is the days from the last purchase to the end
//! of the (calibration) period, fewer being better; frequency is the number of orders; monetary
//! is total spend. A customer's score is `1 + floor(5 × share of customers with a strictly
//! worse value)`, capped at 5, so tied customers always share a score and the scores do not
//! depend on row order (with many one-time buyers, the frequency scores skip low values rather
//! than split the tie).
//!
//! The quintiles are relative: where most customers have lapsed, a customer silent for a year
//! can still be in the best recency fifth. So the recency score is also capped by how overdue
//! the customer is against their expected gap between purchases (their own mean gap, last −
//! first purchase day over the purchase days − 1; for one-time buyers the median of the
//! repeat buyers' gaps; no cap without any repeat buyer):
//!
//! | days since the last purchase | recency score at most |
//! | --- | --- |
//! | up to 2 × the expected gap | 5 (the quintile score) |
//! | over 2 × the expected gap | 2 |
//! | over 4 × the expected gap | 1 |
//!
//! so a 3-order customer last seen 431 days ago, who used to buy every two months, is no
//! champion (R 1 at most: "cannot lose", "at risk" or "lost").
//!
//! Segments come from [`SEGMENT_RULES`]: the first rule whose recency, frequency and monetary
//! score ranges all contain the customer's scores names the segment. Every score combination
//! matches some rule.
//!
//! | segment | recency | frequency | monetary |
//! | --- | --- | --- | --- |
//! | champions | 4–5 | 4–5 | 1–5 |
//! | loyal | 3–5 | 3–5 | 1–5 |
//! | new | 5 | 1 | 1–5 |
//! | potential | 4–5 | 1–2 | 1–5 |
//! | needs attention | 3 | 1–2 | 1–5 |
//! | cannot lose | 1–2 | 4–5 | 4–5 |
//! | at risk | 1–2 | 3–5 | 1–5 |
//! | hibernating | 2 | 1–2 | 1–5 |
//! | lost | 1 | 1–2 | 1–5 |
//!
//! High value: a repeat buyer (at least two distinct purchase days) whose average order value
//! (total spend ÷ orders) is above the median average order value of all customers.

use serde::Serialize;

use super::Summary;

/// One row of the segment rule table: inclusive score ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentRule {
    pub name: &'static str,
    pub recency: (u8, u8),
    pub frequency: (u8, u8),
    pub monetary: (u8, u8),
}

const fn rule(name: &'static str, r: (u8, u8), f: (u8, u8), m: (u8, u8)) -> SegmentRule {
    SegmentRule {
        name,
        recency: r,
        frequency: f,
        monetary: m,
    }
}

/// The segment rules, first match wins (the table in the module documentation).
pub const SEGMENT_RULES: &[SegmentRule] = &[
    rule("champions", (4, 5), (4, 5), (1, 5)),
    rule("loyal", (3, 5), (3, 5), (1, 5)),
    rule("new", (5, 5), (1, 1), (1, 5)),
    rule("potential", (4, 5), (1, 2), (1, 5)),
    rule("needs attention", (3, 3), (1, 2), (1, 5)),
    rule("cannot lose", (1, 2), (4, 5), (4, 5)),
    rule("at risk", (1, 2), (3, 5), (1, 5)),
    rule("hibernating", (2, 2), (1, 2), (1, 5)),
    rule("lost", (1, 1), (1, 2), (1, 5)),
];

/// Recency score caps: (overdue factor, highest score past it), largest factor first.
pub const RECENCY_CAPS: [(f64, u8); 2] = [(4.0, 1), (2.0, 2)];

/// The highest recency score of a customer `days_since_last` days after their last purchase
/// whose expected gap between purchases is `expected_gap_days` (see the module documentation).
pub fn recency_cap(days_since_last: f64, expected_gap_days: Option<f64>) -> u8 {
    let Some(gap) = expected_gap_days.filter(|g| *g > 0.0) else {
        return 5;
    };
    RECENCY_CAPS
        .iter()
        .find(|(factor, _)| days_since_last > factor * gap)
        .map_or(5, |&(_, cap)| cap)
}

/// The segment of a score triple.
pub fn segment_of(r: u8, f: u8, m: u8) -> &'static str {
    let within = |v: u8, (lo, hi): (u8, u8)| lo <= v && v <= hi;
    SEGMENT_RULES
        .iter()
        .find(|s| within(r, s.recency) && within(f, s.frequency) && within(m, s.monetary))
        .map_or("unclassified", |s| s.name)
}

/// Quintile scores of `values` (higher value, higher score): `1 + floor(5 × share strictly
/// below)`, capped at 5.
pub fn quintile_scores(values: &[f64]) -> Vec<u8> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len().max(1) as f64;
    values
        .iter()
        .map(|v| {
            let below = sorted.partition_point(|s| s < v) as f64;
            (1.0 + (5.0 * below / n).floor()).min(5.0) as u8
        })
        .collect()
}

/// One customer's scores, segment and flag.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RfmScore {
    pub customer_id: String,
    pub recency_days: i64,
    /// The expected gap between purchases the recency score is capped against (empty when
    /// there is no repeat buyer at all).
    pub expected_gap_days: Option<f64>,
    pub orders: u64,
    pub total_spend: f64,
    pub average_order_value: f64,
    pub r: u8,
    pub f: u8,
    pub m: u8,
    pub segment: &'static str,
    pub high_value: bool,
}

/// Median of a non-empty list (mean of the two middle values for even length).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Scores every customer of a summary, as of the end of its (calibration) period.
pub fn rfm_scores(summary: &Summary) -> Vec<RfmScore> {
    let end = summary.calibration_period_end();
    let cs = &summary.customers;
    let recency_days: Vec<i64> = cs
        .iter()
        .map(|c| (end - c.last_purchase).num_days())
        .collect();
    // Fewer days since the last purchase is better: score the negated days.
    let quintiles = quintile_scores(
        &recency_days
            .iter()
            .map(|&d| -(d as f64))
            .collect::<Vec<_>>(),
    );
    // Own mean gap in days for repeat buyers; the repeat buyers' median for the others.
    let own_gap: Vec<Option<f64>> = cs
        .iter()
        .map(|c| {
            let span = (c.last_purchase - c.first_purchase).num_days() as f64;
            (c.frequency >= 1.0 && span > 0.0).then(|| span / c.frequency)
        })
        .collect();
    let mut repeat_gaps: Vec<f64> = own_gap.iter().flatten().copied().collect();
    let population_gap = (!repeat_gaps.is_empty()).then(|| median(&mut repeat_gaps));
    let expected_gap: Vec<Option<f64>> = own_gap.iter().map(|g| g.or(population_gap)).collect();
    let r: Vec<u8> = quintiles
        .iter()
        .zip(&recency_days)
        .zip(&expected_gap)
        .map(|((&q, &days), &gap)| q.min(recency_cap(days as f64, gap)))
        .collect();
    let f = quintile_scores(&cs.iter().map(|c| c.orders as f64).collect::<Vec<_>>());
    let m = quintile_scores(&cs.iter().map(|c| c.total_spend).collect::<Vec<_>>());
    let aov: Vec<f64> = cs
        .iter()
        .map(|c| {
            if c.orders > 0 {
                c.total_spend / c.orders as f64
            } else {
                0.0
            }
        })
        .collect();
    let median_aov = median(&mut aov.clone());
    cs.iter()
        .enumerate()
        .map(|(i, c)| RfmScore {
            customer_id: c.customer_id.clone(),
            recency_days: recency_days[i],
            expected_gap_days: expected_gap[i],
            orders: c.orders,
            total_spend: c.total_spend,
            average_order_value: aov[i],
            r: r[i],
            f: f[i],
            m: m[i],
            segment: segment_of(r[i], f[i], m[i]),
            high_value: c.frequency >= 1.0 && aov[i] > median_aov,
        })
        .collect()
}

/// Number of customers per segment, in rule-table order (empty segments included).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentCount {
    pub segment: &'static str,
    pub customers: u64,
    pub share: f64,
    pub high_value: u64,
    pub revenue: f64,
}

/// Segment sizes, revenue and high-value counts.
pub fn segment_counts(scores: &[RfmScore]) -> Vec<SegmentCount> {
    let total = scores.len().max(1) as f64;
    SEGMENT_RULES
        .iter()
        .map(|rule| {
            let members = scores.iter().filter(|s| s.segment == rule.name);
            let (mut n, mut hv, mut revenue) = (0u64, 0u64, 0.0);
            for s in members {
                n += 1;
                hv += u64::from(s.high_value);
                revenue += s.total_spend;
            }
            SegmentCount {
                segment: rule.name,
                customers: n,
                share: n as f64 / total,
                high_value: hv,
                revenue,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_table_covers_every_score_combination() {
        for r in 1..=5 {
            for f in 1..=5 {
                for m in 1..=5 {
                    assert_ne!(segment_of(r, f, m), "unclassified", "{r}{f}{m}");
                }
            }
        }
        assert_eq!(segment_of(5, 5, 1), "champions");
        assert_eq!(segment_of(5, 1, 5), "new");
        assert_eq!(segment_of(1, 5, 5), "cannot lose");
        assert_eq!(segment_of(1, 5, 3), "at risk");
        assert_eq!(segment_of(1, 1, 1), "lost");
    }

    #[test]
    fn quintiles_of_distinct_values_and_ties() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quintile_scores(&v), vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        // Six of ten tied at the bottom share score 1; the next value jumps to 4.
        let v = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 9.0];
        assert_eq!(quintile_scores(&v), vec![1, 1, 1, 1, 1, 1, 4, 4, 5, 5]);
        assert_eq!(quintile_scores(&[7.0, 7.0]), vec![1, 1]);
    }

    #[test]
    fn overdue_customers_lose_their_recency_score() {
        assert_eq!(recency_cap(100.0, None), 5);
        assert_eq!(recency_cap(100.0, Some(50.0)), 5);
        assert_eq!(recency_cap(101.0, Some(50.0)), 2);
        assert_eq!(recency_cap(201.0, Some(50.0)), 1);
        assert_eq!(recency_cap(431.0, Some(57.5)), 1);
    }

    #[test]
    fn a_three_order_customer_last_seen_431_days_ago_is_no_champion() {
        use crate::features::test_support::{customer, summary};
        let end = chrono::NaiveDate::from_ymd_opt(2020, 3, 1).unwrap();
        let days = |d: i64| end - chrono::Duration::days(d);
        let buyer = |id: &str, first: i64, last: i64, orders: u64| {
            let mut c = customer(id, (orders - 1) as f64, &["organic", "0"], None);
            c.first_purchase = days(first);
            c.last_purchase = days(last);
            c.orders = orders;
            c.total_spend = 100.0 * orders as f64;
            c
        };
        // Three orders about two months apart, then 431 days of silence; the rest of the
        // customers lapsed even longer ago, so the quintiles alone make it a champion.
        let mut customers = vec![
            buyer("lapsed", 431 + 115, 431, 3),
            buyer("active", 80, 20, 3),
        ];
        customers.extend((0..8).map(|k| buyer(&format!("once{k}"), 500 + k, 500 + k, 1)));
        let scores = rfm_scores(&summary(customers));
        let lapsed = &scores[0];
        let quintile_r = quintile_scores(
            &scores
                .iter()
                .map(|s| -(s.recency_days as f64))
                .collect::<Vec<_>>(),
        )[0];
        assert_eq!(segment_of(quintile_r, lapsed.f, lapsed.m), "champions");
        assert_eq!(lapsed.recency_days, 431);
        assert_eq!(lapsed.expected_gap_days, Some(57.5));
        assert_eq!(lapsed.r, 1);
        assert_ne!(lapsed.segment, "champions");
        assert_eq!(lapsed.segment, "cannot lose");
        // Bought every 30 days, last 20 days ago: still a champion.
        assert_eq!(scores[1].segment, "champions");
        // One-time buyers are measured against the repeat buyers' median gap: (57.5 + 30) / 2.
        assert_eq!(scores[2].expected_gap_days, Some(43.75));
        assert_eq!(scores[2].r, 1);
    }

    #[test]
    fn median_and_high_value_rule() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
