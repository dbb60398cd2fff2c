//! The CretoAI node: a post-quantum crypto service (ML-KEM-768 encryption, ML-DSA signatures)
//! with named, versioned keys sealed at rest, behind an authenticated REST API.

pub mod api;
pub mod audit;
pub mod auth;
pub mod ciphertext;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod consensus;
pub mod crypto_pool;
pub mod error;
pub mod https;
pub mod keys;
pub use cretoai_crypto::master_key;
pub mod metrics;
pub mod network;
pub mod node;
pub mod replication;
pub mod sidecar;
pub mod store;
pub mod vault;

pub use config::Config;
pub use error::{NodeError, Result};
pub use node::{run, Node};
