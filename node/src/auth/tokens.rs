//! API tokens: `crt_<id>_<secret>` strings, stored only as SHA-256 hashes and compared in
//! constant time. The root token has id `root`; when it comes from `CRETOAI_ROOT_TOKEN` it may be
//! any string of 16+ characters.

use super::scope::Scope;
use crate::auth::AuthError;
use crate::clock::SharedClock;
use crate::config::Secret;
use crate::error::{NodeError, Result};
use crate::store::tokens::StoredToken;
use crate::store::Store;
use crate::store::StoreError;
use cretoai_crypto::{hash, random};
use std::collections::HashMap;
use std::sync::RwLock;
use subtle::ConstantTimeEq;

/// Id of the root token.
pub const ROOT_ID: &str = "root";
const PREFIX: &str = "crt_";

/// What a valid token grants.
#[derive(Debug, Clone)]
pub struct Grant {
    /// Token id.
    pub id: String,
    /// Parsed scopes.
    pub scopes: Vec<Scope>,
}

/// A freshly created token; the secret is shown once and never stored.
pub struct IssuedToken {
    /// Public id, used to revoke.
    pub id: String,
    /// The full bearer token.
    pub token: Secret,
    /// Scopes as granted.
    pub scopes: Vec<String>,
    /// Unix seconds.
    pub expires_at: u64,
}

struct Entry {
    hash: [u8; 32],
    grant: Grant,
    expires_at: Option<u64>,
}

/// Every token, in memory for the per-request check and in redb for durability.
pub struct TokenRegistry {
    store: Store,
    clock: SharedClock,
    entries: RwLock<HashMap<String, Entry>>,
}

impl TokenRegistry {
    /// Loads the stored tokens.
    pub fn load(store: Store, clock: SharedClock) -> Result<Self> {
        let mut entries = HashMap::new();
        for stored in store.all_tokens()? {
            entries.insert(stored.id.clone(), entry_from(&stored)?);
        }
        Ok(TokenRegistry {
            store,
            clock,
            entries: RwLock::new(entries),
        })
    }

    /// Makes sure a root token exists. With `configured` (from `CRETOAI_ROOT_TOKEN`) its hash
    /// replaces any stored one; otherwise a token is generated on first start and returned so
    /// the caller can print it once. Returns `None` when nothing new was generated.
    pub fn bootstrap_root(&self, configured: Option<&Secret>) -> Result<Option<Secret>> {
        let generated = match configured {
            Some(_) => None,
            None if self.read().contains_key(ROOT_ID) => return Ok(None),
            None => Some(Secret::new(format!("{PREFIX}{ROOT_ID}_{}", random_hex(32)))),
        };
        let token = configured
            .or(generated.as_ref())
            .map(Secret::expose)
            .unwrap_or_default();
        let record = StoredToken {
            id: ROOT_ID.to_string(),
            hash: hex::encode(hash::sha256(token.as_bytes())),
            scopes: vec!["admin".to_string()],
            created_at: self.clock.now(),
            expires_at: None,
        };
        self.commit(record)?;
        Ok(generated)
    }

    /// Checks a bearer token; unknown, revoked and expired tokens are all `unauthorized`.
    pub fn authenticate(&self, token: &str) -> Result<Grant> {
        let id = token
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once('_'))
            .map_or(ROOT_ID, |(id, _)| id);
        let presented = hash::sha256(token.as_bytes());
        let entries = self.read();
        let entry = entries.get(id).or_else(|| entries.get(ROOT_ID));
        // Compare even when the id is unknown, so timing does not reveal which ids exist.
        let expected = entry.map_or([0u8; 32], |e| e.hash);
        let matches: bool = presented.ct_eq(&expected).into();
        match entry {
            Some(e) if matches && e.expires_at.is_none_or(|t| self.clock.now() < t) => {
                Ok(e.grant.clone())
            }
            _ => Err(NodeError::Auth(AuthError::Unauthorized)),
        }
    }

    /// Makes a token with `scopes` living `ttl_seconds` from `now`: the token to hand out once
    /// and the record to replicate (its hash only). Nothing is stored yet.
    pub fn issue(
        &self,
        scopes: &[String],
        ttl_seconds: u64,
        now: u64,
    ) -> Result<(IssuedToken, StoredToken)> {
        if scopes.is_empty() {
            return Err(NodeError::InvalidRequest("scopes must not be empty".into()));
        }
        for s in scopes {
            Scope::parse(s)?;
        }
        let expires_at = now
            .checked_add(ttl_seconds)
            .ok_or_else(|| NodeError::InvalidRequest("ttl_seconds is too large".into()))?;
        let id = random_hex(8);
        let token = Secret::new(format!("{PREFIX}{id}_{}", random_hex(32)));
        let record = StoredToken {
            id: id.clone(),
            hash: hex::encode(hash::sha256(token.expose().as_bytes())),
            scopes: scopes.to_vec(),
            created_at: now,
            expires_at: Some(expires_at),
        };
        let issued = IssuedToken {
            id,
            token,
            scopes: scopes.to_vec(),
            expires_at,
        };
        Ok((issued, record))
    }

    /// Fails unless `id` names a token that may be revoked. The root token is replaced through
    /// `CRETOAI_ROOT_TOKEN` instead.
    pub fn check_revocable(&self, id: &str) -> Result<()> {
        if id == ROOT_ID {
            return Err(NodeError::InvalidRequest(
                "the root token cannot be revoked; restart with a new CRETOAI_ROOT_TOKEN to replace it"
                    .into(),
            ));
        }
        if !self.read().contains_key(id) {
            return Err(NodeError::Auth(AuthError::TokenNotFound(id.to_string())));
        }
        Ok(())
    }

    /// Makes a stored token usable (after the store commit that wrote it).
    pub fn admit(&self, record: &StoredToken) -> Result<()> {
        let entry = entry_from(record)?;
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(record.id.clone(), entry);
        Ok(())
    }

    /// Refuses a token from now on (after the store commit that removed it).
    pub fn withdraw(&self, id: &str) {
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    /// Persists first, then makes the token usable.
    fn commit(&self, record: StoredToken) -> Result<()> {
        let entry = entry_from(&record)?;
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.store.put_token(&record)?;
        entries.insert(record.id, entry);
        Ok(())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Entry>> {
        self.entries.read().unwrap_or_else(|e| e.into_inner())
    }
}

fn entry_from(stored: &StoredToken) -> Result<Entry> {
    let corrupt = || {
        NodeError::Store(StoreError::Database(format!(
            "token `{}` is corrupt",
            stored.id
        )))
    };
    let hash: [u8; 32] = hex::decode(&stored.hash)
        .ok()
        .and_then(|h| h.try_into().ok())
        .ok_or_else(corrupt)?;
    let scopes = stored
        .scopes
        .iter()
        .map(|s| Scope::parse(s))
        .collect::<Result<Vec<_>>>()
        .map_err(|_| corrupt())?;
    Ok(Entry {
        hash,
        grant: Grant {
            id: stored.id.clone(),
            scopes,
        },
        expires_at: stored.expires_at,
    })
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    random::fill(&mut buf);
    hex::encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::scope::Need;
    use crate::clock::ManualClock;
    use std::sync::Arc;

    fn registry(dir: &std::path::Path, clock: Arc<ManualClock>) -> TokenRegistry {
        TokenRegistry::load(Store::open(dir).unwrap(), clock).unwrap()
    }

    /// Issues and admits a token, as the applier does once the record is stored.
    fn create(reg: &TokenRegistry, scopes: &[String], ttl: u64) -> Result<IssuedToken> {
        let (issued, record) = reg.issue(scopes, ttl, reg.clock.now())?;
        reg.admit(&record)?;
        Ok(issued)
    }

    #[test]
    fn generated_root_is_returned_once_and_stored_hashed() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(1000));
        let reg = registry(dir.path(), clock.clone());
        let root = reg.bootstrap_root(None).unwrap().expect("generated");
        assert!(reg.bootstrap_root(None).unwrap().is_none());
        let grant = reg.authenticate(root.expose()).unwrap();
        assert!(grant.scopes[0].covers(&Need::any("keys", "admin")));
        drop(reg);
        let raw = std::fs::read(dir.path().join(crate::store::DB_FILE)).unwrap();
        let secret = root.expose().as_bytes();
        assert!(!raw.windows(secret.len()).any(|w| w == secret));
        let reg = registry(dir.path(), clock);
        assert!(reg.bootstrap_root(None).unwrap().is_none());
        reg.authenticate(root.expose()).unwrap();
    }

    #[test]
    fn configured_root_replaces_the_stored_one() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(0));
        let reg = registry(dir.path(), clock);
        let old = reg.bootstrap_root(None).unwrap().unwrap();
        let new = Secret::new("a-configured-root-token".into());
        assert!(reg.bootstrap_root(Some(&new)).unwrap().is_none());
        reg.authenticate("a-configured-root-token").unwrap();
        assert!(reg.authenticate(old.expose()).is_err());
        assert!(reg.authenticate("a-configured-root-tokeN").is_err());
    }

    #[test]
    fn tokens_expire_and_can_be_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(50));
        let reg = registry(dir.path(), clock.clone());
        let t = create(&reg, &["crypto".into()], 60).unwrap();
        assert_eq!(t.expires_at, 110);
        let grant = reg.authenticate(t.token.expose()).unwrap();
        assert_eq!(grant.id, t.id);
        clock.advance(59);
        reg.authenticate(t.token.expose()).unwrap();
        clock.advance(1);
        assert!(matches!(
            reg.authenticate(t.token.expose()),
            Err(NodeError::Auth(AuthError::Unauthorized))
        ));

        let u = create(&reg, &["keys:admin".into()], 600).unwrap();
        reg.check_revocable(&u.id).unwrap();
        reg.withdraw(&u.id);
        assert!(reg.authenticate(u.token.expose()).is_err());
        assert!(matches!(
            reg.check_revocable(&u.id),
            Err(NodeError::Auth(AuthError::TokenNotFound(_)))
        ));
        assert!(reg.check_revocable(ROOT_ID).is_err());
    }

    #[test]
    fn forged_and_malformed_tokens_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let reg = registry(dir.path(), Arc::new(ManualClock::new(10)));
        reg.bootstrap_root(None).unwrap();
        let t = create(&reg, &["crypto".into()], 60).unwrap();
        let forged = format!("crt_{}_{}", t.id, "0".repeat(64));
        for bad in ["", "crt_", "crt_x_y", &forged, "Bearer"] {
            assert!(reg.authenticate(bad).is_err(), "{bad:?}");
        }
        assert!(create(&reg, &[], 60).is_err());
        assert!(create(&reg, &["nope".into()], 60).is_err());
        assert!(create(&reg, &["crypto".into()], u64::MAX).is_err());
    }
}
