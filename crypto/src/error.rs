//! The crate's single error type.

/// Everything that can go wrong in a cryptographic operation.
///
/// Messages never contain key material or plaintext, so they are safe to return to API clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// A key had the wrong length or could not be parsed; the string names what was wrong.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// A signature did not verify under the given key, message and context.
    #[error("signature verification failed")]
    BadSignature,
    /// FIPS 204 limits the context string to 255 bytes.
    #[error("context string is longer than 255 bytes")]
    ContextTooLong,
    /// Authenticated decryption failed: tampered ciphertext, wrong associated data or wrong key.
    #[error("decryption failed: the ciphertext or associated data was altered, or the wrong key was used")]
    DecryptFailed,
    /// Input bytes were not in the expected format; the string says which part.
    #[error("malformed input: {0}")]
    Malformed(&'static str),
    /// The backend reported an internal failure (should not happen with valid inputs).
    #[error("cryptographic backend failure")]
    Backend,
}

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, CryptoError>;
