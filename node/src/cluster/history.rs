//! A bounded ring of per-second samples: the last 15 minutes of one node's figures.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use utoipa::ToSchema;

/// Samples kept per node: one a second for 15 minutes.
pub const CAPACITY: usize = 15 * 60;

/// What the console charts of a node, at one moment: throughput, finality, memory and CPU.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Figures {
    /// Accepted transactions per second over the node's status window.
    pub accepted_tps: f64,
    /// Finality median over the window, ms.
    pub p50_ms: Option<u64>,
    /// 95th percentile.
    pub p95_ms: Option<u64>,
    /// 99th percentile.
    pub p99_ms: Option<u64>,
    /// Resident memory of the node process, bytes.
    pub rss_bytes: Option<u64>,
    /// CPU used by the node process over the last second, percent of one core.
    pub cpu_percent: Option<f64>,
}

/// One node's figures at one second.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Sample {
    /// When it was taken, Unix ms on the sampling node's clock.
    pub t_ms: u64,
    /// The figures (flattened: the JSON members stand beside `t_ms`).
    #[serde(flatten)]
    pub figures: Figures,
}

/// Samples in time order, at most [`CAPACITY`].
#[derive(Debug, Clone, Default)]
pub struct History(VecDeque<Sample>);

impl History {
    /// Appends the samples newer than the newest held (others are already here), dropping the
    /// oldest beyond [`CAPACITY`].
    pub fn extend(&mut self, samples: &[Sample]) {
        for s in samples {
            if self.0.back().is_some_and(|last| last.t_ms >= s.t_ms) {
                continue;
            }
            self.0.push_back(*s);
        }
        while self.0.len() > CAPACITY {
            self.0.pop_front();
        }
    }

    /// The newest `n` samples, oldest first.
    pub fn newest(&self, n: usize) -> Vec<Sample> {
        self.0
            .iter()
            .skip(self.0.len().saturating_sub(n))
            .copied()
            .collect()
    }

    /// Number of samples held.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no sample is held.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_fifteen_minutes_in_order() {
        let mut h = History::default();
        let samples: Vec<Sample> = (1..=CAPACITY as u64 + 60)
            .map(|i| Sample {
                t_ms: i * 1000,
                ..Sample::default()
            })
            .collect();
        h.extend(&samples);
        assert_eq!(h.len(), CAPACITY);
        assert_eq!(h.newest(CAPACITY)[0].t_ms, 61_000);
        // An older or repeated sample is ignored.
        h.extend(&samples[..10]);
        assert_eq!(h.len(), CAPACITY);
        let newest: Vec<u64> = h.newest(2).iter().map(|s| s.t_ms).collect();
        assert_eq!(
            newest,
            [(CAPACITY as u64 + 59) * 1000, (CAPACITY as u64 + 60) * 1000]
        );
    }
}
