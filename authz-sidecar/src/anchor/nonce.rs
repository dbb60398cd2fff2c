//! Transaction nonces that are never handed out twice, across restarts too.
//!
//! A consensus transaction conflicts with any other transaction of the same
//! sender and nonce, and only one of a conflicting pair can be accepted, so a
//! reused nonce would lose a decision's anchor. Two guards:
//!
//! - a durable high-water mark: nonces are reserved in blocks of
//!   [`BLOCK`], and the end of a block is written (atomically, fsynced)
//!   before any nonce of it is used; a restart resumes at the stored end,
//!   skipping what the previous run reserved but did not use;
//! - a clock floor: a run starts no lower than the Unix time in microseconds,
//!   so even a data dir restored from an old backup (whose high-water mark is
//!   stale) does not replay nonces, as long as the clock has not gone back by
//!   more than the old run lasted.
//!
//! Nonces need not be consecutive: the node only compares them for equality.

use crate::error::{Result, SidecarError};
use crate::key_store::write_atomic;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// Nonces reserved per durable write.
pub const BLOCK: u64 = 1024;

struct Window {
    next: u64,
    reserved_end: u64,
}

/// The durable nonce counter of one sender key.
pub struct NonceCounter {
    path: PathBuf,
    window: Mutex<Window>,
}

/// Unix time in microseconds, the floor of a fresh run.
pub fn clock_floor() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

impl NonceCounter {
    /// Open the counter stored at `path`, starting no lower than `floor`.
    pub fn open(path: &Path, floor: u64) -> Result<Self> {
        let stored = match std::fs::read_to_string(path) {
            Ok(text) => text
                .trim()
                .parse::<u64>()
                .map_err(|_| SidecarError::KeyStore(format!("{} is corrupt", path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(SidecarError::KeyStore(format!("{}: {e}", path.display()))),
        };
        let start = stored.max(floor);
        Ok(NonceCounter {
            path: path.to_path_buf(),
            // Nothing reserved yet: the first `next` writes a block end.
            window: Mutex::new(Window {
                next: start,
                reserved_end: start,
            }),
        })
    }

    /// The next unused nonce; durable before it is returned.
    pub fn next(&self) -> Result<u64> {
        let mut w = self.window.lock().expect("nonce lock");
        if w.next >= w.reserved_end {
            let end = w
                .next
                .checked_add(BLOCK)
                .ok_or_else(|| SidecarError::KeyStore("anchor nonces exhausted".into()))?;
            write_atomic(&self.path, end.to_string().as_bytes())?;
            w.reserved_end = end;
        }
        let n = w.next;
        w.next += 1;
        Ok(n)
    }

    /// The nonce the next call would return (for status pages).
    pub fn peek(&self) -> u64 {
        self.window.lock().expect("nonce lock").next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_increase_and_survive_reopen_without_reuse() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("anchor-nonce");
        let c = NonceCounter::open(&path, 0).unwrap();
        let first: Vec<u64> = (0..3).map(|_| c.next().unwrap()).collect();
        assert_eq!(first, vec![0, 1, 2]);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), BLOCK.to_string());
        drop(c);
        // A restart with a clock behind the stored mark resumes after the block.
        let again = NonceCounter::open(&path, 5).unwrap();
        assert_eq!(again.next().unwrap(), BLOCK);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            (2 * BLOCK).to_string()
        );
        // Crossing a block boundary reserves the next block before use.
        for _ in 1..BLOCK {
            again.next().unwrap();
        }
        assert_eq!(again.next().unwrap(), 2 * BLOCK);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            (3 * BLOCK).to_string()
        );
    }

    #[test]
    fn clock_floor_wins_over_a_stale_or_missing_mark() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("anchor-nonce");
        std::fs::write(&path, "7").unwrap();
        let c = NonceCounter::open(&path, 1_000_000).unwrap();
        assert_eq!(c.next().unwrap(), 1_000_000);
        assert!(clock_floor() > 1_700_000_000_000_000, "µs since 1970");
        std::fs::write(&path, "not a number").unwrap();
        assert_eq!(
            NonceCounter::open(&path, 0).err().unwrap().code(),
            "key_store_error"
        );
    }

    #[test]
    fn concurrent_callers_never_share_a_nonce() {
        let dir = tempfile::tempdir().unwrap();
        let c = std::sync::Arc::new(NonceCounter::open(&dir.path().join("n"), 0).unwrap());
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let c = c.clone();
                std::thread::spawn(move || (0..600).map(|_| c.next().unwrap()).collect::<Vec<_>>())
            })
            .collect();
        let mut all: Vec<u64> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 2400);
    }
}
