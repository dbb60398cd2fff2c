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
