//! Stranded transactions: undecided ones that no vertex this node would build on carries.
//!
//! A transaction gains chits only from polls of vertices in its progeny that are strongly
//! preferred, and a vertex that carries (or descends from) the loser of a double spend never
//! is again. A virtuous transaction that shares such a vertex with a loser is therefore never
//! decided through it, on any node. The Avalanche paper's answer is to re-issue it in a new
//! vertex with preferred parents; this node does that for every undecided, preferred
//! transaction it holds that has stayed outside the ancestry of the vertices it would link to
//! for [`Config::stranded_after_ms`](super::Config): its own or another author's (the author
//! may be down, or may have decided the transaction already while this node has not). The
//! transaction keeps its id; a second copy in the DAG counts once per poll.
//!
//! The scan walks the unsettled frontier, so it runs once per [`SCAN_EVERY_MS`], not on
//! every vertex.

use super::Node;
use crate::id_map::{IdMap, IdSet};
use crate::vertex::VertexId;
use cretoai_types::{Transaction, TxId};

/// How often the unsettled frontier is scanned for stranded transactions.
pub(super) const SCAN_EVERY_MS: u64 = 1_000;

/// Stranded-transaction bookkeeping of one node.
#[derive(Default)]
pub(super) struct Stranded {
    /// Undecided, preferred transactions outside the frontier's ancestry, and since when.
    uncovered_since: IdMap<TxId, u64>,
    /// Transactions to put into this node's next vertices, oldest first.
    queue: Vec<Transaction>,
    last_scan: Option<u64>,
}

impl Stranded {
    /// Transactions waiting to be re-issued.
    pub(super) fn queued(&self) -> usize {
        self.queue.len()
    }
}

impl Node {
    /// Finds the transactions stranded for at least `stranded_after_ms` and queues them for
    /// the next vertex.
    pub(super) fn scan_stranded(&mut self, now: u64) {
        if self.replaying
            || self
                .stranded
                .last_scan
                .is_some_and(|t| now < t + SCAN_EVERY_MS)
        {
            return;
        }
        self.stranded.last_scan = Some(now);
        if self.dag.unsettled.is_empty() {
            // Nothing undecided in the DAG (an idle cluster): nothing can be stranded.
            self.stranded.uncovered_since.clear();
            self.stranded.queue.clear();
            return;
        }
        let anchor = self.own_anchor();
        let mut roots = self.preferred_frontier();
        roots.extend(anchor);
        let covered: IdSet<TxId> = self.undecided_in(&roots).into_iter().collect();
        let pending: IdSet<TxId> = self.pending.iter().map(Transaction::id).collect();
        let mut region: Vec<VertexId> = self.dag.unsettled.iter().copied().collect();
        region.sort_by_key(|id| (self.dag.entries[id].height, *id));
        let mut still = IdMap::default();
        let mut queue = Vec::new();
        for id in region {
            for tx in self.dag.entries[&id].vertex.txs() {
                let t = tx.id();
                if covered.contains(&t)
                    || pending.contains(&t)
                    || still.contains_key(&t)
                    || self.txs.is_decided(&t)
                    || !self.txs.is_preferred(&t)
                {
                    continue;
                }
                let since = self
                    .stranded
                    .uncovered_since
                    .get(&t)
                    .copied()
                    .unwrap_or(now);
                still.insert(t, since);
                if now.saturating_sub(since) >= self.stranded_after_ms {
                    queue.push(tx.clone());
                }
            }
        }
        self.stranded.uncovered_since = still;
        self.stranded.queue = queue;
    }

    /// Moves queued stranded transactions that are still undecided, preferred and not in
    /// `covered` into `batch`, up to the vertex limit; the rest wait for the next vertex.
    pub(super) fn take_stranded(&mut self, covered: &IdSet<TxId>, batch: &mut Vec<Transaction>) {
        let max = self.params.limits.max_txs_per_vertex;
        let mut rest = Vec::new();
        for tx in std::mem::take(&mut self.stranded.queue) {
            let t = tx.id();
            if self.txs.is_decided(&t) || !self.txs.is_preferred(&t) || covered.contains(&t) {
                continue;
            }
            if batch.len() < max {
                batch.push(tx);
            } else {
                rest.push(tx);
            }
        }
        self.stranded.queue = rest;
    }
}
