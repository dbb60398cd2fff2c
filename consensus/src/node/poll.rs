//! Polls: sampling peers, collecting chits, the node's own vote, timeouts, and applying a
//! poll's outcome to the ancestry of the polled vertex; strong preference.

use super::Node;
use crate::id_map::IdSet;
use crate::message::{Action, Record};
use crate::vertex::VertexId;
use cretoai_types::NodeId;
use cretoai_types::TxId;
use std::collections::HashMap;

/// After this many polls in a row without an answer a peer counts as silent: it is still
/// queried, but polls no longer wait for it (its slots are "no" unless it answers in time).
/// Any answer from it clears the count. This changes no vote, only how long polls take when
/// validators are down.
pub(super) const SILENT_STRIKES: u32 = 3;

/// A running poll of one vertex.
pub(super) struct Poll {
    deadline: u64,
    /// Sampled peers still to answer, with the number of slots each holds.
    outstanding: HashMap<NodeId, (u32, u64)>,
    yes: u32,
}

impl Node {
    /// Starts polling `vertex` unless nothing in its ancestry is undecided.
    pub(super) fn start_poll(&mut self, now: u64, vertex: VertexId, out: &mut Vec<Action>) {
        if self.polls.contains_key(&vertex) || !self.has_undecided(vertex) {
            return;
        }
        let k = self.params.k;
        if self.validators.len() == 1 {
            // Alone in the validator set: every slot is this node's own opinion.
            let yes = if self.strongly_preferred(vertex) {
                k
            } else {
                0
            };
            self.finish_poll(now, vertex, yes, out);
            return;
        }
        let sample = self.validators.sample_peers(&self.me, k - 1, &mut self.rng);
        let mut outstanding = HashMap::with_capacity(sample.len());
        for (peer, slots) in sample {
            let request_id = self.next_request;
            self.next_request += 1;
            self.requests.insert(request_id, (vertex, peer));
            outstanding.insert(peer, (slots, request_id));
            out.push(Action::Query {
                peer,
                request_id,
                vertex,
            });
        }
        self.polls.insert(
            vertex,
            Poll {
                deadline: now + self.params.query_timeout_ms,
                outstanding,
                yes: 0,
            },
        );
    }

    pub(super) fn on_chits(
        &mut self,
        now: u64,
        from: NodeId,
        request_id: u64,
        preferred: bool,
        out: &mut Vec<Action>,
    ) {
        if self.validators.get(&from).is_some() {
            self.silence.remove(&from);
        }
        let Some((vertex, peer)) = self.requests.get(&request_id).copied() else {
            return;
        };
        if peer != from {
            return;
        }
        self.requests.remove(&request_id);
        let Some(poll) = self.polls.get_mut(&vertex) else {
            return;
        };
        if let Some((slots, _)) = poll.outstanding.remove(&from) {
            if preferred {
                poll.yes += slots;
            }
        }
        let waiting_on_nobody_live = poll
            .outstanding
            .keys()
            .all(|p| self.silence.get(p).is_some_and(|s| *s >= SILENT_STRIKES));
        if waiting_on_nobody_live {
            self.complete_poll(now, vertex, out);
        }
    }

    /// Closes a poll: silent peers count as "no"; the node's own slot is its current opinion.
    fn complete_poll(&mut self, now: u64, vertex: VertexId, out: &mut Vec<Action>) {
        let Some(poll) = self.polls.remove(&vertex) else {
            return;
        };
        for (peer, (_, request_id)) in &poll.outstanding {
            self.requests.remove(request_id);
            let strikes = self.silence.entry(*peer).or_insert(0);
            *strikes = strikes.saturating_add(1);
        }
        let own = u32::from(self.strongly_preferred(vertex));
        self.finish_poll(now, vertex, poll.yes + own, out);
    }

    fn finish_poll(&mut self, now: u64, vertex: VertexId, yes: u32, out: &mut Vec<Action>) {
        out.push(Action::Persist(Record::PollResult { vertex, yes }));
        self.apply_poll_result(vertex, yes, out);
        if self.own_in_flight == Some(vertex) {
            self.own_in_flight = None;
            if !self.replaying {
                if yes < self.params.alpha_preference {
                    self.repoll_alternatives(now, out);
                }
                self.maybe_issue(now, out);
            }
        }
    }

    /// After this node's own vertex failed its poll, polls again the newest vertex of each
    /// other author that this node does not strongly prefer. Each vertex is otherwise polled
    /// once; without these extra samples a node left on the losing side of a conflict after
    /// the others went idle would never collect the chits that make it change its mind.
    fn repoll_alternatives(&mut self, now: u64, out: &mut Vec<Action>) {
        let authors = self.validators.peers(&self.me);
        let mut candidates: Vec<VertexId> = authors
            .into_iter()
            .filter_map(|a| self.dag.by_author(a).next().map(|(_, id)| id))
            .collect();
        candidates.extend(self.dag.tips.iter().copied());
        candidates.sort_unstable();
        candidates.dedup();
        for id in candidates {
            let e = &self.dag.entries[&id];
            if !e.settled && e.vertex.author() != self.me && !self.strongly_preferred(id) {
                self.start_poll(now, id, out);
            }
        }
    }

    /// The paper's main-loop step for one finished poll of `vertex` with `yes` slots.
    pub(super) fn apply_poll_result(&mut self, vertex: VertexId, yes: u32, out: &mut Vec<Action>) {
        let region = self.dag.unsettled_ancestry(&[vertex]);
        let dag = &self.dag;
        let ancestry = region
            .iter()
            .flat_map(|v| dag.entries[v].vertex.txs().iter().map(|t| t.id()));
        let effect = self.txs.apply_poll(
            ancestry,
            yes >= self.params.alpha_preference,
            yes >= self.params.alpha_confidence,
            self.params.beta,
        );
        let decided = !effect.accepted.is_empty() || !effect.rejected.is_empty();
        self.emit_effect(effect, &region, out);
        if decided {
            self.settle(&region);
        }
    }

    /// Each of `accepted` with the newest vertex of `region` that carries it (the polled
    /// vertex itself, the newest of the region, if none would: every accepted transaction is
    /// in the region, as only polls accept).
    pub(super) fn carriers(&self, accepted: &[TxId], region: &[VertexId]) -> Vec<(TxId, VertexId)> {
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

    /// Undecided transactions in the given vertices, each once.
    fn undecided_txs(&self, region: &[VertexId]) -> Vec<TxId> {
        let mut seen = IdSet::default();
        let mut list = Vec::new();
        for id in region {
            for tx in self.dag.entries[id].vertex.txs() {
                let t = tx.id();
                if !self.txs.is_decided(&t) && seen.insert(t) {
                    list.push(t);
                }
            }
        }
        list
    }

    /// Whether some transaction in the unsettled ancestry of `root` is undecided. Stops at the
    /// first: under load that ancestry holds thousands of transactions, and every vertex a node
    /// sees asks this before its poll starts.
    fn has_undecided(&self, root: VertexId) -> bool {
        let mut seen = IdSet::default();
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            let Some(e) = self.dag.entries.get(&id) else {
                continue;
            };
            if e.settled || !seen.insert(id) {
                continue;
            }
            if e.vertex.txs().iter().any(|t| !self.txs.is_decided(&t.id())) {
                return true;
            }
            stack.extend(e.vertex.parents().iter().copied());
        }
        false
    }

    pub(super) fn undecided_in(&self, roots: &[VertexId]) -> Vec<TxId> {
        let region = self.dag.unsettled_ancestry(roots);
        self.undecided_txs(&region)
    }

    /// Marks vertices whose whole ancestry is decided; `region` is ordered parents first.
    pub(super) fn settle(&mut self, region: &[VertexId]) {
        for id in region {
            let e = &self.dag.entries[id];
            let parents = e.vertex.parents();
            let done = e.vertex.txs().iter().all(|t| self.txs.is_decided(&t.id()))
                && parents
                    .iter()
                    .all(|p| self.dag.entries.get(p).is_some_and(|pe| pe.settled));
            if done {
                let ok = e
                    .vertex
                    .txs()
                    .iter()
                    .all(|t| self.txs.status(&t.id()) == Some(crate::TxStatus::Accepted))
                    && parents.iter().all(|p| {
                        self.dag.entries.get(p).and_then(|pe| pe.final_preferred) == Some(true)
                    });
                self.dag.mark_settled(id, ok);
            }
        }
    }

    /// The paper's isStronglyPreferred: every transaction in the vertex and its ancestry is
    /// the preference of its conflict set (accepted ones are; rejected ones never are).
    /// Answers are cached per preference epoch.
    pub(crate) fn strongly_preferred(&mut self, root: VertexId) -> bool {
        let epoch = self.epoch;
        let mut stack = vec![(root, false)];
        while let Some((id, expanded)) = stack.pop() {
            if self.dag.known_preference(&id, epoch).is_some() {
                continue;
            }
            let Some(e) = self.dag.entries.get(&id) else {
                continue;
            };
            if !expanded {
                stack.push((id, true));
                for p in e.vertex.parents() {
                    if self.dag.known_preference(p, epoch).is_none() {
                        stack.push((*p, false));
                    }
                }
                continue;
            }
            let ok = e
                .vertex
                .txs()
                .iter()
                .all(|t| self.txs.is_preferred(&t.id()))
                && e.vertex
                    .parents()
                    .iter()
                    .all(|p| self.dag.known_preference(p, epoch) == Some(true));
            if let Some(e) = self.dag.entries.get_mut(&id) {
                e.preferred_cache = Some((epoch, ok));
            }
        }
        self.dag.known_preference(&root, epoch) == Some(true)
    }

    pub(super) fn on_tick(&mut self, now: u64, out: &mut Vec<Action>) {
        let mut expired: Vec<VertexId> = self
            .polls
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        // Map order is random per process; a fixed order keeps runs reproducible by seed.
        expired.sort_unstable();
        for id in expired {
            self.complete_poll(now, id, out);
        }
        for id in std::mem::take(&mut self.unpolled) {
            self.start_poll(now, id, out);
        }
        self.retry_fetches(now, out);
        self.gossip_frontier(now, out);
        self.scan_stranded(now);
        self.maybe_issue(now, out);
        self.dag.prune();
    }
}
