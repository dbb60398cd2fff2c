//! CretoAI's HTTPS, shared by the node and the AuthZ sidecar.
//!
//! - TLS 1.3 only, on rustls with the aws-lc-rs provider. The hybrid post-quantum group
//!   X25519MLKEM768 is offered first; X25519, P-256 and P-384 stay accepted for clients that
//!   lack it, and every connection reports which group it got ([`ConnectionReport`]).
//! - Certificates are the operator's (`--tls-cert`, `--tls-key`) or generated: a local CA and a
//!   server certificate under `<data-dir>/tls/`, reused at restart ([`authority`]).
//! - Secure by default: off loopback, TLS is on unless `--insecure-http` ([`Transport`]).
//! - A verifying blocking client for health checks ([`health`]) and rustls client
//!   configurations for the binaries' outgoing calls ([`client`]).
//! - With the `actix` feature, the caller's own connection for `GET /v1/sys/connection`
//!   (`caller`), served the same way by the node and the sidecar.

#[cfg(feature = "agent")]
pub mod agent;
pub mod authority;
#[cfg(feature = "actix")]
pub mod caller;
pub mod client;
pub mod connection;
pub mod error;
pub mod health;
pub mod listener;
pub mod server;
pub mod settings;

pub use connection::{ConnectionReport, KeyExchangeGroup};
pub use error::{Result, TlsError};
pub use listener::Listener;
pub use server::ServerTls;
pub use settings::{PlainReason, TlsSettings, Transport};

use rustls::crypto::aws_lc_rs::{self, kx_group};
use rustls::crypto::CryptoProvider;
use std::sync::Arc;

/// The aws-lc-rs provider with the key-exchange groups in CretoAI's order of preference:
/// the hybrid post-quantum X25519MLKEM768 first, then the classical X25519, P-256, P-384.
pub fn provider() -> CryptoProvider {
    CryptoProvider {
        kx_groups: vec![
            kx_group::X25519MLKEM768,
            kx_group::X25519,
            kx_group::SECP256R1,
            kx_group::SECP384R1,
        ],
        ..aws_lc_rs::default_provider()
    }
}

/// The provider restricted to the given groups (tests and benchmarks pin one group per client).
pub fn provider_with_groups(groups: &[KeyExchangeGroup]) -> Arc<CryptoProvider> {
    Arc::new(CryptoProvider {
        kx_groups: groups.iter().map(|g| g.kx_group()).collect(),
        ..aws_lc_rs::default_provider()
    })
}
