//! A machine's durable record of its own decisions, as a node's store keeps it: what a core
//! with a bounded outcome window asks about the outcomes it let go of.

use cretoai_consensus::{DecisionArchive, TxId, TxStatus};
use std::collections::HashMap;
use std::sync::Mutex;

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

impl DecisionArchive for SimArchive {
    fn decision(&self, tx: &TxId) -> Option<TxStatus> {
        self.decisions.lock().unwrap().get(tx).copied()
    }
}
