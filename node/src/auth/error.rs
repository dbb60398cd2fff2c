//! What can go wrong with bearer tokens and scopes.

/// An authentication or authorization failure; the API maps it to a status in `api::error`.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No bearer token, or one that is unknown, revoked or expired.
    #[error("missing or invalid bearer token")]
    Unauthorized,
    /// The token is valid but lacks the scope the route needs.
    #[error("token lacks the scope `{0}`")]
    Forbidden(String),
    /// No token with this id.
    #[error("token `{0}` not found")]
    TokenNotFound(String),
}
