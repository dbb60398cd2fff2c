//! CretoAI AuthZ sidecar: sits beside an authorization engine, signs each
//! decision as a JWS (classical, composite or ML-DSA), lets operators move
//! between those phases at runtime, and measures what each algorithm costs.

pub mod algorithm;
pub mod anchor;
pub mod api;
pub mod canonical_json;
pub mod claims;
pub mod composite;
pub mod config;
pub mod engine;
pub mod error;
pub mod https;
pub mod jws;
pub mod key_pair;
pub mod key_ring;
pub mod key_store;
pub mod measurements;
pub mod mode;
pub mod state;
pub mod verifier;

pub use error::{Result, SidecarError, TokenRejection};
