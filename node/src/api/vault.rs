//! `/v1/vault`: versioned secrets with KV-version-2 semantics, scoped by path prefix
//! (`vault:read:agents/*`, `vault:write:agents/*`), every call recorded in the audit log.
//!
//! Refusals that happen here (bad path, missing scope, value too large) are audited by the
//! handler; everything that reaches the vault actor is audited inside its write transaction.

use super::error::ErrorBody;
use super::AppState;
use crate::audit::AuditEntry;
use crate::auth::scope::Need;
use crate::auth::Principal;
use crate::error::{NodeError, Result};
use crate::store::vault::SecretMeta;
use crate::vault::actor::Change;
use crate::vault::path::{validate_path, validate_prefix};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zeroize::Zeroizing;

/// Most versions named in one undelete / destroy call.
pub const MAX_VERSIONS_PER_CALL: usize = 1000;
/// Highest `max_versions` a secret may keep.
pub const MAX_KEPT_VERSIONS: u32 = 1000;

/// Body of `PUT /v1/vault/secrets/{path}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteSecretRequest {
    /// The secret: any JSON object (its JSON encoding is bounded by `vault_max_value_bytes`).
    #[schema(value_type = Object, example = json!({"api_key": "sk_live_..."}))]
    pub data: serde_json::Map<String, serde_json::Value>,
    /// Check-and-set: write only if the current version equals this (0: only if the secret does
    /// not exist). A mismatch is 409 `cas_mismatch` and writes nothing.
    pub cas: Option<u32>,
}

/// Response of a write.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WrittenVersion {
    /// The version just written.
    pub version: u32,
    /// Unix seconds.
    pub created_at: u64,
}

/// A decrypted version.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SecretResponse {
    /// The stored JSON object.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// Its version.
    pub version: u32,
    /// Unix seconds.
    pub created_at: u64,
}

/// `?version=N` on a read.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ReadQuery {
    /// Version to read (default: the newest).
    pub version: Option<u32>,
    /// Wait until this node has applied every change to the secret it has seen (in a cluster:
    /// changes other nodes made that this node has received but not applied yet).
    #[serde(default)]
    pub consistent: bool,
}

/// `?prefix=` on a listing.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only paths starting with this, e.g. `agents/` (default: all).
    pub prefix: Option<String>,
}

/// Body of undelete and destroy.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionsRequest {
    /// Version numbers; unknown (never written or pruned) ones are ignored.
    #[schema(example = json!([1, 2]))]
    pub versions: Vec<u32>,
}

/// Body of `POST /v1/vault/metadata/{path}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetadataUpdate {
    /// Versions to keep (1-1000); the oldest beyond it are pruned now and on later writes.
    pub max_versions: u32,
}

/// The state of a secret and its retained versions (never values).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SecretMetadata {
    /// Secret path.
    pub path: String,
    /// Newest version.
    pub current_version: u32,
    /// Versions kept.
    pub max_versions: u32,
    /// Unix seconds.
    pub created_at: u64,
    /// Unix seconds of the last change.
    pub updated_at: u64,
    /// Retained versions, oldest first.
    pub versions: Vec<VersionInfo>,
}

/// One version's lifecycle state.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VersionInfo {
    /// Version number.
    pub version: u32,
    /// `active`, `deleted` or `destroyed`.
    #[schema(example = "active")]
    pub state: String,
    /// Unix seconds.
    pub created_at: u64,
    /// Unix seconds of the soft delete, if deleted.
    pub deleted_at: Option<u64>,
    /// Whether the ciphertext is gone for good.
    pub destroyed: bool,
}

/// Response of a listing.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SecretList {
    /// Paths the token may read, sorted.
    pub paths: Vec<String>,
}

/// Response of `POST /v1/vault/rewrap`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RewrapResponse {
    /// Versions whose data key was re-wrapped.
    pub rewrapped: u64,
    /// Versions already under the newest vault key version.
    pub unchanged: u64,
    /// The newest version of the `_vault` key.
    pub key_version: u32,
}

fn metadata(path: &str, meta: &SecretMeta) -> SecretMetadata {
    let versions = meta
        .versions
        .iter()
        .map(|(version, s)| VersionInfo {
            version: *version,
            state: match (s.destroyed, s.deleted_at) {
                (true, _) => "destroyed",
                (false, Some(_)) => "deleted",
                (false, None) => "active",
            }
            .to_string(),
            created_at: s.created_at,
            deleted_at: s.deleted_at,
            destroyed: s.destroyed,
        })
        .collect();
    SecretMetadata {
        path: path.to_string(),
        current_version: meta.current_version,
        max_versions: meta.max_versions,
        created_at: meta.created_at,
        updated_at: meta.updated_at,
        versions,
    }
}

/// Validates the path and checks the scope for `action` on it.
fn access(auth: &Principal, path: &str, action: &'static str) -> Result<()> {
    validate_path(path)?;
    Ok(auth.require(Need::on("vault", action, path))?)
}

/// Write a new version.
#[utoipa::path(put, path = "/v1/vault/secrets/{path}", tag = "vault", security(("bearer" = [])),
    params(("path" = String, Path, description = "Secret path, e.g. `agents/billing/stripe`")),
    request_body = WriteSecretRequest,
    responses((status = 200, body = WrittenVersion),
        (status = 400, description = "Invalid path or body", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "No `vault:write` scope covering the path", body = ErrorBody),
        (status = 409, description = "`cas` does not match the current version", body = ErrorBody),
        (status = 413, description = "Value larger than `vault_max_value_bytes`", body = ErrorBody)))]
pub async fn write(
    auth: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<WriteSecretRequest>,
) -> Result<web::Json<WrittenVersion>> {
    let path = path.into_inner();
    let entry = AuditEntry::new(auth.token_id(), "vault.write", &path);
    let body = body.into_inner();
    let value = Zeroizing::new(
        serde_json::to_vec(&body.data).map_err(|e| NodeError::InvalidJson(e.to_string()))?,
    );
    let check = access(&auth, &path, "write").and_then(|()| state.vault.check_size(value.len()));
    state.audit.refused(&entry, check).await?;
    let written = state
        .replicator
        .vault_write(entry, path, value, body.cas)
        .await?;
    Ok(web::Json(WrittenVersion {
        version: written.version,
        created_at: written.created_at,
    }))
}

/// Read the newest version, or `?version=N`.
#[utoipa::path(get, path = "/v1/vault/secrets/{path}", tag = "vault", security(("bearer" = [])),
    params(("path" = String, Path, description = "Secret path"), ReadQuery),
    responses((status = 200, body = SecretResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "`secret_not_found`, `secret_version_not_found` or `secret_version_deleted`", body = ErrorBody),
        (status = 410, description = "`secret_version_destroyed`", body = ErrorBody)))]
pub async fn read(
    auth: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ReadQuery>,
) -> Result<web::Json<SecretResponse>> {
    let path = path.into_inner();
    let entry = AuditEntry::new(auth.token_id(), "vault.read", &path);
    state
        .audit
        .refused(&entry, access(&auth, &path, "read"))
        .await?;
    let result = async {
        if query.consistent {
            state.replicator.settled(&format!("vault:{path}")).await?;
        }
        state.vault.read(&path, query.version).await
    }
    .await;
    let value = state.audit.outcome(&entry, result).await?;
    Ok(web::Json(SecretResponse {
        data: value.data,
        version: value.version,
        created_at: value.created_at,
    }))
}

/// Soft-delete the newest version (`undelete` restores it).
#[utoipa::path(delete, path = "/v1/vault/secrets/{path}", tag = "vault", security(("bearer" = [])),
    params(("path" = String, Path, description = "Secret path")),
    responses((status = 204, description = "Deleted"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    auth: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let path = path.into_inner();
    changed(auth, state, path, "vault.delete", Change::DeleteLatest).await
}

/// Undelete versions.
#[utoipa::path(post, path = "/v1/vault/secrets/{path}/undelete", tag = "vault",
    security(("bearer" = [])), request_body = VersionsRequest,
    params(("path" = String, Path, description = "Secret path")),
    responses((status = 204, description = "Undeleted"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn undelete(
    auth: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<VersionsRequest>,
) -> Result<HttpResponse> {
    let versions = body.into_inner().versions;
    versions_change(
        auth,
        state,
        path,
        "vault.undelete",
        Change::Undelete,
        versions,
    )
    .await
}

/// Destroy versions: their ciphertext is removed for good.
#[utoipa::path(post, path = "/v1/vault/secrets/{path}/destroy", tag = "vault",
    security(("bearer" = [])), request_body = VersionsRequest,
    params(("path" = String, Path, description = "Secret path")),
    responses((status = 204, description = "Destroyed"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn destroy(
    auth: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<VersionsRequest>,
) -> Result<HttpResponse> {
    let versions = body.into_inner().versions;
    versions_change(
        auth,
        state,
        path,
        "vault.destroy",
        Change::Destroy,
        versions,
    )
    .await
}

/// Undelete and destroy: check the list, then apply the change through the actor.
async fn versions_change(
    auth: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    operation: &str,
    what: fn(Vec<u32>) -> Change,
    versions: Vec<u32>,
) -> Result<HttpResponse> {
    if versions.is_empty() || versions.len() > MAX_VERSIONS_PER_CALL {
        return Err(NodeError::InvalidRequest(format!(
            "versions must list 1-{MAX_VERSIONS_PER_CALL} version numbers"
        )));
    }
    changed(auth, state, path.into_inner(), operation, what(versions)).await
}

/// Read a secret's metadata: versions and their states, never values.
#[utoipa::path(get, path = "/v1/vault/metadata/{path}", tag = "vault", security(("bearer" = [])),
    params(("path" = String, Path, description = "Secret path")),
    responses((status = 200, body = SecretMetadata),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn read_metadata(
    auth: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<SecretMetadata>> {
    let path = path.into_inner();
    let entry = AuditEntry::new(auth.token_id(), "vault.metadata.read", &path);
    state
        .audit
        .refused(&entry, access(&auth, &path, "read"))
        .await?;
    let meta = state.audit.outcome(&entry, state.vault.meta(&path)).await?;
    Ok(web::Json(metadata(&path, &meta)))
}

/// Set how many versions a secret keeps.
#[utoipa::path(post, path = "/v1/vault/metadata/{path}", tag = "vault", security(("bearer" = [])),
    params(("path" = String, Path, description = "Secret path")),
    request_body = MetadataUpdate,
    responses((status = 200, body = SecretMetadata),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_metadata(
    auth: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<MetadataUpdate>,
) -> Result<web::Json<SecretMetadata>> {
    let max = body.max_versions;
    if max == 0 || max > MAX_KEPT_VERSIONS {
        return Err(NodeError::InvalidRequest(format!(
            "max_versions must be between 1 and {MAX_KEPT_VERSIONS}"
        )));
    }
    let path = path.into_inner();
    let meta = change(
        auth,
        state,
        path.clone(),
        "vault.metadata.update",
        Change::MaxVersions(max),
    )
    .await?
    .ok_or(NodeError::Internal("metadata vanished during an update"))?;
    Ok(web::Json(metadata(&path, &meta)))
}

/// Delete a secret with every version.
#[utoipa::path(delete, path = "/v1/vault/metadata/{path}", tag = "vault",
    security(("bearer" = [])),
    params(("path" = String, Path, description = "Secret path")),
    responses((status = 204, description = "Secret and all versions removed"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_metadata(
    auth: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let path = path.into_inner();
    changed(
        auth,
        state,
        path,
        "vault.metadata.delete",
        Change::DeleteAll,
    )
    .await
}

async fn change(
    auth: Principal,
    state: web::Data<AppState>,
    path: String,
    operation: &str,
    what: Change,
) -> Result<Option<SecretMeta>> {
    let entry = AuditEntry::new(auth.token_id(), operation, &path);
    state
        .audit
        .refused(&entry, access(&auth, &path, "write"))
        .await?;
    state.replicator.vault_modify(entry, path, what).await
}

/// [`change`] for the routes that answer 204 No Content.
async fn changed(
    auth: Principal,
    state: web::Data<AppState>,
    path: String,
    operation: &str,
    what: Change,
) -> Result<HttpResponse> {
    change(auth, state, path, operation, what).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List secret paths (not values) under a prefix; paths the token may not read are left out.
#[utoipa::path(get, path = "/v1/vault/secrets", tag = "vault", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = SecretList),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    auth: Principal,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<SecretList>> {
    let prefix = query.into_inner().prefix.unwrap_or_default();
    let entry = AuditEntry::new(auth.token_id(), "vault.list", &prefix);
    state
        .audit
        .refused(&entry, validate_prefix(&prefix).map_err(Into::into))
        .await?;
    let result = state.vault.paths(&prefix).map(|paths| {
        paths
            .into_iter()
            .filter(|p| auth.require(Need::on("vault", "read", p)).is_ok())
            .collect()
    });
    let paths = state.audit.outcome(&entry, result).await?;
    Ok(web::Json(SecretList { paths }))
}

/// Re-wrap every data key under the newest `_vault` key version (admin). Rotate the key first
/// with `POST /v1/keys/_vault/rotate`. No value is decrypted.
#[utoipa::path(post, path = "/v1/vault/rewrap", tag = "vault", security(("bearer" = [])),
    responses((status = 200, body = RewrapResponse),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn rewrap(
    auth: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<RewrapResponse>> {
    let entry = AuditEntry::new(auth.token_id(), "vault.rewrap", "*");
    let checked = auth
        .require(Need::any("admin", "admin"))
        .map_err(Into::into);
    state.audit.refused(&entry, checked).await?;
    let done = state.vault.rewrap(entry).await?;
    Ok(web::Json(RewrapResponse {
        rewrapped: done.rewrapped,
        unchanged: done.unchanged,
        key_version: done.key_version,
    }))
}

/// Registers the vault routes inside the `/v1` scope.
pub fn routes(cfg: &mut web::ServiceConfig) {
    const SECRET: &str = "/vault/secrets/{path:.+}";
    const METADATA: &str = "/vault/metadata/{path:.+}";
    cfg.route("/vault/secrets", web::get().to(list))
        .route(
            "/vault/secrets/{path:.+}/undelete",
            web::post().to(undelete),
        )
        .route("/vault/secrets/{path:.+}/destroy", web::post().to(destroy))
        .route(SECRET, web::put().to(write))
        .route(SECRET, web::get().to(read))
        .route(SECRET, web::delete().to(delete))
        .route(METADATA, web::get().to(read_metadata))
        .route(METADATA, web::post().to(update_metadata))
        .route(METADATA, web::delete().to(delete_metadata))
        .route("/vault/rewrap", web::post().to(rewrap));
}
