//! The console in a real browser: three real `cretoai-node` processes and a real
//! `cretoai-authz-sidecar` (started here with the cluster test harness), all serving HTTPS with
//! certificates from one cluster CA, and a WebDriver script (`tests/browser/console.py`,
//! Selenium and headless Chromium trusting that CA through an NSS database) that asserts what a
//! person sees, the post-quantum connection included, and saves a screenshot of each panel.
//!
//! It runs only when `CRETOAI_BROWSER_PYTHON` names a Python with Selenium (scripts/console-test.sh
//! sets one up, with Chromium and its driver); in a plain `cargo test` it returns at once.
//! `CRETOAI_CONSOLE_SCREENSHOTS` is where the screenshots go (default: a temporary directory);
//! `CRETOAI_CONSOLE_LOAD_BENCH` names a `cretoai-bench` binary to also measure the time to a
//! fully rendered page while it loads the cluster, and `CRETOAI_CONSOLE_LOAD_JSON` a file for
//! those figures.
//!
//! The same cluster also plays the narrated demo video (`tests/browser/video.py`), in an ignored
//! test that scripts/make-video.sh runs with `--ignored`: one cluster launcher for both.

#[path = "cluster/harness.rs"]
mod harness;
#[path = "console/sidecar.rs"]
mod sidecar;

use harness::{serial, Cluster, NodeProc, TOKEN};
use sidecar::start_sidecar;
use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_console_in_a_real_browser() {
    let mut extra = Vec::new();
    if let Ok(bench) = std::env::var("CRETOAI_CONSOLE_LOAD_BENCH") {
        extra = vec!["--load-bench".to_string(), bench];
        if let Ok(json) = std::env::var("CRETOAI_CONSOLE_LOAD_JSON") {
            extra.extend(["--load-json".to_string(), json]);
        }
    }
    let screenshots = std::env::var("CRETOAI_CONSOLE_SCREENSHOTS").map_or_else(
        |_| std::env::temp_dir().join("cretoai-console-screenshots"),
        PathBuf::from,
    );
    extra.extend([
        "--screenshots".to_string(),
        screenshots.display().to_string(),
    ]);
    if std::env::var_os("CRETOAI_BROWSER_PYTHON").is_none() {
        eprintln!("skipped: CRETOAI_BROWSER_PYTHON is not set (scripts/console-test.sh sets it)");
        return;
    }
    run_in_browser("console.py", &extra);
}

/// The demo video: video.py reads where to write and which cut from its own environment
/// (scripts/make-video.sh sets it), so nothing video-specific passes through here.
#[test]
#[ignore = "renders the demo video; scripts/make-video.sh runs it"]
fn the_demo_video() {
    run_in_browser("video.py", &[]);
}

/// Starts three real nodes and a real sidecar over HTTPS, then runs a script of tests/browser
/// against them with `--nodes`, `--token` and `--ca` (the cluster CA); on failure, panics with
/// the nodes' log tails.
fn run_in_browser(script: &str, extra: &[String]) {
    let Ok(python) = std::env::var("CRETOAI_BROWSER_PYTHON") else {
        eprintln!("skipped: CRETOAI_BROWSER_PYTHON is not set (scripts/console-test.sh sets it)");
        return;
    };
    let _guard = serial();
    // The nodes inherit this: it is the sidecar's admin token, for switching its mode.
    std::env::set_var("CRETOAI_AUTHZ_SIDECAR_TOKEN", TOKEN);
    let mut cluster = Cluster::configure(3);
    let sidecar = start_sidecar(&cluster.authority, &cluster.nodes[0].url());
    for node in &mut cluster.nodes {
        node.args
            .extend(["--authz-sidecar-url".into(), sidecar.url.clone()]);
        node.start();
    }
    for i in 0..3 {
        cluster.wait_ready(i);
    }
    let urls: Vec<String> = cluster.nodes.iter().map(NodeProc::url).collect();
    let script = format!("{}/tests/browser/{script}", env!("CARGO_MANIFEST_DIR"));
    let status = Command::new(python)
        .arg(script)
        .args(["--nodes", &urls.join(",")])
        .args(["--token", TOKEN])
        .arg("--ca")
        .arg(cluster.authority.ca())
        .args(extra)
        .status()
        .expect("python runs");
    if !status.success() {
        let logs: Vec<String> = cluster
            .nodes
            .iter()
            .map(|n| format!("--- node {} ---\n{}", &n.id[..8], n.log_tail()))
            .collect();
        panic!("the browser script failed ({status})\n{}", logs.join("\n"));
    }
}
