//! Tests of the consensus tables.

use super::*;
use crate::store::log::LOG_CHUNK;
use cretoai_consensus::Transaction;
use cretoai_crypto::hash::sha256;
use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
use std::sync::Arc;

fn vertex(key: &SigningKey, txs: Vec<Transaction>) -> Vertex {
    Vertex::sign(key, 0, 5, vec![], txs, &Limits::default()).unwrap()
}

/// A fresh store with consensus tables (alive as long as the directory), default limits, a
/// sender key and a vertex author key.
fn fixture() -> (tempfile::TempDir, Store, Limits, SigningKey, SigningKey) {
    let dir = tempfile::tempdir().unwrap();
    let store = open_consensus(&dir);
    let sender = SigningKey::generate(MlDsaLevel::MlDsa44).unwrap();
    let author = SigningKey::generate(MlDsaLevel::MlDsa65).unwrap();
    (dir, store, Limits::default(), sender, author)
}

/// `count` transactions of `sender` (nonces 0, 1, ...) carrying `payload`.
fn signed(sender: &SigningKey, count: u64, payload: &[u8], limits: &Limits) -> Vec<Transaction> {
    (0..count)
        .map(|n| Transaction::sign(sender, n, payload.to_vec(), limits).unwrap())
        .collect()
}

/// The core's record of a decision.
fn decided(tx: TxId, status: TxStatus) -> Record {
    Record::Status { tx, status }
}

/// The store in `dir` with its consensus tables: opened for the first time, or again as after a
/// restart.
fn open_consensus(dir: &tempfile::TempDir) -> Store {
    let store = Store::open(dir.path()).unwrap();
    store.init_consensus().unwrap();
    store
}

#[test]
fn log_round_trips_and_rows_track_decisions() {
    let (_dir, store, limits, sender, author) = fixture();
    let tx = Transaction::sign(&sender, 7, b"pay".to_vec(), &limits).unwrap();
    let v = Arc::new(vertex(&author, vec![tx.clone()]));
    let records = [
        Record::Submitted(tx.clone()),
        Record::Vertex(v.clone()),
        Record::PollResult {
            vertex: v.id(),
            yes: 2,
        },
        Record::Status {
            tx: tx.id(),
            status: TxStatus::Accepted,
        },
    ];
    store.append_consensus(&records[..2], 1_000).unwrap();
    let row = store.consensus_tx(&tx.id()).unwrap().unwrap();
    assert_eq!(row.status, TxStatus::Pending);
    assert_eq!(row.vertex, Some(v.id()));
    let decisions = store.append_consensus(&records[2..], 1_250).unwrap();
    assert_eq!(decisions[0].elapsed_ms, 250);
    let row = store.consensus_tx(&tx.id()).unwrap().unwrap();
    assert_eq!(row.finality_ms(), Some(250));

    let log = store.consensus_log(&limits).unwrap();
    assert_eq!(log.len(), 3, "status records are outputs, not replayed");
    assert!(matches!(&log[0], Record::Submitted(t) if t.id() == tx.id()));
    assert!(matches!(&log[1], Record::Vertex(x) if x.id() == v.id()));
    assert!(matches!(&log[2], Record::PollResult { yes: 2, .. }));

    let listed = store.consensus_vertices_after(0, 10, &limits).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].seq, 1);
    assert!(store
        .consensus_vertices_after(1, 10, &limits)
        .unwrap()
        .is_empty());
    assert_eq!(store.consensus_counts().unwrap(), (1, [0, 1, 0]));
}

#[test]
fn repeated_decisions_keep_the_first_and_counters_follow_rows() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with_cache(dir.path(), 1 << 20).unwrap();
    store.init_consensus().unwrap();
    let limits = Limits::default();
    let sender = SigningKey::generate(MlDsaLevel::MlDsa44).unwrap();
    let author = SigningKey::generate(MlDsaLevel::MlDsa65).unwrap();
    let txs = signed(&sender, 3, b"x", &limits);
    let v = Arc::new(vertex(&author, txs.clone()));
    let status = |tx: &Transaction, status| decided(tx.id(), status);
    store
        .append_consensus(
            &[Record::Submitted(txs[0].clone()), Record::Vertex(v.clone())],
            10,
        )
        .unwrap();
    assert_eq!(store.consensus_counts().unwrap(), (1, [3, 0, 0]));
    let first = [
        status(&txs[0], TxStatus::Accepted),
        status(&txs[1], TxStatus::Rejected),
    ];
    assert_eq!(store.append_consensus(&first, 20).unwrap().len(), 2);
    assert_eq!(store.consensus_counts().unwrap(), (1, [1, 1, 1]));
    // A pruned core reports a late copy again: no second decision, the first time stays.
    let again = store.append_consensus(&first[1..], 99).unwrap();
    assert!(again.is_empty());
    let row = store.consensus_tx(&txs[1].id()).unwrap().unwrap();
    assert_eq!(row.decided_at, Some(20));
    assert_eq!(store.consensus_counts().unwrap(), (1, [1, 1, 1]));

    // Fetches are answered with the stored encoding; unknown ids are skipped.
    let found = store
        .consensus_vertices_encoded(&[VertexId([9; 32]), v.id()])
        .unwrap();
    assert_eq!(found, vec![v.encode()]);

    // The counters survive a reopen (the undecided one once the log is replayed); the
    // streamed log equals the whole log. Bytes a crashed commit appended to the blob file
    // after the last durable one are cut off at the reopen.
    drop(store);
    let blobs = dir.path().join(crate::store::BLOB_FILE);
    let committed = std::fs::metadata(&blobs).unwrap().len();
    assert!(committed >= v.encode().len() as u64);
    let mut torn = std::fs::read(&blobs).unwrap();
    torn.extend_from_slice(b"half a vertex");
    std::fs::write(&blobs, torn).unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(std::fs::metadata(&blobs).unwrap().len(), committed);
    store.init_consensus().unwrap();
    assert_eq!(store.consensus_counts().unwrap(), (1, [0, 1, 1]));
    let streamed: Vec<Record> = store
        .consensus_replay(&limits)
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(store.consensus_counts().unwrap(), (1, [1, 1, 1]));
    assert_eq!(streamed.len(), 2, "status records are outputs");
    assert!(matches!(&streamed[1], Record::Vertex(x) if x.id() == v.id()));
}

#[test]
fn long_logs_stream_in_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_consensus(&dir);
    let author = SigningKey::generate(MlDsaLevel::MlDsa65).unwrap();
    let v = Arc::new(vertex(&author, vec![]));
    // Status records between the polls: chunks made only of skipped records must not end
    // the stream early.
    let mut records = vec![Record::Vertex(v.clone())];
    for i in 0..(LOG_CHUNK * 3) {
        records.push(Record::Status {
            tx: TxId([i as u8; 32]),
            status: TxStatus::Rejected,
        });
    }
    records.push(Record::PollResult {
        vertex: v.id(),
        yes: 3,
    });
    store.append_consensus(&records, 5).unwrap();
    let streamed: Vec<Record> = store
        .consensus_log_stream(&Limits::default())
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(streamed.len(), 2);
    assert!(matches!(streamed[1], Record::PollResult { yes: 3, .. }));
}

#[test]
fn nonces_are_never_handed_out_twice() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_consensus(&dir);
    assert_eq!(store.reserve_nonces("k", 3).unwrap(), 0);
    assert_eq!(store.reserve_nonces("k", 1).unwrap(), 3);
    assert_eq!(store.reserve_nonces("other", 1).unwrap(), 0);
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.reserve_nonces("k", 1).unwrap(), 4);
}

#[test]
fn submitted_runs_and_vertex_blobs_replay_in_order() {
    let (_dir, store, limits, sender, author) = fixture();
    let txs: Vec<Transaction> = (0..5)
        .map(|n| Transaction::sign(&sender, n, vec![n as u8; 3000], &limits).unwrap())
        .collect();
    // Big enough to span many chunks.
    let v = Arc::new(vertex(&author, txs.clone()));
    let poll = Record::PollResult {
        vertex: v.id(),
        yes: 3,
    };
    let records = [
        Record::Submitted(txs[0].clone()),
        Record::Submitted(txs[1].clone()),
        Record::Vertex(v.clone()),
        Record::Submitted(txs[2].clone()),
        poll.clone(),
        Record::Submitted(txs[3].clone()),
        Record::Submitted(txs[4].clone()),
    ];
    store.append_consensus(&records, 7).unwrap();
    let log = store.consensus_log(&limits).unwrap();
    assert_eq!(log.len(), records.len(), "one replayed record per record");
    for (got, want) in log.iter().zip(&records) {
        match (got, want) {
            (Record::Submitted(a), Record::Submitted(b)) => assert_eq!(a, b),
            (Record::Vertex(a), Record::Vertex(b)) => assert_eq!(a.encode(), b.encode()),
            (Record::PollResult { yes: a, .. }, Record::PollResult { yes: b, .. }) => {
                assert_eq!(a, b)
            }
            _ => panic!("replayed {got:?} where {want:?} was logged"),
        }
    }
    assert_eq!(
        store.consensus_vertices_encoded(&[v.id()]).unwrap(),
        vec![v.encode()]
    );
    let stored = store.consensus_vertex(&v.id(), &limits).unwrap().unwrap();
    assert_eq!(stored.encode(), v.encode());
}

/// Removes the schema stamp, as in a data directory written before it existed.
fn unstamp(store: &Store) {
    let txn = store.db.begin_write().unwrap();
    txn.open_table(crate::store::meta::TABLE)
        .unwrap()
        .remove("schema_version")
        .unwrap();
    txn.commit().unwrap();
}

#[test]
fn data_directories_of_this_release_are_stamped_version_1_and_open_unchanged() {
    let (dir, store, limits, sender, author) = fixture();
    assert_eq!(store.schema_version().unwrap(), Some(1));
    let tx = Transaction::sign(&sender, 1, b"now".to_vec(), &limits).unwrap();
    let v = Arc::new(vertex(&author, vec![tx.clone()]));
    store
        .append_consensus(
            &[Record::Submitted(tx.clone()), Record::Vertex(v.clone())],
            10,
        )
        .unwrap();
    store
        .append_consensus(&[decided(tx.id(), TxStatus::Accepted)], 20)
        .unwrap();
    // Written by this layout before the stamp existed: opens, and is stamped.
    unstamp(&store);
    drop(store);
    let store = open_consensus(&dir);
    assert_eq!(store.schema_version().unwrap(), Some(1));
    assert_eq!(store.consensus_log(&limits).unwrap().len(), 2);
    let row = store.consensus_tx(&tx.id()).unwrap().unwrap();
    assert_eq!(row.status, TxStatus::Accepted);
}

#[test]
fn a_newer_schema_is_refused_with_a_clear_message() {
    let (dir, store, ..) = fixture();
    let txn = store.db.begin_write().unwrap();
    txn.open_table(crate::store::meta::TABLE)
        .unwrap()
        .insert("schema_version", b"2".as_slice())
        .unwrap();
    txn.commit().unwrap();
    drop(store);
    let err = Store::open(dir.path()).err().expect("refused").to_string();
    assert!(
        err.contains("store schema 2") && err.contains("reads schema 1"),
        "{err}"
    );
}

#[test]
fn pre_release_layouts_are_refused_with_a_clear_message() {
    let (dir, store, limits, sender, author) = fixture();
    let tx = Transaction::sign(&sender, 1, b"old".to_vec(), &limits).unwrap();
    let v = vertex(&author, vec![tx.clone()]);
    // What a pre-release build wrote: the transaction in the log and the vertex inline.
    let txn = store.db.begin_write().unwrap();
    {
        let mut log = txn.open_table(LOG).unwrap();
        log.insert(1, [&[1u8][..], tx.as_bytes()].concat().as_slice())
            .unwrap();
        log.insert(2, [&[TAG_VERTEX][..], &v.id().0].concat().as_slice())
            .unwrap();
        txn.open_table(VERTICES)
            .unwrap()
            .insert(v.id().0.as_slice(), v.encode().as_slice())
            .unwrap();
    }
    txn.commit().unwrap();
    unstamp(&store);
    drop(store);
    let err = Store::open(dir.path()).err().expect("refused").to_string();
    assert!(
        err.contains("pre-release build") && err.contains("vertices stored inline"),
        "{err}"
    );
}

#[path = "consensus_row_tests.rs"]
mod rows;
