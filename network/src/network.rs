//! The clonable handle the node uses: start, send, broadcast, request, status, peers.

use bytes::Bytes;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use tokio::sync::mpsc;

use crate::config::{NetworkConfig, PeerConfig};
use crate::error::{NetworkError, Result};
use crate::frame::{read_frame, Frame};
use crate::identity::NodeIdentity;
use crate::inbound::{accept_loop, Inbound, StreamContext};
use crate::peer::{dial_loop, DialContext, PeerSlot, PeerStatus};
use crate::pin_set::PinSet;
use crate::tls;
use cretoai_types::NodeId;

/// A running transport. Cloning is cheap and every clone drives the same endpoint; the
/// endpoint and all peer tasks stop on [`Network::shutdown`] or when the last clone is dropped.
#[derive(Clone)]
pub struct Network {
    shared: Arc<Shared>,
}

struct Shared {
    config: NetworkConfig,
    endpoint: quinn::Endpoint,
    local_addr: SocketAddr,
    node_id: NodeId,
    pins: Arc<RwLock<PinSet>>,
    peers: Mutex<HashMap<NodeId, Arc<PeerSlot>>>,
    dial: DialContext,
    closed: AtomicBool,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.stop_all();
    }
}

impl Shared {
    fn peers(&self) -> std::sync::MutexGuard<'_, HashMap<NodeId, Arc<PeerSlot>>> {
        self.peers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn pins_mut(&self) -> std::sync::RwLockWriteGuard<'_, PinSet> {
        self.pins.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn stop_all(&self) {
        self.closed.store(true, Ordering::SeqCst);
        for slot in self.peers().drain().map(|(_, slot)| slot) {
            slot.stop();
        }
        self.endpoint.close(0u32.into(), b"shutdown");
    }
}

impl Network {
    /// Binds the QUIC endpoint, starts accepting pinned peers and dialling the configured ones.
    /// Returns the handle and the channel on which everything from peers arrives.
    pub async fn start(
        identity: NodeIdentity,
        config: NetworkConfig,
    ) -> Result<(Network, mpsc::Receiver<Inbound>)> {
        let transport = config.transport()?;
        let pins = Arc::new(RwLock::new(PinSet::new()));
        let server = tls::server_config(&identity, pins.clone(), transport.clone())?;
        let endpoint = quinn::Endpoint::server(server, config.listen)
            .map_err(|e| NetworkError::io(config.listen, e))?;
        let local_addr = endpoint
            .local_addr()
            .map_err(|e| NetworkError::io(config.listen, e))?;
        let (inbound, receiver) = mpsc::channel(config.inbound_capacity.max(1));
        let streams = StreamContext {
            inbound,
            max_frame_len: config.max_frame_len,
            request_timeout: config.request_timeout,
        };
        tokio::spawn(accept_loop(endpoint.clone(), streams.clone()));
        let node_id = identity.node_id();
        tracing::info!(node_id = %node_id, %local_addr, "network listening");
        let dial = DialContext {
            endpoint: endpoint.clone(),
            identity,
            transport,
            backoff: config.backoff,
            connect_timeout: config.connect_timeout,
            streams,
        };
        let network = Network {
            shared: Arc::new(Shared {
                config: config.clone(),
                endpoint,
                local_addr,
                node_id,
                pins,
                peers: Mutex::new(HashMap::new()),
                dial,
                closed: AtomicBool::new(false),
            }),
        };
        for peer in config.peers {
            network.add_peer(peer);
        }
        Ok((network, receiver))
    }

    /// This node's id.
    pub fn node_id(&self) -> NodeId {
        self.shared.node_id
    }

    /// The bound UDP address.
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.local_addr
    }

    /// Pins `peer` and starts dialling it. A peer already known under the same id is replaced
    /// (new address). Our own id, and any peer after shutdown, is ignored. Returns whether a
    /// dial loop was started.
    pub fn add_peer(&self, peer: PeerConfig) -> bool {
        if peer.node_id == self.shared.node_id || self.shared.closed.load(Ordering::SeqCst) {
            return false;
        }
        self.shared.pins_mut().insert(peer.node_id);
        let slot = PeerSlot::new(peer.node_id, peer.address);
        if let Some(old) = self.shared.peers().insert(peer.node_id, slot.clone()) {
            old.stop();
        }
        tokio::spawn(dial_loop(slot, self.shared.dial.clone()));
        true
    }

    /// Unpins `node_id`, stops dialling it and closes its connection. Connections it already
    /// opened to us stay until they end; new ones are refused.
    pub fn remove_peer(&self, node_id: &NodeId) -> bool {
        self.shared.pins_mut().remove(node_id);
        let removed = self.shared.peers().remove(node_id);
        removed.map(|slot| slot.stop()).is_some()
    }

    fn connection(&self, to: &NodeId) -> Result<quinn::Connection> {
        if self.shared.closed.load(Ordering::SeqCst) {
            return Err(NetworkError::Shutdown);
        }
        let slot = self.shared.peers().get(to).cloned();
        slot.ok_or(NetworkError::UnknownPeer(*to))?.connection()
    }

    /// Sends `frame` to one peer on a fresh unidirectional stream. Fails at once with
    /// [`NetworkError::NotConnected`] if the peer is down; frames sent separately may arrive
    /// in any order.
    pub async fn send(&self, to: &NodeId, frame: &Frame) -> Result<()> {
        self.send_many(to, std::slice::from_ref(frame)).await
    }

    /// Sends `frames` to one peer on a single unidirectional stream: they arrive in this
    /// order, and the per-stream cost is paid once. All frames are size-checked before any
    /// byte is sent.
    pub async fn send_many(&self, to: &NodeId, frames: &[Frame]) -> Result<()> {
        let bytes = self.encode(frames)?;
        self.send_encoded(to, bytes).await
    }

    /// Sends `frame` to every configured peer concurrently; one result per peer. The frame
    /// is encoded once and its bytes shared by every send (a vertex frame can be a megabyte).
    pub async fn broadcast(&self, frame: &Frame) -> Vec<(NodeId, Result<()>)> {
        let ids: Vec<NodeId> = self.shared.peers().keys().copied().collect();
        let bytes = match self.encode(std::slice::from_ref(frame)) {
            Ok(bytes) => bytes,
            Err(_) => {
                let max = self.shared.config.max_frame_len;
                return ids
                    .into_iter()
                    .map(|id| (id, frame.checked_len(max).map(drop)))
                    .collect();
            }
        };
        let sends = ids.iter().map(|id| self.send_encoded(id, bytes.clone()));
        let results = futures_util::future::join_all(sends).await;
        ids.into_iter().zip(results).collect()
    }

    /// The wire bytes of `frames`, in one buffer sized once, handed to quinn without a copy.
    fn encode(&self, frames: &[Frame]) -> Result<Bytes> {
        let max = self.shared.config.max_frame_len;
        let mut bytes = Vec::with_capacity(frames.iter().map(Frame::encoded_len).sum());
        for frame in frames {
            frame.encode_into(&mut bytes, max)?;
        }
        Ok(Bytes::from(bytes))
    }

    /// Sends already encoded frames on a fresh unidirectional stream.
    async fn send_encoded(&self, to: &NodeId, bytes: Bytes) -> Result<()> {
        let conn = self.connection(to)?;
        let sending = async {
            let mut stream = conn.open_uni().await.map_err(NetworkError::transport)?;
            stream
                .write_chunk(bytes)
                .await
                .map_err(NetworkError::transport)?;
            stream.finish().map_err(NetworkError::transport)
        };
        tokio::time::timeout(self.shared.config.request_timeout, sending)
            .await
            .map_err(|_| NetworkError::Timeout(*to))?
    }

    /// Sends `frame` to `to` on a bidirectional stream and waits for its single reply frame
    /// (the peer answers through [`crate::Responder`]). Used for queries and sync fetches.
    pub async fn request(&self, to: &NodeId, frame: &Frame) -> Result<Frame> {
        let max = self.shared.config.max_frame_len;
        let bytes = frame.encode(max)?;
        let conn = self.connection(to)?;
        let exchange = async {
            let (mut send, mut recv) = conn.open_bi().await.map_err(NetworkError::transport)?;
            send.write_all(&bytes)
                .await
                .map_err(NetworkError::transport)?;
            send.finish().map_err(NetworkError::transport)?;
            match read_frame(&mut recv, max).await {
                Ok(Some(reply)) => Ok(reply),
                Ok(None) => Err(NetworkError::NoReply(*to)),
                Err(NetworkError::Transport(_)) => Err(NetworkError::NoReply(*to)),
                Err(e) => {
                    let _ = recv.stop(crate::inbound::STREAM_MALFORMED_FRAME.into());
                    Err(e)
                }
            }
        };
        tokio::time::timeout(self.shared.config.request_timeout, exchange)
            .await
            .map_err(|_| NetworkError::Timeout(*to))?
    }

    /// Status of every configured peer, ordered by node id.
    pub fn peers(&self) -> Vec<PeerStatus> {
        let mut statuses: Vec<PeerStatus> =
            self.shared.peers().values().map(|s| s.status()).collect();
        statuses.sort_by_key(|s| s.node_id);
        statuses
    }

    /// Stops dialling, closes every connection and the endpoint, and waits (briefly) for
    /// close frames to go out. Afterwards every clone of the handle answers sends and
    /// requests with [`NetworkError::Shutdown`] and `add_peer` does nothing.
    pub async fn shutdown(&self) {
        self.shared.stop_all();
        let idle = self.shared.endpoint.wait_idle();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(1), idle).await;
    }
}
