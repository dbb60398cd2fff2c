//! Consensus tables: the core's record log (replayed by `Node::replay` after a restart),
//! vertices in arrival order, per-transaction status rows, learned peer keys and the nonce
//! counters of named signing keys.
//!
//! Everything is binary (canonical encodings of `cretoai-consensus`, fixed-width big-endian
//! integers) and written in one durable redb transaction per batch of records, so a batch is
//! either fully on disk or not at all.

use super::blob_file::BlobFile;
use super::blobs::Blobs;
pub use super::pending::Overdue;
use super::pending::{first_sight, Changes, PendingTxs};
use super::replication::Capture;
use super::row_merge;
pub use super::tx_row::TxRow;
use super::tx_row::{status_code, stored_row};
use super::Store;
use crate::error::{NodeError, Result};
use crate::store::StoreError;
use cretoai_consensus::{tx_frames, Limits, Record, TxId, TxStatus, Vertex, VertexId};
use redb::{
    ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction,
};
use std::collections::HashMap;

/// `seq -> record`: the core's log, in the order it asked to persist.
pub(super) const LOG: TableDefinition<'static, u64, &'static [u8]> =
    TableDefinition::new("consensus_log");
/// `vertex id -> canonical vertex bytes`.
pub(super) const VERTICES: TableDefinition<'static, &'static [u8], &'static [u8]> =
    TableDefinition::new("consensus_vertices");
/// `seq -> vertex id`: the order vertices joined this node's DAG (the listing cursor).
const VERTEX_ORDER: TableDefinition<'static, u64, &'static [u8]> =
    TableDefinition::new("consensus_vertex_order");
/// `tx id -> status row`.
pub(super) const TXS: TableDefinition<'static, &'static [u8], &'static [u8]> =
    TableDefinition::new("consensus_txs");
/// `node id -> ML-DSA-65 public key` of peers, learned over pinned connections.
const PEER_KEYS: TableDefinition<'static, &'static [u8], &'static [u8]> =
    TableDefinition::new("consensus_peer_keys");
/// `key name -> next nonce` for transactions the node signs with a named key.
const NONCES: TableDefinition<'static, &'static str, u64> =
    TableDefinition::new("consensus_nonces");
/// `status code -> number of transaction rows with that status` (0 pending, 1 accepted,
/// 2 rejected), kept with every commit so the status endpoint never scans `consensus_txs`.
pub(super) const COUNTS: TableDefinition<'static, u8, u64> =
    TableDefinition::new("consensus_counts");
pub(super) const TAG_VERTEX: u8 = 2;
pub(super) const TAG_POLL: u8 = 3;
pub(super) const TAG_EQUIVOCATION: u8 = 5;
/// A run of consecutive `Submitted` records in one blob: `(u32 length, transaction)*`.
pub(super) const TAG_SUBMITTED_RUN: u8 = 6;
/// A run of consecutive `Status` records: the decided transaction ids, 32 bytes each. A commit
/// decides a vertex's worth of transactions at once; one log entry per decision cost a B-tree
/// insert each.
pub(super) const TAG_STATUS_RUN: u8 = 7;

/// A decision that a commit wrote, with the finality it measured.
#[derive(Debug, Clone, Copy)]
pub struct Decision {
    /// The transaction.
    pub tx: TxId,
    /// Accepted or rejected.
    pub status: TxStatus,
    /// Milliseconds from first sight to the decision.
    pub elapsed_ms: u64,
}

/// What a commit wrote: every decision, and those among them of state operations.
#[derive(Debug, Default)]
pub struct Committed {
    /// Every decision, with its finality.
    pub decisions: Vec<Decision>,
    /// Decisions of state operations (see `crate::replication`).
    pub state_ops: Vec<(TxId, TxStatus)>,
}

/// A stored vertex with its position in this node's arrival order.
#[derive(Debug, Clone)]
pub struct StoredVertex {
    /// Arrival sequence number (the listing cursor).
    pub seq: u64,
    /// The vertex.
    pub vertex: Vertex,
}

pub(super) fn corrupt(what: &str) -> NodeError {
    NodeError::Store(StoreError::Database(format!("consensus {what} is corrupt")))
}

pub(super) fn id32(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&bytes[..32]);
    out
}

fn next_key(table: &redb::Table<'_, u64, &'static [u8]>) -> Result<u64> {
    Ok(table.last()?.map_or(1, |(k, _)| k.value() + 1))
}

impl Store {
    /// Creates the consensus tables if they do not exist yet.
    pub fn init_consensus(&self) -> Result<()> {
        let txn = self.db.begin_write()?;
        txn.open_table(LOG)?;
        txn.open_table(VERTICES)?;
        txn.open_table(VERTEX_ORDER)?;
        txn.open_table(TXS)?;
        txn.open_table(PEER_KEYS)?;
        txn.open_table(NONCES)?;
        self.pending
            .load_staged(row_merge::load(&txn, &self.blob_file)?);
        txn.open_table(COUNTS)?;
        txn.commit()?;
        Ok(())
    }

    /// Appends `records` to the log and updates the vertex and transaction tables, in one
    /// durable transaction. `now_ms` stamps first sightings and decisions.
    pub fn append_consensus<'a>(
        &self,
        records: impl IntoIterator<Item = &'a Record>,
        now_ms: u64,
    ) -> Result<Vec<Decision>> {
        Ok(self
            .append_consensus_through(records, &[], now_ms)?
            .decisions)
    }

    /// [`Store::append_consensus`], with the vertex each transaction accepted in this batch
    /// was decided through (the core's `Action::Accepted`): its row names that vertex from
    /// then on instead of the first that carried it.
    pub fn append_consensus_through<'a>(
        &self,
        records: impl IntoIterator<Item = &'a Record>,
        through: &[(TxId, VertexId)],
        now_ms: u64,
    ) -> Result<Committed> {
        let txn = self.db.begin_write()?;
        let before = self.blob_file.end();
        let through: HashMap<TxId, VertexId> = through.iter().copied().collect();
        let mut capture = self.state_index.capture();
        let (decisions, changes) = append_in(
            &txn,
            records,
            &through,
            now_ms,
            &self.pending,
            &self.blob_file,
            &mut capture,
        )?;
        self.blob_file.seal(&txn, before)?;
        txn.commit()?;
        self.pending.apply(changes);
        self.state_index.settle(&capture);
        Ok(Committed {
            decisions,
            state_ops: capture.decided,
        })
    }

    /// A transaction's row: from the index while it is undecided, from the table after.
    pub fn consensus_tx(&self, id: &TxId) -> Result<Option<TxRow>> {
        if let Some(row) = self.pending.get(id) {
            return Ok(Some(row));
        }
        let txn = self.db.begin_read()?;
        stored_row(&txn.open_table(TXS)?, id)
    }

    /// A vertex by id.
    pub fn consensus_vertex(&self, id: &VertexId, limits: &Limits) -> Result<Option<Vertex>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(VERTICES)?;
        let blobs = Blobs::new(&self.blob_file);
        let Some(raw) = table.get(id.0.as_slice())? else {
            return Ok(None);
        };
        decode_vertex(&vertex_bytes(&blobs, raw.value())?, limits).map(Some)
    }

    /// Up to `limit` vertices that arrived after sequence number `after`, oldest first.
    pub fn consensus_vertices_after(
        &self,
        after: u64,
        limit: usize,
        limits: &Limits,
    ) -> Result<Vec<StoredVertex>> {
        let txn = self.db.begin_read()?;
        let order = txn.open_table(VERTEX_ORDER)?;
        let vertices = txn.open_table(VERTICES)?;
        let blobs = Blobs::new(&self.blob_file);
        let mut out = Vec::new();
        for entry in order.range(after.saturating_add(1)..)?.take(limit) {
            let (seq, id) = entry?;
            let raw = vertices
                .get(id.value())?
                .ok_or_else(|| corrupt("vertex order"))?;
            out.push(StoredVertex {
                seq: seq.value(),
                vertex: decode_vertex(&vertex_bytes(&blobs, raw.value())?, limits)?,
            });
        }
        Ok(out)
    }

    /// Canonical encodings of the vertices among `ids` that are stored (answers to fetches).
    pub fn consensus_vertices_encoded(&self, ids: &[VertexId]) -> Result<Vec<Vec<u8>>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(VERTICES)?;
        let blobs = Blobs::new(&self.blob_file);
        let mut out = Vec::new();
        for id in ids {
            if let Some(raw) = table.get(id.0.as_slice())? {
                out.push(vertex_bytes(&blobs, raw.value())?);
            }
        }
        Ok(out)
    }

    /// How many transactions known here are undecided (durable, not yet accepted or rejected).
    pub fn undecided_len(&self) -> usize {
        self.pending.len()
    }

    /// Undecided transactions first seen more than `bound_ms` ago, and the oldest one's age.
    pub fn overdue(&self, now_ms: u64, bound_ms: u64) -> Overdue {
        self.pending.overdue(now_ms, bound_ms)
    }

    /// Counts of stored vertices and transactions by status (status endpoint). Constant time:
    /// decided ones come from counters kept by the commits, undecided ones from the index.
    pub fn consensus_counts(&self) -> Result<(u64, [u64; 3])> {
        let txn = self.db.begin_read()?;
        let vertices = txn.open_table(VERTEX_ORDER)?.len()?;
        let counts = txn.open_table(COUNTS)?;
        let mut by_status = [self.undecided_len() as u64, 0, 0];
        for (code, slot) in (1u8..).zip(by_status.iter_mut().skip(1)) {
            *slot = counts.get(code)?.map_or(0, |v| v.value());
        }
        Ok((vertices, by_status))
    }

    /// Peer public keys learned so far.
    pub fn peer_keys(&self) -> Result<Vec<([u8; 32], Vec<u8>)>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(PEER_KEYS)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (id, key) = entry?;
            if id.value().len() != 32 {
                return Err(corrupt("peer key"));
            }
            out.push((id32(id.value()), key.value().to_vec()));
        }
        Ok(out)
    }

    /// Remembers a peer's public key (checked against its pinned id by the caller).
    pub fn put_peer_key(&self, id: &[u8; 32], key: &[u8]) -> Result<()> {
        let txn = self.db.begin_write()?;
        txn.open_table(PEER_KEYS)?.insert(id.as_slice(), key)?;
        txn.commit()?;
        Ok(())
    }

    /// Reserves `count` consecutive nonces for transactions signed with the named key and
    /// returns the first; durable before it returns, so a nonce is never handed out twice.
    pub fn reserve_nonces(&self, key: &str, count: u64) -> Result<u64> {
        let txn = self.db.begin_write()?;
        let first = {
            let mut table = txn.open_table(NONCES)?;
            let first = table.get(key)?.map_or(0, |v| v.value());
            table.insert(key, first.saturating_add(count))?;
            first
        };
        txn.commit()?;
        Ok(first)
    }
}

fn append_in<'a>(
    txn: &WriteTransaction,
    records: impl IntoIterator<Item = &'a Record>,
    through: &HashMap<TxId, VertexId>,
    now_ms: u64,
    pending: &PendingTxs,
    blob_file: &BlobFile,
    capture: &mut Capture,
) -> Result<(Vec<Decision>, Changes)> {
    let mut log = txn.open_table(LOG)?;
    let mut vertices = txn.open_table(VERTICES)?;
    let mut order = txn.open_table(VERTEX_ORDER)?;
    let mut txs = txn.open_table(TXS)?;
    // Consecutive submissions, written as one run when another kind of record comes.
    let mut run: Vec<u8> = Vec::new();
    // Consecutive decisions (the tag, then transaction ids), written as one record likewise.
    let mut status_run: Vec<u8> = Vec::new();
    // Changes to the per-status counts of decided rows, applied once at the end.
    let mut delta = [0i64; 3];
    let mut vertex_seq = next_key(&order)?;
    let mut decisions = Vec::new();
    let mut changes = Changes::default();
    // Rows decided in this commit, in order: staged, or merged with the stage.
    let mut decided: Vec<(TxId, TxRow)> = Vec::new();
    let stamp = now_ms.to_be_bytes();
    let mut seq = next_key(&log)?;
    for record in records {
        if !matches!(record, Record::Submitted(_)) {
            seq += flush_run(&mut log, blob_file, &mut run, seq, now_ms)?;
        }
        if !matches!(record, Record::Status { .. }) {
            seq += flush_status_run(&mut log, &mut status_run, seq)?;
        }
        let mut bytes = Vec::new();
        match record {
            Record::Submitted(tx) => {
                tx_frames::push(&mut run, tx);
                if current_row(&changes, pending, &txs, &tx.id())?.is_none() {
                    changes.keep(tx.id(), first_sight(now_ms, None));
                    capture.seen(txn, tx)?;
                }
                continue;
            }
            Record::Vertex(v) => {
                let id = v.id();
                bytes.push(TAG_VERTEX);
                bytes.extend_from_slice(&id.0);
                bytes.extend_from_slice(&stamp);
                if vertices.get(id.0.as_slice())?.is_none() {
                    let blob = blob_file.append(&v.encode())?;
                    vertices.insert(id.0.as_slice(), blob.encode().as_slice())?;
                    order.insert(vertex_seq, id.0.as_slice())?;
                    vertex_seq += 1;
                }
                for tx in v.txs() {
                    match current_row(&changes, pending, &txs, &tx.id())? {
                        None => {
                            changes.keep(tx.id(), first_sight(now_ms, Some(id)));
                            capture.seen(txn, tx)?;
                        }
                        Some(row) if row.status == TxStatus::Pending && row.vertex.is_none() => {
                            capture.seen(txn, tx)?;
                            changes.keep(
                                tx.id(),
                                TxRow {
                                    vertex: Some(id),
                                    ..row
                                },
                            );
                        }
                        Some(_) => {}
                    }
                }
            }
            Record::PollResult { vertex, yes } => {
                bytes.push(TAG_POLL);
                bytes.extend_from_slice(&vertex.0);
                bytes.extend_from_slice(&yes.to_be_bytes());
            }
            Record::Status { tx, status } => {
                if status_run.is_empty() {
                    status_run.push(TAG_STATUS_RUN);
                }
                status_run.extend_from_slice(&tx.0);
                let mut row =
                    current_row(&changes, pending, &txs, tx)?.unwrap_or(first_sight(now_ms, None));
                if row.decided_at.is_some() {
                    if row.status == *status {
                        // Already decided so: the core reports a late conflicting copy of a
                        // transaction it pruned as a fresh rejection. Keep the first decision.
                        continue;
                    }
                    delta[status_code(row.status)] -= 1;
                }
                delta[status_code(*status)] += 1;
                if *status == TxStatus::Accepted {
                    row.vertex = through.get(tx).copied().or(row.vertex);
                }
                row.status = *status;
                row.decided_at = Some(now_ms.max(1));
                changes.keep(*tx, row);
                decided.push((*tx, row));
                capture.decided(txn, tx, *status)?;
                decisions.push(Decision {
                    tx: *tx,
                    status: *status,
                    elapsed_ms: now_ms.saturating_sub(row.submitted_at),
                });
                continue;
            }
            Record::Equivocation(e) => {
                bytes.push(TAG_EQUIVOCATION);
                let first = e.first.encode();
                bytes.extend_from_slice(&(first.len() as u32).to_be_bytes());
                bytes.extend_from_slice(&first);
                bytes.extend_from_slice(&e.second.encode());
            }
        }
        log.insert(seq, bytes.as_slice())?;
        seq += 1;
    }
    seq += flush_run(&mut log, blob_file, &mut run, seq, now_ms)?;
    flush_status_run(&mut log, &mut status_run, seq)?;
    if !decided.is_empty() {
        if pending.staged_len() + decided.len() >= row_merge::MERGE_AT {
            row_merge::merge(txn, &mut txs, pending.staged().into_iter().chain(decided))?;
            changes.merged = true;
        } else {
            row_merge::stage(txn, blob_file, &decided)?;
        }
    }
    if delta != [0; 3] {
        let mut counts = txn.open_table(COUNTS)?;
        for (code, d) in (0u8..).zip(delta) {
            let now = counts.get(code)?.map_or(0, |v| v.value());
            counts.insert(code, now.saturating_add_signed(d))?;
        }
    }
    Ok((decisions, changes))
}

/// A transaction's row as of this point of a commit: the commit's own changes, then the
/// in-memory rows (undecided and staged), then the table (merged decisions).
fn current_row(
    changes: &Changes,
    pending: &PendingTxs,
    txs: &impl ReadableTable<&'static [u8], &'static [u8]>,
    id: &TxId,
) -> Result<Option<TxRow>> {
    if let Some(row) = changes.get(id).or_else(|| pending.get(id)) {
        return Ok(Some(row));
    }
    stored_row(txs, id)
}

/// Writes the submitted run gathered so far (if any) as a blob and its log record at `seq`,
/// stamped `now_ms` (the first-sight time a restart gives its transactions); returns how many
/// log records it wrote.
fn flush_run(
    log: &mut redb::Table<'_, u64, &'static [u8]>,
    blob_file: &BlobFile,
    run: &mut Vec<u8>,
    seq: u64,
    now_ms: u64,
) -> Result<u64> {
    if run.is_empty() {
        return Ok(0);
    }
    let blob = blob_file.append(run)?;
    run.clear();
    let record = [
        &[TAG_SUBMITTED_RUN][..],
        &blob.encode(),
        &now_ms.to_be_bytes(),
    ]
    .concat();
    log.insert(seq, record.as_slice())?;
    Ok(1)
}

/// Writes the decisions gathered so far (if any; `run` starts with its tag) as one log record at
/// `seq`; returns how many log records it wrote.
fn flush_status_run(
    log: &mut redb::Table<'_, u64, &'static [u8]>,
    run: &mut Vec<u8>,
    seq: u64,
) -> Result<u64> {
    if run.is_empty() {
        return Ok(0);
    }
    log.insert(seq, run.as_slice())?;
    run.clear();
    Ok(1)
}

/// A stored vertex's encoding, from the blob file.
pub(super) fn vertex_bytes(blobs: &Blobs<'_>, stored: &[u8]) -> Result<Vec<u8>> {
    blobs.resolve(stored)
}

pub(super) fn decode_vertex(bytes: &[u8], limits: &Limits) -> Result<Vertex> {
    Vertex::decode(bytes, limits).map_err(|_| corrupt("vertex"))
}

#[cfg(test)]
#[path = "consensus_tests.rs"]
mod tests;
