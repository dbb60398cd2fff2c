//! The vault actor: the single writer of secrets. Each message runs in one redb write
//! transaction that checks `cas`, assigns the version, writes the sealed record and metadata,
//! and appends the audit record, so an acknowledged write and its audit record commit
//! together (durably) and versions are assigned without gaps or duplicates.

use super::sealed::SealedVersion;
use super::{vault_key, VaultLimits};
use crate::audit::AuditEntry;
use crate::clock::SharedClock;
use crate::error::{NodeError, Result};
use crate::keys::directory::KeyDirectory;
use crate::keys::key_ring::KeyMaterial;
use crate::store::audit;
use crate::store::vault::{SecretMeta, VaultTxn, VersionState};
use crate::store::Store;
use crate::vault::VaultError;
use actix::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Owns every vault write.
pub struct VaultActor {
    pub(super) store: Store,
    pub(super) keys: KeyDirectory,
    pub(super) clock: SharedClock,
}

impl Actor for VaultActor {
    type Context = Context<Self>;
}

/// What a write produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// The new version.
    pub version: u32,
    /// Unix seconds.
    pub created_at: u64,
}

/// Result of a rewrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rewrapped {
    /// Records whose data key was re-wrapped.
    pub rewrapped: u64,
    /// Records already under the newest vault key version.
    pub unchanged: u64,
    /// The newest vault key version.
    pub key_version: u32,
}

/// A lifecycle change on existing versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", content = "versions", rename_all = "snake_case")]
pub enum Change {
    /// Soft-delete the newest version.
    DeleteLatest,
    /// Clear the soft delete of these versions.
    Undelete(Vec<u32>),
    /// Remove the ciphertext of these versions for good.
    Destroy(Vec<u32>),
    /// Remove the secret and every version.
    DeleteAll,
    /// Set how many versions are kept (pruning the oldest now if needed).
    MaxVersions(u32),
}

/// Re-wrap every data key under the newest vault key version.
#[derive(Message)]
#[rtype(result = "Result<Rewrapped>")]
pub struct Rewrap {
    /// Audit record of the request.
    pub audit: AuditEntry,
}

impl VaultActor {
    /// Runs `work` in a write transaction and appends `entry` with its outcome. On failure the
    /// work is rolled back and only the audit record commits.
    fn audited<T>(
        &self,
        entry: &AuditEntry,
        work: impl FnOnce(&VaultTxn<'_>, u64) -> Result<T>,
    ) -> Result<T> {
        let now = self.clock.now();
        let txn = self.store.begin_write()?;
        let result = work(&VaultTxn(&txn), now);
        let txn = if result.is_err() {
            txn.abort()?;
            self.store.begin_write()?
        } else {
            txn
        };
        audit::append(&txn, now, &entry.with(&result))?;
        txn.commit()?;
        result
    }

    fn rewrap(&self, tx: &VaultTxn<'_>) -> Result<Rewrapped> {
        let key = vault_key(&self.keys)?;
        let newest = key.latest();
        let KeyMaterial::Kem(new_dk) = &newest.material else {
            return Err(NodeError::Internal("the vault key is not an ML-KEM key"));
        };
        let mut report = Rewrapped {
            rewrapped: 0,
            unchanged: 0,
            key_version: newest.version,
        };
        for (path, version, bytes) in tx.all_sealed()? {
            let sealed = SealedVersion::parse(&bytes)?;
            if sealed.key_version == newest.version {
                report.unchanged += 1;
                continue;
            }
            let KeyMaterial::Kem(old_dk) = &key.usable_version(sealed.key_version)?.material else {
                return Err(NodeError::Internal("the vault key is not an ML-KEM key"));
            };
            let moved = sealed.rewrapped(
                old_dk,
                new_dk.encapsulation_key(),
                newest.version,
                &path,
                version,
            )?;
            tx.put_sealed(&path, version, &moved.encode())?;
            report.rewrapped += 1;
        }
        Ok(report)
    }
}

/// Writes a new version of `path` in `tx`, stamped `now`: checks `cas` (0: must not exist),
/// assigns the next version, seals `value` under the newest vault key version and prunes.
pub(crate) fn write(
    tx: &VaultTxn<'_>,
    now: u64,
    keys: &KeyDirectory,
    limits: VaultLimits,
    path: &str,
    value: &[u8],
    cas: Option<u32>,
) -> Result<Written> {
    let mut meta = tx.meta(path)?.unwrap_or(SecretMeta {
        created_at: now,
        updated_at: now,
        current_version: 0,
        max_versions: limits.max_versions,
        versions: BTreeMap::new(),
    });
    if let Some(expected) = cas {
        if expected != meta.current_version {
            return Err(NodeError::Vault(VaultError::CasMismatch {
                path: path.to_string(),
                expected,
                current: meta.current_version,
            }));
        }
    }
    let version = meta
        .current_version
        .checked_add(1)
        .ok_or_else(|| NodeError::InvalidRequest("version counter exhausted".into()))?;
    let key = vault_key(keys)?;
    let latest = key.latest();
    let KeyMaterial::Kem(dk) = &latest.material else {
        return Err(NodeError::Internal("the vault key is not an ML-KEM key"));
    };
    let sealed = SealedVersion::seal(dk.encapsulation_key(), latest.version, path, version, value)?;
    tx.put_sealed(path, version, &sealed.encode())?;
    meta.current_version = version;
    meta.updated_at = now;
    meta.versions.insert(
        version,
        VersionState {
            created_at: now,
            deleted_at: None,
            destroyed: false,
        },
    );
    prune(tx, path, &mut meta)?;
    tx.put_meta(path, &meta)?;
    Ok(Written {
        version,
        created_at: now,
    })
}

/// Applies a lifecycle change to `path` in `tx`, stamped `now`; the new metadata (`None`
/// after `DeleteAll`).
pub(crate) fn modify(
    tx: &VaultTxn<'_>,
    now: u64,
    path: &str,
    change: &Change,
) -> Result<Option<SecretMeta>> {
    let mut meta = tx
        .meta(path)?
        .ok_or_else(|| NodeError::Vault(VaultError::NotFound(path.to_string())))?;
    match change {
        Change::DeleteLatest => {
            if let Some(state) = meta.versions.get_mut(&meta.current_version) {
                if !state.destroyed && state.deleted_at.is_none() {
                    state.deleted_at = Some(now);
                }
            }
        }
        Change::Undelete(versions) => {
            for v in versions {
                if let Some(state) = meta.versions.get_mut(v) {
                    state.deleted_at = None;
                }
            }
        }
        Change::Destroy(versions) => {
            for v in versions {
                if let Some(state) = meta.versions.get_mut(v) {
                    state.destroyed = true;
                    tx.remove_sealed(path, *v)?;
                }
            }
        }
        Change::DeleteAll => {
            for v in meta.versions.keys() {
                tx.remove_sealed(path, *v)?;
            }
            tx.remove_meta(path)?;
            return Ok(None);
        }
        Change::MaxVersions(max) => {
            meta.max_versions = *max;
            prune(tx, path, &mut meta)?;
        }
    }
    meta.updated_at = now;
    tx.put_meta(path, &meta)?;
    Ok(Some(meta))
}

/// Drops the oldest versions (and their ciphertexts) beyond `max_versions`.
fn prune(tx: &VaultTxn<'_>, path: &str, meta: &mut SecretMeta) -> Result<()> {
    while meta.versions.len() > meta.max_versions as usize {
        let Some((oldest, _)) = meta.versions.pop_first() else {
            break;
        };
        tx.remove_sealed(path, oldest)?;
    }
    Ok(())
}

impl Handler<Rewrap> for VaultActor {
    type Result = Result<Rewrapped>;
    fn handle(&mut self, msg: Rewrap, _: &mut Context<Self>) -> Self::Result {
        self.audited(&msg.audit, |tx, _| self.rewrap(tx))
    }
}
