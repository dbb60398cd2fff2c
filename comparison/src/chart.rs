//! The comparison's SVG chart: sign and verify p50 (log scale) and token size (linear) per
//! variant, side by side; drawn with the shared `cretoai-chart` document and scale.

use crate::report::Row;
use cretoai_chart::scale::Scale;
use cretoai_chart::{escape, Document};
use std::fmt::Write as _;

const ROW_H: f64 = 34.0;
const LABEL_W: f64 = 270.0;
const PANEL_W: f64 = 360.0;
const GAP: f64 = 40.0;
const TOP: f64 = 70.0;

/// The time axis: whole decades from 1 µs to at least `max` µs.
fn time_scale(max: f64) -> Scale {
    Scale::log([1.0, max.max(10.0)])
}

/// Position on the time axis, in `[0, PANEL_W]`.
fn log_x(v: f64, max: f64) -> f64 {
    time_scale(max).position(v.max(1.0), PANEL_W)
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
    let mut doc = Document::new(
        width,
        height,
        "AuthZ decision JWS: classical vs post-quantum (p50, this machine)",
    );
    let mut s = String::new();
    let _ = writeln!(
        s,
        r##"<text x="{x1}" y="50">time, µs (log scale): <tspan fill="#1f77b4">■ sign</tspan> <tspan fill="#ff7f0e">■ verify</tspan></text>"##
    );
    let _ = writeln!(
        s,
        r##"<text x="{x2}" y="50"><tspan fill="#2ca02c">■ token size</tspan>, bytes</text>"##
    );
    let ticks = time_scale(max_us).ticks();
    for (d, t) in ticks.iter().enumerate() {
        let x = x1 + d as f64 / (ticks.len() - 1) as f64 * PANEL_W;
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#555">{}</text>"##,
            height - 40.0,
            height - 25.0,
            t
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
    doc.push(s.trim_end());
    doc.finish()
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

    #[test]
    fn the_chart_is_well_formed_with_a_bar_per_figure() {
        use cretoai_authz_sidecar::algorithm::{Algorithm, Backend};
        use cretoai_authz_sidecar::measurements::percentiles;
        let row = |label, alg, sign: f64, verify: f64, token| Row {
            label,
            alg,
            backend: Backend::AwsLc,
            keygen_us: 10.0,
            sign: percentiles(vec![sign]).unwrap(),
            verify: percentiles(vec![verify]).unwrap(),
            token_bytes: token,
            signature_bytes: 64,
            public_key_bytes: 32,
        };
        let svg = svg(&[
            row("EdDSA <Ed25519>", Algorithm::EdDsa, 11.7, 31.8, 602),
            row("ML-DSA-65", Algorithm::MlDsa65, 115.6, 38.6, 4933),
        ]);
        cretoai_chart::well_formed(&svg).unwrap();
        assert!(svg.contains("EdDSA &lt;Ed25519&gt; (aws-lc-rs)"));
        assert_eq!(svg.matches("<rect x=").count(), 6);
        assert!(svg.contains(">4933</text>"));
    }
}
