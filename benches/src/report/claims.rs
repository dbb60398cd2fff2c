//! The claims table: every performance claim the project makes, the figure this run measured
//! for it, its share of the physical limit where one exists, and plainly whether it is met.
//! Pure: it only reads [`Results`].

use super::anchors::{find, ROUTE_ANCHORS};
use super::figures::{grouped, ClusterFigure, Results};

/// Whether a claim holds on this run's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The figure meets the claim.
    Met,
    /// It does not.
    NotMet,
    /// This run has no figure for it.
    NotMeasured,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Met => "**met**",
            Self::NotMet => "**not met**",
            Self::NotMeasured => "not measured",
        })
    }
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// The claim as stated.
    pub claim: String,
    /// What this run measured.
    pub measured: String,
    /// The figure as a share of its physical limit, with the limit; empty when none applies.
    pub of_limit: String,
    /// Met or not.
    pub verdict: Verdict,
    /// Under which conditions the verdict holds (sender level, transport, rate).
    pub holds_for: String,
}

/// Accepted TPS the product brief asks of the cluster.
pub const TPS_TARGET: f64 = 10_000.0;
/// Finality the brief asks for, ms (p95).
pub const FINALITY_TARGET_MS: f64 = 1_000.0;
/// API p95 the brief asks for, ms.
pub const API_P95_TARGET_MS: f64 = 100.0;
/// Share of the library's all-core signing rate `/v1/sign` must reach.
pub const SIGN_SHARE_TARGET: f64 = 0.70;
/// RSS per node the original goal asks for, MiB.
pub const RSS_TARGET_MIB: f64 = 50.0;
/// Growth of RSS over the second half of the soak still called flat.
pub const RSS_FLAT_GROWTH: f64 = 0.10;
/// Container image size the brief asks for, bytes (decimal MB, as `docker images` shows).
pub const IMAGE_TARGET_BYTES: u64 = 500_000_000;

fn verdict(met: bool) -> Verdict {
    if met {
        Verdict::Met
    } else {
        Verdict::NotMet
    }
}

fn level_name(level: &str) -> String {
    level.to_uppercase()
}

/// The run of `level` with the highest accepted rate among those where the cluster kept up
/// with finality p95 under the target; else the highest accepted rate at all.
pub fn best_run<'a>(ladder: &'a [ClusterFigure], level: &str) -> Option<(&'a ClusterFigure, bool)> {
    let runs = || ladder.iter().filter(move |c| c.level == level);
    let rate = |c: &&ClusterFigure| c.accepted_tps.unwrap_or(0.0);
    let by_rate = |a: &&ClusterFigure, b: &&ClusterFigure| rate(a).total_cmp(&rate(b));
    runs()
        .filter(|c| c.all_accepted() && c.finality_ms[1] < FINALITY_TARGET_MS)
        .max_by(by_rate)
        .map(|c| (c, true))
        .or_else(|| runs().max_by(by_rate).map(|c| (c, false)))
}

fn ceiling_share(c: &ClusterFigure, accepted: f64) -> String {
    format!(
        "{:.0} % of the verification ceiling, {} tx/s = cores / (3 nodes × {:.1} µs per verify)",
        100.0 * accepted / c.ceiling_tps,
        grouped(c.ceiling_tps),
        c.verify_us
    )
}

fn cluster_claims(r: &Results, out: &mut Vec<Claim>) {
    for level in super::steps::LEVELS {
        let name = level_name(level);
        let Some((best, sustained)) = best_run(&r.ladder, level) else {
            out.push(Claim {
                claim: "10,000+ TPS accepted on every node".into(),
                measured: "no cluster run".into(),
                of_limit: String::new(),
                verdict: Verdict::NotMeasured,
                holds_for: format!("{name} senders"),
            });
            continue;
        };
        let accepted = best.accepted_tps.unwrap_or(0.0);
        out.push(Claim {
            claim: "10,000+ TPS accepted on every node, finality p95 < 1 s".into(),
            measured: format!(
                "{} tx/s accepted of {} offered, p95 {:.2} s",
                grouped(accepted),
                grouped(best.offered_tps),
                best.finality_ms[1] / 1000.0
            ),
            of_limit: ceiling_share(best, accepted),
            verdict: verdict(sustained && accepted >= TPS_TARGET),
            holds_for: format!("3 nodes, {name} senders"),
        });
    }
    for level in super::steps::LEVELS {
        let name = level_name(level);
        let mut runs: Vec<&ClusterFigure> = r.ladder.iter().filter(|c| c.level == level).collect();
        if runs.is_empty() {
            continue;
        }
        // "Up to" a rate holds only if every lower offered rate also kept p95 under the
        // target: the ladder is walked from the lowest rate and stops at the first miss.
        runs.sort_by(|a, b| a.offered_tps.total_cmp(&b.offered_tps));
        let under = runs
            .iter()
            .take_while(|c| c.all_accepted() && c.finality_ms[1] < FINALITY_TARGET_MS)
            .filter_map(|c| c.accepted_tps)
            .fold(None, |m: Option<f64>, a| Some(m.map_or(a, |m| m.max(a))));
        let worst = runs
            .iter()
            .max_by(|a, b| a.finality_ms[1].total_cmp(&b.finality_ms[1]))
            .expect("runs is not empty");
        out.push(Claim {
            claim: "finality p95 < 1 s".into(),
            measured: match under {
                Some(a) => format!(
                    "p95 under 1 s up to {} tx/s accepted; highest p95 {:.2} s ({})",
                    grouped(a),
                    worst.finality_ms[1] / 1000.0,
                    worst.rate.map_or("flat out".into(), |r| format!(
                        "at {} tx/s offered",
                        grouped(r as f64)
                    ))
                ),
                None => format!(
                    "p95 over 1 s at every offered rate (lowest {:.2} s)",
                    runs.iter()
                        .map(|c| c.finality_ms[1])
                        .fold(f64::INFINITY, f64::min)
                        / 1000.0
                ),
            },
            of_limit: String::new(),
            verdict: verdict(under.is_some()),
            holds_for: match under {
                Some(a) => format!("{name} senders, up to {} tx/s", grouped(a)),
                None => format!("{name} senders"),
            },
        });
    }
}

fn rest_claims(r: &Results, out: &mut Vec<Claim>) {
    let mut transports: Vec<&str> = r.rest.iter().map(|f| f.transport.as_str()).collect();
    transports.dedup();
    if transports.is_empty() {
        out.push(Claim {
            claim: "API p95 < 100 ms".into(),
            measured: "no REST run".into(),
            of_limit: String::new(),
            verdict: Verdict::NotMeasured,
            holds_for: String::new(),
        });
    }
    for t in transports {
        let rows: Vec<_> = r.rest.iter().filter(|f| f.transport == t).collect();
        let worst = rows
            .iter()
            .max_by(|a, b| a.p95_ms.total_cmp(&b.p95_ms))
            .expect("a transport has rows");
        out.push(Claim {
            claim: "API p95 < 100 ms".into(),
            measured: format!(
                "highest p95 {:.1} ms ({}), over {} routes",
                worst.p95_ms,
                worst.route(),
                rows.len()
            ),
            of_limit: String::new(),
            verdict: verdict(rows.iter().all(|f| f.p95_ms < API_P95_TARGET_MS)),
            holds_for: format!("{t}, 32 concurrent clients"),
        });
        let sign = rows.iter().find(|f| f.route() == ROUTE_ANCHORS[0].0);
        let raw = find(&r.anchors, ROUTE_ANCHORS[0].1);
        if let (Some(sign), Some(raw)) = (sign, raw) {
            let share = sign.rate / raw.all_cores;
            out.push(Claim {
                claim: "REST `/v1/sign` ≥ 70 % of raw library signing".into(),
                measured: format!("{} signatures/s", grouped(sign.rate)),
                of_limit: format!(
                    "{:.0} % of the library's {} signatures/s on {} threads",
                    100.0 * share,
                    grouped(raw.all_cores),
                    raw.threads
                ),
                verdict: verdict(share >= SIGN_SHARE_TARGET),
                holds_for: format!("ML-DSA-65, {t}"),
            });
        }
    }
}

/// Over the nodes, the largest growth of RSS from the soak's half-way sample to its last.
pub fn rss_growth(soak: &ClusterFigure) -> Option<f64> {
    let end = soak.usage.iter().map(|u| u.secs).fold(0.0, f64::max);
    let nodes = soak.usage.iter().map(|u| u.node + 1).max()?;
    (0..nodes)
        .filter_map(|n| {
            let mine: Vec<_> = soak.usage.iter().filter(|u| u.node == n).collect();
            let mid = mine.iter().min_by(|a, b| {
                (a.secs - end / 2.0)
                    .abs()
                    .total_cmp(&(b.secs - end / 2.0).abs())
            })?;
            let last = mine.last()?;
            (mid.rss_mib > 0.0).then(|| (last.rss_mib - mid.rss_mib) / mid.rss_mib)
        })
        .fold(None, |m: Option<f64>, g| Some(m.map_or(g, |m| m.max(g))))
}

fn memory_claims(r: &Results, out: &mut Vec<Claim>) {
    let Some(soak) = &r.soak else {
        out.push(Claim {
            claim: "memory per node bounded".into(),
            measured: "no soak run".into(),
            of_limit: String::new(),
            verdict: Verdict::NotMeasured,
            holds_for: String::new(),
        });
        return;
    };
    let minutes = soak.transactions as f64 / soak.rate.unwrap_or(1).max(1) as f64 / 60.0;
    let rate = soak
        .rate
        .map_or("flat out".into(), |r| format!("{} tx/s", grouped(r as f64)));
    let holds_for = format!(
        "3 nodes, {} senders, {rate} for {minutes:.1} min",
        level_name(&soak.level)
    );
    let peak = soak.peak_rss_mib.iter().copied().fold(0.0, f64::max);
    match rss_growth(soak) {
        Some(g) => out.push(Claim {
            claim: "memory per node flat under steady load".into(),
            measured: format!(
                "RSS {:+.0} % from half-way to the end (largest over the nodes)",
                100.0 * g
            ),
            of_limit: String::new(),
            verdict: verdict(g <= RSS_FLAT_GROWTH),
            holds_for: holds_for.clone(),
        }),
        None => out.push(Claim {
            claim: "memory per node flat under steady load".into(),
            measured: "no RSS samples".into(),
            of_limit: String::new(),
            verdict: Verdict::NotMeasured,
            holds_for: holds_for.clone(),
        }),
    }
    out.push(Claim {
        claim: "< 50 MB RSS per node".into(),
        measured: format!("peak {peak:.0} MiB (largest over the nodes)"),
        of_limit: String::new(),
        verdict: if soak.peak_rss_mib.is_empty() {
            Verdict::NotMeasured
        } else {
            verdict(peak < RSS_TARGET_MIB)
        },
        holds_for,
    });
}

/// Every claim with its verdict, in the page's order.
pub fn claims(r: &Results) -> Vec<Claim> {
    let mut out = Vec::new();
    cluster_claims(r, &mut out);
    rest_claims(r, &mut out);
    memory_claims(r, &mut out);
    out.push(match &r.image_bytes {
        Ok(b) => Claim {
            claim: "container image < 500 MB".into(),
            measured: format!("{:.0} MB", *b as f64 / 1e6),
            of_limit: String::new(),
            verdict: verdict(*b < IMAGE_TARGET_BYTES),
            holds_for: "`cretoai:latest`".into(),
        },
        Err(why) => Claim {
            claim: "container image < 500 MB".into(),
            measured: why.clone(),
            of_limit: String::new(),
            verdict: Verdict::NotMeasured,
            holds_for: String::new(),
        },
    });
    out.push(Claim {
        claim: "dashboard loads in < 2 s".into(),
        measured: "not measured by this command: a browser measures it, see \
                   [the console page](../dashboard.md#load-time)"
            .into(),
        of_limit: String::new(),
        verdict: Verdict::NotMeasured,
        holds_for: String::new(),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::anchors::Anchor;
    use crate::report::figures::{RestFigure, UsagePoint};

    fn run(level: &str, rate: Option<u64>, accepted: Option<f64>, p95: f64) -> ClusterFigure {
        ClusterFigure {
            level: level.into(),
            rate,
            transactions: 100_000,
            offered_tps: rate.map_or(12_000.0, |r| r as f64),
            accepted_tps: accepted,
            finality_ms: [p95 / 2.0, p95, p95 * 1.1],
            unaccepted: 0,
            refused: 0,
            errors: 0,
            verify_us: 20.0,
            ceiling_tps: 33_333.0,
            peak_rss_mib: vec![120.0, 118.0, 121.0],
            usage: Vec::new(),
        }
    }

    fn rest(route: &str, rate: f64, p95: f64) -> RestFigure {
        RestFigure {
            transport: "plain HTTP".into(),
            workload: format!("{route} x c=32"),
            requests: 1000,
            errors: 0,
            rate,
            p50_ms: p95 / 2.0,
            p95_ms: p95,
            p99_ms: p95 * 1.2,
        }
    }

    fn results() -> Results {
        Results {
            ladder: vec![
                run("ml-dsa-44", Some(8_000), Some(7_990.0), 300.0),
                run("ml-dsa-44", Some(11_000), Some(10_694.0), 650.0),
                // Flat out: more accepted, but p95 over the target, so not the sustained figure.
                run("ml-dsa-44", None, Some(11_800.0), 1_400.0),
                run("ml-dsa-65", Some(8_000), Some(7_600.0), 800.0),
                run("ml-dsa-65", None, None, 2_000.0),
            ],
            rest: vec![
                rest("POST /v1/sign", 11_500.0, 4.0),
                rest("POST /v1/verify", 20_000.0, 2.0),
            ],
            anchors: vec![Anchor {
                operation: "ML-DSA-65 sign".into(),
                one_thread: 8_000.0,
                all_cores: 15_000.0,
                threads: 2,
            }],
            ..Results::default()
        }
    }

    #[test]
    fn cluster_rows_take_the_best_sustained_run_and_its_ceiling_share() {
        let c = claims(&results());
        let tps: Vec<&Claim> = c
            .iter()
            .filter(|c| c.claim.starts_with("10,000+"))
            .collect();
        assert_eq!(tps.len(), 3);
        assert_eq!(tps[0].verdict, Verdict::Met);
        assert_eq!(tps[0].holds_for, "3 nodes, ML-DSA-44 senders");
        assert!(tps[0]
            .measured
            .starts_with("10,694 tx/s accepted of 11,000 offered, p95 0.65 s"));
        // 10,694 / 33,333 = 32.1 %.
        assert!(tps[0]
            .of_limit
            .starts_with("32 % of the verification ceiling, 33,333 tx/s"));
        assert_eq!(tps[1].verdict, Verdict::NotMet);
        assert!(tps[1].measured.starts_with("7,600 tx/s"));
        assert_eq!(tps[2].verdict, Verdict::NotMeasured);
        let fin: Vec<&Claim> = c
            .iter()
            .filter(|c| c.claim == "finality p95 < 1 s")
            .collect();
        assert_eq!(fin.len(), 2);
        assert_eq!(fin[0].verdict, Verdict::Met);
        assert_eq!(fin[0].holds_for, "ML-DSA-44 senders, up to 10,694 tx/s");
        assert!(fin[0].measured.contains("highest p95 1.40 s (flat out)"));
    }

    #[test]
    fn finality_is_not_met_up_to_a_rate_when_a_lower_rate_missed_it() {
        let r = Results {
            ladder: vec![
                run("ml-dsa-44", Some(1_000), Some(990.0), 2_100.0),
                run("ml-dsa-44", None, Some(3_200.0), 800.0),
            ],
            ..Results::default()
        };
        let c = claims(&r);
        let fin = c.iter().find(|c| c.claim == "finality p95 < 1 s").unwrap();
        assert_eq!(fin.verdict, Verdict::NotMet);
        assert_eq!(fin.holds_for, "ML-DSA-44 senders");
    }

    #[test]
    fn rest_rows_compare_with_the_library_rate() {
        let c = claims(&results());
        let api = c.iter().find(|c| c.claim == "API p95 < 100 ms").unwrap();
        assert_eq!(api.verdict, Verdict::Met);
        assert_eq!(
            api.measured,
            "highest p95 4.0 ms (POST /v1/sign), over 2 routes"
        );
        let sign = c.iter().find(|c| c.claim.contains("/v1/sign")).unwrap();
        // 11,500 / 15,000 = 76.7 %.
        assert_eq!(sign.verdict, Verdict::Met);
        assert!(sign
            .of_limit
            .starts_with("77 % of the library's 15,000 signatures/s on 2 threads"));
        let mut slow = results();
        slow.rest[0].rate = 10_000.0;
        slow.rest[1].p95_ms = 150.0;
        let c = claims(&slow);
        assert_eq!(
            c.iter()
                .find(|c| c.claim.contains("/v1/sign"))
                .unwrap()
                .verdict,
            Verdict::NotMet
        );
        assert_eq!(
            c.iter()
                .find(|c| c.claim == "API p95 < 100 ms")
                .unwrap()
                .verdict,
            Verdict::NotMet
        );
    }

    #[test]
    fn memory_rows_read_the_soak() {
        let mut r = results();
        let mut soak = run("ml-dsa-65", Some(2_000), Some(1_999.0), 80.0);
        soak.transactions = 1_200_000;
        for (i, rss) in [(0, 60.0), (300, 100.0), (600, 105.0)] {
            for node in 0..3 {
                soak.usage.push(UsagePoint {
                    secs: f64::from(i),
                    node,
                    rss_mib: rss + node as f64 * if i == 600 { 5.0 } else { 0.0 },
                    cpu_secs: f64::from(i),
                });
            }
        }
        // Node 2: 100 -> 115 MiB, +15 %.
        assert!((rss_growth(&soak).unwrap() - 0.15).abs() < 1e-9);
        r.soak = Some(soak);
        let c = claims(&r);
        let flat = c
            .iter()
            .find(|c| c.claim.starts_with("memory per node flat"))
            .unwrap();
        assert_eq!(flat.verdict, Verdict::NotMet);
        assert_eq!(
            flat.holds_for,
            "3 nodes, ML-DSA-65 senders, 2,000 tx/s for 10.0 min"
        );
        let rss = c
            .iter()
            .find(|c| c.claim == "< 50 MB RSS per node")
            .unwrap();
        assert_eq!(
            (rss.verdict, rss.measured.as_str()),
            (Verdict::NotMet, "peak 121 MiB (largest over the nodes)")
        );
    }

    #[test]
    fn unmeasured_claims_say_so() {
        let c = claims(&Results::default());
        assert!(c.iter().all(|c| c.verdict == Verdict::NotMeasured));
        let r = Results {
            image_bytes: Ok(180_000_000),
            ..Results::default()
        };
        let img = claims(&r)
            .into_iter()
            .find(|c| c.claim.starts_with("container"))
            .unwrap();
        assert_eq!(
            (img.verdict, img.measured.as_str()),
            (Verdict::Met, "180 MB")
        );
        assert_eq!(Verdict::NotMet.to_string(), "**not met**");
    }
}
