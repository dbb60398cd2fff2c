//! The console in a real browser: three real `cretoai-node` processes and a real
//! `cretoai-authz-sidecar` (started here with the cluster test harness), and a WebDriver script
//! (`tests/browser/console.py`, Selenium and headless Chromium) that asserts what a person sees
//! and saves a screenshot of each panel.
//!
//! It runs only when `CRETOAI_BROWSER_PYTHON` names a Python with Selenium (scripts/console-test.sh
//! sets one up, with Chromium and its driver); in a plain `cargo test` it returns at once.
//! `CRETOAI_CONSOLE_SCREENSHOTS` is where the screenshots go (default: a temporary directory);
//! `CRETOAI_CONSOLE_LOAD_BENCH` names a `cretoai-bench` binary to also measure the time to a
//! fully rendered page while it loads the cluster.

#[path = "cluster/harness.rs"]
mod harness;

use harness::{get, serial, Cluster, TOKEN};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The sidecar process, killed on drop.
struct Sidecar {
    child: Child,
    url: String,
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

fn start_sidecar(anchor_node: &str) -> Sidecar {
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

#[test]
fn the_console_in_a_real_browser() {
    let Ok(python) = std::env::var("CRETOAI_BROWSER_PYTHON") else {
        eprintln!("skipped: CRETOAI_BROWSER_PYTHON is not set (scripts/console-test.sh sets it)");
        return;
    };
    let _guard = serial();
    // The nodes inherit this: it is the sidecar's admin token, for switching its mode.
    std::env::set_var("CRETOAI_AUTHZ_SIDECAR_TOKEN", TOKEN);
    let mut cluster = Cluster::configure(3);
    let anchor_node = format!("http://{}", cluster.nodes[0].http);
    let sidecar = start_sidecar(&anchor_node);
    for node in &mut cluster.nodes {
        node.args = vec!["--authz-sidecar-url".into(), sidecar.url.clone()];
        node.start();
    }
    for i in 0..3 {
        cluster.wait_ready(i);
    }
    let screenshots = std::env::var("CRETOAI_CONSOLE_SCREENSHOTS").map_or_else(
        |_| std::env::temp_dir().join("cretoai-console-screenshots"),
        PathBuf::from,
    );
    let urls: Vec<String> = cluster
        .nodes
        .iter()
        .map(|n| format!("http://{}", n.http))
        .collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/console.py");
    let mut cmd = Command::new(python);
    cmd.arg(script)
        .args(["--nodes", &urls.join(",")])
        .args(["--token", TOKEN])
        .args(["--screenshots", screenshots.to_str().unwrap()]);
    if let Ok(bench) = std::env::var("CRETOAI_CONSOLE_LOAD_BENCH") {
        cmd.args(["--load-bench", &bench]);
    }
    let status = cmd.status().expect("python runs");
    if !status.success() {
        let logs: Vec<String> = cluster
            .nodes
            .iter()
            .map(|n| format!("--- node {} ---\n{}", &n.id[..8], n.log_tail()))
            .collect();
        panic!("the browser suite failed ({status})\n{}", logs.join("\n"));
    }
}
