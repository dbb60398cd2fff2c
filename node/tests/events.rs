//! `GET /v1/events` over a real socket: the node's app served in-process by `HttpServer` on
//! 127.0.0.1, a real WebSocket client (awc). Covers the event stream of a submitted
//! transaction, header and subprotocol (browser) authentication, scopes, the lagged notice of a
//! slow consumer, and that tokens never reach the log.

use awc::error::WsProtocolError;
use awc::http::{header, StatusCode};
use awc::ws::{Frame, Message};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cretoai_consensus::{Action, Limits, Record, Transaction};
use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
use cretoai_node::config::Secret;
use cretoai_node::{Config, Node};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tempfile::TempDir;

const ROOT: &str = "events-test-root-token-0123456789";
const WAIT: Duration = Duration::from_secs(20);

/// A client WebSocket: frames in, messages out.
trait Socket:
    futures_util::Stream<Item = Result<Frame, WsProtocolError>>
    + futures_util::Sink<Message, Error = WsProtocolError>
    + Unpin
{
}

impl<T> Socket for T where
    T: futures_util::Stream<Item = Result<Frame, WsProtocolError>>
        + futures_util::Sink<Message, Error = WsProtocolError>
        + Unpin
{
}

/// Everything the node logs at any level, for the "no token in the log" check.
fn captured_log() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Capture(sink.clone()))
            .try_init();
        buffer
    })
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A node served on a free port until dropped.
struct Served {
    base: String,
    node: Node,
    server: actix_web::dev::ServerHandle,
    _dir: TempDir,
}

impl Served {
    async fn start() -> Served {
        captured_log();
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::with_data_dir(dir.path());
        config.root_token = Some(Secret::new(ROOT.to_string()));
        config.crypto_threads = 1;
        let node = Node::open(&config, Arc::new(cretoai_node::clock::SystemClock)).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
        let factory = node.clone();
        let server = actix_web::HttpServer::new(move || factory.app())
            .workers(1)
            .listen(listener)
            .unwrap()
            .run();
        let handle = server.handle();
        actix_rt::spawn(server);
        Served {
            base,
            node,
            server: handle,
            _dir: dir,
        }
    }

    fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://{}{path}", self.base)
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let req = awc::Client::new()
            .request(method.parse().unwrap(), self.url("http", path))
            .bearer_auth(ROOT);
        let mut res = match body {
            Some(b) => req.send_json(&b).await.unwrap(),
            None => req.send().await.unwrap(),
        };
        let bytes = res.body().await.unwrap();
        (
            res.status().as_u16(),
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn token(&self, scopes: &[&str]) -> String {
        let (code, body) = self
            .call(
                "POST",
                "/v1/auth/tokens",
                Some(json!({"scopes": scopes, "ttl_seconds": 600})),
            )
            .await;
        assert_eq!(code, 201, "{body}");
        body["token"].as_str().unwrap().to_string()
    }

    /// Opens the stream as a browser does: the token as a subprotocol.
    async fn browser_socket(
        &self,
        token: &str,
    ) -> Result<(awc::ClientResponse, impl Socket), String> {
        awc::Client::new()
            .ws(self.url("ws", "/v1/events"))
            .protocols(["cretoai.v1", &bearer_protocol(token)])
            .connect()
            .await
            .map_err(|e| format!("{e:?}"))
    }

    /// A WebSocket handshake sent as a plain request, so the error body can be read.
    async fn raw_upgrade(&self, headers: &[(&str, &str)], query: &str) -> (u16, Value) {
        let mut req = awc::Client::new()
            .get(self.url("http", &format!("/v1/events{query}")))
            .insert_header((header::CONNECTION, "Upgrade"))
            .insert_header((header::UPGRADE, "websocket"))
            .insert_header((header::SEC_WEBSOCKET_VERSION, "13"))
            .insert_header((header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ=="));
        for (name, value) in headers {
            req = req.insert_header((*name, *value));
        }
        let mut res = req.send().await.unwrap();
        let bytes = res.body().await.unwrap();
        (
            res.status().as_u16(),
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // The stop command is sent by the call itself; Drop cannot await its completion.
        #[allow(clippy::let_underscore_future)]
        let _ = self.server.stop(false);
    }
}

fn bearer_protocol(token: &str) -> String {
    format!("cretoai.bearer.{}", URL_SAFE_NO_PAD.encode(token))
}

/// The next JSON text message (answering pings), or None at `deadline`.
async fn next_event(socket: &mut impl Socket, deadline: Instant) -> Option<Value> {
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        let frame = actix_rt::time::timeout(left, socket.next()).await.ok()??;
        match frame.expect("a valid frame") {
            Frame::Text(bytes) => return Some(serde_json::from_slice(&bytes).unwrap()),
            Frame::Ping(p) => socket.send(Message::Pong(p)).await.unwrap(),
            Frame::Close(reason) => panic!("stream closed: {reason:?}"),
            _ => {}
        }
    }
}

#[actix_rt::test]
async fn a_submitted_transaction_streams_transaction_vertex_and_accepted_events() {
    let node = Served::start().await;
    let reader = node.token(&["consensus:read"]).await;
    let (response, mut socket) = node.browser_socket(&reader).await.unwrap();
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    // The server selects the versioned protocol and never echoes the token entry.
    assert_eq!(
        response
            .headers()
            .get(header::SEC_WEBSOCKET_PROTOCOL)
            .unwrap(),
        "cretoai.v1"
    );

    let (code, body) = node
        .call(
            "POST",
            "/v1/keys",
            Some(json!({"name": "agent", "type": "ml-dsa-65"})),
        )
        .await;
    assert_eq!(code, 201, "{body}");
    let started_ms = now_ms();
    let (code, body) = node
        .call(
            "POST",
            "/v1/consensus/transactions",
            Some(json!({"key": "agent", "payload": "aGVsbG8="})),
        )
        .await;
    assert_eq!(code, 202, "{body}");
    let tx_id = body["tx_id"].as_str().unwrap().to_string();

    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    let accepted = loop {
        let event = next_event(&mut socket, deadline)
            .await
            .unwrap_or_else(|| panic!("no `accepted` for {tx_id} within {WAIT:?}; saw {seen:?}"));
        let done = event["type"] == "accepted"
            && event["tx_ids"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == &tx_id);
        seen.push(event.clone());
        if done {
            break event;
        }
    };
    let accepted_at = accepted["at"].as_u64().unwrap();
    assert!(
        accepted_at >= started_ms && accepted_at <= now_ms(),
        "{accepted}"
    );

    let tx_event = seen
        .iter()
        .position(|e| e["type"] == "transaction" && e["tx_id"] == tx_id.as_str())
        .unwrap_or_else(|| panic!("no transaction event in {seen:?}"));
    // The REST view names the vertex that carried it; that vertex was streamed in between.
    let (code, status) = node
        .call("GET", &format!("/v1/consensus/transactions/{tx_id}"), None)
        .await;
    assert_eq!(code, 200, "{status}");
    assert_eq!(status["status"], "accepted");
    assert_eq!(status["accepted_at"].as_u64(), Some(accepted_at));
    let vertex_id = status["vertex"].as_str().unwrap();
    let vertex_event = seen
        .iter()
        .position(|e| e["type"] == "vertex" && e["id"] == vertex_id)
        .unwrap_or_else(|| panic!("vertex {vertex_id} not streamed: {seen:?}"));
    assert!(tx_event < vertex_event && vertex_event < seen.len() - 1);
    let vertex = &seen[vertex_event];
    let (_, me) = node.call("GET", "/v1/consensus/status", None).await;
    assert_eq!(vertex["author"], me["node_id"], "{vertex}");
    assert!(vertex["txs"].as_u64() >= Some(1), "{vertex}");
    assert!(vertex["round"].is_u64(), "{vertex}");
    let (_, stored) = node
        .call("GET", &format!("/v1/consensus/vertices/{vertex_id}"), None)
        .await;
    assert_eq!(stored["round"], vertex["round"]);
    assert_eq!(
        stored["transactions"].as_array().unwrap().len() as u64,
        vertex["txs"].as_u64().unwrap()
    );
    // What a DAG drawing needs: the same edges and transactions as the stored vertex, and the
    // signature algorithm.
    assert_eq!(vertex["parents"], stored["parents"], "{vertex}");
    assert_eq!(vertex["tx_ids"], stored["transactions"], "{vertex}");
    assert_eq!(vertex["signature_algorithm"], "ML-DSA-65");
    assert_eq!(stored["signature_algorithm"], "ML-DSA-65");
    socket.send(Message::Close(None)).await.unwrap();
}

#[actix_rt::test]
async fn the_authorization_header_still_works_and_selects_no_protocol() {
    let node = Served::start().await;
    let (response, _socket) = awc::Client::new()
        .ws(node.url("ws", "/v1/events"))
        .bearer_auth(ROOT)
        .connect()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert!(response
        .headers()
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .is_none());
}

#[actix_rt::test]
async fn missing_bad_and_underscoped_tokens_are_refused() {
    let node = Served::start().await;
    let unauthorized = |r: &(u16, Value)| r.0 == 401 && r.1["error"]["code"] == "unauthorized";

    let none = node.raw_upgrade(&[], "").await;
    assert!(unauthorized(&none), "{none:?}");
    let bad_header = node
        .raw_upgrade(&[("authorization", "Bearer not-a-token-at-all")], "")
        .await;
    assert!(unauthorized(&bad_header), "{bad_header:?}");
    let offer = format!("cretoai.v1, {}", bearer_protocol("not-a-token-at-all"));
    let bad_protocol = node
        .raw_upgrade(&[("sec-websocket-protocol", &offer)], "")
        .await;
    assert!(unauthorized(&bad_protocol), "{bad_protocol:?}");
    let not_base64url = node
        .raw_upgrade(
            &[(
                "sec-websocket-protocol",
                "cretoai.v1, cretoai.bearer.a+b/==",
            )],
            "",
        )
        .await;
    assert!(unauthorized(&not_base64url), "{not_base64url:?}");
    // Tokens in the URL end up in logs and history: the query is never read.
    for query in [format!("?token={ROOT}"), format!("?access_token={ROOT}")] {
        let in_query = node.raw_upgrade(&[], &query).await;
        assert!(unauthorized(&in_query), "{query}: {in_query:?}");
    }
    // A real client sees the same refusal as a failed handshake.
    let refused = node
        .browser_socket("not-a-token-at-all")
        .await
        .err()
        .expect("refused");
    assert!(refused.contains("401"), "{refused}");

    let keys_only = node.token(&["keys:read"]).await;
    let offer = format!("cretoai.v1, {}", bearer_protocol(&keys_only));
    let forbidden = node
        .raw_upgrade(&[("sec-websocket-protocol", &offer)], "")
        .await;
    assert_eq!(forbidden.0, 403, "{forbidden:?}");
    assert_eq!(forbidden.1["error"]["code"], "forbidden");
    let refused = node
        .browser_socket(&keys_only)
        .await
        .err()
        .expect("refused");
    assert!(refused.contains("403"), "{refused}");

    // The bearer entry alone cannot be answered (browsers need an offered protocol back).
    let reader = node.token(&["consensus:read"]).await;
    let alone = node
        .raw_upgrade(&[("sec-websocket-protocol", &bearer_protocol(&reader))], "")
        .await;
    assert_eq!(alone.0, 400, "{alone:?}");
    assert_eq!(alone.1["error"]["code"], "invalid_request");
    let (response, _socket) = node.browser_socket(&reader).await.unwrap();
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);

    let log = String::from_utf8_lossy(&captured_log().lock().unwrap()).into_owned();
    assert!(!log.is_empty(), "the capture works");
    for secret in [ROOT, reader.as_str(), keys_only.as_str()] {
        assert!(!log.contains(secret), "a token reached the log");
        assert!(
            !log.contains(&URL_SAFE_NO_PAD.encode(secret)),
            "an encoded token reached the log"
        );
    }
}

#[actix_rt::test]
async fn a_consumer_that_stops_reading_gets_lagged_and_the_node_goes_on() {
    let node = Served::start().await;
    let (_, mut socket) = node.browser_socket(ROOT).await.unwrap();
    // Far more events than the bus buffers (4096) plus what the sockets hold, published while
    // this client reads nothing.
    let sender = SigningKey::generate(MlDsaLevel::MlDsa44).unwrap();
    let tx = Transaction::sign(&sender, 1, b"burst".to_vec(), &Limits::default()).unwrap();
    let burst: Vec<Action> = (0..1000)
        .map(|_| Action::Persist(Record::Submitted(tx.clone())))
        .collect();
    let events = node.node.state().consensus.events.clone();
    for _ in 0..200 {
        events.publish(&burst, now_ms());
    }
    // The node still answers while the consumer is stuck.
    let (code, body) = node.call("GET", "/v1/consensus/status", None).await;
    assert_eq!(code, 200, "{body}");

    let deadline = Instant::now() + WAIT;
    let mut before = 0u64;
    let lagged = loop {
        let event = next_event(&mut socket, deadline)
            .await
            .unwrap_or_else(|| panic!("no `lagged` notice after {before} events"));
        if event["type"] == "lagged" {
            break event;
        }
        before += u64::from(event["type"] == "transaction");
    };
    let missed = lagged["missed"].as_u64().unwrap();
    assert!(missed > 0, "{lagged}");
    assert!(before + missed <= 200_000, "{before} + {missed}");
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}
