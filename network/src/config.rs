//! Transport configuration.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::backoff::Backoff;
use crate::error::{NetworkError, Result};
use crate::frame::DEFAULT_MAX_FRAME_LEN;
use cretoai_types::NodeId;

/// One configured peer: where to dial it and which key it must present.
/// In serde form: `{"node_id": "<64 hex>", "address": "<ip:port>"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PeerConfig {
    /// The pinned node id.
    pub node_id: NodeId,
    /// Its QUIC address.
    pub address: SocketAddr,
}

impl std::str::FromStr for PeerConfig {
    type Err = NetworkError;

    /// Parses `<64-hex node id>@<ip:port>`, the form used on command lines and in TOML.
    fn from_str(s: &str) -> Result<Self> {
        let (id, address) = s
            .split_once('@')
            .ok_or(NetworkError::InvalidPeer("expected <node id>@<ip:port>"))?;
        Ok(PeerConfig {
            node_id: id.parse()?,
            address: address
                .parse()
                .map_err(|_| NetworkError::InvalidPeer("address is not <ip:port>"))?,
        })
    }
}

impl std::fmt::Display for PeerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.node_id, self.address)
    }
}

/// Settings of a [`crate::Network`].
#[derive(Clone, Debug)]
pub struct NetworkConfig {
    /// UDP address to listen on (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Peers to dial and to accept.
    pub peers: Vec<PeerConfig>,
    /// Largest frame payload sent or accepted.
    pub max_frame_len: usize,
    /// Reconnect schedule.
    pub backoff: Backoff,
    /// Time allowed for one dial (handshake included).
    pub connect_timeout: Duration,
    /// Time allowed for a send, or for a request to get its reply.
    pub request_timeout: Duration,
    /// QUIC keep-alive interval; keeps idle connections open and detects dead peers.
    pub keep_alive: Duration,
    /// A connection with no traffic (not even keep-alives) for this long is closed.
    pub idle_timeout: Duration,
    /// Capacity of the inbound channel; a full channel slows the senders (back-pressure).
    pub inbound_capacity: usize,
}

impl NetworkConfig {
    /// Defaults for a node listening on `listen` with no peers yet.
    pub fn new(listen: SocketAddr) -> Self {
        NetworkConfig {
            listen,
            peers: Vec::new(),
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            backoff: Backoff::default(),
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(5),
            keep_alive: Duration::from_secs(2),
            idle_timeout: Duration::from_secs(8),
            inbound_capacity: 1024,
        }
    }

    /// Connection-level flow-control window: room for two maximal frames plus 1 MiB.
    fn receive_window(&self) -> u64 {
        (self.max_frame_len as u64)
            .saturating_mul(2)
            .saturating_add(1 << 20)
    }

    pub(crate) fn transport(&self) -> Result<Arc<quinn::TransportConfig>> {
        let idle = quinn::IdleTimeout::try_from(self.idle_timeout)
            .map_err(|e| NetworkError::TlsConfig(format!("idle timeout: {e}")))?;
        let mut transport = quinn::TransportConfig::default();
        transport
            .keep_alive_interval(Some(self.keep_alive))
            .max_idle_timeout(Some(idle))
            // One stream per message: allow many in flight before senders wait for credit.
            .max_concurrent_uni_streams(1024u32.into())
            .max_concurrent_bidi_streams(256u32.into())
            // Bounds the unread bytes a peer can park in this node per connection.
            .receive_window(
                quinn::VarInt::from_u64(self.receive_window()).unwrap_or(quinn::VarInt::MAX),
            );
        Ok(Arc::new(transport))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_text_form_round_trips() {
        let peer = PeerConfig {
            node_id: NodeId::from_bytes([0xab; 32]),
            address: "127.0.0.1:7001".parse().unwrap(),
        };
        let text = peer.to_string();
        assert_eq!(text, format!("{}@127.0.0.1:7001", "ab".repeat(32)));
        assert_eq!(text.parse::<PeerConfig>().unwrap(), peer);
        assert!("127.0.0.1:7001".parse::<PeerConfig>().is_err());
        assert!(format!("{}@nowhere", "ab".repeat(32))
            .parse::<PeerConfig>()
            .is_err());
        assert!("abc@127.0.0.1:1".parse::<PeerConfig>().is_err());
        let json = serde_json::to_value(peer).unwrap();
        assert_eq!(json["address"], "127.0.0.1:7001");
        assert_eq!(serde_json::from_value::<PeerConfig>(json).unwrap(), peer);
    }

    #[test]
    fn receive_window_fits_two_frames() {
        let config = NetworkConfig::new("127.0.0.1:0".parse().unwrap());
        assert_eq!(config.receive_window(), 2 * 8 * 1024 * 1024 + 1024 * 1024);
        assert!(config.transport().is_ok());
    }
}
