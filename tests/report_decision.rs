//! The decision-maker parts of the report: the headline sentence is computed from the data,
//! the assumptions box states every term, money figures state their basis, and every section
//! is present with data, for the example report and for one built from a bundle trained on
//! the demo data.

mod common;

use clv::predict::score::score_bundle;
use clv::report::html::{money, rate_percent};
use clv::report::sections_decision::{AT_RISK_ROWS_SHOWN, headline_sentence, money_basis};
use clv::report::{ReportData, model_name, render_html};
use common::demo_report::{demo, demo_report, demo_settings};
use common::{FIGURE_IDS, SECTION_IDS};

/// The body of `<section id="{id}" …>…</section>`.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<section id=\"{id}\""))
        .unwrap_or_else(|| panic!("section {id} missing"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").expect("section closes")]
}

/// The rows of the first table in `html`.
fn table_rows(html: &str) -> usize {
    let body = html.split("<tbody>").nth(1).expect("a table");
    body.split("</tbody>")
        .next()
        .unwrap()
        .matches("<tr>")
        .count()
}

fn assert_every_section_has_data(html: &str) {
    for id in SECTION_IDS {
        let body = section(html, id);
        assert!(!body.contains("class=\"note\">No "), "{id}: {body}");
        assert!(body.len() > 300, "section {id} is nearly empty: {body}");
    }
    assert!(!html.contains("id=\"not-shown\""), "a section was left out");
    let ids: Vec<&str> = html
        .split("<figure id=\"")
        .skip(1)
        .map(|r| r.split('"').next().unwrap())
        .collect();
    assert_eq!(ids, FIGURE_IDS);
}

#[test]
fn the_headline_sentence_is_computed_from_the_data() {
    let mut data = ReportData::example();
    let h = data.headline.clone().unwrap();
    let n = data.new_customers.clone().unwrap();
    let all = n.values[0].conservative_max_cac.unwrap();
    let best = n.values[1..]
        .iter()
        .max_by(|a, b| {
            a.conservative_max_cac
                .unwrap()
                .total_cmp(&b.conservative_max_cac.unwrap())
        })
        .unwrap();
    let want = format!(
        "Win back the {} customers at risk: {} of future value over the next 52 weeks is at \
         stake; spend at most {} to acquire a new customer, up to {} from channel {}.",
        h.at_risk_customers,
        money(h.at_risk_value, "USD"),
        money(all, "USD"),
        money(best.conservative_max_cac.unwrap(), "USD"),
        best.group
    );
    assert_eq!(headline_sentence(&data).unwrap(), want);
    let html = render_html(&data).unwrap();
    assert!(html.contains(&format!(
        "<p class=\"headline-sentence\">{}</p>",
        clv::report::html::escape(&want)
    )));

    // Other numbers, another sentence.
    let headline = data.headline.as_mut().unwrap();
    headline.at_risk_customers = 1;
    headline.at_risk_value = 1234.5;
    let first = headline_sentence(&data).unwrap();
    assert!(
        first.starts_with("Win back the 1 customer at risk: 1,234.50 USD of future value"),
        "{first}"
    );
    // Without intervals the bound is the expected CLV over the target ratio.
    let values = &mut data.new_customers.as_mut().unwrap().values;
    for v in values.iter_mut() {
        v.conservative_max_cac = None;
    }
    let max_cac = values[0].max_cac;
    assert!(headline_sentence(&data).unwrap().contains(&format!(
        "spend at most {} to acquire",
        money(max_cac, "USD")
    )));
    // Nobody at risk and no new-customer values.
    let headline = data.headline.as_mut().unwrap();
    headline.at_risk_customers = 0;
    headline.at_risk_value = 0.0;
    data.new_customers = None;
    let sentence = headline_sentence(&data).unwrap();
    assert!(sentence.starts_with("No customer is at risk now: keep the 2,000 customers"));
    assert!(!sentence.contains("spend at most"), "{sentence}");
    data.headline = None;
    assert!(headline_sentence(&data).is_none());
}

#[test]
fn the_assumptions_box_states_every_term() {
    let data = ReportData::example();
    let html = render_html(&data).unwrap();
    let body = section(&html, "assumptions");
    for (term, value) in [
        ("Horizon", "next 52 weeks"),
        ("Discount rate", "10% a year"),
        ("Margin", "30% of revenue"),
        ("Currency", "USD"),
        ("Model", "BG/NBD (beta-geometric / negative binomial)"),
        (
            "Chosen by",
            "holdout MSE, then aggregate error: lowest holdout MSE (0.912 vs 0.947 for pnbd)",
        ),
        (
            "Data",
            "calibration 2024-01-01 to 2024-09-30; holdout 2024-09-30 to 2025-06-30",
        ),
        ("Churn", "no purchase in the next 26 weeks"),
        ("Intervals", "90% central intervals from 200 draws"),
    ] {
        let line = format!("<dt>{term}</dt><dd>");
        let at = body
            .find(&line)
            .unwrap_or_else(|| panic!("no {term} in {body}"));
        let dd = &body[at + line.len()..];
        let dd = &dd[..dd.find("</dd>").unwrap()];
        assert!(dd.contains(value), "{term}: {dd}");
    }
    // Margin 1 says that CLV is revenue.
    let mut revenue = data.clone();
    revenue.assumptions.as_mut().unwrap().margin = 1.0;
    let html = render_html(&revenue).unwrap();
    assert!(html.contains("100% of revenue: CLV figures are revenue"));
    assert!(money_basis(&revenue).contains("margin 100% (CLV figures are revenue)"));
}

#[test]
fn money_sections_state_currency_margin_discount_and_horizon() {
    let data = ReportData::example();
    let basis = money_basis(&data);
    assert_eq!(
        basis,
        "Money in USD: value over the next 52 weeks, margin 30%, discounted at 10% a year."
    );
    let html = render_html(&data).unwrap();
    for id in ["headline", "at-risk", "new-customers"] {
        assert!(section(&html, id).contains(&basis), "{id}");
    }
}

#[test]
fn the_example_has_every_section_with_data() {
    let data = ReportData::example();
    let html = render_html(&data).unwrap();
    assert_every_section_has_data(&html);
    // The at-risk table shows the top of the list with reasons.
    let at_risk = section(&html, "at-risk");
    assert_eq!(table_rows(at_risk), AT_RISK_ROWS_SHOWN);
    assert!(at_risk.contains("times their usual gap of"));
    // New customers: conservative maximum CAC = lower interval end / target.
    let new = section(&html, "new-customers");
    let all = &data.new_customers.as_ref().unwrap().values[0];
    let lower = all.clv_interval.unwrap().lower;
    assert!(new.contains(&money(lower / 3.0, "USD")));
    assert!(new.contains("90% interval"));
    // Model comparison: full names, the chosen one marked.
    let models = section(&html, "model-comparison");
    assert!(
        models.contains("<strong>BG/NBD (beta-geometric / negative binomial)</strong> (chosen)")
    );
    assert!(models.contains("Pareto/NBD (Pareto / negative binomial)"));
    assert_eq!(table_rows(models), 3);
}

#[test]
fn a_report_from_a_trained_bundle_has_every_section_with_data() {
    let d = demo();
    let data = demo_report();
    let html = render_html(&data).unwrap();
    assert_every_section_has_data(&html);

    // The headline and at-risk list are those of `clv score` / `clv at-risk`.
    let settings = demo_settings(&d.bundle);
    let scored = score_bundle(&d.bundle, &d.history, settings.clv, None, settings.at_risk).unwrap();
    let list = data.at_risk.as_ref().unwrap();
    assert_eq!(list.rows, scored.at_risk);
    assert!(!list.rows.is_empty());
    let h = data.headline.as_ref().unwrap();
    assert_eq!(
        h.at_risk_customers as usize,
        scored.totals.at_risk_customers
    );
    let sentence = headline_sentence(&data).unwrap();
    assert!(
        sentence.contains(&money(scored.totals.at_risk_value, "USD")),
        "{sentence}"
    );
    assert!(sentence.contains("from channel"), "{sentence}");
    assert!(
        h.total_clv_interval
            .is_some_and(|i| i.lower < h.total_clv && h.total_clv < i.upper)
    );

    // The assumptions come from the bundle and the settings.
    let a = data.assumptions.as_ref().unwrap();
    assert_eq!(a.model, model_name(&d.bundle.selection.chosen));
    assert_eq!(a.selection_rule, d.bundle.selection.rule);
    assert_eq!(a.calibration_end.as_deref(), Some("2024-12-31"));
    assert!((a.annual_discount_rate - 0.10).abs() < 1e-9 && a.margin == 0.30);
    assert_eq!(rate_percent(a.annual_discount_rate), "10%");

    // New customers: overall and one row per channel, each with an interval around it and a
    // conservative bound below the point maximum.
    let n = data.new_customers.as_ref().unwrap();
    assert!(n.values.len() >= 3, "{n:?}");
    for v in &n.values {
        let i = v.clv_interval.expect("interval");
        assert!(i.lower < v.clv && v.clv < i.upper, "{v:?}");
        let c = v.conservative_max_cac.unwrap();
        assert!((c - i.lower / 3.0).abs() < 1e-9 && c < v.max_cac, "{v:?}");
    }
    // The model comparison lists the bundle's candidates.
    let m = data.model_comparison.as_ref().unwrap();
    assert_eq!(m.candidates, d.bundle.selection.candidates);
    assert!(section(&html, "model-comparison").contains("(chosen)"));
    // The tracking axis is in calendar dates.
    assert_eq!(
        data.tracking.as_ref().unwrap().start_date.as_deref(),
        Some(
            d.history
                .customers
                .iter()
                .map(|c| c.first_purchase)
                .min()
                .unwrap()
                .to_string()
                .as_str()
        )
    );
}

#[test]
fn the_currency_must_be_a_three_letter_code() {
    use clv::report::build::currency_code;
    assert_eq!(currency_code("eur").unwrap(), "EUR");
    assert_eq!(currency_code(" USD ").unwrap(), "USD");
    for bad in ["$", "US", "EURO", "U$D", ""] {
        assert!(currency_code(bad).is_err(), "{bad}");
    }
    let d = demo();
    let mut settings = demo_settings(&d.bundle);
    settings.currency = "$".into();
    assert!(clv::report::build::build_report(&d.bundle, &d.history, None, &settings).is_err());
}
