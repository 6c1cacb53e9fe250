//! Heat maps as inline SVG: a grid of coloured cells on the perceptually uniform,
//! colour-blind-safe viridis scale, with a colour bar. Missing or non-finite cells are drawn
//! light grey and counted so the caller can say so.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::charts::{INK, WIDTH, draw_err};
use crate::error::Result;

/// Viridis, sampled at ten evenly spaced stops (dark purple to yellow).
const VIRIDIS: [(u8, u8, u8); 10] = [
    (0x44, 0x01, 0x54),
    (0x48, 0x28, 0x78),
    (0x3E, 0x49, 0x89),
    (0x31, 0x68, 0x8E),
    (0x26, 0x82, 0x8E),
    (0x1F, 0x9E, 0x89),
    (0x35, 0xB7, 0x79),
    (0x6D, 0xCD, 0x59),
    (0xB4, 0xDE, 0x2C),
    (0xFD, 0xE7, 0x25),
];
const MISSING_CELL: RGBColor = RGBColor(0xE0, 0xE0, 0xE0);

/// The viridis colour at `t` in [0, 1] (clamped), by linear interpolation between stops.
pub fn viridis(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let pos = t * (VIRIDIS.len() - 1) as f64;
    let i = (pos.floor() as usize).min(VIRIDIS.len() - 2);
    let f = pos - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// A heat map's content. Rows are listed top to bottom; rows may be shorter than `cols`
/// (ragged, e.g. young cohorts), the rest is drawn as missing.
pub struct HeatMap<'a> {
    pub rows: &'a [String],
    pub cols: &'a [String],
    pub values: &'a [Vec<f64>],
    pub x_label: &'a str,
    pub y_label: &'a str,
    /// Title of the colour bar.
    pub scale_label: &'a str,
    /// Formats a value for the colour bar and the cell labels.
    pub value_text: &'a dyn Fn(f64) -> String,
    /// Fixed colour range (e.g. 0..1 for probabilities); otherwise the data's range.
    pub range: Option<(f64, f64)>,
    /// Print the value in each cell (only sensible for small grids).
    pub annotate: bool,
    pub height: u32,
}

/// Number of cells that are missing or not finite.
pub fn missing_cells(map: &HeatMap) -> usize {
    map.rows
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let row = map.values.get(i).map(|r| r.as_slice()).unwrap_or(&[]);
            (0..map.cols.len())
                .filter(|j| !row.get(*j).is_some_and(|v| v.is_finite()))
                .count()
        })
        .sum()
}

/// The label at an integer tick of a category axis.
fn label_at(labels: &[String], v: f64) -> String {
    let index = v.round();
    if (v - index).abs() > 1e-6 || index < 0.0 {
        return String::new();
    }
    labels.get(index as usize).cloned().unwrap_or_default()
}

/// Draws the heat map and its colour bar.
pub fn heat_map(map: &HeatMap, title: &str) -> Result<String> {
    let (nr, nc) = (map.rows.len().max(1), map.cols.len().max(1));
    let finite: Vec<f64> = map
        .values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let (lo, hi) = map.range.unwrap_or_else(|| {
        let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) }
    });
    let (lo, hi) = if hi - lo > 1e-12 {
        (lo, hi)
    } else {
        (lo - 0.5, lo + 0.5)
    };
    let scale = |v: f64| (v - lo) / (hi - lo);

    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, map.height)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let (main, bar) = root.split_horizontally(WIDTH - 110);
        let label_style = ("sans-serif", super::charts::LABEL_SIZE)
            .into_font()
            .color(&INK);
        let desc_style = ("sans-serif", super::charts::DESCRIPTION_SIZE)
            .into_font()
            .color(&INK);

        // Column labels: every column up to a point, then plotters spaces them.
        let x_fmt = |v: &f64| label_at(map.cols, *v);
        let reversed: Vec<String> = map.rows.iter().rev().cloned().collect();
        let y_fmt = |v: &f64| label_at(&reversed, *v);
        let mut chart = ChartBuilder::on(&main)
            .margin(14)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(-0.5..(nc as f64 - 0.5), -0.5..(nr as f64 - 0.5))
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(map.x_label)
            .y_desc(map.y_label)
            .axis_desc_style(desc_style.clone())
            .label_style(label_style.clone())
            .x_labels(nc.min(16) + 1)
            .y_labels(nr.min(20) + 1)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .draw()
            .map_err(draw_err)?;

        let mut cells = Vec::with_capacity(nr * nc);
        let mut labels = Vec::new();
        // Cell labels a size smaller than axis labels, so "100%" fits a narrow cell.
        let centred = ("sans-serif", super::charts::CELL_LABEL_SIZE)
            .into_font()
            .color(&INK)
            .pos(Pos::new(HPos::Center, VPos::Center));
        for (i, _) in map.rows.iter().enumerate() {
            let y = (nr - 1 - i) as f64;
            let row = map.values.get(i).map(|r| r.as_slice()).unwrap_or(&[]);
            for j in 0..map.cols.len() {
                let x = j as f64;
                let value = row.get(j).copied().filter(|v| v.is_finite());
                let color = value.map(|v| viridis(scale(v))).unwrap_or(MISSING_CELL);
                cells.push(Rectangle::new(
                    [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                    color.filled(),
                ));
                if let (true, Some(v)) = (map.annotate, value) {
                    let ink: &'static RGBColor = if scale(v) < 0.6 { &WHITE } else { &BLACK };
                    labels.push(Text::new(
                        (map.value_text)(v),
                        (x, y),
                        centred.clone().color(ink),
                    ));
                }
            }
        }
        chart.draw_series(cells).map_err(draw_err)?;
        chart.draw_series(labels).map_err(draw_err)?;

        // Colour bar: a column of thin bands from low (bottom) to high (top).
        let bands = 60;
        let mut legend = ChartBuilder::on(&bar)
            .margin_top(14)
            .margin_bottom(64)
            .margin_right(8)
            .right_y_label_area_size(70)
            .build_cartesian_2d(0.0..1.0, lo..hi)
            .map_err(draw_err)?;
        let bar_fmt = |v: &f64| (map.value_text)(*v);
        legend
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_desc(map.scale_label)
            .axis_desc_style(desc_style)
            .label_style(label_style)
            .y_labels(6)
            .y_label_formatter(&bar_fmt)
            .draw()
            .map_err(draw_err)?;
        legend
            .draw_series((0..bands).map(|k| {
                let a = lo + (hi - lo) * k as f64 / bands as f64;
                let b = lo + (hi - lo) * (k + 1) as f64 / bands as f64;
                let mid = (k as f64 + 0.5) / bands as f64;
                Rectangle::new([(0.0, a), (1.0, b)], viridis(mid).filled())
            }))
            .map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    Ok(buf.replacen(
        "<svg ",
        &format!(
            "<svg role=\"img\" aria-label=\"{}\" ",
            super::html::escape(title)
        ),
        1,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_ends_and_clamps() {
        assert_eq!(viridis(0.0), RGBColor(0x44, 0x01, 0x54));
        assert_eq!(viridis(1.0), RGBColor(0xFD, 0xE7, 0x25));
        assert_eq!(viridis(7.0), viridis(1.0));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
    }
}
