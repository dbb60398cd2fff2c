//! `/v1/authz/*`: the AuthZ sidecar's demo routes, relayed by this node (see
//! [`crate::sidecar`]) so the console stays same-origin. Reading needs `authz:read` (the
//! `viewer` scope has it), a signed decision `authz:check`, switching the mode `authz:admin`.

use super::error::ErrorBody;
use super::AppState;
use crate::auth::scope::Need;
use crate::auth::Principal;
use crate::error::Result;
use crate::sidecar::SidecarRoute;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Body of `POST /v1/authz/check`: the engine's request, as the sidecar takes it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthzCheck {
    /// Who asks: `{"id", "roles", "attributes"}`.
    #[schema(value_type = Object)]
    pub principal: Value,
    /// On what: `{"kind", "id", "attributes"}`.
    #[schema(value_type = Object)]
    pub resource: Value,
    /// To do what, e.g. `payments:initiate`.
    #[schema(example = "payments:initiate")]
    pub action: String,
    /// Request context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub context: Option<Value>,
    /// Also sign the decision with every algorithm and report each one's cost.
    #[serde(default)]
    pub compare: bool,
}

/// Body of `PUT /v1/authz/mode`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthzMode {
    /// `classical`, `hybrid` or `pqc`.
    #[schema(example = "hybrid")]
    pub mode: String,
}

/// Body of `POST /v1/authz/verify`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthzToken {
    /// A decision token (compact JWS).
    pub token: String,
}

async fn relay(
    state: &AppState,
    route: SidecarRoute,
    body: Option<&Value>,
) -> Result<HttpResponse> {
    let answer = state.sidecar.call(route, body).await?;
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    Ok(HttpResponse::build(status).json(answer.body))
}

/// The sidecar's mode, signing algorithm and accepted algorithms.
#[utoipa::path(get, path = "/v1/authz/mode", tag = "authz", security(("bearer" = [])),
    responses((status = 200, description = "The sidecar's `GET /v1/mode` answer"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn mode(auth: Principal, state: web::Data<AppState>) -> Result<HttpResponse> {
    auth.require(Need::any("authz", "read"))?;
    relay(&state, SidecarRoute::Mode, None).await
}

/// Switch the sidecar's mode (global to the sidecar): classical, hybrid or pqc.
#[utoipa::path(put, path = "/v1/authz/mode", tag = "authz", security(("bearer" = [])),
    request_body = AuthzMode,
    responses((status = 200, description = "The sidecar's answer: the new mode"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 502, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn set_mode(
    auth: Principal,
    state: web::Data<AppState>,
    body: web::Json<AuthzMode>,
) -> Result<HttpResponse> {
    auth.require(Need::any("authz", "admin"))?;
    let body = serde_json::json!({ "mode": body.mode });
    tracing::info!(by = auth.token_id(), mode = %body["mode"], "sidecar mode switch");
    relay(&state, SidecarRoute::SetMode, Some(&body)).await
}

/// Ask for a decision: the sidecar decides with its policies, signs it under its mode and
/// (when anchoring is on) submits its hash as a consensus transaction.
#[utoipa::path(post, path = "/v1/authz/check", tag = "authz", security(("bearer" = [])),
    request_body = AuthzCheck,
    responses((status = 200, description = "The sidecar's decision, its token and signature details"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 502, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn check(
    auth: Principal,
    state: web::Data<AppState>,
    body: web::Json<AuthzCheck>,
) -> Result<HttpResponse> {
    auth.require(Need::any("authz", "check"))?;
    let body = serde_json::to_value(body.into_inner()).unwrap_or(Value::Null);
    relay(&state, SidecarRoute::Check, Some(&body)).await
}

/// Verify a decision token under the sidecar's current mode (a refused one answers 422 with
/// the sidecar's reason, e.g. `alg_not_accepted`).
#[utoipa::path(post, path = "/v1/authz/verify", tag = "authz", security(("bearer" = [])),
    request_body = AuthzToken,
    responses((status = 200, description = "Valid: algorithm, key id and claims"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, description = "Refused, with the sidecar's reason"),
        (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn verify(
    auth: Principal,
    state: web::Data<AppState>,
    body: web::Json<AuthzToken>,
) -> Result<HttpResponse> {
    auth.require(Need::any("authz", "read"))?;
    let body = serde_json::json!({ "token": body.token });
    relay(&state, SidecarRoute::Verify, Some(&body)).await
}

/// Per-algorithm sign and verify time and sizes over the sidecar's recent checks.
#[utoipa::path(get, path = "/v1/authz/compare", tag = "authz", security(("bearer" = [])),
    responses((status = 200, description = "The sidecar's `GET /v1/compare` answer"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn compare(auth: Principal, state: web::Data<AppState>) -> Result<HttpResponse> {
    auth.require(Need::any("authz", "read"))?;
    relay(&state, SidecarRoute::Compare, None).await
}

/// Where the sidecar anchors decisions, and its counters.
#[utoipa::path(get, path = "/v1/authz/anchor", tag = "authz", security(("bearer" = [])),
    responses((status = 200, description = "The sidecar's `GET /v1/anchor` answer"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn anchor(auth: Principal, state: web::Data<AppState>) -> Result<HttpResponse> {
    auth.require(Need::any("authz", "read"))?;
    relay(&state, SidecarRoute::Anchor, None).await
}
