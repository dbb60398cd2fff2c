//! Starting a `cretoai-node` process for a load run, on a free port with a scratch data dir.

use crate::http_client::Connection;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A node process that is killed (and its data dir removed) when dropped.
pub struct NodeProcess {
    child: Child,
    /// `host:port` of its HTTP API.
    pub addr: String,
    data_dir: PathBuf,
}

impl NodeProcess {
    /// Starts `binary` with `root_token` and waits until `/ready` answers 200.
    pub async fn start(binary: &Path, root_token: &str) -> std::io::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let addr = format!("127.0.0.1:{port}");
        let data_dir =
            std::env::temp_dir().join(format!("cretoai-bench-{}-{port}", std::process::id()));
        let child = Command::new(binary)
            .args(["--listen", &addr, "--data-dir"])
            .arg(&data_dir)
            .env("CRETOAI_ROOT_TOKEN", root_token)
            .env("CRETOAI_LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        let node = Self {
            child,
            addr,
            data_dir,
        };
        node.wait_ready(Duration::from_secs(30)).await?;
        Ok(node)
    }

    async fn wait_ready(&self, limit: Duration) -> std::io::Result<()> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(mut c) = Connection::connect(&self.addr).await {
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
