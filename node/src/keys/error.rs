//! What can go wrong with named keys: lookups, versions, types and the deletion rules.

/// A key-ring failure. It names the key; the API maps it to a status in `api::error`.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// An algorithm name the node does not know.
    #[error(
        "unknown algorithm `{0}` (expected one of ml-kem-768, ml-dsa-44, ml-dsa-65, ml-dsa-87)"
    )]
    UnknownAlgorithm(String),
    /// The key exists but has the wrong type for the operation.
    #[error("key `{name}` is of type {actual}; this operation needs {expected}")]
    WrongType {
        /// Key name (or `public_key` for inline keys).
        name: String,
        /// The key's type.
        actual: &'static str,
        /// What the operation accepts.
        expected: &'static str,
    },
    /// No key with this name.
    #[error("key `{0}` not found")]
    NotFound(String),
    /// A key with this name already exists.
    #[error("key `{0}` already exists")]
    Exists(String),
    /// The key exists but has no such version.
    #[error("key `{name}` has no version {version}")]
    VersionNotFound {
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
    Reserved(String),
}
