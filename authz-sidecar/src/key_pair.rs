//! One signing key of one algorithm, loaded into every backend that can use it.
//!
//! Private key material has one canonical byte form (kept zeroized):
//! RSA: PKCS#8 v1 DER; Ed25519: the 32-byte seed; ML-DSA: the 32-byte seed
//! (FIPS 204 `xi`); composite: ML-DSA seed || Ed25519 seed. Both backends load
//! the same bytes, which is what lets a token signed by one verify under the other.

use crate::algorithm::{Algorithm, Backend, KeyType};
use crate::composite;
use crate::error::{Result, SidecarError, TokenRejection};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self as aws_sig, KeyPair as _};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use cretoai_crypto::ml_dsa;
use ed25519_dalek::{Signer as _, Verifier as _};
use rsa::pkcs1::DecodeRsaPublicKey as _;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::sha2::Sha256;
use serde_json::{json, Value};
use zeroize::Zeroizing;

/// The JWS context string for pure ML-DSA (draft-ietf-cose-dilithium: empty).
const JOSE_ML_DSA_CONTEXT: &[u8] = b"";

enum AwsSigner {
    Rsa(aws_sig::RsaKeyPair),
    Ed25519(aws_sig::Ed25519KeyPair),
    MlDsa(ml_dsa::SigningKey),
    Composite(ml_dsa::SigningKey, aws_sig::Ed25519KeyPair),
}

enum RustSigner {
    Rsa(Box<rsa::PrivateKey>),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

/// A private key with its public half, ready to sign.
pub struct KeyPair {
    alg: Algorithm,
    material: Zeroizing<Vec<u8>>,
    aws: AwsSigner,
    rust: Option<RustSigner>,
    public: PublicKey,
}

enum ParsedPublic {
    Rsa(Box<rsa::PublicKey>),
    Ed25519(Box<ed25519_dalek::VerifyingKey>),
    MlDsa(ml_dsa::VerifyingKey),
    Composite(ml_dsa::VerifyingKey),
}

/// A verification key bound to one algorithm.
pub struct PublicKey {
    alg: Algorithm,
    /// RSA: PKCS#1 RSAPublicKey DER; otherwise the raw key (composite: concatenated).
    bytes: Vec<u8>,
    rsa_n: Vec<u8>,
    rsa_e: Vec<u8>,
    parsed: ParsedPublic,
}

fn crypto_err(what: &str) -> SidecarError {
    SidecarError::Crypto(what.to_string())
}

fn seed32(bytes: &[u8]) -> Result<[u8; 32]> {
    bytes
        .try_into()
        .map_err(|_| crypto_err("seed must be 32 bytes"))
}

fn ed25519_pair(seed: &[u8; 32]) -> Result<(aws_sig::Ed25519KeyPair, ed25519_dalek::SigningKey)> {
    let aws = aws_sig::Ed25519KeyPair::from_seed_unchecked(seed)
        .map_err(|_| crypto_err("bad Ed25519 seed"))?;
    Ok((aws, ed25519_dalek::SigningKey::from_bytes(seed)))
}

impl KeyPair {
    /// Generate a fresh key. `rsa_bits` is used only by RS256/PS256 (2048 or 3072).
    pub fn generate(alg: Algorithm, rsa_bits: usize) -> Result<Self> {
        let material = match alg.key_type() {
            KeyType::Rsa => {
                let size = match rsa_bits {
                    2048 => KeySize::Rsa2048,
                    3072 => KeySize::Rsa3072,
                    4096 => KeySize::Rsa4096,
                    _ => {
                        return Err(SidecarError::Config(format!(
                            "unsupported RSA size {rsa_bits}"
                        )))
                    }
                };
                let kp =
                    aws_sig::RsaKeyPair::generate(size).map_err(|_| crypto_err("RSA keygen"))?;
                let der = kp.as_der().map_err(|_| crypto_err("RSA PKCS#8 export"))?;
                Zeroizing::new(der.as_ref().to_vec())
            }
            KeyType::Okp => Zeroizing::new(cretoai_crypto::random::array::<32>().to_vec()),
            KeyType::Akp => {
                let len = if alg == Algorithm::MlDsa65Ed25519 {
                    64
                } else {
                    32
                };
                let mut m = Zeroizing::new(vec![0u8; len]);
                cretoai_crypto::random::fill(&mut m);
                m
            }
        };
        Self::from_material(alg, &material)
    }

    /// Load a key from its canonical private bytes.
    pub fn from_material(alg: Algorithm, material: &[u8]) -> Result<Self> {
        let material = Zeroizing::new(material.to_vec());
        let (aws, rust) = match alg {
            Algorithm::Rs256 | Algorithm::Ps256 => {
                let aws = aws_sig::RsaKeyPair::from_pkcs8(&material)
                    .map_err(|_| crypto_err("bad RSA PKCS#8 key"))?;
                let rust = rsa::PrivateKey::from_pkcs8_der(&material)
                    .map_err(|_| crypto_err("bad RSA PKCS#8 key (rsa crate)"))?;
                (AwsSigner::Rsa(aws), Some(RustSigner::Rsa(Box::new(rust))))
            }
            Algorithm::EdDsa => {
                let seed = Zeroizing::new(seed32(&material)?);
                let (aws, dalek) = ed25519_pair(&seed)?;
                (
                    AwsSigner::Ed25519(aws),
                    Some(RustSigner::Ed25519(Box::new(dalek))),
                )
            }
            Algorithm::MlDsa44 | Algorithm::MlDsa65 | Algorithm::MlDsa87 => {
                let level = alg.ml_dsa_level().expect("ML-DSA algorithm has a level");
                (
                    AwsSigner::MlDsa(ml_dsa::SigningKey::from_seed(level, &material)?),
                    None,
                )
            }
            Algorithm::MlDsa65Ed25519 => {
                if material.len() != 64 {
                    return Err(crypto_err("composite key must be 64 bytes"));
                }
                let ml =
                    ml_dsa::SigningKey::from_seed(ml_dsa::MlDsaLevel::MlDsa65, &material[..32])?;
                let seed = Zeroizing::new(seed32(&material[32..])?);
                let (ed, _) = ed25519_pair(&seed)?;
                (AwsSigner::Composite(ml, ed), None)
            }
        };
        let public = PublicKey::from_signer(alg, &aws)?;
        Ok(KeyPair {
            alg,
            material,
            aws,
            rust,
            public,
        })
    }

    /// The algorithm this key signs with.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The canonical private bytes (for the encrypted key store only).
    pub fn material(&self) -> &[u8] {
        &self.material
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Sign `msg` (the JWS signing input) with the chosen backend.
    pub fn sign(&self, backend: Backend, msg: &[u8]) -> Result<Vec<u8>> {
        match backend {
            Backend::AwsLc => self.sign_aws(msg),
            Backend::RustCrypto => self.sign_rust(msg),
        }
    }

    fn sign_aws(&self, msg: &[u8]) -> Result<Vec<u8>> {
        match &self.aws {
            AwsSigner::Rsa(kp) => {
                let padding: &'static dyn aws_sig::RsaEncoding = if self.alg == Algorithm::Ps256 {
                    &aws_sig::RSA_PSS_SHA256
                } else {
                    &aws_sig::RSA_PKCS1_SHA256
                };
                let mut sig = vec![0u8; kp.public_modulus_len()];
                kp.sign(
                    padding,
                    &aws_lc_rs::rand::SystemRandom::new(),
                    msg,
                    &mut sig,
                )
                .map_err(|_| crypto_err("RSA sign"))?;
                Ok(sig)
            }
            AwsSigner::Ed25519(kp) => Ok(kp.sign(msg).as_ref().to_vec()),
            AwsSigner::MlDsa(sk) => Ok(sk.sign(msg, JOSE_ML_DSA_CONTEXT)?),
            AwsSigner::Composite(ml, ed) => {
                let m = composite::message_representative(msg, b"")
                    .ok_or_else(|| crypto_err("composite context"))?;
                let mut sig = ml.sign(&m, composite::LABEL)?;
                sig.extend_from_slice(ed.sign(&m).as_ref());
                Ok(sig)
            }
        }
    }

    fn sign_rust(&self, msg: &[u8]) -> Result<Vec<u8>> {
        match &self.rust {
            Some(RustSigner::Rsa(key)) if self.alg == Algorithm::Ps256 => key
                .pss_sign::<Sha256>(msg)
                .map_err(|_| crypto_err("RSA-PSS sign (rsa crate)")),
            Some(RustSigner::Rsa(key)) => key
                .pkcs1v15_sign::<Sha256>(msg)
                .map_err(|_| crypto_err("RSA sign (rsa crate)")),
            Some(RustSigner::Ed25519(key)) => Ok(key.sign(msg).to_bytes().to_vec()),
            None => Err(SidecarError::InvalidRequest(format!(
                "{} has no rust-crypto backend",
                self.alg
            ))),
        }
    }
}

impl PublicKey {
    fn from_signer(alg: Algorithm, signer: &AwsSigner) -> Result<Self> {
        let (bytes, rsa_n, rsa_e) = match signer {
            AwsSigner::Rsa(kp) => {
                let pk = kp.public_key();
                let n = pk.modulus().big_endian_without_leading_zero().to_vec();
                let e = pk.exponent().big_endian_without_leading_zero().to_vec();
                (pk.as_ref().to_vec(), n, e)
            }
            AwsSigner::Ed25519(kp) => (kp.public_key().as_ref().to_vec(), vec![], vec![]),
            AwsSigner::MlDsa(sk) => (sk.verifying_key().as_bytes().to_vec(), vec![], vec![]),
            AwsSigner::Composite(ml, ed) => {
                let mut b = ml.verifying_key().as_bytes().to_vec();
                b.extend_from_slice(ed.public_key().as_ref());
                (b, vec![], vec![])
            }
        };
        Self::from_parts(alg, bytes, rsa_n, rsa_e)
    }

    fn from_parts(alg: Algorithm, bytes: Vec<u8>, rsa_n: Vec<u8>, rsa_e: Vec<u8>) -> Result<Self> {
        let dalek = |b: &[u8]| -> Result<Box<ed25519_dalek::VerifyingKey>> {
            let arr: [u8; 32] = b.try_into().map_err(|_| crypto_err("Ed25519 key length"))?;
            ed25519_dalek::VerifyingKey::from_bytes(&arr)
                .map(Box::new)
                .map_err(|_| crypto_err("bad Ed25519 public key"))
        };
        let parsed = match alg {
            Algorithm::Rs256 | Algorithm::Ps256 => ParsedPublic::Rsa(Box::new(
                rsa::PublicKey::from_pkcs1_der(&bytes)
                    .map_err(|_| crypto_err("bad RSA public key"))?,
            )),
            Algorithm::EdDsa => ParsedPublic::Ed25519(dalek(&bytes)?),
            Algorithm::MlDsa44 | Algorithm::MlDsa65 | Algorithm::MlDsa87 => {
                let level = alg.ml_dsa_level().expect("ML-DSA algorithm has a level");
                ParsedPublic::MlDsa(ml_dsa::VerifyingKey::from_bytes(level, &bytes)?)
            }
            Algorithm::MlDsa65Ed25519 => {
                let (ml, ed) = composite::split_public_key(&bytes)
                    .ok_or_else(|| crypto_err("composite public key length"))?;
                // Parsed only to refuse a malformed Ed25519 half up front.
                dalek(ed)?;
                ParsedPublic::Composite(ml_dsa::VerifyingKey::from_bytes(
                    ml_dsa::MlDsaLevel::MlDsa65,
                    ml,
                )?)
            }
        };
        Ok(PublicKey {
            alg,
            bytes,
            rsa_n,
            rsa_e,
            parsed,
        })
    }

    /// The algorithm this key verifies.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// Encoded public key size in bytes (RSA: PKCS#1 DER).
    pub fn size(&self) -> usize {
        self.bytes.len()
    }

    /// The exact signature length this key produces.
    pub fn signature_len(&self) -> usize {
        match &self.parsed {
            ParsedPublic::Rsa(_) => self.rsa_n.len(),
            ParsedPublic::Ed25519(_) => composite::ED25519_SIG_LEN,
            ParsedPublic::MlDsa(pk) => pk.level().signature_len(),
            ParsedPublic::Composite(_) => composite::SIG_LEN,
        }
    }

    /// The raw encoded key (RSA: PKCS#1 DER).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Verify `sig` over `msg` with the chosen backend (ML-DSA and composite
    /// always use aws-lc-rs).
    pub fn verify(
        &self,
        backend: Backend,
        msg: &[u8],
        sig: &[u8],
    ) -> std::result::Result<(), TokenRejection> {
        let ok = match (&self.parsed, backend) {
            (ParsedPublic::Rsa(_), Backend::AwsLc) => {
                let params: &'static dyn aws_sig::VerificationAlgorithm =
                    if self.alg == Algorithm::Ps256 {
                        &aws_sig::RSA_PSS_2048_8192_SHA256
                    } else {
                        &aws_sig::RSA_PKCS1_2048_8192_SHA256
                    };
                aws_sig::UnparsedPublicKey::new(params, &self.bytes)
                    .verify(msg, sig)
                    .is_ok()
            }
            (ParsedPublic::Rsa(pk), Backend::RustCrypto) => {
                if self.alg == Algorithm::Ps256 {
                    pk.pss_verify::<Sha256>(msg, sig).is_ok()
                } else {
                    pk.pkcs1v15_verify::<Sha256>(msg, sig).is_ok()
                }
            }
            (ParsedPublic::Ed25519(_), Backend::AwsLc) => {
                aws_sig::UnparsedPublicKey::new(&aws_sig::ED25519, &self.bytes)
                    .verify(msg, sig)
                    .is_ok()
            }
            (ParsedPublic::Ed25519(pk), Backend::RustCrypto) => {
                ed25519_dalek::Signature::from_slice(sig)
                    .map(|s| pk.verify(msg, &s).is_ok())
                    .unwrap_or(false)
            }
            (ParsedPublic::MlDsa(pk), _) => pk.verify(msg, JOSE_ML_DSA_CONTEXT, sig).is_ok(),
            (ParsedPublic::Composite(ml), _) => return self.verify_composite(ml, msg, sig),
        };
        if ok {
            Ok(())
        } else {
            Err(TokenRejection::BadSignature)
        }
    }

    fn verify_composite(
        &self,
        ml: &ml_dsa::VerifyingKey,
        msg: &[u8],
        sig: &[u8],
    ) -> std::result::Result<(), TokenRejection> {
        let (ml_sig, ed_sig) =
            composite::split_signature(sig).ok_or(TokenRejection::BadSignature)?;
        let m = composite::message_representative(msg, b"").ok_or(TokenRejection::BadSignature)?;
        // Both halves are always checked so the refusal can name the broken one.
        let ml_ok = ml.verify(&m, composite::LABEL, ml_sig).is_ok();
        let ed_pk = &self.bytes[composite::MLDSA_PK_LEN..];
        let ed_ok = aws_sig::UnparsedPublicKey::new(&aws_sig::ED25519, ed_pk)
            .verify(&m, ed_sig)
            .is_ok();
        match (ml_ok, ed_ok) {
            (true, true) => Ok(()),
            (false, true) => Err(TokenRejection::CompositeMlDsaInvalid),
            (true, false) => Err(TokenRejection::CompositeEd25519Invalid),
            (false, false) => Err(TokenRejection::BadSignature),
        }
    }

    /// The public JWK members that define the key (RFC 7638 required members).
    fn required_members(&self) -> Value {
        match self.alg.key_type() {
            KeyType::Rsa => {
                json!({"e": B64.encode(&self.rsa_e), "kty": "RSA", "n": B64.encode(&self.rsa_n)})
            }
            KeyType::Okp => json!({"crv": "Ed25519", "kty": "OKP", "x": B64.encode(&self.bytes)}),
            KeyType::Akp => {
                json!({"alg": self.alg.as_str(), "kty": "AKP", "pub": B64.encode(&self.bytes)})
            }
        }
    }

    /// RFC 7638 JWK thumbprint (SHA-256, base64url); used as the `kid`.
    pub fn thumbprint(&self) -> String {
        let canonical = crate::canonical_json::to_string(&self.required_members());
        B64.encode(cretoai_crypto::hash::sha256(canonical.as_bytes()))
    }

    /// The public JWK with `kid`, `alg` and `use`.
    pub fn jwk(&self, kid: &str) -> Value {
        let mut jwk = self.required_members();
        let obj = jwk.as_object_mut().expect("JWK is an object");
        obj.insert("kid".into(), json!(kid));
        obj.insert("alg".into(), json!(self.alg.as_str()));
        obj.insert("use".into(), json!("sig"));
        jwk
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_signs_and_verifies_and_rejects_tampering() {
        for alg in Algorithm::ALL {
            let kp = KeyPair::generate(alg, 2048).unwrap();
            let msg = b"header.payload";
            let sig = kp.sign(Backend::AwsLc, msg).unwrap();
            kp.public_key().verify(Backend::AwsLc, msg, &sig).unwrap();
            assert_eq!(
                kp.public_key()
                    .verify(Backend::AwsLc, b"header.payloaX", &sig),
                Err(TokenRejection::BadSignature),
                "{alg}"
            );
            let reloaded = KeyPair::from_material(alg, kp.material()).unwrap();
            assert_eq!(reloaded.public_key().as_bytes(), kp.public_key().as_bytes());
            assert_eq!(
                reloaded.public_key().thumbprint(),
                kp.public_key().thumbprint()
            );
        }
    }

    #[test]
    fn classical_backends_cross_verify() {
        for alg in [Algorithm::Rs256, Algorithm::Ps256, Algorithm::EdDsa] {
            let kp = KeyPair::generate(alg, 2048).unwrap();
            let msg = b"cross-backend";
            for (signer, verifier) in [
                (Backend::AwsLc, Backend::RustCrypto),
                (Backend::RustCrypto, Backend::AwsLc),
            ] {
                let sig = kp.sign(signer, msg).unwrap();
                kp.public_key()
                    .verify(verifier, msg, &sig)
                    .unwrap_or_else(|e| {
                        panic!("{alg}: signed by {signer:?}, refused by {verifier:?}: {e:?}")
                    });
            }
        }
    }

    #[test]
    fn composite_names_the_broken_half() {
        let kp = KeyPair::generate(Algorithm::MlDsa65Ed25519, 0).unwrap();
        let msg = b"m";
        let sig = kp.sign(Backend::AwsLc, msg).unwrap();
        assert_eq!(sig.len(), composite::SIG_LEN);
        let mut bad_ml = sig.clone();
        bad_ml[10] ^= 1;
        assert_eq!(
            kp.public_key().verify(Backend::AwsLc, msg, &bad_ml),
            Err(TokenRejection::CompositeMlDsaInvalid)
        );
        let mut bad_ed = sig.clone();
        bad_ed[composite::MLDSA_SIG_LEN + 5] ^= 1;
        assert_eq!(
            kp.public_key().verify(Backend::AwsLc, msg, &bad_ed),
            Err(TokenRejection::CompositeEd25519Invalid)
        );
        // The ML-DSA half was made over M' with the label as context, not over M.
        let (ml_pk, _) = composite::split_public_key(kp.public_key().as_bytes()).unwrap();
        let ml = ml_dsa::VerifyingKey::from_bytes(ml_dsa::MlDsaLevel::MlDsa65, ml_pk).unwrap();
        let m = composite::message_representative(msg, b"").unwrap();
        ml.verify(&m, composite::LABEL, &sig[..composite::MLDSA_SIG_LEN])
            .unwrap();
        assert!(ml
            .verify(msg, b"", &sig[..composite::MLDSA_SIG_LEN])
            .is_err());
    }
}
