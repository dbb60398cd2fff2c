//! Multi-process harness: real `cretoai-node` processes on 127.0.0.1 with their own ports and
//! data dirs, a minimal HTTP/1.1 client, and polling waits with timeouts.

#![allow(dead_code)]

use cretoai_consensus::{Limits, Transaction};
use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Root token every test node is started with.
pub const TOKEN: &str = "cluster-test-root-token-0123456789";

/// One cluster at a time: the processes share two cores.
static SERIAL: Mutex<()> = Mutex::new(());

/// Takes the harness lock (poisoning from an earlier failed test is ignored).
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn free_tcp() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn free_udp() -> SocketAddr {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// One node process (restartable on the same ports and data dir).
pub struct NodeProc {
    /// Hex node id.
    pub id: String,
    /// HTTP address.
    pub http: SocketAddr,
    /// QUIC address.
    pub quic: SocketAddr,
    /// `<id>@<quic>` of the peers it is configured with.
    pub peers: Vec<String>,
    /// Extra command-line flags.
    pub args: Vec<String>,
    dir: TempDir,
    child: Option<Child>,
    starts: u32,
}

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_cretoai-node")
}

impl NodeProc {
    /// Creates the data dir and the identity (via `cretoai-node identity`).
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(binary())
            .args(["--data-dir", dir.path().to_str().unwrap(), "identity"])
            .env("CRETOAI_LOG_LEVEL", "warn")
            .output()
            .expect("cretoai-node runs");
        assert!(out.status.success(), "identity failed: {out:?}");
        let id = String::from_utf8(out.stdout).unwrap().trim().to_string();
        assert_eq!(id.len(), 64, "node id is 64 hex digits: {id}");
        NodeProc {
            id,
            http: free_tcp(),
            quic: free_udp(),
            peers: Vec::new(),
            args: Vec::new(),
            dir,
            child: None,
            starts: 0,
        }
    }

    /// `<id>@<quic address>`, the peer form.
    pub fn peer_text(&self) -> String {
        format!("{}@{}", self.id, self.quic)
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("node.log")
    }

    /// Starts (or restarts) the process.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        self.starts += 1;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .unwrap();
        let mut cmd = Command::new(binary());
        cmd.args([
            "--data-dir",
            self.dir.path().to_str().unwrap(),
            "--listen",
            &self.http.to_string(),
            "--quic-listen",
            &self.quic.to_string(),
            "--workers",
            "1",
            "--crypto-threads",
            "1",
        ]);
        for p in &self.peers {
            cmd.args(["--peer", p]);
        }
        cmd.args(&self.args);
        cmd.env("CRETOAI_ROOT_TOKEN", TOKEN)
            .env("CRETOAI_LOG_LEVEL", "info,cretoai_node::http=warn")
            .env_remove("CRETOAI_PEERS")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log));
        self.child = Some(cmd.spawn().expect("node starts"));
        let http = self.http;
        wait(Duration::from_secs(30), "HTTP up", || {
            get(http, "/health").map(|(s, _)| s == 200).unwrap_or(false)
        });
    }

    /// `kill -9` and reap.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether the process runs.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// The tail of its log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(25)..].join("\n")
    }

    /// GET with the root token.
    pub fn get(&self, path: &str) -> (u16, Value) {
        get(self.http, path).expect("request")
    }

    /// POST JSON with the root token.
    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        request(self.http, "POST", path, Some(body)).expect("request")
    }

    /// Submits a pre-signed transaction; asserts 202 and returns the id.
    pub fn submit(&self, tx: &Transaction) -> String {
        let b64 = base64_encode(&tx.encode());
        let (status, body) =
            self.post("/v1/consensus/transactions", &json!({ "transaction": b64 }));
        assert_eq!(status, 202, "{body}");
        body["tx_id"].as_str().unwrap().to_string()
    }

    /// A transaction's status here (`None` if unknown).
    pub fn tx_status(&self, id: &str) -> Option<String> {
        let (status, body) = get(self.http, &format!("/v1/consensus/transactions/{id}")).ok()?;
        (status == 200).then(|| body["status"].as_str().unwrap_or("").to_string())
    }

    /// `GET /v1/consensus/status`.
    pub fn status(&self) -> Value {
        self.get("/v1/consensus/status").1
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A cluster of `n` nodes, each configured with all the others.
pub struct Cluster {
    /// The nodes.
    pub nodes: Vec<NodeProc>,
}

impl Cluster {
    /// Creates `n` fresh nodes, each configured with all the others, none started.
    pub fn configure(n: usize) -> Self {
        let mut nodes: Vec<NodeProc> = (0..n).map(|_| NodeProc::new()).collect();
        let all: Vec<String> = nodes.iter().map(NodeProc::peer_text).collect();
        for node in &mut nodes {
            node.peers = all
                .iter()
                .filter(|p| !p.starts_with(&node.id))
                .cloned()
                .collect();
        }
        Cluster { nodes }
    }

    /// Starts `n` nodes and waits until each runs consensus with all its peers connected.
    pub fn start(n: usize) -> Self {
        let mut cluster = Self::configure(n);
        for node in &mut cluster.nodes {
            node.start();
        }
        for i in 0..n {
            cluster.wait_ready(i);
        }
        cluster
    }

    /// Waits until node `i` runs consensus (whether or not every peer is connected).
    pub fn wait_active(&self, i: usize) {
        let node = &self.nodes[i];
        self.wait(Duration::from_secs(30), "node active", || {
            node.status()["active"] == true
        });
    }

    /// Waits until node `i` runs consensus and is connected to every peer.
    pub fn wait_ready(&self, i: usize) {
        let node = &self.nodes[i];
        self.wait(Duration::from_secs(30), "node ready", || {
            let s = node.status();
            s["active"] == true
                && s["peers"]
                    .as_array()
                    .is_some_and(|p| p.iter().all(|p| p["connected"] == true))
        });
    }

    /// Polls `cond` every 100 ms until it holds; panics with every node's log tail otherwise.
    pub fn wait(&self, timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if cond() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let logs: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("--- node {} ---\n{}", &n.id[..8], n.log_tail()))
            .collect();
        panic!(
            "timed out after {timeout:?} waiting for {what}\n{}",
            logs.join("\n")
        );
    }

    /// Waits until every running node reports `status` for `tx`.
    pub fn wait_status(&self, tx: &str, status: &str, timeout: Duration) {
        self.wait(timeout, &format!("{tx} {status} everywhere"), || {
            self.nodes
                .iter()
                .filter(|n| n.is_running())
                .all(|n| n.tx_status(tx).as_deref() == Some(status))
        });
    }
}

/// Polls `cond` every 100 ms until it holds or panics after `timeout`.
pub fn wait(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

/// A client key and transactions signed with it.
pub struct Client {
    key: SigningKey,
}

impl Client {
    /// A fresh ML-DSA-44 sender.
    pub fn new() -> Self {
        Client {
            key: SigningKey::generate(MlDsaLevel::MlDsa44).unwrap(),
        }
    }

    /// A transaction with `nonce` and `payload`.
    pub fn tx(&self, nonce: u64, payload: &[u8]) -> Transaction {
        Transaction::sign(&self.key, nonce, payload.to_vec(), &Limits::default()).unwrap()
    }
}

/// Standard base64.
pub fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// GET with the root token.
pub fn get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, Value)> {
    request(addr, "GET", path, None)
}

/// One HTTP/1.1 request (`Connection: close`) with the root token; JSON in and out.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let json = serde_json::from_str(body).unwrap_or(Value::String(body.to_string()));
    Ok((status, json))
}
