//! The store as the consensus core's archive of its own decisions. The core keeps only recent
//! outcomes in memory and asks (`Action::RecallOutcomes`) about transactions that come back
//! after theirs left; the actor reads the answers here, off its own thread, and hands them
//! back as `Event::Recalled`.

use crate::error::Result;
use crate::store::Store;
use cretoai_consensus::{TxId, TxStatus};

/// This node's durable decision on each of `ids` (from its `consensus_txs` rows), `None` for
/// one it never decided. A read error is returned whole: answering "unknown" would let the core
/// reject a transaction it accepted before.
pub fn recall(store: &Store, ids: &[TxId]) -> Result<Vec<(TxId, Option<TxStatus>)>> {
    ids.iter()
        .map(|id| {
            let status = store
                .consensus_tx(id)?
                .map(|row| row.status)
                .filter(|s| *s != TxStatus::Pending);
            Ok((*id, status))
        })
        .collect()
}
