//! Bar charts as SVG drawn on the server: one labelled bar per row, its
//! figure written beside it, and a `<title>` on each for a tooltip and for
//! screen readers. Colours come from the style sheet (`svg.chart .bar`).

use maud::{Markup, html};

/// One bar: its label, its length as a share of the longest, the words
/// written beside it, and a class (`ok`, `bad`, `over`...) for its colour.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub text: String,
    pub class: &'static str,
}

const WIDTH: f64 = 640.0;
const LABEL: f64 = 180.0;
const AREA: f64 = 180.0;
const ROW: f64 = 24.0;

fn height(rows: usize) -> f64 {
    (rows.max(1) as f64) * ROW + 8.0
}

/// Horizontal bars scaled to `max` (or to the largest value when `max` is 0).
pub fn bars(title: &str, rows: &[Bar], max: f64) -> Markup {
    let max = if max > 0.0 { max } else { rows.iter().map(|r| r.value).fold(0.0, f64::max) };
    let h = height(rows.len());
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (h) } width=(WIDTH) height=(h)
            role="img" aria-label=(title) {
            title { (title) }
            @if rows.is_empty() { text x="8" y="20" { "nothing to show" } }
            @for (i, r) in rows.iter().enumerate() {
                @let y = i as f64 * ROW + 4.0;
                @let w = if max > 0.0 { (r.value / max).clamp(0.0, 1.0) * AREA } else { 0.0 };
                g {
                    title { (r.label) ": " (r.text) }
                    text.label x=(LABEL - 8.0) y=(y + 15.0) text-anchor="end" { (r.label) }
                    rect class={ "bar " (r.class) } x=(LABEL) y=(y + 2.0) width=(format!("{w:.1}")) height="16" rx="2" {}
                    text x=(format!("{:.1}", LABEL + w + 6.0)) y=(y + 15.0) { (r.text) }
                }
            }
        }
    }
}

/// Two-part bars (met and missed), each row scaled to its own total.
pub fn split(title: &str, rows: &[(String, u64, u64)]) -> Markup {
    let h = height(rows.len());
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (h) } width=(WIDTH) height=(h)
            role="img" aria-label=(title) {
            title { (title) }
            @for (i, (label, met, missed)) in rows.iter().enumerate() {
                @let y = i as f64 * ROW + 4.0;
                @let total = met + missed;
                @let w_met = if total > 0 { *met as f64 / total as f64 * AREA } else { 0.0 };
                @let words = attainment(*met, *missed);
                g {
                    title { (label) ": " (words) }
                    text.label x=(LABEL - 8.0) y=(y + 15.0) text-anchor="end" { (label) }
                    @if total == 0 {
                        rect.bar.none x=(LABEL) y=(y + 2.0) width=(AREA) height="16" rx="2" {}
                    } @else {
                        rect.bar.ok x=(LABEL) y=(y + 2.0) width=(format!("{w_met:.1}")) height="16" {}
                        rect.bar.bad x=(format!("{:.1}", LABEL + w_met)) y=(y + 2.0)
                            width=(format!("{:.1}", AREA - w_met)) height="16" {}
                    }
                    text x=(LABEL + AREA + 6.0) y=(y + 15.0) { (words) }
                }
            }
        }
    }
}

/// `9 met, 1 missed (90%)`, or `none yet`.
pub fn attainment(met: u64, missed: u64) -> String {
    match met + missed {
        0 => "none yet".into(),
        total => format!("{met} met, {missed} missed ({}%)", met * 100 / total),
    }
}

/// A sparkline: one column per bucket, oldest first, the last (the bucket
/// that alerted) marked; the counts are in the tooltip of each column.
pub fn sparkline(title: &str, counts: &[u64], expected: f64) -> Markup {
    let (w, h, gap) = (480.0, 80.0, 2.0);
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let col = if counts.is_empty() { w } else { w / counts.len() as f64 };
    let expected_y = h - (expected / max).clamp(0.0, 1.0) * (h - 4.0);
    html! {
        svg.chart.spark xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (w) " " (h) } width=(w) height=(h)
            role="img" aria-label=(title) {
            title { (title) }
            @for (i, c) in counts.iter().enumerate() {
                @let bh = (*c as f64 / max) * (h - 4.0);
                @let last = i + 1 == counts.len();
                g {
                    title { (c) }
                    rect class=(if last { "bar bad" } else { "bar" }) x=(format!("{:.1}", i as f64 * col + gap / 2.0))
                        y=(format!("{:.1}", h - bh)) width=(format!("{:.1}", (col - gap).max(1.0))) height=(format!("{bh:.1}")) {}
                }
            }
            line class="expected" x1="0" x2=(w) y1=(format!("{expected_y:.1}")) y2=(format!("{expected_y:.1}")) {}
        }
    }
}

/// Lines over time: one polyline per series (at most eight colours, `s0`
/// to `s7` in the style sheet), a y axis from 0 to the largest count, the
/// first, middle and last bucket labelled, and a legend under the plot.
/// Each point's tooltip gives its series, bucket and count.
pub fn lines(title: &str, labels: &[String], series: &[(String, Vec<u64>)]) -> Markup {
    let (left, top, plot_w, plot_h, legend_row) = (48.0, 8.0, 580.0, 180.0, 18.0);
    let n = labels.len();
    let max = series.iter().flat_map(|(_, v)| v.iter().copied()).max().unwrap_or(0).max(1) as f64;
    let x = |i: usize| left + if n > 1 { i as f64 / (n - 1) as f64 * plot_w } else { plot_w / 2.0 };
    let y = |v: u64| top + plot_h - (v as f64 / max) * plot_h;
    let legend_y = top + plot_h + 30.0;
    let h = legend_y + (series.len().div_ceil(3)) as f64 * legend_row + 4.0;
    let ticks: Vec<usize> = match n {
        0 => vec![],
        1 => vec![0],
        2 => vec![0, 1],
        _ => vec![0, (n - 1) / 2, n - 1],
    };
    html! {
        svg.chart.lines xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (h) } width=(WIDTH) height=(h)
            role="img" aria-label=(title) {
            title { (title) }
            line.axis x1=(left) x2=(left) y1=(top) y2=(top + plot_h) {}
            line.axis x1=(left) x2=(left + plot_w) y1=(top + plot_h) y2=(top + plot_h) {}
            text x=(left - 6.0) y=(top + 10.0) text-anchor="end" { (max as u64) }
            text x=(left - 6.0) y=(top + plot_h) text-anchor="end" { "0" }
            @for i in &ticks {
                text x=(format!("{:.1}", x(*i))) y=(top + plot_h + 16.0) text-anchor="middle" { (labels[*i]) }
            }
            @if series.is_empty() || n == 0 { text x=(left + 8.0) y=(top + 20.0) { "nothing to show" } }
            @for (k, (name, values)) in series.iter().enumerate() {
                @let class = format!("s{}", k % 8);
                @let points = values.iter().enumerate().map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v))).collect::<Vec<_>>().join(" ");
                g {
                    title { (name) }
                    polyline class={ "line " (class) } points=(points) {}
                    @for (i, v) in values.iter().enumerate() {
                        circle class={ "dot " (class) } cx=(format!("{:.1}", x(i))) cy=(format!("{:.1}", y(*v))) r="2.5" {
                            title { (name) ", " (labels.get(i).map(String::as_str).unwrap_or("")) ": " (v) }
                        }
                    }
                }
                @let lx = left + (k % 3) as f64 * 200.0;
                @let ly = legend_y + (k / 3) as f64 * legend_row;
                rect class={ "key " (class) } x=(lx) y=(ly - 9.0) width="12" height="10" {}
                text x=(lx + 16.0) y=(ly) { (name) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_draw_one_polyline_per_series_with_escaped_names() {
        let labels: Vec<String> = ["17 Feb", "18 Feb", "19 Feb"].iter().map(|s| s.to_string()).collect();
        let svg = lines("Drivers", &labels, &[("<delay>".into(), vec![1, 4, 2]), ("baggage".into(), vec![0, 0, 3])])
            .into_string();
        assert_eq!(svg.matches("<polyline").count(), 2, "{svg}");
        assert!(svg.contains("class=\"line s0\"") && svg.contains("class=\"line s1\""));
        // The largest count is at the top (y = 8) and 0 on the axis.
        assert!(svg.contains("48.0,143.0 338.0,8.0 628.0,98.0"), "{svg}");
        assert!(svg.contains("&lt;delay&gt;, 18 Feb: 4") && !svg.contains("<delay>"));
        assert!(lines("Empty", &[], &[]).into_string().contains("nothing to show"));
    }

    #[test]
    fn bars_are_closed_elements_with_titles_and_escaped_labels() {
        let svg =
            bars("Load", &[Bar { label: "<b>Ann</b>".into(), value: 5.0, text: "5 / 10".into(), class: "ok" }], 10.0)
                .into_string();
        assert!(svg.contains("<rect class=\"bar ok\"") && svg.contains("></rect>"), "{svg}");
        assert!(svg.contains("width=\"90.0\""), "half of the area: {svg}");
        assert!(svg.contains("&lt;b&gt;Ann") && !svg.contains("<b>"));
        assert!(svg.contains("<title>&lt;b&gt;Ann&lt;/b&gt;: 5 / 10</title>"));
    }

    #[test]
    fn attainment_is_a_share_of_the_stopped_clocks() {
        assert_eq!(attainment(9, 1), "9 met, 1 missed (90%)");
        assert_eq!(attainment(0, 0), "none yet");
    }
}
