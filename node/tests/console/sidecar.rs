//! A real `cretoai-authz-sidecar` process for the console tests, serving HTTPS with a
//! certificate from the cluster's CA and trusting that CA for its anchoring calls.

use crate::harness::{self, Authority, TOKEN};
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

/// Starts a sidecar whose admin token is the harness token, with a certificate from
/// `authority`, anchoring decisions at `anchor_node` (verified against that CA), and waits
/// until it is ready.
pub fn start_sidecar(authority: &Authority, anchor_node: &str) -> Sidecar {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = authority.issue(&dir.path().join("cluster-tls"));
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
        .env("CRETOAI_TLS_CERT", cert)
        .env("CRETOAI_TLS_KEY", key)
        .env("CRETOAI_TLS_TRUST", authority.ca())
        .env("CRETOAI_LOG_LEVEL", "warn")
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .expect("sidecar starts");
    let url = format!("https://127.0.0.1:{port}");
    harness::wait(Duration::from_secs(30), "sidecar ready", || {
        authority
            .call(TOKEN, "GET", &format!("{url}/ready"), None)
            .is_some_and(|(s, _)| s == 200)
    });
    Sidecar {
        child,
        url,
        _dir: dir,
    }
}
