//! Real processes for integration tests: the sidecar binary, and anything
//! else that serves HTTP on a local port. Killed when dropped.

use super::http;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process, killed and reaped on drop.
pub struct Process {
    child: Child,
    /// Its stderr.
    pub log: PathBuf,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Process {
    /// What the process wrote to stderr so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Spawn `command` (stderr to `log`) and wait until `GET ready_path` on
/// `addr` answers 200.
pub fn spawn_ready(
    mut command: Command,
    addr: SocketAddr,
    ready_path: &str,
    log: &Path,
) -> Process {
    let child = command
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let process = Process {
        child,
        log: log.to_path_buf(),
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        if let Ok((200, _)) = http(addr, "GET", ready_path, None, None) {
            return process;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "{ready_path} on {addr} never answered 200: {}",
        process.log_text()
    );
}

/// The sidecar binary on `addr` over `data_dir`, with `env` added to a
/// clean sidecar environment (no root token, master key or anchoring).
pub fn start_sidecar(data_dir: &Path, addr: SocketAddr, env: &[(&str, &str)]) -> Process {
    let log = data_dir.with_extension(format!("log-{}", addr.port()));
    let mut command = Command::new(env!("CARGO_BIN_EXE_cretoai-authz-sidecar"));
    command
        .args(["--listen", &addr.to_string(), "--data-dir"])
        .arg(data_dir);
    for var in [
        "CRETOAI_ROOT_TOKEN",
        "CRETOAI_MASTER_KEY",
        "CRETOAI_AUTHZ_CONFIG",
        "CRETOAI_AUTHZ_ANCHOR_NODE_URL",
        "CRETOAI_AUTHZ_ANCHOR_TOKEN",
        "CRETOAI_AUTHZ_ANCHOR_ENABLED",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    spawn_ready(command, addr, "/healthz", &log)
}
