//! Starting a `cretoai-node` process for a load run, on a free port with a scratch data dir.

use crate::http_client::Endpoint;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A node process that is killed (and its data dir removed) when dropped.
pub struct NodeProcess {
    child: Child,
    /// `host:port` of its HTTP API.
    pub addr: String,
    /// How to reach it: HTTPS (trusting its generated CA) when started with TLS.
    pub endpoint: Endpoint,
    data_dir: PathBuf,
}

impl NodeProcess {
    /// Starts `binary` with `root_token` and waits until `/ready` answers 200.
    pub async fn start(binary: &Path, root_token: &str) -> std::io::Result<Self> {
        Self::start_with(binary, root_token, false).await
    }

    /// Like [`NodeProcess::start`]; with `tls` the node serves HTTPS (`--tls`, generated
    /// certificates) and [`NodeProcess::endpoint`] trusts its CA, X25519MLKEM768 first.
    pub async fn start_with(binary: &Path, root_token: &str, tls: bool) -> std::io::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let addr = format!("127.0.0.1:{port}");
        let data_dir =
            std::env::temp_dir().join(format!("cretoai-bench-{}-{port}", std::process::id()));
        let child = Command::new(binary)
            .args(["--listen", &addr, "--data-dir"])
            .arg(&data_dir)
            .args(if tls { &["--tls"][..] } else { &[][..] })
            .env("CRETOAI_ROOT_TOKEN", root_token)
            .env("CRETOAI_LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        let mut node = Self {
            child,
            endpoint: Endpoint::plain(&addr),
            addr,
            data_dir,
        };
        if tls {
            node.endpoint.tls = Some(node.trust(Duration::from_secs(30)).await?);
        }
        node.wait_ready(Duration::from_secs(30)).await?;
        Ok(node)
    }

    /// The node writes its CA before it listens; read it once it is there.
    async fn trust(&self, limit: Duration) -> std::io::Result<Arc<rustls::ClientConfig>> {
        let ca = self.data_dir.join("tls").join("ca.pem");
        let start = Instant::now();
        while !ca.exists() && start.elapsed() < limit {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let config = cretoai_tls::client::ClientTls::trusting(&ca)
            .and_then(|c| c.config())
            .map_err(std::io::Error::other)?;
        Ok(Arc::new(config))
    }

    /// The node's generated CA (when started with TLS).
    pub fn ca(&self) -> PathBuf {
        self.data_dir.join("tls").join("ca.pem")
    }

    async fn wait_ready(&self, limit: Duration) -> std::io::Result<()> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(mut c) = self.endpoint.connect().await {
                if matches!(c.request("GET", "/ready", None, None).await, Ok(r) if r.status == 200)
                {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "node did not become ready",
        ))
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}
