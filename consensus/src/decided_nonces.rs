//! The decided (sender, nonce) pairs, kept as ranges of nonces per sender.
//!
//! Once a conflict set is decided, any newcomer to it must be rejected, so the core remembers
//! every decided pair for good. Senders use their nonces in order (the node's named keys
//! reserve them consecutively, agents count up), so per sender the decided nonces form a few
//! runs: a run costs one map entry however long it is, where a hash set of pairs cost ~41
//! bytes per transaction and doubled on growth. Arbitrary nonces still work, at about a run per
//! nonce.

use crate::id_map::IdMap;
use cretoai_types::ConflictKey;
use std::collections::BTreeMap;

/// Decided pairs: per sender, runs of nonces `start -> end` (both included, disjoint, never
/// adjacent).
#[derive(Default)]
pub(crate) struct DecidedNonces {
    senders: IdMap<[u8; 32], BTreeMap<u64, u64>>,
}

impl DecidedNonces {
    /// Whether the pair is decided.
    pub(crate) fn contains(&self, key: &ConflictKey) -> bool {
        self.senders
            .get(&key.sender)
            .is_some_and(|runs| covering(runs, key.nonce).is_some())
    }

    /// Records a decided pair (again: no change).
    pub(crate) fn insert(&mut self, key: ConflictKey) {
        let runs = self.senders.entry(key.sender).or_default();
        let n = key.nonce;
        if covering(runs, n).is_some() {
            return;
        }
        // The run ending just below `n`, and the one starting just above it, join it.
        let below = n
            .checked_sub(1)
            .and_then(|m| covering(runs, m))
            .map(|(start, _)| start);
        let above = n.checked_add(1).and_then(|m| runs.remove(&m));
        runs.insert(below.unwrap_or(n), above.unwrap_or(n));
    }

    /// Decided pairs recorded.
    #[cfg(test)]
    fn len(&self) -> u64 {
        let runs = self.senders.values().flat_map(|r| r.iter());
        runs.map(|(start, end)| end - start + 1).sum()
    }

    /// Runs stored (what the memory grows with).
    #[cfg(test)]
    fn runs(&self) -> usize {
        self.senders.values().map(BTreeMap::len).sum()
    }
}

/// The run of `runs` that holds `n`, as `(start, end)`.
fn covering(runs: &BTreeMap<u64, u64>, n: u64) -> Option<(u64, u64)> {
    runs.range(..=n)
        .next_back()
        .filter(|(_, &end)| n <= end)
        .map(|(&start, &end)| (start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn key(sender: u8, nonce: u64) -> ConflictKey {
        ConflictKey {
            sender: [sender; 32],
            nonce,
        }
    }

    #[test]
    fn consecutive_nonces_are_one_run() {
        let mut d = DecidedNonces::default();
        for n in (0..1000).rev().chain(1000..2000) {
            d.insert(key(1, n));
        }
        d.insert(key(1, 5));
        assert_eq!((d.len(), d.runs()), (2000, 1));
        assert!(d.contains(&key(1, 0)) && d.contains(&key(1, 1999)));
        assert!(!d.contains(&key(1, 2000)) && !d.contains(&key(2, 7)));
        // Extremes of the nonce space do not overflow.
        d.insert(key(3, u64::MAX));
        d.insert(key(3, 0));
        d.insert(key(3, u64::MAX - 1));
        assert!(d.contains(&key(3, u64::MAX)) && !d.contains(&key(3, 1)));
        assert_eq!(d.runs(), 3);
    }

    proptest! {
        /// Any order of inserts answers exactly like a set of pairs, with runs never adjacent.
        #[test]
        fn behaves_like_a_set_of_pairs(
            inserts in proptest::collection::vec((0u8..3, 0u64..64), 0..300),
            probes in proptest::collection::vec((0u8..3, 0u64..70), 0..100),
        ) {
            let mut d = DecidedNonces::default();
            let mut model = HashSet::new();
            for (s, n) in inserts {
                d.insert(key(s, n));
                model.insert((s, n));
            }
            prop_assert_eq!(d.len(), model.len() as u64);
            for (s, n) in probes {
                prop_assert_eq!(d.contains(&key(s, n)), model.contains(&(s, n)));
            }
            for runs in d.senders.values() {
                let mut last_end: Option<u64> = None;
                for (&start, &end) in runs {
                    prop_assert!(start <= end);
                    if let Some(prev) = last_end {
                        prop_assert!(start > prev + 1, "runs must be disjoint and merged");
                    }
                    last_end = Some(end);
                }
            }
        }
    }
}
