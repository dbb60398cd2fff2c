//! A line chart: several series of (x, y) points over shared axes, each point marked and
//! titled with its values (a tooltip in a browser), a legend above the plot.

use crate::scale::Scale;
use crate::{colour, escape, tick_label, Document};
use std::fmt::Write as _;

/// One named series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// Points in drawing order.
    pub points: Vec<(f64, f64)>,
}

/// A line chart's content.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Title at the top.
    pub title: String,
    /// Label of the horizontal axis.
    pub x_label: String,
    /// Label of the vertical axis.
    pub y_label: String,
    /// The series.
    pub series: Vec<Series>,
    /// Log10 vertical axis (for latencies spanning decades).
    pub y_log: bool,
}

const W: f64 = 760.0;
const H: f64 = 420.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 70.0;
const BOTTOM: f64 = 50.0;

impl LineChart {
    /// The chart as an SVG document. Each point is a `<circle class="point">` whose
    /// `data-series` names its series, so the figures can be read back from the file.
    pub fn svg(&self) -> String {
        let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
        let points = || self.series.iter().flat_map(|s| s.points.iter());
        let x_scale = Scale::linear(points().map(|p| p.0).fold(0.0, f64::max));
        let y_scale = if self.y_log {
            Scale::log(points().map(|p| p.1))
        } else {
            Scale::linear(points().map(|p| p.1).fold(0.0, f64::max))
        };
        let at = |(x, y): (f64, f64)| {
            (
                LEFT + x_scale.position(x, pw),
                TOP + ph - y_scale.position(y, ph),
            )
        };
        let mut d = Document::new(W, H, &self.title);
        for t in y_scale.ticks() {
            let y = TOP + ph - y_scale.position(t, ph);
            d.line((LEFT, y), (LEFT + pw, y), "#ddd");
            d.text(
                LEFT - 6.0,
                y + 4.0,
                &tick_label(t),
                r##"text-anchor="end" fill="#555""##,
            );
        }
        for t in x_scale.ticks() {
            let x = LEFT + x_scale.position(t, pw);
            d.line((x, TOP + ph), (x, TOP + ph + 5.0), "#555");
            d.text(
                x,
                TOP + ph + 18.0,
                &tick_label(t),
                r##"text-anchor="middle" fill="#555""##,
            );
        }
        d.line((LEFT, TOP + ph), (LEFT + pw, TOP + ph), "#555");
        d.line((LEFT, TOP), (LEFT, TOP + ph), "#555");
        d.text(
            LEFT + pw / 2.0,
            H - 10.0,
            &self.x_label,
            r#"text-anchor="middle""#,
        );
        let axis = format!(
            r#"text-anchor="middle" transform="rotate(-90 16 {:.1})""#,
            TOP + ph / 2.0
        );
        let y_label = if self.y_log {
            format!("{} (log scale)", self.y_label)
        } else {
            self.y_label.clone()
        };
        d.text(16.0, TOP + ph / 2.0, &y_label, &axis);
        let mut legend_x = LEFT;
        for (i, s) in self.series.iter().enumerate() {
            let c = colour(i);
            d.push(&format!(
                r#"<rect x="{legend_x:.1}" y="40" width="12" height="12" fill="{c}"/>"#
            ));
            d.text(legend_x + 16.0, 50.0, &s.name, "");
            legend_x += 40.0 + 7.0 * s.name.chars().count() as f64;
        }
        for (i, s) in self.series.iter().enumerate() {
            let c = colour(i);
            let mut path = String::new();
            for p in &s.points {
                let (x, y) = at(*p);
                let _ = write!(path, "{x:.1},{y:.1} ");
            }
            d.push(&format!(
                r#"<polyline fill="none" stroke="{c}" stroke-width="2" points="{}"/>"#,
                path.trim_end()
            ));
            for p in &s.points {
                let (x, y) = at(*p);
                d.push(&format!(
                    r#"<circle class="point" data-series="{}" cx="{x:.1}" cy="{y:.1}" r="3" fill="{c}"><title>{}: {} {}, {} {}</title></circle>"#,
                    escape(&s.name),
                    escape(&s.name),
                    escape(&self.x_label),
                    tick_label(p.0),
                    escape(&self.y_label),
                    tick_label(p.1)
                ));
            }
        }
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::well_formed;

    fn chart(y_log: bool) -> LineChart {
        LineChart {
            title: "accepted vs offered".into(),
            x_label: "offered tx/s".into(),
            y_label: "accepted tx/s".into(),
            series: vec![
                Series {
                    name: "ML-DSA-44".into(),
                    points: vec![(1000.0, 990.0), (5000.0, 4900.0), (9000.0, 8100.0)],
                },
                Series {
                    name: "ML-DSA-65 <slow>".into(),
                    points: vec![(1000.0, 995.0), (5000.0, 4500.0)],
                },
            ],
            y_log,
        }
    }

    #[test]
    fn draws_every_point_of_every_series_inside_the_plot() {
        for y_log in [false, true] {
            let svg = chart(y_log).svg();
            well_formed(&svg).unwrap();
            assert_eq!(svg.matches(r#"data-series="ML-DSA-44""#).count(), 3);
            assert_eq!(
                svg.matches(r#"data-series="ML-DSA-65 &lt;slow&gt;""#)
                    .count(),
                2
            );
            assert_eq!(svg.matches("<polyline").count(), 2);
            assert!(svg.contains("ML-DSA-44: offered tx/s 9000, accepted tx/s 8100"));
            for c in svg.split("<circle").skip(1) {
                let num = |attr: &str| -> f64 {
                    let at = c.find(attr).unwrap() + attr.len();
                    c[at..].split('"').next().unwrap().parse().unwrap()
                };
                let (x, y) = (num("cx=\""), num("cy=\""));
                assert!((LEFT..=W - RIGHT).contains(&x), "x {x}");
                assert!((TOP..=H - BOTTOM).contains(&y), "y {y}");
            }
        }
        assert!(chart(true).svg().contains("(log scale)"));
    }

    #[test]
    fn a_higher_value_is_drawn_higher() {
        let svg = chart(false).svg();
        let ys: Vec<f64> = svg
            .split("data-series=\"ML-DSA-44\"")
            .skip(1)
            .map(|c| {
                let at = c.find("cy=\"").unwrap() + 4;
                c[at..].split('"').next().unwrap().parse().unwrap()
            })
            .collect();
        assert!(ys[0] > ys[1] && ys[1] > ys[2], "{ys:?}");
    }
}
