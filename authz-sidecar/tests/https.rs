//! The sidecar over HTTPS with real processes: off loopback it serves HTTPS with generated
//! certificates (plain HTTP refused), reports each caller's own connection (post-quantum or
//! classical key exchange) at `GET /v1/sys/connection`, anchors decisions to a node over HTTPS
//! verified against the CA it was told to trust, fails to anchor (and says so) when the node's
//! certificate is not from that CA, and its `health` subcommand checks its own HTTPS listener.

mod common;

use common::{allowed_payment, free_port};
use cretoai_tls::client::ClientTls;
use cretoai_tls::KeyExchangeGroup;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NODE_ROLE_ENV: &str = "CRETOAI_SIDECAR_HTTPS_TEST_RUN_NODE";
const NODE_TOKEN: &str = "https-test-node-root-token";
const ROOT: &str = "https-test-sidecar-root-token";

/// The node, when this process was started as one; a no-op test otherwise.
#[test]
fn node_process_entry() {
    common::run_as_node_if_asked(NODE_ROLE_ENV);
}

struct Running {
    child: Child,
    log: PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns `command` (stderr to `log`) and waits until `GET url` over HTTPS, trusting the CA
/// file `ca` once it exists, answers 200.
fn spawn_https(mut command: Command, url: &str, ca: &Path, log: &Path) -> Running {
    let child = command
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let mut running = Running {
        child,
        log: log.to_path_buf(),
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        if ca.exists() {
            if let Ok(tls) = ClientTls::trusting(ca) {
                if let Ok(r) = cretoai_tls::agent::https(&tls).get(url).call() {
                    if r.status() == 200 {
                        return running;
                    }
                }
            }
        }
        assert!(
            running.child.try_wait().unwrap().is_none(),
            "exited: {}",
            std::fs::read_to_string(&running.log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "{url} never answered: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// A single-node cluster serving HTTPS (`CRETOAI_TLS`) on loopback.
fn start_node(dir: &Path) -> (Running, SocketAddr, PathBuf) {
    let addr = free_port();
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["node_process_entry", "--exact", "--nocapture"])
        .env(NODE_ROLE_ENV, "1");
    for (key, _) in std::env::vars() {
        if key.starts_with("CRETOAI_") {
            command.env_remove(key);
        }
    }
    let data = dir.join("node");
    command
        .env(NODE_ROLE_ENV, "1")
        .env("CRETOAI_LISTEN", addr.to_string())
        .env("CRETOAI_QUIC_LISTEN", free_port().to_string())
        .env("CRETOAI_DATA_DIR", &data)
        .env("CRETOAI_ROOT_TOKEN", NODE_TOKEN)
        .env("CRETOAI_TLS", "true")
        .env("CRETOAI_LOG_LEVEL", "warn");
    let ca = data.join("tls/ca.pem");
    let running = spawn_https(
        command,
        &format!("https://127.0.0.1:{}/ready", addr.port()),
        &ca,
        &dir.join("node.log"),
    );
    (running, addr, ca)
}

/// The sidecar binary on 0.0.0.0 (HTTPS by default) anchoring to `node`, trusting `trust`.
fn sidecar_command(data: &Path, port: u16, node: SocketAddr, trust: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cretoai-authz-sidecar"));
    for (key, _) in std::env::vars() {
        if key.starts_with("CRETOAI_") {
            command.env_remove(key);
        }
    }
    command
        .arg("--listen")
        .arg(format!("0.0.0.0:{port}"))
        .arg("--data-dir")
        .arg(data)
        .env("CRETOAI_ROOT_TOKEN", ROOT)
        .env("CRETOAI_AUTHZ_MODE", "pqc")
        .env(
            "CRETOAI_AUTHZ_ANCHOR_NODE_URL",
            format!("https://127.0.0.1:{}", node.port()),
        )
        .env("CRETOAI_AUTHZ_ANCHOR_TOKEN", NODE_TOKEN)
        .env("CRETOAI_TLS_TRUST", trust);
    command
}

fn check(agent: &ureq::Agent, port: u16) -> Value {
    let mut answer = agent
        .post(format!("https://127.0.0.1:{port}/v1/authorization/check"))
        .header("authorization", format!("Bearer {ROOT}"))
        .send_json(allowed_payment())
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    answer.body_mut().read_json().unwrap()
}

#[test]
fn the_sidecar_serves_https_and_anchors_over_verified_https() {
    let tmp = tempfile::tempdir().unwrap();
    let (_node, node_addr, node_ca) = start_node(tmp.path());
    let data = tmp.path().join("sidecar");
    let port = free_port().port();
    let sidecar_ca = data.join("tls/ca.pem");
    let sidecar = spawn_https(
        sidecar_command(&data, port, node_addr, &node_ca),
        &format!("https://127.0.0.1:{port}/healthz"),
        &sidecar_ca,
        &tmp.path().join("sidecar.log"),
    );
    let agent = cretoai_tls::agent::https(&ClientTls::trusting(&sidecar_ca).unwrap());
    let answer = check(&agent, port);
    let meta = &answer["sidecar"];
    assert!(
        meta["anchor_tx_id"]
            .as_str()
            .is_some_and(|id| id.len() == 64),
        "{meta}"
    );
    assert!(meta.get("anchor_error").is_none(), "{meta}");

    // Each caller sees its own connection: the hybrid group when offered, a classical one
    // reported as such.
    let connection = |agent: &ureq::Agent| -> Value {
        let url = format!("https://127.0.0.1:{port}/v1/sys/connection");
        let (status, body) = cretoai_tls::agent::exchange(agent, "GET", &url, None, None)
            .expect("the sidecar answers");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    };
    let seen = connection(&agent);
    assert_eq!(seen["transport"], "https", "{seen}");
    assert_eq!(seen["tls_version"], "TLSv1.3", "{seen}");
    assert_eq!(seen["key_exchange_group"], "X25519MLKEM768", "{seen}");
    assert_eq!(seen["post_quantum"], true, "{seen}");
    assert_eq!(seen["client_certificate"], false, "{seen}");
    let classical = ClientTls::trusting(&sidecar_ca)
        .unwrap()
        .groups(&[KeyExchangeGroup::X25519]);
    let seen = connection(&cretoai_tls::agent::https(&classical));
    assert_eq!(seen["key_exchange_group"], "X25519", "{seen}");
    assert_eq!(seen["post_quantum"], false, "{seen}");

    // Plain HTTP to the sidecar's port gets no answer.
    let plain = cretoai_tls::agent::plain()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .call();
    assert!(plain.is_err(), "plain HTTP answered");

    let health = Command::new(env!("CARGO_BIN_EXE_cretoai-authz-sidecar"))
        .arg("--listen")
        .arg(format!("0.0.0.0:{port}"))
        .arg("--data-dir")
        .arg(&data)
        .arg("health")
        .env_remove("CRETOAI_AUTHZ_ANCHOR_NODE_URL")
        .output()
        .unwrap();
    assert!(
        health.status.success(),
        "{}",
        String::from_utf8_lossy(&health.stderr)
    );
    drop(sidecar);
}

#[test]
fn a_node_certificate_from_another_ca_is_not_trusted() {
    let tmp = tempfile::tempdir().unwrap();
    let (_node, node_addr, _node_ca) = start_node(tmp.path());
    // The sidecar trusts a CA that did not issue the node's certificate: its own.
    let other = tmp.path().join("other");
    let names = ["localhost".to_string(), "127.0.0.1".to_string()];
    let issued = cretoai_tls::authority::ensure(&other, &names).unwrap();
    let data = tmp.path().join("sidecar");
    let port = free_port().port();
    let _sidecar = spawn_https(
        sidecar_command(&data, port, node_addr, &issued.ca),
        &format!("https://127.0.0.1:{port}/healthz"),
        &data.join("tls/ca.pem"),
        &tmp.path().join("sidecar.log"),
    );
    let agent = cretoai_tls::agent::https(&ClientTls::trusting(&data.join("tls/ca.pem")).unwrap());
    let answer = check(&agent, port);
    let meta = &answer["sidecar"];
    assert!(
        meta.get("anchor_tx_id").is_none_or(Value::is_null),
        "{meta}"
    );
    assert_eq!(meta["anchor_error"], "node_unreachable", "{meta}");
}
