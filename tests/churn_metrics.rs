//! Churn metrics against small hand-computed examples.

use clv::churn::metrics::{
    average_precision, brier, calibration_table, compute_metrics, confusion, gains_curve,
    lift_gains, log_loss, roc_auc, roc_curve,
};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn auc_of_perfect_reversed_and_tied_rankings() {
    let labels = [true, true, false, false, false];
    assert!(close(
        roc_auc(&[0.9, 0.8, 0.3, 0.2, 0.1], &labels).unwrap(),
        1.0
    ));
    assert!(close(
        roc_auc(&[0.1, 0.2, 0.3, 0.8, 0.9], &labels).unwrap(),
        0.0
    ));
    assert!(close(roc_auc(&[0.5; 5], &labels).unwrap(), 0.5));
}

#[test]
fn auc_counts_ties_as_one_half() {
    // churners 0.9 and 0.8 against non-churners 0.8 and 0.3: 1 + 1 + 0.5 + 1 of 4 pairs.
    let scores = [0.9, 0.8, 0.8, 0.3];
    let labels = [true, false, true, false];
    assert!(close(roc_auc(&scores, &labels).unwrap(), 3.5 / 4.0));
    // The order of the tied customers must not matter.
    let labels_swapped = [true, true, false, false];
    assert!(close(roc_auc(&scores, &labels_swapped).unwrap(), 3.5 / 4.0));
}

#[test]
fn average_precision_by_hand() {
    // Thresholds 0.9 (P=1, R=1/2), 0.8 group (P=2/3, R=1), 0.3 (no recall gain).
    let scores = [0.9, 0.8, 0.8, 0.3];
    let labels = [true, false, true, false];
    assert!(close(
        average_precision(&scores, &labels).unwrap(),
        0.5 + 0.5 * 2.0 / 3.0
    ));
    // Perfect ranking: AP = 1; all churners last of five: precisions 1/4 and 2/5 at the tail.
    assert!(close(
        average_precision(&[3.0, 2.0, 1.0], &[true, false, false]).unwrap(),
        1.0
    ));
    let ap = average_precision(
        &[5.0, 4.0, 3.0, 2.0, 1.0],
        &[false, false, false, true, true],
    )
    .unwrap();
    assert!(close(ap, 0.5 * 0.25 + 0.5 * 0.4));
}

#[test]
fn brier_and_log_loss_of_constants() {
    let labels = [true, false, false, false];
    assert!(close(brier(&[0.5; 4], &labels).unwrap(), 0.25));
    // Constant 0.25 against a 25% churn rate: (0.75² + 3 · 0.25²) / 4 = 0.1875.
    assert!(close(brier(&[0.25; 4], &labels).unwrap(), 0.1875));
    assert!(close(
        log_loss(&[0.5; 4], &labels).unwrap(),
        std::f64::consts::LN_2
    ));
    let ll = log_loss(&[0.25; 4], &labels).unwrap();
    assert!(close(ll, -(0.25f64.ln() + 3.0 * 0.75f64.ln()) / 4.0));
    // A confident mistake is clipped, not infinite.
    let clipped = log_loss(&[1.0, 0.0], &[false, true]).unwrap();
    assert!(clipped.is_finite() && (clipped - 1e15f64.ln()).abs() < 1e-3);
}

#[test]
fn lift_and_gains_with_and_without_ties() {
    // Ten customers, two churners ranked first: the top 10% holds one of two churners.
    let scores: Vec<f64> = (0..10).map(|i| 1.0 - i as f64 / 10.0).collect();
    let mut labels = [false; 10];
    labels[0] = true;
    labels[1] = true;
    let (lift, gains) = lift_gains(&scores, &labels, 0.1).unwrap();
    assert!(close(gains, 0.5) && close(lift, 5.0));
    let (lift, gains) = lift_gains(&scores, &labels, 0.2).unwrap();
    assert!(close(gains, 1.0) && close(lift, 5.0));
    // All scores tied: the top 10% holds 10% of the churners whatever the row order.
    let tied = [0.3; 10];
    let half: Vec<bool> = (0..10).map(|i| i % 2 == 0).collect();
    let (lift, gains) = lift_gains(&tied, &half, 0.1).unwrap();
    assert!(close(gains, 0.1) && close(lift, 1.0));
}

#[test]
fn calibration_deciles_by_hand() {
    // 20 customers, probabilities 0.025, 0.075, ...; the upper customer of each pair churned.
    let probs: Vec<f64> = (0..20).map(|i| (i as f64 + 0.5) / 20.0).collect();
    let labels: Vec<bool> = (0..20).map(|i| i % 2 == 1).collect();
    let table = calibration_table(&probs, &labels, 10).unwrap();
    assert_eq!(table.len(), 10);
    for (k, bin) in table.iter().enumerate() {
        assert_eq!(bin.n, 2);
        assert!(close(bin.mean_predicted, (2.0 * k as f64 + 1.0) / 20.0));
        assert!(close(bin.observed_rate, 0.5));
    }
    // Fewer customers than bins: no empty bins.
    let small = calibration_table(&[0.2, 0.8, 0.4], &[false, true, true], 10).unwrap();
    assert_eq!(small.iter().map(|b| b.n).sum::<usize>(), 3);
    assert!(small.iter().all(|b| b.n > 0));
}

#[test]
fn confusion_matrix_at_threshold() {
    let probs = [0.9, 0.6, 0.5, 0.4, 0.1];
    let labels = [true, false, true, true, false];
    let c = confusion(&probs, &labels, 0.5).unwrap();
    assert_eq!(
        (
            c.true_positives,
            c.false_positives,
            c.true_negatives,
            c.false_negatives
        ),
        (2, 1, 1, 1)
    );
    assert!(close(c.precision, 2.0 / 3.0) && close(c.recall, 2.0 / 3.0) && close(c.accuracy, 0.6));
}

#[test]
fn compute_metrics_combines_the_parts_and_rejects_bad_input() {
    let probs = [0.9, 0.6, 0.5, 0.4, 0.1];
    let labels = [true, false, true, true, false];
    let m = compute_metrics(&probs, &labels, 0.5).unwrap();
    assert_eq!(m.n, 5);
    assert!(close(m.churn_rate, 0.6));
    assert!(close(m.roc_auc, roc_auc(&probs, &labels).unwrap()));
    assert!(close(m.brier, brier(&probs, &labels).unwrap()));
    let json = serde_json::to_string(&m).unwrap();
    assert!(json.contains("\"lift_10\"") && json.contains("\"calibration\""));

    assert!(roc_auc(&[0.1, 0.2], &[true, true]).is_err());
    assert!(average_precision(&[0.1, 0.2], &[false, false]).is_err());
    assert!(brier(&[f64::NAN, 0.2], &[true, false]).is_err());
    assert!(brier(&[1.5, 0.2], &[true, false]).is_err());
    assert!(log_loss(&[0.5], &[true, false]).is_err());
    assert!(roc_auc(&[], &[]).is_err());
    assert!(lift_gains(&[0.1, 0.2], &[true, false], 0.0).is_err());
    assert!(confusion(&[0.1], &[true], 1.5).is_err());
}

#[test]
fn roc_curve_points_and_their_area() {
    let points = roc_curve(&[0.9, 0.8, 0.2, 0.1], &[true, false, true, false]).unwrap();
    assert_eq!(
        points,
        vec![(0.0, 0.0), (0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (1.0, 1.0)]
    );
    // All scores tied: the curve is the diagonal.
    let tied = roc_curve(&[0.5; 4], &[true, false, true, false]).unwrap();
    assert_eq!(tied, vec![(0.0, 0.0), (1.0, 1.0)]);
    assert!(roc_curve(&[0.1, 0.2], &[true, true]).is_err());
    // The trapezoid area under the curve is the Mann-Whitney AUC, ties counting one half.
    let scores = [0.1, 0.4, 0.35, 0.8, 0.4, 0.7, 0.2, 0.9];
    let labels = [false, false, true, true, true, false, false, true];
    let area: f64 = roc_curve(&scores, &labels)
        .unwrap()
        .windows(2)
        .map(|w| (w[1].0 - w[0].0) * (w[1].1 + w[0].1) / 2.0)
        .sum();
    assert!(close(area, roc_auc(&scores, &labels).unwrap()));
}

#[test]
fn gains_curve_ends_at_one_and_agrees_with_lift_gains() {
    let gains = gains_curve(&[0.9, 0.1, 0.5], &[true, false, true], 100).unwrap();
    assert_eq!(
        gains,
        vec![(0.0, 0.0), (1.0 / 3.0, 0.5), (2.0 / 3.0, 1.0), (1.0, 1.0)]
    );
    assert!(gains_curve(&[0.9, 0.1], &[false, false], 100).is_err());
    // Without ties, the curve at a whole number of customers is the gains at that fraction.
    let scores: Vec<f64> = (0..20).map(|i| f64::from(i) / 20.0).collect();
    let labels: Vec<bool> = (0..20).map(|i| i % 3 == 0).collect();
    let curve = gains_curve(&scores, &labels, 10).unwrap();
    assert_eq!(curve.len(), 11);
    let (_, gains_20) = lift_gains(&scores, &labels, 0.2).unwrap();
    assert!(close(curve[2].1, gains_20));
}
