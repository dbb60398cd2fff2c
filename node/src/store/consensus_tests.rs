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

/// The row of `id` as stored in the table, bypassing the index of undecided transactions.
fn stored_row(store: &Store, id: &TxId) -> Option<TxRow> {
    let txn = store.db.begin_read().unwrap();
    let table = txn.open_table(TXS).unwrap();
    let row = table.get(id.0.as_slice()).unwrap();
    row.map(|r| TxRow::decode(r.value()).unwrap())
}

#[test]
fn undecided_rows_are_written_once_at_the_decision_and_rebuilt_after_a_restart() {
    let (dir, store, limits, sender, author) = fixture();
    let txs = signed(&sender, 2, b"y", &limits);
    let v = Arc::new(vertex(&author, txs.clone()));
    store
        .append_consensus(&[Record::Submitted(txs[0].clone())], 100)
        .unwrap();
    store
        .append_consensus(&[Record::Vertex(v.clone())], 200)
        .unwrap();
    for (tx, seen) in txs.iter().zip([100, 200]) {
        assert_eq!(
            stored_row(&store, &tx.id()),
            None,
            "no row before the decision"
        );
        let row = store.consensus_tx(&tx.id()).unwrap().unwrap();
        assert_eq!(row.status, TxStatus::Pending);
        assert_eq!((row.vertex, row.submitted_at), (Some(v.id()), seen));
    }
    assert_eq!(store.consensus_counts().unwrap(), (1, [2, 0, 0]));
    let accept = |tx: &Transaction| decided(tx.id(), TxStatus::Accepted);
    let decisions = store.append_consensus(&[accept(&txs[0])], 260).unwrap();
    assert_eq!(decisions[0].elapsed_ms, 160);
    assert_eq!(stored_row(&store, &txs[0].id()), None, "staged, not merged");
    let row = store.consensus_tx(&txs[0].id()).unwrap().unwrap();
    assert_eq!((row.status, row.vertex), (TxStatus::Accepted, Some(v.id())));
    assert_eq!(row.finality_ms(), Some(160));
    // A later vertex carrying the decided transaction again changes nothing.
    let late =
        Arc::new(Vertex::sign(&author, 1, 5, vec![v.id()], txs[..1].to_vec(), &limits).unwrap());
    store
        .append_consensus(&[Record::Vertex(late)], 300)
        .unwrap();
    assert_eq!(store.consensus_counts().unwrap(), (2, [1, 1, 0]));

    // After a restart the index is empty until the log is replayed, then as it was.
    drop(store);
    let store = open_consensus(&dir);
    assert_eq!(store.consensus_tx(&txs[1].id()).unwrap(), None);
    // The staged decision is read back from the stage at start.
    assert_eq!(store.consensus_tx(&txs[0].id()).unwrap(), Some(row));
    assert_eq!(store.consensus_replay(&limits).count(), 3);
    let row = store.consensus_tx(&txs[1].id()).unwrap().unwrap();
    assert_eq!(row.status, TxStatus::Pending);
    assert_eq!((row.vertex, row.submitted_at), (Some(v.id()), 200));
    assert_eq!(store.consensus_counts().unwrap(), (2, [1, 1, 0]));
    let decisions = store.append_consensus(&[accept(&txs[1])], 1_200).unwrap();
    assert_eq!(decisions[0].elapsed_ms, 1_000);
    assert_eq!(store.consensus_counts().unwrap(), (2, [0, 2, 0]));
}

#[test]
fn staged_decisions_merge_into_the_table_and_survive_restarts() {
    let (dir, store, _, _, _) = fixture();
    let id = |n: usize| TxId(sha256(&n.to_be_bytes()));
    let decide = |range: std::ops::Range<usize>, status| -> Vec<Record> {
        range.map(|n| decided(id(n), status)).collect()
    };
    let first = super::row_merge::MERGE_AT - 1;
    store
        .append_consensus(&decide(0..first, TxStatus::Accepted), 10)
        .unwrap();
    assert_eq!(stored_row(&store, &id(5)), None, "staged");
    assert_eq!(store.pending.staged_len(), first);

    // A restart reads the stage back.
    drop(store);
    let store = open_consensus(&dir);
    assert_eq!(store.pending.staged_len(), first);
    let row = store.consensus_tx(&id(5)).unwrap().unwrap();
    assert_eq!((row.status, row.decided_at), (TxStatus::Accepted, Some(10)));

    // The commit that reaches the bound writes every staged row and its own to the table.
    let last = decide(first..first + 2, TxStatus::Rejected);
    store.append_consensus(&last, 20).unwrap();
    assert_eq!(store.pending.staged_len(), 0);
    for n in [0, 5, first - 1, first, first + 1] {
        assert!(stored_row(&store, &id(n)).is_some(), "row {n} merged");
    }
    assert_eq!(store.consensus_counts().unwrap(), (0, [0, first as u64, 2]));
    drop(store);
    let store = open_consensus(&dir);
    assert_eq!(store.pending.staged_len(), 0, "the stage was emptied");
    let row = store.consensus_tx(&id(first + 1)).unwrap().unwrap();
    assert_eq!(row.status, TxStatus::Rejected);
}

#[test]
fn decisions_are_logged_in_runs_and_replayed() {
    let (dir, store, limits, sender, _author) = fixture();
    let txs = signed(&sender, 4, b"r", &limits);
    let submitted: Vec<Record> = txs.iter().cloned().map(Record::Submitted).collect();
    store.append_consensus(&submitted, 10).unwrap();
    let accept = |tx: &Transaction| decided(tx.id(), TxStatus::Accepted);
    let poll = Record::PollResult {
        vertex: VertexId([9; 32]),
        yes: 2,
    };
    let records = [accept(&txs[0]), accept(&txs[1]), poll, accept(&txs[2])];
    store.append_consensus(&records, 20).unwrap();
    store.append_consensus(&[accept(&txs[3])], 30).unwrap();
    let txn = store.db.begin_read().unwrap();
    let tags: Vec<u8> = txn
        .open_table(LOG)
        .unwrap()
        .iter()
        .unwrap()
        .map(|e| e.unwrap().1.value()[0])
        .collect();
    assert_eq!(
        tags,
        [
            TAG_SUBMITTED_RUN,
            TAG_STATUS_RUN,
            TAG_POLL,
            TAG_STATUS_RUN,
            TAG_STATUS_RUN
        ]
    );
    drop(txn);

    // Replayed after a restart, every decision leaves the index of undecided transactions.
    drop(store);
    let store = open_consensus(&dir);
    assert_eq!(store.consensus_replay(&limits).count(), 5);
    for tx in &txs[..3] {
        let row = store.consensus_tx(&tx.id()).unwrap().unwrap();
        assert_eq!(row.status, TxStatus::Accepted);
    }
    assert_eq!(store.undecided_len(), 0);
}

#[test]
fn a_late_copy_of_a_merged_transaction_keeps_its_decision_across_restarts() {
    let (dir, store, limits, sender, author) = fixture();
    let tx = Transaction::sign(&sender, 1, b"old".to_vec(), &limits).unwrap();
    let mut records: Vec<Record> = (0..super::row_merge::MERGE_AT)
        .map(|n| decided(TxId(sha256(&n.to_be_bytes())), TxStatus::Accepted))
        .collect();
    records.push(decided(tx.id(), TxStatus::Accepted));
    store.append_consensus(&records, 10).unwrap();
    assert!(stored_row(&store, &tx.id()).is_some(), "merged");
    let late = |timestamp| {
        Record::Vertex(Arc::new(
            Vertex::sign(&author, 0, timestamp, vec![], vec![tx.clone()], &limits).unwrap(),
        ))
    };
    let check = |store: &Store| {
        let row = store.consensus_tx(&tx.id()).unwrap().unwrap();
        assert_eq!((row.status, row.decided_at), (TxStatus::Accepted, Some(10)));
        assert_eq!(store.undecided_len(), 0, "not taken for a newcomer");
    };
    store.append_consensus(&[late(1)], 20).unwrap();
    check(&store);
    drop(store);
    let store = open_consensus(&dir);
    store.append_consensus(&[late(2)], 30).unwrap();
    check(&store);
}

#[test]
fn an_accepted_row_names_the_vertex_it_was_decided_through() {
    let (dir, store, limits, sender, author) = fixture();
    let txs = signed(&sender, 2, b"pay", &limits);
    let first = Arc::new(vertex(&author, txs.clone()));
    let reissued = Arc::new(
        Vertex::sign(
            &author,
            1,
            6,
            vec![first.id()],
            vec![txs[0].clone()],
            &limits,
        )
        .unwrap(),
    );
    store
        .append_consensus(
            &[
                Record::Vertex(first.clone()),
                Record::Vertex(reissued.clone()),
            ],
            1_000,
        )
        .unwrap();
    // Pending: the first carrier.
    assert_eq!(
        store.consensus_tx(&txs[0].id()).unwrap().unwrap().vertex,
        Some(first.id())
    );
    let statuses = [
        decided(txs[0].id(), TxStatus::Accepted),
        decided(txs[1].id(), TxStatus::Accepted),
    ];
    store
        .append_consensus_through(&statuses, &[(txs[0].id(), reissued.id())], 1_100)
        .unwrap();
    let check = |store: &Store| {
        let row = |t: &Transaction| store.consensus_tx(&t.id()).unwrap().unwrap().vertex;
        assert_eq!(row(&txs[0]), Some(reissued.id()));
        // Without a deciding vertex the first carrier stays.
        assert_eq!(row(&txs[1]), Some(first.id()));
    };
    check(&store);
    drop(store);
    check(&open_consensus(&dir));
}
