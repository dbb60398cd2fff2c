//! The `keys` table: one record per named key, private material sealed under the master key.

use super::{JsonTable, Store};
use crate::error::Result;
use serde::{Deserialize, Serialize};

/// The `keys` table.
pub const TABLE: JsonTable = JsonTable::new("keys");

/// A named key as persisted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredKey {
    /// Key name (also the table key).
    pub name: String,
    /// `ml-kem-768`, `ml-dsa-44`, ...
    pub key_type: String,
    /// Unix seconds.
    pub created_at: u64,
    /// Versions below this no longer decrypt or verify.
    pub min_decryption_version: u32,
    /// Whether `DELETE` is allowed.
    pub deletion_allowed: bool,
    /// Every version, oldest first.
    pub versions: Vec<StoredVersion>,
}

/// One version of a key as persisted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredVersion {
    /// 1-based version number.
    pub version: u32,
    /// Unix seconds.
    pub created_at: u64,
    /// The key's seed, AES-256-GCM sealed under the master key with label
    /// [`seed_label`]; the public key is re-derived from it at load.
    pub sealed_seed: Vec<u8>,
}

/// The AAD binding a sealed seed to its key, version and type.
pub fn seed_label(name: &str, version: u32, key_type: &str) -> Vec<u8> {
    format!("cretoai/key-seed/v1/{key_type}/{version}/{name}").into_bytes()
}

impl Store {
    /// Inserts or replaces a key record (durable on return).
    pub fn put_key(&self, key: &StoredKey) -> Result<()> {
        self.put(TABLE, &key.name, key)
    }

    /// Deletes a key record; returns whether it existed.
    pub fn delete_key(&self, name: &str) -> Result<bool> {
        self.remove(TABLE, name)
    }

    /// Every stored key.
    pub fn all_keys(&self) -> Result<Vec<StoredKey>> {
        self.all(TABLE)
    }

    /// One stored key.
    pub fn get_key(&self, name: &str) -> Result<Option<StoredKey>> {
        self.get(TABLE, name)
    }
}
