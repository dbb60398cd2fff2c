//! A transaction's row in `consensus_txs`: its status, the vertex that carried it, when
//! this node first saw it and when it decided it, in 50 fixed bytes.

use super::consensus::{corrupt, id32};
use crate::error::Result;
use cretoai_consensus::{TxId, TxStatus, VertexId};

/// A transaction's state at this node, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxRow {
    /// Pending, accepted or rejected.
    pub status: TxStatus,
    /// The vertex that carried it here: the first one while it is undecided, and once accepted
    /// the one it was decided through (a transaction stranded beside a double spend's loser is
    /// re-issued in another vertex; docs/consensus.md).
    pub vertex: Option<VertexId>,
    /// When this node first learned of it (submitted here, or seen in a vertex), Unix ms.
    pub submitted_at: u64,
    /// When this node decided it, Unix ms.
    pub decided_at: Option<u64>,
}

impl TxRow {
    pub(super) const LEN: usize = 1 + 1 + 32 + 8 + 8;

    /// Milliseconds from `submitted_at` to acceptance, for accepted transactions.
    pub fn finality_ms(&self) -> Option<u64> {
        match (self.status, self.decided_at) {
            (TxStatus::Accepted, Some(at)) => Some(at.saturating_sub(self.submitted_at)),
            _ => None,
        }
    }

    pub(super) fn encode(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[0] = status_code(self.status) as u8;
        if let Some(v) = self.vertex {
            out[1] = 1;
            out[2..34].copy_from_slice(&v.0);
        }
        out[34..42].copy_from_slice(&self.submitted_at.to_be_bytes());
        out[42..50].copy_from_slice(&self.decided_at.unwrap_or(0).to_be_bytes());
        out
    }

    pub(super) fn decode(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != Self::LEN {
            return Err(corrupt("transaction row"));
        }
        let status = match bytes[0] {
            0 => TxStatus::Pending,
            1 => TxStatus::Accepted,
            2 => TxStatus::Rejected,
            _ => return Err(corrupt("transaction status")),
        };
        let vertex = (bytes[1] == 1).then(|| VertexId(id32(&bytes[2..34])));
        let decided = u64::from_be_bytes(bytes[42..50].try_into().unwrap_or_default());
        Ok(TxRow {
            status,
            vertex,
            submitted_at: u64::from_be_bytes(bytes[34..42].try_into().unwrap_or_default()),
            decided_at: (decided != 0).then_some(decided),
        })
    }
}

/// The row `consensus_txs` holds for `id`, if any.
pub(super) fn stored_row(
    txs: &impl redb::ReadableTable<&'static [u8], &'static [u8]>,
    id: &TxId,
) -> Result<Option<TxRow>> {
    txs.get(id.0.as_slice())?
        .map(|r| TxRow::decode(r.value()))
        .transpose()
}

/// A status as stored in a row's first byte, and its slot in `COUNTS`.
pub(super) fn status_code(status: TxStatus) -> usize {
    match status {
        TxStatus::Pending => 0,
        TxStatus::Accepted => 1,
        TxStatus::Rejected => 2,
    }
}
