//! The time of one call into the core. Timers (poll deadlines, fetch retries, gossip, the
//! stranded-transaction scan) run on a monotonic clock, so that a step of the wall clock (NTP,
//! an operator) moves none of them; the wall clock only stamps the vertices this node signs,
//! for people and dashboards to read.

/// The time a call into [`crate::Node`] happens at, as the shell read its clocks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Now {
    /// Milliseconds on a clock that never goes back (any origin): every timer.
    pub monotonic_ms: u64,
    /// Milliseconds since the Unix epoch: only the timestamp of vertices signed in this call.
    pub unix_ms: u64,
}

impl From<u64> for Now {
    /// One counter for both clocks: for tests and simulations, whose clock is their own.
    fn from(ms: u64) -> Self {
        Self {
            monotonic_ms: ms,
            unix_ms: ms,
        }
    }
}
