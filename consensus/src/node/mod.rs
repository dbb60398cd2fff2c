//! The consensus state machine: events in, actions out.

mod footprint;
mod intake;
mod issuer;
mod poll;
mod recall;
mod replay;
mod stranded;

use crate::conflict_set::{PollEffect, TxStatus, TxTable};
use crate::dag::Dag;
use crate::error::{ConsensusError, Result};
use crate::message::{Action, Equivocation, Event, Record};
use crate::outcome_window::OutcomeWindow;
use crate::params::Params;
use crate::time::Now;
use crate::validator::{SignatureCheck, ValidatorSet};
use crate::vertex::{Vertex, VertexId};
use cretoai_crypto::ml_dsa::{SigningKey, VerifyingKey};
use cretoai_types::NodeId;
use cretoai_types::{Transaction, TxId};
use poll::Poll;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

pub use footprint::Footprint;
pub use replay::Replay;

/// Static configuration of a node's consensus core.
#[derive(Clone)]
pub struct Config {
    /// Snowball parameters and size limits.
    pub params: Params,
    /// Who votes, with which keys and weights. Must contain this node; other members' keys
    /// may be missing and learned later ([`Node::learn_key`]).
    pub validators: ValidatorSet,
    /// Whether the core verifies signatures itself.
    pub signature_check: SignatureCheck,
    /// How often the node gossips its DAG tips to one random peer.
    pub sync_interval_ms: u64,
    /// Whether the shell keeps a durable record of this node's decisions (an archive) and
    /// answers [`Action::RecallOutcomes`] from it. With one, decided outcomes leave memory
    /// once durable and beyond the most recent `remembered_decisions`; without, all stay.
    pub archived: bool,
    /// Decided outcomes kept in memory when there is an archive.
    pub remembered_decisions: usize,
    /// How long an undecided, preferred transaction may stay outside the ancestry of every
    /// vertex this node would link to before the node re-issues it in a vertex of its own
    /// (see `node/stranded.rs`).
    pub stranded_after_ms: u64,
}

impl Config {
    /// A configuration with `params`, full signature checks and a 1 s gossip interval.
    pub fn new(params: Params, validators: ValidatorSet) -> Self {
        Self {
            params,
            validators,
            signature_check: SignatureCheck::Full,
            sync_interval_ms: 1_000,
            archived: false,
            remembered_decisions: DEFAULT_REMEMBERED_DECISIONS,
            stranded_after_ms: DEFAULT_STRANDED_AFTER_MS,
        }
    }
}

/// A transaction's consensus state at one node (for status endpoints and diagnostics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxInfo {
    /// Pending, accepted or rejected.
    pub status: TxStatus,
    /// Successful polls (alpha_preference) in its progeny.
    pub chits: u64,
    /// Polls in its progeny that reached alpha_confidence.
    pub confidence: u64,
    /// Whether it is its conflict set's preference.
    pub preferred: bool,
    /// How many other transactions share its sender and nonce.
    pub conflicts: usize,
    /// Consecutive confident polls if it is its conflict set's last winner. Counted for
    /// contested sets only: a transaction without conflicts decides by `confidence` and reads 0.
    pub consecutive: u32,
}

/// Decided outcomes a node with an archive keeps in memory by default: a few seconds of
/// decisions at full load (~90 bytes each), so that the archive is asked only about
/// transactions that come back late.
pub const DEFAULT_REMEMBERED_DECISIONS: usize = 50_000;
/// The liveness bound: once the validators can reach one another again, every undecided
/// transaction an honest node acknowledged is decided on every node within this time
/// (docs/consensus.md, "Stranded transactions"). Nodes report transactions pending for longer
/// as stuck.
pub const DECISION_BOUND_MS: u64 = 30_000;
/// Default of [`Config::stranded_after_ms`]: well past a poll's timeout, so that a transaction
/// in a vertex that is merely not preferred for a moment is not copied, and well within
/// [`DECISION_BOUND_MS`].
pub const DEFAULT_STRANDED_AFTER_MS: u64 = 5_000;
/// During a restore, settled vertices are pruned every this many records.
const REPLAY_PRUNE_EVERY: usize = 1_024;
/// Equivocation evidence the core keeps in memory (the newest).
pub const RECENT_EVIDENCE: usize = 16;

/// One validator's QR-Avalanche core. Sans-IO: it never reads a clock, touches a socket,
/// spawns a thread or draws OS randomness; `now` (milliseconds) comes with each call and its
/// randomness is a ChaCha20 stream seeded by the caller.
pub struct Node {
    params: Params,
    validators: ValidatorSet,
    check: SignatureCheck,
    sync_interval_ms: u64,
    key: SigningKey,
    me: NodeId,
    rng: ChaCha20Rng,
    dag: Dag,
    txs: TxTable,
    /// Submitted transactions not yet in one of this node's vertices, in arrival order.
    pending: Vec<Transaction>,
    own_last_round: Option<u64>,
    /// This node's latest vertex while its poll runs: the next one waits for it.
    own_in_flight: Option<VertexId>,
    polls: HashMap<VertexId, Poll>,
    requests: HashMap<u64, (VertexId, NodeId)>,
    next_request: u64,
    waiting_queries: HashMap<VertexId, Vec<(NodeId, u64)>>,
    fetched_at: HashMap<VertexId, u64>,
    /// Ids heard of in a query or a frontier but not received yet: whom to ask, and when.
    deferred_fetches: HashMap<VertexId, (NodeId, u64)>,
    /// Polls in a row each peer left unanswered; see `poll::SILENT_STRIKES`.
    silence: HashMap<NodeId, u32>,
    /// The most recent evidence (see [`RECENT_EVIDENCE`]); all of it is persisted.
    equivocations: VecDeque<Arc<Equivocation>>,
    equivocation_slots: HashSet<(NodeId, u64)>,
    /// Bumped whenever a preference changes: strong-preference caches of older epochs are stale.
    epoch: u64,
    /// Monotonic time of the last frontier gossip.
    last_sync: Option<u64>,
    /// Wall-clock time of the current call: the timestamp of vertices signed in it.
    unix_ms: u64,
    /// Arrivals waiting for the archive (`node/recall.rs`).
    recall: recall::Recall,
    /// Set while replaying persisted records: no network actions, no polls.
    replaying: bool,
    /// Vertices restored without a poll result; polled on the next tick.
    unpolled: Vec<VertexId>,
    stranded_after_ms: u64,
    stranded: stranded::Stranded,
}

impl Node {
    /// A fresh node. `key` is its ML-DSA-65 vertex key; its id must be in the validator set.
    /// `seed` seeds the node's sampling RNG.
    pub fn new(config: Config, key: SigningKey, seed: [u8; 32]) -> Result<Self> {
        config.params.validate()?;
        if config.sync_interval_ms == 0 {
            return Err(ConsensusError::InvalidParams(
                "sync_interval_ms must be positive",
            ));
        }
        let me = NodeId::of_key(key.verifying_key());
        if config.validators.get(&me).is_none() {
            return Err(ConsensusError::InvalidValidators(
                "this node is not a validator",
            ));
        }
        let mut validators = config.validators;
        // Its own key is always known here, whatever the shell knew when building the set.
        validators.learn_key(key.verifying_key().clone())?;
        Ok(Self {
            params: config.params,
            validators,
            check: config.signature_check,
            sync_interval_ms: config.sync_interval_ms,
            key,
            me,
            rng: ChaCha20Rng::from_seed(seed),
            dag: Dag::default(),
            txs: TxTable::new(OutcomeWindow::new(
                config.archived,
                config.remembered_decisions,
            )),
            pending: Vec::new(),
            own_last_round: None,
            own_in_flight: None,
            polls: HashMap::new(),
            requests: HashMap::new(),
            next_request: 1,
            waiting_queries: HashMap::new(),
            fetched_at: HashMap::new(),
            deferred_fetches: HashMap::new(),
            silence: HashMap::new(),
            equivocations: VecDeque::new(),
            equivocation_slots: HashSet::new(),
            epoch: 0,
            last_sync: None,
            unix_ms: 0,
            recall: recall::Recall::default(),
            replaying: false,
            unpolled: Vec::new(),
            stranded_after_ms: config.stranded_after_ms,
            stranded: stranded::Stranded::default(),
        })
    }

    /// Feeds one event at time `now` and returns what to do, in order. Invalid input from
    /// peers is dropped without effect; so is a refused `SubmitTx` (use [`Node::submit`] to
    /// learn why a client transaction was refused).
    pub fn handle(&mut self, now: impl Into<Now>, event: Event) -> Vec<Action> {
        let now = self.enter(now.into());
        let mut out = Vec::new();
        match event {
            Event::Tick => self.on_tick(now, &mut out),
            Event::SubmitTx(tx) => {
                if self.admit_client(tx, &mut out).is_ok() {
                    self.maybe_issue(now, &mut out);
                }
            }
            Event::Vertex { from, vertex } => self.on_vertex(now, from, vertex, &mut out),
            Event::Query {
                from,
                request_id,
                vertex,
            } => self.on_query(now, from, request_id, vertex, &mut out),
            Event::Chits {
                from,
                request_id,
                preferred,
            } => self.on_chits(now, from, request_id, preferred, &mut out),
            Event::FetchRequest { from, ids } => self.on_fetch(from, ids, &mut out),
            Event::Frontier { from, tips } => self.on_frontier(now, from, tips),
            Event::Recalled(outcomes) => self.on_recalled(now, outcomes, &mut out),
        }
        self.trim_outcomes();
        out
    }

    /// Submits a client transaction, reporting why it was refused if it was.
    pub fn submit(&mut self, now: impl Into<Now>, tx: Transaction) -> Result<Vec<Action>> {
        let now = self.enter(now.into());
        let mut out = Vec::new();
        self.admit_client(tx, &mut out)?;
        self.maybe_issue(now, &mut out);
        self.trim_outcomes();
        Ok(out)
    }

    /// Submits client transactions together: each is admitted or refused (the verdicts, in
    /// order), then vertices are issued once, so that a batch shares vertices. Submitted one by
    /// one, the first transaction went out alone whenever no poll was running, and a lone
    /// validator (whose polls finish at once) signed a vertex per transaction.
    pub fn submit_all(
        &mut self,
        now: impl Into<Now>,
        txs: impl IntoIterator<Item = Transaction>,
    ) -> (Vec<Result<()>>, Vec<Action>) {
        let now = self.enter(now.into());
        let mut out = Vec::new();
        let verdicts = txs
            .into_iter()
            .map(|tx| self.admit_client(tx, &mut out))
            .collect();
        self.maybe_issue(now, &mut out);
        self.trim_outcomes();
        (verdicts, out)
    }

    /// Takes the wall clock of a call for the vertices it signs; returns the monotonic time
    /// every timer runs on.
    fn enter(&mut self, now: Now) -> u64 {
        self.unix_ms = now.unix_ms;
        now.monotonic_ms
    }

    /// Lets go of durable outcomes beyond the window, between calls only: within one the
    /// core relies on what it found in memory. Outcomes of unsettled vertices' transactions
    /// and of arrivals waiting for the archive stay (the core reads them on every turn).
    fn trim_outcomes(&mut self) {
        let (dag, recall) = (&self.dag, &self.recall);
        self.txs
            .decided
            .trim(|tx| dag.carries_unsettled(tx) || recall.holds(tx));
    }

    /// Records the key of a validator that was configured without one (the shell learned it
    /// from the peer), so that its vertices are accepted from now on. Returns whether the key
    /// was new; fails if it hashes to no member's id. Vertices of that author dropped before
    /// come again through frontier gossip and fetch retries.
    pub fn learn_key(&mut self, key: VerifyingKey) -> Result<bool> {
        self.validators.learn_key(key)
    }

    /// The shell made the first `count` `Record::Status` records this node emitted (since it
    /// was created or restored) durable: their outcomes may leave memory now (see
    /// [`Config::archive`]).
    pub fn decisions_persisted(&mut self, count: u64) {
        self.txs.decided.persisted(count);
        self.trim_outcomes();
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.me
    }
    /// The status of a transaction, if known. With an archive, `None` for a decided one whose
    /// outcome left memory: the shell's record of its decisions tells it.
    pub fn status(&self, tx: &TxId) -> Option<TxStatus> {
        self.txs.status(tx)
    }
    /// The consensus counters of a transaction, if known.
    /// Decided transactions keep only their outcome (their counters read as zero).
    pub fn tx_info(&self, tx: &TxId) -> Option<TxInfo> {
        let Some(r) = self.txs.records.get(tx) else {
            let status = self.txs.decided.in_memory(tx)?;
            return Some(TxInfo {
                status,
                chits: 0,
                confidence: 0,
                preferred: status == TxStatus::Accepted,
                conflicts: 0,
                consecutive: 0,
            });
        };
        let set = self.txs.sets.get(&r.key)?;
        Some(TxInfo {
            status: TxStatus::Pending,
            chits: r.chits,
            confidence: r.confidence,
            preferred: set.pref == *tx,
            conflicts: set.members.len() - 1,
            consecutive: if set.last == *tx { set.count } else { 0 },
        })
    }

    /// The most recent equivocation evidence, at most [`RECENT_EVIDENCE`] pieces, oldest
    /// first. Every piece was also handed out as a `Record::Equivocation` to persist.
    pub fn equivocations(&self) -> &VecDeque<Arc<Equivocation>> {
        &self.equivocations
    }

    /// Keeps `evidence` among the recent ones. Each piece holds two full vertices, so a
    /// validator equivocating in every round would otherwise grow memory by two vertices a
    /// round; the store keeps every piece.
    pub(super) fn keep_evidence(&mut self, evidence: Arc<Equivocation>) {
        if self.equivocations.len() >= RECENT_EVIDENCE {
            self.equivocations.pop_front();
        }
        self.equivocations.push_back(evidence);
    }
    /// Number of vertices in the DAG (pruned stubs included).
    pub fn dag_len(&self) -> usize {
        self.dag.len()
    }
    /// Whether `tx` belongs to an arrival parked until the archive answers
    /// ([`Action::RecallOutcomes`]): a client's transaction there is not recorded yet, so the
    /// shell holds its acknowledgement until it is.
    pub fn awaits_archive(&self, tx: &TxId) -> bool {
        self.recall.holds(tx)
    }

    /// Decided outcomes held in memory (all of them without an archive).
    pub fn decided_in_memory(&self) -> usize {
        self.txs.decided.len()
    }
    /// Submitted transactions still waiting for a vertex.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }
    /// The round of this node's latest vertex.
    pub fn round(&self) -> Option<u64> {
        self.own_last_round
    }
    /// A vertex of the DAG, if held in full (settled vertices are pruned to stubs: read them
    /// from the records the node persisted).
    pub fn vertex(&self, id: &VertexId) -> Option<&Arc<Vertex>> {
        self.dag.get(id)
    }
    /// The parameters in force.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Emits a poll's (or an arrival's) decisions. `region` is the polled vertex's unsettled
    /// ancestry, parents first (empty for an arrival, which can only reject): an accepted
    /// transaction is reported with the newest vertex in it that carries it.
    fn emit_effect(&mut self, effect: PollEffect, region: &[VertexId], out: &mut Vec<Action>) {
        if effect.preference_changed {
            self.epoch += 1;
        }
        if !effect.rejected.is_empty() {
            // A rejection can turn a strongly preferred vertex dead.
            self.epoch += 1;
        }
        for (list, status) in [
            (&effect.accepted, TxStatus::Accepted),
            (&effect.rejected, TxStatus::Rejected),
        ] {
            for tx in list {
                out.push(Action::Persist(Record::Status { tx: *tx, status }));
            }
        }
        let statuses = effect.accepted.len() + effect.rejected.len();
        if statuses > 0 {
            self.txs.decided.emitted(statuses as u64);
        }
        if !effect.rejected.is_empty() || !effect.accepted.is_empty() {
            // A pending transaction can be decided through another node's vertex.
            let decided: crate::id_map::IdSet<TxId> = effect
                .accepted
                .iter()
                .chain(&effect.rejected)
                .copied()
                .collect();
            self.pending.retain(|t| !decided.contains(&t.id()));
        }
        if !effect.accepted.is_empty() {
            let through = self.carriers(&effect.accepted, region);
            out.push(Action::Accepted(through));
        }
        if !effect.rejected.is_empty() {
            out.push(Action::Rejected(effect.rejected));
        }
    }

    /// Checks and admits a client transaction (persisted first) without issuing a vertex. One
    /// that needs the archive's answer first is admitted once it comes (`node/recall.rs`).
    fn admit_client(&mut self, tx: Transaction, out: &mut Vec<Action>) -> Result<()> {
        cretoai_types::encoding::bounded(
            tx.payload().len(),
            self.params.limits.max_payload,
            "payload",
        )?;
        if self.check == SignatureCheck::Full {
            tx.verify_signature()?;
        }
        if let Some(recall::Arrival::Submitted(tx)) =
            self.wait_for_archive(recall::Arrival::Submitted(tx), out)
        {
            self.admit_checked(tx, out);
        }
        Ok(())
    }

    /// Admits a checked client transaction whose outcome, if any, is in memory.
    fn admit_checked(&mut self, tx: Transaction, out: &mut Vec<Action>) {
        if self.txs.status(&tx.id()).is_some() {
            return;
        }
        out.push(Action::Persist(Record::Submitted(tx.clone())));
        self.admit_submitted(tx, out);
    }

    fn admit_submitted(&mut self, tx: Transaction, out: &mut Vec<Action>) {
        if self.txs.status(&tx.id()).is_some() {
            return;
        }
        let effect = self.txs.insert(tx.id(), tx.conflict_key());
        self.emit_effect(effect, &[], out);
        // A newcomer to a decided set was rejected at once; the rest waits for a vertex.
        if self.txs.status(&tx.id()) == Some(TxStatus::Pending) {
            self.pending.push(tx);
        }
    }
}
