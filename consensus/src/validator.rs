//! The validator set: who may author vertices, with which key, and with what voting weight.

use crate::error::{ConsensusError, Result};
use cretoai_crypto::ml_dsa::{MlDsaLevel, VerifyingKey};
use cretoai_types::NodeId;
use rand::RngCore;
use std::collections::HashMap;

/// One member of the validator set.
#[derive(Clone)]
pub struct Validator {
    /// Its id (hash of its key, whether or not the key is known yet).
    pub id: NodeId,
    /// Its ML-DSA-65 vertex-signing key; `None` until learned ([`ValidatorSet::learn_key`]).
    /// Such a member is still sampled by id and weight (a silent one is a "no", as for any
    /// unreachable peer), but none of its vertices can be verified, so none is accepted.
    pub key: Option<VerifyingKey>,
    /// Its voting weight (stake); sampling is proportional to it.
    pub weight: u64,
}

impl Validator {
    /// A validator with the given key and weight; the id is derived from the key.
    pub fn new(key: VerifyingKey, weight: u64) -> Self {
        Self {
            id: NodeId::of_key(&key),
            key: Some(key),
            weight,
        }
    }

    /// A validator known only by its pinned id: its key is learned later.
    pub fn awaiting_key(id: NodeId, weight: u64) -> Self {
        Self {
            id,
            key: None,
            weight,
        }
    }
}

/// The fixed set of validators a node runs consensus with. Membership and weights never
/// change; keys of members may be learned after the set is built.
#[derive(Clone)]
pub struct ValidatorSet {
    members: Vec<Validator>,
    index: HashMap<NodeId, usize>,
    total_weight: u64,
}

fn check_key(id: &NodeId, key: &VerifyingKey) -> Result<()> {
    if key.level() != MlDsaLevel::MlDsa65 {
        return Err(ConsensusError::InvalidValidators("keys must be ML-DSA-65"));
    }
    if *id != NodeId::of_key(key) {
        return Err(ConsensusError::InvalidValidators("id does not match key"));
    }
    Ok(())
}

impl ValidatorSet {
    /// Builds the set, rejecting an empty set, duplicates, zero weights, non-ML-DSA-65 keys
    /// and keys that do not hash to their member's id. Members may lack keys.
    pub fn new(members: Vec<Validator>) -> Result<Self> {
        if members.is_empty() {
            return Err(ConsensusError::InvalidValidators("empty"));
        }
        let mut index = HashMap::new();
        let mut total: u64 = 0;
        for (i, v) in members.iter().enumerate() {
            if v.weight == 0 {
                return Err(ConsensusError::InvalidValidators("zero weight"));
            }
            if let Some(key) = &v.key {
                check_key(&v.id, key)?;
            }
            total = total
                .checked_add(v.weight)
                .ok_or(ConsensusError::InvalidValidators("total weight overflows"))?;
            if index.insert(v.id, i).is_some() {
                return Err(ConsensusError::InvalidValidators("duplicate validator"));
            }
        }
        Ok(Self {
            members,
            index,
            total_weight: total,
        })
    }

    /// Records the key of a member that had none. Returns whether it was new; fails if the
    /// key is not ML-DSA-65 or hashes to no member's id (the hash check is what binds a key
    /// learned over the network to the pinned id).
    pub fn learn_key(&mut self, key: VerifyingKey) -> Result<bool> {
        let id = NodeId::of_key(&key);
        check_key(&id, &key)?;
        let i = *self
            .index
            .get(&id)
            .ok_or(ConsensusError::InvalidValidators("key of no member"))?;
        let member = &mut self.members[i];
        if member.key.is_some() {
            return Ok(false);
        }
        member.key = Some(key);
        Ok(true)
    }

    /// The key of a vertex author: fails for non-members and for members whose key is not
    /// known yet.
    pub fn author_key(&self, id: &NodeId) -> Result<&VerifyingKey> {
        self.get(id)
            .ok_or(ConsensusError::UnknownAuthor)?
            .key
            .as_ref()
            .ok_or(ConsensusError::AuthorKeyUnknown)
    }

    /// Members whose key is not known yet, in configuration order.
    pub fn missing_keys(&self) -> Vec<NodeId> {
        self.members
            .iter()
            .filter(|v| v.key.is_none())
            .map(|v| v.id)
            .collect()
    }

    /// Whether the members with known keys (this node's included) hold a strict majority of
    /// the weight. A shell learns keys by reaching peers, so below it this node has reached
    /// less than a majority, and since alpha > k/2 and silent peers count "no" its polls
    /// would rarely succeed: it had better report itself inactive than take submissions it
    /// cannot decide (see `docs/cluster.md`).
    pub fn keyed_majority(&self) -> bool {
        let keyed: u64 = self
            .members
            .iter()
            .filter(|v| v.key.is_some())
            .map(|v| v.weight)
            .sum();
        keyed > self.total_weight / 2
    }

    /// The member with this id.
    pub fn get(&self, id: &NodeId) -> Option<&Validator> {
        self.index.get(id).map(|&i| &self.members[i])
    }
    /// All members, in configuration order.
    pub fn members(&self) -> &[Validator] {
        &self.members
    }
    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }
    /// Always false: a set has at least one member.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Every member but `me`, in configuration order.
    pub(crate) fn peers(&self, me: &NodeId) -> Vec<NodeId> {
        self.members
            .iter()
            .map(|v| v.id)
            .filter(|id| id != me)
            .collect()
    }

    /// Draws `draws` peers other than `me`, by weight, with replacement; returns each distinct
    /// peer with its multiplicity, in configuration order (deterministic for a given RNG).
    pub(crate) fn sample_peers(
        &self,
        me: &NodeId,
        draws: u32,
        rng: &mut impl RngCore,
    ) -> Vec<(NodeId, u32)> {
        let peers: Vec<&Validator> = self.members.iter().filter(|v| v.id != *me).collect();
        let total: u64 = peers.iter().map(|v| v.weight).sum();
        let mut counts = vec![0u32; peers.len()];
        if total == 0 {
            return Vec::new();
        }
        for _ in 0..draws {
            // Rejection sampling keeps the draw unbiased for any total.
            let zone = u64::MAX - (u64::MAX % total);
            let mut x = rng.next_u64();
            while x >= zone {
                x = rng.next_u64();
            }
            let mut point = x % total;
            for (i, v) in peers.iter().enumerate() {
                if point < v.weight {
                    counts[i] += 1;
                    break;
                }
                point -= v.weight;
            }
        }
        peers
            .iter()
            .zip(counts)
            .filter(|(_, c)| *c > 0)
            .map(|(v, c)| (v.id, c))
            .collect()
    }
}

/// How much signature checking the core does itself. The node verifies signatures on a thread
/// pool and hands the core only checked objects (`Trusted`); tests and benches choose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SignatureCheck {
    /// Verify every vertex and transaction signature in the core.
    #[default]
    Full,
    /// The caller has verified signatures already; skip them.
    Trusted,
}

#[cfg(test)]
mod tests {
    use super::*;
    use cretoai_crypto::ml_dsa::SigningKey;
    use rand::SeedableRng;

    fn set(weights: &[u64]) -> ValidatorSet {
        let members = weights
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let k = SigningKey::from_seed(MlDsaLevel::MlDsa65, &[i as u8 + 1; 32]).unwrap();
                Validator::new(k.verifying_key().clone(), *w)
            })
            .collect();
        ValidatorSet::new(members).unwrap()
    }

    #[test]
    fn sampling_is_by_weight_with_replacement_and_never_self() {
        let s = set(&[5, 1, 8]);
        let me = s.members()[0].id;
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let mut counts = HashMap::new();
        for _ in 0..2_000 {
            let sample = s.sample_peers(&me, 5, &mut rng);
            assert_eq!(sample.iter().map(|(_, c)| c).sum::<u32>(), 5);
            for (id, c) in sample {
                assert_ne!(id, me);
                *counts.entry(id).or_insert(0u32) += c;
            }
        }
        let light = counts[&s.members()[1].id] as f64;
        let heavy = counts[&s.members()[2].id] as f64;
        // Expected share of the heavy peer: 8 / 9 of 10 000 draws.
        assert!(
            (heavy / (light + heavy) - 8.0 / 9.0).abs() < 0.02,
            "{light} {heavy}"
        );
    }

    #[test]
    fn keys_are_learned_later_only_if_they_hash_to_a_member() {
        let key = |i: u8| {
            let k = SigningKey::from_seed(MlDsaLevel::MlDsa65, &[i; 32]).unwrap();
            k.verifying_key().clone()
        };
        let mut s = ValidatorSet::new(vec![
            Validator::new(key(1), 1),
            Validator::new(key(2), 1),
            Validator::awaiting_key(NodeId::of_key(&key(3)), 1),
        ])
        .unwrap();
        let third = NodeId::of_key(&key(3));
        assert_eq!(s.missing_keys(), vec![third]);
        assert!(s.keyed_majority(), "two of three");
        assert_eq!(
            s.author_key(&third).err(),
            Some(ConsensusError::AuthorKeyUnknown)
        );
        let outsider = NodeId::of_key(&key(4));
        assert_eq!(
            s.author_key(&outsider).err(),
            Some(ConsensusError::UnknownAuthor)
        );
        assert!(s.learn_key(key(4)).is_err(), "not a member");
        assert_eq!(s.learn_key(key(3)), Ok(true));
        assert_eq!(s.learn_key(key(3)), Ok(false));
        assert!(s.missing_keys().is_empty());
        assert!(s.author_key(&third).is_ok());

        let lonely = ValidatorSet::new(vec![
            Validator::new(key(1), 1),
            Validator::awaiting_key(NodeId::of_key(&key(2)), 1),
            Validator::awaiting_key(NodeId::of_key(&key(3)), 1),
        ])
        .unwrap();
        assert!(!lonely.keyed_majority());
        let pair = ValidatorSet::new(vec![
            Validator::new(key(1), 1),
            Validator::awaiting_key(NodeId::of_key(&key(2)), 1),
        ])
        .unwrap();
        assert!(!pair.keyed_majority(), "half is not a majority");
        let wrong = Validator {
            key: Some(key(2)),
            ..Validator::awaiting_key(NodeId::of_key(&key(3)), 1)
        };
        assert!(ValidatorSet::new(vec![wrong]).is_err(), "key of another id");
    }

    #[test]
    fn rejects_bad_sets() {
        assert!(ValidatorSet::new(vec![]).is_err());
        let k = SigningKey::from_seed(MlDsaLevel::MlDsa65, &[1; 32]).unwrap();
        let v = Validator::new(k.verifying_key().clone(), 1);
        assert!(ValidatorSet::new(vec![v.clone(), v.clone()]).is_err());
        assert!(ValidatorSet::new(vec![Validator { weight: 0, ..v }]).is_err());
        let small = SigningKey::from_seed(MlDsaLevel::MlDsa44, &[1; 32]).unwrap();
        assert!(ValidatorSet::new(vec![Validator::new(small.verifying_key().clone(), 1)]).is_err());
    }
}
