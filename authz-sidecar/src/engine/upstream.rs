//! Forwarding to an upstream Creto AuthZ Engine (`POST /v1/authorization/check`), and its
//! `GET /health` for readiness.
//!
//! Fails closed: an engine that cannot be reached or does not answer in time is a 503
//! `upstream_unavailable` with `Retry-After`; how any answer becomes a decision or an error
//! is [`super::verdict`]. Nothing is signed unless the engine decided.

use super::{verdict, CheckRequest, Decision};
use crate::error::{Result, SidecarError};
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Largest upstream answer read.
const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// Longest a readiness probe waits, well inside an orchestrator's health-check
/// timeout (3 s in docker-compose.yml) even when `upstream_timeout_ms` is long.
const PROBE_TIMEOUT: Duration = Duration::from_millis(500);

/// How long a probe's outcome answers readiness checks. `/ready` is
/// unauthenticated and every probe is a request to the engine, so
/// without this a flood of readiness checks would become a flood of
/// connections to the engine; an orchestrator polls every few seconds, so a
/// second-old answer is still current for it.
pub const PROBE_CACHE_TTL: Duration = Duration::from_secs(1);

/// An upstream engine at a base URL.
pub struct UpstreamEngine {
    url: String,
    health_url: String,
    timeout: Duration,
    /// When the last probe finished and its outcome. A tokio mutex, held
    /// across the probe, so callers arriving during a probe wait for its
    /// outcome instead of each opening a connection of their own.
    last_probe: Mutex<Option<(Instant, std::result::Result<EngineHealth, String>)>>,
}

impl UpstreamEngine {
    /// `base_url` without the `/v1/...` path.
    pub fn new(base_url: String, timeout_ms: u64) -> Self {
        let base = base_url.trim_end_matches('/');
        UpstreamEngine {
            url: format!("{base}/v1/authorization/check"),
            health_url: format!("{base}/health"),
            timeout: Duration::from_millis(timeout_ms),
            last_probe: Mutex::new(None),
        }
    }

    /// The engine's health as last probed within [`PROBE_CACHE_TTL`]; failures are reused
    /// too, so an engine that is down is not hammered either.
    pub async fn probe(&self) -> Result<EngineHealth> {
        let mut last = self.last_probe.lock().await;
        let outcome = match &*last {
            Some((at, outcome)) if at.elapsed() < PROBE_CACHE_TTL => outcome.clone(),
            _ => {
                let outcome = self.health().await;
                *last = Some((Instant::now(), outcome.clone()));
                outcome
            }
        };
        outcome.map_err(SidecarError::NotReady)
    }

    /// One `GET /health`: ready when the engine says `healthy` with its `engine` and
    /// `policy_store` checks `ok`; a failing `cache` only slows it down (degraded, still
    /// ready).
    async fn health(&self) -> std::result::Result<EngineHealth, String> {
        let budget = PROBE_TIMEOUT.min(self.timeout);
        let client = crate::https::client(Some(budget));
        let mut resp = client
            .get(&self.health_url)
            .send()
            .await
            .map_err(|e| format!("engine health {} unreachable: {e}", self.health_url))?;
        let status = resp.status();
        let body: Value = resp
            .json()
            .limit(MAX_ANSWER_BYTES)
            .await
            .map_err(|e| format!("engine health answered {status} without JSON: {e}"))?;
        let check = |name: &str| body["checks"][name].as_str() == Some("ok");
        if !status.is_success() || body["status"] != "healthy" {
            return Err(format!("engine health is {status} {}", body["status"]));
        }
        for needed in ["engine", "policy_store"] {
            if !check(needed) {
                return Err(format!(
                    "engine check {needed} is {}",
                    body["checks"][needed]
                ));
            }
        }
        Ok(if check("cache") {
            EngineHealth::Healthy
        } else {
            EngineHealth::Degraded
        })
    }

    /// Forward the check; the caller's Authorization header goes along.
    pub async fn decide(
        &self,
        req: &CheckRequest,
        authorization: Option<&str>,
    ) -> Result<Decision> {
        match tokio::time::timeout(self.timeout, self.forward(req, authorization)).await {
            Ok(answer) => answer,
            Err(_) => {
                Err(self.unavailable(format!("no answer within {} ms", self.timeout.as_millis())))
            }
        }
    }

    fn unavailable(&self, detail: String) -> SidecarError {
        SidecarError::UpstreamUnavailable {
            detail: format!("{}: {detail}", self.url),
            retry_after_secs: verdict::DEFAULT_RETRY_AFTER_SECS,
        }
    }

    async fn forward(&self, req: &CheckRequest, authorization: Option<&str>) -> Result<Decision> {
        // A client per call: awc clients are bound to one thread, and the
        // upstream path is not the one being benchmarked.
        let client = crate::https::client(Some(self.timeout));
        let mut call = client.post(&self.url);
        if let Some(auth) = authorization {
            call = call.insert_header(("authorization", auth));
        }
        let mut resp = call
            .send_json(&req.engine_view())
            .await
            .map_err(|e| self.unavailable(e.to_string()))?;
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = resp
            .body()
            .limit(MAX_ANSWER_BYTES)
            .await
            .map_err(|e| SidecarError::UpstreamError(format!("unreadable answer: {e}")))?;
        verdict::read(resp.status().as_u16(), retry_after.as_deref(), &body)
    }
}

/// What the engine's `/health` said, when it is ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineHealth {
    /// Every check ok.
    Healthy,
    /// Ready, but its cache check failed: decisions are slower, not wrong.
    Degraded,
}

impl EngineHealth {
    /// `healthy` or `degraded`.
    pub fn as_str(self) -> &'static str {
        match self {
            EngineHealth::Healthy => "healthy",
            EngineHealth::Degraded => "degraded",
        }
    }
}
