//! Closed-loop HTTP load: N keep-alive clients, each sending its next request as soon as the
//! previous one answers, for a fixed window; the one loop every `cretoai-bench` workload uses.

use crate::http_client::Endpoint;
use crate::latency::Latencies;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Prints the column headings of [`Totals::print`].
pub fn print_header() {
    println!(
        "{:<34} {:>9} {:>7} {:>10} {:>9} {:>9} {:>9}",
        "workload", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms"
    );
}

/// Where and how hard to send requests.
pub struct Workload<'a> {
    /// `host:port` of the server.
    pub addr: &'a str,
    /// Bearer token sent with every request.
    pub token: &'a str,
    /// Concurrent keep-alive connections.
    pub concurrency: usize,
    /// How long the run lasts.
    pub window: Duration,
    /// TLS configuration for HTTPS; `None` is plain HTTP.
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

/// What a run measured.
pub struct Totals {
    /// Requests answered with a 2xx.
    pub ok: usize,
    /// Requests answered with anything else.
    pub errors: usize,
    /// Wall time of the whole run.
    pub elapsed: Duration,
    /// Latency of every 2xx request.
    pub latencies: Latencies,
}

impl Totals {
    /// Successful requests per second.
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    /// Prints one row under [`print_header`].
    pub fn print(&mut self, name: &str) {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let rate = self.rate();
        let (p50, p95, p99) = (
            self.latencies.percentile(50.0),
            self.latencies.percentile(95.0),
            self.latencies.percentile(99.0),
        );
        println!(
            "{name:<34} {:>9} {:>7} {:>10.0} {:>9.2} {:>9.2} {:>9.2}",
            self.ok,
            self.errors,
            rate,
            ms(p50),
            ms(p95),
            ms(p99)
        );
    }
}

/// Decides whether a 2xx response body is what the workload expects.
pub type BodyCheck = fn(&[u8]) -> bool;

/// Whether `body` holds `opening` (a JSON member name with its colon and opening quote, e.g.
/// `"signature":"`) followed by a string of exactly `len` bytes. A cheap check for base64 and
/// ASCII values in a load loop, not a JSON parser: no allocation, and the value is scanned
/// only for a quote (with the standard library's word-at-a-time byte search).
pub fn has_string_member(body: &[u8], opening: &[u8], len: usize) -> bool {
    let Some(at) = position(body, opening) else {
        return false;
    };
    let start = at + opening.len();
    match body.get(start..=start + len) {
        Some(value) => value[len] == b'"' && !value[..len].contains(&b'"'),
        None => false,
    }
}

/// Where `needle` first occurs in `hay`.
pub fn position(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Workload<'_> {
    /// Each client sends `method` to its own `path(client)` until the window closes; every 2xx
    /// counts as a success.
    pub async fn measure(
        &self,
        method: &'static str,
        path: impl Fn(usize) -> String,
        body: Option<Arc<String>>,
    ) -> std::io::Result<Totals> {
        self.measure_checked(method, path, body, |_| true).await
    }

    /// Like [`Workload::measure`], but a response counts as a success only when it is a 2xx
    /// and `check` accepts its body; anything else is an error.
    ///
    /// Each client encodes its request once and reads every response into the same buffer, so
    /// the generator's own cost per request (it shares the cores with the server) stays small.
    pub async fn measure_checked(
        &self,
        method: &'static str,
        path: impl Fn(usize) -> String,
        body: Option<Arc<String>>,
        check: BodyCheck,
    ) -> std::io::Result<Totals> {
        let start = Instant::now();
        let deadline = start + self.window;
        let mut tasks = Vec::with_capacity(self.concurrency);
        for client in 0..self.concurrency {
            let (endpoint, token, path, body) = (
                Endpoint {
                    addr: self.addr.to_string(),
                    tls: self.tls.clone(),
                },
                self.token.to_string(),
                path(client),
                body.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut conn = endpoint.connect().await?;
                let bytes = body.as_deref().map(String::as_bytes);
                let raw = conn.encode(method, &path, Some(&token), bytes);
                let (mut ok, mut errors, mut lat) = (0usize, 0usize, Latencies::default());
                loop {
                    let t = Instant::now();
                    if t >= deadline {
                        break;
                    }
                    let (status, body) = conn.exchange(&raw).await?;
                    if (200..300).contains(&status) && check(body) {
                        ok += 1;
                        lat.push(t.elapsed());
                    } else {
                        errors += 1;
                    }
                }
                Ok::<_, std::io::Error>((ok, errors, lat))
            }));
        }
        let mut totals = Totals {
            ok: 0,
            errors: 0,
            elapsed: Duration::ZERO,
            latencies: Latencies::default(),
        };
        for task in tasks {
            let (ok, errors, lat) = task.await.map_err(std::io::Error::other)??;
            totals.ok += ok;
            totals.errors += errors;
            totals.latencies.extend(lat);
        }
        totals.elapsed = start.elapsed();
        Ok(totals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &[u8] = b"\"signature\":\"";

    #[test]
    fn string_member_must_have_the_exact_length() {
        let body = br#"{"signature":"QUJD","algorithm":"ml-dsa-65","key_version":1}"#;
        assert!(has_string_member(body, SIG, 4));
        assert!(!has_string_member(body, SIG, 3));
        assert!(!has_string_member(body, SIG, 5));
        assert!(!has_string_member(body, b"\"ciphertext\":\"", 4));
        assert!(!has_string_member(br#"{"signature":"QUJD"#, SIG, 4));
        assert!(!has_string_member(br#"{"signature":"QU"D","#, SIG, 4));
        assert!(!has_string_member(br#"{"error":{"code":"x"}}"#, SIG, 4));
        assert_eq!(position(b"abcabc", b"ca"), Some(2));
        assert_eq!(position(b"ab", b"abc"), None);
    }
}
