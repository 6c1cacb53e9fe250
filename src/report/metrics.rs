//! The summaries the report computes from per-customer inputs: ROC curve and AUC, decile
//! calibration and cumulative gains of a churn score, CLV deciles and concentration, and
//! histogram bins. Pure functions, public so they can be tested against closed forms.

/// ROC curve of `scores` (higher = more likely positive) against `labels` (true = positive),
/// from (0, 0) to (1, 1), one point per distinct score (ties move diagonally), and its area
/// by the trapezoid rule (which counts ties as one half, as the Mann–Whitney statistic does).
/// `None` unless both classes are present. Pairs with a non-finite score are ignored.
pub fn roc_curve(scores: &[f64], labels: &[bool]) -> Option<(Vec<(f64, f64)>, f64)> {
    let mut pairs: Vec<(f64, bool)> = scores
        .iter()
        .zip(labels)
        .filter(|(s, _)| s.is_finite())
        .map(|(s, l)| (*s, *l))
        .collect();
    let positives = pairs.iter().filter(|p| p.1).count() as f64;
    let negatives = pairs.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut points = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut auc = 0.0;
    let mut i = 0;
    while i < pairs.len() {
        let score = pairs[i].0;
        let (prev_fpr, prev_tpr) = (fp / negatives, tp / positives);
        while i < pairs.len() && pairs[i].0 == score {
            if pairs[i].1 {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            i += 1;
        }
        let (fpr, tpr) = (fp / negatives, tp / positives);
        auc += (fpr - prev_fpr) * (tpr + prev_tpr) / 2.0;
        points.push((fpr, tpr));
    }
    Some((points, auc))
}

/// One group of a calibration table.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationBin {
    pub customers: usize,
    pub mean_predicted: f64,
    pub observed_rate: f64,
}

/// Customers sorted by predicted probability and cut into `groups` groups of (near) equal
/// size; per group, the mean prediction and the observed share of positives. Fewer groups
/// when there are fewer customers. Non-finite predictions are ignored.
pub fn calibration_bins(predicted: &[f64], labels: &[bool], groups: usize) -> Vec<CalibrationBin> {
    let mut pairs: Vec<(f64, bool)> = predicted
        .iter()
        .zip(labels)
        .filter(|(p, _)| p.is_finite())
        .map(|(p, l)| (*p, *l))
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = pairs.len();
    let groups = groups.min(n);
    (0..groups)
        .map(|g| {
            let slice = &pairs[g * n / groups..(g + 1) * n / groups];
            let len = slice.len() as f64;
            CalibrationBin {
                customers: slice.len(),
                mean_predicted: slice.iter().map(|p| p.0).sum::<f64>() / len,
                observed_rate: slice.iter().filter(|p| p.1).count() as f64 / len,
            }
        })
        .collect()
}

/// Cumulative gains: targeting customers in decreasing score order, the share of all positives
/// caught (y) against the share of customers targeted (x), from (0, 0) to (1, 1), with at most
/// about `max_points` points. `None` without positives. Non-finite scores are ignored.
pub fn cumulative_gains(
    scores: &[f64],
    labels: &[bool],
    max_points: usize,
) -> Option<Vec<(f64, f64)>> {
    let mut pairs: Vec<(f64, bool)> = scores
        .iter()
        .zip(labels)
        .filter(|(s, _)| s.is_finite())
        .map(|(s, l)| (*s, *l))
        .collect();
    let positives = pairs.iter().filter(|p| p.1).count();
    if positives == 0 {
        return None;
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let n = pairs.len();
    let step = n.div_ceil(max_points.max(1)).max(1);
    let mut points = vec![(0.0, 0.0)];
    let mut caught = 0usize;
    for (k, pair) in pairs.iter().enumerate() {
        caught += usize::from(pair.1);
        if (k + 1) % step == 0 || k + 1 == n {
            points.push(((k + 1) as f64 / n as f64, caught as f64 / positives as f64));
        }
    }
    Some(points)
}

/// Thins a polyline to at most about `max_points` points, keeping the first and last.
pub fn thin(points: &[(f64, f64)], max_points: usize) -> Vec<(f64, f64)> {
    if points.len() <= max_points.max(2) {
        return points.to_vec();
    }
    let step = points.len().div_ceil(max_points.max(2));
    let mut out: Vec<(f64, f64)> = points.iter().step_by(step).copied().collect();
    if let Some(last) = points.last()
        && out.last() != Some(last)
    {
        out.push(*last);
    }
    out
}

/// One decile of customers ranked by value, highest first.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueDecile {
    /// 1 = the top 10% of customers.
    pub decile: usize,
    pub customers: usize,
    pub mean: f64,
    pub total: f64,
    /// Share of the total value of all customers; NaN when the total is not positive.
    pub share: f64,
    pub cumulative_share: f64,
}

/// Customers ranked by `values` (highest first) and cut into 10 groups of near-equal size.
/// Non-finite values are ignored.
pub fn value_deciles(values: &[f64]) -> Vec<ValueDecile> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let n = sorted.len();
    let total: f64 = sorted.iter().sum();
    let groups = 10.min(n);
    let mut cumulative = 0.0;
    (0..groups)
        .map(|g| {
            let slice = &sorted[g * n / groups..(g + 1) * n / groups];
            let sum: f64 = slice.iter().sum();
            cumulative += sum;
            let share_of = |v: f64| if total > 0.0 { v / total } else { f64::NAN };
            ValueDecile {
                decile: g + 1,
                customers: slice.len(),
                mean: sum / slice.len() as f64,
                total: sum,
                share: share_of(sum),
                cumulative_share: share_of(cumulative),
            }
        })
        .collect()
}

/// Share of the total value held by the top `fraction` of customers (rounded up to whole
/// customers). NaN when there are no customers or the total is not positive.
pub fn top_share(values: &[f64], fraction: f64) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let total: f64 = sorted.iter().sum();
    if sorted.is_empty() || total <= 0.0 {
        return f64::NAN;
    }
    let k = ((fraction.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize).min(sorted.len());
    sorted[..k].iter().sum::<f64>() / total
}

/// The `q` quantile (0..=1) of finite values by linear interpolation; NaN when empty.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted.sort_by(|a, b| a.total_cmp(b));
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Equal-width histogram of finite values over [lo, hi] with `bins` bins; values above `hi`
/// are counted in the last bin and values below `lo` in the first. Returns the bin edges
/// (bins + 1) and counts.
pub fn histogram(values: &[f64], lo: f64, hi: f64, bins: usize) -> (Vec<f64>, Vec<u64>) {
    let bins = bins.max(1);
    let hi = if hi > lo { hi } else { lo + 1.0 };
    let width = (hi - lo) / bins as f64;
    let edges = (0..=bins).map(|i| lo + width * i as f64).collect();
    let mut counts = vec![0u64; bins];
    for v in values.iter().filter(|v| v.is_finite()) {
        let index = ((v - lo) / width).floor().clamp(0.0, (bins - 1) as f64) as usize;
        counts[index] += 1;
    }
    (edges, counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roc_of_perfect_random_and_tied_scores() {
        let (_, auc) = roc_curve(&[0.9, 0.8, 0.2, 0.1], &[true, true, false, false]).unwrap();
        assert_eq!(auc, 1.0);
        let (_, auc) = roc_curve(&[0.9, 0.8, 0.2, 0.1], &[false, false, true, true]).unwrap();
        assert_eq!(auc, 0.0);
        // All scores tied: the curve is the diagonal and the area one half.
        let (points, auc) = roc_curve(&[0.5; 4], &[true, false, true, false]).unwrap();
        assert_eq!(points, vec![(0.0, 0.0), (1.0, 1.0)]);
        assert_eq!(auc, 0.5);
        assert!(roc_curve(&[0.1, 0.2], &[true, true]).is_none());
    }

    #[test]
    fn auc_equals_mann_whitney_probability() {
        let scores = [0.1, 0.4, 0.35, 0.8, 0.4, 0.7, 0.2, 0.9];
        let labels = [false, false, true, true, true, false, false, true];
        let (_, auc) = roc_curve(&scores, &labels).unwrap();
        let mut wins = 0.0;
        let mut pairs = 0.0;
        for (si, li) in scores.iter().zip(labels) {
            for (sj, lj) in scores.iter().zip(labels) {
                if li && !lj {
                    pairs += 1.0;
                    wins += if si > sj {
                        1.0
                    } else if si == sj {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
        }
        assert!((auc - wins / pairs).abs() < 1e-12);
    }

    #[test]
    fn deciles_and_top_share() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        let deciles = value_deciles(&values);
        assert_eq!(deciles.len(), 10);
        assert_eq!(deciles[0].total, (91..=100).sum::<i32>() as f64);
        assert!((deciles[9].cumulative_share - 1.0).abs() < 1e-12);
        let expected = (81..=100).sum::<i32>() as f64 / 5050.0;
        assert!((top_share(&values, 0.2) - expected).abs() < 1e-12);
        assert!(top_share(&[], 0.2).is_nan());
    }

    #[test]
    fn gains_end_at_one_and_histogram_counts_everything() {
        let gains = cumulative_gains(&[0.9, 0.1, 0.5], &[true, false, true], 100).unwrap();
        assert_eq!(gains.last(), Some(&(1.0, 1.0)));
        assert_eq!(gains[1], (1.0 / 3.0, 0.5));
        let (edges, counts) = histogram(&[0.0, 0.5, 1.0, 7.0, f64::NAN], 0.0, 2.0, 4);
        assert_eq!(edges.len(), 5);
        assert_eq!(counts.iter().sum::<u64>(), 4);
        assert_eq!(counts[3], 1);
        assert!((quantile(&[1.0, 2.0, 3.0], 0.5) - 2.0).abs() < 1e-12);
    }
}
