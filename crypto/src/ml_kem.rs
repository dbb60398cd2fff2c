//! ML-KEM-768 (FIPS 203) key encapsulation.
//!
//! Private keys are kept as the 64-byte seed `d || z` of FIPS 203 key generation; the expanded
//! decapsulation key exists only in memory.

use crate::ffi::Pkey;
use crate::{random, CryptoError, Result};
use aws_lc_rs::kem::{self, Ciphertext, ML_KEM_768};
use std::fmt;
use std::sync::Arc;
use zeroize::Zeroizing;

/// Length of the key-generation seed `d || z`.
pub const SEED_LEN: usize = 64;
/// Length of an encapsulation (public) key.
pub const ENCAPSULATION_KEY_LEN: usize = 1184;
/// Length of an expanded decapsulation (private) key.
pub const DECAPSULATION_KEY_LEN: usize = 2400;
/// Length of a KEM ciphertext.
pub const CIPHERTEXT_LEN: usize = 1088;
/// Length of the shared secret.
pub const SHARED_SECRET_LEN: usize = 32;

/// A 32-byte shared secret, wiped when dropped.
pub struct SharedSecret(Zeroizing<[u8; SHARED_SECRET_LEN]>);

impl SharedSecret {
    fn from_slice(bytes: &[u8]) -> Result<Self> {
        let arr: [u8; SHARED_SECRET_LEN] = bytes.try_into().map_err(|_| CryptoError::Backend)?;
        Ok(Self(Zeroizing::new(arr)))
    }

    /// The secret bytes.
    pub fn as_bytes(&self) -> &[u8; SHARED_SECRET_LEN] {
        &self.0
    }
}

/// An ML-KEM-768 private key.
pub struct DecapsulationKey {
    seed: Zeroizing<[u8; SEED_LEN]>,
    inner: kem::DecapsulationKey,
    encapsulation: EncapsulationKey,
}

impl DecapsulationKey {
    /// A fresh key pair from the system random source.
    pub fn generate() -> Result<Self> {
        let seed = Zeroizing::new(random::array::<SEED_LEN>());
        Self::from_seed(&*seed)
    }

    /// The key pair deterministically derived from `d || z` (FIPS 203 ML-KEM.KeyGen_internal).
    pub fn from_seed(seed: &[u8]) -> Result<Self> {
        let seed: [u8; SEED_LEN] = seed
            .try_into()
            .map_err(|_| CryptoError::InvalidKey("ML-KEM seed must be 64 bytes"))?;
        let seed = Zeroizing::new(seed);
        let pkey = Pkey::ml_kem_768_from_seed(&*seed)?;
        let public = pkey.raw_public_key(ENCAPSULATION_KEY_LEN)?;
        let private = pkey.raw_private_key(DECAPSULATION_KEY_LEN)?;
        let inner =
            kem::DecapsulationKey::new(&ML_KEM_768, &private).map_err(|_| CryptoError::Backend)?;
        let encapsulation = EncapsulationKey::from_bytes(&public)?;
        Ok(Self {
            seed,
            inner,
            encapsulation,
        })
    }

    /// The seed `d || z` (secret: store only encrypted).
    pub fn seed(&self) -> &[u8; SEED_LEN] {
        &self.seed
    }

    /// The expanded FIPS 203 decapsulation key encoding (secret), for interoperability tests.
    pub fn expanded_bytes(&self) -> Result<Zeroizing<Vec<u8>>> {
        let bytes = self.inner.key_bytes().map_err(|_| CryptoError::Backend)?;
        Ok(Zeroizing::new(bytes.as_ref().to_vec()))
    }

    /// The matching public key.
    pub fn encapsulation_key(&self) -> &EncapsulationKey {
        &self.encapsulation
    }

    /// Recovers the shared secret from a ciphertext.
    ///
    /// ML-KEM decapsulation never fails on a well-sized ciphertext (implicit rejection returns
    /// an unrelated secret), so tampering is detected by the AEAD that uses the secret.
    pub fn decapsulate(&self, ciphertext: &[u8]) -> Result<SharedSecret> {
        if ciphertext.len() != CIPHERTEXT_LEN {
            return Err(CryptoError::Malformed(
                "ML-KEM-768 ciphertext must be 1088 bytes",
            ));
        }
        let ss = self
            .inner
            .decapsulate(Ciphertext::from(ciphertext))
            .map_err(|_| CryptoError::DecryptFailed)?;
        SharedSecret::from_slice(ss.as_ref())
    }
}

impl fmt::Debug for DecapsulationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecapsulationKey")
            .field("algorithm", &"ML-KEM-768")
            .field("seed", &"<redacted>")
            .finish()
    }
}

/// An ML-KEM-768 public key, parsed once and cheap to clone.
#[derive(Clone)]
pub struct EncapsulationKey {
    bytes: Arc<[u8]>,
    inner: Arc<kem::EncapsulationKey>,
}

impl EncapsulationKey {
    /// Parses the 1184-byte FIPS 203 encoding (with the standard's modulus check).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != ENCAPSULATION_KEY_LEN {
            return Err(CryptoError::InvalidKey(
                "ML-KEM-768 public key must be 1184 bytes",
            ));
        }
        if !coefficients_reduced(&bytes[..ENCAPSULATION_KEY_LEN - 32]) {
            return Err(CryptoError::InvalidKey(
                "ML-KEM-768 public key fails the FIPS 203 modulus check",
            ));
        }
        let inner = kem::EncapsulationKey::new(&ML_KEM_768, bytes)
            .map_err(|_| CryptoError::InvalidKey("not a valid ML-KEM-768 public key"))?;
        Ok(Self {
            bytes: bytes.into(),
            inner: Arc::new(inner),
        })
    }

    /// The FIPS 203 encoding.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Makes a fresh shared secret and the ciphertext that carries it.
    pub fn encapsulate(&self) -> Result<(Vec<u8>, SharedSecret)> {
        let (ct, ss) = self.inner.encapsulate().map_err(|_| CryptoError::Backend)?;
        Ok((ct.as_ref().to_vec(), SharedSecret::from_slice(ss.as_ref())?))
    }
}

/// FIPS 203 §7.2 input check: every 12-bit coefficient of t̂ must already be reduced mod q.
/// The backend does not check this when parsing, so it is done here.
fn coefficients_reduced(t_hat: &[u8]) -> bool {
    const Q: u16 = 3329;
    t_hat.chunks_exact(3).all(|c| {
        let a = u16::from(c[0]) | (u16::from(c[1] & 0x0f) << 8);
        let b = u16::from(c[1] >> 4) | (u16::from(c[2]) << 4);
        a < Q && b < Q
    })
}

impl PartialEq for EncapsulationKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for EncapsulationKey {}

impl fmt::Debug for EncapsulationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix: String = self
            .bytes
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        write!(f, "EncapsulationKey(ML-KEM-768, {prefix}…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encapsulate_decapsulate_agree() {
        let dk = DecapsulationKey::generate().unwrap();
        let (ct, ss) = dk.encapsulation_key().encapsulate().unwrap();
        assert_eq!(ct.len(), CIPHERTEXT_LEN);
        assert_eq!(dk.decapsulate(&ct).unwrap().as_bytes(), ss.as_bytes());
        // Implicit rejection: a modified ciphertext yields a different secret, not an error.
        let mut bad = ct.clone();
        bad[0] ^= 1;
        assert_ne!(dk.decapsulate(&bad).unwrap().as_bytes(), ss.as_bytes());
        assert!(dk.decapsulate(&ct[1..]).is_err());
    }

    #[test]
    fn seeded_keys_are_deterministic() {
        let a = DecapsulationKey::from_seed(&[3; 64]).unwrap();
        let b = DecapsulationKey::from_seed(a.seed()).unwrap();
        assert_eq!(a.encapsulation_key(), b.encapsulation_key());
        let (ct, ss) = a.encapsulation_key().encapsulate().unwrap();
        assert_eq!(b.decapsulate(&ct).unwrap().as_bytes(), ss.as_bytes());
        assert!(DecapsulationKey::from_seed(&[3; 63]).is_err());
    }

    #[test]
    fn rejects_malformed_public_keys() {
        assert!(EncapsulationKey::from_bytes(&[0; 100]).is_err());
        // Coefficients >= q fail the FIPS 203 modulus check.
        assert!(EncapsulationKey::from_bytes(&[0xff; ENCAPSULATION_KEY_LEN]).is_err());
    }
}
