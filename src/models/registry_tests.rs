//! Tests of the registry: every kind through every registry-made function.

use super::*;
use crate::models::{BgBbData, RepeatSpendData, RfmData, SurvivorData};

#[test]
fn every_kind_round_trips_through_its_name_and_parameters() {
    for &kind in ModelKind::ALL {
        assert_eq!(kind.name().parse::<ModelKind>().unwrap(), kind);
        let params = vec![0.5; kind.param_names().len()];
        let model = AnyModel::from_params(kind, &params).unwrap();
        assert_eq!(model.kind(), kind);
        assert_eq!(model.params(), params);
        let family = kind.family();
        assert_eq!(
            model.as_transaction_model().is_some(),
            family == Family::Transaction
        );
        assert_eq!(
            model.clone().into_transaction_model().is_some(),
            family == Family::Transaction
        );
        assert_eq!(model.as_spend_model().is_some(), family == Family::Spend);
        assert_eq!(
            model.as_retention_model().is_some(),
            family == Family::Retention
        );
        assert_eq!(
            model.as_discrete_model().is_some(),
            family == Family::Discrete
        );
    }
    let e = "nope".parse::<ModelKind>().unwrap_err().to_string();
    assert!(e.contains("bgnbd") && e.contains("sbg"), "{e}");
}

#[test]
fn every_transaction_model_tells_its_generative_story() {
    use rand::SeedableRng;
    for kind in ModelKind::of_family(Family::Transaction) {
        let params = vec![0.8; kind.param_names().len()];
        let model = AnyModel::from_params(kind, &params).unwrap();
        let tm = model.transaction_model().unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let mut total = 0;
        for _ in 0..200 {
            let times = tm
                .draw_repeat_purchases(
                    &mut rng,
                    crate::models::DrawWindow {
                        birth: 1.0,
                        end: 50.0,
                        ..Default::default()
                    },
                )
                .unwrap();
            assert!(
                times.windows(2).all(|w| w[0] <= w[1]),
                "{kind}: not ascending"
            );
            assert!(
                times.iter().all(|&t| t > 1.0 && t <= 50.0),
                "{kind}: {times:?}"
            );
            total += times.len();
        }
        assert!(total > 0, "{kind} never purchases");
        let e = tm.expected_purchases(10.0, 2.0, 5.0, 20.0);
        assert!(e.is_finite() && e > 0.0, "{kind}: expected purchases {e}");
    }
}

#[test]
fn a_kind_fits_only_its_familys_data() {
    let data = SurvivorData::new(&[1000.0, 869.0, 743.0, 653.0]).unwrap();
    let e = fit(
        ModelKind::BgNbd,
        FitData::Retention(&data),
        &FitOptions::default(),
        "week",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("bgnbd is a Transaction model"), "{e}");
    let fitted = fit(
        ModelKind::Sbg,
        FitData::Retention(&data),
        &FitOptions::default(),
        "period",
    )
    .unwrap();
    assert_eq!(fitted.saved.model, "sbg");
    assert_eq!(fitted.saved.n, 1000.0);
    assert_eq!(fitted.saved.patterns, 4);
}

/// Small data sets, one per family.
struct Small {
    rfm: RfmData,
    bgbb: BgBbData,
    spend: RepeatSpendData,
    survivors: SurvivorData,
}

impl Small {
    fn new() -> Self {
        let rfm = RfmData::new(
            &[0.0, 1.0, 2.0, 5.0, 0.0, 3.0, 1.0, 7.0],
            &[0.0, 4.0, 10.0, 30.0, 0.0, 20.0, 2.0, 35.0],
            &[40.0, 38.0, 39.0, 40.0, 36.0, 37.0, 40.0, 38.0],
            None,
        )
        .unwrap();
        let bgbb = BgBbData::new(
            &[0.0, 1.0, 2.0, 4.0, 6.0, 3.0, 0.0],
            &[0.0, 2.0, 5.0, 6.0, 6.0, 4.0, 0.0],
            &[6.0; 7],
            Some(&[30.0, 8.0, 6.0, 5.0, 9.0, 4.0, 12.0]),
        )
        .unwrap();
        let (spend, _) = RepeatSpendData::new(
            &[1.0, 2.0, 3.0, 1.0, 5.0, 2.0, 4.0],
            &[20.0, 35.5, 12.0, 80.0, 41.0, 25.0, 30.0],
            None,
        )
        .unwrap();
        let survivors =
            SurvivorData::new(&[1000.0, 869.0, 743.0, 653.0, 593.0, 551.0, 517.0, 491.0]).unwrap();
        Small {
            rfm,
            bgbb,
            spend,
            survivors,
        }
    }

    fn of(&self, family: Family) -> FitData<'_> {
        match family {
            Family::Transaction => FitData::Transaction(&self.rfm),
            Family::Discrete => FitData::Discrete(&self.bgbb),
            Family::Spend => FitData::Spend(&self.spend),
            Family::Retention => FitData::Retention(&self.survivors),
        }
    }
}

/// `Model::log_likelihood` of a model of any kind on its family's data.
fn model_log_likelihood(model: &AnyModel, data: FitData<'_>) -> f64 {
    match (model, data) {
        (AnyModel::BgNbd(m), FitData::Transaction(d)) => m.log_likelihood(d),
        (AnyModel::ParetoNbd(m), FitData::Transaction(d)) => m.log_likelihood(d),
        (AnyModel::MbgNbd(m), FitData::Transaction(d)) => m.log_likelihood(d),
        (AnyModel::GgomNbd(m), FitData::Transaction(d)) => m.log_likelihood(d),
        (AnyModel::BgBb(m), FitData::Discrete(d)) => m.log_likelihood(d),
        (AnyModel::GammaGamma(m), FitData::Spend(d)) => m.log_likelihood(d),
        (AnyModel::Sbg(m), FitData::Retention(d)) => m.log_likelihood(d),
        (m, d) => panic!("{} on {:?} data", m.kind(), d.family()),
    }
}

#[test]
fn log_likelihood_at_is_the_models_log_likelihood() {
    let small = Small::new();
    for &kind in ModelKind::ALL {
        let data = small.of(kind.family());
        let params: Vec<f64> = (0..kind.param_names().len())
            .map(|i| 0.6 + 0.3 * i as f64)
            .collect();
        let model = AnyModel::from_params(kind, &params).unwrap();
        let at = log_likelihood_at(kind, &params, data).unwrap();
        assert!(at.is_finite(), "{kind}: {at}");
        assert_eq!(at, model_log_likelihood(&model, data), "{kind}");
    }
}

#[test]
fn log_likelihood_at_the_estimates_is_the_fits() {
    let small = Small::new();
    let options = FitOptions::default();
    // One kind a family: the slower fits add nothing the evaluation above does not check.
    for family in [
        Family::Transaction,
        Family::Discrete,
        Family::Spend,
        Family::Retention,
    ] {
        let kind = ModelKind::of_family(family).next().unwrap();
        let data = small.of(family);
        let fitted = fit(kind, data, &options, "period").unwrap();
        let params = fitted.model.params();
        let at = log_likelihood_at(kind, &params, data).unwrap();
        assert_eq!(at, model_log_likelihood(&fitted.model, data), "{kind}");
        assert!(
            (at - fitted.saved.log_likelihood).abs() <= 1e-9 * at.abs().max(1.0),
            "{kind}: {at} vs the fit's {}",
            fitted.saved.log_likelihood
        );
        // Away from the estimates the likelihood is lower.
        let off: Vec<f64> = params.iter().map(|p| p * 1.5).collect();
        assert!(log_likelihood_at(kind, &off, data).unwrap() < at, "{kind}");
    }
}

#[test]
fn log_likelihood_at_checks_family_and_parameters() {
    let small = Small::new();
    let e =
        log_likelihood_at(ModelKind::Sbg, &[1.0, 1.0], small.of(Family::Transaction)).unwrap_err();
    assert_eq!(e.kind(), crate::error::ErrorKind::InvalidParameter);
    assert!(
        e.to_string()
            .contains("sbg is a Retention model and cannot be evaluated on Transaction data"),
        "{e}"
    );
    let e = log_likelihood_at(
        ModelKind::BgNbd,
        &[1.0, -1.0, 1.0, 1.0],
        small.of(Family::Transaction),
    )
    .unwrap_err();
    assert_eq!(e.kind(), crate::error::ErrorKind::InvalidParameter, "{e}");
    assert!(log_likelihood_at(ModelKind::BgNbd, &[1.0], small.of(Family::Transaction)).is_err());
}

#[test]
fn family_traits_agree_with_the_inherent_methods() {
    let any = AnyModel::from_params(ModelKind::GammaGamma, &[6.25, 3.74, 15.44]).unwrap();
    let (spend, gg) = (any.as_spend_model().unwrap(), any.spend_model().unwrap());
    for (x, z) in [(0.0, 0.0), (1.0, 20.0), (4.0, 35.5), (12.0, 100.0)] {
        assert_eq!(
            spend.expected_average_spend(x, z).unwrap(),
            gg.conditional_expected_average_spend(x, z).unwrap()
        );
    }
    assert_eq!(
        spend.expected_average_spend_new().unwrap(),
        gg.population_mean_spend().unwrap()
    );

    let sbg = ShiftedBetaGeometric::from_params(&[0.668, 3.806]).unwrap();
    let any = AnyModel::Sbg(sbg);
    let retention = any.as_retention_model().unwrap();
    for t in 1..6 {
        assert_eq!(retention.survival(t).unwrap(), sbg.survival(t).unwrap());
        assert_eq!(
            retention.retention_rate(t).unwrap(),
            sbg.retention_rate(t).unwrap()
        );
        assert_eq!(
            retention.churn_probability(t).unwrap(),
            sbg.churn_probability(t).unwrap()
        );
        assert_eq!(
            retention
                .discounted_expected_residual_lifetime(0.1, t)
                .unwrap(),
            sbg.discounted_expected_residual_lifetime(0.1, t).unwrap()
        );
    }
    assert_eq!(
        retention.discounted_expected_lifetime(0.1).unwrap(),
        sbg.discounted_expected_lifetime(0.1).unwrap()
    );
    assert!(retention.churn_probability(0).is_err());

    let bgbb = BgBb::from_params(&[1.204, 0.750, 0.657, 2.783]).unwrap();
    let any = AnyModel::BgBb(bgbb);
    let discrete = any.as_discrete_model().unwrap();
    for (x, t_x, n) in [(0, 0, 6), (2, 4, 6), (6, 6, 6), (3, 5, 10)] {
        assert_eq!(
            discrete.p_alive(x, t_x, n).unwrap(),
            bgbb.p_alive(x, t_x, n).unwrap()
        );
        assert_eq!(
            discrete.expected_transactions(5, x, t_x, n).unwrap(),
            bgbb.conditional_expected_transactions(5, x, t_x, n)
                .unwrap()
        );
        assert_eq!(
            discrete.expected_transactions_new(n).unwrap(),
            bgbb.expected_transactions_new(n).unwrap()
        );
        assert_eq!(
            discrete.prob_transactions_new(x, n).unwrap(),
            bgbb.prob_transactions_new(x, n).unwrap()
        );
    }
    let total: f64 = (0..=6)
        .map(|x| discrete.prob_transactions_new(x, 6).unwrap())
        .sum();
    assert!((total - 1.0).abs() < 1e-12, "{total}");
    assert!(discrete.p_alive(3, 2, 6).is_err());
}
