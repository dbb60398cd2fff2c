//! The outcomes of decided transactions that the core keeps in memory: all of them by
//! default, or the most recent ones, with the node's own durable record of its decisions (a
//! [`DecisionArchive`]) answering for the rest.
//!
//! Why keep outcomes at all: a transaction can show up again after its decision (a client
//! retries it, or a late vertex carries it), and the core must then tell the winner of its
//! conflict set, which stays accepted, from a newcomer, which is rejected. Kept for good, the
//! outcomes grew a node by ~60 bytes per transaction it ever decided. Forgetting one without an
//! archive would be unsafe: the winner would come back looking like a newcomer, this node would
//! reject it (and vote against every vertex carrying it) while the others still accept it.
//!
//! So an outcome leaves memory only once the record of the decision is durable (the shell
//! reports how many of the `Record::Status` records the core emitted are on disk), and a
//! transaction the core does not know whose conflict set is decided is looked up in the
//! archive before it is judged. Decisions are final, so the archive's answer is the one the
//! core would have given from memory, on the first run and in a replay alike.

use crate::conflict_set::TxStatus;
use crate::id_map::IdMap;
use crate::transaction::TxId;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::Arc;

/// The node's durable record of its own decisions, for outcomes the core no longer holds.
pub trait DecisionArchive: Send + Sync {
    /// This node's decision on `tx` if it made one and its record is durable; `None` for a
    /// transaction it never decided (or still `Pending`).
    fn decision(&self, tx: &TxId) -> Option<TxStatus>;
}

/// Marks an outcome whose `Record::Status` the core has not emitted yet.
const UNEMITTED: u64 = u64::MAX;

/// Decided outcomes, oldest decision first.
///
/// Lookups of transactions the core met before (those of its DAG's vertices) go through
/// [`Self::get`], which brings a forgotten outcome back from the archive: a vertex can stay
/// unsettled for longer than its transactions' outcomes stay in memory. That is why the state
/// sits in a `RefCell`: those lookups happen on the core's read paths.
pub(crate) struct OutcomeWindow {
    state: RefCell<State>,
    /// Outcomes kept in memory at least (older ones go once durable).
    keep: usize,
    archive: Option<Arc<dyn DecisionArchive>>,
}

#[derive(Default)]
struct State {
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
}

impl Default for OutcomeWindow {
    fn default() -> Self {
        Self::new(None, usize::MAX)
    }
}

impl OutcomeWindow {
    /// Keeps every outcome if `archive` is `None`, else the `keep` most recent ones.
    pub(crate) fn new(archive: Option<Arc<dyn DecisionArchive>>, keep: usize) -> Self {
        let keep = if archive.is_some() { keep } else { usize::MAX };
        Self {
            state: RefCell::new(State::default()),
            keep,
            archive,
        }
    }

    /// The outcome if in memory, without asking the archive: for transactions that may be new.
    pub(crate) fn in_memory(&self, id: &TxId) -> Option<TxStatus> {
        self.state.borrow().outcomes.get(id).copied()
    }

    /// The outcome of a transaction the core met before: from memory, or else from the archive
    /// (and then kept in memory again, as a recent one).
    pub(crate) fn get(&self, id: &TxId) -> Option<TxStatus> {
        if let Some(status) = self.in_memory(id) {
            return Some(status);
        }
        self.recall(id)
    }

    /// The outcome of a transaction the core does not hold, from the archive (kept in memory
    /// again). `None` if there is no archive or it has no decision.
    pub(crate) fn recall(&self, id: &TxId) -> Option<TxStatus> {
        let mut state = self.state.borrow_mut();
        if !state.forgot {
            return None;
        }
        let status = self.archive.as_ref()?.decision(id)?;
        if status == TxStatus::Pending {
            return None;
        }
        state.outcomes.insert(*id, status);
        // Durable already: the archive had it.
        state.order.push_back((*id, 0));
        Some(status)
    }

    /// Outcomes in memory.
    pub(crate) fn len(&self) -> usize {
        self.state.borrow().outcomes.len()
    }

    /// Records a new decision; its status record is emitted next (see [`Self::emitted`]).
    pub(crate) fn decide(&mut self, id: TxId, status: TxStatus) {
        let state = self.state.get_mut();
        if state.outcomes.insert(id, status).is_none() {
            state.order.push_back((id, UNEMITTED));
            state.unemitted += 1;
        }
    }

    /// The core emitted `count` more status records, one per decision made since the last
    /// call.
    pub(crate) fn emitted(&mut self, count: u64) {
        let state = self.state.get_mut();
        state.emitted += count;
        let stamp = state.emitted;
        let mut left = state.unemitted;
        for entry in state.order.iter_mut().rev() {
            if left == 0 {
                break;
            }
            if entry.1 == UNEMITTED {
                entry.1 = stamp;
                left -= 1;
            }
        }
        state.unemitted = 0;
        self.forget();
    }

    /// The shell made the first `count` status records of this process durable.
    pub(crate) fn persisted(&mut self, count: u64) {
        let state = self.state.get_mut();
        state.persisted = state.persisted.max(count);
        self.forget();
    }

    /// Everything in memory is durable (a restored node's records all are) and this process
    /// has emitted nothing yet.
    pub(crate) fn restart_counts(&mut self) {
        let state = self.state.get_mut();
        for entry in &mut state.order {
            entry.1 = 0;
        }
        (state.unemitted, state.emitted, state.persisted) = (0, 0, 0);
        self.forget();
    }

    /// Drops the oldest outcomes beyond `keep` whose records are durable.
    fn forget(&mut self) {
        let state = self.state.get_mut();
        while state.order.len() > self.keep {
            let Some(&(id, stamp)) = state.order.front() else {
                break;
            };
            // A restore reports everything durable (`u64::MAX`): an outcome whose record was
            // not even emitted still stays.
            if stamp == UNEMITTED || stamp > state.persisted {
                break;
            }
            state.order.pop_front();
            state.outcomes.remove(&id);
            state.forgot = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    #[derive(Default)]
    struct MapArchive(Mutex<HashMap<TxId, TxStatus>>);

    impl DecisionArchive for MapArchive {
        fn decision(&self, tx: &TxId) -> Option<TxStatus> {
            self.0.lock().unwrap().get(tx).copied()
        }
    }

    fn id(n: u8) -> TxId {
        TxId([n; 32])
    }

    #[test]
    fn without_an_archive_every_outcome_stays() {
        let mut w = OutcomeWindow::new(None, 1);
        for n in 0..10 {
            w.decide(id(n), TxStatus::Accepted);
        }
        w.emitted(10);
        w.persisted(10);
        assert_eq!(w.len(), 10);
        assert_eq!(w.recall(&id(0)), None);
    }

    #[test]
    fn outcomes_leave_only_once_durable_and_come_back_from_the_archive() {
        let archive = Arc::new(MapArchive::default());
        let mut w = OutcomeWindow::new(Some(archive.clone()), 2);
        // Five decisions, each with its status record emitted at once.
        for n in 0..5 {
            w.decide(id(n), TxStatus::Accepted);
            w.emitted(1);
        }
        assert_eq!(w.len(), 5, "nothing is durable yet");
        w.persisted(2);
        assert_eq!(w.len(), 3, "the two durable ones left");
        assert_eq!(w.in_memory(&id(0)), None);
        assert_eq!(w.in_memory(&id(2)), Some(TxStatus::Accepted));
        w.persisted(5);
        assert_eq!(w.len(), 2);
        // Recalled from the archive, and recent again.
        archive.0.lock().unwrap().insert(id(0), TxStatus::Accepted);
        assert_eq!(w.get(&id(0)), Some(TxStatus::Accepted));
        assert_eq!(w.in_memory(&id(0)), Some(TxStatus::Accepted));
        assert_eq!(w.get(&id(9)), None, "never decided");
    }

    #[test]
    fn a_batch_of_decisions_is_durable_only_as_a_whole() {
        let archive = Arc::new(MapArchive::default());
        let mut w = OutcomeWindow::new(Some(archive), 0);
        // Records of one effect are emitted together, in their own order: each outcome counts
        // as durable only once the whole batch is.
        for n in 0..3 {
            w.decide(id(n), TxStatus::Rejected);
        }
        w.emitted(3);
        w.persisted(2);
        assert_eq!(w.len(), 3);
        w.persisted(3);
        assert_eq!(w.len(), 0);
    }

    #[test]
    fn a_restart_counts_its_own_records_from_zero() {
        let archive = Arc::new(MapArchive::default());
        let mut w = OutcomeWindow::new(Some(archive), 1);
        w.decide(id(1), TxStatus::Rejected);
        w.decide(id(2), TxStatus::Accepted);
        w.emitted(2);
        assert_eq!(w.len(), 2);
        w.restart_counts();
        assert_eq!(w.len(), 1, "restored outcomes are durable");
        w.decide(id(3), TxStatus::Accepted);
        w.emitted(1);
        assert_eq!(w.len(), 1, "the restored one made room");
        w.decide(id(4), TxStatus::Accepted);
        w.emitted(1);
        assert_eq!(w.len(), 2, "the new decisions are not durable yet");
        w.persisted(1);
        assert_eq!(
            (w.len(), w.in_memory(&id(4))),
            (1, Some(TxStatus::Accepted))
        );
    }
}
