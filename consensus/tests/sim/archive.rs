//! A machine's durable record of its own decisions, as a node's store keeps it: what a core
//! with a bounded outcome window asks about the outcomes it let go of.

use super::{node_key_seed, seed32, Sim};
use cretoai_consensus::{Config, Node, TxId, TxStatus};
use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
use std::collections::HashMap;
use std::sync::Mutex;

/// Simulated milliseconds between a core's `Action::RecallOutcomes` and the archive's answer
/// (a read from disk, off the core's thread).
pub const ARCHIVE_LATENCY_MS: u64 = 3;

/// The decisions a machine persisted (its `Record::Status` records), across restarts.
#[derive(Default)]
pub struct SimArchive {
    decisions: Mutex<HashMap<TxId, TxStatus>>,
}

impl SimArchive {
    /// Records a persisted decision. A decision is final: a second, different one for the
    /// same transaction is a violation, returned as a message.
    pub fn record(&self, tx: TxId, status: TxStatus) -> Option<String> {
        let mut decisions = self.decisions.lock().unwrap();
        match decisions.insert(tx, status) {
            Some(before) if before != status => Some(format!(
                "transaction {:?} persisted as {before:?}, then as {status:?}",
                &tx.0[..4]
            )),
            _ => None,
        }
    }
}

impl SimArchive {
    /// The machine's persisted decision on `tx`, if any.
    pub fn decision(&self, tx: &TxId) -> Option<TxStatus> {
        self.decisions.lock().unwrap().get(tx).copied()
    }

    /// The answer to a core's `Action::RecallOutcomes`.
    pub fn recall(&self, ids: &[TxId]) -> Vec<(TxId, Option<TxStatus>)> {
        ids.iter().map(|id| (*id, self.decision(id))).collect()
    }
}

impl Sim {
    /// The machine's node keeps only the `keep` most recent decided outcomes in memory and
    /// asks the machine's archive about older ones. Call before anything happens.
    pub fn remember_only(&mut self, keep: usize) {
        self.config.remembered_decisions = keep;
        self.archived = true;
        for i in 0..self.n() {
            if self.machines[i].node.is_some() {
                let key = SigningKey::from_seed(MlDsaLevel::MlDsa65, &node_key_seed(i)).unwrap();
                let config = self.machine_config();
                let node = Node::new(config, key, seed32(self.seed, i as u64)).unwrap();
                self.machines[i].node = Some(node);
            }
        }
    }

    /// The core configuration of the machines (with an archive when outcomes are bounded).
    pub(super) fn machine_config(&self) -> Config {
        let mut config = self.config.clone();
        config.archived = self.archived;
        config
    }

    /// Machine `i`'s view of `tx`: its core's, or else its archive's (as a node's API reads
    /// its store for outcomes the core let go of).
    pub fn status(&self, i: usize, tx: &TxId) -> Option<TxStatus> {
        self.machines[i]
            .node
            .as_ref()?
            .status(tx)
            .or_else(|| self.machines[i].archive.decision(tx))
    }
}
