//! `/v1/sys/*`: what the caller can learn about its own connection to this node.

use super::error::ErrorBody;
use crate::auth::Principal;
use actix_web::{web, HttpRequest};
pub use cretoai_tls::caller::Connection;

/// The caller's TLS version, cipher suite, key-exchange group and client certificate
/// (any valid token).
#[utoipa::path(get, path = "/v1/sys/connection", tag = "sys", security(("bearer" = [])),
    responses((status = 200, body = Connection), (status = 401, body = ErrorBody)))]
pub async fn connection(_auth: Principal, req: HttpRequest) -> web::Json<Connection> {
    web::Json(Connection::of(&req))
}
