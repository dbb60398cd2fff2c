//! NIST ACVP key-generation vectors: seeded key generation must reproduce the published keys.
//! The vector files in `vectors/` are subsets of NIST's ACVP-Server test data (see `source`).

use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
use cretoai_crypto::ml_kem::DecapsulationKey;
use serde_json::Value;

fn load(file: &str) -> Vec<Value> {
    let path = format!("{}/tests/vectors/{file}", env!("CARGO_MANIFEST_DIR"));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["tests"].as_array().unwrap().clone()
}

fn field(t: &Value, name: &str) -> Vec<u8> {
    hex::decode(t[name].as_str().unwrap()).unwrap()
}

#[test]
fn ml_kem_768_keygen_vectors() {
    let tests = load("ml-kem-768-keygen.json");
    assert_eq!(tests.len(), 25);
    for t in &tests {
        let mut seed = field(t, "d");
        seed.extend(field(t, "z"));
        let dk = DecapsulationKey::from_seed(&seed).unwrap();
        assert_eq!(
            dk.encapsulation_key().as_bytes(),
            &field(t, "ek")[..],
            "ek, tcId {}",
            t["tcId"]
        );
        assert_eq!(
            &dk.expanded_bytes().unwrap()[..],
            &field(t, "dk")[..],
            "dk, tcId {}",
            t["tcId"]
        );
    }
}

#[test]
fn ml_dsa_keygen_vectors() {
    for level in MlDsaLevel::ALL {
        let tests = load(&format!("{}-keygen.json", level.as_str()));
        assert_eq!(tests.len(), 10);
        for t in &tests {
            let key = SigningKey::from_seed(level, &field(t, "seed")).unwrap();
            assert_eq!(
                key.verifying_key().as_bytes(),
                &field(t, "pk")[..],
                "{level} pk, tcId {}",
                t["tcId"]
            );
            assert_eq!(
                &key.expanded_private_key().unwrap()[..],
                &field(t, "sk")[..],
                "{level} sk, tcId {}",
                t["tcId"]
            );
        }
    }
}
