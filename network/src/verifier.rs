//! rustls certificate verifiers that accept exactly the pinned node ids.
//!
//! There is no CA: a peer is authenticated by (1) its certificate carrying an ML-DSA-65 key whose
//! hash is pinned, and (2) its TLS 1.3 CertificateVerify signature verifying under that key.
//! Certificate names, validity dates and self-signatures carry no authority here and are ignored.

use std::sync::{Arc, RwLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, Error, PeerIncompatible,
    PeerMisbehaved, SignatureScheme,
};

use crate::certificate::SIGNATURE_SCHEME;
use crate::error::NetworkError;
use crate::pin_set::PinSet;

/// ML-DSA-65 only, verified by rustls-webpki on aws-lc-rs.
static ML_DSA_65_ONLY: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[webpki::aws_lc_rs::ML_DSA_65],
    mapping: &[(SIGNATURE_SCHEME, &[webpki::aws_lc_rs::ML_DSA_65])],
};

fn admit(pins: &PinSet, cert: &CertificateDer<'_>) -> Result<(), Error> {
    match pins.admit(cert) {
        Ok(id) => {
            tracing::debug!(peer = %id.short(), "pinned certificate accepted");
            Ok(())
        }
        Err(NetworkError::UnknownPeer(id)) => {
            tracing::warn!(peer = %id, "refused certificate of an unpinned node");
            Err(Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
        Err(e) => {
            tracing::warn!(error = %e, "refused a certificate that is not ML-DSA-65");
            Err(Error::InvalidCertificate(CertificateError::BadEncoding))
        }
    }
}

fn verify_signature(
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
) -> Result<HandshakeSignatureValid, Error> {
    if dss.scheme != SIGNATURE_SCHEME {
        return Err(PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme.into());
    }
    rustls::crypto::verify_tls13_signature(message, cert, dss, &ML_DSA_65_ONLY)
}

fn no_tls12() -> Result<HandshakeSignatureValid, Error> {
    // QUIC is TLS 1.3 only; a TLS 1.2 signature here means something is badly wrong.
    Err(PeerIncompatible::Tls13RequiredForQuic.into())
}

/// Verifies the server when dialling: accepts only certificates whose node id is pinned
/// (normally exactly the one node the address is configured for).
#[derive(Debug)]
pub struct PinnedServerVerifier {
    pins: PinSet,
}

impl PinnedServerVerifier {
    /// A verifier accepting the ids in `pins`.
    pub fn new(pins: PinSet) -> Arc<Self> {
        Arc::new(PinnedServerVerifier { pins })
    }
}

impl ServerCertVerifier for PinnedServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        admit(&self.pins, end_entity).map(|()| ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        no_tls12()
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SIGNATURE_SCHEME]
    }
}

/// Verifies connecting clients: a certificate is mandatory and its node id must be pinned.
/// The pin set is shared so peers added at run time are admitted without a restart.
#[derive(Debug)]
pub struct PinnedClientVerifier {
    pins: Arc<RwLock<PinSet>>,
}

impl PinnedClientVerifier {
    /// A verifier reading the shared set `pins` on every handshake.
    pub fn new(pins: Arc<RwLock<PinSet>>) -> Arc<Self> {
        Arc::new(PinnedClientVerifier { pins })
    }
}

impl ClientCertVerifier for PinnedClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        // A poisoned lock only means another thread panicked mid-update of a plain set;
        // the set itself is still consistent.
        let pins = self.pins.read().unwrap_or_else(|p| p.into_inner());
        admit(&pins, end_entity).map(|()| ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        no_tls12()
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SIGNATURE_SCHEME]
    }
}
