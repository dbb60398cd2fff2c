//! Vertices: an author's signed batch of transactions linked to earlier vertices.

use crate::error::{ConsensusError, Result};
use crate::validator::ValidatorSet;
use cretoai_crypto::hash::sha256;
use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
use cretoai_types::encoding::{bounded, Reader, Writer};
use cretoai_types::{short_hex, Limits, NodeId, Transaction};
use std::collections::HashSet;
use std::fmt;

/// Version byte of the vertex encoding.
pub const VERTEX_VERSION: u8 = 1;
/// Hard cap on parents that no configuration may exceed.
pub const MAX_PARENTS: usize = 64;
/// Hard cap on transactions per vertex that no configuration may exceed.
pub const MAX_TXS: usize = 4096;
/// ML-DSA context string of vertex signatures.
pub const VERTEX_CONTEXT: &[u8] = b"cretoai/consensus/vertex/v1";

/// Vertex identifier: SHA-256 of the signed header (the vertex with its transactions by id
/// and no signatures), so the id never depends on randomized signature bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VertexId(pub [u8; 32]);

impl fmt::Debug for VertexId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vx:{}", short_hex(&self.0))
    }
}

/// A signed vertex of the DAG.
#[derive(Clone, PartialEq, Eq)]
pub struct Vertex {
    author: NodeId,
    round: u64,
    timestamp_ms: u64,
    parents: Vec<VertexId>,
    txs: Vec<Transaction>,
    signature: Vec<u8>,
    id: VertexId,
}

impl fmt::Debug for Vertex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Vertex({:?} by {:?} round {}, {} parents, {} txs)",
            self.id,
            self.author,
            self.round,
            self.parents.len(),
            self.txs.len()
        )
    }
}

/// The fields that the encoding and the header share, in their common order.
fn write_common(
    w: &mut Writer,
    author: &NodeId,
    round: u64,
    timestamp_ms: u64,
    parents: &[VertexId],
) {
    w.u8(VERTEX_VERSION);
    w.raw(&author.0);
    w.u64(round);
    w.u64(timestamp_ms);
    w.u16(parents.len() as u16);
    for p in parents {
        w.raw(&p.0);
    }
}

/// The signed header: every field, with transactions by id. Id and signature cover it, so
/// neither depends on the (randomized) bytes of any ML-DSA signature.
fn header(
    author: &NodeId,
    round: u64,
    timestamp_ms: u64,
    parents: &[VertexId],
    txs: &[Transaction],
) -> Vec<u8> {
    let mut w = Writer::with_capacity(64 + 32 * (parents.len() + txs.len()));
    write_common(&mut w, author, round, timestamp_ms, parents);
    w.u32(txs.len() as u32);
    for t in txs {
        w.raw(&t.id().0);
    }
    w.buf
}

impl Vertex {
    /// Builds and signs a vertex. Parents are sorted into canonical order.
    pub fn sign(
        key: &SigningKey,
        round: u64,
        timestamp_ms: u64,
        mut parents: Vec<VertexId>,
        txs: Vec<Transaction>,
        limits: &Limits,
    ) -> Result<Self> {
        if key.level() != MlDsaLevel::MlDsa65 {
            return Err(cretoai_types::Error::InvalidField("vertex keys must be ML-DSA-65").into());
        }
        parents.sort_unstable();
        let author = NodeId::of_key(key.verifying_key());
        let body = header(&author, round, timestamp_ms, &parents, &txs);
        let signature = key.sign(&body, VERTEX_CONTEXT)?;
        Self::assemble(author, round, timestamp_ms, parents, txs, signature, limits)
    }

    /// The canonical encoding (see `docs/formats-consensus.md`).
    pub fn encode(&self) -> Vec<u8> {
        let size: usize = 64
            + self.parents.len() * 32
            + self.txs.iter().map(|t| t.encoded_len() + 4).sum::<usize>()
            + self.signature.len();
        let mut w = Writer::with_capacity(size);
        write_common(
            &mut w,
            &self.author,
            self.round,
            self.timestamp_ms,
            &self.parents,
        );
        w.u32(self.txs.len() as u32);
        for t in &self.txs {
            w.bytes32(t.as_bytes());
        }
        w.raw(&self.signature);
        w.buf
    }

    /// Decodes and structurally validates a vertex. Signatures are not checked here.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let version = r.u8("vertex version")?;
        if version != VERTEX_VERSION {
            return Err(ConsensusError::Encoding(
                cretoai_types::Error::UnsupportedVersion(version),
            ));
        }
        let author = NodeId(r.array("vertex author")?);
        let round = r.u64("vertex round")?;
        let timestamp_ms = r.u64("vertex timestamp")?;
        let n_parents = bounded(
            r.u16("parent count")? as usize,
            limits.max_parents,
            "parents",
        )?;
        let mut parents = Vec::with_capacity(n_parents);
        for _ in 0..n_parents {
            parents.push(VertexId(r.array("parent id")?));
        }
        let n_txs = bounded(
            r.u32("tx count")? as usize,
            limits.max_txs_per_vertex,
            "transactions",
        )?;
        let mut txs = Vec::with_capacity(n_txs);
        for _ in 0..n_txs {
            let len = r.u32("tx length")? as usize;
            let tx_bytes = r.take(len, "transaction")?;
            txs.push(Transaction::decode(tx_bytes, limits)?);
        }
        let signature = r
            .take(MlDsaLevel::MlDsa65.signature_len(), "vertex signature")?
            .to_vec();
        r.finish()?;
        Self::assemble(author, round, timestamp_ms, parents, txs, signature, limits)
    }

    /// Computes the id from the header and checks the stateless rules.
    fn assemble(
        author: NodeId,
        round: u64,
        timestamp_ms: u64,
        parents: Vec<VertexId>,
        txs: Vec<Transaction>,
        signature: Vec<u8>,
        limits: &Limits,
    ) -> Result<Self> {
        let id = VertexId(sha256(&header(
            &author,
            round,
            timestamp_ms,
            &parents,
            &txs,
        )));
        let v = Self {
            author,
            round,
            timestamp_ms,
            parents,
            txs,
            signature,
            id,
        };
        v.check_structure(limits)?;
        Ok(v)
    }

    /// Rules that need no DAG: bounds, canonical parent order, a parent for every round after
    /// the first, no duplicate or conflicting transactions.
    pub fn check_structure(&self, limits: &Limits) -> Result<()> {
        bounded(self.parents.len(), limits.max_parents, "parents")?;
        bounded(self.txs.len(), limits.max_txs_per_vertex, "transactions")?;
        if !self.parents.windows(2).all(|w| w[0] < w[1]) {
            return Err(ConsensusError::InvalidParents("not sorted or duplicated"));
        }
        if self.round > 0 && self.parents.is_empty() {
            return Err(ConsensusError::InvalidParents("no parents after round 0"));
        }
        let mut ids = HashSet::with_capacity(self.txs.len());
        let mut keys = HashSet::with_capacity(self.txs.len());
        for t in &self.txs {
            bounded(t.payload().len(), limits.max_payload, "payload")?;
            if !ids.insert(t.id()) || !keys.insert(t.conflict_key()) {
                return Err(ConsensusError::ConflictingTransactions);
            }
        }
        Ok(())
    }

    /// Checks the author's signature and, if `with_txs`, every transaction's signature.
    /// Fails with [`ConsensusError::AuthorKeyUnknown`] while the author's key is not known.
    pub fn verify_signatures(&self, validators: &ValidatorSet, with_txs: bool) -> Result<()> {
        let key = validators.author_key(&self.author)?;
        let body = header(
            &self.author,
            self.round,
            self.timestamp_ms,
            &self.parents,
            &self.txs,
        );
        key.verify(&body, VERTEX_CONTEXT, &self.signature)
            .map_err(|_| ConsensusError::Encoding(cretoai_types::Error::BadSignature("vertex")))?;
        if with_txs {
            for t in &self.txs {
                t.verify_signature()?;
            }
        }
        Ok(())
    }

    /// The identifier.
    pub fn id(&self) -> VertexId {
        self.id
    }
    /// The same id, author, round and timestamp without parents, transactions or signature:
    /// the stub a node keeps of a pruned vertex. Never valid on the wire (crate-internal).
    pub(crate) fn header_only(&self) -> Vertex {
        Vertex {
            author: self.author,
            round: self.round,
            timestamp_ms: self.timestamp_ms,
            parents: Vec::new(),
            txs: Vec::new(),
            signature: Vec::new(),
            id: self.id,
        }
    }
    /// The author.
    pub fn author(&self) -> NodeId {
        self.author
    }
    /// The author's round (strictly increasing per author).
    pub fn round(&self) -> u64 {
        self.round
    }
    /// The author's clock when it signed, in milliseconds.
    pub fn timestamp_ms(&self) -> u64 {
        self.timestamp_ms
    }
    /// Parent ids in canonical (ascending) order.
    pub fn parents(&self) -> &[VertexId] {
        &self.parents
    }
    /// The batch of transactions.
    pub fn txs(&self) -> &[Transaction] {
        &self.txs
    }
    /// The author's ML-DSA-65 signature.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
}
