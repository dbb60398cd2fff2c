//! The vault: versioned secrets (KV version 2 semantics), each version sealed at rest with a
//! fresh data key wrapped by ML-KEM-768 under the vault's own key `_vault` from the key ring.
//!
//! Writes go through the [`actor::VaultActor`]; reads take a redb snapshot on the calling
//! thread and decrypt on the crypto pool, so they never queue behind writes.

pub mod actor;
mod error;
pub mod path;
pub mod sealed;

pub use error::VaultError;

use crate::audit::AuditEntry;
use crate::clock::SharedClock;
use crate::crypto_pool::CryptoPool;
use crate::error::{NodeError, Result};
use crate::keys::directory::KeyDirectory;
use crate::keys::key_ring::{KeyMaterial, KeyType, KeyVersion, NamedKey};
use crate::master_key::MasterKey;
use crate::store::vault::SecretMeta;
use crate::store::Store;
use actix::{Actor, Addr, Arbiter, Handler, Message};
use actor::{Rewrap, Rewrapped, VaultActor};
use sealed::SealedVersion;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Name of the vault's key in the key ring. Names starting with `_` cannot be created through
/// the API, so this one is reserved; it can be rotated like any other key.
pub const VAULT_KEY: &str = "_vault";

/// Size and retention limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VaultLimits {
    /// Largest value (the JSON encoding of `data`) in bytes.
    pub max_value_bytes: usize,
    /// Versions kept per secret unless set otherwise on its metadata.
    pub max_versions: u32,
}

/// A decrypted version.
#[derive(Debug)]
pub struct SecretValue {
    /// The JSON object stored.
    pub data: serde_json::Value,
    /// Its version.
    pub version: u32,
    /// Unix seconds.
    pub created_at: u64,
}

/// Creates the `_vault` ML-KEM-768 key in the store at first start, before the key ring loads
/// it; later starts leave it alone.
pub fn ensure_key(store: &Store, master: &MasterKey, now: u64) -> Result<()> {
    if store.get_key(VAULT_KEY)?.is_some() {
        return Ok(());
    }
    let first = KeyVersion {
        version: 1,
        created_at: now,
        material: KeyMaterial::generate(KeyType::MlKem768)?,
    };
    let key = NamedKey {
        name: VAULT_KEY.to_string(),
        key_type: KeyType::MlKem768,
        created_at: now,
        min_decryption_version: 1,
        deletion_allowed: false,
        versions: BTreeMap::from([(1, Arc::new(first))]),
    };
    store.put_key(&key.to_stored(master)?)
}

/// The vault key from the key ring.
pub(crate) fn vault_key(keys: &KeyDirectory) -> Result<Arc<NamedKey>> {
    keys.get(VAULT_KEY)
        .map_err(|_| NodeError::Unavailable("the vault key `_vault` is missing"))
}

/// Handle to the vault; cheap to clone.
#[derive(Clone)]
pub struct Vault {
    addr: Addr<VaultActor>,
    store: Store,
    keys: KeyDirectory,
    pool: CryptoPool,
    limits: VaultLimits,
}

impl Vault {
    /// Creates the tables and starts the actor on its own arbiter. Must run inside an actix
    /// system, after [`ensure_key`] and the key ring's start.
    pub fn start(
        store: Store,
        keys: KeyDirectory,
        pool: CryptoPool,
        clock: SharedClock,
        limits: VaultLimits,
    ) -> Result<Self> {
        store.init_vault_tables()?;
        vault_key(&keys)?;
        let actor = VaultActor {
            store: store.clone(),
            keys: keys.clone(),
            clock,
        };
        let addr = VaultActor::start_in_arbiter(&Arbiter::new().handle(), move |_| actor);
        Ok(Vault {
            addr,
            store,
            keys,
            pool,
            limits,
        })
    }

    /// The configured limits.
    pub fn limits(&self) -> VaultLimits {
        self.limits
    }

    /// Fails with `value_too_large` when a value of `len` bytes exceeds the limit.
    pub fn check_size(&self, len: usize) -> Result<()> {
        if len > self.limits.max_value_bytes {
            return Err(NodeError::Vault(VaultError::ValueTooLarge {
                size: len,
                limit: self.limits.max_value_bytes,
            }));
        }
        Ok(())
    }

    /// Whether the actor is still running.
    pub fn is_running(&self) -> bool {
        self.addr.connected()
    }

    async fn ask<M>(&self, msg: M) -> Result<M::Result>
    where
        M: Message + Send + 'static,
        M::Result: Send,
        VaultActor: Handler<M>,
    {
        self.addr
            .send(msg)
            .await
            .map_err(|_| NodeError::Unavailable("vault actor"))
    }

    /// Re-wraps every data key under the newest vault key version.
    pub async fn rewrap(&self, audit: AuditEntry) -> Result<Rewrapped> {
        self.ask(Rewrap { audit }).await?
    }

    /// Reads and decrypts a version (the newest when `version` is `None`). Deleted versions are
    /// `secret_version_deleted`, destroyed ones `secret_version_destroyed`.
    pub async fn read(&self, path: &str, version: Option<u32>) -> Result<SecretValue> {
        let found = self.store.vault_version(path, version)?;
        if found.state.destroyed {
            return Err(NodeError::Vault(VaultError::VersionDestroyed {
                path: path.to_string(),
                version: found.version,
            }));
        }
        if let Some(deleted_at) = found.state.deleted_at {
            return Err(NodeError::Vault(VaultError::VersionDeleted {
                path: path.to_string(),
                version: found.version,
                deleted_at,
            }));
        }
        let bytes = found
            .sealed
            .ok_or(NodeError::Internal("a live version has no ciphertext"))?;
        let key = vault_key(&self.keys)?;
        let (path_owned, version) = (path.to_string(), found.version);
        let data = self
            .pool
            .run(move || -> Result<serde_json::Value> {
                let sealed = SealedVersion::parse(&bytes)?;
                let KeyMaterial::Kem(dk) = &key.usable_version(sealed.key_version)?.material else {
                    return Err(NodeError::Internal("the vault key is not an ML-KEM key"));
                };
                let plain = sealed.open(dk, &path_owned, version)?;
                serde_json::from_slice(&plain)
                    .map_err(|_| NodeError::Internal("a stored secret is not JSON"))
            })
            .await??;
        Ok(SecretValue {
            data,
            version,
            created_at: found.state.created_at,
        })
    }

    /// The metadata of `path`.
    pub fn meta(&self, path: &str) -> Result<SecretMeta> {
        self.store
            .vault_meta(path)?
            .ok_or_else(|| NodeError::Vault(VaultError::NotFound(path.to_string())))
    }

    /// Every path starting with `prefix`.
    pub fn paths(&self, prefix: &str) -> Result<Vec<String>> {
        self.store.vault_paths(prefix)
    }
}

#[cfg(test)]
mod tests;
