//! The REST API: one module per resource. Handlers parse the request, check the token's
//! scope, call a service ([`crate::consensus::submission`], [`crate::keys::operations`],
//! [`crate::vault`], [`crate::keys::KeyRing`]) and map its errors, in [`error`] only.

pub mod audit;
pub mod auth;
pub mod authz;
pub mod batch;
pub mod cluster;
pub mod consensus;
pub mod crypto;
pub mod dashboard;
pub mod error;
pub mod events;
pub mod health;
pub mod keys;
pub mod openapi;
pub mod sys;
pub mod tx_frames;
pub mod vault;
pub mod vertices;

use crate::audit::AuditLog;
use crate::cluster::ClusterView;
use crate::consensus::submission::Submissions;
use crate::consensus::ConsensusHandle;
use crate::crypto_pool::CryptoPool;
use crate::error::{NodeError, Result};
use crate::keys::operations::KeyOperations;
use crate::keys::KeyRing;
use crate::metrics::Metrics;
use crate::sidecar::Sidecar;
use crate::store::Store;
use crate::vault::Vault;
use actix_web::{guard, web};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::sync::Arc;

/// Everything a handler needs, shared by all workers.
pub struct AppState {
    /// Named keys: reads via the directory (changes go through `replicator`).
    pub keys: KeyRing,
    /// Threads for the crypto work.
    pub pool: CryptoPool,
    /// Prometheus counters.
    pub metrics: Arc<Metrics>,
    /// The database (for readiness checks).
    pub store: Store,
    /// Largest batch accepted.
    pub max_batch_items: usize,
    /// Secrets: reads from redb snapshots (changes go through `replicator`).
    pub vault: Vault,
    /// The hash-chained audit log.
    pub audit: AuditLog,
    /// Consensus: status, events.
    pub consensus: ConsensusHandle,
    /// Consensus submission.
    pub submissions: Submissions,
    /// Encrypt, decrypt, sign and verify with named or bare keys.
    pub key_operations: KeyOperations,
    /// What this node knows of every member of the cluster.
    pub cluster: ClusterView,
    /// The AuthZ sidecar whose demo routes this node relays.
    pub sidecar: Sidecar,
    /// Every key, vault and token change, replicated to the cluster.
    pub replicator: crate::replication::Replicator,
}

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health::health))
        .route("/ready", web::get().to(health::ready))
        .route("/metrics", web::get().to(health::metrics))
        .configure(dashboard::routes)
        .service(
            web::scope("/v1")
                .route("/consensus/transactions", web::post().to(consensus::submit))
                .service(
                    web::resource("/consensus/transactions/batch")
                        .route(
                            web::post()
                                .guard(guard::Header("content-type", tx_frames::MEDIA_TYPE))
                                .to(consensus::submit_batch_binary),
                        )
                        .route(web::post().to(consensus::submit_batch)),
                )
                .route(
                    "/consensus/transactions/{id}",
                    web::get().to(consensus::transaction),
                )
                .route("/consensus/vertices", web::get().to(vertices::vertices))
                .route("/consensus/vertices/{id}", web::get().to(vertices::vertex))
                .route("/consensus/status", web::get().to(consensus::status))
                .route("/cluster/status", web::get().to(cluster::status))
                .route("/cluster/history", web::get().to(cluster::history))
                .route("/events", web::get().to(events::events))
                .route("/keys", web::post().to(keys::create))
                .route("/keys", web::get().to(keys::list))
                .route("/keys/{name}", web::get().to(keys::read))
                .route("/keys/{name}", web::delete().to(keys::delete))
                .route("/keys/{name}/rotate", web::post().to(keys::rotate))
                .route("/keys/{name}/config", web::post().to(keys::configure))
                .route("/encrypt", web::post().to(crypto::encrypt))
                .route("/encrypt/batch", web::post().to(crypto::encrypt_batch))
                .route("/decrypt", web::post().to(crypto::decrypt))
                .route("/decrypt/batch", web::post().to(crypto::decrypt_batch))
                .route("/sign", web::post().to(crypto::sign))
                .route("/sign/batch", web::post().to(crypto::sign_batch))
                .route("/verify", web::post().to(crypto::verify))
                .route("/verify/batch", web::post().to(crypto::verify_batch))
                .route("/auth/tokens", web::post().to(auth::create_token))
                .route("/auth/tokens/self", web::get().to(auth::own_token))
                .route("/sys/connection", web::get().to(sys::connection))
                .route("/auth/tokens/{id}", web::delete().to(auth::revoke_token))
                .route("/authz/mode", web::get().to(authz::mode))
                .route("/authz/mode", web::put().to(authz::set_mode))
                .route("/authz/check", web::post().to(authz::check))
                .route("/authz/verify", web::post().to(authz::verify))
                .route("/authz/compare", web::get().to(authz::compare))
                .route("/authz/anchor", web::get().to(authz::anchor))
                .configure(vault::routes)
                .configure(audit::routes),
        );
}

/// Decodes a standard-base64 request field; the error names the field.
pub(crate) fn decode_field(field: &'static str, value: &str) -> Result<Vec<u8>> {
    STANDARD
        .decode(value)
        .map_err(|_| NodeError::InvalidBase64(field))
}

/// Runs blocking work (redb reads and writes) on actix's blocking pool, off the async
/// workers; a pool that is shutting down answers `503 unavailable`.
pub(crate) async fn blocking<T, F>(work: F) -> Result<T>
where
    F: FnOnce() -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    web::block(work)
        .await
        .map_err(|_| NodeError::Unavailable("blocking pool"))?
}

/// Parses a 64-hex-digit id from a path; the error names what it identifies.
pub(crate) fn parse_id(what: &str, text: &str) -> Result<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out)
        .map_err(|_| NodeError::InvalidRequest(format!("{what} must be 64 hex digits")))?;
    Ok(out)
}

/// Decodes an optional base64 field, absent meaning empty.
pub(crate) fn decode_optional(field: &'static str, value: Option<&str>) -> Result<Vec<u8>> {
    value.map_or(Ok(Vec::new()), |v| decode_field(field, v))
}

/// Standard base64 for response fields.
pub(crate) fn encode_field(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}
