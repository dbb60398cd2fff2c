//! Multi-process harness: real `cretoai-node` processes on 127.0.0.1 with their own ports and
//! data dirs, serving HTTPS with certificates from one test CA per cluster (issued by
//! `cretoai-node issue-certificate`, as docker-compose's init step does), the shared client
//! (`cretoai_tls::agent`) trusting that CA, and polling waits with timeouts.

#![allow(dead_code)]

use cretoai_consensus::{Limits, Transaction};
use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
use cretoai_tls::client::ClientTls;
use serde_json::{json, Value};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
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

/// One CA for a cluster and the processes around it, and the client that trusts it.
pub struct Authority {
    dir: TempDir,
    agent: OnceLock<ureq::Agent>,
}

impl Authority {
    /// A CA directory; the CA itself is created by the first [`Authority::issue`].
    pub fn new() -> Arc<Authority> {
        Arc::new(Authority {
            dir: tempfile::tempdir().unwrap(),
            agent: OnceLock::new(),
        })
    }

    fn ca_dir(&self) -> PathBuf {
        self.dir.path().join("ca")
    }

    /// The CA certificate (PEM) clients trust.
    pub fn ca(&self) -> PathBuf {
        self.ca_dir().join("ca.pem")
    }

    /// Issues a server certificate for localhost and 127.0.0.1 into `out` (server.pem,
    /// server.key, ca.pem) with `cretoai-node issue-certificate`, creating the CA first if
    /// needed; answers the certificate and key paths.
    pub fn issue(&self, out: &Path) -> (PathBuf, PathBuf) {
        let done = Command::new(binary())
            .arg("issue-certificate")
            .arg("--ca-dir")
            .arg(self.ca_dir())
            .arg("--out")
            .arg(out)
            .env("CRETOAI_LOG_LEVEL", "warn")
            .env_remove("CRETOAI_TLS_SAN")
            .output()
            .expect("cretoai-node runs");
        assert!(done.status.success(), "issue-certificate failed: {done:?}");
        (out.join("server.pem"), out.join("server.key"))
    }

    /// The shared client, trusting this CA only (call after the first [`Authority::issue`]).
    pub fn agent(&self) -> &ureq::Agent {
        self.agent.get_or_init(|| {
            let tls = ClientTls::trusting(&self.ca()).expect("the CA was issued");
            cretoai_tls::agent::https(&tls)
        })
    }

    /// One request to `url` with `token`; JSON in, JSON (or the text as a JSON string) out.
    /// `None` when no HTTP answer came (not listening yet, handshake failed).
    pub fn call(
        &self,
        token: &str,
        method: &str,
        url: &str,
        body: Option<&Value>,
    ) -> Option<(u16, Value)> {
        let payload = body.map(Value::to_string);
        let (status, text) = cretoai_tls::agent::exchange(
            self.agent(),
            method,
            url,
            Some(token),
            payload.as_deref(),
        )?;
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Some((status, json))
    }
}

/// One node process (restartable on the same ports and data dir).
pub struct NodeProc {
    /// Hex node id.
    pub id: String,
    /// HTTPS address.
    pub http: SocketAddr,
    /// QUIC address.
    pub quic: SocketAddr,
    /// `<id>@<quic>` of the peers it is configured with.
    pub peers: Vec<String>,
    /// Extra command-line flags.
    pub args: Vec<String>,
    /// The CA its certificate comes from.
    pub authority: Arc<Authority>,
    dir: TempDir,
    child: Option<Child>,
    starts: u32,
}

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_cretoai-node")
}

impl NodeProc {
    /// A node with a CA of its own: [`NodeProc::with_authority`].
    pub fn new() -> Self {
        Self::with_authority(Authority::new())
    }

    /// Creates the data dir, the identity (via `cretoai-node identity`) and a server
    /// certificate from `authority`.
    pub fn with_authority(authority: Arc<Authority>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(binary())
            .args(["--data-dir", dir.path().to_str().unwrap(), "identity"])
            .env("CRETOAI_LOG_LEVEL", "warn")
            .output()
            .expect("cretoai-node runs");
        assert!(out.status.success(), "identity failed: {out:?}");
        let id = String::from_utf8(out.stdout).unwrap().trim().to_string();
        assert_eq!(id.len(), 64, "node id is 64 hex digits: {id}");
        authority.issue(&dir.path().join("cluster-tls"));
        NodeProc {
            id,
            http: free_tcp(),
            quic: free_udp(),
            peers: Vec::new(),
            args: Vec::new(),
            authority,
            dir,
            child: None,
            starts: 0,
        }
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.http)
    }

    /// `<id>@<quic address>`, the peer form.
    pub fn peer_text(&self) -> String {
        format!("{}@{}", self.id, self.quic)
    }

    /// Its data directory (database, identity, certificates, log).
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
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
        // A node with peers needs a cluster key; one not given a cluster's gets its own.
        if !self.peers.is_empty() && !self.args.iter().any(|a| a == "--cluster-key-file") {
            let own = self.dir.path().join("cluster.key");
            if !own.exists() {
                let key = cretoai_crypto::random::array::<32>();
                std::fs::write(&own, base64_encode(&key)).unwrap();
            }
            cmd.arg("--cluster-key-file").arg(own);
        }
        // HTTPS with the cluster CA's certificate; the relay to a sidecar trusts that CA only.
        let tls = self.dir.path().join("cluster-tls");
        cmd.arg("--tls-cert")
            .arg(tls.join("server.pem"))
            .arg("--tls-key")
            .arg(tls.join("server.key"))
            .arg("--tls-trust")
            .arg(self.authority.ca());
        cmd.args(&self.args);
        cmd.env("CRETOAI_ROOT_TOKEN", TOKEN)
            .env("CRETOAI_LOG_LEVEL", "info,cretoai_node::http=warn")
            .env_remove("CRETOAI_PEERS")
            .env_remove("CRETOAI_CLUSTER_KEY_FILE")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log));
        self.child = Some(cmd.spawn().expect("node starts"));
        wait(Duration::from_secs(30), "HTTPS up", || {
            self.try_call(TOKEN, "GET", "/health", None)
                .is_some_and(|(s, _)| s == 200)
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

    /// One request with `token`; `None` when no HTTP answer came.
    pub fn try_call(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Option<(u16, Value)> {
        let url = format!("{}{path}", self.url());
        self.authority.call(token, method, &url, body)
    }

    /// One request with `token`; panics when no HTTP answer came.
    pub fn call(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        self.try_call(token, method, path, body)
            .unwrap_or_else(|| panic!("{method} {path}: no answer\n{}", self.log_tail()))
    }

    /// GET with the root token.
    pub fn get(&self, path: &str) -> (u16, Value) {
        self.call(TOKEN, "GET", path, None)
    }

    /// POST JSON with the root token.
    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.call(TOKEN, "POST", path, Some(body))
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
        let path = format!("/v1/consensus/transactions/{id}");
        let (status, body) = self.try_call(TOKEN, "GET", &path, None)?;
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

/// A cluster of `n` nodes, each configured with all the others, with one CA and one cluster
/// key.
pub struct Cluster {
    /// The nodes.
    pub nodes: Vec<NodeProc>,
    /// The CA of every node's certificate.
    pub authority: Arc<Authority>,
    /// The cluster key file every node is given (`--cluster-key-file`).
    pub cluster_key: PathBuf,
    /// Holds the cluster key file.
    key_dir: TempDir,
}

impl Cluster {
    /// Creates `n` fresh nodes, each configured with all the others and the same new cluster
    /// key (32 random bytes, standard base64), none started.
    pub fn configure(n: usize) -> Self {
        let authority = Authority::new();
        let key_dir = tempfile::tempdir().unwrap();
        let cluster_key = key_dir.path().join("cluster.key");
        let key = cretoai_crypto::random::array::<32>();
        std::fs::write(&cluster_key, base64_encode(&key)).unwrap();
        let mut nodes: Vec<NodeProc> = (0..n)
            .map(|_| NodeProc::with_authority(authority.clone()))
            .collect();
        let all: Vec<String> = nodes.iter().map(NodeProc::peer_text).collect();
        for node in &mut nodes {
            node.peers = all
                .iter()
                .filter(|p| !p.starts_with(&node.id))
                .cloned()
                .collect();
            node.args = vec![
                "--cluster-key-file".into(),
                cluster_key.to_str().unwrap().into(),
            ];
        }
        Cluster {
            nodes,
            authority,
            cluster_key,
            key_dir,
        }
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
