//! `GET /v1/events`: a WebSocket streaming consensus events (vertex, transaction, accepted,
//! rejected, equivocation) as JSON text messages, one event per message.
//!
//! A subscriber that falls more than the channel's capacity behind gets
//! `{"type":"lagged","missed":N}` and the stream continues from the newest events.

use super::AppState;
use crate::auth::scope::Need;
use crate::auth::Principal;
use crate::error::{NodeError, Result};
use actix_web::{web, HttpRequest, HttpResponse};
use actix_ws::Message;
use futures_util::StreamExt;
use tokio::sync::broadcast::error::RecvError;

/// Open the event stream (WebSocket upgrade).
#[utoipa::path(get, path = "/v1/events", tag = "consensus", security(("bearer" = [])),
    responses((status = 101, description = "WebSocket of JSON events: `{\"type\":\"vertex\"|\"transaction\"|\"accepted\"|\"rejected\"|\"equivocation\"|\"lagged\", ...}`"),
        (status = 400, description = "Not a WebSocket upgrade", body = super::error::ErrorBody),
        (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody)))]
pub async fn events(
    auth: Principal,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse> {
    auth.require(Need::any("consensus", "read"))?;
    let (response, mut session, mut incoming) = actix_ws::handle(&req, body)
        .map_err(|e| NodeError::InvalidRequest(format!("websocket upgrade: {e}")))?;
    let mut events = state.consensus.events.subscribe();
    actix_web::rt::spawn(async move {
        loop {
            tokio::select! {
                event = events.recv() => {
                    let sent = match event {
                        Ok(text) => session.text(text.to_string()).await,
                        Err(RecvError::Lagged(missed)) => {
                            session.text(format!("{{\"type\":\"lagged\",\"missed\":{missed}}}")).await
                        }
                        Err(RecvError::Closed) => break,
                    };
                    if sent.is_err() {
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
