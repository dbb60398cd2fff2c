//! `/v1/keys`: create, list, read, rotate, configure and delete named keys.

use super::error::ErrorBody;
use super::{encode_field, AppState};
use crate::audit::AuditEntry;
use crate::auth::scope::Need;
use crate::auth::Principal;
use crate::error::{NodeError, Result};
use crate::keys::key_ring::{KeyType, NamedKey};
use crate::metrics::CryptoOp;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Body of `POST /v1/keys`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyRequest {
    /// Unique name: 1-128 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit.
    #[schema(example = "payments-signer")]
    pub name: String,
    /// `ml-kem-768` (encrypt/decrypt) or `ml-dsa-44` / `ml-dsa-65` / `ml-dsa-87` (sign/verify).
    #[serde(rename = "type")]
    #[schema(example = "ml-dsa-65")]
    pub key_type: String,
    /// Whether `DELETE` is allowed (default false).
    #[serde(default)]
    pub deletion_allowed: bool,
}

/// Body of `POST /v1/keys/{name}/config`; absent fields stay unchanged.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyConfigRequest {
    /// Versions below this no longer decrypt or verify (1..=latest).
    pub min_decryption_version: Option<u32>,
    /// Whether `DELETE` is allowed.
    pub deletion_allowed: Option<bool>,
}

/// A named key with the public keys of its live versions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyInfo {
    /// Key name.
    pub name: String,
    /// Algorithm.
    #[serde(rename = "type")]
    #[schema(example = "ml-dsa-65")]
    pub key_type: String,
    /// Newest version (used for encrypt and sign).
    pub latest_version: u32,
    /// Oldest version that still decrypts / verifies.
    pub min_decryption_version: u32,
    /// Whether `DELETE` is allowed.
    pub deletion_allowed: bool,
    /// Unix seconds.
    pub created_at: u64,
    /// Live versions (>= min_decryption_version), oldest first.
    pub versions: Vec<KeyVersionInfo>,
}

/// One live version's public key.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyVersionInfo {
    /// Version number.
    pub version: u32,
    /// Unix seconds.
    pub created_at: u64,
    /// Standard base64 of the encoded public key (FIPS 203 encapsulation key or FIPS 204
    /// verifying key).
    pub public_key: String,
}

/// One entry of `GET /v1/keys`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KeySummary {
    /// Key name.
    pub name: String,
    /// Algorithm.
    #[serde(rename = "type")]
    pub key_type: String,
    /// Newest version.
    pub latest_version: u32,
}

/// Response of `GET /v1/keys`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyList {
    /// Every key, sorted by name.
    pub keys: Vec<KeySummary>,
}

impl From<&NamedKey> for KeyInfo {
    fn from(key: &NamedKey) -> Self {
        let mut versions: Vec<_> = key
            .live_versions()
            .map(|v| KeyVersionInfo {
                version: v.version,
                created_at: v.created_at,
                public_key: encode_field(v.material.public_key()),
            })
            .collect();
        versions.reverse();
        KeyInfo {
            name: key.name.clone(),
            key_type: key.key_type.as_str().to_string(),
            latest_version: key.latest_version(),
            min_decryption_version: key.min_decryption_version,
            deletion_allowed: key.deletion_allowed,
            created_at: key.created_at,
            versions,
        }
    }
}

/// Create a named key (version 1).
#[utoipa::path(post, path = "/v1/keys", tag = "keys", request_body = CreateKeyRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Key created", body = KeyInfo),
        (status = 400, description = "Bad name or unknown type", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "Name taken", body = ErrorBody)))]
pub async fn create(
    auth: Principal,
    state: web::Data<AppState>,
    body: web::Json<CreateKeyRequest>,
) -> Result<HttpResponse> {
    let body = body.into_inner();
    let entry = AuditEntry::new(auth.token_id(), "key.create", &body.name);
    may_administer(&auth, &state, &entry, &body.name).await?;
    let key_type = state
        .audit
        .refused(&entry, KeyType::parse(&body.key_type).map_err(Into::into))
        .await?;
    let key = state
        .replicator
        .key_create(entry, body.name, key_type, body.deletion_allowed)
        .await?;
    state
        .metrics
        .count_crypto(CryptoOp::KeyGen, key_type.as_str(), true);
    Ok(HttpResponse::Created().json(KeyInfo::from(key.as_ref())))
}

/// List every key.
#[utoipa::path(get, path = "/v1/keys", tag = "keys", security(("bearer" = [])),
    responses((status = 200, body = KeyList),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(auth: Principal, state: web::Data<AppState>) -> Result<web::Json<KeyList>> {
    auth.require(Need::any("keys", "read"))?;
    let keys = state
        .keys
        .directory()
        .list()
        .iter()
        .map(|k| KeySummary {
            name: k.name.clone(),
            key_type: k.key_type.as_str().to_string(),
            latest_version: k.latest_version(),
        })
        .collect();
    Ok(web::Json(KeyList { keys }))
}

/// Read a key: settings and the public key of every live version.
#[utoipa::path(get, path = "/v1/keys/{name}", tag = "keys", security(("bearer" = [])),
    params(("name" = String, Path, description = "Key name")),
    responses((status = 200, body = KeyInfo),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn read(
    auth: Principal,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<web::Json<KeyInfo>> {
    auth.require(Need::on("keys", "read", &name))?;
    let key = state.keys.directory().get(&name)?;
    Ok(web::Json(KeyInfo::from(key.as_ref())))
}

/// Rotate: generate a new version, which becomes the latest.
#[utoipa::path(post, path = "/v1/keys/{name}/rotate", tag = "keys", security(("bearer" = [])),
    params(("name" = String, Path, description = "Key name")),
    responses((status = 200, body = KeyInfo),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn rotate(
    auth: Principal,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<web::Json<KeyInfo>> {
    let entry = AuditEntry::new(auth.token_id(), "key.rotate", &name);
    may_administer(&auth, &state, &entry, &name).await?;
    let key = state
        .replicator
        .key_rotate(entry, name.into_inner())
        .await?;
    state
        .metrics
        .count_crypto(CryptoOp::KeyGen, key.key_type.as_str(), true);
    Ok(web::Json(KeyInfo::from(key.as_ref())))
}

/// Change `min_decryption_version` and / or `deletion_allowed`.
#[utoipa::path(post, path = "/v1/keys/{name}/config", tag = "keys", security(("bearer" = [])),
    params(("name" = String, Path, description = "Key name")),
    request_body = KeyConfigRequest,
    responses((status = 200, body = KeyInfo),
        (status = 400, description = "min_decryption_version out of range", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn configure(
    auth: Principal,
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: web::Json<KeyConfigRequest>,
) -> Result<web::Json<KeyInfo>> {
    let entry = AuditEntry::new(auth.token_id(), "key.config", &name);
    may_administer(&auth, &state, &entry, &name).await?;
    let key = state
        .replicator
        .key_configure(
            entry,
            name.into_inner(),
            body.min_decryption_version,
            body.deletion_allowed,
        )
        .await?;
    Ok(web::Json(KeyInfo::from(key.as_ref())))
}

/// Delete a key and all its versions; refused unless `deletion_allowed`.
#[utoipa::path(delete, path = "/v1/keys/{name}", tag = "keys", security(("bearer" = [])),
    params(("name" = String, Path, description = "Key name")),
    responses((status = 204, description = "Deleted"),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Out of scope, or deletion_allowed is false", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn delete(
    auth: Principal,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse> {
    let entry = AuditEntry::new(auth.token_id(), "key.delete", &name);
    may_administer(&auth, &state, &entry, &name).await?;
    state
        .replicator
        .key_delete(entry, name.into_inner())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Fails (recording the refusal) unless the token may administer the key `name`; a change that
/// goes ahead records its own outcome.
async fn may_administer(
    auth: &Principal,
    state: &AppState,
    entry: &AuditEntry,
    name: &str,
) -> Result<()> {
    let checked = auth
        .require(Need::on("keys", "admin", name))
        .map_err(NodeError::from);
    state.audit.refused(entry, checked).await
}
