//! Runs the simulator for 3, 7, 20 and 100 nodes and prints messages per accepted transaction
//! and rounds to finality (the table in `docs/consensus.md`).
//!
//! `cargo run --release -p cretoai-consensus --example sim_report [txs] [interval_ms] [seed]`

#[path = "../tests/sim/mod.rs"]
mod sim;

use cretoai_consensus::{Params, SignatureCheck};
use sim::{mean_latency_ms, summary, Clients, NetConfig, Sim};

// The report prints how long each simulation took on this machine; the core itself never
// reads a clock.
#[allow(clippy::disallowed_types, clippy::disallowed_methods)]
fn main() {
    let mut args = std::env::args().skip(1);
    let txs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let interval: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    println!(
        "{txs} transactions per run, one submitted every {interval} ms (round robin over the nodes), seed {seed}"
    );
    println!("network: 5-40 ms uniform delay, no loss; signature checks: trusted (verified before the core)");
    println!();
    println!("| nodes | k | alpha_p | alpha_c | beta | accepted | messages / accepted tx | rounds to finality (mean) | rounds (p99) | latency (mean, simulated) | sim time to last acceptance | wall time |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for n in [3usize, 7, 20, 100] {
        let params = Params::for_validators(n);
        let started = std::time::Instant::now();
        let mut sim = Sim::new(
            n,
            0,
            params.clone(),
            SignatureCheck::Trusted,
            NetConfig::default(),
            seed,
        );
        let mut clients = Clients::new(16, &params);
        let batch: Vec<_> = (0..txs).map(|i| clients.tx(i % 16, b"payload")).collect();
        for (i, tx) in batch.into_iter().enumerate() {
            sim.submit(i % n, tx);
            let t = sim.now + interval;
            sim.run_until(t);
        }
        let deadline = sim.now + 600_000;
        while sim.now < deadline {
            let t = sim.now + 500;
            sim.run_until(t);
            if sim
                .live_honest()
                .iter()
                .all(|&i| sim.machines[i].accepted.len() == txs)
            {
                break;
            }
        }
        assert!(sim.violations.is_empty(), "{:?}", sim.violations);
        let last = sim
            .machines
            .iter()
            .flat_map(|m| m.accepted.values().copied())
            .max()
            .unwrap_or(0);
        let (per_tx, mean, p99) = summary(&sim);
        println!(
            "| {n} | {} | {} | {} | {} | {}/{} | {:.1} | {:.1} | {} | {:.0} ms | {:.1} s | {:.1} s |",
            params.k,
            params.alpha_preference,
            params.alpha_confidence,
            params.beta,
            sim.total_accepted_unique(),
            txs,
            per_tx,
            mean,
            p99,
            mean_latency_ms(&sim),
            last as f64 / 1000.0,
            started.elapsed().as_secs_f64()
        );
    }
}
