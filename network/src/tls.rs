//! TLS 1.3 / QUIC configuration: aws-lc-rs provider, X25519MLKEM768 preferred, ML-DSA-65
//! certificates, pinned mutual authentication.

use std::sync::{Arc, RwLock};

use quinn::crypto::rustls::{HandshakeData, QuicClientConfig, QuicServerConfig};
use rustls::crypto::CryptoProvider;
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::NamedGroup;

use crate::certificate::TlsKey;
use crate::error::{NetworkError, Result};
use crate::identity::NodeIdentity;
use crate::pin_set::PinSet;
use crate::verifier::{PinnedClientVerifier, PinnedServerVerifier};
use cretoai_types::NodeId;

/// ALPN protocol id of this transport; peers speaking anything else are refused.
pub const ALPN: &[u8] = b"cretoai/1";

/// The key-exchange group this transport is built to negotiate.
pub const POST_QUANTUM_GROUP: NamedGroup = NamedGroup::X25519MLKEM768;

/// SNI sent when dialling. Identity comes from the pinned key, not from this name.
pub const SERVER_NAME: &str = "cretoai-node";

/// The aws-lc-rs provider. With rustls' `prefer-post-quantum` feature its first (preferred)
/// key-exchange group is X25519MLKEM768; X25519 and the NIST curves follow for other stacks.
pub fn provider() -> Arc<CryptoProvider> {
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    debug_assert_eq!(
        provider.kx_groups.first().map(|g| g.name()),
        Some(POST_QUANTUM_GROUP)
    );
    Arc::new(provider)
}

fn certified_key(identity: &NodeIdentity) -> Arc<SingleCertAndKey> {
    let key = Arc::new(TlsKey(identity.signing_key().clone()));
    Arc::new(SingleCertAndKey::from(CertifiedKey::new(
        vec![identity.certificate().clone()],
        key,
    )))
}

fn tls_error(e: impl std::fmt::Display) -> NetworkError {
    NetworkError::TlsConfig(e.to_string())
}

/// The rustls server side: presents `identity`, requires a client certificate whose node id is
/// in `pins` (read at every handshake).
pub fn rustls_server_config(
    identity: &NodeIdentity,
    pins: Arc<RwLock<PinSet>>,
) -> Result<rustls::ServerConfig> {
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(tls_error)?
        .with_client_cert_verifier(PinnedClientVerifier::new(pins))
        .with_cert_resolver(certified_key(identity));
    config.alpn_protocols = vec![ALPN.to_vec()];
    Ok(config)
}

/// The rustls client side: accepts only a server whose node id is in `expected`, and presents
/// `identity` as client certificate when given.
pub fn rustls_client_config(
    identity: Option<&NodeIdentity>,
    expected: PinSet,
) -> Result<rustls::ClientConfig> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(tls_error)?
        .dangerous()
        .with_custom_certificate_verifier(PinnedServerVerifier::new(expected));
    let mut config = match identity {
        Some(identity) => builder.with_client_cert_resolver(certified_key(identity)),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![ALPN.to_vec()];
    Ok(config)
}

/// A quinn server config for `identity` accepting the peers in `pins`.
pub fn server_config(
    identity: &NodeIdentity,
    pins: Arc<RwLock<PinSet>>,
    transport: Arc<quinn::TransportConfig>,
) -> Result<quinn::ServerConfig> {
    let crypto =
        QuicServerConfig::try_from(rustls_server_config(identity, pins)?).map_err(tls_error)?;
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    config.transport_config(transport);
    Ok(config)
}

/// A quinn client config for dialling exactly the node `peer`, authenticating as `identity`.
pub fn client_config(
    identity: &NodeIdentity,
    peer: NodeId,
    transport: Arc<quinn::TransportConfig>,
) -> Result<quinn::ClientConfig> {
    let pins: PinSet = [peer].into_iter().collect();
    quic_client_config(rustls_client_config(Some(identity), pins)?, transport)
}

/// Wraps a rustls client config for quinn.
pub fn quic_client_config(
    config: rustls::ClientConfig,
    transport: Arc<quinn::TransportConfig>,
) -> Result<quinn::ClientConfig> {
    let crypto = QuicClientConfig::try_from(config).map_err(tls_error)?;
    let mut config = quinn::ClientConfig::new(Arc::new(crypto));
    config.transport_config(transport);
    Ok(config)
}

/// The key-exchange group rustls negotiated on `conn`, as reported by the rustls session inside
/// quinn (`HandshakeData::negotiated_key_exchange_group`).
pub fn negotiated_group(conn: &quinn::Connection) -> Option<NamedGroup> {
    conn.handshake_data()?
        .downcast::<HandshakeData>()
        .ok()
        .map(|data| data.negotiated_key_exchange_group)
}

/// The node id of the authenticated peer on `conn` (from its certificate).
pub fn peer_node_id(conn: &quinn::Connection) -> Option<NodeId> {
    let chain = conn
        .peer_identity()?
        .downcast::<Vec<rustls::pki_types::CertificateDer<'static>>>()
        .ok()?;
    crate::certificate::node_id_of(chain.first()?).ok()
}

/// Text name of a key-exchange group, e.g. `X25519MLKEM768`.
pub fn group_name(group: NamedGroup) -> String {
    format!("{group:?}")
}
