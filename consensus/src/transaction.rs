//! Transactions: an ML-DSA-signed (sender, nonce, payload); two different transactions with the
//! same sender and nonce conflict.

use crate::encoding::{Reader, Writer};
use crate::error::{ConsensusError, Result};
use crate::params::Limits;
use cretoai_crypto::hash::sha256;
use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey, VerifyingKey};
use std::fmt;

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

pub(crate) fn short_hex(b: &[u8; 32]) -> String {
    b[..6].iter().map(|x| format!("{x:02x}")).collect()
}

/// What makes two transactions conflict: the SHA-256 of the sender's public key, and the nonce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConflictKey {
    /// SHA-256 of the sender's encoded public key.
    pub sender: [u8; 32],
    /// The sender's nonce.
    pub nonce: u64,
}

/// A signed transaction.
#[derive(Clone, PartialEq, Eq)]
pub struct Transaction {
    level: MlDsaLevel,
    sender: Vec<u8>,
    nonce: u64,
    payload: Vec<u8>,
    signature: Vec<u8>,
    id: TxId,
    encoded_len: usize,
}

impl fmt::Debug for Transaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Transaction({:?}, nonce {})", self.id, self.nonce)
    }
}

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
        _ => Err(ConsensusError::InvalidField("transaction signature level")),
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
            return Err(ConsensusError::Oversize {
                field: "payload",
                len: payload.len(),
                max: limits.max_payload,
            });
        }
        let level = key.level();
        let sender = key.verifying_key().as_bytes().to_vec();
        let body = unsigned_body(level, &sender, nonce, &payload);
        let signature = key.sign(&body, TX_CONTEXT)?;
        Ok(Self {
            level,
            sender,
            nonce,
            payload,
            id: TxId(sha256(&body)),
            encoded_len: body.len() + signature.len(),
            signature,
        })
    }

    /// The canonical encoding: `version | level | sender key | nonce | payload | signature`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = unsigned_body(self.level, &self.sender, self.nonce, &self.payload);
        out.extend_from_slice(&self.signature);
        out
    }

    /// Decodes a canonical transaction, rejecting unknown versions, oversize payloads and
    /// trailing bytes. The signature is not checked here (see [`Transaction::verify_signature`]).
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let tx = Self::read(&mut r, limits)?;
        r.finish()?;
        Ok(tx)
    }

    pub(crate) fn read(r: &mut Reader<'_>, limits: &Limits) -> Result<Self> {
        let start = r.position();
        let version = r.u8("transaction version")?;
        if version != TX_VERSION {
            return Err(ConsensusError::UnsupportedVersion(version));
        }
        let level = level_from_code(r.u8("transaction level")?)?;
        let sender = r
            .take(level.public_key_len(), "transaction sender")?
            .to_vec();
        let nonce = r.u64("transaction nonce")?;
        let payload = r
            .bytes32(limits.max_payload.min(MAX_PAYLOAD), "payload")?
            .to_vec();
        let id = TxId(sha256(r.since(start)));
        let signature = r
            .take(level.signature_len(), "transaction signature")?
            .to_vec();
        Ok(Self {
            level,
            sender,
            nonce,
            payload,
            signature,
            id,
            encoded_len: r.position() - start,
        })
    }

    /// Checks the ML-DSA signature against the sender key.
    pub fn verify_signature(&self) -> Result<()> {
        let body = unsigned_body(self.level, &self.sender, self.nonce, &self.payload);
        let key = VerifyingKey::from_bytes(self.level, &self.sender)?;
        key.verify(&body, TX_CONTEXT, &self.signature)
            .map_err(|_| ConsensusError::BadSignature("transaction"))
    }

    /// The identifier.
    pub fn id(&self) -> TxId {
        self.id
    }
    /// The key under which conflicting transactions meet.
    pub fn conflict_key(&self) -> ConflictKey {
        ConflictKey {
            sender: sha256(&self.sender),
            nonce: self.nonce,
        }
    }
    /// The sender's ML-DSA parameter set.
    pub fn level(&self) -> MlDsaLevel {
        self.level
    }
    /// The sender's encoded ML-DSA public key.
    pub fn sender(&self) -> &[u8] {
        &self.sender
    }
    /// The nonce.
    pub fn nonce(&self) -> u64 {
        self.nonce
    }
    /// The application payload.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }
    /// Length of the canonical encoding in bytes.
    pub fn encoded_len(&self) -> usize {
        self.encoded_len
    }
}
