//! Bearer-token authentication and scope checks for every `/v1` route.

mod error;
pub mod scope;
pub mod subprotocol;
pub mod tokens;

pub use error::AuthError;

use crate::error::{NodeError, Result};
use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use scope::Need;
use std::future::{ready, Ready};
use tokens::{Grant, TokenRegistry};

/// The operations a client may ask about (`GET /v1/auth/tokens/self`), in the order listed.
pub const OPERATIONS: &[(&str, &str)] = &[
    ("consensus", "read"),
    ("consensus", "submit"),
    ("keys", "read"),
    ("keys", "admin"),
    ("crypto", "encrypt"),
    ("crypto", "decrypt"),
    ("crypto", "sign"),
    ("crypto", "verify"),
    ("vault", "read"),
    ("vault", "write"),
    ("authz", "read"),
    ("authz", "check"),
    ("authz", "admin"),
    ("admin", ""),
];

/// The authenticated caller of a request. Taking it as a handler argument makes the route
/// require `Authorization: Bearer <token>` (401 otherwise); [`Principal::require`] checks scopes
/// (403).
#[derive(Debug, Clone)]
pub struct Principal(Grant);

impl Principal {
    /// Fails with `forbidden` unless one of the token's scopes covers `need`.
    pub fn require(&self, need: Need<'_>) -> std::result::Result<(), AuthError> {
        if self.0.scopes.iter().any(|s| s.covers(&need)) {
            Ok(())
        } else {
            Err(AuthError::Forbidden(need.to_string()))
        }
    }

    /// The token id (safe to log).
    pub fn token_id(&self) -> &str {
        &self.0.id
    }

    /// The token's scopes.
    pub fn scopes(&self) -> &[scope::Scope] {
        &self.0.scopes
    }

    /// Which of [`OPERATIONS`] the token may use on every resource, as `area:action` (`admin`
    /// alone for the admin area): what a console shows controls for.
    pub fn allowed_operations(&self) -> Vec<String> {
        OPERATIONS
            .iter()
            .filter(|(area, action)| self.require(Need::any(area, action)).is_ok())
            .map(|(area, action)| match *action {
                "" => area.to_string(),
                _ => format!("{area}:{action}"),
            })
            .collect()
    }
}

impl FromRequest for Principal {
    type Error = NodeError;
    type Future = Ready<Result<Self>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn registry(req: &HttpRequest) -> Result<&web::Data<TokenRegistry>> {
    req.app_data::<web::Data<TokenRegistry>>()
        .ok_or(NodeError::Unavailable("token registry"))
}

fn authenticate(req: &HttpRequest) -> Result<Principal> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(NodeError::Auth(AuthError::Unauthorized))?;
    registry(req)?.authenticate(token).map(Principal)
}
