//! The crypto operations on named keys and bare public keys. These are plain synchronous
//! functions; the API runs them on the crypto pool.

use super::key_ring::{KeyMaterial, NamedKey};
use crate::ciphertext::{open_error, Ciphertext};
use crate::error::{NodeError, Result};
use cretoai_crypto::ml_dsa::{MlDsaLevel, VerifyingKey};
use cretoai_crypto::ml_kem::EncapsulationKey;
use cretoai_crypto::{envelope, CryptoError};
use zeroize::Zeroizing;

/// Seals `plaintext` to the key's newest version; returns the ciphertext string and version.
pub fn encrypt_with(key: &NamedKey, plaintext: &[u8], aad: &[u8]) -> Result<(String, u32)> {
    key.expect_kind(true)?;
    let latest = key.latest();
    let KeyMaterial::Kem(dk) = &latest.material else {
        return Err(NodeError::Internal("key material does not match its type"));
    };
    let sealed = envelope::seal(dk.encapsulation_key(), plaintext, aad)?;
    let text = Ciphertext {
        version: latest.version,
        envelope: sealed,
    }
    .encode();
    Ok((text, latest.version))
}

/// Seals `plaintext` to a bare ML-KEM-768 encapsulation key; the ciphertext carries `v0`.
pub fn encrypt_to(public_key: &[u8], plaintext: &[u8], aad: &[u8]) -> Result<String> {
    let ek = EncapsulationKey::from_bytes(public_key)?;
    let sealed = envelope::seal(&ek, plaintext, aad)?;
    Ok(Ciphertext {
        version: 0,
        envelope: sealed,
    }
    .encode())
}

/// Opens a ciphertext string with the version it names (or, for `v0`, with each live version
/// newest first). Versions below `min_decryption_version` are refused with `version_too_old`.
pub fn decrypt_with(key: &NamedKey, ciphertext: &str, aad: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    key.expect_kind(true)?;
    let parsed = Ciphertext::parse(ciphertext)?;
    let open = |material: &KeyMaterial| match material {
        KeyMaterial::Kem(dk) => envelope::open(dk, &parsed.envelope, aad).map_err(open_error),
        KeyMaterial::Dsa(_) => Err(NodeError::Internal("key material does not match its type")),
    };
    if parsed.version != 0 {
        return open(&key.usable_version(parsed.version)?.material);
    }
    let mut last = NodeError::DecryptionFailed;
    for version in key.live_versions() {
        match open(&version.material) {
            Ok(plain) => return Ok(plain),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Signs with the key's newest version (pure ML-DSA, FIPS 204 context); returns the signature
/// and the version.
pub fn sign_with(key: &NamedKey, message: &[u8], context: &[u8]) -> Result<(Vec<u8>, u32)> {
    key.expect_kind(false)?;
    let latest = key.latest();
    let KeyMaterial::Dsa(sk) = &latest.material else {
        return Err(NodeError::Internal("key material does not match its type"));
    };
    Ok((sk.sign(message, context)?, latest.version))
}

/// Verifies against the named `version`, or else against each live version. `Ok(false)` when
/// the signature does not verify.
pub fn verify_with(
    key: &NamedKey,
    version: Option<u32>,
    message: &[u8],
    signature: &[u8],
    context: &[u8],
) -> Result<bool> {
    key.expect_kind(false)?;
    let check = |material: &KeyMaterial| match material {
        KeyMaterial::Dsa(sk) => verdict(sk.verifying_key().verify(message, context, signature)),
        KeyMaterial::Kem(_) => Err(NodeError::Internal("key material does not match its type")),
    };
    if let Some(v) = version {
        return check(&key.usable_version(v)?.material);
    }
    for v in key.live_versions() {
        if check(&v.material)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Verifies with a bare ML-DSA public key.
pub fn verify_public(
    level: MlDsaLevel,
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
    context: &[u8],
) -> Result<bool> {
    let vk = VerifyingKey::from_bytes(level, public_key)?;
    verdict(vk.verify(message, context, signature))
}

fn verdict(outcome: cretoai_crypto::Result<()>) -> Result<bool> {
    match outcome {
        Ok(()) => Ok(true),
        Err(CryptoError::BadSignature) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::key_ring::KeyType;
    use crate::keys::KeyError;

    fn kem_key() -> NamedKey {
        NamedKey::new("kem", KeyType::MlKem768, 0).unwrap()
    }

    fn dsa_key() -> NamedKey {
        NamedKey::new("dsa", KeyType::MlDsa(MlDsaLevel::MlDsa65), 0).unwrap()
    }

    #[test]
    fn old_versions_decrypt_until_min_excludes_them() {
        let k1 = kem_key();
        let (c1, v1) = encrypt_with(&k1, b"hello", b"aad").unwrap();
        assert_eq!(v1, 1);
        assert!(c1.starts_with("cretoai:v1:"));
        let k3 = k1.rotated(1).unwrap().rotated(2).unwrap();
        let (c3, v3) = encrypt_with(&k3, b"new", b"").unwrap();
        assert_eq!(v3, 3);
        assert_eq!(decrypt_with(&k3, &c1, b"aad").unwrap().as_slice(), b"hello");
        assert_eq!(decrypt_with(&k3, &c3, b"").unwrap().as_slice(), b"new");
        let k3 = k3.configured(Some(2), None).unwrap();
        assert!(matches!(
            decrypt_with(&k3, &c1, b"aad"),
            Err(NodeError::Keys(KeyError::VersionTooOld { .. }))
        ));
        assert_eq!(decrypt_with(&k3, &c3, b"").unwrap().as_slice(), b"new");
    }

    #[test]
    fn wrong_aad_and_tampering_fail_cleanly() {
        let k = kem_key();
        let (c, _) = encrypt_with(&k, b"secret", b"right").unwrap();
        assert!(matches!(
            decrypt_with(&k, &c, b"wrong"),
            Err(NodeError::DecryptionFailed)
        ));
        let mut parsed = Ciphertext::parse(&c).unwrap();
        let last = parsed.envelope.len() - 1;
        parsed.envelope[last] ^= 1;
        assert!(matches!(
            decrypt_with(&k, &parsed.encode(), b"right"),
            Err(NodeError::DecryptionFailed)
        ));
        parsed.envelope.truncate(10);
        assert!(matches!(
            decrypt_with(&k, &parsed.encode(), b"right"),
            Err(NodeError::InvalidCiphertext(_))
        ));
    }

    #[test]
    fn public_key_ciphertexts_open_with_any_live_version() {
        let k = kem_key().rotated(1).unwrap();
        let old_public = k.versions[&1].material.public_key().to_vec();
        let c = encrypt_to(&old_public, b"to v1", b"").unwrap();
        assert!(c.starts_with("cretoai:v0:"));
        assert_eq!(decrypt_with(&k, &c, b"").unwrap().as_slice(), b"to v1");
        let k = k.configured(Some(2), None).unwrap();
        assert!(matches!(
            decrypt_with(&k, &c, b""),
            Err(NodeError::DecryptionFailed)
        ));
        assert!(matches!(
            encrypt_to(&[0u8; 10], b"x", b""),
            Err(NodeError::InvalidPublicKey(_))
        ));
    }

    #[test]
    fn signatures_verify_across_versions_and_contexts() {
        let k = dsa_key();
        let (sig, v) = sign_with(&k, b"msg", b"ctx").unwrap();
        assert_eq!(v, 1);
        let k = k.rotated(1).unwrap();
        assert!(verify_with(&k, None, b"msg", &sig, b"ctx").unwrap());
        assert!(verify_with(&k, Some(1), b"msg", &sig, b"ctx").unwrap());
        assert!(!verify_with(&k, Some(2), b"msg", &sig, b"ctx").unwrap());
        assert!(!verify_with(&k, None, b"msg", &sig, b"other").unwrap());
        assert!(!verify_with(&k, None, b"msg2", &sig, b"ctx").unwrap());
        assert!(!verify_with(&k, None, b"msg", &sig[..10], b"ctx").unwrap());
        let public = k.versions[&1].material.public_key().to_vec();
        assert!(verify_public(MlDsaLevel::MlDsa65, &public, b"msg", &sig, b"ctx").unwrap());
        assert!(verify_public(MlDsaLevel::MlDsa44, &public, b"msg", &sig, b"ctx").is_err());
        let k = k.configured(Some(2), None).unwrap();
        assert!(!verify_with(&k, None, b"msg", &sig, b"ctx").unwrap());
        assert!(matches!(
            verify_with(&k, Some(1), b"msg", &sig, b"ctx"),
            Err(NodeError::Keys(KeyError::VersionTooOld { .. }))
        ));
    }

    #[test]
    fn wrong_key_types_and_long_contexts_are_refused() {
        assert!(matches!(
            sign_with(&kem_key(), b"m", b""),
            Err(NodeError::Keys(KeyError::WrongType { .. }))
        ));
        assert!(matches!(
            encrypt_with(&dsa_key(), b"m", b""),
            Err(NodeError::Keys(KeyError::WrongType { .. }))
        ));
        assert!(matches!(
            sign_with(&dsa_key(), b"m", &[0; 256]),
            Err(NodeError::ContextTooLong)
        ));
    }
}
