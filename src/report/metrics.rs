//! The summaries the report computes from per-customer values: CLV deciles and concentration,
//! quantiles, histogram bins and the thinning of long curves. Pure functions, public so they
//! can be tested against closed forms. The churn model's ROC curve, calibration and gains are
//! those of `clv evaluate`, from [`crate::churn::metrics`].

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
    fn histogram_counts_everything() {
        let (edges, counts) = histogram(&[0.0, 0.5, 1.0, 7.0, f64::NAN], 0.0, 2.0, 4);
        assert_eq!(edges.len(), 5);
        assert_eq!(counts.iter().sum::<u64>(), 4);
        assert_eq!(counts[3], 1);
        assert!((quantile(&[1.0, 2.0, 3.0], 0.5) - 2.0).abs() < 1e-12);
    }
}
