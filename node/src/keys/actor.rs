//! The key ring actor: loads every stored key into the [`KeyDirectory`] that request handlers
//! read, and changes the node's own keys (`_vault`: rotate, config), which are never
//! replicated. Every other key changes through `crate::replication`, whose applier publishes
//! to the same directory.

use super::directory::KeyDirectory;
use super::key_ring::NamedKey;
use crate::clock::SharedClock;
use crate::error::{NodeError, Result};
use crate::keys::KeyError;
use crate::master_key::MasterKey;
use crate::store::Store;
use actix::prelude::*;
use std::sync::Arc;

/// Owns the key store writes.
pub struct KeyRingActor {
    store: Store,
    master: Arc<MasterKey>,
    directory: KeyDirectory,
    clock: SharedClock,
}

impl Actor for KeyRingActor {
    type Context = Context<Self>;
}

impl KeyRingActor {
    /// Loads every stored key into a new directory.
    pub fn load(store: Store, master: Arc<MasterKey>, clock: SharedClock) -> Result<Self> {
        let directory = KeyDirectory::default();
        for stored in store.all_keys()? {
            directory.publish(Arc::new(NamedKey::from_stored(&stored, &master)?));
        }
        Ok(KeyRingActor {
            store,
            master,
            directory,
            clock,
        })
    }

    /// The directory this actor publishes to.
    pub fn directory(&self) -> KeyDirectory {
        self.directory.clone()
    }

    fn commit(&self, key: NamedKey) -> Result<Arc<NamedKey>> {
        self.store.put_key(&key.to_stored(&self.master)?)?;
        let key = Arc::new(key);
        self.directory.publish(key.clone());
        Ok(key)
    }
}

/// Add a new newest version.
#[derive(Message)]
#[rtype(result = "Result<Arc<NamedKey>>")]
pub struct RotateKey {
    /// Key name.
    pub name: String,
}

/// Change a key's settings.
#[derive(Message)]
#[rtype(result = "Result<Arc<NamedKey>>")]
pub struct ConfigureKey {
    /// Key name.
    pub name: String,
    /// New minimum version for decrypt / verify.
    pub min_decryption_version: Option<u32>,
    /// New deletion permission.
    pub deletion_allowed: Option<bool>,
}

/// Delete a key and all its versions (only if `deletion_allowed`).
#[derive(Message)]
#[rtype(result = "Result<()>")]
pub struct DeleteKey {
    /// Key name.
    pub name: String,
}

impl Handler<RotateKey> for KeyRingActor {
    type Result = Result<Arc<NamedKey>>;
    fn handle(&mut self, msg: RotateKey, _: &mut Context<Self>) -> Self::Result {
        let key = self.directory.get(&msg.name)?;
        self.commit(key.rotated(self.clock.now())?)
    }
}

impl Handler<ConfigureKey> for KeyRingActor {
    type Result = Result<Arc<NamedKey>>;
    fn handle(&mut self, msg: ConfigureKey, _: &mut Context<Self>) -> Self::Result {
        let key = self.directory.get(&msg.name)?;
        if msg.deletion_allowed == Some(true) && is_reserved(&msg.name) {
            return Err(NodeError::Keys(KeyError::Reserved(msg.name)));
        }
        self.commit(key.configured(msg.min_decryption_version, msg.deletion_allowed)?)
    }
}

impl Handler<DeleteKey> for KeyRingActor {
    type Result = Result<()>;
    fn handle(&mut self, msg: DeleteKey, _: &mut Context<Self>) -> Self::Result {
        let key = self.directory.get(&msg.name)?;
        if is_reserved(&msg.name) {
            return Err(NodeError::Keys(KeyError::Reserved(msg.name)));
        }
        if !key.deletion_allowed {
            return Err(NodeError::Keys(KeyError::DeletionNotAllowed(msg.name)));
        }
        self.store.delete_key(&msg.name)?;
        self.directory.withdraw(&msg.name);
        Ok(())
    }
}

/// Keys the node creates for itself (the vault's `_vault`): API names cannot start with `_`
/// (`validate_name`), so the prefix marks them. Losing one would orphan what it seals.
fn is_reserved(name: &str) -> bool {
    name.starts_with('_')
}
