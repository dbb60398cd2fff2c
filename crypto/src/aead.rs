//! AES-256-GCM with a random 96-bit nonce carried in front of the ciphertext.
//!
//! Used for sealing records at rest under a long-lived key (master key, vault data keys), where
//! a random nonce per message keeps the collision probability negligible for far more than 2^32
//! messages per key.

use crate::{random, CryptoError, Result};
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use zeroize::Zeroizing;

/// Length of an AES-256-GCM key.
pub const KEY_LEN: usize = 32;
/// Bytes added to the plaintext by [`seal`]: nonce and tag.
pub const OVERHEAD: usize = NONCE_LEN + TAG_LEN;
const TAG_LEN: usize = 16;

/// Encrypts `plaintext` bound to `aad`; returns `nonce || ciphertext || tag`.
pub fn seal(key: &[u8; KEY_LEN], plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
    let nonce: [u8; NONCE_LEN] = random::array();
    let mut out = Vec::with_capacity(plaintext.len() + OVERHEAD);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&seal_with_nonce(key, &nonce, plaintext, aad)?);
    Ok(out)
}

/// Decrypts the output of [`seal`]; fails with [`CryptoError::DecryptFailed`] on any tampering.
pub fn open(key: &[u8; KEY_LEN], sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    if sealed.len() < OVERHEAD {
        return Err(CryptoError::DecryptFailed);
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::DecryptFailed)?;
    open_with_nonce(key, &nonce, body, aad)
}

/// Encrypts with a caller-chosen nonce; the caller guarantees the (key, nonce) pair is unique.
pub(crate) fn seal_with_nonce(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>> {
    let key = less_safe_key(key)?;
    let mut buf = plaintext.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(*nonce),
        Aad::from(aad),
        &mut buf,
    )
    .map_err(|_| CryptoError::Backend)?;
    Ok(buf)
}

/// Decrypts `ciphertext || tag` produced with `nonce`.
pub(crate) fn open_with_nonce(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    ciphertext: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let key = less_safe_key(key)?;
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let len = key
        .open_in_place(
            Nonce::assume_unique_for_key(*nonce),
            Aad::from(aad),
            &mut buf,
        )
        .map_err(|_| CryptoError::DecryptFailed)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

fn less_safe_key(key: &[u8; KEY_LEN]) -> Result<LessSafeKey> {
    let unbound = UnboundKey::new(&AES_256_GCM, key)
        .map_err(|_| CryptoError::InvalidKey("AES-256 key must be 32 bytes"))?;
    Ok(LessSafeKey::new(unbound))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_tamper_detection() {
        let key = random::array::<32>();
        let sealed = seal(&key, b"secret", b"path=a/b;v=1").unwrap();
        assert_eq!(sealed.len(), 6 + OVERHEAD);
        assert_eq!(&**open(&key, &sealed, b"path=a/b;v=1").unwrap(), b"secret");
        assert_eq!(
            open(&key, &sealed, b"path=a/b;v=2"),
            Err(CryptoError::DecryptFailed)
        );
        let mut bad = sealed.clone();
        bad[15] ^= 1;
        assert_eq!(
            open(&key, &bad, b"path=a/b;v=1"),
            Err(CryptoError::DecryptFailed)
        );
        assert_eq!(
            open(&random::array::<32>(), &sealed, b"path=a/b;v=1"),
            Err(CryptoError::DecryptFailed)
        );
        assert_eq!(
            open(&key, &sealed[..10], b""),
            Err(CryptoError::DecryptFailed)
        );
    }

    #[test]
    fn nonces_differ() {
        let key = random::array::<32>();
        assert_ne!(
            seal(&key, b"x", b"").unwrap(),
            seal(&key, b"x", b"").unwrap()
        );
    }
}
