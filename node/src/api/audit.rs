//! `/v1/audit`: page through the hash-chained audit log and verify it (admin only).

use super::blocking;
use super::error::ErrorBody;
use super::AppState;
use crate::audit::{self, AuditRecord, VerifyReport};
use crate::auth::scope::Need;
use crate::auth::Principal;
use crate::error::{NodeError, Result};
use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Default page size.
pub const DEFAULT_LIMIT: usize = 100;
/// Largest page size.
pub const MAX_LIMIT: usize = 1000;

/// Paging parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Return records with `seq` greater than this (default 0: from the start).
    pub after: Option<u64>,
    /// Page size, 1-1000 (default 100).
    pub limit: Option<usize>,
}

/// One page of the audit log.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    /// Records in sequence order.
    pub records: Vec<AuditRecord>,
    /// Pass as `after` for the next page; absent when this page is the last.
    pub next_after: Option<u64>,
}

/// Page through the audit log.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, body = AuditPage),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn list(
    auth: Principal,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<web::Json<AuditPage>> {
    auth.require(Need::any("admin", "admin"))?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(NodeError::InvalidRequest(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    let after = query.after.unwrap_or(0);
    let store = state.audit.store().clone();
    let records = blocking(move || store.audit_page(after, limit)).await?;
    let next_after = (records.len() == limit)
        .then(|| records.last().map(|r| r.seq))
        .flatten();
    Ok(web::Json(AuditPage {
        records,
        next_after,
    }))
}

/// Recompute the whole chain; reports the first broken link, if any.
#[utoipa::path(get, path = "/v1/audit/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = VerifyReport),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn verify(
    auth: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<VerifyReport>> {
    auth.require(Need::any("admin", "admin"))?;
    let store = state.audit.store().clone();
    let report = blocking(move || audit::verify(&store)).await?;
    Ok(web::Json(report))
}

/// Registers the audit routes inside the `/v1` scope.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit", web::get().to(list))
        .route("/audit/verify", web::get().to(verify));
}
