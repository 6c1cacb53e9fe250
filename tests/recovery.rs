//! Parameter recovery: fit each model to 100,000 customers simulated from known parameters
//! (the same simulator as `clv simulate`) and check that every true parameter lies inside the
//! 95% interval of its estimate. Seeds are fixed, so each run is reproducible.

use clv::models::AnyModel;
use clv::models::bgnbd::BgNbd;
use clv::models::gamma_gamma::GammaGamma;
use clv::models::mbgnbd::MbgNbd;
use clv::models::pnbd::ParetoNbd;
use clv::models::{FitOptions, FitReport, Model, RepeatSpendData, RfmData};
use clv::simulate::{SimulationSpec, SpendProcess, simulate};

const CUSTOMERS: usize = 100_000;
const SPEND: SpendProcess = SpendProcess {
    p: 6.25,
    q: 3.74,
    gamma: 15.44,
};

/// Simulates and returns the calibration summary at week 52 (x, t_x, T, mean repeat spend).
fn summary(process: AnyModel, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let spec = SimulationSpec {
        process,
        spend: SPEND,
        customers: CUSTOMERS,
        acquisition_periods: 13.0,
        horizon_periods: 52.0,
        covariates: None,
        seed,
    };
    let sims = simulate(&spec).unwrap();
    let mut cols = (vec![], vec![], vec![], vec![]);
    for c in &sims {
        let (x, t_x, t, m) = c.summary_at(52.0);
        cols.0.push(x);
        cols.1.push(t_x);
        cols.2.push(t);
        cols.3.push(m);
    }
    cols
}

fn assert_covers(report: &FitReport, truth: &[f64]) {
    for (i, name) in report.param_names.iter().enumerate() {
        let (lo, hi) =
            report.ci95[i].unwrap_or_else(|| panic!("{}: no interval for {name}", report.model));
        assert!(
            lo <= truth[i] && truth[i] <= hi,
            "{}: true {name} = {} outside the 95% interval [{lo:.4}, {hi:.4}] (estimate {:.4})",
            report.model,
            truth[i],
            report.estimates[i]
        );
    }
    assert!(report.converged, "{}: {:?}", report.model, report.warnings);
}

#[test]
fn bgnbd_recovers_its_parameters() {
    let truth = [0.25, 4.0, 0.8, 2.5];
    let (x, t_x, t, _) = summary(
        AnyModel::BgNbd(BgNbd::new(0.25, 4.0, 0.8, 2.5).unwrap()),
        11,
    );
    let data = RfmData::new(&x, &t_x, &t, None).unwrap();
    let fit = BgNbd::fit(&data, &FitOptions::default()).unwrap();
    assert_covers(&fit.report, &truth);
}

#[test]
fn mbgnbd_recovers_its_parameters() {
    let truth = [0.5, 6.0, 0.9, 1.6];
    let (x, t_x, t, _) = summary(
        AnyModel::MbgNbd(MbgNbd::new(0.5, 6.0, 0.9, 1.6).unwrap()),
        12,
    );
    let data = RfmData::new(&x, &t_x, &t, None).unwrap();
    let fit = MbgNbd::fit(&data, &FitOptions::default()).unwrap();
    assert_covers(&fit.report, &truth);
}

#[test]
fn pareto_nbd_recovers_its_parameters() {
    let truth = [0.55, 10.5, 0.6, 11.7];
    let (x, t_x, t, _) = summary(
        AnyModel::ParetoNbd(ParetoNbd::new(0.55, 10.5, 0.6, 11.7).unwrap()),
        13,
    );
    let data = RfmData::new(&x, &t_x, &t, None).unwrap();
    let fit = ParetoNbd::fit(&data, &FitOptions::default()).unwrap();
    assert_covers(&fit.report, &truth);
}

#[test]
fn gamma_gamma_recovers_its_parameters() {
    // A purchase process with plenty of repeat buyers, so that the spend model sees many.
    let (x, _, _, m) = summary(AnyModel::BgNbd(BgNbd::new(1.0, 4.0, 0.5, 4.0).unwrap()), 14);
    let (data, _) = RepeatSpendData::new(&x, &m, None).unwrap();
    assert!(data.x.len() > 50_000, "only {} repeat buyers", data.x.len());
    let fit = GammaGamma::fit(&data, &FitOptions::default()).unwrap();
    assert_covers(&fit.report, &[SPEND.p, SPEND.q, SPEND.gamma]);
}
