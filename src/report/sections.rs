//! Report sections about purchases and value: headline, tracking plot, calibration vs
//! holdout, frequency–recency heat maps and the CLV distribution with segment and channel
//! breakdowns. Each returns the section body (HTML) or a note when its input is absent.

use super::charts::{self, BLUE, GREEN, LineChart, SKY_BLUE, Series, Stroke, VERMILLION};
use super::heatmap::{self, HeatMap};
use super::html::{self, escape, figure, money, note, percent};
use super::metrics;
use super::{GroupValues, ReportData, same_len};
use crate::error::Result;

/// Horizon as text for labels ("next 52 weeks").
pub(super) fn horizon_text(data: &ReportData) -> String {
    format!("next {} {}", duration(data.horizon), data.time_unit)
}

/// A duration in time units: whole numbers without decimals.
pub(super) fn duration(value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        html::count(value)
    } else {
        html::number(value, 1)
    }
}

/// Currency for axis titles: "($)" or "(EUR)".
fn currency_unit(data: &ReportData) -> String {
    if data.currency.trim().is_empty() {
        String::new()
    } else {
        format!(" ({})", data.currency.trim())
    }
}

pub fn tracking(data: &ReportData) -> Result<String> {
    let Some(t) = &data.tracking else {
        return Ok(note(
            "No tracking data (purchases per period) were supplied.",
        ));
    };
    same_len("tracking.actual", t.actual.len(), t.period_end.len())?;
    same_len("tracking.expected", t.expected.len(), t.period_end.len())?;
    let rows: Vec<(f64, f64, f64)> = (0..t.period_end.len())
        .map(|i| (t.period_end[i], t.actual[i], t.expected[i]))
        .filter(|(p, a, e)| p.is_finite() && a.is_finite() && e.is_finite())
        .collect();
    let dropped = t.period_end.len() - rows.len();
    if rows.is_empty() {
        return Ok(note(
            "The tracking data contain no periods with finite values.",
        ));
    }
    let mut out = String::new();
    if dropped > 0 {
        out.push_str(&note(&format!(
            "{dropped} period(s) with non-finite values were left out."
        )));
    }
    let (mut cum_a, mut cum_e) = (0.0, 0.0);
    let mut cumulative = (Vec::new(), Vec::new());
    for (p, a, e) in &rows {
        cum_a += a;
        cum_e += e;
        cumulative.0.push((*p, cum_a));
        cumulative.1.push((*p, cum_e));
    }
    // Calendar dates on the axis when the start is known.
    let x_dates = t
        .start_date
        .as_deref()
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .zip(t.days_per_unit.filter(|d| d.is_finite() && *d > 0.0));
    let x_label = match x_dates {
        Some(_) => "date (end of each period)".to_string(),
        None => format!("time since start of calibration ({})", data.time_unit),
    };
    let vline = t
        .calibration_end
        .is_finite()
        .then(|| (t.calibration_end, "end of calibration".to_string()));
    let series = |actual: Vec<(f64, f64)>, expected: Vec<(f64, f64)>| {
        vec![
            Series {
                name: "Actual".into(),
                points: actual,
                color: BLUE,
                stroke: Stroke::Solid,
            },
            Series {
                name: "Model expected".into(),
                points: expected,
                color: VERMILLION,
                stroke: Stroke::Dashed,
            },
        ]
    };
    let cumulative_chart = LineChart {
        x_label: x_label.clone(),
        y_label: "cumulative repeat purchases".into(),
        series: series(cumulative.0, cumulative.1),
        vline: vline.clone(),
        diagonal: None,
        unit_square: false,
        legend_lower_right: true,
        x_dates,
    };
    let incremental_chart = LineChart {
        x_label,
        y_label: "repeat purchases per period".to_string(),
        series: series(
            rows.iter().map(|r| (r.0, r.1)).collect(),
            rows.iter().map(|r| (r.0, r.2)).collect(),
        ),
        vline,
        diagonal: None,
        unit_square: false,
        legend_lower_right: true,
        x_dates,
    };
    let title = "Cumulative repeat purchases, actual vs model expected";
    out.push_str("<div class=\"figures\">\n");
    out.push_str(&figure(
        "fig-tracking-cumulative",
        &charts::line_chart(&cumulative_chart, title)?,
        &format!("{title}. The dashed vertical line marks the end of the calibration period; to its right is the holdout."),
    ));
    let title = "Repeat purchases per period, actual vs model expected";
    out.push_str(&figure(
        "fig-tracking-incremental",
        &charts::line_chart(&incremental_chart, title)?,
        &format!("{title}, across calibration and holdout."),
    ));
    out.push_str("</div>\n");
    Ok(out)
}

pub fn calibration_holdout(data: &ReportData) -> Result<String> {
    let bins = match &data.calibration_holdout {
        Some(b) if !b.is_empty() => b,
        _ => return Ok(note("No holdout evaluation was supplied.")),
    };
    let kept: Vec<_> = bins
        .iter()
        .filter(|b| b.mean_actual.is_finite() && b.mean_predicted.is_finite())
        .collect();
    let mut out = String::new();
    if kept.len() < bins.len() {
        out.push_str(&note(&format!(
            "{} frequency group(s) with non-finite means were left out.",
            bins.len() - kept.len()
        )));
    }
    if kept.is_empty() {
        return Ok(out);
    }
    let labels: Vec<String> = kept.iter().map(|b| b.frequency.clone()).collect();
    let series = vec![
        (
            "Actual".to_string(),
            kept.iter().map(|b| b.mean_actual).collect(),
            BLUE,
        ),
        (
            "Model predicted".to_string(),
            kept.iter().map(|b| b.mean_predicted).collect(),
            VERMILLION,
        ),
    ];
    let title = "Mean holdout purchases by calibration frequency";
    let svg = charts::grouped_bars(
        &labels,
        &series,
        "repeat purchases in the calibration period",
        "mean purchases in holdout",
        title,
    )?;
    out.push_str(&figure(
        "fig-calibration-holdout",
        &svg,
        &format!(
            "{title}: customers grouped by their calibration repeat purchases, actual vs predicted."
        ),
    ));
    let rows: Vec<Vec<String>> = kept
        .iter()
        .map(|b| {
            vec![
                escape(&b.frequency),
                html::count(b.customers as f64),
                html::number(b.mean_actual, 2),
                html::number(b.mean_predicted, 2),
            ]
        })
        .collect();
    out.push_str(&html::table(
        &[
            "Calibration frequency",
            "Customers",
            "Actual (mean)",
            "Predicted (mean)",
        ],
        &rows,
        &[false, true, true, true],
    ));
    Ok(out)
}

pub fn frequency_recency(data: &ReportData) -> Result<String> {
    let Some(g) = &data.frequency_recency else {
        return Ok(note("No frequency–recency grid was supplied."));
    };
    for (name, m) in [
        ("expected_purchases", &g.expected_purchases),
        ("p_alive", &g.p_alive),
    ] {
        same_len(
            &format!("frequency_recency.{name} rows"),
            m.len(),
            g.frequency.len(),
        )?;
        for row in m {
            same_len(
                &format!("frequency_recency.{name} row"),
                row.len(),
                g.recency.len(),
            )?;
        }
    }
    if g.frequency.is_empty() || g.recency.is_empty() {
        return Ok(note("The frequency–recency grid is empty."));
    }
    // Highest frequency at the top, as a map reads.
    let rows: Vec<String> = g
        .frequency
        .iter()
        .rev()
        .map(|f| html::axis_tick(*f))
        .collect();
    let cols: Vec<String> = g.recency.iter().map(|r| html::axis_tick(*r)).collect();
    let x_label = format!("recency: time of last purchase ({})", data.time_unit);
    let y_label = "frequency: repeat purchases";
    // Cell labels only where cells are wide enough for them at a readable size.
    let annotate = rows.len() <= 12 && cols.len() <= 10;
    let height = (120 + 16 * rows.len() as u32).clamp(360, 560);
    let mut out = String::from("<div class=\"figures\">\n");
    let mut missing = 0;
    let expected_label = format!("expected purchases, {}", horizon_text(data));
    let two_decimals = |v: f64| html::number(v, 2);
    let tick = |v: f64| html::axis_tick(v);
    let share = |v: f64| html::axis_percent(v);
    let maps = [
        (
            "fig-heatmap-expected",
            &g.expected_purchases,
            expected_label.as_str(),
            format!(
                "Expected purchases in the {} by frequency and recency",
                horizon_text(data)
            ),
            if annotate {
                &two_decimals as &dyn Fn(f64) -> String
            } else {
                &tick
            },
            None,
        ),
        (
            "fig-heatmap-palive",
            &g.p_alive,
            "P(alive)",
            "Probability of being alive, P(alive), by frequency and recency".to_string(),
            &share as &dyn Fn(f64) -> String,
            Some((0.0, 1.0)),
        ),
    ];
    for (id, matrix, scale_label, title, value_text, range) in maps {
        let reversed: Vec<Vec<f64>> = matrix.iter().rev().cloned().collect();
        let map = HeatMap {
            rows: &rows,
            cols: &cols,
            values: &reversed,
            x_label: &x_label,
            y_label,
            scale_label,
            value_text,
            range,
            annotate,
            height,
        };
        missing += heatmap::missing_cells(&map);
        let caption = format!(
            "{title}, for a customer first seen {} {} ago.",
            duration(g.age),
            data.time_unit
        );
        out.push_str(&figure(id, &heatmap::heat_map(&map, &title)?, &caption));
    }
    out.push_str("</div>\n");
    if missing > 0 {
        out.push_str(&note(&format!(
            "{missing} grid cell(s) without a finite value are drawn in grey."
        )));
    }
    Ok(out)
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub fn clv(data: &ReportData) -> Result<String> {
    let mut out = String::new();
    match &data.clv {
        Some(c) if !c.values.is_empty() => out.push_str(&clv_distribution(data, c)?),
        _ => out.push_str(&note("No per-customer CLV predictions were supplied.")),
    }
    out.push_str("<h3>By RFM segment</h3>\n");
    out.push_str(&group_values(
        data,
        data.segments.as_ref(),
        "fig-clv-segments",
        "RFM segment",
    )?);
    out.push_str("<h3>By acquisition channel</h3>\n");
    out.push_str(&group_values(
        data,
        data.channels.as_ref(),
        "fig-clv-channels",
        "acquisition channel",
    )?);
    Ok(out)
}

/// Most points drawn on the concentration curve.
const MAX_CURVE_POINTS: usize = 400;

/// (share of customers, share of value) from the most valuable customer down, starting at
/// (0, 0); empty when the total is not positive.
pub(super) fn concentration_curve(values: &[f64], max_points: usize) -> Vec<(f64, f64)> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let total: f64 = sorted.iter().sum();
    if sorted.is_empty() || total.is_nan() || total <= 0.0 {
        return vec![];
    }
    let n = sorted.len();
    let step = n.div_ceil(max_points.max(1)).max(1);
    let mut points = vec![(0.0, 0.0)];
    let mut cumulative = 0.0;
    for (i, v) in sorted.iter().enumerate() {
        cumulative += v;
        if (i + 1) % step == 0 || i + 1 == n {
            points.push((
                (i + 1) as f64 / n as f64,
                (cumulative / total).clamp(0.0, 1.0),
            ));
        }
    }
    points
}

fn clv_distribution(data: &ReportData, c: &super::ClvDistribution) -> Result<String> {
    if !c.customer_ids.is_empty() {
        same_len("clv.customer_ids", c.customer_ids.len(), c.values.len())?;
    }
    let cur = &data.currency;
    let values: Vec<f64> = c.values.iter().copied().filter(|v| v.is_finite()).collect();
    let mut out = String::new();
    let dropped = c.values.len() - values.len();
    if dropped > 0 {
        out.push_str(&note(&format!(
            "{dropped} customer(s) with a non-finite CLV were left out."
        )));
    }
    if values.is_empty() {
        return Ok(out);
    }
    let total: f64 = values.iter().sum();
    let top20 = metrics::top_share(&values, 0.2);
    out.push_str("<div class=\"cards\">\n");
    out.push_str(&html::stat_card(
        "Mean CLV",
        &money(total / values.len() as f64, cur),
        "",
    ));
    out.push_str(&html::stat_card(
        "Median CLV",
        &money(metrics::quantile(&values, 0.5), cur),
        "",
    ));
    out.push_str(&html::stat_card(
        "Top 20% hold",
        &percent(top20),
        "of total predicted CLV",
    ));
    out.push_str("</div>\n");

    // Concentration (Lorenz-style) curve: customers from the most valuable down, against
    // their cumulative share of the total; it reads the same for any tail.
    let curve = concentration_curve(&values, MAX_CURVE_POINTS);
    if curve.is_empty() {
        out.push_str(&note(
            "The total predicted CLV is not positive, so shares of it are not shown.",
        ));
    } else {
        let chart = LineChart {
            x_label: "share of customers, most valuable first".into(),
            y_label: "share of total predicted CLV".into(),
            series: vec![Series {
                name: "Customers by predicted CLV".into(),
                points: curve,
                color: BLUE,
                stroke: Stroke::Solid,
            }],
            vline: None,
            diagonal: Some("Equal value for everyone".into()),
            unit_square: true,
            legend_lower_right: true,
            x_dates: None,
        };
        let title = "Concentration of predicted CLV";
        out.push_str(&figure(
            "fig-clv-concentration",
            &charts::line_chart(&chart, title)?,
            &format!(
                "{title} over the {}: the curve at x is the share of all value held by the \
                 most valuable x of customers; the diagonal is an equal split.",
                horizon_text(data)
            ),
        ));
    }

    let rows: Vec<Vec<String>> = metrics::value_deciles(&values)
        .iter()
        .map(|d| {
            vec![
                d.decile.to_string(),
                html::count(d.customers as f64),
                money(d.mean, cur),
                money(d.total, cur),
                percent(d.share),
                percent(d.cumulative_share),
            ]
        })
        .collect();
    out.push_str("<h3>Deciles (1 = most valuable 10%)</h3>\n");
    out.push_str(&html::table(
        &[
            "Decile",
            "Customers",
            "Mean CLV",
            "Total CLV",
            "Share",
            "Cumulative share",
        ],
        &rows,
        &[true; 6],
    ));

    if !c.customer_ids.is_empty() {
        let mut ranked: Vec<(&String, f64)> = c
            .customer_ids
            .iter()
            .zip(c.values.iter().copied())
            .filter(|(_, v)| v.is_finite())
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let rows: Vec<Vec<String>> = ranked
            .iter()
            .take(10)
            .enumerate()
            .map(|(i, (id, v))| vec![(i + 1).to_string(), escape(id), money(*v, cur)])
            .collect();
        out.push_str("<h3>Top customers</h3>\n");
        out.push_str(&html::table(
            &["Rank", "Customer", "Predicted CLV"],
            &rows,
            &[true, false, true],
        ));
    }
    Ok(out)
}

fn group_values(
    data: &ReportData,
    groups: Option<&GroupValues>,
    id: &str,
    what: &str,
) -> Result<String> {
    let Some(g) = groups.filter(|g| !g.names.is_empty()) else {
        return Ok(note(&format!("No CLV by {what} was supplied.")));
    };
    same_len(
        &format!("{what} customers"),
        g.customers.len(),
        g.names.len(),
    )?;
    same_len(
        &format!("{what} total_clv"),
        g.total_clv.len(),
        g.names.len(),
    )?;
    let cur = &data.currency;
    let kept: Vec<usize> = (0..g.names.len())
        .filter(|i| g.total_clv[*i].is_finite())
        .collect();
    let mut out = String::new();
    if kept.len() < g.names.len() {
        out.push_str(&note(&format!(
            "{} group(s) with a non-finite total were left out.",
            g.names.len() - kept.len()
        )));
    }
    if kept.is_empty() {
        return Ok(out);
    }
    let names: Vec<String> = kept.iter().map(|i| g.names[*i].clone()).collect();
    let totals: Vec<f64> = kept.iter().map(|i| g.total_clv[*i]).collect();
    let grand: f64 = totals.iter().sum();
    let title = format!("Total predicted CLV by {what}");
    let color = if id.ends_with("segments") {
        GREEN
    } else {
        SKY_BLUE
    };
    let value_text = |v: f64| money(v, cur);
    let svg = charts::horizontal_bars(
        &names,
        &totals,
        &value_text,
        &format!("total predicted CLV{}", currency_unit(data)),
        color,
        &title,
    )?;
    out.push_str(&figure(
        id,
        &svg,
        &format!("{title}, {}.", horizon_text(data)),
    ));
    let rows: Vec<Vec<String>> = kept
        .iter()
        .map(|&i| {
            let n = g.customers[i] as f64;
            let mean = if n > 0.0 {
                g.total_clv[i] / n
            } else {
                f64::NAN
            };
            let share = if grand > 0.0 {
                g.total_clv[i] / grand
            } else {
                f64::NAN
            };
            vec![
                escape(&g.names[i]),
                html::count(n),
                money(g.total_clv[i], cur),
                money(mean, cur),
                percent(share),
            ]
        })
        .collect();
    out.push_str(&html::table(
        &[
            &capitalise(what),
            "Customers",
            "Total CLV",
            "Mean CLV",
            "Share",
        ],
        &rows,
        &[false, true, true, true, true],
    ));
    Ok(out)
}
