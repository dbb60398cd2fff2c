//! The crate's single error type.

use thiserror::Error;

/// Everything that can go wrong in the consensus core: malformed bytes, invalid objects,
/// bad parameters. Each variant is stable so that the node can map it to an API error code.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ConsensusError {
    /// Malformed bytes, a broken bound or a bad signature, as the shared types report them.
    #[error(transparent)]
    Encoding(#[from] cretoai_types::Error),
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

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, ConsensusError>;
