//! Bearer tokens carried in the WebSocket subprotocol list, for browsers.
//!
//! A browser cannot set `Authorization` on a WebSocket, so `/v1/events` also accepts
//! `new WebSocket(url, ["cretoai.v1", "cretoai.bearer." + base64url_nopad(token)])`. The token is
//! base64url (no padding) because the subprotocol grammar (an RFC 7230 token) forbids most
//! characters a token may contain. The server answers with `Sec-WebSocket-Protocol: cretoai.v1`
//! only, never the bearer entry. Tokens in the URL query are not read at all: URLs end up in
//! proxy logs and browser history.

use super::{registry, Principal};
use crate::auth::AuthError;
use crate::error::{NodeError, Result};
use actix_web::http::header::{self, HeaderMap};
use actix_web::{dev::Payload, FromRequest, HttpRequest};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::future::{ready, Ready};
use zeroize::Zeroizing;

/// The subprotocol the server speaks (and answers with).
pub const PROTOCOL: &str = "cretoai.v1";
/// Prefix of the subprotocol entry that carries the token.
pub const BEARER_PREFIX: &str = "cretoai.bearer.";

/// The caller of a WebSocket route: `Authorization: Bearer` when present, else the
/// `cretoai.bearer.*` subprotocol. Scopes are checked with [`Principal::require`] as usual.
#[derive(Debug, Clone)]
pub struct SocketPrincipal(pub Principal);

impl FromRequest for SocketPrincipal {
    type Error = NodeError;
    type Future = Ready<Result<Self>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).map(SocketPrincipal))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Principal> {
    if req.headers().contains_key(header::AUTHORIZATION) {
        return super::authenticate(req);
    }
    let offer = Offer::parse(req.headers())?;
    let token = offer
        .token
        .ok_or(NodeError::Auth(AuthError::Unauthorized))?;
    // Browsers fail the handshake unless the server selects one of the offered protocols,
    // and the token entry must never be the one selected.
    if !offer.speaks_v1 {
        return Err(NodeError::InvalidRequest(format!(
            "offer the `{PROTOCOL}` subprotocol together with `{BEARER_PREFIX}<token>`"
        )));
    }
    let token =
        std::str::from_utf8(&token).map_err(|_| NodeError::Auth(AuthError::Unauthorized))?;
    registry(req)?.authenticate(token).map(Principal)
}

/// What the client offered in `Sec-WebSocket-Protocol`.
struct Offer {
    /// Whether `cretoai.v1` was offered.
    speaks_v1: bool,
    /// The decoded token of the one `cretoai.bearer.*` entry, if any.
    token: Option<Zeroizing<Vec<u8>>>,
}

impl Offer {
    /// Reads every `Sec-WebSocket-Protocol` header (comma-separated lists). More than one bearer
    /// entry, or one that is not base64url without padding, is `unauthorized`.
    fn parse(headers: &HeaderMap) -> Result<Offer> {
        let mut offer = Offer {
            speaks_v1: false,
            token: None,
        };
        let entries = headers
            .get_all(header::SEC_WEBSOCKET_PROTOCOL)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim);
        for entry in entries {
            if entry == PROTOCOL {
                offer.speaks_v1 = true;
            } else if let Some(encoded) = entry.strip_prefix(BEARER_PREFIX) {
                let decoded = URL_SAFE_NO_PAD
                    .decode(encoded)
                    .map_err(|_| NodeError::Auth(AuthError::Unauthorized))?;
                if offer.token.replace(Zeroizing::new(decoded)).is_some() {
                    return Err(NodeError::Auth(AuthError::Unauthorized));
                }
            }
        }
        Ok(offer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(
                header::SEC_WEBSOCKET_PROTOCOL,
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    fn bearer(token: &str) -> String {
        format!("{BEARER_PREFIX}{}", URL_SAFE_NO_PAD.encode(token))
    }

    #[test]
    fn a_browser_offer_yields_the_token() {
        let list = format!("{PROTOCOL}, {}", bearer("crt_ab_c+/=d"));
        let offer = Offer::parse(&headers(&[&list])).unwrap();
        assert!(offer.speaks_v1);
        assert_eq!(offer.token.unwrap().as_slice(), b"crt_ab_c+/=d");

        // Split over two headers is the same offer.
        let offer = Offer::parse(&headers(&[PROTOCOL, &bearer("t")])).unwrap();
        assert!(offer.speaks_v1);
        assert_eq!(offer.token.unwrap().as_slice(), b"t");
    }

    #[test]
    fn no_bearer_entry_means_no_token() {
        let offer = Offer::parse(&headers(&[PROTOCOL, "chat"])).unwrap();
        assert!(offer.speaks_v1);
        assert!(offer.token.is_none());
        let offer = Offer::parse(&HeaderMap::new()).unwrap();
        assert!(!offer.speaks_v1);
        assert!(offer.token.is_none());
    }

    #[test]
    fn malformed_or_repeated_bearer_entries_are_unauthorized() {
        let padded = format!("{BEARER_PREFIX}dGs=");
        let standard = format!("{BEARER_PREFIX}a+b/");
        let twice = format!("{}, {}", bearer("a"), bearer("b"));
        for bad in [padded.as_str(), standard.as_str(), twice.as_str()] {
            assert!(
                matches!(
                    Offer::parse(&headers(&[PROTOCOL, bad])),
                    Err(NodeError::Auth(AuthError::Unauthorized))
                ),
                "{bad}"
            );
        }
    }
}
