//! The claims of a signed decision.

use crate::canonical_json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a decision token asserts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionClaims {
    /// Issuer: the sidecar's configured name.
    pub iss: String,
    /// The principal id.
    pub sub: String,
    /// The action.
    pub act: String,
    /// The resource as `kind:id`.
    pub res: String,
    /// `allow` or `deny`.
    pub effect: String,
    /// The policy that decided, if any.
    pub policy: Option<String>,
    /// Issued at (seconds since the Unix epoch).
    pub iat: u64,
    /// Not before.
    pub nbf: u64,
    /// Expiry.
    pub exp: u64,
    /// Unique token id (128 random bits, hex).
    pub jti: String,
    /// base64url(SHA-256(canonical JSON of the check request)).
    pub req_hash: String,
    /// base64url(SHA-256(RFC 8785 canonical JSON of the engine's `metadata`, `null` when
    /// it sent none)): ties the metadata the caller got to this decision. Absent only in
    /// tokens issued before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta_hash: Option<String>,
}

impl DecisionClaims {
    /// The claims as a JSON value (for signing).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("claims serialize")
    }
}

/// The hash that binds a token to the exact request it answers (and, over the engine's
/// metadata, to the details that came with the decision).
pub fn request_hash(request: &Value) -> String {
    B64.encode(cretoai_crypto::hash::sha256(
        canonical_json::to_string(request).as_bytes(),
    ))
}

/// A fresh token id.
pub fn new_jti() -> String {
    hex::encode(cretoai_crypto::random::array::<16>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_hash_ignores_member_order_but_not_values() {
        let a = json!({"principal": {"id": "a", "roles": ["x"]}, "action": "read"});
        let b: Value =
            serde_json::from_str(r#"{"action":"read","principal":{"roles":["x"],"id":"a"}}"#)
                .unwrap();
        assert_eq!(request_hash(&a), request_hash(&b));
        let c = json!({"principal": {"id": "b", "roles": ["x"]}, "action": "read"});
        assert_ne!(request_hash(&a), request_hash(&c));
        assert_eq!(request_hash(&a).len(), 43);
        assert_ne!(new_jti(), new_jti());
    }
}
