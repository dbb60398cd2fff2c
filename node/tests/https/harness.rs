//! A real `cretoai-node` process for the HTTPS tests: its own data dir, a chosen listen
//! address and flags, stderr kept in a file so a test can count the lines it logged.

use cretoai_tls::client::ClientTls;
use cretoai_tls::KeyExchangeGroup;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The root token every test node starts with.
pub const ROOT: &str = "https-test-root-token-0123456789";

/// A running node, killed on drop.
pub struct Node {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    /// Its data directory.
    pub data: PathBuf,
    stderr: PathBuf,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free on every interface.
pub fn free_port() -> u16 {
    TcpListener::bind("0.0.0.0:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary with no `CRETOAI_*` variable inherited.
pub fn node_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cretoai-node"));
    for (key, _) in std::env::vars() {
        if key.starts_with("CRETOAI_") {
            command.env_remove(key);
        }
    }
    command
}

impl Node {
    /// Starts the node on `ip:port` with `args` and waits until it accepts connections.
    pub fn start(data: &Path, ip: &str, port: u16, args: &[&str]) -> Node {
        let stderr = data.with_extension(format!("{port}.log"));
        let log = std::fs::File::create(&stderr).unwrap();
        let child = node_command()
            .arg("--listen")
            .arg(format!("{ip}:{port}"))
            .arg("--data-dir")
            .arg(data)
            .args(args)
            .env("CRETOAI_ROOT_TOKEN", ROOT)
            .env("CRETOAI_LOG_LEVEL", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the binary starts");
        let mut node = Node {
            child,
            port,
            data: data.to_path_buf(),
            stderr,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "node did not come up on {port}");
            assert!(
                node.child.try_wait().unwrap().is_none(),
                "node exited early:\n{}",
                node.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        node
    }

    /// Everything the node logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// The generated CA.
    pub fn ca(&self) -> PathBuf {
        self.data.join("tls").join("ca.pem")
    }

    /// `https://127.0.0.1:<port>`.
    pub fn https(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn http(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Whether the process still runs.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

/// A client trusting `ca` and offering only `groups` (all of CretoAI's when empty).
pub fn client(ca: &Path, groups: &[KeyExchangeGroup]) -> ureq::Agent {
    cretoai_tls::agent::https(&ClientTls::trusting(ca).unwrap().groups(groups))
}

/// `GET url` with the root token: status and body (`None` if no HTTP answer came).
pub fn get(agent: &ureq::Agent, url: &str) -> Option<(u16, String)> {
    let mut response = agent
        .get(url)
        .header("authorization", format!("Bearer {ROOT}"))
        .call()
        .ok()?;
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().ok()?;
    Some((status, body))
}

/// `GET /v1/sys/connection` as JSON.
pub fn connection(agent: &ureq::Agent, base: &str) -> serde_json::Value {
    let (status, body) =
        get(agent, &format!("{base}/v1/sys/connection")).expect("the node answers");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}
