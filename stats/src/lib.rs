//! Nearest-rank percentiles: the one definition behind every percentile CretoAI reports (the
//! node's finality window, the sidecar's signing figures, the benchmarks' latencies, the
//! consensus simulator's rounds to finality).
//!
//! The p-th percentile of n sorted samples is the sample at rank ⌈p/100 · n⌉ (1-based, at
//! least 1): always a value that was measured, never an interpolation, and p100 is the maximum.
//! A crate of its own, without dependencies, so that the node, the sidecar and the benchmarks
//! share it without depending on one another.

#![deny(missing_docs)]

/// The `p`-th percentile (0..=100) of `sorted` (ascending), nearest rank; `None` when empty.
/// `p` outside 0..=100 is clamped.
pub fn nearest_rank<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 100.0) };
    // The product is at most n, so the cast cannot truncate.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Sorts `samples` (ascending) and returns the `p`-th percentile of each of `ps`, nearest rank;
/// `None` when empty.
pub fn percentiles<T: Copy + PartialOrd, const N: usize>(
    samples: &mut [T],
    ps: [f64; N],
) -> Option<[T; N]> {
    samples.sort_unstable_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let first = nearest_rank(samples, 0.0)?;
    let mut out = [first; N];
    for (slot, p) in out.iter_mut().zip(ps) {
        *slot = nearest_rank(samples, p).unwrap_or(first);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_of_one_to_a_hundred() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(nearest_rank(&v, 50.0), Some(50));
        assert_eq!(nearest_rank(&v, 95.0), Some(95));
        assert_eq!(nearest_rank(&v, 99.0), Some(99));
        assert_eq!(nearest_rank(&v, 100.0), Some(100));
        assert_eq!(nearest_rank(&v, 0.0), Some(1));
    }

    #[test]
    fn small_series_round_up_to_a_measured_value() {
        let v = [10u64, 20, 30, 40];
        // ⌈0.5 · 4⌉ = 2, ⌈0.95 · 4⌉ = 4, ⌈0.25 · 4⌉ = 1.
        assert_eq!(nearest_rank(&v, 50.0), Some(20));
        assert_eq!(nearest_rank(&v, 95.0), Some(40));
        assert_eq!(nearest_rank(&v, 25.0), Some(10));
        assert_eq!(nearest_rank(&[7u64], 99.0), Some(7));
    }

    #[test]
    fn empty_and_out_of_range() {
        assert_eq!(nearest_rank::<u64>(&[], 50.0), None);
        assert_eq!(nearest_rank(&[1u64, 2], 150.0), Some(2));
        assert_eq!(nearest_rank(&[1u64, 2], -5.0), Some(1));
        assert_eq!(nearest_rank(&[1u64, 2], f64::NAN), Some(1));
    }

    #[test]
    fn percentiles_sort_first() {
        let mut v = [3.0, 1.0, 2.0, 5.0, 4.0];
        assert_eq!(percentiles(&mut v, [50.0, 95.0]), Some([3.0, 5.0]));
        assert_eq!(v, [1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(percentiles::<f64, 1>(&mut [], [50.0]), None);
    }
}
