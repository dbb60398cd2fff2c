//! Arrivals that wait for the archive: a vertex or a client transaction carrying a
//! transaction whose conflict set is decided and whose outcome left memory. Whether it is the
//! set's winner coming back (it keeps its outcome) or a newcomer (rejected) only the node's
//! durable record of its decisions can tell, and reading it is I/O: the core asks with
//! [`Action::RecallOutcomes`], parks the arrival, and applies it once the shell answers with
//! [`crate::Event::Recalled`]. Until then the outcomes the arrival needs and that are still in
//! memory stay there (see `outcome_window.rs`), so the answer completes what it needs.
//!
//! A read error is the shell's to report: the core holds no way on without the answer, so it
//! keeps the arrival waiting (the node stops rather than answer "unknown").

use super::Node;
use crate::conflict_set::TxStatus;
use crate::id_map::{IdMap, IdSet};
use crate::message::Action;
use crate::vertex::{Vertex, VertexId};
use cretoai_types::{Transaction, TxId};
use std::sync::Arc;

/// Something that arrived and may need the archive before it is applied.
pub(super) enum Arrival {
    /// A vertex whose parents are all present (checked, signatures included).
    Vertex(Arc<Vertex>),
    /// A client transaction (checked).
    Submitted(Transaction),
}

impl Arrival {
    fn txs(&self) -> &[Transaction] {
        match self {
            Arrival::Vertex(v) => v.txs(),
            Arrival::Submitted(tx) => std::slice::from_ref(tx),
        }
    }
}

/// Arrivals waiting for the archive, and what was asked.
#[derive(Default)]
pub(super) struct Recall {
    waiting: Vec<Arrival>,
    /// Transactions asked about and not answered yet.
    asked: IdSet<TxId>,
    /// Transactions of waiting arrivals (with multiplicity): their outcomes stay in memory.
    held: IdMap<TxId, u32>,
}

impl Recall {
    /// Whether a waiting arrival carries `tx`.
    pub(super) fn holds(&self, tx: &TxId) -> bool {
        self.held.contains_key(tx)
    }

    /// Whether `id` waits for the archive.
    pub(super) fn waits_for(&self, id: &VertexId) -> bool {
        self.waiting
            .iter()
            .any(|a| matches!(a, Arrival::Vertex(v) if v.id() == *id))
    }

    fn hold(&mut self, arrival: &Arrival) {
        for tx in arrival.txs() {
            *self.held.entry(tx.id()).or_insert(0) += 1;
        }
    }

    fn release(&mut self, arrival: &Arrival) {
        for tx in arrival.txs() {
            let id = tx.id();
            if let Some(n) = self.held.get_mut(&id) {
                *n -= 1;
                if *n == 0 {
                    self.held.remove(&id);
                }
            }
        }
    }
}

impl Node {
    /// The transactions of `txs` whose insertion needs the archive's answer first.
    pub(super) fn missing_outcomes(&self, txs: &[Transaction]) -> Vec<TxId> {
        txs.iter()
            .filter(|t| self.txs.needs_archive(&t.id(), &t.conflict_key()))
            .map(Transaction::id)
            .collect()
    }

    /// Parks `arrival` if it needs the archive (asking for what was not asked yet) and returns
    /// `None`; otherwise hands it back to be applied now.
    pub(super) fn wait_for_archive(
        &mut self,
        arrival: Arrival,
        out: &mut Vec<Action>,
    ) -> Option<Arrival> {
        let missing = self.missing_outcomes(arrival.txs());
        if missing.is_empty() {
            return Some(arrival);
        }
        let ask: Vec<TxId> = missing
            .into_iter()
            .filter(|t| self.recall.asked.insert(*t))
            .collect();
        if !ask.is_empty() {
            out.push(Action::RecallOutcomes(ask));
        }
        self.recall.hold(&arrival);
        self.recall.waiting.push(arrival);
        None
    }

    /// The archive answered: applies every waiting arrival that has what it needs now.
    pub(super) fn on_recalled(
        &mut self,
        now: u64,
        outcomes: Vec<(TxId, Option<TxStatus>)>,
        out: &mut Vec<Action>,
    ) {
        for (id, status) in outcomes {
            // Only answers to questions asked: an answer is taken as this node's own record.
            if self.recall.asked.remove(&id) {
                self.txs.decided.answer(id, status);
            }
        }
        let mut submitted = false;
        for arrival in std::mem::take(&mut self.recall.waiting) {
            self.recall.release(&arrival);
            match arrival {
                Arrival::Vertex(v) => self.insert_ready(now, v, out),
                Arrival::Submitted(_) => {
                    if let Some(Arrival::Submitted(tx)) = self.wait_for_archive(arrival, out) {
                        self.admit_checked(tx, out);
                        submitted = true;
                    }
                }
            }
        }
        if self.recall.waiting.is_empty() {
            self.txs.decided.clear_newcomers();
        }
        if submitted {
            self.maybe_issue(now, out);
        }
    }
}
