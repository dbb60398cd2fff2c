//! The vault's tables: `vault_secrets` (one JSON metadata record per path) and
//! `vault_versions` (one sealed record per `(path, version)`, see `vault::sealed`).
//!
//! Writes happen only inside a write transaction the vault actor opens, so version numbers are
//! assigned and `cas` checked under redb's single-writer lock; reads use their own read
//! transactions and never wait for the actor.

use super::Store;
use crate::error::{NodeError, Result};
use crate::store::StoreError;
use crate::vault::VaultError;
use redb::{ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Path → JSON [`SecretMeta`].
pub const SECRETS: TableDefinition<'static, &'static str, &'static [u8]> =
    TableDefinition::new("vault_secrets");

/// `(path, version)` → sealed version bytes.
pub const VERSIONS: TableDefinition<'static, (&'static str, u32), &'static [u8]> =
    TableDefinition::new("vault_versions");

/// Everything known about one secret path except the sealed values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretMeta {
    /// Unix seconds of the first version.
    pub created_at: u64,
    /// Unix seconds of the last change.
    pub updated_at: u64,
    /// Newest version number ever assigned (0 before the first write).
    pub current_version: u32,
    /// Versions kept; older ones are pruned on write.
    pub max_versions: u32,
    /// Retained versions by number.
    pub versions: BTreeMap<u32, VersionState>,
}

/// The lifecycle state of one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionState {
    /// Unix seconds.
    pub created_at: u64,
    /// Unix seconds of the soft delete, if deleted and not undeleted.
    pub deleted_at: Option<u64>,
    /// Whether the ciphertext has been removed for good.
    pub destroyed: bool,
}

/// A version as read: its state and, unless destroyed, its sealed bytes.
pub struct ReadVersion {
    /// The version number.
    pub version: u32,
    /// Its state.
    pub state: VersionState,
    /// The sealed record; `None` once destroyed.
    pub sealed: Option<Vec<u8>>,
}

fn corrupt(path: &str, e: impl std::fmt::Display) -> NodeError {
    NodeError::Store(StoreError::Database(format!(
        "vault record `{path}` is corrupt: {e}"
    )))
}

fn decode_meta(path: &str, bytes: &[u8]) -> Result<SecretMeta> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(path, e))
}

impl Store {
    /// Creates the vault tables if they do not exist yet, so readers can always open them.
    pub fn init_vault_tables(&self) -> Result<()> {
        let txn = self.db.begin_write()?;
        txn.open_table(SECRETS)?;
        txn.open_table(VERSIONS)?;
        txn.commit()?;
        Ok(())
    }

    /// The metadata of `path`, if it exists.
    pub fn vault_meta(&self, path: &str) -> Result<Option<SecretMeta>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(SECRETS)?;
        let found = table.get(path)?;
        found.map(|g| decode_meta(path, g.value())).transpose()
    }

    /// One version of `path` (the newest when `version` is `None`) with its sealed bytes, read
    /// in one snapshot so state and bytes agree.
    pub fn vault_version(&self, path: &str, version: Option<u32>) -> Result<ReadVersion> {
        let txn = self.db.begin_read()?;
        let secrets = txn.open_table(SECRETS)?;
        let meta = match secrets.get(path)? {
            Some(g) => decode_meta(path, g.value())?,
            None => return Err(NodeError::Vault(VaultError::NotFound(path.to_string()))),
        };
        let version = version.unwrap_or(meta.current_version);
        let state = *meta.versions.get(&version).ok_or_else(|| {
            NodeError::Vault(VaultError::VersionNotFound {
                path: path.to_string(),
                version,
            })
        })?;
        let versions = txn.open_table(VERSIONS)?;
        let sealed = versions.get((path, version))?.map(|g| g.value().to_vec());
        Ok(ReadVersion {
            version,
            state,
            sealed,
        })
    }

    /// Every path starting with `prefix`, in order.
    pub fn vault_paths(&self, prefix: &str) -> Result<Vec<String>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(SECRETS)?;
        let mut out = Vec::new();
        for entry in table.range(prefix..)? {
            let (key, _) = entry?;
            let path = key.value();
            if !path.starts_with(prefix) {
                break;
            }
            out.push(path.to_string());
        }
        Ok(out)
    }
}

/// Vault reads and writes inside a caller's write transaction.
pub struct VaultTxn<'t>(pub &'t WriteTransaction);

impl VaultTxn<'_> {
    /// The metadata of `path` as of this transaction.
    pub fn meta(&self, path: &str) -> Result<Option<SecretMeta>> {
        let table = self.0.open_table(SECRETS)?;
        let found = table.get(path)?;
        found.map(|g| decode_meta(path, g.value())).transpose()
    }

    /// Writes the metadata of `path`.
    pub fn put_meta(&self, path: &str, meta: &SecretMeta) -> Result<()> {
        let bytes = serde_json::to_vec(meta).map_err(|e| corrupt(path, e))?;
        self.0.open_table(SECRETS)?.insert(path, bytes.as_slice())?;
        Ok(())
    }

    /// Removes the metadata of `path`.
    pub fn remove_meta(&self, path: &str) -> Result<()> {
        self.0.open_table(SECRETS)?.remove(path)?;
        Ok(())
    }

    /// Stores a sealed version.
    pub fn put_sealed(&self, path: &str, version: u32, sealed: &[u8]) -> Result<()> {
        self.0
            .open_table(VERSIONS)?
            .insert((path, version), sealed)?;
        Ok(())
    }

    /// Removes a sealed version (destroy, prune); the bytes are gone once the transaction commits.
    pub fn remove_sealed(&self, path: &str, version: u32) -> Result<()> {
        self.0.open_table(VERSIONS)?.remove((path, version))?;
        Ok(())
    }

    /// Every stored `(path, version, sealed)`; used by rewrap.
    pub fn all_sealed(&self) -> Result<Vec<(String, u32, Vec<u8>)>> {
        let table = self.0.open_table(VERSIONS)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (key, value) = entry?;
            let (path, version) = key.value();
            out.push((path.to_string(), version, value.value().to_vec()));
        }
        Ok(out)
    }
}
