//! The node's one error type. Every variant has a stable snake_case code and an
//! HTTP status; the mapping to JSON lives in `api::error_body`, in one place.

use cretoai_crypto::CryptoError;

/// Everything that can go wrong inside the node.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// No bearer token, or one that is unknown, revoked or expired.
    #[error("missing or invalid bearer token")]
    Unauthorized,
    /// The token is valid but lacks the scope the route needs.
    #[error("token lacks the scope `{0}`")]
    Forbidden(String),
    /// A field that must be standard base64 is not.
    #[error("field `{0}` is not valid standard base64")]
    InvalidBase64(&'static str),
    /// An algorithm name the node does not know.
    #[error(
        "unknown algorithm `{0}` (expected one of ml-kem-768, ml-dsa-44, ml-dsa-65, ml-dsa-87)"
    )]
    UnknownAlgorithm(String),
    /// The key exists but has the wrong type for the operation.
    #[error("key `{name}` is of type {actual}; this operation needs {expected}")]
    WrongKeyType {
        /// Key name (or `public_key` for inline keys).
        name: String,
        /// The key's type.
        actual: &'static str,
        /// What the operation accepts.
        expected: &'static str,
    },
    /// No key with this name.
    #[error("key `{0}` not found")]
    KeyNotFound(String),
    /// A key with this name already exists.
    #[error("key `{0}` already exists")]
    KeyExists(String),
    /// The key exists but has no such version.
    #[error("key `{name}` has no version {version}")]
    KeyVersionNotFound {
        /// Key name.
        name: String,
        /// The version asked for.
        version: u32,
    },
    /// The version is below the key's `min_decryption_version`.
    #[error("version {version} of key `{name}` is below min_decryption_version {min}; it can no longer decrypt or verify")]
    VersionTooOld {
        /// Key name.
        name: String,
        /// The version asked for.
        version: u32,
        /// The key's current minimum.
        min: u32,
    },
    /// Deletion was requested but `deletion_allowed` is false.
    #[error("key `{0}` may not be deleted: set deletion_allowed=true with POST /v1/keys/{0}/config first")]
    DeletionNotAllowed(String),
    /// The key belongs to the node itself (names starting with `_`, such as the vault's key):
    /// deleting it would make everything sealed under it unreadable.
    #[error("key `{0}` belongs to the node and can never be deleted or made deletable")]
    ReservedKey(String),
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
    /// No token with this id.
    #[error("token `{0}` not found")]
    TokenNotFound(String),
    /// No such route.
    #[error("no route for {0}")]
    RouteNotFound(String),
    /// Route exists, method does not.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A vault path that is not `/`-separated segments of `[A-Za-z0-9._-]`.
    #[error("invalid secret path {0}")]
    InvalidPath(String),
    /// No secret at this path.
    #[error("secret `{0}` not found")]
    SecretNotFound(String),
    /// The secret has no such version (never written, or pruned).
    #[error("secret `{path}` has no version {version}")]
    SecretVersionNotFound {
        /// Secret path.
        path: String,
        /// The version asked for.
        version: u32,
    },
    /// The version is soft-deleted; `undelete` brings it back.
    #[error(
        "version {version} of secret `{path}` is deleted (at {deleted_at}); undelete it to read it"
    )]
    SecretVersionDeleted {
        /// Secret path.
        path: String,
        /// The version asked for.
        version: u32,
        /// Unix seconds of the delete.
        deleted_at: u64,
    },
    /// The version's ciphertext was destroyed for good.
    #[error("version {version} of secret `{path}` is destroyed")]
    SecretVersionDestroyed {
        /// Secret path.
        path: String,
        /// The version asked for.
        version: u32,
    },
    /// The `cas` of a write does not match the secret's current version; nothing was written.
    #[error("cas mismatch on `{path}`: expected version {expected}, current version is {current}")]
    CasMismatch {
        /// Secret path.
        path: String,
        /// The `cas` sent.
        expected: u32,
        /// The current version (0: no secret).
        current: u32,
    },
    /// A secret value larger than the configured limit.
    #[error("secret value is {size} bytes; the limit is {limit}")]
    ValueTooLarge {
        /// JSON size of `data`.
        size: usize,
        /// `vault_max_value_bytes`.
        limit: usize,
    },
    /// Too many transactions are undecided at this node; retry after a moment.
    #[error("{undecided} transactions are undecided at this node (limit {limit}); retry later")]
    Overloaded {
        /// Undecided transactions now.
        undecided: usize,
        /// `consensus.max_undecided`.
        limit: usize,
    },
    /// A subsystem (actor, pool) is not running.
    #[error("service unavailable: {0}")]
    Unavailable(&'static str),
    /// The database failed. Details are logged, not returned.
    #[error("storage error: {0}")]
    Storage(String),
    /// Startup configuration is wrong (bad flag, bad TOML, bad master key...).
    #[error("configuration error: {0}")]
    Config(String),
    /// A failure that is not the caller's fault (crypto backend, broken invariant).
    #[error("internal error: {0}")]
    Internal(&'static str),
    /// No consensus transaction with this id at this node.
    #[error("transaction `{0}` not found")]
    TransactionNotFound(String),
    /// No vertex with this id at this node.
    #[error("vertex `{0}` not found")]
    VertexNotFound(String),
    /// The node was started without an AuthZ sidecar URL.
    #[error("no AuthZ sidecar is configured for this node (CRETOAI_AUTHZ_SIDECAR_URL)")]
    SidecarNotConfigured,
    /// The AuthZ sidecar could not be reached or did not answer as expected.
    #[error("AuthZ sidecar: {0}")]
    SidecarFailed(String),
}

impl NodeError {
    /// The stable machine-readable code clients can match on.
    pub fn code(&self) -> &'static str {
        match self {
            NodeError::Unauthorized => "unauthorized",
            NodeError::Forbidden(_) => "forbidden",
            NodeError::InvalidBase64(_) => "invalid_base64",
            NodeError::UnknownAlgorithm(_) => "unknown_algorithm",
            NodeError::WrongKeyType { .. } => "wrong_key_type",
            NodeError::KeyNotFound(_) => "key_not_found",
            NodeError::KeyExists(_) => "key_exists",
            NodeError::KeyVersionNotFound { .. } => "key_version_not_found",
            NodeError::VersionTooOld { .. } => "version_too_old",
            NodeError::DeletionNotAllowed(_) => "deletion_not_allowed",
            NodeError::ReservedKey(_) => "key_reserved",
            NodeError::InvalidCiphertext(_) => "invalid_ciphertext",
            NodeError::DecryptionFailed => "decryption_failed",
            NodeError::InvalidPublicKey(_) => "invalid_public_key",
            NodeError::ContextTooLong => "context_too_long",
            NodeError::InvalidRequest(_) => "invalid_request",
            NodeError::InvalidJson(_) => "invalid_json",
            NodeError::PayloadTooLarge(_) => "payload_too_large",
            NodeError::TokenNotFound(_) => "token_not_found",
            NodeError::RouteNotFound(_) => "not_found",
            NodeError::MethodNotAllowed => "method_not_allowed",
            NodeError::InvalidPath(_) => "invalid_path",
            NodeError::SecretNotFound(_) => "secret_not_found",
            NodeError::SecretVersionNotFound { .. } => "secret_version_not_found",
            NodeError::SecretVersionDeleted { .. } => "secret_version_deleted",
            NodeError::SecretVersionDestroyed { .. } => "secret_version_destroyed",
            NodeError::CasMismatch { .. } => "cas_mismatch",
            NodeError::ValueTooLarge { .. } => "value_too_large",
            NodeError::Unavailable(_) => "unavailable",
            NodeError::Overloaded { .. } => "overloaded",
            NodeError::Storage(_) => "storage_error",
            NodeError::Config(_) => "config_error",
            NodeError::Internal(_) => "internal_error",
            NodeError::TransactionNotFound(_) => "transaction_not_found",
            NodeError::VertexNotFound(_) => "vertex_not_found",
            NodeError::SidecarNotConfigured => "sidecar_not_configured",
            NodeError::SidecarFailed(_) => "sidecar_failed",
        }
    }

    /// The HTTP status for this error.
    pub fn status(&self) -> u16 {
        match self {
            NodeError::Unauthorized => 401,
            NodeError::Forbidden(_)
            | NodeError::DeletionNotAllowed(_)
            | NodeError::ReservedKey(_) => 403,
            NodeError::KeyNotFound(_)
            | NodeError::KeyVersionNotFound { .. }
            | NodeError::TokenNotFound(_)
            | NodeError::TransactionNotFound(_)
            | NodeError::VertexNotFound(_)
            | NodeError::RouteNotFound(_)
            | NodeError::SecretNotFound(_)
            | NodeError::SecretVersionNotFound { .. }
            | NodeError::SecretVersionDeleted { .. } => 404,
            NodeError::SecretVersionDestroyed { .. } => 410,
            NodeError::MethodNotAllowed => 405,
            NodeError::KeyExists(_) | NodeError::CasMismatch { .. } => 409,
            NodeError::PayloadTooLarge(_) | NodeError::ValueTooLarge { .. } => 413,
            NodeError::WrongKeyType { .. } | NodeError::VersionTooOld { .. } => 422,
            NodeError::InvalidBase64(_)
            | NodeError::UnknownAlgorithm(_)
            | NodeError::InvalidCiphertext(_)
            | NodeError::DecryptionFailed
            | NodeError::InvalidPublicKey(_)
            | NodeError::ContextTooLong
            | NodeError::InvalidRequest(_)
            | NodeError::InvalidJson(_)
            | NodeError::InvalidPath(_) => 400,
            NodeError::Overloaded { .. } => 429,
            NodeError::Unavailable(_) | NodeError::SidecarNotConfigured => 503,
            NodeError::SidecarFailed(_) => 502,
            NodeError::Storage(_) | NodeError::Config(_) | NodeError::Internal(_) => 500,
        }
    }
}

impl From<redb::Error> for NodeError {
    fn from(err: redb::Error) -> Self {
        NodeError::Storage(err.to_string())
    }
}

/// Lets `?` work on every redb error type (they all convert into `redb::Error`).
macro_rules! storage_error_from {
    ($($ty:ty),*) => {$(
        impl From<$ty> for NodeError {
            fn from(err: $ty) -> Self {
                NodeError::from(redb::Error::from(err))
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

impl From<CryptoError> for NodeError {
    /// Maps crypto failures on caller-supplied data to 4xx; only `Backend` is internal.
    fn from(err: CryptoError) -> Self {
        match err {
            CryptoError::InvalidKey(what) => NodeError::InvalidPublicKey(what.to_string()),
            CryptoError::BadSignature => {
                NodeError::InvalidRequest("signature is invalid".to_string())
            }
            CryptoError::ContextTooLong => NodeError::ContextTooLong,
            CryptoError::DecryptFailed => NodeError::DecryptionFailed,
            CryptoError::Malformed(what) => NodeError::InvalidCiphertext(what.to_string()),
            CryptoError::Backend => NodeError::Internal("crypto backend"),
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
