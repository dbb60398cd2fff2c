//! Sans-IO QR-Avalanche consensus core.
//!
//! Transactions (ML-DSA signed, conflicting when they share sender and nonce) are batched into
//! ML-DSA-65 signed vertices that form a DAG. Each node runs the DAG form of Avalanche from
//! "Scalable and Probabilistic Leaderless BFT Consensus through Metastability": it polls a
//! weighted sample of peers about every vertex it learns, credits chits to the vertex's
//! ancestry, keeps per-conflict-set preference and consecutive-success counters, and accepts
//! or rejects transactions for good.
//!
//! The crate is a pure state machine in the manner of quinn-proto: [`Node::handle`] takes the
//! current time ([`Now`]: a monotonic clock for timers, the wall clock only for vertex
//! timestamps) and an [`Event`] and returns [`Action`]s (persist, broadcast, query, respond,
//! fetch, accepted, rejected, equivocation, recall outcomes from the archive). No sockets,
//! clocks, threads, files or OS randomness: even the node's record of its past decisions is
//! read by the shell, asked for with an action and answered with an event.
//! [`Node::replay`] rebuilds a node from the [`Record`]s it asked to persist.
//!
//! Node ids, transactions, their canonical encoding and size limits are shared with the
//! transport, the sidecar and the benches, so they live in the leaf crate `cretoai-types` and
//! are re-exported here. The messages peers send each other and their bytes are the core's
//! own: [`wire`], beside the events and actions they carry, pure like the rest of the crate
//! (the node only puts those bytes in transport frames).
//!
//! See `docs/consensus.md` for the algorithm and its parameters and
//! `docs/formats-consensus.md` for the byte layout.

#![warn(missing_docs)]

mod conflict_set;
mod dag;
mod decided_nonces;
mod error;
mod id_map;
mod message;
mod node;
mod outcome_window;
mod params;
mod time;
mod validator;
mod vertex;
pub mod wire;

pub use conflict_set::TxStatus;
// The shared types the core's API speaks in, re-exported so that a user of the core needs one
// import path; they are defined once, in `cretoai-types`.
pub use cretoai_types::{
    tx_frames, ConflictKey, Limits, NodeId, Transaction, TxId, MAX_PAYLOAD, TX_CONTEXT, TX_VERSION,
};
pub use error::{ConsensusError, Result};
pub use message::{Action, Equivocation, Event, Record};
pub use node::{
    Config, Footprint, Node, Replay, TxInfo, DECISION_BOUND_MS, DEFAULT_REMEMBERED_DECISIONS,
    DEFAULT_STRANDED_AFTER_MS, RECENT_EVIDENCE,
};
pub use params::Params;
pub use time::Now;
pub use validator::{SignatureCheck, Validator, ValidatorSet};
pub use vertex::{Vertex, VertexId, MAX_PARENTS, MAX_TXS, VERTEX_CONTEXT, VERTEX_VERSION};
