//! The node's error type: one variant per subsystem, each holding that subsystem's own enum
//! ([`AuthError`], [`KeyError`], [`VaultError`], [`StoreError`], [`SubmitError`],
//! [`SidecarError`]), plus the failures of request parsing and of the process itself.
//! Nothing here knows HTTP: `api::error` maps every variant to a status and a stable code, in
//! one place.

use crate::auth::AuthError;
use crate::consensus::submission::SubmitError;
use crate::keys::KeyError;
use crate::sidecar::SidecarError;
use crate::store::StoreError;
use crate::vault::VaultError;
use cretoai_crypto::CryptoError;

/// Everything that can go wrong inside the node.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// Tokens and scopes.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Named keys.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// Secrets.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Consensus submission.
    #[error(transparent)]
    Submission(#[from] SubmitError),
    /// The AuthZ sidecar relay.
    #[error(transparent)]
    Sidecar(#[from] SidecarError),
    /// Replicated writes (keys, vault, tokens) across the cluster.
    #[error(transparent)]
    Replication(#[from] crate::replication::ReplicationError),
    /// A crypto failure that is not the caller's input: a malformed value the node built
    /// itself (an HKDF length, a parameter set) or the backend failing.
    #[error(transparent)]
    Crypto(CryptoError),
    /// A field that must be standard base64 is not.
    #[error("field `{0}` is not valid standard base64")]
    InvalidBase64(&'static str),
    /// The ciphertext string is not `cretoai:v<N>:<base64>` or its envelope is malformed.
    #[error("invalid ciphertext: {0}")]
    InvalidCiphertext(String),
    /// The ciphertext was tampered with, the AAD differs, or the key is not the one it was sealed to.
    #[error("decryption failed: the ciphertext was modified, the aad differs, or it was not encrypted to this key")]
    DecryptionFailed,
    /// A public key of the wrong length or encoding.
    #[error("invalid public key: {0}")]
    InvalidPublicKey(String),
    /// A signature context longer than 255 bytes.
    #[error("context is longer than 255 bytes")]
    ContextTooLong,
    /// A well-formed request with a semantically invalid field.
    #[error("{0}")]
    InvalidRequest(String),
    /// The body is not the JSON the route expects.
    #[error("invalid JSON body: {0}")]
    InvalidJson(String),
    /// The body exceeds the configured limit.
    #[error("request body exceeds the limit of {0} bytes")]
    PayloadTooLarge(usize),
    /// No such route.
    #[error("no route for {0}")]
    RouteNotFound(String),
    /// Route exists, method does not.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// No consensus transaction with this id at this node.
    #[error("transaction `{0}` not found")]
    TransactionNotFound(String),
    /// No vertex with this id at this node.
    #[error("vertex `{0}` not found")]
    VertexNotFound(String),
    /// A subsystem (actor, pool) is not running.
    #[error("service unavailable: {0}")]
    Unavailable(&'static str),
    /// Startup configuration is wrong (bad flag, bad TOML, bad master key...).
    #[error("configuration error: {0}")]
    Config(String),
    /// A failure that is not the caller's fault (broken invariant).
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// Lets `?` work on every redb error type (they all convert into `redb::Error`).
macro_rules! storage_error_from {
    ($($ty:ty),*) => {$(
        impl From<$ty> for StoreError {
            fn from(err: $ty) -> Self {
                StoreError::from(redb::Error::from(err))
            }
        }
        impl From<$ty> for NodeError {
            fn from(err: $ty) -> Self {
                NodeError::Store(StoreError::from(err))
            }
        }
    )*};
}
storage_error_from!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

impl From<redb::Error> for NodeError {
    fn from(err: redb::Error) -> Self {
        NodeError::Store(StoreError::from(err))
    }
}

impl From<CryptoError> for NodeError {
    /// Failures on caller-supplied keys, signatures and contexts keep their meaning. A
    /// `Malformed` stays typed here: only the places that parse a caller's ciphertext turn it
    /// into [`NodeError::InvalidCiphertext`] (see [`crate::ciphertext::open_error`]).
    fn from(err: CryptoError) -> Self {
        match err {
            CryptoError::InvalidKey(what) => NodeError::InvalidPublicKey(what.to_string()),
            CryptoError::BadSignature => {
                NodeError::InvalidRequest("signature is invalid".to_string())
            }
            CryptoError::ContextTooLong => NodeError::ContextTooLong,
            CryptoError::DecryptFailed => NodeError::DecryptionFailed,
            CryptoError::Malformed(_) | CryptoError::Backend => NodeError::Crypto(err),
        }
    }
}

impl From<cretoai_tls::TlsError> for NodeError {
    /// TLS errors happen while setting up the listener or an outgoing client: configuration.
    fn from(err: cretoai_tls::TlsError) -> Self {
        NodeError::Config(err.to_string())
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, NodeError>;

impl From<cretoai_crypto::master_key::MasterKeyError> for NodeError {
    /// The master key is configuration: a wrong or unreadable key stops the node at start.
    fn from(err: cretoai_crypto::master_key::MasterKeyError) -> Self {
        NodeError::Config(err.to_string())
    }
}
