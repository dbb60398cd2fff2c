//! The audit trail: every vault and key operation becomes a record in a hash-chained log.
//!
//! Each record's `hash` is SHA-256 over its canonical encoding ([`AuditRecord::canonical`]),
//! which includes the previous record's hash, so editing, reordering or removing a stored
//! record breaks verification at that point. Records name the token, the operation, the path
//! or key and the outcome, never a value or a plaintext.

mod writer;

pub use writer::AuditLog;

use crate::error::Result;
use crate::store::Store;
use cretoai_crypto::hash::Sha256;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Domain separation for the record hash.
const HASH_DOMAIN: &[u8] = b"cretoai/audit/v1";

/// The outcome text of a finished operation: `ok` or the stable error code the API returns
/// for it (one table, in `api::error`).
pub fn outcome_of<T>(result: &Result<T>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(e) => crate::api::error::code(e),
    }
}

/// What the caller supplies for one record; the log adds sequence, time and hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Id of the token that made the request (`root` for the root token).
    pub token_id: String,
    /// Operation, e.g. `vault.write`, `key.rotate`.
    pub operation: String,
    /// The secret path or key name (`*` for whole-vault operations).
    pub target: String,
    /// `ok` or the stable error code (`forbidden`, `cas_mismatch`, ...).
    pub outcome: String,
}

/// Longest target stored; longer (invalid) paths are cut, since the record only has to name
/// what was asked for.
const MAX_TARGET_LEN: usize = 600;

impl AuditEntry {
    /// An entry with outcome `ok`; adjust with [`AuditEntry::with`].
    pub fn new(token_id: &str, operation: &str, target: &str) -> Self {
        let mut end = target.len().min(MAX_TARGET_LEN);
        while !target.is_char_boundary(end) {
            end -= 1;
        }
        AuditEntry {
            token_id: token_id.to_string(),
            operation: operation.to_string(),
            target: target[..end].to_string(),
            outcome: "ok".to_string(),
        }
    }

    /// The same entry with the outcome of `result`.
    pub fn with<T>(&self, result: &Result<T>) -> Self {
        AuditEntry {
            outcome: outcome_of(result).to_string(),
            ..self.clone()
        }
    }
}

/// One stored audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditRecord {
    /// Position in the chain, from 1, without gaps.
    pub seq: u64,
    /// Unix seconds.
    pub time: u64,
    /// Id of the token that made the request.
    pub token_id: String,
    /// Operation, e.g. `vault.write`.
    #[schema(example = "vault.write")]
    pub operation: String,
    /// Secret path or key name.
    #[schema(example = "agents/billing/stripe")]
    pub target: String,
    /// `ok` or the error code.
    #[schema(example = "ok")]
    pub outcome: String,
    /// Hex SHA-256 of the previous record (64 zeros for the first).
    pub prev_hash: String,
    /// Hex SHA-256 of this record's canonical encoding.
    pub hash: String,
}

impl AuditRecord {
    /// `prev_hash` of the first record.
    pub const GENESIS: &'static str =
        "0000000000000000000000000000000000000000000000000000000000000000";

    /// Builds the record for `entry` at `seq` and computes its hash.
    pub fn seal(seq: u64, time: u64, entry: &AuditEntry, prev_hash: String) -> Self {
        let mut record = AuditRecord {
            seq,
            time,
            token_id: entry.token_id.clone(),
            operation: entry.operation.clone(),
            target: entry.target.clone(),
            outcome: entry.outcome.clone(),
            prev_hash,
            hash: String::new(),
        };
        record.hash = record.compute_hash();
        record
    }

    /// The fields a caller supplied.
    pub fn entry(&self) -> AuditEntry {
        AuditEntry {
            token_id: self.token_id.clone(),
            operation: self.operation.clone(),
            target: self.target.clone(),
            outcome: self.outcome.clone(),
        }
    }

    fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(&self.canonical());
        hex::encode(h.finish())
    }

    /// The hashed bytes: domain, `seq` and `time` as big-endian u64, then `token_id`,
    /// `operation`, `target`, `outcome` and `prev_hash` (hex text), each as a big-endian u32
    /// length followed by the UTF-8 bytes.
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(HASH_DOMAIN);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.time.to_be_bytes());
        for field in [
            &self.token_id,
            &self.operation,
            &self.target,
            &self.outcome,
            &self.prev_hash,
        ] {
            out.extend_from_slice(&(field.len() as u32).to_be_bytes());
            out.extend_from_slice(field.as_bytes());
        }
        out
    }
}

/// The first record where the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BrokenLink {
    /// Sequence number of the record found at the break.
    pub seq: u64,
    /// What does not match.
    pub reason: String,
}

/// Result of recomputing the whole chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VerifyReport {
    /// Whether every record holds.
    pub valid: bool,
    /// Number of stored records.
    pub records: u64,
    /// Hash of the last record (the chain head), when valid.
    pub head_hash: Option<String>,
    /// The first broken link, if any.
    pub first_broken: Option<BrokenLink>,
}

/// Recomputes every hash and link from the first record.
pub fn verify(store: &Store) -> Result<VerifyReport> {
    let mut records = 0u64;
    let mut prev_hash = AuditRecord::GENESIS.to_string();
    let mut expected_seq = 1u64;
    let mut first_broken = None;
    store.audit_scan(|seq, bytes| {
        records += 1;
        if first_broken.is_some() {
            return true;
        }
        let why = match serde_json::from_slice::<AuditRecord>(bytes) {
            Err(e) => Some(format!("record is unreadable: {e}")),
            Ok(r) if r.seq != seq => Some(format!("stored under {seq} but says seq {}", r.seq)),
            Ok(_) if seq != expected_seq => Some(format!("record {expected_seq} is missing")),
            Ok(r) if r.prev_hash != prev_hash => {
                Some("prev_hash does not match the previous record's hash".to_string())
            }
            Ok(r) if r.compute_hash() != r.hash => {
                Some("hash does not match the record's contents".to_string())
            }
            Ok(r) => {
                prev_hash = r.hash;
                None
            }
        };
        if let Some(reason) = why {
            first_broken = Some(BrokenLink { seq, reason });
        }
        expected_seq = seq.saturating_add(1);
        true
    })?;
    Ok(VerifyReport {
        valid: first_broken.is_none(),
        records,
        head_hash: first_broken.is_none().then_some(prev_hash),
        first_broken,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AuthError;
    use crate::error::NodeError;

    #[test]
    fn the_hash_covers_every_field() {
        let entry = AuditEntry::new("t1", "vault.write", "agents/a");
        let base = AuditRecord::seal(7, 100, &entry, AuditRecord::GENESIS.into());
        let variants = [
            AuditRecord::seal(8, 100, &entry, AuditRecord::GENESIS.into()),
            AuditRecord::seal(7, 101, &entry, AuditRecord::GENESIS.into()),
            AuditRecord::seal(
                7,
                100,
                &AuditEntry::new("t2", "vault.write", "agents/a"),
                AuditRecord::GENESIS.into(),
            ),
            AuditRecord::seal(
                7,
                100,
                &AuditEntry::new("t1", "vault.read", "agents/a"),
                AuditRecord::GENESIS.into(),
            ),
            AuditRecord::seal(
                7,
                100,
                &AuditEntry::new("t1", "vault.write", "agents/b"),
                AuditRecord::GENESIS.into(),
            ),
            AuditRecord::seal(
                7,
                100,
                &entry.with::<()>(&Err(NodeError::Auth(AuthError::Unauthorized))),
                AuditRecord::GENESIS.into(),
            ),
            AuditRecord::seal(7, 100, &entry, "1".repeat(64)),
        ];
        for v in variants {
            assert_ne!(v.hash, base.hash, "{v:?}");
        }
        // Length prefixes keep field boundaries: moving a character across fields changes the hash.
        let a = AuditRecord::seal(1, 1, &AuditEntry::new("ab", "c", "x"), String::new());
        let b = AuditRecord::seal(1, 1, &AuditEntry::new("a", "bc", "x"), String::new());
        assert_ne!(a.hash, b.hash);
        assert_eq!(base.hash.len(), 64);
    }

    #[test]
    fn long_targets_are_cut_on_a_char_boundary() {
        let long = "é".repeat(400);
        let entry = AuditEntry::new("t", "vault.read", &long);
        assert!(entry.target.len() <= MAX_TARGET_LEN);
        assert!(long.starts_with(&entry.target));
    }
}
