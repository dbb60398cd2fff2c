//! The node's redb database, `<data dir>/cretoai.redb`, one module per table family, and the
//! append-only file of large consensus values beside it, `<data dir>/cretoai.blobs`.
//!
//! Records are JSON values under string keys; every write commits durably before it returns,
//! so an acknowledged API write survives a crash.

pub mod audit;
mod blob_file;
mod blobs;
pub mod consensus;
mod error;
pub mod keys;
mod log;
pub mod meta;
mod pending;
pub mod replication;
mod row_merge;
mod schema;
pub mod tokens;
mod tx_row;
pub mod vault;

pub use error::StoreError;

use crate::error::{NodeError, Result};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "cretoai.redb";
pub use blob_file::BLOB_FILE;
pub use schema::SCHEMA_VERSION;
/// Default size of redb's page cache. redb's own default (1 GiB) lets the cache grow with
/// the data written, which is most of a busy node's RSS; writes do not need it (they go to
/// the file and are fsynced) and reads of recent pages stay hot in the OS page cache.
pub const DEFAULT_CACHE_MIB: usize = 16;

/// A table of JSON records keyed by name.
pub(crate) type JsonTable = TableDefinition<'static, &'static str, &'static [u8]>;

/// Handle to the open database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
    path: PathBuf,
    /// Transaction rows not in `consensus_txs` yet: undecided ones, and decided ones staged
    /// until the next merge.
    pending: Arc<pending::PendingTxs>,
    /// Vertex encodings, submitted runs and staged rows, referenced from the consensus tables.
    blob_file: Arc<blob_file::BlobFile>,
    /// Which transactions are state operations, and which of those are undecided.
    state_index: Arc<replication::StateIndex>,
}

impl Store {
    /// Opens (or creates) the database in `data_dir` with the default page cache
    /// ([`DEFAULT_CACHE_MIB`]) and makes sure every table exists.
    pub fn open(data_dir: &Path) -> Result<Self> {
        Self::open_with_cache(data_dir, DEFAULT_CACHE_MIB * 1024 * 1024)
    }

    /// [`Store::open`] with an explicit page cache size in bytes.
    pub fn open_with_cache(data_dir: &Path, cache_bytes: usize) -> Result<Self> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| NodeError::Config(format!("cannot create {}: {e}", data_dir.display())))?;
        let path = data_dir.join(DB_FILE);
        let db = Database::builder()
            .set_cache_size(cache_bytes)
            .create(&path)?;
        let txn = db.begin_write()?;
        for table in [keys::TABLE, tokens::TABLE, meta::TABLE] {
            txn.open_table(table)?;
        }
        replication::create_tables(&txn)?;
        schema::settle(&txn)?;
        let blob_file = blob_file::BlobFile::open_for(&txn, data_dir)?;
        txn.commit()?;
        Ok(Store {
            db: Arc::new(db),
            path,
            pending: Arc::default(),
            blob_file: Arc::new(blob_file),
            state_index: Arc::default(),
        })
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version stamped in `meta` ([`SCHEMA_VERSION`] once open).
    pub fn schema_version(&self) -> Result<Option<u64>> {
        schema::stored(&self.db.begin_read()?)
    }

    /// Whether a read transaction can be started (used by `/ready`).
    pub fn is_readable(&self) -> bool {
        self.db.begin_read().is_ok()
    }

    fn put<T: Serialize>(&self, table: JsonTable, key: &str, value: &T) -> Result<()> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| NodeError::Store(StoreError::Database(e.to_string())))?;
        let txn = self.db.begin_write()?;
        txn.open_table(table)?.insert(key, bytes.as_slice())?;
        txn.commit()?;
        Ok(())
    }

    /// Removes `key`; returns whether it existed.
    fn remove(&self, table: JsonTable, key: &str) -> Result<bool> {
        let txn = self.db.begin_write()?;
        let existed = txn.open_table(table)?.remove(key)?.is_some();
        txn.commit()?;
        Ok(existed)
    }

    fn get<T: DeserializeOwned>(&self, table: JsonTable, key: &str) -> Result<Option<T>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(table)?;
        let Some(guard) = table.get(key)? else {
            return Ok(None);
        };
        decode(key, guard.value()).map(Some)
    }

    fn all<T: DeserializeOwned>(&self, table: JsonTable) -> Result<Vec<T>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(table)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (key, value) = entry?;
            out.push(decode(key.value(), value.value())?);
        }
        Ok(out)
    }
}

/// Writes a JSON record inside a caller's transaction.
pub(crate) fn put_in<T: Serialize>(
    txn: &redb::WriteTransaction,
    table: JsonTable,
    key: &str,
    value: &T,
) -> Result<()> {
    let bytes = serde_json::to_vec(value)
        .map_err(|e| NodeError::Store(StoreError::Database(e.to_string())))?;
    txn.open_table(table)?.insert(key, bytes.as_slice())?;
    Ok(())
}

/// Removes a JSON record inside a caller's transaction; returns whether it existed.
pub(crate) fn remove_in(txn: &redb::WriteTransaction, table: JsonTable, key: &str) -> Result<bool> {
    Ok(txn.open_table(table)?.remove(key)?.is_some())
}

fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        NodeError::Store(StoreError::Database(format!(
            "record `{key}` is corrupt: {e}"
        )))
    })
}
