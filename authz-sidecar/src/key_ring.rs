//! All signing keys: one active key per algorithm plus recently retired ones,
//! which keep verifying (and stay in the JWKS) so rotation never breaks a token
//! already issued.

use crate::algorithm::Algorithm;
use crate::error::{Result, SidecarError};
use crate::key_pair::KeyPair;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;
use zeroize::Zeroizing;

/// How many retired keys per algorithm stay trusted after a rotation.
pub const RETIRED_KEPT: usize = 2;

/// A key with its id and lifecycle state.
pub struct ManagedKey {
    /// RFC 7638 thumbprint of the public key.
    pub kid: String,
    /// The key itself.
    pub key: KeyPair,
    /// Creation time, seconds since the Unix epoch.
    pub created_at: u64,
    /// Whether new tokens are signed with it.
    pub active: bool,
}

#[derive(Serialize, Deserialize)]
struct StoredKey {
    kid: String,
    alg: Algorithm,
    created_at: u64,
    active: bool,
    material: String,
}

/// The set of keys.
#[derive(Clone, Default)]
pub struct KeyRing {
    keys: Vec<Arc<ManagedKey>>,
}

impl std::fmt::Debug for KeyRing {
    /// Lists algorithms and kids only; private material never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|k| (k.key.alg(), &k.kid, k.active)))
            .finish()
    }
}

fn managed(key: KeyPair, created_at: u64, active: bool) -> Arc<ManagedKey> {
    Arc::new(ManagedKey {
        kid: key.public_key().thumbprint(),
        key,
        created_at,
        active,
    })
}

impl KeyRing {
    /// A ring with a fresh active key for every algorithm (RSA at `rsa_bits`).
    pub fn generate(rsa_bits: usize, now: u64) -> Result<Self> {
        let keys = Algorithm::ALL
            .into_iter()
            .map(|alg| Ok(managed(KeyPair::generate(alg, rsa_bits)?, now, true)))
            .collect::<Result<_>>()?;
        Ok(KeyRing { keys })
    }

    /// The active key of `alg`.
    pub fn active(&self, alg: Algorithm) -> Option<Arc<ManagedKey>> {
        self.keys
            .iter()
            .find(|k| k.active && k.key.alg() == alg)
            .cloned()
    }

    /// The key with id `kid`, active or retired.
    pub fn get(&self, kid: &str) -> Option<Arc<ManagedKey>> {
        self.keys.iter().find(|k| k.kid == kid).cloned()
    }

    /// All keys, newest first within each algorithm.
    pub fn keys(&self) -> &[Arc<ManagedKey>] {
        &self.keys
    }

    /// Replace the active key of `alg` with a fresh one; the old key is
    /// retired but kept (up to [`RETIRED_KEPT`]) so its tokens still verify.
    /// Returns the new `kid`.
    pub fn rotate(&mut self, alg: Algorithm, rsa_bits: usize, now: u64) -> Result<String> {
        let fresh = managed(KeyPair::generate(alg, rsa_bits)?, now, true);
        let kid = fresh.kid.clone();
        let mut kept = Vec::with_capacity(self.keys.len() + 1);
        let mut retired_seen = 0;
        // Keys are ordered newest first per algorithm, so the oldest retired ones drop off.
        for k in self.keys.drain(..) {
            if k.key.alg() != alg {
                kept.push(k);
                continue;
            }
            if retired_seen < RETIRED_KEPT {
                retired_seen += 1;
                kept.push(if k.active { retire(&k)? } else { k });
            }
        }
        kept.insert(0, fresh);
        self.keys = kept;
        Ok(kid)
    }

    /// The public JWK set: every key that can still verify.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .map(|k| k.key.public_key().jwk(&k.kid))
            .collect();
        json!({ "keys": keys })
    }

    /// Serialize the ring, private material included (the caller seals it).
    pub fn to_json(&self) -> Zeroizing<Vec<u8>> {
        let stored: Vec<StoredKey> = self
            .keys
            .iter()
            .map(|k| StoredKey {
                kid: k.kid.clone(),
                alg: k.key.alg(),
                created_at: k.created_at,
                active: k.active,
                material: B64.encode(k.key.material()),
            })
            .collect();
        let out = Zeroizing::new(serde_json::to_vec(&stored).expect("key ring serializes"));
        for mut s in stored {
            zeroize::Zeroize::zeroize(&mut s.material);
        }
        out
    }

    /// Rebuild a ring from [`KeyRing::to_json`] output, checking every kid.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let stored: Vec<StoredKey> = serde_json::from_slice(bytes)
            .map_err(|e| SidecarError::KeyStore(format!("key file unreadable: {e}")))?;
        let mut keys = Vec::with_capacity(stored.len());
        for mut s in stored {
            let material = Zeroizing::new(
                B64.decode(&s.material)
                    .map_err(|_| SidecarError::KeyStore("key material is not base64url".into()))?,
            );
            zeroize::Zeroize::zeroize(&mut s.material);
            let k = managed(
                KeyPair::from_material(s.alg, &material)?,
                s.created_at,
                s.active,
            );
            if k.kid != s.kid {
                return Err(SidecarError::KeyStore(format!(
                    "kid {} does not match its key",
                    s.kid
                )));
            }
            keys.push(k);
        }
        Ok(KeyRing { keys })
    }
}

fn retire(k: &ManagedKey) -> Result<Arc<ManagedKey>> {
    Ok(Arc::new(ManagedKey {
        kid: k.kid.clone(),
        key: KeyPair::from_material(k.key.alg(), k.key.material())?,
        created_at: k.created_at,
        active: false,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_keeps_recent_keys_and_json_round_trips() {
        let mut ring = KeyRing::generate(2048, 1).unwrap();
        assert_eq!(ring.keys().len(), Algorithm::ALL.len());
        let first = ring.active(Algorithm::EdDsa).unwrap().kid.clone();
        let second = ring.rotate(Algorithm::EdDsa, 2048, 2).unwrap();
        assert_ne!(first, second);
        assert_eq!(ring.active(Algorithm::EdDsa).unwrap().kid, second);
        assert!(!ring.get(&first).unwrap().active);
        ring.rotate(Algorithm::EdDsa, 2048, 3).unwrap();
        ring.rotate(Algorithm::EdDsa, 2048, 4).unwrap();
        // first is now the third-oldest retired key and has dropped off.
        assert!(ring.get(&first).is_none());
        assert!(ring.get(&second).is_some());
        let eddsa_keys = ring
            .keys()
            .iter()
            .filter(|k| k.key.alg() == Algorithm::EdDsa)
            .count();
        assert_eq!(eddsa_keys, 1 + RETIRED_KEPT);

        let back = KeyRing::from_json(&ring.to_json()).unwrap();
        assert_eq!(back.jwks(), ring.jwks());
        assert_eq!(
            back.active(Algorithm::EdDsa).unwrap().kid,
            ring.active(Algorithm::EdDsa).unwrap().kid
        );
    }
}
