//! The `audit` table: the hash-chained audit log, one JSON record per sequence number.
//!
//! Appends happen inside a write transaction (the vault actor's own, so an operation and its
//! record commit together, or the audit writer's group commit); the chain head is read in the
//! same transaction, so concurrent appenders cannot fork the chain.

use super::Store;
use crate::audit::{AuditEntry, AuditRecord};
use crate::error::{NodeError, Result};
use crate::store::StoreError;
use redb::{ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};

/// Sequence number → JSON [`AuditRecord`].
pub const TABLE: TableDefinition<'static, u64, &'static [u8]> = TableDefinition::new("audit");

fn decode(seq: u64, bytes: &[u8]) -> Result<AuditRecord> {
    serde_json::from_slice(bytes).map_err(|e| {
        NodeError::Store(StoreError::Database(format!(
            "audit record {seq} is unreadable: {e}"
        )))
    })
}

/// Appends `entry` after the current chain head inside `txn`; returns the new record.
pub fn append(txn: &WriteTransaction, time: u64, entry: &AuditEntry) -> Result<AuditRecord> {
    let mut table = txn.open_table(TABLE)?;
    let head = table
        .last()?
        .map(|(k, v)| decode(k.value(), v.value()))
        .transpose()?;
    let (seq, prev_hash) = match head {
        Some(h) => (h.seq + 1, h.hash),
        None => (1, AuditRecord::GENESIS.to_string()),
    };
    let record = AuditRecord::seal(seq, time, entry, prev_hash);
    let bytes = serde_json::to_vec(&record)
        .map_err(|e| NodeError::Store(StoreError::Database(e.to_string())))?;
    table.insert(seq, bytes.as_slice())?;
    Ok(record)
}

impl Store {
    /// Creates the audit table if needed, so readers can always open it.
    pub fn init_audit_table(&self) -> Result<()> {
        let txn = self.db.begin_write()?;
        txn.open_table(TABLE)?;
        txn.commit()?;
        Ok(())
    }

    /// Opens a write transaction for callers that append records next to their own writes.
    pub fn begin_write(&self) -> Result<WriteTransaction> {
        Ok(self.db.begin_write()?)
    }

    /// Up to `limit` records with `seq > after`, oldest first.
    pub fn audit_page(&self, after: u64, limit: usize) -> Result<Vec<AuditRecord>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(TABLE)?;
        let mut out = Vec::new();
        for entry in table.range(after.saturating_add(1)..)?.take(limit) {
            let (k, v) = entry?;
            out.push(decode(k.value(), v.value())?);
        }
        Ok(out)
    }

    /// Visits every stored record in sequence order, as raw bytes, in one snapshot; stops
    /// when `visit` returns false.
    pub fn audit_scan(&self, mut visit: impl FnMut(u64, &[u8]) -> bool) -> Result<()> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(TABLE)?;
        for entry in table.iter()? {
            let (k, v) = entry?;
            if !visit(k.value(), v.value()) {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::verify;

    fn entry(i: u32) -> AuditEntry {
        AuditEntry {
            token_id: "root".into(),
            operation: "vault.read".into(),
            target: format!("agents/a{i}"),
            outcome: "ok".into(),
        }
    }

    fn store_with(n: u32) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.init_audit_table().unwrap();
        for i in 0..n {
            let txn = store.begin_write().unwrap();
            append(&txn, 100 + u64::from(i), &entry(i)).unwrap();
            txn.commit().unwrap();
        }
        (dir, store)
    }

    /// Rewrites the stored bytes of record `seq` through `edit`, as an attacker with file
    /// access would.
    fn tamper(store: &Store, seq: u64, edit: impl FnOnce(&mut serde_json::Value)) {
        let txn = store.db.begin_write().unwrap();
        {
            let mut table = txn.open_table(TABLE).unwrap();
            let bytes = table.get(seq).unwrap().unwrap().value().to_vec();
            let mut value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            edit(&mut value);
            let bytes = serde_json::to_vec(&value).unwrap();
            table.insert(seq, bytes.as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }

    #[test]
    fn records_chain_and_page() {
        let (_dir, store) = store_with(5);
        let all = store.audit_page(0, 100).unwrap();
        assert_eq!(
            all.iter().map(|r| r.seq).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
        assert_eq!(all[0].prev_hash, AuditRecord::GENESIS);
        for pair in all.windows(2) {
            assert_eq!(pair[1].prev_hash, pair[0].hash);
        }
        let page = store.audit_page(2, 2).unwrap();
        assert_eq!(page.iter().map(|r| r.seq).collect::<Vec<_>>(), [3, 4]);
        let report = verify(&store).unwrap();
        assert!(report.valid);
        assert_eq!(report.records, 5);
    }

    #[test]
    fn an_edited_record_breaks_the_chain_at_that_record() {
        let (_dir, store) = store_with(5);
        tamper(&store, 3, |v| v["outcome"] = "forbidden".into());
        let report = verify(&store).unwrap();
        assert!(!report.valid);
        assert_eq!(report.first_broken.as_ref().unwrap().seq, 3);
        assert_eq!(report.records, 5);
    }

    #[test]
    fn a_rehashed_record_breaks_the_link_to_the_next() {
        let (_dir, store) = store_with(5);
        let original = store.audit_page(1, 1).unwrap().remove(0);
        tamper(&store, 2, |v| {
            let mut forged = original.clone();
            forged.target = "agents/other".into();
            let forged = AuditRecord::seal(
                forged.seq,
                forged.time,
                &forged.entry(),
                forged.prev_hash.clone(),
            );
            *v = serde_json::to_value(forged).unwrap();
        });
        let report = verify(&store).unwrap();
        let broken = report.first_broken.unwrap();
        assert_eq!(broken.seq, 3);
        assert!(broken.reason.contains("prev_hash"), "{}", broken.reason);
    }

    #[test]
    fn a_removed_record_is_reported_as_a_gap() {
        let (_dir, store) = store_with(4);
        let txn = store.db.begin_write().unwrap();
        txn.open_table(TABLE).unwrap().remove(2).unwrap();
        txn.commit().unwrap();
        let broken = verify(&store).unwrap().first_broken.unwrap();
        assert_eq!(broken.seq, 3);
    }
}
