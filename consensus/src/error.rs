//! The crate's single error type.

use thiserror::Error;

/// Everything that can go wrong in the consensus core: malformed bytes, invalid objects,
/// bad parameters. Each variant is stable so that the node can map it to an API error code.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ConsensusError {
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
    /// A vertex author is not in the validator set.
    #[error("unknown vertex author")]
    UnknownAuthor,
    /// A vertex author is a validator whose key this node has not learned yet: its vertices
    /// cannot be verified until then.
    #[error("vertex author's key not known yet")]
    AuthorKeyUnknown,
    /// A vertex holds two transactions with the same sender and nonce, or the same one twice.
    #[error("vertex holds conflicting or duplicate transactions")]
    ConflictingTransactions,
    /// A vertex breaks the DAG rules (own-parent link, duplicate parents, round order).
    #[error("invalid parents: {0}")]
    InvalidParents(&'static str),
    /// Consensus parameters fail validation.
    #[error("invalid parameters: {0}")]
    InvalidParams(&'static str),
    /// The validator set is unusable.
    #[error("invalid validator set: {0}")]
    InvalidValidators(&'static str),
    /// A persisted record could not be replayed.
    #[error("cannot restore: {0}")]
    Restore(&'static str),
    /// The crypto layer failed (key parsing, signing).
    #[error("crypto: {0}")]
    Crypto(String),
}

impl From<cretoai_crypto::CryptoError> for ConsensusError {
    fn from(e: cretoai_crypto::CryptoError) -> Self {
        Self::Crypto(e.to_string())
    }
}

/// Each shared-type error becomes the variant of the same name (and message).
impl From<cretoai_types::Error> for ConsensusError {
    fn from(e: cretoai_types::Error) -> Self {
        use cretoai_types::Error as E;
        match e {
            E::Truncated(what) => Self::Truncated(what),
            E::TrailingBytes(n) => Self::TrailingBytes(n),
            E::UnsupportedVersion(v) => Self::UnsupportedVersion(v),
            E::Oversize { field, len, max } => Self::Oversize { field, len, max },
            E::InvalidField(what) => Self::InvalidField(what),
            E::BadSignature(what) => Self::BadSignature(what),
            E::Crypto(message) => Self::Crypto(message),
        }
    }
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, ConsensusError>;
