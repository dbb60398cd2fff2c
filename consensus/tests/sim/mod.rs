//! A deterministic network simulator for the consensus core: N nodes, a seeded RNG, a
//! simulated clock, and a network that drops, delays, duplicates and reorders messages,
//! partitions and heals, and crashes and restarts nodes from what they persisted. Messages
//! travel as the bytes of the real codec (`cretoai_consensus::wire`): each is encoded when sent
//! and decoded when delivered, so a codec bug shows up as a violation here.
//! Shared by the property tests, the `sim_report` example and the criterion bench.
#![allow(dead_code)]

mod archive;
mod byzantine;
mod checks;
mod wire;
mod workload;

pub use archive::SimArchive;
pub use byzantine::Byzantine;
pub use cretoai_consensus::wire::Message as Msg;
use cretoai_consensus::{
    Action, Config, ConflictKey, Event, Node, NodeId, Now, Params, Record, SignatureCheck,
    Transaction, TxId, Validator, ValidatorSet, Vertex, VertexId,
};
use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::Arc;
use wire::Wire;
#[allow(unused_imports)]
pub use workload::{for_each_seed, mean_latency_ms, seeds, summary, Clients};

/// Network and fault settings.
#[derive(Clone, Debug)]
pub struct NetConfig {
    pub min_delay_ms: u64,
    pub max_delay_ms: u64,
    pub drop_rate: f64,
    pub duplicate_rate: f64,
    pub tick_ms: u64,
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            min_delay_ms: 5,
            max_delay_ms: 40,
            drop_rate: 0.0,
            duplicate_rate: 0.0,
            tick_ms: 50,
        }
    }
}

#[derive(Debug)]
enum Item {
    Deliver {
        to: usize,
        from: usize,
        wire: Wire,
    },
    Tick(usize),
    /// Machine `to`'s archive answers its core (started `restarts` times when it asked).
    Recall {
        to: usize,
        restarts: u32,
        ids: Vec<TxId>,
    },
}

/// The simulated wall clock at simulated time 0 (vertex timestamps only): the cores' timers run
/// on the simulation's own monotonic clock.
const SIM_EPOCH_UNIX_MS: u64 = 1_700_000_000_000;

/// One simulated machine: an honest node, or a Byzantine one.
pub struct Machine {
    pub id: NodeId,
    key_seed: [u8; 32],
    pub node: Option<Node>,
    pub byzantine: Option<Byzantine>,
    /// What the node persisted: survives crashes.
    pub store: Vec<Record>,
    /// The persisted vertices by id, as a node's database indexes them: fetches are answered
    /// from here, since the core prunes settled vertices.
    pub vertex_store: HashMap<VertexId, Arc<Vertex>>,
    /// Everything this machine ever accepted (time) / rejected, across restarts.
    pub accepted: HashMap<TxId, u64>,
    pub rejected: HashSet<TxId>,
    pub restarts: u32,
    /// Every decision the machine persisted, for a core that keeps only recent outcomes.
    pub archive: Arc<SimArchive>,
    /// Status records persisted since the node last started (reported to it).
    statuses: u64,
}

/// The simulator.
pub struct Sim {
    pub seed: u64,
    pub now: u64,
    pub rng: ChaCha20Rng,
    pub net: NetConfig,
    pub config: Config,
    pub machines: Vec<Machine>,
    index: HashMap<NodeId, usize>,
    queue: BinaryHeap<Reverse<(u64, u64, usize)>>,
    items: HashMap<usize, Item>,
    seq: u64,
    /// Partition group per machine; messages cross only within a group.
    pub groups: Vec<u32>,
    pub messages: u64,
    /// Conflict key of every transaction the simulation created.
    pub keys: HashMap<TxId, ConflictKey>,
    /// Submission time and submitting node's round, per transaction.
    pub submitted: HashMap<TxId, (usize, u64, u64)>,
    /// Own-round distance from submission to acceptance at the submitting node.
    pub rounds_to_finality: Vec<u64>,
    /// Simulated milliseconds from submission to acceptance at the submitting node.
    pub latency_ms: Vec<u64>,
    pub equivocations: Vec<(usize, NodeId, u64)>,
    pub violations: Vec<String>,
    accepted_by_key: HashMap<ConflictKey, TxId>,
    /// Whether nodes keep only recent outcomes (see [`Sim::remember_only`]).
    archived: bool,
    /// Transactions the cores asked their archives about (`Action::RecallOutcomes`).
    pub recalled: u64,
    /// Whether messages travel as the codec's bytes (the default); the core's throughput
    /// bench turns it off to time the core alone.
    pub codec: bool,
}

fn seed32(seed: u64, salt: u64) -> [u8; 32] {
    let mut r = ChaCha20Rng::seed_from_u64(seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut s = [0u8; 32];
    r.fill_bytes(&mut s);
    s
}

/// ML-DSA-65 key of node `i` (the same for every simulation: key generation is not the point).
pub fn node_key_seed(i: usize) -> [u8; 32] {
    let mut s = [0u8; 32];
    s[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    s[8] = 0xC0;
    s
}

impl Sim {
    /// `n` machines, the last `byzantine` of them Byzantine.
    pub fn new(
        n: usize,
        byzantine: usize,
        params: Params,
        check: SignatureCheck,
        net: NetConfig,
        seed: u64,
    ) -> Self {
        let keys: Vec<SigningKey> = (0..n)
            .map(|i| SigningKey::from_seed(MlDsaLevel::MlDsa65, &node_key_seed(i)).unwrap())
            .collect();
        let validators = ValidatorSet::new(
            keys.iter()
                .map(|k| Validator::new(k.verifying_key().clone(), 1))
                .collect(),
        )
        .unwrap();
        let mut config = Config::new(params, validators);
        config.signature_check = check;
        config.sync_interval_ms = 500;
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut machines = Vec::new();
        let mut index = HashMap::new();
        for (i, key) in keys.into_iter().enumerate() {
            let id = NodeId::of_key(key.verifying_key());
            index.insert(id, i);
            let is_byz = i >= n - byzantine;
            let (node, byz) = if is_byz {
                (None, Some(Byzantine::new(key, i, &mut rng)))
            } else {
                (
                    Some(Node::new(config.clone(), key, seed32(seed, i as u64)).unwrap()),
                    None,
                )
            };
            machines.push(Machine {
                id,
                key_seed: node_key_seed(i),
                node,
                byzantine: byz,
                store: Vec::new(),
                vertex_store: HashMap::new(),
                accepted: HashMap::new(),
                rejected: HashSet::new(),
                restarts: 0,
                archive: Arc::default(),
                statuses: 0,
            });
        }
        let mut sim = Self {
            seed,
            now: 0,
            rng,
            net,
            config,
            machines,
            index,
            queue: BinaryHeap::new(),
            items: HashMap::new(),
            seq: 0,
            groups: vec![0; n],
            messages: 0,
            keys: HashMap::new(),
            submitted: HashMap::new(),
            rounds_to_finality: Vec::new(),
            latency_ms: Vec::new(),
            equivocations: Vec::new(),
            violations: Vec::new(),
            accepted_by_key: HashMap::new(),
            archived: false,
            recalled: 0,
            codec: true,
        };
        for i in 0..n {
            let first = sim.rng.random_range(0..sim.net.tick_ms.max(1));
            sim.push(first, Item::Tick(i));
        }
        sim
    }

    pub fn n(&self) -> usize {
        self.machines.len()
    }

    /// The time of a call into a core.
    pub fn clock(&self) -> Now {
        Now {
            monotonic_ms: self.now,
            unix_ms: SIM_EPOCH_UNIX_MS + self.now,
        }
    }

    fn push(&mut self, at: u64, item: Item) {
        self.seq += 1;
        let slot = self.seq as usize;
        self.items.insert(slot, item);
        self.queue.push(Reverse((at, self.seq, slot)));
    }

    pub fn is_up(&self, i: usize) -> bool {
        self.machines[i].node.is_some() || self.machines[i].byzantine.is_some()
    }

    /// Sends `msg` through the faulty network (as the codec's bytes unless `codec` is off).
    pub fn send(&mut self, from: usize, to: usize, msg: Msg) {
        let wire = Wire::of(msg, self.codec);
        self.transmit(from, to, wire);
    }

    /// Puts what `from` wrote through the faulty network to `to`.
    fn transmit(&mut self, from: usize, to: usize, wire: Wire) {
        self.messages += 1;
        if self.rng.random_bool(self.net.drop_rate) {
            return;
        }
        let copies = if self.rng.random_bool(self.net.duplicate_rate) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let delay = self
                .rng
                .random_range(self.net.min_delay_ms..=self.net.max_delay_ms);
            self.push(
                self.now + delay,
                Item::Deliver {
                    to,
                    from,
                    wire: wire.clone(),
                },
            );
        }
    }

    /// Hands a client transaction to machine `i`.
    /// Returns false if the machine is down (the transaction is lost).
    pub fn submit(&mut self, i: usize, tx: Transaction) -> bool {
        self.keys.insert(tx.id(), tx.conflict_key());
        let Some(node) = self.machines[i].node.as_mut() else {
            return false;
        };
        let round = node.round().unwrap_or(0);
        self.submitted
            .entry(tx.id())
            .or_insert((i, self.now, round));
        let now = Now {
            monotonic_ms: self.now,
            unix_ms: SIM_EPOCH_UNIX_MS + self.now,
        };
        let actions = node.submit(now, tx).expect("valid transaction");
        self.apply(i, actions);
        true
    }

    /// Runs the simulation up to time `until`.
    pub fn run_until(&mut self, until: u64) {
        while let Some(Reverse((at, _, slot))) = self.queue.peek().copied() {
            if at > until {
                break;
            }
            self.queue.pop();
            self.now = at;
            let item = self.items.remove(&slot).expect("queued item");
            match item {
                Item::Tick(i) => {
                    let next = self.now + self.net.tick_ms;
                    self.push(next, Item::Tick(i));
                    let now = self.clock();
                    if let Some(node) = self.machines[i].node.as_mut() {
                        let actions = node.handle(now, Event::Tick);
                        self.apply(i, actions);
                    } else if self.machines[i].byzantine.is_some() {
                        byzantine::step(self, i);
                    }
                }
                Item::Deliver { to, from, wire } => {
                    if self.groups[to] != self.groups[from] || !self.is_up(to) {
                        continue;
                    }
                    let Some(msg) = self.receive(from, wire) else {
                        continue;
                    };
                    if self.machines[to].byzantine.is_some() {
                        byzantine::receive(self, to, from, msg);
                        continue;
                    }
                    let from_id = self.machines[from].id;
                    if let Msg::Fetch(ids) = &msg {
                        self.serve_fetch(to, from, ids);
                        continue;
                    }
                    let event = match msg {
                        Msg::Vertex(vertex) => Event::Vertex {
                            from: from_id,
                            vertex,
                        },
                        Msg::Vertices(vertices) => {
                            for vertex in vertices {
                                let event = Event::Vertex {
                                    from: from_id,
                                    vertex,
                                };
                                self.deliver(to, event);
                            }
                            continue;
                        }
                        Msg::Query { request_id, vertex } => Event::Query {
                            from: from_id,
                            request_id,
                            vertex,
                        },
                        Msg::Chits {
                            request_id,
                            preferred,
                        } => Event::Chits {
                            from: from_id,
                            request_id,
                            preferred,
                        },
                        Msg::Fetch(ids) => Event::FetchRequest { from: from_id, ids },
                        Msg::Frontier(tips) => Event::Frontier {
                            from: from_id,
                            tips,
                        },
                    };
                    self.deliver(to, event);
                }
                Item::Recall { to, restarts, ids } => {
                    let now = self.clock();
                    let m = &mut self.machines[to];
                    // A core that crashed since asking is gone; its successor did not ask.
                    if m.restarts != restarts {
                        continue;
                    }
                    let answers = m.archive.recall(&ids);
                    let Some(node) = m.node.as_mut() else {
                        continue;
                    };
                    let actions = node.handle(now, Event::Recalled(answers));
                    self.apply(to, actions);
                }
            }
        }
        self.now = until;
    }

    /// Hands a peer's message to machine `to`'s core (up and honest).
    fn deliver(&mut self, to: usize, event: Event) {
        let now = self.clock();
        let node = self.machines[to].node.as_mut().expect("up");
        let actions = node.handle(now, event);
        self.apply(to, actions);
    }

    fn apply(&mut self, i: usize, actions: Vec<Action>) {
        self.carry_out(i, actions);
        // Persisting is synchronous here: every status record just handed out is durable.
        let m = &mut self.machines[i];
        if let Some(node) = m.node.as_mut() {
            node.decisions_persisted(m.statuses);
        }
    }

    fn carry_out(&mut self, i: usize, actions: Vec<Action>) {
        for a in actions {
            match a {
                Action::Persist(r) => {
                    match &r {
                        Record::Vertex(v) => {
                            self.machines[i].vertex_store.insert(v.id(), v.clone());
                        }
                        Record::Status { tx, status } => {
                            let m = &mut self.machines[i];
                            m.statuses += 1;
                            if let Some(v) = m.archive.record(*tx, *status) {
                                self.violations.push(v);
                            }
                        }
                        _ => {}
                    }
                    self.machines[i].store.push(r)
                }
                Action::Broadcast(v) => {
                    for j in 0..self.n() {
                        if j != i {
                            self.send(i, j, Msg::Vertex(v.clone()));
                        }
                    }
                }
                Action::Query {
                    peer,
                    request_id,
                    vertex,
                } => {
                    let j = self.index[&peer];
                    self.send(i, j, Msg::Query { request_id, vertex });
                }
                Action::RespondChits {
                    peer,
                    request_id,
                    preferred,
                } => {
                    let j = self.index[&peer];
                    self.send(
                        i,
                        j,
                        Msg::Chits {
                            request_id,
                            preferred,
                        },
                    );
                }
                Action::Fetch { peer, ids } => {
                    let j = self.index[&peer];
                    self.send(i, j, Msg::Fetch(ids));
                }
                Action::SendVertices { peer, vertices } => {
                    let j = self.index[&peer];
                    for v in vertices {
                        self.send(i, j, Msg::Vertex(v));
                    }
                }
                Action::Frontier { peer, tips } => {
                    let j = self.index[&peer];
                    self.send(i, j, Msg::Frontier(tips));
                }
                Action::Accepted(ids) => {
                    for (id, _) in ids {
                        self.record_accept(i, id);
                    }
                }
                Action::Rejected(ids) => {
                    for id in ids {
                        self.machines[i].rejected.insert(id);
                        if self.machines.iter().any(|m| m.accepted.contains_key(&id)) {
                            self.violations.push(format!(
                                "{id:?} rejected at node {i} but accepted elsewhere"
                            ));
                        }
                    }
                }
                Action::EquivocationDetected(e) => {
                    if e.verify(&self.config.validators).is_err() {
                        self.violations
                            .push(format!("node {i} reported invalid evidence"));
                    }
                    self.equivocations.push((i, e.author(), e.round()));
                }
                Action::RecallOutcomes(ids) => {
                    self.recalled += ids.len() as u64;
                    let restarts = self.machines[i].restarts;
                    self.push(
                        self.now + archive::ARCHIVE_LATENCY_MS,
                        Item::Recall {
                            to: i,
                            restarts,
                            ids,
                        },
                    );
                }
            }
        }
    }

    /// Answers a peer's fetch from machine `i`'s store, as the node shell does.
    fn serve_fetch(&mut self, i: usize, to: usize, ids: &[VertexId]) {
        let found: Vec<Arc<Vertex>> = ids
            .iter()
            .take(256)
            .filter_map(|id| self.machines[i].vertex_store.get(id).cloned())
            .collect();
        for v in found {
            self.send(i, to, Msg::Vertex(v));
        }
    }

    fn record_accept(&mut self, i: usize, id: TxId) {
        self.machines[i].accepted.insert(id, self.now);
        if self.machines.iter().any(|m| m.rejected.contains(&id)) {
            self.violations.push(format!(
                "{id:?} accepted at node {i} but rejected elsewhere"
            ));
        }
        if let Some(key) = self.keys.get(&id).copied() {
            match self.accepted_by_key.get(&key) {
                Some(other) if *other != id => self.violations.push(format!(
                    "conflicting {id:?} and {other:?} both accepted (node {i})"
                )),
                _ => {
                    self.accepted_by_key.insert(key, id);
                }
            }
        }
        if let Some((origin, at, round)) = self.submitted.get(&id).copied() {
            if origin == i {
                self.latency_ms.push(self.now - at);
                let now_round = self.machines[i]
                    .node
                    .as_ref()
                    .and_then(|n| n.round())
                    .unwrap_or(0);
                self.rounds_to_finality
                    .push(now_round.saturating_sub(round));
            }
        }
    }

    /// An honest simulation whose nodes trust signatures (checked before the core).
    pub fn trusted(n: usize, params: &Params, net: NetConfig, seed: u64) -> Self {
        Self::new(n, 0, params.clone(), SignatureCheck::Trusted, net, seed)
    }

    /// Crashes machine `i`: its memory is lost, its store survives.
    pub fn crash(&mut self, i: usize) {
        self.machines[i].node = None;
    }

    /// Restarts machine `i` from its store.
    pub fn restart(&mut self, i: usize) {
        let m = &mut self.machines[i];
        if m.node.is_some() || m.byzantine.is_some() {
            return;
        }
        m.restarts += 1;
        m.statuses = 0;
        let key = SigningKey::from_seed(MlDsaLevel::MlDsa65, &m.key_seed).unwrap();
        let seed = seed32(self.seed, 1000 + i as u64 * 31 + m.restarts as u64);
        let records = m.store.clone();
        let archive = m.archive.clone();
        let mut replay = Node::replay(self.machine_config(), key, seed).expect("replay");
        for record in records {
            let missing = replay.record(record).expect("restore");
            if !missing.is_empty() {
                replay.recalled(archive.recall(&missing)).expect("restore");
            }
        }
        self.machines[i].node = Some(replay.finish());
    }

    /// Splits the network: machine `i` goes to group `groups[i]`.
    pub fn partition(&mut self, groups: Vec<u32>) {
        self.groups = groups;
    }

    pub fn heal(&mut self) {
        self.groups = vec![0; self.n()];
    }
}
