//! The sections a decision maker reads first: the headline sentence of what to do with its
//! figures, the assumptions box, the model comparison, the at-risk list with reasons and the
//! new-customer value with the maximum acquisition cost.

use super::html::{self, escape, money, note, percent};
use super::sections::horizon_text;
use super::{ReportData, model_name};
use crate::predict::selection::aggregate_error_warning;

/// Most rows of the at-risk table on the page (the list itself may be longer).
pub const AT_RISK_ROWS_SHOWN: usize = 15;

/// What money figures mean: currency, margin, discount rate and horizon, in one line.
pub fn money_basis(data: &ReportData) -> String {
    let currency = data.currency.trim();
    let horizon = horizon_text(data);
    match &data.assumptions {
        Some(a) => {
            let margin = if a.margin == 1.0 {
                "margin 100% (CLV figures are revenue)".to_string()
            } else {
                format!("margin {}", html::rate_percent(a.margin))
            };
            format!(
                "Money in {currency}: value over the {horizon}, {margin}, discounted at {} a year.",
                html::rate_percent(a.annual_discount_rate)
            )
        }
        None => format!("Money in {currency}: value over the {horizon}."),
    }
}

/// The conservative bound of a new-customer value when there is one, else the point value.
fn cac_bound(v: &crate::predict::new_customers::NewCustomerValue) -> f64 {
    v.conservative_max_cac.unwrap_or(v.max_cac)
}

/// The one sentence of what to do, from the headline figures and the new-customer values;
/// `None` without headline figures.
pub fn headline_sentence(data: &ReportData) -> Option<String> {
    let h = data.headline.as_ref()?;
    let cur = &data.currency;
    let horizon = horizon_text(data);
    let first = if h.at_risk_customers > 0 && h.at_risk_value > 0.0 {
        format!(
            "Win back the {} customer{} at risk: {} of future value over the {horizon} is at stake",
            html::count(h.at_risk_customers as f64),
            if h.at_risk_customers == 1 { "" } else { "s" },
            money(h.at_risk_value, cur)
        )
    } else {
        format!(
            "No customer is at risk now: keep the {} customers, {} of expected value over the {horizon}",
            html::count(h.customers as f64),
            money(h.total_clv, cur)
        )
    };
    let second = data
        .new_customers
        .as_ref()
        .and_then(|n| n.values.first().map(|all| (n, all)))
        .map(|(n, all)| {
            let mut text = format!(
                "spend at most {} to acquire a new customer",
                money(cac_bound(all), cur)
            );
            let best = n
                .values
                .iter()
                .skip(1)
                .filter(|v| v.attribute.is_some())
                .max_by(|a, b| cac_bound(a).total_cmp(&cac_bound(b)));
            if let Some(best) = best.filter(|_| n.values.len() > 2) {
                text.push_str(&format!(
                    ", up to {} from {} {}",
                    money(cac_bound(best), cur),
                    best.attribute.as_deref().unwrap_or_default(),
                    best.group
                ));
            }
            text
        });
    Some(match second {
        Some(second) => format!("{first}; {second}."),
        None => format!("{first}."),
    })
}

pub fn headline(data: &ReportData) -> String {
    let Some(h) = &data.headline else {
        return note("No headline figures were supplied.");
    };
    let mut out = String::new();
    if let Some(sentence) = headline_sentence(data) {
        out.push_str(&format!(
            "<p class=\"headline-sentence\">{}</p>\n",
            escape(&sentence)
        ));
    }
    let mut basis = money_basis(data);
    if let Some(n) = &data.new_customers {
        let bound = if n
            .values
            .first()
            .is_some_and(|v| v.conservative_max_cac.is_some())
        {
            format!(
                "the lower end of the {} interval of a new customer's CLV",
                html::rate_percent(n.intervals.level)
            )
        } else {
            "a new customer's expected CLV".to_string()
        };
        basis.push_str(&format!(
            " Acquisition spend: {bound} divided by the target LTV:CAC of {}:1.",
            html::short(n.target_ltv_cac)
        ));
    }
    out.push_str(&format!("<p class=\"basis\">{}</p>\n", escape(&basis)));
    let cur = &data.currency;
    let customers = h.customers as f64;
    let at_risk_share = if h.customers > 0 {
        h.at_risk_customers as f64 / customers
    } else {
        f64::NAN
    };
    let mut rule = format!("{} of customers", percent(at_risk_share));
    if !h.at_risk_rule.trim().is_empty() {
        rule.push_str("; ");
        rule.push_str(h.at_risk_rule.trim());
    }
    let horizon = horizon_text(data);
    let clv_detail = match (&h.total_clv_interval, &data.assumptions) {
        (Some(i), Some(a)) => format!(
            "{horizon}; {} interval {} to {}",
            a.interval_level
                .map_or_else(String::new, html::rate_percent),
            money(i.lower, cur),
            money(i.upper, cur)
        ),
        _ => horizon.clone(),
    };
    out.push_str("<div class=\"cards\">\n");
    out.push_str(&html::stat_card("Customers", &html::count(customers), ""));
    out.push_str(&html::stat_card(
        "Active share",
        &percent(h.mean_p_alive),
        "mean probability of being alive",
    ));
    out.push_str(&html::stat_card(
        "Predicted revenue",
        &money(h.predicted_revenue, cur),
        &horizon,
    ));
    out.push_str(&html::stat_card(
        "Total CLV",
        &money(h.total_clv, cur),
        &clv_detail,
    ));
    out.push_str(&html::stat_card(
        "Customers at risk",
        &html::count(h.at_risk_customers as f64),
        &rule,
    ));
    out.push_str(&html::stat_card(
        "Value at risk",
        &money(h.at_risk_value, cur),
        "what their churn would cost: (1 - P(alive)) x CLV if alive",
    ));
    out.push_str("</div>\n");
    out
}

/// The assumptions box: one term per line.
pub fn assumptions(data: &ReportData) -> String {
    let Some(a) = &data.assumptions else {
        return note("No assumptions were supplied.");
    };
    let unit = &data.time_unit;
    let margin = if a.margin == 1.0 {
        "100% of revenue: CLV figures are revenue".to_string()
    } else {
        format!("{} of revenue", html::rate_percent(a.margin))
    };
    let mut chosen = a.selection_rule.trim().to_string();
    if !a.selection_reason.trim().is_empty() {
        chosen = format!("{chosen}: {}", a.selection_reason.trim());
    }
    let dates = match (&a.data_start, &a.calibration_end) {
        (Some(start), Some(end)) => format!(
            "calibration {start} to {end}; holdout {end} to {}",
            a.observation_end
        ),
        (None, Some(end)) => format!(
            "calibration to {end}; holdout {end} to {}",
            a.observation_end
        ),
        (Some(start), None) => format!("{start} to {} (no holdout)", a.observation_end),
        (None, None) => format!("to {} (no holdout)", a.observation_end),
    };
    let mut churn = format!(
        "no purchase in the next {} {unit}",
        super::sections::duration(a.churn_window)
    );
    if !a.churn_source.trim().is_empty() {
        churn.push_str(&format!("; probability from {}", a.churn_source.trim()));
    }
    let mut rows: Vec<(&str, String)> = vec![
        ("Horizon", horizon_text(data)),
        (
            "Discount rate",
            format!("{} a year", html::rate_percent(a.annual_discount_rate)),
        ),
        ("Margin", margin),
        ("Currency", data.currency.trim().to_string()),
        ("Model", a.model.clone()),
        ("Chosen by", chosen),
        ("Data", dates),
        ("Churn", churn),
    ];
    if let Some(h) = data
        .headline
        .as_ref()
        .filter(|h| !h.at_risk_rule.trim().is_empty())
    {
        rows.push(("At risk", h.at_risk_rule.trim().to_string()));
    }
    match (a.interval_level, a.interval_draws) {
        (Some(level), Some(draws)) => rows.push((
            "Intervals",
            format!(
                "{} central intervals from {draws} draws of the parameters' estimated sampling \
                 distribution (parameter uncertainty only)",
                html::rate_percent(level)
            ),
        )),
        _ => rows.push(("Intervals", "none computed".to_string())),
    }
    let mut out = String::from("<dl class=\"assumptions\">\n");
    for (term, value) in rows {
        out.push_str(&format!(
            "<dt>{}</dt><dd>{}</dd>\n",
            escape(term),
            escape(&value)
        ));
    }
    out.push_str("</dl>\n");
    out
}

/// The candidate models' holdout criteria, the chosen one marked.
pub fn model_comparison(data: &ReportData) -> String {
    let Some(m) = data
        .model_comparison
        .as_ref()
        .filter(|m| !m.candidates.is_empty())
    else {
        return note("No model comparison was supplied.");
    };
    let mut out = String::new();
    let mut why = format!("Chosen: {} by {}", model_name(&m.chosen), m.rule.trim());
    if !m.reason.trim().is_empty() {
        why.push_str(&format!(": {}", m.reason.trim()));
    }
    out.push_str(&format!("<p>{}.</p>\n", escape(why.trim_end_matches('.'))));
    let optional = |v: Option<f64>, decimals: usize| {
        v.map_or_else(|| html::MISSING.to_string(), |v| html::number(v, decimals))
    };
    let rows: Vec<Vec<String>> = m
        .candidates
        .iter()
        .map(|c| {
            let chosen = c.model == m.chosen;
            let name = escape(&model_name(&c.model));
            vec![
                if chosen {
                    format!("<strong>{name}</strong> (chosen)")
                } else {
                    name
                },
                html::number(c.log_likelihood, 1),
                optional(c.holdout_mse, 3),
                optional(c.holdout_mae, 3),
                c.holdout_aggregate_error_pct.map_or_else(
                    || html::MISSING.to_string(),
                    |p| format!("{}%", html::number(p, 1)),
                ),
            ]
        })
        .collect();
    out.push_str(&html::table(
        &[
            "Model",
            "Log-likelihood",
            "Holdout MSE",
            "Holdout MAE",
            "Aggregate error",
        ],
        &rows,
        &[false, true, true, true, true],
    ));
    out.push_str(
        "<p class=\"basis\">Holdout errors are per customer (purchases in the holdout); the \
         aggregate error is predicted minus actual total holdout purchases, in percent of \
         actual.</p>\n",
    );
    let warnings: Vec<String> = m
        .candidates
        .iter()
        .filter(|c| c.model == m.chosen)
        .filter_map(|c| {
            c.holdout_aggregate_error_pct
                .and_then(|p| aggregate_error_warning(&model_name(&c.model), p))
        })
        .collect();
    for w in warnings {
        out.push_str(&note(&w));
    }
    if !m.not_scored.is_empty() {
        out.push_str("<p>Not compared:</p>\n<ul>\n");
        for n in &m.not_scored {
            out.push_str(&format!(
                "<li>{}: {}</li>\n",
                escape(&model_name(&n.model)),
                escape(&n.reason)
            ));
        }
        out.push_str("</ul>\n");
    }
    out
}

/// The top of the at-risk list with each customer's reasons.
pub fn at_risk(data: &ReportData) -> String {
    let Some(list) = &data.at_risk else {
        return note("No at-risk list was supplied.");
    };
    let cur = &data.currency;
    let mut out = String::new();
    if list.rows.is_empty() {
        out.push_str(&format!(
            "<p>No customer meets the at-risk rule ({}).</p>\n",
            escape(list.rule.trim())
        ));
        return out;
    }
    let shown = list.rows.len().min(AT_RISK_ROWS_SHOWN);
    out.push_str(&format!(
        "<p>The {} customers with the most value at risk, of {} at risk ({}). {}</p>\n",
        html::count(shown as f64),
        html::count(list.customers_at_risk as f64),
        escape(list.rule.trim()),
        escape(&money_basis(data))
    ));
    let rows: Vec<Vec<String>> = list
        .rows
        .iter()
        .take(shown)
        .map(|r| {
            let reasons: Vec<String> = r.reasons.iter().map(|x| x.description.clone()).collect();
            vec![
                r.rank.to_string(),
                escape(&r.customer_id),
                percent(r.churn_probability),
                percent(r.p_alive),
                money(r.clv_if_alive, cur),
                money(r.value_at_risk, cur),
                escape(&reasons.join("; ")),
            ]
        })
        .collect();
    out.push_str(&html::table(
        &[
            "Rank",
            "Customer",
            "Churn probability",
            "P(alive)",
            "CLV if alive",
            "Value at risk",
            "Why",
        ],
        &rows,
        &[true, false, true, true, true, true, false],
    ));
    out
}

/// New-customer CLV with its interval, and the maximum acquisition cost.
pub fn new_customers(data: &ReportData) -> String {
    let Some(n) = data.new_customers.as_ref().filter(|n| !n.values.is_empty()) else {
        return note("No new-customer values were supplied.");
    };
    let cur = &data.currency;
    let level = html::rate_percent(n.intervals.level);
    let mut out = format!(
        "<p>Expected CLV of a just-acquired customer (first order plus the repeat purchases the \
         model expects), and the most to pay to acquire one at a target LTV:CAC of {}:1. The \
         conservative maximum uses the lower end of the {level} interval. {}</p>\n",
        html::short(n.target_ltv_cac),
        escape(&money_basis(data))
    );
    if let Some(why) = &n.interval_note {
        out.push_str(&note(&format!("No intervals: {why}")));
    }
    let rows: Vec<Vec<String>> = n
        .values
        .iter()
        .map(|v| {
            let group = match &v.attribute {
                Some(a) => format!("{a} = {}", v.group),
                None => v.group.clone(),
            };
            vec![
                escape(&group),
                html::count(v.training_customers as f64),
                money(v.clv, cur),
                v.clv_interval.map_or_else(
                    || html::MISSING.to_string(),
                    |i| format!("{} to {}", money(i.lower, cur), money(i.upper, cur)),
                ),
                money(v.max_cac, cur),
                v.conservative_max_cac
                    .map_or_else(|| html::MISSING.to_string(), |c| money(c, cur)),
            ]
        })
        .collect();
    let interval_header = format!("{level} interval");
    out.push_str(&html::table(
        &[
            "New customers",
            "Training customers",
            "Expected CLV",
            &interval_header,
            "Max CAC",
            "Conservative max CAC",
        ],
        &rows,
        &[false, true, true, true, true, true],
    ));
    out
}
