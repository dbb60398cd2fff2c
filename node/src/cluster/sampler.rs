//! Once a second: take this node's figures, keep them in its ring, and send them to its peers.

use super::gossip::StatusReport;
use super::history::{Figures, Sample, CAPACITY};
use super::process::{rss_bytes, CpuMeter};
use super::summary::{NodeSummary, PeerLink};
use super::ClusterView;
use crate::consensus::{now_ms, ConsensusHandle};
use std::time::Duration;

/// How often figures are sampled and sent.
pub const INTERVAL: Duration = Duration::from_secs(1);
/// Samples sent with each summary: a few, so one lost frame leaves no gap.
const RECENT: usize = 5;
/// Every this many seconds the whole ring goes along, so a peer that was down or just started
/// has full charts soon after it connects.
const FULL_EVERY: u64 = 10;

/// Samples and reports until the node stops. Must run inside the actix system.
pub async fn run(consensus: ConsensusHandle, view: ClusterView) {
    let mut cpu = CpuMeter::default();
    let mut ticker = tokio::time::interval(INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    for n in 0u64.. {
        ticker.tick().await;
        let Some(summary) = summarize(&consensus, &mut cpu).await else {
            continue;
        };
        view.record_own(summary.clone(), sample_of(&summary), summary.at_ms);
        let Some(net) = consensus.network().cloned() else {
            continue;
        };
        let newest = if n % FULL_EVERY == 0 {
            CAPACITY
        } else {
            RECENT
        };
        let frame = StatusReport {
            summary,
            samples: view.own_samples(newest),
        }
        .to_frame();
        // Sent off the sampling task: a slow peer must not delay the next sample.
        actix::spawn(async move {
            net.broadcast(&frame).await;
        });
    }
}

/// This node's figures now; `None` if the store cannot be read (the next tick tries again).
pub async fn summarize(consensus: &ConsensusHandle, cpu: &mut CpuMeter) -> Option<NodeSummary> {
    let store = consensus.store.clone();
    let (vertices, counts) = tokio::task::spawn_blocking(move || store.consensus_counts())
        .await
        .ok()?
        .ok()?;
    let at_ms = now_ms();
    let view = consensus.view();
    let window = consensus.stats.window(at_ms);
    let peers = consensus
        .network()
        .map(|n| n.peers())
        .unwrap_or_default()
        .into_iter()
        .map(|p| PeerLink {
            node_id: p.node_id.to_string(),
            connected: p.connected,
            rtt_ms: p.rtt.map(|d| d.as_secs_f64() * 1000.0),
            key_exchange_group: p.key_exchange_group,
        })
        .collect();
    Some(NodeSummary {
        at_ms,
        active: view.active,
        round: view.round,
        vertices,
        pending: counts[0],
        accepted: counts[1],
        rejected: counts[2],
        figures: Figures {
            accepted_tps: window.accepted_tps,
            p50_ms: window.p50_ms,
            p95_ms: window.p95_ms,
            p99_ms: window.p99_ms,
            rss_bytes: rss_bytes(),
            cpu_percent: cpu.percent(),
        },
        peers,
    })
}

/// The chart point of a summary.
pub fn sample_of(s: &NodeSummary) -> Sample {
    Sample {
        t_ms: s.at_ms,
        figures: s.figures,
    }
}
