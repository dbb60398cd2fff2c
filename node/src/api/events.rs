//! `GET /v1/events`: a WebSocket streaming consensus events (vertex, transaction, accepted,
//! rejected, equivocation) as JSON text messages, one event per message.
//!
//! A subscriber that falls more than the channel's capacity behind gets
//! `{"type":"lagged","missed":N}` and the stream continues from the newest events: a slow
//! consumer never holds up consensus. Browsers authenticate with the `cretoai.bearer.*`
//! subprotocol (see [`crate::auth::subprotocol`]).

use super::AppState;
use crate::auth::scope::Need;
use crate::auth::subprotocol::{SocketPrincipal, PROTOCOL};
use crate::error::{NodeError, Result};
use actix_web::{web, HttpRequest, HttpResponse};
use actix_ws::Message;
use futures_util::StreamExt;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

/// Open the event stream (WebSocket upgrade).
///
/// Authenticate with `Authorization: Bearer <token>`, or (browsers, which cannot set headers on
/// a WebSocket) by offering the subprotocols `cretoai.v1` and `cretoai.bearer.<base64url of the
/// token, no padding>`; the server then answers `Sec-WebSocket-Protocol: cretoai.v1` and never
/// echoes the token. Tokens in the query string are not accepted. Needs `consensus:read`.
/// Messages: `{"type":"transaction","tx_id"}`, `{"type":"vertex","id","author","round","txs","tx_ids","parents","signature_algorithm"}`,
/// `{"type":"accepted"|"rejected","tx_ids","at"}`, `{"type":"equivocation","author","round"}`,
/// and `{"type":"lagged","missed"}` when this subscriber fell behind and events were skipped.
#[utoipa::path(get, path = "/v1/events", tag = "consensus", security(("bearer" = [])),
    params(("Sec-WebSocket-Protocol" = Option<String>, Header,
        description = "Browser authentication: `cretoai.v1, cretoai.bearer.<base64url(token), no padding>`")),
    responses((status = 101, description = "WebSocket of JSON events (see the description); `Sec-WebSocket-Protocol: cretoai.v1` when offered"),
        (status = 400, description = "Not a WebSocket upgrade, or a bearer subprotocol without `cretoai.v1`", body = super::error::ErrorBody),
        (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody)))]
pub async fn events(
    auth: SocketPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse> {
    auth.0.require(Need::any("consensus", "read"))?;
    // Only `cretoai.v1` can be selected, so the bearer entry is never echoed back.
    let (response, mut session, mut incoming) =
        actix_ws::handle_with_protocols(&req, body, &[PROTOCOL])
            .map_err(|e| NodeError::InvalidRequest(format!("websocket upgrade: {e}")))?;
    let mut events = state.consensus.events.subscribe();
    actix_web::rt::spawn(async move {
        loop {
            tokio::select! {
                event = events.recv() => {
                    let Some(text) = outgoing(event) else { break };
                    if session.text(text).await.is_err() {
                        return;
                    }
                }
                msg = incoming.next() => match msg {
                    Some(Ok(Message::Ping(bytes))) => {
                        if session.pong(&bytes).await.is_err() {
                            return;
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                },
            }
        }
        let _ = session.close(None).await;
    });
    Ok(response)
}

/// The text message for one subscription result; `None` once the bus is gone.
fn outgoing(event: std::result::Result<Arc<str>, RecvError>) -> Option<String> {
    match event {
        Ok(text) => Some(text.to_string()),
        Err(RecvError::Lagged(missed)) => {
            Some(format!("{{\"type\":\"lagged\",\"missed\":{missed}}}"))
        }
        Err(RecvError::Closed) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::broadcast;

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_told_how_much_it_missed() {
        let (tx, mut rx) = broadcast::channel::<Arc<str>>(2);
        for i in 0..5 {
            tx.send(Arc::from(format!("{{\"n\":{i}}}"))).unwrap();
        }
        let lagged: serde_json::Value =
            serde_json::from_str(&outgoing(rx.recv().await).unwrap()).unwrap();
        assert_eq!(lagged, serde_json::json!({"type": "lagged", "missed": 3}));
        // Then the newest events, in order, and the end once the bus is gone.
        assert_eq!(outgoing(rx.recv().await).as_deref(), Some("{\"n\":3}"));
        assert_eq!(outgoing(rx.recv().await).as_deref(), Some("{\"n\":4}"));
        drop(tx);
        assert_eq!(outgoing(rx.recv().await), None);
    }
}
