//! The page's charts, built from [`Results`] with the shared `cretoai-chart` drawing code:
//! each is a file name and its SVG.

use super::anchors::{find, ROUTE_ANCHORS};
use super::figures::{cpu_percent, Results};
use super::steps::LEVELS;
use cretoai_chart::bar::{BarChart, Group};
use cretoai_chart::line::{LineChart, Series};

/// A chart ready to be written: file name (in the output folder), alt text, SVG.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// File name, e.g. `cluster-accepted.svg`.
    pub file: String,
    /// What it shows, for the page's image alt text.
    pub alt: String,
    /// The SVG document.
    pub svg: String,
}

fn chart(file: &str, alt: &str, svg: String) -> Chart {
    Chart {
        file: file.into(),
        alt: alt.into(),
        svg,
    }
}

/// Accepted against offered tx/s, one line per sender level, and the offered rate itself.
fn accepted(r: &Results) -> Option<Chart> {
    let mut series: Vec<Series> = LEVELS
        .iter()
        .map(|level| Series {
            name: format!("{} accepted", level.to_uppercase()),
            points: sorted(
                r.ladder
                    .iter()
                    .filter(|c| c.level == *level)
                    .filter_map(|c| Some((c.offered_tps, c.accepted_tps?)))
                    .collect(),
            ),
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    if series.is_empty() {
        return None;
    }
    let top = r.ladder.iter().map(|c| c.offered_tps).fold(0.0, f64::max);
    series.push(Series {
        name: "offered".into(),
        points: vec![(0.0, 0.0), (top, top)],
    });
    let c = LineChart {
        title: "3-node cluster: accepted on every node against offered".into(),
        x_label: "offered tx/s".into(),
        y_label: "accepted tx/s".into(),
        series,
        y_log: false,
    };
    Some(chart(
        "cluster-accepted.svg",
        "accepted TPS against offered rate",
        c.svg(),
    ))
}

fn sorted(mut points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    points
}

/// Finality p50/p95/p99 against offered tx/s for one sender level.
fn finality(r: &Results, level: &str) -> Option<Chart> {
    let runs: Vec<_> = r.ladder.iter().filter(|c| c.level == level).collect();
    if runs.is_empty() {
        return None;
    }
    let series = ["p50", "p95", "p99"]
        .iter()
        .enumerate()
        .map(|(i, p)| Series {
            name: (*p).into(),
            points: sorted(
                runs.iter()
                    .map(|c| (c.offered_tps, c.finality_ms[i]))
                    .collect(),
            ),
        })
        .collect();
    let c = LineChart {
        title: format!(
            "Finality (submit to accepted on all 3 nodes), {} senders",
            level.to_uppercase()
        ),
        x_label: "offered tx/s".into(),
        y_label: "finality, ms".into(),
        series,
        y_log: true,
    };
    Some(chart(
        &format!("cluster-finality-{level}.svg"),
        &format!("finality p50, p95 and p99 against offered rate, {level} senders"),
        c.svg(),
    ))
}

/// RSS and CPU per node over the soak.
fn soak(r: &Results) -> Vec<Chart> {
    let Some(s) = &r.soak else {
        return Vec::new();
    };
    let nodes = s.usage.iter().map(|u| u.node + 1).max().unwrap_or(0);
    if nodes == 0 {
        return Vec::new();
    }
    let rss = LineChart {
        title: "Soak: resident memory per node".into(),
        x_label: "minutes".into(),
        y_label: "RSS, MiB".into(),
        series: (0..nodes)
            .map(|n| Series {
                name: format!("node {n}"),
                points: s
                    .usage
                    .iter()
                    .filter(|u| u.node == n)
                    .map(|u| (u.secs / 60.0, u.rss_mib))
                    .collect(),
            })
            .collect(),
        y_log: false,
    };
    let cpu_points = cpu_percent(&s.usage);
    let cpu = LineChart {
        title: "Soak: CPU per node".into(),
        x_label: "minutes".into(),
        y_label: "CPU, % of one core".into(),
        series: (0..nodes)
            .map(|n| Series {
                name: format!("node {n}"),
                points: cpu_points
                    .iter()
                    .filter(|p| p.0 == n)
                    .map(|p| (p.1 / 60.0, p.2))
                    .collect(),
            })
            .collect(),
        y_log: false,
    };
    vec![
        chart("soak-rss.svg", "RSS per node over the soak", rss.svg()),
        chart("soak-cpu.svg", "CPU per node over the soak", cpu.svg()),
    ]
}

/// REST throughput (every transport, and the library rate for crypto routes) and latency.
fn rest(r: &Results) -> Vec<Chart> {
    if r.rest.is_empty() {
        return Vec::new();
    }
    let mut transports: Vec<String> = Vec::new();
    let mut routes: Vec<String> = Vec::new();
    for f in &r.rest {
        if !transports.contains(&f.transport) {
            transports.push(f.transport.clone());
        }
        if !routes.contains(&f.route()) {
            routes.push(f.route());
        }
    }
    let rate = |t: &str, route: &str| {
        r.rest
            .iter()
            .find(|f| f.transport == t && f.route() == route)
    };
    let mut series = transports.clone();
    series.push("library, all cores, no HTTP".into());
    let throughput = BarChart {
        title: "REST throughput per route, 32 keep-alive clients".into(),
        unit: "requests/s".into(),
        series,
        groups: routes
            .iter()
            .map(|route| {
                let mut values: Vec<Option<f64>> = transports
                    .iter()
                    .map(|t| rate(t, route).map(|f| f.rate))
                    .collect();
                let anchor = ROUTE_ANCHORS
                    .iter()
                    .find(|(r, _)| r == route)
                    .and_then(|(_, op)| find(&r.anchors, op));
                values.push(anchor.map(|a| a.all_cores));
                Group {
                    label: route.clone(),
                    values,
                }
            })
            .collect(),
        log: false,
    };
    let latency = BarChart {
        title: "REST latency per route, 32 keep-alive clients".into(),
        unit: "latency, ms".into(),
        series: vec!["p50".into(), "p95".into(), "p99".into()],
        groups: r
            .rest
            .iter()
            .map(|f| Group {
                label: if transports.len() > 1 {
                    format!("{} ({})", f.route(), f.transport)
                } else {
                    f.route()
                },
                values: vec![Some(f.p50_ms), Some(f.p95_ms), Some(f.p99_ms)],
            })
            .collect(),
        log: true,
    };
    vec![
        chart(
            "rest-throughput.svg",
            "REST requests per second per route",
            throughput.svg(),
        ),
        chart(
            "rest-latency.svg",
            "REST latency p50, p95, p99 per route",
            latency.svg(),
        ),
    ]
}

/// Classical against post-quantum signing: times (log) and sizes, aws-lc-rs rows.
fn signatures(r: &Results) -> Vec<Chart> {
    let rows: Vec<_> = r
        .signatures
        .iter()
        .filter(|s| s.backend == "aws-lc-rs")
        .collect();
    if rows.is_empty() {
        return Vec::new();
    }
    let times = BarChart {
        title: "Classical against post-quantum: sign and verify, one thread (p50)".into(),
        unit: "µs".into(),
        series: vec!["sign".into(), "verify".into()],
        groups: rows
            .iter()
            .map(|s| Group {
                label: s.label.clone(),
                values: vec![Some(s.sign_us), Some(s.verify_us)],
            })
            .collect(),
        log: true,
    };
    let sizes = BarChart {
        title: "Classical against post-quantum: sizes".into(),
        unit: "bytes".into(),
        series: vec![
            "signature".into(),
            "public key".into(),
            "signed token (JWS)".into(),
        ],
        groups: rows
            .iter()
            .map(|s| Group {
                label: s.label.clone(),
                values: vec![
                    Some(s.signature_bytes as f64),
                    Some(s.public_key_bytes as f64),
                    Some(s.token_bytes as f64),
                ],
            })
            .collect(),
        log: false,
    };
    vec![
        chart(
            "signatures-time.svg",
            "sign and verify time, classical and post-quantum",
            times.svg(),
        ),
        chart(
            "signatures-size.svg",
            "signature, public key and token sizes, classical and post-quantum",
            sizes.svg(),
        ),
    ]
}

/// Every chart the results allow, in the page's order.
pub fn all(r: &Results) -> Vec<Chart> {
    let mut out = Vec::new();
    out.extend(accepted(r));
    for level in LEVELS {
        out.extend(finality(r, level));
    }
    out.extend(soak(r));
    out.extend(rest(r));
    out.extend(signatures(r));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::figures::{ClusterFigure, RestFigure, SignatureFigure, UsagePoint};

    fn run(level: &str, offered: f64, accepted: f64) -> ClusterFigure {
        ClusterFigure {
            level: level.into(),
            rate: Some(offered as u64),
            transactions: 1000,
            offered_tps: offered,
            accepted_tps: Some(accepted),
            finality_ms: [50.0, 90.0, 120.0],
            unaccepted: 0,
            refused: 0,
            errors: 0,
            verify_us: 30.0,
            ceiling_tps: 22_000.0,
            peak_rss_mib: vec![100.0],
            usage: Vec::new(),
        }
    }

    #[test]
    fn every_chart_is_well_formed_with_one_mark_per_figure() {
        let mut soak = run("ml-dsa-65", 2000.0, 1990.0);
        for t in 0..4 {
            for node in 0..3 {
                soak.usage.push(UsagePoint {
                    secs: f64::from(t) * 10.0,
                    node,
                    rss_mib: 50.0,
                    cpu_secs: f64::from(t) * 5.0,
                });
            }
        }
        let r = Results {
            ladder: vec![
                run("ml-dsa-44", 4000.0, 3990.0),
                run("ml-dsa-44", 2000.0, 1999.0),
                run("ml-dsa-65", 2000.0, 1990.0),
            ],
            soak: Some(soak),
            rest: vec![RestFigure {
                transport: "plain HTTP".into(),
                workload: "POST /v1/sign ml-dsa-65 c=32".into(),
                requests: 10,
                errors: 0,
                rate: 11_000.0,
                p50_ms: 2.0,
                p95_ms: 4.0,
                p99_ms: 5.0,
            }],
            signatures: vec![SignatureFigure {
                label: "ML-DSA-65".into(),
                backend: "aws-lc-rs".into(),
                sign_us: 115.0,
                verify_us: 38.0,
                signature_bytes: 3309,
                public_key_bytes: 1952,
                token_bytes: 4933,
            }],
            ..Results::default()
        };
        let charts = all(&r);
        let files: Vec<&str> = charts.iter().map(|c| c.file.as_str()).collect();
        assert_eq!(
            files,
            [
                "cluster-accepted.svg",
                "cluster-finality-ml-dsa-44.svg",
                "cluster-finality-ml-dsa-65.svg",
                "soak-rss.svg",
                "soak-cpu.svg",
                "rest-throughput.svg",
                "rest-latency.svg",
                "signatures-time.svg",
                "signatures-size.svg"
            ]
        );
        for c in &charts {
            cretoai_chart::well_formed(&c.svg).unwrap_or_else(|e| panic!("{}: {e}", c.file));
        }
        let svg = |f: &str| &charts.iter().find(|c| c.file == f).unwrap().svg;
        assert_eq!(
            svg("cluster-accepted.svg")
                .matches(r#"data-series="ML-DSA-44 accepted""#)
                .count(),
            2
        );
        assert_eq!(
            svg("cluster-finality-ml-dsa-44.svg")
                .matches(r#"data-series="p95""#)
                .count(),
            2
        );
        assert_eq!(
            svg("soak-rss.svg")
                .matches(r#"data-series="node 2""#)
                .count(),
            4
        );
        // CPU between samples: 5 s of CPU per 10 s, 50 % of one core, three intervals.
        assert_eq!(
            svg("soak-cpu.svg")
                .matches("CPU, % of one core 50<")
                .count(),
            9
        );
        assert!(svg("rest-throughput.svg").contains(r#"data-value="11000""#));
        assert!(svg("signatures-size.svg").contains(r#"data-value="4933""#));
        assert!(all(&Results::default()).is_empty());
    }
}
