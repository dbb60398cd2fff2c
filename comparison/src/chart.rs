//! A hand-written SVG bar chart: sign and verify p50 (log scale) and token
//! size (linear) per variant.

use crate::report::Row;
use std::fmt::Write as _;

const ROW_H: f64 = 34.0;
const LABEL_W: f64 = 270.0;
const PANEL_W: f64 = 360.0;
const GAP: f64 = 40.0;
const TOP: f64 = 70.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Position on a log10 axis from 1 µs to `max` µs, in `[0, PANEL_W]`.
fn log_x(v: f64, max: f64) -> f64 {
    let top = max.max(10.0).log10().ceil();
    (v.max(1.0).log10() / top * PANEL_W).clamp(0.0, PANEL_W)
}

/// Render the chart.
pub fn svg(rows: &[Row]) -> String {
    let max_us = rows
        .iter()
        .map(|r| r.sign.p50.max(r.verify.p50))
        .fold(1.0, f64::max);
    let max_tok = rows.iter().map(|r| r.token_bytes).max().unwrap_or(1) as f64;
    let width = LABEL_W + PANEL_W * 2.0 + GAP * 2.0;
    let height = TOP + ROW_H * rows.len() as f64 + 50.0;
    let x1 = LABEL_W;
    let x2 = LABEL_W + PANEL_W + GAP;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="10" y="22" font-size="16" font-weight="bold">AuthZ decision JWS: classical vs post-quantum (p50, this machine)</text>"#
    );
    let _ = writeln!(
        s,
        r##"<text x="{x1}" y="50">time, µs (log scale): <tspan fill="#1f77b4">■ sign</tspan> <tspan fill="#ff7f0e">■ verify</tspan></text>"##
    );
    let _ = writeln!(
        s,
        r##"<text x="{x2}" y="50"><tspan fill="#2ca02c">■ token size</tspan>, bytes</text>"##
    );
    let decades = max_us.max(10.0).log10().ceil() as i32;
    for d in 0..=decades {
        let x = x1 + f64::from(d) / f64::from(decades) * PANEL_W;
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#555">{}</text>"##,
            height - 40.0,
            height - 25.0,
            10f64.powi(d)
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let y = TOP + ROW_H * i as f64;
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LABEL_W - 8.0,
            y + 19.0,
            escape(&r.name())
        );
        let sw = log_x(r.sign.p50, max_us);
        let vw = log_x(r.verify.p50, max_us);
        let _ = writeln!(
            s,
            r##"<rect x="{x1}" y="{:.1}" width="{sw:.1}" height="12" fill="#1f77b4"><title>sign {:.1} µs</title></rect><text x="{:.1}" y="{:.1}" font-size="10">{:.1}</text>"##,
            y + 3.0,
            r.sign.p50,
            x1 + sw + 3.0,
            y + 13.0,
            r.sign.p50
        );
        let _ = writeln!(
            s,
            r##"<rect x="{x1}" y="{:.1}" width="{vw:.1}" height="12" fill="#ff7f0e"><title>verify {:.1} µs</title></rect><text x="{:.1}" y="{:.1}" font-size="10">{:.1}</text>"##,
            y + 16.0,
            r.verify.p50,
            x1 + vw + 3.0,
            y + 26.0,
            r.verify.p50
        );
        let tw = r.token_bytes as f64 / max_tok * PANEL_W;
        let _ = writeln!(
            s,
            r##"<rect x="{x2}" y="{:.1}" width="{tw:.1}" height="20" fill="#2ca02c"/><text x="{:.1}" y="{:.1}" font-size="10">{}</text>"##,
            y + 5.0,
            x2 + tw + 3.0,
            y + 19.0,
            r.token_bytes
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axis_is_monotonic_and_bounded() {
        assert_eq!(log_x(1.0, 1000.0), 0.0);
        assert!(log_x(10.0, 1000.0) < log_x(100.0, 1000.0));
        assert_eq!(log_x(1000.0, 1000.0), PANEL_W);
        assert_eq!(log_x(0.1, 1000.0), 0.0);
        assert_eq!(escape("a<b&c"), "a&lt;b&amp;c");
    }
}
