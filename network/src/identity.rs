//! The node's long-term identity: an ML-DSA-65 key pair kept in the data dir.
//!
//! File layout (one file, written atomically with mode 0600):
//! `[u8 format]` then either the 32-byte FIPS 204 seed (format 1, plain) or
//! `cretoai_crypto::aead::seal(sealing_key, seed, AAD)` (format 2, sealed with a caller key).

use std::fs;
use std::path::Path;
use std::sync::Arc;

use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey, VerifyingKey, SEED_LEN};
use zeroize::Zeroizing;

use crate::certificate;
use crate::error::{NetworkError, Result};
use cretoai_types::NodeId;

const FORMAT_PLAIN: u8 = 1;
const FORMAT_SEALED: u8 = 2;
/// Binds a sealed identity file to its purpose, so another sealed blob under the same key
/// cannot be swapped in.
const SEALING_AAD: &[u8] = b"cretoai-network node identity v1";

/// Signature algorithm of every node identity.
pub const IDENTITY_LEVEL: MlDsaLevel = MlDsaLevel::MlDsa65;

/// A node's ML-DSA-65 identity and the self-signed certificate it presents in QUIC.
///
/// Cheap to clone; the secret seed lives once, behind an `Arc`, and is zeroized on drop.
#[derive(Clone)]
pub struct NodeIdentity {
    key: Arc<SigningKey>,
    node_id: NodeId,
    certificate: rustls::pki_types::CertificateDer<'static>,
}

impl std::fmt::Debug for NodeIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeIdentity")
            .field("node_id", &self.node_id)
            .finish_non_exhaustive()
    }
}

impl NodeIdentity {
    /// A fresh random identity (not persisted).
    pub fn generate() -> Result<Self> {
        Self::from_key(SigningKey::generate(IDENTITY_LEVEL)?)
    }

    /// The identity for a 32-byte ML-DSA seed (not persisted).
    pub fn from_seed(seed: &[u8]) -> Result<Self> {
        Self::from_key(SigningKey::from_seed(IDENTITY_LEVEL, seed)?)
    }

    fn from_key(key: SigningKey) -> Result<Self> {
        let certificate = certificate::self_signed(&key)?;
        let node_id = NodeId::from_public_key(key.verifying_key().as_bytes());
        Ok(NodeIdentity {
            key: Arc::new(key),
            node_id,
            certificate,
        })
    }

    /// Loads the identity from `path`, or creates a new one there on first start.
    ///
    /// With `sealing_key`, the seed is stored encrypted (AES-256-GCM via `cretoai_crypto::aead`);
    /// without it, in the clear with file mode 0600. A file written one way is not read the other
    /// way: that is an error rather than a silent downgrade.
    pub fn load_or_create(path: &Path, sealing_key: Option<&[u8; 32]>) -> Result<Self> {
        match fs::read(path) {
            Ok(bytes) => Self::decode_file(&Zeroizing::new(bytes), sealing_key),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let identity = Self::generate()?;
                identity.write_file(path, sealing_key)?;
                tracing::info!(node_id = %identity.node_id, path = %path.display(), "created node identity");
                Ok(identity)
            }
            Err(e) => Err(NetworkError::io(path.display(), e)),
        }
    }

    fn decode_file(bytes: &[u8], sealing_key: Option<&[u8; 32]>) -> Result<Self> {
        match (bytes.split_first(), sealing_key) {
            (Some((&FORMAT_PLAIN, seed)), None) if seed.len() == SEED_LEN => Self::from_seed(seed),
            (Some((&FORMAT_PLAIN, _)), None) => Err(NetworkError::Identity("bad seed length")),
            (Some((&FORMAT_SEALED, sealed)), Some(key)) => {
                let seed = cretoai_crypto::aead::open(key, sealed, SEALING_AAD)
                    .map_err(|_| NetworkError::Identity("cannot unseal: wrong key or tampered"))?;
                if seed.len() != SEED_LEN {
                    return Err(NetworkError::Identity("bad seed length"));
                }
                Self::from_seed(&seed)
            }
            (Some((&FORMAT_PLAIN, _)), Some(_)) => Err(NetworkError::Identity(
                "file is not sealed but a sealing key was given",
            )),
            (Some((&FORMAT_SEALED, _)), None) => Err(NetworkError::Identity(
                "file is sealed but no sealing key was given",
            )),
            _ => Err(NetworkError::Identity("unknown format")),
        }
    }

    fn write_file(&self, path: &Path, sealing_key: Option<&[u8; 32]>) -> Result<()> {
        let mut contents = Zeroizing::new(Vec::with_capacity(64));
        match sealing_key {
            Some(key) => {
                contents.push(FORMAT_SEALED);
                contents.extend_from_slice(&cretoai_crypto::aead::seal(
                    key,
                    self.key.seed(),
                    SEALING_AAD,
                )?);
            }
            None => {
                contents.push(FORMAT_PLAIN);
                contents.extend_from_slice(self.key.seed());
            }
        }
        cretoai_crypto::secret_file::write(path, &contents)
            .map_err(|e| NetworkError::io(path.display(), e))
    }

    /// This node's id.
    pub fn node_id(&self) -> NodeId {
        self.node_id
    }

    /// The ML-DSA-65 public key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        self.key.verifying_key()
    }

    /// The self-signed ML-DSA-65 certificate (DER) presented in the QUIC handshake.
    pub fn certificate(&self) -> &rustls::pki_types::CertificateDer<'static> {
        &self.certificate
    }

    /// Signs `msg` with the identity key (pure ML-DSA-65, FIPS 204 context string).
    pub fn sign(&self, msg: &[u8], context: &[u8]) -> Result<Vec<u8>> {
        Ok(self.key.sign(msg, context)?)
    }

    pub(crate) fn signing_key(&self) -> &Arc<SigningKey> {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_file_is_created_once_then_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("node.key");
        let first = NodeIdentity::load_or_create(&path, None).unwrap();
        let again = NodeIdentity::load_or_create(&path, None).unwrap();
        assert_eq!(first.node_id(), again.node_id());
        let bytes = fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 1 + SEED_LEN);
        assert_eq!(bytes[0], FORMAT_PLAIN);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn sealed_file_needs_the_right_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.key");
        let key = [7u8; 32];
        let first = NodeIdentity::load_or_create(&path, Some(&key)).unwrap();
        let bytes = fs::read(&path).unwrap();
        assert_eq!(bytes[0], FORMAT_SEALED);
        assert!(
            !bytes.windows(SEED_LEN).any(|w| w == first.key.seed()),
            "seed must not appear in the clear"
        );
        let again = NodeIdentity::load_or_create(&path, Some(&key)).unwrap();
        assert_eq!(first.node_id(), again.node_id());
        assert!(matches!(
            NodeIdentity::load_or_create(&path, Some(&[8u8; 32])),
            Err(NetworkError::Identity(_))
        ));
        assert!(matches!(
            NodeIdentity::load_or_create(&path, None),
            Err(NetworkError::Identity(_))
        ));
    }

    #[test]
    fn corrupt_files_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.key");
        for contents in [&b""[..], &[1u8, 2, 3][..], &[9u8; 33][..], &[2u8; 10][..]] {
            fs::write(&path, contents).unwrap();
            assert!(NodeIdentity::load_or_create(&path, None).is_err());
            assert!(NodeIdentity::load_or_create(&path, Some(&[1; 32])).is_err());
        }
    }

    #[test]
    fn node_id_is_hash_of_public_key() {
        let identity = NodeIdentity::generate().unwrap();
        assert_eq!(
            identity.node_id().as_bytes(),
            &cretoai_crypto::hash::sha256(identity.verifying_key().as_bytes())
        );
    }
}
