//! The sidecar's side of HTTPS: the outgoing client (anchor node, upstream engine) that trusts
//! `tls.trust`, and the `health` subcommand. The listener itself is `cretoai_tls::Listener`.

use crate::config::Config;
use crate::error::{Result, SidecarError};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The client configuration for outgoing HTTPS, set once at start from `tls.trust`. Unset
/// (tests in one process, no trust configured): outgoing calls speak plain HTTP only.
static OUTGOING: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();

/// Loads `tls.trust` for the outgoing calls. Call once, before serving.
pub fn install_outgoing(config: &Config) -> Result<()> {
    if let Some(ca) = &config.tls.trust {
        let client = cretoai_tls::client::ClientTls::trusting(ca)
            .and_then(|c| c.config())
            .map_err(tls_error)?;
        // A second call keeps the first configuration: it is the same file.
        let _ = OUTGOING.set(Arc::new(client));
    }
    Ok(())
}

/// An awc client with this time budget per request (`None`: none) that speaks HTTPS (verified
/// against `tls.trust`, X25519MLKEM768 first) when the trust is installed, plain HTTP
/// otherwise.
pub fn client(timeout: Option<Duration>) -> awc::Client {
    let connector = match OUTGOING.get() {
        Some(tls) => awc::Connector::new().rustls_0_23(tls.clone()),
        None => awc::Connector::new(),
    };
    let builder = awc::Client::builder().connector(connector);
    match timeout {
        Some(t) => builder.timeout(t).finish(),
        None => builder.disable_timeout().finish(),
    }
}

/// Decides and prepares what the sidecar's listener serves, and logs it.
pub fn listener(config: &Config) -> Result<cretoai_tls::Listener> {
    cretoai_tls::Listener::prepare(
        "cretoai-authz-sidecar",
        &config.tls,
        config.listen,
        &config.data_dir,
    )
    .map_err(tls_error)
}

/// `cretoai-authz-sidecar health`: the status of `GET /ready` on this configuration's listener.
pub fn health(config: &Config) -> Result<u16> {
    cretoai_tls::listener::health(&config.tls, config.listen, &config.data_dir, "/ready")
        .map_err(tls_error)
}

fn tls_error(e: cretoai_tls::TlsError) -> SidecarError {
    SidecarError::Config(e.to_string())
}
