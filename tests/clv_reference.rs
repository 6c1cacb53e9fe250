//! Discounted CLV against `lifetimes`' reference values: BG/NBD + Gamma-Gamma fitted on the
//! CDNOW 39-week summary, 12 months of 4.345 weeks, 1% a month, margin 1.

mod common;

use clv::models::bgnbd::BgNbd;
use clv::models::gamma_gamma::GammaGamma;
use clv::models::{FitOptions, Model, RepeatSpendData, RfmData};
use clv::predict::{ClvSettings, customer_clv};
use common::{cdnow_summary, reference_predictions, rel};

/// BG/NBD and Gamma-Gamma fitted on the CDNOW summary, and the reference's CLV settings.
fn fit_models(s: &common::CdnowSummary) -> (BgNbd, GammaGamma, ClvSettings) {
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
        horizon: 12.0 * 4.345,
        period_length: 4.345,
        discount_per_period: 0.01,
        margin: 1.0,
    };
    (bg, gg, settings)
}

#[test]
#[cfg_attr(
    not(clv_datasets),
    ignore = "needs the reference datasets: set CLV_DATASETS"
)]
fn clv_matches_the_reference_customers_and_total() {
    let (Some(s), Some(reference)) = (cdnow_summary(), reference_predictions()) else {
        return;
    };
    let (bg, gg, settings) = fit_models(&s);
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

/// The CLV table of a summary values every customer as `customer_clv` does, and so meets the
/// reference total.
#[test]
#[cfg_attr(
    not(clv_datasets),
    ignore = "needs the reference datasets: set CLV_DATASETS"
)]
fn clv_table_meets_the_reference_total() {
    let (Some(s), Some(reference)) = (cdnow_summary(), reference_predictions()) else {
        return;
    };
    let (bg, gg, settings) = fit_models(&s);
    let table = clv::features::SummaryTable {
        customer_id: s.ids.clone(),
        frequency: s.x.clone(),
        recency: s.t_x.clone(),
        t: s.t.clone(),
        monetary_value: s.monetary.clone(),
        ..Default::default()
    };
    let columns =
        clv::predict::table::clv_table(&clv::models::AnyModel::BgNbd(bg), &gg, &table, &settings)
            .unwrap();
    assert_eq!(columns.names, ["p_alive", "expected_avg_spend", "clv"]);
    let total: f64 = columns.values[2].iter().sum();
    let want = reference["clv_bgnbd_gg"]["total"].as_f64().unwrap();
    assert!(rel(total, want) < 1e-3, "total CLV {total} vs {want}");
    let id1 = s.ids.iter().position(|id| id == "1").unwrap();
    let m = gg
        .conditional_expected_average_spend(s.x[id1], s.monetary[id1])
        .unwrap();
    let one = customer_clv(&bg, s.x[id1], s.t_x[id1], s.t[id1], m, &settings);
    assert!(rel(columns.values[2][id1], one) < 1e-9);
}
