//! The vertex DAG: storage, children links, per-author slots, and the waiting room of vertices
//! whose parents have not arrived yet.

use crate::validator::NodeId;
use crate::vertex::{Vertex, VertexId};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// Most vertices kept waiting for parents; beyond it the oldest are dropped (and re-fetched
/// later through frontier gossip), so a flood of orphans cannot exhaust memory.
const MAX_ORPHANS: usize = 10_000;

pub(crate) struct Entry {
    pub(crate) vertex: Arc<Vertex>,
    /// 1 + the highest parent height: parents always have smaller heights.
    pub(crate) height: u64,
    pub(crate) children: Vec<VertexId>,
    /// Every transaction in this vertex and its ancestry is decided.
    pub(crate) settled: bool,
    /// Strong-preference answer and the preference epoch it was computed in.
    pub(crate) preferred_cache: Option<(u64, bool)>,
    /// Strong preference of a settled vertex, which can no longer change.
    pub(crate) final_preferred: Option<bool>,
}

#[derive(Default)]
pub(crate) struct Dag {
    pub(crate) entries: HashMap<VertexId, Entry>,
    /// First vertex seen for each (author, round); a second one is an equivocation.
    pub(crate) slots: BTreeMap<(NodeId, u64), VertexId>,
    pub(crate) tips: HashSet<VertexId>,
    orphans: HashMap<VertexId, (Arc<Vertex>, u64)>,
    orphan_seq: u64,
    /// Missing parent -> orphans waiting for it.
    waiting: HashMap<VertexId, Vec<VertexId>>,
}

impl Dag {
    pub(crate) fn contains(&self, id: &VertexId) -> bool {
        self.entries.contains_key(id)
    }

    pub(crate) fn knows(&self, id: &VertexId) -> bool {
        self.entries.contains_key(id) || self.orphans.contains_key(id)
    }

    pub(crate) fn get(&self, id: &VertexId) -> Option<&Arc<Vertex>> {
        self.entries.get(id).map(|e| &e.vertex)
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
            if let Some(pe) = self.entries.get_mut(p) {
                height = height.max(pe.height + 1);
                pe.children.push(id);
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
        self.entries.insert(
            id,
            Entry {
                vertex,
                height,
                children: Vec::new(),
                settled,
                preferred_cache: None,
                final_preferred,
            },
        );
        equivocated
    }

    /// The unsettled part of the ancestry of `roots` (inclusive), ordered parents first.
    pub(crate) fn unsettled_ancestry(&self, roots: &[VertexId]) -> Vec<VertexId> {
        let mut seen: HashSet<VertexId> = HashSet::new();
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
}
