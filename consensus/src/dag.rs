//! The vertex DAG: storage, per-author slots, the waiting room of vertices whose parents have
//! not arrived yet, and pruning of settled vertices.
//!
//! A settled vertex (every transaction in it and its ancestry decided) can no longer change
//! anyone's vote, so once it is no longer a tip its body (transactions, parents, signature) is
//! dropped and only a header stub stays: id, author, round, height and its final strong
//! preference, which is what linking, parent choice and strong preference of newer vertices
//! still read. Full vertices stay in the node's store for the API and for peers' fetches.

use crate::id_map::{IdMap, IdSet};
use crate::vertex::{Vertex, VertexId};
use cretoai_types::NodeId;
use cretoai_types::TxId;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Most vertices kept waiting for parents; beyond it the oldest are dropped (and re-fetched
/// later through frontier gossip), so a flood of orphans cannot exhaust memory.
const MAX_ORPHANS: usize = 10_000;
/// Settled vertices in each author's newest this-many rounds keep their bodies, so that an
/// equivocation on a recent slot is still reported with verifiable evidence. Under load these
/// rounds are mostly unsettled anyway; idle, it costs a few vertices per validator.
const EVIDENCE_ROUNDS: u64 = 4;

pub(crate) struct Entry {
    /// The vertex, or only its header (no parents, transactions or signature) once pruned.
    pub(crate) vertex: Arc<Vertex>,
    /// 1 + the highest parent height: parents always have smaller heights.
    pub(crate) height: u64,
    /// The body was dropped (see the module doc).
    pub(crate) pruned: bool,
    /// Every transaction in this vertex and its ancestry is decided.
    pub(crate) settled: bool,
    /// Strong-preference answer and the preference epoch it was computed in.
    pub(crate) preferred_cache: Option<(u64, bool)>,
    /// Strong preference of a settled vertex, which can no longer change.
    pub(crate) final_preferred: Option<bool>,
}

#[derive(Default)]
pub(crate) struct Dag {
    pub(crate) entries: IdMap<VertexId, Entry>,
    /// First vertex seen for each (author, round); a second one is an equivocation.
    pub(crate) slots: BTreeMap<(NodeId, u64), VertexId>,
    pub(crate) tips: IdSet<VertexId>,
    /// Vertices not settled yet (all held in full): the frontier that polls and the stranded
    /// scan walk, without visiting the stubs of settled history.
    pub(crate) unsettled: IdSet<VertexId>,
    /// Transactions carried by unsettled vertices, with multiplicity: the core reads their
    /// status on every turn, so their outcomes stay in memory.
    unsettled_txs: IdMap<TxId, u32>,
    orphans: IdMap<VertexId, (Arc<Vertex>, u64)>,
    orphan_seq: u64,
    /// Missing parent -> orphans waiting for it.
    waiting: IdMap<VertexId, Vec<VertexId>>,
    /// Settled vertices whose bodies are still held (pruned on the next [`Dag::prune`]).
    settled_full: Vec<VertexId>,
    pruned: usize,
}

impl Dag {
    pub(crate) fn contains(&self, id: &VertexId) -> bool {
        self.entries.contains_key(id)
    }

    /// Whether an unsettled vertex carries `tx`.
    pub(crate) fn carries_unsettled(&self, tx: &TxId) -> bool {
        self.unsettled_txs.contains_key(tx)
    }

    pub(crate) fn knows(&self, id: &VertexId) -> bool {
        self.entries.contains_key(id) || self.orphans.contains_key(id)
    }

    /// A full vertex (not pruned).
    pub(crate) fn get(&self, id: &VertexId) -> Option<&Arc<Vertex>> {
        self.entries
            .get(id)
            .filter(|e| !e.pruned)
            .map(|e| &e.vertex)
    }

    /// Author, round and id of a vertex, pruned or not (its parents and transactions only if
    /// not pruned).
    pub(crate) fn header(&self, id: &VertexId) -> Option<&Vertex> {
        self.entries.get(id).map(|e| &*e.vertex)
    }

    /// Parents not in the DAG yet.
    pub(crate) fn missing_parents(&self, v: &Vertex) -> Vec<VertexId> {
        v.parents()
            .iter()
            .filter(|p| !self.entries.contains_key(p))
            .copied()
            .collect()
    }

    /// Every parent is in the DAG. Returns the previous vertex in this (author, round) slot if
    /// it differs (an equivocation).
    pub(crate) fn insert(&mut self, vertex: Arc<Vertex>) -> Option<VertexId> {
        let id = vertex.id();
        let mut height = 0;
        for p in vertex.parents() {
            if let Some(pe) = self.entries.get(p) {
                height = height.max(pe.height + 1);
            }
            self.tips.remove(p);
        }
        let settled = vertex.txs().is_empty()
            && vertex
                .parents()
                .iter()
                .all(|p| self.entries.get(p).is_some_and(|e| e.settled));
        let final_preferred = settled.then(|| {
            vertex
                .parents()
                .iter()
                .all(|p| self.entries.get(p).and_then(|e| e.final_preferred) == Some(true))
        });
        let slot = (vertex.author(), vertex.round());
        let equivocated = match self.slots.get(&slot) {
            Some(other) if *other != id => Some(*other),
            Some(_) => None,
            None => {
                self.slots.insert(slot, id);
                None
            }
        };
        self.tips.insert(id);
        if settled {
            self.settled_full.push(id);
        } else {
            self.unsettled.insert(id);
            for tx in vertex.txs() {
                *self.unsettled_txs.entry(tx.id()).or_insert(0) += 1;
            }
        }
        self.entries.insert(
            id,
            Entry {
                vertex,
                height,
                pruned: false,
                settled,
                preferred_cache: None,
                final_preferred,
            },
        );
        equivocated
    }

    /// The unsettled part of the ancestry of `roots` (inclusive), ordered parents first.
    pub(crate) fn unsettled_ancestry(&self, roots: &[VertexId]) -> Vec<VertexId> {
        let mut seen: IdSet<VertexId> = IdSet::default();
        let mut stack: Vec<VertexId> = Vec::new();
        for r in roots {
            if self.entries.get(r).is_some_and(|e| !e.settled) && seen.insert(*r) {
                stack.push(*r);
            }
        }
        let mut out = Vec::new();
        while let Some(id) = stack.pop() {
            let e = &self.entries[&id];
            out.push(id);
            for p in e.vertex.parents() {
                if self.entries.get(p).is_some_and(|pe| !pe.settled) && seen.insert(*p) {
                    stack.push(*p);
                }
            }
        }
        out.sort_by_key(|id| self.entries[id].height);
        out
    }

    /// The author's vertices, newest round first.
    pub(crate) fn by_author(&self, author: NodeId) -> impl Iterator<Item = (u64, VertexId)> + '_ {
        self.slots
            .range((author, 0)..=(author, u64::MAX))
            .rev()
            .map(|((_, r), id)| (*r, *id))
    }

    /// Parks a vertex until `missing` arrive.
    pub(crate) fn park(&mut self, vertex: Arc<Vertex>, missing: &[VertexId]) {
        let id = vertex.id();
        if self.orphans.len() >= MAX_ORPHANS {
            if let Some(oldest) = self
                .orphans
                .iter()
                .min_by_key(|(_, (_, s))| *s)
                .map(|(k, _)| *k)
            {
                self.orphans.remove(&oldest);
            }
        }
        self.orphan_seq += 1;
        self.orphans.insert(id, (vertex, self.orphan_seq));
        for m in missing {
            let w = self.waiting.entry(*m).or_default();
            if !w.contains(&id) {
                w.push(id);
            }
        }
    }

    /// Orphans that were waiting for `id` and now have all their parents.
    pub(crate) fn release(&mut self, id: &VertexId) -> Vec<Arc<Vertex>> {
        let mut ready = Vec::new();
        for o in self.waiting.remove(id).unwrap_or_default() {
            let complete = self
                .orphans
                .get(&o)
                .is_some_and(|(v, _)| v.parents().iter().all(|p| self.entries.contains_key(p)));
            if complete {
                if let Some((v, _)) = self.orphans.remove(&o) {
                    ready.push(v);
                }
            }
        }
        ready
    }

    /// Ids that orphans are waiting for and nobody has delivered.
    pub(crate) fn wanted(&self) -> Vec<VertexId> {
        let mut ids: Vec<VertexId> = self
            .waiting
            .keys()
            .filter(|m| !self.knows(m))
            .copied()
            .collect();
        ids.sort_unstable();
        ids
    }

    /// The strong preference of `id` if known without a walk: final, or cached this epoch.
    pub(crate) fn known_preference(&self, id: &VertexId, epoch: u64) -> Option<bool> {
        let e = self.entries.get(id)?;
        let cached = match e.preferred_cache {
            Some((ep, ok)) if ep == epoch => Some(ok),
            _ => None,
        };
        e.final_preferred.or(cached)
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Records that `id` became settled with final strong preference `preferred`.
    pub(crate) fn mark_settled(&mut self, id: &VertexId, preferred: bool) {
        if let Some(e) = self.entries.get_mut(id) {
            if !e.settled {
                e.settled = true;
                e.final_preferred = Some(preferred);
                self.settled_full.push(*id);
                self.unsettled.remove(id);
                for tx in e.vertex.txs() {
                    let t = tx.id();
                    if let Some(n) = self.unsettled_txs.get_mut(&t) {
                        *n -= 1;
                        if *n == 0 {
                            self.unsettled_txs.remove(&t);
                        }
                    }
                }
            }
        }
    }

    /// Drops the bodies of settled vertices that are neither tips (what frontier gossip names
    /// and the next vertices link to) nor among their author's [`EVIDENCE_ROUNDS`] newest
    /// rounds (a second vertex for one of those slots is reported with the first in full).
    /// Both kinds are few: a handful per validator. Returns how many were pruned.
    pub(crate) fn prune(&mut self) -> usize {
        let mut keep = Vec::new();
        let mut count = 0;
        for id in std::mem::take(&mut self.settled_full) {
            let recent = self.entries.get(&id).is_some_and(|e| {
                let v = &e.vertex;
                self.by_author(v.author())
                    .next()
                    .is_some_and(|(newest, _)| v.round() + EVIDENCE_ROUNDS > newest)
            });
            if recent || self.tips.contains(&id) {
                keep.push(id);
                continue;
            }
            if let Some(e) = self.entries.get_mut(&id) {
                if !e.pruned {
                    e.vertex = Arc::new(e.vertex.header_only());
                    e.pruned = true;
                    e.preferred_cache = None;
                    count += 1;
                }
            }
        }
        self.settled_full = keep;
        self.pruned += count;
        count
    }

    /// Vertices held in full, and pruned to a header stub.
    pub(crate) fn sizes(&self) -> (usize, usize) {
        (self.entries.len() - self.pruned, self.pruned)
    }

    /// Transactions held in full vertices (pruned ones hold none).
    pub(crate) fn held_txs(&self) -> (usize, usize) {
        self.entries
            .values()
            .filter(|e| !e.pruned)
            .fold((0, 0), |(n, bytes), e| {
                let txs = e.vertex.txs();
                (
                    n + txs.len(),
                    bytes + txs.iter().map(|t| t.encoded_len()).sum::<usize>(),
                )
            })
    }

    /// The newest vertex of `author` with a round below `below`.
    pub(crate) fn author_before(&self, author: NodeId, below: u64) -> Option<(u64, VertexId)> {
        self.slots
            .range((author, 0)..(author, below))
            .next_back()
            .map(|((_, r), id)| (*r, *id))
    }
}
