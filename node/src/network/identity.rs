//! The node's ML-DSA-65 identity: one seed, sealed under the master key in the node key file,
//! from which both the QUIC identity (certificate, node id) and the consensus vertex key derive.
//! One key means the id peers pin for the transport is the id that authors vertices.

use crate::error::{NodeError, Result};
use crate::master_key::MasterKey;
use cretoai_consensus::NodeId;
use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey, SEED_LEN};
use cretoai_network::NodeIdentity;
use std::path::Path;
use zeroize::Zeroizing;

/// AAD binding the sealed seed to its purpose.
const LABEL: &[u8] = b"cretoai/node-identity/v1";

/// The node's identity seed (wiped on drop).
pub struct NodeKey {
    seed: Zeroizing<[u8; SEED_LEN]>,
}

impl NodeKey {
    /// Loads the key file, or creates it (mode 0600, written atomically) on first start.
    pub fn load_or_create(path: &Path, master: &MasterKey) -> Result<Self> {
        match std::fs::read(path) {
            Ok(sealed) => {
                let seed = master
                    .open(&sealed, LABEL)
                    .map_err(|_| config(path, "cannot be opened with this master key"))?;
                let seed: [u8; SEED_LEN] = seed
                    .as_slice()
                    .try_into()
                    .map_err(|_| config(path, "holds a seed of the wrong length"))?;
                Ok(NodeKey {
                    seed: Zeroizing::new(seed),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = NodeKey {
                    seed: Zeroizing::new(cretoai_crypto::random::array()),
                };
                cretoai_crypto::secret_file::write(path, &master.seal(key.seed.as_slice(), LABEL)?)
                    .map_err(|e| config(path, &format!("cannot be written: {e}")))?;
                tracing::info!(node_id = %hex::encode(key.node_id().0), path = %path.display(), "created node identity");
                Ok(key)
            }
            Err(e) => Err(config(path, &format!("cannot be read: {e}"))),
        }
    }

    /// The ML-DSA-65 signing key (vertex author key).
    pub fn signing_key(&self) -> Result<SigningKey> {
        Ok(SigningKey::from_seed(
            MlDsaLevel::MlDsa65,
            self.seed.as_slice(),
        )?)
    }

    /// The transport identity (self-signed ML-DSA-65 certificate).
    pub fn network_identity(&self) -> Result<NodeIdentity> {
        NodeIdentity::from_seed(self.seed.as_slice())
            .map_err(|e| NodeError::Config(format!("node identity: {e}")))
    }

    /// SHA-256 of the public key.
    pub fn node_id(&self) -> NodeId {
        match self.signing_key() {
            Ok(key) => NodeId::of_key(key.verifying_key()),
            Err(_) => NodeId([0; 32]),
        }
    }
}

/// `cretoai-node identity`: creates the master key and node identity if needed and returns
/// the node id (64 hex digits) that peers pin.
pub fn show(config: &crate::config::Config) -> Result<String> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        NodeError::Config(format!("cannot create {}: {e}", config.data_dir.display()))
    })?;
    let master = MasterKey::load(
        config
            .master_key
            .as_ref()
            .map(crate::config::Secret::expose),
        &config.data_dir,
    )?;
    let key = NodeKey::load_or_create(&config.node_key_path(), &master)?;
    Ok(hex::encode(key.node_id().0))
}

fn config(path: &Path, what: &str) -> NodeError {
    NodeError::Config(format!("node key {} {what}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_is_stable_sealed_and_shared_by_transport_and_consensus() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.key");
        let master = MasterKey::from_bytes([9; 32]);
        let first = NodeKey::load_or_create(&path, &master).unwrap();
        let again = NodeKey::load_or_create(&path, &master).unwrap();
        assert_eq!(first.node_id(), again.node_id());
        let transport = first.network_identity().unwrap().node_id();
        assert_eq!(transport.as_bytes(), &first.node_id().0);
        let raw = std::fs::read(&path).unwrap();
        assert!(!raw.windows(16).any(|w| w == &first.seed[..16]));
        assert!(NodeKey::load_or_create(&path, &MasterKey::from_bytes([8; 32])).is_err());
    }
}
