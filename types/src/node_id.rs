//! Node ids: SHA-256 of a node's ML-DSA-65 public key.

use std::fmt;
use std::str::FromStr;

use crate::error::InvalidNodeId;
use cretoai_crypto::ml_dsa::VerifyingKey;

/// A node's identity, the same in the consensus core (vertex authors, validators), on the wire
/// (the pinned peer of a QUIC connection) and in the node's API: SHA-256 of its raw ML-DSA-65
/// public key (FIPS 204 encoding, 1952 bytes). Its text form is 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub [u8; 32]);

impl NodeId {
    /// Node id of the given raw ML-DSA public key bytes.
    pub fn from_public_key(public_key: &[u8]) -> Self {
        NodeId(cretoai_crypto::hash::sha256(public_key))
    }

    /// The id of the holder of `key`.
    pub fn of_key(key: &VerifyingKey) -> Self {
        Self::from_public_key(key.as_bytes())
    }

    /// Wraps 32 raw bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        NodeId(bytes)
    }

    /// The 32 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A short prefix for logs.
    pub fn short(&self) -> String {
        crate::short_hex(&self.0)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node:{}", self.short())
    }
}

impl FromStr for NodeId {
    type Err = InvalidNodeId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 64 {
            return Err(InvalidNodeId("expected 64 hex digits"));
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(s, &mut bytes).map_err(|_| InvalidNodeId("not hexadecimal"))?;
        Ok(NodeId(bytes))
    }
}

/// Serialized as its 64-hex text form (JSON, TOML).
impl serde::Serialize for NodeId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for NodeId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips() {
        let id = NodeId::from_public_key(b"some key");
        let text = id.to_string();
        assert_eq!(text.len(), 64);
        assert_eq!(text.parse::<NodeId>().unwrap(), id);
        assert_eq!(
            text.to_uppercase().parse::<NodeId>().unwrap(),
            id,
            "hex parsing accepts upper case"
        );
    }

    #[test]
    fn id_is_sha256_of_the_key() {
        let id = NodeId::from_public_key(b"abc");
        assert_eq!(
            id.to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn serde_uses_the_text_form() {
        let id = NodeId::from_bytes([0x5a; 32]);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{}\"", "5a".repeat(32)));
        assert_eq!(serde_json::from_str::<NodeId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<NodeId>("\"5a\"").is_err());
    }

    #[test]
    fn of_key_hashes_the_encoded_key() {
        use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
        let key = SigningKey::from_seed(MlDsaLevel::MlDsa65, &[7; 32]).unwrap();
        let public = key.verifying_key();
        assert_eq!(
            NodeId::of_key(public),
            NodeId::from_public_key(public.as_bytes())
        );
    }

    #[test]
    fn rejects_bad_text() {
        assert_eq!(
            "abc".parse::<NodeId>(),
            Err(InvalidNodeId("expected 64 hex digits"))
        );
        assert_eq!(
            "zz".repeat(32).parse::<NodeId>().unwrap_err().to_string(),
            "invalid node id: not hexadecimal"
        );
    }
}
