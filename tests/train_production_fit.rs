//! Training's model choice and production fit, on transactions simulated from BG/NBD: the
//! holdout criterion picks BG/NBD (or a model it cannot tell from BG/NBD), and the bundle's
//! scoring parameters are a refit on the full history, equal to a direct fit on it, while the
//! calibration fit stays in the bundle.

use chrono::{Duration, NaiveDate};
use clv::features::{SummaryOptions, TimeUnit, TransactionTable, summarize_table};
use clv::ingest::ReadOptions;
use clv::models::{AnyModel, FitData, FitOptions, ModelKind, RfmData, registry};
use clv::predict::train::{ModelChoice, TrainSettings, train};
use clv::simulate::{SimulationSpec, SpendProcess, orders, simulate};

fn transactions() -> TransactionTable {
    let spec = SimulationSpec {
        process: AnyModel::from_params(ModelKind::BgNbd, &[0.25, 4.0, 0.8, 2.5]).unwrap(),
        spend: SpendProcess {
            p: 6.0,
            q: 4.0,
            gamma: 15.0,
        },
        customers: 4000,
        acquisition_periods: 12.0,
        horizon_periods: 78.0,
        covariates: None,
        seed: 12,
    };
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let mut table = TransactionTable::default();
    for o in orders(&simulate(&spec).unwrap(), 7.0, 78 * 7, None) {
        table.customer_id.push(&o.customer.to_string());
        table.date.push(start + Duration::days(i64::from(o.day)));
        table.amount.push(o.cents as f64 / 100.0);
    }
    table
}

#[test]
fn chooses_bgnbd_on_bgnbd_data_and_refits_it_on_the_full_history() {
    let table = transactions();
    let end = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + Duration::days(78 * 7);
    let options = |calibration_end| SummaryOptions {
        unit: TimeUnit::Week,
        observation_end: Some(end),
        calibration_end,
        keep_purchase_times: true,
    };
    let calibration_end = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + Duration::days(39 * 7);
    let read = ReadOptions::default();
    let (cal, accounting) =
        summarize_table(&table, "simulated", &read, &options(Some(calibration_end))).unwrap();
    let settings = TrainSettings {
        model: ModelChoice::Auto,
        covariates: Some(vec![]),
        fit: FitOptions::default(),
    };
    let bundle = train(&cal, &accounting, "simulated", None, &settings).unwrap();
    let s = &bundle.selection;
    assert_eq!(s.rule, "holdout MSE, then aggregate error");
    assert!(s.reason.contains(&s.chosen), "{}", s.reason);
    let bgnbd = s.candidates.iter().find(|c| c.model == "bgnbd").unwrap();
    let lowest = s
        .candidates
        .iter()
        .map(|c| c.holdout_mse.unwrap())
        .fold(f64::INFINITY, f64::min);
    // BG/NBD, or a model from which the criterion cannot tell BG/NBD apart: BG/NBD's MSE is
    // then within two standard errors of the lowest.
    assert!(
        s.chosen == "bgnbd"
            || bgnbd.holdout_mse.unwrap() - lowest
                <= 2.0 * bgnbd.holdout_mse_difference_se.unwrap(),
        "chose {} ({}); candidates {:?}",
        s.chosen,
        s.reason,
        s.candidates
    );

    // The production fit equals a direct fit of the chosen kind on the full history.
    let (full, _) = summarize_table(&table, "simulated", &read, &options(None)).unwrap();
    assert_eq!(full.customers.len(), cal.customers.len());
    let col = |f: fn(&clv::features::CustomerSummary) -> f64| -> Vec<f64> {
        full.customers.iter().map(f).collect()
    };
    let data = RfmData::new(
        &col(|c| c.frequency),
        &col(|c| c.recency),
        &col(|c| c.t),
        None,
    )
    .unwrap();
    let kind: ModelKind = s.chosen.parse().unwrap();
    let direct = registry::fit(kind, FitData::Transaction(&data), &settings.fit, "week")
        .unwrap()
        .saved;
    let calibration = bundle.calibration_model.as_ref().unwrap();
    assert_eq!(calibration.model, s.chosen);
    for (name, &v) in &direct.params {
        let production = bundle.transaction_model.params[name];
        let calibrated = calibration.params[name];
        assert!(
            (production - v).abs() <= 1e-6 * v.abs(),
            "{name}: production {production} vs direct full-history fit {v}"
        );
        assert!(
            (production - calibrated).abs() > 1e-4 * v.abs(),
            "{name}: production {production} equals the calibration fit {calibrated}"
        );
    }
    assert!(bundle.transaction_model.n == direct.n);
}
