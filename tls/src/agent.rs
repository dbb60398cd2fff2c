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

/// One request with `agent`: `method url`, with a bearer `token` and a JSON `body` when given.
/// Answers the status and the body as text, `None` when no HTTP answer came (refused
/// connection, failed handshake, timeout).
pub fn exchange(
    agent: &Agent,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Option<(u16, String)> {
    let method = ureq::http::Method::from_bytes(method.as_bytes()).ok()?;
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    let mut response = match body {
        Some(b) => agent
            .run(
                request
                    .header("content-type", "application/json")
                    .body(b.to_string())
                    .ok()?,
            )
            .ok()?,
        None => agent.run(request.body(()).ok()?).ok()?,
    };
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().ok()?;
    Some((status, text))
}
