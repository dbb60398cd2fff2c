//! Decision anchoring: each signed decision's hash goes into a CretoAI
//! cluster as a consensus transaction, so any node can later show that the
//! decision existed, unaltered, at that time.
//!
//! The sidecar is its own transaction sender. It holds an ML-DSA-65 key
//! (created at first start, sealed under the master key in the data dir like
//! the signing keys), builds a `cretoai-types` [`Transaction`] with
//! payload [`DecisionRecord`] and a nonce from [`NonceCounter`], signs it and
//! submits the canonical bytes. The transaction id is therefore known before
//! the node answers, and the node's answer is checked against it. The node
//! needs no key of the sidecar's and no per-sidecar state: the pre-signed
//! form (`{"transaction": ...}`) is verified like any client's.
//!
//! Anchoring never blocks a decision: when the node cannot be reached or
//! refuses, the check still returns its signed decision, with
//! `sidecar.anchor_error` saying why (and a counter in `GET /v1/anchor`).

pub mod node_client;
pub mod nonce;
pub mod record;

use crate::config::AnchorConfig;
use crate::error::{Result, SidecarError};
use crate::key_store::KeyStore;
use crate::measurements::{percentiles, Percentiles};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
use cretoai_types::{Limits, Transaction};
use node_client::{AnchorFailure, Failed, NodeClient};
use nonce::NonceCounter;
use record::DecisionRecord;
use serde_json::{json, Map, Value};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The sealed seed of the anchoring key, in the data dir.
const KEY_FILE: &str = "anchor-key.sealed";
/// Binds the sealed seed to its purpose and format version.
const KEY_AAD: &[u8] = b"cretoai-authz-sidecar/anchor-key/v1";
/// The durable nonce high-water mark, in the data dir (not secret).
const NONCE_FILE: &str = "anchor-nonce";
/// The anchoring key's parameter set.
const LEVEL: MlDsaLevel = MlDsaLevel::MlDsa65;
/// Submission latencies kept for `GET /v1/anchor`.
const LATENCY_WINDOW: usize = 1024;

/// The outcome of anchoring one decision.
#[derive(Debug, Clone)]
pub struct AnchorReceipt {
    /// The node it was submitted to.
    pub node_url: String,
    /// Hex id of the transaction, when the node took it.
    pub tx_id: Option<String>,
    /// Its nonce, when one was drawn.
    pub nonce: Option<u64>,
    /// Why it was not anchored.
    pub failed: Option<Failed>,
    /// Sign plus submit time, µs.
    pub us: f64,
}

impl AnchorReceipt {
    /// Add the `anchor_*` members to a check answer's `sidecar` object (the
    /// sidecar's own additions, kept apart from the engine's metadata).
    pub fn annotate(&self, sidecar: &mut Value) {
        let Some(map) = sidecar.as_object_mut() else {
            return;
        };
        map.insert("anchor_node".into(), json!(self.node_url));
        if let Some(id) = &self.tx_id {
            map.insert("anchor_tx_id".into(), json!(id));
        }
        if let Some(n) = self.nonce {
            map.insert("anchor_nonce".into(), json!(n));
        }
        if let Some(f) = &self.failed {
            map.insert("anchor_error".into(), json!(f.failure.code()));
            if let Some(d) = &f.detail {
                map.insert("anchor_error_detail".into(), json!(d));
            }
        }
        map.insert("anchor_us".into(), json!(self.us));
    }
}

#[derive(Default)]
struct Counters {
    anchored: AtomicU64,
    failed: [AtomicU64; AnchorFailure::ALL.len()],
    latency_us: Mutex<VecDeque<f64>>,
}

/// The anchoring client of a running sidecar.
pub struct Anchor {
    key: SigningKey,
    nonces: NonceCounter,
    node: NodeClient,
    node_url: String,
    limits: Limits,
    counters: Counters,
    failing: AtomicBool,
}

impl Anchor {
    /// Load (or create and seal) the anchoring key and open the nonce
    /// counter in the store's data dir. `config` must be active and valid.
    pub fn open(config: &AnchorConfig, store: &KeyStore) -> Result<Self> {
        let (Some(url), Some(token)) = (&config.node_url, &config.token) else {
            return Err(SidecarError::Config(
                "anchoring needs anchor.node_url and anchor.token".into(),
            ));
        };
        let key = match store.open_sealed(KEY_FILE, KEY_AAD)? {
            Some(seed) => SigningKey::from_seed(LEVEL, &seed)?,
            None => {
                let key = SigningKey::generate(LEVEL)?;
                store.seal_to(KEY_FILE, KEY_AAD, key.seed())?;
                key
            }
        };
        let nonces = NonceCounter::open(&store.dir().join(NONCE_FILE), nonce::clock_floor())?;
        Ok(Anchor {
            key,
            nonces,
            node: NodeClient::new(url, token.clone(), Duration::from_millis(config.timeout_ms)),
            node_url: url.clone(),
            limits: Limits::default(),
            counters: Counters::default(),
            failing: AtomicBool::new(false),
        })
    }

    /// The sender's encoded ML-DSA-65 public key.
    pub fn sender_public_key(&self) -> &[u8] {
        self.key.verifying_key().as_bytes()
    }

    /// Sign the transaction that anchors `record`, under a fresh nonce.
    pub fn transaction(&self, record: &DecisionRecord) -> Result<Transaction> {
        let nonce = self.nonces.next()?;
        Transaction::sign(&self.key, nonce, record.encode(), &self.limits)
            .map_err(|e| SidecarError::Crypto(format!("anchor transaction: {e}")))
    }

    /// Sign and submit the transaction for `record`; never fails the caller.
    pub async fn anchor(&self, record: &DecisionRecord) -> AnchorReceipt {
        let t = Instant::now();
        let (tx_id, nonce, failed) = match self.transaction(record) {
            Err(e) => {
                tracing::error!(error = %e, "cannot build an anchor transaction");
                let failed = Failed {
                    failure: AnchorFailure::Internal,
                    detail: Some(e.code().into()),
                };
                (None, None, Some(failed))
            }
            Ok(tx) => {
                let local = hex::encode(tx.id().0);
                match self.node.submit(&tx.encode()).await {
                    Ok(id) if id == local => (Some(id), Some(tx.nonce()), None),
                    Ok(other) => {
                        let failed = Failed {
                            failure: AnchorFailure::BadAnswer,
                            detail: Some(format!("node reported tx_id {other}")),
                        };
                        (None, Some(tx.nonce()), Some(failed))
                    }
                    Err(failed) => (None, Some(tx.nonce()), Some(failed)),
                }
            }
        };
        let us = t.elapsed().as_secs_f64() * 1e6;
        self.count(failed.as_ref(), us);
        AnchorReceipt {
            node_url: self.node_url.clone(),
            tx_id,
            nonce,
            failed,
            us,
        }
    }

    fn count(&self, failed: Option<&Failed>, us: f64) {
        let c = &self.counters;
        match failed {
            None => {
                c.anchored.fetch_add(1, Ordering::Relaxed);
                let mut window = c.latency_us.lock().expect("latency lock");
                if window.len() == LATENCY_WINDOW {
                    window.pop_front();
                }
                window.push_back(us);
                drop(window);
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!(node = %self.node_url, "decision anchoring recovered");
                }
            }
            Some(f) => {
                let i = AnchorFailure::ALL
                    .iter()
                    .position(|x| *x == f.failure)
                    .expect("every failure is listed");
                c.failed[i].fetch_add(1, Ordering::Relaxed);
                // One warning per outage, not one per decision.
                if !self.failing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(node = %self.node_url, code = f.failure.code(),
                        detail = ?f.detail, "decision anchoring failing; decisions are still signed");
                }
            }
        }
    }

    /// What `GET /v1/anchor` shows: node, sender key, next nonce, counters
    /// and submission latency.
    pub fn status(&self) -> Value {
        let c = &self.counters;
        let failed: Map<String, Value> = AnchorFailure::ALL
            .iter()
            .zip(&c.failed)
            .map(|(f, n)| (f.code().to_string(), json!(n.load(Ordering::Relaxed))))
            .collect();
        let window: Vec<f64> = c
            .latency_us
            .lock()
            .expect("latency lock")
            .iter()
            .copied()
            .collect();
        let latency: Option<Percentiles> = percentiles(window.iter().copied());
        json!({
            "enabled": true,
            "node_url": self.node_url,
            "sender": {
                "algorithm": LEVEL.as_str(),
                "public_key": B64.encode(self.sender_public_key()),
                "id": hex::encode(cretoai_crypto::hash::sha256(self.sender_public_key())),
            },
            "next_nonce": self.nonces.peek(),
            "anchored": c.anchored.load(Ordering::Relaxed),
            "failed": failed,
            "anchor_us": latency,
            "samples": window.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn config() -> AnchorConfig {
        AnchorConfig {
            node_url: Some("http://127.0.0.1:9".into()),
            token: Some(Secret::from("t".to_string())),
            ..AnchorConfig::default()
        }
    }

    #[test]
    fn key_is_sealed_kept_across_reopen_and_transactions_verify() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::open(dir.path(), None).unwrap();
        let a = Anchor::open(&config(), &store).unwrap();
        let record = DecisionRecord::for_token("h.p.s", "ML-DSA-65", "iss", "01");
        let tx = a.transaction(&record).unwrap();
        tx.verify_signature().unwrap();
        assert_eq!(tx.sender(), a.sender_public_key());
        assert_eq!(tx.payload(), record.encode().as_slice());
        let seed_on_disk = std::fs::read(dir.path().join(KEY_FILE)).unwrap();
        assert!(!seed_on_disk.windows(32).any(|w| w == a.key.seed()));
        let first_nonce = tx.nonce();
        drop(a);

        let again = Anchor::open(&config(), &store).unwrap();
        let tx2 = again.transaction(&record).unwrap();
        assert_eq!(tx2.sender(), tx.sender(), "same key after a restart");
        assert!(tx2.nonce() > first_nonce, "nonce never reused");
        assert_ne!(tx2.id(), tx.id());
    }

    #[test]
    fn receipt_annotates_the_sidecar_object() {
        let ok = AnchorReceipt {
            node_url: "http://n:8080".into(),
            tx_id: Some("ab".into()),
            nonce: Some(7),
            failed: None,
            us: 12.0,
        };
        let mut m = json!({"engine_us": 5});
        ok.annotate(&mut m);
        assert_eq!(m["anchor_tx_id"], "ab");
        assert_eq!(m["anchor_nonce"], 7);
        assert_eq!(m["anchor_node"], "http://n:8080");
        assert_eq!(m["engine_us"], 5);
        assert!(m.get("anchor_error").is_none());

        let bad = AnchorReceipt {
            node_url: "http://n:8080".into(),
            tx_id: None,
            nonce: Some(8),
            failed: Some(Failed {
                failure: AnchorFailure::Refused,
                detail: Some("unauthorized".into()),
            }),
            us: 1.0,
        };
        let mut m = json!({});
        bad.annotate(&mut m);
        assert_eq!(m["anchor_error"], "node_refused");
        assert_eq!(m["anchor_error_detail"], "unauthorized");
        assert!(m.get("anchor_tx_id").is_none());
        let mut m = Value::Null;
        bad.annotate(&mut m);
        assert!(m.get("engine_metadata").is_none());
    }
}
