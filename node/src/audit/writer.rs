//! The audit writer: appends records that do not ride in another write transaction (reads,
//! refusals, key operations) with group commit. One thread takes every record waiting in its
//! queue, appends them all in one durable transaction and then answers each caller, so a
//! burst of reads costs one fsync rather than one each.

use super::AuditEntry;
use crate::clock::SharedClock;
use crate::error::{NodeError, Result};
use crate::store::StoreError;
use crate::store::{audit, Store};
use std::sync::mpsc;
use tokio::sync::oneshot;

/// Most records committed in one transaction.
const MAX_BATCH: usize = 512;

struct Pending {
    entry: AuditEntry,
    done: oneshot::Sender<Result<u64>>,
}

/// Handle to the audit log; cheap to clone.
#[derive(Clone)]
pub struct AuditLog {
    queue: mpsc::Sender<Pending>,
    store: Store,
    clock: SharedClock,
}

impl AuditLog {
    /// Creates the table if needed and starts the writer thread, which ends when the last
    /// handle is dropped.
    pub fn start(store: Store, clock: SharedClock) -> Result<Self> {
        store.init_audit_table()?;
        let (queue, inbox) = mpsc::channel();
        let (writer_store, writer_clock) = (store.clone(), clock.clone());
        std::thread::Builder::new()
            .name("cretoai-audit".into())
            .spawn(move || run(&writer_store, &writer_clock, &inbox))
            .map_err(|_| NodeError::Unavailable("audit writer"))?;
        Ok(AuditLog {
            queue,
            store,
            clock,
        })
    }

    /// Appends `entry` durably; returns its sequence number once committed.
    pub async fn record(&self, entry: AuditEntry) -> Result<u64> {
        let (done, answer) = oneshot::channel();
        self.queue
            .send(Pending { entry, done })
            .map_err(|_| NodeError::Unavailable("audit writer"))?;
        answer
            .await
            .map_err(|_| NodeError::Unavailable("audit writer"))?
    }

    /// Records the outcome of `result` for `entry`, then hands `result` back; an append
    /// failure replaces it, because an operation that cannot be audited must not be reported
    /// as done.
    pub async fn outcome<T>(&self, entry: &AuditEntry, result: Result<T>) -> Result<T> {
        self.record(entry.with(&result)).await?;
        result
    }

    /// Records `entry` as refused when `checked` failed (then returns the error); a check that
    /// passed records nothing, because the change it guards records its own outcome.
    pub async fn refused<T>(&self, entry: &AuditEntry, checked: Result<T>) -> Result<T> {
        match checked {
            Ok(value) => Ok(value),
            Err(e) => self.outcome(entry, Err(e)).await,
        }
    }

    /// The store the log lives in (for paging and verification).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The clock stamping records.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }
}

fn run(store: &Store, clock: &SharedClock, inbox: &mpsc::Receiver<Pending>) {
    while let Ok(first) = inbox.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match inbox.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        match commit(store, clock.now(), &batch) {
            Ok(seqs) => {
                for (pending, seq) in batch.into_iter().zip(seqs) {
                    // A caller that went away (client disconnect) needs no answer.
                    let _ = pending.done.send(Ok(seq));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "audit append failed");
                for pending in batch {
                    let _ = pending
                        .done
                        .send(Err(NodeError::Store(StoreError::Database(e.to_string()))));
                }
            }
        }
    }
}

fn commit(store: &Store, now: u64, batch: &[Pending]) -> Result<Vec<u64>> {
    let txn = store.begin_write()?;
    let seqs = batch
        .iter()
        .map(|p| audit::append(&txn, now, &p.entry).map(|r| r.seq))
        .collect::<Result<Vec<_>>>()?;
    txn.commit()?;
    Ok(seqs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::sync::Arc;

    #[actix_rt::test]
    async fn concurrent_appends_get_distinct_gapless_sequence_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let log = AuditLog::start(store.clone(), Arc::new(ManualClock::new(5))).unwrap();
        let calls = (0..200).map(|i| {
            let log = log.clone();
            async move {
                log.record(AuditEntry::new("t", "vault.read", &format!("p{i}")))
                    .await
                    .unwrap()
            }
        });
        let mut seqs = futures_util::future::join_all(calls).await;
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=200).collect::<Vec<_>>());
        let report = super::super::verify(&store).unwrap();
        assert!(report.valid);
        assert_eq!(report.records, 200);
        assert_eq!(store.audit_page(0, 1).unwrap()[0].time, 5);
    }
}
