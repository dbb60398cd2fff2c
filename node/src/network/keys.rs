//! Peer keys and activation. The validator set is fixed by configuration (this node plus every
//! configured peer id, weight 1 each); what a node learns over time are the members' ML-DSA-65
//! keys, each over the peer's pinned connection (a `HELLO` request) and checked to hash to the
//! pinned id. Consensus activates as soon as the members with known keys hold a majority of the
//! weight, so a peer that is down does not block the others; its key is handed to the core and
//! to the verifier when it is finally reached.

use crate::consensus::ConsensusHandle;
use crate::error::{NodeError, Result};
use crate::store::Store;
use cretoai_consensus::{NodeId, Validator, ValidatorSet};
use cretoai_crypto::ml_dsa::{MlDsaLevel, VerifyingKey};
use cretoai_network::{Frame, Network};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::identity::NodeKey;
use super::wire::HELLO;

/// How often missing peer keys are asked for.
const HELLO_RETRY: Duration = Duration::from_millis(200);

/// The validator set as this node knows it, shared by the key learner (the only writer) and
/// the receive loop, which verifies vertices against a snapshot. A snapshot is an `Arc`, so a
/// verification in flight keeps the set it started with; a key learned meanwhile only makes
/// the next one pass.
#[derive(Clone)]
pub struct SharedValidators(Arc<RwLock<Arc<ValidatorSet>>>);

impl SharedValidators {
    /// The set with this node keyed, every configured peer by id, and the peer keys stored by
    /// an earlier run (a stored key for a peer no longer configured is ignored).
    pub fn from_config(node_key: &NodeKey, store: &Store, net: &Network) -> Result<Self> {
        let me = node_key.signing_key()?.verifying_key().clone();
        let mut members = vec![Validator::new(me, 1)];
        members.extend(
            net.peers()
                .iter()
                .map(|p| Validator::awaiting_key(p.node_id, 1)),
        );
        let mut set = ValidatorSet::new(members)
            .map_err(|e| NodeError::Config(format!("validator set: {e}")))?;
        for (_, key) in store.peer_keys()? {
            // `learn_key` binds the key to the member its hash names, or refuses it.
            if let Ok(key) = VerifyingKey::from_bytes(MlDsaLevel::MlDsa65, &key) {
                let _ = set.learn_key(key);
            }
        }
        Ok(Self(Arc::new(RwLock::new(Arc::new(set)))))
    }

    /// The current set.
    pub fn snapshot(&self) -> Arc<ValidatorSet> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn learn(&self, key: VerifyingKey) -> cretoai_consensus::Result<bool> {
        let mut guard = self.0.write().unwrap_or_else(|e| e.into_inner());
        Arc::make_mut(&mut *guard).learn_key(key)
    }
}

/// Activates consensus once a majority of the weight is keyed, and keeps asking every peer
/// whose key is missing for it until none is. Each key is checked against the pinned id and
/// stored; after activation it goes to the core before the verifier's set, so that any vertex
/// verified with it reaches the core after the core knows it (one mailbox, in order).
pub async fn learn_keys(net: Network, consensus: ConsensusHandle, validators: SharedValidators) {
    let mut active = false;
    loop {
        let set = validators.snapshot();
        let missing = set.missing_keys();
        // Waiting for a majority rather than for every key: a peer that is down must not block
        // the others, while a node that reached too few peers (isolated, or a stranger whose
        // dials are refused) stays inactive and answers 503 instead of taking work it cannot
        // decide.
        if !active && set.keyed_majority() {
            active = true;
            consensus.activate(ValidatorSet::clone(&set));
            tracing::info!(
                validators = set.len(),
                missing_keys = missing.len(),
                "consensus activated"
            );
        }
        if missing.is_empty() {
            tracing::info!(validators = set.len(), "every validator key known");
            return;
        }
        for peer in missing {
            let Ok(reply) = net.request(&peer, &Frame::new(HELLO, Vec::new())).await else {
                continue;
            };
            let Ok(key) = VerifyingKey::from_bytes(MlDsaLevel::MlDsa65, &reply.payload) else {
                continue;
            };
            // The connection is pinned to this id already; the hash check binds the key to it.
            if NodeId::of_key(&key) != peer {
                tracing::warn!(peer = %hex::encode(peer.0), "peer sent a key that is not its own");
                continue;
            }
            if let Err(e) = consensus.store.put_peer_key(&peer.0, key.as_bytes()) {
                tracing::warn!(error = %e, "cannot store a peer key");
                continue;
            }
            if active {
                consensus.learn_key(key.clone());
            }
            match validators.learn(key) {
                Ok(_) => tracing::info!(peer = %hex::encode(&peer.0[..4]), "peer key learned"),
                Err(e) => tracing::warn!(error = %e, "peer key refused"),
            }
        }
        tokio::time::sleep(HELLO_RETRY).await;
    }
}
