//! Resolving a stored reference to a large value (a vertex encoding, a run of submitted
//! transactions) to its bytes.
//!
//! New values live in the blob file ([`super::blob_file`]). Databases written before it kept
//! them in redb as chunks of just under one page under sequential keys (a value that does not
//! fit a page gets a page of its own rounded up to a power of two, so chunks had halved the
//! bytes written); those are still read from the chunk table, and the oldest vertices were
//! stored inline.

use super::blob_file::{BlobFile, FileRef, FILE_REF_LEN, FILE_REF_TAG};
use crate::error::{NodeError, Result};
use redb::{ReadOnlyTable, ReadTransaction, ReadableTable, TableDefinition};

/// `(blob id, chunk index) -> chunk bytes` (databases written before the blob file).
pub(super) const CHUNKS: TableDefinition<'static, (u64, u32), &'static [u8]> =
    TableDefinition::new("consensus_blob_chunks");

/// First byte of a reference into [`CHUNKS`]. Inline vertex encodings start with their version
/// byte (1), so all three stored forms are told apart by their first byte.
const CHUNK_REF_TAG: u8 = 0xB0;
/// Length of an encoded chunk reference: tag, blob id, total length.
const CHUNK_REF_LEN: usize = 1 + 8 + 4;

/// Length of the stored reference at the start of `body` (a log record's, followed by a time).
pub(super) fn ref_len(body: &[u8]) -> usize {
    match body.first() {
        Some(&FILE_REF_TAG) => FILE_REF_LEN,
        _ => CHUNK_REF_LEN,
    }
}

/// Reads stored values within one read transaction.
pub(super) struct Blobs<'a> {
    chunks: ReadOnlyTable<(u64, u32), &'static [u8]>,
    file: &'a BlobFile,
}

impl<'a> Blobs<'a> {
    /// A reader over `txn`'s chunk table and the blob file.
    pub(super) fn open(txn: &ReadTransaction, file: &'a BlobFile) -> Result<Self> {
        Ok(Blobs {
            chunks: txn.open_table(CHUNKS)?,
            file,
        })
    }

    /// The bytes `stored` refers to, or `None` if it is not a reference (an inline value).
    pub(super) fn resolve(&self, stored: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(at) = FileRef::decode(stored) {
            return self.file.read(at).map(Some);
        }
        if stored.len() != CHUNK_REF_LEN || stored[0] != CHUNK_REF_TAG {
            return Ok(None);
        }
        let id = u64::from_be_bytes(stored[1..9].try_into().unwrap_or_default());
        let len = u32::from_be_bytes(stored[9..13].try_into().unwrap_or_default()) as usize;
        read_chunks(&self.chunks, id, len).map(Some)
    }
}

/// Reads a chunked blob back whole; a missing or short chunk is corruption.
fn read_chunks(
    table: &impl ReadableTable<(u64, u32), &'static [u8]>,
    id: u64,
    len: usize,
) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(len);
    for entry in table.range((id, 0)..=(id, u32::MAX))? {
        let (_, chunk) = entry?;
        out.extend_from_slice(chunk.value());
    }
    if out.len() != len {
        return Err(NodeError::Storage("consensus blob is corrupt".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::ReadableDatabase;

    fn chunk_ref(id: u64, len: u32) -> Vec<u8> {
        [&[CHUNK_REF_TAG][..], &id.to_be_bytes(), &len.to_be_bytes()].concat()
    }

    #[test]
    fn chunked_file_and_inline_values_are_all_read() {
        let dir = tempfile::tempdir().unwrap();
        let db = redb::Database::create(dir.path().join("b.redb")).unwrap();
        let file = BlobFile::open(dir.path(), 0).unwrap();
        let txn = db.begin_write().unwrap();
        {
            // A value written in three chunks by an earlier version.
            let mut table = txn.open_table(CHUNKS).unwrap();
            for (i, chunk) in [[1u8; 4], [2; 4], [3; 4]].iter().enumerate() {
                table.insert((9, i as u32), chunk.as_slice()).unwrap();
            }
        }
        txn.commit().unwrap();
        let in_file = file.append(b"in the file").unwrap();

        let txn = db.begin_read().unwrap();
        let blobs = Blobs::open(&txn, &file).unwrap();
        let chunked = blobs.resolve(&chunk_ref(9, 12)).unwrap().unwrap();
        assert_eq!(chunked, [[1u8; 4], [2; 4], [3; 4]].concat());
        let filed = blobs.resolve(&in_file.encode()).unwrap().unwrap();
        assert_eq!(filed, b"in the file");
        // A reference claiming more bytes than stored is reported, not truncated silently.
        assert!(blobs.resolve(&chunk_ref(9, 13)).is_err());
        // Inline values (a vertex encoding starts with its version byte) are not references.
        assert_eq!(blobs.resolve(&[1u8; CHUNK_REF_LEN]).unwrap(), None);
    }
}
