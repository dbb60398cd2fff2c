//! The node's event handling, one event at a time.

use cretoai_consensus::{
    Action, Config, ConsensusError, Event, Limits, Node, NodeId, Params, Transaction, TxStatus,
    Validator, ValidatorSet, Vertex, VertexId, RECENT_EVIDENCE,
};
use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
use std::sync::Arc;

fn keys(n: u8) -> Vec<SigningKey> {
    (1..=n)
        .map(|i| SigningKey::from_seed(MlDsaLevel::MlDsa65, &[i; 32]).unwrap())
        .collect()
}

fn config(keys: &[SigningKey]) -> Config {
    let set = ValidatorSet::new(
        keys.iter()
            .map(|k| Validator::new(k.verifying_key().clone(), 1))
            .collect(),
    )
    .unwrap();
    Config::new(Params::default(), set)
}

fn client_tx(nonce: u64, payload: &[u8]) -> Transaction {
    let k = SigningKey::from_seed(MlDsaLevel::MlDsa44, &[99; 32]).unwrap();
    Transaction::sign(&k, nonce, payload.to_vec(), &Limits::default()).unwrap()
}

fn node(keys: &[SigningKey], i: usize) -> Node {
    let k = SigningKey::from_seed(MlDsaLevel::MlDsa65, keys[i].seed()).unwrap();
    Node::new(config(keys), k, [i as u8; 32]).unwrap()
}

/// Validator `i`'s vertex key (a copy) and node id, to author vertices as that peer.
fn peer(keys: &[SigningKey], i: usize) -> (SigningKey, NodeId) {
    let k = SigningKey::from_seed(MlDsaLevel::MlDsa65, keys[i].seed()).unwrap();
    let id = NodeId::of_key(k.verifying_key());
    (k, id)
}

/// `tx` with the last byte of its signature flipped.
fn forged(tx: &Transaction) -> Transaction {
    let mut bytes = tx.encode();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    Transaction::decode(&bytes, &Limits::default()).unwrap()
}

#[test]
fn refuses_bad_configuration() {
    let ks = keys(3);
    let mut c = config(&ks);
    c.params.alpha_preference = 1;
    let k = SigningKey::from_seed(MlDsaLevel::MlDsa65, ks[0].seed()).unwrap();
    assert!(matches!(
        Node::new(c, k, [0; 32]),
        Err(ConsensusError::InvalidParams(_))
    ));
    let outsider = SigningKey::from_seed(MlDsaLevel::MlDsa65, &[77; 32]).unwrap();
    assert!(matches!(
        Node::new(config(&ks), outsider, [0; 32]),
        Err(ConsensusError::InvalidValidators(_))
    ));
}

#[test]
fn submission_persists_broadcasts_and_queries_peers() {
    let ks = keys(3);
    let mut n = node(&ks, 0);
    let actions = n.submit(10, client_tx(0, b"a")).unwrap();
    let persisted_first = matches!(actions.first(), Some(Action::Persist(_)));
    assert!(persisted_first, "persist comes before any send");
    let broadcasts = actions
        .iter()
        .filter(|a| matches!(a, Action::Broadcast(_)))
        .count();
    assert_eq!(broadcasts, 2, "the round-0 vertex and the first real one");
    let queries: Vec<_> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Query { peer, .. } => Some(*peer),
            _ => None,
        })
        .collect();
    assert!(!queries.is_empty() && queries.len() <= 2);
    assert!(!queries.contains(&n.id()), "a node never queries itself");
    assert_eq!(n.round(), Some(1));
    assert_eq!(n.pending_len(), 0);
}

#[test]
fn rejects_bad_signatures_in_full_mode() {
    let ks = keys(3);
    let mut n = node(&ks, 0);
    let forged = forged(&client_tx(0, b"a"));
    assert_eq!(
        n.submit(0, forged.clone()).unwrap_err(),
        ConsensusError::Encoding(cretoai_types::Error::BadSignature("transaction"))
    );
    // A vertex by a real author carrying the forged transaction is dropped.
    let (k1, from) = peer(&ks, 1);
    let v = Vertex::sign(&k1, 0, 0, vec![], vec![forged], &Limits::default()).unwrap();
    let out = n.handle(
        0,
        Event::Vertex {
            from,
            vertex: Arc::new(v.clone()),
        },
    );
    assert!(out.is_empty());
    assert!(n.vertex(&v.id()).is_none());
}

#[test]
fn unknown_parents_are_fetched_then_the_vertex_is_added() {
    let ks = keys(3);
    let mut n = node(&ks, 0);
    let (k1, from) = peer(&ks, 1);
    let l = Limits::default();
    let v0 = Arc::new(Vertex::sign(&k1, 0, 0, vec![], vec![], &l).unwrap());
    let v1 =
        Arc::new(Vertex::sign(&k1, 1, 5, vec![v0.id()], vec![client_tx(0, b"x")], &l).unwrap());
    let out = n.handle(
        1,
        Event::Vertex {
            from,
            vertex: v1.clone(),
        },
    );
    assert!(out
        .iter()
        .any(|a| matches!(a, Action::Fetch { ids, .. } if ids == &vec![v0.id()])));
    assert!(n.vertex(&v1.id()).is_none());
    let out = n.handle(
        2,
        Event::Vertex {
            from,
            vertex: v0.clone(),
        },
    );
    assert!(n.vertex(&v0.id()).is_some() && n.vertex(&v1.id()).is_some());
    assert!(out
        .iter()
        .any(|a| matches!(a, Action::Query { vertex, .. } if *vertex == v1.id())));
    assert_eq!(n.status(&v1.txs()[0].id()), Some(TxStatus::Pending));
}

#[test]
fn vertex_without_own_parent_is_refused() {
    let ks = keys(3);
    let mut n = node(&ks, 0);
    let ((k1, from), (k2, from2)) = (peer(&ks, 1), peer(&ks, 2));
    let l = Limits::default();
    let other = Arc::new(Vertex::sign(&k2, 0, 0, vec![], vec![], &l).unwrap());
    n.handle(
        0,
        Event::Vertex {
            from: from2,
            vertex: other.clone(),
        },
    );
    let orphan_chain = Arc::new(Vertex::sign(&k1, 3, 0, vec![other.id()], vec![], &l).unwrap());
    n.handle(
        1,
        Event::Vertex {
            from,
            vertex: orphan_chain.clone(),
        },
    );
    assert!(n.vertex(&orphan_chain.id()).is_none());
}

#[test]
fn equivocation_is_detected_kept_and_verifiable() {
    let ks = keys(3);
    let mut n = node(&ks, 0);
    let (k1, from) = peer(&ks, 1);
    let l = Limits::default();
    let a = Arc::new(Vertex::sign(&k1, 0, 0, vec![], vec![client_tx(0, b"left")], &l).unwrap());
    let b = Arc::new(Vertex::sign(&k1, 0, 0, vec![], vec![client_tx(0, b"right")], &l).unwrap());
    n.handle(
        0,
        Event::Vertex {
            from,
            vertex: a.clone(),
        },
    );
    let out = n.handle(
        1,
        Event::Vertex {
            from,
            vertex: b.clone(),
        },
    );
    let evidence: Vec<_> = out
        .iter()
        .filter_map(|x| match x {
            Action::EquivocationDetected(e) => Some(e.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(evidence.len(), 1);
    assert_eq!((evidence[0].author(), evidence[0].round()), (from, 0));
    evidence[0].verify(&config(&ks).validators).unwrap();
    assert_eq!(n.equivocations().len(), 1);
    // Both sides stay in the DAG: others may build on either.
    assert!(n.vertex(&a.id()).is_some() && n.vertex(&b.id()).is_some());
}

#[test]
fn queries_are_answered_with_strong_preference() {
    let ks = keys(3);
    let mut n = node(&ks, 0);
    let ((k1, from1), (k2, from2)) = (peer(&ks, 1), peer(&ks, 2));
    let l = Limits::default();
    let (t1, t2) = (client_tx(0, b"one"), client_tx(0, b"two"));
    let (low, high) = if t1.id() < t2.id() {
        (t1, t2)
    } else {
        (t2, t1)
    };
    let vh = Arc::new(Vertex::sign(&k1, 0, 0, vec![], vec![high], &l).unwrap());
    let vl = Arc::new(Vertex::sign(&k2, 0, 0, vec![], vec![low], &l).unwrap());
    n.handle(
        0,
        Event::Vertex {
            from: from1,
            vertex: vh.clone(),
        },
    );
    n.handle(
        0,
        Event::Vertex {
            from: from2,
            vertex: vl.clone(),
        },
    );
    let answer = |n: &mut Node, vertex: VertexId| {
        n.handle(
            1,
            Event::Query {
                from: from1,
                request_id: 7,
                vertex,
            },
        )
        .into_iter()
        .find_map(|a| match a {
            Action::RespondChits {
                request_id: 7,
                preferred,
                ..
            } => Some(preferred),
            _ => None,
        })
        .unwrap()
    };
    // Neither side has chits: the lower id is preferred.
    assert!(answer(&mut n, vl.id()));
    assert!(!answer(&mut n, vh.id()));
    // An unknown vertex: the answer waits; the vertex is usually still on its way, so it is
    // fetched from the asker only once a quarter of the query timeout has passed.
    let out = n.handle(
        2,
        Event::Query {
            from: from1,
            request_id: 8,
            vertex: VertexId([5; 32]),
        },
    );
    let fetches = |out: &[Action]| {
        out.iter()
            .filter(|a| matches!(a, Action::Fetch { peer, ids } if *peer == from1 && ids == &vec![VertexId([5; 32])]))
            .count()
    };
    assert_eq!(fetches(&out), 0);
    let grace = Params::default().query_timeout_ms / 4;
    assert_eq!(fetches(&n.handle(1 + grace, Event::Tick)), 0);
    assert_eq!(fetches(&n.handle(2 + grace, Event::Tick)), 1);
    // Once asked, not again before the retry timeout.
    assert_eq!(fetches(&n.handle(3 + grace, Event::Tick)), 0);
}

#[test]
fn single_validator_decides_on_submission() {
    let ks = keys(1);
    let mut n = node(&ks, 0);
    let tx = client_tx(0, b"solo");
    let out = n.submit(0, tx.clone()).unwrap();
    assert!(out
        .iter()
        .any(|a| matches!(a, Action::Accepted(ids) if ids.len() == 1 && ids[0].0 == tx.id())));
    assert_eq!(n.status(&tx.id()), Some(TxStatus::Accepted));
    // Idle afterwards: a tick issues nothing.
    let round = n.round();
    let out = n.handle(10_000, Event::Tick);
    assert!(!out.iter().any(|a| matches!(a, Action::Broadcast(_))));
    assert_eq!(n.round(), round);
}

#[test]
fn a_submitted_batch_shares_one_vertex() {
    let ks = keys(1);
    let mut n = node(&ks, 0);
    let mut txs: Vec<Transaction> = (0..50).map(|i| client_tx(i, b"batch")).collect();
    txs.insert(7, forged(&client_tx(50, b"batch")));
    let (verdicts, out) = n.submit_all(0, txs.clone());
    assert_eq!(verdicts.len(), 51);
    assert!(verdicts[7].is_err(), "the forged one is refused");
    assert_eq!(verdicts.iter().filter(|v| v.is_ok()).count(), 50);
    let carrying: Vec<usize> = out
        .iter()
        .filter_map(|a| match a {
            Action::Persist(cretoai_consensus::Record::Vertex(v)) if !v.txs().is_empty() => {
                Some(v.txs().len())
            }
            _ => None,
        })
        .collect();
    assert_eq!(carrying, vec![50], "one vertex carries the whole batch");
    for (i, tx) in txs.iter().enumerate().filter(|(i, _)| *i != 7) {
        assert_eq!(n.status(&tx.id()), Some(TxStatus::Accepted), "tx {i}");
    }
    assert_eq!(n.status(&txs[7].id()), None);
}

#[test]
fn evidence_kept_in_memory_is_bounded_and_every_piece_is_persisted() {
    let ks = keys(3);
    let mut n = node(&ks, 0);
    let (k1, from) = peer(&ks, 1);
    let l = Limits::default();
    let rounds = RECENT_EVIDENCE as u64 + 5;
    let (mut detected, mut persisted) = (0, 0);
    let mut parent: Vec<VertexId> = vec![];
    for round in 0..rounds {
        let sign = |p: &[u8]| {
            let tx = client_tx(round, p);
            Arc::new(Vertex::sign(&k1, round, round, parent.clone(), vec![tx], &l).unwrap())
        };
        let (a, b) = (sign(b"left"), sign(b"right"));
        for v in [a.clone(), b] {
            for action in n.handle(round, Event::Vertex { from, vertex: v }) {
                match action {
                    Action::EquivocationDetected(_) => detected += 1,
                    Action::Persist(cretoai_consensus::Record::Equivocation(_)) => persisted += 1,
                    _ => {}
                }
            }
        }
        parent = vec![a.id()];
    }
    assert_eq!((detected, persisted), (rounds, rounds));
    let kept = n.equivocations();
    assert_eq!(kept.len(), RECENT_EVIDENCE);
    assert_eq!(
        kept.back().map(|e| e.round()),
        Some(rounds - 1),
        "the newest"
    );
}
