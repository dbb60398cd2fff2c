//! Starts the real `cretoai-node` binary on a free port with a temp data dir, talks to it over
//! a real socket, runs `scripts/api-examples.sh` against it (needs bash, curl, jq), then kills
//! it and starts it again on the same data to check that keys and tokens survived.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Running {
    child: Child,
    addr: String,
    printed_root: Option<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(data_dir: &Path) -> Running {
    let addr = format!("127.0.0.1:{}", free_port());
    let mut command = Command::new(env!("CARGO_BIN_EXE_cretoai-node"));
    for (key, _) in std::env::vars() {
        if key.starts_with("CRETOAI_") {
            command.env_remove(key);
        }
    }
    let mut child = command
        .args(["--listen", &addr, "--data-dir"])
        .arg(data_dir)
        .env("CRETOAI_LOG_LEVEL", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    // The root token line, if any, is printed before the server starts listening.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(token) = line
                .split(": ")
                .nth(1)
                .filter(|_| line.contains("root token"))
            {
                let _ = tx.send(token.trim().to_string());
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while request(&addr, "GET", "/health", None, "").is_none() {
        assert!(Instant::now() < deadline, "node did not come up on {addr}");
        assert!(child.try_wait().unwrap().is_none(), "node exited early");
        std::thread::sleep(Duration::from_millis(50));
    }
    let printed_root = rx.recv_timeout(Duration::from_millis(200)).ok();
    Running {
        child,
        addr,
        printed_root,
    }
}

/// One request through the shared test client (`cretoai_tls::agent`): (status, body), or None
/// if no HTTP answer came.
fn request(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> Option<(u16, String)> {
    let body = (!body.is_empty() || method == "POST").then_some(body);
    cretoai_tls::agent::exchange(
        &cretoai_tls::agent::plain(),
        method,
        &format!("http://{addr}{path}"),
        token,
        body,
    )
}

#[test]
fn the_binary_serves_the_api_and_keeps_its_data_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let (root, addr) = {
        let node = start(dir.path());
        let root = node
            .printed_root
            .clone()
            .expect("first start prints a root token");
        let addr = node.addr.clone();

        let (status, body) = request(&addr, "GET", "/v1/keys", None, "").unwrap();
        assert_eq!(status, 401, "{body}");
        assert!(body.contains("\"unauthorized\""));
        let (status, body) = request(
            &addr,
            "POST",
            "/v1/keys",
            Some(&root),
            r#"{"name":"kept","type":"ml-dsa-44"}"#,
        )
        .unwrap();
        assert_eq!(status, 201, "{body}");
        let (status, body) = request(
            &addr,
            "POST",
            "/v1/sign",
            Some(&root),
            r#"{"key":"kept","message":"aGk="}"#,
        )
        .unwrap();
        assert_eq!(status, 200, "{body}");

        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/api-examples.sh");
        let output = Command::new("bash")
            .arg(script)
            .env("BASE", format!("http://{addr}"))
            .env("TOKEN", &root)
            .output()
            .expect("bash runs the examples script");
        assert!(
            output.status.success(),
            "api-examples.sh failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(String::from_utf8_lossy(&output.stdout).contains("all examples passed"));
        (root, addr)
        // Dropping `node` kills the process without a clean shutdown.
    };
    let _ = addr;

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("master.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let node = start(dir.path());
    assert_eq!(
        node.printed_root, None,
        "the root token is printed only once"
    );
    let (status, body) = request(&node.addr, "GET", "/v1/keys/kept", Some(&root), "").unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"ml-dsa-44\""));
}

#[test]
fn help_explains_every_flag() {
    let output = Command::new(env!("CARGO_BIN_EXE_cretoai-node"))
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--listen",
        "--data-dir",
        "--config",
        "--max-body-bytes",
        "--log-level",
        "CRETOAI_ROOT_TOKEN",
        "CRETOAI_MASTER_KEY",
    ] {
        assert!(
            text.contains(flag),
            "--help does not mention {flag}:\n{text}"
        );
    }
}
