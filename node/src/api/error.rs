//! The one place errors become HTTP responses: every subsystem's error gets its status and
//! stable code in [`describe`], and the body is `{"error":{"code":"...","message":"..."}}`.

use crate::auth::AuthError;
use crate::consensus::submission::SubmitError;
use crate::error::NodeError;
use crate::keys::KeyError;
use crate::replication::ReplicationError;
use crate::sidecar::SidecarError;
use crate::store::StoreError;
use crate::vault::VaultError;
use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::error::{JsonPayloadError, PathError, PayloadError};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The error envelope every failing request returns.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// A stable code and a human-readable message.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code, e.g. `key_not_found`.
    #[schema(example = "key_not_found")]
    pub code: String,
    /// What went wrong, for humans.
    #[schema(example = "key `payments` not found")]
    pub message: String,
}

/// The HTTP status and stable code of every error: the one table clients (and the audit log's
/// outcomes) rely on.
pub fn describe(err: &NodeError) -> (StatusCode, &'static str) {
    match err {
        NodeError::Auth(e) => match e {
            AuthError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AuthError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AuthError::TokenNotFound(_) => (StatusCode::NOT_FOUND, "token_not_found"),
        },
        NodeError::Keys(e) => key_status(e),
        NodeError::Vault(e) => vault_status(e),
        NodeError::Store(StoreError::Database(_)) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "storage_error")
        }
        NodeError::Submission(e) => submission_status(e),
        NodeError::Replication(e) => match e {
            ReplicationError::NoQuorum { .. } => (StatusCode::SERVICE_UNAVAILABLE, "no_quorum"),
            ReplicationError::Timeout(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "replication_timeout")
            }
            ReplicationError::Contended(_) => (StatusCode::CONFLICT, "write_contended"),
            ReplicationError::TooLarge { .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "change_too_large")
            }
        },
        NodeError::Sidecar(e) => match e {
            SidecarError::NotConfigured => {
                (StatusCode::SERVICE_UNAVAILABLE, "sidecar_not_configured")
            }
            SidecarError::Failed(_) => (StatusCode::BAD_GATEWAY, "sidecar_failed"),
        },
        // A malformed value the node built itself, or the backend failing: not the caller's.
        NodeError::Crypto(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
        NodeError::InvalidBase64(_) => (StatusCode::BAD_REQUEST, "invalid_base64"),
        NodeError::InvalidCiphertext(_) => (StatusCode::BAD_REQUEST, "invalid_ciphertext"),
        NodeError::DecryptionFailed => (StatusCode::BAD_REQUEST, "decryption_failed"),
        NodeError::InvalidPublicKey(_) => (StatusCode::BAD_REQUEST, "invalid_public_key"),
        NodeError::ContextTooLong => (StatusCode::BAD_REQUEST, "context_too_long"),
        NodeError::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
        NodeError::InvalidJson(_) => (StatusCode::BAD_REQUEST, "invalid_json"),
        NodeError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        NodeError::RouteNotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        NodeError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
        NodeError::TransactionNotFound(_) => (StatusCode::NOT_FOUND, "transaction_not_found"),
        NodeError::VertexNotFound(_) => (StatusCode::NOT_FOUND, "vertex_not_found"),
        NodeError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        NodeError::Config(_) => (StatusCode::INTERNAL_SERVER_ERROR, "config_error"),
        NodeError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
    }
}

fn key_status(err: &KeyError) -> (StatusCode, &'static str) {
    match err {
        KeyError::UnknownAlgorithm(_) => (StatusCode::BAD_REQUEST, "unknown_algorithm"),
        KeyError::WrongType { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "wrong_key_type"),
        KeyError::NotFound(_) => (StatusCode::NOT_FOUND, "key_not_found"),
        KeyError::Exists(_) => (StatusCode::CONFLICT, "key_exists"),
        KeyError::VersionNotFound { .. } => (StatusCode::NOT_FOUND, "key_version_not_found"),
        KeyError::VersionTooOld { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "version_too_old"),
        KeyError::DeletionNotAllowed(_) => (StatusCode::FORBIDDEN, "deletion_not_allowed"),
        KeyError::Reserved(_) => (StatusCode::FORBIDDEN, "key_reserved"),
    }
}

fn vault_status(err: &VaultError) -> (StatusCode, &'static str) {
    match err {
        VaultError::InvalidPath(_) => (StatusCode::BAD_REQUEST, "invalid_path"),
        VaultError::NotFound(_) => (StatusCode::NOT_FOUND, "secret_not_found"),
        VaultError::VersionNotFound { .. } => (StatusCode::NOT_FOUND, "secret_version_not_found"),
        // 404, not 410: `undelete` brings the version back.
        VaultError::VersionDeleted { .. } => (StatusCode::NOT_FOUND, "secret_version_deleted"),
        VaultError::VersionDestroyed { .. } => (StatusCode::GONE, "secret_version_destroyed"),
        VaultError::CasMismatch { .. } => (StatusCode::CONFLICT, "cas_mismatch"),
        VaultError::ValueTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "value_too_large"),
    }
}

fn submission_status(err: &SubmitError) -> (StatusCode, &'static str) {
    match err {
        SubmitError::Overloaded { .. } => (StatusCode::TOO_MANY_REQUESTS, "overloaded"),
        // Every way a transaction can be refused is the caller's to fix; the typed cause stays
        // in the error for the log and for callers of the service.
        SubmitError::InvalidTransaction(_)
        | SubmitError::InvalidItem { .. }
        | SubmitError::MalformedFrame { .. }
        | SubmitError::BadSignature
        | SubmitError::PayloadTooLarge(_)
        | SubmitError::Signing(_)
        | SubmitError::Refused(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
        SubmitError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        SubmitError::Store(StoreError::Database(_)) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "storage_error")
        }
    }
}

/// The stable machine-readable code clients can match on.
pub fn code(err: &NodeError) -> &'static str {
    describe(err).1
}

/// Whether a 5xx error's message helps the client: "unavailable" names what is not running
/// and holds no internal detail.
fn message_is_public(err: &NodeError) -> bool {
    matches!(
        err,
        NodeError::Unavailable(_) | NodeError::Submission(SubmitError::Unavailable(_))
    )
}

impl From<&NodeError> for ErrorBody {
    fn from(err: &NodeError) -> Self {
        let (status, code) = describe(err);
        // Internal errors keep their details in the log, not in the response.
        let message = if status.is_server_error() && !message_is_public(err) {
            "internal error; see the node's log".to_string()
        } else {
            err.to_string()
        };
        ErrorBody {
            error: ErrorDetail {
                code: code.to_string(),
                message,
            },
        }
    }
}

impl ResponseError for NodeError {
    fn status_code(&self) -> StatusCode {
        describe(self).0
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let (status, code) = describe(self);
        if status.is_server_error() {
            tracing::error!(code, error = %self, "request failed");
        }
        let mut res = HttpResponse::build(status);
        if matches!(self, NodeError::Auth(AuthError::Unauthorized)) {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if matches!(self, NodeError::Submission(SubmitError::Overloaded { .. })) {
            // The backlog drains in about a second at the load this node sustains.
            res.insert_header((header::RETRY_AFTER, "1"));
        }
        res.json(ErrorBody::from(self))
    }
}

/// Maps actix's JSON extractor failures (bad JSON, oversize body) to the node's errors.
pub fn json_error(err: JsonPayloadError, req: &HttpRequest) -> actix_web::Error {
    json_error_to_node(err, req.app_data::<BodyLimit>().map_or(0, |l| l.0)).into()
}

/// The configured body limit, stored as app data so error messages can name it.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

fn json_error_to_node(err: JsonPayloadError, limit: usize) -> NodeError {
    match err {
        JsonPayloadError::Overflow { limit } => NodeError::PayloadTooLarge(limit),
        JsonPayloadError::OverflowKnownLength { limit, .. } => NodeError::PayloadTooLarge(limit),
        JsonPayloadError::Payload(PayloadError::Overflow) => NodeError::PayloadTooLarge(limit),
        JsonPayloadError::Deserialize(e) => NodeError::InvalidJson(e.to_string()),
        other => NodeError::InvalidJson(other.to_string()),
    }
}

/// Maps path extraction failures to `invalid_request`.
pub fn path_error(err: PathError, _req: &HttpRequest) -> actix_web::Error {
    NodeError::InvalidRequest(format!("invalid path: {err}")).into()
}

/// Rewrites error responses actix produced itself (404 for unknown routes, 405, ...) into the
/// JSON error shape; responses that already carry JSON pass through untouched.
pub fn rewrite_plain_errors<B>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let err = match res.status() {
        StatusCode::NOT_FOUND => NodeError::RouteNotFound(res.request().path().to_string()),
        StatusCode::METHOD_NOT_ALLOWED => NodeError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => {
            NodeError::PayloadTooLarge(res.request().app_data::<BodyLimit>().map_or(0, |l| l.0))
        }
        status if status.is_client_error() => {
            NodeError::InvalidRequest(status.canonical_reason().unwrap_or("bad request").into())
        }
        _ => NodeError::Internal("unexpected server response"),
    };
    let (req, _) = res.into_parts();
    let res = ServiceResponse::new(req, err.error_response());
    Ok(ErrorHandlerResponse::Response(res.map_into_right_body()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cretoai_consensus::ConsensusError;
    use cretoai_crypto::CryptoError;
    use std::error::Error as _;

    #[test]
    fn only_ciphertext_parsing_is_invalid_ciphertext() {
        // An HKDF length error is the node's own doing: internal, with no detail returned.
        let hkdf = NodeError::from(CryptoError::Malformed("HKDF output too long"));
        assert_eq!(
            describe(&hkdf),
            (StatusCode::INTERNAL_SERVER_ERROR, "internal_error")
        );
        assert_eq!(
            ErrorBody::from(&hkdf).error.message,
            "internal error; see the node's log"
        );
        let envelope =
            crate::ciphertext::open_error(CryptoError::Malformed("unknown envelope format"));
        assert_eq!(
            describe(&envelope),
            (StatusCode::BAD_REQUEST, "invalid_ciphertext")
        );
        // The caller's own input keeps its meaning.
        let key = NodeError::from(CryptoError::InvalidKey("wrong length"));
        assert_eq!(
            describe(&key),
            (StatusCode::BAD_REQUEST, "invalid_public_key")
        );
        let tampered = crate::ciphertext::open_error(CryptoError::DecryptFailed);
        assert_eq!(
            describe(&tampered),
            (StatusCode::BAD_REQUEST, "decryption_failed")
        );
    }

    #[test]
    fn consensus_errors_stay_typed_until_the_mapping() {
        let refused = NodeError::from(SubmitError::Refused(
            ConsensusError::ConflictingTransactions,
        ));
        assert_eq!(
            describe(&refused),
            (StatusCode::BAD_REQUEST, "invalid_request")
        );
        let source = refused
            .source()
            .and_then(|s| s.downcast_ref::<ConsensusError>());
        assert_eq!(source, Some(&ConsensusError::ConflictingTransactions));
        assert!(ErrorBody::from(&refused)
            .error
            .message
            .starts_with("transaction refused: "));
        let overloaded = NodeError::from(SubmitError::Overloaded {
            undecided: 10,
            limit: 10,
        });
        assert_eq!(
            describe(&overloaded),
            (StatusCode::TOO_MANY_REQUESTS, "overloaded")
        );
        let response = overloaded.error_response();
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "1");
    }

    #[test]
    fn unavailable_names_what_is_down_and_storage_hides_its_detail() {
        let down = NodeError::from(SubmitError::Unavailable("consensus actor"));
        assert_eq!(
            describe(&down),
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        );
        assert_eq!(
            ErrorBody::from(&down).error.message,
            "service unavailable: consensus actor"
        );
        let storage = NodeError::from(StoreError::Database("disk on fire".into()));
        assert_eq!(
            describe(&storage),
            (StatusCode::INTERNAL_SERVER_ERROR, "storage_error")
        );
        assert!(!ErrorBody::from(&storage).error.message.contains("disk"));
    }
}
