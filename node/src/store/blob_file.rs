//! Large immutable values (vertex encodings, runs of submitted transactions) kept in an
//! append-only file beside the database, `<data dir>/cretoai.blobs`; redb stores only where
//! each one is (key-value separation, as in WiscKey).
//!
//! Why not in redb: a value written into a B-tree is copied into a page buffer, checksummed,
//! tracked by the page allocator and written with the commit. Measured on a 3-node cluster
//! (ML-DSA-44, 60,000 tx), storing these values in redb cost 28 of a node's 95 µs of CPU per
//! transaction; an append to a plain file costs one copy into the page cache.
//!
//! Durability: a commit appends its values, `fdatasync`s this file and only then commits the
//! redb transaction that references them, recording the file's new end with it. At open, bytes
//! past the recorded end (appended by a commit that never completed) are cut off, and a file
//! shorter than the recorded end is refused as corrupt.

use crate::error::{NodeError, Result};
use crate::store::StoreError;
use redb::{ReadableTable, TableDefinition, WriteTransaction};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Mutex;

/// File name of the blob file inside the data directory.
pub const BLOB_FILE: &str = "cretoai.blobs";

/// `"end" -> offset`: the blob file's length as of the last commit that appended to it.
const FILE_END: TableDefinition<'static, &'static str, u64> =
    TableDefinition::new("consensus_blob_file");
const END_KEY: &str = "end";

/// First byte of a stored reference to a value in the blob file.
pub(super) const FILE_REF_TAG: u8 = 0xB1;
/// Length of an encoded reference: tag, offset, length, CRC-32.
pub(super) const FILE_REF_LEN: usize = 1 + 8 + 4 + 4;

/// A value's place in the blob file, with a checksum of its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct FileRef {
    offset: u64,
    len: u32,
    crc: u32,
}

impl FileRef {
    /// The stored form.
    pub(super) fn encode(&self) -> [u8; FILE_REF_LEN] {
        let mut out = [0u8; FILE_REF_LEN];
        out[0] = FILE_REF_TAG;
        out[1..9].copy_from_slice(&self.offset.to_be_bytes());
        out[9..13].copy_from_slice(&self.len.to_be_bytes());
        out[13..17].copy_from_slice(&self.crc.to_be_bytes());
        out
    }

    /// The reference in `bytes`, if they hold one.
    pub(super) fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != FILE_REF_LEN || bytes[0] != FILE_REF_TAG {
            return None;
        }
        Some(FileRef {
            offset: u64::from_be_bytes(bytes[1..9].try_into().ok()?),
            len: u32::from_be_bytes(bytes[9..13].try_into().ok()?),
            crc: u32::from_be_bytes(bytes[13..17].try_into().ok()?),
        })
    }
}

/// The open blob file. Appends come from the journal thread only; reads from anywhere.
pub(super) struct BlobFile {
    file: File,
    /// Offset of the next append (the file's length as far as this process knows).
    end: Mutex<u64>,
}

impl BlobFile {
    /// Opens the blob file of the database `txn` belongs to (in `data_dir`), cut back to the
    /// end that database last recorded.
    pub(super) fn open_for(txn: &WriteTransaction, data_dir: &Path) -> Result<Self> {
        let end = txn
            .open_table(FILE_END)?
            .get(END_KEY)?
            .map_or(0, |v| v.value());
        Self::open(data_dir, end)
    }

    /// Opens (or creates) the blob file in `data_dir`, cut back to `committed_end`.
    pub(super) fn open(data_dir: &Path, committed_end: u64) -> Result<Self> {
        let path = data_dir.join(BLOB_FILE);
        let created = !path.exists();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io_error("open", &e))?;
        if created {
            // The file's own syncs cover its bytes, not its name in the directory.
            File::open(data_dir)
                .and_then(|dir| dir.sync_all())
                .map_err(|e| io_error("directory sync", &e))?;
        }
        let len = file.metadata().map_err(|e| io_error("stat", &e))?.len();
        if len < committed_end {
            return Err(NodeError::Store(StoreError::Database(format!(
                "{} holds {len} bytes but the database references {committed_end}",
                path.display()
            ))));
        }
        if len > committed_end {
            file.set_len(committed_end)
                .and_then(|()| file.sync_all())
                .map_err(|e| io_error("truncate", &e))?;
        }
        Ok(BlobFile {
            file,
            end: Mutex::new(committed_end),
        })
    }

    /// Appends `bytes` (not yet durable: see [`BlobFile::sync`]) and returns where they are.
    pub(super) fn append(&self, bytes: &[u8]) -> Result<FileRef> {
        let len = u32::try_from(bytes.len())
            .map_err(|_| NodeError::Store(StoreError::Database("blob larger than 4 GiB".into())))?;
        let mut end = self.lock();
        let at = *end;
        self.file
            .write_all_at(bytes, *end)
            .map_err(|e| io_error("write", &e))?;
        *end += u64::from(len);
        Ok(FileRef {
            offset: at,
            len,
            crc: crc32fast::hash(bytes),
        })
    }

    /// Offset just past the last append.
    pub(super) fn end(&self) -> u64 {
        *self.lock()
    }

    /// Makes every append so far durable.
    fn sync(&self) -> Result<()> {
        self.file.sync_data().map_err(|e| io_error("sync", &e))
    }

    /// Called just before `txn` commits: if anything was appended since the end was
    /// `before`, makes it durable and records the new end in `txn`.
    pub(super) fn seal(&self, txn: &WriteTransaction, before: u64) -> Result<()> {
        let end = self.end();
        if end == before {
            return Ok(());
        }
        self.sync()?;
        self.drop_cached(before, end);
        txn.open_table(FILE_END)?.insert(END_KEY, end)?;
        Ok(())
    }

    /// Drops the synced range `from..to` from the kernel's page cache.
    ///
    /// The file is written once and read rarely (fetches, listings, a restart), so its pages
    /// would only pile up in the cache, each new one taken from free memory. Dropped once
    /// clean, they are reused by the next commit's appends instead. Measured on a 3-node
    /// cluster (ML-DSA-44, 100,000 tx): 82–87 → 74 µs of CPU per transaction per node, most of
    /// the difference being the kernel's copy into fresh pages (on this VM a page never used
    /// since it was freed costs a fault in the hypervisor). Advice only: if the kernel refuses
    /// it, nothing is lost but the saving.
    fn drop_cached(&self, from: u64, to: u64) {
        // A zero length would mean "to the end of the file".
        let Some(len) = std::num::NonZeroU64::new(to.saturating_sub(from)) else {
            return;
        };
        let _ = rustix::fs::fadvise(&self.file, from, Some(len), rustix::fs::Advice::DontNeed);
    }

    /// Reads a value back; a short read or a checksum mismatch is corruption.
    pub(super) fn read(&self, at: FileRef) -> Result<Vec<u8>> {
        let mut out = vec![0u8; at.len as usize];
        self.file
            .read_exact_at(&mut out, at.offset)
            .map_err(|e| io_error("read", &e))?;
        if crc32fast::hash(&out) != at.crc {
            return Err(NodeError::Store(StoreError::Database(
                "consensus blob is corrupt".into(),
            )));
        }
        Ok(out)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, u64> {
        // A plain offset, consistent after every statement: a poisoned lock is still usable.
        self.end.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn io_error(what: &str, e: &std::io::Error) -> NodeError {
    NodeError::Store(StoreError::Database(format!(
        "blob file {what} failed: {e}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_an_uncommitted_tail_is_cut_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let file = BlobFile::open(dir.path(), 0).unwrap();
        let a = file.append(b"first value").unwrap();
        let b = file.append(&[7u8; 10_000]).unwrap();
        let committed = file.end();
        let lost = file.append(b"never committed").unwrap();
        file.sync().unwrap();
        assert_eq!(FileRef::decode(&b.encode()), Some(b));
        assert_eq!(file.read(a).unwrap(), b"first value");
        assert_eq!(file.read(b).unwrap(), vec![7u8; 10_000]);
        drop(file);

        let file = BlobFile::open(dir.path(), committed).unwrap();
        assert_eq!(file.end(), committed);
        assert!(file.read(lost).is_err(), "the tail past the commit is gone");
        assert_eq!(file.read(a).unwrap(), b"first value");
        // The next append reuses the space the lost tail took.
        assert_eq!(file.append(b"next").unwrap().offset, committed);
    }

    #[test]
    fn a_short_file_or_a_flipped_byte_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let file = BlobFile::open(dir.path(), 0).unwrap();
        let at = file.append(b"some bytes").unwrap();
        file.file.write_all_at(b"S", at.offset).unwrap();
        assert!(file.read(at).is_err(), "checksum mismatch");
        let end = file.end();
        drop(file);
        assert!(
            BlobFile::open(dir.path(), end + 1).is_err(),
            "file shorter than committed"
        );
        // Tags of other stored forms are not file references.
        assert_eq!(FileRef::decode(&[0xB0; FILE_REF_LEN]), None);
    }
}
