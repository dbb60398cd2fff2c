//! Restoring a node from a long log holds a bounded part of it at a time: the replay reads
//! records one by one (the node's store streams them from disk), and whatever the core does
//! with a record must not keep it alive once the core is done with it. A counting allocator
//! measures the peak heap during `Node::restore` against the size of the log it replays.
//!
//! This file holds one test: the allocator counts every thread of the test binary.

use cretoai_consensus::{
    Action, Config, Limits, Node, Params, Record, Transaction, TxStatus, Validator, ValidatorSet,
    Vertex, VertexId,
};
use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting live bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// A global allocator is `unsafe` by its trait; this test measures the heap with one.
// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A persisted record kept encoded, as the store keeps it; decoded when the replay asks.
enum Stored {
    Submitted(Vec<u8>),
    Vertex(Vec<u8>),
    Poll(VertexId, u32),
}

fn decode(stored: &Stored, limits: &Limits) -> Record {
    match stored {
        Stored::Submitted(b) => Record::Submitted(Transaction::decode(b, limits).unwrap()),
        Stored::Vertex(b) => Record::Vertex(Vertex::decode(b, limits).unwrap().into()),
        Stored::Poll(vertex, yes) => Record::PollResult {
            vertex: *vertex,
            yes: *yes,
        },
    }
}

#[test]
fn replaying_a_long_log_holds_a_bounded_part_of_it() {
    let limits = Limits::default();
    let author = SigningKey::from_seed(MlDsaLevel::MlDsa65, &[1; 32]).unwrap();
    let validators =
        ValidatorSet::new(vec![Validator::new(author.verifying_key().clone(), 1)]).unwrap();
    let config = Config::new(Params::for_validators(1), validators);
    let restart_key = || SigningKey::from_seed(MlDsaLevel::MlDsa65, author.seed()).unwrap();

    // A lone validator decides each submission at once: a log of submissions, vertices and
    // poll results, with ~1 KB payloads.
    let sender = SigningKey::from_seed(MlDsaLevel::MlDsa44, &[2; 32]).unwrap();
    let mut node = Node::new(config.clone(), restart_key(), [0; 32]).unwrap();
    let mut log = Vec::new();
    let mut log_bytes = 0usize;
    let mut decisions = HashMap::new();
    let mut first = None;
    for nonce in 0..3_000u64 {
        let tx = Transaction::sign(&sender, nonce, vec![7; 1_000], &limits).unwrap();
        first.get_or_insert(tx.id());
        for action in node.submit(nonce, tx).unwrap() {
            let stored = match action {
                Action::Persist(Record::Status { tx, status }) => {
                    decisions.insert(tx, status);
                    continue;
                }
                Action::Persist(Record::Submitted(t)) => Stored::Submitted(t.encode()),
                Action::Persist(Record::Vertex(v)) => Stored::Vertex(v.encode()),
                Action::Persist(Record::PollResult { vertex, yes }) => Stored::Poll(vertex, yes),
                _ => continue,
            };
            log_bytes += match &stored {
                Stored::Submitted(b) | Stored::Vertex(b) => b.len(),
                Stored::Poll(..) => 0,
            };
            log.push(stored);
        }
    }
    let decided = node.footprint().decided_txs;
    assert_eq!(decided, 3_000, "the lone node decided every submission");
    drop(node);
    assert!(log_bytes > 20_000_000, "a long log: {log_bytes} bytes");

    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let restored = Node::restore(
        config.clone(),
        restart_key(),
        [0; 32],
        log.iter().map(|s| decode(s, &limits)),
    )
    .unwrap();
    let held = PEAK.load(Ordering::Relaxed) - before;
    assert_eq!(restored.footprint().decided_txs, 3_000);
    assert!(
        held < log_bytes / 4,
        "the replay held {held} bytes at its peak for a log of {log_bytes}"
    );
    drop(restored);

    // With the node's decisions as an archive, the replay keeps only the latest outcomes; the
    // shell answers for older ones from its record of decisions.
    let mut bounded = config;
    bounded.archived = true;
    bounded.remembered_decisions = 100;
    let mut replay = Node::replay(bounded, restart_key(), [0; 32]).unwrap();
    for stored in &log {
        let missing = replay.record(decode(stored, &limits)).unwrap();
        if !missing.is_empty() {
            let answers = missing
                .iter()
                .map(|id| (*id, decisions.get(id).copied()))
                .collect();
            replay.recalled(answers).unwrap();
        }
    }
    let restored = replay.finish();
    assert_eq!(restored.footprint().decided_txs, 100);
    let first = first.unwrap();
    assert_eq!(restored.status(&first), None, "left memory");
    assert_eq!(decisions.get(&first), Some(&TxStatus::Accepted));
}
