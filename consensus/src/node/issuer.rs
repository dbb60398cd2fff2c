//! Issuing this node's vertices: batching pending transactions, choosing parents among
//! strongly preferred vertices, and making empty vertices only while finality needs them.

use super::Node;
use crate::id_map::IdSet;
use crate::message::Action;
use crate::vertex::{Vertex, VertexId};
use cretoai_types::Transaction;
use rand::seq::SliceRandom;
use std::sync::Arc;

/// How many of an author's latest vertices are examined when looking for a preferred one.
const PARENT_SCAN: usize = 4;

impl Node {
    /// Issues vertices while this node has no poll of its own running and either has
    /// transactions to batch or an undecided ancestry that needs more polls. Bounded so that a
    /// lone node (whose polls finish at once) still returns.
    pub(super) fn maybe_issue(&mut self, now: u64, out: &mut Vec<Action>) {
        if self.replaying {
            return;
        }
        for _ in 0..=self.params.beta.saturating_mul(2) {
            if self.own_in_flight.is_some() || !self.issue_one(now, out) {
                return;
            }
        }
    }

    /// Issues one vertex if there is a reason to; returns whether it did.
    fn issue_one(&mut self, now: u64, out: &mut Vec<Action>) -> bool {
        let anchor = self.own_anchor();
        let parents = self.choose_parents(anchor);
        let covered: IdSet<_> = self.undecided_in(&parents).into_iter().collect();
        let mut batch: Vec<Transaction> = Vec::new();
        // Stranded transactions first: under load the pending ones alone fill every vertex.
        self.take_stranded(&covered, &mut batch);
        let max = self.params.limits.max_txs_per_vertex;
        for tx in self.pending.iter() {
            if batch.len() >= max {
                break;
            }
            let id = tx.id();
            if !self.txs.is_decided(&id) && self.txs.is_preferred(&id) && !covered.contains(&id) {
                batch.push(tx.clone());
            }
        }
        self.reissue_abandoned(anchor, &covered, &mut batch);
        if batch.is_empty() && (covered.is_empty() || !self.empty_vertex_turn()) {
            return false;
        }
        let Ok(mut parents) = self.with_genesis(now, parents, anchor, out) else {
            return false;
        };
        parents.sort_unstable();
        parents.dedup();
        let round = self.own_last_round.map_or(0, |r| r + 1);
        let Ok(vertex) = Vertex::sign(
            &self.key,
            round,
            self.unix_ms,
            parents,
            batch,
            &self.params.limits,
        ) else {
            return false;
        };
        let vertex = Arc::new(vertex);
        let id = vertex.id();
        self.insert_vertex(now, vertex.clone(), out);
        out.push(Action::Broadcast(vertex));
        self.start_poll(now, id, out);
        if self.polls.contains_key(&id) {
            self.own_in_flight = Some(id);
        }
        true
    }

    /// Whether this node makes an empty vertex now. Every vertex is polled by every node, so
    /// when the validator set is larger than a poll (n - 1 > k - 1 peers) a node takes its
    /// turn with probability (k - 1) / (n - 1): about k empty vertices per round across the
    /// network still give each undecided transaction more than a poll's worth of chits per
    /// round, at a fraction of the messages.
    fn empty_vertex_turn(&mut self) -> bool {
        let peers = self.validators.len() as u64 - 1;
        let draws = u64::from(self.params.k - 1);
        peers <= draws || rand::RngCore::next_u64(&mut self.rng) % peers < draws
    }

    /// Before its first real vertex a node signs an empty round-0 vertex without parents, so
    /// its chain always has a strongly preferred vertex to link to (no transaction can ever
    /// make that one rejected).
    fn with_genesis(
        &mut self,
        now: u64,
        mut parents: Vec<VertexId>,
        anchor: Option<VertexId>,
        out: &mut Vec<Action>,
    ) -> crate::Result<Vec<VertexId>> {
        if anchor.is_some() {
            return Ok(parents);
        }
        let genesis = match self.own_last_round {
            // Restored node whose chain has no preferred vertex: link its own round 0.
            Some(_) => self
                .dag
                .by_author(self.me)
                .last()
                .map(|(_, id)| id)
                .ok_or(crate::ConsensusError::Restore("own chain without round 0"))?,
            None => {
                let v = Arc::new(Vertex::sign(
                    &self.key,
                    0,
                    self.unix_ms,
                    Vec::new(),
                    Vec::new(),
                    &self.params.limits,
                )?);
                self.insert_vertex(now, v.clone(), out);
                out.push(Action::Broadcast(v.clone()));
                v.id()
            }
        };
        parents.push(genesis);
        Ok(parents)
    }

    /// This node's newest strongly preferred vertex.
    /// Walks back lazily: the newest own vertex is almost always the answer, and the chain
    /// grows without bound.
    pub(super) fn own_anchor(&mut self) -> Option<VertexId> {
        let mut below = u64::MAX;
        while let Some((round, id)) = self.dag.author_before(self.me, below) {
            if self.strongly_preferred(id) {
                return Some(id);
            }
            below = round;
        }
        None
    }

    /// The anchor plus the strongly preferred, still undecided DAG tips and newest vertices of
    /// the other authors; a random subset if there are too many. Tips matter when an author
    /// equivocated: the side this node prefers may not be the one first seen in its slot.
    fn choose_parents(&mut self, anchor: Option<VertexId>) -> Vec<VertexId> {
        let mut others = self.preferred_frontier();
        let room = self.params.limits.max_parents - 1;
        if others.len() > room {
            others.shuffle(&mut self.rng);
            others.truncate(room);
        }
        others.extend(anchor);
        others
    }

    /// Every vertex of another author this node could link to now: strongly preferred,
    /// unsettled, and a DAG tip or among its author's newest, sorted by id.
    pub(super) fn preferred_frontier(&mut self) -> Vec<VertexId> {
        let mut candidates: Vec<VertexId> = self.dag.tips.iter().copied().collect();
        let authors = self.validators.peers(&self.me);
        for author in authors {
            candidates.extend(
                self.dag
                    .by_author(author)
                    .take(PARENT_SCAN)
                    .map(|(_, id)| id),
            );
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut others = Vec::new();
        for id in candidates {
            let e = &self.dag.entries[&id];
            if e.settled || e.vertex.author() == self.me {
                continue;
            }
            if self.strongly_preferred(id) {
                others.push(id);
            }
        }
        others
    }

    /// Transactions of this node's own vertices newer than the anchor (vertices that lost
    /// strong preference) that are still undecided and preferred go into the next vertex.
    fn reissue_abandoned(
        &self,
        anchor: Option<VertexId>,
        covered: &IdSet<crate::TxId>,
        batch: &mut Vec<Transaction>,
    ) {
        let anchor_round = anchor
            .and_then(|a| self.dag.header(&a))
            .map_or(0, |v| v.round());
        let max = self.params.limits.max_txs_per_vertex;
        let mut seen: IdSet<_> = batch.iter().map(|t| t.id()).collect();
        for (round, id) in self.dag.by_author(self.me) {
            if round <= anchor_round {
                break;
            }
            for tx in self.dag.entries[&id].vertex.txs() {
                let t = tx.id();
                if batch.len() < max
                    && !self.txs.is_decided(&t)
                    && self.txs.is_preferred(&t)
                    && !covered.contains(&t)
                    && seen.insert(t)
                {
                    batch.push(tx.clone());
                }
            }
        }
    }
}
