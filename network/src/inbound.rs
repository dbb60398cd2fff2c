//! What arrives from peers: one-way messages, requests awaiting a reply, and peer up/down
//! notices, all delivered on one `mpsc` channel tagged with the sender's node id.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::error::{NetworkError, Result};
use crate::frame::{read_frame, write_frame, Frame};
use crate::tls;
use cretoai_types::NodeId;

/// Application error code sent when a stream carried a malformed or oversize frame.
pub const STREAM_MALFORMED_FRAME: u32 = 1;
/// Application error code sent when a request got no reply (dropped responder or timeout).
pub const STREAM_NO_REPLY: u32 = 2;

/// An event from the network.
#[derive(Debug)]
pub enum Inbound {
    /// A one-way frame from `from`.
    Message {
        /// Authenticated sender.
        from: NodeId,
        /// The frame.
        frame: Frame,
    },
    /// A request from `from`; answer it with [`Responder::reply`] within the request timeout.
    Request {
        /// Authenticated sender.
        from: NodeId,
        /// The request frame.
        frame: Frame,
        /// Where the reply goes.
        reply: Responder,
    },
    /// The outgoing connection to `peer` was established (first time or after a loss):
    /// a good moment to sync with it.
    PeerUp {
        /// The peer.
        peer: NodeId,
    },
    /// The outgoing connection to `peer` was lost; the network keeps redialling it.
    PeerDown {
        /// The peer.
        peer: NodeId,
    },
}

/// The reply slot of an [`Inbound::Request`]. Dropping it without replying resets the
/// requester's stream, which it sees as [`NetworkError::NoReply`].
#[derive(Debug)]
pub struct Responder(oneshot::Sender<Frame>);

impl Responder {
    /// Sends the reply; fails if the requester is gone (timed out or disconnected).
    pub fn reply(self, frame: Frame) -> Result<()> {
        self.0.send(frame).map_err(|_| NetworkError::RequesterGone)
    }
}

/// Everything a connection server needs; cheap to clone into each stream task.
#[derive(Clone)]
pub(crate) struct StreamContext {
    pub(crate) inbound: mpsc::Sender<Inbound>,
    pub(crate) max_frame_len: usize,
    pub(crate) request_timeout: Duration,
}

/// Accepts connections until the endpoint closes. The TLS layer has already refused any
/// peer whose key is not pinned.
pub(crate) async fn accept_loop(endpoint: quinn::Endpoint, ctx: StreamContext) {
    while let Some(incoming) = endpoint.accept().await {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let remote = incoming.remote_address();
            match incoming.await {
                Ok(conn) => match tls::peer_node_id(&conn) {
                    Some(from) => {
                        tracing::debug!(peer = %from.short(), %remote, "accepted connection");
                        confirm_admission(&conn).await;
                        serve_connection(conn, from, ctx).await;
                    }
                    None => conn.close(0u32.into(), b"no identity"),
                },
                Err(e) => tracing::info!(%remote, error = %e, "refused incoming connection"),
            }
        });
    }
}

/// Tells the dialler it was admitted. In TLS 1.3 the client finishes its handshake before
/// the server has judged the client certificate, so a dialler cannot tell "accepted" from
/// "about to be refused" on its own. The acceptor therefore opens one empty unidirectional
/// stream once its side of the handshake (client certificate included) has succeeded.
async fn confirm_admission(conn: &quinn::Connection) {
    if let Ok(mut marker) = conn.open_uni().await {
        let _ = marker.finish();
    }
}

/// Serves the streams `from` opens on `conn` until the connection ends.
pub(crate) async fn serve_connection(conn: quinn::Connection, from: NodeId, ctx: StreamContext) {
    loop {
        tokio::select! {
            uni = conn.accept_uni() => match uni {
                Ok(recv) => { tokio::spawn(read_messages(recv, from, ctx.clone())); }
                Err(_) => break,
            },
            bi = conn.accept_bi() => match bi {
                Ok((send, recv)) => { tokio::spawn(serve_request(send, recv, from, ctx.clone())); }
                Err(_) => break,
            },
        }
    }
}

fn refuse_stream(recv: &mut quinn::RecvStream, from: NodeId, error: &NetworkError) {
    tracing::warn!(peer = %from.short(), %error, "closing stream with a malformed frame");
    let _ = recv.stop(STREAM_MALFORMED_FRAME.into());
}

async fn read_messages(mut recv: quinn::RecvStream, from: NodeId, ctx: StreamContext) {
    loop {
        match read_frame(&mut recv, ctx.max_frame_len).await {
            Ok(Some(frame)) => {
                if ctx
                    .inbound
                    .send(Inbound::Message { from, frame })
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Ok(None) => return,
            Err(NetworkError::Transport(e)) => {
                tracing::debug!(peer = %from.short(), error = %e, "stream ended");
                return;
            }
            Err(e) => return refuse_stream(&mut recv, from, &e),
        }
    }
}

async fn serve_request(
    mut send: quinn::SendStream,
    mut recv: quinn::RecvStream,
    from: NodeId,
    ctx: StreamContext,
) {
    let frame = match read_frame(&mut recv, ctx.max_frame_len).await {
        Ok(Some(frame)) => frame,
        Ok(None) | Err(NetworkError::Transport(_)) => {
            let _ = send.reset(STREAM_NO_REPLY.into());
            return;
        }
        Err(e) => {
            refuse_stream(&mut recv, from, &e);
            let _ = send.reset(STREAM_MALFORMED_FRAME.into());
            return;
        }
    };
    let (tx, rx) = oneshot::channel();
    let request = Inbound::Request {
        from,
        frame,
        reply: Responder(tx),
    };
    if ctx.inbound.send(request).await.is_err() {
        let _ = send.reset(STREAM_NO_REPLY.into());
        return;
    }
    match tokio::time::timeout(ctx.request_timeout, rx).await {
        Ok(Ok(reply)) => {
            let written = write_frame(&mut send, &reply, ctx.max_frame_len).await;
            match written {
                Ok(()) => {
                    let _ = send.finish();
                }
                Err(e) => {
                    tracing::warn!(peer = %from.short(), error = %e, "could not send reply");
                    let _ = send.reset(STREAM_NO_REPLY.into());
                }
            }
        }
        _ => {
            let _ = send.reset(STREAM_NO_REPLY.into());
        }
    }
}
