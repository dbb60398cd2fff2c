//! Starting a local cluster of `cretoai-node` processes for a bench run, and waiting until it is
//! active.
//!
//! Each node gets a fresh data dir, free 127.0.0.1 HTTP and QUIC ports, every other node as a
//! peer and one shared cluster key (named keys, secrets and tokens replicate under it). The
//! nodes serve plain HTTP.

use crate::http_client::Endpoint;
use serde_json::Value;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Boxed errors: a bench only reports them.
pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// A local node process, killed (and its data dir removed) when dropped.
pub struct LocalNode {
    child: Child,
    /// `host:port` of its HTTP API (plain HTTP).
    pub http: String,
    dir: PathBuf,
}

impl LocalNode {
    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How to reach its HTTP API.
    pub fn endpoint(&self) -> Endpoint {
        Endpoint::plain(&self.http)
    }
}

impl Drop for LocalNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts `n` nodes configured as one cluster on free 127.0.0.1 ports, with `token` as their
/// root token. It returns once the processes run; [`wait_active`] waits for the cluster.
pub fn start(bin: &Path, n: usize, token: &str) -> Result<Vec<LocalNode>> {
    let run = std::process::id();
    let mut specs = Vec::new();
    for i in 0..n {
        let dir = std::env::temp_dir().join(format!("cretoai-cluster-bench-{run}-{i}"));
        std::fs::create_dir_all(&dir)?;
        let out = Command::new(bin)
            .arg("--data-dir")
            .arg(&dir)
            .arg("identity")
            .output()?;
        if !out.status.success() {
            return Err(format!("{} identity failed: {out:?}", bin.display()).into());
        }
        let id = String::from_utf8(out.stdout)?.trim().to_string();
        let http = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let quic = UdpSocket::bind("127.0.0.1:0")?.local_addr()?;
        specs.push((dir, id, http, quic));
    }
    // Kept in the first node's directory, so it goes with it.
    let cluster_key = specs[0].0.join("cluster.key");
    let key: [u8; 32] = cretoai_crypto::random::array();
    std::fs::write(
        &cluster_key,
        base64::engine::Engine::encode(&base64::engine::general_purpose::STANDARD, key),
    )?;
    let mut nodes = Vec::new();
    for (i, (dir, _, http, quic)) in specs.iter().enumerate() {
        let mut cmd = Command::new(bin);
        cmd.arg("--data-dir")
            .arg(dir)
            .arg("--cluster-key-file")
            .arg(&cluster_key)
            .args([
                "--listen",
                &http.to_string(),
                "--quic-listen",
                &quic.to_string(),
            ]);
        for (j, (_, id, _, q)) in specs.iter().enumerate() {
            if i != j {
                cmd.args(["--peer", &format!("{id}@{q}")]);
            }
        }
        let child = cmd
            .env("CRETOAI_ROOT_TOKEN", token)
            .env("CRETOAI_LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        nodes.push(LocalNode {
            child,
            http: http.to_string(),
            dir: dir.clone(),
        });
    }
    Ok(nodes)
}

/// GETs `path` on a new connection: the status and the JSON answer (`Null` if it is not JSON).
pub async fn get_json(node: &Endpoint, token: &str, path: &str) -> Result<(u16, Value)> {
    let mut c = node.connect().await?;
    let r = c.request("GET", path, Some(token), None).await?;
    Ok((
        r.status,
        serde_json::from_slice(&r.body).unwrap_or(Value::Null),
    ))
}

/// Waits (up to 60 s) until every node reports its consensus `active`.
pub async fn wait_active(addrs: &[Endpoint], token: &str) -> Result<()> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        let mut all = true;
        for a in addrs {
            let ok = match get_json(a, token, "/v1/consensus/status").await {
                Ok((200, s)) => s["active"] == true,
                _ => false,
            };
            all &= ok;
        }
        if all {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err("cluster did not become active within 60 s".into())
}
