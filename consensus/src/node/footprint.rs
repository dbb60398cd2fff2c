//! What a node's core holds in memory, by kind: for diagnostics, tests and the node's gauges.

use super::Node;
use cretoai_types::Transaction;

/// What a node's core holds in memory ([`Node::footprint`]). Transaction bodies (several KB
/// each with ML-DSA keys and signatures) are held only by unsettled or tip vertices and by
/// pending submissions; settled history costs a header stub per vertex and an outcome per
/// decided transaction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    /// Vertices held in full (unsettled, or settled tips).
    pub full_vertices: usize,
    /// Settled vertices reduced to a header stub.
    pub pruned_vertices: usize,
    /// Transactions inside full vertices.
    pub held_txs: usize,
    /// Encoded bytes of the transactions in full vertices and pending submissions.
    pub held_tx_bytes: usize,
    /// Transactions with Snowball counters (not decided).
    pub undecided_txs: usize,
    /// Decided transactions (outcome only).
    pub decided_txs: usize,
    /// Of `decided_txs`, outcomes kept beyond the window of recent ones because unsettled
    /// vertices or arrivals waiting for the archive carry them (with an archive; see
    /// `outcome_window.rs`). Bounded by the transactions held in full vertices.
    pub pinned_decided_txs: usize,
    /// Submitted transactions waiting for one of this node's vertices.
    pub pending_txs: usize,
    /// Polls running.
    pub polls: usize,
    /// Stranded transactions queued for this node's next vertices (`node/stranded.rs`).
    pub stranded_txs: usize,
}

impl Node {
    /// What the core holds in memory, by kind (walks the DAG: for diagnostics and tests, not
    /// for every turn).
    pub fn footprint(&self) -> Footprint {
        let (full_vertices, pruned_vertices) = self.dag.sizes();
        let (held_txs, held_tx_bytes) = self.dag.held_txs();
        Footprint {
            full_vertices,
            pruned_vertices,
            held_txs,
            held_tx_bytes: held_tx_bytes
                + self
                    .pending
                    .iter()
                    .map(Transaction::encoded_len)
                    .sum::<usize>(),
            undecided_txs: self.txs.records.len(),
            decided_txs: self.txs.decided.len(),
            pinned_decided_txs: self
                .txs
                .decided
                .count(|tx| self.dag.carries_unsettled(tx) || self.recall.holds(tx)),
            pending_txs: self.pending.len(),
            polls: self.polls.len(),
            stranded_txs: self.stranded.queued(),
        }
    }
}
