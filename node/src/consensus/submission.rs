//! Consensus submission as a service, callable without HTTP: admission, signing with a named
//! key where asked, signature checks on the pool, hand-off to the core, and the counters. The
//! API parses and authorizes, then calls [`Submissions::submit`].

use super::ConsensusHandle;
use crate::crypto_pool::CryptoPool;
use crate::error::{NodeError, Result};
use crate::keys::directory::KeyDirectory;
use crate::keys::key_ring::KeyMaterial;
use crate::metrics::{CryptoOp, Metrics};
use crate::store::StoreError;
use cretoai_consensus::{ConsensusError, Transaction, TxId};
use futures_util::future::join_all;
use std::sync::Arc;

/// Why a submission, or one of its transactions, was not taken.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// Too many transactions are undecided at this node; retry after a moment.
    #[error("{undecided} transactions are undecided at this node (limit {limit}); retry later")]
    Overloaded {
        /// Undecided transactions now.
        undecided: usize,
        /// The admission bound in force.
        limit: usize,
    },
    /// The bytes are not a transaction.
    #[error("invalid transaction: {0}")]
    InvalidTransaction(#[source] ConsensusError),
    /// Item `item` of a binary batch is not a transaction.
    #[error("item {item}: invalid transaction: {source}")]
    InvalidItem {
        /// Position in the batch, from 0.
        item: usize,
        /// Why it does not decode.
        source: ConsensusError,
    },
    /// The framing of a binary batch is broken at frame `frame`; the whole batch is refused.
    #[error("binary batch: frame {frame} is malformed: {source}")]
    MalformedFrame {
        /// Position of the broken frame, from 0.
        frame: usize,
        /// What is wrong with it.
        source: ConsensusError,
    },
    /// The sender's signature does not verify.
    #[error("transaction signature is invalid")]
    BadSignature,
    /// A payload to sign here is larger than transactions may carry.
    #[error("payload exceeds {0} bytes")]
    PayloadTooLarge(usize),
    /// Building the transaction to sign here failed.
    #[error("{0}")]
    Signing(#[source] ConsensusError),
    /// The core refused the transaction (a conflicting nonce, a replay...).
    #[error("transaction refused: {0}")]
    Refused(#[source] ConsensusError),
    /// Consensus is not running (waiting for peer keys, or stopped).
    #[error("service unavailable: {0}")]
    Unavailable(&'static str),
    /// The transaction's records could not be made durable.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One item of a submission, as parsed by the caller.
pub enum Intake {
    /// A transaction's canonical bytes, signed by its sender (checked here).
    Encoded(Vec<u8>),
    /// A transaction already decoded, signed by its sender (checked here).
    Decoded(Transaction),
    /// A payload for this node to sign with its named ML-DSA key.
    Sign {
        /// Key name (the caller has checked the principal may sign with it).
        key: String,
        /// The payload.
        payload: Vec<u8>,
        /// The nonce; by default the key's next unused nonce in this node's range.
        nonce: Option<u64>,
    },
}

/// Submits transactions to this node's consensus; cheap to clone.
#[derive(Clone)]
pub struct Submissions {
    consensus: ConsensusHandle,
    keys: KeyDirectory,
    pool: CryptoPool,
    metrics: Arc<Metrics>,
}

impl Submissions {
    /// A service over this node's consensus, key directory and crypto pool.
    pub fn new(
        consensus: ConsensusHandle,
        keys: KeyDirectory,
        pool: CryptoPool,
        metrics: Arc<Metrics>,
    ) -> Self {
        Submissions {
            consensus,
            keys,
            pool,
            metrics,
        }
    }

    /// Turns items into verified transactions (signing on the pool where asked), submits the
    /// good ones in one message, and answers per item once they are durable. The whole call
    /// fails only when the node refuses the submission (overloaded) or consensus is gone; an
    /// item that failed parsing keeps its error in its slot.
    pub async fn submit(&self, items: Vec<Result<Intake>>) -> Result<Vec<Result<TxId>>> {
        // Before any signature work: a refused request should cost the node next to nothing.
        self.consensus.admit()?;
        let prepared = join_all(items.into_iter().map(|item| async move {
            match item? {
                Intake::Encoded(bytes) => Transaction::decode(&bytes, &self.consensus.limits)
                    .map(|tx| (tx, false))
                    .map_err(|e| NodeError::from(SubmitError::InvalidTransaction(e.into()))),
                Intake::Decoded(tx) => Ok((tx, false)),
                Intake::Sign {
                    key,
                    payload,
                    nonce,
                } => self.sign(key, payload, nonce).await.map(|tx| (tx, true)),
            }
        }))
        .await;
        let (slots, good) = self.verify(prepared).await;
        // When every item failed before the core there is nothing to hand over.
        let mut outcome: Vec<_> = if good.is_empty() {
            Vec::new()
        } else {
            self.consensus
                .verifier
                .mark(good.iter().map(Transaction::id));
            self.consensus
                .submit(good)
                .await?
                .into_iter()
                .map(Some)
                .collect()
        };
        Ok(slots
            .into_iter()
            .map(|s| {
                let i = s?;
                let done = outcome.get_mut(i).and_then(Option::take);
                Ok(done.ok_or(NodeError::Internal("missing submission outcome"))??)
            })
            .collect())
    }

    /// Verifies the transactions not signed here, together, spread over the pool; returns each
    /// item's index among the good transactions (or its error) and the good transactions.
    async fn verify(
        &self,
        prepared: Vec<Result<(Transaction, bool)>>,
    ) -> (Vec<Result<usize>>, Vec<Transaction>) {
        let unverified: Vec<Transaction> = prepared
            .iter()
            .filter_map(|p| match p {
                Ok((tx, false)) => Some(tx.clone()),
                _ => None,
            })
            .collect();
        let mut verdicts = self
            .consensus
            .verifier
            .transactions(Arc::new(unverified))
            .await
            .into_iter();
        let mut good = Vec::new();
        let mut slots = Vec::with_capacity(prepared.len());
        for p in prepared {
            slots.push(p.and_then(|(tx, signed_here)| {
                let ok = signed_here || verdicts.next().unwrap_or(false);
                if !signed_here {
                    self.metrics
                        .count_crypto(CryptoOp::Verify, tx.level().as_str(), ok);
                }
                if !ok {
                    return Err(SubmitError::BadSignature.into());
                }
                good.push(tx);
                Ok(good.len() - 1)
            }));
        }
        (slots, good)
    }

    /// Signs `payload` with the latest version of the named ML-DSA key, on the pool.
    async fn sign(
        &self,
        name: String,
        payload: Vec<u8>,
        nonce: Option<u64>,
    ) -> Result<Transaction> {
        let limits = self.consensus.limits;
        if payload.len() > limits.max_payload {
            return Err(SubmitError::PayloadTooLarge(limits.max_payload).into());
        }
        let key = self.keys.get(&name)?;
        key.expect_kind(false)?;
        let nonce = match nonce {
            Some(n) => n,
            None => {
                let store = self.consensus.store.clone();
                let counted = tokio::task::spawn_blocking(move || store.reserve_nonces(&name, 1))
                    .await
                    .map_err(|_| NodeError::Unavailable("blocking pool"))??;
                self.consensus.nonce_base() + counted
            }
        };
        let alg = key.key_type.as_str();
        let signed = self
            .pool
            .run(move || match &key.latest().material {
                KeyMaterial::Dsa(sk) => Transaction::sign(sk, nonce, payload, &limits)
                    .map_err(|e| NodeError::from(SubmitError::Signing(e.into()))),
                KeyMaterial::Kem(_) => Err(NodeError::Internal("kind checked above")),
            })
            .await?;
        self.metrics
            .count_crypto(CryptoOp::Sign, alg, signed.is_ok());
        signed
    }
}
