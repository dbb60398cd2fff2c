//! Transaction rows not (yet) in `consensus_txs`, indexed in memory: undecided transactions,
//! and decided ones staged until the next merge ([`super::row_merge`]).
//!
//! Writing a transaction's row at first sight, again when a vertex carried it and again at its
//! decision rewrote a random 4 KiB leaf of `consensus_txs` two or three times per transaction:
//! about 60 % of the bytes a node wrote at 3,000 tx/s. Undecided rows live here and reach the
//! table once, decided, in a sorted merge. A crash loses nothing: the log holds every
//! submission and vertex with the time it was committed (replaying it rebuilds the undecided
//! rows), and staged decided rows are durable in the stage.

use super::tx_row::TxRow;
use cretoai_consensus::{TxId, TxStatus, VertexId};
use std::sync::Mutex;

/// The journal looks up every transaction of every vertex here; foldhash costs a fraction of
/// std's SipHash on 32-byte ids, and its per-process random seed keeps chosen ids from aiming
/// collisions at the maps.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// The two kinds of rows, under one lock so that a reader never sees a transaction between
/// them.
#[derive(Default)]
struct Rows {
    undecided: HashMap<TxId, TxRow>,
    staged: HashMap<TxId, TxRow>,
}

/// The rows not in the table, shared by the journal (the only writer) and readers.
#[derive(Default)]
pub(super) struct PendingTxs {
    rows: Mutex<Rows>,
}

impl PendingTxs {
    /// The row of an undecided or a staged transaction.
    pub(super) fn get(&self, id: &TxId) -> Option<TxRow> {
        let rows = self.lock();
        rows.undecided
            .get(id)
            .or_else(|| rows.staged.get(id))
            .copied()
    }

    /// The row of a staged (decided, not yet merged) transaction.
    pub(super) fn staged_row(&self, id: &TxId) -> Option<TxRow> {
        self.lock().staged.get(id).copied()
    }

    /// How many transactions are undecided.
    pub(super) fn len(&self) -> usize {
        self.lock().undecided.len()
    }

    /// Undecided transactions first seen more than `bound_ms` before `now_ms`, and the age
    /// of the oldest undecided one. Walks the undecided rows, which admission keeps to a few
    /// seconds of traffic.
    pub(super) fn overdue(&self, now_ms: u64, bound_ms: u64) -> Overdue {
        let rows = self.lock();
        let mut out = Overdue::default();
        for row in rows.undecided.values() {
            let age = now_ms.saturating_sub(row.submitted_at);
            if age > bound_ms {
                out.count += 1;
            }
            out.oldest_age_ms = Some(out.oldest_age_ms.map_or(age, |a: u64| a.max(age)));
        }
        out
    }

    /// How many decided rows wait for the next merge.
    pub(super) fn staged_len(&self) -> usize {
        self.lock().staged.len()
    }

    /// The staged rows (for a merge).
    pub(super) fn staged(&self) -> Vec<(TxId, TxRow)> {
        self.lock().staged.iter().map(|(k, v)| (*k, *v)).collect()
    }

    /// Applies a durable commit's changes.
    pub(super) fn apply(&self, changes: Changes) {
        let mut rows = self.lock();
        if changes.merged {
            rows.staged.clear();
        }
        for (id, row) in changes.rows {
            if row.decided_at.is_some() {
                if !changes.merged {
                    rows.staged.insert(id, row);
                }
                rows.undecided.remove(&id);
            } else {
                rows.undecided.insert(id, row);
            }
        }
    }

    /// Replaces the undecided rows with ones rebuilt from the log.
    pub(super) fn replace(&self, rebuilt: HashMap<TxId, TxRow>) {
        self.lock().undecided = rebuilt;
    }

    /// Replaces the staged rows with the stage read back at start (later rows win).
    pub(super) fn load_staged(&self, staged: Vec<(TxId, TxRow)>) {
        self.lock().staged = staged.into_iter().collect();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Rows> {
        // The maps are consistent after every statement, so a panic elsewhere cannot leave
        // them half-updated: a poisoned lock is still safe to use.
        self.rows.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Undecided transactions pending for longer than the liveness bound ([`PendingTxs::overdue`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overdue {
    /// How many are older than the bound.
    pub count: usize,
    /// Age of the oldest undecided transaction, ms (`None` when nothing is undecided).
    pub oldest_age_ms: Option<u64>,
}

/// A commit's changes to the index: each touched transaction's latest row (decided rows have
/// `decided_at`), and whether the commit merged the stage into the table. Applied only once
/// the commit is durable, so a reader never sees a row that a failed commit did not keep.
#[derive(Default)]
pub(super) struct Changes {
    rows: HashMap<TxId, TxRow>,
    /// The commit wrote every staged row (and its own decisions) to the table.
    pub(super) merged: bool,
}

impl Changes {
    /// This commit's row of `id`, if it touched it.
    pub(super) fn get(&self, id: &TxId) -> Option<TxRow> {
        self.rows.get(id).copied()
    }

    /// Records `row` as the transaction's latest state.
    pub(super) fn keep(&mut self, id: TxId, row: TxRow) {
        self.rows.insert(id, row);
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

    /// The transaction was decided (its row is staged or in the table).
    pub(super) fn decided(&mut self, id: &TxId) {
        self.rows.remove(id);
    }

    /// The undecided rows, once the whole log was read; `stored` gives a transaction's row in
    /// the table. A transaction with a stored row was decided: a late copy seen after it (the
    /// core reports those again). The table holds decided rows only (schema 1).
    pub(super) fn finish<E>(
        self,
        now_ms: u64,
        mut stored: impl FnMut(&TxId) -> Result<Option<TxRow>, E>,
    ) -> Result<HashMap<TxId, TxRow>, E> {
        let mut out = HashMap::with_capacity_and_hasher(self.rows.len(), Default::default());
        for (id, mut row) in self.rows {
            if stored(&id)?.is_some() {
                continue;
            }
            if row.submitted_at == 0 {
                row.submitted_at = now_ms;
            }
            out.insert(id, row);
        }
        Ok(out)
    }
}
