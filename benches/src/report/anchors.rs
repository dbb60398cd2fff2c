//! The library's own rates, measured in this process with no HTTP, on one thread and on every
//! core: what each REST crypto route is compared with (aws-lc through `cretoai-crypto`, the
//! same calls the node makes).

use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
use cretoai_crypto::{envelope, ml_kem};
use std::time::{Duration, Instant};

/// One operation's rates.
#[derive(Debug, Clone, PartialEq)]
pub struct Anchor {
    /// What was timed, e.g. `ML-DSA-65 sign`.
    pub operation: String,
    /// Operations per second on one thread.
    pub one_thread: f64,
    /// Operations per second on `threads` threads at once.
    pub all_cores: f64,
    /// Threads of `all_cores`.
    pub threads: usize,
}

/// The anchor of each REST crypto route, by route (`POST /v1/sign` ...).
pub const ROUTE_ANCHORS: [(&str, &str); 4] = [
    ("POST /v1/sign", "ML-DSA-65 sign"),
    ("POST /v1/verify", "ML-DSA-65 verify"),
    ("POST /v1/encrypt", "envelope encrypt 1 KiB"),
    ("POST /v1/decrypt", "envelope decrypt 1 KiB"),
];

/// Runs `op` on `threads` threads for `window` and returns calls per second.
fn rate(threads: usize, window: Duration, op: &(dyn Fn() + Sync)) -> f64 {
    let start = Instant::now();
    let total: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0u64;
                    while start.elapsed() < window {
                        op();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    total as f64 / start.elapsed().as_secs_f64()
}

/// Measures every anchor, `window` per rate. The messages match the REST workloads: a
/// 64-byte message to sign, a 1 KiB plaintext.
pub fn measure(threads: usize, window: Duration) -> Vec<Anchor> {
    let mut ops: Vec<(String, Box<dyn Fn() + Sync>)> = Vec::new();
    let msg = [0x5au8; 64];
    for level in MlDsaLevel::ALL {
        let key = SigningKey::generate(level).expect("ML-DSA key generation");
        let sig = key.sign(&msg, b"").expect("sign");
        let vk = key.verifying_key().clone();
        let name = level.as_str().to_uppercase();
        ops.push((
            format!("{name} sign"),
            Box::new(move || {
                key.sign(&msg, b"").expect("sign");
            }),
        ));
        ops.push((
            format!("{name} verify"),
            Box::new(move || vk.verify(&msg, b"", &sig).expect("verify")),
        ));
    }
    let dk = ml_kem::DecapsulationKey::generate().expect("ML-KEM key generation");
    let ek = dk.encapsulation_key().clone();
    let (ct, _) = ek.encapsulate().expect("encapsulate");
    let plaintext = vec![0x42u8; 1024];
    let sealed = envelope::seal(&ek, &plaintext, b"").expect("seal");
    let ek2 = ek.clone();
    ops.push((
        "ML-KEM-768 encaps".into(),
        Box::new(move || {
            ek2.encapsulate().expect("encapsulate");
        }),
    ));
    let dk = std::sync::Arc::new(dk);
    let dk2 = dk.clone();
    ops.push((
        "ML-KEM-768 decaps".into(),
        Box::new(move || {
            dk2.decapsulate(&ct).expect("decapsulate");
        }),
    ));
    ops.push((
        "envelope encrypt 1 KiB".into(),
        Box::new(move || {
            envelope::seal(&ek, &plaintext, b"").expect("seal");
        }),
    ));
    ops.push((
        "envelope decrypt 1 KiB".into(),
        Box::new(move || {
            envelope::open(&dk, &sealed, b"").expect("open");
        }),
    ));
    ops.into_iter()
        .map(|(operation, op)| Anchor {
            one_thread: rate(1, window, op.as_ref()),
            all_cores: rate(threads, window, op.as_ref()),
            threads,
            operation,
        })
        .collect()
}

/// The anchor named `operation`.
pub fn find<'a>(anchors: &'a [Anchor], operation: &str) -> Option<&'a Anchor> {
    anchors.iter().find(|a| a.operation == operation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_an_anchor_and_rates_are_positive() {
        let anchors = measure(2, Duration::from_millis(20));
        for (_, op) in ROUTE_ANCHORS {
            let a = find(&anchors, op).unwrap_or_else(|| panic!("{op}"));
            assert!(a.one_thread > 0.0 && a.all_cores > 0.0, "{a:?}");
            assert_eq!(a.threads, 2);
        }
        assert!(find(&anchors, "ML-DSA-87 verify").is_some());
        assert!(find(&anchors, "ML-KEM-768 decaps").is_some());
        assert_eq!(anchors.len(), 10);
    }
}
