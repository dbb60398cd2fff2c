//! `/v1/consensus/*`: submit transactions (pre-signed, or signed here with a named ML-DSA
//! key), read their status, and see the node's and its peers' state. Vertices are browsed in
//! [`super::vertices`].

use super::batch::BatchItem;
use super::error::ErrorBody;
use super::{blocking, decode_field, parse_id, tx_frames, AppState};
use crate::auth::scope::Need;
use crate::auth::Principal;
use crate::consensus::submission::Intake;
use crate::consensus::{now_ms, tx_hex};
use crate::error::{NodeError, Result};
use actix_web::{web, HttpResponse};
use cretoai_consensus::{TxId, TxStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Body of `POST /v1/consensus/transactions`: `transaction`, or `key` with `payload`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// Standard base64 of a transaction's canonical bytes, signed by its sender
    /// (docs/formats-consensus.md).
    pub transaction: Option<String>,
    /// Name of an ML-DSA key of this node's key store; the node signs with its latest version.
    #[schema(example = "payments-signer")]
    pub key: Option<String>,
    /// With `key`: standard base64 of the payload.
    #[schema(example = "aGVsbG8=")]
    pub payload: Option<String>,
    /// With `key`: the nonce (default: the key's next unused nonce in this node's own range, so
    /// nodes signing with one replicated key never collide).
    pub nonce: Option<u64>,
}

/// Response of a submission: the transaction is durable at this node.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SubmitResponse {
    /// Hex transaction id (SHA-256 of the unsigned body).
    pub tx_id: String,
}

/// One batch result: a `SubmitResponse` or an error object.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum SubmitBatchItem {
    /// The item was accepted for consensus.
    Ok(SubmitResponse),
    /// The item failed.
    Err(ErrorBody),
}

/// A transaction's state at this node.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TransactionStatus {
    /// Hex id.
    pub tx_id: String,
    /// `pending`, `accepted` or `rejected`.
    #[schema(example = "accepted")]
    pub status: String,
    /// Hex id of the vertex it was decided through here: the latest vertex that carried it
    /// while it was undecided (a transaction stranded beside the loser of a double spend is
    /// re-issued in a new vertex under the same id).
    pub vertex: Option<String>,
    /// When this node first saw it (submitted or in a vertex), Unix ms.
    pub submitted_at: u64,
    /// When this node accepted it, Unix ms.
    pub accepted_at: Option<u64>,
    /// When this node decided it (accepted or rejected), Unix ms.
    pub decided_at: Option<u64>,
    /// `accepted_at - submitted_at`.
    pub finality_ms: Option<u64>,
}

/// One peer of the cluster.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PeerInfo {
    /// Hex node id (pinned).
    pub node_id: String,
    /// QUIC address.
    pub address: String,
    /// Whether the connection to it is up.
    pub connected: bool,
    /// Smoothed round-trip time, ms.
    pub rtt_ms: Option<f64>,
    /// Negotiated TLS key-exchange group, e.g. `X25519MLKEM768`.
    pub key_exchange_group: Option<String>,
    /// Failed dials since the last success.
    pub failed_attempts: u32,
    /// Whether this node knows the peer's vertex key (learned over the pinned connection). Until
    /// it does, that peer's vertices are not accepted; a fresh cluster starts once a majority of
    /// the validators' keys is known.
    pub key_known: bool,
}

/// Transaction counts at this node.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TxCounts {
    /// Known, undecided.
    pub pending: u64,
    /// Accepted.
    pub accepted: u64,
    /// Rejected.
    pub rejected: u64,
}

/// Finality percentiles over the recent window, ms.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Finality {
    /// Median.
    pub p50_ms: Option<u64>,
    /// 95th percentile.
    pub p95_ms: Option<u64>,
    /// 99th percentile.
    pub p99_ms: Option<u64>,
    /// Acceptances measured.
    pub samples: usize,
}

/// `GET /v1/consensus/status`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsensusStatus {
    /// Hex node id (SHA-256 of the node's ML-DSA-65 public key).
    pub node_id: String,
    /// Whether consensus runs (false while peer keys are still being learned).
    pub active: bool,
    /// This node's latest own round.
    pub round: Option<u64>,
    /// Vertices in the DAG.
    pub vertices: u64,
    /// Submitted transactions waiting for a vertex.
    pub pending_submissions: usize,
    /// Transactions by status.
    pub transactions: TxCounts,
    /// Admission bound in force: at this many undecided transactions, submissions get `429
    /// overloaded`. It follows the acceptance rate (350 ms of it over the last 2 s, at least
    /// 2,000), capped by `--consensus-max-undecided`.
    pub max_undecided: usize,
    /// Submission requests refused with `429 overloaded` since the node started.
    pub overloaded_requests: u64,
    /// The liveness bound, ms: once the validators reach one another again, every
    /// acknowledged transaction is decided within it.
    pub decision_bound_ms: u64,
    /// Undecided transactions first seen here longer ago than `decision_bound_ms`: nonzero
    /// only while validators cannot reach one another, or if a transaction is stuck.
    pub overdue_transactions: usize,
    /// Age of the oldest undecided transaction known here, ms (absent when none).
    pub oldest_pending_ms: Option<u64>,
    /// Peers (empty for a single-node cluster).
    pub peers: Vec<PeerInfo>,
    /// Width of the window below, seconds.
    pub window_seconds: u64,
    /// Accepted transactions per second over the window.
    pub accepted_tps: f64,
    /// Finality over the window.
    pub finality: Finality,
}

/// Submit one transaction.
#[utoipa::path(post, path = "/v1/consensus/transactions", tag = "consensus",
    security(("bearer" = [])), request_body = SubmitRequest,
    responses((status = 202, description = "Durable at this node, pending consensus", body = SubmitResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, description = "Too many undecided transactions; retry after `Retry-After` seconds", body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn submit(
    auth: Principal,
    state: web::Data<AppState>,
    body: web::Json<SubmitRequest>,
) -> Result<HttpResponse> {
    auth.require(Need::any("consensus", "submit"))?;
    let intake = vec![intake(&auth, body.into_inner())];
    let mut out = state.submissions.submit(intake).await?;
    let tx_id = out.pop().ok_or(NodeError::Internal("empty submission"))??;
    Ok(HttpResponse::Accepted().json(SubmitResponse {
        tx_id: tx_hex(&tx_id),
    }))
}

/// Submit many transactions; each result is a `SubmitResponse` or an error object.
///
/// With `Content-Type: application/octet-stream` the body is pre-signed transactions in binary
/// (`TxFrames`: no JSON, no base64); a malformed frame fails the request, an invalid
/// transaction only its item.
#[utoipa::path(post, path = "/v1/consensus/transactions/batch", tag = "consensus",
    security(("bearer" = [])),
    request_body(content((Vec<SubmitRequest> = "application/json"),
        (tx_frames::TxFrames = "application/octet-stream"))),
    responses((status = 202, body = Vec<SubmitBatchItem>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 429, description = "Too many undecided transactions; retry after `Retry-After` seconds", body = ErrorBody)))]
pub async fn submit_batch(
    auth: Principal,
    state: web::Data<AppState>,
    body: web::Json<Vec<serde_json::Value>>,
) -> Result<HttpResponse> {
    let items = body.into_inner();
    if items.is_empty() || items.len() > state.max_batch_items {
        return Err(NodeError::InvalidRequest(format!(
            "a batch holds 1 to {} items, got {}",
            state.max_batch_items,
            items.len()
        )));
    }
    auth.require(Need::any("consensus", "submit"))?;
    let intake = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            serde_json::from_value::<SubmitRequest>(item)
                .map_err(|e| NodeError::InvalidJson(format!("item {i}: {e}")))
                .and_then(|req| intake(&auth, req))
        })
        .collect();
    batch_response(state.submissions.submit(intake).await?)
}

/// The batch form with `Content-Type: application/octet-stream`: pre-signed transactions,
/// each its canonical bytes after a 4-byte big-endian length ([`super::tx_frames`]). Answers
/// as the JSON form does (documented there: one OpenAPI operation per path and method).
pub async fn submit_batch_binary(
    auth: Principal,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let items = tx_frames::decode(&body, state.max_batch_items, &state.consensus.limits)?;
    auth.require(Need::any("consensus", "submit"))?;
    let intake = items.into_iter().map(|r| r.map(Intake::Decoded)).collect();
    batch_response(state.submissions.submit(intake).await?)
}

fn batch_response(results: Vec<Result<TxId>>) -> Result<HttpResponse> {
    let out: Vec<BatchItem<SubmitResponse>> = results
        .into_iter()
        .map(|r| match r {
            Ok(id) => BatchItem::Ok(SubmitResponse { tx_id: tx_hex(&id) }),
            Err(e) => BatchItem::Err(ErrorBody::from(&e)),
        })
        .collect();
    Ok(HttpResponse::Accepted().json(out))
}

/// One request to an item of a submission; signing here needs the `crypto:sign` scope on
/// the key.
fn intake(auth: &Principal, req: SubmitRequest) -> Result<Intake> {
    match (req.transaction, req.key, req.payload) {
        (Some(encoded), None, None) if req.nonce.is_none() => {
            Ok(Intake::Encoded(decode_field("transaction", &encoded)?))
        }
        (None, Some(key), Some(payload)) => {
            auth.require(Need::on("crypto", "sign", &key))?;
            Ok(Intake::Sign {
                payload: decode_field("payload", &payload)?,
                key,
                nonce: req.nonce,
            })
        }
        _ => Err(NodeError::InvalidRequest(
            "give either `transaction`, or `key` with `payload` (and optionally `nonce`)".into(),
        )),
    }
}

/// A transaction's status at this node.
#[utoipa::path(get, path = "/v1/consensus/transactions/{id}", tag = "consensus",
    security(("bearer" = [])), params(("id" = String, Path, description = "Hex transaction id")),
    responses((status = 200, body = TransactionStatus), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn transaction(
    auth: Principal,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<TransactionStatus>> {
    auth.require(Need::any("consensus", "read"))?;
    let id = TxId(parse_id("transaction id", &id)?);
    let store = state.consensus.store.clone();
    let row = blocking(move || store.consensus_tx(&id))
        .await?
        .ok_or_else(|| NodeError::TransactionNotFound(tx_hex(&id)))?;
    Ok(web::Json(TransactionStatus {
        tx_id: tx_hex(&id),
        status: status_name(row.status).into(),
        vertex: row.vertex.map(|v| hex::encode(v.0)),
        submitted_at: row.submitted_at,
        accepted_at: row.decided_at.filter(|_| row.status == TxStatus::Accepted),
        decided_at: row.decided_at,
        finality_ms: row.finality_ms(),
    }))
}

/// Node id, round, counts, peers with their links, recent TPS and finality.
#[utoipa::path(get, path = "/v1/consensus/status", tag = "consensus",
    security(("bearer" = [])),
    responses((status = 200, body = ConsensusStatus), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn status(
    auth: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<ConsensusStatus>> {
    auth.require(Need::any("consensus", "read"))?;
    let c = &state.consensus;
    let store = c.store.clone();
    let (vertices, counts) = blocking(move || store.consensus_counts()).await?;
    let validators = c.validators();
    let view = c.view();
    let window = c.stats.window(now_ms());
    let overdue = c.overdue();
    let peers = c.network().map(|n| n.peers()).unwrap_or_default();
    Ok(web::Json(ConsensusStatus {
        node_id: hex::encode(c.node_id().0),
        active: view.active,
        round: view.round,
        vertices,
        pending_submissions: view.pending_len,
        transactions: TxCounts {
            pending: counts[0],
            accepted: counts[1],
            rejected: counts[2],
        },
        max_undecided: c.max_undecided(),
        decision_bound_ms: cretoai_consensus::DECISION_BOUND_MS,
        overdue_transactions: overdue.count,
        oldest_pending_ms: overdue.oldest_age_ms,
        overloaded_requests: c
            .stats
            .overloaded
            .load(std::sync::atomic::Ordering::Relaxed),
        peers: peers
            .into_iter()
            .map(|p| PeerInfo {
                node_id: p.node_id.to_string(),
                address: p.address.to_string(),
                connected: p.connected,
                rtt_ms: p.rtt.map(|d| d.as_secs_f64() * 1000.0),
                key_exchange_group: p.key_exchange_group,
                failed_attempts: p.failed_attempts,
                key_known: validators
                    .as_ref()
                    .is_some_and(|v| v.author_key(&p.node_id).is_ok()),
            })
            .collect(),
        window_seconds: crate::consensus::stats::WINDOW_MS / 1000,
        accepted_tps: window.accepted_tps,
        finality: Finality {
            p50_ms: window.p50_ms,
            p95_ms: window.p95_ms,
            p99_ms: window.p99_ms,
            samples: window.samples,
        },
    }))
}

fn status_name(s: TxStatus) -> &'static str {
    match s {
        TxStatus::Pending => "pending",
        TxStatus::Accepted => "accepted",
        TxStatus::Rejected => "rejected",
    }
}
