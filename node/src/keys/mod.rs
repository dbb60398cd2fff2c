//! Named, versioned ML-KEM / ML-DSA keys: the domain rules ([`key_ring`]), the actor that
//! loads them and changes the node's own keys ([`actor`]; replicated keys change through
//! `crate::replication`), the lock-light read view ([`directory`]) and the crypto operations
//! on them ([`operations`], over the primitives in [`usage`]).

pub mod actor;
pub mod directory;
mod error;
pub mod key_ring;
pub mod operations;
pub mod usage;

pub use error::KeyError;

use crate::clock::SharedClock;
use crate::error::{NodeError, Result};
use crate::master_key::MasterKey;
use crate::store::Store;
use actix::{Actor, Addr, Arbiter, Handler, Message};
use actor::{ConfigureKey, DeleteKey, KeyRingActor, RotateKey};
use directory::KeyDirectory;
use key_ring::NamedKey;
use std::sync::Arc;

/// Handle to the key ring: writes go to the actor, reads to the directory.
#[derive(Clone)]
pub struct KeyRing {
    addr: Addr<KeyRingActor>,
    directory: KeyDirectory,
}

impl KeyRing {
    /// Loads the stored keys and starts the actor on its own arbiter (thread), so its durable
    /// store writes never stall an HTTP worker. Must run inside an actix system.
    pub fn start(store: Store, master: Arc<MasterKey>, clock: SharedClock) -> Result<Self> {
        let actor = KeyRingActor::load(store, master, clock)?;
        let directory = actor.directory();
        let arbiter = Arbiter::new();
        let addr = KeyRingActor::start_in_arbiter(&arbiter.handle(), move |_| actor);
        Ok(KeyRing { addr, directory })
    }

    /// The read view.
    pub fn directory(&self) -> &KeyDirectory {
        &self.directory
    }

    /// Whether the actor is still running.
    pub fn is_running(&self) -> bool {
        self.addr.connected()
    }

    async fn ask<M>(&self, msg: M) -> Result<M::Result>
    where
        M: Message + Send + 'static,
        M::Result: Send,
        KeyRingActor: Handler<M>,
    {
        self.addr
            .send(msg)
            .await
            .map_err(|_| NodeError::Unavailable("key ring actor"))
    }

    /// Adds a new newest version.
    pub async fn rotate(&self, name: String) -> Result<Arc<NamedKey>> {
        self.ask(RotateKey { name }).await?
    }

    /// Changes `min_decryption_version` and / or `deletion_allowed`.
    pub async fn configure(
        &self,
        name: String,
        min_decryption_version: Option<u32>,
        deletion_allowed: Option<bool>,
    ) -> Result<Arc<NamedKey>> {
        self.ask(ConfigureKey {
            name,
            min_decryption_version,
            deletion_allowed,
        })
        .await?
    }

    /// Deletes a key if its config allows it.
    pub async fn delete(&self, name: String) -> Result<()> {
        self.ask(DeleteKey { name }).await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::AuditEntry;
    use crate::clock::ManualClock;
    use crate::crypto_pool::CryptoPool;
    use crate::replication::Replicator;
    use crate::vault::{Vault, VaultLimits};
    use cretoai_crypto::ml_dsa::MlDsaLevel;
    use key_ring::KeyType;

    fn master() -> Arc<MasterKey> {
        Arc::new(MasterKey::from_bytes([3; 32]))
    }

    fn clock() -> SharedClock {
        Arc::new(ManualClock::new(100))
    }

    /// Keys change through the replicator, as the API does (a node without peers applies at
    /// once).
    fn keys(store: &Store) -> Replicator {
        crate::vault::ensure_key(store, &master(), 100).unwrap();
        let ring = KeyRing::start(store.clone(), master(), clock()).unwrap();
        let limits = VaultLimits {
            max_value_bytes: 1024,
            max_versions: 3,
        };
        let pool = CryptoPool::start(1);
        let vault = Vault::start(
            store.clone(),
            ring.directory().clone(),
            pool,
            clock(),
            limits,
        );
        crate::replication::proposals::for_tests(store, master(), &ring, &vault.unwrap(), clock())
    }

    fn entry() -> AuditEntry {
        AuditEntry::new("t1", "key.test", "k")
    }

    async fn create(keys: &Replicator, name: &str, t: KeyType, deletable: bool) -> Result<()> {
        keys.key_create(entry(), name.into(), t, deletable)
            .await
            .map(|_| ())
    }

    #[actix_rt::test]
    async fn writes_are_persisted_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let keys = keys(&store);
        let t = KeyType::MlDsa(MlDsaLevel::MlDsa44);
        create(&keys, "a", t, false).await.unwrap();
        keys.key_rotate(entry(), "a".into()).await.unwrap();
        let before = keys
            .key_configure(entry(), "a".into(), Some(2), None)
            .await
            .unwrap();
        create(&keys, "gone", KeyType::MlKem768, true)
            .await
            .unwrap();
        keys.key_delete(entry(), "gone".into()).await.unwrap();
        // A fresh load reads everything back from the database, opening the sealed seeds.
        let reloaded = KeyRingActor::load(store, master(), clock())
            .unwrap()
            .directory();
        let after = reloaded.get("a").unwrap();
        assert_eq!(after.latest_version(), 2);
        assert_eq!(after.min_decryption_version, 2);
        assert_eq!(after.created_at, 100);
        assert_eq!(
            after.latest().material.public_key(),
            before.latest().material.public_key()
        );
        assert!(matches!(reloaded.get("gone"), Err(KeyError::NotFound(_))));
    }

    #[actix_rt::test]
    async fn duplicate_names_and_forbidden_deletes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let keys = keys(&Store::open(dir.path()).unwrap());
        create(&keys, "k", KeyType::MlKem768, false).await.unwrap();
        assert!(matches!(
            create(&keys, "k", KeyType::MlKem768, false).await,
            Err(NodeError::Keys(KeyError::Exists(_)))
        ));
        assert!(matches!(
            keys.key_delete(entry(), "k".into()).await,
            Err(NodeError::Keys(KeyError::DeletionNotAllowed(_)))
        ));
        assert!(matches!(
            keys.key_rotate(entry(), "nope".into()).await,
            Err(NodeError::Keys(KeyError::NotFound(_)))
        ));
        keys.key_configure(entry(), "k".into(), None, Some(true))
            .await
            .unwrap();
        keys.key_delete(entry(), "k".into()).await.unwrap();
    }

    #[actix_rt::test]
    async fn the_raw_database_file_holds_no_private_key_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let keys = keys(&Store::open(dir.path()).unwrap());
        let mut seeds = Vec::new();
        for t in KeyType::ALL {
            let name = t.as_str().to_string();
            create(&keys, &name, t, false).await.unwrap();
            let key = keys.key_rotate(entry(), name).await.unwrap();
            seeds.extend(key.versions.values().map(|v| v.material.seed().to_vec()));
        }
        let raw = std::fs::read(dir.path().join(crate::store::DB_FILE)).unwrap();
        assert_eq!(seeds.len(), 8);
        for seed in &seeds {
            let needle = &seed[..16];
            assert!(
                !raw.windows(needle.len()).any(|w| w == needle),
                "seed bytes found in the database file"
            );
            let hex_seed = hex::encode(seed);
            let text = String::from_utf8_lossy(&raw);
            assert!(!text.contains(&hex_seed[..32]));
            let json_numbers = serde_json::to_string(&seed[..8]).unwrap();
            assert!(!text.contains(json_numbers.trim_matches(['[', ']'])));
        }
    }
}
