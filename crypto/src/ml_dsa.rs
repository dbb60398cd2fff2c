//! ML-DSA (FIPS 204) signatures at the three standard parameter sets, with context strings.
//!
//! Private keys are kept as the 32-byte seed ξ of FIPS 204 key generation: small to store, and
//! the same key in every conforming implementation.

use crate::ffi::{self, Pkey};
use crate::{random, CryptoError, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use zeroize::Zeroizing;

/// Length of an ML-DSA seed.
pub const SEED_LEN: usize = 32;
/// FIPS 204 limit on the context string.
pub const MAX_CONTEXT_LEN: usize = 255;

/// An ML-DSA parameter set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MlDsaLevel {
    /// NIST security category 2.
    #[serde(rename = "ml-dsa-44")]
    MlDsa44,
    /// NIST security category 3.
    #[serde(rename = "ml-dsa-65")]
    MlDsa65,
    /// NIST security category 5.
    #[serde(rename = "ml-dsa-87")]
    MlDsa87,
}

impl MlDsaLevel {
    /// All parameter sets, weakest first.
    pub const ALL: [MlDsaLevel; 3] = [
        MlDsaLevel::MlDsa44,
        MlDsaLevel::MlDsa65,
        MlDsaLevel::MlDsa87,
    ];

    /// The API name, e.g. `ml-dsa-65`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MlDsa44 => "ml-dsa-44",
            Self::MlDsa65 => "ml-dsa-65",
            Self::MlDsa87 => "ml-dsa-87",
        }
    }

    /// Encoded public key length in bytes.
    pub fn public_key_len(self) -> usize {
        match self {
            Self::MlDsa44 => 1312,
            Self::MlDsa65 => 1952,
            Self::MlDsa87 => 2592,
        }
    }

    /// Encoded (expanded) private key length in bytes.
    pub fn private_key_len(self) -> usize {
        match self {
            Self::MlDsa44 => 2560,
            Self::MlDsa65 => 4032,
            Self::MlDsa87 => 4896,
        }
    }

    /// Signature length in bytes.
    pub fn signature_len(self) -> usize {
        match self {
            Self::MlDsa44 => 2420,
            Self::MlDsa65 => 3309,
            Self::MlDsa87 => 4627,
        }
    }

    fn nid(self) -> i32 {
        match self {
            Self::MlDsa44 => ffi::NID_ML_DSA_44,
            Self::MlDsa65 => ffi::NID_ML_DSA_65,
            Self::MlDsa87 => ffi::NID_ML_DSA_87,
        }
    }
}

impl fmt::Display for MlDsaLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MlDsaLevel {
    type Err = CryptoError;

    /// Accepts the API names (`ml-dsa-65`) and the JOSE/NIST spelling (`ML-DSA-65`).
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s))
            .ok_or(CryptoError::Malformed("unknown ML-DSA parameter set"))
    }
}

/// An ML-DSA private key; its seed is wiped from memory when dropped.
pub struct SigningKey {
    seed: Zeroizing<[u8; SEED_LEN]>,
    pkey: Pkey,
    verifying: VerifyingKey,
}

impl SigningKey {
    /// A fresh key from the system random source.
    pub fn generate(level: MlDsaLevel) -> Result<Self> {
        let seed = Zeroizing::new(random::array::<SEED_LEN>());
        Self::from_seed(level, &*seed)
    }

    /// The key deterministically derived from a 32-byte seed (FIPS 204 ML-DSA.KeyGen_internal).
    pub fn from_seed(level: MlDsaLevel, seed: &[u8]) -> Result<Self> {
        let seed: [u8; SEED_LEN] = seed
            .try_into()
            .map_err(|_| CryptoError::InvalidKey("ML-DSA seed must be 32 bytes"))?;
        let seed = Zeroizing::new(seed);
        let pkey = Pkey::ml_dsa_from_seed(level.nid(), &*seed)?;
        let public = pkey.raw_public_key(level.public_key_len())?;
        let verifying = VerifyingKey::from_bytes(level, &public)?;
        Ok(Self {
            seed,
            pkey,
            verifying,
        })
    }

    /// The seed this key was derived from (secret: store only encrypted).
    pub fn seed(&self) -> &[u8; SEED_LEN] {
        &self.seed
    }

    /// The expanded FIPS 204 private key encoding (secret), for interoperability tests.
    pub fn expanded_private_key(&self) -> Result<Zeroizing<Vec<u8>>> {
        self.pkey.raw_private_key(self.level().private_key_len())
    }

    /// The parameter set.
    pub fn level(&self) -> MlDsaLevel {
        self.verifying.level
    }

    /// The matching public key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying
    }

    /// Signs `msg` with pure ML-DSA (hedged: fresh randomness per signature) and `context`.
    pub fn sign(&self, msg: &[u8], context: &[u8]) -> Result<Vec<u8>> {
        self.pkey
            .ml_dsa_sign(msg, context, self.level().signature_len())
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("level", &self.level())
            .field("seed", &"<redacted>")
            .finish()
    }
}

/// An ML-DSA public key, parsed once and cheap to clone.
#[derive(Clone)]
pub struct VerifyingKey {
    level: MlDsaLevel,
    bytes: Arc<[u8]>,
    pkey: Arc<Pkey>,
}

impl VerifyingKey {
    /// Parses a FIPS 204 public key encoding of the given parameter set.
    pub fn from_bytes(level: MlDsaLevel, bytes: &[u8]) -> Result<Self> {
        if bytes.len() != level.public_key_len() {
            return Err(CryptoError::InvalidKey(
                "public key length does not match the ML-DSA parameter set",
            ));
        }
        let pkey = Pkey::ml_dsa_public(level.nid(), bytes)?;
        Ok(Self {
            level,
            bytes: bytes.into(),
            pkey: Arc::new(pkey),
        })
    }

    /// The FIPS 204 encoding.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The parameter set.
    pub fn level(&self) -> MlDsaLevel {
        self.level
    }

    /// Checks `signature` over `msg` and `context`; `Err(BadSignature)` if it does not verify.
    pub fn verify(&self, msg: &[u8], context: &[u8], signature: &[u8]) -> Result<()> {
        self.check_lengths(context, signature)?;
        self.pkey.ml_dsa_verify(msg, context, signature)
    }

    /// The checks every verification starts with: context within FIPS 204's limit, signature
    /// of this parameter set's length.
    fn check_lengths(&self, context: &[u8], signature: &[u8]) -> Result<()> {
        if context.len() > MAX_CONTEXT_LEN {
            return Err(CryptoError::ContextTooLong);
        }
        if signature.len() != self.level.signature_len() {
            return Err(CryptoError::BadSignature);
        }
        Ok(())
    }

    /// This key with FIPS 204's `tr = H(pk)` computed once, for keys that verify many
    /// signatures (a transaction sender's): see [`PreparedVerifyingKey`].
    pub fn prepare(&self) -> Result<PreparedVerifyingKey> {
        self.prepare_for(&[], &[])
    }

    /// [`VerifyingKey::prepare`], and more: messages signed under `context` that start with
    /// `prefix` (a transaction's fixed header with its sender key, say) resume hashing where
    /// the prefix ended. Verdicts are the same for every message and context.
    pub fn prepare_for(&self, context: &[u8], prefix: &[u8]) -> Result<PreparedVerifyingKey> {
        if context.len() > MAX_CONTEXT_LEN {
            return Err(CryptoError::ContextTooLong);
        }
        let mut tr = [0u8; 64];
        ffi::shake256(&[&self.bytes], &mut tr)?;
        let absorbed = mu_hash(&tr, context, prefix)?;
        Ok(PreparedVerifyingKey {
            key: self.clone(),
            tr,
            context: context.to_vec(),
            prefix: prefix.to_vec(),
            absorbed,
        })
    }
}

/// FIPS 204 Algorithm 3 (pure mode) hashes `mu = H(tr || M')` with
/// `M' = 0 || |ctx| || ctx || M`: the state after `tr`, the header, `context` and `msg`.
fn mu_hash(tr: &[u8; 64], context: &[u8], msg: &[u8]) -> Result<ffi::Shake256> {
    let mut h = ffi::Shake256::new()?;
    for part in [&tr[..], &[0, context.len() as u8], context, msg] {
        h.update(part)?;
    }
    Ok(h)
}

/// A verifying key ready for repeated verification.
///
/// ML-DSA verification starts by hashing the whole public key (`tr = H(pk)`, 1,312 to 2,592
/// bytes of SHAKE256) and then hashes `tr` with the message into `mu`. Both are the same for
/// every signature of one key, so this form keeps `tr` and hands aws-lc the finished `mu`
/// (FIPS 204's "external mu" split, which computes the same function). A key prepared for a
/// context and message prefix ([`VerifyingKey::prepare_for`]) also keeps the hash state after
/// them: a transaction's signed body starts with its sender's whole public key, so that saves
/// most of the hashing of `mu`. Verdicts are those of [`VerifyingKey::verify`].
pub struct PreparedVerifyingKey {
    key: VerifyingKey,
    tr: [u8; 64],
    context: Vec<u8>,
    prefix: Vec<u8>,
    /// `mu`'s hash state after `tr`, `context` and `prefix`.
    absorbed: ffi::Shake256,
}

impl PreparedVerifyingKey {
    /// The key.
    pub fn key(&self) -> &VerifyingKey {
        &self.key
    }

    /// As [`VerifyingKey::verify`]: checks `signature` over `msg` and `context`.
    pub fn verify(&self, msg: &[u8], context: &[u8], signature: &[u8]) -> Result<()> {
        self.key.check_lengths(context, signature)?;
        let h = match msg.strip_prefix(self.prefix.as_slice()) {
            Some(rest) if context == self.context => {
                let mut h = self.absorbed.fork()?;
                h.update(rest)?;
                h
            }
            _ => mu_hash(&self.tr, context, msg)?,
        };
        let mut mu = [0u8; 64];
        h.finish(&mut mu)?;
        self.key.pkey.ml_dsa_verify_mu(&mu, signature)
    }
}

impl fmt::Debug for PreparedVerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Prepared{:?}", self.key)
    }
}

impl PartialEq for VerifyingKey {
    fn eq(&self, other: &Self) -> bool {
        self.level == other.level && self.bytes == other.bytes
    }
}

impl Eq for VerifyingKey {}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix: String = self
            .bytes
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        write!(f, "VerifyingKey({}, {prefix}…)", self.level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_every_level_with_and_without_context() {
        for level in MlDsaLevel::ALL {
            let key = SigningKey::generate(level).unwrap();
            let vk = key.verifying_key();
            assert_eq!(vk.as_bytes().len(), level.public_key_len());
            for ctx in [&b""[..], b"cretoai/test"] {
                let sig = key.sign(b"hello", ctx).unwrap();
                assert_eq!(sig.len(), level.signature_len());
                vk.verify(b"hello", ctx, &sig).unwrap();
                assert_eq!(
                    vk.verify(b"hellp", ctx, &sig),
                    Err(CryptoError::BadSignature)
                );
                assert_eq!(
                    vk.verify(b"hello", b"other", &sig),
                    Err(CryptoError::BadSignature)
                );
            }
        }
    }

    #[test]
    fn prepared_keys_give_the_same_verdicts() {
        for level in MlDsaLevel::ALL {
            let key = SigningKey::generate(level).unwrap();
            let other = SigningKey::generate(level).unwrap();
            let vk = key.verifying_key();
            let prepared = vk.prepare().unwrap();
            assert_eq!(prepared.key(), vk);
            for ctx in [&b""[..], b"cretoai/test", &[7u8; 255][..]] {
                for msg in [&b""[..], b"hello", &[0x5a; 5000][..]] {
                    let sig = key.sign(msg, ctx).unwrap();
                    prepared.verify(msg, ctx, &sig).unwrap();
                    let mut tampered = msg.to_vec();
                    tampered.push(0);
                    let cases: [(&[u8], &[u8], Vec<u8>); 4] = [
                        (&tampered, ctx, sig.clone()),
                        (msg, b"other", sig.clone()),
                        (msg, ctx, other.sign(msg, ctx).unwrap()),
                        (msg, ctx, {
                            let mut s = sig.clone();
                            s[10] ^= 1;
                            s
                        }),
                    ];
                    for (m, c, s) in cases {
                        assert_eq!(vk.verify(m, c, &s), Err(CryptoError::BadSignature));
                        assert_eq!(prepared.verify(m, c, &s), Err(CryptoError::BadSignature));
                    }
                }
            }
            let sig = key.sign(b"m", b"").unwrap();
            assert_eq!(
                prepared.verify(b"m", &[0; 256], &sig),
                Err(CryptoError::ContextTooLong)
            );
            assert_eq!(
                prepared.verify(b"m", b"", &sig[1..]),
                Err(CryptoError::BadSignature)
            );
        }
    }

    #[test]
    fn keys_prepared_for_a_prefix_give_the_same_verdicts() {
        let ctx = b"cretoai/test";
        // Longer than SHAKE256's 136-byte block, and not a multiple of it.
        let prefix = [0x5a; 1400];
        for level in MlDsaLevel::ALL {
            let key = SigningKey::generate(level).unwrap();
            let vk = key.verifying_key();
            let prepared = vk.prepare_for(ctx, &prefix).unwrap();
            let mut flipped = [&prefix[..], b"rest"].concat();
            flipped[700] ^= 1;
            let messages = [
                [&prefix[..], b"rest"].concat(),
                [&prefix[..], &[1; 300][..]].concat(),
                prefix.to_vec(),
                prefix[..100].to_vec(),
                flipped,
                Vec::new(),
            ];
            for msg in &messages {
                for sign_ctx in [&ctx[..], b""] {
                    let sig = key.sign(msg, sign_ctx).unwrap();
                    let mut bad = sig.clone();
                    bad[20] ^= 1;
                    for check_ctx in [&ctx[..], b""] {
                        for s in [&sig, &bad] {
                            assert_eq!(
                                prepared.verify(msg, check_ctx, s),
                                vk.verify(msg, check_ctx, s),
                                "{level} msg of {} bytes",
                                msg.len()
                            );
                        }
                    }
                    assert!(prepared.verify(msg, sign_ctx, &sig).is_ok());
                }
            }
            let sig = key.sign(&[&prefix[..], b"rest"].concat(), ctx).unwrap();
            let other = [&prefix[..], b"resT"].concat();
            assert_eq!(
                prepared.verify(&other, ctx, &sig),
                Err(CryptoError::BadSignature)
            );
        }
        let key = SigningKey::generate(MlDsaLevel::MlDsa44).unwrap();
        assert!(key.verifying_key().prepare_for(&[0; 256], b"").is_err());
    }

    #[test]
    fn seeds_are_deterministic_and_keys_roundtrip() {
        let a = SigningKey::from_seed(MlDsaLevel::MlDsa65, &[7; 32]).unwrap();
        let b = SigningKey::from_seed(MlDsaLevel::MlDsa65, a.seed()).unwrap();
        assert_eq!(a.verifying_key(), b.verifying_key());
        let vk =
            VerifyingKey::from_bytes(MlDsaLevel::MlDsa65, a.verifying_key().as_bytes()).unwrap();
        vk.verify(b"m", b"", &b.sign(b"m", b"").unwrap()).unwrap();
    }

    #[test]
    fn rejects_bad_lengths_and_long_context() {
        let key = SigningKey::generate(MlDsaLevel::MlDsa44).unwrap();
        assert!(SigningKey::from_seed(MlDsaLevel::MlDsa44, &[0; 31]).is_err());
        assert!(
            VerifyingKey::from_bytes(MlDsaLevel::MlDsa65, key.verifying_key().as_bytes()).is_err()
        );
        assert_eq!(key.sign(b"m", &[0; 256]), Err(CryptoError::ContextTooLong));
        let sig = key.sign(b"m", &[1; 255]).unwrap();
        assert_eq!(
            key.verifying_key().verify(b"m", &[1; 256], &sig),
            Err(CryptoError::ContextTooLong)
        );
        assert_eq!(
            key.verifying_key().verify(b"m", &[1; 255], &sig[1..]),
            Err(CryptoError::BadSignature)
        );
    }

    #[test]
    fn level_names_parse() {
        for level in MlDsaLevel::ALL {
            assert_eq!(level.as_str().parse::<MlDsaLevel>().unwrap(), level);
            assert_eq!(
                level.as_str().to_uppercase().parse::<MlDsaLevel>().unwrap(),
                level
            );
        }
        assert!("ml-dsa-66".parse::<MlDsaLevel>().is_err());
    }

    #[test]
    fn debug_never_shows_the_seed() {
        let key = SigningKey::from_seed(MlDsaLevel::MlDsa44, &[0xab; 32]).unwrap();
        assert!(!format!("{key:?}").contains("ab"));
    }
}
