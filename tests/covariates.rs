//! Time-invariant covariates (Fader & Hardie 2007): recovery of known effects on 100,000
//! simulated customers with two covariates, and exact reduction to the plain model without
//! covariates.

use clv::models::AnyModel;
use clv::models::bgnbd::BgNbd;
use clv::models::covariates::{CovariateData, fit_with_covariates};
use clv::models::pnbd::ParetoNbd;
use clv::models::{FitOptions, FitReport, Model, RfmData};
use clv::simulate::{CovariateEffects, SimulationSpec, SpendProcess, simulate};

struct Sim {
    x: Vec<f64>,
    t_x: Vec<f64>,
    t: Vec<f64>,
    z: Vec<Vec<f64>>,
}

fn simulated(process: AnyModel, effects: &CovariateEffects, seed: u64) -> Sim {
    let spec = SimulationSpec {
        process,
        spend: SpendProcess {
            p: 6.0,
            q: 4.0,
            gamma: 15.0,
        },
        customers: 100_000,
        acquisition_periods: 13.0,
        horizon_periods: 65.0,
        covariates: Some(effects.clone()),
        seed,
    };
    let mut s = Sim {
        x: vec![],
        t_x: vec![],
        t: vec![],
        z: vec![],
    };
    for c in simulate(&spec).unwrap() {
        let (x, t_x, t, _) = c.summary_at(65.0);
        s.x.push(x);
        s.t_x.push(t_x);
        s.t.push(t);
        s.z.push(c.covariates.to_vec());
    }
    s
}

fn assert_covers(report: &FitReport, truth: &[f64]) {
    for (i, name) in report.param_names.iter().enumerate() {
        let (lo, hi) = report.ci95[i].unwrap_or_else(|| panic!("no interval for {name}"));
        assert!(
            lo <= truth[i] && truth[i] <= hi,
            "true {name} = {} outside [{lo:.4}, {hi:.4}] (estimate {:.4})",
            truth[i],
            report.estimates[i]
        );
    }
}

fn names() -> Vec<String> {
    vec!["channel".into(), "score".into()]
}

#[test]
fn pareto_nbd_recovers_covariate_effects() {
    let effects = CovariateEffects {
        purchase: [0.5, -0.3],
        dropout: [0.6, 0.2],
    };
    let base = [0.6, 10.0, 0.8, 12.0];
    let s = simulated(
        AnyModel::ParetoNbd(ParetoNbd::new(base[0], base[1], base[2], base[3]).unwrap()),
        &effects,
        21,
    );
    let plain = ParetoNbd::fit(
        &RfmData::new(&s.x, &s.t_x, &s.t, None).unwrap(),
        &FitOptions::default(),
    )
    .unwrap();
    let data = CovariateData::new(names(), &s.x, &s.t_x, &s.t, &s.z).unwrap();
    let (model, report) = fit_with_covariates(&data, &plain.model, &FitOptions::default()).unwrap();
    let truth = [base[0], base[1], base[2], base[3], 0.5, -0.3, 0.6, 0.2];
    assert_covers(&report, &truth);
    assert!(report.log_likelihood > plain.report.log_likelihood);
    // A paid-channel customer with an average score buys faster: α is scaled by exp(−0.5).
    let paid: ParetoNbd = model.individual(&[1.0, 0.0]).unwrap();
    assert!((paid.alpha() / model.base[1] - (-model.purchase[0]).exp()).abs() < 1e-12);
}

#[test]
fn bgnbd_recovers_covariate_effects() {
    let effects = CovariateEffects {
        purchase: [0.4, 0.25],
        dropout: [-0.5, 0.3],
    };
    let base = [0.5, 5.0, 0.8, 3.0];
    let s = simulated(
        AnyModel::BgNbd(BgNbd::new(base[0], base[1], base[2], base[3]).unwrap()),
        &effects,
        22,
    );
    let plain = BgNbd::fit(
        &RfmData::new(&s.x, &s.t_x, &s.t, None).unwrap(),
        &FitOptions::default(),
    )
    .unwrap();
    let data = CovariateData::new(names(), &s.x, &s.t_x, &s.t, &s.z).unwrap();
    let (_, report) = fit_with_covariates(&data, &plain.model, &FitOptions::default()).unwrap();
    assert_covers(
        &report,
        &[base[0], base[1], base[2], base[3], 0.4, 0.25, -0.5, 0.3],
    );
}

#[test]
fn without_covariates_the_model_is_the_plain_one() {
    let effects = CovariateEffects {
        purchase: [0.0, 0.0],
        dropout: [0.0, 0.0],
    };
    let s = simulated(
        AnyModel::BgNbd(BgNbd::new(0.5, 5.0, 0.8, 3.0).unwrap()),
        &effects,
        23,
    );
    let n = 3000;
    let (x, t_x, t) = (&s.x[..n], &s.t_x[..n], &s.t[..n]);
    let plain = BgNbd::fit(
        &RfmData::new(x, t_x, t, None).unwrap(),
        &FitOptions::default(),
    )
    .unwrap();
    let data = CovariateData::new(vec![], x, t_x, t, &vec![vec![]; n]).unwrap();
    let (model, report) = fit_with_covariates(&data, &plain.model, &FitOptions::default()).unwrap();
    assert!((report.log_likelihood - plain.report.log_likelihood).abs() < 1e-6);
    for (a, b) in model.base.iter().zip(plain.model.params()) {
        assert!((a - b).abs() / b < 1e-5, "{a} vs {b}");
    }
    // And the likelihood at any parameters equals the plain one: the same model.
    let one: BgNbd = model.individual(&[]).unwrap();
    assert_eq!(one.params(), model.base);
}
