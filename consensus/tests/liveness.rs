//! Liveness under faults: every virtuous transaction an honest node acknowledged is accepted on
//! every node within `DECISION_BOUND_MS` of the last fault, even when it shares a vertex (or
//! an ancestry) with the losing side of a double spend.
//! `CRETOAI_SIM_SEEDS=N` runs N seeds; `CRETOAI_SIM_SEED=S` runs one.

mod sim;

use cretoai_consensus::{Params, TxId, DECISION_BOUND_MS};
use rand::Rng;
use sim::{for_each_seed, Clients, NetConfig, Sim};

fn lossy_net() -> NetConfig {
    NetConfig {
        min_delay_ms: 1,
        max_delay_ms: 40,
        drop_rate: 0.03,
        duplicate_rate: 0.03,
        tick_ms: 50,
    }
}

/// One run: 3 nodes; clients send ordinary transactions to random nodes and the two sides of
/// double spends to two different nodes, while one node is cut off for seconds, another
/// crashes and restarts, and a node is cut off again. Small vertices (6 transactions) keep
/// batches full, as under load, so re-issued transactions compete with new ones for room.
/// Returns how long after the last fault the last acceptance came, ms.
fn stranded_run(seed: u64) -> Result<u64, String> {
    let mut params = Params::default();
    params.limits.max_txs_per_vertex = 6;
    let mut sim = Sim::trusted(3, &params, lossy_net(), seed);
    let mut clients = Clients::new(6, &params);
    let mut virtuous: Vec<TxId> = Vec::new();
    let mut pairs: Vec<(TxId, TxId)> = Vec::new();
    let cut_off = sim.rng.random_range(0..3);
    let victim = (cut_off + 1 + sim.rng.random_range(0..2)) % 3;
    for step in 0..120u64 {
        for _ in 0..sim.rng.random_range(1..4) {
            let at = sim.rng.random_range(0..3);
            let tx = clients.tx(sim.rng.random_range(0..5), b"transfer");
            let id = tx.id();
            if sim.submit(at, tx) {
                virtuous.push(id);
            }
        }
        if step % 6 == 2 {
            let (a, b) = clients.conflicting_pair(5);
            let x = sim.rng.random_range(0..3);
            let y = (x + 1 + sim.rng.random_range(0..2)) % 3;
            let (ida, idb) = (a.id(), b.id());
            if sim.submit(x, a) | sim.submit(y, b) {
                pairs.push((ida, idb));
            }
        }
        match step {
            10 => sim.partition(isolate(cut_off)),
            50 => sim.heal(),
            60 => sim.crash(victim),
            80 => sim.restart(victim),
            90 => sim.partition(isolate(victim)),
            105 => sim.heal(),
            _ => {}
        }
        let t = sim.now + sim.rng.random_range(50..150);
        sim.run_until(t);
        sim.check_safety()?;
    }
    let last_fault = sim.now;
    sim.run_until(last_fault + DECISION_BOUND_MS);
    sim.check_safety()?;
    sim.check_agreement()?;
    for i in sim.live_honest() {
        sim.expect_accepted(i, &virtuous)?;
        sim.expect_one_winner(i, &pairs)?;
    }
    let last = sim
        .machines
        .iter()
        .flat_map(|m| m.accepted.values())
        .max()
        .copied()
        .unwrap_or(0);
    Ok(last.saturating_sub(last_fault))
}

fn isolate(node: usize) -> Vec<u32> {
    (0..3).map(|i| u32::from(i == node)).collect()
}

#[test]
fn acknowledged_virtuous_transactions_are_decided_within_the_bound() {
    let slowest = std::sync::Mutex::new((0, 0));
    for_each_seed(
        "acknowledged_virtuous_transactions_are_decided_within_the_bound",
        200,
        |seed| {
            let after = stranded_run(seed)?;
            let mut s = slowest.lock().unwrap();
            if after > s.0 {
                *s = (after, seed);
            }
            Ok(())
        },
    );
    let (after, seed) = *slowest.lock().unwrap();
    println!("last acceptance {after} ms after the last fault (seed {seed})");
}

/// Seed 0 left a transaction pending on every node before stranded transactions were
/// re-issued: kept as a regression test whatever the seed count.
#[test]
fn regression_seed_0_stranded_beside_a_loser() {
    stranded_run(0).unwrap();
}
