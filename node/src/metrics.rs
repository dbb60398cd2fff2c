//! Prometheus metrics: request counts and latency histograms per route, crypto operation counts.
//! All values are real counts kept in memory since the process started.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency histogram buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// A crypto operation, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CryptoOp {
    /// Key generation (create / rotate).
    KeyGen,
    /// KEM-DEM encryption.
    Encrypt,
    /// KEM-DEM decryption.
    Decrypt,
    /// ML-DSA signing.
    Sign,
    /// ML-DSA verification.
    Verify,
}

impl CryptoOp {
    fn as_str(self) -> &'static str {
        match self {
            CryptoOp::KeyGen => "keygen",
            CryptoOp::Encrypt => "encrypt",
            CryptoOp::Decrypt => "decrypt",
            CryptoOp::Sign => "sign",
            CryptoOp::Verify => "verify",
        }
    }
}

#[derive(Default)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    buckets: [u64; BUCKETS.len()],
    sum_seconds: f64,
    count: u64,
}

/// The node's metric registry.
#[derive(Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<(String, String), RouteStats>>,
    crypto: Mutex<BTreeMap<(CryptoOp, &'static str, bool), u64>>,
    tls_handshakes: Mutex<BTreeMap<String, u64>>,
}

impl Metrics {
    /// Records one finished HTTP request. `route` is the matched pattern, not the raw path,
    /// so key names do not explode the label set.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        let stats = routes
            .entry((method.to_string(), route.to_string()))
            .or_default();
        *stats.by_status.entry(status).or_default() += 1;
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            stats.buckets[i] += 1;
        }
        stats.sum_seconds += seconds;
        stats.count += 1;
    }

    /// Counts one crypto operation with `algorithm` and whether it succeeded.
    pub fn count_crypto(&self, op: CryptoOp, algorithm: &'static str, ok: bool) {
        let mut crypto = self.crypto.lock().unwrap_or_else(|e| e.into_inner());
        *crypto.entry((op, algorithm, ok)).or_default() += 1;
    }

    /// Counts one completed TLS handshake by its key-exchange group (e.g. `X25519MLKEM768`).
    pub fn count_tls_handshake(&self, group: &str) {
        let mut handshakes = self
            .tls_handshakes
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match handshakes.get_mut(group) {
            Some(n) => *n += 1,
            None => {
                handshakes.insert(group.to_string(), 1);
            }
        }
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP cretoai_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE cretoai_http_requests_total counter\n");
        let routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        for ((method, route), stats) in routes.iter() {
            for (status, n) in &stats.by_status {
                let _ = writeln!(
                    out,
                    "cretoai_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP cretoai_http_request_duration_seconds HTTP request latency by method and route.\n");
        out.push_str("# TYPE cretoai_http_request_duration_seconds histogram\n");
        for ((method, route), stats) in routes.iter() {
            let labels = format!("method=\"{method}\",route=\"{route}\"");
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(stats.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "cretoai_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "cretoai_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\ncretoai_http_request_duration_seconds_sum{{{labels}}} {}\ncretoai_http_request_duration_seconds_count{{{labels}}} {}",
                stats.count, stats.sum_seconds, stats.count
            );
        }
        drop(routes);
        out.push_str("# HELP cretoai_crypto_operations_total Crypto operations by operation, algorithm and outcome.\n");
        out.push_str("# TYPE cretoai_crypto_operations_total counter\n");
        let crypto = self.crypto.lock().unwrap_or_else(|e| e.into_inner());
        for ((op, algorithm, ok), n) in crypto.iter() {
            let outcome = if *ok { "ok" } else { "error" };
            let _ = writeln!(
                out,
                "cretoai_crypto_operations_total{{op=\"{}\",algorithm=\"{algorithm}\",outcome=\"{outcome}\"}} {n}",
                op.as_str()
            );
        }
        drop(crypto);
        out.push_str("# HELP cretoai_tls_handshakes_total Completed TLS handshakes by key-exchange group (X25519MLKEM768 is post-quantum).\n");
        out.push_str("# TYPE cretoai_tls_handshakes_total counter\n");
        let handshakes = self
            .tls_handshakes
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for (group, n) in handshakes.iter() {
            let _ = writeln!(out, "cretoai_tls_handshakes_total{{group=\"{group}\"}} {n}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_cumulative_buckets() {
        let m = Metrics::default();
        m.observe_request("POST", "/v1/sign", 200, Duration::from_micros(300));
        m.observe_request("POST", "/v1/sign", 200, Duration::from_millis(3));
        m.observe_request("POST", "/v1/sign", 400, Duration::from_secs(10));
        m.count_crypto(CryptoOp::Sign, "ml-dsa-65", true);
        m.count_crypto(CryptoOp::Sign, "ml-dsa-65", true);
        m.count_tls_handshake("X25519MLKEM768");
        m.count_tls_handshake("X25519MLKEM768");
        m.count_tls_handshake("X25519");
        let text = m.render();
        assert!(text.contains("cretoai_tls_handshakes_total{group=\"X25519MLKEM768\"} 2\n"));
        assert!(text.contains("cretoai_tls_handshakes_total{group=\"X25519\"} 1\n"));
        assert!(text.contains(
            "cretoai_http_requests_total{method=\"POST\",route=\"/v1/sign\",status=\"200\"} 2"
        ));
        assert!(text.contains("route=\"/v1/sign\",le=\"0.0005\"} 1\n"));
        assert!(text.contains("route=\"/v1/sign\",le=\"0.005\"} 2\n"));
        assert!(text.contains("route=\"/v1/sign\",le=\"+Inf\"} 3\n"));
        assert!(text.contains(
            "cretoai_http_request_duration_seconds_count{method=\"POST\",route=\"/v1/sign\"} 3"
        ));
        assert!(text.contains(
            "cretoai_crypto_operations_total{op=\"sign\",algorithm=\"ml-dsa-65\",outcome=\"ok\"} 2"
        ));
    }
}
