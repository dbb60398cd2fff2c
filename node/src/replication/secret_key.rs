//! The cluster key: one 256-bit key shared by every node of a cluster (created at cluster init
//! and given to each node as a file), from which the state key that signs operations and the
//! key that seals values in transit are derived. It sits behind the master key's interface, so
//! a seal (Shamir shares, PKCS#11) can protect it later without changing what it derives.

use crate::error::{NodeError, Result};
use crate::master_key::MasterKey;
use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
use std::path::Path;
use zeroize::Zeroizing;

/// The cluster's root key for replicated state.
pub struct ClusterKey(MasterKey);

impl ClusterKey {
    /// The key in `file` (standard base64 or hex of 32 bytes). A node without peers and
    /// without a file derives its own from its master key: nobody else needs it.
    pub fn load(file: Option<&Path>, master: &MasterKey, has_peers: bool) -> Result<Self> {
        match file {
            Some(path) => {
                let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
                    NodeError::Config(format!("cluster key file {}: {e}", path.display()))
                })?);
                let key = MasterKey::from_text(&text).map_err(|e| {
                    NodeError::Config(format!("cluster key file {}: {e}", path.display()))
                })?;
                Ok(ClusterKey(key))
            }
            None if has_peers => Err(NodeError::Config(
                "a node with peers needs the cluster key: set cluster_key_file \
                 (--cluster-key-file, CRETOAI_CLUSTER_KEY_FILE) to the same 32-byte key on every \
                 node, e.g. the output of `head -c 32 /dev/urandom | base64`"
                    .into(),
            )),
            None => Ok(ClusterKey(
                master.derive(b"cretoai/cluster-key/single-node/v1")?,
            )),
        }
    }

    /// The ML-DSA-65 key every node signs state operations with.
    pub fn state_key(&self) -> Result<SigningKey> {
        let seed = self.0.derive_seed(b"cretoai/cluster/state-key/v1")?;
        Ok(SigningKey::from_seed(MlDsaLevel::MlDsa65, seed.as_slice())?)
    }

    /// The key that seals secret values and key seeds inside operations.
    pub fn transit(&self) -> Result<MasterKey> {
        Ok(self.0.derive(b"cretoai/cluster/transit/v1")?)
    }
}
