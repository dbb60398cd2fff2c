//! The store as the consensus core's archive of its own decisions: the core keeps only recent
//! outcomes in memory and asks here about a transaction that comes back after its outcome
//! left (see `cretoai_consensus::DecisionArchive`).

use crate::store::Store;
use cretoai_consensus::{DecisionArchive, TxId, TxStatus};

/// Looks decisions up in the node's `consensus_txs` rows.
pub struct StoreArchive(pub Store);

impl DecisionArchive for StoreArchive {
    fn decision(&self, tx: &TxId) -> Option<TxStatus> {
        match self.0.consensus_tx(tx) {
            Ok(row) => row.map(|r| r.status).filter(|s| *s != TxStatus::Pending),
            Err(e) => {
                // Answering "unknown" would let the core reject a transaction it accepted
                // before; a store that cannot be read leaves no safe way on. A restart replays
                // the log.
                tracing::error!(error = %e, "decision archive unreadable; stopping");
                std::process::abort();
            }
        }
    }
}
