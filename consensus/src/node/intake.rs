//! Receiving vertices: validation, parking orphans, fetching what is missing, inserting into
//! the DAG, detecting equivocation; answering fetches and frontier gossip.

use super::recall::Arrival;
use super::Node;
use crate::message::{Action, Equivocation, Record};
use crate::validator::SignatureCheck;
use crate::vertex::{Vertex, VertexId};
use cretoai_types::NodeId;
use std::sync::Arc;

/// Most ids answered per fetch request.
const MAX_FETCH: usize = 256;
/// Most queries parked for one unknown vertex.
const MAX_WAITING_QUERIES: usize = 64;
/// Most unknown vertices that queries may wait for at once; beyond it a query for an unknown
/// vertex is dropped (the asker counts it as "no"), so made-up ids cannot exhaust memory.
const MAX_WAITING_VERTICES: usize = 4_096;

impl Node {
    pub(super) fn on_vertex(
        &mut self,
        now: u64,
        from: NodeId,
        vertex: Arc<Vertex>,
        out: &mut Vec<Action>,
    ) {
        if self.dag.knows(&vertex.id()) || self.recall.waits_for(&vertex.id()) {
            return;
        }
        if vertex.check_structure(&self.params.limits).is_err() {
            return;
        }
        // An author whose key is unknown is refused in trusted mode too: the shell cannot have
        // verified it. The vertex is dropped, not parked; once the key is learned, frontier
        // gossip and fetch retries bring it again.
        let checked = match self.check {
            SignatureCheck::Full => vertex.verify_signatures(&self.validators, true),
            SignatureCheck::Trusted => self.validators.author_key(&vertex.author()).map(|_| ()),
        };
        if checked.is_err() {
            return;
        }
        let missing = self.dag.missing_parents(&vertex);
        if !missing.is_empty() {
            self.dag.park(vertex, &missing);
            let wanted: Vec<VertexId> = missing
                .into_iter()
                .filter(|m| !self.dag.knows(m) && !self.fetched_at.contains_key(m))
                .collect();
            self.request(now, from, wanted, out);
            return;
        }
        self.insert_ready(now, vertex, out);
    }

    /// Inserts `vertex`, whose parents are all present, and the orphans it releases. One that
    /// carries a transaction needing the archive's answer waits for it (`node/recall.rs`).
    pub(super) fn insert_ready(&mut self, now: u64, vertex: Arc<Vertex>, out: &mut Vec<Action>) {
        let mut ready = vec![vertex];
        while let Some(v) = ready.pop() {
            let id = v.id();
            if self.dag.contains(&id) || !self.links_ok(&v) {
                continue;
            }
            let Some(Arrival::Vertex(v)) = self.wait_for_archive(Arrival::Vertex(v), out) else {
                continue;
            };
            self.insert_vertex(now, v, out);
            ready.extend(self.dag.release(&id));
        }
    }

    /// A vertex after round 0 must link to an earlier vertex of its own author.
    fn links_ok(&self, v: &Vertex) -> bool {
        v.round() == 0
            || v.parents().iter().any(|p| {
                self.dag
                    .header(p)
                    .is_some_and(|pv| pv.author() == v.author() && pv.round() < v.round())
            })
    }

    pub(super) fn request(
        &mut self,
        now: u64,
        peer: NodeId,
        ids: Vec<VertexId>,
        out: &mut Vec<Action>,
    ) {
        if ids.is_empty() || peer == self.me || self.replaying {
            return;
        }
        for id in &ids {
            self.fetched_at.insert(*id, now);
        }
        out.push(Action::Fetch { peer, ids });
    }

    /// Adds a vertex whose parents are all present.
    pub(super) fn insert_vertex(&mut self, now: u64, v: Arc<Vertex>, out: &mut Vec<Action>) {
        let id = v.id();
        self.fetched_at.remove(&id);
        if let Some(first) = self.dag.insert(v.clone()) {
            // Evidence needs the first vertex in full; if it was already pruned (settled long
            // ago) the shell's store still holds it, but the core reports only what it holds.
            let slot = (v.author(), v.round());
            if let Some(first) = self.dag.get(&first).cloned() {
                if self.equivocation_slots.insert(slot) {
                    let evidence = Arc::new(Equivocation {
                        first,
                        second: v.clone(),
                    });
                    self.keep_evidence(evidence.clone());
                    out.push(Action::Persist(Record::Equivocation(evidence.clone())));
                    out.push(Action::EquivocationDetected(evidence));
                }
            }
        }
        out.push(Action::Persist(Record::Vertex(v.clone())));
        for tx in v.txs() {
            let effect = self.txs.insert(tx.id(), tx.conflict_key());
            self.emit_effect(effect, &[], out);
        }
        if !v.txs().is_empty() {
            // A late vertex whose transactions were all decided elsewhere settles (and can be
            // pruned) now rather than at the next decision that happens to reach it.
            self.settle(&[id]);
        }
        if v.author() == self.me {
            self.own_last_round = Some(self.own_last_round.map_or(v.round(), |r| r.max(v.round())));
            let inside: std::collections::HashSet<_> = v.txs().iter().map(|t| t.id()).collect();
            self.pending.retain(|t| !inside.contains(&t.id()));
        }
        if let Some(waiting) = self.waiting_queries.remove(&id) {
            for (peer, request_id) in waiting {
                self.respond(peer, request_id, id, out);
            }
        }
        if !self.replaying && v.author() != self.me {
            self.start_poll(now, id, out);
        }
    }

    pub(super) fn on_query(
        &mut self,
        now: u64,
        from: NodeId,
        request_id: u64,
        vertex: VertexId,
        out: &mut Vec<Action>,
    ) {
        if self.validators.get(&from).is_none() {
            return;
        }
        if self.dag.contains(&vertex) {
            self.respond(from, request_id, vertex, out);
            return;
        }
        // Answer once the vertex arrives; a late answer is simply a "no" at the asker.
        if !self.waiting_queries.contains_key(&vertex)
            && self.waiting_queries.len() >= MAX_WAITING_VERTICES
        {
            return;
        }
        let waiting = self.waiting_queries.entry(vertex).or_default();
        if waiting.len() < MAX_WAITING_QUERIES {
            waiting.push((from, request_id));
        }
        self.defer_fetch(now, from, [vertex]);
    }

    /// Fetches `ids` from `peer` if they are still unknown after a grace of a quarter of the
    /// query timeout. A query or a frontier is a few bytes on its own QUIC stream and overtakes
    /// the broadcast of the vertex it names (hundreds of KB); fetching at once sent peers about
    /// 0.8 extra copies of every vertex (docs/benchmarks/history.md, cluster).
    fn defer_fetch(&mut self, now: u64, peer: NodeId, ids: impl IntoIterator<Item = VertexId>) {
        let due = now.saturating_add(self.params.query_timeout_ms / 4);
        for id in ids {
            if self.dag.knows(&id) || self.fetched_at.contains_key(&id) {
                continue;
            }
            if self.deferred_fetches.len() >= MAX_WAITING_VERTICES {
                break;
            }
            self.deferred_fetches.entry(id).or_insert((peer, due));
        }
    }

    /// Requests the deferred ids whose grace is over and that are still unknown.
    fn fetch_deferred(&mut self, now: u64, out: &mut Vec<Action>) {
        let mut due: Vec<(NodeId, VertexId)> = Vec::new();
        self.deferred_fetches.retain(|id, (peer, at)| {
            let keep = *at > now;
            if !keep {
                due.push((*peer, *id));
            }
            keep
        });
        due.retain(|(_, id)| !self.dag.knows(id) && !self.fetched_at.contains_key(id));
        // Map order is random per process; sorting keeps runs reproducible by seed.
        due.sort_unstable();
        for group in due.chunk_by(|a, b| a.0 == b.0) {
            let ids = group.iter().map(|(_, id)| *id).take(MAX_FETCH).collect();
            self.request(now, group[0].0, ids, out);
        }
    }

    fn respond(&mut self, peer: NodeId, request_id: u64, vertex: VertexId, out: &mut Vec<Action>) {
        let preferred = self.strongly_preferred(vertex);
        out.push(Action::RespondChits {
            peer,
            request_id,
            preferred,
        });
    }

    pub(super) fn on_fetch(&mut self, from: NodeId, ids: Vec<VertexId>, out: &mut Vec<Action>) {
        if self.validators.get(&from).is_none() {
            return;
        }
        let vertices: Vec<Arc<Vertex>> = ids
            .iter()
            .take(MAX_FETCH)
            .filter_map(|id| self.dag.get(id).cloned())
            .collect();
        if !vertices.is_empty() {
            out.push(Action::SendVertices {
                peer: from,
                vertices,
            });
        }
    }

    pub(super) fn on_frontier(&mut self, now: u64, from: NodeId, tips: Vec<VertexId>) {
        if self.validators.get(&from).is_none() {
            return;
        }
        self.defer_fetch(now, from, tips.into_iter().take(MAX_FETCH));
    }

    /// Re-asks for parents that never came (lost messages, crashed peers) from a random peer.
    pub(super) fn retry_fetches(&mut self, now: u64, out: &mut Vec<Action>) {
        self.fetch_deferred(now, out);
        let timeout = self.params.query_timeout_ms;
        // Forget requests for ids nobody delivered long ago (made-up ids, lost vertices that
        // no orphan needs); what orphans still need is re-requested below.
        let horizon = now.saturating_sub(timeout.saturating_mul(10));
        self.fetched_at.retain(|_, at| *at >= horizon);
        if self.waiting_queries.len() > MAX_WAITING_VERTICES / 2 {
            let dag = &self.dag;
            self.waiting_queries.retain(|id, _| dag.knows(id));
        }
        let due: Vec<VertexId> = self
            .dag
            .wanted()
            .into_iter()
            .filter(|id| self.fetched_at.get(id).is_none_or(|t| now >= t + timeout))
            .take(MAX_FETCH)
            .collect();
        if let Some(peer) = self.random_peer() {
            self.request(now, peer, due, out);
        }
    }

    /// Gossips the DAG tips to one random peer so that nodes that missed vertices catch up.
    pub(super) fn gossip_frontier(&mut self, now: u64, out: &mut Vec<Action>) {
        if self
            .last_sync
            .is_some_and(|t| now < t.saturating_add(self.sync_interval_ms))
        {
            return;
        }
        self.last_sync = Some(now);
        let Some(peer) = self.random_peer() else {
            return;
        };
        let mut tips: Vec<VertexId> = self.dag.tips.iter().copied().collect();
        tips.sort_unstable();
        tips.truncate(MAX_FETCH);
        if !tips.is_empty() {
            out.push(Action::Frontier { peer, tips });
        }
    }

    fn random_peer(&mut self) -> Option<NodeId> {
        let peers = self.validators.peers(&self.me);
        if peers.is_empty() {
            return None;
        }
        let i = (rand::RngCore::next_u64(&mut self.rng) % peers.len() as u64) as usize;
        Some(peers[i])
    }
}
