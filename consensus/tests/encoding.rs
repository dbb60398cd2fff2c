//! Canonical vertex encoding: round trips, strict rejection of malformed input, no panics on
//! arbitrary bytes (transactions: `types/tests/transaction.rs`).

use cretoai_consensus::{
    ConsensusError, Limits, Transaction, Validator, ValidatorSet, Vertex, VertexId,
};
use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
use proptest::prelude::*;
use std::sync::OnceLock;

fn key(level: MlDsaLevel, n: u8) -> SigningKey {
    SigningKey::from_seed(level, &[n; 32]).unwrap()
}

fn sample_vertex() -> &'static (Vertex, Vec<u8>) {
    static V: OnceLock<(Vertex, Vec<u8>)> = OnceLock::new();
    V.get_or_init(|| {
        let limits = Limits::default();
        let sender = key(MlDsaLevel::MlDsa44, 9);
        let txs = (0..3)
            .map(|n| Transaction::sign(&sender, n, vec![n as u8; 10], &limits).unwrap())
            .collect();
        let v = Vertex::sign(
            &key(MlDsaLevel::MlDsa65, 1),
            4,
            1234,
            vec![VertexId([3; 32]), VertexId([1; 32])],
            txs,
            &limits,
        )
        .unwrap();
        let bytes = v.encode();
        (v, bytes)
    })
}

#[test]
fn vertex_round_trips() {
    let (v, bytes) = sample_vertex();
    let back = Vertex::decode(bytes, &Limits::default()).unwrap();
    assert_eq!(&back, v);
    assert_eq!(back.id(), v.id());
    assert_eq!(
        back.parents(),
        &[VertexId([1; 32]), VertexId([3; 32])],
        "sorted"
    );
    assert_eq!(back.txs().len(), 3);
}

#[test]
fn vertex_signature_and_id_cover_the_header() {
    let (v, bytes) = sample_vertex();
    let limits = Limits::default();
    let key = key(MlDsaLevel::MlDsa65, 1);
    let validators =
        ValidatorSet::new(vec![Validator::new(key.verifying_key().clone(), 1)]).unwrap();
    v.verify_signatures(&validators, true).unwrap();
    // Flip a byte of the vertex signature: the signature fails, the id does not move.
    let mut bad_sig = bytes.clone();
    let last = bad_sig.len() - 1;
    bad_sig[last] ^= 1;
    let decoded = Vertex::decode(&bad_sig, &limits).unwrap();
    assert_eq!(decoded.id(), v.id());
    assert_eq!(
        decoded.verify_signatures(&validators, false),
        Err(ConsensusError::Encoding(
            cretoai_types::Error::BadSignature("vertex")
        ))
    );
    // Change the round: a different id and a signature that no longer matches.
    let mut other_round = bytes.clone();
    other_round[40] ^= 1;
    let decoded = Vertex::decode(&other_round, &limits).unwrap();
    assert_ne!(decoded.id(), v.id());
    assert!(decoded.verify_signatures(&validators, false).is_err());
}

#[test]
fn vertex_decode_rejects_malformed_input() {
    let (_, bytes) = sample_vertex();
    let limits = Limits::default();
    let mut trailing = bytes.clone();
    trailing.extend_from_slice(&[0, 0]);
    assert_eq!(
        Vertex::decode(&trailing, &limits),
        Err(ConsensusError::Encoding(
            cretoai_types::Error::TrailingBytes(2)
        ))
    );
    let mut version = bytes.clone();
    version[0] = 2;
    assert_eq!(
        Vertex::decode(&version, &limits),
        Err(ConsensusError::Encoding(
            cretoai_types::Error::UnsupportedVersion(2)
        ))
    );
    let few_parents = Limits {
        max_parents: 1,
        ..limits
    };
    assert!(matches!(
        Vertex::decode(bytes, &few_parents),
        Err(ConsensusError::Encoding(cretoai_types::Error::Oversize {
            field: "parents",
            ..
        }))
    ));
    let few_txs = Limits {
        max_txs_per_vertex: 2,
        ..limits
    };
    assert!(matches!(
        Vertex::decode(bytes, &few_txs),
        Err(ConsensusError::Encoding(cretoai_types::Error::Oversize {
            field: "transactions",
            ..
        }))
    ));
    // Swap the two parent ids: no longer canonical.
    let mut swapped = bytes.clone();
    let at = 1 + 32 + 8 + 8 + 2;
    let (a, b) = (
        swapped[at..at + 32].to_vec(),
        swapped[at + 32..at + 64].to_vec(),
    );
    swapped[at..at + 32].copy_from_slice(&b);
    swapped[at + 32..at + 64].copy_from_slice(&a);
    assert!(matches!(
        Vertex::decode(&swapped, &limits),
        Err(ConsensusError::InvalidParents(_))
    ));
}

#[test]
fn vertex_with_conflicting_transactions_is_refused() {
    let limits = Limits::default();
    let sender = key(MlDsaLevel::MlDsa44, 6);
    let a = Transaction::sign(&sender, 1, b"a".to_vec(), &limits).unwrap();
    let b = Transaction::sign(&sender, 1, b"b".to_vec(), &limits).unwrap();
    let r = Vertex::sign(
        &key(MlDsaLevel::MlDsa65, 1),
        0,
        0,
        vec![],
        vec![a.clone(), b],
        &limits,
    );
    assert_eq!(r, Err(ConsensusError::ConflictingTransactions));
    let r = Vertex::sign(
        &key(MlDsaLevel::MlDsa65, 1),
        0,
        0,
        vec![],
        vec![a.clone(), a],
        &limits,
    );
    assert_eq!(r, Err(ConsensusError::ConflictingTransactions));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = Vertex::decode(&bytes, &Limits::default());
    }

    #[test]
    fn decoding_mutated_vertices_never_panics(pos in 0usize..8192, byte in any::<u8>(), cut in 0usize..8192) {
        let (_, bytes) = sample_vertex();
        let mut m = bytes.clone();
        let p = pos % m.len();
        m[p] = byte;
        m.truncate(m.len() - cut % m.len());
        let limits = Limits::default();
        if let Ok(v) = Vertex::decode(&m, &limits) {
            // Whatever decodes re-encodes to the same bytes: the encoding is canonical.
            prop_assert_eq!(v.encode(), m);
        }
    }
}
