//! `/health`, `/ready` and `/metrics` (no token needed).

use super::error::ErrorBody;
use super::AppState;
use crate::error::{NodeError, Result};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Liveness / readiness answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Status {
    /// `ok` or `ready`.
    pub status: String,
}

/// Liveness: the process serves HTTP.
#[utoipa::path(get, path = "/health", tag = "health", responses((status = 200, body = Status)))]
pub async fn health() -> web::Json<Status> {
    web::Json(Status {
        status: "ok".into(),
    })
}

/// Readiness: the database answers and the key ring actor runs.
#[utoipa::path(get, path = "/ready", tag = "health",
    responses((status = 200, body = Status), (status = 503, body = ErrorBody)))]
pub async fn ready(state: web::Data<AppState>) -> Result<web::Json<Status>> {
    if !state.store.is_readable() {
        return Err(NodeError::Unavailable("database"));
    }
    if !state.keys.is_running() {
        return Err(NodeError::Unavailable("key ring actor"));
    }
    Ok(web::Json(Status {
        status: "ready".into(),
    }))
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body({
            let mut text = state.metrics.render();
            state.consensus.render_metrics(&mut text);
            text
        })
}
