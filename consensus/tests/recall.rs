//! The exchange with the archive: a core that let an outcome go asks the shell
//! (`Action::RecallOutcomes`) before it judges a transaction of a decided conflict set, and
//! acts on the answer (`Event::Recalled`) as it would have from memory.

use cretoai_consensus::{
    Action, Config, Event, Node, Params, Record, Transaction, TxId, TxStatus, Validator,
    ValidatorSet,
};
use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};

/// A lone validator (its polls finish at once) keeping one outcome in memory.
fn lone(keep: usize) -> Node {
    let key = SigningKey::from_seed(MlDsaLevel::MlDsa65, &[1; 32]).unwrap();
    let validators =
        ValidatorSet::new(vec![Validator::new(key.verifying_key().clone(), 1)]).unwrap();
    let mut config = Config::new(Params::for_validators(1), validators);
    config.archived = true;
    config.remembered_decisions = keep;
    Node::new(config, key, [0; 32]).unwrap()
}

fn statuses(actions: &[Action]) -> Vec<(TxId, TxStatus)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Persist(Record::Status { tx, status }) => Some((*tx, *status)),
            _ => None,
        })
        .collect()
}

fn asked(actions: &[Action]) -> Vec<TxId> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::RecallOutcomes(ids) => Some(ids.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn a_forgotten_winner_keeps_its_outcome_and_a_newcomer_is_rejected() {
    let limits = Params::for_validators(1).limits;
    let sender = SigningKey::from_seed(MlDsaLevel::MlDsa44, &[2; 32]).unwrap();
    let mut node = lone(1);
    let winner = Transaction::sign(&sender, 0, b"first".to_vec(), &limits).unwrap();
    let mut emitted = 0u64;
    let actions = node.submit(1, winner.clone()).unwrap();
    assert_eq!(statuses(&actions), vec![(winner.id(), TxStatus::Accepted)]);
    emitted += 1;
    // Two more decisions push the winner's outcome out once durable.
    for nonce in 1..3 {
        let tx = Transaction::sign(&sender, nonce, b"more".to_vec(), &limits).unwrap();
        emitted += statuses(&node.submit(2, tx).unwrap()).len() as u64;
    }
    node.decisions_persisted(emitted);
    assert_eq!(node.status(&winner.id()), None, "left memory");

    // The winner comes back: nothing happens until the archive answers, then nothing either.
    let actions = node.submit(3, winner.clone()).unwrap();
    assert_eq!(asked(&actions), vec![winner.id()]);
    assert!(statuses(&actions).is_empty());
    let answer = vec![(winner.id(), Some(TxStatus::Accepted))];
    let actions = node.handle(4, Event::Recalled(answer));
    assert!(statuses(&actions).is_empty(), "{actions:?}");
    assert_eq!(node.status(&winner.id()), Some(TxStatus::Accepted));

    // A double spend of the decided nonce: the archive never saw it, so it is rejected.
    let rival = Transaction::sign(&sender, 0, b"second".to_vec(), &limits).unwrap();
    node.decisions_persisted(emitted);
    let actions = node.submit(5, rival.clone()).unwrap();
    assert_eq!(asked(&actions), vec![rival.id()]);
    assert!(statuses(&actions).is_empty());
    let actions = node.handle(6, Event::Recalled(vec![(rival.id(), None)]));
    assert_eq!(statuses(&actions), vec![(rival.id(), TxStatus::Rejected)]);
    assert_eq!(node.status(&rival.id()), Some(TxStatus::Rejected));
}

#[test]
fn answers_to_questions_never_asked_are_ignored() {
    let mut node = lone(1);
    let actions = node.handle(
        1,
        Event::Recalled(vec![(TxId([9; 32]), Some(TxStatus::Accepted))]),
    );
    assert!(actions.is_empty());
    assert_eq!(node.status(&TxId([9; 32])), None);
}
