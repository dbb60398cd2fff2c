//! The outcomes of decided transactions that the core keeps in memory: all of them by
//! default, or the most recent ones when the shell keeps a durable record of the node's
//! decisions (an archive) and answers for the rest.
//!
//! Why keep outcomes at all: a transaction can show up again after its decision (a client
//! retries it, or a late vertex carries it), and the core must then tell the winner of its
//! conflict set, which stays accepted, from a newcomer, which is rejected. Kept for good, the
//! outcomes grew a node by ~60 bytes per transaction it ever decided. Forgetting one without an
//! archive would be unsafe: the winner would come back looking like a newcomer, this node would
//! reject it (and vote against every vertex carrying it) while the others still accept it.
//!
//! So an outcome leaves memory only once the record of the decision is durable (the shell
//! reports how many of the `Record::Status` records the core emitted are on disk), and only
//! between calls into the core ([`OutcomeWindow::trim`]), never while one is applied. A
//! transaction arriving whose conflict set is decided and whose outcome is not in memory waits
//! until the shell has answered an `Action::RecallOutcomes` (see `node/recall.rs`). Outcomes of
//! transactions that unsettled vertices or waiting arrivals carry are pinned: the core reads
//! them on every turn. Decisions are final, so the archive's answer is the one the core would
//! have given from memory, on the first run and in a replay alike.

use crate::conflict_set::TxStatus;
use crate::id_map::{IdMap, IdSet};
use cretoai_types::TxId;
use std::collections::VecDeque;

/// Marks an outcome whose `Record::Status` the core has not emitted yet.
const UNEMITTED: u64 = u64::MAX;

/// What the core knows of a transaction that is not in memory and whose conflict set is
/// decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unheld {
    /// It was never decided here: a newcomer to a decided set.
    Newcomer,
    /// An outcome may have left memory: the archive must be asked.
    Ask,
}

/// Decided outcomes, oldest decision first.
pub(crate) struct OutcomeWindow {
    outcomes: IdMap<TxId, TxStatus>,
    /// Decision order, each with the number of status records emitted up to and including
    /// its own (0: durable before this process started, or recalled from the archive).
    order: VecDeque<(TxId, u64)>,
    /// Outcomes in `order` still marked [`UNEMITTED`] (the newest decisions).
    unemitted: usize,
    /// Status records emitted so far by this process.
    emitted: u64,
    /// Status records the shell reported durable.
    persisted: u64,
    /// Whether any outcome has left memory (until then the archive has nothing to add).
    forgot: bool,
    /// Outcomes kept in memory at least (older ones go once durable).
    keep: usize,
    /// Transactions the archive said this node never decided, until their arrival is applied.
    newcomers: IdSet<TxId>,
}

impl Default for OutcomeWindow {
    fn default() -> Self {
        Self::new(false, usize::MAX)
    }
}

impl OutcomeWindow {
    /// Keeps every outcome unless `archived`, else the `keep` most recent ones.
    pub(crate) fn new(archived: bool, keep: usize) -> Self {
        Self {
            outcomes: IdMap::default(),
            order: VecDeque::new(),
            unemitted: 0,
            emitted: 0,
            persisted: 0,
            forgot: false,
            keep: if archived { keep } else { usize::MAX },
            newcomers: IdSet::default(),
        }
    }

    /// The outcome if in memory.
    pub(crate) fn in_memory(&self, id: &TxId) -> Option<TxStatus> {
        self.outcomes.get(id).copied()
    }

    /// What is known of `id`, not in memory, whose conflict set is decided.
    pub(crate) fn unheld(&self, id: &TxId) -> Unheld {
        if !self.forgot || self.newcomers.contains(id) {
            Unheld::Newcomer
        } else {
            Unheld::Ask
        }
    }

    /// The archive's answer about `id`: its durable outcome (kept in memory again, as a
    /// durable one), or `None` if this node never decided it.
    pub(crate) fn answer(&mut self, id: TxId, status: Option<TxStatus>) {
        match status {
            Some(status @ (TxStatus::Accepted | TxStatus::Rejected)) => {
                if self.outcomes.insert(id, status).is_none() {
                    self.order.push_back((id, 0));
                }
            }
            _ => {
                if !self.outcomes.contains_key(&id) {
                    self.newcomers.insert(id);
                }
            }
        }
    }

    /// Forgets the archive's "never decided" answers (nothing waits for them any more).
    pub(crate) fn clear_newcomers(&mut self) {
        self.newcomers.clear();
    }

    /// Outcomes in memory.
    pub(crate) fn len(&self) -> usize {
        self.outcomes.len()
    }

    /// Outcomes in memory of transactions `pinned` names.
    pub(crate) fn count(&self, pinned: impl Fn(&TxId) -> bool) -> usize {
        self.outcomes.keys().filter(|id| pinned(id)).count()
    }

    /// Records a new decision; its status record is emitted next (see [`Self::emitted`]).
    pub(crate) fn decide(&mut self, id: TxId, status: TxStatus) {
        self.newcomers.remove(&id);
        if self.outcomes.insert(id, status).is_none() {
            self.order.push_back((id, UNEMITTED));
            self.unemitted += 1;
        }
    }

    /// The core emitted `count` more status records, one per decision made since the last
    /// call.
    pub(crate) fn emitted(&mut self, count: u64) {
        self.emitted += count;
        let stamp = self.emitted;
        let mut left = self.unemitted;
        for entry in self.order.iter_mut().rev() {
            if left == 0 {
                break;
            }
            if entry.1 == UNEMITTED {
                entry.1 = stamp;
                left -= 1;
            }
        }
        self.unemitted = 0;
    }

    /// The shell made the first `count` status records of this process durable.
    pub(crate) fn persisted(&mut self, count: u64) {
        self.persisted = self.persisted.max(count);
    }

    /// Everything in memory is durable (a restored node's records all are) and this process
    /// has emitted nothing yet.
    pub(crate) fn restart_counts(&mut self) {
        for entry in &mut self.order {
            entry.1 = 0;
        }
        (self.unemitted, self.emitted, self.persisted) = (0, 0, 0);
    }

    /// Drops the oldest outcomes beyond `keep` whose records are durable, except those
    /// `pinned` says the core still reads (they move to the back, as recent ones).
    pub(crate) fn trim(&mut self, pinned: impl Fn(&TxId) -> bool) {
        let mut rotations = self.order.len();
        while self.order.len() > self.keep {
            let Some(&(id, stamp)) = self.order.front() else {
                break;
            };
            // A restore reports everything durable (`u64::MAX`): an outcome whose record was
            // not even emitted still stays.
            if stamp == UNEMITTED || stamp > self.persisted {
                break;
            }
            self.order.pop_front();
            if pinned(&id) {
                self.order.push_back((id, 0));
                rotations -= 1;
                if rotations == 0 {
                    break;
                }
                continue;
            }
            self.outcomes.remove(&id);
            self.forgot = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> TxId {
        TxId([n; 32])
    }

    fn nothing(_: &TxId) -> bool {
        false
    }

    #[test]
    fn without_an_archive_every_outcome_stays() {
        let mut w = OutcomeWindow::new(false, 1);
        for n in 0..10 {
            w.decide(id(n), TxStatus::Accepted);
        }
        w.emitted(10);
        w.persisted(10);
        w.trim(nothing);
        assert_eq!(w.len(), 10);
        assert_eq!(w.unheld(&id(20)), Unheld::Newcomer);
    }

    #[test]
    fn outcomes_leave_only_once_durable_and_come_back_from_the_archive() {
        let mut w = OutcomeWindow::new(true, 2);
        // Five decisions, each with its status record emitted at once.
        for n in 0..5 {
            w.decide(id(n), TxStatus::Accepted);
            w.emitted(1);
            w.trim(nothing);
        }
        assert_eq!(w.len(), 5, "nothing is durable yet");
        assert_eq!(w.unheld(&id(9)), Unheld::Newcomer, "nothing left memory");
        w.persisted(2);
        w.trim(nothing);
        assert_eq!(w.len(), 3, "the two durable ones left");
        assert_eq!(w.in_memory(&id(0)), None);
        assert_eq!(w.in_memory(&id(2)), Some(TxStatus::Accepted));
        w.persisted(5);
        w.trim(nothing);
        assert_eq!(w.len(), 2);
        // Now the archive must be asked; its answers come back into memory.
        assert_eq!(w.unheld(&id(0)), Unheld::Ask);
        w.answer(id(0), Some(TxStatus::Accepted));
        assert_eq!(w.in_memory(&id(0)), Some(TxStatus::Accepted));
        w.answer(id(9), None);
        assert_eq!(w.unheld(&id(9)), Unheld::Newcomer, "never decided");
        w.clear_newcomers();
        assert_eq!(w.unheld(&id(9)), Unheld::Ask);
    }

    #[test]
    fn pinned_outcomes_stay() {
        let mut w = OutcomeWindow::new(true, 2);
        for n in 0..4 {
            w.decide(id(n), TxStatus::Accepted);
        }
        w.emitted(4);
        w.persisted(4);
        w.trim(|t| *t == id(0));
        assert_eq!(w.len(), 2, "the pinned one and the newest");
        assert_eq!(w.in_memory(&id(0)), Some(TxStatus::Accepted));
        assert_eq!(w.in_memory(&id(3)), Some(TxStatus::Accepted));
        w.decide(id(4), TxStatus::Accepted);
        w.decide(id(5), TxStatus::Accepted);
        w.emitted(2);
        w.persisted(6);
        w.trim(|_| true);
        assert_eq!(w.len(), 4, "everything pinned: the trim still ends");
        w.trim(nothing);
        assert_eq!(w.len(), 2);
    }

    #[test]
    fn a_batch_of_decisions_is_durable_only_as_a_whole() {
        let mut w = OutcomeWindow::new(true, 0);
        // Records of one effect are emitted together, in their own order: each outcome counts
        // as durable only once the whole batch is.
        for n in 0..3 {
            w.decide(id(n), TxStatus::Rejected);
        }
        w.emitted(3);
        w.persisted(2);
        w.trim(nothing);
        assert_eq!(w.len(), 3);
        w.persisted(3);
        w.trim(nothing);
        assert_eq!(w.len(), 0);
    }

    #[test]
    fn a_restart_counts_its_own_records_from_zero() {
        let mut w = OutcomeWindow::new(true, 1);
        w.decide(id(1), TxStatus::Rejected);
        w.decide(id(2), TxStatus::Accepted);
        w.emitted(2);
        w.trim(nothing);
        assert_eq!(w.len(), 2);
        w.restart_counts();
        w.trim(nothing);
        assert_eq!(w.len(), 1, "restored outcomes are durable");
        w.decide(id(3), TxStatus::Accepted);
        w.emitted(1);
        w.trim(nothing);
        assert_eq!(w.len(), 1, "the restored one made room");
        w.decide(id(4), TxStatus::Accepted);
        w.emitted(1);
        w.trim(nothing);
        assert_eq!(w.len(), 2, "the new decisions are not durable yet");
        w.persisted(1);
        w.trim(nothing);
        assert_eq!(
            (w.len(), w.in_memory(&id(4))),
            (1, Some(TxStatus::Accepted))
        );
    }
}
