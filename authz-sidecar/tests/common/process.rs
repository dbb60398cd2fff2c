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

/// The sidecar binary's command line for `addr` over `data_dir`, with `env`
/// added to a clean sidecar environment (no root token, master key or anchoring).
fn sidecar_command(data_dir: &Path, addr: SocketAddr, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cretoai-authz-sidecar"));
    command
        .args(["--listen", &addr.to_string(), "--data-dir"])
        .arg(data_dir);
    for var in [
        "CRETOAI_ROOT_TOKEN",
        "CRETOAI_MASTER_KEY",
        "CRETOAI_AUTHZ_CONFIG",
        "CRETOAI_AUTHZ_MODE",
        "CRETOAI_AUTHZ_ANCHOR_NODE_URL",
        "CRETOAI_AUTHZ_ANCHOR_TOKEN",
        "CRETOAI_AUTHZ_ANCHOR_ENABLED",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command
}

/// The sidecar binary on `addr` over `data_dir`, started with `env` and
/// ready to serve.
pub fn start_sidecar(data_dir: &Path, addr: SocketAddr, env: &[(&str, &str)]) -> Process {
    let log = data_dir.with_extension(format!("log-{}", addr.port()));
    spawn_ready(sidecar_command(data_dir, addr, env), addr, "/healthz", &log)
}

/// Run the sidecar binary, expecting it to exit on its own within a minute;
/// returns its exit status and stderr. Panics (killing it) if it keeps running.
pub fn run_sidecar_to_exit(
    data_dir: &Path,
    addr: SocketAddr,
    env: &[(&str, &str)],
) -> (std::process::ExitStatus, String) {
    let log = data_dir.with_extension(format!("log-{}", addr.port()));
    let child = sidecar_command(data_dir, addr, env)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut process = Process { child, log };
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(status) = process.child.try_wait().unwrap() {
            return (status, process.log_text());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the sidecar kept running: {}", process.log_text());
}
