//! Transactions signed before the clock starts, kept only as ready-made batch request bodies
//! plus the ids of a sample (whose finality is read back after the run).
//!
//! Each signing thread encodes its batches as it goes and drops the transactions, so a long
//! run holds one copy of every transaction (its binary frame, ~5.4 KB for ML-DSA-65) instead
//! of two: 1.2 million ML-DSA-65 transactions (a 10-minute soak at 2,000 tx/s) take ~6.5 GB.

use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
use cretoai_types::{tx_frames, Limits, Transaction};
use std::time::{Duration, Instant};

/// The signed work of a run.
pub struct Presigned {
    /// Batch request bodies (`application/octet-stream` frames), in submission order.
    pub bodies: Vec<Vec<u8>>,
    /// Transactions in each batch (the last may hold fewer).
    pub batch: usize,
    /// Transactions in all.
    pub transactions: usize,
    /// `(batch index, transaction id in hex)` of every sampled transaction.
    pub sampled: Vec<(usize, String)>,
    /// One transaction, kept to time its signature verification.
    pub first: Transaction,
}

/// Signs `n` transactions (at least one) in batches of `batch` over `threads` threads, one
/// sender key per thread with consecutive nonces, and samples about `sample` of them evenly.
pub fn presign(
    n: usize,
    batch: usize,
    level: MlDsaLevel,
    threads: usize,
    sample: usize,
) -> Presigned {
    let n = n.max(1);
    let batch = batch.max(1);
    let batches = n.div_ceil(batch);
    let threads = threads.clamp(1, batches);
    let per_thread = batches.div_ceil(threads);
    let step = (n / sample.max(1)).max(1);
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            std::thread::spawn(move || {
                let key = SigningKey::generate(level).expect("key generation");
                let limits = Limits::default();
                let (mut bodies, mut sampled, mut first) = (Vec::new(), Vec::new(), None);
                let mut nonce = 0u64;
                for b in t * per_thread..((t + 1) * per_thread).min(batches) {
                    let range = b * batch..((b + 1) * batch).min(n);
                    let txs: Vec<Transaction> = range
                        .clone()
                        .map(|i| {
                            nonce += 1;
                            let payload = format!("bench transfer {t}/{i}").into_bytes();
                            Transaction::sign(&key, nonce, payload, &limits).expect("sign")
                        })
                        .collect();
                    for (i, tx) in range.zip(&txs) {
                        if i % step == 0 {
                            sampled.push((b, hex::encode(tx.id().0)));
                        }
                    }
                    bodies.push(tx_frames::encode(&txs));
                    if first.is_none() {
                        first = txs.into_iter().next();
                    }
                }
                (bodies, sampled, first)
            })
        })
        .collect();
    let (mut bodies, mut sampled, mut first) = (Vec::new(), Vec::new(), None);
    for h in handles {
        let (b, s, f) = h.join().expect("signing thread");
        bodies.extend(b);
        sampled.extend(s);
        first = first.or(f);
    }
    Presigned {
        bodies,
        batch,
        transactions: n,
        sampled,
        first: first.expect("at least one transaction"),
    }
}

/// Median single-thread time to verify `tx`'s signature, microseconds: with the sender key
/// prepared once (`prepared`, what a node does for a sender it has met) or parsed each time.
pub fn verify_micros(tx: &Transaction, prepared: bool) -> f64 {
    let key = tx
        .prepared_sender_key()
        .expect("a pre-signed transaction has a valid key");
    let mut samples = Vec::new();
    for _ in 0..7 {
        let start = Instant::now();
        let mut n = 0u32;
        while start.elapsed() < Duration::from_millis(150) {
            let verdict = if prepared {
                tx.verify_signature_with(&key)
            } else {
                tx.verify_signature()
            };
            verdict.expect("valid");
            n += 1;
        }
        samples.push(start.elapsed().as_secs_f64() * 1e6 / f64::from(n));
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_hold_every_transaction_once_and_the_sample_is_even() {
        let p = presign(25, 10, MlDsaLevel::MlDsa44, 2, 5);
        assert_eq!(p.transactions, 25);
        assert_eq!(p.bodies.len(), 3);
        let decoded: Vec<Vec<Transaction>> = p
            .bodies
            .iter()
            .map(|b| {
                tx_frames::split(b)
                    .map(|f| Transaction::decode(f.unwrap(), &Limits::default()).unwrap())
                    .collect()
            })
            .collect();
        assert_eq!(
            decoded.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![10, 10, 5]
        );
        let mut ids: Vec<String> = decoded
            .iter()
            .flatten()
            .map(|t| hex::encode(t.id().0))
            .collect();
        // Every sampled id is in the batch it is filed under.
        for (b, id) in &p.sampled {
            assert!(decoded[*b].iter().any(|t| &hex::encode(t.id().0) == id));
        }
        assert_eq!(p.sampled.len(), 5);
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 25);
        p.first.verify_signature().unwrap();
    }
}
