//! New-connection rate over TLS: each client opens a connection, completes the handshake with
//! one key-exchange group, asks `GET /health`, and closes; the rate is what a server pays when
//! clients do not keep connections alive.

use crate::http_client::Connection;
use cretoai_tls::client::ClientTls;
use cretoai_tls::KeyExchangeGroup;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one handshake run measured.
pub struct HandshakeRate {
    /// The group every handshake negotiated.
    pub group: KeyExchangeGroup,
    /// Completed connections (handshake + one request answered 200).
    pub completed: usize,
    /// Connections that failed.
    pub failed: usize,
    /// How long the run took.
    pub elapsed: Duration,
}

impl HandshakeRate {
    /// Completed connections per second.
    pub fn rate(&self) -> f64 {
        self.completed as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Opens new TLS connections to `addr` from `concurrency` clients for `window`, each offering
/// only `group`, trusting the CA in `ca`.
pub async fn measure(
    addr: &str,
    ca: &Path,
    group: KeyExchangeGroup,
    concurrency: usize,
    window: Duration,
) -> std::io::Result<HandshakeRate> {
    let config = ClientTls::trusting(ca)
        .and_then(|c| c.groups(&[group]).config())
        .map_err(std::io::Error::other)?;
    let config = Arc::new(config);
    let start = Instant::now();
    let deadline = start + window;
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency.max(1) {
        let (addr, config) = (addr.to_string(), config.clone());
        tasks.push(tokio::spawn(async move {
            let (mut completed, mut failed) = (0usize, 0usize);
            while Instant::now() < deadline {
                let answered = match Connection::connect_tls(&addr, config.clone()).await {
                    Ok(mut c) => matches!(c.request("GET", "/health", None, None).await, Ok(r) if r.status == 200),
                    Err(_) => false,
                };
                if answered {
                    completed += 1;
                } else {
                    failed += 1;
                }
            }
            (completed, failed)
        }));
    }
    let (mut completed, mut failed) = (0, 0);
    for task in tasks {
        let (c, f) = task.await.map_err(std::io::Error::other)?;
        completed += c;
        failed += f;
    }
    Ok(HandshakeRate {
        group,
        completed,
        failed,
        elapsed: start.elapsed(),
    })
}
