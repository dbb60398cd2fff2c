//! `/v1/consensus/vertices*`: browse the DAG in this node's arrival order, or read one vertex.

use super::error::ErrorBody;
use super::{blocking, parse_id, AppState};
use crate::auth::scope::Need;
use crate::auth::Principal;
use crate::consensus::tx_hex;
use crate::error::{NodeError, Result};
use actix_web::web;
use cretoai_consensus::{Vertex, VertexId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A vertex of the DAG.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VertexInfo {
    /// Position in this node's arrival order (the `after` cursor); absent when read by id.
    pub seq: Option<u64>,
    /// Hex id.
    pub id: String,
    /// Hex node id of the author.
    pub author: String,
    /// The author's round.
    pub round: u64,
    /// The author's clock, Unix ms.
    pub timestamp_ms: u64,
    /// Hex parent ids.
    pub parents: Vec<String>,
    /// Hex ids of the transactions it carries.
    pub transactions: Vec<String>,
    /// The author's signature algorithm.
    #[schema(example = "ML-DSA-65")]
    pub signature_algorithm: String,
}

/// A page of vertices.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VertexPage {
    /// Vertices in arrival order.
    pub vertices: Vec<VertexInfo>,
    /// Cursor for the next page (`after=`), absent when this page is the end.
    pub next: Option<u64>,
}

/// Query of `GET /v1/consensus/vertices`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct VertexQuery {
    /// Return vertices after this sequence number (default 0: from the start).
    pub after: Option<u64>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<usize>,
}

/// Vertices in this node's arrival order.
#[utoipa::path(get, path = "/v1/consensus/vertices", tag = "consensus",
    security(("bearer" = [])), params(VertexQuery),
    responses((status = 200, body = VertexPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn vertices(
    auth: Principal,
    state: web::Data<AppState>,
    query: web::Query<VertexQuery>,
) -> Result<web::Json<VertexPage>> {
    auth.require(Need::any("consensus", "read"))?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(NodeError::InvalidRequest("limit must be 1 to 1000".into()));
    }
    let after = query.after.unwrap_or(0);
    let store = state.consensus.store.clone();
    let limits = state.consensus.limits;
    let page = blocking(move || store.consensus_vertices_after(after, limit, &limits)).await?;
    let next = (page.len() == limit)
        .then(|| page.last().map(|v| v.seq))
        .flatten();
    Ok(web::Json(VertexPage {
        vertices: page
            .into_iter()
            .map(|s| vertex_info(&s.vertex, Some(s.seq)))
            .collect(),
        next,
    }))
}

/// One vertex by id.
#[utoipa::path(get, path = "/v1/consensus/vertices/{id}", tag = "consensus",
    security(("bearer" = [])), params(("id" = String, Path, description = "Hex vertex id")),
    responses((status = 200, body = VertexInfo), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn vertex(
    auth: Principal,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<VertexInfo>> {
    auth.require(Need::any("consensus", "read"))?;
    let id = VertexId(parse_id("vertex id", &id)?);
    let store = state.consensus.store.clone();
    let limits = state.consensus.limits;
    let v = blocking(move || store.consensus_vertex(&id, &limits))
        .await?
        .ok_or_else(|| NodeError::VertexNotFound(hex::encode(id.0)))?;
    Ok(web::Json(vertex_info(&v, None)))
}

fn vertex_info(v: &Vertex, seq: Option<u64>) -> VertexInfo {
    VertexInfo {
        seq,
        id: hex::encode(v.id().0),
        author: hex::encode(v.author().0),
        round: v.round(),
        timestamp_ms: v.timestamp_ms(),
        parents: v.parents().iter().map(|p| hex::encode(p.0)).collect(),
        transactions: v.txs().iter().map(|t| tx_hex(&t.id())).collect(),
        signature_algorithm: crate::consensus::events::VERTEX_SIGNATURE.to_string(),
    }
}
