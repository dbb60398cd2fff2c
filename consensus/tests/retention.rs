//! The core's memory stays bounded under a steady load: settled vertices are pruned to header
//! stubs and decided transactions keep only their outcome, over thousands of rounds, through
//! message loss and a crash and restart (the restarted node catches up from its peers' stores,
//! which still hold the vertices their cores pruned).
//! `CRETOAI_SIM_SEEDS=N` runs N seeds; `CRETOAI_SIM_SEED=S` runs one.

mod sim;

use cretoai_consensus::{Footprint, Params};
use sim::{for_each_seed, Clients, NetConfig, Sim};

/// Vertices a node may hold in full at any sampling point: the unsettled frontier (a few
/// rounds of three authors) plus settled tips. Independent of how long the run is.
const MAX_FULL_VERTICES: usize = 120;
/// Undecided transactions at any sampling point (two submitted per 40 ms; finality takes up
/// to a few seconds of simulated time while a node is down).
const MAX_UNDECIDED: usize = 400;
/// Encoded bytes of transactions held in full vertices and pending submissions (ML-DSA-44
/// transactions are about 3.7 KB): a few hundred transactions' worth, whatever the history.
const MAX_HELD_TX_BYTES: usize = 2_000_000;

fn lossy_net() -> NetConfig {
    NetConfig {
        min_delay_ms: 2,
        max_delay_ms: 30,
        drop_rate: 0.02,
        duplicate_rate: 0.02,
        tick_ms: 50,
    }
}

/// `remember`: decided outcomes each core keeps in memory (`None`: all of them).
fn steady_load(seed: u64, remember: Option<usize>) -> Result<(), String> {
    let params = Params::default();
    let mut sim = Sim::trusted(3, &params, lossy_net(), seed);
    if let Some(keep) = remember {
        sim.remember_only(keep);
    }
    let max_decided = remember.unwrap_or(usize::MAX);
    let mut clients = Clients::new(3, &params);
    let mut submitted = Vec::new();
    let mut peak = Footprint::default();
    let mut step = 0usize;
    // Until every node has issued well over a thousand rounds.
    while (0..3).any(|i| {
        sim.machines[i]
            .node
            .as_ref()
            .is_none_or(|n| n.round().unwrap_or(0) < 1_200)
    }) {
        if sim.now > 400_000 {
            return Err(format!("too slow: rounds {:?}", rounds(&sim)));
        }
        for c in 0..2 {
            let tx = clients.tx((step + c) % 3, b"steady");
            let id = tx.id();
            if sim.submit((step + c) % 3, tx) {
                submitted.push(id);
            }
        }
        step += 1;
        match step {
            400 => sim.crash(2),
            480 => sim.restart(2),
            _ => {}
        }
        let t = sim.now + 40;
        sim.run_until(t);
        sim.check_safety()?;
        if step.is_multiple_of(25) {
            for i in sim.live_honest() {
                let f = sim.machines[i].node.as_ref().unwrap().footprint();
                if f.full_vertices > MAX_FULL_VERTICES
                    || f.undecided_txs > MAX_UNDECIDED
                    || f.held_tx_bytes > MAX_HELD_TX_BYTES
                    || f.decided_txs - f.pinned_decided_txs > max_decided
                {
                    return Err(format!("node {i} at {} ms holds {f:?}", sim.now));
                }
                peak.full_vertices = peak.full_vertices.max(f.full_vertices);
                peak.undecided_txs = peak.undecided_txs.max(f.undecided_txs);
                peak.held_tx_bytes = peak.held_tx_bytes.max(f.held_tx_bytes);
            }
        }
    }
    let deadline = sim.now + 30_000;
    while sim.now < deadline && (0..3).any(|i| sim.expect_accepted(i, &submitted).is_err()) {
        let t = sim.now + 1_000;
        sim.run_until(t);
    }
    sim.check_safety()?;
    for i in 0..3 {
        sim.expect_accepted(i, &submitted)?;
    }
    sim.check_agreement()?;
    // Outcomes that unsettled vertices pinned in memory go once those settle, on the nodes'
    // next turns.
    let t = sim.now + 200;
    sim.run_until(t);
    for i in 0..3 {
        let f = sim.machines[i].node.as_ref().unwrap().footprint();
        let decided = match remember {
            None => f.decided_txs >= submitted.len(),
            Some(keep) => f.decided_txs <= keep,
        };
        if f.pruned_vertices < 3_000 || !decided {
            return Err(format!("node {i}: history not pruned as expected: {f:?}"));
        }
        if f.undecided_txs != 0 || f.pending_txs != 0 {
            return Err(format!("node {i}: undecided state left behind: {f:?}"));
        }
    }
    eprintln!(
        "seed {seed}: {} txs, rounds {:?}, peak {peak:?}",
        submitted.len(),
        rounds(&sim)
    );
    Ok(())
}

fn rounds(sim: &Sim) -> Vec<Option<u64>> {
    (0..3)
        .map(|i| sim.machines[i].node.as_ref().and_then(|n| n.round()))
        .collect()
}

#[test]
fn retained_state_stays_bounded_over_thousands_of_rounds() {
    for_each_seed(
        "retained_state_stays_bounded_over_thousands_of_rounds",
        2,
        |seed| steady_load(seed, None),
    );
}

/// With an archive, decided outcomes are bounded too: the core keeps the most recent 500 of
/// the ~10,000 transactions it decides.
#[test]
fn decided_outcomes_stay_bounded_with_an_archive() {
    for_each_seed("decided_outcomes_stay_bounded_with_an_archive", 2, |seed| {
        steady_load(seed, Some(500))
    });
}
