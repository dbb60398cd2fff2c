//! The vault against the real `cretoai-node` binary: acknowledged writes survive `kill -9`,
//! the stopped node's database file holds no plaintext value or data key, and a record edited
//! in the file breaks audit verification at that record.

use cretoai_node::keys::key_ring::{KeyMaterial, NamedKey};
use cretoai_node::master_key::MasterKey;
use cretoai_node::store::vault::VaultTxn;
use cretoai_node::store::{audit, Store, DB_FILE};
use cretoai_node::vault::sealed::SealedVersion;
use cretoai_node::vault::VAULT_KEY;
use redb::ReadableTable;
use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ROOT: &str = "vault-binary-test-root-token";

struct Running {
    child: Child,
    addr: String,
}

impl Running {
    /// SIGKILL: no shutdown code runs.
    fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    fn call(&self, method: &str, path: &str, body: &Value) -> (u16, Value) {
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let (status, text) = request(&self.addr, method, path, &body)
            .unwrap_or_else(|| panic!("{method} {path} failed"));
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data_dir: &Path) -> Running {
    let addr = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().to_string()
    };
    let mut command = Command::new(env!("CARGO_BIN_EXE_cretoai-node"));
    for (key, _) in std::env::vars() {
        if key.starts_with("CRETOAI_") {
            command.env_remove(key);
        }
    }
    let mut child = command
        .args(["--listen", &addr, "--workers", "2", "--data-dir"])
        .arg(data_dir)
        .env("CRETOAI_ROOT_TOKEN", ROOT)
        .env("CRETOAI_LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while request(&addr, "GET", "/health", "").is_none() {
        assert!(Instant::now() < deadline, "node did not come up on {addr}");
        assert!(child.try_wait().unwrap().is_none(), "node exited early");
        std::thread::sleep(Duration::from_millis(50));
    }
    Running { child, addr }
}

/// One request with the root token through the shared test client (`cretoai_tls::agent`):
/// (status, body), or None if no HTTP answer came.
fn request(addr: &str, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    let body = (!body.is_empty() || method == "POST" || method == "PUT").then_some(body);
    cretoai_tls::agent::exchange(
        &cretoai_tls::agent::plain(),
        method,
        &format!("http://{addr}{path}"),
        Some(ROOT),
        body,
    )
}

fn marker(i: usize) -> String {
    format!(
        "plaintext-{i:03}-{}",
        hex::encode(cretoai_crypto::random::array::<12>())
    )
}

/// Writes `n` versions spread over a few paths; returns every acknowledged (path, version, value).
fn write_many(node: &Running, n: usize) -> Vec<(String, u64, String)> {
    (0..n)
        .map(|i| {
            let path = format!("agents/a{}", i % 7);
            let value = marker(i);
            let (status, body) = node.call(
                "PUT",
                &format!("/v1/vault/secrets/{path}"),
                &json!({"data": {"v": value}}),
            );
            assert_eq!(status, 200, "{body}");
            (path, body["version"].as_u64().unwrap(), value)
        })
        .collect()
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let node = start(dir.path());
    let acked = write_many(&node, 60);
    // Killed right after the last 2xx: nothing gets a chance to flush.
    node.kill_9();

    let node = start(dir.path());
    for (path, version, value) in &acked {
        let (status, body) = node.call(
            "GET",
            &format!("/v1/vault/secrets/{path}?version={version}"),
            &Value::Null,
        );
        assert_eq!(status, 200, "{path} v{version}: {body}");
        assert_eq!(body["data"]["v"], *value);
    }
    let (_, report) = node.call("GET", "/v1/audit/verify", &Value::Null);
    assert_eq!(report["valid"], true, "{report}");
    // 60 writes and 60 reads, all recorded.
    assert!(report["records"].as_u64().unwrap() >= 120, "{report}");
    node.kill_9();
}

#[test]
fn the_stopped_database_holds_no_plaintext_and_tampering_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let node = start(dir.path());
    let acked = write_many(&node, 25);
    node.kill_9();

    // Unwrap every data key with the vault key, as someone holding the master key could, to
    // know what to search the file for.
    let data_keys = {
        let store = Store::open(dir.path()).unwrap();
        let master = MasterKey::load(None, dir.path()).unwrap();
        let vault_key =
            NamedKey::from_stored(&store.get_key(VAULT_KEY).unwrap().unwrap(), &master).unwrap();
        let KeyMaterial::Kem(dk) = &vault_key.latest().material else {
            panic!("the vault key is ML-KEM-768");
        };
        let txn = store.begin_write().unwrap();
        let keys: Vec<_> = VaultTxn(&txn)
            .all_sealed()
            .unwrap()
            .into_iter()
            .map(|(path, version, bytes)| {
                SealedVersion::parse(&bytes)
                    .unwrap()
                    .data_key(dk, &path, version)
                    .unwrap()
            })
            .collect();
        txn.abort().unwrap();
        keys
    };
    assert_eq!(data_keys.len(), 25);
    let raw = std::fs::read(dir.path().join(DB_FILE)).unwrap();
    let text = String::from_utf8_lossy(&raw);
    for (_, _, value) in &acked {
        assert!(
            !text.contains(value.as_str()),
            "plaintext value found in the database file"
        );
    }
    for key in &data_keys {
        assert!(
            !raw.windows(key.len()).any(|w| w == key.as_slice()),
            "data key found"
        );
        assert!(!text.contains(&hex::encode(key.as_slice())));
    }

    // Edit audit record 5 in the file while the node is down.
    {
        let store = Store::open(dir.path()).unwrap();
        let txn = store.begin_write().unwrap();
        {
            let mut table = txn.open_table(audit::TABLE).unwrap();
            let bytes = table.get(5).unwrap().unwrap().value().to_vec();
            let mut record: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(record["operation"], "vault.write");
            record["target"] = json!("agents/someone-else");
            table
                .insert(5, serde_json::to_vec(&record).unwrap().as_slice())
                .unwrap();
        }
        txn.commit().unwrap();
    }
    let node = start(dir.path());
    let (status, report) = node.call("GET", "/v1/audit/verify", &Value::Null);
    assert_eq!(status, 200);
    assert_eq!(report["valid"], false, "{report}");
    assert_eq!(report["first_broken"]["seq"], 5, "{report}");
    node.kill_9();
}
