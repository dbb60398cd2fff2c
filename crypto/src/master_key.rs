//! The master key: the one 256-bit key that seals every secret a process keeps at rest (private
//! keys, identities, the vault's KEM key).
//!
//! The node and the AuthZ sidecar share this implementation. It comes from the environment
//! (`CRETOAI_MASTER_KEY`) when set, else from `master.key` in the data directory, created at
//! first start. Both of the encodings in use are read: standard base64 and hex (64 digits),
//! and a key file may also hold the 32 raw bytes the sidecar once wrote; new files are written
//! as base64. A seal (Shamir shares, PKCS#11) would be another way to obtain the key, behind
//! [`MasterKey::load`]; what the key seals does not change.

use crate::aead;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// File name of the generated master key inside a data directory.
pub const KEY_FILE: &str = "master.key";

/// Why a master key could not be obtained or used.
#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    /// The text given is neither base64 nor hex of 32 bytes.
    #[error("the master key must be 32 bytes as standard base64 or 64 hex digits ({0})")]
    Encoding(String),
    /// The key file cannot be read or written.
    #[error("{path}: {source}")]
    File {
        /// The key file.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// A sealed record does not open: another master key, or the record was altered.
    #[error("a record sealed at rest does not open with this master key (wrong CRETOAI_MASTER_KEY or master.key?)")]
    WrongKey,
}

/// A 256-bit AES-GCM key, wiped from memory on drop.
pub struct MasterKey(Zeroizing<[u8; aead::KEY_LEN]>);

impl MasterKey {
    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; aead::KEY_LEN]) -> Self {
        MasterKey(Zeroizing::new(bytes))
    }

    /// Decodes a key given as text: standard base64 or 64 hex digits.
    pub fn from_text(text: &str) -> Result<Self, MasterKeyError> {
        let text = text.trim();
        let bytes = if text.len() == 2 * aead::KEY_LEN {
            hex::decode(text).map_err(|_| MasterKeyError::Encoding("not hex".into()))?
        } else {
            STANDARD
                .decode(text)
                .map_err(|_| MasterKeyError::Encoding("not standard base64".into()))?
        };
        let bytes = Zeroizing::new(bytes);
        let array: [u8; aead::KEY_LEN] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| MasterKeyError::Encoding(format!("decodes to {} bytes", bytes.len())))?;
        Ok(MasterKey::from_bytes(array))
    }

    /// The key from `env_value` if given, else from `<data_dir>/master.key`, which is created
    /// (mode 0600, written crash-safely) when it does not exist.
    pub fn load(env_value: Option<&str>, data_dir: &Path) -> Result<Self, MasterKeyError> {
        if let Some(text) = env_value {
            return MasterKey::from_text(text);
        }
        let path = data_dir.join(KEY_FILE);
        let file_error = |source| MasterKeyError::File {
            path: path.clone(),
            source,
        };
        match std::fs::read(&path) {
            Ok(bytes) => {
                let bytes = Zeroizing::new(bytes);
                match <[u8; aead::KEY_LEN]>::try_from(bytes.as_slice()) {
                    Ok(raw) => Ok(MasterKey::from_bytes(raw)),
                    Err(_) => MasterKey::from_text(&String::from_utf8_lossy(&bytes)),
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = MasterKey::from_bytes(crate::random::array());
                let text = Zeroizing::new(STANDARD.encode(*key.0));
                crate::secret_file::write(&path, text.as_bytes()).map_err(file_error)?;
                Ok(key)
            }
            Err(e) => Err(file_error(e)),
        }
    }

    /// Encrypts `plaintext` bound to `label`, so a sealed blob cannot be moved to another record.
    pub fn seal(&self, plaintext: &[u8], label: &[u8]) -> crate::Result<Vec<u8>> {
        aead::seal(&self.0, plaintext, label)
    }

    /// A key for one purpose, derived with HKDF-SHA-256 under `info`: one root key (the cluster
    /// key) serves several uses without any two of them sharing a key.
    pub fn derive(&self, info: &[u8]) -> crate::Result<MasterKey> {
        let mut out = Zeroizing::new([0u8; aead::KEY_LEN]);
        crate::hkdf::derive(
            self.0.as_slice(),
            b"cretoai/derive/v1",
            info,
            out.as_mut_slice(),
        )?;
        Ok(MasterKey(out))
    }

    /// 32 bytes derived under `info` (a key seed); wiped on drop.
    pub fn derive_seed(&self, info: &[u8]) -> crate::Result<Zeroizing<[u8; 32]>> {
        let derived = self.derive(info)?;
        Ok(Zeroizing::new(*derived.0))
    }

    /// Decrypts a blob made by [`MasterKey::seal`] with the same label.
    pub fn open(&self, sealed: &[u8], label: &[u8]) -> Result<Zeroizing<Vec<u8>>, MasterKeyError> {
        aead::open(&self.0, sealed, label).map_err(|_| MasterKeyError::WrongKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_created_0600_as_base64_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let first = MasterKey::load(None, dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(STANDARD.decode(text.trim()).unwrap().len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let sealed = first.seal(b"seed", b"label").unwrap();
        let second = MasterKey::load(None, dir.path()).unwrap();
        assert_eq!(second.open(&sealed, b"label").unwrap().as_slice(), b"seed");
    }

    #[test]
    fn base64_hex_and_raw_forms_are_the_same_key() {
        let raw = [7u8; 32];
        let sealed = MasterKey::from_bytes(raw).seal(b"seed", b"l").unwrap();
        let base64 = MasterKey::from_text(&STANDARD.encode(raw)).unwrap();
        let hex = MasterKey::from_text(&hex::encode(raw)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(KEY_FILE), raw).unwrap();
        let file = MasterKey::load(None, dir.path()).unwrap();
        for key in [base64, hex, file] {
            assert_eq!(key.open(&sealed, b"l").unwrap().as_slice(), b"seed");
        }
    }

    #[test]
    fn env_key_wins_labels_bind_blobs_and_bad_text_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let key = MasterKey::load(Some(&STANDARD.encode([7u8; 32])), dir.path()).unwrap();
        assert!(!dir.path().join(KEY_FILE).exists());
        let sealed = key.seal(b"seed", b"key/a/1").unwrap();
        assert!(matches!(
            key.open(&sealed, b"key/b/1"),
            Err(MasterKeyError::WrongKey)
        ));
        for bad in ["not base64!", &STANDARD.encode([1u8; 16]), &"zz".repeat(32)] {
            assert!(matches!(
                MasterKey::from_text(bad),
                Err(MasterKeyError::Encoding(_))
            ));
        }
    }
}
