//! Node-wide single records, such as the master key check value.

use super::{JsonTable, Store};
use crate::error::{NodeError, Result};
use crate::master_key::MasterKey;
use serde::{Deserialize, Serialize};

/// The `meta` table.
pub const TABLE: JsonTable = JsonTable::new("meta");

const CHECK_KEY: &str = "master_key_check";
const CHECK_LABEL: &[u8] = b"cretoai/master-key-check/v1";
const CHECK_PLAINTEXT: &[u8] = b"cretoai master key check";

#[derive(Serialize, Deserialize)]
struct MasterKeyCheck {
    sealed: Vec<u8>,
}

impl Store {
    /// Proves the master key is the one this database was created with, so a wrong key fails
    /// at start instead of silently mixing records sealed under two keys.
    pub fn check_master_key(&self, master: &MasterKey) -> Result<()> {
        match self.get::<MasterKeyCheck>(TABLE, CHECK_KEY)? {
            Some(check) => {
                let plain = master.open(&check.sealed, CHECK_LABEL)?;
                if plain.as_slice() != CHECK_PLAINTEXT {
                    return Err(NodeError::Config("master key check value differs".into()));
                }
                Ok(())
            }
            None => {
                let sealed = master.seal(CHECK_PLAINTEXT, CHECK_LABEL)?;
                self.put(TABLE, CHECK_KEY, &MasterKeyCheck { sealed })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_different_master_key_is_refused_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .check_master_key(&MasterKey::from_bytes([1; 32]))
            .unwrap();
        store
            .check_master_key(&MasterKey::from_bytes([1; 32]))
            .unwrap();
        assert!(store
            .check_master_key(&MasterKey::from_bytes([2; 32]))
            .is_err());
    }
}
