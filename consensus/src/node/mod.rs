//! The consensus state machine: events in, actions out.

mod intake;
mod issuer;
mod poll;
mod stranded;

use crate::conflict_set::{PollEffect, TxStatus, TxTable};
use crate::dag::Dag;
use crate::error::{ConsensusError, Result};
use crate::message::{Action, Equivocation, Event, Record};
use crate::outcome_window::{DecisionArchive, OutcomeWindow};
use crate::params::Params;
use crate::transaction::{Transaction, TxId};
use crate::validator::{NodeId, SignatureCheck, ValidatorSet};
use crate::vertex::{Vertex, VertexId};
use cretoai_crypto::ml_dsa::{SigningKey, VerifyingKey};
use poll::Poll;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

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
    /// The node's durable record of its decisions. With one, decided outcomes leave memory
    /// once durable and beyond the most recent `remembered_decisions`; without, all stay.
    pub archive: Option<Arc<dyn DecisionArchive>>,
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
            archive: None,
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

/// What a node's core holds in memory ([`Node::footprint`]). Transaction bodies (several KB
/// each with ML-DSA keys and signatures) are held only by unsettled or tip vertices and by
/// pending submissions; settled history costs a header stub per vertex and an outcome per
/// decided transaction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    /// Vertices held in full (unsettled, or settled tips).
    pub full_vertices: usize,
    /// Settled vertices reduced to a header stub.
    pub pruned_vertices: usize,
    /// Transactions inside full vertices.
    pub held_txs: usize,
    /// Encoded bytes of the transactions in full vertices and pending submissions.
    pub held_tx_bytes: usize,
    /// Transactions with Snowball counters (not decided).
    pub undecided_txs: usize,
    /// Decided transactions (outcome only).
    pub decided_txs: usize,
    /// Submitted transactions waiting for one of this node's vertices.
    pub pending_txs: usize,
    /// Polls running.
    pub polls: usize,
    /// Stranded transactions queued for this node's next vertices (`node/stranded.rs`).
    pub stranded_txs: usize,
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
    last_sync: u64,
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
                config.archive,
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
            last_sync: 0,
            replaying: false,
            unpolled: Vec::new(),
            stranded_after_ms: config.stranded_after_ms,
            stranded: stranded::Stranded::default(),
        })
    }

    /// Rebuilds a node from the records it persisted, in the order it persisted them. The node
    /// resumes where it stopped: same DAG, same counters, same own round (so it never signs a
    /// second vertex for a round it already used).
    pub fn restore(
        config: Config,
        key: SigningKey,
        seed: [u8; 32],
        records: impl IntoIterator<Item = Record>,
    ) -> Result<Self> {
        let mut node = Self::new(config, key, seed)?;
        node.replaying = true;
        // Every decision replayed was made, and made durable, before: outcomes may leave
        // memory as the replay goes.
        node.txs.decided.persisted(u64::MAX);
        let mut sink = Vec::new();
        let mut polled = HashSet::new();
        for (n, record) in records.into_iter().enumerate() {
            // Prune as the replay goes, so a long log is restored in bounded memory.
            if n.is_multiple_of(REPLAY_PRUNE_EVERY) {
                node.dag.prune();
            }
            // What the node would have done was done before the crash; the actions also hold
            // the records' vertices and transactions, which must not outlive their turn.
            sink.clear();
            match record {
                Record::Submitted(tx) => node.admit_submitted(tx, &mut sink),
                Record::Vertex(v) => {
                    if !node.dag.missing_parents(&v).is_empty() {
                        return Err(ConsensusError::Restore("vertex before its parents"));
                    }
                    node.insert_vertex(0, v, &mut sink);
                }
                Record::PollResult { vertex, yes } => {
                    if !node.dag.contains(&vertex) {
                        return Err(ConsensusError::Restore("poll result for unknown vertex"));
                    }
                    polled.insert(vertex);
                    node.apply_poll_result(vertex, yes, &mut sink);
                }
                Record::Status { .. } => {}
                Record::Equivocation(e) => {
                    if node.equivocation_slots.insert((e.author(), e.round())) {
                        node.keep_evidence(e);
                    }
                }
            }
        }
        node.replaying = false;
        node.txs.decided.restart_counts();
        node.dag.prune();
        let mut unpolled: Vec<VertexId> = node
            .dag
            .entries
            .iter()
            .filter(|(id, e)| !e.settled && !polled.contains(*id))
            .map(|(id, _)| *id)
            .collect();
        unpolled.sort_by_key(|id| (node.dag.entries[id].height, *id));
        node.unpolled = unpolled;
        Ok(node)
    }

    /// Feeds one event at time `now` (milliseconds) and returns what to do, in order.
    /// Invalid input from peers is dropped without effect; so is a refused `SubmitTx` (use
    /// [`Node::submit`] to learn why a client transaction was refused).
    pub fn handle(&mut self, now: u64, event: Event) -> Vec<Action> {
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
        }
        out
    }

    /// Submits a client transaction, reporting why it was refused if it was.
    pub fn submit(&mut self, now: u64, tx: Transaction) -> Result<Vec<Action>> {
        let mut out = Vec::new();
        self.admit_client(tx, &mut out)?;
        self.maybe_issue(now, &mut out);
        Ok(out)
    }

    /// Submits client transactions together: each is admitted or refused (the verdicts, in
    /// order), then vertices are issued once, so that a batch shares vertices. Submitted one by
    /// one, the first transaction went out alone whenever no poll was running, and a lone
    /// validator (whose polls finish at once) signed a vertex per transaction.
    pub fn submit_all(
        &mut self,
        now: u64,
        txs: impl IntoIterator<Item = Transaction>,
    ) -> (Vec<Result<()>>, Vec<Action>) {
        let mut out = Vec::new();
        let verdicts = txs
            .into_iter()
            .map(|tx| self.admit_client(tx, &mut out))
            .collect();
        self.maybe_issue(now, &mut out);
        (verdicts, out)
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
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.me
    }
    /// The status of a transaction, if known.
    pub fn status(&self, tx: &TxId) -> Option<TxStatus> {
        self.txs.status(tx)
    }
    /// The consensus counters of a transaction, if known.
    /// Decided transactions keep only their outcome (their counters read as zero).
    pub fn tx_info(&self, tx: &TxId) -> Option<TxInfo> {
        let Some(r) = self.txs.records.get(tx) else {
            let status = self.txs.decided.get(tx)?;
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
    /// What the core holds in memory, by kind (walks the DAG: for diagnostics and tests, not
    /// for every turn).
    pub fn footprint(&self) -> Footprint {
        let (full_vertices, pruned_vertices) = self.dag.sizes();
        let (held_txs, held_tx_bytes) = self.dag.held_txs();
        Footprint {
            full_vertices,
            pruned_vertices,
            held_txs,
            held_tx_bytes: held_tx_bytes
                + self
                    .pending
                    .iter()
                    .map(Transaction::encoded_len)
                    .sum::<usize>(),
            undecided_txs: self.txs.records.len(),
            decided_txs: self.txs.decided.len(),
            pending_txs: self.pending.len(),
            polls: self.polls.len(),
            stranded_txs: self.stranded.queued(),
        }
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

    /// Each of `accepted` with the newest vertex of `region` that carries it (the polled
    /// vertex itself, the newest of the region, if none would: every accepted transaction is
    /// in the region, as only polls accept).
    fn carriers(&self, accepted: &[TxId], region: &[VertexId]) -> Vec<(TxId, VertexId)> {
        let mut open: crate::id_map::IdSet<TxId> = accepted.iter().copied().collect();
        let mut found: crate::id_map::IdMap<TxId, VertexId> = crate::id_map::IdMap::default();
        for id in region.iter().rev() {
            if open.is_empty() {
                break;
            }
            for tx in self.dag.entries[id].vertex.txs() {
                if open.remove(&tx.id()) {
                    found.insert(tx.id(), *id);
                }
            }
        }
        let fallback = region.last().copied().unwrap_or(VertexId([0; 32]));
        accepted
            .iter()
            .map(|t| (*t, found.get(t).copied().unwrap_or(fallback)))
            .collect()
    }

    /// Checks and admits a client transaction (persisted first) without issuing a vertex.
    fn admit_client(&mut self, tx: Transaction, out: &mut Vec<Action>) -> Result<()> {
        crate::encoding::bounded(
            tx.payload().len(),
            self.params.limits.max_payload,
            "payload",
        )?;
        if self.check == SignatureCheck::Full {
            tx.verify_signature()?;
        }
        if self.txs.lookup(&tx.id(), &tx.conflict_key()).is_some() {
            return Ok(());
        }
        out.push(Action::Persist(Record::Submitted(tx.clone())));
        self.admit_submitted(tx, out);
        Ok(())
    }

    fn admit_submitted(&mut self, tx: Transaction, out: &mut Vec<Action>) {
        if self.txs.lookup(&tx.id(), &tx.conflict_key()).is_some() {
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
