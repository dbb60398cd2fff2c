//! A horizontal bar chart: one group of bars per row label, one bar per series in each group,
//! the value printed at the end of each bar.

use crate::scale::Scale;
use crate::{colour, escape, tick_label, Document};

/// One row of bars.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Row label, left of the bars.
    pub label: String,
    /// One value per series, in [`BarChart::series`] order; `None` leaves the slot empty.
    pub values: Vec<Option<f64>>,
}

/// A bar chart's content.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Title at the top.
    pub title: String,
    /// What the values measure, with the unit (under the axis).
    pub unit: String,
    /// Series names (the legend), one colour each.
    pub series: Vec<String>,
    /// The rows.
    pub groups: Vec<Group>,
    /// Log10 axis (for values spanning decades).
    pub log: bool,
}

const LABEL_W: f64 = 230.0;
const PLOT_W: f64 = 460.0;
const RIGHT: f64 = 80.0;
const TOP: f64 = 70.0;
const BAR_H: f64 = 14.0;
const GROUP_GAP: f64 = 12.0;

impl BarChart {
    /// The chart as an SVG document. Each bar is a `<rect class="bar">` whose `data-series`
    /// names its series and `data-value` holds the value.
    pub fn svg(&self) -> String {
        let n = self.series.len().max(1) as f64;
        let group_h = n * BAR_H + GROUP_GAP;
        let plot_h = group_h * self.groups.len() as f64;
        let height = TOP + plot_h + 50.0;
        let width = LABEL_W + PLOT_W + RIGHT;
        let values = || self.groups.iter().flat_map(|g| g.values.iter().flatten());
        let scale = if self.log {
            Scale::log(values().copied())
        } else {
            Scale::linear(values().copied().fold(0.0, f64::max))
        };
        let mut d = Document::new(width, height, &self.title);
        let mut legend_x = LABEL_W;
        for (i, s) in self.series.iter().enumerate() {
            d.push(&format!(
                r#"<rect x="{legend_x:.1}" y="40" width="12" height="12" fill="{}"/>"#,
                colour(i)
            ));
            d.text(legend_x + 16.0, 50.0, s, "");
            legend_x += 40.0 + 7.0 * s.chars().count() as f64;
        }
        for t in scale.ticks() {
            let x = LABEL_W + scale.position(t, PLOT_W);
            d.line((x, TOP), (x, TOP + plot_h), "#ddd");
            d.text(
                x,
                TOP + plot_h + 16.0,
                &tick_label(t),
                r##"text-anchor="middle" fill="#555""##,
            );
        }
        let unit = if self.log {
            format!("{} (log scale)", self.unit)
        } else {
            self.unit.clone()
        };
        d.text(
            LABEL_W + PLOT_W / 2.0,
            TOP + plot_h + 36.0,
            &unit,
            r#"text-anchor="middle""#,
        );
        for (gi, g) in self.groups.iter().enumerate() {
            let y0 = TOP + group_h * gi as f64;
            d.text(
                LABEL_W - 8.0,
                y0 + n * BAR_H / 2.0 + 4.0,
                &g.label,
                r#"text-anchor="end""#,
            );
            for (si, v) in g.values.iter().enumerate() {
                let Some(v) = v else { continue };
                let y = y0 + BAR_H * si as f64;
                let w = scale.position(*v, PLOT_W);
                let name = self.series.get(si).map_or("", String::as_str);
                d.push(&format!(
                    r#"<rect class="bar" data-series="{}" data-value="{v}" x="{LABEL_W}" y="{y:.1}" width="{w:.1}" height="{:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                    escape(name),
                    BAR_H - 2.0,
                    colour(si),
                    escape(name),
                    tick_label(*v)
                ));
                d.text(
                    LABEL_W + w + 4.0,
                    y + BAR_H - 4.0,
                    &tick_label(*v),
                    r#"font-size="10""#,
                );
            }
        }
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::well_formed;

    fn chart(log: bool) -> BarChart {
        BarChart {
            title: "REST throughput".into(),
            unit: "requests/s".into(),
            series: vec!["plain HTTP".into(), "library, no HTTP".into()],
            groups: vec![
                Group {
                    label: "POST /v1/sign".into(),
                    values: vec![Some(11_500.0), Some(15_300.0)],
                },
                Group {
                    label: "PUT vault secret".into(),
                    values: vec![Some(2_900.0), None],
                },
            ],
            log,
        }
    }

    #[test]
    fn one_bar_per_value_with_its_figure() {
        for log in [false, true] {
            let svg = chart(log).svg();
            well_formed(&svg).unwrap();
            assert_eq!(svg.matches(r#"class="bar""#).count(), 3);
            assert_eq!(svg.matches(r#"data-series="plain HTTP""#).count(), 2);
            assert!(svg.contains(r#"data-value="15300""#));
            assert!(svg.contains(">11.5k<"));
        }
    }

    #[test]
    fn bar_length_follows_the_value() {
        let svg = chart(false).svg();
        let width = |value: &str| -> f64 {
            let c = svg
                .split(&format!("data-value=\"{value}\""))
                .nth(1)
                .unwrap();
            let at = c.find("width=\"").unwrap() + 7;
            c[at..].split('"').next().unwrap().parse().unwrap()
        };
        assert!(width("15300") > width("11500") && width("11500") > width("2900"));
        // 15,300 on an axis to 20,000.
        assert!((width("15300") - PLOT_W * 0.765).abs() < 0.1);
    }
}
