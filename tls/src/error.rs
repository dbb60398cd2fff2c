//! The one error type of the TLS domain.

use std::path::PathBuf;

/// Everything that can go wrong setting up or using HTTPS.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Contradictory or incomplete TLS settings.
    #[error("TLS configuration: {0}")]
    Config(String),
    /// A certificate or key file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// A PEM file held nothing usable.
    #[error("{}: {reason}", path.display())]
    Pem {
        /// The file.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// Generating the local CA or a server certificate failed.
    #[error("certificate generation: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the configuration (e.g. a key that does not match the certificate).
    #[error("rustls: {0}")]
    Rustls(#[from] rustls::Error),
    /// The client-certificate verifier could not be built from `--tls-client-ca`.
    #[error("client CA: {0}")]
    ClientVerifier(#[from] rustls::server::VerifierBuilderError),
    /// A health probe failed.
    #[error("health check: {0}")]
    Probe(String),
}

/// Result with [`TlsError`].
pub type Result<T> = std::result::Result<T, TlsError>;
