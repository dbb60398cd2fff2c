//! The crate's one error type.

use std::net::SocketAddr;

use cretoai_types::NodeId;

/// Everything that can go wrong in the transport.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// Reading or writing the identity file or another local resource failed.
    #[error("i/o error on {what}: {source}")]
    Io {
        /// What was being accessed (a path or a socket).
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The identity file exists but cannot be used (wrong format, wrong sealing key, tampered).
    #[error("node identity file unusable: {0}")]
    Identity(&'static str),
    /// A cryptographic primitive from `cretoai-crypto` failed.
    #[error("crypto error: {0}")]
    Crypto(#[from] cretoai_crypto::CryptoError),
    /// Building the self-signed certificate failed.
    #[error("certificate generation failed: {0}")]
    Certificate(String),
    /// A presented certificate is not an ML-DSA-65 certificate this crate can pin.
    #[error("unsupported certificate: {0}")]
    UnsupportedCertificate(&'static str),
    /// The text form of a node id is not 64 hex digits.
    #[error("invalid node id: {0}")]
    InvalidNodeId(&'static str),
    /// The text form of a peer is not `<node id>@<ip:port>`.
    #[error("invalid peer: {0}")]
    InvalidPeer(&'static str),
    /// rustls or quinn refused a TLS configuration.
    #[error("tls configuration error: {0}")]
    TlsConfig(String),
    /// A frame carries a wire-format version this build does not speak.
    #[error("unsupported frame version {0}")]
    UnsupportedFrameVersion(u8),
    /// A frame's declared payload length exceeds the configured maximum.
    #[error("frame payload of {len} bytes exceeds the maximum of {max}")]
    FrameTooLarge {
        /// Declared (or attempted) payload length.
        len: u64,
        /// Configured maximum payload length.
        max: usize,
    },
    /// The stream ended in the middle of a frame.
    #[error("stream ended inside a frame")]
    TruncatedFrame,
    /// The peer id is not in the configured peer set.
    #[error("unknown peer {0}")]
    UnknownPeer(NodeId),
    /// There is no live connection to the peer right now (it is down or still being dialled).
    #[error("peer {0} is not connected")]
    NotConnected(NodeId),
    /// Connecting to a peer address failed.
    #[error("connection to {addr} failed: {reason}")]
    Connect {
        /// The address dialled.
        addr: SocketAddr,
        /// Why it failed.
        reason: String,
    },
    /// A QUIC connection or stream failed while in use.
    #[error("transport error: {0}")]
    Transport(String),
    /// A request got no reply within the configured timeout.
    #[error("request to {0} timed out")]
    Timeout(NodeId),
    /// The remote side answered a request by closing the stream without a reply frame.
    #[error("peer {0} closed the request stream without a reply")]
    NoReply(NodeId),
    /// A reply came too late: the requester timed out or disconnected.
    #[error("the requester is gone")]
    RequesterGone,
    /// The network handle was shut down.
    #[error("network is shut down")]
    Shutdown,
}

/// Short form used throughout the crate.
pub type Result<T> = std::result::Result<T, NetworkError>;

impl From<cretoai_types::InvalidNodeId> for NetworkError {
    fn from(e: cretoai_types::InvalidNodeId) -> Self {
        NetworkError::InvalidNodeId(e.0)
    }
}

impl NetworkError {
    pub(crate) fn io(what: impl std::fmt::Display, source: std::io::Error) -> Self {
        NetworkError::Io {
            what: what.to_string(),
            source,
        }
    }

    pub(crate) fn transport(err: impl std::fmt::Display) -> Self {
        NetworkError::Transport(err.to_string())
    }
}
