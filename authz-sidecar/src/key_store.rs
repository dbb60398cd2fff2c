//! Secrets at rest in the data dir: the sealed key ring, the master key file
//! and the root token's hash. Every write is atomic (temp file, fsync, rename,
//! fsync of the directory), so a crash never leaves a half-written key file.

use crate::error::{Result, SidecarError};
use crate::key_ring::KeyRing;
use cretoai_crypto::master_key::{MasterKey, MasterKeyError};
use std::fs;
use std::path::{Path, PathBuf};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

const KEYS_FILE: &str = "signing-keys.sealed";
const ROOT_TOKEN_HASH_FILE: &str = "root-token.sha256";
/// Binds the sealed blob to its purpose and format version.
const KEYS_AAD: &[u8] = b"cretoai-authz-sidecar/signing-keys/v1";

fn io_err(path: &Path, e: std::io::Error) -> SidecarError {
    SidecarError::KeyStore(format!("{}: {e}", path.display()))
}

/// Write `bytes` to `path` atomically with mode 0600.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    cretoai_crypto::secret_file::write(path, bytes).map_err(|e| io_err(path, e))
}

/// The sealed key files and the master key that seals them.
pub struct KeyStore {
    dir: PathBuf,
    master: MasterKey,
}

impl KeyStore {
    /// Open the store in `data_dir`, creating the directory (0700) and the
    /// master key file when neither `CRETOAI_MASTER_KEY` (64 hex digits or base64)
    /// nor the file exists.
    pub fn open(data_dir: &Path, master_key_text: Option<&str>) -> Result<Self> {
        fs::create_dir_all(data_dir).map_err(|e| io_err(data_dir, e))?;
        let master = MasterKey::load(master_key_text, data_dir).map_err(|e| match e {
            MasterKeyError::Encoding(_) => SidecarError::Config(format!("CRETOAI_MASTER_KEY: {e}")),
            _ => SidecarError::KeyStore(e.to_string()),
        })?;
        Ok(KeyStore {
            dir: data_dir.to_path_buf(),
            master,
        })
    }

    /// The stored ring, or `None` on first start.
    pub fn load(&self) -> Result<Option<KeyRing>> {
        match self.open_sealed(KEYS_FILE, KEYS_AAD)? {
            Some(plain) => KeyRing::from_json(&plain).map(Some),
            None => Ok(None),
        }
    }

    /// Seal and write the ring.
    pub fn save(&self, ring: &KeyRing) -> Result<()> {
        self.seal_to(KEYS_FILE, KEYS_AAD, &ring.to_json())
    }

    /// Decrypt the data-dir file `name`, sealed with `aad`; `None` when it does
    /// not exist yet.
    pub fn open_sealed(&self, name: &str, aad: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let path = self.dir.join(name);
        let sealed = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(&path, e)),
        };
        let plain = self.master.open(&sealed, aad).map_err(|_| {
            SidecarError::KeyStore(format!(
                "cannot decrypt {name}: wrong master key or tampered file"
            ))
        })?;
        Ok(Some(plain))
    }

    /// Seal `plain` under the master key with `aad` and write it atomically
    /// to the data-dir file `name` (mode 0600).
    pub fn seal_to(&self, name: &str, aad: &[u8], plain: &[u8]) -> Result<()> {
        let sealed = self.master.seal(plain, aad)?;
        write_atomic(&self.dir.join(name), &sealed)
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// The admin bearer token, held only as its SHA-256.
pub struct RootToken {
    hash: [u8; 32],
}

impl RootToken {
    /// From `CRETOAI_ROOT_TOKEN` if given; else the stored hash; else a new
    /// random token whose plaintext is returned once (to print) and whose hash
    /// is stored.
    pub fn load_or_create(
        data_dir: &Path,
        from_env: Option<&str>,
    ) -> Result<(Self, Option<Zeroizing<String>>)> {
        if let Some(t) = from_env.filter(|t| !t.is_empty()) {
            return Ok((RootToken::from_plain(t), None));
        }
        let path = data_dir.join(ROOT_TOKEN_HASH_FILE);
        match fs::read_to_string(&path) {
            Ok(text) => {
                let mut hash = [0u8; 32];
                hex::decode_to_slice(text.trim(), &mut hash).map_err(|_| {
                    SidecarError::KeyStore(format!("{} is corrupt", path.display()))
                })?;
                Ok((RootToken { hash }, None))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let token = Zeroizing::new(hex::encode(cretoai_crypto::random::array::<32>()));
                let me = RootToken::from_plain(&token);
                write_atomic(&path, hex::encode(me.hash).as_bytes())?;
                Ok((me, Some(token)))
            }
            Err(e) => Err(io_err(&path, e)),
        }
    }

    /// Hash a plaintext token.
    pub fn from_plain(token: &str) -> Self {
        RootToken {
            hash: cretoai_crypto::hash::sha256(token.as_bytes()),
        }
    }

    /// Constant-time check of a presented token.
    pub fn matches(&self, presented: &str) -> bool {
        let h = cretoai_crypto::hash::sha256(presented.as_bytes());
        h.ct_eq(&self.hash).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn ring_survives_reopen_and_wrong_master_key_fails() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::open(dir.path(), None).unwrap();
        assert!(store.load().unwrap().is_none());
        let ring = KeyRing::generate(2048, 7).unwrap();
        store.save(&ring).unwrap();
        let again = KeyStore::open(dir.path(), None)
            .unwrap()
            .load()
            .unwrap()
            .unwrap();
        assert_eq!(again.jwks(), ring.jwks());
        let mode = fs::metadata(dir.path().join(cretoai_crypto::master_key::KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let sealed = fs::read(dir.path().join(KEYS_FILE)).unwrap();
        assert!(
            !sealed.windows(8).any(|w| w == b"material"),
            "keys are encrypted at rest"
        );
        let other = KeyStore::open(dir.path(), Some(&"11".repeat(32))).unwrap();
        assert_eq!(other.load().unwrap_err().code(), "key_store_error");
        assert!(KeyStore::open(dir.path(), Some("zz")).is_err());
    }

    #[test]
    fn root_token_generated_once_then_checked() {
        let dir = tempfile::tempdir().unwrap();
        let (t, printed) = RootToken::load_or_create(dir.path(), None).unwrap();
        let plain = printed.expect("first start prints the token");
        assert!(t.matches(&plain));
        assert!(!t.matches("wrong"));
        let (again, printed) = RootToken::load_or_create(dir.path(), None).unwrap();
        assert!(printed.is_none());
        assert!(again.matches(&plain));
        let (env, _) = RootToken::load_or_create(dir.path(), Some("from-env")).unwrap();
        assert!(env.matches("from-env") && !env.matches(&plain));
    }
}
