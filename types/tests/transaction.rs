//! Canonical transaction encoding: round trips, ids, signatures, strict rejection of malformed
//! input, no panics on arbitrary bytes.

use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
use cretoai_types::{Error, Limits, Transaction};
use proptest::prelude::*;

fn key(level: MlDsaLevel, n: u8) -> SigningKey {
    SigningKey::from_seed(level, &[n; 32]).unwrap()
}

#[test]
fn transaction_round_trips_and_verifies() {
    let limits = Limits::default();
    for level in MlDsaLevel::ALL {
        let tx = Transaction::sign(&key(level, 2), 7, b"hello".to_vec(), &limits).unwrap();
        let bytes = tx.encode();
        assert_eq!(bytes.len(), tx.encoded_len());
        let back = Transaction::decode(&bytes, &limits).unwrap();
        assert_eq!(back, tx);
        assert_eq!(back.id(), tx.id());
        back.verify_signature().unwrap();
        assert_eq!(back.conflict_key(), tx.conflict_key());
    }
}

#[test]
fn transaction_id_ignores_signature_randomness_but_not_content() {
    let limits = Limits::default();
    let k = key(MlDsaLevel::MlDsa44, 3);
    let a = Transaction::sign(&k, 1, b"x".to_vec(), &limits).unwrap();
    let b = Transaction::sign(&k, 1, b"x".to_vec(), &limits).unwrap();
    let c = Transaction::sign(&k, 1, b"y".to_vec(), &limits).unwrap();
    assert_eq!(a.id(), b.id());
    assert_ne!(a.id(), c.id());
    assert_eq!(
        a.conflict_key(),
        c.conflict_key(),
        "same sender and nonce conflict"
    );
}

#[test]
fn tampered_transaction_fails_verification() {
    let limits = Limits::default();
    let tx = Transaction::sign(&key(MlDsaLevel::MlDsa65, 4), 1, b"pay".to_vec(), &limits).unwrap();
    let mut bytes = tx.encode();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let bad = Transaction::decode(&bytes, &limits).unwrap();
    assert_eq!(
        bad.verify_signature(),
        Err(Error::BadSignature("transaction"))
    );
}

#[test]
fn transaction_decode_rejects_malformed_input() {
    let limits = Limits::default();
    let tx = Transaction::sign(&key(MlDsaLevel::MlDsa44, 5), 1, vec![1; 100], &limits).unwrap();
    let bytes = tx.encode();
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert_eq!(
        Transaction::decode(&trailing, &limits),
        Err(Error::TrailingBytes(1))
    );
    let mut version = bytes.clone();
    version[0] = 9;
    assert_eq!(
        Transaction::decode(&version, &limits),
        Err(Error::UnsupportedVersion(9))
    );
    assert!(matches!(
        Transaction::decode(&bytes[..bytes.len() - 1], &limits),
        Err(Error::Truncated(_))
    ));
    let small = Limits {
        max_payload: 99,
        ..limits
    };
    assert!(matches!(
        Transaction::decode(&bytes, &small),
        Err(Error::Oversize {
            field: "payload",
            ..
        })
    ));
    assert!(Transaction::sign(&key(MlDsaLevel::MlDsa44, 5), 1, vec![0; 100], &small).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = Transaction::decode(&bytes, &Limits::default());
    }
}
