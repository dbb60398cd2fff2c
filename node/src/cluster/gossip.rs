//! The status frame nodes send each other once a second: the sender's summary and its newest
//! per-second samples, as JSON. The sender is whoever the pinned QUIC connection authenticated,
//! never a field of the payload, so a node can only report for itself.

use super::history::{Sample, CAPACITY};
use super::summary::NodeSummary;
use crate::network::wire::CLUSTER_STATUS;
use cretoai_network::Frame;
use serde::{Deserialize, Serialize};

/// Largest status payload accepted: a full ring of samples and a summary fit in well under it.
pub const MAX_PAYLOAD: usize = 512 * 1024;
/// Most peers a summary may list.
const MAX_PEERS: usize = 256;

/// What one status frame carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusReport {
    /// The sender's figures now.
    pub summary: NodeSummary,
    /// Its newest samples, oldest first (the whole ring now and then, so a peer that just
    /// connected fills its charts).
    pub samples: Vec<Sample>,
}

impl StatusReport {
    /// The frame carrying this report.
    pub fn to_frame(&self) -> Frame {
        Frame::new(CLUSTER_STATUS, serde_json::to_vec(self).unwrap_or_default())
    }

    /// Parses a status payload; `None` if it is oversized, malformed or lists too much.
    pub fn from_payload(payload: &[u8]) -> Option<Self> {
        if payload.len() > MAX_PAYLOAD {
            return None;
        }
        let report: StatusReport = serde_json::from_slice(payload).ok()?;
        (report.samples.len() <= CAPACITY && report.summary.peers.len() <= MAX_PEERS)
            .then_some(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::cluster::history::Figures;

    #[test]
    fn reports_round_trip_and_bad_payloads_are_refused() {
        let report = StatusReport {
            summary: NodeSummary {
                round: Some(4),
                accepted: 9,
                ..NodeSummary::default()
            },
            samples: vec![Sample {
                t_ms: 1,
                figures: Figures {
                    accepted_tps: 2.5,
                    ..Figures::default()
                },
            }],
        };
        let frame = report.to_frame();
        assert_eq!(frame.kind, CLUSTER_STATUS);
        assert_eq!(StatusReport::from_payload(&frame.payload), Some(report));
        assert_eq!(StatusReport::from_payload(b"{\"summary\":1}"), None);
        assert_eq!(StatusReport::from_payload(&[b' '; MAX_PAYLOAD + 1]), None);
        let too_long = StatusReport {
            summary: NodeSummary::default(),
            samples: vec![Sample::default(); CAPACITY + 1],
        };
        assert_eq!(
            StatusReport::from_payload(&too_long.to_frame().payload),
            None
        );
    }
}
