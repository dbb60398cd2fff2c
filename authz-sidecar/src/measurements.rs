//! Live cost of each algorithm: real sign/verify timings of recent checks in a
//! bounded window per (algorithm, backend), and side-by-side runs on one decision.

use crate::algorithm::{Algorithm, Backend, Family};
use crate::error::Result;
use crate::jws;
use crate::key_ring::KeyRing;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Instant;

/// An algorithm on a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Variant {
    /// Algorithm.
    pub alg: Algorithm,
    /// Backend.
    pub backend: Backend,
}

impl Variant {
    /// Every algorithm on aws-lc-rs, then the classical ones on rust-crypto.
    pub fn all() -> Vec<Variant> {
        let mut v: Vec<Variant> = Algorithm::ALL
            .into_iter()
            .map(|alg| Variant {
                alg,
                backend: Backend::AwsLc,
            })
            .collect();
        v.extend(
            Algorithm::ALL
                .into_iter()
                .filter(|a| a.has_rust_crypto_backend())
                .map(|alg| Variant {
                    alg,
                    backend: Backend::RustCrypto,
                }),
        );
        v
    }
}

/// p50 and p95 of a series.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
}

/// Nearest-rank percentiles; `None` for an empty series.
pub fn percentiles(values: impl IntoIterator<Item = f64>) -> Option<Percentiles> {
    let mut v: Vec<f64> = values.into_iter().collect();
    let [p50, p95] = cretoai_stats::percentiles(&mut v, [50.0, 95.0])?;
    Some(Percentiles { p50, p95 })
}

#[derive(Default)]
struct Series {
    sign_us: VecDeque<f64>,
    verify_us: VecDeque<f64>,
    token_bytes: usize,
    signature_bytes: usize,
    public_key_bytes: usize,
}

fn push_bounded(q: &mut VecDeque<f64>, v: f64, cap: usize) {
    if q.len() == cap {
        q.pop_front();
    }
    q.push_back(v);
}

/// Statistics of one variant, as `GET /v1/compare` reports them.
#[derive(Debug, Clone, Serialize)]
pub struct VariantStats {
    /// Algorithm.
    pub alg: Algorithm,
    /// Backend.
    pub backend: Backend,
    /// Classical, pqc or composite.
    pub family: Family,
    /// Sign samples in the window.
    pub sign_samples: usize,
    /// Verify samples in the window.
    pub verify_samples: usize,
    /// Sign time in µs.
    pub sign_us: Option<Percentiles>,
    /// Verify time in µs.
    pub verify_us: Option<Percentiles>,
    /// Size of the last token issued.
    pub token_bytes: usize,
    /// Signature size.
    pub signature_bytes: usize,
    /// Encoded public key size.
    pub public_key_bytes: usize,
}

/// The bounded windows of all variants.
pub struct Measurements {
    window: usize,
    series: Mutex<BTreeMap<Variant, Series>>,
}

/// Sizes that go with a signing measurement.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Token length.
    pub token: usize,
    /// Signature length.
    pub signature: usize,
    /// Public key length.
    pub public_key: usize,
}

impl Measurements {
    /// Keep the last `window` samples per variant.
    pub fn new(window: usize) -> Self {
        Measurements {
            window: window.max(1),
            series: Mutex::new(BTreeMap::new()),
        }
    }

    /// Record one signing.
    pub fn record_sign(&self, v: Variant, micros: f64, sizes: Sizes) {
        let mut all = self.series.lock().expect("stats lock");
        let s = all.entry(v).or_default();
        push_bounded(&mut s.sign_us, micros, self.window);
        s.token_bytes = sizes.token;
        s.signature_bytes = sizes.signature;
        s.public_key_bytes = sizes.public_key;
    }

    /// Record one verification.
    pub fn record_verify(&self, v: Variant, micros: f64) {
        let mut all = self.series.lock().expect("stats lock");
        push_bounded(
            &mut all.entry(v).or_default().verify_us,
            micros,
            self.window,
        );
    }

    /// Current statistics, one entry per variant seen.
    pub fn snapshot(&self) -> Vec<VariantStats> {
        let all = self.series.lock().expect("stats lock");
        all.iter()
            .map(|(v, s)| VariantStats {
                alg: v.alg,
                backend: v.backend,
                family: v.alg.family(),
                sign_samples: s.sign_us.len(),
                verify_samples: s.verify_us.len(),
                sign_us: percentiles(s.sign_us.iter().copied()),
                verify_us: percentiles(s.verify_us.iter().copied()),
                token_bytes: s.token_bytes,
                signature_bytes: s.signature_bytes,
                public_key_bytes: s.public_key_bytes,
            })
            .collect()
    }
}

/// One variant's cost on one decision.
#[derive(Debug, Clone, Serialize)]
pub struct Cost {
    /// Algorithm.
    pub alg: Algorithm,
    /// Backend.
    pub backend: Backend,
    /// Sign time in µs.
    pub sign_us: f64,
    /// Verify time in µs.
    pub verify_us: f64,
    /// Token length.
    pub token_bytes: usize,
    /// Signature length.
    pub signature_bytes: usize,
}

fn micros(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e6
}

/// Sign `claims` with the active key of every variant, verify each token,
/// record the timings in `stats` and return them.
pub fn compare_all(ring: &KeyRing, claims: &Value, stats: &Measurements) -> Result<Vec<Cost>> {
    let mut out = Vec::new();
    for v in Variant::all() {
        let Some(key) = ring.active(v.alg) else {
            continue;
        };
        let t = Instant::now();
        let token = jws::sign(&key.key, &key.kid, v.backend, claims)?;
        let sign_us = micros(t);
        let parsed = jws::parse(&token)?;
        let t = Instant::now();
        let verified = key.key.public_key().verify(
            v.backend,
            parsed.signing_input.as_bytes(),
            &parsed.signature,
        );
        let verify_us = micros(t);
        if let Err(reason) = verified {
            return Err(crate::SidecarError::Crypto(format!(
                "{} self-check failed: {reason:?}",
                v.alg
            )));
        }
        let sizes = Sizes {
            token: token.len(),
            signature: parsed.signature.len(),
            public_key: key.key.public_key().size(),
        };
        stats.record_sign(v, sign_us, sizes);
        stats.record_verify(v, verify_us);
        out.push(Cost {
            alg: v.alg,
            backend: v.backend,
            sign_us,
            verify_us,
            token_bytes: sizes.token,
            signature_bytes: sizes.signature,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_nearest_rank() {
        let p = percentiles((1..=100).map(f64::from)).unwrap();
        assert_eq!(
            p,
            Percentiles {
                p50: 50.0,
                p95: 95.0
            }
        );
        assert_eq!(
            percentiles([7.0]).unwrap(),
            Percentiles { p50: 7.0, p95: 7.0 }
        );
        assert!(percentiles(std::iter::empty()).is_none());
    }

    #[test]
    fn window_is_bounded() {
        let m = Measurements::new(3);
        let v = Variant {
            alg: Algorithm::EdDsa,
            backend: Backend::AwsLc,
        };
        let sizes = Sizes {
            token: 10,
            signature: 64,
            public_key: 32,
        };
        for i in 0..10 {
            m.record_sign(v, f64::from(i), sizes);
        }
        let s = &m.snapshot()[0];
        assert_eq!(s.sign_samples, 3);
        assert_eq!(s.sign_us.unwrap().p50, 8.0);
        assert_eq!(s.verify_samples, 0);
        assert!(s.verify_us.is_none());
    }

    #[test]
    fn compare_all_measures_every_variant() {
        let ring = KeyRing::generate(2048, 1).unwrap();
        let m = Measurements::new(8);
        let costs = compare_all(&ring, &serde_json::json!({"sub": "a"}), &m).unwrap();
        assert_eq!(costs.len(), Variant::all().len());
        let ml87 = costs.iter().find(|c| c.alg == Algorithm::MlDsa87).unwrap();
        assert_eq!(ml87.signature_bytes, 4627);
        let ed = costs.iter().find(|c| c.alg == Algorithm::EdDsa).unwrap();
        assert_eq!(ed.signature_bytes, 64);
        assert!(costs.iter().all(|c| c.sign_us > 0.0 && c.verify_us > 0.0));
        assert_eq!(m.snapshot().len(), costs.len());
    }
}
