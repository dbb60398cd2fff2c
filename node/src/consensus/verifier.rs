//! The transaction verification pool: ML-DSA signatures of vertices and of the transactions
//! they carry are checked on the crypto pool (every core) before the core sees them, so the
//! core runs with `SignatureCheck::Trusted` and its actor never does crypto.
//!
//! A transaction verified once (submitted here, or in an earlier vertex) is not verified again:
//! its id covers every signed byte, so a second copy with another signature proves nothing new.

use super::sender_keys::SenderKeys;
use crate::crypto_pool::CryptoPool;
use cretoai_consensus::{Transaction, TxId, ValidatorSet, Vertex};
use futures_util::future::join_all;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// Verified ids per generation. Two generations are kept: when the current one fills up it
/// becomes the previous one and the oldest is dropped. The copies this saves work on are
/// recent (a transaction submitted here coming back in a peer's vertex, a re-issued
/// transaction), so forgetting old ids only ever costs a re-verification; memory stays under
/// about 2 x 65,536 ids (a few MB).
const SEEN_GENERATION: usize = 65_536;

/// Recently verified transaction ids, in two generations.
#[derive(Default)]
struct Seen {
    current: HashSet<TxId>,
    previous: HashSet<TxId>,
}

/// Verifies signatures on the pool and remembers which transactions are already proven.
#[derive(Clone)]
pub struct Verifier {
    pool: CryptoPool,
    threads: usize,
    seen: Arc<Mutex<Seen>>,
    /// Prepared keys of recent senders (checking a signature still happens every time).
    keys: Arc<SenderKeys>,
}

impl Verifier {
    /// A verifier spreading work over `threads` pool workers.
    pub fn new(pool: CryptoPool, threads: usize) -> Self {
        Verifier {
            pool,
            threads: threads.max(1),
            seen: Arc::default(),
            keys: Arc::default(),
        }
    }

    /// Records transactions whose signatures were checked (or made) elsewhere.
    pub fn mark(&self, ids: impl IntoIterator<Item = TxId>) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        for id in ids {
            if seen.current.len() >= SEEN_GENERATION {
                seen.previous = std::mem::take(&mut seen.current);
            }
            seen.current.insert(id);
        }
    }

    fn is_known(&self, id: &TxId) -> bool {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.current.contains(id) || seen.previous.contains(id)
    }

    /// Verifies client transactions, in parallel chunks; one verdict per transaction.
    pub async fn transactions(&self, txs: Arc<Vec<Transaction>>) -> Vec<bool> {
        let all: Vec<usize> = (0..txs.len()).collect();
        let keys = self.keys.clone();
        let verdicts = self.chunks(all, move |i| keys.verify(&txs[i])).await;
        verdicts.into_iter().map(|(_, ok)| ok).collect()
    }

    /// Whether `vertex` is signed by its author (a validator) and every transaction in it by
    /// its sender.
    pub async fn vertex(&self, vertex: Arc<Vertex>, validators: Arc<ValidatorSet>) -> bool {
        let unknown: Vec<usize> = (0..vertex.txs().len())
            .filter(|&i| !self.is_known(&vertex.txs()[i].id()))
            .collect();
        let v = vertex.clone();
        let own = self
            .pool
            .run(move || v.verify_signatures(&validators, false).is_ok());
        let v = vertex.clone();
        let keys = self.keys.clone();
        let txs = self.chunks(unknown, move |i| keys.verify(&v.txs()[i]));
        let (own, txs) = futures_util::join!(own, txs);
        let ok = own.unwrap_or(false) && txs.iter().all(|(_, ok)| *ok);
        if ok {
            self.mark(vertex.txs().iter().map(Transaction::id));
        }
        ok
    }

    /// Runs `check` over `items` split into one chunk per pool thread; returns `(item, verdict)`.
    async fn chunks<F>(&self, items: Vec<usize>, check: F) -> Vec<(usize, bool)>
    where
        F: Fn(usize) -> bool + Send + Sync + 'static,
    {
        if items.is_empty() {
            return Vec::new();
        }
        let check = Arc::new(check);
        let size = items.len().div_ceil(self.threads);
        let jobs = items.chunks(size).map(|chunk| {
            let chunk = chunk.to_vec();
            let failed: Vec<(usize, bool)> = chunk.iter().map(|&i| (i, false)).collect();
            let check = check.clone();
            async move {
                let run = self
                    .pool
                    .run(move || chunk.into_iter().map(|i| (i, check(i))).collect::<Vec<_>>());
                run.await.unwrap_or(failed)
            }
        });
        let mut out: Vec<(usize, bool)> = join_all(jobs).await.into_iter().flatten().collect();
        out.sort_unstable_by_key(|(i, _)| *i);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cretoai_consensus::{Limits, Validator};
    use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};

    #[actix_rt::test]
    async fn remembered_ids_stay_bounded() {
        let verifier = Verifier::new(CryptoPool::start(1), 1);
        let id = |n: u32| {
            let mut b = [0u8; 32];
            b[..4].copy_from_slice(&n.to_be_bytes());
            TxId(b)
        };
        let total = SEEN_GENERATION as u32 * 3 + 7;
        verifier.mark((0..total).map(id));
        let seen = verifier.seen.lock().unwrap();
        assert!(seen.current.len() + seen.previous.len() <= 2 * SEEN_GENERATION);
        drop(seen);
        assert!(
            verifier.is_known(&id(total - 1)),
            "the newest are remembered"
        );
        assert!(verifier.is_known(&id(total - SEEN_GENERATION as u32)));
        assert!(!verifier.is_known(&id(0)), "the oldest are forgotten");
    }

    #[actix_rt::test]
    async fn good_vertices_pass_and_forged_transactions_fail() {
        let limits = Limits::default();
        let author = SigningKey::generate(MlDsaLevel::MlDsa65).unwrap();
        let sender = SigningKey::generate(MlDsaLevel::MlDsa44).unwrap();
        let validators = Arc::new(
            ValidatorSet::new(vec![Validator::new(author.verifying_key().clone(), 1)]).unwrap(),
        );
        let txs: Vec<Transaction> = (0..5)
            .map(|n| Transaction::sign(&sender, n, vec![n as u8], &limits).unwrap())
            .collect();
        let verifier = Verifier::new(CryptoPool::start(2), 2);
        let v = Arc::new(Vertex::sign(&author, 0, 1, vec![], txs.clone(), &limits).unwrap());
        assert!(verifier.vertex(v, validators.clone()).await);

        // Flip a byte of one transaction's signature (the last byte of its encoding).
        let mut bytes = txs[2].encode();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let forged = Transaction::decode(&bytes, &limits).unwrap();
        let fresh = Verifier::new(CryptoPool::start(2), 2);
        let verdicts = fresh
            .transactions(Arc::new(vec![txs[0].clone(), forged.clone()]))
            .await;
        assert_eq!(verdicts, vec![true, false]);
        let v = Arc::new(Vertex::sign(&author, 0, 1, vec![], vec![forged], &limits).unwrap());
        assert!(!fresh.vertex(v, validators).await);
    }
}
