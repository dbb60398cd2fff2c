//! The one HTTP client of CretoAI's tests and benchmarks: a ureq agent speaking HTTPS through
//! a [`ClientTls`] (its CA, key-exchange groups and client certificate) or plain HTTP.
//! Statuses are answers, not errors: tests assert on 4xx and 5xx bodies.

use crate::client::ClientTls;
use std::sync::Arc;
use std::time::Duration;
use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig, TlsProvider};
use ureq::Agent;

/// Budget of one whole call.
const TIMEOUT: Duration = Duration::from_secs(30);

/// An agent for HTTPS with `tls`.
pub fn https(tls: &ClientTls) -> Agent {
    let roots: Vec<Certificate<'static>> = tls
        .roots()
        .iter()
        .map(|c| Certificate::from_der(c.as_ref()).to_owned())
        .collect();
    let mut config = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(RootCerts::Specific(Arc::new(roots)))
        .unversioned_rustls_crypto_provider(tls.provider());
    if let Some((chain, key)) = tls.client_identity() {
        let chain: Vec<Certificate<'static>> = chain
            .iter()
            .map(|c| Certificate::from_der(c.as_ref()).to_owned())
            .collect();
        // ClientTls read this PEM and parsed it already; ureq parses it again for itself.
        if let Ok(key) = PrivateKey::from_pem(key) {
            config = config.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
        }
    }
    Agent::config_builder()
        .tls_config(config.build())
        .http_status_as_error(false)
        .timeout_global(Some(TIMEOUT))
        .build()
        .new_agent()
}

/// An agent for plain HTTP.
pub fn plain() -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(TIMEOUT))
        .build()
        .new_agent()
}
