//! The AuthZ sidecar as the console reaches it: this node relays a fixed set of the sidecar's
//! routes, so the page never talks to another origin and its CSP stays `connect-src 'self'`.
//! Only these routes can be reached; the sidecar's admin token stays on the node.

use crate::config::Secret;
use crate::error::{NodeError, Result};
use awc::http::Method;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Budget for one relayed call (signing with every algorithm for a comparison takes a few ms).
const TIMEOUT: Duration = Duration::from_secs(10);
/// Largest sidecar answer relayed (a comparison carries a token per algorithm).
const MAX_ANSWER: usize = 2 * 1024 * 1024;

/// What can go wrong relaying to the AuthZ sidecar.
#[derive(Debug, thiserror::Error)]
pub enum SidecarError {
    /// The node was started without an AuthZ sidecar URL.
    #[error("no AuthZ sidecar is configured for this node (CRETOAI_AUTHZ_SIDECAR_URL)")]
    NotConfigured,
    /// The AuthZ sidecar could not be reached or did not answer as expected.
    #[error("AuthZ sidecar: {0}")]
    Failed(String),
}

/// The sidecar routes the console may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SidecarRoute {
    /// `GET /v1/mode`: mode, signing algorithm, accepted algorithms.
    Mode,
    /// `GET /v1/compare`: per-algorithm sign/verify time and sizes over recent checks.
    Compare,
    /// `GET /v1/anchor`: where decisions are anchored.
    Anchor,
    /// `POST /v1/authorization/check`: decide and sign.
    Check,
    /// `POST /v1/tokens/verify`: verify a decision token under the current mode.
    Verify,
    /// `PUT /v1/admin/mode`: switch mode (with the sidecar's admin token).
    SetMode,
}

impl SidecarRoute {
    fn target(self) -> (Method, &'static str) {
        match self {
            SidecarRoute::Mode => (Method::GET, "/v1/mode"),
            SidecarRoute::Compare => (Method::GET, "/v1/compare"),
            SidecarRoute::Anchor => (Method::GET, "/v1/anchor"),
            SidecarRoute::Check => (Method::POST, "/v1/authorization/check"),
            SidecarRoute::Verify => (Method::POST, "/v1/tokens/verify"),
            SidecarRoute::SetMode => (Method::PUT, "/v1/admin/mode"),
        }
    }
}

/// The sidecar's answer: its status and JSON body, relayed as they are (its errors carry
/// stable codes of their own, e.g. `alg_not_accepted`).
#[derive(Debug)]
pub struct SidecarAnswer {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: Value,
}

/// Where the sidecar is, if anywhere.
#[derive(Debug, Clone, Default)]
pub struct Sidecar {
    base: Option<String>,
    admin_token: Option<Secret>,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl Sidecar {
    /// A sidecar at `base` (e.g. `https://127.0.0.1:8090`), or none; `tls` verifies an
    /// https sidecar (the CA from `--tls-trust`).
    pub fn new(
        base: Option<String>,
        admin_token: Option<Secret>,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> Self {
        Sidecar {
            base: base.map(|b| b.trim_end_matches('/').to_string()),
            admin_token,
            tls,
        }
    }

    /// Calls `route` with `body` (JSON) and relays the answer.
    pub async fn call(&self, route: SidecarRoute, body: Option<&Value>) -> Result<SidecarAnswer> {
        let base = self
            .base
            .as_ref()
            .ok_or(NodeError::Sidecar(SidecarError::NotConfigured))?;
        let (method, path) = route.target();
        let connector = match &self.tls {
            Some(tls) => awc::Connector::new().rustls_0_23(tls.clone()),
            None => awc::Connector::new(),
        };
        let client = awc::Client::builder()
            .connector(connector)
            .timeout(TIMEOUT)
            .finish();
        let mut request = client.request(method, format!("{base}{path}"));
        // Checks need the token too when the sidecar listens off loopback (each can write an
        // anchor transaction); the admin token carries that right.
        match (&self.admin_token, route) {
            (Some(token), _) => request = request.bearer_auth(token.expose()),
            (None, SidecarRoute::SetMode) => {
                return Err(NodeError::Sidecar(SidecarError::Failed(
                    "this node has no sidecar admin token (CRETOAI_AUTHZ_SIDECAR_TOKEN)".into(),
                )))
            }
            (None, _) => {}
        }
        let sent = match body {
            Some(b) => request.send_json(b).await,
            None => request.send().await,
        };
        let mut response =
            sent.map_err(|e| NodeError::Sidecar(SidecarError::Failed(format!("{path}: {e}"))))?;
        let status = response.status().as_u16();
        if status == 401 {
            // The node's token, not the caller's: a 401 here would sign the console out.
            return Err(NodeError::Sidecar(SidecarError::Failed(
                "the sidecar refused this node's token (CRETOAI_AUTHZ_SIDECAR_TOKEN)".into(),
            )));
        }
        let body = response
            .json::<Value>()
            .limit(MAX_ANSWER)
            .await
            .map_err(|e| NodeError::Sidecar(SidecarError::Failed(format!("{path}: {e}"))))?;
        Ok(SidecarAnswer { status, body })
    }
}
