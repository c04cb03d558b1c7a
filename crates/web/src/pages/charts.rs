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

#[cfg(test)]
mod tests {
    use super::*;

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
