//! Interoperability with independent implementations: the `jsonwebtoken`
//! crate verifies our RS256/PS256/EdDSA tokens from the published JWKs (both
//! backends), and RustCrypto `ml-dsa` plus `ed25519-dalek` verify our ML-DSA
//! and composite signatures, rebuilding the composite message themselves.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use cretoai_authz_sidecar::algorithm::{Algorithm, Backend};
use cretoai_authz_sidecar::jws;
use cretoai_authz_sidecar::key_pair::KeyPair;
use ed25519_dalek::Verifier as _;
use ml_dsa::{
    EncodedSignature, EncodedVerifyingKey, MlDsa44, MlDsa65, MlDsa87, MlDsaParams, Signature,
    VerifyingKey,
};
use rsa::sha2::{Digest as _, Sha512};
use serde_json::{json, Value};

fn claims() -> Value {
    let now = jsonwebtoken::get_current_timestamp();
    json!({"iss": "cretoai-authz-sidecar", "sub": "agent-7", "act": "payments:initiate",
           "res": "Payment:p-1", "effect": "allow", "policy": null,
           "iat": now, "nbf": now, "exp": now + 300, "jti": "ab", "req_hash": "cd"})
}

fn parts(token: &str) -> (String, Vec<u8>, Value) {
    let (input, sig) = token.rsplit_once('.').unwrap();
    let header: Value =
        serde_json::from_slice(&B64.decode(input.split('.').next().unwrap()).unwrap()).unwrap();
    (input.to_string(), B64.decode(sig).unwrap(), header)
}

#[test]
fn jsonwebtoken_verifies_classical_tokens_from_both_backends() {
    for (alg, theirs) in [
        (Algorithm::Rs256, jsonwebtoken::Algorithm::RS256),
        (Algorithm::Ps256, jsonwebtoken::Algorithm::PS256),
        (Algorithm::EdDsa, jsonwebtoken::Algorithm::EdDSA),
    ] {
        let key = KeyPair::generate(alg, 2048).unwrap();
        let kid = key.public_key().thumbprint();
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(key.public_key().jwk(&kid)).unwrap();
        let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        let mut validation = jsonwebtoken::Validation::new(theirs);
        validation.validate_aud = false;
        for backend in Backend::ALL {
            let token = jws::sign(&key, &kid, backend, &claims()).unwrap();
            let data = jsonwebtoken::decode::<Value>(&token, &decoding, &validation)
                .unwrap_or_else(|e| panic!("{alg} via {backend:?}: {e}"));
            assert_eq!(data.claims["sub"], "agent-7");
            assert_eq!(data.header.kid.as_deref(), Some(kid.as_str()));
            // And a token the library signs after tampering is refused by it.
            let mut bad = token.clone();
            bad.insert(bad.find('.').unwrap() + 2, 'A');
            assert!(jsonwebtoken::decode::<Value>(&bad, &decoding, &validation).is_err());
        }
    }
}

fn rustcrypto_ml_dsa_verifies<P: MlDsaParams>(alg: Algorithm) {
    let key = KeyPair::generate(alg, 0).unwrap();
    let kid = key.public_key().thumbprint();
    let jwk = key.public_key().jwk(&kid);
    assert_eq!(
        (jwk["kty"].as_str(), jwk["alg"].as_str()),
        (Some("AKP"), Some(alg.as_str()))
    );
    let public = B64.decode(jwk["pub"].as_str().unwrap()).unwrap();
    let vk = VerifyingKey::<P>::decode(&EncodedVerifyingKey::<P>::try_from(&public[..]).unwrap());
    let token = jws::sign(&key, &kid, Backend::AwsLc, &claims()).unwrap();
    let (input, sig, header) = parts(&token);
    assert_eq!(header["alg"], alg.as_str());
    let sig = Signature::<P>::decode(&EncodedSignature::<P>::try_from(&sig[..]).unwrap()).unwrap();
    // JOSE ML-DSA: pure ML-DSA over the signing input, empty context.
    assert!(vk.verify_with_context(input.as_bytes(), b"", &sig), "{alg}");
    assert!(!vk.verify_with_context(b"other input", b"", &sig));
}

#[test]
fn rustcrypto_ml_dsa_verifies_every_level() {
    rustcrypto_ml_dsa_verifies::<MlDsa44>(Algorithm::MlDsa44);
    rustcrypto_ml_dsa_verifies::<MlDsa65>(Algorithm::MlDsa65);
    rustcrypto_ml_dsa_verifies::<MlDsa87>(Algorithm::MlDsa87);
}

#[test]
fn composite_verifies_with_independent_components() {
    let key = KeyPair::generate(Algorithm::MlDsa65Ed25519, 0).unwrap();
    let kid = key.public_key().thumbprint();
    let public = B64
        .decode(key.public_key().jwk(&kid)["pub"].as_str().unwrap())
        .unwrap();
    assert_eq!(public.len(), 1952 + 32);
    let token = jws::sign(&key, &kid, Backend::AwsLc, &claims()).unwrap();
    let (input, sig, _) = parts(&token);
    assert_eq!(sig.len(), 3309 + 64);

    // M' = Prefix || Label || len(ctx)=0 || SHA-512(M), built here from the draft's text.
    let label = b"COMPSIG-MLDSA65-Ed25519-SHA512";
    let mut m = b"CompositeAlgorithmSignatures2025".to_vec();
    m.extend_from_slice(label);
    m.push(0);
    m.extend_from_slice(&Sha512::digest(input.as_bytes()));

    let vk = VerifyingKey::<MlDsa65>::decode(
        &EncodedVerifyingKey::<MlDsa65>::try_from(&public[..1952]).unwrap(),
    );
    let ml_sig =
        Signature::<MlDsa65>::decode(&EncodedSignature::<MlDsa65>::try_from(&sig[..3309]).unwrap())
            .unwrap();
    assert!(
        vk.verify_with_context(&m, label, &ml_sig),
        "ML-DSA half over M' with ctx = Label"
    );

    let ed = ed25519_dalek::VerifyingKey::from_bytes(&public[1952..].try_into().unwrap()).unwrap();
    let ed_sig = ed25519_dalek::Signature::from_slice(&sig[3309..]).unwrap();
    ed.verify(&m, &ed_sig).expect("Ed25519 half over M'");
}
