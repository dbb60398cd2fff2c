//! JOSE signature algorithms the sidecar knows, and the two signing backends.

use cretoai_crypto::ml_dsa::MlDsaLevel;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A JWS `alg` the sidecar can sign and verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518).
    #[serde(rename = "RS256")]
    Rs256,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, 32-byte salt (RFC 7518).
    #[serde(rename = "PS256")]
    Ps256,
    /// Ed25519 (RFC 8037).
    #[serde(rename = "EdDSA")]
    EdDsa,
    /// Pure ML-DSA-44, empty context (draft-ietf-cose-dilithium).
    #[serde(rename = "ML-DSA-44")]
    MlDsa44,
    /// Pure ML-DSA-65, empty context.
    #[serde(rename = "ML-DSA-65")]
    MlDsa65,
    /// Pure ML-DSA-87, empty context.
    #[serde(rename = "ML-DSA-87")]
    MlDsa87,
    /// Composite ML-DSA-65 + Ed25519 with SHA-512 pre-hash
    /// (id-MLDSA65-Ed25519-SHA512 of draft-ietf-lamps-pq-composite-sigs).
    #[serde(rename = "ML-DSA-65-Ed25519")]
    MlDsa65Ed25519,
}

/// What an algorithm protects against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// RSA or Ed25519 only: broken by a quantum computer.
    Classical,
    /// ML-DSA only.
    Pqc,
    /// ML-DSA and Ed25519 together; both must verify.
    Composite,
}

/// JWK key type an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// `kty: RSA`.
    Rsa,
    /// `kty: OKP`, `crv: Ed25519`.
    Okp,
    /// `kty: AKP` (algorithm key pair) of the ML-DSA for JOSE draft.
    Akp,
}

impl KeyType {
    /// The JWK `kty` value.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Rsa => "RSA",
            KeyType::Okp => "OKP",
            KeyType::Akp => "AKP",
        }
    }
}

impl Algorithm {
    /// Every algorithm, classical first.
    pub const ALL: [Algorithm; 7] = [
        Algorithm::Rs256,
        Algorithm::Ps256,
        Algorithm::EdDsa,
        Algorithm::MlDsa44,
        Algorithm::MlDsa65,
        Algorithm::MlDsa87,
        Algorithm::MlDsa65Ed25519,
    ];

    /// The JOSE `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RS256",
            Algorithm::Ps256 => "PS256",
            Algorithm::EdDsa => "EdDSA",
            Algorithm::MlDsa44 => "ML-DSA-44",
            Algorithm::MlDsa65 => "ML-DSA-65",
            Algorithm::MlDsa87 => "ML-DSA-87",
            Algorithm::MlDsa65Ed25519 => "ML-DSA-65-Ed25519",
        }
    }

    /// Classical, post-quantum or composite.
    pub fn family(self) -> Family {
        match self {
            Algorithm::Rs256 | Algorithm::Ps256 | Algorithm::EdDsa => Family::Classical,
            Algorithm::MlDsa44 | Algorithm::MlDsa65 | Algorithm::MlDsa87 => Family::Pqc,
            Algorithm::MlDsa65Ed25519 => Family::Composite,
        }
    }

    /// The JWK key type this algorithm signs with.
    pub fn key_type(self) -> KeyType {
        match self {
            Algorithm::Rs256 | Algorithm::Ps256 => KeyType::Rsa,
            Algorithm::EdDsa => KeyType::Okp,
            _ => KeyType::Akp,
        }
    }

    /// The ML-DSA parameter set inside this algorithm, if any.
    pub fn ml_dsa_level(self) -> Option<MlDsaLevel> {
        match self {
            Algorithm::MlDsa44 => Some(MlDsaLevel::MlDsa44),
            Algorithm::MlDsa65 | Algorithm::MlDsa65Ed25519 => Some(MlDsaLevel::MlDsa65),
            Algorithm::MlDsa87 => Some(MlDsaLevel::MlDsa87),
            _ => None,
        }
    }

    /// Whether the pure-Rust backend (`rsa`, `ed25519-dalek`) implements it.
    pub fn has_rust_crypto_backend(self) -> bool {
        self.family() == Family::Classical
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| format!("unknown algorithm {s:?}"))
    }
}

/// Which implementation performs a classical operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Backend {
    /// aws-lc-rs (all algorithms; the default).
    #[serde(rename = "aws-lc-rs")]
    AwsLc,
    /// The pure-Rust `rsa` and `ed25519-dalek` crates (classical only).
    #[serde(rename = "rust-crypto")]
    RustCrypto,
}

impl Backend {
    /// Both backends.
    pub const ALL: [Backend; 2] = [Backend::AwsLc, Backend::RustCrypto];

    /// A short display name.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::AwsLc => "aws-lc-rs",
            Backend::RustCrypto => "rust-crypto",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_serde_agrees() {
        for alg in Algorithm::ALL {
            assert_eq!(alg.as_str().parse::<Algorithm>().unwrap(), alg);
            let json = serde_json::to_string(&alg).unwrap();
            assert_eq!(json, format!("\"{}\"", alg.as_str()));
        }
        assert!("HS256".parse::<Algorithm>().is_err());
        assert!("none".parse::<Algorithm>().is_err());
    }

    #[test]
    fn families_and_key_types() {
        assert_eq!(Algorithm::Rs256.key_type(), KeyType::Rsa);
        assert_eq!(Algorithm::EdDsa.key_type(), KeyType::Okp);
        assert_eq!(Algorithm::MlDsa65Ed25519.key_type(), KeyType::Akp);
        assert_eq!(Algorithm::MlDsa65Ed25519.family(), Family::Composite);
        assert_eq!(Algorithm::MlDsa87.ml_dsa_level(), Some(MlDsaLevel::MlDsa87));
        assert!(!Algorithm::MlDsa44.has_rust_crypto_backend());
    }
}
