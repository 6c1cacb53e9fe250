//! Binary-classification metrics for churn scores: ROC AUC and the ROC curve, average precision,
//! log loss, Brier score, a decile calibration table, lift and gains at a top fraction and the
//! gains curve, and the confusion matrix. `clv evaluate` and the HTML report both use these.
//!
//! Labels are `true` for churners (the positive class); a higher score means "more likely to
//! churn". Every function checks its input and returns an error instead of NaN.

use serde::{Deserialize, Serialize};

use crate::error::{ClvError, Result};

/// Probabilities are clipped to `[LOG_LOSS_EPS, 1 - LOG_LOSS_EPS]` before taking logs.
pub const LOG_LOSS_EPS: f64 = 1e-15;

/// All metrics of one set of churn scores against observed labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Customers scored.
    pub n: usize,
    /// Observed churn rate.
    pub churn_rate: f64,
    /// Mean predicted churn probability.
    pub mean_predicted: f64,
    /// Area under the ROC curve; tied scores count one half.
    pub roc_auc: f64,
    /// Area under the precision-recall curve as average precision.
    pub pr_auc: f64,
    /// Mean squared difference between probability and outcome.
    pub brier: f64,
    /// Mean negative log-likelihood, probabilities clipped to `[1e-15, 1 - 1e-15]`.
    pub log_loss: f64,
    /// Mean predicted vs observed churn per decile of predicted probability.
    pub calibration: Vec<CalibrationBin>,
    /// Churn rate in the top 10% of scores divided by the overall churn rate.
    pub lift_10: f64,
    /// Same for the top 20%.
    pub lift_20: f64,
    /// Share of all churners found in the top 10% of scores.
    pub gains_10: f64,
    /// Same for the top 20%.
    pub gains_20: f64,
    /// Confusion matrix at the chosen threshold.
    pub confusion: Confusion,
}

/// One bin of the calibration table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    /// 1 = lowest predicted probabilities.
    pub bin: usize,
    pub n: usize,
    pub min_predicted: f64,
    pub max_predicted: f64,
    pub mean_predicted: f64,
    pub observed_rate: f64,
}

/// Counts at a probability threshold: a customer is predicted to churn when `p >= threshold`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confusion {
    pub threshold: f64,
    pub true_positives: usize,
    pub false_positives: usize,
    pub true_negatives: usize,
    pub false_negatives: usize,
    /// TP / (TP + FP); 0 when nothing is predicted positive.
    pub precision: f64,
    /// TP / (TP + FN); 0 when there are no positives.
    pub recall: f64,
    /// (TP + TN) / n.
    pub accuracy: f64,
}

/// Computes every metric; `probs` must be probabilities in [0, 1].
pub fn compute_metrics(probs: &[f64], labels: &[bool], threshold: f64) -> Result<Metrics> {
    check_probabilities(probs, labels)?;
    let n = probs.len();
    let positives = labels.iter().filter(|&&y| y).count();
    let (lift_10, gains_10) = lift_gains(probs, labels, 0.1)?;
    let (lift_20, gains_20) = lift_gains(probs, labels, 0.2)?;
    Ok(Metrics {
        n,
        churn_rate: positives as f64 / n as f64,
        mean_predicted: probs.iter().sum::<f64>() / n as f64,
        roc_auc: roc_auc(probs, labels)?,
        pr_auc: average_precision(probs, labels)?,
        brier: brier(probs, labels)?,
        log_loss: log_loss(probs, labels)?,
        calibration: calibration_table(probs, labels, 10)?,
        lift_10,
        lift_20,
        gains_10,
        gains_20,
        confusion: confusion(probs, labels, threshold)?,
    })
}

fn check_scores(scores: &[f64], labels: &[bool]) -> Result<()> {
    if scores.len() != labels.len() {
        return Err(ClvError::InvalidParameter(format!(
            "{} scores but {} labels",
            scores.len(),
            labels.len()
        )));
    }
    if scores.is_empty() {
        return Err(ClvError::InvalidParameter("no scores to evaluate".into()));
    }
    if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
        return Err(ClvError::InvalidParameter(format!(
            "score {} is not finite ({})",
            i + 1,
            scores[i]
        )));
    }
    Ok(())
}

fn check_probabilities(probs: &[f64], labels: &[bool]) -> Result<()> {
    check_scores(probs, labels)?;
    if let Some(i) = probs.iter().position(|p| !(0.0..=1.0).contains(p)) {
        return Err(ClvError::InvalidParameter(format!(
            "probability {} is outside [0, 1] ({})",
            i + 1,
            probs[i]
        )));
    }
    Ok(())
}

fn class_counts(labels: &[bool]) -> Result<(usize, usize)> {
    let pos = labels.iter().filter(|&&y| y).count();
    let neg = labels.len() - pos;
    if pos == 0 || neg == 0 {
        return Err(ClvError::InvalidParameter(format!(
            "ranking metrics need both churners and non-churners ({pos} churners, {neg} non-churners)"
        )));
    }
    Ok((pos, neg))
}

/// Indices sorted by score descending; ties keep index order so results are deterministic.
fn order_descending(scores: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    idx
}

/// Groups of equal scores in descending order: (positives, negatives) per group.
fn tie_groups(scores: &[f64], labels: &[bool]) -> Vec<(usize, usize)> {
    let order = order_descending(scores);
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut last: Option<f64> = None;
    for &i in &order {
        if last != Some(scores[i]) {
            groups.push((0, 0));
            last = Some(scores[i]);
        }
        if let Some(g) = groups.last_mut() {
            if labels[i] {
                g.0 += 1;
            } else {
                g.1 += 1;
            }
        }
    }
    groups
}

/// ROC AUC as the Mann-Whitney probability that a random churner scores above a random
/// non-churner, ties counting one half.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Result<f64> {
    check_scores(scores, labels)?;
    let (pos, neg) = class_counts(labels)?;
    // Walking down the groups: each churner beats every non-churner in later groups and ties
    // with the non-churners in its own group.
    let mut neg_below = neg as f64;
    let mut wins = 0.0;
    for (p, n) in tie_groups(scores, labels) {
        neg_below -= n as f64;
        wins += p as f64 * (neg_below + 0.5 * n as f64);
    }
    Ok(wins / (pos as f64 * neg as f64))
}

/// The ROC curve: (false positive rate, true positive rate) from (0, 0) to (1, 1), one point
/// per distinct score in decreasing order (a group of tied scores moves diagonally). Its area
/// by the trapezoid rule is [`roc_auc`].
pub fn roc_curve(scores: &[f64], labels: &[bool]) -> Result<Vec<(f64, f64)>> {
    check_scores(scores, labels)?;
    let (pos, neg) = class_counts(labels)?;
    let mut points = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0usize, 0usize);
    for (p, n) in tie_groups(scores, labels) {
        tp += p;
        fp += n;
        points.push((fp as f64 / neg as f64, tp as f64 / pos as f64));
    }
    Ok(points)
}

/// Average precision: sum over distinct score thresholds of (recall gain) × precision.
pub fn average_precision(scores: &[f64], labels: &[bool]) -> Result<f64> {
    check_scores(scores, labels)?;
    let (pos, _) = class_counts(labels)?;
    let (mut tp, mut fp, mut ap) = (0usize, 0usize, 0.0);
    for (p, n) in tie_groups(scores, labels) {
        tp += p;
        fp += n;
        if p > 0 {
            ap += (p as f64 / pos as f64) * (tp as f64 / (tp + fp) as f64);
        }
    }
    Ok(ap)
}

/// Mean squared error of the probabilities.
pub fn brier(probs: &[f64], labels: &[bool]) -> Result<f64> {
    check_probabilities(probs, labels)?;
    let sum: f64 = probs
        .iter()
        .zip(labels)
        .map(|(&p, &y)| (p - if y { 1.0 } else { 0.0 }).powi(2))
        .sum();
    Ok(sum / probs.len() as f64)
}

/// Mean negative log-likelihood with clipped probabilities.
pub fn log_loss(probs: &[f64], labels: &[bool]) -> Result<f64> {
    check_probabilities(probs, labels)?;
    let sum: f64 = probs
        .iter()
        .zip(labels)
        .map(|(&p, &y)| {
            let p = p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
            -(if y { p.ln() } else { (-p).ln_1p() })
        })
        .sum();
    Ok(sum / probs.len() as f64)
}

/// Splits customers, sorted by predicted probability, into `bins` groups of (nearly) equal size
/// and reports mean predicted and observed churn in each. Empty bins (fewer customers than
/// bins) are left out.
pub fn calibration_table(
    probs: &[f64],
    labels: &[bool],
    bins: usize,
) -> Result<Vec<CalibrationBin>> {
    check_probabilities(probs, labels)?;
    if bins == 0 {
        return Err(ClvError::InvalidParameter(
            "calibration needs at least one bin".into(),
        ));
    }
    let mut order = order_descending(probs);
    order.reverse();
    let n = probs.len();
    let mut table = Vec::with_capacity(bins);
    for b in 0..bins {
        let (lo, hi) = (b * n / bins, (b + 1) * n / bins);
        if hi == lo {
            continue;
        }
        let rows = &order[lo..hi];
        let count = rows.len() as f64;
        table.push(CalibrationBin {
            bin: b + 1,
            n: rows.len(),
            min_predicted: rows.iter().map(|&i| probs[i]).fold(f64::INFINITY, f64::min),
            max_predicted: rows
                .iter()
                .map(|&i| probs[i])
                .fold(f64::NEG_INFINITY, f64::max),
            mean_predicted: rows.iter().map(|&i| probs[i]).sum::<f64>() / count,
            observed_rate: rows.iter().filter(|&&i| labels[i]).count() as f64 / count,
        });
    }
    Ok(table)
}

/// Lift and gains in the top `fraction` of customers by score: gains = share of all churners
/// captured, lift = gains / fraction. The cut-off is `fraction × n` customers exactly; a group
/// of tied scores straddling it contributes its churners in proportion to the part inside, so
/// the result does not depend on the order of tied customers.
pub fn lift_gains(scores: &[f64], labels: &[bool], fraction: f64) -> Result<(f64, f64)> {
    check_scores(scores, labels)?;
    if !(fraction > 0.0 && fraction <= 1.0) {
        return Err(ClvError::InvalidParameter(format!(
            "top fraction must be in (0, 1], got {fraction}"
        )));
    }
    let total_pos = labels.iter().filter(|&&y| y).count();
    if total_pos == 0 {
        return Err(ClvError::InvalidParameter(
            "lift needs at least one churner".into(),
        ));
    }
    let cutoff = fraction * scores.len() as f64;
    let (mut taken, mut captured) = (0.0, 0.0);
    for (p, n) in tie_groups(scores, labels) {
        let size = (p + n) as f64;
        if taken >= cutoff {
            break;
        }
        let share = ((cutoff - taken) / size).min(1.0);
        captured += share * p as f64;
        taken += share * size;
    }
    let gains = captured / total_pos as f64;
    Ok((gains / fraction, gains))
}

/// The cumulative gains curve: customers targeted in decreasing score order (tied scores in
/// input order), the share of all churners caught (y) against the share of customers targeted
/// (x), from (0, 0) to (1, 1), with a point every `ceil(n / max_points)` customers and at the
/// last one. Read at a fraction with ties shared out, it is [`lift_gains`].
pub fn gains_curve(scores: &[f64], labels: &[bool], max_points: usize) -> Result<Vec<(f64, f64)>> {
    check_scores(scores, labels)?;
    let positives = labels.iter().filter(|&&y| y).count();
    if positives == 0 {
        return Err(ClvError::InvalidParameter(
            "gains need at least one churner".into(),
        ));
    }
    let order = order_descending(scores);
    let n = order.len();
    let step = n.div_ceil(max_points.max(1)).max(1);
    let mut points = vec![(0.0, 0.0)];
    let mut caught = 0usize;
    for (k, &i) in order.iter().enumerate() {
        caught += usize::from(labels[i]);
        if (k + 1) % step == 0 || k + 1 == n {
            points.push(((k + 1) as f64 / n as f64, caught as f64 / positives as f64));
        }
    }
    Ok(points)
}

/// Confusion matrix at `threshold` (churn predicted when `p >= threshold`).
pub fn confusion(probs: &[f64], labels: &[bool], threshold: f64) -> Result<Confusion> {
    check_probabilities(probs, labels)?;
    if !(0.0..=1.0).contains(&threshold) {
        return Err(ClvError::InvalidParameter(format!(
            "threshold must be in [0, 1], got {threshold}"
        )));
    }
    let (mut tp, mut fp, mut tn, mut fneg) = (0, 0, 0, 0);
    for (&p, &y) in probs.iter().zip(labels) {
        match (p >= threshold, y) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, false) => tn += 1,
            (false, true) => fneg += 1,
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    Ok(Confusion {
        threshold,
        true_positives: tp,
        false_positives: fp,
        true_negatives: tn,
        false_negatives: fneg,
        precision: ratio(tp, tp + fp),
        recall: ratio(tp, tp + fneg),
        accuracy: ratio(tp + tn, probs.len()),
    })
}
