//! CretoAI's post-quantum QUIC transport.
//!
//! - QUIC (quinn) over TLS 1.3 (rustls, aws-lc-rs provider) with the hybrid X25519MLKEM768
//!   key exchange preferred.
//! - Each node is an ML-DSA-65 key pair ([`NodeIdentity`]); its id ([`NodeId`]) is the SHA-256 of
//!   the public key; its certificate is a self-signed ML-DSA-65 certificate.
//! - Mutual authentication against a pinned set of node ids ([`PinSet`]).
//! - Opaque, versioned, length-prefixed [`Frame`]s, and a [`Network`] handle that dials peers,
//!   reconnects with [`Backoff`], sends, broadcasts, requests, and reports per-peer status.
//!
//! The wire format and the design are described in `docs/network.md`.

mod backoff;
mod certificate;
mod config;
mod error;
pub mod frame;
mod identity;
mod inbound;
mod network;
mod peer;
mod pin_set;
pub mod tls;
mod verifier;

pub use backoff::Backoff;
pub use certificate::{node_id_of, public_key_of, SIGNATURE_SCHEME};
pub use config::{NetworkConfig, PeerConfig};
/// Node ids are shared with the consensus core and the node, defined once in `cretoai-types`.
pub use cretoai_types::NodeId;
pub use error::{NetworkError, Result};
pub use frame::{Frame, FrameKind, DEFAULT_MAX_FRAME_LEN};
pub use identity::{NodeIdentity, IDENTITY_LEVEL};
pub use inbound::{Inbound, Responder, STREAM_MALFORMED_FRAME, STREAM_NO_REPLY};
pub use network::Network;
pub use peer::PeerStatus;
pub use pin_set::PinSet;
pub use verifier::{PinnedClientVerifier, PinnedServerVerifier};
