//! ML-KEM-768 KEM-DEM ("envelope") encryption.
//!
//! Layout (documented in docs/formats.md):
//! `[format = 0x01][ML-KEM-768 ciphertext, 1088 bytes][AES-256-GCM ciphertext][tag, 16 bytes]`.
//! The AES key and nonce come from HKDF-SHA-256 over the fresh shared secret, so each message has
//! its own key and a fixed derivation of the nonce is safe.

use crate::ml_kem::{DecapsulationKey, EncapsulationKey, CIPHERTEXT_LEN};
use crate::{aead, hkdf, CryptoError, Result};
use zeroize::Zeroizing;

/// The format byte written first.
pub const FORMAT_V1: u8 = 1;
/// Bytes added to the plaintext: format byte, KEM ciphertext and GCM tag.
pub const OVERHEAD: usize = 1 + CIPHERTEXT_LEN + 16;
const INFO: &[u8] = b"cretoai/envelope/v1 ML-KEM-768 HKDF-SHA-256 AES-256-GCM";

/// Encrypts `plaintext` to the holder of `ek`, bound to `aad`.
pub fn seal(ek: &EncapsulationKey, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
    let (kem_ct, secret) = ek.encapsulate()?;
    let (key, nonce) = derive(secret.as_bytes(), &kem_ct)?;
    let body = aead::seal_with_nonce(&key, &nonce, plaintext, aad)?;
    let mut out = Vec::with_capacity(1 + kem_ct.len() + body.len());
    out.push(FORMAT_V1);
    out.extend_from_slice(&kem_ct);
    out.extend_from_slice(&body);
    Ok(out)
}

/// Decrypts an envelope made by [`seal`] for `dk`'s public key with the same `aad`.
pub fn open(dk: &DecapsulationKey, envelope: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    if envelope.len() < OVERHEAD {
        return Err(CryptoError::Malformed(
            "envelope is shorter than its fixed overhead",
        ));
    }
    if envelope[0] != FORMAT_V1 {
        return Err(CryptoError::Malformed("unknown envelope format"));
    }
    let (kem_ct, body) = envelope[1..].split_at(CIPHERTEXT_LEN);
    let secret = dk.decapsulate(kem_ct)?;
    let (key, nonce) = derive(secret.as_bytes(), kem_ct)?;
    aead::open_with_nonce(&key, &nonce, body, aad)
}

/// Derives the one-time AES key and nonce; the KEM ciphertext is the salt so the derived key is
/// bound to exactly this encapsulation.
fn derive(secret: &[u8; 32], kem_ct: &[u8]) -> Result<(Zeroizing<[u8; 32]>, [u8; 12])> {
    let mut okm = Zeroizing::new([0u8; 44]);
    hkdf::derive(secret, kem_ct, INFO, &mut okm[..])?;
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&okm[..32]);
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&okm[32..]);
    Ok((key, nonce))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_every_kind_of_tampering_fails() {
        let dk = DecapsulationKey::generate().unwrap();
        let env = seal(dk.encapsulation_key(), b"attack at dawn", b"aad").unwrap();
        assert_eq!(env.len(), OVERHEAD + 14);
        assert_eq!(&**open(&dk, &env, b"aad").unwrap(), b"attack at dawn");
        assert_eq!(open(&dk, &env, b"aae"), Err(CryptoError::DecryptFailed));
        for i in [1, 500, CIPHERTEXT_LEN + 1, env.len() - 1] {
            let mut bad = env.clone();
            bad[i] ^= 0x80;
            assert_eq!(
                open(&dk, &bad, b"aad"),
                Err(CryptoError::DecryptFailed),
                "byte {i}"
            );
        }
        let mut bad = env.clone();
        bad[0] = 2;
        assert!(matches!(
            open(&dk, &bad, b"aad"),
            Err(CryptoError::Malformed(_))
        ));
        assert!(matches!(
            open(&dk, &env[..OVERHEAD - 1], b"aad"),
            Err(CryptoError::Malformed(_))
        ));
        let other = DecapsulationKey::generate().unwrap();
        assert_eq!(open(&other, &env, b"aad"), Err(CryptoError::DecryptFailed));
    }

    #[test]
    fn empty_plaintext_works() {
        let dk = DecapsulationKey::generate().unwrap();
        let env = seal(dk.encapsulation_key(), b"", b"").unwrap();
        assert!(open(&dk, &env, b"").unwrap().is_empty());
    }
}
