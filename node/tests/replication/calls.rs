//! Calls and polls shared by the replication scenarios: every node is asked through the REST API
//! with the root token, and checks on other nodes poll until [`SPREAD`].

use crate::harness::{Cluster, NodeProc, TOKEN};
use cretoai_crypto::random;
use serde_json::{json, Value};
use std::time::Duration;

/// How long another node may take to apply an acknowledged change.
pub const SPREAD: Duration = Duration::from_secs(30);

/// The stable error code of an error body (empty when there is none).
pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

/// `prefix-` and 8 random hex digits, so scenarios sharing a cluster never collide.
pub fn fresh(prefix: &str) -> String {
    format!("{prefix}-{}", hex::encode(random::array::<4>()))
}

/// The three nodes.
pub fn trio(cluster: &Cluster) -> [&NodeProc; 3] {
    [&cluster.nodes[0], &cluster.nodes[1], &cluster.nodes[2]]
}

/// Polls until `check` holds on every running node.
pub fn on_every_node(cluster: &Cluster, what: &str, mut check: impl FnMut(&NodeProc) -> bool) {
    cluster.wait(SPREAD, what, || {
        cluster
            .nodes
            .iter()
            .filter(|n| n.is_running())
            .all(&mut check)
    });
}

/// Polls until every running node answers `GET path` with 200 and the same body; returns it.
pub fn converged(cluster: &Cluster, path: &str) -> Value {
    let mut agreed = Value::Null;
    cluster.wait(SPREAD, &format!("the same {path} on every node"), || {
        let answers: Vec<(u16, Value)> = cluster
            .nodes
            .iter()
            .filter(|n| n.is_running())
            .map(|n| n.get(path))
            .collect();
        let same = answers.iter().all(|a| a.0 == 200 && a.1 == answers[0].1);
        if same {
            agreed = answers[0].1.clone();
        }
        same
    });
    agreed
}

/// The route of a secret.
pub fn secret(path: &str) -> String {
    format!("/v1/vault/secrets/{path}")
}

/// The route of a secret's metadata.
pub fn metadata(path: &str) -> String {
    format!("/v1/vault/metadata/{path}")
}

/// `PUT` of a secret, with `cas` when given.
pub fn put_secret(node: &NodeProc, path: &str, data: Value, cas: Option<u32>) -> (u16, Value) {
    let mut body = json!({ "data": data });
    if let Some(cas) = cas {
        body["cas"] = json!(cas);
    }
    node.call(TOKEN, "PUT", &secret(path), Some(&body))
}

/// Writes and checks the node serves the new version at once; answers the write's response.
pub fn write(node: &NodeProc, path: &str, data: Value, cas: Option<u32>) -> Value {
    let (status, written) = put_secret(node, path, data.clone(), cas);
    assert_eq!(status, 200, "write {path}: {written}");
    let (status, read) = node.get(&secret(path));
    assert_eq!(status, 200, "read-your-writes {path}: {read}");
    assert_eq!(
        (&read["data"], &read["version"], &read["created_at"]),
        (&data, &written["version"], &written["created_at"]),
        "read-your-writes {path}"
    );
    written
}

/// 204 from `method path` with the root token.
pub fn no_content(node: &NodeProc, method: &str, path: &str, body: Option<&Value>) {
    let (status, answer) = node.call(TOKEN, method, path, body);
    assert_eq!(status, 204, "{method} {path}: {answer}");
}

/// Creates a key (201) and checks the node serves it at once; answers the created key.
pub fn create_key(node: &NodeProc, name: &str, key_type: &str) -> Value {
    let (status, created) = node.post("/v1/keys", &json!({ "name": name, "type": key_type }));
    assert_eq!(status, 201, "create {name}: {created}");
    assert_eq!(
        node.get(&format!("/v1/keys/{name}")),
        (200, created.clone()),
        "read-your-writes"
    );
    created
}
