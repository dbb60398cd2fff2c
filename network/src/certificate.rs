//! The ML-DSA-65 certificate a node presents in QUIC, and the bridge from a
//! `cretoai_crypto` key to rcgen (certificate signing) and rustls (handshake signing).

use std::sync::Arc;

use cretoai_crypto::ml_dsa::SigningKey;
use rustls::pki_types::CertificateDer;
use rustls::{SignatureAlgorithm, SignatureScheme};

use crate::error::{NetworkError, Result};
use cretoai_types::NodeId;

/// The only TLS signature scheme nodes use and accept.
pub const SIGNATURE_SCHEME: SignatureScheme = SignatureScheme::ML_DSA_65;

/// Raw ML-DSA-65 public key length (FIPS 204).
const PUBLIC_KEY_LEN: usize = 1952;

/// DER prefix of every ML-DSA-65 SubjectPublicKeyInfo: SEQUENCE (1970 bytes) { SEQUENCE
/// { OID 2.16.840.1.101.3.4.3.18 } (no parameters), BIT STRING (1953 bytes, 0 unused bits) }.
/// DER is canonical, so an SPKI for this algorithm is exactly this prefix + the raw key.
const SPKI_PREFIX: [u8; 22] = [
    0x30, 0x82, 0x07, 0xb2, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03,
    0x12, 0x03, 0x82, 0x07, 0xa1, 0x00,
];

/// Builds the self-signed ML-DSA-65 certificate for `key` (rcgen, pure ML-DSA, empty context).
pub(crate) fn self_signed(key: &SigningKey) -> Result<CertificateDer<'static>> {
    let node_id = NodeId::from_public_key(key.verifying_key().as_bytes());
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("cretoai-node {node_id}"));
    let cert = params
        .self_signed(&RcgenKey(key))
        .map_err(|e| NetworkError::Certificate(e.to_string()))?;
    Ok(cert.der().clone())
}

/// The raw ML-DSA-65 public key inside a certificate's SubjectPublicKeyInfo.
pub fn public_key_of(cert: &CertificateDer<'_>) -> Result<Vec<u8>> {
    let parsed = webpki::EndEntityCert::try_from(cert)
        .map_err(|_| NetworkError::UnsupportedCertificate("not a parseable X.509 certificate"))?;
    let spki = parsed.subject_public_key_info();
    spki.as_ref()
        .strip_prefix(&SPKI_PREFIX[..])
        .filter(|key| key.len() == PUBLIC_KEY_LEN)
        .map(<[u8]>::to_vec)
        .ok_or(NetworkError::UnsupportedCertificate(
            "public key is not ML-DSA-65",
        ))
}

/// The node id a certificate stands for: SHA-256 of its raw ML-DSA-65 public key.
pub fn node_id_of(cert: &CertificateDer<'_>) -> Result<NodeId> {
    Ok(NodeId::from_public_key(&public_key_of(cert)?))
}

/// rcgen's view of a `cretoai_crypto` ML-DSA-65 key.
struct RcgenKey<'a>(&'a SigningKey);

impl rcgen::PublicKeyData for RcgenKey<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.0.verifying_key().as_bytes()
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ML_DSA_65
    }
}

impl rcgen::SigningKey for RcgenKey<'_> {
    fn sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, rcgen::Error> {
        // X.509 ML-DSA signatures use the pure variant with an empty context (RFC 9881).
        self.0
            .sign(msg, &[])
            .map_err(|_| rcgen::Error::RemoteKeyError)
    }
}

/// rustls' view of the node key: signs TLS 1.3 CertificateVerify messages with ML-DSA-65.
#[derive(Clone)]
pub(crate) struct TlsKey(pub(crate) Arc<SigningKey>);

impl std::fmt::Debug for TlsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsKey(ML-DSA-65)")
    }
}

impl rustls::sign::SigningKey for TlsKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn rustls::sign::Signer>> {
        offered
            .contains(&SIGNATURE_SCHEME)
            .then(|| Box::new(self.clone()) as Box<dyn rustls::sign::Signer>)
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        // The TLS 1.2 enum has no ML-DSA entry; rustls' own ML-DSA keys answer the same.
        SignatureAlgorithm::Unknown(0)
    }
}

impl rustls::sign::Signer for TlsKey {
    fn sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, rustls::Error> {
        // TLS 1.3 ML-DSA (draft-ietf-tls-mldsa): pure ML-DSA over the whole message, empty context.
        self.0
            .sign(message, &[])
            .map_err(|_| rustls::Error::General("ML-DSA signing failed".into()))
    }

    fn scheme(&self) -> SignatureScheme {
        SIGNATURE_SCHEME
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::NodeIdentity;

    #[test]
    fn certificate_carries_the_identity_key() {
        let identity = NodeIdentity::generate().unwrap();
        let key = public_key_of(identity.certificate()).unwrap();
        assert_eq!(key, identity.verifying_key().as_bytes());
        assert_eq!(
            node_id_of(identity.certificate()).unwrap(),
            identity.node_id()
        );
        // Key (1952) + signature (3309) + X.509 structure: the size quoted in docs/network.md.
        let len = identity.certificate().len();
        eprintln!("ML-DSA-65 certificate: {len} bytes");
        assert!((5261..5600).contains(&len), "certificate is {len} bytes");
    }

    #[test]
    fn certificate_self_signature_verifies_with_webpki() {
        // Independent check of rcgen + cretoai-crypto output: webpki's aws-lc ML-DSA-65 verifier
        // over the certificate's own signature, using the certificate as its own trust anchor.
        let identity = NodeIdentity::generate().unwrap();
        let cert = identity.certificate();
        let anchor = webpki::anchor_from_trusted_cert(cert).unwrap();
        let ee = webpki::EndEntityCert::try_from(cert).unwrap();
        let now = rustls::pki_types::UnixTime::now();
        ee.verify_for_usage(
            &[webpki::aws_lc_rs::ML_DSA_65],
            &[anchor],
            &[],
            now,
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .expect("self-signed ML-DSA-65 certificate verifies");
    }

    #[test]
    fn foreign_certificates_are_rejected() {
        assert!(public_key_of(&CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x01])).is_err());
        let ed25519 = rcgen::generate_simple_self_signed(vec!["x".into()]).unwrap();
        assert!(matches!(
            node_id_of(ed25519.cert.der()),
            Err(NetworkError::UnsupportedCertificate(_))
        ));
    }
}
