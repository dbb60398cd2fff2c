//! Cryptographically secure randomness from aws-lc's DRBG (seeded by the OS).

/// Fills `buf` with random bytes.
///
/// # Panics
/// Only if the system random source fails, which leaves no safe way to continue.
pub fn fill(buf: &mut [u8]) {
    aws_lc_rs::rand::fill(buf).expect("system random source failed");
}

/// Returns `N` random bytes.
pub fn array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    fill(&mut out);
    out
}
