//! `/v1/cluster/*`: every member of the cluster as this node knows it, from the status summaries
//! the nodes send each other over QUIC (see [`crate::cluster`]). Any node answers for all.

use super::error::ErrorBody;
use super::AppState;
use crate::auth::scope::Need;
use crate::auth::Principal;
use crate::cluster::history::Sample;
use crate::cluster::sampler::INTERVAL;
use crate::cluster::summary::NodeSummary;
use crate::cluster::STALE_AFTER_MS;
use crate::consensus::now_ms;
use crate::error::Result;
use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One member of the cluster.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClusterMember {
    /// Hex node id.
    pub node_id: String,
    /// Whether this is the node that answered.
    pub this_node: bool,
    /// Up: the answering node itself, or a peer heard from within `stale_after_ms`.
    pub up: bool,
    /// When the answering node last heard from it, Unix ms (absent: never since it started).
    pub last_seen_ms: Option<u64>,
    /// Its latest summary (absent until it first reported; kept while it is down).
    pub summary: Option<NodeSummary>,
}

/// `GET /v1/cluster/status`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClusterStatus {
    /// Hex id of the node that answered.
    pub reported_by: String,
    /// The answering node's clock, Unix ms.
    pub now_ms: u64,
    /// A peer silent for longer than this is reported down, ms.
    pub stale_after_ms: u64,
    /// Every member, this node and its configured peers, ordered by node id.
    pub nodes: Vec<ClusterMember>,
}

/// One member's samples.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MemberHistory {
    /// Hex node id.
    pub node_id: String,
    /// Per-second samples, oldest first, at most 15 minutes.
    pub samples: Vec<Sample>,
}

/// `GET /v1/cluster/history`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClusterHistory {
    /// Time between samples, ms.
    pub interval_ms: u64,
    /// Every member, ordered by node id.
    pub nodes: Vec<MemberHistory>,
}

/// Every node of the cluster: figures, links, and up/down with when it was last heard from.
#[utoipa::path(get, path = "/v1/cluster/status", tag = "consensus", security(("bearer" = [])),
    responses((status = 200, body = ClusterStatus), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn status(
    auth: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<ClusterStatus>> {
    auth.require(Need::any("consensus", "read"))?;
    let view = &state.cluster;
    let now = now_ms();
    let nodes = view
        .members()
        .into_iter()
        .map(|(id, m)| ClusterMember {
            this_node: id == view.own_id(),
            up: view.is_up(&id, &m, now),
            last_seen_ms: m.last_seen_ms,
            summary: m.summary,
            node_id: id,
        })
        .collect();
    Ok(web::Json(ClusterStatus {
        reported_by: view.own_id().to_string(),
        now_ms: now,
        stale_after_ms: STALE_AFTER_MS,
        nodes,
    }))
}

/// Per-second TPS, finality percentiles, memory and CPU of every node over the last 15 minutes.
#[utoipa::path(get, path = "/v1/cluster/history", tag = "consensus", security(("bearer" = [])),
    responses((status = 200, body = ClusterHistory), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn history(
    auth: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<ClusterHistory>> {
    auth.require(Need::any("consensus", "read"))?;
    let nodes = state
        .cluster
        .members()
        .into_iter()
        .map(|(node_id, m)| MemberHistory {
            node_id,
            samples: m.history.newest(m.history.len()),
        })
        .collect();
    Ok(web::Json(ClusterHistory {
        interval_ms: INTERVAL.as_millis() as u64,
        nodes,
    }))
}
