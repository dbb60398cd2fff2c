//! Shared test harness: a node on a temp data dir with a manual clock, driven in-process
//! through `actix_web::test`.

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::{self, TestRequest};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use cretoai_node::clock::ManualClock;
use cretoai_node::config::Secret;
use cretoai_node::{Config, Node};
use serde_json::{json, Value};
use std::sync::Arc;
use tempfile::TempDir;

/// The root token every test node is configured with (as `CRETOAI_ROOT_TOKEN` would).
pub const ROOT: &str = "test-root-token-0123456789";

/// A node under test and the means to call it.
pub struct Api<S> {
    pub app: S,
    pub root: String,
    pub clock: Arc<ManualClock>,
    pub _node: Node,
    pub _dir: TempDir,
}

/// Standard base64.
pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    STANDARD.encode(bytes)
}

/// Decodes standard base64 (panics on bad input: tests only).
pub fn unb64(text: &Value) -> Vec<u8> {
    STANDARD
        .decode(text.as_str().expect("a string"))
        .expect("base64")
}

/// Starts a node with default limits.
pub async fn start() -> Api<
    impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>,
> {
    start_with(|_| {}).await
}

/// Starts a node after `tweak` adjusts the config.
pub async fn start_with(
    tweak: impl FnOnce(&mut Config),
) -> Api<
    impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>,
> {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::with_data_dir(dir.path());
    config.crypto_threads = 2;
    config.root_token = Some(Secret::new(ROOT.to_string()));
    tweak(&mut config);
    let clock = Arc::new(ManualClock::new(1_700_000_000));
    let node = Node::open(&config, clock.clone()).expect("node opens");
    let root = ROOT.to_string();
    let app = test::init_service(node.app()).await;
    Api {
        app,
        root,
        clock,
        _node: node,
        _dir: dir,
    }
}

impl<S, B> Api<S>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    /// Sends a prepared request; returns the status and the body as JSON (or a JSON string
    /// holding the text when the body is not JSON).
    pub async fn send(&self, req: TestRequest) -> (u16, Value) {
        let res = test::call_service(&self.app, req.to_request()).await;
        let status = res.status().as_u16();
        let bytes = test::read_body(res).await;
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, body)
    }

    /// POST JSON with the root token.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.post_as(&self.root.clone(), path, body).await
    }

    /// POST JSON with `token`.
    pub async fn post_as(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.send(
            TestRequest::post()
                .uri(path)
                .insert_header(("authorization", format!("Bearer {token}")))
                .set_json(body),
        )
        .await
    }

    /// GET with the root token.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(
            TestRequest::get()
                .uri(path)
                .insert_header(("authorization", format!("Bearer {}", self.root))),
        )
        .await
    }

    /// DELETE with the root token.
    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.send(
            TestRequest::delete()
                .uri(path)
                .insert_header(("authorization", format!("Bearer {}", self.root))),
        )
        .await
    }

    /// Creates a key of `key_type`, asserting success.
    pub async fn create_key(&self, name: &str, key_type: &str) -> Value {
        let (status, body) = self
            .post("/v1/keys", json!({"name": name, "type": key_type}))
            .await;
        assert_eq!(status, 201, "{body}");
        body
    }

    /// Creates a token with `scopes`, returning the secret.
    pub async fn token(&self, scopes: &[&str]) -> String {
        let (status, body) = self
            .post(
                "/v1/auth/tokens",
                json!({"scopes": scopes, "ttl_seconds": 600}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["token"].as_str().unwrap().to_string()
    }
}

/// Asserts an error response: status and stable code.
#[track_caller]
pub fn assert_error(response: &(u16, Value), status: u16, code: &str) {
    assert_eq!(response.0, status, "{}", response.1);
    assert_eq!(response.1["error"]["code"], code, "{}", response.1);
    assert!(
        response.1["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        response.1
    );
}
