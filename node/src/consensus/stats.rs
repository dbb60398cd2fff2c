//! Measured consensus figures: lifetime counters and a finality histogram for Prometheus, and
//! a sliding window of recent acceptances for the status endpoint's TPS and percentiles.

use std::collections::VecDeque;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Width of the status window.
pub const WINDOW_MS: u64 = 10_000;
/// Most acceptances kept in the window (bounds memory at very high rates).
const WINDOW_CAP: usize = 500_000;
/// Finality histogram bucket bounds, seconds.
const BUCKETS: [f64; 12] = [
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Point-in-time figures rendered beside the counters (gathered by the consensus handle).
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    /// This node's latest own round.
    pub round: Option<u64>,
    /// Vertices in the in-memory DAG.
    pub dag_len: usize,
    /// Submitted transactions waiting for a vertex.
    pub pending_submissions: usize,
    /// Decided outcomes the core holds in memory.
    pub decided_in_memory: usize,
    /// Undecided transactions known here.
    pub undecided: usize,
    /// The admission bound on `undecided`.
    pub max_undecided: usize,
    /// Undecided transactions older than the liveness bound, and the oldest one's age.
    pub overdue: crate::store::consensus::Overdue,
    /// The peers' links.
    pub peers: Vec<cretoai_network::PeerStatus>,
}

/// Figures over the recent window.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WindowFigures {
    /// Accepted transactions per second over the window.
    pub accepted_tps: f64,
    /// Finality percentiles (ms): p50, p95, p99; `None` with no acceptances in the window.
    pub p50_ms: Option<u64>,
    /// 95th percentile.
    pub p95_ms: Option<u64>,
    /// 99th percentile.
    pub p99_ms: Option<u64>,
    /// Acceptances in the window.
    pub samples: usize,
}

/// Counters and the acceptance window; shared by the journal (writer) and the API (readers).
#[derive(Default)]
pub struct ConsensusStats {
    /// Transactions submitted to this node (accepted by the API).
    pub submitted: AtomicU64,
    /// Submission requests refused with `overloaded`.
    pub overloaded: AtomicU64,
    /// Transactions accepted (decided here).
    pub accepted: AtomicU64,
    /// Transactions rejected (decided here).
    pub rejected: AtomicU64,
    /// Vertices added to the DAG.
    pub vertices: AtomicU64,
    /// Equivocations detected.
    pub equivocations: AtomicU64,
    /// Vertices sent in answer to peers' fetches.
    pub served_vertices: AtomicU64,
    /// Inbound frames refused as malformed or badly signed.
    pub refused_frames: AtomicU64,
    /// Durable commits of the journal.
    pub commits: AtomicU64,
    finality: Mutex<Histogram>,
    window: Mutex<VecDeque<(u64, u64)>>,
}

#[derive(Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    sum_seconds: f64,
    count: u64,
}

impl ConsensusStats {
    /// Records acceptances decided at `now_ms` with their finality in ms.
    pub fn record_accepted(&self, now_ms: u64, finality_ms: &[u64]) {
        if finality_ms.is_empty() {
            return;
        }
        self.accepted
            .fetch_add(finality_ms.len() as u64, Ordering::Relaxed);
        {
            let mut h = self.finality.lock().unwrap_or_else(|e| e.into_inner());
            for &ms in finality_ms {
                let s = ms as f64 / 1000.0;
                if let Some(i) = BUCKETS.iter().position(|b| s <= *b) {
                    h.buckets[i] += 1;
                }
                h.sum_seconds += s;
                h.count += 1;
            }
        }
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        for &ms in finality_ms {
            w.push_back((now_ms, ms));
        }
        while w.len() > WINDOW_CAP {
            w.pop_front();
        }
    }

    /// The window with acceptances older than [`WINDOW_MS`] before `now_ms` dropped, and where
    /// it starts.
    fn recent(&self, now_ms: u64) -> (std::sync::MutexGuard<'_, VecDeque<(u64, u64)>>, u64) {
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        let start = now_ms.saturating_sub(WINDOW_MS);
        while w.front().is_some_and(|(at, _)| *at < start) {
            w.pop_front();
        }
        (w, start)
    }

    /// Accepted transactions per second over the window; unlike [`Self::window`], no copy
    /// and no sort (the metrics scrape needs only this).
    pub fn accepted_tps(&self, now_ms: u64) -> f64 {
        // `recent` dropped everything older than the window: its length is the count.
        let (w, _) = self.recent(now_ms);
        w.len() as f64 / (WINDOW_MS as f64 / 1000.0)
    }

    /// Accepted transactions per second over the last `span_ms` (at most the window) before
    /// `now_ms`; logarithmic in the window's length.
    pub fn accepted_tps_over(&self, now_ms: u64, span_ms: u64) -> f64 {
        let span_ms = span_ms.clamp(1, WINDOW_MS);
        let (w, _) = self.recent(now_ms);
        let start = now_ms.saturating_sub(span_ms);
        let n = w.len() - w.partition_point(|(at, _)| *at < start);
        n as f64 / (span_ms as f64 / 1000.0)
    }

    /// TPS and finality percentiles over the last [`WINDOW_MS`] before `now_ms`.
    pub fn window(&self, now_ms: u64) -> WindowFigures {
        let (w, start) = self.recent(now_ms);
        let mut finality: Vec<u64> = w
            .iter()
            .filter(|(at, _)| *at >= start)
            .map(|(_, ms)| *ms)
            .collect();
        drop(w);
        let [p50_ms, p95_ms, p99_ms] =
            cretoai_stats::percentiles(&mut finality, [50.0, 95.0, 99.0])
                .map_or([None; 3], |p| p.map(Some));
        WindowFigures {
            accepted_tps: finality.len() as f64 / (WINDOW_MS as f64 / 1000.0),
            p50_ms,
            p95_ms,
            p99_ms,
            samples: finality.len(),
        }
    }

    /// Prometheus text for the consensus metrics, `now_ms` for the window's figures.
    pub fn render(&self, out: &mut String, gauges: &Gauges, now_ms: u64) {
        let counters = [
            (
                "submitted",
                &self.submitted,
                "Transactions submitted to this node.",
            ),
            (
                "overloaded",
                &self.overloaded,
                "Submission requests refused because too many transactions were undecided.",
            ),
            ("accepted", &self.accepted, "Transactions accepted."),
            ("rejected", &self.rejected, "Transactions rejected."),
            ("vertices", &self.vertices, "Vertices added to the DAG."),
            (
                "equivocations",
                &self.equivocations,
                "Equivocations detected.",
            ),
            (
                "refused_frames",
                &self.refused_frames,
                "Peer frames refused (malformed or bad signature).",
            ),
            ("commits", &self.commits, "Durable journal commits."),
            (
                "served_vertices",
                &self.served_vertices,
                "Vertices sent in answer to peers' fetches.",
            ),
        ];
        for (name, value, help) in counters {
            let _ = writeln!(
                out,
                "# HELP cretoai_consensus_{name}_total {help}\n# TYPE cretoai_consensus_{name}_total counter\ncretoai_consensus_{name}_total {}",
                value.load(Ordering::Relaxed)
            );
        }
        let connected = gauges.peers.iter().filter(|p| p.connected).count();
        let plain = [
            (
                "round",
                gauges.round.map(|r| r as f64),
                "This node's latest own round.",
            ),
            (
                "dag_vertices",
                Some(gauges.dag_len as f64),
                "Vertices in the in-memory DAG.",
            ),
            (
                "pending_transactions",
                Some(gauges.pending_submissions as f64),
                "Submitted transactions waiting for a vertex.",
            ),
            (
                "decided_in_memory",
                Some(gauges.decided_in_memory as f64),
                "Decided outcomes the core holds in memory (older ones are read from the store).",
            ),
            (
                "undecided_transactions",
                Some(gauges.undecided as f64),
                "Undecided transactions known here.",
            ),
            (
                "max_undecided",
                Some(gauges.max_undecided as f64),
                "Undecided transactions at which submissions get 429 overloaded.",
            ),
            (
                "overdue_transactions",
                Some(gauges.overdue.count as f64),
                "Undecided transactions first seen here longer ago than the liveness bound (cretoai_consensus_decision_bound_seconds).",
            ),
            (
                "decision_bound_seconds",
                Some(cretoai_consensus::DECISION_BOUND_MS as f64 / 1000.0),
                "The liveness bound: once the validators reach one another, every acknowledged transaction is decided within it.",
            ),
            (
                "oldest_pending_seconds",
                Some(gauges.overdue.oldest_age_ms.unwrap_or(0) as f64 / 1000.0),
                "Age of the oldest undecided transaction known here (0 when none).",
            ),
            (
                "connected_peers",
                Some(connected as f64),
                "Peers with a live connection.",
            ),
            (
                "accepted_tps",
                Some(self.accepted_tps(now_ms)),
                "Accepted transactions per second over the status window.",
            ),
        ];
        for (name, value, help) in plain {
            if let Some(v) = value {
                let _ = writeln!(
                    out,
                    "# HELP cretoai_consensus_{name} {help}\n# TYPE cretoai_consensus_{name} gauge\ncretoai_consensus_{name} {v}"
                );
            }
        }
        render_peers(out, &gauges.peers);
        out.push_str("# HELP cretoai_consensus_finality_seconds Time from first sight to acceptance.\n# TYPE cretoai_consensus_finality_seconds histogram\n");
        let h = self.finality.lock().unwrap_or_else(|e| e.into_inner());
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(h.buckets) {
            cumulative += n;
            let _ = writeln!(
                out,
                "cretoai_consensus_finality_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "cretoai_consensus_finality_seconds_bucket{{le=\"+Inf\"}} {}\ncretoai_consensus_finality_seconds_sum {}\ncretoai_consensus_finality_seconds_count {}",
            h.count, h.sum_seconds, h.count
        );
    }
}

/// Per-peer gauges, labelled by pinned node id (and address and key-exchange group on `up`).
fn render_peers(out: &mut String, peers: &[cretoai_network::PeerStatus]) {
    out.push_str("# HELP cretoai_consensus_peer_up Whether the connection to the peer is up.\n# TYPE cretoai_consensus_peer_up gauge\n");
    for p in peers {
        let group = p.key_exchange_group.as_deref().unwrap_or("");
        let _ = writeln!(
            out,
            "cretoai_consensus_peer_up{{peer=\"{}\",address=\"{}\",key_exchange_group=\"{}\"}} {}",
            p.node_id,
            p.address,
            label(group),
            u8::from(p.connected)
        );
    }
    out.push_str("# HELP cretoai_consensus_peer_rtt_seconds Smoothed round-trip time to the peer.\n# TYPE cretoai_consensus_peer_rtt_seconds gauge\n");
    for p in peers {
        if let Some(rtt) = p.rtt {
            let _ = writeln!(
                out,
                "cretoai_consensus_peer_rtt_seconds{{peer=\"{}\"}} {}",
                p.node_id,
                rtt.as_secs_f64()
            );
        }
    }
}

/// A label value escaped as the exposition format requires.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_measures_rate_and_percentiles() {
        let s = ConsensusStats::default();
        assert_eq!(s.window(50_000).p50_ms, None);
        s.record_accepted(30_000, &[5_000]); // outside the window at 50 s
        let finality: Vec<u64> = (1..=100).collect();
        s.record_accepted(45_000, &finality);
        let w = s.window(50_000);
        assert_eq!(w.samples, 100);
        assert!((w.accepted_tps - 10.0).abs() < 1e-9);
        assert_eq!(
            (w.p50_ms, w.p95_ms, w.p99_ms),
            (Some(50), Some(95), Some(99))
        );
        let mut text = String::new();
        let gauges = Gauges {
            round: Some(7),
            pending_submissions: 3,
            undecided: 40,
            max_undecided: 2000,
            ..Gauges::default()
        };
        s.render(&mut text, &gauges, 50_000);
        assert!(text.contains("cretoai_consensus_accepted_total 101\n"));
        assert!(text.contains("cretoai_consensus_finality_seconds_bucket{le=\"0.1\"} 100\n"));
        assert!(text.contains("cretoai_consensus_finality_seconds_count 101\n"));
        assert!(text.contains("cretoai_consensus_pending_transactions 3\n"));
        assert!(text.contains("cretoai_consensus_round 7\n"));
        assert!(text.contains("cretoai_consensus_undecided_transactions 40\n"));
        assert!(text.contains("cretoai_consensus_max_undecided 2000\n"));
        assert!(text.contains("cretoai_consensus_accepted_tps 10\n"));
        // The admission rate over the last 2 s: only what was decided in them counts.
        s.record_accepted(49_000, &[1; 30]);
        assert!((s.accepted_tps_over(50_000, 2_000) - 15.0).abs() < 1e-9);
        assert!((s.accepted_tps_over(50_000, 10_000) - 13.0).abs() < 1e-9);
        assert!(text.contains("cretoai_consensus_connected_peers 0\n"));
        assert_eq!(label("a\"b\\c"), "a\\\"b\\\\c");
    }
}
