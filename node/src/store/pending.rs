//! Transactions this node has seen but not decided yet, indexed in memory.
//!
//! Writing a transaction's row at first sight, again when a vertex carried it and again at its
//! decision rewrote a random 4 KiB leaf of `consensus_txs` two or three times per transaction:
//! about 60 % of the bytes a node wrote at 3,000 tx/s. Undecided rows now live here and are
//! written once, at the decision. A crash loses nothing: the log holds every submission and
//! vertex with the time it was committed, and replaying the log rebuilds this index.

use super::tx_row::TxRow;
use cretoai_consensus::{TxId, TxStatus, VertexId};
use std::collections::HashMap;
use std::sync::Mutex;

/// The undecided transactions' rows, shared by the journal (the only writer) and readers.
#[derive(Default)]
pub(super) struct PendingTxs {
    rows: Mutex<HashMap<TxId, TxRow>>,
}

impl PendingTxs {
    /// The row of an undecided transaction.
    pub(super) fn get(&self, id: &TxId) -> Option<TxRow> {
        self.lock().get(id).copied()
    }

    /// How many transactions are undecided.
    pub(super) fn len(&self) -> usize {
        self.lock().len()
    }

    /// Applies a durable commit's changes.
    pub(super) fn apply(&self, changes: Changes) {
        let mut rows = self.lock();
        for (id, row) in changes.0 {
            match row {
                Some(row) => rows.insert(id, row),
                None => rows.remove(&id),
            };
        }
    }

    /// Replaces the index with one rebuilt from the log.
    pub(super) fn replace(&self, rebuilt: HashMap<TxId, TxRow>) {
        *self.lock() = rebuilt;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TxId, TxRow>> {
        // The map is consistent after every statement, so a panic elsewhere cannot leave it
        // half-updated: a poisoned lock is still safe to use.
        self.rows.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A commit's changes to the index: a row for a transaction still undecided, `None` for one
/// decided (its row is then in the table). Applied only once the commit is durable, so a
/// reader never sees a row that a failed commit did not keep.
#[derive(Default)]
pub(super) struct Changes(HashMap<TxId, Option<TxRow>>);

impl Changes {
    /// What this commit knows of `id`: `Some(Some(row))` still undecided, `Some(None)` decided
    /// in this commit, `None` not touched.
    pub(super) fn get(&self, id: &TxId) -> Option<Option<TxRow>> {
        self.0.get(id).copied()
    }

    /// Records `row` as the transaction's undecided state.
    pub(super) fn keep(&mut self, id: TxId, row: TxRow) {
        self.0.insert(id, Some(row));
    }

    /// Records that the transaction was decided.
    pub(super) fn decide(&mut self, id: TxId) {
        self.0.insert(id, None);
    }
}

/// A pending row first seen at `at`, carried by `vertex` if a vertex brought it.
pub(super) fn first_sight(at: u64, vertex: Option<VertexId>) -> TxRow {
    TxRow {
        status: TxStatus::Pending,
        vertex,
        submitted_at: at,
        decided_at: None,
    }
}

/// Rebuilds the index while the log is replayed, in log order.
#[derive(Default)]
pub(super) struct Rebuild {
    rows: HashMap<TxId, TxRow>,
}

impl Rebuild {
    /// A submission or a vertex's transaction seen at `at` (`None` for records logged before
    /// times were, whose time then comes from a stored row or the replay itself).
    pub(super) fn seen(&mut self, id: TxId, at: Option<u64>, vertex: Option<VertexId>) {
        let row = self
            .rows
            .entry(id)
            .or_insert_with(|| first_sight(at.unwrap_or(0), None));
        if row.vertex.is_none() {
            row.vertex = vertex;
        }
    }

    /// The transaction was decided (its row is in the table).
    pub(super) fn decided(&mut self, id: &TxId) {
        self.rows.remove(id);
    }

    /// The undecided rows, once the whole log was read; `stored` gives a transaction's row in
    /// the table. A transaction whose decision is stored was a late copy seen after it (the
    /// core reports those again). A stored pending row comes from databases written before
    /// this index, and its first-sight time wins.
    pub(super) fn finish<E>(
        self,
        now_ms: u64,
        mut stored: impl FnMut(&TxId) -> Result<Option<TxRow>, E>,
    ) -> Result<HashMap<TxId, TxRow>, E> {
        let mut out = HashMap::with_capacity(self.rows.len());
        for (id, mut row) in self.rows {
            match stored(&id)? {
                Some(old) if old.decided_at.is_some() => continue,
                Some(old) => {
                    row.submitted_at = old.submitted_at;
                    row.vertex = old.vertex.or(row.vertex);
                }
                None if row.submitted_at == 0 => row.submitted_at = now_ms,
                None => {}
            }
            out.insert(id, row);
        }
        Ok(out)
    }
}
