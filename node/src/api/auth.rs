//! `/v1/auth/tokens`: create and revoke scoped, expiring API tokens (admin only).

use super::error::ErrorBody;
use super::AppState;
use crate::audit::AuditEntry;
use crate::auth::scope::Need;
use crate::auth::Principal;
use crate::error::{NodeError, Result};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest accepted token lifetime: ten years.
pub const MAX_TTL_SECONDS: u64 = 10 * 365 * 86_400;

/// Default lifetime of a token created without `ttl_seconds`.
#[derive(Debug, Clone, Copy)]
pub struct DefaultTtl(pub u64);

/// Body of `POST /v1/auth/tokens`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenRequest {
    /// Scopes `area[:action[:pattern]]`: `admin`, `keys:admin`, `keys:read`, `crypto`,
    /// `crypto:sign`, `crypto:sign:payments-*`, ...
    #[schema(example = json!(["crypto"]))]
    pub scopes: Vec<String>,
    /// Lifetime in seconds (default: the node's `default_token_ttl_seconds`).
    #[schema(example = 3600)]
    pub ttl_seconds: Option<u64>,
}

/// Response of `POST /v1/auth/tokens`. The token is shown only here.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedToken {
    /// Public id, used to revoke.
    pub id: String,
    /// The bearer token; store it now, the node keeps only its hash.
    pub token: String,
    /// Scopes granted.
    pub scopes: Vec<String>,
    /// Unix seconds.
    pub expires_at: u64,
}

/// The calling token, as `GET /v1/auth/tokens/self` shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OwnToken {
    /// Public id (`root` for the root token).
    pub id: String,
    /// Scopes granted.
    #[schema(example = json!(["viewer"]))]
    pub scopes: Vec<String>,
    /// Which of the node's operations the token may call on every resource, as
    /// `area:action` (a grant limited to some key or path names is not listed): what a
    /// console shows controls for. The API checks every call regardless.
    #[schema(example = json!(["consensus:read", "authz:read"]))]
    pub allowed: Vec<String>,
}

/// The calling token's id, scopes and the operations they allow (any valid token).
#[utoipa::path(get, path = "/v1/auth/tokens/self", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = OwnToken), (status = 401, body = ErrorBody)))]
pub async fn own_token(auth: Principal) -> web::Json<OwnToken> {
    web::Json(OwnToken {
        id: auth.token_id().to_string(),
        scopes: auth.scopes().iter().map(ToString::to_string).collect(),
        allowed: auth.allowed_operations(),
    })
}

/// Create a token.
#[utoipa::path(post, path = "/v1/auth/tokens", tag = "auth", security(("bearer" = [])),
    request_body = CreateTokenRequest,
    responses((status = 201, body = CreatedToken),
        (status = 400, description = "Unknown scope or bad ttl", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_token(
    auth: Principal,
    state: web::Data<AppState>,
    default_ttl: web::Data<DefaultTtl>,
    body: web::Json<CreateTokenRequest>,
) -> Result<HttpResponse> {
    auth.require(Need::any("admin", ""))?;
    let body = body.into_inner();
    let ttl = body.ttl_seconds.unwrap_or(default_ttl.0);
    if ttl == 0 || ttl > MAX_TTL_SECONDS {
        return Err(NodeError::InvalidRequest(format!(
            "ttl_seconds must be between 1 and {MAX_TTL_SECONDS}"
        )));
    }
    let entry = AuditEntry::new(auth.token_id(), "token.create", "");
    let issued = state
        .replicator
        .token_create(entry, body.scopes, ttl)
        .await?;
    tracing::info!(token_id = %issued.id, by = auth.token_id(), "token created");
    Ok(HttpResponse::Created().json(CreatedToken {
        id: issued.id,
        token: issued.token.expose().to_string(),
        scopes: issued.scopes,
        expires_at: issued.expires_at,
    }))
}

/// Revoke a token by id.
#[utoipa::path(delete, path = "/v1/auth/tokens/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = String, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"),
        (status = 400, description = "The root token cannot be revoked", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    auth: Principal,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    auth.require(Need::any("admin", ""))?;
    let id = id.into_inner();
    let revoked = id.clone();
    let entry = AuditEntry::new(auth.token_id(), "token.revoke", &id);
    state.replicator.token_revoke(entry, id).await?;
    tracing::info!(token_id = %revoked, by = auth.token_id(), "token revoked");
    Ok(HttpResponse::NoContent().finish())
}
