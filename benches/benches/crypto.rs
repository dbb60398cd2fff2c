//! Criterion benchmarks of the primitives behind the crypto service.
//!
//! Run: `cargo bench -p cretoai-benches --bench crypto`

use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey, VerifyingKey};
use cretoai_crypto::{envelope, ml_kem};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

fn ml_kem_768(c: &mut Criterion) {
    let mut g = c.benchmark_group("ml-kem-768");
    g.bench_function("keygen", |b| {
        b.iter(|| ml_kem::DecapsulationKey::generate().unwrap())
    });
    let dk = ml_kem::DecapsulationKey::generate().unwrap();
    let ek = dk.encapsulation_key().clone();
    g.bench_function("encaps", |b| b.iter(|| ek.encapsulate().unwrap()));
    let (ct, _) = ek.encapsulate().unwrap();
    g.bench_function("decaps", |b| {
        b.iter(|| dk.decapsulate(black_box(&ct)).unwrap())
    });
    g.finish();
}

fn kem_dem(c: &mut Criterion) {
    let mut g = c.benchmark_group("envelope");
    let dk = ml_kem::DecapsulationKey::generate().unwrap();
    for size in [1024usize, 64 * 1024] {
        let plaintext = vec![0x42u8; size];
        let sealed = envelope::seal(dk.encapsulation_key(), &plaintext, b"aad").unwrap();
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::new("encrypt", size), &plaintext, |b, p| {
            b.iter(|| envelope::seal(dk.encapsulation_key(), p, b"aad").unwrap())
        });
        g.bench_with_input(BenchmarkId::new("decrypt", size), &sealed, |b, s| {
            b.iter(|| envelope::open(&dk, s, b"aad").unwrap())
        });
    }
    g.finish();
}

fn ml_dsa(c: &mut Criterion) {
    let msg = [0x17u8; 256];
    for level in MlDsaLevel::ALL {
        let mut g = c.benchmark_group(level.as_str());
        g.bench_function("keygen", |b| {
            b.iter(|| SigningKey::generate(level).unwrap())
        });
        let key = SigningKey::generate(level).unwrap();
        g.bench_function("sign", |b| {
            b.iter(|| key.sign(black_box(&msg), b"").unwrap())
        });
        let sig = key.sign(&msg, b"").unwrap();
        let vk = key.verifying_key().clone();
        g.bench_function("verify", |b| {
            b.iter(|| vk.verify(black_box(&msg), b"", &sig).unwrap())
        });
        // What a node did per transaction: parse the sender key, then verify.
        g.bench_function("verify_with_key_parse", |b| {
            b.iter(|| {
                VerifyingKey::from_bytes(level, black_box(vk.as_bytes()))
                    .unwrap()
                    .verify(&msg, b"", &sig)
                    .unwrap()
            })
        });
        // What it does for a sender it has seen: the key prepared once (tr = H(pk) kept).
        let prepared = vk.prepare().unwrap();
        g.bench_function("verify_prepared", |b| {
            b.iter(|| prepared.verify(black_box(&msg), b"", &sig).unwrap())
        });
        g.finish();
    }
}

criterion_group!(benches, ml_kem_768, kem_dem, ml_dsa);
criterion_main!(benches);
