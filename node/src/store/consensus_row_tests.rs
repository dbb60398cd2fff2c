//! Tests of the transaction rows: written once at the decision, merged from staged runs,
//! rebuilt after a restart.

use super::*;

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
        .map(|c| c.decisions)
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
