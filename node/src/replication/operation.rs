//! A state operation as it travels in a transaction's payload: a JSON header naming the
//! object, its revision, who asked and what changes, then an opaque sealed blob (a vault value,
//! sealed under the cluster key). Anyone who reads the DAG sees which object changed and how,
//! never a secret value or a private key.

use crate::store::keys::StoredKey;
use crate::store::tokens::StoredToken;
use crate::vault::actor::Change as VaultChange;
use cretoai_crypto::hash::sha256;
use serde::{Deserialize, Serialize};

/// Marks a payload as a state operation (and its encoding version).
const MAGIC: &[u8] = b"cretoai/state/v1";

/// Bytes a payload spends besides the blob, at most: the marker, the header length and a
/// header. The vault refuses values that would not fit a transaction with this much beside.
pub const OVERHEAD: usize = 2048;

/// One replicated change to one object, at one revision of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Operation {
    /// `vault:<path>`, `key:<name>` or `token:<id>`.
    pub object: String,
    /// The revision this operation creates; the object's previous revision is one less.
    pub revision: u64,
    /// Unix seconds at the node that proposed it: every node stamps the change with it.
    pub at: u64,
    /// Hex id of the node that proposed it.
    pub origin: String,
    /// Id of the token that asked for it (for the audit record).
    pub token_id: String,
    /// The audit operation, e.g. `vault.write`.
    pub operation: String,
    /// What changes.
    pub change: Change,
    /// The sealed value of a vault write (travels after the header, not in it).
    #[serde(skip)]
    pub blob: Vec<u8>,
}

/// What an operation changes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// A new version of a secret; the previous current version was `cas` (0: none). The value
    /// is the operation's blob.
    VaultWrite {
        /// The current version this write follows.
        cas: u32,
    },
    /// A lifecycle change of a secret.
    VaultModify {
        /// The change.
        change: VaultChange,
    },
    /// A key's whole record after a create, rotate or config, its seeds sealed under the
    /// cluster key.
    KeyPut {
        /// The record.
        key: StoredKey,
    },
    /// A key deleted.
    KeyDelete,
    /// A token created (its SHA-256 hash, never the token).
    TokenPut {
        /// The record.
        token: StoredToken,
    },
    /// A token revoked.
    TokenRevoke,
}

/// Why a payload is not a state operation.
#[derive(Debug, thiserror::Error)]
#[error("not a state operation: {0}")]
pub struct Malformed(pub &'static str);

impl Operation {
    /// The object's name without its kind (the audit target).
    pub fn target(&self) -> &str {
        self.object
            .split_once(':')
            .map_or(self.object.as_str(), |(_, t)| t)
    }

    /// `MAGIC | u32 header length | header JSON | blob`.
    pub fn encode(&self) -> Vec<u8> {
        let header = serde_json::to_vec(self).unwrap_or_default();
        let mut out = Vec::with_capacity(MAGIC.len() + 4 + header.len() + self.blob.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(header.len() as u32).to_be_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&self.blob);
        out
    }

    /// Decodes [`Operation::encode`]'s output.
    pub fn decode(payload: &[u8]) -> Result<Self, Malformed> {
        let rest = payload.strip_prefix(MAGIC).ok_or(Malformed("marker"))?;
        let (len, rest) = rest.split_at_checked(4).ok_or(Malformed("length"))?;
        let len = u32::from_be_bytes(len.try_into().map_err(|_| Malformed("length"))?) as usize;
        let (header, blob) = rest.split_at_checked(len).ok_or(Malformed("length"))?;
        let mut op: Operation = serde_json::from_slice(header).map_err(|_| Malformed("header"))?;
        op.blob = blob.to_vec();
        Ok(op)
    }
}

/// The transaction nonce of `(object, revision)`: two operations creating the same revision
/// of one object share it, so they conflict and consensus accepts at most one.
pub fn nonce(object: &str, revision: u64) -> u64 {
    let mut input = Vec::with_capacity(object.len() + 9);
    input.extend_from_slice(object.as_bytes());
    input.push(0);
    input.extend_from_slice(&revision.to_be_bytes());
    let digest = sha256(&input);
    u64::from_be_bytes(digest[..8].try_into().unwrap_or_default())
}

/// The AAD of a vault value sealed for transit: bound to its path and version.
pub fn value_label(path: &str, version: u32) -> Vec<u8> {
    format!("cretoai/state/v1/vault/{version}/{path}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op() -> Operation {
        Operation {
            object: "vault:app/db".into(),
            revision: 3,
            at: 1_700_000_000,
            origin: "ab".into(),
            token_id: "root".into(),
            operation: "vault.write".into(),
            change: Change::VaultWrite { cas: 2 },
            blob: vec![1, 2, 3],
        }
    }

    #[test]
    fn operations_round_trip_with_their_blob() {
        let back = Operation::decode(&op().encode()).unwrap();
        assert_eq!(back.object, "vault:app/db");
        assert_eq!(back.revision, 3);
        assert_eq!(back.blob, vec![1, 2, 3]);
        assert!(matches!(back.change, Change::VaultWrite { cas: 2 }));
        assert_eq!(back.target(), "app/db");
    }

    #[test]
    fn other_payloads_are_not_operations() {
        assert!(Operation::decode(b"hello").is_err());
        let mut bytes = op().encode();
        bytes.truncate(MAGIC.len() + 6);
        assert!(Operation::decode(&bytes).is_err());
    }

    #[test]
    fn one_revision_of_one_object_has_one_nonce() {
        assert_eq!(nonce("vault:a", 1), nonce("vault:a", 1));
        assert_ne!(nonce("vault:a", 1), nonce("vault:a", 2));
        assert_ne!(nonce("vault:a", 1), nonce("key:a", 1));
    }
}
