//! The node's side of HTTPS (the listener itself is `cretoai_tls::Listener`): the
//! per-connection report and handshake count, the `health` subcommand, and the client for the
//! node's own outgoing calls. See docs/decisions/0013-https-by-default.md.

use crate::config::Config;
use crate::error::Result;
use crate::metrics::Metrics;
use actix_web::dev::Extensions;
use std::any::Any;
use std::sync::Arc;

/// Decides and prepares what the node's listener serves, and logs it.
pub fn listener(config: &Config) -> Result<cretoai_tls::Listener> {
    Ok(cretoai_tls::Listener::prepare(
        "cretoai-node",
        &config.tls,
        config.listen,
        &config.data_dir,
    )?)
}

/// The per-connection hook: reads what the TLS handshake negotiated, counts it by group and
/// keeps it with the connection for `GET /v1/sys/connection`.
pub fn on_connect(metrics: Arc<Metrics>) -> impl Fn(&dyn Any, &mut Extensions) + Send + Sync {
    cretoai_tls::caller::on_connect(move |report| {
        metrics.count_tls_handshake(&report.key_exchange_group)
    })
}

/// `cretoai-node health`: the status of `GET /ready` on this configuration's listener.
pub fn health(config: &Config) -> Result<u16> {
    Ok(cretoai_tls::listener::health(
        &config.tls,
        config.listen,
        &config.data_dir,
        "/ready",
    )?)
}

/// The client configuration for this node's outgoing HTTPS calls (the sidecar relay): the CA
/// from `--tls-trust`, X25519MLKEM768 first.
pub fn outgoing(config: &Config) -> Result<Option<Arc<rustls::ClientConfig>>> {
    match &config.tls.trust {
        Some(ca) => Ok(Some(Arc::new(
            cretoai_tls::client::ClientTls::trusting(ca)?.config()?,
        ))),
        None => Ok(None),
    }
}
