//! Consensus settings: flags / env / `[consensus]` TOML table, resolved over the core's
//! defaults (`Params::for_validators`, see docs/consensus.md).

use crate::error::{NodeError, Result};
use cretoai_consensus::{Params, DEFAULT_REMEMBERED_DECISIONS};
use serde::Deserialize;

/// Consensus overrides as given on the command line or in the `[consensus]` TOML table.
/// Every field is optional; unset fields keep the core's recommended value for the cluster size.
#[derive(Debug, Clone, Default, Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct ConsensusFlags {
    /// Vote slots per poll (the node plus k-1 sampled peers) [default: 3 up to 3 nodes].
    #[arg(long = "consensus-k", env = "CRETOAI_CONSENSUS_K", value_name = "N")]
    pub k: Option<u32>,
    /// "Yes" slots a poll needs to count toward preference [default: 2 up to 3 nodes].
    #[arg(
        long = "consensus-alpha-preference",
        env = "CRETOAI_CONSENSUS_ALPHA_PREFERENCE",
        value_name = "N"
    )]
    pub alpha_preference: Option<u32>,
    /// "Yes" slots a poll needs to count toward finality [default: 2 up to 3 nodes].
    #[arg(
        long = "consensus-alpha-confidence",
        env = "CRETOAI_CONSENSUS_ALPHA_CONFIDENCE",
        value_name = "N"
    )]
    pub alpha_confidence: Option<u32>,
    /// Successful polls needed to accept [default: 10 up to 3 nodes].
    #[arg(
        long = "consensus-beta",
        env = "CRETOAI_CONSENSUS_BETA",
        value_name = "N"
    )]
    pub beta: Option<u32>,
    /// How long a poll waits for a peer's answer [default: 2000].
    #[arg(
        long = "consensus-query-timeout-ms",
        env = "CRETOAI_CONSENSUS_QUERY_TIMEOUT_MS",
        value_name = "MS"
    )]
    pub query_timeout_ms: Option<u64>,
    /// Most transactions per vertex [default: 256].
    #[arg(
        long = "consensus-max-txs-per-vertex",
        env = "CRETOAI_CONSENSUS_MAX_TXS_PER_VERTEX",
        value_name = "N"
    )]
    pub max_txs_per_vertex: Option<usize>,
    /// Interval of the core's timer tick [default: 50].
    #[arg(
        long = "consensus-tick-ms",
        env = "CRETOAI_CONSENSUS_TICK_MS",
        value_name = "MS"
    )]
    pub tick_ms: Option<u64>,
    /// Cap of the admission bound: the node answers new submissions with `429 overloaded`
    /// while it holds `accepted tx/s x 350 ms` undecided transactions (at least 2,000), never
    /// more than this [default: 8000].
    #[arg(
        long = "consensus-max-undecided",
        env = "CRETOAI_CONSENSUS_MAX_UNDECIDED",
        value_name = "N"
    )]
    pub max_undecided: Option<usize>,
    /// Decided outcomes the core keeps in memory, the most recent; older ones are read back
    /// from the store when a transaction comes again [default: 50000].
    #[arg(
        long = "consensus-remembered-decisions",
        env = "CRETOAI_CONSENSUS_REMEMBERED_DECISIONS",
        value_name = "N"
    )]
    pub remembered_decisions: Option<usize>,
    /// How often the node offers its DAG tips to one random peer, so a node that missed
    /// vertices asks for them [default: 500].
    #[arg(
        long = "consensus-sync-interval-ms",
        env = "CRETOAI_CONSENSUS_SYNC_INTERVAL_MS",
        value_name = "MS"
    )]
    pub sync_interval_ms: Option<u64>,
}

/// Default of [`ConsensusFlags::max_undecided`], the cap of the bound that follows the
/// acceptance rate ([`super::admission`]): 350 ms of 23,000 tx/s, well past what three nodes
/// on two cores sustain, so the rate decides; it only stops the backlog (and memory) from
/// growing without end on a faster machine.
pub const DEFAULT_MAX_UNDECIDED: usize = 8000;

impl ConsensusFlags {
    /// `self` with every field that `over` sets replaced (flags over the TOML file).
    pub fn overlay(self, over: ConsensusFlags) -> Self {
        ConsensusFlags {
            k: over.k.or(self.k),
            alpha_preference: over.alpha_preference.or(self.alpha_preference),
            alpha_confidence: over.alpha_confidence.or(self.alpha_confidence),
            beta: over.beta.or(self.beta),
            query_timeout_ms: over.query_timeout_ms.or(self.query_timeout_ms),
            max_txs_per_vertex: over.max_txs_per_vertex.or(self.max_txs_per_vertex),
            tick_ms: over.tick_ms.or(self.tick_ms),
            max_undecided: over.max_undecided.or(self.max_undecided),
            remembered_decisions: over.remembered_decisions.or(self.remembered_decisions),
            sync_interval_ms: over.sync_interval_ms.or(self.sync_interval_ms),
        }
    }

    /// The parameters for a cluster of `validators` nodes, validated.
    pub fn params(&self, validators: usize) -> Result<Params> {
        let mut p = Params::for_validators(validators);
        if let Some(k) = self.k {
            p.k = k;
        }
        if let Some(a) = self.alpha_preference {
            p.alpha_preference = a;
        }
        if let Some(a) = self.alpha_confidence {
            p.alpha_confidence = a;
        }
        if let Some(b) = self.beta {
            p.beta = b;
        }
        if let Some(t) = self.query_timeout_ms {
            p.query_timeout_ms = t;
        }
        if let Some(m) = self.max_txs_per_vertex {
            p.limits.max_txs_per_vertex = m;
        }
        p.validate()
            .map_err(|e| NodeError::Config(format!("consensus: {e}")))?;
        Ok(p)
    }

    /// The tick interval in milliseconds.
    pub fn tick_ms(&self) -> u64 {
        self.tick_ms.unwrap_or(50).max(1)
    }

    /// The tip-gossip interval in milliseconds.
    pub fn sync_interval_ms(&self) -> u64 {
        self.sync_interval_ms.unwrap_or(500).max(1)
    }

    /// Decided outcomes the core keeps in memory.
    pub fn remembered_decisions(&self) -> usize {
        self.remembered_decisions
            .unwrap_or(DEFAULT_REMEMBERED_DECISIONS)
    }

    /// The cap of the admission bound on undecided transactions (at least 1).
    pub fn max_undecided(&self) -> usize {
        self.max_undecided.unwrap_or(DEFAULT_MAX_UNDECIDED).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_apply_and_bad_values_are_refused() {
        let file = ConsensusFlags {
            beta: Some(5),
            k: Some(3),
            ..Default::default()
        };
        let flags = ConsensusFlags {
            beta: Some(7),
            ..Default::default()
        };
        let merged = file.overlay(flags);
        let p = merged.params(3).unwrap();
        assert_eq!((p.k, p.beta), (3, 7));
        assert_eq!(merged.tick_ms(), 50);
        assert_eq!(merged.max_undecided(), DEFAULT_MAX_UNDECIDED);
        assert_eq!(merged.remembered_decisions(), DEFAULT_REMEMBERED_DECISIONS);
        let bad = ConsensusFlags {
            k: Some(1),
            ..Default::default()
        };
        assert!(matches!(bad.params(3), Err(NodeError::Config(_))));
    }
}
