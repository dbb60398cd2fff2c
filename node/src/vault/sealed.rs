//! One stored secret version, encrypted at rest (KEM-DEM):
//!
//! ```text
//! [0]        format = 1
//! [1..5]     vault key version (u32, big-endian) the data key is wrapped under
//! [5..9]     length L of the wrapped data key (u32, big-endian)
//! [9..9+L]   wrapped data key: cretoai_crypto::envelope (ML-KEM-768 + HKDF + AES-256-GCM)
//!            of the 32-byte data key, AAD = "cretoai/vault/v1/data-key" 0x00 version path
//! [9+L..]    the value: AES-256-GCM under the data key (nonce || ciphertext || tag),
//!            AAD = "cretoai/vault/v1/value" 0x00 version path
//! ```
//!
//! Both AADs bind the path and the version, so a record copied to another path or version
//! does not open. Each version has a fresh random data key.

use crate::ciphertext::open_error;
use crate::error::{NodeError, Result};
use crate::store::StoreError;
use cretoai_crypto::ml_kem::{DecapsulationKey, EncapsulationKey};
use cretoai_crypto::{aead, envelope, random};
use zeroize::Zeroizing;

/// The format byte of this layout.
pub const FORMAT: u8 = 1;
const HEADER_LEN: usize = 9;
const KEY_LABEL: &[u8] = b"cretoai/vault/v1/data-key";
const VALUE_LABEL: &[u8] = b"cretoai/vault/v1/value";

/// A parsed stored version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedVersion {
    /// Version of the `_vault` key the data key is wrapped under.
    pub key_version: u32,
    /// The envelope holding the data key.
    pub wrapped_key: Vec<u8>,
    /// The AES-256-GCM sealed value.
    pub ciphertext: Vec<u8>,
}

fn aad(label: &[u8], path: &str, version: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(label.len() + 5 + path.len());
    out.extend_from_slice(label);
    out.push(0);
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(path.as_bytes());
    out
}

impl SealedVersion {
    /// Seals `plaintext` as version `version` of `path` with a fresh data key wrapped to `ek`
    /// (version `key_version` of the vault key).
    pub fn seal(
        ek: &EncapsulationKey,
        key_version: u32,
        path: &str,
        version: u32,
        plaintext: &[u8],
    ) -> Result<Self> {
        let data_key = Zeroizing::new(random::array::<{ aead::KEY_LEN }>());
        let ciphertext = aead::seal(&data_key, plaintext, &aad(VALUE_LABEL, path, version))?;
        let wrapped_key = envelope::seal(ek, data_key.as_slice(), &aad(KEY_LABEL, path, version))?;
        Ok(SealedVersion {
            key_version,
            wrapped_key,
            ciphertext,
        })
    }

    /// Recovers the data key. Fails with `decryption_failed` if the record was moved to another
    /// path or version, or `dk` is not the key it was wrapped to.
    pub fn data_key(
        &self,
        dk: &DecapsulationKey,
        path: &str,
        version: u32,
    ) -> Result<Zeroizing<[u8; aead::KEY_LEN]>> {
        let plain = envelope::open(dk, &self.wrapped_key, &aad(KEY_LABEL, path, version))
            .map_err(open_error)?;
        let key: [u8; aead::KEY_LEN] = plain
            .as_slice()
            .try_into()
            .map_err(|_| NodeError::Internal("wrapped data key has the wrong length"))?;
        Ok(Zeroizing::new(key))
    }

    /// Decrypts the value.
    pub fn open(
        &self,
        dk: &DecapsulationKey,
        path: &str,
        version: u32,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let data_key = self.data_key(dk, path, version)?;
        aead::open(
            &data_key,
            &self.ciphertext,
            &aad(VALUE_LABEL, path, version),
        )
        .map_err(open_error)
    }

    /// The same value with its data key re-wrapped to `new_ek`; the value ciphertext is kept
    /// and no plaintext value is ever produced.
    pub fn rewrapped(
        &self,
        old: &DecapsulationKey,
        new_ek: &EncapsulationKey,
        new_key_version: u32,
        path: &str,
        version: u32,
    ) -> Result<Self> {
        let data_key = self.data_key(old, path, version)?;
        let wrapped_key =
            envelope::seal(new_ek, data_key.as_slice(), &aad(KEY_LABEL, path, version))?;
        Ok(SealedVersion {
            key_version: new_key_version,
            wrapped_key,
            ciphertext: self.ciphertext.clone(),
        })
    }

    /// The stored byte layout (see the module documentation).
    pub fn encode(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(HEADER_LEN + self.wrapped_key.len() + self.ciphertext.len());
        out.push(FORMAT);
        out.extend_from_slice(&self.key_version.to_be_bytes());
        out.extend_from_slice(&(self.wrapped_key.len() as u32).to_be_bytes());
        out.extend_from_slice(&self.wrapped_key);
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// Parses the stored byte layout.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let corrupt = |why: &'static str| {
            NodeError::Store(StoreError::Database(format!("sealed secret: {why}")))
        };
        if bytes.len() < HEADER_LEN || bytes[0] != FORMAT {
            return Err(corrupt("unknown format"));
        }
        let word = |at: usize| {
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let key_version = word(1);
        let wrapped_len = word(5) as usize;
        let rest = &bytes[HEADER_LEN..];
        if rest.len() < wrapped_len {
            return Err(corrupt("truncated"));
        }
        let (wrapped_key, ciphertext) = rest.split_at(wrapped_len);
        Ok(SealedVersion {
            key_version,
            wrapped_key: wrapped_key.to_vec(),
            ciphertext: ciphertext.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_binds_path_and_version() {
        let dk = DecapsulationKey::generate().unwrap();
        let sealed =
            SealedVersion::seal(dk.encapsulation_key(), 3, "a/b", 7, b"{\"k\":1}").unwrap();
        let parsed = SealedVersion::parse(&sealed.encode()).unwrap();
        assert_eq!(parsed, sealed);
        assert_eq!(parsed.key_version, 3);
        assert_eq!(parsed.open(&dk, "a/b", 7).unwrap().as_slice(), b"{\"k\":1}");
        for (path, version) in [("a/c", 7), ("a/b", 8), ("a/b/", 7)] {
            assert!(matches!(
                parsed.open(&dk, path, version),
                Err(NodeError::DecryptionFailed)
            ));
        }
        let other = DecapsulationKey::generate().unwrap();
        assert!(parsed.open(&other, "a/b", 7).is_err());
    }

    #[test]
    fn each_version_gets_a_fresh_data_key() {
        let dk = DecapsulationKey::generate().unwrap();
        let a = SealedVersion::seal(dk.encapsulation_key(), 1, "p", 1, b"same").unwrap();
        let b = SealedVersion::seal(dk.encapsulation_key(), 1, "p", 1, b"same").unwrap();
        assert_ne!(
            *a.data_key(&dk, "p", 1).unwrap(),
            *b.data_key(&dk, "p", 1).unwrap()
        );
    }

    #[test]
    fn rewrap_keeps_the_value_and_moves_the_key() {
        let old = DecapsulationKey::generate().unwrap();
        let new = DecapsulationKey::generate().unwrap();
        let sealed = SealedVersion::seal(old.encapsulation_key(), 1, "p", 2, b"v").unwrap();
        let moved = sealed
            .rewrapped(&old, new.encapsulation_key(), 2, "p", 2)
            .unwrap();
        assert_eq!(moved.key_version, 2);
        assert_eq!(moved.ciphertext, sealed.ciphertext);
        assert_eq!(moved.open(&new, "p", 2).unwrap().as_slice(), b"v");
        assert!(moved.open(&old, "p", 2).is_err());
    }

    #[test]
    fn malformed_bytes_are_storage_errors() {
        for bad in [
            &[][..],
            &[2, 0, 0, 0, 1, 0, 0, 0, 0],
            &[1, 0, 0, 0, 1, 0, 0, 9, 9, 1],
        ] {
            assert!(matches!(
                SealedVersion::parse(bad),
                Err(NodeError::Store(StoreError::Database(_)))
            ));
        }
    }
}
