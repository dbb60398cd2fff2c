//! The payload of an anchoring transaction: a small, versioned record that
//! names one signed decision by the SHA-256 of its compact JWS.
//!
//! Canonical JSON (members sorted, no whitespace) rather than a binary layout
//! so that an operator reading a node's transaction can see what it is, and a
//! verifier can rebuild the exact bytes from the decision token alone:
//!
//! ```text
//! {"alg":"ML-DSA-65","iss":"cretoai-authz-sidecar","jti":"<hex>","token_sha256":"<hex>","type":"cretoai.authz.decision","v":1}
//! ```
//!
//! Every field comes from the token itself (`alg` from its header, `iss` and
//! `jti` from its claims), so the record adds no information a holder of the
//! token lacks, and the token hash binds the record to one exact token.

use crate::canonical_json;
use serde_json::json;

/// Version of the record layout.
pub const RECORD_VERSION: u64 = 1;
/// The record's `type` member.
pub const RECORD_TYPE: &str = "cretoai.authz.decision";

/// Lower-case hex SHA-256 of the compact JWS as issued (its ASCII bytes).
pub fn decision_hash(token: &str) -> String {
    hex::encode(cretoai_crypto::hash::sha256(token.as_bytes()))
}

/// What one anchoring transaction says about one decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRecord {
    /// The token's signing algorithm (JOSE name).
    pub alg: String,
    /// The token's issuer.
    pub iss: String,
    /// The token's unique id.
    pub jti: String,
    /// [`decision_hash`] of the token.
    pub token_sha256: String,
}

impl DecisionRecord {
    /// The record of `token`, signed with `alg`, whose claims carry `iss` and `jti`.
    pub fn for_token(token: &str, alg: &str, iss: &str, jti: &str) -> Self {
        DecisionRecord {
            alg: alg.to_string(),
            iss: iss.to_string(),
            jti: jti.to_string(),
            token_sha256: decision_hash(token),
        }
    }

    /// The transaction payload bytes.
    pub fn encode(&self) -> Vec<u8> {
        canonical_json::to_string(&json!({
            "v": RECORD_VERSION,
            "type": RECORD_TYPE,
            "alg": self.alg,
            "iss": self.iss,
            "jti": self.jti,
            "token_sha256": self.token_sha256,
        }))
        .into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_bytes_are_canonical_and_bound_to_the_token() {
        let r = DecisionRecord::for_token("a.b.c", "ML-DSA-65", "issuer", "00ff");
        // SHA-256("a.b.c"), computed independently with `printf a.b.c | sha256sum`.
        assert_eq!(
            r.token_sha256,
            "845e30448809e2bc8958eb025bfc795235d13b077a53d0c3abbd2385170dc9b8"
        );
        let text = String::from_utf8(r.encode()).unwrap();
        assert_eq!(
            text,
            format!(
                "{{\"alg\":\"ML-DSA-65\",\"iss\":\"issuer\",\"jti\":\"00ff\",\"token_sha256\":\"{}\",\"type\":\"cretoai.authz.decision\",\"v\":1}}",
                r.token_sha256
            )
        );
        let other = DecisionRecord::for_token("a.b.d", "ML-DSA-65", "issuer", "00ff");
        assert_ne!(other.encode(), r.encode());
    }
}
