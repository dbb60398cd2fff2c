//! Encrypt, decrypt, sign and verify as a service, callable without HTTP: it takes the key from
//! the directory (no actor round trip), checks its type, runs the primitive where the
//! placement says (see [`crate::crypto_pool`]) and counts the outcome. The API parses and
//! authorizes, then calls one of these.

use super::directory::KeyDirectory;
use super::usage;
use crate::crypto_pool::{CryptoPool, Placement};
use crate::error::Result;
use crate::metrics::{CryptoOp, Metrics};
use cretoai_crypto::ml_dsa::MlDsaLevel;
use std::sync::Arc;
use zeroize::Zeroizing;

/// A signature made with a named key.
#[derive(Debug)]
pub struct Signed {
    /// The raw FIPS 204 signature.
    pub signature: Vec<u8>,
    /// The key's algorithm, e.g. `ml-dsa-65`.
    pub algorithm: &'static str,
    /// The version that signed.
    pub key_version: u32,
}

/// The crypto operations on named keys and bare public keys; cheap to clone.
#[derive(Clone)]
pub struct KeyOperations {
    directory: KeyDirectory,
    pool: CryptoPool,
    metrics: Arc<Metrics>,
}

impl KeyOperations {
    /// Operations over the keys of `directory`, on `pool`, counted in `metrics`.
    pub fn new(directory: KeyDirectory, pool: CryptoPool, metrics: Arc<Metrics>) -> Self {
        KeyOperations {
            directory,
            pool,
            metrics,
        }
    }

    /// Runs one operation where `placement` says and counts its outcome in the metrics.
    async fn counted<T: Send + 'static>(
        &self,
        op: CryptoOp,
        algorithm: &'static str,
        placement: Placement,
        work: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let outcome = self.pool.run_at(placement, work).await?;
        self.metrics.count_crypto(op, algorithm, outcome.is_ok());
        outcome
    }

    /// Seals `plaintext` to the named ML-KEM key's newest version; returns the ciphertext
    /// string and the version.
    pub async fn encrypt(
        &self,
        name: &str,
        plaintext: Vec<u8>,
        aad: Vec<u8>,
        placement: Placement,
    ) -> Result<(String, u32)> {
        let key = self.directory.get(name)?;
        key.expect_kind(true)?;
        let alg = key.key_type.as_str();
        let placement = placement.limit(1, plaintext.len());
        self.counted(CryptoOp::Encrypt, alg, placement, move || {
            usage::encrypt_with(&key, &plaintext, &aad)
        })
        .await
    }

    /// Seals `plaintext` to a bare ML-KEM-768 encapsulation key; the ciphertext carries `v0`.
    pub async fn encrypt_to(
        &self,
        public_key: Vec<u8>,
        plaintext: Vec<u8>,
        aad: Vec<u8>,
        placement: Placement,
    ) -> Result<String> {
        let placement = placement.limit(1, plaintext.len());
        self.counted(CryptoOp::Encrypt, "ml-kem-768", placement, move || {
            usage::encrypt_to(&public_key, &plaintext, &aad)
        })
        .await
    }

    /// Opens a ciphertext string with the named ML-KEM key. A `v0` ciphertext (sealed to a
    /// bare public key) is tried against every live version, so it counts as that much work
    /// when `placement` is decided.
    pub async fn decrypt(
        &self,
        name: &str,
        ciphertext: String,
        aad: Vec<u8>,
        placement: Placement,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let key = self.directory.get(name)?;
        key.expect_kind(true)?;
        let alg = key.key_type.as_str();
        let attempts = if ciphertext.starts_with("cretoai:v0:") {
            key.live_versions().count()
        } else {
            1
        };
        let placement = placement.limit(attempts, ciphertext.len());
        self.counted(CryptoOp::Decrypt, alg, placement, move || {
            usage::decrypt_with(&key, &ciphertext, &aad)
        })
        .await
    }

    /// Signs with the named ML-DSA key's newest version (pure ML-DSA, FIPS 204 context).
    pub async fn sign(
        &self,
        name: &str,
        message: Vec<u8>,
        context: Vec<u8>,
        placement: Placement,
    ) -> Result<Signed> {
        let key = self.directory.get(name)?;
        key.expect_kind(false)?;
        let algorithm = key.key_type.as_str();
        let placement = placement.limit(1, message.len());
        let (signature, key_version) = self
            .counted(CryptoOp::Sign, algorithm, placement, move || {
                usage::sign_with(&key, &message, &context)
            })
            .await?;
        Ok(Signed {
            signature,
            algorithm,
            key_version,
        })
    }

    /// Verifies against the named key's `version`, or else against each live version.
    pub async fn verify(
        &self,
        name: &str,
        version: Option<u32>,
        message: Vec<u8>,
        signature: Vec<u8>,
        context: Vec<u8>,
        placement: Placement,
    ) -> Result<bool> {
        let key = self.directory.get(name)?;
        key.expect_kind(false)?;
        let alg = key.key_type.as_str();
        // Without a version every live version may be tried.
        let attempts = version.map_or_else(|| key.live_versions().count(), |_| 1);
        let placement = placement.limit(attempts, message.len());
        self.counted(CryptoOp::Verify, alg, placement, move || {
            usage::verify_with(&key, version, &message, &signature, &context)
        })
        .await
    }

    /// Verifies with a bare ML-DSA public key.
    pub async fn verify_public(
        &self,
        level: MlDsaLevel,
        public_key: Vec<u8>,
        message: Vec<u8>,
        signature: Vec<u8>,
        context: Vec<u8>,
        placement: Placement,
    ) -> Result<bool> {
        let placement = placement.limit(1, message.len());
        self.counted(CryptoOp::Verify, level.as_str(), placement, move || {
            usage::verify_public(level, &public_key, &message, &signature, &context)
        })
        .await
    }
}
