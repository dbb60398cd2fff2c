//! What the properties check after (and during) a run.

use super::Sim;
use cretoai_consensus::{TxId, TxStatus};
use std::collections::HashSet;

impl Sim {
    /// Honest machines that are up.
    pub fn live_honest(&self) -> Vec<usize> {
        (0..self.n())
            .filter(|&i| self.machines[i].node.is_some())
            .collect()
    }

    /// The first of `txs` that live machine `i` has not accepted, as a liveness failure.
    pub fn expect_accepted(&self, i: usize, txs: &[TxId]) -> Result<(), String> {
        if self.machines[i].node.is_none() {
            return Err(format!("node {i} is down"));
        }
        match txs
            .iter()
            .find(|t| self.status(i, t) != Some(TxStatus::Accepted))
        {
            None => Ok(()),
            Some(t) => Err(format!(
                "liveness: node {i} has {t:?} as {:?}",
                self.status(i, t)
            )),
        }
    }

    /// Exactly one of each conflicting pair is accepted at live machine `i`.
    pub fn expect_one_winner(&self, i: usize, pairs: &[(TxId, TxId)]) -> Result<(), String> {
        if self.machines[i].node.is_none() {
            return Err(format!("node {i} is down"));
        }
        for (a, b) in pairs {
            let accepted = [a, b]
                .iter()
                .filter(|t| self.status(i, t) == Some(TxStatus::Accepted))
                .count();
            if accepted != 1 {
                return Err(format!(
                    "conflict set at node {i}: {accepted} of 2 accepted"
                ));
            }
        }
        Ok(())
    }

    /// Accepted set of machine `i`, sorted.
    pub fn accepted_set(&self, i: usize) -> Vec<TxId> {
        let mut v: Vec<TxId> = self.machines[i].accepted.keys().copied().collect();
        v.sort_unstable();
        v
    }

    pub fn total_accepted_unique(&self) -> usize {
        let all: HashSet<TxId> = self
            .machines
            .iter()
            .flat_map(|m| m.accepted.keys().copied())
            .collect();
        all.len()
    }

    /// Fails with the reproduction line if any safety violation was seen.
    pub fn check_safety(&self) -> Result<(), String> {
        match self.violations.first() {
            None => Ok(()),
            Some(v) => Err(format!("safety: {v}")),
        }
    }

    /// Every live honest machine accepted the same set.
    pub fn check_agreement(&self) -> Result<(), String> {
        let live = self.live_honest();
        let Some(&first) = live.first() else {
            return Ok(());
        };
        let reference = self.accepted_set(first);
        for &i in &live[1..] {
            let s = self.accepted_set(i);
            if s != reference {
                return Err(format!(
                    "agreement: node {first} accepted {} txs, node {i} accepted {}",
                    reference.len(),
                    s.len()
                ));
            }
        }
        Ok(())
    }
}
