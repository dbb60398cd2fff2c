//! One configured peer: its dial loop and what the status endpoint reports about it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::watch;

use crate::backoff::Backoff;
use crate::error::{NetworkError, Result};
use crate::identity::NodeIdentity;
use crate::inbound::{serve_connection, Inbound, StreamContext};
use crate::tls;
use cretoai_types::NodeId;

/// What is known about one peer right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerStatus {
    /// The pinned node id.
    pub node_id: NodeId,
    /// The configured address.
    pub address: SocketAddr,
    /// Whether the outgoing connection is up.
    pub connected: bool,
    /// quinn's smoothed round-trip time on that connection.
    pub rtt: Option<Duration>,
    /// Key-exchange group negotiated on that connection, e.g. `X25519MLKEM768`.
    pub key_exchange_group: Option<String>,
    /// Dial attempts that failed since the last successful connection.
    pub failed_attempts: u32,
}

#[derive(Default)]
struct LinkState {
    conn: Option<quinn::Connection>,
    failed_attempts: u32,
}

/// Shared state of one peer, read by senders and written by its dial loop.
pub(crate) struct PeerSlot {
    pub(crate) node_id: NodeId,
    pub(crate) address: SocketAddr,
    link: Mutex<LinkState>,
    stop: watch::Sender<bool>,
}

impl PeerSlot {
    pub(crate) fn new(node_id: NodeId, address: SocketAddr) -> Arc<Self> {
        Arc::new(PeerSlot {
            node_id,
            address,
            link: Mutex::new(LinkState::default()),
            stop: watch::Sender::new(false),
        })
    }

    fn link(&self) -> std::sync::MutexGuard<'_, LinkState> {
        // The state is two plain fields; a panic elsewhere cannot leave it half-updated.
        self.link.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The live connection, if any.
    pub(crate) fn connection(&self) -> Result<quinn::Connection> {
        self.link()
            .conn
            .clone()
            .filter(|c| c.close_reason().is_none())
            .ok_or(NetworkError::NotConnected(self.node_id))
    }

    pub(crate) fn status(&self) -> PeerStatus {
        let link = self.link();
        let conn = link.conn.as_ref().filter(|c| c.close_reason().is_none());
        PeerStatus {
            node_id: self.node_id,
            address: self.address,
            connected: conn.is_some(),
            rtt: conn.map(quinn::Connection::rtt),
            key_exchange_group: conn.and_then(tls::negotiated_group).map(tls::group_name),
            failed_attempts: link.failed_attempts,
        }
    }

    /// Stops the dial loop and closes the connection.
    pub(crate) fn stop(&self) {
        self.stop.send_replace(true);
        if let Some(conn) = self.link().conn.take() {
            conn.close(0u32.into(), b"peer removed");
        }
    }
}

/// What a dial loop needs besides its slot.
#[derive(Clone)]
pub(crate) struct DialContext {
    pub(crate) endpoint: quinn::Endpoint,
    pub(crate) identity: NodeIdentity,
    pub(crate) transport: Arc<quinn::TransportConfig>,
    pub(crate) backoff: Backoff,
    pub(crate) connect_timeout: Duration,
    pub(crate) streams: StreamContext,
}

/// Keeps one outgoing connection to `slot` alive: dial, serve, and on failure or loss wait
/// per the backoff schedule and dial again, until stopped. Each peer has its own loop, so a
/// peer that is down never delays the others.
pub(crate) async fn dial_loop(slot: Arc<PeerSlot>, ctx: DialContext) {
    let peer = slot.node_id;
    let config = match tls::client_config(&ctx.identity, peer, ctx.transport.clone()) {
        Ok(config) => config,
        Err(e) => {
            tracing::error!(peer = %peer, error = %e, "cannot build client config; not dialling");
            return;
        }
    };
    let mut stop = slot.stop.subscribe();
    let mut attempt = 0u32;
    while !*stop.borrow_and_update() {
        match connect(&ctx, &config, &slot).await {
            Ok(conn) => {
                attempt = 0;
                slot.link().failed_attempts = 0;
                slot.link().conn = Some(conn.clone());
                tracing::info!(peer = %peer.short(), addr = %slot.address, "connected");
                let _ = ctx.streams.inbound.send(Inbound::PeerUp { peer }).await;
                let served = serve_connection(conn.clone(), peer, ctx.streams.clone());
                tokio::select! {
                    _ = served => {}
                    _ = stop.changed() => conn.close(0u32.into(), b"shutdown"),
                }
                slot.link().conn = None;
                tracing::warn!(peer = %peer.short(), reason = ?conn.close_reason(), "connection lost");
                let _ = ctx.streams.inbound.send(Inbound::PeerDown { peer }).await;
            }
            Err(e) => {
                slot.link().failed_attempts = attempt.saturating_add(1);
                tracing::debug!(peer = %peer.short(), addr = %slot.address, error = %e, "dial failed");
            }
        }
        let delay = ctx.backoff.delay(attempt);
        attempt = attempt.saturating_add(1);
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stop.changed() => {}
        }
    }
}

async fn connect(
    ctx: &DialContext,
    config: &quinn::ClientConfig,
    slot: &PeerSlot,
) -> Result<quinn::Connection> {
    let failed = |reason: String| NetworkError::Connect {
        addr: slot.address,
        reason,
    };
    let connecting = ctx
        .endpoint
        .connect_with(config.clone(), slot.address, tls::SERVER_NAME)
        .map_err(|e| failed(e.to_string()))?;
    let conn = tokio::time::timeout(ctx.connect_timeout, connecting)
        .await
        .map_err(|_| failed("timed out".into()))?
        .map_err(|e| failed(e.to_string()))?;
    // The verifier pinned exactly this id; checking again keeps the invariant local.
    if tls::peer_node_id(&conn) != Some(slot.node_id) {
        conn.close(0u32.into(), b"wrong identity");
        return Err(failed("peer presented another identity".into()));
    }
    // Wait for the acceptor's admission marker (see `inbound::confirm_admission`).
    match tokio::time::timeout(ctx.connect_timeout, conn.accept_uni()).await {
        Ok(Ok(_marker)) => Ok(conn),
        Ok(Err(e)) => Err(failed(format!("refused by peer: {e}"))),
        Err(_) => {
            conn.close(0u32.into(), b"no admission");
            Err(failed("peer did not confirm admission".into()))
        }
    }
}
