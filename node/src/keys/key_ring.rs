//! Named, versioned keys: the rules for rotation, `min_decryption_version` and deletion, and
//! the conversion to and from the sealed-at-rest record.

use crate::error::{NodeError, Result};
use crate::keys::KeyError;
use crate::master_key::MasterKey;
use crate::store::keys::{seed_label, StoredKey, StoredVersion};
use crate::store::StoreError;
use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
use cretoai_crypto::ml_kem::DecapsulationKey;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Longest accepted key name.
pub const MAX_NAME_LEN: usize = 128;

/// The algorithm a named key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// ML-KEM-768 (FIPS 203): encrypt / decrypt.
    MlKem768,
    /// ML-DSA (FIPS 204) at one of three levels: sign / verify.
    MlDsa(MlDsaLevel),
}

impl KeyType {
    /// Every type, in documentation order.
    pub const ALL: [KeyType; 4] = [
        KeyType::MlKem768,
        KeyType::MlDsa(MlDsaLevel::MlDsa44),
        KeyType::MlDsa(MlDsaLevel::MlDsa65),
        KeyType::MlDsa(MlDsaLevel::MlDsa87),
    ];

    /// The wire name, e.g. `ml-dsa-65`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::MlKem768 => "ml-kem-768",
            KeyType::MlDsa(level) => level.as_str(),
        }
    }

    /// Parses a wire name; unknown names are `unknown_algorithm`.
    pub fn parse(name: &str) -> std::result::Result<Self, KeyError> {
        KeyType::ALL
            .into_iter()
            .find(|t| t.as_str() == name)
            .ok_or_else(|| KeyError::UnknownAlgorithm(name.to_string()))
    }
}

/// The private half of one key version; the crypto types wipe their seeds on drop.
pub enum KeyMaterial {
    /// An ML-KEM-768 decapsulation key.
    Kem(DecapsulationKey),
    /// An ML-DSA signing key.
    Dsa(SigningKey),
}

impl KeyMaterial {
    /// Fresh material from the OS-grade generator.
    pub fn generate(key_type: KeyType) -> Result<Self> {
        Ok(match key_type {
            KeyType::MlKem768 => KeyMaterial::Kem(DecapsulationKey::generate()?),
            KeyType::MlDsa(level) => KeyMaterial::Dsa(SigningKey::generate(level)?),
        })
    }

    /// Re-creates material from its seed (FIPS 203/204 seeded key generation).
    pub fn from_seed(key_type: KeyType, seed: &[u8]) -> Result<Self> {
        Ok(match key_type {
            KeyType::MlKem768 => KeyMaterial::Kem(DecapsulationKey::from_seed(seed)?),
            KeyType::MlDsa(level) => KeyMaterial::Dsa(SigningKey::from_seed(level, seed)?),
        })
    }

    /// The seed the whole key pair derives from.
    pub fn seed(&self) -> &[u8] {
        match self {
            KeyMaterial::Kem(k) => k.seed(),
            KeyMaterial::Dsa(k) => k.seed(),
        }
    }

    /// The encoded public key (encapsulation key or verifying key).
    pub fn public_key(&self) -> &[u8] {
        match self {
            KeyMaterial::Kem(k) => k.encapsulation_key().as_bytes(),
            KeyMaterial::Dsa(k) => k.verifying_key().as_bytes(),
        }
    }
}

/// One version of a named key.
pub struct KeyVersion {
    /// 1-based version number.
    pub version: u32,
    /// Unix seconds.
    pub created_at: u64,
    /// The private key.
    pub material: KeyMaterial,
}

/// A named key with all its versions. Immutable: changes produce a new value, which the key
/// ring actor persists and then publishes.
#[derive(Clone)]
pub struct NamedKey {
    /// Unique name.
    pub name: String,
    /// Algorithm.
    pub key_type: KeyType,
    /// Unix seconds.
    pub created_at: u64,
    /// Versions below this no longer decrypt or verify.
    pub min_decryption_version: u32,
    /// Whether `DELETE` is allowed.
    pub deletion_allowed: bool,
    /// Every version by number; never empty.
    pub versions: BTreeMap<u32, Arc<KeyVersion>>,
}

impl NamedKey {
    /// A new key with version 1.
    pub fn new(name: &str, key_type: KeyType, now: u64) -> Result<Self> {
        validate_name(name)?;
        let first = KeyVersion {
            version: 1,
            created_at: now,
            material: KeyMaterial::generate(key_type)?,
        };
        Ok(NamedKey {
            name: name.to_string(),
            key_type,
            created_at: now,
            min_decryption_version: 1,
            deletion_allowed: false,
            versions: BTreeMap::from([(1, Arc::new(first))]),
        })
    }

    /// The newest version, used for encrypt and sign.
    pub fn latest(&self) -> &Arc<KeyVersion> {
        self.versions
            .values()
            .next_back()
            .expect("a named key always has at least one version")
    }

    /// Number of the newest version.
    pub fn latest_version(&self) -> u32 {
        self.latest().version
    }

    /// Versions that may still decrypt and verify, newest first.
    pub fn live_versions(&self) -> impl Iterator<Item = &Arc<KeyVersion>> {
        self.versions
            .range(self.min_decryption_version..)
            .rev()
            .map(|(_, v)| v)
    }

    /// The version to decrypt or verify with; refuses versions below the minimum.
    pub fn usable_version(&self, version: u32) -> std::result::Result<&Arc<KeyVersion>, KeyError> {
        let found = self
            .versions
            .get(&version)
            .ok_or_else(|| KeyError::VersionNotFound {
                name: self.name.clone(),
                version,
            })?;
        if version < self.min_decryption_version {
            return Err(KeyError::VersionTooOld {
                name: self.name.clone(),
                version,
                min: self.min_decryption_version,
            });
        }
        Ok(found)
    }

    /// Fails with `wrong_key_type` unless the key is of the family `expected` names.
    pub fn expect_kind(&self, kem: bool) -> std::result::Result<(), KeyError> {
        if matches!(self.key_type, KeyType::MlKem768) == kem {
            return Ok(());
        }
        Err(KeyError::WrongType {
            name: self.name.clone(),
            actual: self.key_type.as_str(),
            expected: if kem {
                "an ml-kem-768 key"
            } else {
                "an ml-dsa-44/65/87 key"
            },
        })
    }

    /// This key with a freshly generated newest version.
    pub fn rotated(&self, now: u64) -> Result<Self> {
        let version = self.latest_version() + 1;
        let mut next = self.clone();
        next.versions.insert(
            version,
            Arc::new(KeyVersion {
                version,
                created_at: now,
                material: KeyMaterial::generate(self.key_type)?,
            }),
        );
        Ok(next)
    }

    /// This key with new settings; `min_decryption_version` must name an existing version.
    pub fn configured(&self, min: Option<u32>, deletion_allowed: Option<bool>) -> Result<Self> {
        let mut next = self.clone();
        if let Some(min) = min {
            if min == 0 || min > self.latest_version() {
                return Err(NodeError::InvalidRequest(format!(
                    "min_decryption_version must be between 1 and the latest version ({})",
                    self.latest_version()
                )));
            }
            next.min_decryption_version = min;
        }
        if let Some(allowed) = deletion_allowed {
            next.deletion_allowed = allowed;
        }
        Ok(next)
    }

    /// The record to persist, seeds sealed under the master key.
    pub fn to_stored(&self, master: &MasterKey) -> Result<StoredKey> {
        let type_name = self.key_type.as_str();
        let versions = self
            .versions
            .values()
            .map(|v| {
                let label = seed_label(&self.name, v.version, type_name);
                Ok(StoredVersion {
                    version: v.version,
                    created_at: v.created_at,
                    sealed_seed: master.seal(v.material.seed(), &label)?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(StoredKey {
            name: self.name.clone(),
            key_type: type_name.to_string(),
            created_at: self.created_at,
            min_decryption_version: self.min_decryption_version,
            deletion_allowed: self.deletion_allowed,
            versions,
        })
    }

    /// Rebuilds a key from its record, opening each seed with the master key.
    pub fn from_stored(stored: &StoredKey, master: &MasterKey) -> Result<Self> {
        let key_type = KeyType::parse(&stored.key_type).map_err(|_| {
            NodeError::Store(StoreError::Database(format!(
                "key `{}` has an unknown type",
                stored.name
            )))
        })?;
        let mut versions = BTreeMap::new();
        for v in &stored.versions {
            let seed = master.open(
                &v.sealed_seed,
                &seed_label(&stored.name, v.version, &stored.key_type),
            )?;
            let version = KeyVersion {
                version: v.version,
                created_at: v.created_at,
                material: KeyMaterial::from_seed(key_type, &seed)?,
            };
            versions.insert(v.version, Arc::new(version));
        }
        if versions.is_empty() {
            return Err(NodeError::Store(StoreError::Database(format!(
                "key `{}` has no versions",
                stored.name
            ))));
        }
        Ok(NamedKey {
            name: stored.name.clone(),
            key_type,
            created_at: stored.created_at,
            min_decryption_version: stored.min_decryption_version,
            deletion_allowed: stored.deletion_allowed,
            versions,
        })
    }
}

/// Key names: 1-128 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit, so they are safe
/// in URL paths and in scope patterns.
pub fn validate_name(name: &str) -> Result<()> {
    let valid_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    let valid_start = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if valid_chars && valid_start && name.len() <= MAX_NAME_LEN {
        return Ok(());
    }
    Err(NodeError::InvalidRequest(format!(
        "key name must be 1-{MAX_NAME_LEN} characters of A-Z a-z 0-9 . _ - starting with a letter or digit"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn master() -> MasterKey {
        MasterKey::from_bytes([9; 32])
    }

    #[test]
    fn type_names_round_trip_and_unknown_ones_are_rejected() {
        for t in KeyType::ALL {
            assert_eq!(KeyType::parse(t.as_str()).unwrap(), t);
        }
        assert!(matches!(
            KeyType::parse("rsa-2048"),
            Err(KeyError::UnknownAlgorithm(_))
        ));
    }

    #[test]
    fn rotation_adds_a_newest_version_and_keeps_the_old_ones() {
        let k = NamedKey::new("k", KeyType::MlKem768, 10).unwrap();
        let k2 = k.rotated(20).unwrap().rotated(30).unwrap();
        assert_eq!(k2.latest_version(), 3);
        assert_eq!(k2.latest().created_at, 30);
        assert_eq!(
            k2.live_versions().map(|v| v.version).collect::<Vec<_>>(),
            [3, 2, 1]
        );
        assert_eq!(k.latest_version(), 1, "the original value is unchanged");
    }

    #[test]
    fn min_decryption_version_hides_old_versions_with_a_clear_error() {
        let k = NamedKey::new("k", KeyType::MlKem768, 0).unwrap();
        let k = k.rotated(0).unwrap().rotated(0).unwrap();
        let k = k.configured(Some(2), None).unwrap();
        assert!(matches!(
            k.usable_version(1),
            Err(KeyError::VersionTooOld {
                version: 1,
                min: 2,
                ..
            })
        ));
        assert_eq!(k.usable_version(2).unwrap().version, 2);
        assert!(matches!(
            k.usable_version(9),
            Err(KeyError::VersionNotFound { .. })
        ));
        assert_eq!(k.live_versions().count(), 2);
        assert!(k.configured(Some(4), None).is_err());
        assert!(k.configured(Some(0), None).is_err());
    }

    #[test]
    fn sealed_records_round_trip_to_the_same_keys() {
        let k = NamedKey::new("signer", KeyType::MlDsa(MlDsaLevel::MlDsa65), 5).unwrap();
        let k = k
            .rotated(6)
            .unwrap()
            .configured(Some(2), Some(true))
            .unwrap();
        let stored = k.to_stored(&master()).unwrap();
        let back = NamedKey::from_stored(&stored, &master()).unwrap();
        assert_eq!(back.min_decryption_version, 2);
        assert!(back.deletion_allowed);
        for (a, b) in k.versions.values().zip(back.versions.values()) {
            assert_eq!(a.material.public_key(), b.material.public_key());
            assert_eq!(a.material.seed(), b.material.seed());
        }
        let wrong = MasterKey::from_bytes([8; 32]);
        assert!(NamedKey::from_stored(&stored, &wrong).is_err());
    }

    #[test]
    fn a_sealed_seed_cannot_be_moved_to_another_key() {
        let a = NamedKey::new("a", KeyType::MlKem768, 0).unwrap();
        let mut stored = a.to_stored(&master()).unwrap();
        stored.name = "b".into();
        assert!(NamedKey::from_stored(&stored, &master()).is_err());
    }

    #[test]
    fn key_names_are_restricted() {
        for ok in ["a", "payments-signer", "team.a_1", &"x".repeat(128)] {
            validate_name(ok).unwrap();
        }
        for bad in ["", "-a", "a/b", "a b", "ä", &"x".repeat(129)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn kind_checks_name_the_expected_family() {
        let k = NamedKey::new("k", KeyType::MlKem768, 0).unwrap();
        k.expect_kind(true).unwrap();
        assert!(matches!(
            k.expect_kind(false),
            Err(KeyError::WrongType { .. })
        ));
    }
}
