//! Large immutable values (vertex encodings, runs of submitted transactions) stored as chunks
//! of just under one page, under sequential keys.
//!
//! redb keeps a value that does not fit a page in a page of its own, rounded up to a power of
//! two: a 1.1 MB vertex took a 2 MiB page, a 5.3 KB transaction an 8 KiB one, and every byte of
//! it is written at commit. Measured on a node's journal, that doubled (vertices) or tripled
//! (submitted transactions) the bytes written per transaction. Chunks that fill one 4 KiB leaf
//! each, appended under increasing keys, cost the value's size plus a few percent.

use crate::error::{NodeError, Result};
use redb::{ReadableTable, Table, TableDefinition};

/// `(blob id, chunk index) -> chunk bytes`.
pub(super) const CHUNKS: TableDefinition<'static, (u64, u32), &'static [u8]> =
    TableDefinition::new("consensus_blob_chunks");

/// Bytes per chunk: a leaf with one such entry (its header, offsets and 12-byte key included)
/// still fits a 4 KiB page. Measured: 4,070 still fits, 4,080 doubles the bytes written.
const CHUNK: usize = 4_032;

/// First byte of a reference stored where a value used to be inline. Inline vertex encodings
/// start with their version byte (1), so databases written before blobs stay readable.
pub(super) const REF_TAG: u8 = 0xB0;
/// Length of an encoded reference: tag, blob id, total length.
const REF_LEN: usize = 1 + 8 + 4;

/// A blob's place in [`CHUNKS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct BlobRef {
    id: u64,
    len: u32,
}

impl BlobRef {
    /// The stored form.
    pub(super) fn encode(&self) -> [u8; REF_LEN] {
        let mut out = [0u8; REF_LEN];
        out[0] = REF_TAG;
        out[1..9].copy_from_slice(&self.id.to_be_bytes());
        out[9..13].copy_from_slice(&self.len.to_be_bytes());
        out
    }

    /// The reference in `bytes`, if they hold one.
    pub(super) fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != REF_LEN || bytes[0] != REF_TAG {
            return None;
        }
        Some(BlobRef {
            id: u64::from_be_bytes(bytes[1..9].try_into().ok()?),
            len: u32::from_be_bytes(bytes[9..13].try_into().ok()?),
        })
    }
}

/// Appends blobs inside one write transaction.
pub(super) struct BlobWriter<'txn> {
    table: Table<'txn, (u64, u32), &'static [u8]>,
    next: u64,
}

impl<'txn> BlobWriter<'txn> {
    /// Opens the chunk table of `txn`; new blobs get ids after the last stored one.
    pub(super) fn open(txn: &'txn redb::WriteTransaction) -> Result<Self> {
        let table = txn.open_table(CHUNKS)?;
        let next = table.last()?.map_or(1, |(k, _)| k.value().0 + 1);
        Ok(BlobWriter { table, next })
    }

    /// Stores `bytes` and returns where.
    pub(super) fn put(&mut self, bytes: &[u8]) -> Result<BlobRef> {
        let len = u32::try_from(bytes.len())
            .map_err(|_| NodeError::Storage("blob larger than 4 GiB".into()))?;
        let id = self.next;
        self.next += 1;
        for (index, chunk) in (0u32..).zip(bytes.chunks(CHUNK)) {
            self.table.insert((id, index), chunk)?;
        }
        Ok(BlobRef { id, len })
    }
}

/// Reads a blob back whole; a missing or short chunk is corruption.
pub(super) fn read(
    table: &impl ReadableTable<(u64, u32), &'static [u8]>,
    blob: BlobRef,
) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(blob.len as usize);
    for entry in table.range((blob.id, 0)..=(blob.id, u32::MAX))? {
        let (_, chunk) = entry?;
        out.extend_from_slice(chunk.value());
    }
    if out.len() != blob.len as usize {
        return Err(NodeError::Storage("consensus blob is corrupt".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::ReadableDatabase;

    #[test]
    fn blobs_round_trip_across_chunk_boundaries() {
        let dir = tempfile::tempdir().unwrap();
        let db = redb::Database::create(dir.path().join("b.redb")).unwrap();
        let sizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK + 17];
        let txn = db.begin_write().unwrap();
        let refs: Vec<BlobRef> = {
            let mut w = BlobWriter::open(&txn).unwrap();
            sizes
                .iter()
                .map(|&n| {
                    let bytes: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
                    w.put(&bytes).unwrap()
                })
                .collect()
        };
        txn.commit().unwrap();
        let txn = db.begin_read().unwrap();
        let table = txn.open_table(CHUNKS).unwrap();
        for (&n, r) in sizes.iter().zip(&refs) {
            assert_eq!(BlobRef::decode(&r.encode()), Some(*r));
            let back = read(&table, *r).unwrap();
            assert_eq!(back.len(), n);
            assert!(back.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));
        }
        // A reference claiming more bytes than stored is reported, not truncated silently.
        let liar = BlobRef {
            id: refs[3].id,
            len: refs[3].len + 1,
        };
        assert!(read(&table, liar).is_err());
        // Inline values (a vertex encoding starts with its version byte) are not references.
        assert_eq!(BlobRef::decode(&[1u8; REF_LEN]), None);
    }
}
