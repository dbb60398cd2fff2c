//! Resolving a stored reference to a large value (a vertex encoding, a run of submitted
//! transactions) to its bytes in the blob file ([`super::blob_file`]).

use super::blob_file::{BlobFile, FileRef};
use crate::error::{NodeError, Result};
use crate::store::StoreError;

/// Reads stored values.
pub(super) struct Blobs<'a> {
    file: &'a BlobFile,
}

impl<'a> Blobs<'a> {
    /// A reader over the blob file.
    pub(super) fn new(file: &'a BlobFile) -> Self {
        Blobs { file }
    }

    /// The bytes `stored` refers to; anything but a reference is corruption.
    pub(super) fn resolve(&self, stored: &[u8]) -> Result<Vec<u8>> {
        let at = FileRef::decode(stored).ok_or_else(|| {
            NodeError::Store(StoreError::Database(
                "consensus blob reference is corrupt".into(),
            ))
        })?;
        self.file.read(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_read_and_anything_else_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = BlobFile::open(dir.path(), 0).unwrap();
        let at = file.append(b"in the file").unwrap();
        let blobs = Blobs::new(&file);
        assert_eq!(blobs.resolve(&at.encode()).unwrap(), b"in the file");
        // An inline value (a vertex encoding starts with its version byte) is not a reference.
        assert!(blobs.resolve(&[1u8; 17]).is_err());
    }
}
