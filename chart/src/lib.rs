//! Hand-written SVG for the benchmark pages: a document builder, linear and log scales, line
//! charts ([`line::LineChart`]) and horizontal bar charts ([`bar::BarChart`]), and
//! [`well_formed`], the check a CI run makes of every chart it writes.
//!
//! No dependency: the charts are a few hundred elements, and a plotting library would bring a
//! font stack and a rasterizer the pages do not need.

pub mod bar;
pub mod line;
pub mod scale;
mod well_formed;

pub use well_formed::{well_formed, WellFormedError};

use std::fmt::Write as _;

/// Series colours, in the order series are drawn (the matplotlib "tab10" start).
pub const PALETTE: [&str; 8] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
];

/// The colour of the `i`-th series.
pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// Text with the three characters XML gives a meaning to in content and attributes escaped.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An SVG document being written: a white canvas of a fixed size, elements appended in order.
pub struct Document {
    width: f64,
    height: f64,
    body: String,
}

impl Document {
    /// A `width` x `height` canvas with `title` in bold at the top left.
    pub fn new(width: f64, height: f64, title: &str) -> Self {
        let mut d = Self {
            width,
            height,
            body: String::new(),
        };
        d.push(r#"<rect width="100%" height="100%" fill="white"/>"#);
        d.text(10.0, 22.0, title, r#"font-size="16" font-weight="bold""#);
        d
    }

    /// Appends raw markup (the caller escapes its text).
    pub fn push(&mut self, markup: &str) {
        self.body.push_str(markup);
        self.body.push('\n');
    }

    /// A text element; `attrs` are extra attributes, already valid markup.
    pub fn text(&mut self, x: f64, y: f64, text: &str, attrs: &str) {
        let _ = writeln!(
            self.body,
            r#"<text x="{x:.1}" y="{y:.1}" {attrs}>{}</text>"#,
            escape(text)
        );
    }

    /// A straight line.
    pub fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str) {
        let _ = writeln!(
            self.body,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}"/>"#
        );
    }

    /// The finished document.
    pub fn finish(self) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"12\">\n{}</svg>\n",
            self.body,
            w = self.width,
            h = self.height
        )
    }
}

/// A number as an axis label: no decimals from 100 up, thousands as `k` from 10,000.
pub fn tick_label(v: f64) -> String {
    let a = v.abs();
    if a >= 10_000.0 {
        let k = v / 1000.0;
        if (k - k.round()).abs() < 1e-9 {
            format!("{k:.0}k")
        } else {
            format!("{k:.1}k")
        }
    } else if a >= 100.0 || (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape(r#"a<b&c>"d""#), "a&lt;b&amp;c&gt;&quot;d&quot;");
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(0.0), "0");
        assert_eq!(tick_label(2.5), "2.5");
        assert_eq!(tick_label(0.25), "0.25");
        assert_eq!(tick_label(250.0), "250");
        assert_eq!(tick_label(20_000.0), "20k");
        assert_eq!(tick_label(12_500.0), "12.5k");
    }

    #[test]
    fn an_empty_document_is_well_formed() {
        let d = Document::new(200.0, 100.0, "a <title> & more");
        let svg = d.finish();
        assert!(svg.starts_with("<svg xmlns="));
        assert!(svg.contains("a &lt;title&gt; &amp; more"));
        well_formed(&svg).unwrap();
    }
}
