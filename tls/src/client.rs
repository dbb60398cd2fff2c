//! Client configurations: trust a CA file (the binaries' outgoing calls, tests, benchmarks),
//! optionally restricted to some key-exchange groups or presenting a client certificate, or
//! pinned to one server certificate (the `health` subcommand checking its own server).

use crate::connection::KeyExchangeGroup;
use crate::error::Result;
use crate::server::{read_certs, read_key, read_roots};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::Path;
use std::sync::Arc;
use zeroize::Zeroizing;

/// A client configuration being put together.
#[derive(Debug, Clone)]
pub struct ClientTls {
    roots: Vec<CertificateDer<'static>>,
    groups: Vec<KeyExchangeGroup>,
    identity: Option<Identity>,
}

/// A client certificate chain and its key (also kept as the PEM it was read from).
#[derive(Debug, Clone)]
struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
    key_pem: Arc<Zeroizing<Vec<u8>>>,
}

impl ClientTls {
    /// Trusts the CA certificates in `ca_pem` (and nothing else).
    pub fn trusting(ca_pem: &Path) -> Result<ClientTls> {
        // Parsed as a trust store once, so a file that is not a CA fails here.
        read_roots(ca_pem)?;
        Ok(ClientTls {
            roots: read_certs(ca_pem)?,
            groups: Vec::new(),
            identity: None,
        })
    }

    /// Offers only these key-exchange groups (default: X25519MLKEM768 first, then classical).
    pub fn groups(mut self, groups: &[KeyExchangeGroup]) -> ClientTls {
        self.groups = groups.to_vec();
        self
    }

    /// Presents this client certificate (mutual TLS).
    pub fn identity(mut self, cert: &Path, key: &Path) -> Result<ClientTls> {
        let key_pem = std::fs::read(key).map_err(|source| crate::TlsError::Io {
            path: key.to_path_buf(),
            source,
        })?;
        self.identity = Some(Identity {
            chain: read_certs(cert)?,
            key: Arc::new(read_key(key)?),
            key_pem: Arc::new(Zeroizing::new(key_pem)),
        });
        Ok(self)
    }

    /// The crypto provider: aws-lc-rs with the chosen groups.
    pub fn provider(&self) -> Arc<CryptoProvider> {
        if self.groups.is_empty() {
            Arc::new(crate::provider())
        } else {
            crate::provider_with_groups(&self.groups)
        }
    }

    /// The trusted CA certificates.
    pub fn roots(&self) -> &[CertificateDer<'static>] {
        &self.roots
    }

    /// The client certificate chain and the key's PEM, if any.
    pub fn client_identity(&self) -> Option<(&[CertificateDer<'static>], &[u8])> {
        self.identity
            .as_ref()
            .map(|i| (i.chain.as_slice(), i.key_pem.as_slice()))
    }

    /// The rustls configuration: TLS 1.3 only, aws-lc-rs.
    pub fn config(&self) -> Result<ClientConfig> {
        let mut store = RootCertStore::empty();
        for cert in &self.roots {
            store.add(cert.clone())?;
        }
        let builder = ClientConfig::builder_with_provider(self.provider())
            .with_protocol_versions(&[&rustls::version::TLS13])?
            .with_root_certificates(store);
        Ok(match &self.identity {
            Some(i) => builder.with_client_auth_cert(i.chain.clone(), i.key.clone_key())?,
            None => builder.with_no_client_auth(),
        })
    }
}

/// A configuration that accepts exactly one server certificate, whatever names it carries,
/// and still checks the handshake signature: proof that the server holding that certificate's
/// key answered. For a binary checking its own listener, whose certificate may not name
/// `localhost`.
pub fn pinned(leaf: CertificateDer<'static>) -> Result<ClientConfig> {
    let provider = Arc::new(crate::provider());
    let verifier = Arc::new(Pinned {
        leaf,
        provider: provider.clone(),
    });
    Ok(ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

#[derive(Debug)]
struct Pinned {
    leaf: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.leaf.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        // The configuration allows TLS 1.3 only.
        Err(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::Tls12NotOffered,
        ))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
