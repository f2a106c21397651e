//! Charts as SVG drawn on the server: no script, no chart library.
//!
//! Every chart is an image to assistive technology (`role="img"`) whose `aria-label` and
//! `<title>` say all its figures; the page shows the same numbers in a table next to it. The
//! drawing scales with its container (`viewBox`, width 100%). Lengths are computed with integer
//! arithmetic from minor units or tenths of days, never with floating point, so a bar is exactly
//! proportional to its figure, rounded down to a whole unit of the drawing.

use std::fmt::Write;

use super::page::esc;

/// A bar chart's length for `value` when `max` fills `full` units: `value × full / max`
/// rounded down. Negative values (a net credit in a bucket) and a `max` of zero or less draw
/// nothing; values above `max` are drawn at `full`.
pub(crate) fn scaled(value: i64, max: i64, full: u32) -> u32 {
    if value <= 0 || max <= 0 {
        return 0;
    }
    let length = i128::from(value.min(max)) * i128::from(full) / i128::from(max);
    u32::try_from(length).unwrap_or(full)
}

/// One bar: its label, its value in integer units (minor units, tenths of days), and the text
/// written at it.
pub(crate) struct Bar {
    pub(crate) label: String,
    pub(crate) value: i64,
    pub(crate) text: String,
}

/// The figures of a chart in one sentence: `title: label text, label text, …`.
fn summary(title: &str, bars: &[Bar]) -> String {
    let figures: Vec<String> = bars.iter().map(|b| format!("{} {}", b.label, b.text)).collect();
    format!("{title}: {}", figures.join(", "))
}

/// Drawing units of the horizontal chart.
const ROW_HEIGHT: u32 = 30;
const LABEL_WIDTH: u32 = 120;
const BAR_AREA: u32 = 360;
const H_WIDTH: u32 = 640;

/// Horizontal bars, one row per bar (the ageing): label left, bar, value right.
pub(crate) fn horizontal_bars(id: &str, title: &str, bars: &[Bar]) -> String {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0);
    let height = ROW_HEIGHT * u32::try_from(bars.len()).unwrap_or(0);
    let label = esc(&summary(title, bars));
    let mut svg = format!(
        "<svg id=\"{id}\" class=\"chart\" role=\"img\" aria-label=\"{label}\" viewBox=\"0 0 {H_WIDTH} {height}\" \
         width=\"100%\" preserveAspectRatio=\"xMinYMin meet\"><title>{label}</title>"
    );
    for (i, b) in bars.iter().enumerate() {
        let y = ROW_HEIGHT * u32::try_from(i).unwrap_or(0);
        let width = scaled(b.value, max, BAR_AREA);
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{ty}\" font-size=\"13\">{label}</text>\
             <rect class=\"bar\" x=\"{LABEL_WIDTH}\" y=\"{by}\" width=\"{width}\" height=\"20\" fill=\"#1d3557\"></rect>\
             <text x=\"{tx}\" y=\"{ty}\" font-size=\"13\">{text}</text>",
            ty = y + 19,
            by = y + 4,
            label = esc(&b.label),
            tx = LABEL_WIDTH + width + 8,
            text = esc(&b.text),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Drawing units of the vertical chart.
const COLUMN: u32 = 48;
const BAR_WIDTH: u32 = 34;
const PLOT_TOP: u32 = 24;
const PLOT_HEIGHT: u32 = 160;
const V_HEIGHT: u32 = PLOT_TOP + PLOT_HEIGHT + 24;

/// Vertical bars in a row (a trend): each labelled with its value above and its label below.
pub(crate) fn vertical_bars(id: &str, title: &str, bars: &[Bar]) -> String {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0);
    let width = COLUMN * u32::try_from(bars.len()).unwrap_or(0);
    let label = esc(&summary(title, bars));
    let mut svg = format!(
        "<svg id=\"{id}\" class=\"chart\" role=\"img\" aria-label=\"{label}\" viewBox=\"0 0 {width} {V_HEIGHT}\" \
         width=\"100%\" preserveAspectRatio=\"xMinYMin meet\"><title>{label}</title>"
    );
    let base = PLOT_TOP + PLOT_HEIGHT;
    for (i, b) in bars.iter().enumerate() {
        let x = COLUMN * u32::try_from(i).unwrap_or(0);
        let height = scaled(b.value, max, PLOT_HEIGHT);
        let middle = x + COLUMN / 2;
        let _ = write!(
            svg,
            "<rect class=\"bar\" x=\"{bx}\" y=\"{by}\" width=\"{BAR_WIDTH}\" height=\"{height}\" fill=\"#1d3557\"></rect>\
             <text x=\"{middle}\" y=\"{vy}\" font-size=\"11\" text-anchor=\"middle\">{text}</text>\
             <text x=\"{middle}\" y=\"{ly}\" font-size=\"10\" text-anchor=\"middle\">{label}</text>",
            bx = x + (COLUMN - BAR_WIDTH) / 2,
            by = base - height,
            vy = base - height - 5,
            ly = base + 16,
            text = esc(&b.text),
            label = esc(&b.label),
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: i64, text: &str) -> Bar {
        Bar { label: label.into(), value, text: text.into() }
    }

    #[test]
    fn lengths_are_exact_fractions_rounded_down() {
        assert_eq!(scaled(50, 100, 360), 180);
        assert_eq!(scaled(1, 3, 360), 120);
        assert_eq!(scaled(2, 3, 100), 66); // 66.67 rounds down
        assert_eq!(scaled(100, 100, 360), 360);
        // Amounts near i64::MAX do not overflow (i128 in between).
        assert_eq!(scaled(i64::MAX / 2, i64::MAX, 360), 179);
        assert_eq!(scaled(i64::MAX, i64::MAX, 360), 360);
        // Nothing to draw: negative values, nothing at all.
        assert_eq!(scaled(-5, 100, 360), 0);
        assert_eq!(scaled(0, 0, 360), 0);
        assert_eq!(scaled(5, -1, 360), 0);
        assert_eq!(scaled(200, 100, 360), 360);
    }

    #[test]
    fn a_horizontal_chart_has_a_bar_per_row_and_says_its_figures() {
        let svg = horizontal_bars(
            "ageing-chart",
            "Ageing <EUR>",
            &[
                bar("not due", 12_100, "121.00"),
                bar("1-30", 6_050, "60.50"),
                bar("31-60", -100, "-1.00"),
            ],
        );
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 3);
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("viewBox=\"0 0 640 90\" width=\"100%\""));
        assert!(svg.contains(
            "aria-label=\"Ageing &lt;EUR&gt;: not due 121.00, 1-30 60.50, 31-60 -1.00\""
        ));
        assert!(svg.contains("width=\"360\""), "{svg}");
        assert!(svg.contains("width=\"180\""), "{svg}");
        assert!(svg.contains("width=\"0\""), "{svg}");
    }

    #[test]
    fn a_vertical_chart_stands_its_bars_on_one_base_line() {
        let svg = vertical_bars(
            "dso-chart",
            "DSO",
            &[bar("2026-01", 400, "40.0"), bar("today", 100, "10.0")],
        );
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 2);
        assert!(svg.contains("viewBox=\"0 0 96 208\""));
        // 40.0 fills the plot (160 high from y 24); 10.0 is a quarter: 40 high from y 144.
        assert!(svg.contains("y=\"24\" width=\"34\" height=\"160\""), "{svg}");
        assert!(svg.contains("y=\"144\" width=\"34\" height=\"40\""), "{svg}");
        assert!(svg.contains("<title>DSO: 2026-01 40.0, today 10.0</title>"));
    }
}
