//! The node's consensus: the actor around the QR-Avalanche core ([`actor`]), the storage
//! actor that makes its records durable ([`journal`]), the signature verification pool
//! ([`verifier`]), the submission service the API calls ([`submission`]), measured figures
//! ([`stats`]) and the event stream ([`events`]).
//!
//! With no peers configured the validator set is this node alone and it finalizes on its own;
//! with peers, the network layer activates consensus once the peers whose keys it knows hold,
//! with this node, a majority of the weight, and hands it the other keys as it learns them.

pub mod actor;
pub mod admission;
mod decision_archive;
pub mod events;
pub mod journal;
mod sender_keys;
pub mod settings;
pub mod stats;
pub mod submission;
pub mod verifier;

use crate::config::Config;
use crate::crypto_pool::CryptoPool;
use crate::error::{NodeError, Result};
use crate::network::identity::NodeKey;
use crate::network::keys::SharedValidators;
use crate::replication::applier::StateDecided;
use crate::store::Store;
use actix::{Actor, Addr, Arbiter, Recipient};
use actor::{Activate, ConsensusActor, LearnKey, PeerEvent, Submit};
use admission::Admission;
use cretoai_consensus::{Limits, NodeId, Transaction, TxId, Validator, ValidatorSet};
use cretoai_network::Network;
use events::EventBus;
use journal::{Journal, Outgoing, SubmitOutcome};
use stats::ConsensusStats;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use submission::SubmitError;
use verifier::Verifier;

/// Milliseconds since the Unix epoch: the core's clock.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The core's counters as of the actor's last turn (read by the status endpoint).
#[derive(Debug, Clone, Default)]
pub struct CoreView {
    /// Whether the core runs (false while waiting for peer keys).
    pub active: bool,
    /// This node's latest own round.
    pub round: Option<u64>,
    /// Vertices in the DAG.
    pub dag_len: usize,
    /// Submitted transactions waiting for a vertex.
    pub pending_len: usize,
    /// Decided outcomes the core holds in memory.
    pub decided_in_memory: usize,
}

/// What consensus needs of the network layer in cluster mode. The transport is bound before
/// consensus starts, so both are wired once, at start.
pub struct NetworkLink {
    /// The transport.
    pub network: Network,
    /// Where the journal sends the core's messages once they are durable.
    pub outgoing: Recipient<Outgoing>,
    /// The validator set as the network layer knows it (for status).
    pub validators: SharedValidators,
}

/// Handle to the node's consensus; cheap to clone.
#[derive(Clone)]
pub struct ConsensusHandle {
    actor: Addr<ConsensusActor>,
    /// The database.
    pub store: Store,
    /// Size limits of transactions and vertices.
    pub limits: Limits,
    /// Measured figures.
    pub stats: Arc<ConsensusStats>,
    /// The event stream.
    pub events: EventBus,
    /// Signature checks on the crypto pool.
    pub verifier: Verifier,
    view: Arc<Mutex<CoreView>>,
    node_key: Arc<NodeKey>,
    node_id: NodeId,
    network: Option<Network>,
    validators: Option<SharedValidators>,
    admission: Admission,
    nonce_base: u64,
}

/// Bits of a default nonce that count; the bits above name the node that chose it.
const NONCE_COUNTER_BITS: u32 = 48;

/// Where this node's default nonces start: named keys are the same on every node, so each node
/// counts in its own range (its place among the sorted node ids) and two nodes signing with
/// one key never pick the same nonce. A node without peers starts at 0, as before.
fn nonce_base(me: NodeId, peers: impl Iterator<Item = NodeId>) -> u64 {
    let mut ids: Vec<NodeId> = peers.chain(std::iter::once(me)).collect();
    ids.sort();
    let slot = ids.iter().position(|id| *id == me).unwrap_or(0);
    (slot as u64) << NONCE_COUNTER_BITS
}

impl ConsensusHandle {
    /// Starts the journal and the consensus actor on their own threads, wired to the network
    /// layer when `link` is given (cluster mode); decisions of state operations go to
    /// `applier` once durable. The store's consensus tables must be open
    /// ([`Store::init_consensus`]). Must run inside an actix system.
    pub fn start(
        config: &Config,
        store: Store,
        node_key: NodeKey,
        pool: CryptoPool,
        link: Option<NetworkLink>,
        applier: Option<Recipient<StateDecided>>,
    ) -> Result<Self> {
        let signing = node_key.signing_key()?;
        let node_id = node_key.node_id();
        let params = config.consensus.params(config.peers.len() + 1)?;
        let limits = params.limits;
        let stats = Arc::new(ConsensusStats::default());
        let events = EventBus::default();
        let (network, outgoing, validators) = match link {
            Some(l) => (Some(l.network), Some(l.outgoing), Some(l.validators)),
            None => (None, None, None),
        };
        let journal = Journal::start(
            store.clone(),
            stats.clone(),
            events.clone(),
            outgoing,
            applier,
        )?;
        let view = Arc::new(Mutex::new(CoreView::default()));
        let actor = ConsensusActor::new(
            node_key.signing_key()?,
            params,
            &config.consensus,
            store.clone(),
            journal,
            view.clone(),
        );
        let arbiter = Arbiter::new();
        let actor = ConsensusActor::start_in_arbiter(&arbiter.handle(), move |_| actor);
        if config.peers.is_empty() {
            let me = Validator::new(signing.verifying_key().clone(), 1);
            actor.do_send(Activate(
                ValidatorSet::new(vec![me])
                    .map_err(|e| NodeError::Config(format!("validator set: {e}")))?,
            ));
        }
        Ok(ConsensusHandle {
            actor,
            store,
            limits,
            stats,
            events,
            verifier: Verifier::new(pool, config.crypto_threads),
            view,
            node_key: Arc::new(node_key),
            node_id,
            network,
            validators,
            admission: Admission::new(config.consensus.max_undecided()),
            nonce_base: nonce_base(node_id, config.peers.iter().map(|p| p.node_id)),
        })
    }

    /// This node's id.
    pub fn node_id(&self) -> NodeId {
        self.node_id
    }

    /// The identity key (the network layer derives the QUIC identity from it).
    pub fn node_key(&self) -> &NodeKey {
        &self.node_key
    }

    /// The core's counters as of its last turn.
    pub fn view(&self) -> CoreView {
        self.view.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The first nonce of this node's range for transactions it signs with a named key.
    pub fn nonce_base(&self) -> u64 {
        self.nonce_base
    }

    /// The transport (cluster mode).
    pub fn network(&self) -> Option<&Network> {
        self.network.as_ref()
    }

    /// The validator set as the network layer knows it (cluster mode): whose keys are known.
    pub fn validators(&self) -> Option<Arc<ValidatorSet>> {
        self.validators.as_ref().map(SharedValidators::snapshot)
    }

    /// Where peer events go.
    pub fn peer_events(&self) -> Recipient<PeerEvent> {
        self.actor.clone().recipient()
    }

    /// Starts consensus with this validator set (cluster mode, once a majority is keyed).
    pub fn activate(&self, validators: ValidatorSet) {
        self.actor.do_send(Activate(validators));
    }

    /// Hands the running core a peer key learned after activation (checked against the
    /// pinned id by the caller; the core checks it hashes to a member).
    pub fn learn_key(&self, key: cretoai_crypto::ml_dsa::VerifyingKey) {
        self.actor.do_send(LearnKey(key));
    }

    /// The admission bound on undecided transactions now (it follows the acceptance rate; see
    /// [`admission`]).
    pub fn max_undecided(&self) -> usize {
        let rate = self
            .stats
            .accepted_tps_over(now_ms(), admission::RATE_SPAN_MS);
        self.admission.bound(rate)
    }

    /// Undecided transactions pending here for longer than the liveness bound
    /// ([`cretoai_consensus::DECISION_BOUND_MS`]): an operator sees a stuck transaction before
    /// a client gives up on it.
    pub fn overdue(&self) -> crate::store::consensus::Overdue {
        self.store
            .overdue(now_ms(), cretoai_consensus::DECISION_BOUND_MS)
    }

    /// Refuses new submissions while the undecided backlog is at its bound: past the rate the
    /// cluster sustains, queueing more only makes every transaction's finality longer.
    pub fn admit(&self) -> std::result::Result<(), SubmitError> {
        let undecided = self.store.undecided_len();
        let bound = self.max_undecided();
        if undecided >= bound {
            self.stats
                .overloaded
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Err(SubmitError::Overloaded {
                undecided,
                limit: bound,
            });
        }
        Ok(())
    }

    /// Submits verified transactions; returns once each is durable (or refused).
    pub async fn submit(
        &self,
        txs: Vec<Transaction>,
    ) -> std::result::Result<SubmitOutcome, SubmitError> {
        let count = txs.len() as u64;
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.actor
            .send(Submit { txs, reply })
            .await
            .map_err(|_| SubmitError::Unavailable("consensus actor"))?;
        let outcome = answer
            .await
            .map_err(|_| SubmitError::Unavailable("consensus journal"))?;
        let ok = outcome.iter().filter(|o| o.is_ok()).count() as u64;
        self.stats
            .submitted
            .fetch_add(ok.min(count), std::sync::atomic::Ordering::Relaxed);
        Ok(outcome)
    }

    /// Whether the actors still run.
    pub fn is_running(&self) -> bool {
        self.actor.connected()
    }

    /// Prometheus text of the consensus metrics.
    pub fn render_metrics(&self, out: &mut String) {
        let view = self.view();
        let gauges = stats::Gauges {
            round: view.round,
            dag_len: view.dag_len,
            pending_submissions: view.pending_len,
            decided_in_memory: view.decided_in_memory,
            undecided: self.store.undecided_len(),
            max_undecided: self.max_undecided(),
            overdue: self.overdue(),
            peers: self.network().map(Network::peers).unwrap_or_default(),
        };
        self.stats.render(out, &gauges, now_ms());
    }
}

/// Ids as lower-case hex.
pub fn tx_hex(id: &TxId) -> String {
    hex::encode(id.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_count_default_nonces_in_ranges_of_their_own() {
        let ids: Vec<NodeId> = (1u8..=3).map(|i| NodeId([i; 32])).collect();
        let bases: Vec<u64> = ids
            .iter()
            .map(|me| nonce_base(*me, ids.iter().copied().filter(|id| id != me)))
            .collect();
        assert_eq!(bases, [0, 1 << 48, 2 << 48]);
        assert_eq!(nonce_base(ids[2], std::iter::empty()), 0, "alone: from 0");
    }
}
