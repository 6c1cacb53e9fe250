//! The report's charts as inline SVG strings drawn with `plotters`: line charts (with an
//! optional diagonal, vertical marker and date ticks), grouped vertical bars and horizontal
//! bars. Okabe–Ito colours; callers pass only finite numbers.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::html::{axis_percent, axis_tick};
use crate::error::{ClvError, Result};

/// Chart size in pixels: readable on a laptop screen.
pub const WIDTH: u32 = 640;
pub const HEIGHT: u32 = 360;

/// The Okabe–Ito colour-blind-safe palette.
pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
pub const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
pub const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
pub const INK: RGBColor = RGBColor(0x33, 0x33, 0x33);
const GRID_LIGHT: RGBColor = RGBColor(0xEE, 0xEE, 0xEE);
const GRID_BOLD: RGBColor = RGBColor(0xD8, 0xD8, 0xD8);
const REFERENCE: RGBColor = RGBColor(0x88, 0x88, 0x88);

const FONT: &str = "sans-serif";

/// Turns a drawing failure into the library's error type (drawing goes to an in-memory
/// string, so this means the output could not be produced).
pub fn draw_err<E: std::fmt::Display>(e: E) -> ClvError {
    ClvError::Io(std::io::Error::other(format!(
        "drawing a report chart: {e}"
    )))
}

/// A range covering `values` with a little headroom; `include_zero` anchors it at 0.
pub fn padded_range(values: impl IntoIterator<Item = f64>, include_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if include_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 1.0, hi + 1.0);
    }
    let pad = (hi - lo) * 0.06;
    let lo = if include_zero && lo == 0.0 {
        0.0
    } else {
        lo - pad
    };
    (lo, hi + pad)
}

/// How a line series is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stroke {
    Solid,
    Dashed,
    /// A solid line with a marker at every point.
    Markers,
}

/// One line of a line chart; points must be finite.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub color: RGBColor,
    pub stroke: Stroke,
}

/// A line chart's content and axes.
#[derive(Debug, Clone)]
pub struct LineChart {
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// A dashed vertical marker at x, with a label.
    pub vline: Option<(f64, String)>,
    /// A dashed reference diagonal y = x, with its legend label.
    pub diagonal: Option<String>,
    /// Both axes are shares in [0, 1], labelled as percentages.
    pub unit_square: bool,
    /// Put the legend bottom right instead of top left.
    pub legend_lower_right: bool,
    /// x is time in units since this date, at this many days per unit: ticks show dates.
    pub x_dates: Option<(chrono::NaiveDate, f64)>,
}

/// The calendar date `x` units after `start` (a unit being `days_per_unit` days).
pub fn date_at(start: chrono::NaiveDate, days_per_unit: f64, x: f64) -> String {
    let days = (x * days_per_unit).round();
    if !days.is_finite() {
        return String::new();
    }
    let date = if days >= 0.0 {
        start.checked_add_days(chrono::Days::new(days as u64))
    } else {
        start.checked_sub_days(chrono::Days::new((-days) as u64))
    };
    date.map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string())
}

/// Plotters writes font sizes at 0.806 of the size asked for (points to pixels), so these
/// give 12 px and 13.7 px text in the SVG: at least 11 px on the page with no down-scaling.
pub const LABEL_SIZE: f64 = 15.0;
pub const DESCRIPTION_SIZE: f64 = 17.0;
/// Heat-map cell labels: 11.3 px.
pub const CELL_LABEL_SIZE: f64 = 14.0;

fn svg_canvas(buf: &mut String, height: u32) -> DrawingArea<SVGBackend<'_>, Shift> {
    SVGBackend::with_string(buf, (WIDTH, height)).into_drawing_area()
}

fn label_style() -> TextStyle<'static> {
    (FONT, LABEL_SIZE).into_font().color(&INK)
}

fn desc_style() -> TextStyle<'static> {
    (FONT, DESCRIPTION_SIZE).into_font().color(&INK)
}

/// Adds an accessible name to the chart's root element.
fn with_title(svg: String, title: &str) -> String {
    svg.replacen(
        "<svg ",
        &format!(
            "<svg role=\"img\" aria-label=\"{}\" ",
            super::html::escape(title)
        ),
        1,
    )
}

/// Draws a line chart.
pub fn line_chart(spec: &LineChart, title: &str) -> Result<String> {
    let mut buf = String::new();
    {
        let root = svg_canvas(&mut buf, HEIGHT);
        root.fill(&WHITE).map_err(draw_err)?;
        let ((x0, x1), (y0, y1)) = if spec.unit_square {
            ((0.0, 1.0), (0.0, 1.0))
        } else {
            let xs = spec
                .series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.0));
            let ys = spec
                .series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.1));
            let (x0, x1) = padded_range(xs, false);
            let (x0, x1) = match &spec.vline {
                Some((v, _)) => (x0.min(*v), x1.max(*v)),
                None => (x0, x1),
            };
            ((x0, x1), padded_range(ys, true))
        };
        let mut chart = ChartBuilder::on(&root)
            .margin(14)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(draw_err)?;
        let unit = spec.unit_square;
        let fmt = move |v: &f64| {
            if unit {
                axis_percent(*v)
            } else {
                axis_tick(*v)
            }
        };
        let dates = spec.x_dates;
        let x_fmt = move |v: &f64| match dates {
            Some((start, dpu)) => date_at(start, dpu, *v),
            None => fmt(v),
        };
        chart
            .configure_mesh()
            .x_desc(spec.x_label.as_str())
            .y_desc(spec.y_label.as_str())
            .axis_desc_style(desc_style())
            .label_style(label_style())
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&fmt)
            // ISO dates are wide: fewer ticks keep them apart.
            .x_labels(if dates.is_some() { 6 } else { 10 })
            .y_labels(8)
            .light_line_style(GRID_LIGHT)
            .bold_line_style(GRID_BOLD)
            .draw()
            .map_err(draw_err)?;

        if let Some(label) = &spec.diagonal {
            let style = REFERENCE.stroke_width(1);
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(0.0, 0.0), (1.0, 1.0)],
                    6,
                    4,
                    style,
                ))
                .map_err(draw_err)?
                .label(label.as_str())
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (8, 0)], style)
                        + PathElement::new(vec![(13, 0), (22, 0)], style)
                });
        }
        if let Some((v, label)) = &spec.vline {
            let style = INK.stroke_width(1);
            chart
                .draw_series(DashedLineSeries::new(vec![(*v, y0), (*v, y1)], 5, 4, style))
                .map_err(draw_err)?;
            let text = label_style().pos(Pos::new(HPos::Left, VPos::Top));
            chart
                .draw_series(std::iter::once(Text::new(
                    label.clone(),
                    (*v + (x1 - x0) * 0.008, y1 - (y1 - y0) * 0.02),
                    text,
                )))
                .map_err(draw_err)?;
        }
        for series in &spec.series {
            let style = series.color.stroke_width(2);
            let points = series.points.clone();
            let anno = match series.stroke {
                Stroke::Dashed => chart
                    .draw_series(DashedLineSeries::new(points, 8, 5, style))
                    .map_err(draw_err)?,
                Stroke::Solid => chart
                    .draw_series(LineSeries::new(points, style))
                    .map_err(draw_err)?,
                Stroke::Markers => {
                    chart
                        .draw_series(points.iter().map(|p| Circle::new(*p, 4, style.filled())))
                        .map_err(draw_err)?;
                    chart
                        .draw_series(LineSeries::new(points, style))
                        .map_err(draw_err)?
                }
            };
            // The legend sample shows a gap for dashed lines.
            let gap_style = if series.stroke == Stroke::Dashed {
                WHITE.stroke_width(2)
            } else {
                style
            };
            anno.label(series.name.as_str()).legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (8, 0)], style)
                    + PathElement::new(vec![(8, 0), (13, 0)], gap_style)
                    + PathElement::new(vec![(13, 0), (22, 0)], style)
            });
        }
        let position = if spec.legend_lower_right {
            SeriesLabelPosition::LowerRight
        } else {
            SeriesLabelPosition::UpperLeft
        };
        chart
            .configure_series_labels()
            .position(position)
            .margin(10)
            .label_font(label_style())
            .background_style(WHITE.mix(0.9))
            .border_style(GRID_BOLD)
            .draw()
            .map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    Ok(with_title(buf, title))
}

/// Vertical bars, one group per category, one bar per series in each group.
pub fn grouped_bars(
    categories: &[String],
    series: &[(String, Vec<f64>, RGBColor)],
    x_label: &str,
    y_label: &str,
    title: &str,
) -> Result<String> {
    let mut buf = String::new();
    {
        let root = svg_canvas(&mut buf, HEIGHT);
        root.fill(&WHITE).map_err(draw_err)?;
        let n = categories.len().max(1);
        let (y0, y1) = padded_range(series.iter().flat_map(|s| s.1.iter().copied()), true);
        let mut chart = ChartBuilder::on(&root)
            .margin(14)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(-0.5..(n as f64 - 0.5), y0..y1)
            .map_err(draw_err)?;
        let x_fmt = |v: &f64| category_at(categories, *v);
        let y_fmt = |v: &f64| axis_tick(*v);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .axis_desc_style(desc_style())
            .label_style(label_style())
            .x_labels(n + 1)
            .y_labels(8)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .light_line_style(GRID_LIGHT)
            .bold_line_style(GRID_BOLD)
            .draw()
            .map_err(draw_err)?;
        let groups = series.len().max(1) as f64;
        let width = 0.8 / groups;
        for (j, (name, values, color)) in series.iter().enumerate() {
            let color = *color;
            chart
                .draw_series(values.iter().enumerate().map(|(i, v)| {
                    let left = i as f64 - 0.4 + j as f64 * width;
                    Rectangle::new([(left, 0.0), (left + width * 0.92, *v)], color.filled())
                }))
                .map_err(draw_err)?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled())
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .margin(10)
            .label_font(label_style())
            .background_style(WHITE.mix(0.9))
            .border_style(GRID_BOLD)
            .draw()
            .map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    Ok(with_title(buf, title))
}

/// The category name at an integer tick, nothing between categories.
fn category_at(categories: &[String], v: f64) -> String {
    let index = v.round();
    if (v - index).abs() > 1e-6 || index < 0.0 {
        return String::new();
    }
    categories
        .get(index as usize)
        .map(|c| truncate(c, 22))
        .unwrap_or_default()
}

/// Shortens a label for an axis; the full name is in the table next to the chart.
fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_string()
    } else {
        let mut out: String = text.chars().take(max_chars - 1).collect();
        out.push('…');
        out
    }
}

/// Horizontal bars, first category at the top, with the formatted value beside each bar.
pub fn horizontal_bars(
    categories: &[String],
    values: &[f64],
    value_text: &dyn Fn(f64) -> String,
    x_label: &str,
    color: RGBColor,
    title: &str,
) -> Result<String> {
    let mut buf = String::new();
    let n = categories.len().max(1);
    let height = (HEIGHT).max(90 + 34 * n as u32);
    {
        let root = svg_canvas(&mut buf, height);
        root.fill(&WHITE).map_err(draw_err)?;
        let (x0, x1) = padded_range(values.iter().copied(), true);
        // Room on the right for the value printed after the longest bar.
        let x1 = x1 + (x1 - x0) * 0.22;
        let mut chart = ChartBuilder::on(&root)
            .margin(14)
            .x_label_area_size(50)
            .y_label_area_size(180)
            .build_cartesian_2d(x0..x1, -0.5..(n as f64 - 0.5))
            .map_err(draw_err)?;
        let reversed: Vec<String> = categories.iter().rev().cloned().collect();
        let y_fmt = |v: &f64| category_at(&reversed, *v);
        let x_fmt = |v: &f64| axis_tick(*v);
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc(x_label)
            .axis_desc_style(desc_style())
            .label_style(label_style())
            .y_labels(n + 1)
            .x_labels(8)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .light_line_style(GRID_LIGHT)
            .bold_line_style(GRID_BOLD)
            .draw()
            .map_err(draw_err)?;
        let row = |i: usize| (n - 1 - i) as f64;
        chart
            .draw_series(values.iter().enumerate().map(|(i, v)| {
                Rectangle::new([(0.0, row(i) - 0.35), (*v, row(i) + 0.35)], color.filled())
            }))
            .map_err(draw_err)?;
        let text = label_style().pos(Pos::new(HPos::Left, VPos::Center));
        chart
            .draw_series(values.iter().enumerate().map(|(i, v)| {
                let x = v.max(0.0) + (x1 - x0) * 0.01;
                Text::new(value_text(*v), (x, row(i)), text.clone())
            }))
            .map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    Ok(with_title(buf, title))
}
