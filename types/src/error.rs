//! What can go wrong building, decoding or verifying a shared type.

use thiserror::Error;

/// Malformed bytes, a bound broken, a bad signature. The messages are the ones the consensus
/// core has always given (it converts each variant to its own of the same name), so that API
/// answers and logs read the same wherever a transaction is checked.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// The input ended before the object was complete.
    #[error("truncated input: {0}")]
    Truncated(&'static str),
    /// Bytes were left over after a complete object.
    #[error("{0} trailing bytes after the object")]
    TrailingBytes(usize),
    /// The encoding version is not one this build understands.
    #[error("unsupported encoding version {0}")]
    UnsupportedVersion(u8),
    /// A field is longer than its bound.
    #[error("{field} too large: {len} > {max}")]
    Oversize {
        /// Which field.
        field: &'static str,
        /// Its length (count or bytes).
        len: usize,
        /// The bound it broke.
        max: usize,
    },
    /// A field holds a value that is never valid.
    #[error("invalid field: {0}")]
    InvalidField(&'static str),
    /// A signature does not verify.
    #[error("bad signature on {0}")]
    BadSignature(&'static str),
    /// The crypto layer failed (key parsing, signing).
    #[error("crypto: {0}")]
    Crypto(String),
}

impl From<cretoai_crypto::CryptoError> for Error {
    fn from(e: cretoai_crypto::CryptoError) -> Self {
        Self::Crypto(e.to_string())
    }
}

/// The text form of a node id is not 64 hex digits.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
#[error("invalid node id: {0}")]
pub struct InvalidNodeId(pub &'static str);

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
