//! The read side of the key ring: an in-memory map of the published keys.
//!
//! Request handlers look keys up here without going through the actor, so signing and
//! encryption never queue behind it. Only the key ring actor publishes, after the store write.

use super::key_ring::NamedKey;
use super::KeyError;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Shared, cheaply cloneable view of every live key. The lock is held only to clone an `Arc`.
#[derive(Clone, Default)]
pub struct KeyDirectory(Arc<RwLock<HashMap<String, Arc<NamedKey>>>>);

impl KeyDirectory {
    /// The key named `name`, or `key_not_found`.
    pub fn get(&self, name: &str) -> std::result::Result<Arc<NamedKey>, KeyError> {
        let map = self.0.read().unwrap_or_else(|e| e.into_inner());
        map.get(name)
            .cloned()
            .ok_or_else(|| KeyError::NotFound(name.to_string()))
    }

    /// Every key, sorted by name.
    pub fn list(&self) -> Vec<Arc<NamedKey>> {
        let mut keys: Vec<_> = {
            let map = self.0.read().unwrap_or_else(|e| e.into_inner());
            map.values().cloned().collect()
        };
        keys.sort_by(|a, b| a.name.cmp(&b.name));
        keys
    }

    /// Whether a key with this name exists.
    pub fn contains(&self, name: &str) -> bool {
        let map = self.0.read().unwrap_or_else(|e| e.into_inner());
        map.contains_key(name)
    }

    pub(crate) fn publish(&self, key: Arc<NamedKey>) {
        let mut map = self.0.write().unwrap_or_else(|e| e.into_inner());
        map.insert(key.name.clone(), key);
    }

    pub(crate) fn withdraw(&self, name: &str) {
        let mut map = self.0.write().unwrap_or_else(|e| e.into_inner());
        map.remove(name);
    }
}
