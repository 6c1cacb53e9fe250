//! Discounted CLV against `lifetimes`' reference values: BG/NBD + Gamma-Gamma fitted on the
//! CDNOW 39-week summary, 12 months of 4.345 weeks, 1% a month, margin 1.

mod common;

use clv::models::bgnbd::BgNbd;
use clv::models::gamma_gamma::GammaGamma;
use clv::models::{FitOptions, Model, RepeatSpendData, RfmData};
use clv::predict::{ClvSettings, customer_clv};
use common::{cdnow_summary, reference_predictions, rel};

#[test]
#[cfg_attr(
    not(clv_datasets),
    ignore = "needs the reference datasets: set CLV_DATASETS"
)]
fn clv_matches_the_reference_customers_and_total() {
    let (Some(s), Some(reference)) = (cdnow_summary(), reference_predictions()) else {
        return;
    };
    let bg = BgNbd::fit(
        &RfmData::new(&s.x, &s.t_x, &s.t, None).unwrap(),
        &FitOptions::default(),
    )
    .unwrap()
    .model;
    let (spend, _) = RepeatSpendData::new(&s.x, &s.monetary, None).unwrap();
    let gg = GammaGamma::fit(&spend, &FitOptions::default())
        .unwrap()
        .model;
    let settings = ClvSettings {
        periods: 12,
        period_length: 4.345,
        discount_per_period: 0.01,
        margin: 1.0,
    };
    let clv_of = |i: usize| {
        let m = gg
            .conditional_expected_average_spend(s.x[i], s.monetary[i])
            .unwrap();
        customer_clv(&bg, s.x[i], s.t_x[i], s.t[i], m, &settings)
    };
    let expected = &reference["clv_bgnbd_gg"];
    for (id, value) in expected["clv"].as_object().unwrap() {
        let i = s.ids.iter().position(|x| x == id).unwrap();
        let want = value.as_f64().unwrap();
        let got = clv_of(i);
        assert!(
            rel(got, want) < 1e-3,
            "customer {id}: CLV {got} vs reference {want}"
        );
    }
    let total: f64 = (0..s.ids.len()).map(clv_of).sum();
    let want = expected["total"].as_f64().unwrap();
    assert!(
        rel(total, want) < 1e-3,
        "total CLV {total} vs reference {want}"
    );
}
