//! Throughput of the consensus core alone: a 3-node simulation on one thread, from submission
//! to acceptance by every node, with signature checks in the core (`full`) and without
//! (`trusted`, as when the node verifies on a thread pool first).
//!
//! Two measurements of the same work: wall-clock time (criterion's default) and the thread's
//! CPU time, which stays meaningful on a machine shared with other jobs.
//!
//! `cargo bench -p cretoai-consensus --bench core`

#[path = "../tests/sim/mod.rs"]
mod sim;

use cretoai_consensus::{Params, SignatureCheck, Transaction};
use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use sim::{Clients, NetConfig, Sim};
use std::time::Duration;

const TXS: usize = 500;

fn net() -> NetConfig {
    NetConfig {
        min_delay_ms: 1,
        max_delay_ms: 5,
        drop_rate: 0.0,
        duplicate_rate: 0.0,
        tick_ms: 10,
    }
}

fn workload(params: &Params) -> Vec<Transaction> {
    let mut clients = Clients::new(32, params);
    (0..TXS)
        .map(|i| clients.tx(i % 32, &[i as u8; 100]))
        .collect()
}

fn run(check: SignatureCheck, txs: Vec<Transaction>) -> usize {
    let params = Params::default();
    let mut sim = Sim::new(3, 0, params, check, net(), 42);
    // The core alone: messages are handed over as they are, not encoded and decoded.
    sim.codec = false;
    for (i, tx) in txs.into_iter().enumerate() {
        sim.submit(i % 3, tx);
        if i % 25 == 24 {
            let t = sim.now + 2;
            sim.run_until(t);
        }
    }
    while (0..3).any(|i| sim.machines[i].accepted.len() < TXS) {
        let t = sim.now + 50;
        sim.run_until(t);
        assert!(sim.now < 3_600_000, "simulation did not finish");
    }
    sim.total_accepted_unique()
}

fn bench<M: Measurement>(c: &mut Criterion<M>, clock: &str) {
    let params = Params::default();
    let txs = workload(&params);
    let mut group = c.benchmark_group(format!("core_3_nodes_{clock}"));
    group.throughput(Throughput::Elements(TXS as u64));
    group.sample_size(10);
    for (name, check) in [
        ("trusted", SignatureCheck::Trusted),
        ("full", SignatureCheck::Full),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || txs.clone(),
                |txs| assert_eq!(run(check, txs), TXS),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn wall(c: &mut Criterion) {
    bench(c, "wall");
}

fn cpu(c: &mut Criterion<ThreadCpuTime>) {
    bench(c, "cpu");
}

/// CPU time consumed by the calling thread (Linux `CLOCK_THREAD_CPUTIME_ID`).
struct ThreadCpuTime;

#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

extern "C" {
    fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
}

const CLOCK_THREAD_CPUTIME_ID: i32 = 3;

// The bench clock reads the thread's CPU time through libc, which is `unsafe` to call.
#[allow(unsafe_code)]
fn thread_cpu_now() -> Duration {
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and the clock id is a Linux constant.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

impl Measurement for ThreadCpuTime {
    type Intermediate = Duration;
    type Value = Duration;
    fn start(&self) -> Duration {
        thread_cpu_now()
    }
    fn end(&self, started: Duration) -> Duration {
        thread_cpu_now() - started
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

/// Shows CPU nanoseconds as milliseconds and element throughput as elements per CPU second.
struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, _typical: f64, values: &mut [f64]) -> &'static str {
        values.iter_mut().for_each(|v| *v /= 1e6);
        "ms (cpu)"
    }
    fn scale_throughputs(&self, _typical: f64, t: &Throughput, values: &mut [f64]) -> &'static str {
        let per = match *t {
            Throughput::Elements(n)
            | Throughput::Bytes(n)
            | Throughput::BytesDecimal(n)
            | Throughput::Bits(n) => n as f64,
        };
        values.iter_mut().for_each(|v| *v = per * 1e9 / *v);
        "elem/cpu-s"
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

criterion_group!(wall_clock, wall);
criterion_group! {
    name = cpu_time;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = cpu
}
criterion_main!(wall_clock, cpu_time);
