//! Replicated state's tables (see `crate::replication`): state operations seen in the DAG but
//! not decided yet (`replication_candidates`), operations accepted but not applied yet
//! (`replication_inbox`), and the revision each replicated object has reached
//! (`replication_revisions`, never deleted, so a name reused after a delete continues its
//! chain instead of colliding with its past).
//!
//! Candidates and the inbox are written inside the consensus commit that saw or decided the
//! operation, so a crash can lose neither: the applier drains the inbox at start.

use super::Store;
use crate::error::Result;
use cretoai_consensus::{Transaction, TxId, TxStatus};
use redb::{ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use std::collections::HashSet;
use std::sync::Mutex;

/// `tx id -> transaction bytes` of state operations seen but undecided.
const CANDIDATES: TableDefinition<'static, &'static [u8], &'static [u8]> =
    TableDefinition::new("replication_candidates");
/// `seq -> transaction bytes` of accepted state operations, in the order accepted here.
const INBOX: TableDefinition<'static, u64, &'static [u8]> =
    TableDefinition::new("replication_inbox");
/// `object -> revision` applied here.
const REVISIONS: TableDefinition<'static, &'static str, u64> =
    TableDefinition::new("replication_revisions");

/// Which transactions are state operations (signed by the cluster's state key), and which of
/// them are undecided. Empty (no sender) until replication starts.
#[derive(Default)]
pub(super) struct StateIndex(Mutex<IndexInner>);

#[derive(Default)]
struct IndexInner {
    sender: Option<[u8; 32]>,
    candidates: HashSet<TxId>,
}

/// What one consensus commit did to state operations; applied to the index after the commit.
pub(super) struct Capture {
    sender: Option<[u8; 32]>,
    known: HashSet<TxId>,
    added: Vec<TxId>,
    removed: Vec<TxId>,
    /// State operations decided in this commit.
    pub decided: Vec<(TxId, TxStatus)>,
}

impl StateIndex {
    /// The commit's view of the index.
    pub(super) fn capture(&self) -> Capture {
        let inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        Capture {
            sender: inner.sender,
            known: if inner.sender.is_some() {
                inner.candidates.clone()
            } else {
                HashSet::new()
            },
            added: Vec::new(),
            removed: Vec::new(),
            decided: Vec::new(),
        }
    }

    /// Applies a committed capture.
    pub(super) fn settle(&self, capture: &Capture) {
        if capture.added.is_empty() && capture.removed.is_empty() {
            return;
        }
        let mut inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        inner.candidates.extend(capture.added.iter().copied());
        for id in &capture.removed {
            inner.candidates.remove(id);
        }
    }
}

impl Capture {
    /// A transaction this node learned of (submitted here or carried by a vertex) and has not
    /// decided: remembered if it is a state operation.
    pub(super) fn seen(&mut self, txn: &WriteTransaction, tx: &Transaction) -> Result<()> {
        let Some(sender) = self.sender else {
            return Ok(());
        };
        if tx.conflict_key().sender != sender || !self.known.insert(tx.id()) {
            return Ok(());
        }
        txn.open_table(CANDIDATES)?
            .insert(tx.id().0.as_slice(), tx.as_bytes())?;
        self.added.push(tx.id());
        Ok(())
    }

    /// A decision: an accepted state operation moves to the inbox, a rejected one is dropped.
    pub(super) fn decided(
        &mut self,
        txn: &WriteTransaction,
        tx: &TxId,
        status: TxStatus,
    ) -> Result<()> {
        if self.known.is_empty() || !self.known.remove(tx) {
            return Ok(());
        }
        let bytes = txn
            .open_table(CANDIDATES)?
            .remove(tx.0.as_slice())?
            .map(|b| b.value().to_vec());
        if let (TxStatus::Accepted, Some(bytes)) = (status, bytes) {
            let mut inbox = txn.open_table(INBOX)?;
            let seq = inbox.last()?.map_or(1, |(k, _)| k.value() + 1);
            inbox.insert(seq, bytes.as_slice())?;
        }
        self.removed.push(*tx);
        self.decided.push((*tx, status));
        Ok(())
    }
}

/// Creates the tables (at open, so readers never miss them).
pub(super) fn create_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(CANDIDATES)?;
    txn.open_table(INBOX)?;
    txn.open_table(REVISIONS)?;
    Ok(())
}

impl Store {
    /// Starts capturing the transactions `sender` (SHA-256
    /// of the state key) signs. Call before consensus starts.
    pub fn init_replication(&self, sender: [u8; 32]) -> Result<()> {
        let txn = self.db.begin_write()?;
        let mut candidates = HashSet::new();
        {
            let table = txn.open_table(CANDIDATES)?;
            for entry in table.iter()? {
                let (id, _) = entry?;
                candidates.insert(TxId(super::consensus::id32(id.value())));
            }
        }
        txn.commit()?;
        let mut inner = self.state_index.0.lock().unwrap_or_else(|e| e.into_inner());
        inner.sender = Some(sender);
        inner.candidates = candidates;
        Ok(())
    }

    /// The revision `object` has reached here (0: never written).
    pub fn revision(&self, object: &str) -> Result<u64> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(REVISIONS)?;
        Ok(table.get(object)?.map_or(0, |v| v.value()))
    }

    /// Accepted operations not applied yet, oldest first.
    pub fn inbox(&self) -> Result<Vec<(u64, Vec<u8>)>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(INBOX)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (seq, bytes) = entry?;
            out.push((seq.value(), bytes.value().to_vec()));
        }
        Ok(out)
    }

    /// Every state operation this node knows of and has not applied: seen but undecided, or
    /// accepted and waiting in the inbox (transaction bytes).
    pub fn unapplied_state_ops(&self) -> Result<Vec<Vec<u8>>> {
        let txn = self.db.begin_read()?;
        let mut out = Vec::new();
        for entry in txn.open_table(CANDIDATES)?.iter()? {
            out.push(entry?.1.value().to_vec());
        }
        for entry in txn.open_table(INBOX)?.iter()? {
            out.push(entry?.1.value().to_vec());
        }
        Ok(out)
    }

    /// Drops an inbox entry that will never apply (a duplicate, or undecodable).
    pub fn drop_from_inbox(&self, seq: u64) -> Result<()> {
        let txn = self.db.begin_write()?;
        txn.open_table(INBOX)?.remove(seq)?;
        txn.commit()?;
        Ok(())
    }
}

/// The revision of `object` as of `txn`.
pub fn revision_in(txn: &WriteTransaction, object: &str) -> Result<u64> {
    Ok(txn
        .open_table(REVISIONS)?
        .get(object)?
        .map_or(0, |v| v.value()))
}

/// Records that `object` reached `revision` and, when it came from the inbox, removes the
/// entry: in the same transaction as the change itself, so an operation applies exactly once.
pub fn advance(
    txn: &WriteTransaction,
    object: &str,
    revision: u64,
    inbox_seq: Option<u64>,
) -> Result<()> {
    txn.open_table(REVISIONS)?.insert(object, revision)?;
    if let Some(seq) = inbox_seq {
        txn.open_table(INBOX)?.remove(seq)?;
    }
    Ok(())
}
