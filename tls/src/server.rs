//! The server side: a rustls configuration for TLS 1.3 only, X25519MLKEM768 first, with the
//! operator's or the generated certificates and, optionally, client certificates required.

use crate::authority;
use crate::error::{Result, TlsError};
use crate::settings::{Certificates, TlsSettings};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A ready server configuration and what to tell the operator about it.
#[derive(Debug, Clone)]
pub struct ServerTls {
    /// The rustls configuration to serve with.
    pub config: ServerConfig,
    /// The certificate chain served.
    pub cert: PathBuf,
    /// The generated CA clients should trust, when the certificates are generated.
    pub generated_ca: Option<PathBuf>,
    /// Whether this start created the generated CA (clients must trust the new one).
    pub created_ca: bool,
    /// Whether clients must present a certificate from `--tls-client-ca`.
    pub mutual: bool,
}

impl ServerTls {
    /// Builds the configuration for `listen` from `settings`, generating or reusing the
    /// certificates under `<data_dir>/tls/` when none are provided.
    pub fn prepare(
        settings: &TlsSettings,
        certificates: &Certificates,
        listen: SocketAddr,
        data_dir: &Path,
    ) -> Result<ServerTls> {
        let (cert, key, generated_ca, created_ca) = match certificates {
            Certificates::Provided { cert, key } => (cert.clone(), key.clone(), None, false),
            Certificates::Generated => {
                let names = authority::names_for(listen, &settings.san);
                let issued = authority::ensure(&data_dir.join("tls"), &names)?;
                (issued.cert, issued.key, Some(issued.ca), issued.created_ca)
            }
        };
        let chain = read_certs(&cert)?;
        let private = read_key(&key)?;
        let builder = ServerConfig::builder_with_provider(Arc::new(crate::provider()))
            .with_protocol_versions(&[&rustls::version::TLS13])?;
        let builder = match &settings.client_ca {
            Some(path) => {
                let roots = read_roots(path)?;
                let verifier = WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    Arc::new(crate::provider()),
                )
                .build()?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let config = builder.with_single_cert(chain, private)?;
        Ok(ServerTls {
            config,
            cert,
            generated_ca,
            created_ca,
            mutual: settings.client_ca.is_some(),
        })
    }
}

/// All certificates of a PEM file, in order.
pub fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem_error(path, e))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| pem_error(path, e))?;
    if certs.is_empty() {
        return Err(TlsError::Pem {
            path: path.to_path_buf(),
            reason: "no CERTIFICATE block".into(),
        });
    }
    Ok(certs)
}

/// The first private key of a PEM file.
pub fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| pem_error(path, e))
}

/// The certificates of a PEM file as a trust store.
pub fn read_roots(path: &Path) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for cert in read_certs(path)? {
        roots.add(cert).map_err(|e| TlsError::Pem {
            path: path.to_path_buf(),
            reason: format!("not a usable CA certificate: {e}"),
        })?;
    }
    Ok(roots)
}

fn pem_error(path: &Path, e: rustls::pki_types::pem::Error) -> TlsError {
    match e {
        rustls::pki_types::pem::Error::Io(source) => TlsError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => TlsError::Pem {
            path: path.to_path_buf(),
            reason: other.to_string(),
        },
    }
}
