//! Conflict sets and the per-transaction Snowball state of the Avalanche paper: chits and
//! confidence per transaction; preference, last and consecutive count per conflict set.

use crate::decided_nonces::DecidedNonces;
use crate::id_map::IdMap;
use crate::outcome_window::{OutcomeWindow, Unheld};
use cretoai_types::{ConflictKey, TxId};

/// Where a transaction stands at this node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TxStatus {
    /// Known, not yet decided.
    Pending,
    /// Final: accepted.
    Accepted,
    /// Final: a conflicting transaction was accepted.
    Rejected,
}

/// Per-transaction counters of an undecided transaction (a decision drops its record).
#[derive(Clone, Debug)]
pub(crate) struct TxRecord {
    pub(crate) key: ConflictKey,
    /// Successful polls (alpha_preference) of vertices in this transaction's progeny: the
    /// paper's d(T), which orders preference.
    pub(crate) chits: u64,
    /// Polls in the progeny that reached alpha_confidence: drives early commitment.
    pub(crate) confidence: u64,
    /// Whether another transaction shares its conflict set. Most never meet a conflict: such a
    /// lone transaction is its set's preference and decides by confidence alone, so polls
    /// update only this record and never look the set up.
    pub(crate) contested: bool,
    /// The last poll that counted this transaction: one that appears in several vertices of a
    /// polled ancestry counts once.
    last_poll: u64,
}

/// An undecided conflict set: all known transactions with one (sender, nonce). Once decided
/// it leaves this form for [`TxTable::decided_sets`].
#[derive(Clone, Debug)]
pub(crate) struct ConflictSet {
    pub(crate) members: Vec<TxId>,
    pub(crate) pref: TxId,
    pub(crate) last: TxId,
    pub(crate) count: u32,
}

/// What one poll did to the conflict sets.
#[derive(Default, Debug)]
pub(crate) struct PollEffect {
    pub(crate) accepted: Vec<TxId>,
    pub(crate) rejected: Vec<TxId>,
    /// True when some preference changed, so cached strong-preference answers are stale.
    pub(crate) preference_changed: bool,
}

/// All transactions a node knows and their conflict sets.
///
/// Undecided transactions carry their Snowball counters (`records`, `sets`). A decision is
/// final, so at that moment the counters are dropped and only what conflict detection and
/// status queries still need is kept, compactly: the outcome per transaction id and the
/// decided (sender, nonce) pairs. That keeps this table's memory proportional to the undecided
/// load plus about a hundred bytes per decided transaction (or per recent one, with an
/// archive: see [`OutcomeWindow`]).
#[derive(Default)]
pub(crate) struct TxTable {
    pub(crate) records: IdMap<TxId, TxRecord>,
    pub(crate) sets: IdMap<ConflictKey, ConflictSet>,
    /// Outcomes of decided transactions (accepted or rejected).
    pub(crate) decided: OutcomeWindow,
    /// Every decided conflict set: a member not already in `decided` (a newcomer) is rejected.
    /// The winner itself is the set's `Accepted` entry in `decided`, so it is not kept twice.
    pub(crate) decided_sets: DecidedNonces,
    /// Polls applied so far (numbers them for [`TxRecord::last_poll`]).
    polls: u64,
}

impl TxTable {
    /// A table whose decided outcomes are kept as `decided` says.
    pub(crate) fn new(decided: OutcomeWindow) -> Self {
        Self {
            decided,
            ..Self::default()
        }
    }

    /// The status of a transaction, if its record or outcome is in memory.
    pub(crate) fn status(&self, id: &TxId) -> Option<TxStatus> {
        match self.records.get(id) {
            Some(_) => Some(TxStatus::Pending),
            None => self.decided.in_memory(id),
        }
    }

    /// Whether inserting `id` needs the archive's answer first: its conflict set is decided,
    /// its outcome is not in memory and may have left it.
    pub(crate) fn needs_archive(&self, id: &TxId, key: &ConflictKey) -> bool {
        !self.records.contains_key(id)
            && self.decided.in_memory(id).is_none()
            && self.decided_sets.contains(key)
            && self.decided.unheld(id) == Unheld::Ask
    }

    pub(crate) fn is_decided(&self, id: &TxId) -> bool {
        matches!(
            self.status(id),
            Some(TxStatus::Accepted | TxStatus::Rejected)
        )
    }

    /// The paper's isPreferred: the transaction is its conflict set's preference.
    pub(crate) fn is_preferred(&self, id: &TxId) -> bool {
        match self.records.get(id) {
            Some(r) if !r.contested => true,
            Some(r) => self.sets.get(&r.key).is_some_and(|s| s.pref == *id),
            None => self.decided.in_memory(id) == Some(TxStatus::Accepted),
        }
    }

    /// Adds a transaction. A newcomer to an already decided set is rejected at once; a member
    /// decided before is already back in memory (the archive answered, see
    /// [`Self::needs_archive`]) and keeps its outcome.
    /// Returns the effect (a rejection, or a preference change on a tie-break).
    pub(crate) fn insert(&mut self, id: TxId, key: ConflictKey) -> PollEffect {
        let mut effect = PollEffect::default();
        if self.records.contains_key(&id) || self.decided.in_memory(&id).is_some() {
            return effect;
        }
        if self.decided_sets.contains(&key) {
            // `Ask` cannot happen: the node waits for the archive's answer before inserting.
            // Leaving the transaction out is the safe way if it did: rejecting a winner whose
            // outcome left memory would set this node against the others.
            if self.decided.unheld(&id) == Unheld::Newcomer {
                self.decided.decide(id, TxStatus::Rejected);
                effect.rejected.push(id);
            }
            return effect;
        }
        let contested = match self.sets.get_mut(&key) {
            None => {
                self.sets.insert(
                    key,
                    ConflictSet {
                        members: vec![id],
                        pref: id,
                        last: id,
                        count: 0,
                    },
                );
                false
            }
            Some(set) => {
                for m in &set.members {
                    if let Some(r) = self.records.get_mut(m) {
                        r.contested = true;
                    }
                }
                set.members.push(id);
                set.count = 0;
                let pref_chits = self.records.get(&set.pref).map_or(0, |r| r.chits);
                // Ties at equal chits go to the lowest id so that nodes that saw the two
                // sides in different orders still start from the same preference.
                if pref_chits == 0 && id < set.pref {
                    set.pref = id;
                    effect.preference_changed = true;
                }
                true
            }
        };
        self.records.insert(
            id,
            TxRecord {
                key,
                chits: 0,
                confidence: 0,
                contested,
                last_poll: 0,
            },
        );
        effect
    }

    /// Applies the outcome of one poll to the undecided transactions of the polled vertex's
    /// ancestry (`ancestry`: every transaction of its unsettled vertices; decided ones and
    /// repeats are skipped), as in the paper's main loop, then decides whatever became final.
    pub(crate) fn apply_poll(
        &mut self,
        ancestry: impl IntoIterator<Item = TxId>,
        preference_success: bool,
        confidence_success: bool,
        beta: u32,
    ) -> PollEffect {
        let mut effect = PollEffect::default();
        self.polls += 1;
        let poll = self.polls;
        // Sets that may have become final, decided once every count of this poll is in.
        let mut candidates: Vec<ConflictKey> = Vec::new();
        for id in ancestry {
            // Decided transactions have no record.
            let Some(rec) = self.records.get_mut(&id) else {
                continue;
            };
            if rec.last_poll == poll {
                continue;
            }
            rec.last_poll = poll;
            if preference_success {
                rec.chits += 1;
                if confidence_success {
                    rec.confidence += 1;
                }
            }
            if !rec.contested {
                if rec.confidence >= u64::from(beta) {
                    candidates.push(rec.key);
                }
                continue;
            }
            let (key, chits) = (rec.key, rec.chits);
            let Some(set) = self.sets.get_mut(&key) else {
                continue;
            };
            if preference_success {
                let pref_chits = self.records.get(&set.pref).map_or(0, |r| r.chits);
                if set.pref != id && chits > pref_chits {
                    set.pref = id;
                    effect.preference_changed = true;
                }
                if confidence_success {
                    if set.last != id {
                        set.last = id;
                        set.count = 1;
                    } else {
                        set.count += 1;
                    }
                } else if set.last == id {
                    set.count = 0;
                }
            } else if set.last == id {
                // Only a failed poll that included the set's current run breaks it: failures
                // of vertices carrying a competitor must not let anyone stall the winner.
                set.count = 0;
            }
            if set.count >= beta {
                candidates.push(key);
            }
        }
        for key in candidates {
            self.decide(&key, beta, &mut effect);
        }
        effect
    }

    /// The paper's isAccepted: a lone transaction with confidence >= beta (early commitment),
    /// or a contested set whose last choice won beta consecutive polls.
    fn decide(&mut self, key: &ConflictKey, beta: u32, effect: &mut PollEffect) {
        let Some(set) = self.sets.get(key) else {
            return;
        };
        let winner = if set.members.len() == 1 {
            let only = set.members[0];
            let conf = self.records.get(&only).map_or(0, |r| r.confidence);
            (conf >= u64::from(beta)).then_some(only)
        } else {
            (set.count >= beta).then_some(set.last)
        };
        let Some(winner) = winner else {
            return;
        };
        let Some(set) = self.sets.remove(key) else {
            return;
        };
        if set.pref != winner {
            effect.preference_changed = true;
        }
        // Final: the counters go, the outcome stays (compactly).
        for m in set.members {
            if self.records.remove(&m).is_none() {
                continue;
            }
            if m == winner {
                self.decided.decide(m, TxStatus::Accepted);
                effect.accepted.push(m);
            } else {
                self.decided.decide(m, TxStatus::Rejected);
                effect.rejected.push(m);
            }
        }
        self.decided_sets.insert(*key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u64) -> ConflictKey {
        ConflictKey {
            sender: [7; 32],
            nonce: n,
        }
    }

    #[test]
    fn lone_transaction_accepts_after_beta_confident_polls() {
        let mut t = TxTable::default();
        let a = TxId([1; 32]);
        t.insert(a, key(0));
        for i in 0..3 {
            let e = t.apply_poll([a], true, true, 4);
            assert!(e.accepted.is_empty(), "poll {i}");
        }
        // A failed poll does not erase the confidence of a lone transaction.
        t.apply_poll([a], false, false, 4);
        let e = t.apply_poll([a], true, true, 4);
        assert_eq!(e.accepted, vec![a]);
        assert_eq!(t.status(&a), Some(TxStatus::Accepted));
    }

    #[test]
    fn contested_set_needs_consecutive_successes_and_rejects_the_loser() {
        let mut t = TxTable::default();
        let (a, b) = (TxId([2; 32]), TxId([1; 32]));
        t.insert(a, key(1));
        let e = t.insert(b, key(1));
        assert!(e.preference_changed, "lower id wins the tie");
        assert!(t.is_preferred(&b));
        // a gains chits and takes the preference.
        t.apply_poll([a], true, true, 3);
        assert!(t.is_preferred(&a));
        t.apply_poll([a], true, true, 3);
        // A failure resets the consecutive counter.
        t.apply_poll([a], false, false, 3);
        t.apply_poll([a], true, true, 3);
        t.apply_poll([a], true, true, 3);
        assert_eq!(t.status(&a), Some(TxStatus::Pending));
        let e = t.apply_poll([a], true, true, 3);
        assert_eq!(e.accepted, vec![a]);
        assert_eq!(e.rejected, vec![b]);
        // A late conflicting transaction is rejected on arrival.
        let c = TxId([0; 32]);
        let e = t.insert(c, key(1));
        assert_eq!(e.rejected, vec![c]);
        assert!(t.is_preferred(&a));
    }

    #[test]
    fn a_transaction_repeated_in_the_ancestry_counts_once_per_poll() {
        let mut t = TxTable::default();
        let a = TxId([1; 32]);
        t.insert(a, key(4));
        t.apply_poll([a, a, a], true, true, 3);
        assert_eq!((t.records[&a].chits, t.records[&a].confidence), (1, 1));
        t.apply_poll([a, a], true, false, 3);
        assert_eq!((t.records[&a].chits, t.records[&a].confidence), (2, 1));
    }

    #[test]
    fn a_conflict_ends_early_commitment_of_a_lone_transaction() {
        let mut t = TxTable::default();
        let (a, b) = (TxId([1; 32]), TxId([2; 32]));
        t.insert(a, key(5));
        t.apply_poll([a], true, true, 3);
        t.apply_poll([a], true, true, 3);
        assert!(t.is_preferred(&a));
        // b joins: a's confidence of 2 no longer counts; a needs 3 consecutive successes.
        t.insert(b, key(5));
        assert!(t.records[&a].contested && t.records[&b].contested);
        assert!(t.is_preferred(&a) && !t.is_preferred(&b));
        for _ in 0..2 {
            assert!(t.apply_poll([a], true, true, 3).accepted.is_empty());
        }
        let e = t.apply_poll([a], true, true, 3);
        assert_eq!(e.accepted, vec![a]);
        assert_eq!(e.rejected, vec![b]);
    }

    #[test]
    fn preference_only_poll_resets_confidence_counter() {
        let mut t = TxTable::default();
        let (a, b) = (TxId([1; 32]), TxId([2; 32]));
        t.insert(a, key(2));
        t.insert(b, key(2));
        t.apply_poll([a], true, true, 2);
        t.apply_poll([a], true, false, 2);
        let e = t.apply_poll([a], true, true, 2);
        assert!(e.accepted.is_empty());
        assert_eq!(t.records[&a].chits, 3);
        let e = t.apply_poll([a], true, true, 2);
        assert_eq!(e.accepted, vec![a]);
    }

    #[test]
    fn decided_transactions_keep_only_their_outcome() {
        let mut t = TxTable::default();
        let (a, b) = (TxId([1; 32]), TxId([2; 32]));
        t.insert(a, key(3));
        t.insert(b, key(3));
        for _ in 0..2 {
            t.apply_poll([a], true, true, 2);
        }
        assert_eq!(t.status(&a), Some(TxStatus::Accepted));
        assert_eq!(t.status(&b), Some(TxStatus::Rejected));
        assert!(
            t.records.is_empty() && t.sets.is_empty(),
            "counters dropped"
        );
        assert!(t.is_preferred(&a) && !t.is_preferred(&b));
        // Seen again: no new effect. A newcomer to the decided set: rejected on arrival.
        let again = t.insert(a, key(3));
        assert!(again.accepted.is_empty() && again.rejected.is_empty());
        let c = TxId([0; 32]);
        assert_eq!(t.insert(c, key(3)).rejected, vec![c]);
        assert_eq!(t.status(&c), Some(TxStatus::Rejected));
        assert!(t.insert(c, key(3)).rejected.is_empty(), "reported once");
    }
}
