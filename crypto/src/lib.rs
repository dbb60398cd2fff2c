//! CretoAI's small crypto API: the final NIST post-quantum standards and the classical pieces
//! around them, with aws-lc (through aws-lc-rs) behind it so the backend can be swapped here
//! without touching callers.
//!
//! - [`ml_kem`]: ML-KEM-768 (FIPS 203) key encapsulation.
//! - [`ml_dsa`]: ML-DSA-44/65/87 (FIPS 204) pure signatures with context strings.
//! - [`envelope`]: KEM-DEM encryption (ML-KEM-768 + HKDF-SHA-256 + AES-256-GCM).
//! - [`aead`], [`hkdf`], [`hash`], [`random`]: the symmetric building blocks.
//! - [`master_key`], [`secret_file`]: the key that seals secrets at rest, and crash-safe
//!   writing of files holding secrets.
//!
//! Secret material is wiped from memory when dropped and never printed by `Debug`.

#![deny(missing_docs)]

pub mod aead;
pub mod envelope;
mod error;
// The one module allowed `unsafe`: every block and impl there says why it is sound.
#[allow(unsafe_code)]
#[deny(clippy::undocumented_unsafe_blocks)]
mod ffi;
pub mod hash;
pub mod hkdf;
pub mod master_key;
pub mod ml_dsa;
pub mod ml_kem;
pub mod random;
pub mod secret;
pub mod secret_file;

pub use error::{CryptoError, Result};

/// Initializes aws-lc once; cheap to call repeatedly.
fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(aws_lc_sys::init);
}
