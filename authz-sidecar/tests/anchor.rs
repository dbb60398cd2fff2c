//! Decision anchoring against a real, single-node CretoAI cluster (no peers:
//! it finalizes on its own).
//!
//! The node runs as its own process. Cargo builds binaries only for the crate
//! under test, so this test binary doubles as the node: started with
//! `NODE_ROLE_ENV` set and filtered to `node_process_entry`, it parses the
//! node's configuration from the environment exactly like `cretoai-node` and
//! runs `cretoai_node::run`. Set `CRETOAI_NODE_BIN` to a built `cretoai-node`
//! to use that binary instead.

mod common;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use common::process::{spawn_ready, start_sidecar, Process};
use common::{allowed_payment, free_port, http, state_in, state_with, ROOT};
use cretoai_authz_sidecar::config::Secret;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Set in the environment of the child that is to run the node.
const NODE_ROLE_ENV: &str = "CRETOAI_ANCHOR_TEST_RUN_NODE";
/// The node's root token (the sidecar submits with it).
const NODE_TOKEN: &str = "anchor-test-node-root-token";

/// The node, when this process was started as one; a no-op test otherwise.
#[test]
fn node_process_entry() {
    common::run_as_node_if_asked(NODE_ROLE_ENV);
}

/// A single-node cluster on a free port with a scratch data dir.
struct Node {
    addr: SocketAddr,
    _process: Process,
}

impl Node {
    fn start(dir: &Path) -> Node {
        let addr = free_port();
        let quic = free_port();
        let mut command = match std::env::var_os("CRETOAI_NODE_BIN") {
            Some(bin) => Command::new(bin),
            None => {
                let mut c = Command::new(std::env::current_exe().unwrap());
                c.args(["node_process_entry", "--exact", "--nocapture"])
                    .env(NODE_ROLE_ENV, "1");
                c
            }
        };
        for var in ["CRETOAI_CONFIG", "CRETOAI_PEERS", "CRETOAI_MASTER_KEY"] {
            command.env_remove(var);
        }
        command
            .env("CRETOAI_LISTEN", addr.to_string())
            .env("CRETOAI_QUIC_LISTEN", quic.to_string())
            .env("CRETOAI_DATA_DIR", dir.join("node"))
            .env("CRETOAI_ROOT_TOKEN", NODE_TOKEN)
            .env("CRETOAI_LOG_LEVEL", "warn");
        let log = dir.join("node.log");
        let process = spawn_ready(command, addr, "/ready", &log);
        Node {
            addr,
            _process: process,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Poll the transaction's status until it is decided; returns the status.
    fn wait_decided(&self, tx_id: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        let path = format!("/v1/consensus/transactions/{tx_id}");
        loop {
            let (s, body) = http(self.addr, "GET", &path, Some(NODE_TOKEN), None).unwrap();
            assert_eq!(s, 200, "{body}");
            let status = body["status"].as_str().unwrap().to_string();
            if status != "pending" || Instant::now() > deadline {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn b64url_json(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// Rebuild, from the decision token alone (docs/authz-upgrade-path.md and
/// docs/formats-consensus.md), the id of the transaction that anchors it.
fn expected_tx_id(token: &str, sender_public_key: &[u8], nonce: u64) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let (header, claims) = (b64url_json(parts[0]), b64url_json(parts[1]));
    let token_hash = hex::encode(cretoai_crypto::hash::sha256(token.as_bytes()));
    let payload = format!(
        r#"{{"alg":"{}","iss":"{}","jti":"{}","token_sha256":"{}","type":"cretoai.authz.decision","v":1}}"#,
        header["alg"].as_str().unwrap(),
        claims["iss"].as_str().unwrap(),
        claims["jti"].as_str().unwrap(),
        token_hash
    );
    // version 1, level 2 (ML-DSA-65), sender key, nonce, u32 length, payload.
    let mut body = vec![1u8, 2u8];
    body.extend_from_slice(sender_public_key);
    body.extend_from_slice(&nonce.to_be_bytes());
    body.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    body.extend_from_slice(payload.as_bytes());
    hex::encode(cretoai_crypto::hash::sha256(&body))
}

fn anchor_to(url: String, token: &str) -> impl FnOnce(&mut cretoai_authz_sidecar::config::Config) {
    let token = token.to_string();
    move |c| {
        c.anchor.node_url = Some(url);
        c.anchor.token = Some(Secret::from(token));
    }
}

#[actix_web::test]
async fn pqc_decisions_are_anchored_accepted_and_bound_to_their_tokens() {
    let tmp = tempfile::tempdir().unwrap();
    let node = Node::start(tmp.path());
    let data = tmp.path().join("sidecar");
    let state = state_in(&data, anchor_to(node.url(), NODE_TOKEN));
    let app = app!(state);
    let (s, _) = set_mode!(app, "pqc");
    assert_eq!(s, 200);
    let (_, status) = call!(app, get, "/v1/anchor", None, None::<&str>);
    assert_eq!(status["enabled"], true);
    let sender = STANDARD
        .decode(status["sender"]["public_key"].as_str().unwrap())
        .unwrap();
    assert_eq!(sender.len(), 1952, "ML-DSA-65 public key");

    let mut nonces = Vec::new();
    for _ in 0..3 {
        let (s, answer) = check!(app, allowed_payment());
        assert_eq!(s, 200, "{answer}");
        assert_eq!(answer["signature"]["alg"], "ML-DSA-65");
        let meta = &answer["sidecar"];
        assert!(meta.get("anchor_error").is_none(), "{meta}");
        assert_eq!(meta["anchor_node"], node.url());
        assert_eq!(
            answer["metadata"]["engine"], "cedar",
            "engine metadata kept apart"
        );
        let tx_id = meta["anchor_tx_id"].as_str().unwrap();
        let nonce = meta["anchor_nonce"].as_u64().unwrap();
        let token = answer["decision_token"].as_str().unwrap();
        assert_eq!(tx_id, expected_tx_id(token, &sender, nonce));
        assert_eq!(node.wait_decided(tx_id), "accepted");
        nonces.push(nonce);
    }
    assert!(nonces.windows(2).all(|w| w[0] < w[1]), "{nonces:?}");
    let (_, status) = call!(app, get, "/v1/anchor", None, None::<&str>);
    assert_eq!(status["anchored"], 3);
    assert_eq!(status["samples"], 3);
    assert!(status["anchor_us"]["p95"].as_f64().unwrap() > 0.0);

    // A restart over the same data dir keeps the sender and never reuses a
    // nonce: the next anchor is accepted, not rejected as a conflict.
    drop(app);
    drop(state);
    let state = state_in(&data, anchor_to(node.url(), NODE_TOKEN));
    let app = app!(state);
    let (_, answer) = check!(app, allowed_payment());
    let meta = &answer["sidecar"];
    let nonce = meta["anchor_nonce"].as_u64().unwrap();
    assert!(nonce > *nonces.last().unwrap(), "{nonce} after {nonces:?}");
    let token = answer["decision_token"].as_str().unwrap();
    let tx_id = meta["anchor_tx_id"].as_str().unwrap();
    assert_eq!(tx_id, expected_tx_id(token, &sender, nonce));
    assert_eq!(node.wait_decided(tx_id), "accepted");

    // A token the node does not know: refused, the decision still signed.
    let (_dir, wrong) = state_with(anchor_to(node.url(), "not-the-node-token"));
    let app = app!(wrong);
    let (s, answer) = check!(app, allowed_payment());
    assert_eq!(s, 200, "{answer}");
    assert_eq!(answer["sidecar"]["anchor_error"], "node_refused");
    assert_eq!(answer["sidecar"]["anchor_error_detail"], "unauthorized");
    assert!(answer["sidecar"].get("anchor_tx_id").is_none());
}

#[actix_web::test]
async fn node_down_still_signs_and_reports_anchor_error() {
    let closed = free_port();
    let (_dir, state) = state_with(anchor_to(format!("http://{closed}"), NODE_TOKEN));
    let app = app!(state);
    set_mode!(app, "pqc");
    for _ in 0..2 {
        let (s, answer) = check!(app, allowed_payment());
        assert_eq!(s, 200, "{answer}");
        assert_eq!(answer["allowed"], true);
        let meta = &answer["sidecar"];
        assert_eq!(meta["anchor_error"], "node_unreachable", "{meta}");
        assert!(meta.get("anchor_tx_id").is_none());
        let (s, v) = verify!(app, answer["decision_token"].as_str().unwrap());
        assert_eq!((s, v["valid"].as_bool()), (200, Some(true)), "{v}");
    }
    let (_, status) = call!(app, get, "/v1/anchor", None, None::<&str>);
    assert_eq!(status["failed"]["node_unreachable"], 2);
    assert_eq!(status["anchored"], 0);
}

#[test]
fn binary_anchors_from_env_and_never_reuses_a_nonce_across_restarts() {
    let tmp = tempfile::tempdir().unwrap();
    let node = Node::start(tmp.path());
    let data = tmp.path().join("sidecar");
    let url = node.url();
    let env = [
        ("CRETOAI_AUTHZ_ANCHOR_NODE_URL", url.as_str()),
        ("CRETOAI_AUTHZ_ANCHOR_TOKEN", NODE_TOKEN),
        ("CRETOAI_AUTHZ_MODE", "pqc"),
        ("CRETOAI_ROOT_TOKEN", ROOT),
    ];
    let mut last_nonce = 0;
    for run in 0..2 {
        let addr = free_port();
        let sidecar = start_sidecar(&data, addr, &env);
        let (s, answer) = http(
            addr,
            "POST",
            "/v1/authorization/check",
            None,
            Some(&allowed_payment()),
        )
        .unwrap();
        assert_eq!(s, 200, "{answer}");
        let meta = &answer["sidecar"];
        let tx_id = meta["anchor_tx_id"]
            .as_str()
            .unwrap_or_else(|| panic!("{meta}"));
        let nonce = meta["anchor_nonce"].as_u64().unwrap();
        assert!(
            nonce > last_nonce,
            "run {run}: nonce {nonce} after {last_nonce}"
        );
        last_nonce = nonce;
        assert_eq!(node.wait_decided(tx_id), "accepted", "run {run}");
        let log = sidecar.log_text();
        assert!(
            !log.contains(NODE_TOKEN),
            "the anchor token is never logged"
        );
        assert!(log.contains("<redacted>"), "{log}");
    }
    let help = Command::new(env!("CARGO_BIN_EXE_cretoai-authz-sidecar"))
        .arg("--help")
        .env("CRETOAI_AUTHZ_ANCHOR_TOKEN", NODE_TOKEN)
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(help.contains("anchor"), "{help}");
    assert!(!help.contains(NODE_TOKEN), "--help hides the token's value");
}

#[actix_web::test]
async fn anchoring_off_leaves_answers_unchanged() {
    let (_dir, state) = state_with(|c| {
        c.anchor.node_url = Some("http://127.0.0.1:9".into());
        c.anchor.enabled = Some(false);
    });
    let app = app!(state);
    let (s, answer) = check!(app, allowed_payment());
    assert_eq!(s, 200);
    assert!(answer["sidecar"].get("anchor_node").is_none(), "{answer}");
    let (_, status) = call!(app, get, "/v1/anchor", None, None::<&str>);
    assert_eq!(status, json!({"enabled": false}));
}
