//! Transactions: an ML-DSA-signed (sender, nonce, payload); two different transactions with the
//! same sender and nonce conflict.

use crate::encoding::{Reader, Writer};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::short_hex;
use cretoai_crypto::hash::sha256;
use cretoai_crypto::ml_dsa::{MlDsaLevel, PreparedVerifyingKey, SigningKey, VerifyingKey};
use std::fmt;
use std::sync::Arc;

/// Version byte of the transaction encoding.
pub const TX_VERSION: u8 = 1;
/// Hard cap on payload size that no configuration may exceed.
pub const MAX_PAYLOAD: usize = 1024 * 1024;
/// ML-DSA context string of transaction signatures.
pub const TX_CONTEXT: &[u8] = b"cretoai/consensus/tx/v1";

/// Transaction identifier: SHA-256 of the unsigned canonical encoding, so that a signature
/// cannot change the identity of a transaction.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TxId(pub [u8; 32]);

impl fmt::Debug for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tx:{}", short_hex(&self.0))
    }
}

/// What makes two transactions conflict: the SHA-256 of the sender's public key, and the nonce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConflictKey {
    /// SHA-256 of the sender's encoded public key.
    pub sender: [u8; 32],
    /// The sender's nonce.
    pub nonce: u64,
}

/// A signed transaction. Cloning is cheap: the canonical encoding is shared, so the copies a
/// transaction makes on its way (pending list, vertex batch, persisted record, network frame)
/// never copy its several kilobytes of key and signature.
#[derive(Clone)]
pub struct Transaction {
    inner: Arc<Inner>,
}

/// The canonical encoding and what is derived from it once.
struct Inner {
    level: MlDsaLevel,
    nonce: u64,
    /// `version | level | sender key | nonce | payload | signature`.
    bytes: Vec<u8>,
    /// Where the payload lies in `bytes`.
    payload: std::ops::Range<usize>,
    /// Where the signature starts: everything before it is the signed body.
    signature_at: usize,
    id: TxId,
    /// SHA-256 of the sender key (conflict detection asks for it at every sighting).
    sender_hash: [u8; 32],
}

impl PartialEq for Transaction {
    fn eq(&self, other: &Self) -> bool {
        // The canonical encoding determines every field.
        self.inner.bytes == other.inner.bytes
    }
}
impl Eq for Transaction {}

impl fmt::Debug for Transaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Transaction({:?}, nonce {})", self.id(), self.nonce())
    }
}

/// Offset of the sender key in the encoding (after version and level).
const SENDER_AT: usize = 2;

fn level_code(level: MlDsaLevel) -> u8 {
    match level {
        MlDsaLevel::MlDsa44 => 1,
        MlDsaLevel::MlDsa65 => 2,
        MlDsaLevel::MlDsa87 => 3,
    }
}

fn level_from_code(code: u8) -> Result<MlDsaLevel> {
    match code {
        1 => Ok(MlDsaLevel::MlDsa44),
        2 => Ok(MlDsaLevel::MlDsa65),
        3 => Ok(MlDsaLevel::MlDsa87),
        _ => Err(Error::InvalidField("transaction signature level")),
    }
}

fn unsigned_body(level: MlDsaLevel, sender: &[u8], nonce: u64, payload: &[u8]) -> Vec<u8> {
    let mut w = Writer::with_capacity(16 + sender.len() + payload.len());
    w.u8(TX_VERSION);
    w.u8(level_code(level));
    w.raw(sender);
    w.u64(nonce);
    w.bytes32(payload);
    w.buf
}

impl Transaction {
    /// Builds and signs a transaction with the sender's key.
    pub fn sign(key: &SigningKey, nonce: u64, payload: Vec<u8>, limits: &Limits) -> Result<Self> {
        if payload.len() > limits.max_payload {
            return Err(Error::Oversize {
                field: "payload",
                len: payload.len(),
                max: limits.max_payload,
            });
        }
        let level = key.level();
        let sender = key.verifying_key().as_bytes();
        let mut bytes = unsigned_body(level, sender, nonce, &payload);
        let signature = key.sign(&bytes, TX_CONTEXT)?;
        let signature_at = bytes.len();
        let id = TxId(sha256(&bytes));
        bytes.extend_from_slice(&signature);
        Ok(Self::from_parts(
            level,
            nonce,
            bytes,
            payload.len(),
            signature_at,
            id,
        ))
    }

    /// Wraps a canonical encoding whose layout was checked (by signing or decoding).
    fn from_parts(
        level: MlDsaLevel,
        nonce: u64,
        bytes: Vec<u8>,
        payload_len: usize,
        signature_at: usize,
        id: TxId,
    ) -> Self {
        let sender_end = SENDER_AT + level.public_key_len();
        let sender_hash = sha256(&bytes[SENDER_AT..sender_end]);
        Self {
            inner: Arc::new(Inner {
                level,
                nonce,
                payload: signature_at - payload_len..signature_at,
                signature_at,
                id,
                sender_hash,
                bytes,
            }),
        }
    }

    /// The canonical encoding: `version | level | sender key | nonce | payload | signature`.
    pub fn encode(&self) -> Vec<u8> {
        self.inner.bytes.clone()
    }

    /// The canonical encoding, borrowed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.inner.bytes
    }

    /// Decodes a canonical transaction, rejecting unknown versions, oversize payloads and
    /// trailing bytes. The signature is not checked here (see [`Transaction::verify_signature`]).
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let tx = Self::read(&mut r, limits)?;
        r.finish()?;
        Ok(tx)
    }

    fn read(r: &mut Reader<'_>, limits: &Limits) -> Result<Self> {
        let start = r.position();
        let version = r.u8("transaction version")?;
        if version != TX_VERSION {
            return Err(Error::UnsupportedVersion(version));
        }
        let level = level_from_code(r.u8("transaction level")?)?;
        r.take(level.public_key_len(), "transaction sender")?;
        let nonce = r.u64("transaction nonce")?;
        let payload_len = r
            .bytes32(limits.max_payload.min(MAX_PAYLOAD), "payload")?
            .len();
        let body = r.since(start);
        let id = TxId(sha256(body));
        let signature_at = body.len();
        r.take(level.signature_len(), "transaction signature")?;
        let bytes = r.since(start).to_vec();
        Ok(Self::from_parts(
            level,
            nonce,
            bytes,
            payload_len,
            signature_at,
            id,
        ))
    }

    /// Checks the ML-DSA signature against the sender key.
    pub fn verify_signature(&self) -> Result<()> {
        let key = VerifyingKey::from_bytes(self.level(), self.sender())?;
        let (body, signature) = self.signed_parts();
        key.verify(body, TX_CONTEXT, signature)
            .map_err(|_| Error::BadSignature("transaction"))
    }

    /// [`Transaction::verify_signature`] with the sender key prepared beforehand
    /// ([`VerifyingKey::prepare`], kept by verifiers that see a sender often). A `key` that is
    /// not this transaction's sender key fails like a bad signature.
    pub fn verify_signature_with(&self, key: &PreparedVerifyingKey) -> Result<()> {
        if key.key().level() != self.level() || key.key().as_bytes() != self.sender() {
            return Err(Error::BadSignature("transaction"));
        }
        let (body, signature) = self.signed_parts();
        key.verify(body, TX_CONTEXT, signature)
            .map_err(|_| Error::BadSignature("transaction"))
    }

    /// The sender's key prepared for verifying its transactions: parsed, `tr` hashed, and the
    /// signed body's fixed start (version, level, the key itself) absorbed, so that
    /// [`Transaction::verify_signature_with`] hashes only the nonce and payload of each.
    pub fn prepared_sender_key(&self) -> Result<PreparedVerifyingKey> {
        let key = VerifyingKey::from_bytes(self.level(), self.sender())?;
        let fixed = SENDER_AT + self.level().public_key_len();
        Ok(key.prepare_for(TX_CONTEXT, &self.inner.bytes[..fixed])?)
    }

    /// The signed body and the signature over it.
    fn signed_parts(&self) -> (&[u8], &[u8]) {
        self.inner.bytes.split_at(self.inner.signature_at)
    }

    /// The identifier.
    pub fn id(&self) -> TxId {
        self.inner.id
    }
    /// The key under which conflicting transactions meet.
    pub fn conflict_key(&self) -> ConflictKey {
        ConflictKey {
            sender: self.inner.sender_hash,
            nonce: self.inner.nonce,
        }
    }
    /// The sender's ML-DSA parameter set.
    pub fn level(&self) -> MlDsaLevel {
        self.inner.level
    }
    /// The sender's encoded ML-DSA public key.
    pub fn sender(&self) -> &[u8] {
        &self.inner.bytes[SENDER_AT..SENDER_AT + self.inner.level.public_key_len()]
    }
    /// The nonce.
    pub fn nonce(&self) -> u64 {
        self.inner.nonce
    }
    /// The application payload.
    pub fn payload(&self) -> &[u8] {
        &self.inner.bytes[self.inner.payload.clone()]
    }
    /// Length of the canonical encoding in bytes.
    pub fn encoded_len(&self) -> usize {
        self.inner.bytes.len()
    }
}
