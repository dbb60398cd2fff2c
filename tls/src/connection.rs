//! What one connection negotiated, as the node reports it back to the caller
//! (`GET /v1/sys/connection`) and counts it (`cretoai_tls_handshakes_total{group}`).

use rustls::crypto::aws_lc_rs::kx_group;
use rustls::crypto::SupportedKxGroup;
use rustls::{NamedGroup, ProtocolVersion};
use std::str::FromStr;

/// The negotiated parameters of one TLS connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionReport {
    /// `TLSv1.3`.
    pub tls_version: String,
    /// IANA name, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher_suite: String,
    /// e.g. `X25519MLKEM768` (hybrid post-quantum) or `X25519` (classical).
    pub key_exchange_group: String,
    /// Whether the key exchange resists a quantum computer (contains ML-KEM).
    pub post_quantum: bool,
    /// Whether the client presented a certificate (verified: a wrong one never gets this far).
    pub client_certificate: bool,
}

impl ConnectionReport {
    /// Reads the report off an established connection; `None` before the handshake ends.
    pub fn of(conn: &rustls::CommonState) -> Option<ConnectionReport> {
        let version = conn.protocol_version()?;
        let suite = conn.negotiated_cipher_suite()?;
        let group = conn.negotiated_key_exchange_group()?;
        Some(ConnectionReport {
            tls_version: version_name(version),
            cipher_suite: suite
                .suite()
                .as_str()
                .map_or_else(|| format!("{:?}", suite.suite()), |s| s.to_string()),
            key_exchange_group: group_name(group.name()),
            post_quantum: is_post_quantum(group.name()),
            client_certificate: conn.peer_certificates().is_some_and(|c| !c.is_empty()),
        })
    }
}

fn version_name(v: ProtocolVersion) -> String {
    match v {
        ProtocolVersion::TLSv1_3 => "TLSv1.3".into(),
        ProtocolVersion::TLSv1_2 => "TLSv1.2".into(),
        other => format!("{other:?}"),
    }
}

/// The IANA name of a group as clients and browsers show it.
pub fn group_name(g: NamedGroup) -> String {
    g.as_str()
        .map_or_else(|| format!("{g:?}"), |s| s.to_string())
}

/// Whether a group's key exchange includes ML-KEM.
pub fn is_post_quantum(g: NamedGroup) -> bool {
    matches!(
        g,
        NamedGroup::X25519MLKEM768
            | NamedGroup::secp256r1MLKEM768
            | NamedGroup::MLKEM768
            | NamedGroup::MLKEM1024
            | NamedGroup::MLKEM512
    )
}

/// The groups a CretoAI client can be restricted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyExchangeGroup {
    /// Hybrid X25519 + ML-KEM-768.
    X25519MlKem768,
    /// Classical X25519.
    X25519,
    /// Classical NIST P-256.
    Secp256r1,
    /// Classical NIST P-384.
    Secp384r1,
}

impl KeyExchangeGroup {
    /// The aws-lc-rs implementation.
    pub fn kx_group(self) -> &'static dyn SupportedKxGroup {
        match self {
            KeyExchangeGroup::X25519MlKem768 => kx_group::X25519MLKEM768,
            KeyExchangeGroup::X25519 => kx_group::X25519,
            KeyExchangeGroup::Secp256r1 => kx_group::SECP256R1,
            KeyExchangeGroup::Secp384r1 => kx_group::SECP384R1,
        }
    }

    /// The IANA name.
    pub fn name(self) -> String {
        group_name(self.kx_group().name())
    }
}

impl FromStr for KeyExchangeGroup {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        [
            KeyExchangeGroup::X25519MlKem768,
            KeyExchangeGroup::X25519,
            KeyExchangeGroup::Secp256r1,
            KeyExchangeGroup::Secp384r1,
        ]
        .into_iter()
        .find(|g| g.name().eq_ignore_ascii_case(s))
        .ok_or_else(|| {
            format!("unknown group {s:?} (X25519MLKEM768, X25519, secp256r1, secp384r1)")
        })
    }
}
