//! Interoperability with an independent implementation (RustCrypto `ml-kem` and `ml-dsa`):
//! same keys from the same seeds, and each side accepts the other's ciphertexts and signatures.

use ::ml_dsa::{EncodedSignature, MlDsa44, MlDsa65, MlDsa87, MlDsaParams, Signature};
use ::ml_kem::kem::{Decapsulate, KeyExport};
use ::ml_kem::MlKem768;
use cretoai_crypto::ml_dsa::{self, MlDsaLevel};
use cretoai_crypto::ml_kem;

fn check_ml_dsa<P: MlDsaParams>(level: MlDsaLevel) {
    for (i, ctx) in [&b""[..], b"cretoai-interop", &[0x5a; 255][..]]
        .into_iter()
        .enumerate()
    {
        let seed = [i as u8 + 1; 32];
        let ours = ml_dsa::SigningKey::from_seed(level, &seed).unwrap();
        let theirs = ::ml_dsa::SigningKey::<P>::from_seed(&seed.into());
        let their_vk = theirs.expanded_key().verifying_key();
        assert_eq!(
            ours.verifying_key().as_bytes(),
            their_vk.encode().as_slice(),
            "{level} public key"
        );

        let msg = b"a message signed by one implementation and verified by the other";
        let our_sig = ours.sign(msg, ctx).unwrap();
        let encoded = EncodedSignature::<P>::try_from(&our_sig[..]).unwrap();
        let sig = Signature::<P>::decode(&encoded).unwrap();
        assert!(
            their_vk.verify_with_context(msg, ctx, &sig),
            "{level}: theirs rejects ours"
        );
        assert!(!their_vk.verify_with_context(b"other", ctx, &sig));

        let their_sig = theirs
            .expanded_key()
            .sign_deterministic(msg, ctx)
            .unwrap()
            .encode();
        ours.verifying_key()
            .verify(msg, ctx, their_sig.as_slice())
            .unwrap();
        assert!(ours
            .verifying_key()
            .verify(msg, b"x", their_sig.as_slice())
            .is_err());
        // The prepared ("external mu") path accepts the independent implementation's
        // signatures too.
        let prepared = ours.verifying_key().prepare().unwrap();
        prepared.verify(msg, ctx, their_sig.as_slice()).unwrap();
        assert!(prepared.verify(msg, b"x", their_sig.as_slice()).is_err());
    }
}

#[test]
fn ml_dsa_interoperates_at_every_level() {
    check_ml_dsa::<MlDsa44>(MlDsaLevel::MlDsa44);
    check_ml_dsa::<MlDsa65>(MlDsaLevel::MlDsa65);
    check_ml_dsa::<MlDsa87>(MlDsaLevel::MlDsa87);
}

#[test]
fn ml_kem_768_interoperates() {
    let seed = [9u8; 64];
    let ours = ml_kem::DecapsulationKey::from_seed(&seed).unwrap();
    let theirs = ::ml_kem::DecapsulationKey::<MlKem768>::from_seed(seed.into());
    let their_ek = theirs.encapsulation_key();
    assert_eq!(
        ours.encapsulation_key().as_bytes(),
        their_ek.to_bytes().as_slice()
    );

    // Ours encapsulates, theirs decapsulates.
    let (ct, ss) = ours.encapsulation_key().encapsulate().unwrap();
    let their_ss = theirs.decapsulate_slice(&ct).unwrap();
    assert_eq!(ss.as_bytes(), their_ss.as_slice());

    // Theirs encapsulates, ours decapsulates.
    let (their_ct, their_ss) = their_ek.encapsulate_deterministic(&[4u8; 32].into());
    assert_eq!(
        ours.decapsulate(their_ct.as_slice()).unwrap().as_bytes(),
        their_ss.as_slice()
    );
}
