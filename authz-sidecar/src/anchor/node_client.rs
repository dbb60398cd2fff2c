//! Submitting a signed transaction to a CretoAI node:
//! `POST {node_url}/v1/consensus/transactions` with `{"transaction": base64}`.
//!
//! One awc client per worker thread (awc clients are bound to their thread),
//! reused across checks so the connection to the node stays alive and each
//! anchor costs one request, not one TCP handshake plus a request.

use crate::config::Secret;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Value};
use std::time::Duration;
use zeroize::Zeroizing;

/// Largest node answer read.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

thread_local! {
    // The budget is set per request (the configured anchor timeout).
    static CLIENT: awc::Client = crate::https::client(None);
}

/// Why a decision could not be anchored; `code` goes into the check answer's
/// `sidecar.anchor_error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AnchorFailure {
    /// No connection to the node (refused, DNS, reset).
    Unreachable,
    /// The node did not answer within the anchor timeout.
    Timeout,
    /// The node refused the transaction (4xx: bad token, scope, conflict).
    Refused,
    /// The node failed or is not ready (5xx).
    NodeError,
    /// The node answered 2xx with a body that is not the expected one, or a
    /// transaction id other than the one signed.
    BadAnswer,
    /// The sidecar could not build the transaction (nonce store, signing).
    Internal,
}

impl AnchorFailure {
    /// Every failure, for counters.
    pub const ALL: [AnchorFailure; 6] = [
        AnchorFailure::Unreachable,
        AnchorFailure::Timeout,
        AnchorFailure::Refused,
        AnchorFailure::NodeError,
        AnchorFailure::BadAnswer,
        AnchorFailure::Internal,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            AnchorFailure::Unreachable => "node_unreachable",
            AnchorFailure::Timeout => "node_timeout",
            AnchorFailure::Refused => "node_refused",
            AnchorFailure::NodeError => "node_error",
            AnchorFailure::BadAnswer => "node_bad_answer",
            AnchorFailure::Internal => "anchor_internal",
        }
    }
}

/// A failure and, when the node said why, its error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    /// What went wrong.
    pub failure: AnchorFailure,
    /// The node's `error.code` or the HTTP status, when there was an answer.
    pub detail: Option<String>,
}

impl Failed {
    fn new(failure: AnchorFailure, detail: Option<String>) -> Self {
        Failed { failure, detail }
    }
}

/// The node a sidecar anchors to.
pub struct NodeClient {
    submit_url: String,
    token: Secret,
    timeout: Duration,
}

impl NodeClient {
    /// `base_url` without the `/v1/...` path.
    pub fn new(base_url: &str, token: Secret, timeout: Duration) -> Self {
        NodeClient {
            submit_url: format!(
                "{}/v1/consensus/transactions",
                base_url.trim_end_matches('/')
            ),
            token,
            timeout,
        }
    }

    /// Submit the canonical bytes of a signed transaction; returns the tx id
    /// the node reports.
    pub async fn submit(&self, transaction: &[u8]) -> Result<String, Failed> {
        match tokio::time::timeout(self.timeout, self.exchange(transaction)).await {
            Ok(answer) => answer,
            Err(_) => Err(Failed::new(AnchorFailure::Timeout, None)),
        }
    }

    async fn exchange(&self, transaction: &[u8]) -> Result<String, Failed> {
        let body = json!({ "transaction": B64.encode(transaction) });
        let bearer = Zeroizing::new(format!("Bearer {}", self.token.expose()));
        let request = CLIENT.with(|c| {
            c.post(&self.submit_url)
                .timeout(self.timeout)
                .insert_header(("authorization", bearer.as_str()))
        });
        let mut resp = request.send_json(&body).await.map_err(|e| match e {
            awc::error::SendRequestError::Timeout => Failed::new(AnchorFailure::Timeout, None),
            awc::error::SendRequestError::Url(_) | awc::error::SendRequestError::Http(_) => {
                Failed::new(AnchorFailure::Internal, Some(e.to_string()))
            }
            other => Failed::new(AnchorFailure::Unreachable, Some(other.to_string())),
        })?;
        let status = resp.status();
        let answer: Option<Value> = resp.json().limit(MAX_ANSWER_BYTES).await.ok();
        if !status.is_success() {
            let kind = if status.is_client_error() {
                AnchorFailure::Refused
            } else {
                AnchorFailure::NodeError
            };
            let detail = answer
                .as_ref()
                .and_then(|a| a["error"]["code"].as_str())
                .map_or_else(|| status.as_u16().to_string(), str::to_string);
            return Err(Failed::new(kind, Some(detail)));
        }
        answer
            .as_ref()
            .and_then(|a| a["tx_id"].as_str())
            .map(str::to_string)
            .ok_or_else(|| Failed::new(AnchorFailure::BadAnswer, Some("no tx_id".into())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_codes_are_distinct() {
        let mut codes: Vec<_> = AnchorFailure::ALL.iter().map(|f| f.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), AnchorFailure::ALL.len());
        assert_eq!(AnchorFailure::Unreachable.code(), "node_unreachable");
    }

    #[actix_web::test]
    async fn a_closed_port_is_unreachable_and_never_hangs() {
        // Bind then drop: the port is free and nothing listens on it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let client = NodeClient::new(
            &format!("http://127.0.0.1:{port}/"),
            Secret::from("t".to_string()),
            Duration::from_millis(500),
        );
        assert_eq!(
            client.submit_url,
            format!("http://127.0.0.1:{port}/v1/consensus/transactions")
        );
        let failed = client.submit(b"tx").await.unwrap_err();
        assert_eq!(failed.failure, AnchorFailure::Unreachable, "{failed:?}");
    }
}
