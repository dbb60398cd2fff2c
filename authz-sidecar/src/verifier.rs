//! Token verification under the acceptance policy of a mode.
//!
//! The order of checks matters: the header is judged (alg, kid, key binding,
//! mode) before any signature work, so hostile headers cost nothing and a
//! public key can never be used as an HMAC secret.

use crate::algorithm::{Algorithm, Backend};
use crate::claims::DecisionClaims;
use crate::error::{SidecarError, TokenRejection};
use crate::jws;
use crate::key_ring::KeyRing;
use crate::mode::Mode;
use serde::Serialize;

/// A token that passed every check.
#[derive(Debug, Serialize)]
pub struct Verified {
    /// The algorithm it was signed with.
    pub alg: Algorithm,
    /// The key id.
    pub kid: String,
    /// Its claims.
    pub claims: DecisionClaims,
}

/// What the verifier needs besides the token.
pub struct Policy<'a> {
    /// The keys.
    pub ring: &'a KeyRing,
    /// The current mode.
    pub mode: Mode,
    /// Current time, seconds since the Unix epoch.
    pub now: u64,
    /// Allowed clock skew in seconds.
    pub leeway: u64,
    /// Backend for classical verification (ML-DSA and composite always use aws-lc-rs).
    pub backend: Backend,
}

fn reject(reason: TokenRejection, message: impl Into<String>) -> SidecarError {
    SidecarError::rejected(reason, message)
}

/// Verify `token` completely or say precisely why not.
pub fn verify(token: &str, p: &Policy<'_>) -> Result<Verified, SidecarError> {
    let parsed = jws::parse(token)?;
    let alg_name = parsed.header.alg.as_str();
    if alg_name.eq_ignore_ascii_case("none") {
        return Err(reject(
            TokenRejection::AlgNone,
            "unsigned tokens (alg: none) are never accepted",
        ));
    }
    let alg: Algorithm = alg_name.parse().map_err(|_| {
        reject(
            TokenRejection::AlgUnsupported,
            format!("algorithm {alg_name:?} is not accepted (symmetric and unknown algorithms are refused)"),
        )
    })?;
    let kid = parsed
        .header
        .kid
        .as_deref()
        .ok_or_else(|| reject(TokenRejection::UnknownKid, "the header has no kid"))?;
    let key = p.ring.get(kid).ok_or_else(|| {
        reject(
            TokenRejection::UnknownKid,
            format!("no key with kid {kid:?}"),
        )
    })?;
    let key_alg = key.key.alg();
    if key_alg.key_type() != alg.key_type() {
        return Err(reject(
            TokenRejection::KeyTypeMismatch,
            format!(
                "alg {alg} needs a {} key but kid {kid:?} is a {} key",
                alg.key_type().as_str(),
                key_alg.key_type().as_str()
            ),
        ));
    }
    if key_alg != alg {
        return Err(reject(
            TokenRejection::AlgMismatch,
            format!("kid {kid:?} is bound to {key_alg}, the header says {alg}"),
        ));
    }
    if !p.mode.accepts(alg) {
        return Err(reject(
            TokenRejection::AlgNotAccepted,
            format!("mode {} does not accept {alg} tokens", p.mode),
        ));
    }
    let expected = key.key.public_key().signature_len();
    if parsed.signature.len() != expected {
        return Err(reject(
            TokenRejection::SignatureLength,
            format!(
                "the signature is {} bytes, {alg} signatures with this key are {expected} bytes (truncated or padded token)",
                parsed.signature.len()
            ),
        ));
    }
    key.key
        .public_key()
        .verify(
            p.backend,
            parsed.signing_input.as_bytes(),
            &parsed.signature,
        )
        .map_err(|reason| {
            let msg = match reason {
                TokenRejection::CompositeMlDsaInvalid => {
                    "the ML-DSA-65 half of the composite signature is invalid"
                }
                TokenRejection::CompositeEd25519Invalid => {
                    "the Ed25519 half of the composite signature is invalid"
                }
                _ => "the signature does not verify",
            };
            reject(reason, msg)
        })?;
    let claims: DecisionClaims = serde_json::from_slice(&parsed.payload).map_err(|e| {
        reject(
            TokenRejection::BadClaims,
            format!("payload is not a decision claim set: {e}"),
        )
    })?;
    if claims.exp.saturating_add(p.leeway) < p.now {
        return Err(reject(
            TokenRejection::Expired,
            format!("expired at {}, now {}", claims.exp, p.now),
        ));
    }
    let not_before = claims.nbf.max(claims.iat);
    if not_before > p.now.saturating_add(p.leeway) {
        return Err(reject(
            TokenRejection::NotYetValid,
            format!("not valid before {not_before}, now {}", p.now),
        ));
    }
    Ok(Verified {
        alg,
        kid: kid.to_string(),
        claims,
    })
}
