//! The HTML report: every section present with data, skipped with a note without it,
//! user strings escaped, no non-finite numbers and no external references in the output.

mod common;

use clv::ClvError;
use clv::report::{
    ChurnEvaluation, ClvDistribution, GroupValues, Headline, ReportData, render_html,
};
use common::{FIGURE_IDS, SECTION_IDS};

/// The content of each `<figure id="...">…</figure>`, by id.
fn figures(html: &str) -> Vec<(String, String)> {
    html.split("<figure id=\"")
        .skip(1)
        .map(|rest| {
            let (id, body) = rest.split_once('"').expect("figure id closes");
            let body = body.split("</figure>").next().expect("figure closes");
            (id.to_string(), body.to_string())
        })
        .collect()
}

/// Fails on text a non-finite number would print as.
fn assert_no_non_finite(html: &str) {
    assert!(!html.contains("NaN"), "NaN in output");
    let lower = html.to_lowercase();
    assert!(!lower.contains("infinity"), "infinity in output");
    let bytes = lower.as_bytes();
    for (i, _) in lower.match_indices("inf") {
        let before = i.checked_sub(1).map(|j| bytes[j]).unwrap_or(b' ');
        let after = bytes.get(i + 3).copied().unwrap_or(b' ');
        assert!(
            before.is_ascii_alphabetic() || after.is_ascii_alphabetic(),
            "'inf' as a number in output near: {}",
            &lower[i.saturating_sub(40)..(i + 40).min(lower.len())]
        );
    }
}

fn minimal() -> ReportData {
    serde_json::from_str(
        r#"{"title": "Empty", "time_unit": "days", "currency": "EUR", "horizon": 30}"#,
    )
    .expect("minimal JSON parses")
}

#[test]
fn every_section_and_chart_is_present_with_full_data() {
    let html = render_html(&ReportData::example()).unwrap();
    assert_eq!(html.matches("<svg").count(), FIGURE_IDS.len());
    let figs = figures(&html);
    let ids: Vec<&str> = figs.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, FIGURE_IDS);
    for (id, body) in &figs {
        assert_eq!(body.matches("<svg").count(), 1, "{id} has one svg");
        assert!(body.contains("<figcaption>"), "{id} has a caption");
        assert!(
            body.matches("<rect").count() + body.matches("<polyline").count() >= 3,
            "{id} draws something"
        );
    }
    for id in SECTION_IDS {
        assert!(
            html.contains(&format!("<section id=\"{id}\"")),
            "section {id}"
        );
    }
    assert!(
        !html.contains("class=\"note\""),
        "no section skipped with full data"
    );
    assert!(!html.contains("id=\"not-shown\""), "no section left out");
    // Units from the data reach the axes; numbers are formatted for people.
    // The tracking plot's time axis shows calendar dates.
    let tracking = &figs[3].1;
    assert!(tracking.contains("\n2024-0") && tracking.contains("\n2025-0"));
    assert!(html.contains("recency: time of last purchase (weeks)"));
    assert!(html.contains("2,000"));
    assert!(html.contains("Can&#39;t lose them"));
    assert_no_non_finite(&html);
}

#[test]
fn output_is_self_contained() {
    let html = render_html(&ReportData::example()).unwrap();
    let without_xmlns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!without_xmlns.contains("http://"));
    assert!(!without_xmlns.contains("https://"));
    assert!(!html.contains("<script"));
    assert!(!html.contains("<link"));
    assert!(!html.contains(" src="));
    assert!(html.contains("<style>"));
}

#[test]
fn absent_sections_are_left_out_and_listed_with_the_reason() {
    let html = render_html(&minimal()).unwrap();
    assert_eq!(html.matches("<svg").count(), 0);
    for id in SECTION_IDS {
        assert!(
            !html.contains(&format!("<section id=\"{id}\"")),
            "section {id} is empty but shown"
        );
    }
    // One line per left-out section, in the one "not shown" section.
    assert_eq!(html.matches("<section").count(), 1);
    let listed = html.split("<ul class=\"not-shown\">").nth(1).unwrap();
    let listed = listed.split("</ul>").next().unwrap();
    assert_eq!(listed.matches("<li>").count(), SECTION_IDS.len());
    assert!(listed.contains("<li>Churn model: its input was not supplied.</li>"));

    // A reason given by the builder is the one shown.
    let mut data = minimal();
    data.absent.insert(
        "calibration-holdout".into(),
        "the bundle has no holdout".into(),
    );
    let html = render_html(&data).unwrap();
    assert!(html.contains("<li>Calibration vs holdout: the bundle has no holdout.</li>"));

    // Only the churn section given: exactly its three charts.
    let mut data = minimal();
    data.churn = Some(ChurnEvaluation {
        predicted: vec![0.9, 0.8, 0.3, 0.1, 0.6, 0.2],
        churned: vec![true, true, false, false, true, false],
        definition: String::new(),
    });
    let html = render_html(&data).unwrap();
    let ids: Vec<String> = figures(&html).into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        ids,
        ["fig-churn-roc", "fig-churn-calibration", "fig-churn-lift"]
    );
    assert!(html.contains("<section id=\"churn\">"));
    // Perfectly separated scores: AUC 1.
    assert!(html.contains("<div class=\"value\">1.000</div>"));
}

#[test]
fn a_churn_sample_with_one_class_is_explained_not_drawn() {
    let mut data = minimal();
    data.churn = Some(ChurnEvaluation {
        predicted: vec![0.2, 0.4],
        churned: vec![false, false],
        definition: String::new(),
    });
    let html = render_html(&data).unwrap();
    assert_eq!(html.matches("<svg").count(), 0);
    assert!(html.contains("needs both customers who churned and customers who stayed"));
}

#[test]
fn user_strings_are_escaped() {
    let mut data = ReportData::example();
    data.title = "Report <b>bold</b>".into();
    let segments = data.segments.as_mut().unwrap();
    segments.names[0] = "<script>alert(1)</script>".into();
    data.channels.as_mut().unwrap().names[0] = "Tom & Jerry's \"deals\"".into();
    let clv = data.clv.as_mut().unwrap();
    let best = (0..clv.values.len())
        .max_by(|a, b| clv.values[*a].total_cmp(&clv.values[*b]))
        .unwrap();
    clv.customer_ids[best] = "<img src=x onerror=alert(2)>".into();
    data.fits[0].warnings.push("<iframe>".into());
    let html = render_html(&data).unwrap();
    assert!(!html.contains("<script"));
    assert!(!html.contains("<img"));
    assert!(!html.contains("<iframe>"));
    assert!(!html.contains("<b>bold"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("Tom &amp; Jerry&#39;s &quot;deals&quot;"));
    assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
    assert!(html.contains("&lt;iframe&gt;"));
}

#[test]
fn non_finite_inputs_never_reach_the_page() {
    let mut data = ReportData::example();
    let t = data.tracking.as_mut().unwrap();
    t.actual[3] = f64::NAN;
    t.expected[5] = f64::INFINITY;
    let c = data.clv.as_mut().unwrap();
    c.values[0] = f64::NAN;
    c.values[1] = f64::NEG_INFINITY;
    let g = data.frequency_recency.as_mut().unwrap();
    g.p_alive[2][3] = f64::NAN;
    g.expected_purchases[4][1] = f64::INFINITY;
    data.churn.as_mut().unwrap().predicted[0] = f64::NAN;
    data.segments.as_mut().unwrap().total_clv[1] = f64::NAN;
    data.cohorts.as_mut().unwrap().share_active[0][2] = f64::NAN;
    data.calibration_holdout.as_mut().unwrap()[1].mean_actual = f64::NAN;
    data.fits[0].std_errors[0] = None;
    data.fits[0].ci95[0] = None;
    data.fits[0].gradient_norm = f64::NAN;
    let h = data.headline.as_mut().unwrap();
    h.total_clv = f64::NAN;
    let html = render_html(&data).unwrap();
    assert_no_non_finite(&html);
    assert_eq!(html.matches("<svg").count(), FIGURE_IDS.len());
    assert!(html.contains("2 period(s) with non-finite values were left out."));
    assert!(html.contains("2 customer(s) with a non-finite CLV were left out."));
    assert!(html.contains("2 grid cell(s) without a finite value are drawn in grey."));
    assert!(html.contains("1 customer(s) with a non-finite predicted probability were left out."));
    assert!(html.contains("1 group(s) with a non-finite total were left out."));
    assert!(html.contains("1 cell(s) without a finite share are drawn in grey."));
    assert!(html.contains("1 frequency group(s) with non-finite means were left out."));
}

#[test]
fn inconsistent_lengths_are_errors_not_panics() {
    let mut data = ReportData::example();
    data.tracking.as_mut().unwrap().expected.pop();
    assert!(
        matches!(render_html(&data), Err(ClvError::InvalidParameter(m)) if m.contains("tracking.expected"))
    );

    let mut data = ReportData::example();
    data.frequency_recency.as_mut().unwrap().p_alive[0].pop();
    assert!(matches!(
        render_html(&data),
        Err(ClvError::InvalidParameter(_))
    ));

    let mut data = minimal();
    data.segments = Some(GroupValues {
        names: vec!["a".into()],
        customers: vec![],
        total_clv: vec![1.0],
    });
    assert!(matches!(
        render_html(&data),
        Err(ClvError::InvalidParameter(_))
    ));

    let mut data = minimal();
    data.clv = Some(ClvDistribution {
        values: vec![1.0, 2.0],
        customer_ids: vec!["x".into()],
    });
    assert!(matches!(
        render_html(&data),
        Err(ClvError::InvalidParameter(_))
    ));
}

#[test]
fn headline_numbers_are_formatted_for_people() {
    let mut data = minimal();
    data.currency = "$".into();
    data.headline = Some(Headline {
        customers: 1_234_567,
        mean_p_alive: 0.4567,
        predicted_revenue: 9_876_543.219,
        total_clv: 1_000_000.0,
        at_risk_customers: 250_000,
        at_risk_value: 125_000.5,
        at_risk_rule: "P(alive) < 30%".into(),
        total_clv_interval: None,
    });
    let html = render_html(&data).unwrap();
    for expected in [
        "1,234,567",
        "45.7%",
        "$9,876,543.22",
        "$1,000,000.00",
        "250,000",
        "$125,000.50",
        // Value at risk is not a share of the CLV: the card says what it is.
        "(1 - P(alive)) x CLV if alive",
    ] {
        assert!(html.contains(expected), "missing {expected}");
    }
    assert!(html.contains("P(alive) &lt; 30%"));
    assert!(html.contains("next 30 days"));
}

#[test]
fn report_data_round_trips_through_json() {
    let data = ReportData::example();
    let json = serde_json::to_string(&data).unwrap();
    let back: ReportData = serde_json::from_str(&json).unwrap();
    // Floats may move by one ulp through JSON, so compare what the reader sees; without Debug
    // output, as the example is large.
    assert_eq!(back.title, data.title);
    assert_eq!(
        back.segments.as_ref().unwrap().names,
        data.segments.as_ref().unwrap().names
    );
    assert_eq!(
        back.churn.as_ref().unwrap().churned,
        data.churn.as_ref().unwrap().churned
    );
    assert!(
        render_html(&back).unwrap() == render_html(&data).unwrap(),
        "rendering changes on a round trip"
    );
}

#[test]
fn extreme_but_valid_values_render() {
    let mut data = minimal();
    data.clv = Some(ClvDistribution {
        values: (0..500)
            .map(|i| if i == 0 { 1e12 } else { i as f64 * 0.01 })
            .collect(),
        customer_ids: vec![],
    });
    data.segments = Some(GroupValues {
        names: vec!["Whales".into(), "Everyone else".into()],
        customers: vec![1, 0],
        total_clv: vec![1e12, -5.0],
    });
    let html = render_html(&data).unwrap();
    assert_no_non_finite(&html);
    assert_eq!(html.matches("<svg").count(), 2);
    assert!(html.contains("1,000,000,000,000.00 EUR"));
    // One customer holds nearly everything: the concentration curve jumps at once.
    assert!(html.contains("id=\"fig-clv-concentration\""));
}
