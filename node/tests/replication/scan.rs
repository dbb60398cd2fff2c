//! Searching stored bytes for a secret: every form it could take there (as is, hex, base64 at
//! each alignment), every transaction payload of a stopped node's DAG, and every file of its
//! data directory; and the scenario that does so on a cluster.

use crate::calls::{converged, create_key, fresh, secret, write, SPREAD};
use crate::harness::{Cluster, NodeProc};
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine;
use cretoai_consensus::Limits;
use cretoai_crypto::random;
use cretoai_node::keys::key_ring::{KeyMaterial, NamedKey};
use cretoai_node::master_key::MasterKey;
use cretoai_node::store::Store;
use serde_json::json;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A secret and the byte strings that betray it.
pub struct Needle {
    /// What it is, for failure messages.
    pub what: String,
    forms: Vec<Vec<u8>>,
}

impl Needle {
    /// `bytes` as is, hex in either case, and standard and URL-safe base64. Base64 of a buffer
    /// holding `bytes` contains the encoding of the whole 3-byte groups of `bytes[skip..]` for
    /// the `skip` (0, 1 or 2) that puts them on a group boundary, so all three are searched.
    pub fn new(what: impl Into<String>, bytes: &[u8]) -> Self {
        assert!(bytes.len() >= 16, "a short needle would match by chance");
        let mut forms = vec![
            bytes.to_vec(),
            hex::encode(bytes).into_bytes(),
            hex::encode_upper(bytes).into_bytes(),
        ];
        for skip in 0..3 {
            let rest = &bytes[skip..];
            let whole = &rest[..rest.len() / 3 * 3];
            forms.push(STANDARD.encode(whole).into_bytes());
            forms.push(URL_SAFE.encode(whole).into_bytes());
        }
        Needle {
            what: what.into(),
            forms,
        }
    }

    /// Whether any form of the secret occurs in `haystack`.
    pub fn found_in(&self, haystack: &[u8]) -> bool {
        self.forms
            .iter()
            .any(|f| haystack.windows(f.len()).any(|w| w == f.as_slice()))
    }
}

/// Limits wide enough to decode whatever a node stored.
fn wide_limits() -> Limits {
    Limits {
        max_payload: 64 << 20,
        max_parents: 4096,
        max_txs_per_vertex: 1 << 20,
    }
}

/// The DAG a stopped node stored: hex vertex ids, and every transaction payload with the id of
/// the vertex that carries it.
pub fn stored_dag(data_dir: &Path) -> (HashSet<String>, Vec<(String, Vec<u8>)>) {
    let store = Store::open(data_dir).expect("the stopped node's store opens");
    let limits = wide_limits();
    let (mut ids, mut payloads, mut after) = (HashSet::new(), Vec::new(), 0);
    loop {
        let page = store
            .consensus_vertices_after(after, 1000, &limits)
            .expect("stored vertices decode");
        let Some(last) = page.last() else { break };
        after = last.seq;
        for stored in &page {
            let id = hex::encode(stored.vertex.id().0);
            for tx in stored.vertex.txs() {
                payloads.push((id.clone(), tx.payload().to_vec()));
            }
            ids.insert(id);
        }
    }
    (ids, payloads)
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// A secret with a random value and an ML-DSA key are written; every vertex is read over the
/// API on every node, then the nodes are stopped and every stored transaction payload and every
/// file of each data directory is searched for the value and for the key's private material
/// (its seed, and two secret parts of the expanded key: `K` and the start of `s1`; the first
/// 32 bytes, `rho`, are public).
pub fn nothing_secret_in_transactions_or_files(cluster: &mut Cluster) {
    let value = hex::encode(random::array::<16>());
    let path = format!("apps/{}/scan", fresh("vendor"));
    let name = fresh("scan-signer");
    let accepted = |n: &NodeProc| n.status()["transactions"]["accepted"].as_u64().unwrap();
    let before: Vec<u64> = cluster.nodes.iter().map(accepted).collect();
    write(&cluster.nodes[0], &path, json!({ "api_key": value }), None);
    create_key(&cluster.nodes[0], &name, "ml-dsa-65");
    converged(cluster, &secret(&path));
    converged(cluster, &format!("/v1/keys/{name}"));
    // Both changes travelled as consensus transactions.
    cluster.wait(SPREAD, "both changes accepted everywhere", || {
        cluster
            .nodes
            .iter()
            .zip(&before)
            .all(|(n, b)| accepted(n) >= b + 2)
    });
    let plain = Needle::new("the secret value", value.as_bytes());

    let mut listed = Vec::new();
    for node in &cluster.nodes {
        let mut ids = Vec::new();
        let mut after = 0;
        loop {
            let (status, page) =
                node.get(&format!("/v1/consensus/vertices?after={after}&limit=1000"));
            assert_eq!(status, 200, "{page}");
            for v in page["vertices"].as_array().unwrap() {
                let id = v["id"].as_str().unwrap();
                let (status, one) = node.get(&format!("/v1/consensus/vertices/{id}"));
                assert_eq!((status, &one["transactions"]), (200, &v["transactions"]));
                assert!(!plain.found_in(one.to_string().as_bytes()), "{one}");
                ids.push(id.to_string());
            }
            match page["next"].as_u64() {
                Some(next) => after = next,
                None => break,
            }
        }
        listed.push(ids);
    }

    for node in &mut cluster.nodes {
        node.kill();
    }
    let mut needles = vec![plain];
    {
        let dir = cluster.nodes[0].data_dir();
        let store = Store::open(dir).unwrap();
        let master = MasterKey::load(None, dir).unwrap();
        let stored = store.get_key(&name).unwrap().expect("the key is stored");
        let key = NamedKey::from_stored(&stored, &master).unwrap();
        let KeyMaterial::Dsa(signing) = &key.latest().material else {
            panic!("{name} is an ML-DSA key");
        };
        let expanded = signing.expanded_private_key().unwrap();
        needles.push(Needle::new("the key's seed", signing.seed()));
        needles.push(Needle::new("the key's K", &expanded[32..64]));
        needles.push(Needle::new(
            "the start of the key's s1",
            &expanded[128..160],
        ));
    }
    for (i, node) in cluster.nodes.iter().enumerate() {
        let (stored, payloads) = stored_dag(node.data_dir());
        for id in &listed[i] {
            assert!(
                stored.contains(id),
                "node {}: listed vertex {id} is stored",
                i + 1
            );
        }
        assert!(!payloads.is_empty(), "node {} stored transactions", i + 1);
        for (vertex, payload) in &payloads {
            for needle in &needles {
                assert!(
                    !needle.found_in(payload),
                    "node {}: {} in a payload of vertex {vertex}",
                    i + 1,
                    needle.what
                );
            }
        }
        for file in files_under(node.data_dir()) {
            let bytes = std::fs::read(&file).unwrap();
            for needle in &needles {
                assert!(
                    !needle.found_in(&bytes),
                    "{} in {}",
                    needle.what,
                    file.display()
                );
            }
        }
    }
}
