//! A validator set in which a member's key is not known yet (a fresh cluster whose third node
//! has never been reached): the two keyed nodes finalize on their own, a vertex of the
//! key-less member is refused until its key is learned, and accepted afterwards.

mod sim;

use cretoai_consensus::{
    Action, Config, Event, Limits, Node, NodeId, Params, SignatureCheck, Transaction, TxStatus,
    Validator, ValidatorSet, Vertex,
};
use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
use sim::{node_key_seed, Clients, NetConfig, Sim};
use std::sync::Arc;

fn key(i: usize) -> SigningKey {
    SigningKey::from_seed(MlDsaLevel::MlDsa65, &node_key_seed(i)).unwrap()
}

/// The set of `n` nodes as a node knows it before it ever reached node `missing`.
fn without_key(n: usize, missing: usize) -> ValidatorSet {
    let members = (0..n)
        .map(|i| {
            let k = key(i).verifying_key().clone();
            if i == missing {
                Validator::awaiting_key(NodeId::of_key(&k), 1)
            } else {
                Validator::new(k, 1)
            }
        })
        .collect();
    ValidatorSet::new(members).unwrap()
}

#[test]
fn two_keyed_nodes_finalize_and_the_third_counts_once_its_key_is_learned() {
    let params = Params::default();
    let mut sim = Sim::new(
        3,
        0,
        params.clone(),
        SignatureCheck::Full,
        NetConfig::default(),
        7,
    );
    // Node 2 has not started; nodes 0 and 1 have never learned its key.
    sim.crash(2);
    let mut config = sim.config.clone();
    config.validators = without_key(3, 2);
    for i in 0..2 {
        sim.machines[i].node = Some(Node::new(config.clone(), key(i), [i as u8 + 40; 32]).unwrap());
    }
    let mut clients = Clients::new(2, &params);
    let early: Vec<_> = (0..4)
        .map(|n| {
            let tx = clients.tx(0, b"while the third is away");
            let id = tx.id();
            assert!(sim.submit(n % 2, tx));
            id
        })
        .collect();
    sim.run_until(sim.now + 20_000);
    for id in &early {
        for i in 0..2 {
            assert!(
                sim.machines[i].accepted.contains_key(id),
                "node {i} accepts {id:?} without the third key"
            );
        }
    }

    // Node 2 starts fresh and knows every key; 0 and 1 still do not know its key.
    sim.restart(2);
    let late = clients.tx(1, b"from the third");
    let late_id = late.id();
    assert!(sim.submit(2, late));
    sim.run_until(sim.now + 10_000);
    for id in &early {
        assert!(
            sim.machines[2].accepted.contains_key(id),
            "the third node catches up on {id:?}"
        );
    }
    for i in 0..2 {
        let node = sim.machines[i].node.as_ref().unwrap();
        assert_eq!(
            node.status(&late_id),
            None,
            "node {i} took a vertex it cannot verify"
        );
    }
    assert!(!sim.machines[2].accepted.contains_key(&late_id));

    for i in 0..2 {
        let node = sim.machines[i].node.as_mut().unwrap();
        assert_eq!(node.learn_key(key(2).verifying_key().clone()), Ok(true));
    }
    sim.run_until(sim.now + 20_000);
    for i in 0..3 {
        assert!(
            sim.machines[i].accepted.contains_key(&late_id),
            "node {i} accepts the third node's transaction once its key is known"
        );
    }
    assert!(sim.violations.is_empty(), "{:?}", sim.violations);
}

#[test]
fn a_vertex_of_a_keyless_member_is_refused_until_its_key_is_learned() {
    for check in [SignatureCheck::Full, SignatureCheck::Trusted] {
        let mut config = Config::new(Params::default(), without_key(3, 2));
        config.signature_check = check;
        let mut node = Node::new(config, key(0), [1; 32]).unwrap();
        let limits = Limits::default();
        let client = SigningKey::from_seed(MlDsaLevel::MlDsa44, &[9; 32]).unwrap();
        let tx = Transaction::sign(&client, 0, b"x".to_vec(), &limits).unwrap();
        let vertex =
            Arc::new(Vertex::sign(&key(2), 0, 5, vec![], vec![tx.clone()], &limits).unwrap());
        let from = NodeId::of_key(key(2).verifying_key());
        let deliver = |node: &mut Node| {
            node.handle(
                10,
                Event::Vertex {
                    from,
                    vertex: vertex.clone(),
                },
            )
        };

        let actions = deliver(&mut node);
        assert!(node.vertex(&vertex.id()).is_none(), "{check:?}: refused");
        assert_eq!(node.status(&tx.id()), None);
        assert!(!actions
            .iter()
            .any(|a| matches!(a, Action::Persist(_) | Action::Query { .. })));

        let stranger = SigningKey::from_seed(MlDsaLevel::MlDsa65, &[200; 32]).unwrap();
        assert!(node.learn_key(stranger.verifying_key().clone()).is_err());
        assert_eq!(node.learn_key(key(2).verifying_key().clone()), Ok(true));

        let actions = deliver(&mut node);
        assert!(node.vertex(&vertex.id()).is_some(), "{check:?}: accepted");
        assert_eq!(node.status(&tx.id()), Some(TxStatus::Pending));
        assert!(actions.iter().any(|a| matches!(a, Action::Query { .. })));
    }
}
