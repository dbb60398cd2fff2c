//! Prepared verifying keys of recent transaction senders.
//!
//! Every transaction carries its sender's full ML-DSA public key, and verifying it from scratch
//! parses that key and hashes all of it (FIPS 204's `tr`), then hashes it again as the start of
//! the signed body. Agents sign many transactions with one key, so the verifier keeps the
//! prepared form of the keys it met recently ([`Transaction::prepared_sender_key`]: both hashes
//! of the key done once), keyed by the SHA-256 of the encoded key that the transaction already
//! holds (its conflict key's sender).

use cretoai_consensus::Transaction;
use cretoai_crypto::ml_dsa::PreparedVerifyingKey;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Keys per generation. Two generations are kept, as for verified ids: when the current one
/// fills up it becomes the previous one and the oldest is dropped. A forgotten key only costs
/// preparing it again; memory stays under 2 x 512 keys (~3 MB with ML-DSA-87 keys).
pub(super) const GENERATION: usize = 512;

/// Recently met sender keys, prepared.
#[derive(Default)]
pub(super) struct SenderKeys {
    generations: Mutex<Generations>,
}

#[derive(Default)]
struct Generations {
    current: HashMap<[u8; 32], Arc<PreparedVerifyingKey>>,
    previous: HashMap<[u8; 32], Arc<PreparedVerifyingKey>>,
}

impl SenderKeys {
    /// Whether `tx` carries a valid signature by its sender.
    pub(super) fn verify(&self, tx: &Transaction) -> bool {
        match self.prepared(tx) {
            Some(key) => tx.verify_signature_with(&key).is_ok(),
            None => false,
        }
    }

    /// The sender's prepared key, from the cache or prepared now; `None` if the transaction's
    /// key does not parse.
    fn prepared(&self, tx: &Transaction) -> Option<Arc<PreparedVerifyingKey>> {
        let sender = tx.conflict_key().sender;
        if let Some(key) = self.get(&sender) {
            return Some(key);
        }
        let key = Arc::new(tx.prepared_sender_key().ok()?);
        self.insert(sender, key.clone());
        Some(key)
    }

    fn get(&self, sender: &[u8; 32]) -> Option<Arc<PreparedVerifyingKey>> {
        let g = self.lock();
        g.current
            .get(sender)
            .or_else(|| g.previous.get(sender))
            .cloned()
    }

    fn insert(&self, sender: [u8; 32], key: Arc<PreparedVerifyingKey>) {
        let mut g = self.lock();
        if g.current.len() >= GENERATION {
            g.previous = std::mem::take(&mut g.current);
        }
        g.current.insert(sender, key);
    }

    /// Keys held, both generations.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        let g = self.lock();
        g.current.len() + g.previous.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generations> {
        // Each statement leaves the maps consistent, so a poisoned lock is still usable.
        self.generations.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cretoai_consensus::Limits;
    use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};

    fn tx(key: &SigningKey, nonce: u64) -> Transaction {
        Transaction::sign(key, nonce, vec![1, 2, 3], &Limits::default()).unwrap()
    }

    fn forge(tx: &Transaction) -> Transaction {
        let mut bytes = tx.encode();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        Transaction::decode(&bytes, &Limits::default()).unwrap()
    }

    #[test]
    fn a_cached_key_still_checks_every_signature() {
        let keys = SenderKeys::default();
        let alice = SigningKey::generate(MlDsaLevel::MlDsa65).unwrap();
        let good = tx(&alice, 0);
        assert!(keys.verify(&good));
        assert_eq!(keys.len(), 1);
        // The key is now cached: a forged signature by the same sender must still fail,
        // and a good one pass.
        assert!(!keys.verify(&forge(&tx(&alice, 1))));
        assert!(keys.verify(&tx(&alice, 2)));
        assert_eq!(keys.len(), 1, "one sender, one key");
        // Another sender at another level gets its own key.
        let bob = SigningKey::generate(MlDsaLevel::MlDsa44).unwrap();
        assert!(keys.verify(&tx(&bob, 0)));
        assert!(!keys.verify(&forge(&tx(&bob, 1))));
        assert_eq!(keys.len(), 2);
    }

    #[test]
    fn a_key_prepared_for_another_sender_is_refused() {
        let alice = SigningKey::generate(MlDsaLevel::MlDsa44).unwrap();
        let bob = SigningKey::generate(MlDsaLevel::MlDsa44).unwrap();
        for bobs_key in [
            bob.verifying_key().prepare().unwrap(),
            tx(&bob, 0).prepared_sender_key().unwrap(),
        ] {
            assert!(tx(&alice, 0).verify_signature_with(&bobs_key).is_err());
            assert!(tx(&bob, 1).verify_signature_with(&bobs_key).is_ok());
            assert!(forge(&tx(&bob, 2))
                .verify_signature_with(&bobs_key)
                .is_err());
        }
    }

    #[test]
    fn held_keys_stay_bounded() {
        let keys = SenderKeys::default();
        let key = Arc::new(
            SigningKey::generate(MlDsaLevel::MlDsa44)
                .unwrap()
                .verifying_key()
                .prepare()
                .unwrap(),
        );
        for n in 0..(3 * GENERATION + 5) as u32 {
            let mut sender = [0u8; 32];
            sender[..4].copy_from_slice(&n.to_be_bytes());
            keys.insert(sender, key.clone());
        }
        assert!(keys.len() <= 2 * GENERATION);
        let newest = ((3 * GENERATION + 4) as u32).to_be_bytes();
        let mut sender = [0u8; 32];
        sender[..4].copy_from_slice(&newest);
        assert!(keys.get(&sender).is_some());
        assert!(keys.get(&[0; 32]).is_none(), "the oldest are forgotten");
    }
}
