//! Types that several CretoAI crates share: a node's id, a signed transaction with its one
//! canonical encoding and size limits, and the primitives of that encoding.
//!
//! Why a crate of its own: the consensus core (`cretoai-consensus`) and the QUIC transport
//! (`cretoai-network`) both name nodes, and neither may depend on the other (the core stays
//! free of I/O, the transport knows nothing of consensus); the AuthZ sidecar and the load
//! generator build and sign transactions without needing the state machine. This crate is a
//! leaf: it depends on `cretoai-crypto` alone, does no I/O and reads no clock.
//!
//! The consensus wire codec (vertex, query, chits, fetch, vertices, frontier) is not here: it
//! lives beside the core's events and actions, in `cretoai_consensus::wire`, because only
//! consensus peers speak it and it carries vertices, which are the core's.
//!
//! The byte layouts are in `docs/formats-consensus.md`.

#![warn(missing_docs)]

pub mod encoding;
mod error;
mod limits;
mod node_id;
mod transaction;
pub mod tx_frames;

pub use error::{Error, InvalidNodeId, Result};
pub use limits::Limits;
pub use node_id::NodeId;
pub use transaction::{ConflictKey, Transaction, TxId, MAX_PAYLOAD, TX_CONTEXT, TX_VERSION};

/// The first six bytes of a 32-byte id in hex: how logs and `Debug` show ids.
pub fn short_hex(id: &[u8; 32]) -> String {
    hex::encode(&id[..6])
}
