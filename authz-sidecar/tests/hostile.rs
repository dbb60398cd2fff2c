//! Hostile tokens, each refused through `POST /v1/tokens/verify` with its own
//! error code.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use common::{allowed_payment, state_with};
use cretoai_authz_sidecar::algorithm::{Algorithm, Backend};
use cretoai_authz_sidecar::jws;
use cretoai_authz_sidecar::mode::Mode;
use cretoai_authz_sidecar::state::unix_now;
use serde_json::{json, Value};

fn claims(now: u64) -> Value {
    json!({
        "iss": "cretoai-authz-sidecar", "sub": "agent-7", "act": "payments:initiate",
        "res": "Payment:p-1", "effect": "allow", "policy": "payments-agent",
        "iat": now, "nbf": now, "exp": now + 300, "jti": "00", "req_hash": "x"
    })
}

/// A token with an arbitrary header and payload and the given signature bytes.
fn forge(header: Value, payload: &Value, sig: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        B64.encode(header.to_string()),
        B64.encode(payload.to_string()),
        B64.encode(sig)
    )
}

macro_rules! refused {
    ($app:expr, $token:expr) => {{
        let (s, e) = verify!($app, $token);
        assert_eq!(s, 422, "{e}");
        assert!(!e["error"]["message"].as_str().unwrap().is_empty());
        e["error"]["code"].as_str().unwrap().to_string()
    }};
}

#[actix_web::test]
async fn every_hostile_token_is_refused_with_its_own_code() {
    let (_dir, state) = state_with(|c| c.mode = Mode::Hybrid);
    let app = app!(state);
    let ring = state.ring();
    let key = |alg| ring.active(alg).unwrap();
    let now = unix_now();
    let good = jws::sign(
        &key(Algorithm::Rs256).key,
        &key(Algorithm::Rs256).kid,
        Backend::AwsLc,
        &claims(now),
    )
    .unwrap();
    let (s, _) = verify!(app, good);
    assert_eq!(s, 200, "the control token verifies");
    let rs_kid = key(Algorithm::Rs256).kid.clone();

    // alg: none, with and without a signature part.
    let none = forge(json!({"alg": "none", "kid": rs_kid}), &claims(now), b"");
    assert_eq!(refused!(app, none), "alg_none");
    assert_eq!(
        refused!(app, forge(json!({"alg": "None"}), &claims(now), b"x")),
        "alg_none"
    );

    // HS256 signed with the RSA public key as the HMAC secret (key confusion),
    // made by an independent JOSE library.
    let public_der = key(Algorithm::Rs256).key.public_key().as_bytes().to_vec();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(rs_kid.clone());
    let hs = jsonwebtoken::encode(
        &header,
        &claims(now),
        &jsonwebtoken::EncodingKey::from_secret(&public_der),
    )
    .unwrap();
    assert_eq!(refused!(app, hs), "alg_unsupported");

    // alg / kid / key type mismatches, with a signature made by the real key.
    let resign = |alg: &str, kid: &str, signer: Algorithm| {
        let h = B64.encode(json!({"alg": alg, "kid": kid}).to_string());
        let p = B64.encode(claims(now).to_string());
        let input = format!("{h}.{p}");
        let sig = key(signer)
            .key
            .sign(Backend::AwsLc, input.as_bytes())
            .unwrap();
        format!("{input}.{}", B64.encode(sig))
    };
    assert_eq!(
        refused!(app, resign("PS256", &rs_kid, Algorithm::Rs256)),
        "alg_key_mismatch"
    );
    assert_eq!(
        refused!(app, resign("EdDSA", &rs_kid, Algorithm::Rs256)),
        "key_type_mismatch"
    );
    let ml65 = key(Algorithm::MlDsa65).kid.clone();
    assert_eq!(
        refused!(app, resign("ML-DSA-44", &ml65, Algorithm::MlDsa65)),
        "alg_key_mismatch"
    );
    assert_eq!(
        refused!(app, resign("RS256", &ml65, Algorithm::MlDsa65)),
        "key_type_mismatch"
    );
    assert_eq!(
        refused!(app, resign("RS256", "no-such-kid", Algorithm::Rs256)),
        "unknown_kid"
    );
    assert_eq!(
        refused!(app, forge(json!({"alg": "RS256"}), &claims(now), &[1; 256])),
        "unknown_kid"
    );

    // Expired and not-yet-valid, validly signed (beyond the 30 s leeway).
    let k = key(Algorithm::EdDsa);
    let mut expired = claims(now - 1000);
    expired["exp"] = json!(now - 100);
    assert_eq!(
        refused!(
            app,
            jws::sign(&k.key, &k.kid, Backend::AwsLc, &expired).unwrap()
        ),
        "token_expired"
    );
    let mut early = claims(now);
    early["nbf"] = json!(now + 600);
    assert_eq!(
        refused!(
            app,
            jws::sign(&k.key, &k.kid, Backend::AwsLc, &early).unwrap()
        ),
        "token_not_yet_valid"
    );
    let mut future_iat = claims(now + 600);
    future_iat["nbf"] = json!(now);
    assert_eq!(
        refused!(
            app,
            jws::sign(&k.key, &k.kid, Backend::AwsLc, &future_iat).unwrap()
        ),
        "token_not_yet_valid"
    );

    // A composite with one broken half names the half.
    let c = key(Algorithm::MlDsa65Ed25519);
    let composite = jws::sign(&c.key, &c.kid, Backend::AwsLc, &claims(now)).unwrap();
    let (input, sig) = composite.rsplit_once('.').unwrap();
    let mut sig = B64.decode(sig).unwrap();
    let mut bad_ml = sig.clone();
    bad_ml[100] ^= 0x01;
    assert_eq!(
        refused!(app, format!("{input}.{}", B64.encode(&bad_ml))),
        "composite_mldsa_invalid"
    );
    let last = sig.len() - 1;
    sig[last] ^= 0x01;
    assert_eq!(
        refused!(app, format!("{input}.{}", B64.encode(&sig))),
        "composite_ed25519_invalid"
    );

    // A plain bad signature and a tampered payload.
    let (h, rest) = good.split_once('.').unwrap();
    let (_, s) = rest.split_once('.').unwrap();
    let mut other = claims(now);
    other["effect"] = json!("deny");
    assert_eq!(
        refused!(app, format!("{h}.{}.{s}", B64.encode(other.to_string()))),
        "bad_signature"
    );

    // Truncated anywhere: a clear shape or length error, never a panic.
    for cut in [10, good.len() / 2, good.len() - 40, good.len() - 1] {
        let code = refused!(app, &good[..cut]);
        assert!(
            ["token_malformed", "signature_length_invalid"].contains(&code.as_str()),
            "cut at {cut}: {code}"
        );
    }
    // Whole signature bytes missing (the cut keeps the base64 well-formed).
    let (input, sig) = good.rsplit_once('.').unwrap();
    let short = B64.encode(&B64.decode(sig).unwrap()[..200]);
    assert_eq!(
        refused!(app, format!("{input}.{short}")),
        "signature_length_invalid"
    );

    // Oversize: refused before decoding.
    let huge = format!("{good}{}", "A".repeat(jws::MAX_TOKEN_LEN));
    assert_eq!(refused!(app, huge), "token_oversize");
    // Padded signature: right alg, too many bytes.
    let padded = format!("{good}AAAA");
    assert_eq!(refused!(app, padded), "signature_length_invalid");
    // Garbage.
    assert_eq!(refused!(app, "not a token"), "token_malformed");
    assert_eq!(refused!(app, "a.b.c.d.e"), "token_malformed");
}

#[actix_web::test]
async fn the_rust_crypto_backend_serves_and_accepts_aws_lc_tokens() {
    let (_dir, aws) = state_with(|c| c.classical_alg = Algorithm::EdDsa);
    let (_dir2, rust) = state_with(|c| {
        c.classical_alg = Algorithm::EdDsa;
        c.classical_backend = Backend::RustCrypto;
    });
    let (aws_app, rust_app) = (app!(aws), app!(rust));
    let (_, a) = check!(rust_app, allowed_payment());
    assert_eq!(a["signature"]["alg"], "EdDSA");
    let (s, _) = verify!(rust_app, a["decision_token"].as_str().unwrap());
    assert_eq!(s, 200);
    let (_, stats) = call!(rust_app, get, "/v1/compare", None, None::<&str>);
    assert_eq!(stats["algorithms"][0]["backend"], "rust-crypto");
    // An aws-lc-rs token, checked by the rust-crypto sidecar against the same key.
    let key = rust.ring().active(Algorithm::EdDsa).unwrap();
    let token = jws::sign(&key.key, &key.kid, Backend::AwsLc, &claims(unix_now())).unwrap();
    let (s, v) = verify!(rust_app, token);
    assert_eq!((s, v["alg"].as_str()), (200, Some("EdDSA")));
    let (s, _) = verify!(aws_app, a["decision_token"].as_str().unwrap());
    assert_eq!(s, 422, "another sidecar's keys are unknown here");
}

#[actix_web::test]
async fn pqc_mode_refuses_classical_tokens_with_a_reason() {
    let (_dir, state) = state_with(|c| c.mode = Mode::Classical);
    let app = app!(state);
    let (_, a) = check!(app, allowed_payment());
    let token = a["decision_token"].as_str().unwrap().to_string();
    set_mode!(app, "pqc");
    let (s, e) = verify!(app, token);
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (422, Some("alg_not_accepted"))
    );
    assert!(e["error"]["message"].as_str().unwrap().contains("pqc"));
}
