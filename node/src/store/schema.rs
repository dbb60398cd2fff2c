//! The store's schema version, kept in the `meta` table.
//!
//! Version 1 is the layout this release writes: vertex encodings and submitted runs in the
//! blob file, decisions logged in runs, decided rows merged from the stage, status counters
//! kept with every commit. A data directory without a version is stamped 1 at its first open by
//! this release if it holds nothing older. Pre-release layouts (values stored as chunks inside
//! the database or inline, single-record submissions and decisions in the log, undecided rows
//! in the transaction table, no status counters) are refused with a message saying so: they
//! were written by builds before any release, and the code that read them is gone. A version
//! newer than this release knows is refused too, rather than misread.

use super::blob_file::FILE_REF_TAG;
use super::consensus::{COUNTS, LOG, TXS, VERTICES};
use super::meta;
use crate::error::{NodeError, Result};
use crate::store::StoreError;
use redb::{ReadableTable, ReadableTableMetadata, TableHandle, WriteTransaction};

/// The schema this release reads and writes.
pub const SCHEMA_VERSION: u64 = 1;
/// Key of the version in the `meta` table (a JSON number).
const KEY: &str = "schema_version";
/// The table pre-release builds kept large values in, as chunks.
const CHUNKS_TABLE: &str = "consensus_blob_chunks";
/// Log tags of pre-release builds: one submitted transaction inline, one decision.
const OLD_TAG_SUBMITTED: u8 = 1;
const OLD_TAG_STATUS: u8 = 4;

/// Checks the data directory's schema inside the store's opening transaction: stamps an
/// unversioned one of the current layout, refuses anything else.
pub(super) fn settle(txn: &WriteTransaction) -> Result<()> {
    let stored = {
        let table = txn.open_table(meta::TABLE)?;
        let value = table.get(KEY)?;
        match value {
            Some(v) => Some(serde_json::from_slice::<u64>(v.value()).map_err(|_| {
                NodeError::Store(StoreError::Database(
                    "the store's schema version is unreadable".into(),
                ))
            })?),
            None => None,
        }
    };
    match stored {
        Some(SCHEMA_VERSION) => Ok(()),
        Some(v) => Err(NodeError::Config(format!(
            "the data directory has store schema {v}; this release reads schema \
             {SCHEMA_VERSION} only (it was written by a newer release: run that one)"
        ))),
        None => {
            if let Some(what) = pre_release_layout(txn)? {
                return Err(NodeError::Config(format!(
                    "the data directory was written by a pre-release build ({what}); this \
                     release does not read that layout: start with an empty data directory"
                )));
            }
            let version = SCHEMA_VERSION.to_string();
            txn.open_table(meta::TABLE)?
                .insert(KEY, version.as_bytes())?;
            Ok(())
        }
    }
}

/// The stored schema version, if stamped.
pub(super) fn stored(txn: &redb::ReadTransaction) -> Result<Option<u64>> {
    let table = txn.open_table(meta::TABLE)?;
    let value = table.get(KEY)?;
    Ok(value.and_then(|v| serde_json::from_slice(v.value()).ok()))
}

/// What in an unversioned data directory only pre-release builds wrote, if anything. Read once,
/// at the first open by this release (the log and tables are scanned; their values are small
/// references, not the large values themselves).
fn pre_release_layout(txn: &WriteTransaction) -> Result<Option<&'static str>> {
    let tables: Vec<String> = txn.list_tables()?.map(|t| t.name().to_string()).collect();
    let has = |name: &str| tables.iter().any(|t| t == name);
    if has(CHUNKS_TABLE) {
        let chunks: redb::TableDefinition<(u64, u32), &[u8]> =
            redb::TableDefinition::new(CHUNKS_TABLE);
        if !txn.open_table(chunks)?.is_empty()? {
            return Ok(Some("values stored as chunks inside the database"));
        }
    }
    if has(VERTICES.name()) {
        for entry in txn.open_table(VERTICES)?.iter()? {
            let (_, value) = entry?;
            if value.value().first() != Some(&FILE_REF_TAG) {
                return Ok(Some("vertices stored inline"));
            }
        }
    }
    if has(LOG.name()) {
        for entry in txn.open_table(LOG)?.iter()? {
            let (_, value) = entry?;
            if matches!(
                value.value().first(),
                Some(&OLD_TAG_SUBMITTED | &OLD_TAG_STATUS)
            ) {
                return Ok(Some("single-record submissions or decisions in the log"));
            }
        }
    }
    if has(TXS.name()) {
        let txs = txn.open_table(TXS)?;
        if !txs.is_empty()? && (!has(COUNTS.name()) || txn.open_table(COUNTS)?.is_empty()?) {
            return Ok(Some("transaction rows without status counters"));
        }
        for entry in txs.iter()? {
            let (_, row) = entry?;
            if row.value().first() == Some(&0) {
                return Ok(Some("undecided rows in the transaction table"));
            }
        }
    }
    Ok(None)
}
