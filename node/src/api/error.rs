//! The one place errors become HTTP responses: `{"error":{"code":"...","message":"..."}}`.

use crate::error::NodeError;
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

impl From<&NodeError> for ErrorBody {
    fn from(err: &NodeError) -> Self {
        // Internal errors keep their details in the log, not in the response.
        let message = if err.status() >= 500 && !matches!(err, NodeError::Unavailable(_)) {
            "internal error; see the node's log".to_string()
        } else {
            err.to_string()
        };
        ErrorBody {
            error: ErrorDetail {
                code: err.code().to_string(),
                message,
            },
        }
    }
}

impl ResponseError for NodeError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        if self.status() >= 500 {
            tracing::error!(code = self.code(), error = %self, "request failed");
        }
        let mut res = HttpResponse::build(self.status_code());
        if matches!(self, NodeError::Unauthorized) {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if matches!(self, NodeError::Overloaded { .. }) {
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
