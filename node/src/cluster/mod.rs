//! The whole-cluster view. Each node samples its own figures once a second ([`sampler`]) into a
//! bounded ring ([`history`]) and sends a small status summary, with its newest samples, to its
//! peers over the QUIC links consensus already uses ([`gossip`]). Any node can therefore answer
//! for all of them: under docker-compose the browser reaches only the published ports, and a
//! node that is down is still listed, with when it was last heard from.

pub mod gossip;
pub mod history;
pub mod process;
pub mod sampler;
pub mod summary;

use history::{History, Sample};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use summary::NodeSummary;

/// A peer counts as down once nothing was heard from it for this long (summaries come every
/// second, so this tolerates a few lost ones).
pub const STALE_AFTER_MS: u64 = 5_000;

/// What this node knows about one member of the cluster.
#[derive(Debug, Clone, Default)]
pub struct Member {
    /// The latest summary (its own for this node, the peer's otherwise).
    pub summary: Option<NodeSummary>,
    /// When this node last heard from the member, Unix ms on this node's clock.
    pub last_seen_ms: Option<u64>,
    /// Per-second samples, oldest first.
    pub history: History,
}

/// Shared, cheap to clone: the sampler and the network receiver write, the API reads.
#[derive(Clone)]
pub struct ClusterView {
    own_id: String,
    members: Arc<Mutex<BTreeMap<String, Member>>>,
}

impl ClusterView {
    /// A view of this node (hex id) and its configured peers (hex ids), none heard from yet.
    pub fn new(own_id: String, peers: impl IntoIterator<Item = String>) -> Self {
        let mut members = BTreeMap::new();
        members.insert(own_id.clone(), Member::default());
        for peer in peers {
            members.entry(peer).or_default();
        }
        ClusterView {
            own_id,
            members: Arc::new(Mutex::new(members)),
        }
    }

    /// This node's hex id.
    pub fn own_id(&self) -> &str {
        &self.own_id
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Member>> {
        // Plain data replaced whole; a panic elsewhere cannot leave it half-written.
        self.members.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records this node's own summary and sample.
    pub fn record_own(&self, summary: NodeSummary, sample: Sample, now_ms: u64) {
        let own = self.own_id.clone();
        self.record(&own, summary, &[sample], now_ms);
    }

    /// Records what member `id` reported, received at `now_ms`. Only samples newer than those
    /// already held are added, so overlapping reports never duplicate a second.
    pub fn record(&self, id: &str, summary: NodeSummary, samples: &[Sample], now_ms: u64) {
        let mut members = self.lock();
        let member = members.entry(id.to_string()).or_default();
        member.summary = Some(summary);
        member.last_seen_ms = Some(now_ms);
        member.history.extend(samples);
    }

    /// Every member, ordered by node id.
    pub fn members(&self) -> Vec<(String, Member)> {
        self.lock()
            .iter()
            .map(|(id, m)| (id.clone(), m.clone()))
            .collect()
    }

    /// This node's samples, oldest first (what it sends its peers).
    pub fn own_samples(&self, newest: usize) -> Vec<Sample> {
        self.lock()
            .get(&self.own_id)
            .map(|m| m.history.newest(newest))
            .unwrap_or_default()
    }

    /// Whether member `id` counts as up at `now_ms`: this node always does; a peer once heard
    /// from within [`STALE_AFTER_MS`].
    pub fn is_up(&self, id: &str, member: &Member, now_ms: u64) -> bool {
        id == self.own_id
            || member
                .last_seen_ms
                .is_some_and(|seen| now_ms.saturating_sub(seen) <= STALE_AFTER_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(t_ms: u64) -> Sample {
        Sample {
            t_ms,
            ..Sample::default()
        }
    }

    #[test]
    fn members_are_listed_before_they_report_and_go_down_when_silent() {
        let view = ClusterView::new("aa".into(), ["bb".to_string(), "cc".to_string()]);
        let ids: Vec<String> = view.members().into_iter().map(|(id, _)| id).collect();
        assert_eq!(ids, ["aa", "bb", "cc"]);
        let summary = NodeSummary::default();
        view.record("bb", summary, &[sample(1_000), sample(2_000)], 10_000);
        view.record(
            "bb",
            NodeSummary::default(),
            &[sample(2_000), sample(3_000)],
            11_000,
        );
        let members = view.members();
        let (_, bb) = &members[1];
        assert_eq!(bb.last_seen_ms, Some(11_000));
        let times: Vec<u64> = bb.history.newest(10).iter().map(|s| s.t_ms).collect();
        assert_eq!(times, [1_000, 2_000, 3_000]);
        assert!(view.is_up("bb", bb, 11_000 + STALE_AFTER_MS));
        assert!(!view.is_up("bb", bb, 11_001 + STALE_AFTER_MS));
        let (_, cc) = &members[2];
        assert!(!view.is_up("cc", cc, 0));
        assert!(view.is_up("aa", &members[0].1, 1 << 40));
    }
}
