//! The ciphertext string: `cretoai:v<key version>:<standard base64 of the envelope bytes>`.
//!
//! Version `0` marks a ciphertext sealed to a bare public key (`POST /v1/encrypt` with
//! `public_key`); the node decrypts those by trying each live version of the named key.
//! The envelope layout is documented in `docs/formats.md`.

use crate::error::{NodeError, Result};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use cretoai_crypto::CryptoError;

const PREFIX: &str = "cretoai:v";

/// A parsed ciphertext string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ciphertext {
    /// Key version it was sealed to; 0 when unknown (sealed to a bare public key).
    pub version: u32,
    /// `cretoai_crypto::envelope` bytes.
    pub envelope: Vec<u8>,
}

impl Ciphertext {
    /// Renders the string form.
    pub fn encode(&self) -> String {
        format!(
            "{PREFIX}{}:{}",
            self.version,
            STANDARD.encode(&self.envelope)
        )
    }

    /// Parses the string form.
    pub fn parse(text: &str) -> Result<Self> {
        let malformed =
            || NodeError::InvalidCiphertext("expected `cretoai:v<version>:<base64>`".to_string());
        let rest = text.strip_prefix(PREFIX).ok_or_else(malformed)?;
        let (version, body) = rest.split_once(':').ok_or_else(malformed)?;
        if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        let version = version.parse().map_err(|_| malformed())?;
        let envelope = STANDARD
            .decode(body)
            .map_err(|_| NodeError::InvalidBase64("ciphertext"))?;
        Ok(Ciphertext { version, envelope })
    }
}

/// The error of opening an envelope: a malformed envelope is a ciphertext that does not parse
/// (`invalid_ciphertext`); anything else keeps its own meaning.
pub fn open_error(err: CryptoError) -> NodeError {
    match err {
        CryptoError::Malformed(what) => NodeError::InvalidCiphertext(what.to_string()),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let c = Ciphertext {
            version: 12,
            envelope: vec![1, 2, 3, 250],
        };
        assert_eq!(c.encode(), "cretoai:v12:AQID+g==");
        assert_eq!(Ciphertext::parse(&c.encode()).unwrap(), c);
    }

    #[test]
    fn rejects_malformed_strings() {
        for bad in [
            "",
            "cretoai:v:AA==",
            "cretoai:vx:AA==",
            "cretoai:v1",
            "vault:v1:AA==",
            "cretoai:v+1:AA==",
            "cretoai:v99999999999:AA==",
        ] {
            assert!(
                matches!(Ciphertext::parse(bad), Err(NodeError::InvalidCiphertext(_))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            Ciphertext::parse("cretoai:v1:not base64"),
            Err(NodeError::InvalidBase64(_))
        ));
    }
}
