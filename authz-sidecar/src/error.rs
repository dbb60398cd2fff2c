//! The sidecar's one error type and its mapping to HTTP answers.
//!
//! Every variant maps to a stable machine-readable `code` in exactly one place
//! ([`SidecarError::code`]); clients and tests match on the code, never on
//! the message.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

/// Why a JWS was refused by the verifier. Each reason has its own code so an
/// operator can tell an attack (`alg_none`) from a clock problem (`token_expired`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRejection {
    /// The token is longer than any token the sidecar issues.
    Oversize,
    /// The token does not have three base64url parts or a part does not decode.
    Malformed,
    /// The header names `alg: none`.
    AlgNone,
    /// The header names an algorithm the sidecar never accepts (HS256, ES256, ...).
    AlgUnsupported,
    /// The `kid` is not in the key ring.
    UnknownKid,
    /// The header `alg` differs from the algorithm bound to the key.
    AlgMismatch,
    /// The header `alg` needs a different key type than the key has.
    KeyTypeMismatch,
    /// The algorithm is valid but refused by the current upgrade mode.
    AlgNotAccepted,
    /// The signature has the wrong length for the key (truncated or padded token).
    SignatureLength,
    /// The signature does not verify.
    BadSignature,
    /// The ML-DSA half of a composite signature does not verify.
    CompositeMlDsaInvalid,
    /// The Ed25519 half of a composite signature does not verify.
    CompositeEd25519Invalid,
    /// `exp` is in the past (beyond the clock leeway).
    Expired,
    /// `nbf` or `iat` is in the future (beyond the clock leeway).
    NotYetValid,
    /// The payload is not a decision claim set.
    BadClaims,
}

impl TokenRejection {
    /// The stable error code for this reason.
    pub fn code(self) -> &'static str {
        match self {
            TokenRejection::Oversize => "token_oversize",
            TokenRejection::Malformed => "token_malformed",
            TokenRejection::AlgNone => "alg_none",
            TokenRejection::AlgUnsupported => "alg_unsupported",
            TokenRejection::UnknownKid => "unknown_kid",
            TokenRejection::AlgMismatch => "alg_key_mismatch",
            TokenRejection::KeyTypeMismatch => "key_type_mismatch",
            TokenRejection::AlgNotAccepted => "alg_not_accepted",
            TokenRejection::SignatureLength => "signature_length_invalid",
            TokenRejection::BadSignature => "bad_signature",
            TokenRejection::CompositeMlDsaInvalid => "composite_mldsa_invalid",
            TokenRejection::CompositeEd25519Invalid => "composite_ed25519_invalid",
            TokenRejection::Expired => "token_expired",
            TokenRejection::NotYetValid => "token_not_yet_valid",
            TokenRejection::BadClaims => "claims_invalid",
        }
    }
}

/// Everything that can go wrong in the sidecar.
#[derive(Debug, thiserror::Error)]
pub enum SidecarError {
    /// The request body or a parameter is invalid.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The bearer token is missing or wrong.
    #[error("missing or invalid bearer token")]
    Unauthorized,
    /// No route for this path.
    #[error("no such endpoint")]
    NotFound,
    /// A token was refused by the verifier.
    #[error("token refused: {message}")]
    TokenRejected {
        /// The machine-readable reason.
        reason: TokenRejection,
        /// A human-readable explanation.
        message: String,
    },
    /// The policy engine could not evaluate the request (bad policy input).
    #[error("policy evaluation failed: {0}")]
    Policy(String),
    /// The upstream engine answered with an error, an unreadable body or a contradictory
    /// decision, or refused the sidecar itself (misconfiguration): retrying will not help.
    #[error("upstream engine error: {0}")]
    UpstreamError(String),
    /// The upstream engine refused the request as invalid (its 400 or 422), with its message.
    #[error("upstream engine rejected the request: {0}")]
    UpstreamRejected(String),
    /// The upstream engine could not be reached, did not answer in time, or asked the
    /// sidecar to slow down (its 429): worth retrying after `retry_after_secs`.
    #[error("upstream engine unavailable: {detail}")]
    UpstreamUnavailable {
        /// What happened.
        detail: String,
        /// Seconds the client should wait before retrying.
        retry_after_secs: u64,
    },
    /// Configuration is invalid.
    #[error("configuration error: {0}")]
    Config(String),
    /// The key store could not be read or written.
    #[error("key store error: {0}")]
    KeyStore(String),
    /// A cryptographic operation failed.
    #[error("crypto error: {0}")]
    Crypto(String),
    /// The mode file in the data dir is unreadable, corrupt or cannot be written.
    #[error("mode store error: {0}")]
    ModeStore(String),
    /// The sidecar cannot serve checks yet (e.g. the upstream engine is unreachable).
    #[error("not ready: {0}")]
    NotReady(String),
}

impl SidecarError {
    /// Shorthand for a token rejection.
    pub fn rejected(reason: TokenRejection, message: impl Into<String>) -> Self {
        SidecarError::TokenRejected {
            reason,
            message: message.into(),
        }
    }

    /// The stable error code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            SidecarError::InvalidRequest(_) => "invalid_request",
            SidecarError::Unauthorized => "unauthorized",
            SidecarError::NotFound => "not_found",
            SidecarError::TokenRejected { reason, .. } => reason.code(),
            SidecarError::Policy(_) => "policy_error",
            SidecarError::UpstreamError(_) => "upstream_error",
            SidecarError::UpstreamRejected(_) => "upstream_rejected",
            SidecarError::UpstreamUnavailable { .. } => "upstream_unavailable",
            SidecarError::Config(_) => "config_error",
            SidecarError::KeyStore(_) => "key_store_error",
            SidecarError::Crypto(_) => "crypto_error",
            SidecarError::ModeStore(_) => "mode_store_error",
            SidecarError::NotReady(_) => "not_ready",
        }
    }
}

impl From<cretoai_crypto::CryptoError> for SidecarError {
    fn from(e: cretoai_crypto::CryptoError) -> Self {
        SidecarError::Crypto(e.to_string())
    }
}

impl ResponseError for SidecarError {
    fn status_code(&self) -> StatusCode {
        match self {
            SidecarError::InvalidRequest(_)
            | SidecarError::Policy(_)
            | SidecarError::UpstreamRejected(_) => StatusCode::BAD_REQUEST,
            SidecarError::Unauthorized => StatusCode::UNAUTHORIZED,
            SidecarError::NotFound => StatusCode::NOT_FOUND,
            SidecarError::TokenRejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            SidecarError::UpstreamError(_) => StatusCode::BAD_GATEWAY,
            SidecarError::UpstreamUnavailable { .. } | SidecarError::NotReady(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            SidecarError::Config(_)
            | SidecarError::KeyStore(_)
            | SidecarError::Crypto(_)
            | SidecarError::ModeStore(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut answer = HttpResponse::build(self.status_code());
        if let SidecarError::UpstreamUnavailable {
            retry_after_secs, ..
        } = self
        {
            answer.insert_header(("retry-after", retry_after_secs.to_string()));
        }
        answer.json(json!({
            "error": { "code": self.code(), "message": self.to_string() }
        }))
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, SidecarError>;
