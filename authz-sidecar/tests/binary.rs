//! The real binary on a free port with a temp data dir: it starts with no
//! config file, serves checks, keeps its keys across a restart, and prints a
//! generated admin token only on the first start.

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Sidecar(Child);

impl Drop for Sidecar {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A minimal HTTP/1.1 exchange; returns (status, JSON body).
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = String::new();
    s.read_to_string(&mut raw)?;
    let status = raw.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let json = raw
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    Ok((status, json))
}

fn start(data_dir: &std::path::Path, addr: SocketAddr) -> (Sidecar, std::path::PathBuf) {
    let log = data_dir.with_extension(format!("log-{}", addr.port()));
    let child = Command::new(env!("CARGO_BIN_EXE_cretoai-authz-sidecar"))
        .args(["--listen", &addr.to_string(), "--data-dir"])
        .arg(data_dir)
        .env_remove("CRETOAI_ROOT_TOKEN")
        .env_remove("CRETOAI_MASTER_KEY")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let sidecar = Sidecar(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok((200, _)) = http(addr, "GET", "/healthz", None) {
            return (sidecar, log);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "sidecar did not come up: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}

#[test]
fn binary_serves_checks_and_keeps_keys_across_restarts() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let addr = free_port();
    let (first, log) = start(&data, addr);
    let check = json!({
        "principal": {"id": "agent-7", "roles": ["payments-agent"], "attributes": {"transfer_limit": 5000, "currency": "EUR"}},
        "resource": {"kind": "Payment", "id": "p-1", "attributes": {"amount": 10, "currency": "EUR"}},
        "action": "payments:initiate", "context": {}
    });
    let (s, a) = http(addr, "POST", "/v1/authorization/check", Some(&check)).unwrap();
    assert_eq!((s, a["allowed"].as_bool()), (200, Some(true)), "{a}");
    let token = a["decision_token"].as_str().unwrap().to_string();
    let (_, jwks) = http(addr, "GET", "/.well-known/jwks.json", None).unwrap();
    drop(first);
    let first_log = std::fs::read_to_string(&log).unwrap();
    assert!(first_log.contains("generated admin token"), "{first_log}");
    assert!(!first_log.contains("material"));

    let addr = free_port();
    let (_second, log) = start(&data, addr);
    let (_, jwks_again) = http(addr, "GET", "/.well-known/jwks.json", None).unwrap();
    assert_eq!(jwks, jwks_again, "keys survive a restart");
    let (s, v) = http(
        addr,
        "POST",
        "/v1/tokens/verify",
        Some(&json!({"token": token})),
    )
    .unwrap();
    assert_eq!((s, v["valid"].as_bool()), (200, Some(true)), "{v}");
    let second_log = std::fs::read_to_string(&log).unwrap();
    assert!(
        !second_log.contains("generated admin token"),
        "the token is printed once"
    );
}
