//! What `/v1/events` streams: vertex, transaction and decision events as JSON, fanned out to
//! every subscriber through a bounded broadcast channel (a slow subscriber misses events and is
//! told how many, it never slows consensus down).

use cretoai_consensus::{Action, Record, TxId, TxStatus};
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::broadcast;

/// Vertices are always signed with ML-DSA-65 (the core refuses other levels).
pub const VERTEX_SIGNATURE: &str = "ML-DSA-65";

/// Events buffered per subscriber before it starts missing some.
const CAPACITY: usize = 4096;

/// One event as sent on the WebSocket (`type` tells which).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ConsensusEvent {
    /// A transaction was submitted to this node.
    Transaction {
        /// Hex transaction id.
        tx_id: String,
    },
    /// A vertex joined this node's DAG.
    Vertex {
        /// Hex vertex id.
        id: String,
        /// Hex node id of the author.
        author: String,
        /// Author's round.
        round: u64,
        /// Transactions it carries.
        txs: usize,
        /// Hex ids of the transactions it carries (a viewer marks the vertex accepted once
        /// every one of them is decided).
        tx_ids: Vec<String>,
        /// Hex ids of its parents (the DAG's edges).
        parents: Vec<String>,
        /// The author's signature algorithm.
        signature_algorithm: &'static str,
    },
    /// Transactions were accepted.
    Accepted {
        /// Hex ids.
        tx_ids: Vec<String>,
        /// Unix ms of the decision at this node.
        at: u64,
    },
    /// Transactions were rejected (a conflicting one was accepted).
    Rejected {
        /// Hex ids.
        tx_ids: Vec<String>,
        /// Unix ms of the decision at this node.
        at: u64,
    },
    /// An author signed two vertices for one round.
    Equivocation {
        /// Hex node id.
        author: String,
        /// The round.
        round: u64,
    },
}

/// The fan-out point.
#[derive(Clone)]
pub struct EventBus(broadcast::Sender<Arc<str>>);

impl Default for EventBus {
    fn default() -> Self {
        EventBus(broadcast::channel(CAPACITY).0)
    }
}

impl EventBus {
    /// A new subscription.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<str>> {
        self.0.subscribe()
    }

    /// Publishes the events of one durable commit (nothing is serialized without subscribers).
    pub fn publish(&self, records: &[Action], now_ms: u64) {
        if self.0.receiver_count() == 0 {
            return;
        }
        let mut decided: [(TxStatus, Vec<String>); 2] = [
            (TxStatus::Accepted, Vec::new()),
            (TxStatus::Rejected, Vec::new()),
        ];
        for action in records {
            let event = match action {
                Action::Persist(Record::Submitted(tx)) => ConsensusEvent::Transaction {
                    tx_id: hex::encode(tx.id().0),
                },
                Action::Persist(Record::Vertex(v)) => ConsensusEvent::Vertex {
                    id: hex::encode(v.id().0),
                    author: hex::encode(v.author().0),
                    round: v.round(),
                    txs: v.txs().len(),
                    tx_ids: v.txs().iter().map(|t| hex_tx(&t.id())).collect(),
                    parents: v.parents().iter().map(|p| hex::encode(p.0)).collect(),
                    signature_algorithm: VERTEX_SIGNATURE,
                },
                Action::Persist(Record::Status { tx, status }) => {
                    if let Some((_, ids)) = decided.iter_mut().find(|(s, _)| s == status) {
                        ids.push(hex_tx(tx));
                    }
                    continue;
                }
                Action::EquivocationDetected(e) => ConsensusEvent::Equivocation {
                    author: hex::encode(e.author().0),
                    round: e.round(),
                },
                _ => continue,
            };
            self.send(&event);
        }
        for (status, tx_ids) in decided {
            if tx_ids.is_empty() {
                continue;
            }
            self.send(&match status {
                TxStatus::Accepted => ConsensusEvent::Accepted { tx_ids, at: now_ms },
                _ => ConsensusEvent::Rejected { tx_ids, at: now_ms },
            });
        }
    }

    fn send(&self, event: &ConsensusEvent) {
        if let Ok(text) = serde_json::to_string(event) {
            let _ = self.0.send(Arc::from(text));
        }
    }
}

fn hex_tx(tx: &TxId) -> String {
    hex::encode(tx.0)
}
