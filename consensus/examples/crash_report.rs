//! How long 7 nodes take to decide with some of them crashed: 20 plain transactions and one
//! double spend, for a few parameter choices (the "larger clusters" table in
//! `docs/consensus.md`).
//!
//! `cargo run --release -p cretoai-consensus --example crash_report`

#[path = "../tests/sim/mod.rs"]
mod sim;

use cretoai_consensus::{Params, TxId, TxStatus};
use sim::{Clients, NetConfig, Sim};

const LIMIT_MS: u64 = 600_000;

/// Every live node accepted every one of `txs`.
fn all_accepted(sim: &Sim, txs: &[TxId]) -> bool {
    sim.live_honest()
        .iter()
        .all(|&i| sim.expect_accepted(i, txs).is_ok())
}

/// Every live node accepted one side of the double spend (a node that never saw the other side
/// accepts the one it saw as a lone transaction).
fn pair_decided(sim: &Sim, pair: &[TxId; 2]) -> bool {
    sim.live_honest().iter().all(|&i| {
        let node = sim.machines[i].node.as_ref().expect("live");
        pair.iter()
            .filter(|t| node.status(t) == Some(TxStatus::Accepted))
            .count()
            == 1
    })
}

fn main() {
    println!("| nodes down of 7 | k | alpha_p | alpha_c | beta | 20 plain txs accepted by all live | double spend decided by all live |");
    println!("|---|---|---|---|---|---|---|");
    let base = Params::for_validators(7);
    for (down, alpha_confidence, beta) in
        [(0, 5, 15), (2, 5, 15), (3, 5, 15), (3, 4, 15), (3, 4, 6)]
    {
        let params = Params {
            alpha_confidence,
            beta,
            ..base.clone()
        };
        let mut sim = Sim::trusted(7, &params, NetConfig::default(), 1);
        for i in 0..down {
            sim.crash(6 - i);
        }
        let live = 7 - down;
        let mut clients = Clients::new(4, &params);
        let mut plain = Vec::new();
        for s in 0..20 {
            let tx = clients.tx(s % 3, b"plain");
            plain.push(tx.id());
            sim.submit(s % live, tx);
            let t = sim.now + 20;
            sim.run_until(t);
        }
        let (a, b) = clients.conflicting_pair(3);
        let pair = [a.id(), b.id()];
        let start = sim.now;
        sim.submit(0, a);
        sim.submit(1, b);
        let (mut plain_at, mut pair_at) = (None, None);
        while sim.now < LIMIT_MS && (plain_at.is_none() || pair_at.is_none()) {
            let t = sim.now + 500;
            sim.run_until(t);
            if plain_at.is_none() && all_accepted(&sim, &plain) {
                plain_at = Some(sim.now);
            }
            if pair_at.is_none() && pair_decided(&sim, &pair) {
                pair_at = Some(sim.now - start);
            }
        }
        assert!(sim.violations.is_empty(), "{:?}", sim.violations);
        let show = |t: Option<u64>| {
            t.map_or(format!("not within {} s", LIMIT_MS / 1000), |t| {
                format!("{:.1} s", t as f64 / 1000.0)
            })
        };
        println!(
            "| {down} | {} | {} | {alpha_confidence} | {beta} | {} | {} |",
            params.k,
            params.alpha_preference,
            show(plain_at),
            show(pair_at)
        );
    }
}
