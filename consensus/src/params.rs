//! Consensus parameters and size limits, validated the way avalanchego validates its own.

use crate::error::{ConsensusError, Result};
use cretoai_types::Limits;

/// Snowball parameters of the QR-Avalanche core.
///
/// A poll of a vertex has `k` vote slots: one is the polling node's own opinion, the other
/// `k - 1` are drawn from the peers by weight, with replacement. A silent peer is a "no".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Vote slots per poll (the node itself plus `k - 1` sampled peers).
    pub k: u32,
    /// "Yes" slots needed for a poll to count toward preference (a chit).
    pub alpha_preference: u32,
    /// "Yes" slots needed for a poll to count toward confidence (finality counters).
    pub alpha_confidence: u32,
    /// Successful polls needed to accept: total for a transaction without conflicts,
    /// consecutive for a contested conflict set.
    pub beta: u32,
    /// How long a poll waits for answers; a peer silent past it is a "no".
    pub query_timeout_ms: u64,
    /// Size bounds applied to transactions and vertices.
    pub limits: Limits,
}

impl Default for Params {
    /// Defaults sized for a 3-node cluster: any 2 nodes finalize, 1 never does (see
    /// `docs/consensus.md`). For larger clusters use [`Params::for_validators`].
    fn default() -> Self {
        Self {
            k: 3,
            alpha_preference: 2,
            alpha_confidence: 2,
            beta: 10,
            query_timeout_ms: 2_000,
            limits: Limits::default(),
        }
    }
}

impl Params {
    /// Recommended parameters for a validator set of `n` equally weighted nodes: the 3-node
    /// defaults up to 3, then k grows with n up to avalanchego's k = 20, a majority for
    /// preference and a 3/4 quorum (rounded down) for confidence.
    ///
    /// A lone validator samples only itself, so repeated queries add no confidence: beta = 1
    /// decides after one query instead of making ~10 signed vertices per transaction.
    pub fn for_validators(n: usize) -> Self {
        if n <= 1 {
            return Self {
                beta: 1,
                ..Self::default()
            };
        }
        if n <= 3 {
            return Self::default();
        }
        let k = n.min(20) as u32;
        let alpha_preference = k / 2 + 1;
        let alpha_confidence = (3 * k / 4).max(alpha_preference);
        Self {
            k,
            alpha_preference,
            alpha_confidence,
            beta: 15,
            ..Self::default()
        }
    }

    /// Checks the parameters: `k/2 < alpha_preference <= alpha_confidence <= k`, `beta >= 1`,
    /// `k >= 2` (so the node's own slot can never reach alpha alone), sane limits.
    pub fn validate(&self) -> Result<()> {
        let err = |m| Err(ConsensusError::InvalidParams(m));
        if self.k < 2 {
            return err("k must be at least 2 so that a node alone never reaches alpha");
        }
        if self.k > 1_000 {
            return err("k must be at most 1000");
        }
        if self.alpha_preference <= self.k / 2 {
            return err("alpha_preference must be greater than k/2");
        }
        if self.alpha_confidence < self.alpha_preference {
            return err("alpha_confidence must be at least alpha_preference");
        }
        if self.alpha_confidence > self.k {
            return err("alpha_confidence must be at most k");
        }
        if self.beta < 1 {
            return err("beta must be at least 1");
        }
        if self.query_timeout_ms == 0 {
            return err("query_timeout_ms must be positive");
        }
        let l = &self.limits;
        if l.max_parents < 2 || l.max_parents > crate::vertex::MAX_PARENTS {
            return err("max_parents must be within 2..=64");
        }
        if l.max_txs_per_vertex < 1 || l.max_txs_per_vertex > crate::vertex::MAX_TXS {
            return err("max_txs_per_vertex must be within 1..=4096");
        }
        if l.max_payload > cretoai_types::MAX_PAYLOAD {
            return err("max_payload must be at most 1 MiB");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_recommendations_validate() {
        Params::default().validate().unwrap();
        for n in 1..=200 {
            let p = Params::for_validators(n);
            p.validate().unwrap();
            assert!(p.alpha_preference >= 2);
        }
        let p = Params::for_validators(100);
        assert_eq!((p.k, p.alpha_preference, p.alpha_confidence), (20, 11, 15));
    }

    #[test]
    fn rejects_bad_alphas() {
        let base = Params::default();
        let cases = [
            Params {
                k: 1,
                alpha_preference: 1,
                alpha_confidence: 1,
                ..base.clone()
            },
            Params {
                k: 4,
                alpha_preference: 2,
                alpha_confidence: 3,
                ..base.clone()
            },
            Params {
                k: 4,
                alpha_preference: 4,
                alpha_confidence: 3,
                ..base.clone()
            },
            Params {
                k: 4,
                alpha_preference: 3,
                alpha_confidence: 5,
                ..base.clone()
            },
            Params {
                beta: 0,
                ..base.clone()
            },
            Params {
                query_timeout_ms: 0,
                ..base.clone()
            },
        ];
        for p in cases {
            assert!(
                matches!(p.validate(), Err(ConsensusError::InvalidParams(_))),
                "{p:?}"
            );
        }
    }
}
