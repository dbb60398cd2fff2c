//! Forwarding to an upstream Creto AuthZ Engine.
//!
//! Any failure (connection refused, timeout, non-2xx, unreadable or
//! inconsistent answer) becomes a 502 or 504 and nothing is signed.

use super::{CheckRequest, Decision};
use crate::error::{Result, SidecarError};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Largest upstream answer read.
const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// Longest a readiness probe waits, well inside an orchestrator's health-check
/// timeout (3 s in docker-compose.yml) even when `upstream_timeout_ms` is long.
const PROBE_TIMEOUT: Duration = Duration::from_millis(500);

/// How long a probe's outcome answers readiness checks. `/ready` is
/// unauthenticated and every probe opens a connection to the engine, so
/// without this a flood of readiness checks would become a flood of
/// connections to the engine; an orchestrator polls every few seconds, so a
/// second-old answer is still current for it.
pub const PROBE_CACHE_TTL: Duration = Duration::from_secs(1);

/// An upstream engine at a base URL.
pub struct UpstreamEngine {
    url: String,
    timeout: Duration,
    /// When the last probe finished and its outcome. A tokio mutex, held
    /// across the probe, so callers arriving during a probe wait for its
    /// outcome instead of each opening a connection of their own.
    last_probe: Mutex<Option<(Instant, std::result::Result<(), String>)>>,
}

impl UpstreamEngine {
    /// `base_url` without the `/v1/...` path.
    pub fn new(base_url: String, timeout_ms: u64) -> Self {
        UpstreamEngine {
            url: format!("{}/v1/authorization/check", base_url.trim_end_matches('/')),
            timeout: Duration::from_millis(timeout_ms),
            last_probe: Mutex::new(None),
        }
    }

    /// Whether the engine accepts connections, as last probed within
    /// [`PROBE_CACHE_TTL`]; failures are reused too, so an engine that is down
    /// is not hammered either.
    pub async fn probe(&self) -> Result<()> {
        let mut last = self.last_probe.lock().await;
        let outcome = match &*last {
            Some((at, outcome)) if at.elapsed() < PROBE_CACHE_TTL => outcome.clone(),
            _ => {
                let outcome = self.connect().await;
                *last = Some((Instant::now(), outcome.clone()));
                outcome
            }
        };
        outcome.map_err(SidecarError::NotReady)
    }

    /// One probe. Only a TCP connect: a check would need a request the engine
    /// may log, bill or refuse, and the engine API has no health route the
    /// sidecar can rely on.
    async fn connect(&self) -> std::result::Result<(), String> {
        let uri: awc::http::Uri = self
            .url
            .parse()
            .map_err(|e| format!("upstream URL {} is invalid: {e}", self.url))?;
        let host = uri
            .host()
            .ok_or_else(|| format!("upstream URL {} has no host", self.url))?;
        let https = uri.scheme_str() == Some("https");
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        // IPv6 literals keep their brackets in `host()`, as "host:port" needs.
        let target = format!("{host}:{port}");
        let budget = PROBE_TIMEOUT.min(self.timeout);
        match tokio::time::timeout(budget, tokio::net::TcpStream::connect(&target)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(format!("upstream engine {target} unreachable: {e}")),
            Err(_) => Err(format!(
                "upstream engine {target} did not accept a connection within {} ms",
                budget.as_millis()
            )),
        }
    }

    /// Forward the check; the caller's Authorization header goes along.
    pub async fn decide(
        &self,
        req: &CheckRequest,
        authorization: Option<&str>,
    ) -> Result<Decision> {
        let timeout_ms = self.timeout.as_millis() as u64;
        match tokio::time::timeout(self.timeout, self.forward(req, authorization)).await {
            Ok(answer) => answer,
            Err(_) => Err(SidecarError::UpstreamTimeout(timeout_ms)),
        }
    }

    async fn forward(&self, req: &CheckRequest, authorization: Option<&str>) -> Result<Decision> {
        // A client per call: awc clients are bound to one thread, and the
        // upstream path is not the one being benchmarked.
        let client = awc::Client::builder().timeout(self.timeout).finish();
        let mut call = client.post(&self.url);
        if let Some(auth) = authorization {
            call = call.insert_header(("authorization", auth));
        }
        let mut resp = call
            .send_json(&req.engine_view())
            .await
            .map_err(|e| match e {
                awc::error::SendRequestError::Timeout => {
                    SidecarError::UpstreamTimeout(self.timeout.as_millis() as u64)
                }
                other => SidecarError::UpstreamError(format!("{}: {other}", self.url)),
            })?;
        let status = resp.status();
        if !status.is_success() {
            return Err(SidecarError::UpstreamError(format!(
                "{} answered {status}",
                self.url
            )));
        }
        let decision: Decision = resp
            .json()
            .limit(MAX_ANSWER_BYTES)
            .await
            .map_err(|e| SidecarError::UpstreamError(format!("unreadable answer: {e}")))?;
        let consistent = matches!(
            (decision.allowed, decision.effect.as_str()),
            (true, "allow") | (false, "deny")
        );
        if !consistent {
            return Err(SidecarError::UpstreamError(format!(
                "inconsistent answer: allowed={} effect={:?}",
                decision.allowed, decision.effect
            )));
        }
        Ok(decision)
    }
}
