//! What can go wrong with secrets: paths, versions and their lifecycle, `cas` and size.

/// A vault failure. It names the path; the API maps it to a status in `api::error`.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// A vault path that is not `/`-separated segments of `[A-Za-z0-9._-]`.
    #[error("invalid secret path {0}")]
    InvalidPath(String),
    /// No secret at this path.
    #[error("secret `{0}` not found")]
    NotFound(String),
    /// The secret has no such version (never written, or pruned).
    #[error("secret `{path}` has no version {version}")]
    VersionNotFound {
        /// Secret path.
        path: String,
        /// The version asked for.
        version: u32,
    },
    /// The version is soft-deleted; `undelete` brings it back.
    #[error(
        "version {version} of secret `{path}` is deleted (at {deleted_at}); undelete it to read it"
    )]
    VersionDeleted {
        /// Secret path.
        path: String,
        /// The version asked for.
        version: u32,
        /// Unix seconds of the delete.
        deleted_at: u64,
    },
    /// The version's ciphertext was destroyed for good.
    #[error("version {version} of secret `{path}` is destroyed")]
    VersionDestroyed {
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
}
