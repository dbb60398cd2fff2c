//! A real `cretoai-authz-sidecar` process for the console tests.

use crate::harness::{self, get, TOKEN};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The sidecar process, killed on drop.
pub struct Sidecar {
    child: Child,
    /// Its base URL.
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `cargo test --workspace` builds the sidecar next to the node binary.
fn sidecar_binary() -> PathBuf {
    let node = Path::new(env!("CARGO_BIN_EXE_cretoai-node"));
    let bin = node.with_file_name("cretoai-authz-sidecar");
    assert!(
        bin.exists(),
        "{} is missing: build the workspace first (cargo test --workspace --no-run)",
        bin.display()
    );
    bin
}

/// Starts a sidecar whose admin token is the harness token, anchoring decisions at
/// `anchor_node`, and waits until it is ready.
pub fn start_sidecar(anchor_node: &str) -> Sidecar {
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = std::fs::File::create(dir.path().join("sidecar.log")).unwrap();
    let child = Command::new(sidecar_binary())
        .env("CRETOAI_ROOT_TOKEN", TOKEN)
        .env("CRETOAI_LISTEN", format!("127.0.0.1:{port}"))
        .env("CRETOAI_DATA_DIR", dir.path().join("data"))
        .env("CRETOAI_AUTHZ_MODE", "classical")
        .env("CRETOAI_AUTHZ_ANCHOR_NODE_URL", anchor_node)
        .env("CRETOAI_AUTHZ_ANCHOR_TOKEN", TOKEN)
        .env("CRETOAI_LOG_LEVEL", "warn")
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .expect("sidecar starts");
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    harness::wait(Duration::from_secs(30), "sidecar ready", || {
        get(addr, "/ready").map(|(s, _)| s == 200).unwrap_or(false)
    });
    Sidecar {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    }
}
