//! The master key that seals private key material at rest.
//!
//! Taken from `CRETOAI_MASTER_KEY` (base64 of 32 bytes) when set, else from
//! `<data dir>/master.key`, which is created with mode 0600 at first start.

use crate::error::{NodeError, Result};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use cretoai_crypto::aead;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use zeroize::Zeroizing;

/// File name of the generated master key inside the data directory.
pub const KEY_FILE: &str = "master.key";

/// A 256-bit AES-GCM key, wiped from memory on drop.
pub struct MasterKey(Zeroizing<[u8; aead::KEY_LEN]>);

impl MasterKey {
    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; aead::KEY_LEN]) -> Self {
        MasterKey(Zeroizing::new(bytes))
    }

    /// Decodes the base64 form used by `CRETOAI_MASTER_KEY` and the key file.
    pub fn from_base64(text: &str) -> Result<Self> {
        let bytes =
            Zeroizing::new(STANDARD.decode(text.trim()).map_err(|_| {
                NodeError::Config("master key is not valid standard base64".into())
            })?);
        let array: [u8; aead::KEY_LEN] = bytes.as_slice().try_into().map_err(|_| {
            NodeError::Config(format!(
                "master key must decode to {} bytes, got {}",
                aead::KEY_LEN,
                bytes.len()
            ))
        })?;
        Ok(MasterKey::from_bytes(array))
    }

    /// Loads the key from the environment value if given, else from (or into) the key file.
    pub fn load(env_value: Option<&str>, data_dir: &Path) -> Result<Self> {
        if let Some(text) = env_value {
            return MasterKey::from_base64(text);
        }
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => MasterKey::from_base64(&Zeroizing::new(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_key_file(&path),
            Err(e) => Err(NodeError::Config(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    }

    /// Encrypts `plaintext` bound to `label`, so a sealed blob cannot be moved to another record.
    pub fn seal(&self, plaintext: &[u8], label: &[u8]) -> Result<Vec<u8>> {
        Ok(aead::seal(&self.0, plaintext, label)?)
    }

    /// Decrypts a blob made by [`MasterKey::seal`] with the same label.
    pub fn open(&self, sealed: &[u8], label: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        aead::open(&self.0, sealed, label).map_err(|_| {
            NodeError::Config(
                "a record sealed at rest does not open with this master key (wrong CRETOAI_MASTER_KEY or master.key?)"
                    .into(),
            )
        })
    }
}

fn create_key_file(path: &Path) -> Result<MasterKey> {
    let key: [u8; aead::KEY_LEN] = cretoai_crypto::random::array();
    let key = MasterKey::from_bytes(key);
    let text = Zeroizing::new(STANDARD.encode(*key.0));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| NodeError::Config(format!("cannot create {}: {e}", path.display())))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| NodeError::Config(format!("cannot write {}: {e}", path.display())))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_created_0600_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let first = MasterKey::load(None, dir.path()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let sealed = first.seal(b"seed", b"label").unwrap();
        let second = MasterKey::load(None, dir.path()).unwrap();
        assert_eq!(second.open(&sealed, b"label").unwrap().as_slice(), b"seed");
    }

    #[test]
    fn env_key_wins_and_labels_bind_blobs() {
        let dir = tempfile::tempdir().unwrap();
        let env = STANDARD.encode([7u8; 32]);
        let key = MasterKey::load(Some(&env), dir.path()).unwrap();
        assert!(!dir.path().join(KEY_FILE).exists());
        let sealed = key.seal(b"seed", b"key/a/1").unwrap();
        assert!(key.open(&sealed, b"key/b/1").is_err());
    }

    #[test]
    fn malformed_env_keys_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        assert!(MasterKey::load(Some("not base64!"), dir.path()).is_err());
        assert!(MasterKey::load(Some(&STANDARD.encode([1u8; 16])), dir.path()).is_err());
    }
}
