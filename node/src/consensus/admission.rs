//! The admission bound: how many undecided transactions a node holds before it answers new
//! submissions `429 overloaded`.
//!
//! Past the rate the cluster sustains, every transaction queued makes every later one's
//! finality longer (and the core's per-poll work grows with the undecided set), so the backlog
//! is bounded. A fixed bound is right for one machine and one signature level only: measured
//! flat out on 3 nodes and 2 cores (session 7), 2,000 cost ML-DSA-44 a sixth of its throughput
//! against 3,000, while ML-DSA-65 at 3,000 let p95 finality reach 1 s. By Little's law the
//! backlog is the acceptance rate times the time a transaction waits, so the bound follows the
//! measured rate: `accepted tx/s × TARGET_WAIT_MS`, never below a floor (a cold start has no
//! rate yet) nor above the configured cap.

/// Time a transaction should wait undecided at the bound, at the measured acceptance rate.
pub const TARGET_WAIT_MS: u64 = 350;
/// Span of the acceptance rate the bound follows: short, so that it tracks a load that just
/// rose (the status endpoint's 10 s window lagged a 10 s benchmark by half its length).
pub const RATE_SPAN_MS: u64 = 2_000;
/// The bound before any rate is measured (capped by the configured maximum).
pub const FLOOR: usize = 2_000;

/// The admission rule: a floor, a cap and the target wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    cap: usize,
}

impl Admission {
    /// A rule whose bound never exceeds `cap` (at least 1).
    pub fn new(cap: usize) -> Self {
        Admission { cap: cap.max(1) }
    }

    /// The configured maximum.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// The bound at an acceptance rate of `accepted_tps` (over the recent window).
    pub fn bound(&self, accepted_tps: f64) -> usize {
        let follows_rate = accepted_tps.max(0.0) * TARGET_WAIT_MS as f64 / 1000.0;
        (follows_rate as usize).clamp(FLOOR.min(self.cap), self.cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_follows_the_rate_between_floor_and_cap() {
        let rule = Admission::new(8_000);
        assert_eq!(rule.bound(0.0), FLOOR, "cold start");
        assert_eq!(rule.bound(3_000.0), FLOOR, "slow cluster keeps the floor");
        assert_eq!(rule.bound(8_700.0), 3_045);
        assert_eq!(rule.bound(6_000.0), 2_100);
        assert_eq!(rule.bound(1e9), 8_000, "never above the cap");
        assert_eq!(rule.bound(f64::NAN), FLOOR);
        // A cap below the floor wins (tests and small machines set tiny bounds).
        let tiny = Admission::new(2);
        assert_eq!((tiny.bound(0.0), tiny.bound(50_000.0)), (2, 2));
        assert_eq!(Admission::new(0).cap(), 1);
    }
}
