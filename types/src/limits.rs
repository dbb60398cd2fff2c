//! Size bounds of the canonical encoding.

/// Size bounds of the canonical encoding, enforced when encoding and decoding. A cluster's
/// nodes share one set (the consensus parameters carry it and check it against the hard caps);
/// a client that signs transactions uses the defaults unless its cluster was configured
/// otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest transaction payload, bytes.
    pub max_payload: usize,
    /// Most parents of a vertex.
    pub max_parents: usize,
    /// Most transactions in a vertex.
    pub max_txs_per_vertex: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_payload: 64 * 1024,
            max_parents: 16,
            max_txs_per_vertex: 256,
        }
    }
}
