//! The coarse search (fits of large data first search a copy with times rounded to a grid,
//! then finish on the data) must end where the search on the data themselves ends: the same
//! estimates and log-likelihood (up to the optimiser's tolerance) and standard errors, on
//! continuous-time data where rounding merges most patterns.

use clv::models::bgnbd::BgNbd;
use clv::models::pnbd::ParetoNbd;
use clv::models::{AnyModel, FitOptions, Model, RfmData, fit_with_coarse};
use clv::simulate::{SimulationSpec, SpendProcess, simulate};

fn coarse_and_direct_fits_agree<M: Model<Data = RfmData>>(process: AnyModel) {
    let spec = SimulationSpec {
        process,
        spend: SpendProcess {
            p: 6.25,
            q: 3.74,
            gamma: 15.44,
        },
        customers: 60_000,
        acquisition_periods: 13.0,
        horizon_periods: 52.0,
        covariates: None,
        seed: 11,
    };
    let sims = simulate(&spec).unwrap();
    let cols: Vec<(f64, f64, f64, f64)> = sims.iter().map(|c| c.summary_at(52.0)).collect();
    let col = |f: fn(&(f64, f64, f64, f64)) -> f64| cols.iter().map(f).collect::<Vec<_>>();
    let data = RfmData::new(&col(|c| c.0), &col(|c| c.1), &col(|c| c.2), None).unwrap();
    let coarse = M::coarse_data(&data).expect("continuous data of 60,000 customers coarsen");
    assert!(coarse.patterns() * 4 <= data.patterns());
    let options = FitOptions::default();
    let direct = fit_with_coarse::<M>(&data, None, &options).unwrap().report;
    let fast = fit_with_coarse::<M>(&data, Some(&coarse), &options)
        .unwrap()
        .report;
    assert!(direct.converged && fast.converged, "{direct:?} {fast:?}");
    for i in 0..direct.estimates.len() {
        let (a, b) = (direct.estimates[i], fast.estimates[i]);
        assert!(
            (a - b).abs() <= 1e-7 * a,
            "{}: {a} vs {b}",
            direct.param_names[i]
        );
        let (sa, sb) = (direct.std_errors[i].unwrap(), fast.std_errors[i].unwrap());
        // The direct fit's information may be taken one Newton step before its end, the
        // refined one's at its end: they differ by a few parts in 1e5.
        assert!(
            (sa - sb).abs() <= 1e-4 * sa,
            "se {}: {sa} vs {sb}",
            direct.param_names[i]
        );
    }
    let gap = (direct.log_likelihood - fast.log_likelihood).abs();
    assert!(gap <= 1e-9 * direct.log_likelihood.abs(), "{gap}");
}

#[test]
fn bgnbd_coarse_search_ends_at_the_direct_maximum() {
    let m = BgNbd::new(0.25, 4.0, 0.8, 2.5).unwrap();
    coarse_and_direct_fits_agree::<BgNbd>(AnyModel::BgNbd(m));
}

#[test]
fn pareto_nbd_coarse_search_ends_at_the_direct_maximum() {
    let m = ParetoNbd::new(0.55, 10.6, 0.61, 11.7).unwrap();
    coarse_and_direct_fits_agree::<ParetoNbd>(AnyModel::ParetoNbd(m));
}
