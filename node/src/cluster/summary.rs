//! The status summary a node shares with its peers and the console shows in its cluster table.

use super::history::Figures;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One node's figures at one moment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NodeSummary {
    /// When the node took it, Unix ms on its own clock.
    pub at_ms: u64,
    /// Whether consensus runs there.
    pub active: bool,
    /// Its latest own round.
    pub round: Option<u64>,
    /// Vertices in its DAG.
    pub vertices: u64,
    /// Transactions known there and undecided.
    pub pending: u64,
    /// Transactions it accepted.
    pub accepted: u64,
    /// Transactions it rejected.
    pub rejected: u64,
    /// Its throughput, finality, memory and CPU (flattened into this object in JSON).
    #[serde(flatten)]
    pub figures: Figures,
    /// Its links to its own peers.
    pub peers: Vec<PeerLink>,
}

/// A node's link to one of its peers, as that node sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PeerLink {
    /// Hex node id of the peer.
    pub node_id: String,
    /// Whether the connection is up.
    pub connected: bool,
    /// Smoothed round-trip time, ms.
    pub rtt_ms: Option<f64>,
    /// Negotiated TLS key-exchange group, e.g. `X25519MLKEM768`.
    pub key_exchange_group: Option<String>,
}
