//! HTML building blocks of the report: escaping, number formatting for people, tables,
//! figures, notes and the page shell with its inline stylesheet.

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Placeholder for a number that cannot be shown (non-finite): never "NaN" or "inf".
pub const MISSING: &str = "–";

/// `value` with `decimals` decimals and thousands separators ("12,345.68").
pub fn number(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return MISSING.to_string();
    }
    let text = format!("{:.*}", decimals, value.abs());
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text.as_str(), None),
    };
    let mut grouped = String::new();
    for (i, c) in int_part.chars().enumerate() {
        if i > 0 && (int_part.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    // A value that rounds to zero is shown without a sign.
    let negative = value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0');
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&grouped);
    if let Some(f) = frac_part {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// A count with thousands separators.
pub fn count(value: f64) -> String {
    number(value, 0)
}

/// Money with 2 decimals; a one-character currency is a prefix ("$1,234.50"), a longer one
/// a suffix ("1,234.50 EUR").
pub fn money(value: f64, currency: &str) -> String {
    if !value.is_finite() {
        return MISSING.to_string();
    }
    let amount = number(value, 2);
    let currency = escape(currency.trim());
    if currency.is_empty() {
        amount
    } else if currency.chars().count() == 1 {
        match amount.strip_prefix('-') {
            Some(rest) => format!("-{currency}{rest}"),
            None => format!("{currency}{amount}"),
        }
    } else {
        format!("{amount} {currency}")
    }
}

/// A share in [0, 1] as a percentage with one decimal ("12.5%").
pub fn percent(share: f64) -> String {
    if !share.is_finite() {
        return MISSING.to_string();
    }
    format!("{}%", number(share * 100.0, 1))
}

/// A number with at most two decimals and no trailing zeros ("3", "2.5", "1,234.56").
pub fn short(value: f64) -> String {
    let text = number(value, 2);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A rate or share as a percentage without trailing zeros ("10%", "7.5%", "12.34%").
pub fn rate_percent(share: f64) -> String {
    if !share.is_finite() {
        return MISSING.to_string();
    }
    format!("{}%", short(share * 100.0))
}

/// A general number for tables: 4 significant figures, scientific only when tiny or huge.
pub fn general(value: f64) -> String {
    if !value.is_finite() {
        return MISSING.to_string();
    }
    let magnitude = value.abs();
    if magnitude == 0.0 {
        "0".to_string()
    } else if !(1e-3..1e7).contains(&magnitude) {
        format!("{value:.3e}")
    } else {
        let decimals = (3 - magnitude.log10().floor() as i64).clamp(0, 6) as usize;
        number(value, decimals)
    }
}

/// Short axis tick label: thousands separators, few decimals, "k"/"M" for big values.
pub fn axis_tick(value: f64) -> String {
    if !value.is_finite() {
        return String::new();
    }
    let magnitude = value.abs();
    if magnitude >= 1e6 {
        format!("{}M", number(value / 1e6, 1))
    } else if magnitude >= 1e4 {
        format!("{}k", number(value / 1e3, 0))
    } else if magnitude >= 10.0 || magnitude == 0.0 || (value - value.round()).abs() < 1e-9 {
        number(value, 0)
    } else if magnitude >= 1.0 {
        number(value, 1)
    } else {
        let text = format!("{value:.2}");
        if text == "-0.00" {
            "0".to_string()
        } else {
            text
        }
    }
}

/// Axis tick label of a share as a percentage ("40%").
pub fn axis_percent(share: f64) -> String {
    if !share.is_finite() {
        return String::new();
    }
    format!("{}%", number(share * 100.0, 0))
}

/// An HTML table: header cells and rows of already-escaped cells; numeric columns align right.
pub fn table(headers: &[&str], rows: &[Vec<String>], numeric: &[bool]) -> String {
    let mut out = String::from("<table>\n<thead><tr>");
    for (i, h) in headers.iter().enumerate() {
        let class = if numeric.get(i).copied().unwrap_or(false) {
            " class=\"num\""
        } else {
            ""
        };
        out.push_str(&format!("<th{class}>{}</th>", escape(h)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let class = if numeric.get(i).copied().unwrap_or(false) {
                " class=\"num\""
            } else {
                ""
            };
            out.push_str(&format!("<td{class}>{cell}</td>"));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// A figure holding one inline SVG chart, with an id and a caption (caption text is escaped).
pub fn figure(id: &str, svg: &str, caption: &str) -> String {
    format!(
        "<figure id=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
        escape(id),
        svg.trim(),
        escape(caption)
    )
}

/// A short explanatory note (text is escaped).
pub fn note(text: &str) -> String {
    format!("<p class=\"note\">{}</p>\n", escape(text))
}

/// A section with an id, heading and body (body is HTML); `wide` spans both columns.
pub fn section(id: &str, heading: &str, wide: bool, body: &str) -> String {
    let class = if wide { " class=\"wide\"" } else { "" };
    format!(
        "<section id=\"{}\"{class}>\n<h2>{}</h2>\n{}</section>\n",
        escape(id),
        escape(heading),
        body
    )
}

/// The whole page: title, navigation to the sections, the sections, inline CSS.
pub fn page(title: &str, subtitle: &str, nav: &[(String, String)], body: &str) -> String {
    let mut links = String::new();
    for (id, heading) in nav {
        links.push_str(&format!(
            "<li><a href=\"#{}\">{}</a></li>",
            escape(id),
            escape(heading)
        ));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>{title}</h1>\n\
<p class=\"subtitle\">{subtitle}</p>\n<nav><ul>{links}</ul></nav>\n</header>\n<main>\n{body}</main>\n\
</body>\n</html>\n",
        title = escape(title),
        subtitle = escape(subtitle),
    )
}

/// One headline figure: label, value (escaped here), optional detail line.
pub fn stat_card(label: &str, value: &str, detail: &str) -> String {
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!("<div class=\"detail\">{}</div>", escape(detail))
    };
    format!(
        "<div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div>{detail}</div>\n",
        escape(label),
        value
    )
}

// Two columns that fill a wide screen, one below 1000 px; no text under 12 px.
const STYLE: &str = r#"
:root { --ink: #1a1a1a; --muted: #555; --rule: #d0d0d0; --panel: #f5f6f8; --accent: #0072B2; }
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); background: #fff; line-height: 1.45; font-size: 15px; }
header { padding: 20px 24px 8px; border-bottom: 1px solid var(--rule); }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin: 0 0 12px; font-size: 20px; border-bottom: 2px solid var(--accent); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 16px 0 6px; }
.subtitle { margin: 0 0 8px; color: var(--muted); }
nav ul { list-style: none; padding: 0; margin: 8px 0; display: flex; flex-wrap: wrap; gap: 6px 16px; }
nav a { color: var(--accent); text-decoration: none; font-size: 14px; }
main { padding: 12px 24px 48px; display: grid; grid-template-columns: repeat(2, minmax(0, 1fr));
  gap: 24px; align-items: start; }
@media (max-width: 1000px) { main { grid-template-columns: minmax(0, 1fr); } }
section { margin: 0; min-width: 0; }
section.wide { grid-column: 1 / -1; }
.headline-sentence { font-size: 20px; font-weight: 600; margin: 0 0 8px; max-width: 1100px; }
.basis { color: var(--muted); font-size: 14px; margin: 0 0 12px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 12px; }
.card { background: var(--panel); border-radius: 6px; padding: 12px 16px; min-width: 0; }
.card .label { color: var(--muted); font-size: 13px; text-transform: uppercase; letter-spacing: 0.03em; }
.card .value { font-size: 24px; font-weight: 600; margin-top: 2px; font-variant-numeric: tabular-nums;
  overflow-wrap: anywhere; }
.card .detail { color: var(--muted); font-size: 13px; overflow-wrap: anywhere; }
dl.assumptions { display: grid; grid-template-columns: minmax(0, 11em) minmax(0, 1fr); gap: 4px 12px;
  margin: 0; background: var(--panel); border-radius: 6px; padding: 12px 16px; }
dl.assumptions dt { color: var(--muted); font-weight: 600; }
dl.assumptions dd { margin: 0; overflow-wrap: anywhere; }
.figures { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0 0 12px; max-width: 100%; min-width: 0; }
figure svg rect { shape-rendering: crispEdges; }
figure svg { display: block; max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 13px; color: var(--muted); max-width: 720px; margin-top: 4px; }
.note { background: #fff8e1; border-left: 4px solid #E69F00; padding: 6px 10px; font-size: 14px; max-width: 900px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; font-variant-numeric: tabular-nums;
  max-width: 100%; }
th, td { border-bottom: 1px solid var(--rule); padding: 4px 10px; text-align: left; overflow-wrap: break-word; }
td.num { white-space: nowrap; }
th { background: var(--panel); }
.num { text-align: right; }
.ok { color: #009E73; font-weight: 600; }
.bad { color: #D55E00; font-weight: 600; }
ul.not-shown { margin: 0; padding-left: 20px; color: var(--muted); }
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_and_rounded() {
        assert_eq!(number(1234567.891, 2), "1,234,567.89");
        assert_eq!(number(-1234.5, 0), "-1,234");
        assert_eq!(number(999.999, 2), "1,000.00");
        assert_eq!(number(-0.001, 2), "0.00");
        assert_eq!(number(f64::NAN, 2), MISSING);
        assert_eq!(money(1234.5, "$"), "$1,234.50");
        assert_eq!(money(-3.0, "$"), "-$3.00");
        assert_eq!(money(10.0, "EUR"), "10.00 EUR");
        assert_eq!(percent(0.1234), "12.3%");
        assert_eq!(rate_percent(0.1), "10%");
        assert_eq!(rate_percent(0.075), "7.5%");
        assert_eq!(rate_percent(0.30), "30%");
        assert_eq!(general(0.000012345), "1.234e-5");
        assert_eq!(general(4.4144), "4.414");
        assert_eq!(axis_tick(25000.0), "25k");
        assert_eq!(axis_tick(0.25), "0.25");
    }

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape("<a href='x'>&\""),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
        );
    }
}
