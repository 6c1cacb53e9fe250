//! Report sections about the models: churn classifier evaluation (ROC, calibration, cumulative
//! gains), acquisition-cohort retention heat map and the parameter / diagnostics tables.

use super::charts::{self, BLUE, LineChart, Series, Stroke, VERMILLION};
use super::heatmap::{self, HeatMap};
use super::html::{self, escape, figure, note, percent};
use super::metrics::thin;
use super::{ReportData, same_len};
use crate::churn::metrics;
use crate::error::Result;
use crate::models::FitReport;

/// Most points drawn per curve: enough for a smooth line, small enough for the page.
const MAX_CURVE_POINTS: usize = 400;

pub fn churn(data: &ReportData) -> Result<String> {
    let Some(c) = data.churn.as_ref().filter(|c| !c.predicted.is_empty()) else {
        return Ok(note("No churn model evaluation was supplied."));
    };
    same_len("churn.churned", c.churned.len(), c.predicted.len())?;
    let mut out = String::new();
    let finite = c.predicted.iter().filter(|p| p.is_finite()).count();
    if finite < c.predicted.len() {
        out.push_str(&note(&format!(
            "{} customer(s) with a non-finite predicted probability were left out.",
            c.predicted.len() - finite
        )));
    }
    let outside = c
        .predicted
        .iter()
        .filter(|p| p.is_finite() && !(0.0..=1.0).contains(*p))
        .count();
    if outside > 0 {
        out.push_str(&note(&format!(
            "{outside} predicted probabilit(ies) outside [0, 1] were clamped to it."
        )));
    }
    // The customers with a finite prediction, clamped to [0, 1]; the metrics are those of
    // `clv evaluate` (crate::churn::metrics).
    let (predicted, churned): (Vec<f64>, Vec<bool>) = c
        .predicted
        .iter()
        .zip(&c.churned)
        .filter(|(p, _)| p.is_finite())
        .map(|(p, l)| (p.clamp(0.0, 1.0), *l))
        .unzip();
    let (Ok(roc), Ok(auc)) = (
        metrics::roc_curve(&predicted, &churned),
        metrics::roc_auc(&predicted, &churned),
    ) else {
        out.push_str(&note(
            "The churn evaluation needs both customers who churned and customers who stayed; it has only one kind.",
        ));
        return Ok(out);
    };
    let evaluated = predicted.len();
    let churners = churned.iter().filter(|l| **l).count();
    let gains = metrics::gains_curve(&predicted, &churned, MAX_CURVE_POINTS)?;
    let (top_decile, _) = metrics::lift_gains(&predicted, &churned, 0.1)?;

    out.push_str("<div class=\"cards\">\n");
    out.push_str(&html::stat_card(
        "Customers evaluated",
        &html::count(evaluated as f64),
        "",
    ));
    out.push_str(&html::stat_card(
        "Churn rate",
        &percent(churners as f64 / evaluated as f64),
        c.definition.trim(),
    ));
    out.push_str(&html::stat_card(
        "ROC AUC",
        &html::number(auc, 3),
        "0.5 = chance, 1 = perfect",
    ));
    out.push_str(&html::stat_card(
        "Top-decile lift",
        &format!("{}×", html::number(top_decile, 2)),
        "churn rate in the riskiest 10% vs overall",
    ));
    out.push_str("</div>\n<div class=\"figures\">\n");

    let roc_chart = LineChart {
        x_label: "false positive rate (share of stayers flagged)".into(),
        y_label: "true positive rate (share of churners caught)".into(),
        series: vec![Series {
            name: format!("Churn model (AUC {})", html::number(auc, 3)),
            points: thin(&roc, MAX_CURVE_POINTS),
            color: BLUE,
            stroke: Stroke::Solid,
        }],
        vline: None,
        diagonal: Some("Chance".into()),
        unit_square: true,
        legend_lower_right: true,
        x_dates: None,
    };
    let title = "ROC curve of the churn model";
    out.push_str(&figure(
        "fig-churn-roc",
        &charts::line_chart(&roc_chart, title)?,
        &format!("{title}; the dashed diagonal is a random ranking."),
    ));

    let bins = metrics::calibration_table(&predicted, &churned, 10)?;
    let calibration_chart = LineChart {
        x_label: "mean predicted churn probability (per decile)".into(),
        y_label: "observed churn rate".into(),
        series: vec![Series {
            name: "Churn model".into(),
            points: bins
                .iter()
                .map(|b| (b.mean_predicted, b.observed_rate))
                .collect(),
            color: VERMILLION,
            stroke: Stroke::Markers,
        }],
        vline: None,
        diagonal: Some("Perfect calibration".into()),
        unit_square: true,
        legend_lower_right: true,
        x_dates: None,
    };
    let title = "Calibration of the churn model";
    out.push_str(&figure(
        "fig-churn-calibration",
        &charts::line_chart(&calibration_chart, title)?,
        &format!(
            "{title}: customers in deciles of predicted probability, predicted vs observed churn rate; points on the diagonal are well calibrated."
        ),
    ));

    let lift_chart = LineChart {
        x_label: "share of customers targeted (riskiest first)".into(),
        y_label: "share of churners caught".into(),
        series: vec![Series {
            name: "Churn model".into(),
            points: gains,
            color: BLUE,
            stroke: Stroke::Solid,
        }],
        vline: None,
        diagonal: Some("Random targeting".into()),
        unit_square: true,
        legend_lower_right: true,
        x_dates: None,
    };
    let title = "Cumulative gains (lift) of the churn model";
    out.push_str(&figure(
        "fig-churn-lift",
        &charts::line_chart(&lift_chart, title)?,
        &format!("{title}: targeting customers in order of predicted risk."),
    ));
    out.push_str("</div>\n");
    Ok(out)
}

pub fn cohorts(data: &ReportData) -> Result<String> {
    let Some(c) = data.cohorts.as_ref().filter(|c| !c.cohorts.is_empty()) else {
        return Ok(note("No acquisition-cohort retention table was supplied."));
    };
    same_len("cohorts.sizes", c.sizes.len(), c.cohorts.len())?;
    same_len(
        "cohorts.share_active",
        c.share_active.len(),
        c.cohorts.len(),
    )?;
    let months = c.share_active.iter().map(Vec::len).max().unwrap_or(0);
    if months == 0 {
        return Ok(note("The cohort retention table has no months."));
    }
    let cols: Vec<String> = (0..months).map(|m| m.to_string()).collect();
    // Cell labels only where cells are wide enough for them at a readable size.
    let annotate = months <= 10 && c.cohorts.len() <= 24;
    let height = (110 + 24 * c.cohorts.len() as u32).clamp(360, 900);
    let value_text = |v: f64| html::axis_percent(v);
    let map = HeatMap {
        rows: &c.cohorts,
        cols: &cols,
        values: &c.share_active,
        x_label: "months since acquisition",
        y_label: "acquisition cohort",
        scale_label: "share of cohort active",
        value_text: &value_text,
        range: Some((0.0, 1.0)),
        annotate,
        height,
    };
    // Cells past a young cohort's age are expected to be empty; only count real gaps.
    let gaps: usize = c
        .share_active
        .iter()
        .map(|row| row.iter().filter(|v| !v.is_finite()).count())
        .sum();
    let title = "Share of each acquisition cohort active, by months since acquisition";
    let mut out = figure(
        "fig-cohort-retention",
        &heatmap::heat_map(&map, title)?,
        &format!("{title}. Grey cells: months not yet observed."),
    );
    if gaps > 0 {
        out.push_str(&note(&format!(
            "{gaps} cell(s) without a finite share are drawn in grey."
        )));
    }
    let rows: Vec<Vec<String>> = c
        .cohorts
        .iter()
        .zip(&c.sizes)
        .zip(&c.share_active)
        .map(|((name, size), row)| {
            let last = row
                .iter()
                .rev()
                .find(|v| v.is_finite())
                .copied()
                .unwrap_or(f64::NAN);
            vec![escape(name), html::count(*size as f64), percent(last)]
        })
        .collect();
    out.push_str(&html::table(
        &["Cohort", "Customers", "Active in latest month"],
        &rows,
        &[false, true, true],
    ));
    Ok(out)
}

pub fn fit(data: &ReportData) -> String {
    if data.fits.is_empty() {
        return note("No model fit reports were supplied.");
    }
    let mut out = String::from(
        "<p>Standard errors from the observed information at the estimates; 95% intervals are \
         estimate ± 1.96 standard errors (positive parameters clipped at 0).</p>\n",
    );
    out.extend(data.fits.iter().map(fit_report));
    out
}

fn fit_report(f: &FitReport) -> String {
    let mut out = format!("<h3>{}</h3>\n", escape(&super::model_name(&f.model)));
    let rows: Vec<Vec<String>> = f
        .param_names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let estimate = f.estimates.get(i).copied().unwrap_or(f64::NAN);
            let se = f.std_errors.get(i).copied().flatten();
            let interval = f
                .ci95
                .get(i)
                .copied()
                .flatten()
                .or_else(|| se.map(|s| (estimate - 1.96 * s, estimate + 1.96 * s)));
            vec![
                escape(name),
                html::general(estimate),
                se.map(html::general)
                    .unwrap_or_else(|| html::MISSING.to_string()),
                interval
                    .map(|(lo, hi)| format!("{} – {}", html::general(lo), html::general(hi)))
                    .unwrap_or_else(|| html::MISSING.to_string()),
            ]
        })
        .collect();
    out.push_str(&html::table(
        &["Parameter", "Estimate", "Std. error", "95% interval"],
        &rows,
        &[false, true, true, true],
    ));
    let converged = if f.converged {
        "<span class=\"ok\">yes</span>".to_string()
    } else {
        "<span class=\"bad\">no</span>".to_string()
    };
    let boundary = if f.at_boundary.is_empty() {
        "none".to_string()
    } else {
        escape(&f.at_boundary.join(", "))
    };
    let diagnostics = vec![
        vec![
            "Log-likelihood".to_string(),
            html::number(f.log_likelihood, 2),
        ],
        vec!["Converged".to_string(), converged],
        vec![
            "Gradient norm (per customer)".to_string(),
            html::general(f.gradient_norm),
        ],
        vec!["Iterations".to_string(), html::count(f.iterations as f64)],
        vec![
            "Starting points tried".to_string(),
            html::count(f.starts_tried as f64),
        ],
        vec!["Parameters at a boundary".to_string(), boundary],
    ];
    out.push_str(&html::table(
        &["Diagnostic", "Value"],
        &diagnostics,
        &[false, true],
    ));
    if f.warnings.is_empty() {
        out.push_str("<p>No fit warnings.</p>\n");
    } else {
        out.push_str("<p>Fit warnings:</p>\n<ul class=\"warnings\">\n");
        for w in &f.warnings {
            out.push_str(&format!("<li>{}</li>\n", escape(w)));
        }
        out.push_str("</ul>\n");
    }
    out
}
