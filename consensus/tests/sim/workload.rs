//! Client workloads and the seed loop of the property tests.

use super::Sim;
use cretoai_consensus::{Params, Transaction};
use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};

/// A pool of client keys that produce signed transactions.
pub struct Clients {
    keys: Vec<SigningKey>,
    nonces: Vec<u64>,
    params: Params,
}

impl Clients {
    pub fn new(count: usize, params: &Params) -> Self {
        let keys = (0..count)
            .map(|i| {
                let mut s = [0u8; 32];
                s[..8].copy_from_slice(&(i as u64).to_be_bytes());
                s[9] = 0xC1;
                SigningKey::from_seed(MlDsaLevel::MlDsa44, &s).unwrap()
            })
            .collect();
        Self {
            keys,
            nonces: vec![0; count],
            params: params.clone(),
        }
    }

    /// A fresh transaction (next nonce) from client `c`.
    pub fn tx(&mut self, c: usize, payload: &[u8]) -> Transaction {
        let nonce = self.nonces[c];
        self.nonces[c] += 1;
        Transaction::sign(&self.keys[c], nonce, payload.to_vec(), &self.params.limits).unwrap()
    }

    /// Two conflicting transactions (same client, same nonce, different payloads).
    pub fn conflicting_pair(&mut self, c: usize) -> (Transaction, Transaction) {
        let nonce = self.nonces[c];
        self.nonces[c] += 1;
        let l = &self.params.limits;
        (
            Transaction::sign(&self.keys[c], nonce, b"left".to_vec(), l).unwrap(),
            Transaction::sign(&self.keys[c], nonce, b"right".to_vec(), l).unwrap(),
        )
    }
}

/// Seeds to run: `CRETOAI_SIM_SEED` runs one, else `CRETOAI_SIM_SEEDS` (or `default`) seeds.
pub fn seeds(default: u64) -> Vec<u64> {
    if let Ok(s) = std::env::var("CRETOAI_SIM_SEED") {
        return vec![s.parse().expect("CRETOAI_SIM_SEED must be a number")];
    }
    let n = std::env::var("CRETOAI_SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default);
    (0..n).collect()
}

/// Runs `check` for every seed and panics with the seed and the command reproducing the first
/// failure.
pub fn for_each_seed(test: &str, default: u64, check: impl Fn(u64) -> Result<(), String>) {
    for seed in seeds(default) {
        if let Err(e) = check(seed) {
            panic!(
                "{e}\nseed {seed} fails; reproduce with:\n  CRETOAI_SIM_SEED={seed} cargo test -p cretoai-consensus --test {} {test} -- --nocapture",
                env!("CARGO_CRATE_NAME")
            );
        }
    }
}

/// Mean simulated latency from submission to acceptance at the submitting node.
pub fn mean_latency_ms(sim: &Sim) -> f64 {
    let n = sim.latency_ms.len().max(1) as f64;
    sim.latency_ms.iter().sum::<u64>() as f64 / n
}

/// Messages per accepted transaction and rounds to finality (mean, p99) of a finished run.
pub fn summary(sim: &Sim) -> (f64, f64, u64) {
    let accepted = sim.total_accepted_unique().max(1) as f64;
    let mut rounds = sim.rounds_to_finality.clone();
    rounds.sort_unstable();
    let mean = if rounds.is_empty() {
        0.0
    } else {
        rounds.iter().sum::<u64>() as f64 / rounds.len() as f64
    };
    let p99 = cretoai_stats::nearest_rank(&rounds, 99.0).unwrap_or(0);
    (sim.messages as f64 / accepted, mean, p99)
}
