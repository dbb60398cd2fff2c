//! What a report measured, and how each figure is read from the output of the command that
//! measured it (each step runs a `cretoai-bench` subcommand, `cretoai-compare` or
//! `openssl speed`, so every figure on the page comes from a command a reader can rerun).

use super::anchors::Anchor;
use super::dashboard::LoadTime;
use super::https::HandshakeFigure;
use crate::cluster_load::RESULT_PREFIX;
use serde_json::Value;

/// Everything one report measured; a step that failed or did not run leaves its part empty
/// (or, where the page says why, an `Err` with the reason).
#[derive(Debug, Clone)]
pub struct Results {
    /// Library rates without HTTP.
    pub anchors: Vec<Anchor>,
    /// REST workloads, every transport.
    pub rest: Vec<RestFigure>,
    /// The cluster ladder, every level.
    pub ladder: Vec<ClusterFigure>,
    /// The soak.
    pub soak: Option<ClusterFigure>,
    /// The AuthZ comparison.
    pub signatures: Vec<SignatureFigure>,
    /// OpenSSL 3.5's rates, or why there are none.
    pub openssl: Result<Vec<OpensslFigure>, String>,
    /// The container image's size in bytes, or why it was not measured.
    pub image_bytes: Result<u64, String>,
    /// New-connection HTTPS handshakes per key-exchange group.
    pub handshakes: Vec<HandshakeFigure>,
    /// The dashboard's load time (measured by a browser, read from its file), or why not.
    pub load_time: Result<LoadTime, String>,
}

impl Default for Results {
    fn default() -> Self {
        Self {
            anchors: Vec::new(),
            rest: Vec::new(),
            ladder: Vec::new(),
            soak: None,
            signatures: Vec::new(),
            openssl: Err("not run".into()),
            image_bytes: Err("not measured".into()),
            handshakes: Vec::new(),
            load_time: Err("not measured".into()),
        }
    }
}

/// A whole number with thousands separated by commas, e.g. `9,935`.
pub fn grouped(v: f64) -> String {
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < -0.5 {
        format!("-{out}")
    } else {
        out
    }
}

/// One REST workload: a route over one transport.
#[derive(Debug, Clone, PartialEq)]
pub struct RestFigure {
    /// Transport name (see `steps::TRANSPORTS`).
    pub transport: String,
    /// The workload as the subcommand names it, e.g. `POST /v1/sign ml-dsa-65 c=32`.
    pub workload: String,
    /// Successful requests.
    pub requests: u64,
    /// Failed or wrong answers.
    pub errors: u64,
    /// Successful requests per second.
    pub rate: f64,
    /// Latency percentiles, milliseconds.
    pub p50_ms: f64,
    /// 95th percentile, milliseconds.
    pub p95_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
}

impl RestFigure {
    /// Method and path, e.g. `POST /v1/sign`, or `PUT vault` for the vault workloads.
    pub fn route(&self) -> String {
        self.workload
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The workload rows of `cretoai-bench http` or `vault` output: lines whose last six fields are
/// numbers (requests, errors, req/s, p50, p95, p99 in ms), as `closed_loop::Totals::print`
/// writes them.
pub fn rest_rows(transport: &str, stdout: &str) -> Vec<RestFigure> {
    stdout
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 7 {
                return None;
            }
            let (name, nums) = fields.split_at(fields.len() - 6);
            let n: Vec<f64> = nums.iter().map(|f| f.parse().ok()).collect::<Option<_>>()?;
            Some(RestFigure {
                transport: transport.to_string(),
                workload: name.join(" "),
                requests: n[0] as u64,
                errors: n[1] as u64,
                rate: n[2],
                p50_ms: n[3],
                p95_ms: n[4],
                p99_ms: n[5],
            })
        })
        .collect()
}

/// One node's RSS and CPU at one moment of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct UsagePoint {
    /// Seconds since the submission started.
    pub secs: f64,
    /// Node index.
    pub node: usize,
    /// Resident memory, MiB.
    pub rss_mib: f64,
    /// CPU seconds used so far.
    pub cpu_secs: f64,
}

/// One cluster run.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterFigure {
    /// Sender key level, e.g. `ml-dsa-65`.
    pub level: String,
    /// Target rate, `None` for flat out.
    pub rate: Option<u64>,
    /// Transactions submitted.
    pub transactions: u64,
    /// Measured submission rate.
    pub offered_tps: f64,
    /// Accepted on every node per second; `None` when not all were accepted in time.
    pub accepted_tps: Option<f64>,
    /// Finality percentiles, milliseconds (submit to accepted on every node).
    pub finality_ms: [f64; 3],
    /// Sampled transactions not accepted on every node.
    pub unaccepted: u64,
    /// Batch requests refused as overloaded and retried.
    pub refused: u64,
    /// Failed batch requests.
    pub errors: u64,
    /// Median single-thread verify time of one transaction, microseconds.
    pub verify_us: f64,
    /// cores / (nodes x verify time), tx/s.
    pub ceiling_tps: f64,
    /// Each node's peak RSS, MiB.
    pub peak_rss_mib: Vec<f64>,
    /// RSS and CPU over the run, when sampled.
    pub usage: Vec<UsagePoint>,
}

/// The figures of a `cretoai-bench cluster` run, from its last line.
pub fn cluster(stdout: &str) -> Result<ClusterFigure, String> {
    let line = stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(RESULT_PREFIX))
        .ok_or("no result line in the output")?;
    let v: Value = serde_json::from_str(line).map_err(|e| format!("result line: {e}"))?;
    let num = |v: &Value| v.as_f64();
    let need = |k: &str| num(&v[k]).ok_or(format!("result line: no {k}"));
    let f = &v["finality_ms"];
    Ok(ClusterFigure {
        level: v["level"].as_str().unwrap_or("?").to_string(),
        rate: v["rate"].as_u64(),
        transactions: v["transactions"].as_u64().unwrap_or(0),
        offered_tps: need("offered_tps")?,
        accepted_tps: num(&v["accepted_tps"]),
        finality_ms: [
            num(&f["p50"]).unwrap_or(0.0),
            num(&f["p95"]).unwrap_or(0.0),
            num(&f["p99"]).unwrap_or(0.0),
        ],
        unaccepted: f["unaccepted"].as_u64().unwrap_or(0),
        refused: v["refused"].as_u64().unwrap_or(0),
        errors: v["errors"].as_u64().unwrap_or(0),
        verify_us: need("verify_us")?,
        ceiling_tps: need("ceiling_tps")?,
        peak_rss_mib: v["node_usage"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n["peak_rss_kib"].as_f64())
            .map(|k| k / 1024.0)
            .collect(),
        usage: v["usage"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| {
                Some(UsagePoint {
                    secs: u["secs"].as_f64()?,
                    node: u["node"].as_u64()? as usize,
                    rss_mib: u["rss_kib"].as_f64()? / 1024.0,
                    cpu_secs: u["cpu_secs"].as_f64()?,
                })
            })
            .collect(),
    })
}

impl ClusterFigure {
    /// Whether the cluster kept up: every transaction accepted on every node, finality
    /// sampled for all.
    pub fn all_accepted(&self) -> bool {
        self.accepted_tps.is_some() && self.unaccepted == 0
    }
}

/// Each node's CPU use between consecutive samples, percent of one core, at the later
/// sample's time: `(node, secs, percent)`.
pub fn cpu_percent(usage: &[UsagePoint]) -> Vec<(usize, f64, f64)> {
    let nodes = usage.iter().map(|u| u.node + 1).max().unwrap_or(0);
    let mut out = Vec::new();
    for node in 0..nodes {
        let mine: Vec<&UsagePoint> = usage.iter().filter(|u| u.node == node).collect();
        for w in mine.windows(2) {
            let dt = w[1].secs - w[0].secs;
            if dt > 0.0 {
                out.push((
                    node,
                    w[1].secs,
                    100.0 * (w[1].cpu_secs - w[0].cpu_secs) / dt,
                ));
            }
        }
    }
    out
}

/// One variant of the AuthZ comparison (`authz-comparison.json` of `cretoai-compare`).
#[derive(Debug, Clone, PartialEq)]
pub struct SignatureFigure {
    /// Algorithm and key size, e.g. `RS256 RSA-2048`.
    pub label: String,
    /// `aws-lc-rs` or `rust-crypto`.
    pub backend: String,
    /// Median sign time, µs.
    pub sign_us: f64,
    /// Median verify time, µs.
    pub verify_us: f64,
    /// Signature bytes.
    pub signature_bytes: u64,
    /// Public key bytes.
    pub public_key_bytes: u64,
    /// Compact JWS bytes.
    pub token_bytes: u64,
}

/// The rows of `authz-comparison.json`.
pub fn comparison(json: &str) -> Result<Vec<SignatureFigure>, String> {
    let v: Value = serde_json::from_str(json).map_err(|e| format!("comparison JSON: {e}"))?;
    let rows = v["results"]
        .as_array()
        .ok_or("comparison JSON: no results")?;
    rows.iter()
        .map(|r| {
            Some(SignatureFigure {
                label: r["label"].as_str()?.to_string(),
                backend: r["backend"].as_str()?.to_string(),
                sign_us: r["sign_us"]["p50"].as_f64()?,
                verify_us: r["verify_us"]["p50"].as_f64()?,
                signature_bytes: r["signature_bytes"].as_u64()?,
                public_key_bytes: r["public_key_bytes"].as_u64()?,
                token_bytes: r["token_bytes"].as_u64()?,
            })
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| "comparison JSON: a result lacks a field".to_string())
}

/// One `openssl speed` rate.
#[derive(Debug, Clone, PartialEq)]
pub struct OpensslFigure {
    /// Algorithm, e.g. `ML-DSA-65`.
    pub algorithm: String,
    /// Operation as OpenSSL's heading names it, e.g. `sign/s`.
    pub operation: String,
    /// Operations per second, one thread.
    pub per_second: f64,
}

/// The per-second columns of `openssl speed` output for ML-DSA and ML-KEM: after a heading
/// ending in three `…/s` columns, each row of a name and six numbers (three times in
/// seconds with an `s` suffix, then three rates).
pub fn openssl_speed(stdout: &str) -> Vec<OpensslFigure> {
    let mut heads: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for line in stdout.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() >= 6 && fields.iter().rev().take(3).all(|f| f.ends_with("/s")) {
            heads = fields[fields.len() - 3..]
                .iter()
                .map(|s| s.to_string())
                .collect();
            continue;
        }
        if heads.is_empty() || fields.len() != 7 {
            continue;
        }
        let rates: Option<Vec<f64>> = fields[4..].iter().map(|f| f.parse().ok()).collect();
        let times_ok = fields[1..4].iter().all(|f| f.ends_with('s'));
        if let (Some(rates), true) = (rates, times_ok) {
            for (head, r) in heads.iter().zip(rates) {
                out.push(OpensslFigure {
                    algorithm: fields[0].to_string(),
                    operation: head.clone(),
                    per_second: r,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(grouped(9935.4), "9,935");
        assert_eq!(grouped(1_200_000.0), "1,200,000");
        assert_eq!(grouped(999.6), "1,000");
        assert_eq!(grouped(12.0), "12");
        assert_eq!(grouped(-1234.0), "-1,234");
    }

    #[test]
    fn reads_workload_rows_and_skips_the_rest() {
        let out = "raw ML-DSA-65 signing, 2 threads, library only: 15320 signatures/s\n\n\
            workload                      requests  errors      req/s    p50 ms    p95 ms    p99 ms\n\
            POST /v1/sign ml-dsa-65 c=32     84594       0      10568      3.00      5.05      5.96\n\
            PUT vault secret 1KiB c=32       17498       2       2912     10.48     13.77     23.09\n\
            /v1/sign reaches 69% of the raw 2-thread library signing rate\n";
        let rows = rest_rows("plain HTTP", out);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].workload, "POST /v1/sign ml-dsa-65 c=32");
        assert_eq!(rows[0].route(), "POST /v1/sign");
        assert_eq!(rows[0].requests, 84594);
        assert_eq!(rows[0].rate, 10568.0);
        assert_eq!(rows[0].p95_ms, 5.05);
        assert_eq!(rows[1].route(), "PUT vault");
        assert_eq!(rows[1].errors, 2);
        assert_eq!(rows[1].transport, "plain HTTP");
    }

    #[test]
    fn reads_the_cluster_result_line() {
        let out = format!(
            "pre-signing...\n{RESULT_PREFIX}{}\n",
            serde_json::json!({
                "level": "ml-dsa-65", "rate": 2000, "transactions": 20000,
                "offered_tps": 2001.5, "accepted_tps": 1990.0, "errors": 0, "refused": 3,
                "finality_ms": {"sampled": 2000, "unaccepted": 0, "p50": 60.0, "p95": 90.0, "p99": 99.0},
                "verify_us": 31.5, "ceiling_tps": 21164.0,
                "node_usage": [{"peak_rss_kib": 102400}, {"peak_rss_kib": 110592}],
                "usage": [
                    {"secs": 0.0, "node": 0, "rss_kib": 20480, "cpu_secs": 1.0},
                    {"secs": 2.0, "node": 0, "rss_kib": 40960, "cpu_secs": 2.5},
                    {"secs": 2.0, "node": 1, "rss_kib": 40960, "cpu_secs": 2.0}
                ]
            })
        );
        let c = cluster(&out).unwrap();
        assert_eq!(c.rate, Some(2000));
        assert_eq!(c.accepted_tps, Some(1990.0));
        assert_eq!(c.finality_ms, [60.0, 90.0, 99.0]);
        assert_eq!(c.peak_rss_mib, vec![100.0, 108.0]);
        assert_eq!(c.usage[1].rss_mib, 40.0);
        assert!(c.all_accepted());
        assert_eq!(cpu_percent(&c.usage), vec![(0, 2.0, 75.0)]);
        assert!(cluster("no result").is_err());
        let flat = out.replace("\"accepted_tps\":1990.0", "\"accepted_tps\":null");
        assert!(!cluster(&flat).unwrap().all_accepted());
    }

    #[test]
    fn reads_openssl_speed_rates() {
        let out = "options: bn(64,64)\n\
            \x20                              keygen     signs    verify keygens/s    sign/s  verify/s\n\
            \x20                 ML-DSA-65 0.000225s 0.000972s 0.000183s    4443.8    1028.9    5454.0\n\
            \x20                              keygen    encaps    decaps keygens/s  encaps/s  decaps/s\n\
            \x20                ML-KEM-768 0.000057s 0.000031s 0.000047s   17684.0   32185.7   21221.6\n";
        let f = openssl_speed(out);
        assert_eq!(f.len(), 6);
        assert_eq!(
            f[1],
            OpensslFigure {
                algorithm: "ML-DSA-65".into(),
                operation: "sign/s".into(),
                per_second: 1028.9
            }
        );
        assert_eq!(f[5].operation, "decaps/s");
        assert_eq!(f[5].per_second, 21221.6);
        assert!(openssl_speed("garbage 1 2 3 4 5 6").is_empty());
    }

    #[test]
    fn reads_the_comparison_json() {
        let json = r#"{"results":[{"label":"ML-DSA-65","backend":"aws-lc-rs","sign_us":{"p50":115.6,"p95":400.0},
            "verify_us":{"p50":38.6,"p95":47.0},"token_bytes":4933,"signature_bytes":3309,"public_key_bytes":1952}]}"#;
        let rows = comparison(json).unwrap();
        assert_eq!(rows[0].sign_us, 115.6);
        assert_eq!(rows[0].token_bytes, 4933);
        assert!(comparison(r#"{"results":[{"label":"x"}]}"#).is_err());
    }
}
