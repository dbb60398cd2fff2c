//! Shared harness for the sidecar's integration tests.
#![allow(dead_code)]

pub mod creto_engine;
pub mod process;

use actix_web::web;
use cretoai_authz_sidecar::config::Config;
use cretoai_authz_sidecar::state::{AppState, Secrets};
use serde_json::{json, Value};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use tempfile::TempDir;

/// The admin token of every test sidecar.
pub const ROOT: &str = "test-root-token";

/// A sidecar state over a fresh temp data dir.
pub fn state_with(config: impl FnOnce(&mut Config)) -> (TempDir, web::Data<AppState>) {
    let dir = tempfile::tempdir().unwrap();
    let state = state_in(dir.path(), config);
    (dir, state)
}

/// A sidecar state over `data_dir` (reopening it is a restart).
pub fn state_in(data_dir: &Path, config: impl FnOnce(&mut Config)) -> web::Data<AppState> {
    let mut c = Config {
        data_dir: data_dir.to_path_buf(),
        ..Config::default()
    };
    config(&mut c);
    let secrets = Secrets {
        root_token: Some(ROOT.into()),
        master_key_hex: None,
    };
    let (state, _) = AppState::open(c, secrets).unwrap();
    web::Data::new(state)
}

/// A local address nothing listens on (yet).
pub fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// One blocking exchange with a real server through the shared test client
/// (`cretoai_tls::agent`); returns (status, JSON body or Null), an error if no HTTP answer came.
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    let text = body.map(Value::to_string);
    // A body-carrying method without a body still sends an empty JSON request, as clients do.
    let body = match (&text, method) {
        (Some(t), _) => Some(t.as_str()),
        (None, "POST" | "PUT" | "PATCH") => Some(""),
        (None, _) => None,
    };
    let url = format!("http://{addr}{path}");
    let (status, raw) =
        cretoai_tls::agent::exchange(&cretoai_tls::agent::plain(), method, &url, bearer, body)
            .ok_or_else(|| std::io::Error::other(format!("no answer from {url}")))?;
    Ok((status, serde_json::from_str(&raw).unwrap_or(Value::Null)))
}

/// The default test state (Cedar with the example policies, classical mode).
pub fn state() -> (TempDir, web::Data<AppState>) {
    state_with(|_| {})
}

/// An initialised test service over a state.
#[macro_export]
macro_rules! app {
    ($state:expr) => {
        actix_web::test::init_service(
            actix_web::App::new().configure(cretoai_authz_sidecar::api::configure($state.clone())),
        )
        .await
    };
}

/// POST `body` as JSON to `path`, with an optional bearer token; returns (status, JSON).
#[macro_export]
macro_rules! call {
    ($app:expr, $method:ident, $path:expr, $body:expr, $bearer:expr) => {{
        let mut req = actix_web::test::TestRequest::$method().uri($path);
        if let Some(b) = $bearer {
            req = req.insert_header(("authorization", format!("Bearer {b}")));
        }
        let body: Option<serde_json::Value> = $body;
        if let Some(b) = body {
            req = req.set_json(b);
        }
        let resp = actix_web::test::call_service(&$app, req.to_request()).await;
        let status = resp.status().as_u16();
        let bytes = actix_web::test::read_body(resp).await;
        let json: serde_json::Value =
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (status, json)
    }};
}

/// Switch the mode with the admin token; returns (status, JSON).
#[macro_export]
macro_rules! set_mode {
    ($app:expr, $mode:expr) => {
        call!($app, put, "/v1/admin/mode", Some(serde_json::json!({"mode": $mode})), Some($crate::common::ROOT))
    };
}

/// `POST /v1/authorization/check`; returns (status, JSON).
#[macro_export]
macro_rules! check {
    ($app:expr, $body:expr) => {
        call!(
            $app,
            post,
            "/v1/authorization/check",
            Some($body),
            None::<&str>
        )
    };
}

/// `POST /v1/tokens/verify`; returns (status, JSON).
#[macro_export]
macro_rules! verify {
    ($app:expr, $token:expr) => {
        call!($app, post, "/v1/tokens/verify", Some(serde_json::json!({"token": $token})), None::<&str>)
    };
}

/// A payments check that the example policies allow.
pub fn allowed_payment() -> Value {
    json!({
        "principal": {"id": "agent-7", "roles": ["payments-agent"], "attributes": {"transfer_limit": 5000, "currency": "EUR"}},
        "resource": {"kind": "Payment", "id": "p-1", "attributes": {"amount": 120, "currency": "EUR", "destination_country": "DE"}},
        "action": "payments:initiate",
        "context": {}
    })
}

/// Runs this test process as a `cretoai-node` (configured from the environment) and exits, when
/// `role_env` is set: the tests that need a real node start their own executable filtered to
/// their `node_process_entry` test with that variable; without it this does nothing.
pub fn run_as_node_if_asked(role_env: &str) {
    use clap::Parser;
    if std::env::var_os(role_env).is_none() {
        return;
    }
    let cli = cretoai_node::config::Cli::parse_from(["cretoai-node"]);
    let config = cretoai_node::Config::load(cli).expect("node configuration");
    let outcome = actix_web::rt::System::new().block_on(cretoai_node::run(config));
    std::process::exit(i32::from(outcome.is_err()));
}
