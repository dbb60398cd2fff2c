//! JWS compact serialization (RFC 7515): sign and strictly parse.

use crate::algorithm::Backend;
use crate::canonical_json;
use crate::error::{SidecarError, TokenRejection};
use crate::key_pair::KeyPair;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};

/// Longest token accepted. The largest token the sidecar issues (ML-DSA-87,
/// 4627-byte signature) is about 7 KB; anything far beyond is refused before
/// any decoding work.
pub const MAX_TOKEN_LEN: usize = 12 * 1024;

/// The protected header members the sidecar reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Header {
    /// Algorithm name as written in the token.
    pub alg: String,
    /// Key id.
    pub kid: Option<String>,
    /// Critical extensions; the sidecar understands none.
    pub crit: Option<Value>,
}

/// A token split into its parts, signature not yet checked.
#[derive(Debug)]
pub struct ParsedToken<'a> {
    /// The decoded protected header.
    pub header: Header,
    /// `base64url(header) "." base64url(payload)`: the bytes that were signed.
    pub signing_input: &'a str,
    /// The decoded payload.
    pub payload: Vec<u8>,
    /// The decoded signature.
    pub signature: Vec<u8>,
}

/// Sign `claims` with `key` as a compact JWS with header `{alg, kid, typ: JWT}`.
pub fn sign(
    key: &KeyPair,
    kid: &str,
    backend: Backend,
    claims: &Value,
) -> Result<String, SidecarError> {
    let header = json!({"alg": key.alg().as_str(), "kid": kid, "typ": "JWT"});
    let mut token = B64.encode(canonical_json::to_string(&header));
    token.push('.');
    token.push_str(&B64.encode(canonical_json::to_string(claims)));
    let sig = key.sign(backend, token.as_bytes())?;
    token.push('.');
    token.push_str(&B64.encode(sig));
    Ok(token)
}

fn malformed(what: &str) -> SidecarError {
    SidecarError::rejected(TokenRejection::Malformed, what.to_string())
}

/// Split and decode a compact JWS. Refuses oversize, truncated and
/// non-canonical input (padding, stray characters, JWE's five parts).
pub fn parse(token: &str) -> Result<ParsedToken<'_>, SidecarError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(SidecarError::rejected(
            TokenRejection::Oversize,
            format!(
                "token is {} bytes; the limit is {MAX_TOKEN_LEN}",
                token.len()
            ),
        ));
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed(
            "a compact JWS has exactly three dot-separated parts",
        ));
    };
    // An empty signature is left to the verifier, which names `alg: none` for what it is.
    if h.is_empty() {
        return Err(malformed("empty header part"));
    }
    let header_bytes = B64
        .decode(h)
        .map_err(|_| malformed("header is not base64url"))?;
    let header: Header = serde_json::from_slice(&header_bytes)
        .map_err(|_| malformed("header is not a JSON object with a string alg"))?;
    if header.crit.is_some() {
        return Err(malformed("critical header extensions are not supported"));
    }
    let payload = B64
        .decode(p)
        .map_err(|_| malformed("payload is not base64url"))?;
    let signature = B64
        .decode(s)
        .map_err(|_| malformed("signature is not base64url"))?;
    Ok(ParsedToken {
        header,
        signing_input: &token[..h.len() + 1 + p.len()],
        payload,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algorithm::Algorithm;

    #[test]
    fn sign_then_parse_round_trips() {
        let key = KeyPair::generate(Algorithm::EdDsa, 0).unwrap();
        let claims = json!({"sub": "agent-1", "iat": 1});
        let token = sign(&key, "k1", Backend::AwsLc, &claims).unwrap();
        let parsed = parse(&token).unwrap();
        assert_eq!(parsed.header.alg, "EdDSA");
        assert_eq!(parsed.header.kid.as_deref(), Some("k1"));
        assert_eq!(
            serde_json::from_slice::<Value>(&parsed.payload).unwrap(),
            claims
        );
        key.public_key()
            .verify(
                Backend::AwsLc,
                parsed.signing_input.as_bytes(),
                &parsed.signature,
            )
            .unwrap();
    }

    #[test]
    fn refuses_bad_shapes() {
        let code = |t: &str| parse(t).unwrap_err().code();
        assert_eq!(code("a.b"), "token_malformed");
        assert_eq!(code("a.b.c.d.e"), "token_malformed");
        assert_eq!(code(".e30.AA"), "token_malformed");
        assert!(parse("eyJhbGciOiJFZERTQSJ9.e30.")
            .unwrap()
            .signature
            .is_empty());
        assert_eq!(code("!!!.e30.AA"), "token_malformed");
        assert_eq!(code(&"A".repeat(MAX_TOKEN_LEN + 1)), "token_oversize");
    }
}
